"""MT-SICS and Quantos command handlers: one parsed line in, reply lines (or a wait for stability) out.

Choices where the spec is silent *(ours)*: a known command given parameters it does not take answers ``EL``; a
parameter out of range or malformed answers ``<command> L``; while a dose runs, settings and door/pin moves answer
``<command> I`` (busy) but weighing commands and ``QRA 61 4`` still work; a start refused before it began is a
single ``QRA 61 1 I <code>`` line with no ``B`` (``B`` means "accepted").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulators.mettler.formatting import weight_line, xml_block
from simulators.mettler.instrument import MettlerQuantos
from simulators.mettler.quantos import Door

Reply = list[str]


@dataclass
class Wait:
    """A command that answers once the reading is stable (or with ``I`` on the stability timeout)."""

    command: str
    started_s: float


class Commands:
    def __init__(self, instrument: MettlerQuantos) -> None:
        self._inst = instrument
        self._bal = instrument.balance
        self._q = instrument.quantos
        self._simple: dict[str, Callable[[], Reply | Wait]] = {
            "I2": self._i2,
            "I4": self._i4,
            "S": lambda: self._wait("S"),
            "SI": self._si,
            "T": lambda: self._wait("T"),
            "TI": self._ti,
            "TAC": self._tac,
            "Z": lambda: self._wait("Z"),
            "ZI": self._zi,
        }

    def serial_line(self) -> str:
        return f'I4 A "{self._bal.config.serial}"'

    def handle(self, name: str, args: list[str]) -> Reply | Wait:
        if name in self._simple:
            return self._simple[name]() if not args else ["EL"]
        if name == "TA":
            return self._ta(args)
        if name == "QRD":
            return self._qrd(args)
        if name == "QRA":
            return self._qra(args)
        return ["ES"]

    # -- balance ----------------------------------------------------------------------------------------------
    def _i2(self) -> Reply:
        cfg = self._bal.config
        return [f'I2 A "{cfg.model} {cfg.capacity_g:.4f} g"']

    def _i4(self) -> Reply:
        return [self.serial_line()]

    def _status(self) -> str:
        return "S" if self._bal.stable() else "D"

    def _si(self) -> Reply:
        if limit := self._bal.limit():
            return [f"S {limit}"]
        return [weight_line("S", self._status(), self._bal.net_g(), self._bal.config.readability_g)]

    def _ti(self) -> Reply:
        if limit := self._bal.limit():
            return [f"TI {limit}"]
        status = self._status()
        return [weight_line("TI", status, self._bal.tare(), self._bal.config.readability_g)]

    def _ta(self, args: list[str]) -> Reply:
        if args:
            try:
                value = float(args[0])
            except ValueError:
                return ["TA L"]
            if len(args) != 2 or args[1] != "g" or not 0 <= value <= self._bal.config.capacity_g:
                return ["TA L"]
            self._bal.set_tare(value)
        return [weight_line("TA", "A", self._bal.tare_g, self._bal.config.readability_g)]

    def _tac(self) -> Reply:
        self._bal.set_tare(0.0)
        return ["TAC A"]

    def _zi(self) -> Reply:
        if limit := self._bal.limit():
            return [f"ZI {limit}"]
        status = self._status()
        self._bal.zero()
        return [f"ZI {status}"]

    def _wait(self, command: str) -> Reply | Wait:
        wait = Wait(command, self._inst.clock.now())
        return self.resolve(wait) or wait

    def resolve(self, wait: Wait) -> Reply | None:
        """The answer to a waiting command once it has one; ``None`` while still waiting."""
        bal = self._bal
        if limit := bal.limit():
            return [f"{wait.command} {limit}"]
        if bal.stable():
            if wait.command == "S":
                return [weight_line("S", "S", bal.net_g(), bal.config.readability_g)]
            if wait.command == "T":
                return [weight_line("T", "S", bal.tare(), bal.config.readability_g)]
            bal.zero()
            return ["Z A"]
        if self._inst.clock.now() - wait.started_s >= bal.config.stability_timeout_s:
            return [f"{wait.command} I"]
        return None

    # -- Quantos reads and settings -----------------------------------------------------------------------------
    def _qrd(self, args: list[str]) -> Reply:
        address, values = " ".join(args[:3]), args[3:]
        head = f"QRD {address}"
        if address in ("1 1 5", "1 1 6", "1 1 7", "1 1 8"):
            if self._q.dosing():
                return [f"{head} I"]
            ok = self._setting(address, values)
            return [f"{head} A" if ok else f"{head} L"]
        if values and address in ("2 3 7", "2 4 11", "2 4 12"):
            return ["EL"]
        if address == "2 3 7":
            return [f"{head} {int(self._q.door)} A"]
        if address == "2 4 11":
            return [f"{head} B", *self._head_xml(), f"{head} A"]
        if address == "2 4 12":
            last = self._q.last_dose()
            if last is None or last.dispensed_g is None:
                return [f"{head} I"]
            fields = [
                ("Sample_ID", last.sample_id, None),
                ("Target", f"{last.target_g * 1000:.1f}", "mg"),
                ("Tolerance", f"{last.tolerance_pct:g}", "%"),
                ("Content", f"{last.dispensed_g * 1000:.1f}", "mg"),
                ("Outcome", last.outcome, None),
            ]
            return [f"{head} B", *xml_block("Dose_result", fields), f"{head} A"]
        return ["ES"]

    def _head_xml(self) -> list[str]:
        cfg = self._q.config
        fields = [
            ("Head_ID", cfg.head_id, None),
            ("Substance", cfg.substance, None),
            ("Dose_counter", str(self._q.head_dose_count), None),
            ("Dose_limit", str(cfg.head_dose_limit), None),
            ("Rem._quantity", f"{self._q.head_remaining_mg():.1f}", "mg"),
        ]
        return xml_block("Dosing_head", fields)

    def _setting(self, address: str, values: list[str]) -> bool:
        if address == "1 1 8":
            text = " ".join(values).strip('"')
            if not values or len(text) > 20:
                return False
            self._q.sample_id = text
            return True
        if len(values) != 1:
            return False
        try:
            number = float(values[0])
        except ValueError:
            return False
        if address == "1 1 5":
            capacity_mg = self._bal.config.capacity_g * 1000
            if not 0 < number <= capacity_mg:
                return False
            self._q.target_mg = number
        elif address == "1 1 6":
            if not 0.1 <= number <= 40:
                return False
            self._q.tolerance_pct = number
        else:
            if values[0] not in ("0", "1"):
                return False
            self._q.overdose_only = values[0] == "1"
        return True

    # -- Quantos actions ----------------------------------------------------------------------------------------
    def _qra(self, args: list[str]) -> Reply:
        address, values = " ".join(args[:2]), args[2:]
        head = f"QRA {address}"
        if address == "61 1":
            if values:
                return ["EL"]
            code = self._q.start_dose()
            return [f"{head} B" if code is None else f"{head} I {int(code)}"]
        if address == "61 4":
            if values:
                return ["EL"]
            self._q.stop_dose()
            return [f"{head} A"]
        if address in ("60 7", "60 2"):
            if self._q.busy():
                return [f"{head} I"]
            goals = {"60 7": ("2", "3"), "60 2": ("4", "3")}[address]
            if len(values) != 1 or values[0] not in goals:
                return [f"{head} L"]
            if address == "60 7":
                self._q.move_door(Door.CLOSED if values[0] == "2" else Door.OPEN)
            else:
                self._q.move_pin(lock=values[0] == "4")
            return [f"{head} B"]
        return ["ES"]
