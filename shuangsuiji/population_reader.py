"""A published population file, read in a forked process while the bundle is parsed.

The JSON parser holds the GIL for the whole parse of a large bundle (1.5 s at 10 million
entities), so a thread splitting the population file beside it waits until the parse ends.
A forked process does not: it hashes, inflates and splits the file into strata, and writes
the IDs into memory shared with this process, all during the parse.
Given the key the first draw record states, it then hashes those IDs' tickets, which
verify uses only once that key has been checked.

The split needs the committed strata, which a bundle written by :mod:`.publication` holds
near its start: canonical JSON orders keys, and ``commit_object`` comes second. They are
read from there before the parse, and the parsed bundle must then carry exactly the same
strata, or the result is not used. Anything unexpected (no ``fork``, a bundle not laid out
so, a worker that died) returns ``None`` and the caller reads the file itself, so this
changes how fast a verification runs, never its verdict.
"""
from __future__ import annotations

import hashlib
import json
import mmap
import multiprocessing
import zlib
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from . import bundle, sampling

_LEAD = b'{"bundle":'
_KEY = b',"commit_object":'
_STRATA_MAX = 16 << 20          # bytes of a bundle's start searched for its strata
_DEFLATE_MAX_RATIO = 1032
_READ_FAILED = 3


def leading_strata(data: bytes) -> list[dict[str, Any]] | None:
    """``commit_object.strata`` read from the start of a canonical bundle's bytes, or None.

    >>> leading_strata(b'{"bundle":"b/1","commit_object":{"strata":[{"key":"*","size":2}]},"x":1}')
    [{'key': '*', 'size': 2}]
    >>> leading_strata(b'{"x": 1}') is None
    True
    """
    if not data.startswith(_LEAD):
        return None
    at = data.find(_KEY, 0, 4096)
    if at < 0:
        return None
    head = data[at + len(_KEY):at + _STRATA_MAX].decode("utf-8", "ignore")
    try:
        obj, _ = json.JSONDecoder().raw_decode(head)
        strata = obj["strata"]
        keys = [s["key"] for s in strata]
        sizes = [s["size"] for s in strata]
    except (ValueError, KeyError, TypeError):
        return None
    if len(set(keys)) != len(keys) or not all(type(n) is int and n >= 0 for n in sizes) \
            or not all(isinstance(k, str) for k in keys):
        return None
    return [{"key": k, "size": n} for k, n in zip(keys, sizes)]


def leading_key(data: bytes) -> bytes | None:
    """The first draw's entity key as its record states its seed, read from a canonical
    bundle's bytes before they are decoded and parsed, or None.  A guess: tickets hashed
    under it are used only once the record's seed has been checked and gives this key.

    >>> seed = "00" * 32
    >>> leading_key(b'{"draws":[{"current":false,"record":{"seed":"' + seed.encode() + b'"}}]}') == \\
    ...     sampling.subkey(bytes(32), "entity")
    True
    >>> leading_key(b'{"draws":[]}') is None
    True
    """
    at = data.find(b'"draws":[{')
    at = data.find(b'"seed":"', at) if at >= 0 else -1
    if at < 0:
        return None
    try:
        seed = bytes.fromhex(data[at + 8:at + 72].decode("ascii"))
    except ValueError:
        return None
    return sampling.subkey(seed, "entity") if len(seed) == 32 else None


class Reader:
    """A forked worker reading one population file for the given strata and then, given a
    ``key``, hashing the tickets of what it read (:attr:`tickets`) until this process joins
    in: the parse of the bundle and the reading take a core each, and the hashing begins
    as soon as the file is read."""

    def __init__(self, path: Path, strata: list[dict[str, Any]], key: bytes | None = None) -> None:
        self.path, self.strata, self.key = path, strata, key
        rows = sum(s["size"] for s in strata)
        self._ids = mmap.mmap(-1, max(rows * 18, 1))
        self.stacked = np.frombuffer(self._ids, "S18", count=rows)
        self.tickets = None if key is None else sampling.PendingTickets.shared(key, self.stacked)
        ctx = multiprocessing.get_context("fork")
        self._conn, child_end = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_work, args=(path, strata, self._ids, child_end, self.tickets), daemon=True)
        self._proc.start()
        child_end.close()
        if self.tickets is not None:
            self.tickets.attach(self._proc)

    @classmethod
    def start(cls, path: Path, strata: list[dict[str, Any]] | None, key: bytes | None = None) -> Reader | None:
        """A reader, or None when ``fork`` is missing or the strata cannot be in the file
        (more rows than its compressed size could inflate to)."""
        if strata is None or "fork" not in multiprocessing.get_all_start_methods():
            return None
        try:
            limit = path.stat().st_size * _DEFLATE_MAX_RATIO // 4
        except OSError:
            return None
        if sum(s["size"] for s in strata) > limit:
            return None
        return cls(path, strata, key)

    def result(self, strata: list[dict[str, Any]]) -> tuple[str, dict[str, np.ndarray] | str] | None:
        """The file's SHA-256 and its IDs per stratum (or why they could not be read), when
        ``strata`` (from the parsed bundle) are the ones read; otherwise None.  A reader
        hashing :attr:`tickets` goes on doing so; otherwise it has ended."""
        hashing = False
        try:
            if not _same(strata, self.strata):
                return None
            try:
                sha, error = self._conn.recv()
            except (EOFError, OSError):
                return None
            if self.tickets is None or error is not None or sha is None:
                self._proc.join()
                if self._proc.exitcode not in (0, _READ_FAILED) or sha is None:
                    return None
            if error is not None:
                return sha, error
            out: dict[str, np.ndarray] = {}
            row = 0
            for s in self.strata:
                out[s["key"]] = np.frombuffer(self._ids, "S18", count=s["size"], offset=row * 18)
                row += s["size"]
            hashing = self.tickets is not None
            return sha, out
        finally:
            if not hashing:
                self.cancel()

    def cancel(self) -> None:
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join()
        self._conn.close()


def _same(parsed: object, read: list[dict[str, Any]]) -> bool:
    """The parsed bundle's strata are the ones read; False for malformed ones, whose error
    the checks of the bundle name in their turn."""
    try:
        return [(s["key"], s["size"]) for s in parsed] == [(s["key"], s["size"]) for s in read]  # type: ignore[attr-defined]
    except (KeyError, TypeError, AttributeError):
        return False


def _work(path: Path, strata: list[dict[str, Any]], ids: mmap.mmap, conn: Connection,
          tickets: sampling.PendingTickets | None) -> None:
    """Runs in the forked worker: (sha256, None) with the IDs written, then their tickets
    hashed; (sha256, error text), or (None, None) when the file could not be read at all,
    and then an exit with :data:`_READ_FAILED` (no tickets were hashed)."""
    try:
        raw = path.read_bytes()
    except OSError:
        conn.send((None, None))
        raise SystemExit(_READ_FAILED) from None
    sha = hashlib.sha256(raw).hexdigest()
    try:
        read = bundle.read_population_bytes(bundle.gunzip(raw), strata)
        del raw
        row = 0
        for s in strata:
            np.frombuffer(ids, "S18", count=s["size"], offset=row * 18)[:] = read[s["key"]]
            row += s["size"]
        conn.send((sha, None))
    except (ValueError, OSError, EOFError, zlib.error) as exc:
        conn.send((sha, str(exc)[:200]))
        raise SystemExit(_READ_FAILED) from None
    if tickets is not None:
        tickets.work()
