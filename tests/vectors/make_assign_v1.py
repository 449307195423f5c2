"""Regenerate tests/vectors/assign_v1.json (algorithm "shuangsuiji-assign/1").

Run from the repository root: ``python tests/vectors/make_assign_v1.py``.  The inputs are
derived from SHA-256 of fixed labels, so the file is reproducible byte for byte; the
expected outputs come from the module and are cross-checked in tests/test_assignment.py
against an independent reference implementation of docs/assignment.md.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from shuangsuiji import assignment as A
from shuangsuiji.errors import InfeasibleError

OUT = Path(__file__).with_name("assign_v1.json")


def pick(label: str, i: int, n: int) -> int:
    """A deterministic number in [0, n) for (label, i)."""
    return int.from_bytes(hashlib.sha256(f"{label}/{i}".encode()).digest()[:8], "big") % n


def registry(label: str, n_e: int, depts: list[int], per_dept: int, units: int, capacity: list[int],
             experts: int = 0, conflicts: int = 0, previous: int = 0) -> dict[str, Any]:
    n_o = len(depts) * per_dept + experts * len(depts)
    department = [depts[i % len(depts)] for i in range(n_o)]
    return {
        "entities": {"ids": ["91%016d" % (1000 + i) for i in range(n_e)],
                     "unit": [pick(label + "/eu", i, units + 1) - 1 for i in range(n_e)]},
        "officers": {
            "cert": ["ZF%06d" % pick(label + "/cert", i, 10**6) for i in range(n_o)],
            "department": department,
            "unit": [pick(label + "/ou", i, units) for i in range(n_o)],
            "capacity": [capacity[pick(label + "/cap", i, len(capacity))] for i in range(n_o)],
            "expert": [i >= len(depts) * per_dept for i in range(n_o)],
            "on_duty": [pick(label + "/duty", i, 9) != 0 for i in range(n_o)],
            "qualifications": {"food": [pick(label + "/food", i, 2) == 0 for i in range(n_o)]}},
        "conflicts": sorted({(pick(label + "/co", i, n_o), pick(label + "/ce", i, n_e)) for i in range(conflicts)}),
        "previous": sorted({(pick(label + "/po", i, n_o), pick(label + "/pe", i, n_e)) for i in range(previous)}),
    }


def rules_json(departments: list[tuple[int, int, str | None, bool, int]], rotation: bool = True,
               mode: str = "seats") -> dict[str, Any]:
    keys = ("department", "seats", "qualification", "cross_unit", "experts")
    return {"departments": [dict(zip(keys, d)) for d in departments], "rotation": rotation, "mode": mode}


def to_inputs(case: dict[str, Any]) -> tuple[A.AssignInputs, A.TeamRules, bytes]:
    e, o = case["entities"], case["officers"]
    pairs = lambda ps: A.Pairs(*zip(*ps)) if ps else A.Pairs()  # noqa: E731
    inputs = A.AssignInputs(
        A.Entities([x.encode() for x in e["ids"]], e["unit"]),
        A.Officers([c.encode() for c in o["cert"]], o["department"], o["unit"], o["capacity"],
                   o["expert"], o["on_duty"], o["qualifications"]),
        pairs(case["conflicts"]), pairs(case["previous"]))
    r = case["rules"]
    rules = A.TeamRules(tuple(A.DepartmentSeats(**d) for d in r["departments"]), r["rotation"], r["mode"])
    return inputs, rules, bytes.fromhex(case["key"])


def solve(case: dict[str, Any]) -> dict[str, Any]:
    inputs, rules, key = to_inputs(case)
    try:
        a = A.assign(inputs, rules, key)
    except InfeasibleError as exc:
        return {"infeasible": [r["code"] for r in exc.params["reasons"]]}
    out = {"teams": a.teams.tolist(), "leader": a.leader.tolist(), "experts": a.experts.tolist(),
           "loads": a.loads.tolist(), "swaps": a.swaps, "fallbacks": a.fallbacks}
    if a.groups is not None:
        out["groups"] = a.groups.tolist()
    return out


def trace(case: dict[str, Any]) -> dict[str, Any]:
    """Tickets, the seat list and the repair probes of the first department's phase G."""
    inputs, rules, key = to_inputs(case)
    entry = rules.departments[0]
    assert entry.qualification is None
    offs = inputs.officers
    pool = [i for i in range(len(offs)) if offs.department[i] == entry.department
            and offs.on_duty[i] and not offs.expert[i]]
    names = [offs.cert[i] for i in pool]
    n_e, g = len(inputs.entities), entry.seats
    cap = np.minimum(offs.capacity[pool], n_e)
    seq = A._deal(key, entry.department, names, A._ranks(names), np.zeros(len(pool), np.int64),
                  cap, n_e * g)
    rounds = int(np.ceil(n_e * g / len(pool))) + 1
    hashes = {}
    for i, name in zip(pool, names):
        h = hashlib.sha256(key + A._u32(entry.department) + A._u32(0) + name).hexdigest()
        hashes[name.decode()] = {"officer": i, "sha256_q0": h,
                                 "tickets": [int(h[16 * r:16 * r + 16], 16) for r in range(min(rounds, 4))]}
    b = A.list_offset(key, entry.department, b"G", n_e)
    dealt = [pool[s] for s in seq]
    conflicts = set(map(tuple, case["conflicts"]))
    previous = set(map(tuple, case["previous"])) if rules.rotation else set()
    unit_e, unit_o = case["entities"]["unit"], case["officers"]["unit"]
    invalid = []
    for j, o in enumerate(dealt):
        e = (b + j // g) % n_e
        row = dealt[(j // g) * g:(j // g + 1) * g]
        same_unit = entry.cross_unit and unit_e[e] >= 0 and unit_o[o] == unit_e[e]
        if (o, e) in conflicts or (o, e) in previous or same_unit or row.count(o) > 1:
            invalid.append(j)
    return {"department": entry.department, "pool": pool, "hashes": hashes,
            "dealt_before_repair": dealt, "seat_list_offset": b,
            "seat_list_entities": [(b + i) % n_e for i in range(n_e)],
            "invalid_after_dealing": invalid,
            "repair_probes": {str(j): A.repair_probes(key, entry.department, b"G", j, n_e * g)
                              for j in invalid}}


def make_cases() -> list[dict[str, Any]]:
    key = lambda label: hashlib.sha256(label.encode()).hexdigest()  # noqa: E731
    cases = []
    c = {"name": "one-department", "description": "8 entities, one department (code 3), teams of 2, "
         "cross-unit and rotation on, declared conflicts", "key": key("assign_v1/one"),
         "rules": rules_json([(3, 2, None, True, 0)]),
         **registry("one", 8, [3], 8, 4, [3, 4], conflicts=4, previous=6)}
    c["trace"] = trace(c)
    cases.append(c)
    cases.append({"name": "joint-qualified-experts", "description": "joint task: department 3 leads with "
                  "2 seats, the first requiring 'food'; department 7 adds 1 seat; one expert of department 3",
                  "key": key("assign_v1/joint"),
                  "rules": rules_json([(3, 2, "food", True, 1), (7, 1, None, False, 0)]),
                  **registry("joint", 10, [3, 7], 7, 3, [4, 5, 6], experts=3, conflicts=6, previous=8)})
    cases.append({"name": "groups", "description": "group mode (检查组): departments 3 (2 seats) and 7 "
                  "(1 seat), cross-unit on", "key": key("assign_v1/groups"),
                  "rules": rules_json([(3, 2, None, True, 0), (7, 1, None, True, 0)], mode="groups"),
                  **registry("groups", 12, [3, 7], 10, 6, [4, 6], conflicts=6, previous=6)})
    for i in range(10_000):  # the first tight registry whose repair needs a fallback
        c = {"name": "fallback", "description": "tight capacity: the repair finds no swap partner for "
             "some seat and falls back to the least-loaded eligible officer", "key": key(f"assign_v1/fb/{i}"),
             "rules": rules_json([(3, 2, None, True, 0)]),
             **registry(f"fb/{i}", 9, [3], 5, 3, [4, 4, 5], conflicts=3, previous=4)}
        if solve(c).get("fallbacks"):
            cases.append(c)
            break
    for i in range(10_000):  # ...and the same in group mode
        c = {"name": "groups-fallback", "description": "group mode with a fallback group",
             "key": key(f"assign_v1/gfb/{i}"),
             "rules": rules_json([(3, 1, None, True, 0), (7, 1, None, True, 0)], mode="groups"),
             **registry(f"gfb/{i}", 8, [3, 7], 3, 3, [3, 4], conflicts=3, previous=3)}
        if solve(c).get("fallbacks"):
            cases.append(c)
            break
    cases.append({"name": "infeasible-capacity", "description": "20 entities × 2 seats but little capacity",
                  "key": key("assign_v1/inf"), "rules": rules_json([(3, 2, None, True, 0)]),
                  **registry("inf", 20, [3], 4, 2, [2, 3])})
    for c in cases:
        c["expected"] = solve(c)
    return cases


def main() -> None:
    doc = {"algorithm": A.ALGORITHM, "spec": "docs/assignment.md",
           "notes": "officer and entity indices are 0-based positions in the lists given; "
                    "teams list officer indices in seat order (lead seat first); loads count "
                    "certified and expert seats", "cases": make_cases()}
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(doc['cases'])} cases)")


if __name__ == "__main__":
    main()
