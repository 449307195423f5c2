"""Formula neutralisation for exported spreadsheet cells."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji.cells import is_formula_like, safe_cell

DANGEROUS = "=+-@\t\r"


def _first_visible(text: str) -> str:
    """First character that is not a space-like character other than tab / CR."""
    for ch in text:
        if ch in "\t\r" or not ch.isspace():
            return ch
    return ""


@pytest.mark.parametrize("value", [
    "=1+1", "+1", "-1", "@SUM(A1:A2)", "\t=1", "\r=1", "  =HYPERLINK(\"x\")",
    "\u3000=1", "\n-2", "=cmd|' /C calc'!A0",
])
def test_known_payloads_are_quoted(value: str) -> None:
    assert is_formula_like(value)
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize("value", [
    "", "   ", "北京某某科技有限公司", "91350100M000100Y43", "a=b", "1-2", "'=1", "2024-10-01",
])
def test_ordinary_text_is_unchanged(value: str) -> None:
    assert not is_formula_like(value)
    assert safe_cell(value) == value


@settings(max_examples=400)
@given(st.text())
def test_output_never_starts_a_formula(value: str) -> None:
    out = safe_cell(value)
    assert _first_visible(out) not in set(DANGEROUS)
    assert not is_formula_like(out)
    assert out.endswith(value) and len(out) - len(value) in (0, 1)


@settings(max_examples=300)
@given(st.text().filter(lambda s: _first_visible(s) not in set(DANGEROUS)))
def test_text_not_starting_with_a_trigger_is_unchanged(value: str) -> None:
    assert safe_cell(value) == value


@settings(max_examples=300)
@given(st.sampled_from(list(DANGEROUS)), st.text(alphabet=" \u3000\n"), st.text())
def test_triggers_after_blanks_are_caught(trigger: str, blanks: str, rest: str) -> None:
    value = blanks + trigger + rest
    assert safe_cell(value) == "'" + value


@settings(max_examples=200)
@given(st.text())
def test_idempotent(value: str) -> None:
    assert safe_cell(safe_cell(value)) == safe_cell(value)
