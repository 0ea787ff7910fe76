"""Everything a rule needs to judge a protocol: the protocol, the thresholds and, when given, the rig."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from labctl.protocol.checks.capabilities import RigCapabilities
from labctl.protocol.checks.config import CheckerConfig
from labctl.protocol.checks.ledger import Ledger, build_ledger
from labctl.protocol.checks.timeline import presence
from labctl.protocol.model import Protocol
from labctl.protocol.steps import DoseSolid, Ramp, SetTemperature, Step


@dataclass(frozen=True)
class CheckContext:
    protocol: Protocol
    config: CheckerConfig
    rig: RigCapabilities | None = None
    present: list[set[str]] = field(default_factory=list)
    ledger: Ledger = field(default_factory=lambda: Ledger(()))
    parameters: Mapping[str, object] = field(default_factory=dict)
    """Each parameter's value for this run: given with --set, or its default."""

    @classmethod
    def build(
        cls,
        protocol: Protocol,
        config: CheckerConfig,
        rig: RigCapabilities | None,
        parameters: Mapping[str, object],
    ) -> CheckContext:
        return cls(protocol, config, rig, presence(protocol), build_ledger(protocol), parameters)

    def steps(self) -> list[tuple[int, Step]]:
        return list(enumerate(self.protocol.steps))

    def setpoints(self) -> list[tuple[int, float]]:
        """Every temperature the protocol asks the chiller to regulate to, with its step index."""
        return [(i, s.target) for i, s in self.steps() if isinstance(s, SetTemperature | Ramp)]

    def doses(self) -> list[tuple[int, DoseSolid]]:
        return [(i, s) for i, s in self.steps() if isinstance(s, DoseSolid)]


def repeats(ids: Iterable[str | None]) -> list[tuple[int, int]]:
    """(index, index of its first use) for every id used again: materials, steps and interlocks alike."""
    first: dict[str, int] = {}
    found = []
    for index, key in enumerate(ids):
        if key is None:
            continue
        if key in first:
            found.append((index, first[key]))
        first.setdefault(key, index)
    return found
