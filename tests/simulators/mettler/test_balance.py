"""MT-SICS balance commands over a real socket, reply bytes exactly as the spec lays them out."""

from __future__ import annotations

from simulators.clock import ManualClock
from simulators.mettler import BalanceConfig, MettlerConfig, MettlerQuantos, serve_mettler_tcp
from tests.simulators.mettler.conftest import Rig, StandInDosingPlant
from tests.simulators.wire import WireClient, tcp_client


async def test_power_on_message_greets_every_connection(rig: Rig) -> None:
    for _ in range(2):
        client = await tcp_client(rig.server.port)
        await client.expect(b'I4 A "B021002593"\r\n')
        await client.silence()
        await client.close()


async def test_identification(client: WireClient) -> None:
    await client.ask(b"@\r\n", b'I4 A "B021002593"\r\n')
    await client.ask(b"I2\r\n", b'I2 A "XPE205 220.0090 g"\r\n')
    await client.ask(b"I4\r\n", b'I4 A "B021002593"\r\n')


async def test_unknown_and_lowercase_commands_are_syntax_errors(client: WireClient) -> None:
    await client.ask(b"XYZ\r\n", b"ES\r\n")
    await client.ask(b"s\r\n", b"ES\r\n")
    await client.ask(b"QRD 9 9 9\r\n", b"ES\r\n")
    await client.ask(b"QRA 99 1\r\n", b"ES\r\n")


async def test_parameters_where_none_belong_are_logical_errors(client: WireClient) -> None:
    await client.ask(b"SI 5\r\n", b"EL\r\n")
    await client.ask(b"QRA 61 1 7\r\n", b"EL\r\n")


async def test_garbled_command_is_a_transmission_error(client: WireClient) -> None:
    await client.ask(b"S\xc9\r\n", b"ET\r\n")


async def test_immediate_weight_stable_and_dynamic(client: WireClient, plant: StandInDosingPlant) -> None:
    await client.ask(b"SI\r\n", b"S S     100.00 g\r\n")
    plant.settling_forced = True
    plant.pan_g = 100.256
    await client.ask(b"SI\r\n", b"S D     100.26 g\r\n")


async def test_stable_weight_waits_for_one_quiet_second(
    client: WireClient, plant: StandInDosingPlant, clock: ManualClock
) -> None:
    plant.settling_forced = True
    await client.send(b"S\r\n")
    await client.silence()
    plant.settling_forced = False
    clock.advance(0.5)
    await client.silence()
    clock.advance(0.5)
    await client.expect(b"S S     100.00 g\r\n")


async def test_stable_weight_times_out_with_i(
    client: WireClient, plant: StandInDosingPlant, clock: ManualClock
) -> None:
    plant.settling_forced = True
    await client.send(b"S\r\n")
    await client.silence()
    clock.advance(9.5)
    await client.silence()
    clock.advance(0.5)
    await client.expect(b"S I\r\n")


async def test_commands_queue_behind_a_waiting_s_and_at_cancels(
    client: WireClient, plant: StandInDosingPlant
) -> None:
    plant.settling_forced = True
    await client.send(b"S\r\nI4\r\n")
    await client.silence()
    await client.ask(b"@\r\n", b'I4 A "B021002593"\r\n')
    await client.silence()


async def test_overload_and_underload(client: WireClient, plant: StandInDosingPlant) -> None:
    plant.pan_g = 230.0
    await client.ask(b"S\r\n", b"S +\r\n")
    await client.ask(b"SI\r\n", b"S +\r\n")
    await client.ask(b"T\r\n", b"T +\r\n")
    plant.pan_g = -5.0
    await client.ask(b"S\r\n", b"S -\r\n")
    await client.ask(b"ZI\r\n", b"ZI -\r\n")


async def test_tare_family(client: WireClient, plant: StandInDosingPlant) -> None:
    await client.ask(b"T\r\n", b"T S     100.00 g\r\n")
    await client.ask(b"SI\r\n", b"S S       0.00 g\r\n")
    plant.pan_g = 104.75
    await client.ask(b"SI\r\n", b"S S       4.75 g\r\n")
    await client.ask(b"TA\r\n", b"TA A     100.00 g\r\n")
    await client.ask(b"TAC\r\n", b"TAC A\r\n")
    await client.ask(b"SI\r\n", b"S S     104.75 g\r\n")
    await client.ask(b"TA 20.5 g\r\n", b"TA A      20.50 g\r\n")
    await client.ask(b"SI\r\n", b"S S      84.25 g\r\n")
    await client.ask(b"TA abc g\r\n", b"TA L\r\n")
    await client.ask(b"TA 20 kg\r\n", b"TA L\r\n")
    plant.settling_forced = True
    await client.ask(b"TI\r\n", b"TI D     104.75 g\r\n")


async def test_zero_family_clears_tare(client: WireClient, plant: StandInDosingPlant) -> None:
    await client.ask(b"T\r\n", b"T S     100.00 g\r\n")
    await client.ask(b"Z\r\n", b"Z A\r\n")
    await client.ask(b"TA\r\n", b"TA A       0.00 g\r\n")
    plant.pan_g = 99.0
    await client.ask(b"SI\r\n", b"S S      -1.00 g\r\n")
    await client.ask(b"ZI\r\n", b"ZI S\r\n")
    await client.ask(b"SI\r\n", b"S S       0.00 g\r\n")


async def test_sir_streams_per_interval_until_at(
    client: WireClient, plant: StandInDosingPlant, clock: ManualClock
) -> None:
    await client.ask(b"SIR\r\n", b"S S     100.00 g\r\n")
    await client.silence()
    plant.pan_g = 101.0
    plant.settling_forced = True
    clock.advance(0.1)
    await client.expect(b"S D     101.00 g\r\n")
    clock.advance(5.0)
    await client.expect(b"S D     101.00 g\r\n")
    await client.silence()
    await client.ask(b"@\r\n", b'I4 A "B021002593"\r\n')
    clock.advance(1.0)
    await client.silence()


async def test_noise_is_seeded_and_within_two_digits(clock: ManualClock) -> None:
    readings: list[list[bytes]] = []
    for _ in range(2):
        plant = StandInDosingPlant(clock)
        inst = MettlerQuantos(plant, clock, MettlerConfig(balance=BalanceConfig(noise_digits=1.0, seed=7)))
        server = await serve_mettler_tcp(inst)
        client = await tcp_client(server.port)
        await client.line()
        lines = []
        for _ in range(20):
            await client.send(b"SI\r\n")
            lines.append(await client.line())
        await client.close()
        await server.aclose()
        readings.append(lines)
    assert readings[0] == readings[1]
    values = {float(line.split()[2]) for line in readings[0]}
    assert len(values) > 1
    assert all(abs(v - 100.0) <= 0.05 for v in values)
    assert all(len(line) == len(b"S S     100.00 g\r\n") for line in readings[0])
