"""Who a run names as responsible: the name given, else the login name; never an empty string."""

from __future__ import annotations

import getpass

import pytest

from labctl.operator_name import operator_name


@pytest.mark.parametrize(("given", "expected"), [("  Dr. Ada Chemist ", "Dr. Ada Chemist"), ("bob", "bob")])
def test_a_given_name_is_kept_without_surrounding_blanks(given: str, expected: str) -> None:
    assert operator_name(given) == expected


@pytest.mark.parametrize("given", [None, "", "   "])
def test_without_a_name_the_login_name_is_recorded(given: str | None) -> None:
    assert operator_name(given) == getpass.getuser()
