"""Open the instruments a rig file names: one driver per role, sharing a port where two roles share one
(the Quantos doser and its balance speak MT-SICS on the same line)."""

from __future__ import annotations

from devices.errors import DeviceError
from devices.huber_modbus import HuberModbus
from devices.huber_pb import HuberPB
from devices.ika import IkaEurostar
from devices.mettler import MettlerBalance, QuantosDoser, open_quantos
from devices.reading import Clock
from devices.reglo import RegloICC
from devices.rig_devices import MANUAL, RigDevices
from devices.roles import Chiller, Stirrer
from labctl.errors import LabctlError
from labctl.rig.model import Instrument, Rig

CHILLER_DRIVERS = ("huber-pb", "huber-modbus")
STIRRER_DRIVERS = ("ika-eurostar",)


class RigConnectError(LabctlError):
    """An instrument of the rig could not be opened; names the role, driver and port."""


def _timeout(role: str, inst: Instrument, default: float) -> float:
    """`options: {timeout_s: 0.5}`: how long to wait for a reply (wall seconds) before the driver's retry policy."""
    value = inst.options.get("timeout_s", default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise RigConnectError(f"rig role {role}: options.timeout_s must be a positive number of seconds")
    return float(value)


def _port(role: str, inst: Instrument) -> str:
    if not inst.port:
        raise RigConnectError(f"rig role {role} (driver {inst.driver}) has no port")
    return inst.port


async def _chiller(inst: Instrument, clock: Clock) -> Chiller:
    port, timeout = _port("chiller", inst), _timeout("chiller", inst, 1.0)
    if inst.driver == "huber-pb":
        return await HuberPB.open(port, name="chiller", clock=clock, timeout_s=timeout)
    if inst.driver == "huber-modbus":
        host, _, number = port.removeprefix("tcp://").rpartition(":")
        chiller = HuberModbus(
            host or "127.0.0.1", int(number or 502), name="chiller", clock=clock, timeout_s=timeout
        )
        await chiller.connect()
        return chiller
    raise RigConnectError(
        f"chiller driver {inst.driver!r} unknown; expected one of {', '.join(CHILLER_DRIVERS)}"
    )


async def _stirrer(inst: Instrument, clock: Clock) -> Stirrer:
    if inst.driver not in STIRRER_DRIVERS:
        raise RigConnectError(
            f"stirrer driver {inst.driver!r} unknown; expected one of {', '.join(STIRRER_DRIVERS)} or manual"
        )
    port, timeout = _port("stirrer", inst), _timeout("stirrer", inst, 1.0)
    return await IkaEurostar.open(port, name="stirrer", clock=clock, timeout_s=timeout)


async def _quantos(rig: Rig, clock: Clock) -> tuple[MettlerBalance | None, QuantosDoser | None]:
    doser, balance = rig.instruments.doser, rig.instruments.balance
    first = doser if doser is not None else balance
    if first is None:
        return None, None
    if doser is not None and doser.driver != "quantos":
        raise RigConnectError(f"doser driver {doser.driver!r} unknown; expected quantos")
    if balance is not None and balance.driver != "mt-sics":
        raise RigConnectError(f"balance driver {balance.driver!r} unknown; expected mt-sics")
    ports = {_port(role, inst) for role, inst in (("doser", doser), ("balance", balance)) if inst is not None}
    if len(ports) != 1:
        raise RigConnectError("the Quantos doser and its balance must share one port")
    timeout = _timeout("doser", first, 5.0)
    b, d = await open_quantos(ports.pop(), name="doser", clock=clock, timeout_s=timeout)
    return (b if balance is not None else None), (d if doser is not None else None)


async def connect_rig(rig: Rig, clock: Clock) -> RigDevices:
    """Open every instrument; on failure close what was opened and say which one failed."""
    inst = rig.instruments
    drivers = {role: i.driver for role in type(inst).model_fields if (i := getattr(inst, role)) is not None}
    devices = RigDevices(rig.rig, drivers=drivers)
    try:
        if inst.chiller is not None and inst.chiller.driver != MANUAL:
            devices.chiller = await _chiller(inst.chiller, clock)
        devices.balance, devices.doser = await _quantos(rig, clock)
        if inst.quench_pump is not None and inst.quench_pump.driver != MANUAL:
            if inst.quench_pump.driver != "reglo-icc":
                raise RigConnectError(f"pump driver {inst.quench_pump.driver!r} unknown; expected reglo-icc")
            devices.pump = pump = await RegloICC.open(
                _port("quench_pump", inst.quench_pump), name="pump", clock=clock
            )
            await pump.enable_events()  # the `^X` stop event is how the pump says why a run ended early
        if inst.stirrer is not None and inst.stirrer.driver != MANUAL:
            devices.stirrer = await _stirrer(inst.stirrer, clock)
    except DeviceError as exc:
        await devices.close()
        raise RigConnectError(f"cannot open the rig's {exc.device}: {exc.message}") from None
    except RigConnectError:
        await devices.close()
        raise
    return devices
