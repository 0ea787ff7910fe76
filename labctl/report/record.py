"""Everything a batch record shows, read from one run's journal records and nothing else.

The report is evidence: it must say what the journal says, so every figure here comes from a record (or the
run's row), and a value the journal does not hold stays None and is printed as such.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from labctl.journal import Journal, Record, RunInfo
from labctl.journal.chain import Verdict
from labctl.journal.summary import RunSummary, summarize
from labctl.report.actions import KINDS as ACTION_KINDS
from labctl.report.deviations import Deviation, find_deviations
from labctl.report.series import Series, read_series


@dataclass(frozen=True)
class Header:
    run: RunInfo
    protocol_name: str
    metadata: dict[str, Any]
    operator: str | None
    started_wall: str | None
    ended_wall: str | None
    outcome: str | None
    compromised: bool
    instruments: dict[str, dict[str, Any]]
    rig_file_instruments: dict[str, dict[str, Any]]
    """What the rig file as run planned for each role (driver, port, model): beside what the unit reported."""
    resumed_by: list[str | None]


@dataclass(frozen=True)
class DosePlan:
    step_id: str
    total_g: float | None
    portions: int | None
    portion_g: float | None
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
    planned_g: dict[int, float]
    dose: DosePlan | None
    band: tuple[float, float] | None
    quench_started_s: list[float]
    dosed: list[tuple[float, float]]
    """(time of each portion's result, cumulative grams dispensed after it)."""
    actions: list[Record]
    deviations: list[Deviation]
    findings: list[dict[str, Any]] | None
    """None: the run was journalled before findings were recorded (then the report says so)."""
    chain: Verdict
    interlocks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def minutes_outside_band(self) -> float:
        return sum(d.duration_s or 0.0 for d in self.deviations if d.kind == "outside band") / 60.0


def read_batch_record(journal: Journal, run_id: str) -> BatchRecord:
    info = journal.run(run_id)
    records = list(journal.records(run_id))
    loaded = _first_data(records, "protocol.loaded") or {}
    steps_plan: list[dict[str, Any]] = list(loaded.get("steps", []))
    summary = summarize(journal, run_id)
    dose = _dose_plan(steps_plan, records)
    band = _band(steps_plan)
    checked = _first_data(records, "protocol.checked")
    return BatchRecord(
        header=_header(info, records, loaded),
        summary=summary,
        series=read_series(records),
        steps_plan=steps_plan,
        planned_g={
            r.data["portion"]: float(r.data["target_g"]) for r in records if r.kind == "portion.planned"
        },
        dose=dose,
        band=band,
        quench_started_s=[r.t_s for r in records if r.kind == "quench.started"],
        dosed=_dosed(records),
        actions=[r for r in records if r.kind in ACTION_KINDS],
        deviations=find_deviations(records, summary, band, dose.tolerance_pct if dose else None),
        findings=None if checked is None else list(checked["findings"]),
        chain=journal.verify(run_id),
        interlocks=list(loaded.get("interlocks", [])),
    )


def _first_data(records: list[Record], kind: str) -> dict[str, Any] | None:
    return next((r.data for r in records if r.kind == kind), None)


def _header(info: RunInfo, records: list[Record], loaded: dict[str, Any]) -> Header:
    started = next((r for r in records if r.kind == "run.started"), None)
    ended = [r for r in records if r.kind == "run.ended"]
    metadata: dict[str, Any] = dict(loaded.get("metadata", {}))
    name = metadata.get("name") or (started.data.get("protocol") if started else None) or info.protocol_file
    return Header(
        run=info,
        protocol_name=str(name),
        metadata=metadata,
        operator=started.data.get("operator") if started else None,
        started_wall=started.wall if started else None,
        ended_wall=ended[-1].wall if ended else None,
        outcome=str(ended[-1].data["state"]) if ended else None,
        compromised=any(r.kind == "batch.compromised" for r in records)
        or any(bool(r.data.get("compromised")) for r in ended),
        instruments=dict(started.data.get("instruments") or {}) if started else {},
        rig_file_instruments=_rig_instruments(info.rig_text),
        resumed_by=[r.data.get("by") for r in records if r.kind == "run.resumed"],
    )


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
    started = next((r.t_s for r in records if r.kind == "step.started" and r.step == step["id"]), None)
    total, count, portion = step.get("total"), step.get("portions"), step.get("portion")
    if count is None and total and portion:
        count = math.ceil(total / portion - 1e-9)
    return DosePlan(
        step_id=step["id"],
        total_g=total,
        portions=count,
        portion_g=portion if portion else (total / count if total and count else None),
        window_s=step.get("window"),
        min_interval_s=step.get("min_interval"),
        tolerance_pct=step.get("tolerance"),
        started_s=started,
    )


def _band(steps_plan: list[dict[str, Any]]) -> tuple[float, float] | None:
    """The permitted band of the protocol's hold: the band the batch is judged against."""
    for step in steps_plan:
        if step.get("step") == "hold" and step.get("band"):
            low, high = step["band"]
            return float(low), float(high)
    return None


def _dosed(records: list[Record]) -> list[tuple[float, float]]:
    total, curve = 0.0, []
    for r in records:
        if r.kind == "portion.result" and r.data.get("dispensed_g") is not None:
            total += float(r.data["dispensed_g"])
            curve.append((r.t_s, total))
    return curve


def band_text(band: tuple[float, float]) -> str:
    """`0–5 °C`, but `-70 to -45 °C`: a dash between negative numbers reads as a minus."""
    low, high = band
    joint = "–" if low >= 0 else " to "
    return f"{low:g}{joint}{high:g} °C"
