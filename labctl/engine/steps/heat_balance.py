"""The heat balance's calibration, taken as the first oxidant portion is about to be dosed: the cool-down just
before is the stretch where nothing reacts. A calibration the readings cannot support holds dosing until a person
decides; they may dose on the model alone (no measured accumulation, and any `heat_release` gate stays closed)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from labctl.calorimetry.errors import CalibrationRejected
from labctl.engine.alarms import Level
from labctl.engine.calorimeter import calibration_record
from labctl.engine.step_context import StepContext
from labctl.journal.kinds import RecordKind

CALIBRATION_ALARM = "calibration-rejected"
_ASK = (
    "The heat balance could not be calibrated ({reason}). Dosing is held. Confirm to dose on the model alone "
    "(no measured accumulation; a heat_release gate stays closed), or abort the run"
)


async def calibrated(ctx: StepContext) -> AsyncGenerator[None, None]:
    calorimeter = ctx.calorimeter
    if calorimeter is None or calorimeter.decided:
        return
    try:
        calibration = calorimeter.calibrate()
    except CalibrationRejected as exc:
        ctx.record(RecordKind.CALORIMETRY_REJECTED, {"reason": exc.reason, **exc.facts})
        ctx.raise_alarm(CALIBRATION_ALARM, Level.ALARM, f"heat-flow calibration rejected: {exc.reason}")
        opened = ctx.open_prompt(_ASK.format(reason=exc.reason))
        while opened.answered_by is None:
            yield
        calorimeter.waive(opened.answered_by)
        ctx.record(RecordKind.CALORIMETRY_WAIVED, {"by": opened.answered_by, "reason": exc.reason})
        return
    ctx.record(RecordKind.CALORIMETRY_CALIBRATED, calibration_record(calibration))
