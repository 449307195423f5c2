"""Inspector assignment "shuangsuiji-assign/1": pair drawn entities with officers.

The only source of chance is SHA-256 of the caller's key, so anyone holding the key
and the inputs can recompute every team; :func:`check` verifies the rules without
trusting the algorithm.  The normative text is ``docs/assignment.md``.

>>> ents = Entities(ids=[b"E%017d" % i for i in range(4)], unit=[1, 2, 1, -1])
>>> offs = Officers(cert=[b"C%d" % i for i in range(5)], department=[7] * 5,
...                 unit=[1, 1, 2, 2, 3], capacity=[4] * 5)
>>> inputs = AssignInputs(ents, offs)
>>> rules = TeamRules([DepartmentSeats(7, 2)])
>>> result = assign(inputs, rules, derive_key(bytes(32)))
>>> result.teams.shape, check(result, inputs)
((4, 2), [])
>>> int(result.loads.sum()), int(result.loads.max() - result.loads.min()) <= 1
(8, True)
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import numpy as np

from . import i18n
from .errors import InfeasibleError, ValidationError
from .progress import NULL, Reporter

ALGORITHM = "shuangsuiji-assign/1"
GROUP_DEPARTMENT = 0xFFFFFFFF
"""Department field of group tickets; real department codes stay below 2**31."""
MAX_LISTED = 20
"""Entity IDs listed per reason in a diagnosis."""
MAX_REPAIR_FAILURES = 20
"""The repair stops after this many unstaffable seats: the diagnosis is already clear."""
PROBES = 16
"""Keyed exchange partners a violated seat tries before the cyclic scan (a multiple of 4)."""
_FIRST_CHUNK = 64

i18n.register({
    "assign.key": {"zh": "分配密钥应为32字节，实际为{length}字节",
                   "en": "the assignment key must be 32 bytes, got {length}"},
    "assign.input": {"zh": "分配输入不正确：{detail}", "en": "invalid assignment input: {detail}"},
    "assign.rules": {"zh": "分组规则不正确：{detail}", "en": "invalid team rules: {detail}"},
    "assign.min_seats": {
        "zh": "每个检查对象至少需要2名执法人员（《行政处罚法》第四十二条），规则只设了{seats}个席位",
        "en": "every entity needs at least 2 certified officers (Administrative Penalty Law "
              "art. 42); the rules give {seats} seat(s)"},
    "assign.infeasible": {"zh": "无法完成检查人员分配：\n{detail}",
                          "en": "inspectors cannot be assigned:\n{detail}"},
    "assign.pool_too_small": {
        "zh": "部门{department}：每组需{seats}名执法人员，但在岗执法人员只有{officers}名",
        "en": "department {department}: each team needs {seats} officer(s) but only "
              "{officers} are on duty"},
    "assign.capacity_short": {
        "zh": "部门{department}：需要{needed}个检查席位，{officers}名在岗执法人员的可承担量合计只有{capacity}",
        "en": "department {department}: {needed} seats needed, but the {officers} officer(s) "
              "on duty can take only {capacity} in total"},
    "assign.qualified_short": {
        "zh": "部门{department}：需要{needed}个具备“{qualification}”资格的席位，"
              "{officers}名具备资格的在岗人员可承担量合计只有{capacity}",
        "en": "department {department}: {needed} seats need qualification '{qualification}', "
              "but the {officers} qualified officer(s) on duty can take only {capacity}"},
    "assign.no_eligible": {
        "zh": "部门{department}：{count}个检查对象找不到足够的可派人员（本单位人员、申报回避或轮换排除后不足{seats}名"
              "{qualified_note}），例如：{entities}",
        "en": "department {department}: {count} entit(y/ies) lack eligible officers (fewer than "
              "{seats} left after excluding the entity's own unit, declared conflicts and "
              "rotation{qualified_note}), e.g. {entities}"},
    "assign.qualified_note": {"zh": "，或无具备资格人员", "en": ", or no qualified one"},
    "assign.repair_failed": {
        "zh": "部门{department}：打乱分配后，{count}个检查对象无法在回避、交叉和承担量限制下配齐人员，例如：{entities}",
        "en": "department {department}: after dealing, {count} entit(y/ies) could not be staffed "
              "within recusal, cross-unit and capacity limits, e.g. {entities}"},
    "assign.experts_short": {
        "zh": "部门{department}：需要{needed}个专家席位（每组{seats}名），{officers}名在岗专家的可承担量合计只有{capacity}",
        "en": "department {department}: {needed} expert seats needed ({seats} per team), but "
              "the {officers} expert(s) on duty can take only {capacity}"},
    "assign.experts_no_eligible": {
        "zh": "部门{department}：{count}个检查对象在回避后不足{seats}名可派专家，例如：{entities}",
        "en": "department {department}: {count} entit(y/ies) have fewer than {seats} eligible "
              "expert(s) after recusal, e.g. {entities}"},
    "assign.groups_none": {
        "zh": "检查组模式：部门{department}无法组成检查组（在岗{officers}名，其中具备资格{qualified}名，每组需{seats}名）",
        "en": "group mode: department {department} cannot staff a single group ({officers} "
              "on duty, {qualified} qualified, {seats} per group)"},
    "assign.group_capacity_short": {
        "zh": "检查组模式：{groups}个检查组的可承担量合计{capacity}，少于{needed}个检查对象",
        "en": "group mode: the {groups} group(s) can take {capacity} entities in total, "
              "fewer than the {needed} drawn"},
    "assign.group_no_eligible": {
        "zh": "检查组模式：{count}个检查对象没有任何可派的检查组（组员属本单位、申报回避或轮换排除），例如：{entities}",
        "en": "group mode: {count} entit(y/ies) have no eligible group (a member is from the "
              "entity's unit, declared a conflict or is excluded by rotation), e.g. {entities}"},
    "assign.group_repair_failed": {
        "zh": "检查组模式：打乱分配后，{count}个检查对象无法在回避、交叉和承担量限制下分到检查组，例如：{entities}",
        "en": "group mode: after dealing, {count} entit(y/ies) could not be given a group within "
              "recusal, cross-unit and capacity limits, e.g. {entities}"},
    "assign.more": {"zh": "等", "en": " …"},
    "assign.suggestions": {"zh": "建议：", "en": "Suggestions:"},
    "assign.suggest.capacity": {"zh": "提高执法人员的承担量上限", "en": "raise the officers' capacity"},
    "assign.suggest.officers": {"zh": "增加在岗执法人员", "en": "add officers on duty"},
    "assign.suggest.qualified": {"zh": "增加具备所需资格的执法人员", "en": "add qualified officers"},
    "assign.suggest.lower_k": {"zh": "减少每组人数", "en": "lower the number of seats per team"},
    "assign.suggest.cross_unit": {"zh": "对该部门取消所所交叉（允许本单位人员检查）",
                                  "en": "allow officers from the entity's own unit (turn cross-unit off)"},
    "assign.suggest.rotation": {"zh": "关闭轮换规则或缩短轮换期限",
                                "en": "turn rotation off or shorten its window"},
    "assign.suggest.experts": {"zh": "增加专家、提高专家承担量或减少专家席位",
                               "en": "add experts, raise their capacity or lower the expert seats"},
    "assign.suggest.seats_mode": {"zh": "改用按席位分配模式", "en": "use seat mode instead of groups"},
    "check.shape": {"zh": "分配结果的形状不正确：{detail}", "en": "assignment has the wrong shape: {detail}"},
    "check.officer_range": {"zh": "第{entity}个对象第{column}席：人员编号{officer}超出范围",
                            "en": "entity {entity} seat {column}: officer {officer} out of range"},
    "check.department": {"zh": "第{entity}个对象第{column}席：人员{officer}不属于该席位的部门",
                         "en": "entity {entity} seat {column}: officer {officer} is from another department"},
    "check.expert_in_certified": {"zh": "第{entity}个对象第{column}席：专家{officer}占用了执法人员席位",
                                  "en": "entity {entity} seat {column}: expert {officer} holds a certified seat"},
    "check.not_expert": {"zh": "第{entity}个对象专家席{column}：人员{officer}不是专家",
                         "en": "entity {entity} expert seat {column}: officer {officer} is not an expert"},
    "check.not_on_duty": {"zh": "第{entity}个对象第{column}席：人员{officer}不在岗",
                          "en": "entity {entity} seat {column}: officer {officer} is not on duty"},
    "check.duplicate": {"zh": "第{entity}个对象：人员{officer}在同一组中出现两次",
                        "en": "entity {entity}: officer {officer} sits twice in one team"},
    "check.unqualified": {"zh": "第{entity}个对象第{column}席：人员{officer}不具备所需资格",
                          "en": "entity {entity} seat {column}: officer {officer} lacks the required qualification"},
    "check.conflict": {"zh": "第{entity}个对象：人员{officer}已申报回避",
                       "en": "entity {entity}: officer {officer} declared a conflict"},
    "check.same_unit": {"zh": "第{entity}个对象：人员{officer}来自该对象的管辖单位（违反所所交叉）",
                        "en": "entity {entity}: officer {officer} is from the entity's own unit (cross-unit rule)"},
    "check.rotation": {"zh": "第{entity}个对象：人员{officer}参加过上次检查（违反轮换规则）",
                       "en": "entity {entity}: officer {officer} was on the previous inspection (rotation)"},
    "check.capacity": {"zh": "人员{officer}的分配量超过其承担量",
                       "en": "officer {officer} is assigned beyond capacity"},
    "check.loads": {"zh": "人员{officer}的记录分配量与实际不符", "en": "officer {officer}: recorded load is wrong"},
    "check.leader": {"zh": "第{entity}个对象：组长不是牵头部门的第一席",
                     "en": "entity {entity}: the leader is not the lead seat"},
    "check.min_seats": {"zh": "每组执法人员少于2名", "en": "fewer than 2 certified officers per team"},
})


# --------------------------------------------------------------------------- inputs

def _array(values: Any, dtype: Any, name: str, length: int | None = None) -> np.ndarray:
    arr = np.array(values, dtype=dtype).reshape(-1)
    if length is not None and arr.shape[0] != length:
        raise ValidationError("assign.input", detail=f"{name}: {arr.shape[0]} values, expected {length}")
    return arr


@dataclass(frozen=True, eq=False)
class Entities:
    """Drawn entities in draw order; ``unit`` is the supervising unit code, −1 if none."""

    ids: np.ndarray
    unit: np.ndarray

    def __post_init__(self) -> None:
        ids = _array(self.ids, "S18", "entities.ids")
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "unit", _array(self.unit, np.int64, "entities.unit", len(ids)))

    def __len__(self) -> int:
        return int(self.ids.shape[0])


@dataclass(frozen=True, eq=False)
class Officers:
    """Certified officers and experts; the index is only a handle, the certificate is the identity."""

    cert: Sequence[bytes]
    department: np.ndarray
    unit: np.ndarray
    capacity: np.ndarray
    expert: np.ndarray | None = None
    on_duty: np.ndarray | None = None
    qualifications: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cert = tuple(c.encode("ascii") if isinstance(c, str) else bytes(c) for c in self.cert)
        n = len(cert)
        if any(not c for c in cert) or len(set(cert)) != n:
            raise ValidationError("assign.input", detail="certificate numbers must be non-empty and unique")
        department = _array(self.department, np.int64, "officers.department", n)
        if n and (department.min() < 0 or department.max() >= 2**31):
            raise ValidationError("assign.input", detail="department codes must be in [0, 2**31)")
        capacity = _array(self.capacity, np.int64, "officers.capacity", n)
        if n and capacity.min() < 0:
            raise ValidationError("assign.input", detail="capacity must not be negative")
        set_ = object.__setattr__
        set_(self, "cert", cert)
        set_(self, "department", department)
        set_(self, "unit", _array(self.unit, np.int64, "officers.unit", n))
        set_(self, "capacity", capacity)
        set_(self, "expert", np.zeros(n, bool) if self.expert is None
             else _array(self.expert, bool, "officers.expert", n))
        set_(self, "on_duty", np.ones(n, bool) if self.on_duty is None
             else _array(self.on_duty, bool, "officers.on_duty", n))
        set_(self, "qualifications", {str(q): _array(v, bool, f"qualification {q}", n)
                                      for q, v in self.qualifications.items()})

    def __len__(self) -> int:
        return len(self.cert)


@dataclass(frozen=True, eq=False)
class Pairs:
    """(officer index, entity index) pairs: declared conflicts or the previous inspection's team."""

    officer: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    entity: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self) -> None:
        officer = _array(self.officer, np.int64, "pairs.officer")
        object.__setattr__(self, "officer", officer)
        object.__setattr__(self, "entity", _array(self.entity, np.int64, "pairs.entity", len(officer)))


@dataclass(frozen=True, eq=False)
class AssignInputs:
    """Everything the storage layer hands over for one task."""

    entities: Entities
    officers: Officers
    conflicts: Pairs = field(default_factory=Pairs)
    previous: Pairs = field(default_factory=Pairs)

    def __post_init__(self) -> None:
        for name, pairs in (("conflicts", self.conflicts), ("previous", self.previous)):
            if len(pairs.officer) and (
                    pairs.officer.min() < 0 or pairs.officer.max() >= len(self.officers)
                    or pairs.entity.min() < 0 or pairs.entity.max() >= len(self.entities)):
                raise ValidationError("assign.input", detail=f"{name}: index out of range")


@dataclass(frozen=True)
class DepartmentSeats:
    """One department's share of every team; the first entry is the lead department."""

    department: int
    seats: int
    qualification: str | None = None
    cross_unit: bool = True
    experts: int = 0


@dataclass(frozen=True)
class TeamRules:
    """Team composition; defaults are the strict choice (cross-unit and rotation on)."""

    departments: tuple[DepartmentSeats, ...]
    rotation: bool = True
    mode: str = "seats"

    def __post_init__(self) -> None:
        entries = tuple(d if isinstance(d, DepartmentSeats) else DepartmentSeats(*d)
                        for d in self.departments)
        object.__setattr__(self, "departments", entries)
        if not entries:
            raise ValidationError("assign.rules", detail="no department")
        codes = [d.department for d in entries]
        if len(set(codes)) != len(codes):
            raise ValidationError("assign.rules", detail="a department is listed twice")
        for d in entries:
            if not 0 <= d.department < 2**31 or d.seats < 1 or d.experts < 0:
                raise ValidationError("assign.rules", detail=f"bad entry {d}")
        if self.mode not in ("seats", "groups"):
            raise ValidationError("assign.rules", detail=f"mode {self.mode!r}")
        if self.certified_seats < 2:
            raise ValidationError("assign.min_seats", seats=self.certified_seats)

    @property
    def certified_seats(self) -> int:
        return sum(d.seats for d in self.departments)

    @property
    def expert_seats(self) -> int:
        return sum(d.experts for d in self.departments)

    def column_departments(self) -> np.ndarray:
        """Department code of every certified column."""
        return np.array([d.department for d in self.departments for _ in range(d.seats)], np.int64)

    def expert_departments(self) -> np.ndarray:
        """Department code of every expert column."""
        return np.array([d.department for d in self.departments for _ in range(d.experts)], np.int64)


@dataclass(frozen=True, eq=False)
class Assignment:
    """Teams per entity (row = entity in draw order, columns in seat order)."""

    teams: np.ndarray
    leader: np.ndarray
    experts: np.ndarray
    loads: np.ndarray
    rules: TeamRules
    swaps: int = 0
    fallbacks: int = 0
    groups: np.ndarray | None = None
    algorithm: str = ALGORITHM


def derive_key(seed: bytes) -> bytes:
    """K_assign = SHA-256(seed || b"assign"), the sub-key of a draw's seed.

    >>> derive_key(bytes(32)).hex()[:16]
    '47cd066c517abcb4'
    """
    return hashlib.sha256(bytes(seed) + b"assign").digest()


def fairness_keys(count: int) -> list[bytes]:
    """The public fairness keys SHA-256(b"fairness" || u32(i)), i = 0 … count−1.

    >>> [k.hex()[:8] for k in fairness_keys(2)]
    ['d5b6b880', '7e5bf482']
    """
    return [hashlib.sha256(b"fairness" + _u32(i)).digest() for i in range(count)]


def _u32(value: int) -> bytes:
    return int(value).to_bytes(4, "big")


# --------------------------------------------------------------------------- tickets and dealing

def _hash_words(key: bytes, dept: int, quarters: np.ndarray, names: Sequence[bytes],
                who: np.ndarray) -> np.ndarray:
    """SHA-256(K || u32(d) || u32(q) || name) for each (q, who) as four big-endian u64 words."""
    head = key + _u32(dept)
    prefix = {q: head + _u32(q) for q in np.unique(quarters).tolist()}
    sha = hashlib.sha256
    blob = b"".join([sha(prefix[q] + names[w]).digest()
                     for q, w in zip(quarters.tolist(), who.tolist())])
    return np.frombuffer(blob, dtype=">u8").reshape(-1, 4).astype(np.uint64)


def _round0(key: bytes, dept: int, names: Sequence[bytes]) -> np.ndarray:
    """t_0 of every member of a pool."""
    n = len(names)
    return _hash_words(key, dept, np.zeros(n, np.int64), names, np.arange(n))[:, 0]


def _deal(key: bytes, dept: int, names: Sequence[bytes], rank: np.ndarray, start: np.ndarray,
          cap: np.ndarray, seats: int) -> np.ndarray | None:
    """Pool positions for seats 0 … seats−1 by water-filling; None when capacity is short.

    Member w is listed in round r iff start[w] ≤ r < cap[w]; each round is ordered by
    (t_r, name) and the rounds are concatenated.
    """
    if int(np.maximum(cap - start, 0).sum()) < seats:
        return None
    if seats == 0:
        return np.zeros(0, np.int64)
    lo, hi = 0, int(cap.max())
    while lo < hi:
        mid = (lo + hi) // 2
        if int(np.maximum(np.minimum(cap, mid) - start, 0).sum()) >= seats:
            hi = mid
        else:
            lo = mid + 1
    end = np.minimum(cap, lo)
    rounds = np.maximum(end - start, 0)
    who = np.flatnonzero(rounds)
    n_w, s_w, e_w = rounds[who], start[who], end[who]
    first = np.cumsum(n_w) - n_w
    listed = np.repeat(who, n_w)
    r = np.arange(int(n_w.sum())) - np.repeat(first - s_w, n_w)
    q_lo = s_w // 4
    q_n = (e_w - 1) // 4 - q_lo + 1
    q_first = np.cumsum(q_n) - q_n
    hq = np.arange(int(q_n.sum())) - np.repeat(q_first - q_lo, q_n)
    words = _hash_words(key, dept, hq, names, np.repeat(who, q_n))
    ticket = words[np.repeat(q_first - q_lo, n_w) + r // 4, r % 4]
    bits = int(r.max()).bit_length()
    packed = (r.astype(np.uint64) << np.uint64(64 - bits)) | (ticket >> np.uint64(bits)) if bits else ticket
    order = np.argsort(packed)
    ranked = packed[order]
    if np.any(ranked[1:] == ranked[:-1]):
        order = np.lexsort((rank[listed], ticket, r))
    return listed[order[:seats]]


def _ranks(names: Sequence[bytes]) -> np.ndarray:
    rank = np.empty(len(names), np.int64)
    rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    return rank


def list_offset(key: bytes, dept: int, tag: bytes, n_e: int) -> int:
    """The entity that opens a phase's seat list: be64(SHA-256(K || u32(d) || "offset" || tag)) mod n_e.

    Dealing fills the list round by round, so without a keyed start the entities first in
    draw order would always get the early rounds and those last in draw order only the
    officers with the most capacity.

    >>> list_offset(bytes(32), 3, b"G", 100)
    45
    """
    digest = hashlib.sha256(bytes(key) + _u32(dept) + b"offset" + tag).digest()
    return int.from_bytes(digest[:8], "big") % n_e if n_e else 0


def repair_probes(key: bytes, dept: int, tag: bytes, j: int, total: int, count: int = PROBES) -> list[int]:
    """The keyed positions π_0 … π_{count−1} that violated position j tries first (section 7.2).

    π_i is 64-bit word i mod 4 of SHA-256(K || u32(d) || "repair" || tag || u32(j) || u32(i div 4)),
    reduced mod the number of positions: a uniform, key-dependent choice instead of "the next
    seat", which is what made displaced officers pile up behind their own unit's entities.

    >>> repair_probes(bytes(32), 3, b"G", 5, 100, 4)
    [59, 8, 89, 28]
    """
    head = _probe_head(key, dept, tag, j)
    return [p for q in range(-(-count // 4)) for p in _probe_block(head, q, total)][:count]


def _probe_head(key: bytes, dept: int, tag: bytes, j: int) -> bytes:
    return bytes(key) + _u32(dept) + b"repair" + tag + _u32(j)


def _probe_block(head: bytes, q: int, total: int) -> list[int]:
    """Probes 4q … 4q+3: the four big-endian 64-bit words of one hash, mod ``total``."""
    digest = hashlib.sha256(head + _u32(q)).digest()
    return [int.from_bytes(digest[i:i + 8], "big") % total for i in range(0, 32, 8)]


# --------------------------------------------------------------------------- context

def _unique(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values (sort-based: faster than np.unique's hashing here)."""
    keys = np.sort(keys)
    return keys[np.concatenate([[True], keys[1:] != keys[:-1]])] if keys.size else keys


def _member(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    if sorted_keys.size == 0:
        return np.zeros(np.shape(keys), bool)
    pos = np.searchsorted(sorted_keys, keys)
    return sorted_keys[np.minimum(pos, sorted_keys.size - 1)] == keys


class _Eligibility:
    """Who may sit for whom, restricted to one pool: excluded pairs and the cross-unit rule."""

    def __init__(self, ctx: _Context, pool: np.ndarray, cross: Any, expert: bool) -> None:
        self.ctx, self.pool = ctx, pool
        self.cross = False if expert else cross
        inside = np.zeros(ctx.n_o, bool)
        inside[pool] = True
        keys = ctx.conflict_keys[inside[ctx.conflict_keys % ctx.m]]
        if not expert:
            rotation = ctx.previous_keys[inside[ctx.previous_keys % ctx.m]]
            keys = _unique(np.concatenate([keys, rotation]))
        self.excluded = keys
        self._lists: tuple[list[int], list[int]] | None = None

    def vec(self, off: np.ndarray, ent: np.ndarray) -> np.ndarray:
        """Eligibility of officers for entities (broadcasting; ``cross`` may be per column)."""
        ok = ~_member(self.excluded, ent * self.ctx.m + off)
        if np.any(self.cross):
            ue = self.ctx.unit_e[ent]
            ok &= ~(np.asarray(self.cross) & (ue >= 0) & (self.ctx.unit_o[off] == ue))
        return ok

    def is_excluded(self, o: int, e: int) -> bool:
        """One pair at a time: keys are entity-major, so entity e's pairs form one short run."""
        if self._lists is None:
            m = self.ctx.m
            bounds = np.searchsorted(self.excluded, np.arange(self.ctx.n_e + 1, dtype=np.int64) * m)
            self._lists = (bounds.tolist(), self.excluded.tolist())
        bounds, keys = self._lists
        lo, hi = bounds[e], bounds[e + 1]
        return lo != hi and e * self.ctx.m + o in keys[lo:hi]

    def one(self, o: int, e: int) -> bool:
        if self.is_excluded(o, e):
            return False
        ue = self.ctx.unit_e[e]
        return not (self.cross and ue >= 0 and self.ctx.unit_o[o] == ue)

    def count(self, among: np.ndarray) -> np.ndarray:
        """Per entity, how many of ``among`` (a subset of the pool) are eligible; no dense matrix."""
        ctx = self.ctx
        count = np.full(ctx.n_e, len(among), np.int64)
        if self.cross and len(among):
            units, per_unit = np.unique(ctx.unit_o[among], return_counts=True)
            pos = np.minimum(np.searchsorted(units, ctx.unit_e), len(units) - 1)
            same = (units[pos] == ctx.unit_e) & (ctx.unit_e >= 0)
            count -= np.where(same, per_unit[pos], 0)
        e, o = np.divmod(self.excluded, ctx.m)
        inside = np.zeros(ctx.n_o, bool)
        inside[among] = True
        sel = inside[o]
        if self.cross:
            sel &= ~((ctx.unit_e[e] >= 0) & (ctx.unit_o[o] == ctx.unit_e[e]))
        return count - np.bincount(e[sel], minlength=ctx.n_e)


class _Context:
    """Inputs normalised for one run, plus the mutable loads and counters."""

    def __init__(self, inputs: AssignInputs, rules: TeamRules, key: bytes) -> None:
        if len(key) != 32:
            raise ValidationError("assign.key", length=len(key))
        offs = inputs.officers
        for entry in rules.departments:
            if entry.qualification is not None and entry.qualification not in offs.qualifications:
                raise ValidationError("assign.rules", detail=f"unknown qualification {entry.qualification!r}")
        self.inputs, self.rules, self.key = inputs, rules, bytes(key)
        self.n_e, self.n_o = len(inputs.entities), len(offs)
        self.m = max(self.n_o, 1)
        self.ids = inputs.entities.ids
        self.unit_e = inputs.entities.unit
        self.unit_o = offs.unit
        self.certs = offs.cert
        self.rank = _ranks(offs.cert)
        self.cap = np.minimum(offs.capacity, self.n_e)
        self.loads = np.zeros(self.n_o, np.int64)
        used = np.isin(offs.department, [d.department for d in rules.departments])

        def keys(pairs: Pairs) -> np.ndarray:
            keep = used[pairs.officer]
            return _unique(pairs.entity[keep] * self.m + pairs.officer[keep])

        self.conflict_keys = keys(inputs.conflicts)
        self.previous_keys = keys(inputs.previous) if rules.rotation else np.zeros(0, np.int64)
        self._eligibility: dict[tuple[int, bool], _Eligibility] = {}
        self.swaps = 0
        self.fallbacks = 0

    def pool(self, dept: int, expert: bool) -> np.ndarray:
        o = self.inputs.officers
        return np.flatnonzero((o.department == dept) & o.on_duty & (o.expert == expert))

    def qualified(self, qualification: str) -> np.ndarray:
        return self.inputs.officers.qualifications[qualification]

    def eligibility(self, entry: DepartmentSeats, expert: bool) -> _Eligibility:
        """The (cached) eligibility of a department's certified officers or experts."""
        slot = (entry.department, expert)
        if slot not in self._eligibility:
            self._eligibility[slot] = _Eligibility(self, self.pool(entry.department, expert),
                                                   entry.cross_unit, expert)
        return self._eligibility[slot]

    def entity_list(self, entities: Iterable[int]) -> list[str]:
        return [self.ids[e].decode("ascii", "replace") for e in list(entities)[:MAX_LISTED]]


# --------------------------------------------------------------------------- diagnosis

class AssignmentInfeasible(InfeasibleError):
    """InfeasibleError whose text is re-rendered in the requested language."""

    def message(self, lang: str | None = None) -> str:
        return i18n.text(self.code, lang, detail=describe(self.params.get("reasons", []), lang))


def describe(reasons: Sequence[Mapping[str, Any]], lang: str | None = None) -> str:
    """Readable diagnosis: one line per reason, then the de-duplicated suggestions."""
    lines, suggestions = [], []
    for reason in reasons:
        params = {k: v for k, v in reason.items() if k not in ("code", "suggest")}
        if isinstance(params.get("entities"), list):
            more = i18n.text("assign.more", lang) if params.get("count", 0) > len(params["entities"]) else ""
            params["entities"] = ", ".join(params["entities"]) + more
        if "qualified_note" in params:
            params["qualified_note"] = i18n.text("assign.qualified_note", lang) if params["qualified_note"] else ""
        lines.append("- " + i18n.text(str(reason["code"]), lang, **params))
        suggestions += [s for s in reason.get("suggest", []) if s not in suggestions]
    if suggestions:
        lines.append(i18n.text("assign.suggestions", lang))
        lines += ["  · " + i18n.text(s, lang) for s in suggestions]
    return "\n".join(lines)


def _raise(reasons: list[dict[str, Any]]) -> NoReturn:
    raise AssignmentInfeasible("assign.infeasible", reasons=reasons, detail=describe(reasons))


def _precheck_department(ctx: _Context, entry: DepartmentSeats) -> list[dict[str, Any]]:
    """Necessary conditions for one department's certified seats (cheap, before dealing)."""
    d, k, n_e = entry.department, entry.seats, ctx.n_e
    elig = ctx.eligibility(entry, expert=False)
    pool = elig.pool
    capacity = int(ctx.cap[pool].sum())
    base = {"department": d, "seats": k, "officers": len(pool), "capacity": capacity}
    if len(pool) < k:
        return [{"code": "assign.pool_too_small", **base,
                 "suggest": ["assign.suggest.officers", "assign.suggest.lower_k"]}]
    reasons = []
    if capacity < n_e * k:
        reasons.append({"code": "assign.capacity_short", **base, "needed": n_e * k,
                        "suggest": ["assign.suggest.capacity", "assign.suggest.officers",
                                    "assign.suggest.lower_k"]})
    bad = elig.count(pool) < k
    if entry.qualification is not None:
        qpool = pool[ctx.qualified(entry.qualification)[pool]]
        qcap = int(ctx.cap[qpool].sum())
        if qcap < n_e:
            reasons.append({"code": "assign.qualified_short", "department": d,
                            "qualification": entry.qualification, "needed": n_e,
                            "officers": len(qpool), "capacity": qcap,
                            "suggest": ["assign.suggest.qualified", "assign.suggest.capacity"]})
        bad |= elig.count(qpool) < 1
    if bad.any():
        reasons.append(_no_eligible(ctx, "assign.no_eligible", base, np.flatnonzero(bad), entry))
    return reasons


def _no_eligible(ctx: _Context, code: str, base: dict[str, Any], entities: np.ndarray,
                 entry: DepartmentSeats) -> dict[str, Any]:
    suggest = ["assign.suggest.officers"]
    if entry.cross_unit:
        suggest.insert(0, "assign.suggest.cross_unit")
    if ctx.rules.rotation:
        suggest.append("assign.suggest.rotation")
    return {"code": code, **base, "count": int(entities.size), "entities": ctx.entity_list(entities),
            "qualified_note": entry.qualification is not None, "suggest": suggest}


def _precheck_experts(ctx: _Context, entry: DepartmentSeats) -> list[dict[str, Any]]:
    if entry.experts == 0:
        return []
    elig = ctx.eligibility(entry, expert=True)
    pool = elig.pool
    capacity = int(ctx.cap[pool].sum())
    base = {"department": entry.department, "seats": entry.experts, "officers": len(pool),
            "capacity": capacity}
    if len(pool) < entry.experts or capacity < ctx.n_e * entry.experts:
        return [{"code": "assign.experts_short", **base, "needed": ctx.n_e * entry.experts,
                 "suggest": ["assign.suggest.experts"]}]
    bad = np.flatnonzero(elig.count(pool) < entry.experts)
    if bad.size:
        return [{"code": "assign.experts_no_eligible", **base, "count": int(bad.size),
                 "entities": ctx.entity_list(bad), "suggest": ["assign.suggest.experts"]}]
    return []


# --------------------------------------------------------------------------- repair (seat mode)

@dataclass
class _Phase:
    """One dealing phase of one department: columns c0 … c0+g−1 of ``team``.

    Columns 0 … dealt−1 of ``team`` hold officers once this phase is dealt; ``pool`` is
    where the phase deals from (qualified officers for the qualified seat).
    """

    team: np.ndarray
    c0: int
    g: int
    dealt: int
    pool: np.ndarray
    dept: int
    elig: _Eligibility
    tag: bytes
    """Phase letter in the keyed offset and probes: Q (qualified seat), G (general seats), X (experts)."""
    offset: int = 0
    """Entity whose seats open the seat list: list row i is entity (offset + i) mod n_e."""


def _repair(ctx: _Context, ph: _Phase) -> list[int]:
    """Swap or replace every violated seat; returns the entities that could not be staffed."""
    team, c0, g, n_e, b = ph.team, ph.c0, ph.g, ctx.n_e, ph.offset
    cols = team[:, c0:c0 + g]
    bad = ~ph.elig.vec(cols, np.arange(n_e)[:, None])
    for i in range(g):
        for c in range(ph.dealt):
            if c != c0 + i:
                bad[:, i] |= cols[:, i] == team[:, c]
    failed: list[int] = []
    t0: np.ndarray | None = None
    for j in np.flatnonzero(np.roll(bad, -b, axis=0)).tolist():
        row, c = divmod(j, g)
        e, c = (row + b) % n_e, c + c0
        a = int(team[e, c])
        if ph.elig.one(a, e) and team[e, :ph.dealt].tolist().count(a) == 1:
            continue
        p = _partner(ctx, ph, j, e, a)
        if p >= 0:
            row2, c2 = divmod(p, g)
            e2 = (row2 + b) % n_e
            team[e, c], team[e2, c0 + c2] = team[e2, c0 + c2], a
            ctx.swaps += 1
            continue
        if t0 is None:
            t0 = _round0(ctx.key, ph.dept, [ctx.certs[o] for o in ph.pool])
        o = _fallback(ctx, ph, e, t0)
        if o >= 0:
            team[e, c] = o
            ctx.loads[a] -= 1
            ctx.loads[o] += 1
            ctx.fallbacks += 1
            continue
        failed.append(e)
        if len(failed) >= MAX_REPAIR_FAILURES:
            break
    return failed


def _partner(ctx: _Context, ph: _Phase, j: int, e: int, a: int) -> int:
    """The exchange partner of violated seat j (section 7.2): keyed probes, then a keyed-start scan."""
    team, g, c0, dealt, elig, n_e = ph.team, ph.g, ph.c0, ph.dealt, ph.elig, ctx.n_e
    own = team[e, :dealt]
    own_list = own.tolist()

    def one(p: int) -> bool:
        row2, c2 = divmod(p, g)
        e2 = (row2 + ph.offset) % n_e
        row = team[e2, :dealt].tolist()
        b = row[c0 + c2]
        return b not in own_list and a not in row and elig.one(b, e) and elig.one(a, e2)

    def many(cand: np.ndarray) -> np.ndarray:
        e2, c2 = np.divmod(cand, g)
        e2 = (e2 + ph.offset) % n_e
        b = team[e2, c0 + c2]
        ok = ~(b[:, None] == own[None, :]).any(1)
        ok &= ~(team[e2, :dealt] == a).any(1)
        ok &= elig.vec(b, np.full(cand.size, e))
        return ok & elig.vec(np.full(cand.size, a), e2)

    return _search(ctx.key, ph.dept, ph.tag, j, ctx.n_e * g, one, many)


def _search(key: bytes, dept: int, tag: bytes, j: int, total: int, one: Callable[[int], bool],
            many: Callable[[np.ndarray], np.ndarray]) -> int:
    """First acceptable position: the probes π_0 … π_15, then cyclic order from π_0 (skipping j).

    ``one`` tests a single position, ``many`` a vector of them (same answer). Probes are
    hashed four at a time and only as far as needed; the scan tries the first few positions
    one by one and the rest in growing vectorised chunks.
    """
    if total < 2:
        return -1
    head = _probe_head(key, dept, tag, j)
    start = -1
    for q in range(PROBES // 4):
        for p in _probe_block(head, q, total):
            if start < 0:
                start = p
            if p != j and one(p):
                return p
    quick = min(_FIRST_CHUNK // 4, total)
    for i in range(quick):
        p = (start + i) % total
        if p != j and one(p):
            return p
    done, size = quick, _FIRST_CHUNK
    while done < total:
        n = min(size, total - done)
        cand = (start + done + np.arange(n)) % total
        hit = np.flatnonzero(many(cand) & (cand != j))
        if hit.size:
            return int(cand[hit[0]])
        done += n
        size *= 8
    return -1


def _fallback(ctx: _Context, ph: _Phase, e: int, t0: np.ndarray) -> int:
    """The eligible pool officer with spare capacity and the lowest (load, t_0, cert); −1 if none."""
    pool = ph.pool
    ok = (ctx.loads[pool] < ctx.cap[pool]) & ~np.isin(pool, ph.team[e, :ph.dealt])
    ok &= ph.elig.vec(pool, np.full(len(pool), e))
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return -1
    best = np.lexsort((ctx.rank[pool[idx]], t0[idx], ctx.loads[pool[idx]]))[0]
    return int(pool[idx[best]])


def _fill(ctx: _Context, phase: _Phase) -> list[int]:
    """Deal one phase and repair it; returns unstaffable entities."""
    pool, g = phase.pool, phase.g
    if g == 0:
        return []
    names = [ctx.certs[o] for o in pool]
    seq = _deal(ctx.key, phase.dept, names, ctx.rank[pool], ctx.loads[pool], ctx.cap[pool], ctx.n_e * g)
    if seq is None:
        return list(range(ctx.n_e))
    phase.offset = list_offset(ctx.key, phase.dept, phase.tag, ctx.n_e)
    rows = (np.arange(ctx.n_e) + phase.offset) % ctx.n_e
    phase.team[rows, phase.c0:phase.c0 + g] = pool[seq].reshape(ctx.n_e, g)
    ctx.loads += np.bincount(pool[seq], minlength=ctx.n_o)
    return _repair(ctx, phase)


def _assign_seats(ctx: _Context, reporter: Reporter) -> np.ndarray:
    blocks, reasons = [], []
    for entry in ctx.rules.departments:
        reporter.info(f"department {entry.department}")
        d, k = entry.department, entry.seats
        elig = ctx.eligibility(entry, expert=False)
        pool = elig.pool
        team = np.full((ctx.n_e, k), -1, np.int64)
        if entry.qualification is not None:
            qpool = pool[ctx.qualified(entry.qualification)[pool]]
            phases = [_Phase(team, 0, 1, 1, qpool, d, elig, b"Q"),
                      _Phase(team, 1, k - 1, k, pool, d, elig, b"G")]
        else:
            phases = [_Phase(team, 0, k, k, pool, d, elig, b"G")]
        for phase in phases:
            failed = _fill(ctx, phase)
            if failed:
                reasons.append(_repair_failed(ctx, entry, pool, failed))
                break
        blocks.append(team)
        reporter.advance()
    if reasons:
        _raise(reasons)
    return np.concatenate(blocks, axis=1)


def _repair_failed(ctx: _Context, entry: DepartmentSeats, pool: np.ndarray,
                   failed: list[int]) -> dict[str, Any]:
    base = {"department": entry.department, "seats": entry.seats, "officers": len(pool),
            "capacity": int(ctx.cap[pool].sum())}
    reason = _no_eligible(ctx, "assign.repair_failed", base, np.array(sorted(set(failed))), entry)
    reason["suggest"] = ["assign.suggest.capacity", *reason["suggest"]]
    return reason


def _assign_experts(ctx: _Context) -> np.ndarray:
    blocks, reasons = [np.zeros((ctx.n_e, 0), np.int64)], []
    for entry in ctx.rules.departments:
        if entry.experts == 0:
            continue
        elig = ctx.eligibility(entry, expert=True)
        team = np.full((ctx.n_e, entry.experts), -1, np.int64)
        failed = _fill(ctx, _Phase(team, 0, entry.experts, entry.experts, elig.pool,
                                   entry.department, elig, b"X"))
        if failed:
            reason = _repair_failed(ctx, entry, elig.pool, failed)
            reason["suggest"] = ["assign.suggest.experts"]
            reasons.append(reason)
        blocks.append(team)
    if reasons:
        _raise(reasons)
    return np.concatenate(blocks, axis=1)


# --------------------------------------------------------------------------- group mode

def _form_groups(ctx: _Context) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Members (G × Σk) of the standing groups, chunked from each department's round-0 order."""
    parts, sizes, orders, reasons = [], [], [], []
    for entry in ctx.rules.departments:
        pool = ctx.pool(entry.department, expert=False)
        pool = pool[ctx.cap[pool] >= 1]
        t0 = _round0(ctx.key, entry.department, [ctx.certs[o] for o in pool])
        order = pool[np.lexsort((ctx.rank[pool], t0))]
        n_q = len(order)
        if entry.qualification is not None:
            n_q = int(ctx.qualified(entry.qualification)[order].sum())
        possible = min(len(order) // entry.seats, n_q)
        if possible == 0:
            reasons.append({"code": "assign.groups_none", "department": entry.department,
                            "officers": len(order), "qualified": n_q, "seats": entry.seats,
                            "suggest": ["assign.suggest.officers", "assign.suggest.lower_k"]})
        sizes.append(possible)
        orders.append(order)
    if reasons:
        return np.zeros((0, ctx.rules.certified_seats), np.int64), reasons
    n_g = min(sizes)
    for entry, order in zip(ctx.rules.departments, orders):
        if entry.qualification is None:
            parts.append(order[:n_g * entry.seats].reshape(n_g, entry.seats))
            continue
        is_q = ctx.qualified(entry.qualification)[order]
        lead = order[is_q][:n_g]
        rest = order[~np.isin(order, lead)][:n_g * (entry.seats - 1)]
        parts.append(np.column_stack([lead, rest.reshape(n_g, entry.seats - 1)]))
    return np.concatenate(parts, axis=1), []


def _groups_per_entity(ctx: _Context, members: np.ndarray, elig: _Eligibility) -> np.ndarray:
    """Per entity, the number of groups with every member eligible (sparse counting)."""
    n_g = members.shape[0]
    count = np.full(ctx.n_e, n_g, np.int64)
    cross_units = ctx.unit_o[members[:, np.asarray(elig.cross, bool)]]
    if cross_units.shape[1]:
        s = np.sort(cross_units, axis=1)
        first = np.concatenate([np.ones((n_g, 1), bool), s[:, 1:] != s[:, :-1]], axis=1)
        units, per_unit = np.unique(s[first], return_counts=True)
        pos = np.minimum(np.searchsorted(units, ctx.unit_e), len(units) - 1)
        count -= np.where((units[pos] == ctx.unit_e) & (ctx.unit_e >= 0), per_unit[pos], 0)
    group_of = np.full(ctx.n_o, -1, np.int64)
    group_of[members] = np.arange(n_g)[:, None]
    e, o = np.divmod(elig.excluded, ctx.m)
    g = group_of[o]
    sel = g >= 0
    e, g = np.divmod(_unique(e[sel] * n_g + g[sel]), n_g)
    ue = ctx.unit_e[e]
    by_unit = (cross_units[g] == ue[:, None]).any(axis=1) & (ue >= 0)
    return count - np.bincount(e[~by_unit], minlength=ctx.n_e)


def _assign_groups(ctx: _Context, reporter: Reporter) -> tuple[np.ndarray, np.ndarray]:
    members, reasons = _form_groups(ctx)
    if reasons:
        _raise(reasons)
    n_g, n_e = members.shape[0], ctx.n_e
    cross = np.array([d.cross_unit for d in ctx.rules.departments for _ in range(d.seats)], bool)
    elig = _Eligibility(ctx, members.reshape(-1), cross, expert=False)
    gcap = ctx.cap[members].min(axis=1)
    names = [_u32(g) for g in range(n_g)]
    seq = _deal(ctx.key, GROUP_DEPARTMENT, names, np.arange(n_g), np.zeros(n_g, np.int64), gcap, n_e)
    if seq is None:
        _raise([{"code": "assign.group_capacity_short", "groups": n_g, "capacity": int(gcap.sum()),
                 "needed": n_e, "suggest": ["assign.suggest.capacity", "assign.suggest.seats_mode"]}])
    lacking = np.flatnonzero(_groups_per_entity(ctx, members, elig) < 1)
    if lacking.size:
        _raise([{"code": "assign.group_no_eligible", "count": int(lacking.size),
                 "entities": ctx.entity_list(lacking),
                 "suggest": ["assign.suggest.cross_unit", "assign.suggest.seats_mode"]}])
    b = list_offset(ctx.key, GROUP_DEPARTMENT, b"G", n_e)
    grp = np.empty(n_e, np.int64)
    grp[(np.arange(n_e) + b) % n_e] = seq
    gload = np.bincount(grp, minlength=n_g)
    ok = elig.vec(members[grp], np.arange(n_e)[:, None]).all(axis=1)
    member_lists = members.tolist()
    failed: list[int] = []
    t0: np.ndarray | None = None
    for i in np.flatnonzero(np.roll(~ok, -b)).tolist():
        j = (i + b) % n_e
        if _suits(elig, member_lists[grp[j]], j):
            continue
        p = _group_partner(ctx, elig, members, member_lists, grp, i, b)
        if p >= 0:
            grp[j], grp[p] = grp[p], grp[j]
            ctx.swaps += 1
            continue
        if t0 is None:
            t0 = _round0(ctx.key, GROUP_DEPARTMENT, names)
        fit = (gload < gcap) & elig.vec(members, np.full((n_g, 1), j)).all(axis=1)
        idx = np.flatnonzero(fit)
        if idx.size:
            best = int(idx[np.lexsort((idx, t0[idx], gload[idx]))[0]])
            gload[grp[j]] -= 1
            gload[best] += 1
            grp[j] = best
            ctx.fallbacks += 1
            continue
        failed.append(j)
        if len(failed) >= MAX_REPAIR_FAILURES:
            break
    if failed:
        _raise([{"code": "assign.group_repair_failed", "count": len(failed),
                 "entities": ctx.entity_list(sorted(failed)),
                 "suggest": ["assign.suggest.capacity", "assign.suggest.cross_unit",
                             "assign.suggest.seats_mode"]}])
    ctx.loads[members.reshape(-1)] += np.repeat(gload, members.shape[1])
    reporter.advance()
    return members[grp], grp


def _suits(elig: _Eligibility, group: list[int], e: int) -> bool:
    """Whether every member of ``group`` may inspect entity ``e``."""
    cross = np.broadcast_to(elig.cross, (len(group),))
    ctx = elig.ctx
    ue = ctx.unit_e[e]
    return not any(elig.is_excluded(o, e) or (x and ue >= 0 and ctx.unit_o[o] == ue)
                   for o, x in zip(group, cross.tolist()))


def _group_partner(ctx: _Context, elig: _Eligibility, members: np.ndarray,
                   member_lists: list[list[int]], grp: np.ndarray, i: int, b: int) -> int:
    """Entity whose group to exchange with that of list position i (section 10 step 6)."""
    n_e = ctx.n_e
    j = (i + b) % n_e
    mine = member_lists[grp[j]]

    def one(p: int) -> bool:
        e2 = (p + b) % n_e
        return _suits(elig, member_lists[grp[e2]], j) and _suits(elig, mine, e2)

    def many(cand: np.ndarray) -> np.ndarray:
        e2 = (cand + b) % n_e
        ok = elig.vec(members[grp[e2]], np.full((cand.size, 1), j)).all(axis=1)
        return ok & elig.vec(members[grp[j]][None, :], e2[:, None]).all(axis=1)

    p = _search(ctx.key, GROUP_DEPARTMENT, b"G", i, n_e, one, many)
    return (p + b) % n_e if p >= 0 else -1


# --------------------------------------------------------------------------- entry points

def assign(inputs: AssignInputs, rules: TeamRules, key: bytes, reporter: Reporter = NULL) -> Assignment:
    """Deal officers to the drawn entities under ``rules`` with K_assign = ``key``.

    Raises :class:`AssignmentInfeasible` (an InfeasibleError) with a diagnosis, never
    returns a partial result.
    """
    ctx = _Context(inputs, rules, key)
    reasons: list[dict[str, Any]] = []
    for entry in rules.departments:
        if rules.mode == "seats":
            reasons += _precheck_department(ctx, entry)
        reasons += _precheck_experts(ctx, entry)
    if reasons:
        _raise(reasons)
    reporter.start("assign", len(rules.departments))
    groups = None
    if ctx.n_e == 0:
        teams = np.zeros((0, rules.certified_seats), np.int64)
    elif rules.mode == "seats":
        teams = _assign_seats(ctx, reporter)
    else:
        teams, groups = _assign_groups(ctx, reporter)
    experts = _assign_experts(ctx)
    reporter.finish()
    return Assignment(teams=teams.astype(np.int32), leader=teams[:, 0].astype(np.int32),
                      experts=experts.astype(np.int32), loads=ctx.loads.astype(np.int32),
                      rules=rules, swaps=ctx.swaps, fallbacks=ctx.fallbacks,
                      groups=None if groups is None else groups.astype(np.int32))


@dataclass(frozen=True)
class Violation:
    """One broken rule found by :func:`check`."""

    code: str
    entity: int = -1
    column: int = -1
    officer: int = -1
    detail: str = ""

    def message(self, lang: str | None = None) -> str:
        return i18n.text(self.code, lang, entity=self.entity, column=self.column,
                         officer=self.officer, detail=self.detail)


def check(assignment: Assignment, inputs: AssignInputs, rules: TeamRules | None = None) -> list[Violation]:
    """Every rule violated by ``assignment`` (empty when all hold), recomputed from the inputs.

    Independent of how the teams were made: shapes, departments, duty, expert status,
    distinct members, qualified seat, recusal, cross-unit, rotation, capacity, loads, leader.
    """
    rules = rules or assignment.rules
    offs, n_e, n_o = inputs.officers, len(inputs.entities), len(inputs.officers)
    teams = np.asarray(assignment.teams, np.int64)
    experts = np.asarray(assignment.experts, np.int64)
    out: list[Violation] = []
    if rules.certified_seats < 2:
        out.append(Violation("check.min_seats"))
    want = ((n_e, rules.certified_seats), (n_e, rules.expert_seats), (n_e,), (n_o,))
    got = (teams.shape, experts.shape, np.shape(assignment.leader), np.shape(assignment.loads))
    if want != got:
        return out + [Violation("check.shape", detail=f"expected {want}, got {got}")]
    for matrix in (teams, experts):
        for e, c in zip(*np.nonzero((matrix < 0) | (matrix >= n_o))):
            out.append(Violation("check.officer_range", int(e), int(c), int(matrix[e, c])))
    if out:
        return out
    ent = np.arange(n_e)
    n = max(n_e, 1)
    conflicts = inputs.conflicts.officer * n + inputs.conflicts.entity
    previous = inputs.previous.officer * n + inputs.previous.entity

    def flag(code: str, bad: np.ndarray, column: np.ndarray, c: int) -> None:
        out.extend(Violation(code, int(e), c, int(column[e])) for e in np.flatnonzero(bad))

    def in_set(pairs: np.ndarray, column: np.ndarray) -> np.ndarray:
        return np.isin(column * n + ent, pairs)

    c = 0
    for entry in rules.departments:
        for seat in range(entry.seats):
            col = teams[:, c]
            flag("check.department", offs.department[col] != entry.department, col, c)
            flag("check.expert_in_certified", offs.expert[col], col, c)
            flag("check.not_on_duty", ~offs.on_duty[col], col, c)
            if seat == 0 and entry.qualification is not None:
                qualified = offs.qualifications.get(entry.qualification, np.zeros(n_o, bool))
                flag("check.unqualified", ~qualified[col], col, c)
            flag("check.conflict", in_set(conflicts, col), col, c)
            if entry.cross_unit:
                eu = inputs.entities.unit
                flag("check.same_unit", (eu >= 0) & (offs.unit[col] == eu), col, c)
            if rules.rotation:
                flag("check.rotation", in_set(previous, col), col, c)
            c += 1
    c = 0
    for entry in rules.departments:
        for _ in range(entry.experts):
            col = experts[:, c]
            flag("check.department", offs.department[col] != entry.department, col, c)
            flag("check.not_expert", ~offs.expert[col], col, c)
            flag("check.not_on_duty", ~offs.on_duty[col], col, c)
            flag("check.conflict", in_set(conflicts, col), col, c)
            c += 1
    for matrix in (teams, experts):
        for c1 in range(matrix.shape[1]):
            for c2 in range(c1 + 1, matrix.shape[1]):
                flag("check.duplicate", matrix[:, c1] == matrix[:, c2], matrix[:, c1], c2)
    if n_e:
        flag("check.leader", np.asarray(assignment.leader) != teams[:, 0], teams[:, 0], 0)
    loads = np.bincount(np.concatenate([teams.reshape(-1), experts.reshape(-1)]), minlength=n_o)
    out.extend(Violation("check.loads", officer=int(o))
               for o in np.flatnonzero(loads != np.asarray(assignment.loads)))
    out.extend(Violation("check.capacity", officer=int(o)) for o in np.flatnonzero(loads > offs.capacity))
    return out


# --------------------------------------------------------------------------- fairness

@dataclass(frozen=True, eq=False)
class FairnessReport:
    """Empirical P(officer sits in entity's certified seats) over many keys, against the
    ideal k_d / (officers of d eligible for the entity).

    Only pairs that occurred are listed (sparse); ``ratio`` = probability / ideal.
    """

    runs: int
    officer: np.ndarray
    entity: np.ndarray
    probability: np.ndarray
    ideal: np.ndarray
    max_probability: float
    max_ideal: float
    max_ratio: float
    load_min: np.ndarray
    load_max: np.ndarray

    @property
    def ratio(self) -> np.ndarray:
        return self.probability / self.ideal


def fairness(inputs: AssignInputs, rules: TeamRules, keys: Sequence[bytes],
             reporter: Reporter = NULL) -> FairnessReport:
    """Run :func:`assign` once per key and compare the pair frequencies with the ideal.

    Counts are accumulated as sorted pair keys (officer·n_e + entity), never as a dense
    entity × officer matrix.
    """
    n_e, n_o = len(inputs.entities), len(inputs.officers)
    n = max(n_e, 1)
    acc_keys, acc_counts = np.zeros(0, np.int64), np.zeros(0, np.int64)
    batch: list[np.ndarray] = []
    load_min = np.full(n_o, np.iinfo(np.int64).max, np.int64)
    load_max = np.zeros(n_o, np.int64)
    reporter.start("fairness", len(keys))

    def flush() -> tuple[np.ndarray, np.ndarray]:
        fresh, fresh_counts = np.unique(np.concatenate(batch), return_counts=True)
        merged, where = np.unique(np.concatenate([acc_keys, fresh]), return_inverse=True)
        counts = np.bincount(where, weights=np.concatenate([acc_counts, fresh_counts]),
                             minlength=merged.size)
        return merged, counts.astype(np.int64)

    for key in keys:
        a = assign(inputs, rules, key)
        batch.append((a.teams.astype(np.int64) * n + np.arange(n_e)[:, None]).reshape(-1))
        load_min = np.minimum(load_min, a.loads)
        load_max = np.maximum(load_max, a.loads)
        if sum(b.size for b in batch) > 4_000_000:
            acc_keys, acc_counts = flush()
            batch = []
        reporter.advance()
    if batch:
        acc_keys, acc_counts = flush()
    reporter.finish()
    runs = len(keys)
    officer, entity = np.divmod(acc_keys, n)
    ctx = _Context(inputs, rules, bytes(32))
    ideal = np.zeros(acc_keys.size, float)
    for entry in rules.departments:
        elig = ctx.eligibility(entry, expert=False)
        eligible = elig.count(elig.pool)
        sel = inputs.officers.department[officer] == entry.department
        ideal[sel] = entry.seats / np.maximum(eligible[entity[sel]], 1)
    prob = acc_counts / max(runs, 1)
    return FairnessReport(
        runs=runs, officer=officer, entity=entity, probability=prob, ideal=ideal,
        max_probability=float(prob.max(initial=0.0)), max_ideal=float(ideal.max(initial=0.0)),
        max_ratio=float((prob / np.where(ideal > 0, ideal, 1)).max(initial=0.0)),
        load_min=np.where(runs > 0, load_min, 0), load_max=load_max)
