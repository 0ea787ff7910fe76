"""The fault matrix: every named simulator fault, in every shipped protocol, at the moment it hurts most, and
what labctl made of it, judged by rules that hold for any fault rather than by a script per case.

A chemist stands by: whenever the run waits for a person, or once the fault has been put right, they
acknowledge the alarms and ask to resume (a trip or pause is never left for the run to leave by itself). Faults
that nobody can put right in a dry run (a broken compressor, an empty dosing head) stay: the run must then end
`halted` or otherwise not `completed`, with the rig safe.

Used by `tests/dryrun/test_fault_matrix.py` (a selection, within CI's time) and `benchmarks/bench_fault_matrix.py`
(the whole matrix, printed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from labctl.dryrun.operator import SimulatedOperator
from labctl.engine.control import RunState, Verb
from labctl.engine.engine import Engine
from labctl.journal import Record
from tests.dryrun.conftest import PROTOCOLS, DryRun, run_dry


@dataclass(frozen=True)
class Fault:
    label: str
    start: str
    clear: str | None = None
    """The fault that puts it right, `lasts_s` after `start`; None: it stays, or mends itself (a cut link is
    reopened by the driver, garbled bytes pass)."""
    lasts_s: float = 0.0
    phase: str = "critical"
    """When it hurts most: `critical` (the protocol's dosing or cold hold) or `quench` (where there is one)."""
    stays: bool = False
    """Nothing in a dry run puts it right: the chemist never resumes."""

    @property
    def put_right_after_s(self) -> float:
        return self.lasts_s


FAULTS: tuple[Fault, ...] = (
    Fault("chiller power off 10 s", "chiller.power-off", "chiller.power-on", 10),
    Fault("chiller power off 2 min", "chiller.power-off", "chiller.power-on", 120),
    Fault("chiller power off 10 min", "chiller.power-off", "chiller.power-on", 600),
    Fault("chiller compressor failure", "chiller.compressor-failure", stays=True),
    Fault("chiller circulation stop", "chiller.circulation-stop", stays=True),
    Fault("process probe lost 10 min", "chiller.probe-unplugged", "chiller.probe-plugged", 600),
    Fault("chiller link silent 2 min", "chiller.link-silent", "chiller.link-restored", 120),
    Fault("chiller link slow 10 min", "chiller.link-slow", "chiller.link-restored", 600),
    Fault("chiller link cut", "chiller.link-disconnect"),
    Fault("stirrer stopped 5 min", "stirrer.stop", "stirrer.start", 300),
    Fault("stirrer link silent 2 min", "stirrer.link-silent", "stirrer.link-restored", 120),
    Fault("stirrer link slow 10 min", "stirrer.link-slow", "stirrer.link-restored", 600),
    Fault("stirrer link cut", "stirrer.link-disconnect"),
    Fault("stirrer link garbled", "stirrer.link-garbled"),
    Fault("doser powder flow error 5 min", "doser.powder-flow-error", "doser.powder-flow-restored", 300),
    Fault("doser head empty", "doser.empty-head", stays=True),
    Fault("doser head dose limit", "doser.dose-limit", stays=True),
    Fault(
        "doser door forced open", "doser.door-open", stays=True
    ),  # a person closes it; labctl never moves it
    Fault("doser link silent 2 min", "doser.link-silent", "doser.link-restored", 120),
    Fault("doser link slow 10 min", "doser.link-slow", "doser.link-restored", 600),
    Fault("doser link cut", "doser.link-disconnect"),
    Fault("doser link garbled", "doser.link-garbled"),
    Fault("doser link dropped bytes", "doser.link-dropped-bytes"),
    Fault("pump occluded 5 min", "pump.occlusion", "pump.occlusion-cleared", 300, phase="quench"),
    Fault("pump overheated 5 min", "pump.overheated", "pump.cooled-down", 300, phase="quench"),
    Fault(
        "pump reservoir empty 5 min", "pump.reservoir-empty", "pump.reservoir-refilled", 300, phase="quench"
    ),
    Fault("pump link cut", "pump.link-disconnect", phase="quench"),
    Fault("pump link garbled", "pump.link-garbled", phase="quench"),
    Fault("pump link dropped bytes", "pump.link-dropped-bytes", phase="quench"),
    Fault("pump link slow", "pump.link-slow", phase="quench", stays=True),
)


@dataclass(frozen=True)
class Target:
    """A shipped protocol and its worst moments with seed 1 (from its nominal journal)."""

    name: str
    protocol: Path
    critical_s: float
    quench_s: float | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    tr_limit_c: float = math.inf
    """The hottest Tr the batch may see after any fault the rig can answer (not a broken compressor) ..."""
    limit_until_step: str | None = None
    """... until this step starts (the quench's heat and the warm-up are meant)."""
    solid_g: float | None = None
    """What a run that ends `completed` has dosed, as the doser itself recorded it ..."""
    quench_ml: float | None = None
    """... and pumped, as the pump recorded it (DOSED_WITHIN, PUMPED_WITHIN say how closely)."""

    def at(self, fault: Fault) -> float:
        if fault.phase == "quench" and self.quench_s is not None:
            return self.quench_s
        return self.critical_s


TARGETS: tuple[Target, ...] = (
    # portion 2 of 10 in flight (portions start 41:15, 43:15, 44:34 …); the quench's pump starts at 185:51
    Target(
        "scale-up",
        PROTOCOLS / "kmno4-dihydroxylation-scaleup.yaml",
        43.5 * 60,
        186.2 * 60,
        tr_limit_c=10.0,
        limit_until_step="quench",
        solid_g=47.5,
        quench_ml=50.0,
    ),
    Target(
        "5 mmol",
        PROTOCOLS / "kmno4-dihydroxylation-5mmol.yaml",
        43.5 * 60,
        174.6 * 60,
        tr_limit_c=10.0,
        limit_until_step="quench",
        solid_g=0.948,
        quench_ml=10.0,
    ),
    # half an hour into the storage hold (it starts at 48:57)
    Target(
        "MgBr storage",
        PROTOCOLS / "mgbr-cold-storage.yaml",
        79 * 60,
        parameters={"storage_time": "100 min"},
        tr_limit_c=-40.0,
        limit_until_step="release",
    ),
    # an hour into the −43 °C hold with MgBr charged (it starts at 29:58)
    Target(
        "KCp*/MgBr",
        PROTOCOLS / "mgbr-kcp-cluster.yaml",
        90 * 60,
        parameters={"hold_time": "2 h", "warmup_time": "1 h"},
        tr_limit_c=-40.0,
        limit_until_step="warm-up",
    ),
)


MAX_RESUMES = 5
"""A chemist who has resumed this often into the same trouble stops and calls for help (the run then halts):
so a fault the matrix thinks put right, but that is not, ends its cell instead of looping for ever."""


class StandByChemist:
    """Confirms prompts; from `fixed_at_s` on (the fault put right, plus a minute to see to it) acknowledges
    every alarm and asks to resume whenever the run waits. Never before: a chemist does not resume into a fault."""

    def __init__(self, fixed_at_s: float) -> None:
        self.prompts = SimulatedOperator()
        self.fixed_at_s = fixed_at_s
        self.resumes = 0

    def __call__(self, eng: Engine) -> None:
        self.prompts(eng)
        if eng.now() < self.fixed_at_s or self.resumes >= MAX_RESUMES:
            return
        for alarm in eng.alarms.unacknowledged():
            eng.command(Verb.ACK_ALARM, "chemist", alarm.id)
        if eng.state is RunState.PAUSED and eng.command(Verb.RESUME, "chemist", None).accepted:
            self.resumes += 1


@dataclass(frozen=True)
class Cell:
    target: Target
    fault: Fault

    @property
    def at_s(self) -> float:
        return self.target.at(self.fault)

    @property
    def fixed_at_s(self) -> float:
        return math.inf if self.fault.stays else self.at_s + self.fault.lasts_s + 60.0

    def schedule(self) -> list[tuple[float, str]]:
        faults = [(self.at_s, self.fault.start)]
        if self.fault.clear is not None:
            faults.append((self.at_s + self.fault.lasts_s, self.fault.clear))
        return faults

    async def run(self, tmp_path: Path) -> DryRun:
        return await run_dry(
            tmp_path,
            self.target.protocol,
            faults=self.schedule(),
            parameters=self.target.parameters or None,
            operator=StandByChemist(self.fixed_at_s),
        )


CELLS: tuple[Cell, ...] = tuple(Cell(t, f) for t in TARGETS for f in FAULTS)


DOSED_WITHIN = 0.03
"""A completed run dosed its plan within this fraction (the doser weighs each portion to a tighter tolerance) ..."""
PUMPED_WITHIN = 0.15
"""... and pumped it within this one: the tubing moves what the head counts only to a few per cent (σ 3 % in the
simulated world), and labctl has only the pump's count; a quench stopped short or never pumped is far outside. A
quench a person saw fall short is pumped again in full, so a completed run may hold up to one plan more per time."""
PHYSICS = ("chiller.compressor-failure", "chiller.circulation-stop")
"""Faults that take the cooling away for good: how warm the batch gets is the physics' answer, not labctl's."""
UNPOWERED_FOR = 2.0
"""A chiller without power cools nothing: how warm the mass gets while it is off, and until the jacket has had as
long again to pull it back, is the physics' answer (the matrix prints it); after that, labctl's."""
SELF_MENDING = ("link-disconnect", "link-garbled", "link-dropped-bytes")
FINISHED = (RunState.COMPLETED, RunState.COMPLETED_WITH_DEVIATIONS, RunState.COMPROMISED)


@dataclass(frozen=True)
class Verdict:
    cell: Cell
    outcome: str
    tr_max_c: float | None
    """From the fault until the step the target's limit ends with (measured: None if the probe never read)."""
    alarms: list[str]
    """Alarm ids raised from the fault on, in order (each once)."""
    problems: list[str]

    @property
    def recovered(self) -> str:
        if self.cell.fault.stays:
            return "-"
        return "yes" if self.outcome == RunState.COMPLETED else "no"

    def line(self) -> str:
        tr = "—" if self.tr_max_c is None else f"{self.tr_max_c:7.2f}"
        alarms = ",".join(self.alarms[:3]) + (",…" if len(self.alarms) > 3 else "")
        verdict = "ok" if not self.problems else "PROBLEM: " + "; ".join(self.problems)
        return (
            f"{self.cell.target.name:13s} {self.cell.fault.label:31s} Tr max {tr:>7s} °C  "
            f"recovered {self.recovered:3s}  {self.outcome:26s} {alarms or '-':48s} {verdict}"
        )


def judge(cell: Cell, run: DryRun) -> Verdict:
    at = cell.at_s
    ended = run.of("run.ended")
    outcome = str(ended[-1].data["state"]) if ended else "not ended"
    readings = [r for r in _guarded_readings(cell, run) if r.data["Tr_C"] is not None]
    guarded = [r.data["Tr_C"] for r in readings]
    raised = [r.data["id"] for r in run.of("alarm.raised") if r.t_s >= at]
    problems = (
        _untruthful(run, outcome)
        + _not_carried_out(cell.target, run, outcome)
        + _additions_while_unsafe(cell, run)
        + _too_warm(cell, readings)
        + _not_recovered(cell, run, outcome)
    )
    return Verdict(cell, outcome, max(guarded) if guarded else None, list(dict.fromkeys(raised)), problems)


def _untruthful(run: DryRun, outcome: str) -> list[str]:
    if outcome != RunState.COMPLETED:
        return []
    found = [f"completed with {a} never acknowledged" for a in _open_alarms(run)]
    if run.of("batch.compromised"):
        found.append("completed with the batch compromised")
    return found


def _open_alarms(run: DryRun) -> list[str]:
    """Alarms whose last raise was neither acknowledged nor cleared (a hold-level one clears with its cause)."""
    last_raised = {r.data["id"]: r.seq for r in run.of("alarm.raised")}
    settled = {r.data["id"]: r.seq for r in run.records if r.kind in ("alarm.acknowledged", "alarm.cleared")}
    return sorted(a for a, seq in last_raised.items() if settled.get(a, -1) < seq)


def _not_carried_out(target: Target, run: DryRun, outcome: str) -> list[str]:
    """`completed` says the plan was done: the instruments' own ledgers must agree."""
    if outcome != RunState.COMPLETED:
        return []
    ledgers = run.result.ledgers
    dosed = sum(d["dispensed_g"] or 0.0 for d in ledgers.get("doser", []))
    pumped = sum(p["delivered_ml"] for p in ledgers.get("pump", []))
    found = []
    repumped = len(run.of("quench.unconfirmed"))  # each pumped again in full: excess bisulfite is harmless
    plan = (
        ("dosed", target.solid_g, dosed, "g", DOSED_WITHIN, 0),
        ("pumped", target.quench_ml, pumped, "mL", PUMPED_WITHIN, repumped),
    )
    for what, planned, done, unit, within, again in plan:
        if planned is None:
            continue
        if not (1 - within) * planned <= done <= (1 + within) * planned * (1 + again):
            found.append(f"completed having {what} {done:.3g} {unit} of {planned:g} {unit}")
    return found


def _trip_windows(run: DryRun) -> list[tuple[float, float]]:
    """From each trip to the next resume by a person (or the end): nothing may be added in between."""
    trips = [r.t_s for r in run.of("run.state") if r.data["to"] in ("tripped", "emergency")]
    resumes = [
        r.t_s
        for r in run.of("run.state")
        if r.data["to"] == "running" and r.data["reason"] == "operator resume"
    ]
    windows = []
    for t in trips:
        after = [s for s in resumes if s > t]
        windows.append((t, after[0] if after else math.inf))
    return windows


def _additions(run: DryRun) -> list[float]:
    pump_starts = [
        r.t_s for r in run.of("command") if r.data["device"] == "pump" and r.data["command"] == "start"
    ]
    return [r.t_s for r in run.of("portion.start")] + pump_starts


def _additions_while_unsafe(cell: Cell, run: DryRun) -> list[str]:
    windows = _trip_windows(run)
    fault = cell.fault
    device = fault.start.split(".")[0]
    if device in ("chiller", "stirrer") and not fault.start.endswith(SELF_MENDING):
        end = math.inf if fault.stays or fault.clear is None else cell.at_s + fault.lasts_s
        if device == "stirrer":
            windows.append((cell.at_s + 5.0, end))  # a poll or two to notice (LOSS_GRACE_S)
        else:
            windows.append((cell.at_s + 2.0, end))
    return [
        f"{'portion' if t in [r.t_s for r in run.of('portion.start')] else 'pump'} started at "
        f"{t / 60:.1f} min, while unsafe from {a / 60:.1f} min"
        for t in _additions(run)
        for a, b in windows
        if a < t < b
    ]


def _guarded_readings(cell: Cell, run: DryRun) -> list[Record]:
    until = cell.target.limit_until_step
    starts = [r.t_s for r in run.of("step.started") if r.step == until]
    end = starts[0] if starts else math.inf
    return [r for r in run.of("reading") if cell.at_s <= r.t_s < end]


def _too_warm(cell: Cell, readings: list[Record]) -> list[str]:
    if cell.fault.start in PHYSICS:
        return []
    if cell.fault.start == "chiller.power-off":
        unpowered = (cell.at_s, cell.at_s + UNPOWERED_FOR * cell.fault.lasts_s)
        readings = [r for r in readings if not unpowered[0] <= r.t_s <= unpowered[1]]
    tr = [r.data["Tr_C"] for r in readings]
    if not tr or max(tr) <= cell.target.tr_limit_c:
        return []
    return [f"Tr reached {max(tr):.2f} °C (limit {cell.target.tr_limit_c:g} °C)"]


def _not_recovered(cell: Cell, run: DryRun, outcome: str) -> list[str]:
    if cell.fault.stays:
        return []
    if outcome == RunState.COMPLETED:
        return []
    if outcome == RunState.COMPROMISED and cell.fault.start == "chiller.power-off":
        return []  # the physics may allow no more (the matrix prints how warm it got)
    return [
        f"a fault put right at {(cell.at_s + cell.fault.lasts_s) / 60:.1f} min, yet the run ended {outcome}"
    ]
