"""The assignment's inputs as one canonical document, sealed with the draw.

At draw time the officers, their units, capacities and qualifications, the declared
conflicts valid on the draw date and the previous inspection teams are collected into a
JSON document (ordered by stable keys).  The draw stores it (compressed) and commits to its
SHA-256, so ``verify --db`` can re-run the assignment exactly even after the registries have
changed.  Declared conflicts are private: only the digest ever appears in public outputs.
"""
from __future__ import annotations

import hashlib
import json
import zlib
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from .assignment import ALGORITHM as ASSIGN_ALGORITHM
from .assignment import AssignInputs, DepartmentSeats, Entities, Officers, Pairs, TeamRules
from .errors import NotFound
from . import ledger
from .ledger import canonical as canonical_json
from .store import fetch_rows, rows_where_in
from .taskspec import TaskSpec

UNLIMITED = 1_000_000


def collect(conn: Connection, spec: TaskSpec, drawn_uscc: list[str], as_of: date,
            entity_ids: list[int] | None = None, entity_units: list[int] | None = None) -> dict[str, Any]:
    """Build the canonical assignment input for the drawn entities (in draw order).

    ``entity_ids`` (the same entities' row ids, when known) makes the lookup of their units
    a walk along the primary key instead of half a million probes of the USCC index.
    ``entity_units`` (their unit ids as frozen, -1 for none, with ``entity_ids``) skips the
    lookup: a task's entities keep the units they had on the freeze day."""
    departments = sorted({s.department for s in spec.seats}, key=lambda n: n.encode())
    dept_ids: dict[str, int] = {}
    for name in departments:
        row = conn.execute(text("SELECT id FROM department WHERE name = :n"), {"n": name}).first()
        if row is None:
            raise NotFound(what="部门/department", key=name)
        dept_ids[name] = int(row[0])
    code = {name: i for i, name in enumerate(departments)}
    units = {int(i): n for i, n in conn.execute(text("SELECT id, name FROM unit"))}
    if entity_ids is not None and entity_units is not None:
        uscc_of = dict(zip(entity_ids, drawn_uscc))
        # a few hundred distinct units: each name is looked up once
        distinct, which = np.unique(np.asarray(entity_units, dtype=np.int64), return_inverse=True)
        names = np.array([units.get(x, "") if x >= 0 else "" for x in distinct.tolist()], dtype=object)
        unit_names = names[which.ravel()].tolist()
    else:
        if entity_ids is not None:
            found = rows_where_in(conn, "SELECT uscc, id, unit_id FROM entity", "id", sorted(entity_ids))
        else:
            found = rows_where_in(conn, "SELECT uscc, id, unit_id FROM entity", "uscc", drawn_uscc)
        ent_unit = {u: units.get(unit, "") if unit is not None else "" for u, _, unit in found}
        uscc_of = {int(i): u for u, i, _ in found}
        unit_names = [ent_unit.get(u, "") for u in drawn_uscc]
    officers = []
    cert_of: dict[int, str] = {}
    for iid, cert, name, dept, unit, quals, status, cap, expert in conn.execute(text(
            "SELECT i.id, i.cert_no, i.name, d.name, i.unit_id, i.qualifications, i.status, i.capacity, i.expert "
            "FROM inspector i JOIN department d ON d.id = i.department_id WHERE d.id IN :d")
            .bindparams(_expanding("d")), {"d": list(dept_ids.values())}):
        cert_of[int(iid)] = cert
        officers.append([cert, name, code[dept], units.get(unit, "") if unit is not None else "",
                         UNLIMITED if cap is None else int(cap), bool(expert), status == "on_duty",
                         sorted(q for q in (quals or "").split(";") if q)])
    officers.sort(key=lambda o: o[0].encode())
    drawn_ids = uscc_of.keys()
    conflicts = sorted({(cert_of[i], uscc_of[e]) for i, e, vf, vt in fetch_rows(
        conn, "SELECT inspector_id, entity_id, valid_from, valid_to FROM conflict")
        if e in drawn_ids and i in cert_of and _valid(vf, vt, as_of)})
    previous: list[tuple[str, str]] = []
    if spec.rotation:
        cutoff = (as_of - timedelta(days=spec.rotation_days)).isoformat()
        latest: dict[int, tuple[str, int]] = {}
        for nid, eid, day in fetch_rows(conn, "SELECT id, entity_id, inspected_on FROM inspection "
                                              "WHERE inspected_on >= ?", [cutoff]):
            if eid in drawn_ids:
                key = (str(day), int(nid))
                if eid not in latest or key > latest[eid]:
                    latest[eid] = key
        wanted = {nid: eid for eid, (_, nid) in latest.items()}
        for nid, iid in rows_where_in(conn, "SELECT inspection_id, inspector_id FROM inspection_member",
                                      "inspection_id", sorted(wanted)) if wanted else []:
            if iid in cert_of:
                previous.append((cert_of[iid], uscc_of[wanted[nid]]))
    return {
        "algorithm": ASSIGN_ALGORITHM,
        "departments": departments,
        "rules": {"mode": spec.mode, "rotation": spec.rotation,
                  "seats": [{"department": code[s.department], "seats": s.k, "qualification": s.qualification,
                             "cross_unit": s.cross_unit, "experts": s.experts} for s in spec.seats]},
        "entities": [[u, n] for u, n in zip(drawn_uscc, unit_names)],
        "officers": officers,
        "conflicts": [list(p) for p in conflicts],
        "previous": [list(p) for p in sorted(set(previous))],
    }


def _expanding(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)


def _valid(vf: Any, vt: Any, day: date) -> bool:
    d = day.isoformat()
    return (vf is None or str(vf) <= d) and (vt is None or str(vt) >= d)


def encode(doc: dict[str, Any]) -> tuple[bytes, str]:
    """(zlib-compressed canonical JSON, its SHA-256 hex)."""
    raw = document_json(doc)
    return zlib.compress(raw, 1), hashlib.sha256(raw).hexdigest()


def document_json(doc: dict[str, Any]) -> bytes:
    """``canonical_json(doc)``, with the drawn entities formatted directly when their IDs are
    written verbatim (:func:`.ledger.verbatim`; each unit name goes through the canonical emitter
    once). ``entities`` is the only top-level key of that name, and keys before it hold only
    strings, in which a quote is always escaped."""
    entities = doc["entities"]
    joined = "".join(u for u, _ in entities)
    if not entities or not ledger.verbatim(joined):
        return canonical_json(doc)
    units = {u: canonical_json(u).decode("utf-8") for u in {u for _, u in entities}}
    body = ",".join(['["%s",%s]' % (u, units[unit]) for u, unit in entities])
    head = canonical_json({**doc, "entities": []}).decode("utf-8")
    return head.replace('"entities":[]', '"entities":[' + body + "]", 1).encode("utf-8")


def decode(blob: bytes) -> dict[str, Any]:
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def digest(doc: dict[str, Any]) -> str:
    return hashlib.sha256(document_json(doc)).hexdigest()


def to_arrays(doc: dict[str, Any]) -> tuple[AssignInputs, TeamRules]:
    """The pure assignment's inputs from a canonical document."""
    unit_names = sorted({u for _, u in doc["entities"]} | {o[3] for o in doc["officers"]} - {""})
    unit_code = {u: i for i, u in enumerate(unit_names)}
    officers = doc["officers"]
    certs = [o[0].encode() for o in officers]
    index = {o[0]: i for i, o in enumerate(officers)}
    ent_index = {u: i for i, (u, _) in enumerate(doc["entities"])}
    quals = sorted({s["qualification"] for s in doc["rules"]["seats"] if s["qualification"]})
    off = Officers(
        cert=certs,
        department=np.array([o[2] for o in officers], dtype=np.int64),
        unit=np.array([unit_code.get(o[3], -1) if o[3] else -1 for o in officers], dtype=np.int64),
        capacity=np.array([o[4] for o in officers], dtype=np.int64),
        expert=np.array([o[5] for o in officers], dtype=bool),
        on_duty=np.array([o[6] for o in officers], dtype=bool),
        qualifications={q: np.array([q in o[7] for o in officers], dtype=bool) for q in quals},
    )
    ents = Entities(ids=np.array([u.encode() for u, _ in doc["entities"]], dtype="S18"),
                    unit=np.array([unit_code.get(u, -1) if u else -1 for _, u in doc["entities"]], dtype=np.int64))

    def pairs(rows: list[list[str]]) -> Pairs:
        rows = [r for r in rows if r[0] in index and r[1] in ent_index]
        return Pairs(officer=np.array([index[c] for c, _ in rows], dtype=np.int64),
                     entity=np.array([ent_index[u] for _, u in rows], dtype=np.int64))

    inputs = AssignInputs(entities=ents, officers=off, conflicts=pairs(doc["conflicts"]),
                          previous=pairs(doc["previous"]))
    rules = TeamRules(departments=tuple(DepartmentSeats(department=s["department"], seats=s["seats"],
                                                        qualification=s["qualification"],
                                                        cross_unit=s["cross_unit"], experts=s["experts"])
                                        for s in doc["rules"]["seats"]),
                      rotation=doc["rules"]["rotation"], mode=doc["rules"]["mode"])
    return inputs, rules


def task_fairness(store: Any, task_no: str, runs: int, reporter: Any = None) -> tuple[Any, dict[str, Any]]:
    """Replay the current draw's sealed assignment input under ``runs`` public fairness keys.

    Returns the :class:`~shuangsuiji.assignment.FairnessReport` and the sealed document (for names).
    The keys are SHA-256(b"fairness" || u32(i)), so anyone with the input gets the same figures.
    """
    from .assignment import fairness, fairness_keys
    from .progress import NULL

    conn = store.read()
    row = conn.execute(text("SELECT d.assign_input FROM draw d JOIN task t ON t.id = d.task_id "
                            "WHERE t.task_no = :t AND d.current = :c"), {"t": task_no, "c": True}).first()
    conn.rollback()
    if row is None:
        raise NotFound(what="draw", key=task_no)
    doc = decode(row[0])
    inputs, rules = to_arrays(doc)
    return fairness(inputs, rules, fairness_keys(runs), reporter or NULL), doc
