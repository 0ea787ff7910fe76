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


class JournalLost(EngineError):
    """The journal could not be written, so the run ended: what the rig was sent to make it safe went out
    without being journalled first (the one exception to that rule), and is named here."""

    def __init__(self, failure: Exception, sent: list[str]) -> None:
        self.failure = failure
        self.sent = sent
        made_safe = "; ".join(sent) if sent else "nothing needed sending"
        super().__init__(
            f"the journal cannot be written ({failure}). The run ended and the rig was made safe before "
            f"anything could be journalled: {made_safe}. Free the disk, then `labctl verify` and "
            "`labctl resume RUN_ID`"
        )
