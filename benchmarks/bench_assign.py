"""Benchmark of inspector assignment at provincial scale.

500,000 drawn entities, 20,000 officers in 10 departments and 200 units, cross-unit and
rotation on, 100,000 declared conflicts, ample capacity.  Baseline B: a bare
``hashlib.sha256(x).digest()`` loop over 10 million 18-byte IDs (measured over 1 million
and scaled ×10).  Targets: assignment ≤ 0.2 B, peak memory ≤ 1 GB.

Run: ``python benchmarks/bench_assign.py [--entities N]``.  Synthetic data comes from a
splitmix64 mix of the index (no random module), so every run sees the same inputs.

``--fairness [RUNS]`` instead prints the fairness table of docs/assignment.md section 13:
pair probabilities over RUNS public fairness keys (default 400) against the ideal.
"""
from __future__ import annotations

import argparse
import hashlib
import resource
import time
import tracemalloc

import numpy as np

from shuangsuiji.assignment import (AssignInputs, Assignment, DepartmentSeats, Entities, Officers,
                                    Pairs, TeamRules, assign, check, derive_key, fairness, fairness_keys)

N_OFFICERS = 20_000
N_DEPARTMENTS = 10
N_UNITS = 200
N_CONFLICTS = 100_000


def mix(n: int, salt: int) -> np.ndarray:
    """splitmix64 of (index + salt): deterministic, well spread synthetic values."""
    with np.errstate(over="ignore"):
        z = (np.arange(n, dtype=np.uint64) + np.uint64(salt)) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def make_inputs(n_e: int, capacity: int) -> AssignInputs:
    ids = np.char.add(b"91", np.char.zfill(np.arange(n_e).astype("S16"), 16))
    entities = Entities(ids=ids, unit=(mix(n_e, 1) % N_UNITS).astype(np.int64))
    idx = np.arange(N_OFFICERS)
    officers = Officers(
        cert=[b"ZF%08d" % i for i in range(N_OFFICERS)],
        department=idx % N_DEPARTMENTS,
        unit=(mix(N_OFFICERS, 2) % N_UNITS).astype(np.int64),
        capacity=np.full(N_OFFICERS, capacity),
        qualifications={"food": mix(N_OFFICERS, 3) % 3 == 0})
    conflicts = Pairs(officer=(mix(N_CONFLICTS, 4) % N_OFFICERS).astype(np.int64),
                      entity=(mix(N_CONFLICTS, 5) % n_e).astype(np.int64))
    # 40 % of entities had a previous inspection by two officers of each of departments 0 and 1.
    prev = np.flatnonzero(mix(n_e, 6) % 5 < 2)
    officer = np.concatenate([
        (mix(prev.size, 7 + s) % (N_OFFICERS // N_DEPARTMENTS)).astype(np.int64) * N_DEPARTMENTS + d
        for d in (0, 1) for s in (0, 1)])
    previous = Pairs(officer=officer, entity=np.tile(prev, 4))
    return AssignInputs(entities, officers, conflicts, previous)


def baseline(n: int = 1_000_000) -> float:
    """Seconds for a bare SHA-256 loop over n 18-byte IDs."""
    ids = [b"91%016d" % i for i in range(n)]
    sha = hashlib.sha256
    t = time.perf_counter()
    for x in ids:
        sha(x).digest()
    return time.perf_counter() - t


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(inputs: AssignInputs, rules: TeamRules) -> tuple[float, list[float], Assignment]:
    key = derive_key(b"bench")
    assign(inputs, rules, key)  # warm-up (imports, caches)
    times = []
    for _ in range(3):
        t = time.perf_counter()
        result = assign(inputs, rules, key)
        times.append(time.perf_counter() - t)
    return min(times), times, result


def traced_peak(inputs: AssignInputs, rules: TeamRules) -> float:
    """Peak Python/numpy allocation of one assignment, in MiB (tracemalloc)."""
    tracemalloc.start()
    assign(inputs, rules, derive_key(b"bench"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


VARIANTS = [
    ("one department, teams of 2", TeamRules([DepartmentSeats(0, 2, cross_unit=True)], rotation=True)),
    ("joint: dept 0 (2, food-qualified lead) + dept 1 (1) + dept 2 (1)",
     TeamRules([DepartmentSeats(0, 2, "food", True), DepartmentSeats(1, 1, None, True),
                DepartmentSeats(2, 1, None, True)], rotation=True)),
    ("group mode, dept 0 (2) + dept 1 (1)",
     TeamRules([DepartmentSeats(0, 2), DepartmentSeats(1, 1)], rotation=True, mode="groups")),
]


def fairness_case(order: str, capacity: int | None = None) -> AssignInputs:
    """Section 13's registry: 300 entities, 30 officers of one department evenly in 10 units.

    ``order``: "none" (no entity has a unit), "draw" (hashed units in draw order) or "sorted"
    (the same entities sorted by unit). ``capacity``: officers 0–14 get this capacity.
    """
    n_e, n_o = 300, 30
    unit = (mix(n_e, 11) % 10).astype(np.int64)
    unit = {"none": np.full(n_e, -1), "draw": unit, "sorted": np.sort(unit)}[order]
    cap = np.full(n_o, n_e)
    if capacity is not None:
        cap[:15] = capacity
    return AssignInputs(Entities(np.char.add(b"91", np.char.zfill(np.arange(n_e).astype("S16"), 16)), unit),
                        Officers([b"ZF%04d" % i for i in range(n_o)], np.full(n_o, 3), np.arange(n_o) % 10, cap))


def fairness_table(runs: int) -> None:
    """Max and 99th-percentile pair ratio, and the ratio on the pairs that exposed repair locality."""
    keys = fairness_keys(runs)
    print(f"fairness over {runs} keys; ratio = pair probability / ideal k/E(e)")
    print("case | mode | ideal | max p | max ratio | p99 ratio | after own unit | low-capacity share by quarter")
    for order, capacity in (("none", None), ("draw", None), ("sorted", None), ("draw", 12)):
        inputs = fairness_case(order, capacity)
        for mode in ("seats", "groups"):
            t = time.perf_counter()
            rep = fairness(inputs, TeamRules([DepartmentSeats(3, 2)], mode=mode), keys)
            unit_e, unit_o = inputs.entities.unit, inputs.officers.unit
            before = np.concatenate([[-1], unit_e[:-1]])[rep.entity]
            follows = (before == unit_o[rep.officer]) & (before >= 0)
            after = (f"{rep.probability[follows].sum() / rep.ideal[follows].sum():.2f}"
                     if follows.any() else "–")
            quarters = "–"
            if capacity is not None:
                low = rep.officer < 15
                q = np.bincount(rep.entity[low] * 4 // len(unit_e), weights=rep.probability[low], minlength=4)
                quarters = " ".join(f"{x / q.sum():.2f}" for x in q)
            label = order + ("" if capacity is None else f", capacity {capacity}")
            print(f"{label} | {mode} | {rep.max_ideal:.3f} | {rep.max_probability:.3f} | {rep.max_ratio:.2f} | "
                  f"{np.percentile(rep.ratio, 99):.2f} | {after} | {quarters}   ({time.perf_counter() - t:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=500_000)
    parser.add_argument("--fairness", type=int, nargs="?", const=400, metavar="RUNS")
    args = parser.parse_args()
    if args.fairness:
        fairness_table(args.fairness)
        return
    b1 = baseline()
    b10 = b1 * 10
    print(f"baseline B: sha256 over 1,000,000 IDs {b1:.3f} s → 10 M ≈ {b10:.2f} s")
    before = rss_mib()
    t = time.perf_counter()
    inputs = make_inputs(args.entities, capacity=2_000)
    print(f"inputs: {args.entities:,} entities, {N_OFFICERS:,} officers, {N_CONFLICTS:,} conflicts, "
          f"{inputs.previous.officer.size:,} rotation pairs (built in {time.perf_counter() - t:.1f} s); "
          f"peak RSS {before:.0f} → {rss_mib():.0f} MiB")
    results = []
    for label, rules in VARIANTS:
        best, times, result = timed(inputs, rules)
        results.append((label, rules, result))
        print(f"{label}: assign {best:.3f} s (runs {', '.join(f'{x:.3f}' for x in times)}), "
              f"ratio to B {best / b10:.3f} (target ≤ 0.2); swaps {result.swaps}, fallbacks "
              f"{result.fallbacks}, loads {int(result.loads[result.loads > 0].min())}–{int(result.loads.max())}")
    print(f"process peak RSS after all assignments {rss_mib():.0f} MiB (target ≤ 1024; includes the "
          f"inputs and the baseline's ID list)")
    for label, rules, result in results:
        t = time.perf_counter()
        problems = check(result, inputs)
        print(f"{label}: traced peak {traced_peak(inputs, rules):.0f} MiB; "
              f"check {time.perf_counter() - t:.2f} s, {len(problems)} violation(s)")


if __name__ == "__main__":
    main()
