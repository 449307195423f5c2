"""Regenerate ``draw_v1.json``: ``python tests/vectors/make_draw_vectors.py``.

The outputs come from :mod:`shuangsuiji.sampling`; ``tests/test_sampling.py`` checks
every value against an independent plain-Python implementation, so a change here that
breaks the specification fails the tests rather than silently becoming the new truth.
IDs are derived from SHA-256 of fixed labels (no RNG) and carry valid check characters.
"""
from __future__ import annotations

import hashlib
import json
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from shuangsuiji import sampling  # noqa: E402

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
OUT = Path(__file__).with_name("draw_v1.json")


def _digits(label: str, count: int) -> list[int]:
    h = hashlib.sha256(label.encode()).digest()
    return [b % 10 for b in h[:count]]


def uscc(label: str, region: str, kind: str = "91") -> str:
    """A USCC with valid organisation-code (GB 11714) and GB 32100 check characters."""
    body = _digits(label, 8)
    c9 = 11 - sum(d * w for d, w in zip(body, ORG_WEIGHTS)) % 11
    org = "".join(map(str, body)) + ("X" if c9 == 10 else "0" if c9 == 11 else str(c9))
    head = kind + region + org
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(head))
    return head + USCC_ALPHABET[(31 - total % 31) % 31]


def regno(label: str, region: str) -> str:
    """A legacy 15-digit 注册号 with its ISO 7064 MOD 11,10 check digit."""
    body = region + "".join(map(str, _digits(label, 8)))
    p = 10
    for ch in body:
        s = (p + int(ch)) % 10 or 10
        p = s * 2 % 11
    return body + str((11 - p) % 10)


def rule_quota(size: int, rule: dict[str, object]) -> int:
    if "count" in rule:
        return sampling.quota(size, count=int(rule["count"]))  # type: ignore[call-overload]
    return sampling.quota(size, ratio=sampling.parse_ratio(str(rule["ratio"])),
                          minimum=int(rule.get("minimum", 0)))  # type: ignore[call-overload]


def case(name: str, parameters: dict[str, object], strata: list[tuple[str, list[str]]],
         rules: dict[str, dict[str, object]], public_value: str, round_no: int) -> dict[str, object]:
    params = {**parameters, "rules": rules}
    rows = [{"key": key, "ids": ids, "quota": rule_quota(len(ids), rules[key])}
            for key, ids in strata]
    all_ids = [x for r in rows for x in r["ids"]]  # type: ignore[union-attr]
    codes = np.array([i for i, r in enumerate(rows) for _ in r["ids"]], np.int64)  # type: ignore[arg-type]
    keys = [str(r["key"]) for r in rows]
    quotas = [int(r["quota"]) for r in rows]  # type: ignore[call-overload]
    summaries = sampling.summarise(np.array(all_ids, dtype="S18"), codes, keys, quotas)
    c = sampling.commitment(params, summaries)
    seed = sampling.derive_seed(c, round_no, public_value)
    k_entity = sampling.subkey(seed, "entity")
    result = sampling.select(all_ids, codes, keys, quotas, k_entity)
    commit_object = {"algorithm": sampling.ALGORITHM, "parameters": params,
                     "strata": [{"key": s.key, "size": s.size, "quota": s.quota, "digest": s.digest}
                                for s in summaries]}
    selected: dict[str, list[str]] = {s.key: [] for s in summaries}
    for row in result.selected.tolist():
        selected[keys[codes[row]]].append(all_ids[row])
    return {
        "name": name,
        "inputs": {"parameters": params,
                   "strata": [{"key": r["key"], "ids": r["ids"], "quota": r["quota"]} for r in rows],
                   "public_value": public_value, "round": round_no},
        "expected": {
            "strata": [{"key": s.key, "size": s.size, "quota": s.quota, "digest": s.digest}
                       for s in summaries],
            "commit_json": sampling.canonical_json(commit_object).decode("utf-8"),
            "commitment": c,
            "public_value_normalised": sampling.normalise_public_value(public_value),
            "seed": seed.hex(),
            "k_entity": k_entity.hex(),
            "tickets": {x: f"{int(t):016x}" for x, t in zip(all_ids, result.tickets.tolist())},
            "selected": selected,
            "thresholds": {r.key: None if r.threshold_ticket is None else
                           {"ticket": f"{r.threshold_ticket:016x}", "id": r.threshold_id}
                           for r in result.strata},
        },
    }


def build() -> dict[str, object]:
    r = Fraction
    small = [uscc(f"small-{i}", "330106") for i in range(10)]
    mixed_a = [uscc(f"mixed-a-{i}", "330102") for i in range(8)]
    mixed_b = [uscc(f"mixed-b-{i}", "330102", "92") for i in range(9)] + \
              [regno(f"mixed-b-reg-{i}", "330102") for i in range(6)]
    mixed_c = [uscc(f"mixed-c-{i}", "330106", "93") for i in range(3)]
    cafe = [uscc(f"cafe-{i}", "330106") for i in range(6)]
    zero = [uscc(f"zero-{i}", "330108") for i in range(4)]
    cases = [
        case("unstratified, 30% of 10",
             {"task": "2025-XH-001", "item": "企业公示信息抽查"},
             [("*", small)], {"*": {"ratio": sampling.format_ratio(r(3, 10))}},
             "  2025年第一批双随机抽查 公开摇号 0417\n", 1),
        case("four strata: minimum, regnos, whole stratum, empty stratum; round 2",
             {"task": "2025-XH-002", "directed": False, "window_days": 365, "note": None},
             [("risk=B;region=330102", mixed_b), ("risk=A;region=330102", mixed_a),
              ("risk=D;region=330106", []), ("risk=C;region=330106", mixed_c)],
             {"risk=A;region=330102": {"ratio": "1/10", "minimum": 1},
              "risk=B;region=330102": {"ratio": sampling.format_ratio(sampling.parse_ratio("2.5%"))},
              "risk=C;region=330106": {"ratio": "1/2", "minimum": 5},
              "risk=D;region=330106": {"ratio": "1/1"}},
             "\u3000上证指数收盘 3245.67\u3000", 2),
        case("count rule, non-ASCII key, NFD text in parameters",
             {"task": "2025-XH-003", "name": "Cafe\u0301 检查 \"试点\"\t", "tags": ["餐饮", 1, True]},
             [("行业=餐饮;区域=西湖区", cafe)], {"行业=餐饮;区域=西湖区": {"count": 2}},
             "beacon:7f3a9c", 1),
        case("ratio 0: nothing drawn; round 3",
             {"task": "2025-XH-004"}, [("*", zero)], {"*": {"ratio": "0/1"}}, "三号", 3),
    ]
    return {
        "algorithm": sampling.ALGORITHM,
        "about": ("Test vectors for docs/algorithm.md. Tickets and thresholds are 16 hex digits "
                  "(the first 8 bytes of the hash); IDs within 'inputs' are in no particular order; "
                  "'selected' lists each stratum's drawn IDs by (ticket, ID)."),
        "cases": cases,
    }


if __name__ == "__main__":
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")
