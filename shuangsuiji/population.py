"""The eligible population of a task: apply the filter, exclusions and strata to the registry.

The registry comes as numpy columns from the entity snapshot (:mod:`.snapshot`), in
ascending USCC order; exclusions that depend on history are computed in SQL and come back
as id lists.
Every excluded entity gets exactly one reason, the first that applies in the order of
:data:`EXCLUSION_ORDER`, so the reason counts add up to the excluded total.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from . import snapshot
from .store import fetch_ints
from .taskspec import TaskSpec

EXCLUSION_ORDER = ("not_in_operation", "disabled", "recently_inspected", "annual_cap", "drawn_in_plan")


@dataclass
class Population:
    """Eligible entities (by stratum) and excluded ones (by reason), as numpy arrays."""

    ids: np.ndarray            # int64 entity ids, eligible only
    units: np.ndarray          # int64 unit id of each eligible entity, -1 for none
    usccs: np.ndarray          # S18, ascending byte order
    stratum_of: np.ndarray     # int32 index into stratum_keys
    stratum_keys: list[str]
    stratum_risk: list[str]    # the risk class of each stratum ('' when not stratified by risk)
    in_scope: int              # entities matching the filter (before exclusions)
    excluded: dict[str, np.ndarray] = field(default_factory=dict)  # reason -> entity ids


def _match(values: list[Any], codes: np.ndarray, keep: Any) -> np.ndarray:
    ok = np.array([bool(keep(v)) for v in values], dtype=bool)
    return ok[codes] if len(codes) else np.zeros(0, bool)


def _history_exclusions(conn: Connection, spec: TaskSpec, task_id: int, plan_id: int, as_of: date,
                        ) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if spec.inspected_within_days is not None:
        cutoff = (as_of - timedelta(days=spec.inspected_within_days)).isoformat()
        out["recently_inspected"] = np.concatenate([
            fetch_ints(conn, "SELECT id FROM entity WHERE last_inspected >= ?", [cutoff]),
            fetch_ints(conn, "SELECT entity_id FROM inspection WHERE inspected_on >= ?", [cutoff])])
    if spec.annual_cap is not None:
        year_start = date(as_of.year, 1, 1)
        counts: dict[int, int] = {}
        for eid, n in conn.execute(text("SELECT entity_id, count(*) FROM inspection WHERE inspected_on >= :y "
                                        "GROUP BY entity_id"), {"y": year_start}):
            counts[int(eid)] = int(n)
        # entities already drawn this year in other live tasks count as inspections to come
        for eid, n in conn.execute(text(
                "SELECT de.entity_id, count(*) FROM draw_entity de JOIN draw d ON d.id = de.draw_id "
                "JOIN task t ON t.id = d.task_id WHERE d.current = :t AND t.id <> :task "
                "AND t.state IN ('drawn', 'published') AND d.created_at >= :y AND t.task_no NOT IN "
                "(SELECT t2.task_no FROM task t2 JOIN inspection i ON i.task_id = t2.id) "
                "GROUP BY de.entity_id"), {"t": True, "task": task_id, "y": year_start}):
            counts[int(eid)] = counts.get(int(eid), 0) + int(n)
        out["annual_cap"] = np.array(sorted(e for e, n in counts.items() if n >= spec.annual_cap), dtype=np.int64)
    if spec.exclude_drawn_in_plan:
        out["drawn_in_plan"] = fetch_ints(conn, "SELECT de.entity_id FROM draw_entity de JOIN draw d ON d.id = de.draw_id "
                                                "JOIN task t ON t.id = d.task_id WHERE d.current = ? AND t.plan_id = ? "
                                                "AND t.id <> ? AND t.state = 'drawn'", [True, plan_id, task_id])
    return out


def _rows_of(ids: np.ndarray, wanted: np.ndarray | None) -> np.ndarray:
    """Boolean mask of the rows whose id is in ``wanted``.

    >>> _rows_of(np.array([7, 3, 9]), np.array([9, 3, 12])).tolist()
    [False, True, True]
    """
    if wanted is None or not len(wanted) or not len(ids):
        return np.zeros(len(ids), dtype=bool)
    top = int(ids.max()) + 1
    if top > 4 * len(ids) + 4096 or int(ids.min()) < 0:
        return np.isin(ids, wanted)
    table = np.zeros(top, dtype=bool)
    table[wanted[(wanted >= 0) & (wanted < top)]] = True
    return table[ids]


def _by_reason(ids: np.ndarray, reason: np.ndarray) -> dict[str, np.ndarray]:
    """The excluded ids of each reason (index into :data:`EXCLUSION_ORDER`, -1 for none), sorted:
    one pass over the registry rather than one per reason.

    >>> {k: v.tolist() for k, v in _by_reason(np.array([5, 3, 8, 1]), np.array([1, -1, 1, 4])).items()}
    {'not_in_operation': [], 'disabled': [5, 8], 'recently_inspected': [], 'annual_cap': [], 'drawn_in_plan': [1]}
    """
    rows = np.flatnonzero(reason >= 0)
    which = reason[rows]
    rows = rows[np.argsort(which, kind="stable")]
    ends = np.cumsum(np.bincount(which, minlength=len(EXCLUSION_ORDER))).tolist()
    return {name: np.sort(ids[rows[a:b]]) for name, a, b in zip(EXCLUSION_ORDER, [0, *ends], ends)}


def _dense_codes(combined: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(combined, return_inverse=True)`` for values in ``[0, bound)``, in linear
    time when the bound is small enough for a presence table.

    >>> [a.tolist() for a in _dense_codes(np.array([5, 2, 5, 9]), 10)]
    [[2, 5, 9], [1, 0, 1, 2]]
    """
    if bound > 4 * len(combined) + 4096:
        uniq, inverse = np.unique(combined, return_inverse=True)
        return uniq, inverse.ravel()
    present = np.zeros(bound, dtype=bool)
    present[combined] = True
    rank = np.cumsum(present, dtype=np.int32 if bound < 2**31 else np.int64) - 1
    return np.flatnonzero(present), rank[combined]


def stratum_key(dims: Sequence[str], values: Sequence[Any]) -> str:
    """``risk=A;region=330106`` (``*`` for an unstratified task).

    >>> stratum_key(["risk", "region"], ["A", "330106"])
    'risk=A;region=330106'
    >>> stratum_key([], [])
    '*'
    """
    if not dims:
        return "*"
    return ";".join(f"{d}={v}" for d, v in zip(dims, values))


def build(conn: Connection, spec: TaskSpec, *, task_id: int, plan_id: int, as_of: date,
          unit_names: dict[int, str]) -> Population:
    snap = snapshot.current(conn)
    ids, usccs, coded = snap.ids, snap.usccs, snap.coded
    operating, enabled = (snap.flags & 1).astype(bool), (snap.flags & 2).astype(bool)
    n = len(ids)
    scope = np.ones(n, dtype=bool)

    def restrict(dim: str, keep: Any) -> None:
        nonlocal scope
        codes, values = coded[dim]
        scope &= _match(values, codes, keep)

    if spec.entity_types:
        restrict("entity_type", lambda v: v in spec.entity_types)
    if spec.regions:
        restrict("region", lambda v: any(str(v).startswith(p) for p in spec.regions))
    if spec.industries:
        restrict("industry", lambda v: any(str(v).startswith(p) for p in spec.industries))
    if spec.units:
        restrict("unit", lambda v: unit_names.get(int(v), "") in spec.units)
    if spec.risk:
        restrict("risk", lambda v: v in spec.risk)
    if spec.tags_any:
        restrict("tags", lambda v: bool(set((v or "").split(";")) & set(spec.tags_any)))

    reason = np.full(n, -1, dtype=np.int8)
    reason[scope & ~operating] = 0
    reason[scope & operating & ~enabled] = 1
    hist = _history_exclusions(conn, spec, task_id, plan_id, as_of)
    for r_idx, name in enumerate(EXCLUSION_ORDER[2:], start=2):
        hit = _rows_of(ids, hist.get(name))
        reason[scope & (reason < 0) & hit] = r_idx
    eligible = scope & (reason < 0)
    excluded = _by_reason(ids, reason)

    dims = list(spec.strata)
    size = int(np.count_nonzero(eligible))
    if dims:
        radix = [max(len(coded[d][1]), 1) for d in dims]
        bound = int(np.prod(radix, dtype=object))
        combined = np.zeros(size, dtype=np.int32 if bound < 2**31 else np.int64)
        for d, r in zip(dims, radix):
            combined *= r
            combined += coded[d][0][eligible]
        uniq, inverse = _dense_codes(combined, bound)
        keys, risks = [], []
        for u in uniq.tolist():
            parts = []
            for d, r in zip(reversed(dims), reversed(radix)):
                parts.append(coded[d][1][u % r])
                u //= r
            values = list(reversed(parts))
            shown = [unit_names.get(int(v), "-") if d == "unit" else ("-" if v in (None, "") else v)
                     for d, v in zip(dims, values)]
            keys.append(stratum_key(dims, shown))
            risks.append(str(shown[dims.index("risk")]) if "risk" in dims else "")
        stratum_of = inverse.astype(np.int32, copy=False)
    else:
        keys, risks = ["*"], [""]
        stratum_of = np.zeros(size, dtype=np.int32)
    unit_codes, unit_values = coded["unit"]
    unit_ids = np.array([int(v) for v in unit_values] or [-1], dtype=np.int64)
    return Population(ids=ids[eligible], units=unit_ids[unit_codes[eligible]], usccs=usccs[eligible],
                      stratum_of=stratum_of, stratum_keys=keys, stratum_risk=risks, in_scope=int(scope.sum()), excluded=excluded)
