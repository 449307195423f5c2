"""A published population file, read in a forked process while the bundle is parsed.

The JSON parser holds the GIL for the whole parse of a large bundle (1.5 s at 10 million
entities), so a thread splitting the population file beside it waits until the parse ends.
A forked process does not: it hashes, inflates and splits the file into strata, and writes
the IDs into memory shared with this process, all during the parse.

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

from . import bundle

_LEAD = '{"bundle":'
_KEY = ',"commit_object":'
_DEFLATE_MAX_RATIO = 1032


def leading_strata(text: str) -> list[dict[str, Any]] | None:
    """``commit_object.strata`` read from the start of a canonical bundle's text, or None.

    >>> leading_strata('{"bundle":"b/1","commit_object":{"strata":[{"key":"*","size":2}]},"x":1}')
    [{'key': '*', 'size': 2}]
    >>> leading_strata('{"x": 1}') is None
    True
    """
    if not text.startswith(_LEAD):
        return None
    at = text.find(_KEY, 0, 4096)
    if at < 0:
        return None
    try:
        obj, _ = json.JSONDecoder().raw_decode(text, at + len(_KEY))
        strata = obj["strata"]
        keys = [s["key"] for s in strata]
        sizes = [s["size"] for s in strata]
    except (ValueError, KeyError, TypeError):
        return None
    if len(set(keys)) != len(keys) or not all(type(n) is int and n >= 0 for n in sizes) \
            or not all(isinstance(k, str) for k in keys):
        return None
    return [{"key": k, "size": n} for k, n in zip(keys, sizes)]


class Reader:
    """A forked worker reading one population file for the given strata."""

    def __init__(self, path: Path, strata: list[dict[str, Any]]) -> None:
        self.path, self.strata = path, strata
        rows = sum(s["size"] for s in strata)
        self._ids = mmap.mmap(-1, max(rows * 18, 1))
        ctx = multiprocessing.get_context("fork")
        self._conn, child_end = ctx.Pipe(duplex=False)
        self._proc = ctx.Process(target=_work, args=(path, strata, self._ids, child_end), daemon=True)
        self._proc.start()
        child_end.close()

    @classmethod
    def start(cls, path: Path, strata: list[dict[str, Any]] | None) -> Reader | None:
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
        return cls(path, strata)

    def result(self, strata: list[dict[str, Any]]) -> tuple[str, dict[str, np.ndarray] | str] | None:
        """The file's SHA-256 and its IDs per stratum (or why they could not be read), when
        ``strata`` (from the parsed bundle) are the ones read; otherwise None."""
        try:
            if not _same(strata, self.strata):
                return None
            try:
                sha, error = self._conn.recv()
            except (EOFError, OSError):
                return None
            self._proc.join()
            if self._proc.exitcode != 0 or sha is None:
                return None
            if error is not None:
                return sha, error
            out: dict[str, np.ndarray] = {}
            row = 0
            for s in self.strata:
                out[s["key"]] = np.frombuffer(self._ids, "S18", count=s["size"], offset=row * 18)
                row += s["size"]
            return sha, out
        finally:
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


def _work(path: Path, strata: list[dict[str, Any]], ids: mmap.mmap, conn: Connection) -> None:
    """Runs in the forked worker: (sha256, None) with the IDs written, (sha256, error text),
    or (None, None) when the file could not be read at all."""
    try:
        raw = path.read_bytes()
    except OSError:
        conn.send((None, None))
        return
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
