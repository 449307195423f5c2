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

    def __init__(self, interval: float = 0.1) -> None:
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


def cpu_seconds() -> float:
    """User + system CPU of this process and its finished children."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def machine_busy_seconds() -> float:
    """CPU seconds used by everything on the machine so far (Linux /proc/stat)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:8]]
    except OSError:
        return float("nan")
    user, nice, system, idle, iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class Stage:
    """Wall and CPU seconds of a ``with`` block, and CPU others used meanwhile."""

    def __enter__(self) -> Stage:
        self.wall, self.cpu, self.busy = time.perf_counter(), cpu_seconds(), machine_busy_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, cpu_seconds() - self.cpu
        self.others = max(0.0, machine_busy_seconds() - self.busy - self.cpu)

    def load(self) -> str:
        return f"other processes used {self.others / self.wall:.2f} cores"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3,
                    help="timed rounds of B, tickets and selection (the machine may be shared)")
    args = ap.parse_args()
    print(f"load average before start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

    sampler = PssSampler()
    sampler.start()
    with Stage() as syn:
        ids, region, risk, excluded = synthesise(args.n)
    print(f"synthesise {args.n:,} IDs: {syn.wall:.2f} s")

    keep = ~excluded
    e_ids = ids[keep]
    keys = [f"risk={c};region={r}" for c in CLASSES for r in REGIONS]
    codes = risk[keep].astype(np.int64) * 100 + region[keep]
    sizes = sampling.stratum_sizes(codes, len(keys))
    quotas = [sampling.quota(sizes[s], ratio=RATIOS[CLASSES[s // 100]]) for s in range(len(keys))]
    print(f"eligible {len(e_ids):,} of {args.n:,} ({int(excluded.sum()):,} excluded); "
          f"{len(keys)} strata; quota total {sum(quotas):,}")

    with Stage() as summ:
        summaries = sampling.summarise(e_ids, codes, keys, quotas)
    print(f"summarise (sort + digests): {summ.wall:.2f} s wall ({summ.cpu:.2f} s CPU)")
    params = {"task": "bench", "ratios": {c: sampling.format_ratio(r) for c, r in RATIOS.items()}}
    c = sampling.commitment(params, summaries)
    seed = sampling.derive_seed(c, 1, "bench 2025-01")
    k_entity = sampling.subkey(seed, "entity")

    rounds: list[tuple[float, float, float]] = []
    first: sampling.DrawResult | None = None
    for r in range(args.repeat):
        as_list = ids.tolist()
        with Stage() as base:
            for x in as_list:
                hashlib.sha256(x).digest()
        del as_list
        with Stage() as tick:
            tk = sampling.tickets(k_entity, e_ids, workers=args.workers)
        with Stage() as sel:
            result = sampling.select(e_ids, codes, keys, quotas, k_entity, tickets=tk)
        if first is None:
            first = result
        elif not np.array_equal(first.selected, result.selected):
            raise SystemExit("two runs of the same draw differ")
        b = base.wall
        rounds.append((b, tick.wall, sel.wall))
        print(f"round {r + 1}: B {b:.2f} s ({b / args.n * 1e9:.0f} ns/ID, {base.cpu:.2f} s CPU, "
              f"{base.load()})\n"
              f"  tickets {tick.wall:.2f} s = {tick.wall / b:.2f} B ({tick.cpu:.2f} s CPU, "
              f"workers={args.workers or 'auto'}, {tick.load()})\n"
              f"  selection {sel.wall:.2f} s = {sel.wall / b:.2f} B; "
              f"tickets + selection = {(tick.wall + sel.wall) / b:.2f} B")
    assert first is not None

    selected = first.selected.tolist()
    chosen = set(selected)
    by_key = {r.key: r for r in first.strata}
    probe = [*selected[:: max(len(selected) // 2000, 1)],
             *range(0, len(e_ids), max(len(e_ids) // 2000, 1))]
    for row in probe:
        if sampling.is_drawn(k_entity, e_ids[row], by_key[keys[codes[row]]]) != (row in chosen):
            raise SystemExit(f"inclusion check disagrees at row {row}")

    pss = sampler.stop() / 1024
    own, kids = peak_mb()
    ratios = sorted((t + s) / b for b, t, s in rounds)
    best_b = min(b for b, _, _ in rounds)
    print(f"drawn {len(selected):,}; {len(probe):,} one-hash inclusion checks agree; "
          f"commitment {c[:16]}…")
    print(f"summarise: {summ.wall / best_b:.2f} x best B")
    print(f"tickets + selection: best {ratios[0]:.2f} B, median {ratios[len(ratios) // 2]:.2f} B "
          f"over {len(rounds)} rounds (target <= 0.80 B)")
    print(f"peak RSS (ru_maxrss): parent {own:,.0f} MB, largest child {kids:,.0f} MB "
          f"(a forked child's RSS counts pages it shares with the parent)")
    print(f"peak PSS, parent + children, sampled every 100 ms: {pss:,.0f} MB (target <= 2048 MB)")


if __name__ == "__main__":
    main()
