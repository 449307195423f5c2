from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji import ledger
from shuangsuiji.errors import VerificationError
from shuangsuiji.sampling import canonical_json

_text = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(["e\u0301", "é", "税", "a\nb", '"\\', "\x7f\u2028"])
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | _text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4), max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_fast_canonical_json_equals_reference(value) -> None:
    try:
        expected = canonical_json(value)
    except ValueError:
        with pytest.raises(ValueError):
            ledger.canonical(value)
        return
    assert ledger.canonical(value) == expected


def test_floats_and_big_ints_are_rejected_like_the_reference() -> None:
    for bad in ({"x": 1.5}, [2**60], {"k": {1: "a"}}):
        with pytest.raises(ValueError):
            ledger.canonical(bad)


def _chain(n: int) -> list[dict]:
    entries, prev = [], ledger.GENESIS
    for seq in range(1, n + 1):
        e = {"format": ledger.FORMAT, "kind": "draw", "seq": seq, "prev_seal": prev, "round": 1}
        e["seal"] = ledger.seal_of(e)
        prev = e["seal"]
        entries.append(e)
    return entries


def test_chain_detects_edit_removal_and_reordering() -> None:
    chain = _chain(5)
    ledger.verify_chain(chain)
    edited = [dict(e) for e in chain]
    edited[2]["round"] = 2
    removed = chain[:2] + chain[3:]
    reordered = [chain[0], chain[2], chain[1], *chain[3:]]
    headless = chain[1:]
    for bad, word in ((edited, "altered"), (removed, "removed"), (reordered, "removed"), (headless, "genesis")):
        with pytest.raises(VerificationError) as info:
            ledger.verify_chain(bad)
        assert word in info.value.message("en")
