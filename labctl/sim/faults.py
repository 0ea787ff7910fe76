"""A fault schedule: which named fault the simulated rig suffers at which process time.

```yaml
faults:
  - at: 5 min
    fault: chiller.compressor-failure
  - at: 12 min
    fault: doser.link-disconnect
```
Loaded like protocol files, so a typo is one located message, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import Field

from labctl.errors import InputFileError, Problem
from labctl.quantities.fields import Seconds
from labctl.yamlfile.document import load_yaml_file
from labctl.yamlfile.problems import validated
from labctl.yamlfile.spec import Spec
from simulators.clock import ManualClock
from simulators.rig import SimulatedRig


class ScheduledFault(Spec):
    at: Seconds = Field(ge=0, description="Process time at which the fault happens, e.g. '5 min'.")
    fault: str = Field(description="A fault name, as listed by 'labctl sim faults'.")


class FaultSchedule(Spec):
    faults: list[ScheduledFault] = Field(default_factory=list)

    def ordered(self) -> list[ScheduledFault]:
        return sorted(self.faults, key=lambda f: f.at)


def simulated_fault_names() -> list[str]:
    """The names a schedule may use: the faults of the simulated rig."""
    return SimulatedRig(ManualClock()).fault_names


def load_fault_schedule(path: Path, known: Iterable[str]) -> FaultSchedule:
    data, source = load_yaml_file(path)
    schedule = validated(FaultSchedule, data if data is not None else {}, source)
    names = set(known)
    unknown = [
        Problem(
            source.value_at(("faults", i, "fault")),
            f"faults[{i}].fault",
            f"unknown fault {f.fault!r}; known: {', '.join(sorted(names))}",
            "VALUE-CHOICE",
        )
        for i, f in enumerate(schedule.faults)
        if f.fault not in names
    ]
    if unknown:
        raise InputFileError(unknown)
    return schedule
