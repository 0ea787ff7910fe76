"""Stirring verified from the shaft's measured speed against its setpoint: what the permit and the protocol's
`stirrer …` conditions see."""

from __future__ import annotations

from typing import Any

import pytest

from devices.reading import Reading
from labctl.engine.conditions import holds
from labctl.engine.permit import DosingPermit, stirring_blockers
from labctl.engine.snapshot import LinkState, Snapshot
from labctl.protocol.conditions import parse_condition
from labctl.protocol.steps import GateCondition
from tests.engine.snapshots import NOW, snap


def stirred(
    speed: float | None, setpoint: float | None = 300.0, *, age: float = 0.0, online: bool = True, **kw: Any
) -> Snapshot:
    return snap(
        2.0,
        has_stirrer=True,
        stirrer=LinkState(online),
        stir_speed=None if speed is None else Reading(speed, NOW - age),
        stir_setpoint=setpoint,
        **kw,
    )


@pytest.mark.parametrize(
    ("speed", "setpoint", "verified"),
    [(300.0, 300.0, True), (271.0, 300.0, True), (329.0, 300.0, True), (269.0, 300.0, False),
     (331.0, 300.0, False), (0.0, 300.0, False), (45.0, 50.0, True), (39.0, 50.0, False),
     (150.0, 1000.0, False), (0.0, 0.0, False)],
)  # fmt: skip
def test_stirring_is_its_setpoint_within_ten_percent_or_ten_rpm(
    speed: float, setpoint: float, verified: bool
) -> None:
    assert stirred(speed, setpoint).stirring() is verified


@pytest.mark.parametrize(
    "snapshot",
    [
        snap(2.0),  # no stirrer instrument: a person's business, never assumed
        stirred(300.0, online=False),
        stirred(300.0, age=5.0 * 2),  # the last speed is old
        stirred(None),
        stirred(300.0, setpoint=None),
    ],
)
def test_stirring_that_cannot_be_measured_is_unknown_not_true(snapshot: Snapshot) -> None:
    assert snapshot.stirring() is None


def test_the_permit_names_what_is_wrong_with_the_stirring() -> None:
    assert stirring_blockers(stirred(300.0)) == []
    assert stirring_blockers(stirred(0.0)) == ["stirring not verified (0 of 300 rpm)"]
    assert stirring_blockers(stirred(300.0, online=False)) == ["stirrer offline"]
    assert stirring_blockers(stirred(300.0, age=5.0 * 2)) == [
        "stirring not verified (no fresh stirrer speed)"
    ]
    assert stirring_blockers(snap(2.0)) == []  # a manual stirrer is confirmed by a person in the dose step


def test_no_portion_is_released_into_a_mass_that_is_not_seen_stirred() -> None:
    permit = DosingPermit([GateCondition.model_validate({"when": "Tr <= 5 °C"})], 30.0)
    assert permit.blockers(stirred(300.0), last_start=None) == []
    assert "stirring not verified (120 of 300 rpm)" in permit.blockers(stirred(120.0), last_start=None)
    assert "stirrer offline" in permit.blockers(stirred(300.0, online=False), last_start=None)


@pytest.mark.parametrize(
    ("text", "snapshot", "expected"),
    [
        ("stirrer stopped", stirred(0.0), True),
        ("stirrer stopped", stirred(300.0), False),
        ("stirrer stopped", stirred(300.0, online=False), None),
        ("stirrer offline", stirred(300.0, online=False), True),
        ("stirrer offline", stirred(0.0), False),
        ("stirrer fault", stirred(0.0), True),
        ("stirrer fault", stirred(300.0, online=False), True),
        ("stirrer fault", stirred(300.0, age=5.0 * 2), True),
        ("stirrer fault", stirred(300.0), False),
        ("stirrer stopped", snap(2.0), None),
        ("stirrer fault", snap(2.0), None),
    ],
)
def test_the_protocols_stirrer_conditions(text: str, snapshot: Snapshot, expected: bool | None) -> None:
    assert holds(parse_condition(text), snapshot) is expected


def test_torque_read_every_few_polls_is_kept_that_long() -> None:
    fresh = stirred(300.0, stir_torque=Reading(5.0, NOW - 19.0))
    old = stirred(300.0, stir_torque=Reading(5.0, NOW - 21.0))
    assert fresh.stir_torque_value() == 5.0
    assert old.stir_torque_value() is None
