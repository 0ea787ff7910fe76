"""Polls the instruments once per cycle and turns what came back into a Snapshot.

A failed read is a decision input, not a crash: the link is marked offline with the error, the last readings are
kept with their old times (so they go stale), and the next poll tries again (the drivers reopen dropped links).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import structlog

from devices.errors import DeviceError
from devices.reading import Reading
from devices.roles import Balance, Chiller, Stirrer
from labctl.engine.accumulation import OxidantModel
from labctl.engine.calorimeter import Calorimeter, Measurement
from labctl.engine.clock import EngineClock
from labctl.engine.conditions import holds
from labctl.engine.snapshot import LinkState, Snapshot
from labctl.engine.trend import Trend
from labctl.protocol.conditions import Condition

log = structlog.get_logger("labctl.engine")

SETPOINT_EVERY = 10
"""Read the setpoint back every this many polls (it only changes when labctl writes it, or someone at the unit)."""


BALANCE_EVERY = 10
"""Read the balance every this many polls while no dose holds its port: a dead doser link shows before the next
portion needs it."""


STIRRER_EVERY = 2
"""The shaft's speed every other poll: a loss is judged over LOSS_GRACE_S (5 s), and the permit needs a fresh one."""
TORQUE_EVERY = 10
OFFLINE_EVERY = 5
"""A unit that stopped answering is asked again every this many polls: each try costs its timeouts and retries,
and asked every cycle it would stretch the cycle for the instruments still answering. Seeing it back up to 5 s
late costs nothing beside the minutes a power cut or an unplugged cable lasts, and nothing may start meanwhile."""
"""Torque tells a thickening or stalling mass over minutes; the speed is what stops a dose."""


class Supervisor:
    def __init__(
        self,
        chiller: Chiller | None,
        clock: EngineClock,
        period_s: float,
        oxidant: OxidantModel | None,
        *,
        balance: Balance | None = None,
        balance_busy: Callable[[], bool] = lambda: False,
        stirrer: Stirrer | None = None,
        calorimeter: Calorimeter | None = None,
    ) -> None:
        self._chiller = chiller
        self._stirrer = stirrer
        self._balance = balance
        self._balance_busy = balance_busy
        self._clock = clock
        self.period_s = period_s
        """The period in force: the rig's, or the current step's own while all is calm (`pace`)."""
        self._rig_period = period_s
        self._step_period: float | None = None
        self._step_conditions: list[Condition] = []
        self.oxidant = oxidant
        self.calorimeter = calorimeter
        self.trend = Trend()
        self._polls = 0
        self.snapshot = Snapshot(at=clock.now(), stale_after_s=2 * period_s, has_stirrer=stirrer is not None)

    async def poll(self) -> Snapshot:
        now = self._clock.now()
        changes: dict[str, Any] = {"at": now}
        if self._chiller is not None and self._due(self.snapshot.chiller, 1):
            changes.update(await self._poll_chiller(self._chiller, now))
        if self._balance is not None and self._polls % BALANCE_EVERY == 0 and not self._balance_busy():
            changes.update(await self._poll_balance(self._balance, now))
        if self._stirrer is not None and self._due(self.snapshot.stirrer, STIRRER_EVERY):
            changes.update(await self._poll_stirrer(self._stirrer, now))
        snap = dataclasses.replace(self.snapshot, **changes)
        tr = snap.tr_value()
        if tr is not None and snap.tr is not None:
            self.trend.add(snap.tr.at, tr)
        if self.oxidant is not None:  # an unstirred or unverified mass is not counted as reacting
            self.oxidant.advance(now, tr if snap.stirred_as_far_as_known() else None)
        model = self.oxidant.mtsr(tr) if self.oxidant is not None else None
        measured = self.calorimeter.observe(snap) if self.calorimeter is not None else Measurement()
        snap = dataclasses.replace(
            snap,
            tr_rate_k_min=self.trend.per_minute() if tr is not None else None,
            mtsr_c=_larger(model, measured.mtsr_c),
            mtsr_model_c=model,
            mtsr_measured_c=measured.mtsr_c,
            heat_release_pct=measured.heat_release_pct,
        )
        self._polls += 1
        self.snapshot = snap
        return snap

    def for_step(self, period_s: float | None, only_while: list[Condition] | None = None) -> None:
        """The period the current step asks for (a cold store polled every 10 s; None: the rig's), and what must
        hold for it to apply (a hold polled slowly only once the oxidant left could not reach a trip)."""
        self._step_period = period_s
        self._step_conditions = only_while or []

    def pace(self, *, calm: bool) -> float:
        """The period until the next poll. A step's own period holds only while all is calm (the run running, no
        alarm open, every link up, no chiller fault, the step's own conditions known to hold); anything else is
        watched at the rig's pace. Readings go stale after two periods in force, and a change of pace makes the
        next poll read every instrument."""
        snap = self.snapshot
        links_up = snap.chiller.online and snap.doser.online and (not snap.has_stirrer or snap.stirrer.online)
        quiet = (
            calm
            and links_up
            and not snap.chiller_fault()
            and all(holds(c, snap) is True for c in self._step_conditions)
        )
        period = self._step_period if quiet and self._step_period is not None else self._rig_period
        if period != self.period_s:
            self.period_s = period
            self._polls = 0
            self.snapshot = dataclasses.replace(snap, stale_after_s=2 * period)
        return period

    def _due(self, link: LinkState, every: int) -> bool:
        return self._polls % (every if link.online else OFFLINE_EVERY) == 0

    def doser_answered(self) -> None:
        """A dose settled cleanly: the doser's link is up and nothing is left unresolved."""
        link = self.snapshot.doser if self.snapshot.doser.online else LinkState(True, None, self._clock.now())
        self.snapshot = dataclasses.replace(self.snapshot, doser=link, doser_fault=None)

    def set_doser_fault(self, fault: str) -> None:
        """Something about the doser a person must resolve before the next portion (the permit says so)."""
        self.snapshot = dataclasses.replace(self.snapshot, doser_fault=fault)

    async def _poll_balance(self, balance: Balance, now: float) -> dict[str, Any]:
        try:
            reading = await balance.immediate_weight()
        except DeviceError as exc:
            if self.snapshot.doser.online:
                log.warning("doser.offline", error=str(exc))
                return {"doser": LinkState(False, str(exc), now)}
            return {}
        out: dict[str, Any] = {"balance": reading}
        if not self.snapshot.doser.online:
            log.warning("doser.online")
            out["doser"] = LinkState(True, None, now)
        return out

    async def _poll_chiller(self, chiller: Chiller, now: float) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            out["tr"] = await chiller.process_temperature()
            out["tj"] = await chiller.internal_temperature()
            status = await chiller.status()
            out["status"] = status.value
            error = 0
            if status.value is not None and status.value.error:
                error = (await chiller.faults()).error
            out["chiller_error"] = error
            if self._polls % SETPOINT_EVERY == 0:
                out["setpoint"] = (await chiller.get_setpoint()).value
        except DeviceError as exc:
            return out | _link_change("chiller", self.snapshot.chiller, now, exc)
        return out | _link_change("chiller", self.snapshot.chiller, now, None)

    async def _poll_stirrer(self, stirrer: Stirrer, now: float) -> dict[str, Any]:
        out: dict[str, Any] = {}
        try:
            out["stir_speed"] = await stirrer.speed()
            if self._polls % TORQUE_EVERY == 0:
                out["stir_torque"] = await stirrer.torque()
            if self._polls % SETPOINT_EVERY == 0 or self.snapshot.stir_setpoint is None:
                out["stir_setpoint"] = (await stirrer.speed_setpoint()).value
        except DeviceError as exc:
            return out | _link_change("stirrer", self.snapshot.stirrer, now, exc)
        return out | _link_change("stirrer", self.snapshot.stirrer, now, None)

    def note_stir_setpoint(self, applied: float) -> None:
        self.snapshot = dataclasses.replace(self.snapshot, stir_setpoint=applied)

    def note_setpoint(self, applied: float) -> None:
        self.snapshot = dataclasses.replace(self.snapshot, setpoint=applied)


def _link_change(role: str, link: LinkState, now: float, error: DeviceError | None) -> dict[str, LinkState]:
    """A link going down or coming back, logged once; nothing while it stays as it was."""
    if error is not None and link.online:
        log.warning(f"{role}.offline", error=str(error))
        return {role: LinkState(False, str(error), now)}
    if error is None and not link.online:
        log.warning(f"{role}.online")
        return {role: LinkState(True, None, now)}
    return {}


def reading_record(snap: Snapshot) -> dict[str, Any]:
    """One journal row of readings; absent values stay absent (null), never 0."""

    def value(r: Reading[float] | None) -> float | None:
        return None if r is None or r.value is None else round(r.value, 3)

    return {
        "Tr_C": value(snap.tr) if not snap.tr_stale() else None,
        "Tr_state": "stale" if snap.tr_stale() else ("missing" if snap.tr_missing() else "ok"),
        "Tj_C": snap.tj_value(),
        "Tset_C": snap.setpoint,
        "dTr_dt_K_min": None if snap.tr_rate_k_min is None else round(snap.tr_rate_k_min, 3),
        "MTSR_C": _rounded(snap.mtsr_c, 2),
        **_measured(snap),
        "chiller_online": snap.chiller.online,
        "balance_g": value(snap.balance),
        "doser_online": snap.doser.online,
        "chiller_error": snap.chiller_error,
        "status": None if snap.status is None else snap.status.raw,
        "stirrer_rpm": _rounded(snap.stir_speed_value(), 1),
        "stirrer_torque_Ncm": _rounded(snap.stir_torque_value(), 2),
        "stirrer_online": snap.stirrer.online if snap.has_stirrer else None,
    }


def _measured(snap: Snapshot) -> dict[str, float | None]:
    """The model's and the heat balance's MTSR apart, for a run that has them: present (None while the balance
    has no figure, and after the quench) so a retained telemetry topic empties instead of keeping its last value."""
    if snap.mtsr_model_c is None and snap.mtsr_measured_c is None:
        return {}
    return {
        "MTSR_model_C": _rounded(snap.mtsr_model_c, 2),
        "MTSR_measured_C": _rounded(snap.mtsr_measured_c, 2),
        "heat_release_pct": _rounded(snap.heat_release_pct, 1),
    }


def _larger(a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return a if b is None else b
    return max(a, b)


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
