"""A whole simulated bench rig: the physics world and every instrument on it, served on real byte streams.

A dry run wires this in-process; ``labctl sim serve`` runs it as its own process for a real controller. Faults are
injected by name, so tests, a faults file and an operator at a terminal all use the same vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulators.clock import Clock
from simulators.huber.modbus import HuberModbusServer, serve_modbus
from simulators.huber.pb import serve_pty as serve_huber_pty
from simulators.huber.pb import serve_tcp as serve_huber_tcp
from simulators.huber.thermostat import Thermostat
from simulators.ika.server import serve_ika_pty, serve_ika_tcp
from simulators.ika.unit import Eurostar
from simulators.mettler.instrument import MettlerQuantos
from simulators.mettler.quantos import Door
from simulators.mettler.server import serve_mettler_pty, serve_mettler_tcp
from simulators.reglo.pump import RegloICC
from simulators.reglo.server import serve_reglo_pty, serve_reglo_tcp
from simulators.serving import PtyServer, TcpServer, WireFaults
from simulators.world import World, WorldConfig


class UnknownFault(ValueError):
    """A fault name the rig does not know; the message lists the ones it does."""


@dataclass(frozen=True)
class Ports:
    """TCP ports to listen on; 0 picks a free one."""

    chiller: int = 0
    chiller_modbus: int = 0
    balance: int = 0
    pump: int = 0
    stirrer: int = 0


@dataclass
class Endpoints:
    host: str
    chiller: int
    chiller_modbus: int
    balance: int
    pump: int
    stirrer: int = 0
    ptys: dict[str, str] = field(default_factory=dict)

    def urls(self) -> dict[str, str]:
        return {
            "chiller": f"socket://{self.host}:{self.chiller}",
            "chiller_modbus": f"{self.host}:{self.chiller_modbus}",
            "balance": f"socket://{self.host}:{self.balance}",
            "pump": f"socket://{self.host}:{self.pump}",
            "stirrer": f"socket://{self.host}:{self.stirrer}",
        }


class SimulatedRig:
    """The world plus a Huber thermostat, a Mettler balance with Quantos head, a Reglo ICC pump and an IKA EUROSTAR
    overhead stirrer."""

    def __init__(self, clock: Clock, seed: int = 0, world_config: WorldConfig | None = None) -> None:
        self.clock = clock
        self.world = World(world_config or WorldConfig(), clock, seed)
        self.thermostat = Thermostat(self.world.thermostat, clock)
        self.mettler = MettlerQuantos(self.world.doser, clock)
        self.reglo = RegloICC(self.world.pump, clock)
        self.eurostar = Eurostar(self.world.stirrer, clock)
        self.chiller_wire = WireFaults(seed + 2)
        self.balance_wire = WireFaults(seed)
        self.pump_wire = WireFaults(seed + 1)
        self.stirrer_wire = WireFaults(seed + 3)
        self._servers: list[TcpServer | PtyServer | HuberModbusServer] = []
        self._faults = self._fault_table()

    async def serve(
        self,
        host: str = "127.0.0.1",
        ports: Ports | None = None,
        pty: bool = False,
        huber_reply_delay_s: float = 0.02,
    ) -> Endpoints:
        """``huber_reply_delay_s`` is the unit's own answer time (wall seconds); a fast-forwarded dry run sets 0."""
        ports = ports or Ports()
        pb = await serve_huber_tcp(
            self.thermostat, host, ports.chiller, reply_delay_s=huber_reply_delay_s, faults=self.chiller_wire
        )
        modbus = await serve_modbus(self.thermostat, host, ports.chiller_modbus, faults=self.chiller_wire)
        balance = await serve_mettler_tcp(self.mettler, host, ports.balance, self.balance_wire)
        pump = await serve_reglo_tcp(self.reglo, host, ports.pump, self.pump_wire)
        stirrer = await serve_ika_tcp(self.eurostar, host, ports.stirrer, self.stirrer_wire)
        self._servers += [pb, modbus, balance, pump, stirrer]
        endpoints = Endpoints(host, pb.port, modbus.port, balance.port, pump.port, stirrer.port)
        if pty:
            huber_pty = await serve_huber_pty(self.thermostat, faults=self.chiller_wire)
            balance_pty = await serve_mettler_pty(self.mettler, self.balance_wire)
            pump_pty = await serve_reglo_pty(self.reglo, self.pump_wire)
            stirrer_pty = await serve_ika_pty(self.eurostar, self.stirrer_wire)
            self._servers += [huber_pty, balance_pty, pump_pty, stirrer_pty]
            endpoints.ptys = {
                "chiller": huber_pty.slave_path,
                "balance": balance_pty.slave_path,
                "pump": pump_pty.slave_path,
                "stirrer": stirrer_pty.slave_path,
            }
        return endpoints

    async def close(self) -> None:
        for server in self._servers:
            await server.aclose()
        self._servers.clear()

    def tick(self) -> None:
        """Let time-driven behaviour happen even when no controller is polling (watchdogs, dose and run ends)."""
        self.world.advance()
        self.thermostat.tick()
        self.mettler.update()
        self.reglo.update()
        self.eurostar.update()

    def busy(self) -> bool:
        """An instrument has a job under way (a dose, a door or pin moving, a pump run): its end may produce a
        reply or an event at any step, so a fast-forward clock lets the loop carry it at once."""
        return self.mettler.quantos.busy() or any(
            self.reglo.running(ch) for ch in self.reglo.channels.values()
        )

    def ledgers(self) -> dict[str, list[dict[str, Any]]]:
        """What the doser and the pump physically dispensed, as the instruments themselves recorded it."""
        return {"doser": self.mettler.ledger.as_dicts(), "pump": self.reglo.ledger.as_dicts()}

    @property
    def fault_names(self) -> list[str]:
        return sorted(self._faults)

    def inject(self, name: str) -> None:
        try:
            action = self._faults[name]
        except KeyError:
            raise UnknownFault(f"unknown fault {name!r}; known: {', '.join(self.fault_names)}") from None
        action()

    def _fault_table(self) -> dict[str, Callable[[], None]]:
        t = self.world.thermostat
        doser = self.world.doser
        pump = self.world.pump
        return {
            "chiller.compressor-failure": t.fail_compressor,
            "chiller.circulation-stop": t.fail_circulation,
            "chiller.power-off": t.lose_power,
            "chiller.power-on": t.restore_power,
            "chiller.probe-unplugged": t.unplug_probe,
            "chiller.probe-plugged": t.plug_probe,
            "chiller.link-silent": lambda: setattr(self.chiller_wire, "silent", True),
            "chiller.link-restored": self.chiller_wire.restore,
            "chiller.link-slow": lambda: setattr(self.chiller_wire, "reply_delay_s", 2.0),
            "chiller.link-disconnect": self.chiller_wire.disconnect,
            "stirrer.stop": self.world.stop_stirrer,
            "stirrer.start": self.world.start_stirrer,
            "stirrer.link-silent": lambda: setattr(self.stirrer_wire, "silent", True),
            "stirrer.link-restored": self.stirrer_wire.restore,
            "stirrer.link-slow": lambda: setattr(self.stirrer_wire, "reply_delay_s", 2.0),
            "stirrer.link-disconnect": self.stirrer_wire.disconnect,
            "stirrer.link-garbled": lambda: self.stirrer_wire.garble_next(4),
            "doser.powder-flow-error": doser.block,
            "doser.powder-flow-restored": doser.unblock,
            "doser.empty-head": doser.empty_head,
            "doser.dose-limit": lambda: self.mettler.quantos.set_head_dose_count(10**6),
            "doser.door-open": lambda: self.mettler.quantos.force_door(Door.OPEN),
            "doser.link-disconnect": self.balance_wire.disconnect,
            "doser.link-silent": lambda: setattr(self.balance_wire, "silent", True),
            "doser.link-restored": self.balance_wire.restore,
            "doser.link-garbled": lambda: self.balance_wire.garble_next(8),
            "doser.link-dropped-bytes": lambda: self.balance_wire.drop_next(8),
            "doser.link-slow": lambda: setattr(self.balance_wire, "reply_delay_s", 2.0),
            "pump.occlusion": pump.occlude,
            "pump.occlusion-cleared": pump.clear_occlusion,
            "pump.overheated": pump.overheat,
            "pump.cooled-down": pump.cool_down,
            "pump.reservoir-empty": pump.empty_reservoir,
            "pump.reservoir-refilled": lambda: pump.refill(self.world.config.pump_reservoir_ml),
            "pump.link-disconnect": self.pump_wire.disconnect,
            "pump.link-garbled": lambda: self.pump_wire.garble_next(4),
            "pump.link-dropped-bytes": lambda: self.pump_wire.drop_next(4),
            "pump.link-slow": lambda: setattr(self.pump_wire, "reply_delay_s", 2.0),
        }
