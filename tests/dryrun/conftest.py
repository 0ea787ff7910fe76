"""Dry runs in the test's own event loop: the shipped protocols on the in-process simulated rig, with the
journal and the simulators' own ledgers to compare."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labctl.dryrun.run import DryRunResult, dry_run
from labctl.engine.engine import Operator
from labctl.journal import Journal, Record
from labctl.protocol.loader import load_protocol
from labctl.sim.faults import FaultSchedule, ScheduledFault

PROTOCOLS = Path(__file__).resolve().parents[2] / "protocols"
SCALE_UP = PROTOCOLS / "kmno4-dihydroxylation-scaleup.yaml"
MGBR_STORAGE = PROTOCOLS / "mgbr-cold-storage.yaml"


@dataclass
class DryRun:
    result: DryRunResult
    records: list[Record]

    def of(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.kind == kind]

    def first(self, kind: str, **match: Any) -> Record:
        return next(
            r for r in self.records if r.kind == kind and all(r.data.get(k) == v for k, v in match.items())
        )

    def readings_between(self, t0: float, t1: float) -> list[Record]:
        return [r for r in self.of("reading") if t0 <= r.t_s <= t1]

    def step_span(self, step_id: str) -> tuple[float, float]:
        start = next(r.t_s for r in self.of("step.started") if r.step == step_id)
        end = next(r.t_s for r in self.of("step.completed") if r.step == step_id)
        return start, end


async def run_dry(
    tmp_path: Path,
    protocol: Path = SCALE_UP,
    *,
    seed: int = 1,
    faults: list[tuple[float, str]] | None = None,
    parameters: dict[str, str] | None = None,
    operator: Operator | None = None,
) -> DryRun:
    schedule = FaultSchedule(
        faults=[ScheduledFault.model_validate({"at": f"{at} s", "fault": name}) for at, name in faults or []]
    )
    journal_path = tmp_path / f"journal-{seed}.sqlite"
    result = await dry_run(
        load_protocol(protocol, parameters),
        journal_path,
        seed=seed,
        schedule=schedule,
        operator=operator,
    )
    journal = Journal(journal_path)
    try:
        records = list(journal.records(result.run_id))
    finally:
        journal.close()
    return DryRun(result, records)
