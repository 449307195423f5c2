"""Compressed blocks read back in place: what a snapshot or a frozen population is made of."""
from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji import packing


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-2**63, 2**63 - 1), max_size=300), st.data())
def test_unpack_into_fills_the_array_from_its_blocks(values, data) -> None:
    arr = np.array(values, dtype="<i8")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(arr)), max_size=6)))
    parts = np.split(arr, cuts)
    legacy = data.draw(st.lists(st.booleans(), min_size=len(parts), max_size=len(parts)))
    blobs = [zlib.compress(p.tobytes()) if old else packing.pack(p) for p, old in zip(parts, legacy)]
    out = np.full(len(arr), 7, "<i8")
    packing.unpack_into(blobs, out)
    assert out.tolist() == arr.tolist()


def test_unpack_into_text_columns() -> None:
    ids = np.array([b"91330106MA2QXLLX5D", b"A", b"12345"], "S18")
    out = np.empty(3, "S18")
    packing.unpack_into([packing.pack(ids[:1]), packing.pack(ids[1:])], out)
    assert out.tolist() == ids.tolist()


@pytest.mark.parametrize("blobs", [
    [packing.pack(np.arange(3, dtype="<i8"))],                       # too short
    [packing.pack(np.arange(5, dtype="<i8"))],                       # too long
    [packing.ZSTD_MAGIC + b"\x00"],                                  # damaged header
    [packing.pack(np.arange(4, dtype="<i8"))[:-3]],                  # truncated frame
    [b"neither zstd nor zlib"],
])
def test_unpack_into_refuses_blocks_that_do_not_fit(blobs) -> None:
    out = np.zeros(4, "<i8")
    with pytest.raises(packing.PackingError):
        packing.unpack_into(blobs, out)


def test_unpack_into_checks_each_block_against_its_rows() -> None:
    """Two strata whose blocks hold 3 and 1 rows where 2 and 2 were frozen fill the array
    exactly, and are still refused."""
    blobs = [packing.pack(np.arange(3, dtype="<i8")), packing.pack(np.arange(1, dtype="<i8"))]
    out = np.zeros(4, "<i8")
    packing.unpack_into(blobs, out, rows=[3, 1])
    assert out.tolist() == [0, 1, 2, 0]
    with pytest.raises(packing.PackingError):
        packing.unpack_into(blobs, out, rows=[2, 2])
