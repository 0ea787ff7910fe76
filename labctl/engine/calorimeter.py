"""The rig as a heat-flow calorimeter, on the instruments it already has (Tr, Tj, the dosing ledger).

The cool-down before the first oxidant portion calibrates the jacket's transfer (nothing reacts then). From the
first portion on, each poll's Tr and Tj give the heat the reaction releases. What the oxidant dosed so far will
release, less what has been seen released, is still to come (thermal accumulation, as reaction calorimetry reads
it): measured, not assumed from a fixed consumption time. A stall that no sensor sees (solid settled under a
stirrer labctl cannot read) releases nothing, so what is dosed into it stays counted where the model counts it
consumed. The run's MTSR is the larger of the measured one and the model's, so a measurement still short of data
never lowers the model's figure. A fit of the heat curve's shape gives the consumption time and the rise per mole
(the latter used once settled); it is kept in the record, not gated on: it explains a stall as a fast reaction.
"""

from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from labctl.calorimetry.accumulation import AccumulationEstimate, MeasuredAccumulation
from labctl.calorimetry.calibration import Calibration, CalibrationLimits, calibrate
from labctl.calorimetry.errors import CalibrationRejected
from labctl.calorimetry.heat_flow import HeatFlow, HeatFlowEstimate
from labctl.calorimetry.samples import ThermalSample
from labctl.engine.snapshot import Snapshot

CALIBRATION_SPAN_S = 30 * 60.0
"""The cool-down readings a calibration is fitted on: the last half hour before the first portion."""
UA_AGREEMENT = 2.0
"""A fitted UA more than this factor from the protocol's `heat_transfer` disagrees with what was declared: a
heat capacity or a jacket that is not what the protocol says."""
WORST_ENTHALPY_J_MOL = 270e3
"""The most exothermic end of the dosing enthalpy's range (process-model: −150…−270 kJ/mol)."""
TAU_BOUNDS_S = (60.0, 7200.0)
"""The consumption times at 0 °C a fit may find (1 min to 2 h; the spec's range is 5–20 min)."""
REFIT_EVERY_S = 60.0
"""The heat curve changes over minutes; between fits the last one is carried forward on the consumption clock."""
SETTLED_FIT_BINS = 20
"""A fit over ten minutes of heat (30 s bins) tells the rise per mole; earlier ones overshoot it two- to fivefold."""
SETTLED_SPREAD = 0.15
"""The rise per mole is taken from the fit once the fits the heat curve cannot rule out agree on it within 15 %:
earlier ones overshoot it by half and more."""
SETTLED_DRIFT = 0.3
SLOW_REFIT_AFTER_S = 30 * 60.0
SLOW_REFIT_EVERY_S = 10 * 60.0
"""Half an hour after the last portion the curve only confirms what it showed: refitted every 10 min."""


@dataclass(frozen=True)
class Measurement:
    """One poll's figures from the heat balance (None: not measured yet, or no longer)."""

    mtsr_c: float | None = None
    """Tr plus the thermal accumulation: the heat still to come from the oxidant dosed, in adiabatic kelvins."""
    heat_release_pct: float | None = None
    """The heat released so far against the heat the oxidant dosed so far will release (100 % before the first
    portion: nothing is owed)."""


class Calorimeter:
    def __init__(
        self,
        heat_capacity_j_k: float,
        enthalpy_j_mol: float,
        declared_ua_w_k: float | None,
        limits: CalibrationLimits | None = None,
    ) -> None:
        self.heat_capacity_j_k = heat_capacity_j_k
        self.enthalpy_j_mol = enthalpy_j_mol
        self.declared_ua_w_k = declared_ua_w_k
        self._limits = limits or CalibrationLimits()
        self._samples: deque[ThermalSample] = deque()
        self.calibration: Calibration | None = None
        self.rejected: CalibrationRejected | None = None
        self.waived_by: str | None = None
        """The person who let dosing go on with the calibration rejected (on the model alone)."""
        self._flow: HeatFlow | None = None
        self._accumulation = MeasuredAccumulation(
            max_rise_k_mol=self.max_rise_k_mol, tau_bounds_s=TAU_BOUNDS_S
        )
        self._fitted_at: float | None = None
        self._last_portion_at: float | None = None
        self._declared_rise = abs(enthalpy_j_mol) / heat_capacity_j_k
        self._settled_rise: float | None = None
        self._first_settled: AccumulationEstimate | None = None
        self.flow: HeatFlowEstimate | None = None
        self.accumulation: AccumulationEstimate | None = None
        self.closed = False
        """The oxidant was quenched: the balance would count the quench's heat as the oxidant's."""

    @property
    def max_rise_k_mol(self) -> float:
        """The worst enthalpy into the smallest heat capacity a calibration can pass with (UA_AGREEMENT below
        the one given): more heat per mole than this is not the oxidant's."""
        return max(WORST_ENTHALPY_J_MOL, abs(self.enthalpy_j_mol)) * UA_AGREEMENT / self.heat_capacity_j_k

    @property
    def decided(self) -> bool:
        """Calibrated, or rejected and a person chose to go on without the measurement."""
        return self.calibration is not None or self.waived_by is not None

    def observe(self, snap: Snapshot) -> Measurement:
        sample = _sample(snap)
        if self._flow is None:
            if sample is not None and not self.decided and _controlled(snap):
                self._collect(sample)
            return Measurement()
        if self.closed:
            return Measurement()
        self._accumulation.advance(snap.at, snap.tr_value(), snap.stirred_as_far_as_known())
        if sample is not None and (estimate := self._flow.add(sample)) is not None:
            self.flow = estimate
            self._accumulation.heat(estimate)
        return self._measure(snap)

    def calibrate(self) -> Calibration:
        """Fit the transfer on the cool-down just before the first portion; CalibrationRejected when the
        readings cannot support it or disagree with the protocol's heat transfer."""
        try:
            calibration = calibrate(list(self._samples), self.heat_capacity_j_k, self._limits)
            self._agrees(calibration)
        except CalibrationRejected as exc:
            self.rejected = exc
            raise
        self.calibration, self.rejected = calibration, None
        self._flow = HeatFlow(calibration)
        self._samples.clear()
        return calibration

    def restore(self, calibration: Calibration | None, waived_by: str | None, released_j: float) -> None:
        """After a restart: the calibration the journal holds goes on (the cool-down is not there to fit
        again), with the heat seen before; the portions come back through `dosed`."""
        self.waived_by = waived_by
        if calibration is not None:
            self.calibration = calibration
            self._flow = HeatFlow(calibration, released_k=released_j / calibration.heat_capacity_j_k)

    def waive(self, by: str) -> None:
        self.waived_by = by

    def dosed(self, t_s: float, mol: float) -> None:
        if mol > 0:
            self._accumulation.dosed(t_s, mol)
            self._last_portion_at, self._fitted_at = t_s, None
        elif mol < 0:
            self._accumulation.corrected(mol)
            self._fitted_at = None

    def rise_k(self, mol: float) -> float | None:
        """The adiabatic rise `mol` of oxidant gives in this batch as the heat curve measures it; None before
        the balance has a figure."""
        balance, dosed = self._flow, self._accumulation.dosed_mol
        if balance is None or self.closed or dosed <= 0:
            return None
        return self.rise_per_mol(balance.released_k, dosed) * mol

    def consumed(self) -> None:
        self.closed = True

    def reading_fields(self) -> dict[str, float | None]:
        """Always the same columns (None: no figure, or the balance closed), so a retained telemetry topic empties
        instead of keeping its last value."""
        live = not self.closed
        flow = self.flow if live else None
        estimate = self.accumulation if live else None
        return {
            "q_W": None if flow is None else round(flow.q_w, 2),
            "heat_released_kJ": None if flow is None else round(flow.released_j / 1000, 3),
            "unreacted_fit_mol": None if estimate is None else round(estimate.unreacted_mol, 5),
            "tau_fit_min": None if estimate is None else round(estimate.tau_0c_s / 60, 2),
        }

    def _measure(self, snap: Snapshot) -> Measurement:
        """Thermal accumulation, as reaction calorimetry reads it: the heat the oxidant dosed so far will
        release, less the heat the balance has seen released. A stall (solid settled, unseen by any sensor)
        releases nothing, so what is dosed into it stays counted; the consumption fit would explain the missing
        heat as a fast reaction and is kept for the record, not for the permit."""
        self._fit(snap.at)
        balance, tr = self._flow, snap.tr_value()
        dosed = self._accumulation.dosed_mol
        if dosed <= 0:  # calibrated, nothing dosed: no heat is owed, none has come
            return Measurement(tr, 100.0)
        if balance is None or tr is None:
            return Measurement()
        released = balance.released_k
        expected_k = self.rise_per_mol(released, dosed) * dosed
        return Measurement(tr + expected_k - released, 100 * released / expected_k)

    def rise_per_mol(self, released_k: float, dosed_mol: float) -> float:
        """The adiabatic rise per mole of oxidant in this batch: the heat curve's own once a fit has settled,
        the calibration's estimate until then, and never less than the heat already seen per mole dosed."""
        settled = self._settled_rise if self._settled_rise is not None else self.estimated_rise_k_mol()
        return max(settled, released_k / dosed_mol)

    def estimated_rise_k_mol(self) -> float:
        """|ΔH| over the heat capacity the calibration implies with the protocol's declared UA (C = UA / a: the
        glass and the stirrer included, which the charge's figure leaves out; a heat capacity smaller than the
        batch's would count heat that never comes as still to come, and hold dosing for good)."""
        cal, declared = self.calibration, self.declared_ua_w_k
        if cal is None or declared is None:
            return self._declared_rise
        return abs(self.enthalpy_j_mol) * cal.transfer_s / declared

    def _fit(self, now: float) -> None:
        if self._refit_due(now):
            self.accumulation = self._accumulation.estimate(now)
            self._fitted_at = now if self.accumulation is not None else None
            estimate = self.accumulation
            if estimate is not None and self._settled(estimate):
                self._settled_rise = estimate.rise_k_mol
                self._first_settled = self._first_settled or estimate
        else:
            self.accumulation = self._accumulation.project(now)

    def _settled(self, estimate: AccumulationEstimate) -> bool:
        """A fit to take the rise per mole from: ten minutes of heat that pin it down, a consumption time inside
        the fit's range
        (one at its edge is a heat curve first-order consumption does not explain: a stall, a restart), a rise
        per mole within UA_AGREEMENT of the calibration's estimate, and once one has settled, a rise per mole and
        a consumption time within SETTLED_DRIFT of the first settled fit's: a stall no sensor sees makes the fit
        explain the missing heat with an ever faster reaction and smaller rise per mole, refit by refit, and
        that must not become the batch's figure."""
        low, high = TAU_BOUNDS_S
        rise = estimate.rise_k_mol
        estimated = self.estimated_rise_k_mol()
        if estimate.heat_points < SETTLED_FIT_BINS or not low * 1.05 < estimate.tau_0c_s < high / 1.05:
            return False
        if estimate.rise_spread > SETTLED_SPREAD:
            return False
        if not estimated / UA_AGREEMENT <= rise <= estimated * UA_AGREEMENT:
            return False
        first = self._first_settled
        if first is None:
            return True
        return _near(rise, first.rise_k_mol) and _near(estimate.tau_0c_s, first.tau_0c_s)

    def _refit_due(self, now: float) -> bool:
        if self._fitted_at is None:
            return True
        quiet = self._last_portion_at is not None and now - self._last_portion_at > SLOW_REFIT_AFTER_S
        return now - self._fitted_at >= (SLOW_REFIT_EVERY_S if quiet else REFIT_EVERY_S)

    def _collect(self, sample: ThermalSample) -> None:
        samples = self._samples
        if samples and sample.t_s <= samples[-1].t_s:
            return
        samples.append(sample)
        while sample.t_s - samples[0].t_s > CALIBRATION_SPAN_S:
            samples.popleft()

    def _agrees(self, calibration: Calibration) -> None:
        declared = self.declared_ua_w_k
        if declared is None:
            raise CalibrationRejected(
                "the protocol declares no reactor.heat_transfer: the heat capacity cannot be checked against the "
                "jacket, and a wrong one would count heat that never comes as still to come",
                calibration.facts(),
            )
        ratio = calibration.ua_w_k / declared
        if not 1 / UA_AGREEMENT <= ratio <= UA_AGREEMENT:
            raise CalibrationRejected(
                f"UA {calibration.ua_w_k:.2f} W/K at C {self.heat_capacity_j_k / 1000:.2f} kJ/K is "
                f"{ratio:.2f}x the protocol's {declared:g} W/K (within {UA_AGREEMENT:g}x expected): the heat "
                "capacity or the jacket is not what the protocol declares",
                calibration.facts(),
            )


def _near(value: float, reference: float) -> bool:
    return abs(value - reference) <= SETTLED_DRIFT * reference


def calibration_record(calibration: Calibration) -> dict[str, Any]:
    """Everything a calibration is, so a journal holds the figures the balance stood on."""
    return {"accepted": True, **calibration.facts(), "fit": asdict(calibration)}


def _sample(snap: Snapshot) -> ThermalSample | None:
    """A sample only from both temperatures fresh and read in this poll's time: a balance never guesses one."""
    tr, tj = snap.tr_value(), snap.tj_value()
    if tr is None or tj is None or snap.tr is None:
        return None
    return ThermalSample(snap.tr.at, tr, tj)


def _controlled(snap: Snapshot) -> bool:
    """The jacket circulates under temperature control: otherwise Tj is not what the transfer sees."""
    status = snap.status
    return status is not None and status.temperature_control and not snap.chiller_fault()
