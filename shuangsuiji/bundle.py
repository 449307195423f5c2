"""Build sealed records and audit bundles from the database.

:func:`draw_record_from_db` rebuilds a draw's canonical record from the stored rows
(draw, draw_stratum, draw_entity, draw_team, the sealed assignment input), so a row edited
directly in the database no longer matches the seal taken at draw time.
:func:`publication_content` assembles the public audit bundle of a task.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from . import i18n, sampling
from .errors import NotFound, VerificationError

BUNDLE_FORMAT = "shuangsuiji-bundle/1"
POPULATION_HEADER = "stratum,uscc\n"


def draw_rows(conn: Connection, task_id: int) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(
        "SELECT id, round_no, public_value, source, seed, reason, current, drawn, seal, as_of, assign_input, "
        "created_at FROM draw WHERE task_id = :t ORDER BY round_no"), {"t": task_id}).mappings()]


def draw_record_from_db(conn: Connection, task: dict[str, Any], draw: dict[str, Any]) -> dict[str, Any]:
    """The canonical record of a stored draw, as :func:`shuangsuiji.tasks.draw_record` built it."""
    strata = conn.execute(text(
        "SELECT s.idx, s.key, s.size, s.quota, d.threshold_ticket, d.threshold_id FROM task_stratum s "
        "LEFT JOIN draw_stratum d ON d.draw_id = :d AND d.idx = s.idx WHERE s.task_id = :t ORDER BY s.idx"),
        {"d": draw["id"], "t": task["id"]}).all()
    drawn = conn.execute(text(
        "SELECT e.uscc, de.stratum, de.ticket, de.entity_id FROM draw_entity de LEFT JOIN entity e ON e.id = de.entity_id "
        "WHERE de.draw_id = :d ORDER BY de.rank"), {"d": draw["id"]}).all()
    seats: dict[int, list[tuple[int, str, str]]] = {}
    for eid, seat, cert, role in conn.execute(text(
            "SELECT t.entity_id, t.seat, i.cert_no, t.role FROM draw_team t LEFT JOIN inspector i ON i.id = t.inspector_id "
            "WHERE t.draw_id = :d ORDER BY t.entity_id, t.seat"), {"d": draw["id"]}):
        seats.setdefault(int(eid), []).append((int(seat), cert, role))
    # the rows carry no foreign keys (migration 0007): a row pointing nowhere was made by hand
    strays = sorted({int(e) for u, _s, _t, e in drawn if u is None}
                    | {e for e, row in seats.items() if any(c is None for _, c, _r in row)}
                    | (set(seats) - {int(e) for *_, e in drawn}))
    if strays:
        raise VerificationError(detail=i18n.lazy("bundle.stray_rows", round=draw["round_no"], n=len(strays),
                                                 entity=strays[0]))
    team_list = []
    for u, _s, _tk, eid in drawn:
        row = sorted(seats.get(int(eid), []))
        members = [c for _, c, r in row if r != "expert"]
        team_list.append({"uscc": u, "leader": members[0] if members else None, "members": members,
                          "experts": [c for _, c, r in row if r == "expert"]})
    doc_digest = hashlib.sha256(_inflate(draw["assign_input"])).hexdigest()
    from .assignment import ALGORITHM as ASSIGN_ALGORITHM

    return {
        "algorithm": sampling.ALGORITHM, "assign_algorithm": ASSIGN_ALGORITHM,
        "commitment": task["commitment"], "round": int(draw["round_no"]), "public_value": draw["public_value"],
        "source": draw["source"], "seed": draw["seed"], "reason": draw["reason"],
        "strata": [{"key": k, "size": int(n), "quota": int(q), "threshold_ticket": tt, "threshold_id": ti}
                   for _i, k, n, q, tt, ti in strata],
        "drawn": [{"uscc": u, "stratum": int(s), "ticket": tk} for u, s, tk, _e in drawn],
        "teams": team_list,
        "assign_input_digest": doc_digest,
    }


def _inflate(blob: bytes) -> bytes:
    return zlib.decompress(blob)


def task_row(conn: Connection, task_no: str) -> dict[str, Any]:
    row = conn.execute(text(
        "SELECT t.id, t.task_no, t.name, t.state, t.spec, t.commitment, t.commit_object, t.department_id, "
        "t.inspection_end, t.published_at, p.plan_no, p.name AS plan_name, p.year, d.name AS department "
        "FROM task t JOIN plan p ON p.id = t.plan_id JOIN department d ON d.id = t.department_id "
        "WHERE t.task_no = :t"), {"t": task_no}).mappings().first()
    if row is None:
        raise NotFound(what="task", key=task_no)
    return dict(row)


def population_rows(conn: Connection, task_id: int) -> list[tuple[str, np.ndarray]]:
    """(stratum key, sorted USCCs) of the frozen population."""
    from .tasks import unpack_usccs

    return [(k, unpack_usccs(m)) for k, m in conn.execute(text(
        "SELECT key, members FROM task_stratum WHERE task_id = :t ORDER BY idx"), {"t": task_id})]


def write_population_file(conn: Connection, task_id: int, path: Path) -> tuple[str, int]:
    """Write the public population file; returns its SHA-256 and row count.

    gzip (mtime 0) of ``stratum,uscc`` lines, strata in key order, IDs ascending: identical
    bytes from identical populations.  Strata are read and written one at a time.
    """
    from .tasks import unpack_usccs

    rows = 0
    with open(path, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as gz:
            gz.write(POPULATION_HEADER.encode())
            for key, members in conn.execute(text(
                    "SELECT key, members FROM task_stratum WHERE task_id = :t ORDER BY idx"), {"t": task_id}):
                usccs = unpack_usccs(members)
                prefix = _csv_field(key).encode("utf-8") + b","
                for a in range(0, len(usccs), _LINES_BLOCK):
                    gz.write(_lines(prefix, usccs[a:a + _LINES_BLOCK]))
                rows += len(usccs)
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest(), rows


_LINES_BLOCK = 1 << 18


def _lines(prefix: bytes, usccs: np.ndarray) -> bytes:
    """``prefix + id + "\\n"`` for every ID, built as one byte matrix when all IDs fill the width.

    >>> _lines(b"k,", np.array([b"AB", b"CD"]))
    b'k,AB\\nk,CD\\n'
    >>> _lines(b"k,", np.array([b"AB", b"C"]))
    b'k,AB\\nk,C\\n'
    """
    n, w = len(usccs), usccs.dtype.itemsize
    if not n:
        return b""
    ids = np.ascontiguousarray(usccs).view(np.uint8).reshape(n, w)
    if not ids[:, -1].all():
        return b"".join(prefix + x + b"\n" for x in usccs.tolist())
    p = len(prefix)
    buf = np.empty((n, p + w + 1), np.uint8)
    buf[:, :p] = np.frombuffer(prefix, np.uint8)
    buf[:, p:p + w] = ids
    buf[:, -1] = ord("\n")
    return buf.tobytes()


def _csv_field(s: str) -> str:
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n') else s


def read_population_file(path: str | Path, strata: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Stratum key → USCCs (``S18`` array) from a population file, checked against the
    committed strata: the file must hold exactly their rows, grouped in key order.

    Raises ``ValueError`` naming the first line that does not fit (``zlib.error`` for a damaged
    gzip stream).  Lines are located and checked with numpy, a block of lines at a time.
    """
    return read_population_bytes(gunzip(Path(path).read_bytes()), strata)


def gunzip(raw: bytes) -> bytes:
    """The first gzip member of ``raw``, its CRC and length checked, inflated into a buffer
    sized from its trailer.  ``gzip.decompress`` grows its output in steps that each need the
    GIL, which the JSON parser in the main thread holds throughout; one buffer of the right
    size lets the whole inflate run beside the parser.  A published population file is one
    member (its SHA-256 is checked against the bundle); a file of several reads short and
    fails the row count."""
    size = int.from_bytes(raw[-4:], "little") if len(raw) >= 18 else 0
    return zlib.decompress(raw, wbits=31, bufsize=max(min(size, 16 * len(raw)), zlib.DEF_BUF_SIZE))


def read_population_bytes(raw: bytes, strata: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """:func:`read_population_file` of the file's already decompressed bytes."""
    if not raw.startswith(POPULATION_HEADER.encode()):
        header = raw.partition(b"\n")[0]
        raise ValueError(f"line 1: not a population file header: {header[:60]!r}")
    buf = np.frombuffer(raw, np.uint8)
    ends = np.flatnonzero(buf == 10)[1:]
    if raw[-1:] != b"\n":
        ends = np.append(ends, len(raw))
    starts = np.empty_like(ends)
    starts[:1] = len(POPULATION_HEADER)
    starts[1:] = ends[:-1] + 1
    total = sum(int(s["size"]) for s in strata)
    if len(ends) != total:
        raise ValueError(f"{len(ends)} rows, the commitment has {total}")
    out: dict[str, np.ndarray] = {}
    first = 0
    for s in strata:
        n = int(s["size"])
        prefix = _csv_field(s["key"]).encode("utf-8") + b","
        parts = [_ids_of_lines(buf, starts[a:min(a + _LINES_BLOCK, first + n)],
                               ends[a:min(a + _LINES_BLOCK, first + n)], prefix, a + 2, s["key"])
                 for a in range(first, first + n, _LINES_BLOCK)]
        out[s["key"]] = np.concatenate(parts) if parts else np.zeros(0, "S18")
        first += n
    return out


def _ids_of_lines(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, prefix: bytes, line_no: int,
                  key: str) -> np.ndarray:
    """The IDs of consecutive lines ``prefix + ID``; ``line_no`` is the first line's number, for
    errors.  IDs sorted by value come in long runs of one length, read a run at a time."""
    lengths = ends - starts - len(prefix)
    cuts = np.flatnonzero(lengths[1:] != lengths[:-1]) + 1
    if len(cuts) > len(lengths) // 64:
        return _ids_of_scattered_lines(buf, starts, lengths, prefix, line_no, key)
    return _ids_of_runs(buf, starts, lengths, [0, *cuts.tolist(), len(lengths)], prefix, line_no, key)


def _ids_of_runs(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray, bounds: list[int], prefix: bytes,
                 line_no: int, key: str) -> np.ndarray:
    """Lines ``bounds[i]`` to ``bounds[i + 1]`` have one length and follow each other, so each
    run is one byte matrix (a strided view of the file) of rows ``prefix + ID``."""
    p = len(prefix)
    pre = np.frombuffer(prefix, np.uint8)
    ok = np.zeros(len(lengths), bool)
    ids = np.zeros((len(lengths), 18), np.uint8)
    for a, b in zip(bounds, bounds[1:]):
        width = int(lengths[a])
        if width < 0:
            continue
        rows = np.lib.stride_tricks.as_strided(buf[starts[a]:], shape=(b - a, p + width),
                                               strides=(p + width + 1, 1), writeable=False)
        ok[a:b] = (rows[:, :p] == pre).all(axis=1)
        if width <= 18:
            ids[a:b, :width] = rows[:, p:p + width]
    _check_lines(ok, lengths, line_no, key)
    return ids.view("S18").ravel()


def _ids_of_scattered_lines(buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray, prefix: bytes,
                            line_no: int, key: str) -> np.ndarray:
    """:func:`_ids_of_lines` for lines whose lengths change often: gathered byte by byte."""
    ok = lengths >= 0
    for j, byte in enumerate(prefix):
        ok &= buf[np.minimum(starts + j, len(buf) - 1)] == byte
    _check_lines(ok, lengths, line_no, key)
    p = len(prefix)
    cols = np.arange(18)
    if (lengths == 18).all():
        return np.ascontiguousarray(buf[starts[:, None] + p + cols[None, :]]).view("S18").ravel()
    inside = cols[None, :] < lengths[:, None]
    ids = np.where(inside, buf[np.where(inside, starts[:, None] + p + cols[None, :], 0)], 0).astype(np.uint8)
    return np.ascontiguousarray(ids).view("S18").ravel()


def _check_lines(prefixed: np.ndarray, lengths: np.ndarray, line_no: int, key: str) -> None:
    if not prefixed.all():
        raise ValueError(f"line {line_no + int(np.argmax(~prefixed))}: expected stratum {key}")
    bad = (lengths < 1) | (lengths > 18)
    if bad.any():
        raise ValueError(f"line {line_no + int(np.argmax(bad))}: not an entity ID")


def publication_content(conn: Connection, task: dict[str, Any], results: list[dict[str, Any]],
                        population: dict[str, Any]) -> dict[str, Any]:
    """The body of the public audit bundle (ledger kind ``publication``)."""
    draws = draw_rows(conn, task["id"])
    records = [draw_record_from_db(conn, task, d) for d in draws]
    current = next(d for d in draws if d["current"])
    names = {u: n for u, n in conn.execute(text(
        "SELECT e.uscc, e.name FROM draw_entity de JOIN entity e ON e.id = de.entity_id WHERE de.draw_id = :d"),
        {"d": current["id"]})}
    officers = sorted({(c, n) for c, n in conn.execute(text(
        "SELECT DISTINCT i.cert_no, i.name FROM draw_team t JOIN inspector i ON i.id = t.inspector_id "
        "JOIN draw d ON d.id = t.draw_id WHERE d.task_id = :t"), {"t": task["id"]})})
    ledger_entries = []
    for content, seal in conn.execute(text("SELECT content, seal FROM bundle WHERE task_id = :t ORDER BY seq"),
                                      {"t": task["id"]}):
        e = json.loads(content)
        e["seal"] = seal
        ledger_entries.append(e)
    spec = json.loads(task["commit_object"])
    items = [{"code": c, "name": n, "legal_basis": b} for c, n, b in conn.execute(text(
        "SELECT code, name, legal_basis FROM item ORDER BY code")) if c in spec["parameters"]["items"]]
    return {
        "bundle": BUNDLE_FORMAT,
        "plan": {"plan_no": task["plan_no"], "name": task["plan_name"], "year": int(task["year"])},
        "task": {"task_no": task["task_no"], "name": task["name"], "department": task["department"],
                 "joint_departments": spec["parameters"]["joint_departments"], "items": items,
                 "inspection_end": str(task["inspection_end"]) if task["inspection_end"] else None},
        "commit_object": spec,
        "commitment": task["commitment"],
        "draws": [{"current": bool(d["current"]), "seal": d["seal"], "record": r} for d, r in zip(draws, records)],
        "draw_ledger": ledger_entries,
        "entities": [{"uscc": u, "name": names.get(u, "")} for u in (x["uscc"] for x in records[-1]["drawn"])]
        if records else [],
        "officers": [{"cert": c, "name": n} for c, n in officers],
        "results": results,
        "population_file": population,
    }


i18n.register({
    "bundle.stray_rows": {"zh": "数据库中第 {round} 轮抽取有 {n} 个主体的记录指向不存在的主体或执法人员，或人员匹配不属于该轮抽中的主体（如主体编号 {entity}）：这些行是直接改动数据库产生的",
                          "en": "round {round} has rows for {n} entities that point at no entity or officer, or team seats of entities it did not draw (e.g. entity id {entity}): they were made by editing the database directly"},
})
