"""Inspection results and their review: 未录入 → 待审核 → (退回 → 待审核) → 通过 → 已公示.

A draw creates one ``result`` row per drawn entity (``pending_entry``); results always
belong to the task's *current* draw.  The row holds the current values only; every change
appends a ``result_event`` (who, when, why, state before and after, old and new values),
so no value is ever lost.  A correction after approval or publication needs a reason and
sends the result back to review: a published result changes only through a new review.

Dates (completion, rectification deadline, "today") are calendar dates in China Standard
Time, the time zone of the regulators; event timestamps are UTC.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, String, cast, func, insert, literal, select, update

from . import i18n
from .bulletin import PROBLEM_CODES, RESULT_CODES
from .codes import entity_id
from .codes.dates import parse_date
from .codes.enums import Enumeration
from .errors import InputError, NotFound, Problem, StateError, ValidationError
from .importer import _sqlite_value, bulk_insert, bulk_update
from .models import Draw, DrawEntity, Entity, Result, ResultEvent, Task
from .store import Store
from .tabular import Column, clean_cell, has_control, open_table
from .tasks import MIN_REASON

from .clock import CST  # noqa: E402  (one definition of China time)
STATES = ("pending_entry", "pending_review", "returned", "approved", "published")
STATE_LABELS = {
    "pending_entry": ("未录入", "not entered"),
    "pending_review": ("待审核", "awaiting review"),
    "returned": ("退回", "returned"),
    "approved": ("通过", "approved"),
    "published": ("已公示", "published"),
}
EVENT_ACTIONS = ("enter", "correct", "submit", "return", "approve", "publish")
MAX_REMARKS = 500
MAX_ACTOR = 100
DUE_WITHIN_DAYS = 7

FOLLOW_UP = Enumeration("follow_up", {
    "none": ("无需后续处置", "no follow-up needed"),
    "refer_routine": ("停止检查并反馈日常监管", "inspection stopped, referred to routine supervision"),
    "rectify": ("责令改正", "ordered to rectify"),
    "refer_case": ("发现案件线索移送办案", "case leads found and referred for investigation"),
    "notify": ("抄告相关部门", "departments concerned notified"),
}, {
    "无需处置": "none", "无": "none", "无需后续处理": "none", "no follow-up": "none",
    "反馈日常监管": "refer_routine", "转日常监管": "refer_routine",
    "责令整改": "rectify", "责令限期改正": "rectify", "限期整改": "rectify",
    "移送办案": "refer_case", "移送立案": "refer_case", "案件线索移送": "refer_case",
    "抄告": "notify", "抄告有关部门": "notify",
})
RECTIFY = "rectify"

RESULT_COLUMNS = [
    Column("uscc", "统一社会信用代码", "USCC", required=True, is_id=True,
           aliases=("注册号", "统一社会信用代码/注册号", "credit_code")),
    Column("name", "名称", "Name", aliases=("企业名称", "市场主体名称", "主体名称")),
    Column("codes", "检查结果", "Result codes", required=True,
           aliases=("抽查结果", "检查结果代码", "结果", "result", "results")),
    Column("action", "后续处置", "Follow-up", aliases=("处置", "处置措施", "后续处置措施", "follow_up")),
    Column("completed_on", "检查完成日期", "Completed on", required=True,
           aliases=("完成日期", "检查日期", "completed")),
    Column("remarks", "备注", "Remarks", aliases=("说明",)),
    Column("rectify_by", "整改期限", "Rectify by", aliases=("整改截止日期", "限期改正日期", "整改期限日期")),
]

_SPLIT = re.compile(r"[;；、\n]")
_COMMA = re.compile(r"[,，]")
_BLANKS = re.compile(r"\s+")


def _fold(value: str) -> str:
    return _BLANKS.sub("", unicodedata.normalize("NFKC", value)).casefold()


_CODE_LOOKUP = {_fold(s): c.code for c in RESULT_CODES.values() for s in (c.code, c.zh, c.en)}


# -- values ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """The values of a result as entered: what a correction compares and an event records."""

    codes: tuple[str, ...]
    action: str
    completed_on: date
    remarks: str = ""
    rectify_by: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {"codes": list(self.codes), "action": self.action or None,
                "completed_on": self.completed_on.isoformat(), "remarks": self.remarks,
                "rectify_by": None if self.rectify_by is None else self.rectify_by.isoformat()}


def parse_codes(value: str | Sequence[str]) -> tuple[str, ...]:
    """Result codes from codes or labels ("B；6", ["未发现问题"]), checked and sorted.

    >>> parse_codes("b、通过登记的住所（经营场所）无法联系")
    ('6', 'B')
    >>> parse_codes(["Closed, suspended or in liquidation"])
    ('7',)
    >>> try:
    ...     parse_codes("1;B")
    ... except ValidationError as error:
    ...     print(error.code, error.params)
    result.contradictory {'codes': 'B'}
    """
    parts = _SPLIT.split(value) if isinstance(value, str) else list(value)
    codes: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        code = _CODE_LOOKUP.get(_fold(part))
        if code is not None:
            codes.append(code)
            continue
        pieces = [_CODE_LOOKUP.get(_fold(p)) for p in _COMMA.split(part) if p.strip()]
        if len(pieces) < 2 or None in pieces:
            raise ValidationError("result.unknown_code", value=part, allowed=_allowed_codes())
        codes.extend(c for c in pieces if c is not None)
    if not codes:
        raise ValidationError("result.no_code")
    dup = sorted({c for c in codes if codes.count(c) > 1})
    if dup:
        raise ValidationError("result.duplicate_code", codes="、".join(dup))
    problems = sorted(PROBLEM_CODES.intersection(codes))
    if "1" in codes and problems:
        raise ValidationError("result.contradictory", codes="、".join(problems))
    return tuple(sorted(codes))


def _allowed_codes() -> str:
    return "、".join(f"{c.code} {c.zh}" for c in RESULT_CODES.values())


def parse_action(value: str | None) -> str:
    """A follow-up code (:data:`FOLLOW_UP`) from its code or label; ``""`` when none is given.

    >>> parse_action("责令改正"), parse_action("notify"), parse_action(None)
    ('rectify', 'notify', '')
    """
    if value is None or not value.strip():
        return ""
    return FOLLOW_UP.parse(value)


def action_label(action: str | None, lang: str = "zh") -> str:
    """The label of a follow-up code (empty for none).

    >>> action_label("rectify"), action_label("none", "en")
    ('责令改正', 'no follow-up needed')
    """
    if not action:
        return ""
    if action not in FOLLOW_UP.labels:
        raise FOLLOW_UP.invalid(action)
    return FOLLOW_UP.labels[action][1 if lang == "en" else 0]


def state_label(state: str, lang: str = "zh") -> str:
    """The label of a review state, as shown to users.

    >>> state_label("pending_review"), state_label("published", "en")
    ('待审核', 'published')
    """
    return STATE_LABELS[state][1 if lang == "en" else 0]


def check_entry(codes: str | Sequence[str], action: str | None, completed_on: date | None, remarks: str,
                rectify_by: date | None, *, drawn_on: date, today: date,
                known_bad: frozenset[str] = frozenset()) -> tuple[Entry | None, list[tuple[str, ValidationError]]]:
    """Validate every field; returns the entry (None if anything failed) and (field, error) pairs.

    Each field is checked on its own so that an import can report every bad cell of a row;
    ``known_bad`` names fields the caller already reported (checks that need them are skipped).
    """
    errors: list[tuple[str, ValidationError]] = []
    parsed_codes: tuple[str, ...] = ()
    parsed_action = ""
    try:
        parsed_codes = parse_codes(codes)
    except ValidationError as exc:
        errors.append(("codes", exc))
    try:
        parsed_action = parse_action(action)
    except ValidationError as exc:
        errors.append(("action", exc))
        known_bad = known_bad | {"action"}
    else:
        if not parsed_action and PROBLEM_CODES.intersection(parsed_codes):
            errors.append(("action", ValidationError("result.action_required")))
    if completed_on is not None and completed_on < drawn_on:
        errors.append(("completed_on", ValidationError("result.completed_before_draw", date=completed_on.isoformat(),
                                                       drawn_on=drawn_on.isoformat())))
    elif completed_on is not None and completed_on > today:
        errors.append(("completed_on", ValidationError("result.completed_in_future", date=completed_on.isoformat(),
                                                       today=today.isoformat())))
    remarks = remarks.strip()
    if len(remarks) > MAX_REMARKS:
        errors.append(("remarks", ValidationError("import.too_long", limit=MAX_REMARKS, length=len(remarks))))
    elif has_control(remarks):
        errors.append(("remarks", ValidationError("table.control_char")))
    if rectify_by is not None and completed_on is not None and rectify_by < completed_on:
        errors.append(("rectify_by", ValidationError("result.rectify_before_completed", date=rectify_by.isoformat(),
                                                     completed_on=completed_on.isoformat())))
    elif not known_bad.intersection(("rectify_by", "action")):
        if rectify_by is not None and parsed_action != RECTIFY:
            errors.append(("rectify_by", ValidationError("result.rectify_without_order")))
        elif rectify_by is None and parsed_action == RECTIFY:
            errors.append(("rectify_by", ValidationError("result.rectify_by_required")))
    if errors or known_bad or completed_on is None:
        return None, errors
    return Entry(parsed_codes, parsed_action, completed_on, remarks, rectify_by), []


def plan_entry(uscc: str, state: str, old: Entry | None, new: Entry, reason: str | None) -> str:
    """The event an entry makes in ``state``: enter, correct, submit, or "" (nothing changes).

    >>> e = Entry(("1",), "none", date(2026, 5, 1))
    >>> plan_entry("X", "pending_entry", None, e, None), plan_entry("X", "returned", e, e, None)
    ('enter', 'submit')
    """
    if state not in STATES:
        raise StateError("result.unknown_state", uscc=uscc, state=state)
    if state == "pending_entry":
        return "enter"
    if new == old:
        return "submit" if state == "returned" else ""
    if state in ("approved", "published") and (reason is None or len(reason.strip()) < MIN_REASON):
        raise StateError("result.correction_needs_reason", uscc=uscc, **_state_params(state), min=MIN_REASON)
    return "correct"


_TRANSITIONS = {"approve": ("pending_review", "approved"), "return": ("pending_review", "returned"),
                "publish": ("approved", "published")}
_OPS = {"approve": ("审核通过", "approved"), "return": ("退回", "returned"), "publish": ("公示", "published")}


def transition(uscc: str, state: str, op: str) -> str:
    """The state after review operation ``op`` (approve, return, publish), or :class:`StateError`.

    >>> transition("X", "pending_review", "approve")
    'approved'
    """
    before, after = _TRANSITIONS[op]
    if state != before:
        raise StateError("result.bad_transition", uscc=uscc, **_state_params(state),
                         op_zh=_OPS[op][0], op_en=_OPS[op][1])
    return after


def _state_params(state: str) -> dict[str, str]:
    zh, en = STATE_LABELS.get(state, (state, state))
    return {"state": state, "state_zh": zh, "state_en": en}


# -- records returned -----------------------------------------------------------------------
@dataclass
class ResultView:
    """A result as listed for entry and review."""

    uscc: str
    name: str
    state: str
    codes: list[str]
    action: str | None
    completed_on: date | None
    remarks: str
    rectify_by: date | None
    version: int
    entered_by: str

    def to_dict(self) -> dict[str, Any]:
        return {"uscc": self.uscc, "name": self.name, "state": self.state, "codes": self.codes,
                "action": self.action, "completed_on": _iso(self.completed_on), "remarks": self.remarks,
                "rectify_by": _iso(self.rectify_by), "version": self.version, "entered_by": self.entered_by}


@dataclass
class ResultEventView:
    """One appended event of a result's history."""

    round_no: int
    at: datetime
    actor: str
    action: str
    reason: str
    state_from: str
    state_to: str
    version: int
    old: dict[str, Any] | None
    new: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {"round": self.round_no, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "reason": self.reason, "from": self.state_from, "to": self.state_to, "version": self.version,
                "old": self.old, "new": self.new}


@dataclass
class RectificationDue:
    """A correction order (责令改正) whose deadline has passed or is near."""

    task_no: str
    task_name: str
    uscc: str
    name: str
    rectify_by: date
    days_left: int
    state: str

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    def to_dict(self) -> dict[str, Any]:
        return {"task_no": self.task_no, "task_name": self.task_name, "uscc": self.uscc, "name": self.name,
                "rectify_by": self.rectify_by.isoformat(), "days_left": self.days_left,
                "overdue": self.overdue, "state": self.state}


@dataclass
class ResultImportReport:
    """What a results import did (or, with ``dry_run``, would do)."""

    task_no: str
    file: str
    rows: int = 0
    entered: int = 0
    corrected: int = 0
    submitted: int = 0
    unchanged: int = 0
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"task_no": self.task_no, "file": self.file, "rows": self.rows, "entered": self.entered,
                "corrected": self.corrected, "submitted": self.submitted, "unchanged": self.unchanged,
                "dry_run": self.dry_run}


def _iso(d: date | None) -> str | None:
    return None if d is None else d.isoformat()


def _today() -> date:
    return datetime.now(CST).date()


def _now() -> datetime:
    return datetime.now(timezone.utc)


# -- database shell -------------------------------------------------------------------------
R, E, DE, D, T, EV = (Result.__table__, Entity.__table__, DrawEntity.__table__, Draw.__table__,
                      Task.__table__, ResultEvent.__table__)


@dataclass
class _Row:
    id: int
    uscc: str
    name: str
    state: str
    entry: Entry | None
    version: int
    entered_by: str

    def view(self) -> ResultView:
        e = self.entry
        return ResultView(self.uscc, self.name, self.state, list(e.codes) if e else [],
                          (e.action or None) if e else None, e.completed_on if e else None,
                          e.remarks if e else "", e.rectify_by if e else None, self.version, self.entered_by)


@dataclass
class _Change:
    row: _Row
    action: str
    state_to: str
    new: Entry | None = None
    values: dict[str, Any] = field(default_factory=dict)


def _current_draw(conn: Connection, task_no: str) -> tuple[int, date]:
    """The current draw's id and its date (China Standard Time)."""
    task = conn.execute(select(T.c.id).where(T.c.task_no == task_no)).first()
    if task is None:
        raise NotFound(what=i18n.text("what.task"), key=task_no)
    row = conn.execute(select(D.c.id, D.c.created_at).where(D.c.task_id == task[0], D.c.current.is_(True))).first()
    if row is None:
        raise StateError("result.no_draw", task=task_no)
    created: datetime = row[1] if row[1].tzinfo else row[1].replace(tzinfo=timezone.utc)
    return int(row[0]), created.astimezone(CST).date()


def _rows_query(draw_id: int, lock: bool) -> Select[Any]:
    q = (select(R.c.id, E.c.uscc, E.c.name, R.c.state, R.c.codes, R.c.action, R.c.completed_on, R.c.remarks,
                R.c.rectify_by, R.c.version, R.c.entered_by)
         .join(E, E.c.id == R.c.entity_id)
         .join(DE, (DE.c.draw_id == R.c.draw_id) & (DE.c.entity_id == R.c.entity_id))
         .where(R.c.draw_id == draw_id).order_by(DE.c.rank))
    return q.with_for_update(of=R) if lock else q


def _to_row(r: Any) -> _Row:
    entry = None
    if r.completed_on is not None:
        entry = Entry(tuple(c for c in r.codes.split(";") if c), r.action or "", r.completed_on,
                      r.remarks or "", r.rectify_by)
    return _Row(int(r.id), r.uscc, r.name, r.state, entry, int(r.version), r.entered_by or "")


def _load(conn: Connection, draw_id: int, *, uscc: str | None = None, lock: bool = False) -> list[_Row]:
    q = _rows_query(draw_id, lock)
    if uscc is not None:
        q = q.where(E.c.uscc == uscc)
    return [_to_row(r) for r in conn.execute(q)]


def _one(conn: Connection, task_no: str, draw_id: int, uscc: str) -> _Row:
    key = entity_id.validate(uscc)
    rows = _load(conn, draw_id, uscc=key, lock=True)
    if not rows:
        raise NotFound("result.not_drawn", uscc=key, task=task_no)
    return rows[0]


def _check_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor:
        raise ValidationError("result.actor_required")
    if len(actor) > MAX_ACTOR or has_control(actor):
        raise ValidationError("result.bad_actor", limit=MAX_ACTOR)
    return actor


def _payload(change: _Change) -> str:
    row = change.row
    doc = {"from": row.state, "to": change.state_to, "version": row.version + (1 if change.new is not None else 0),
           "old": row.entry.to_json() if row.entry and change.new is not None else None,
           "new": change.new.to_json() if change.new is not None else None}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _write(conn: Connection, changes: list[_Change], actor: str, reason: str | None) -> None:
    """Apply changes: one UPDATE per result row and one appended event each."""
    if not changes:
        return
    now = _now()
    events = [(c.row.id, now, actor, c.action, (reason or "").strip(), _payload(c)) for c in changes]
    entries = [c for c in changes if c.new is not None]
    plain = [c for c in changes if c.new is None]
    bulk_update(conn, "result", ("codes", "action", "completed_on", "remarks", "rectify_by", "state",
                                 "entered_by", "version"),
                [(";".join(c.new.codes), c.new.action, c.new.completed_on, c.new.remarks, c.new.rectify_by,
                  c.state_to, actor, c.row.version + 1, c.row.id) for c in entries if c.new is not None])
    bulk_update(conn, "result", ("state",), [(c.state_to, c.row.id) for c in plain])
    bulk_insert(conn, "result_event", ("result_id", "at", "actor", "action", "reason", "payload"), events)


def _applied(change: _Change, actor: str) -> _Row:
    r = change.row
    if change.new is None:
        return _Row(r.id, r.uscc, r.name, change.state_to, r.entry, r.version, r.entered_by)
    return _Row(r.id, r.uscc, r.name, change.state_to, change.new, r.version + 1, actor)


# -- public operations -------------------------------------------------------------------------
def set_result(store: Store, task_no: str, uscc: str, *, codes: Sequence[str], action: str | None,
               completed_on: date, remarks: str = "", rectify_by: date | None = None, actor: str,
               reason: str | None = None, today: date | None = None) -> ResultView:
    """Enter or correct the result of one drawn entity; it then awaits review.

    A correction of an approved or published result needs ``reason`` (the old values stay
    in the event).  Entering identical values changes nothing, except that a returned result
    is submitted again.
    """
    actor = _check_actor(actor)
    with store.atomic() as conn:
        draw_id, drawn_on = _current_draw(conn, task_no)
        row = _one(conn, task_no, draw_id, uscc)
        entry, errors = check_entry(codes, action, completed_on, remarks, rectify_by, drawn_on=drawn_on,
                                    today=today or _today())
        if entry is None:
            raise errors[0][1]
        kind = plan_entry(row.uscc, row.state, row.entry, entry, reason)
        if not kind:
            return row.view()
        change = _Change(row, kind, "pending_review", None if kind == "submit" else entry)
        _write(conn, [change], actor, reason)
        return _applied(change, actor).view()


def review(store: Store, task_no: str, uscc: str | None, *, approve: bool, actor: str,
           reason: str | None = None) -> list[ResultView]:
    """Approve or return (with a reason) one result, or with ``uscc`` None every result awaiting review."""
    actor = _check_actor(actor)
    if not approve and (reason is None or len(reason.strip()) < MIN_REASON):
        raise ValidationError("result.return_needs_reason", min=MIN_REASON)
    op = "approve" if approve else "return"
    with store.atomic() as conn:
        draw_id, _ = _current_draw(conn, task_no)
        if uscc is None:
            rows = [r for r in _load(conn, draw_id, lock=True) if r.state == "pending_review"]
        else:
            rows = [_one(conn, task_no, draw_id, uscc)]
        changes = [_Change(r, op, transition(r.uscc, r.state, op)) for r in rows]
        _write(conn, changes, actor, reason)
        return [_applied(c, actor).view() for c in changes]


def mark_published(conn: Connection, draw_id: int, actor: str, *, partial: bool = False) -> int:
    """Mark the draw's approved results published (called by the publication step in its transaction).

    Unless ``partial``, every result must already be approved or published.  Returns the
    number of results newly published.
    """
    actor = _check_actor(actor)
    current = conn.execute(select(D.c.current).where(D.c.id == draw_id)).scalar_one_or_none()
    if current is None:
        raise NotFound(what=i18n.text("result.what_draw"), key=str(draw_id))
    if not current:
        raise StateError("result.draw_superseded", draw=draw_id)
    if conn.dialect.name == "postgresql":
        conn.execute(select(R.c.id).where(R.c.draw_id == draw_id).with_for_update()).all()
    if not partial:
        open_states = R.c.state.not_in(("approved", "published"))
        count = conn.execute(select(func.count()).where(R.c.draw_id == draw_id, open_states)).scalar_one()
        if count:
            first = conn.execute(_rows_query(draw_id, False).where(open_states).limit(10)).all()
            shown = "、".join(f"{r.uscc}（{state_label(r.state)}）" for r in first)
            raise StateError("result.not_all_approved", count=int(count), entities=shown)
    return _publish_approved(conn, draw_id, actor)


def _publish_approved(conn: Connection, draw_id: int, actor: str) -> int:
    """Approved → published in two statements: a provincial draw's half-million results do
    not pass through Python.  The events are those :func:`_write` appends for the change
    (their payload as :func:`_payload` writes it), in the order of the results' ids."""
    after = transition("", "approved", "publish")
    now = _now()
    at: Any = _sqlite_value(now) if conn.dialect.name == "sqlite" else now.replace(tzinfo=None)
    head = json.dumps({"from": "approved", "new": None, "old": None, "to": after}, sort_keys=True,
                      separators=(",", ":"))[:-1] + ',"version":'
    conn.execute(insert(EV).from_select(
        ["result_id", "at", "actor", "action", "reason", "payload"],
        select(R.c.id, literal(at), literal(actor), literal("publish"), literal(""),
               literal(head) + cast(R.c.version, String) + literal("}"))
        .where(R.c.draw_id == draw_id, R.c.state == "approved").order_by(R.c.id)))
    return int(conn.execute(update(R).where(R.c.draw_id == draw_id, R.c.state == "approved")
                            .values(state=after)).rowcount)


def list_results(store: Store, task_no: str) -> list[ResultView]:
    """The current draw's results in draw-rank order."""
    with store.atomic() as conn:
        draw_id, _ = _current_draw(conn, task_no)
        return [r.view() for r in _load(conn, draw_id)]


def history(store: Store, task_no: str, uscc: str) -> list[ResultEventView]:
    """Every event of the entity's results in this task, over all draw rounds, oldest first."""
    key = entity_id.validate(uscc)
    with store.atomic() as conn:
        task = conn.execute(select(T.c.id).where(T.c.task_no == task_no)).first()
        if task is None:
            raise NotFound(what=i18n.text("what.task"), key=task_no)
        drawn = conn.execute(select(R.c.id).join(D, D.c.id == R.c.draw_id).join(E, E.c.id == R.c.entity_id)
                             .where(D.c.task_id == task[0], E.c.uscc == key)).first()
        if drawn is None:
            raise NotFound("result.not_drawn", uscc=key, task=task_no)
        q = (select(D.c.round_no, EV.c.at, EV.c.actor, EV.c.action, EV.c.reason, EV.c.payload)
             .join(R, R.c.id == EV.c.result_id).join(D, D.c.id == R.c.draw_id).join(E, E.c.id == R.c.entity_id)
             .where(D.c.task_id == task[0], E.c.uscc == key).order_by(D.c.round_no, EV.c.id))
        out = []
        for rnd, at, who, act, why, payload in conn.execute(q):
            doc = json.loads(payload)
            at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
            out.append(ResultEventView(int(rnd), at, who, act, why, doc["from"], doc["to"], int(doc["version"]),
                                       doc.get("old"), doc.get("new")))
        return out


def rectification_due(store: Store, today: date | None = None, *, within_days: int = DUE_WITHIN_DAYS) -> list[RectificationDue]:
    """Correction orders of current draws that are overdue or due within ``within_days`` days."""
    today = today or _today()
    limit = today + timedelta(days=within_days)
    q = (select(T.c.task_no, T.c.name.label("task_name"), E.c.uscc, E.c.name, R.c.rectify_by, R.c.state)
         .join(D, D.c.id == R.c.draw_id).join(T, T.c.id == D.c.task_id).join(E, E.c.id == R.c.entity_id)
         .join(DE, (DE.c.draw_id == R.c.draw_id) & (DE.c.entity_id == R.c.entity_id))
         .where(D.c.current.is_(True), R.c.action == RECTIFY, R.c.rectify_by.is_not(None), R.c.rectify_by <= limit)
         .order_by(R.c.rectify_by, T.c.task_no, DE.c.rank))
    with store.atomic() as conn:
        return [RectificationDue(r.task_no, r.task_name, r.uscc, r.name, r.rectify_by, (r.rectify_by - today).days,
                                 r.state) for r in conn.execute(q)]


def results_record(conn: Connection, draw_id: int) -> list[dict[str, Any]]:
    """The draw's results for the audit bundle, in rank order: public fields only, no names of officers."""
    out = []
    for r in _load(conn, draw_id):
        e = r.entry
        out.append({"uscc": r.uscc, "codes": sorted(e.codes) if e else [], "action": (e.action or None) if e else None,
                    "completed_on": _iso(e.completed_on) if e else None, "remarks": e.remarks if e else "",
                    "state": r.state, "version": r.version})
    return out


# -- import --------------------------------------------------------------------------------------
def _label(key: str) -> str:
    col = next(c for c in RESULT_COLUMNS if c.key == key)
    return col.zh if i18n.get_language() == "zh" else col.en


class _DryRun(Exception):
    pass


def import_results(store: Store, task_no: str, path: str | Path, *, encoding: str | None = None,
                   dry_run: bool = False, actor: str, reason: str | None = None,
                   today: date | None = None) -> ResultImportReport:
    """Enter results from a CSV/XLSX file: all or nothing, every bad cell reported.

    ``reason`` is needed only when the file corrects results already approved or published.
    """
    actor = _check_actor(actor)
    path = Path(path)
    store.require_schema()
    table = open_table(path, RESULT_COLUMNS, encoding)
    rows = list(table.rows)
    report = ResultImportReport(task_no=task_no, file=table.file, rows=len(rows), dry_run=dry_run)
    try:
        with store.atomic() as conn:
            draw_id, drawn_on = _current_draw(conn, task_no)
            current = {r.uscc: r for r in _load(conn, draw_id, lock=True)}
            changes, problems = _plan_import(table.file, table.keys, rows, current, task_no, drawn_on,
                                             today or _today(), reason)
            if problems:
                raise InputError(sorted(problems, key=lambda p: p.line), file=table.file)
            for c in changes:
                if c.action == "enter":
                    report.entered += 1
                elif c.action == "correct":
                    report.corrected += 1
                else:
                    report.submitted += 1
            report.unchanged = report.rows - len(changes)
            _write(conn, changes, actor, reason)
            if dry_run:
                raise _DryRun()
    except _DryRun:
        pass
    return report


def _plan_import(file: str, keys: Sequence[str | None], rows: Iterable[tuple[int, list[str]]],
                 current: dict[str, _Row], task_no: str, drawn_on: date, today: date,
                 reason: str | None) -> tuple[list[_Change], list[Problem]]:
    problems: list[Problem] = []
    changes: list[_Change] = []
    seen: dict[str, int] = {}

    def bad(line: int, key: str, value: str, exc: ValidationError) -> None:
        problems.append(Problem(file, line, _label(key), value, exc.code, tuple(exc.params.items())))

    for line, cells in rows:
        raw = {k: clean_cell(v) for k, v in zip(keys, cells) if k}
        controls = [k for k, v in raw.items() if k != "remarks" and has_control(v)]
        for k in controls:
            bad(line, k, raw[k], ValidationError("table.control_char"))
        if controls:
            continue
        row = _import_row(line, raw, current, task_no, seen, bad)
        dates: dict[str, date | None] = {"completed_on": None, "rectify_by": None}
        known_bad: set[str] = set()
        for k in dates:
            value = raw.get(k, "")
            if not value:
                if k == "completed_on":
                    bad(line, k, value, ValidationError("import.required"))
                    known_bad.add(k)
                continue
            try:
                dates[k] = parse_date(value)
            except ValidationError as exc:
                bad(line, k, value, exc)
                known_bad.add(k)
        entry, errors = check_entry(raw.get("codes", ""), raw.get("action") or None, dates["completed_on"],
                                    raw.get("remarks", ""), dates["rectify_by"], drawn_on=drawn_on, today=today,
                                    known_bad=frozenset(known_bad))
        for k, exc in errors:
            bad(line, k, raw.get(k, ""), exc)
        if entry is None or row is None:
            continue
        try:
            kind = plan_entry(row.uscc, row.state, row.entry, entry, reason)
        except StateError as exc:
            problems.append(Problem(file, line, _label("uscc"), row.uscc, exc.code, tuple(exc.params.items())))
            continue
        if kind:
            changes.append(_Change(row, kind, "pending_review", None if kind == "submit" else entry))
    return changes, problems


def _import_row(line: int, raw: dict[str, str], current: dict[str, _Row], task_no: str,
                seen: dict[str, int], bad: Any) -> _Row | None:
    """The drawn result a line refers to, or None after reporting why not."""
    value = raw.get("uscc", "")
    if not value:
        bad(line, "uscc", value, ValidationError("import.required"))
        return None
    try:
        key = entity_id.validate(value)
    except ValidationError as exc:
        bad(line, "uscc", value, exc)
        return None
    if key in seen:
        bad(line, "uscc", value, ValidationError("import.duplicate", first=seen[key]))
        return None
    seen[key] = line
    row = current.get(key)
    if row is None:
        bad(line, "uscc", value, ValidationError("result.not_drawn", uscc=key, task=task_no))
        return None
    name = raw.get("name", "")
    if name and _fold(name) != _fold(row.name):
        bad(line, "name", name, ValidationError("result.name_mismatch", name=row.name))
        return None
    return row


i18n.register({
    "enum.follow_up": {"zh": "“{value}”不是有效的后续处置，可选：{allowed}",
                       "en": "'{value}' is not a valid follow-up action; choose one of: {allowed}"},
    "result.unknown_code": {"zh": "“{value}”不是标准检查结果，可选：{allowed}",
                            "en": "'{value}' is not a standard result code; choose from: {allowed}"},
    "result.no_code": {"zh": "至少需要一个检查结果", "en": "at least one result code is required"},
    "result.duplicate_code": {"zh": "检查结果重复：{codes}", "en": "repeated result code: {codes}"},
    "result.contradictory": {"zh": "“1 未发现问题”不能与问题类结果（{codes}）同时填写",
                             "en": "'1 no problems found' cannot be combined with problem results ({codes})"},
    "result.action_required": {"zh": "发现问题时必须填写后续处置", "en": "a follow-up action is required when problems were found"},
    "result.completed_before_draw": {"zh": "检查完成日期 {date} 早于抽取日期 {drawn_on}",
                                     "en": "completion date {date} is before the draw date {drawn_on}"},
    "result.completed_in_future": {"zh": "检查完成日期 {date} 晚于今天（{today}）",
                                   "en": "completion date {date} is after today ({today})"},
    "result.rectify_by_required": {"zh": "责令改正须填写整改期限", "en": "an order to rectify needs a deadline (rectify by)"},
    "result.rectify_without_order": {"zh": "只有后续处置为“责令改正”时才能填写整改期限",
                                     "en": "a rectification deadline is only allowed with the follow-up 'ordered to rectify'"},
    "result.rectify_before_completed": {"zh": "整改期限 {date} 早于检查完成日期 {completed_on}",
                                        "en": "rectification deadline {date} is before the completion date {completed_on}"},
    "result.correction_needs_reason": {
        "zh": "{uscc} 的检查结果已是“{state_zh}”状态，更正必须说明理由（至少 {min} 个字），原结果将保留在记录中",
        "en": "the result of {uscc} is already {state_en}: a correction needs a reason (at least {min} characters); "
              "the old values stay on record"},
    "result.unknown_state": {"zh": "{uscc} 的检查结果状态“{state}”无法识别", "en": "the result of {uscc} has an unknown state '{state}'"},
    "result.bad_transition": {"zh": "{uscc} 的检查结果当前为“{state_zh}”，不能{op_zh}",
                              "en": "the result of {uscc} is {state_en}; it cannot be {op_en}"},
    "result.return_needs_reason": {"zh": "退回必须说明理由（至少 {min} 个字）",
                                   "en": "returning a result needs a reason (at least {min} characters)"},
    "result.no_draw": {"zh": "任务 {task} 还没有抽取结果", "en": "task {task} has no draw yet"},
    "result.not_drawn": {"zh": "{uscc} 不在任务 {task} 当前的抽取名单中", "en": "{uscc} is not in the current draw of task {task}"},
    "result.name_mismatch": {"zh": "名称与名录库不一致（名录库：{name}），请核对是否错行",
                             "en": "the name differs from the registry ({name}); check the row is not misaligned"},
    "result.actor_required": {"zh": "必须记录操作人", "en": "the acting user must be recorded"},
    "result.bad_actor": {"zh": "操作人名称无效（最长 {limit} 字，不得含控制字符）",
                         "en": "invalid user name (at most {limit} characters, no control characters)"},
    "result.what_draw": {"zh": "抽取记录", "en": "draw"},
    "result.draw_superseded": {"zh": "抽取记录 {draw} 已被重新抽取取代，不能公示", "en": "draw {draw} was superseded by a re-draw and cannot be published"},
    "result.not_all_approved": {"zh": "有 {count} 条检查结果尚未审核通过，不能公示：{entities}",
                                "en": "{count} result(s) are not approved yet, cannot publish: {entities}"},
})
