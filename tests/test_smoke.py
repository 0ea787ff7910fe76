"""The shipped protocols load and pass the checker: the first thing a fresh clone must show."""

from pathlib import Path

import pytest

from labctl.protocol.checks import Severity, check
from labctl.protocol.loader import load_protocol

PROTOCOLS = sorted((Path(__file__).parent.parent / "protocols").glob("*.yaml"))


def test_four_protocols_are_shipped() -> None:
    assert [p.name for p in PROTOCOLS] == [
        "kmno4-dihydroxylation-5mmol.yaml",
        "kmno4-dihydroxylation-scaleup.yaml",
        "mgbr-cold-storage.yaml",
        "mgbr-kcp-cluster.yaml",
    ]


@pytest.mark.parametrize("path", PROTOCOLS, ids=lambda p: p.name)
def test_shipped_protocol_has_no_error_or_warning(path: Path) -> None:
    findings = check(load_protocol(path))
    assert [f for f in findings if f.severity is not Severity.INFO] == []
