"""One Mettler balance with its Quantos module: the state that survives reconnects (tare, door, dose, ledger)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from simulators.clock import Clock
from simulators.mettler.balance import Balance, BalanceConfig
from simulators.mettler.ledger import DoseLedger
from simulators.mettler.quantos import Quantos, QuantosConfig
from simulators.plant import DosingPlant

LineSink = Callable[[str], None]


@dataclass
class MettlerConfig:
    balance: BalanceConfig = field(default_factory=BalanceConfig)
    quantos: QuantosConfig = field(default_factory=QuantosConfig)


class MettlerQuantos:
    """Owns balance and doser; a connected session attaches as the sink for lines nobody asked for just now."""

    def __init__(self, plant: DosingPlant, clock: Clock, config: MettlerConfig | None = None) -> None:
        self.config = config or MettlerConfig()
        self.clock = clock
        self.balance = Balance(plant, clock, self.config.balance)
        self.quantos = Quantos(plant, clock, self.config.quantos)
        self._sink: LineSink | None = None

    @property
    def ledger(self) -> DoseLedger:
        """Brought up to date first, so an outside check never reads a dose as running that has ended."""
        self.update()
        return self.quantos.ledger

    def attach(self, sink: LineSink) -> None:
        """The newest connection gets late replies; an older one (a TCP client not yet noticed gone) does not.

        Jobs that finished while nobody was connected finish into the void first: their final line was sent on a
        dead wire, and a fresh connection must not receive it.
        """
        self._sink = None
        self.update()
        self._sink = sink

    def detach(self, sink: LineSink) -> None:
        if self._sink is sink:
            self._sink = None

    def update(self) -> None:
        """Advance jobs and the stability history; lines finished while nobody listens are lost on the wire."""
        self.balance.update()
        for line in self.quantos.update():
            if self._sink is not None:
                self._sink(line)
