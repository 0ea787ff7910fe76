"""A new run's first entries in the journal: what will run (the protocol as loaded and hashed), where, and what
the checker said about it — so the batch record can be written from the journal alone, years later."""

from __future__ import annotations

from typing import Any

from labctl.engine.resume import step_ids
from labctl.journal import Journal
from labctl.journal.kinds import RecordKind
from labctl.protocol.checks import CheckerConfig, check
from labctl.protocol.checks.findings import Finding
from labctl.protocol.loader import LoadedProtocol
from labctl.protocol.steps import DoseSolid, Step
from labctl.rig.loader import LoadedRig


def begin_run(
    journal: Journal,
    loaded: LoadedProtocol,
    rig: LoadedRig,
    *,
    mode: str,
    now: float = 0.0,
    seed: int | None = None,
) -> str:
    run_id = journal.create_run(
        mode=mode,
        protocol_file=loaded.file,
        protocol_sha256=loaded.sha256,
        protocol_text=loaded.text,
        parameters=dict(loaded.parameters),
        rig_name=rig.rig.rig,
        rig_text=rig.text,
        seed=seed,
    )
    journal.append(now, RecordKind.PROTOCOL_LOADED, _as_loaded(loaded))
    findings = check(loaded, rig.rig, CheckerConfig())
    journal.append(now, RecordKind.PROTOCOL_CHECKED, {"findings": [_finding(f) for f in findings]})
    return run_id


def _as_loaded(loaded: LoadedProtocol) -> dict[str, Any]:
    """Steps in the engine's units (°C, g, mL, s), each under the name the journal's records use (`step-N` for
    a step without an id) and a dose with the portion count the engine doses: readers (the batch record, the
    dashboard topics) take these as given instead of re-deriving the engine's rules."""
    protocol = loaded.protocol
    return {
        "metadata": protocol.metadata.model_dump(mode="json"),
        "steps": [_step(step, name) for step, name in zip(protocol.steps, step_ids(protocol), strict=True)],
        "interlocks": [interlock.model_dump(mode="json") for interlock in protocol.interlocks],
        "overrides": [override.model_dump(mode="json") for override in protocol.overrides],
    }


def _step(step: Step, name: str) -> dict[str, Any]:
    dumped = {**step.model_dump(mode="json"), "id": name}
    if isinstance(step, DoseSolid):
        dumped["portion_count"] = step.portion_count()
    return dumped


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": str(finding.severity),
        "message": finding.message,
        "where": str(finding.location) if finding.location else None,
        "key": finding.key,
    }
