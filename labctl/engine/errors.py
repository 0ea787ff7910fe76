"""Why a run stopped early, as types the CLI turns into one message and an exit code."""

from __future__ import annotations

from labctl.errors import LabctlError


class EngineError(LabctlError):
    """Base of the engine's own errors."""


class RunAborted(EngineError):
    """An operator (or a step's `on_timeout: abort` policy) ended the run; the rig was left safe."""

    def __init__(self, reason: str, by: str) -> None:
        super().__init__(f"run aborted by {by}: {reason}")
        self.reason = reason
        self.by = by


class RigSetupError(EngineError):
    """The rig could not be brought into a state the protocol can start from."""
