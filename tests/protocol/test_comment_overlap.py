"""A comment where ruamel's round-trip loader gives up (found by the fuzz test) is one clear error, not a crash."""

from __future__ import annotations

from pathlib import Path

import pytest

from labctl.errors import InputFileError
from labctl.protocol.loader import parse_protocol

SCALE_UP = Path(__file__).resolve().parents[2] / "protocols" / "kmno4-dihydroxylation-scaleup.yaml"


@pytest.mark.parametrize("comment", ["#>", "# >", "#|"])
def test_a_comment_in_place_of_a_block_scalar_is_a_yaml_error(comment: str) -> None:
    text = SCALE_UP.read_text(encoding="utf-8").replace("  description: >", f"  description: {comment}")
    with pytest.raises(InputFileError, match=r"broken\.yaml:\d+:\d+"):
        parse_protocol(text, "broken.yaml", {})
