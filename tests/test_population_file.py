"""The public population file: written a block at a time, read back with numpy, errors by line."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji import bundle, sampling

ID = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=18)
KEY = st.text(alphabet="AB-=;,\"区县 ", min_size=1, max_size=8)


def _file(tmp: Path, strata: list[tuple[str, list[str]]]) -> tuple[Path, list[dict]]:
    body = bundle.POPULATION_HEADER.encode()
    for key, ids in strata:
        arr = np.array(sorted(i.encode() for i in ids), dtype="S18") if ids else np.zeros(0, "S18")
        body += bundle._lines(bundle._csv_field(key).encode() + b",", arr)
    path = tmp / "p.csv.gz"
    path.write_bytes(gzip.compress(body, mtime=0))
    return path, [{"key": k, "size": len(ids)} for k, ids in strata]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(KEY, st.lists(ID, max_size=30, unique=True)), max_size=5, unique_by=lambda t: t[0]))
def test_round_trip(tmp_path_factory: pytest.TempPathFactory, strata: list[tuple[str, list[str]]]) -> None:
    path, committed = _file(tmp_path_factory.mktemp("pop"), strata)
    got = bundle.read_population_file(path, committed)
    for key, ids in strata:
        assert got[key].tolist() == sorted(i.encode() for i in ids)
        assert sampling.population_digest(got[key]) == sampling.population_digest(sorted(i.encode() for i in ids))


def _raw(path: Path, change) -> Path:
    path.write_bytes(gzip.compress(change(gzip.decompress(path.read_bytes())), mtime=0))
    return path


@pytest.mark.parametrize("change, message", [
    (lambda b: b.replace(b"A,330100020398696\n", b""), "rows, the commitment has"),
    (lambda b: b.replace(b"A,330100020398696", b"B,330100020398696"), "line 2: expected stratum A"),
    (lambda b: b.replace(b"B,91330100MA2B3C4D5E", b"B,91330100MA2B3C4D5E0"), "line 4: not an entity ID"),
    (lambda b: b.replace(b"B,91330100MA2B3C4D5E\n", b"\n"), "line 4: expected stratum B"),
    (lambda b: b.replace(b"stratum,uscc", b"x,y"), "line 1: not a population file header"),
    (lambda b: b[:-1], None),
])
def test_errors_name_the_line(tmp_path: Path, change, message: str | None) -> None:
    path, committed = _file(tmp_path, [("A", ["330100020398696", "91330100MA27Y6R41K"]),
                                       ("B", ["91330100MA2B3C4D5E"])])
    _raw(path, change)
    if message is None:  # a missing final newline is tolerated
        assert bundle.read_population_file(path, committed)["B"].tolist() == [b"91330100MA2B3C4D5E"]
        return
    with pytest.raises(ValueError, match=message):
        bundle.read_population_file(path, committed)


LINE = st.tuples(st.sampled_from([b"k,", b"k,", b"k,", b"j,", b"k", b""]),
                 st.binary(min_size=0, max_size=20).map(lambda b: b.replace(b"\n", b"x")))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(LINE, st.integers(1, 5)), min_size=1, max_size=20))
def test_runs_of_equal_lines_read_as_gathered(lines: list[tuple[tuple[bytes, bytes], int]]) -> None:
    """The matrix path (runs of one length) gives the byte-by-byte path's IDs and errors."""
    body = b"".join(p + i + b"\n" for (p, i), repeat in lines for _ in range(repeat))
    buf = np.frombuffer(body, np.uint8)
    ends = np.flatnonzero(buf == 10)
    starts = np.concatenate([[0], ends[:-1] + 1])
    lengths = ends - starts - 2
    bounds = [0, *(np.flatnonzero(lengths[1:] != lengths[:-1]) + 1).tolist(), len(lengths)]

    def outcome(read):
        try:
            return read().tolist()
        except ValueError as exc:
            return str(exc)

    runs = outcome(lambda: bundle._ids_of_runs(buf, starts, lengths, bounds, b"k,", 2, "k"))
    gathered = outcome(lambda: bundle._ids_of_scattered_lines(buf, starts, lengths, b"k,", 2, "k"))
    assert runs == gathered


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=5000), st.integers(0, 2**32 - 1))
def test_gunzip_in_one_buffer(body: bytes, wrong_size: int) -> None:
    """The verifier's inflate gives gzip's bytes, checks the trailer, and never trusts the
    trailer's size further than the buffer it starts with."""
    packed = gzip.compress(body, mtime=0)
    assert bundle.gunzip(packed) == body
    if wrong_size != len(body) % 2**32:
        with pytest.raises(Exception, match="incorrect length check"):
            bundle.gunzip(packed[:-4] + wrong_size.to_bytes(4, "little"))
    assert bundle.gunzip(packed + gzip.compress(b"more", mtime=0)) == body   # the first member
