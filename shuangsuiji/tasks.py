"""Plans and tasks: create, freeze (commit), draw (reveal) — the I/O shell of the draw.

``freeze`` fixes the eligible population and the parameters and returns the commitment;
after it nothing about the task can change.  ``draw`` takes the public random value,
derives the seed from commitment + value, draws entities (:mod:`.sampling`) and teams
(:mod:`.assignment`) from it, seals the result and appends it to the department's ledger.
A sealed draw is never overwritten: a re-draw needs a reason and adds a new round.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from itertools import repeat
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert, text, update

from . import assignment, clock, i18n, ledger, packing, population, sampling, teams
from .beside import Beside
from .errors import NotFound, SealedError, StateError, ValidationError, VerificationError
from .importer import bulk_insert
from .models import Draw, Plan, Task
from .progress import NULL, Reporter
from .store import Store, fetch_rows
from .taskspec import TaskSpec
from .taskspec import parse as parse_spec

STATES = ("draft", "frozen", "drawn", "published")
MIN_REASON = 4


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _department_id(conn: Connection, name: str, create: bool = False) -> int:
    row = conn.execute(text("SELECT id FROM department WHERE name = :n"), {"n": name}).first()
    if row is not None:
        return int(row[0])
    if not create:
        raise NotFound(what=i18n.text("what.department"), key=name)
    return int(conn.execute(text("INSERT INTO department (name, cross_unit, rotation_days) VALUES (:n, :c, 365) "
                                 "RETURNING id"), {"n": name, "c": True}).scalar_one())


# -- plans and tasks ---------------------------------------------------------------------
def create_plan(store: Store, plan_no: str, name: str, year: int, department: str) -> int:
    """Create an annual plan (年度抽查计划); the department is created if new."""
    if not plan_no.strip() or not name.strip():
        raise ValidationError("task.plan_fields")
    with store.atomic() as conn:
        if conn.execute(text("SELECT 1 FROM plan WHERE plan_no = :p"), {"p": plan_no}).first():
            raise StateError("task.plan_exists", plan=plan_no)
        dept = _department_id(conn, department, create=True)
        return int(conn.execute(insert(Plan.__table__).values(
            plan_no=plan_no, name=name, year=year, department_id=dept, created_at=_now())).inserted_primary_key[0])


def create_task(store: Store, spec: TaskSpec | dict[str, Any]) -> int:
    """Create a task in state ``draft`` from a validated spec (or a raw dict)."""
    if isinstance(spec, dict):
        spec = parse_spec(spec)
    with store.atomic() as conn:
        plan = conn.execute(text("SELECT id FROM plan WHERE plan_no = :p"), {"p": spec.plan_no}).first()
        if plan is None:
            raise NotFound(what=i18n.text("what.plan"), key=spec.plan_no)
        if conn.execute(text("SELECT 1 FROM task WHERE task_no = :t"), {"t": spec.task_no}).first():
            raise StateError("task.exists", task=spec.task_no)
        dept = _department_id(conn, spec.department)
        for name in {*spec.joint_departments, *(s.department for s in spec.seats)}:
            _department_id(conn, name)
        known = {c for (c,) in conn.execute(text("SELECT code FROM item"))}
        missing = [c for c in spec.items if c not in known]
        if missing:
            raise NotFound(what=i18n.text("what.item"), key="、".join(missing))
        return int(conn.execute(insert(Task.__table__).values(
            task_no=spec.task_no, name=spec.name, plan_id=int(plan[0]), department_id=dept,
            spec=spec.to_toml(), state="draft", inspection_end=spec.inspection_end,
            created_at=_now())).inserted_primary_key[0])


def load_spec(toml_text: str) -> TaskSpec:
    import tomllib

    return parse_spec(tomllib.loads(toml_text))


def _task(conn: Connection, task_no: str, lock: bool = False) -> Any:
    sql = "SELECT id, task_no, name, plan_id, department_id, spec, state, commitment, commit_object, frozen_at FROM task WHERE task_no = :t"
    if lock and conn.dialect.name == "postgresql":
        sql += " FOR UPDATE"
    row = conn.execute(text(sql), {"t": task_no}).mappings().first()
    if row is None:
        raise NotFound(what=i18n.text("what.task"), key=task_no)
    return row


def list_tasks(store: Store) -> list[dict[str, Any]]:
    conn = store.read()
    rows = conn.execute(text(
        "SELECT t.task_no, t.name, p.plan_no, d.name AS department, t.state, t.commitment, "
        "(SELECT count(*) FROM draw w WHERE w.task_id = t.id) AS draws "
        "FROM task t JOIN plan p ON p.id = t.plan_id JOIN department d ON d.id = t.department_id "
        "ORDER BY t.id")).mappings().all()
    conn.rollback()
    return [dict(r) for r in rows]


def show_task(store: Store, task_no: str) -> dict[str, Any]:
    conn = store.read()
    t = _task(conn, task_no)
    out: dict[str, Any] = {"task_no": t["task_no"], "name": t["name"], "state": t["state"],
                           "commitment": t["commitment"], "spec": t["spec"]}
    out["strata"] = [dict(r) for r in conn.execute(text(
        "SELECT idx, key, size, quota, digest FROM task_stratum WHERE task_id = :t ORDER BY idx"),
        {"t": t["id"]}).mappings()]
    out["exclusions"] = {r: int(c) for r, c in conn.execute(text(
        "SELECT reason, count FROM task_exclusion WHERE task_id = :t ORDER BY reason"), {"t": t["id"]})}
    out["draws"] = [dict(r) for r in conn.execute(text(
        "SELECT round_no, source, public_value, seed, reason, current, drawn, seal, created_at, created_by "
        "FROM draw WHERE task_id = :t ORDER BY round_no"), {"t": t["id"]}).mappings()]
    conn.rollback()
    return out


# -- freeze --------------------------------------------------------------------------------
@dataclass
class FreezeResult:
    task_no: str
    commitment: str
    strata: list[sampling.StratumSummary]
    in_scope: int
    eligible: int
    quota_total: int
    excluded: dict[str, int] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)


def _quota_rule(spec: TaskSpec, risk: str, key: str) -> dict[str, Any]:
    if spec.count is not None:
        return {"count": spec.count}
    ratio = spec.ratio_by_risk.get(risk) if risk else None
    if ratio is None:
        ratio = spec.ratio
    if ratio is None:
        raise ValidationError("task.no_ratio_for_stratum", stratum=key)
    return {"ratio": ratio}


def unpack_usccs(blob: bytes) -> np.ndarray:
    return np.frombuffer(packing.unpack(blob), dtype="S18")


def freeze(store: Store, task_no: str, *, as_of: date | None = None, reporter: Reporter = NULL) -> FreezeResult:
    """Fix the task's eligible population and parameters; return the commitment."""
    with store.atomic() as conn:
        t = _task(conn, task_no, lock=True)
        if t["state"] != "draft":
            raise SealedError(what=i18n.text("what.task"), key=task_no)
        spec = load_spec(t["spec"])
        day = spec.as_of or as_of or clock.today()
        if spec.as_of is None:
            spec = parse_spec({**_spec_dict(spec), "as_of": day.isoformat()})
        reporter.start(i18n.text("task.progress_freeze", task=task_no), None)
        unit_names = {int(i): n for i, n in conn.execute(text("SELECT id, name FROM unit"))}
        pop = population.build(conn, spec, task_id=t["id"], plan_id=t["plan_id"], as_of=day, unit_names=unit_names)
        order = sorted(range(len(pop.stratum_keys)), key=lambda i: pop.stratum_keys[i].encode())
        remap = np.empty(len(order), dtype=np.int32)
        remap[order] = np.arange(len(order), dtype=np.int32)
        keys = [pop.stratum_keys[i] for i in order]
        risks = [pop.stratum_risk[i] for i in order]
        stratum_of = remap[pop.stratum_of] if len(pop.stratum_of) else pop.stratum_of
        sizes = np.bincount(stratum_of, minlength=len(keys)) if len(keys) else np.zeros(0, np.int64)
        quotas = [sampling.quota(int(n), **_quota_rule(spec, r, k), minimum=spec.minimum)
                  for n, r, k in zip(sizes.tolist(), risks, keys)]
        # the digests hash the members grouped by stratum, each stratum in ascending USCC
        # order: the same grouping is stored, without sorting again
        summaries, grouped, grouped_usccs = sampling.summarise_groups(pop.usccs, stratum_of, keys, quotas)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64).tolist()
        units = pop.units.astype(np.int32) if not len(pop.units) or int(pop.units.max()) < 2**31 else None
        columns = [grouped_usccs] + [col if grouped is None else np.take(col, grouped)
                                     for col in (pop.ids, units) if col is not None]
        del grouped, grouped_usccs
        packed = packing.pack_all([col[a:b] for col in columns for a, b in zip(bounds, bounds[1:])])
        del columns
        params = spec.parameters()
        commit_hex = sampling.commitment(params, summaries)
        commit_obj = {"algorithm": sampling.ALGORITHM, "parameters": params,
                      "strata": [{"key": s.key, "size": s.size, "quota": s.quota, "digest": s.digest}
                                 for s in summaries]}
        m = len(summaries)
        rows = [(t["id"], i, s.key, s.size, s.quota, s.digest, packed[i], packed[m + i],
                 packed[2 * m + i] if units is not None else None) for i, s in enumerate(summaries)]
        del packed
        bulk_insert(conn, "task_stratum", ("task_id", "idx", "key", "size", "quota", "digest", "members",
                                           "member_ids", "member_units"), rows)
        bulk_insert(conn, "task_exclusion", ("task_id", "reason", "count", "members"),
                    [(t["id"], r, int(len(ids)), blob) for (r, ids), blob in
                     zip(pop.excluded.items(), packing.pack_all(list(pop.excluded.values())))])
        conn.execute(update(Task.__table__).where(Task.__table__.c.id == t["id"]).values(
            state="frozen", commitment=commit_hex, frozen_at=_now(), spec=spec.to_toml(),
            commit_object=sampling.canonical_json(commit_obj).decode("utf-8")))
        reporter.finish()
    return FreezeResult(task_no=task_no, commitment=commit_hex, strata=summaries, in_scope=pop.in_scope,
                        eligible=int(len(pop.ids)), quota_total=sum(quotas),
                        excluded={r: int(len(v)) for r, v in pop.excluded.items()}, parameters=params)


def _spec_dict(spec: TaskSpec) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(spec.to_toml())


# -- draw ----------------------------------------------------------------------------------
@dataclass
class DrawSummary:
    task_no: str
    round_no: int
    source: str
    public_value: str
    seed: str
    seal: str
    drawn: int
    strata: list[sampling.StratumResult]
    bundle_seq: int
    superseded: int | None = None


@dataclass
class Frozen:
    """A frozen population, stratum after stratum, each in ascending USCC order."""

    usccs: np.ndarray             # S18
    ids: np.ndarray               # int64 entity ids
    stratum_of: np.ndarray        # int32 stratum index per row
    keys: list[str]
    quotas: list[int]
    units: np.ndarray | None      # int32 unit id per row on the freeze day (-1: none); None before 0006


def load_frozen(conn: Connection, task_id: int, task_no: str = "") -> Frozen:
    """The task's frozen population; lengths that disagree with the stratum sizes are refused."""
    rows = fetch_rows(conn, "SELECT idx, key, size, quota, members, member_ids, member_units "
                            "FROM task_stratum WHERE task_id = ? ORDER BY idx", [task_id], binary=True)
    if not rows:
        return Frozen(np.zeros(0, "S18"), np.zeros(0, np.int64), np.zeros(0, np.int32), [], [],
                      np.zeros(0, np.int32))
    with_units = all(r[6] is not None for r in rows)
    sizes = [int(r[2]) for r in rows]
    n = sum(sizes)
    usccs, ids = np.empty(n, "S18"), np.empty(n, "<i8")
    units = np.empty(n, "<i4") if with_units else None
    try:
        packing.unpack_into([r[4] for r in rows], usccs, sizes)
        packing.unpack_into([r[5] for r in rows], ids, sizes)
        if units is not None:
            packing.unpack_into([r[6] for r in rows], units, sizes)
    except packing.PackingError:
        raise VerificationError("task.frozen_damaged", task=task_no or task_id) from None
    stratum_of = np.repeat(np.arange(len(rows), dtype=np.int32), sizes)
    return Frozen(usccs, ids.astype(np.int64, copy=False), stratum_of, [r[1] for r in rows],
                  [int(r[3]) for r in rows], units)


def draw(store: Store, task_no: str, public_value: str | None = None, *, os_entropy: bool = False,
         reason: str | None = None, actor: str = "", reporter: Reporter = NULL) -> DrawSummary:
    """Draw entities and teams from commitment + public value; seal and ledger the result."""
    if os_entropy and public_value:
        raise ValidationError("task.value_or_entropy")
    if os_entropy:
        public_value, source = secrets.token_hex(32), "os-entropy"
    else:
        if public_value is None or not sampling.normalise_public_value(public_value):
            raise ValidationError("task.need_public_value")
        public_value, source = sampling.normalise_public_value(public_value), "public"
    with store.atomic() as conn:
        t = _task(conn, task_no, lock=True)
        if t["state"] == "draft":
            raise StateError("task.not_frozen", task=task_no)
        if t["state"] == "published":
            raise SealedError(what=i18n.text("what.task"), key=task_no)
        previous = conn.execute(text("SELECT id, round_no FROM draw WHERE task_id = :t AND current = :c"),
                                {"t": t["id"], "c": True}).first()
        if previous is not None and (reason is None or len(reason.strip()) < MIN_REASON):
            raise SealedError("task.redraw_needs_reason", task=task_no, round=int(previous[1]))
        if previous is None and reason:
            raise ValidationError("task.reason_without_redraw")
        round_no = int(conn.execute(text("SELECT coalesce(max(round_no), 0) FROM draw WHERE task_id = :t"),
                                    {"t": t["id"]}).scalar_one()) + 1
        spec = load_spec(t["spec"])
        as_of = spec.as_of or clock.today()
        seed = sampling.derive_seed(t["commitment"], round_no, public_value)
        frozen = load_frozen(conn, t["id"], task_no)
        usccs, ids, stratum_of = frozen.usccs, frozen.ids, frozen.stratum_of
        reporter.start(i18n.text("task.progress_draw", task=task_no), 3)
        result = sampling.select(usccs, stratum_of, frozen.keys, frozen.quotas, sampling.subkey(seed, "entity"))
        reporter.advance()
        sel = result.selected
        drawn_uscc = [u.decode() for u in usccs[sel].tolist()]
        drawn_ids, drawn_strata, drawn_tickets = ids[sel], stratum_of[sel], result.tickets[sel]
        doc = teams.collect(conn, spec, drawn_uscc, as_of, entity_ids=drawn_ids.tolist(),
                            entity_units=None if frozen.units is None else frozen.units[sel].tolist())
        inputs, rules = teams.to_arrays(doc)
        try:
            assigned = assignment.assign(inputs, rules, assignment.derive_key(seed))
        except assignment.AssignmentInfeasible as exc:
            raise _named(exc, doc["departments"]) from None
        reporter.advance()
        # the sealed record and the assignment input are formatted in a forked child while
        # this process writes the rows: they are pure, and neither needs the other
        with Beside(_sealed_parts, t["commitment"], round_no, public_value, source, seed.hex(), reason,
                    result.strata, drawn_uscc, drawn_strata, drawn_tickets, doc, assigned) as sealing:
            draw_id = _next_draw_id(conn)
            # rows go in by entity id, so the primary-key probes walk the index in order
            # (the rank column keeps the draw order)
            by_id = np.argsort(drawn_ids, kind="stable")
            hexed = drawn_tickets[by_id].astype(">u8").tobytes().hex()
            bulk_insert(conn, "draw_entity", ("draw_id", "entity_id", "stratum", "rank", "ticket"),
                        list(zip(repeat(draw_id), drawn_ids[by_id].tolist(), drawn_strata[by_id].tolist(),
                                 by_id.tolist(), [hexed[i:i + 16] for i in range(0, len(hexed), 16)])),
                        plain=True)
            cert_to_id = {c: int(i) for c, i in conn.execute(text("SELECT cert_no, id FROM inspector"))}
            bulk_insert(conn, "draw_team", ("draw_id", "entity_id", "seat", "inspector_id", "role"),
                        _team_rows(draw_id, drawn_ids, assigned, [cert_to_id[o[0]] for o in doc["officers"]], by_id),
                        plain=True)
            conn.execute(text("INSERT INTO result (draw_id, entity_id, codes, action, remarks, state, entered_by, "
                              "version) SELECT draw_id, entity_id, '', '', '', 'pending_entry', '', 0 FROM draw_entity "
                              "WHERE draw_id = :d ORDER BY entity_id"), {"d": draw_id})
            blob, input_digest, seal = sealing.result()
        if previous is not None:
            conn.execute(update(Draw.__table__).where(Draw.__table__.c.id == previous[0]).values(current=False))
        conn.execute(insert(Draw.__table__).values(
            id=draw_id, task_id=t["id"], round_no=round_no, public_value=public_value, source=source,
            seed=seed.hex(), reason=reason, algorithm=sampling.ALGORITHM, current=True, drawn=len(sel), as_of=as_of,
            assign_input=blob, seal=seal, created_at=_now(), created_by=actor))
        bulk_insert(conn, "draw_stratum", ("draw_id", "idx", "threshold_ticket", "threshold_id"),
                    [(draw_id, i, None if s.threshold_ticket is None else f"{s.threshold_ticket:016x}", s.threshold_id)
                     for i, s in enumerate(result.strata)])
        conn.execute(update(Task.__table__).where(Task.__table__.c.id == t["id"]).values(state="drawn"))
        seq = ledger.append(conn, department_id=t["department_id"], task_id=t["id"], kind="draw",
                            body={"task_no": task_no, "round": round_no, "draw_seal": seal,
                                  "commitment": t["commitment"]})
        reporter.finish()
    return DrawSummary(task_no=task_no, round_no=round_no, source=source, public_value=public_value,
                       seed=seed.hex(), seal=seal, drawn=len(sel), strata=result.strata, bundle_seq=seq,
                       superseded=None if previous is None else int(previous[1]))


def _next_draw_id(conn: Connection) -> int:
    """The id the next draw row will take; the draw's rows are written before it (the row
    carries the seal).  The transaction holds the write lock on SQLite."""
    if conn.dialect.name == "postgresql":
        return int(conn.execute(text("SELECT nextval(pg_get_serial_sequence('draw', 'id'))")).scalar_one())
    return int(conn.execute(text("SELECT coalesce(max(id), 0) + 1 FROM draw")).scalar_one())


def _sealed_parts(commitment: str, round_no: int, public_value: str, source: str, seed_hex: str,
                  reason: str | None, strata: list[sampling.StratumResult], drawn_uscc: list[str],
                  drawn_stratum: np.ndarray, drawn_tickets: np.ndarray, doc: dict[str, Any],
                  assigned: assignment.Assignment) -> tuple[bytes, str, str]:
    """(compressed assignment input, its digest, the draw's seal)."""
    blob, input_digest = teams.encode(doc)
    record = draw_record_text(commitment, round_no, public_value, source, seed_hex, reason, strata, drawn_uscc,
                              [int(x) for x in drawn_stratum.tolist()], [int(x) for x in drawn_tickets.tolist()],
                              doc, assigned, input_digest)
    return blob, input_digest, hashlib.sha256(record).hexdigest()


def _team_rows(draw_id: int, entity_ids: np.ndarray, assigned: assignment.Assignment,
               inspector_ids: list[int], order: np.ndarray) -> list[tuple[Any, ...]]:
    """draw_team rows, entity by entity in ``order`` (of draw rows): the seats in order (the
    first leads), then the experts."""
    n, k = assigned.teams.shape
    officer = np.array(inspector_ids, dtype=np.int64)
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    row = np.repeat(np.arange(n), k)
    seat = np.tile(np.arange(k), n)
    who = officer[assigned.teams.ravel()] if n else np.zeros(0, np.int64)
    role = np.tile(np.array(["leader"] + ["member"] * (k - 1), dtype=object), n)
    if assigned.experts.size:
        e = assigned.experts.shape[1]
        picked = assigned.experts.ravel() >= 0
        row = np.concatenate([row, np.repeat(np.arange(n), e)[picked]])
        seat = np.concatenate([seat, np.tile(k + np.arange(e), n)[picked]])
        who = np.concatenate([who, officer[assigned.experts.ravel()[picked]]])
        role = np.concatenate([role, np.full(int(picked.sum()), "expert", dtype=object)])
    sorted_rows = np.lexsort((seat, rank[row]))
    row, seat, who, role = row[sorted_rows], seat[sorted_rows], who[sorted_rows], role[sorted_rows]
    return list(zip([draw_id] * len(row), entity_ids[row].tolist(), seat.tolist(), who.tolist(), role.tolist()))


def _named(exc: assignment.AssignmentInfeasible, departments: list[str]) -> assignment.AssignmentInfeasible:
    """The same diagnosis with department names instead of the assignment's codes."""
    reasons = [{**r, "department": departments[r["department"]]} if isinstance(r.get("department"), int)
               and 0 <= r["department"] < len(departments) else r for r in exc.params.get("reasons", [])]
    return assignment.AssignmentInfeasible("assign.infeasible", reasons=reasons,
                                           detail=assignment.describe(reasons))


def draw_record(commitment: str, round_no: int, public_value: str, source: str, seed_hex: str,
                reason: str | None, strata: list[sampling.StratumResult], drawn_uscc: list[str],
                drawn_stratum: list[int], drawn_tickets: list[int], doc: dict[str, Any],
                assigned: assignment.Assignment, input_digest: str) -> dict[str, Any]:
    """The canonical content of a sealed draw (what its seal covers)."""
    officers = doc["officers"]
    team_list = []
    for row_i, u in enumerate(drawn_uscc):
        members = [officers[o][0] for o in assigned.teams[row_i].tolist()]
        experts = [officers[o][0] for o in (assigned.experts[row_i].tolist() if assigned.experts.size else []) if o >= 0]
        team_list.append({"uscc": u, "leader": members[0], "members": members, "experts": experts})
    return {**_record_head(commitment, round_no, public_value, source, seed_hex, reason, strata, input_digest),
            "drawn": [{"uscc": u, "stratum": s, "ticket": f"{tk:016x}"}
                      for u, s, tk in zip(drawn_uscc, drawn_stratum, drawn_tickets)],
            "teams": team_list}


def _record_head(commitment: str, round_no: int, public_value: str, source: str, seed_hex: str,
                 reason: str | None, strata: list[sampling.StratumResult], input_digest: str) -> dict[str, Any]:
    return {
        "algorithm": sampling.ALGORITHM, "assign_algorithm": assignment.ALGORITHM,
        "commitment": commitment, "round": round_no, "public_value": public_value, "source": source,
        "seed": seed_hex, "reason": reason,
        "strata": [{"key": s.key, "size": s.size, "quota": s.quota,
                    "threshold_ticket": None if s.threshold_ticket is None else f"{s.threshold_ticket:016x}",
                    "threshold_id": s.threshold_id} for s in strata],
        "drawn": [], "teams": [], "assign_input_digest": input_digest,
    }


def draw_record_text(commitment: str, round_no: int, public_value: str, source: str, seed_hex: str,
                     reason: str | None, strata: list[sampling.StratumResult], drawn_uscc: list[str],
                     drawn_stratum: list[int], drawn_tickets: list[int], doc: dict[str, Any],
                     assigned: assignment.Assignment, input_digest: str) -> bytes:
    """``canonical_json(draw_record(…))``, with the half-million-row arrays formatted directly
    instead of built as dicts and walked: entity IDs are written verbatim (checked with
    :func:`.ledger.verbatim`, else the general emitter runs), officers' certificate numbers
    are emitted once each by the canonical emitter."""
    args = (commitment, round_no, public_value, source, seed_hex, reason, strata)
    joined = "".join(drawn_uscc)
    if not assigned.teams.shape[1] or not ledger.verbatim(joined):
        return ledger.canonical(draw_record(*args, drawn_uscc, drawn_stratum, drawn_tickets, doc, assigned,
                                            input_digest))
    head = ledger.canonical(_record_head(*args, input_digest)).decode("utf-8")
    drawn = ",".join(['{"stratum":%d,"ticket":"%016x","uscc":"%s"}' % row
                      for row in zip(drawn_stratum, drawn_tickets, drawn_uscc)])
    cert_list = [ledger.canonical(o[0]).decode("utf-8") for o in doc["officers"]]
    certs = np.array(cert_list, dtype=object)
    members = [",".join(r) for r in certs[assigned.teams].tolist()] if len(drawn_uscc) else []
    leaders = certs[assigned.teams[:, 0]].tolist() if len(drawn_uscc) else []
    if assigned.experts.size:
        experts = [",".join([cert_list[o] for o in r if o >= 0]) for r in assigned.experts.tolist()]
    else:
        experts = [""] * len(drawn_uscc)
    teams = ",".join(['{"experts":[%s],"leader":%s,"members":[%s],"uscc":"%s"}' % row
                      for row in zip(experts, leaders, members, drawn_uscc)])
    # both keys occur once, at the top level: inside strings a quote is always escaped
    return head.replace('"drawn":[]', '"drawn":[' + drawn + "]", 1).replace(
        '"teams":[]', '"teams":[' + teams + "]", 1).encode("utf-8")


i18n.register({
    "what.department": {"zh": "部门", "en": "department"},
    "what.plan": {"zh": "抽查计划", "en": "plan"},
    "what.task": {"zh": "抽查任务", "en": "task"},
    "what.item": {"zh": "抽查事项", "en": "inspection item"},
    "task.plan_fields": {"zh": "计划编号和名称不能为空", "en": "plan number and name are required"},
    "task.plan_exists": {"zh": "计划 {plan} 已存在", "en": "plan {plan} already exists"},
    "task.exists": {"zh": "任务 {task} 已存在", "en": "task {task} already exists"},
    "task.not_frozen": {"zh": "任务 {task} 尚未冻结：请先运行 `shuangsuiji task freeze {task}` 并公布承诺值",
                        "en": "task {task} is not frozen: run `shuangsuiji task freeze {task}` and publish the commitment first"},
    "task.no_ratio_for_stratum": {"zh": "分层 {stratum} 没有适用的抽查比例（请设置默认 ratio 或该风险分类的比例）",
                                  "en": "no ratio applies to stratum {stratum} (set a default ratio or one for its risk class)"},
    "task.value_or_entropy": {"zh": "公开随机值与 --os-entropy 只能二选一", "en": "give a public value or --os-entropy, not both"},
    "task.need_public_value": {"zh": "需要公开随机值（现场见证的骰子/彩票号码或公共信标），或使用 --os-entropy（将记录为非公开随机源）",
                               "en": "a public random value is needed (witnessed dice/lottery digits or a public beacon), or --os-entropy (recorded as non-public)"},
    "task.redraw_needs_reason": {"zh": "任务 {task} 已有封存的第 {round} 轮抽取结果；重新抽取必须说明理由（命令行 --reason），原结果将永久保留",
                                 "en": "task {task} already has a sealed draw (round {round}); a re-draw needs a stated reason (CLI: --reason) and the first draw stays visible forever"},
    "task.reason_without_redraw": {"zh": "首次抽取不需要理由（--reason 仅用于重新抽取）", "en": "--reason is only for re-draws"},
    "task.frozen_damaged": {"zh": "任务 {task} 冻结的总体已损坏：成员、主体编号或管辖单位的数据无法读取，或数量与分层规模不符，请运行 `shuangsuiji audit`",
                            "en": "the frozen population of task {task} is damaged: its members, entity ids or units cannot be read or do not match the stratum sizes; run `shuangsuiji audit`"},
    "task.progress_freeze": {"zh": "冻结 {task}", "en": "freezing {task}"},
    "task.progress_draw": {"zh": "抽取 {task}", "en": "drawing {task}"},
})
