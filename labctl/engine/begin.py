"""A new run's first entry in the journal: what will run (the protocol as loaded and hashed) and where."""

from __future__ import annotations

from labctl.journal import Journal
from labctl.protocol.loader import LoadedProtocol
from labctl.rig.loader import LoadedRig


def begin_run(
    journal: Journal, loaded: LoadedProtocol, rig: LoadedRig, *, mode: str, seed: int | None = None
) -> str:
    return journal.create_run(
        mode=mode,
        protocol_file=loaded.file,
        protocol_sha256=loaded.sha256,
        protocol_text=loaded.text,
        parameters=dict(loaded.parameters),
        rig_name=rig.rig.rig,
        rig_text=rig.text,
        seed=seed,
    )
