"""Stirring as the batch needs it, on a rig whose stirrer is an instrument (issue 14, #5).

A solid dosed into an unstirred mass settles and accumulates; when stirring comes back it dissolves at once and the
heat of everything dosed since comes together. So stirring is measured, not assumed: the shaft's speed against the
unit's setpoint (Snapshot.stirring). Once stirring was seen or started, losing it for LOSS_GRACE_S is

- while solid is at risk (a dose step runs, a portion is dispensing, or unreacted oxidant worth AT_RISK_RISE_K
  adiabatic): a trip the protocol cannot leave out. Additions stop, full cooling, and labctl stops the motor so a
  shaft that frees itself cannot restart stirring unattended. The restart is a prompt, opened once the trip is
  acknowledged, that names the unreacted amount; the run cannot resume until the stirrer is seen turning again.
- otherwise an alarm that clears when the shaft turns again.

A stirrer whose link is down is unknown, never assumed to stir: the permit holds portions and an alarm says so.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import Callable
from dataclasses import dataclass

from devices.errors import DeviceError
from labctl.engine.accumulation import OxidantModel
from labctl.engine.alarms import Level
from labctl.engine.control import Delivery, Prompt, RunState
from labctl.engine.resume import HeldStirrer
from labctl.engine.run_context import RunContext
from labctl.engine.snapshot import Snapshot
from labctl.journal.kinds import RecordKind

LOSS_GRACE_S = 5.0
"""A speed change ramps for a second or two; a stall or a stop stays. The permit holds portions meanwhile."""
RESTART_VERIFY_S = 30.0
AT_RISK_RISE_K = 1.0
LOST_ALARM = "stirring-lost"
OFFLINE_ALARM = "stirrer-offline"
NOT_TURNING_ALARM = "stirrer-not-turning"
LIMITED_ALARM = "stirrer-speed-limited"


@dataclass
class HeldRestart:
    """labctl stopped the motor after a loss with solid at risk; a person decides when it turns again."""

    since: float
    speed_rpm: float
    prompt: Prompt | None = None
    restarted_at: float | None = None


class StirringContext(RunContext, typing.Protocol):
    """What the stirring guard uses of the run: whether a solid is at risk, and the trip it may decide."""

    @property
    def state(self) -> RunState: ...

    @property
    def prompt(self) -> Prompt | None: ...

    @property
    def step_kind(self) -> str | None: ...

    @property
    def oxidant(self) -> OxidantModel | None: ...

    @property
    def additions_running(self) -> set[str]: ...

    def open_prompt(
        self,
        message: str,
        delivery: Delivery | None = None,
        on_decline: Callable[[str], None] | None = None,
    ) -> Prompt: ...

    async def stop_additions(self, because: str) -> None: ...

    async def trip(self, why: str) -> None: ...


class StirringGuard:
    def __init__(self, engine: StirringContext) -> None:
        self._eng = engine
        self.expected = False
        """labctl started the stirrer or saw it stirring: from then on a stop is a loss."""
        self.lost = False
        self.held: HeldRestart | None = None
        self._unverified_since: float | None = None
        self._stop_after_restart = False

    def restore(self, held: HeldStirrer | None, now_s: float) -> None:
        """A controller restart must not forget a held restart: the motor is stopped again at the first check
        (a shaft turned on at the unit meanwhile is not a confirmed restart); one confirmed before the restart
        gets its RESTART_VERIFY_S from now."""
        if held is None:
            return
        self.expected = self.lost = True
        self.held = HeldRestart(held.since_s, held.speed_rpm, restarted_at=now_s if held.confirmed else None)
        self._stop_after_restart = not held.confirmed

    @property
    def resume_blocker(self) -> str | None:
        held = self.held
        if held is None:
            return None
        prompt = (
            f" (prompt {held.prompt.id})" if held.prompt is not None else " once the trip is acknowledged"
        )
        return f"the stirrer was stopped after stirring was lost: confirm its restart first{prompt}"

    async def run_at(self, rpm: float | None) -> None:
        """A `stir` step: its speed (if it names one) and the motor on; the stirrer then runs until told."""
        eng, stirrer = self._eng, self._eng.devices.stirrer
        assert stirrer is not None
        assert self.held is None
        if rpm is not None:
            applied = await eng.send("stirrer", "speed", stirrer.set_speed(rpm), rpm=rpm)
            eng.supervisor.note_stir_setpoint(applied.in_force)
            if applied.limited:
                eng.raise_alarm(
                    LIMITED_ALARM, Level.ALARM, f"the stirrer kept {applied.in_force:g} rpm, not {rpm:g} rpm"
                )
        await eng.send("stirrer", "start", stirrer.start())
        self.expected = True

    async def check(self) -> None:
        """Once per cycle, after the poll and the interlocks."""
        eng = self._eng
        if eng.devices.stirrer is None:
            return
        snap = eng.snapshot
        self._watch_link(snap)
        if self._stop_after_restart:
            self._stop_after_restart = False
            await self._stop_motor()
        if self.held is not None:
            await self._held(snap, self.held)
            return
        stirring = snap.stirring()
        if stirring:
            self._unverified_since = None
            self.expected = True
            if self.lost:
                self.lost = False
                eng.record(RecordKind.STIRRING_RESTORED, _facts(snap))
                eng.clear_alarm(LOST_ALARM)
            return
        if stirring is None or not self.expected or self.lost:
            return
        since = self._unverified_since if self._unverified_since is not None else eng.now()
        self._unverified_since = since
        if eng.now() - since >= LOSS_GRACE_S:
            self.lost = True
            await self._lost(snap)

    def _watch_link(self, snap: Snapshot) -> None:
        eng = self._eng
        if snap.stirrer.online:
            eng.clear_alarm(OFFLINE_ALARM)
        elif self.expected:
            eng.raise_alarm(
                OFFLINE_ALARM,
                Level.ALARM,
                f"no answer from the stirrer ({snap.stirrer.error}): stirring unknown, no portion starts",
            )

    def _rise_k(self) -> float:
        oxidant = self._eng.oxidant
        return 0.0 if oxidant is None else oxidant.rise_k(oxidant.unreacted_mol)

    def _at_risk(self) -> bool:
        eng = self._eng
        return (
            eng.step_kind == "dose_solid"
            or "doser" in eng.additions_running
            or self._rise_k() >= AT_RISK_RISE_K
        )

    async def _lost(self, snap: Snapshot) -> None:
        eng, at_risk = self._eng, self._at_risk()
        facts = _facts(snap)
        oxidant = eng.oxidant
        unreacted = None if oxidant is None else round(oxidant.unreacted_mol, 5)
        eng.record(
            RecordKind.STIRRING_LOST,
            {**facts, "unreacted_mol": unreacted, "rise_K": round(self._rise_k(), 2)},
        )
        shaft = f"{_rpm(snap.stir_speed_value())} of {_rpm(snap.stir_setpoint)} rpm"
        if not at_risk:
            eng.raise_alarm(LOST_ALARM, Level.ALARM, f"stirring lost ({shaft}); no solid at risk")
            return
        await eng.stop_additions(because=LOST_ALARM)
        await self._stop_motor()
        self.held = HeldRestart(eng.now(), snap.stir_setpoint or 0.0)
        eng.raise_alarm(
            LOST_ALARM,
            Level.TRIP,
            f"stirring lost while dosing solid ({shaft}); unreacted oxidant {unreacted} mol "
            f"(+{self._rise_k():.1f} K if it reacts at once). labctl stopped the motor so it cannot start by "
            "itself; its restart waits for a person",
        )
        await eng.trip(LOST_ALARM)

    async def _stop_motor(self) -> None:
        eng, stirrer = self._eng, self._eng.devices.stirrer
        assert stirrer is not None
        with contextlib.suppress(DeviceError):  # journalled as command.failed; the restart still waits
            await eng.send("stirrer", "stop", stirrer.stop(), because=LOST_ALARM)

    async def _held(self, snap: Snapshot, held: HeldRestart) -> None:
        eng = self._eng
        if held.restarted_at is not None:
            await self._verify_restart(snap, held)
            return
        if held.prompt is not None:
            if held.prompt.answered:
                await self._restart(held)
            return
        if eng.state is RunState.PAUSED and eng.prompt is None:
            held.prompt = eng.open_prompt(
                f"Stirring was lost and labctl stopped the stirrer. Unreacted oxidant: +{self._rise_k():.1f} K "
                "if it reacts at once, which restarting the stirrer can cause; the jacket stays at full cooling "
                f"until you resume. Confirm to restart the stirrer at {held.speed_rpm:g} rpm."
            )

    async def _restart(self, held: HeldRestart) -> None:
        eng, stirrer = self._eng, self._eng.devices.stirrer
        assert stirrer is not None
        assert held.prompt is not None
        eng.record(RecordKind.STIRRER_RESTART, {"by": held.prompt.answered_by, "rpm": held.speed_rpm})
        held.restarted_at = eng.now()
        with contextlib.suppress(DeviceError):  # not seen turning in time below: asked again
            if held.speed_rpm > 0:
                applied = await eng.send(
                    "stirrer", "speed", stirrer.set_speed(held.speed_rpm), rpm=held.speed_rpm
                )
                eng.supervisor.note_stir_setpoint(applied.in_force)
            await eng.send("stirrer", "start", stirrer.start())

    async def _verify_restart(self, snap: Snapshot, held: HeldRestart) -> None:
        eng = self._eng
        assert held.restarted_at is not None
        if snap.stirring():
            eng.record(
                RecordKind.STIRRING_RESTORED,
                {**_facts(snap), "after_s": round(eng.now() - held.restarted_at, 1)},
            )
            self.held, self.lost, self._unverified_since = None, False, None
            eng.clear_alarm(NOT_TURNING_ALARM)
            eng.clear_alarm(LOST_ALARM)
            return
        if eng.now() - held.restarted_at < RESTART_VERIFY_S:
            return
        await self._stop_motor()
        eng.raise_alarm(
            NOT_TURNING_ALARM,
            Level.ALARM,
            f"the stirrer did not turn within {RESTART_VERIFY_S:g} s of its restart "
            f"({_rpm(snap.stir_speed_value())} rpm): stopped again; free the shaft and confirm again",
        )
        held.prompt, held.restarted_at = None, None


def _rpm(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f}"


def _facts(snap: Snapshot) -> dict[str, float | None]:
    torque = snap.stir_torque_value()
    return {
        "speed_rpm": snap.stir_speed_value(),
        "setpoint_rpm": snap.stir_setpoint,
        "torque_Ncm": None if torque is None else round(torque, 2),
    }
