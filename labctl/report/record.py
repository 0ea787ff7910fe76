"""Everything a batch record shows, read from one run's journal records and nothing else.

The report is evidence: it must say what the journal says, so every figure here comes from a record (or the
run's row), and a value the journal does not hold stays None and is printed as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from labctl.journal import Journal, Record, RunInfo
from labctl.journal.chain import Verdict
from labctl.journal.kinds import RecordKind
from labctl.journal.summary import RunSummary, summarize_records
from labctl.report.actions import KINDS as ACTION_KINDS
from labctl.report.deviations import Deviation, find_deviations
from labctl.report.series import Series, read_series
from labctl.report.timeline import Window, guarded_windows, reading_intervals, step_spans


@dataclass(frozen=True)
class Identification:
    """What the instruments said they were, at the start or at a resume."""

    t_s: float
    when: str
    instruments: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Header:
    run: RunInfo
    protocol_name: str
    metadata: dict[str, Any]
    operator: str | None
    started_wall: str | None
    ended_wall: str | None
    outcome: str | None
    """The last session's end; None while the run has not ended (or was resumed after an end)."""
    compromised: bool
    identifications: list[Identification]
    rig_file_instruments: dict[str, dict[str, Any]]
    """What the rig file as run planned for each role (driver, port, model): beside what the unit reported."""
    resumed_by: list[str | None]

    @property
    def instruments(self) -> dict[str, dict[str, Any]]:
        return self.identifications[0].instruments if self.identifications else {}

    @property
    def changed_identifications(self) -> list[Identification]:
        """Later identifications that differ from the one before them (a unit swapped during a stop)."""
        return [
            b
            for a, b in zip(self.identifications, self.identifications[1:], strict=False)
            if a.instruments != b.instruments
        ]


@dataclass(frozen=True)
class DosePlan:
    step_id: str
    total_g: float | None
    portions: int | None
    portion_g: float | None
    """The nominal portion the engine aims at: the total shared equally over the portions."""
    window_s: float | None
    min_interval_s: float | None
    tolerance_pct: float | None
    started_s: float | None


@dataclass
class BatchRecord:
    header: Header
    summary: RunSummary
    series: Series
    steps_plan: list[dict[str, Any]]
    plan_known: bool
    """False for a journal written before labctl recorded the plan: no band, tolerance or override to judge by."""
    dose: DosePlan | None
    windows: list[Window]
    quench_started_s: list[float]
    dosed: list[tuple[float, float]]
    """(time of each portion's result, cumulative grams dispensed after it)."""
    actions: list[Record]
    deviations: list[Deviation]
    findings: list[dict[str, Any]] | None
    """None: the run was journalled before findings were recorded (then the report says so)."""
    chain: Verdict

    @property
    def bands(self) -> list[tuple[float, float]]:
        return list(dict.fromkeys(w.band for w in self.windows))

    @property
    def minutes_outside_band(self) -> float:
        return sum(d.duration_s or 0.0 for d in self.deviations if d.kind == "outside band") / 60.0

    @property
    def portions_done(self) -> int:
        return sum(1 for p in self.summary.portions if p.done)


def read_batch_record(journal: Journal, run_id: str) -> BatchRecord:
    info = journal.run(run_id)
    records = list(journal.records(run_id))
    loaded = _first_data(records, RecordKind.PROTOCOL_LOADED)
    steps_plan: list[dict[str, Any]] = list((loaded or {}).get("steps", []))
    summary = summarize_records(run_id, records)
    windows = guarded_windows(step_spans(records), steps_plan)
    intervals = reading_intervals(records)
    checked = _first_data(records, RecordKind.PROTOCOL_CHECKED)
    tolerances = {
        str(s["id"]): float(s["tolerance"])
        for s in steps_plan
        if s.get("step") == "dose_solid" and s.get("tolerance") is not None
    }
    return BatchRecord(
        header=_header(info, records, loaded or {}),
        summary=summary,
        series=read_series(records),
        steps_plan=steps_plan,
        plan_known=loaded is not None,
        dose=_dose_plan(steps_plan, records),
        windows=windows,
        quench_started_s=[r.t_s for r in records if r.kind == RecordKind.QUENCH_STARTED],
        dosed=_dosed(records),
        actions=[r for r in records if r.kind in ACTION_KINDS],
        deviations=find_deviations(records, summary, windows, intervals, tolerances),
        findings=None if checked is None else list(checked["findings"]),
        chain=journal.verify(run_id),
    )


def _first_data(records: list[Record], kind: RecordKind) -> dict[str, Any] | None:
    return next((r.data for r in records if r.kind == kind), None)


def _header(info: RunInfo, records: list[Record], loaded: dict[str, Any]) -> Header:
    started = next((r for r in records if r.kind == RecordKind.RUN_STARTED), None)
    metadata: dict[str, Any] = dict(loaded.get("metadata", {}))
    ended = _last_end(records)
    return Header(
        run=info,
        protocol_name=_protocol_name(info, metadata, started),
        metadata=metadata,
        operator=_started(started, "operator"),
        started_wall=None if started is None else started.wall,
        ended_wall=None if ended is None else ended.wall,
        outcome=None if ended is None else str(ended.data["state"]),
        compromised=_compromised(records),
        identifications=_identifications(records),
        rig_file_instruments=_rig_instruments(info.rig_text),
        resumed_by=[r.data.get("by") for r in records if r.kind == RecordKind.RUN_RESUMED],
    )


def _started(started: Record | None, key: str) -> Any:
    return None if started is None else started.data.get(key)


def _protocol_name(info: RunInfo, metadata: dict[str, Any], started: Record | None) -> str:
    return str(metadata.get("name") or _started(started, "protocol") or info.protocol_file)


def _last_end(records: list[Record]) -> Record | None:
    """The last session's end: None if the run never ended or was resumed after its last end."""
    sessions = [r for r in records if r.kind in (RecordKind.RUN_ENDED, RecordKind.RUN_RESUMED)]
    return sessions[-1] if sessions and sessions[-1].kind == RecordKind.RUN_ENDED else None


def _compromised(records: list[Record]) -> bool:
    return any(
        r.kind == RecordKind.BATCH_COMPROMISED
        or (r.kind == RecordKind.RUN_ENDED and bool(r.data.get("compromised")))
        for r in records
    )


def _identifications(records: list[Record]) -> list[Identification]:
    return [
        Identification(r.t_s, _when(r), dict(r.data["instruments"]))
        for r in records
        if r.kind in (RecordKind.RUN_STARTED, RecordKind.RUN_RESUMED)
        and isinstance(r.data.get("instruments"), dict)
    ]


def _when(identified: Record) -> str:
    return "at the start" if identified.kind == RecordKind.RUN_STARTED else "at a resume"


def _rig_instruments(rig_text: str) -> dict[str, dict[str, Any]]:
    """The rig text was validated when the run began; one that no longer parses shows as text only."""
    try:
        document = YAML(typ="safe").load(rig_text)
    except YAMLError:
        return {}
    instruments = document.get("instruments") if isinstance(document, dict) else None
    if not isinstance(instruments, dict):
        return {}
    return {str(role): dict(spec) for role, spec in instruments.items() if isinstance(spec, dict)}


def _dose_plan(steps_plan: list[dict[str, Any]], records: list[Record]) -> DosePlan | None:
    step = next((s for s in steps_plan if s.get("step") == "dose_solid"), None)
    if step is None:
        return None
    started = next(
        (r.t_s for r in records if r.kind == RecordKind.STEP_STARTED and r.step == step["id"]), None
    )
    total, count = step.get("total"), step.get("portion_count")
    return DosePlan(
        step_id=step["id"],
        total_g=total,
        portions=count,
        portion_g=total / count if total and count else None,
        window_s=step.get("window"),
        min_interval_s=step.get("min_interval"),
        tolerance_pct=step.get("tolerance"),
        started_s=started,
    )


def _dosed(records: list[Record]) -> list[tuple[float, float]]:
    total, curve = 0.0, []
    for r in records:
        if (
            r.kind in (RecordKind.PORTION_RESULT, RecordKind.PORTION_NOT_STARTED)
            and r.data.get("dispensed_g") is not None
        ):
            total += float(r.data["dispensed_g"])
            curve.append((r.t_s, total))
    return curve


def band_text(band: tuple[float, float]) -> str:
    """`0–5 °C`, but `-70 to -45 °C`: a dash between negative numbers reads as a minus."""
    low, high = band
    joint = "–" if low >= 0 else " to "
    return f"{low:g}{joint}{high:g} °C"
