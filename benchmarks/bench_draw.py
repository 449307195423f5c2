"""Provincial-scale benchmark of the entity draw (shuangsuiji-draw/1).

Usage: ``python benchmarks/bench_draw.py [--n 10000000] [--workers N]``

Synthesises ``n`` distinct 18-character IDs deterministically with integer mixing (no RNG):
they carry a correct GB 32100 check character but their embedded organisation code
(characters 9-17) has no valid GB 11714 check digit, so they only *look* like USCCs.
400 strata = 4 risk classes x 100 regions; ratios A=1%, B=3%, C=10%, D=50% with class
shares 43/40/13/4% give about 490,000 drawn; 1% of rows are excluded before the draw.

Baseline B is a bare single-process ``for x in ids: hashlib.sha256(x).digest()`` over the
same IDs as a list of bytes.  Targets: tickets + selection <= 0.8 B; peak memory <= 2 GB.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shuangsuiji import sampling  # noqa: E402

ALPHABET = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRTUWXY", np.uint8)
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], np.int64)
CLASSES = ("A", "B", "C", "D")
RATIOS = {"A": Fraction(1, 100), "B": Fraction(3, 100), "C": Fraction(10, 100),
          "D": Fraction(50, 100)}
CLASS_EDGES = np.array([4300, 8300, 9600, 10000])
REGIONS = [f"33{r // 10 + 1:02d}{r % 10 + 1:02d}" for r in range(100)]


def mix(i: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fixed, well-spread function of the row number."""
    z = i.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def synthesise(n: int, block: int = 1 << 20) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """IDs (S18), region index, risk-class index and an excluded flag for rows 0..n-1."""
    chars = np.empty((n, 18), np.uint8)
    region = np.empty(n, np.uint8)
    risk = np.empty(n, np.uint8)
    excluded = np.empty(n, bool)
    region_digits = np.array([[int(c) for c in r] for r in REGIONS], np.int64)
    for a in range(0, n, block):
        i = np.arange(a, min(a + block, n), dtype=np.int64)
        m = mix(i)
        reg = (m % np.uint64(100)).astype(np.int64)
        bucket = ((m >> np.uint64(20)) % np.uint64(10000)).astype(np.int64)
        region[a:a + len(i)] = reg
        risk[a:a + len(i)] = np.searchsorted(CLASS_EDGES, bucket, side="right")
        excluded[a:a + len(i)] = ((m >> np.uint64(40)) % np.uint64(100)) == 0
        digits = np.empty((len(i), 17), np.int64)
        digits[:, 0], digits[:, 1] = 9, 1
        digits[:, 2:8] = region_digits[reg]
        org = (i * 1_000_003 + 12_345_678_901) % (31**9)  # a bijection on 0..31^9-1
        for pos in range(16, 7, -1):
            digits[:, pos] = org % 31
            org //= 31
        check = (31 - (digits * WEIGHTS).sum(axis=1) % 31) % 31
        chars[a:a + len(i), :17] = ALPHABET[digits]
        chars[a:a + len(i), 17] = ALPHABET[check]
    return chars.view("S18").ravel(), region, risk, excluded


class PssSampler(threading.Thread):
    """Peak of PSS summed over this process and its children (shared pages counted once)."""

    def __init__(self, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak_kb, self._stop_flag = interval, 0, threading.Event()

    @staticmethod
    def _pss_kb(pid: int) -> int:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        kids: list[int] = []
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                kids += [int(x) for x in (task / "children").read_text().split()]
            except OSError:
                pass
        return kids

    def run(self) -> None:
        me = os.getpid()
        while not self._stop_flag.wait(self.interval):
            total = self._pss_kb(me) + sum(self._pss_kb(c) for c in self._children(me))
            self.peak_kb = max(self.peak_kb, total)

    def stop(self) -> int:
        self._stop_flag.set()
        self.join()
        return self.peak_kb


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, kids


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    clock = time.perf_counter

    sampler = PssSampler()
    sampler.start()
    t0 = clock()
    ids, region, risk, excluded = synthesise(args.n)
    print(f"synthesise {args.n:,} IDs: {clock() - t0:.2f} s")

    as_list = ids.tolist()
    t0 = clock()
    for x in as_list:
        hashlib.sha256(x).digest()
    base = clock() - t0
    del as_list
    print(f"baseline B (bare sha256 loop, 1 process): {base:.2f} s "
          f"({base / args.n * 1e9:.0f} ns/ID)")

    keep = ~excluded
    e_ids = ids[keep]
    del ids
    keys = [f"risk={c};region={r}" for c in CLASSES for r in REGIONS]
    codes = (risk[keep] * 100 + region[keep]).astype(np.int64)
    sizes = sampling.stratum_sizes(codes, len(keys))
    quotas = [sampling.quota(sizes[s], ratio=RATIOS[CLASSES[s // 100]]) for s in range(len(keys))]
    print(f"eligible {len(e_ids):,} of {args.n:,} ({int(excluded.sum()):,} excluded); "
          f"{len(keys)} strata; quota total {sum(quotas):,}")

    t0 = clock()
    summaries = sampling.summarise(e_ids, codes, keys, quotas)
    t_sum = clock() - t0
    params = {"task": "bench", "ratios": {c: sampling.format_ratio(r) for c, r in RATIOS.items()}}
    c = sampling.commitment(params, summaries)
    seed = sampling.derive_seed(c, 1, "bench 2025-01")
    k_entity = sampling.subkey(seed, "entity")

    t0 = clock()
    tk = sampling.tickets(k_entity, e_ids, workers=args.workers)
    t_tick = clock() - t0
    t0 = clock()
    result = sampling.select(e_ids, codes, keys, quotas, k_entity, tickets=tk)
    t_sel = clock() - t0

    drawn = set(result.selected[:: max(len(result.selected) // 500, 1)].tolist())
    by_key = {r.key: r for r in result.strata}
    probe = range(0, len(e_ids), max(len(e_ids) // 2000, 1))
    for row in probe:
        verdict = sampling.is_drawn(k_entity, e_ids[row], by_key[keys[codes[row]]])
        if row in drawn and not verdict:
            raise SystemExit(f"inclusion check disagrees at row {row}")

    pss = sampler.stop() / 1024
    own, kids = peak_mb()
    print(f"summarise (sort + digests): {t_sum:.2f} s  = {t_sum / base:.2f} B")
    print(f"tickets (workers={args.workers or 'auto'}):    {t_tick:.2f} s  = {t_tick / base:.2f} B")
    print(f"selection:                  {t_sel:.2f} s  = {t_sel / base:.2f} B")
    total = t_tick + t_sel
    print(f"tickets + selection:        {total:.2f} s  = {total / base:.2f} B  (target <= 0.80 B)")
    print(f"drawn {len(result.selected):,}; commitment {c[:16]}…")
    print(f"peak RSS: parent {own:,.0f} MB, largest child {kids:,.0f} MB "
          f"(a forked child's RSS includes pages shared with the parent); "
          f"sum {own + kids:,.0f} MB")
    print(f"peak PSS, parent + children sampled every 20 ms: {pss:,.0f} MB (target <= 2048 MB)")


if __name__ == "__main__":
    main()
