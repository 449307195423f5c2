"""Build sealed records and audit bundles from the database.

:func:`draw_record_from_db` rebuilds a draw's canonical record from the stored rows
(draw, draw_stratum, draw_entity, draw_team, the sealed assignment input), so a row edited
directly in the database no longer matches the seal taken at draw time.
:func:`publication_content` assembles the public audit bundle of a task.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from . import sampling, teams
from .errors import NotFound

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
        "SELECT e.uscc, de.stratum, de.ticket, de.entity_id FROM draw_entity de JOIN entity e ON e.id = de.entity_id "
        "WHERE de.draw_id = :d ORDER BY de.rank"), {"d": draw["id"]}).all()
    seats: dict[int, list[tuple[int, str, str]]] = {}
    for eid, seat, cert, role in conn.execute(text(
            "SELECT t.entity_id, t.seat, i.cert_no, t.role FROM draw_team t JOIN inspector i ON i.id = t.inspector_id "
            "WHERE t.draw_id = :d ORDER BY t.entity_id, t.seat"), {"d": draw["id"]}):
        seats.setdefault(int(eid), []).append((int(seat), cert, role))
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
    import zlib

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


def population_file_bytes(rows: list[tuple[str, np.ndarray]]) -> bytes:
    """The public population file: gzip (mtime 0) of ``stratum,uscc`` lines, strata in key
    order, IDs ascending — identical bytes from identical populations."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, compresslevel=6) as gz:
        gz.write(POPULATION_HEADER.encode())
        for key, usccs in rows:
            prefix = _csv_field(key).encode("utf-8") + b","
            if len(usccs):
                gz.write(prefix + (b"\n" + prefix).join(usccs.tolist()) + b"\n")
    return buf.getvalue()


def _csv_field(s: str) -> str:
    return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\n') else s


def read_population_file(path: str | Path, strata: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Stratum key → USCCs (``S18`` array) from a population file, checked against the
    committed strata: the file must hold exactly their rows, grouped in key order.

    Raises ``ValueError`` naming the first line that does not fit.
    """
    raw = gzip.decompress(Path(path).read_bytes())
    header, _, body = raw.partition(b"\n")
    if header + b"\n" != POPULATION_HEADER.encode():
        raise ValueError(f"line 1: not a population file header: {header[:60]!r}")
    lines = body.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    total = sum(int(s["size"]) for s in strata)
    if len(lines) != total:
        raise ValueError(f"{len(lines)} rows, the commitment has {total}")
    out: dict[str, np.ndarray] = {}
    start = 0
    for s in strata:
        n = int(s["size"])
        prefix = _csv_field(s["key"]).encode("utf-8") + b","
        block = lines[start:start + n]
        if not all(line.startswith(prefix) for line in block):
            bad = next(i for i, line in enumerate(block) if not line.startswith(prefix))
            raise ValueError(f"line {start + bad + 2}: expected stratum {s['key']}")
        cut = len(prefix)
        out[s["key"]] = np.array([line[cut:] for line in block], dtype="S18") if n else np.zeros(0, "S18")
        start += n
    return out


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
