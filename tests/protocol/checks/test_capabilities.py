"""The checker judges a protocol against what a rig can do, given as any object of the RigCapabilities shape:
a rig file's model is one, a plain record is another, and both give the same findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from labctl.protocol.checks import CheckerConfig, Finding, RigCapabilities, check
from labctl.protocol.loader import parse_protocol
from labctl.rig import load_rig

ROOT = Path(__file__).resolve().parents[3]
MS = ROOT / "protocols" / "mgbr-cold-storage.yaml"
KS = ROOT / "protocols" / "kmno4-dihydroxylation-scaleup.yaml"
ALL_ROLES = {"chiller", "doser", "balance", "quench_pump", "stirrer"}


@dataclass(frozen=True)
class Chiller:
    temperature_range: tuple[float, float]
    process_control: bool = True
    max_ramp_rate: float | None = None


@dataclass(frozen=True)
class Capabilities:
    name: str
    chiller_limits: Chiller | None
    pump_rate: float | None = None
    present: set[str] = field(default_factory=lambda: set(ALL_ROLES))

    def roles(self) -> set[str]:
        return self.present

    def chiller(self) -> Chiller | None:
        return self.chiller_limits

    def max_pump_rate(self) -> float | None:
        return self.pump_rate


def findings(path: Path, rig: RigCapabilities | None, text: str | None = None) -> list[Finding]:
    loaded = parse_protocol(text if text is not None else path.read_text(encoding="utf-8"), path.name)
    return check(loaded, rig, CheckerConfig())


def rig_rules(found: list[Finding]) -> list[tuple[str, str, int | None]]:
    return [
        (f.rule, f.message, f.location.line if f.location else None)
        for f in found
        if f.rule
        in {"RIG-ROLE-MISSING", "CHILLER-RANGE", "CHILLER-PROCESS-CONTROL", "PUMP-RATE", "RAMP-RATE"}
    ]


def test_a_plain_record_and_the_rig_file_give_the_same_findings() -> None:
    from_file = load_rig(ROOT / "tests/protocol/broken/rigs/chiller-minus-40.yaml").rig
    plain = Capabilities("bench-minus-40", Chiller((-40.0, 200.0)), present=ALL_ROLES)
    by_file, by_record = findings(MS, from_file), findings(MS, plain)
    assert by_file == by_record
    assert [rule for rule, _, _ in rig_rules(by_record)] == ["CHILLER-RANGE"]
    assert "rig 'bench-minus-40' can hold" in rig_rules(by_record)[0][1]


def test_a_chiller_without_process_control_is_named_with_the_rig() -> None:
    plain = Capabilities("cart-2", Chiller((-90.0, 200.0), process_control=False))
    assert rig_rules(findings(MS, plain)) == [
        (
            "CHILLER-PROCESS-CONTROL",
            "the protocol needs process control but rig 'cart-2' says its chiller has none",
            28,
        )
    ]


def test_each_role_the_rig_lacks_is_one_finding() -> None:
    plain = Capabilities("cart-2", Chiller((-75.0, 250.0)), present={"chiller", "balance"})
    assert [(rule, message) for rule, message, _ in rig_rules(findings(KS, plain))] == [
        ("RIG-ROLE-MISSING", f"rig 'cart-2' has no instrument for role '{role}'")
        for role in ("doser", "quench_pump", "stirrer")
    ]


def test_the_pump_rate_comes_from_the_capabilities_when_they_say() -> None:
    text = KS.read_text(encoding="utf-8").replace(
        "    volume: 50 mL\n    rate: one portion\n", "    volume: 50 mL\n    rate: 40 mL/min\n"
    )
    slow = Capabilities("slow-pump", Chiller((-75.0, 250.0)), pump_rate=31.0)
    unsaid = Capabilities("any-pump", Chiller((-75.0, 250.0)))
    assert [rule for rule, _, _ in rig_rules(findings(KS, slow, text))] == ["PUMP-RATE"]
    assert rig_rules(findings(KS, unsaid, text)) == []
