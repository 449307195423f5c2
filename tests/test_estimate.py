"""Horvitz–Thompson prevalence estimate and its confidence intervals."""
from __future__ import annotations

import hashlib
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shuangsuiji.errors import ValidationError
from shuangsuiji.estimate import Estimate, StratumCounts, estimate, wilson_interval, z_value

Z95 = 1.959963984540054


def _hash_sample(tag: str, size: int, k: int) -> list[int]:
    """k distinct indices of range(size), ranked by SHA-256 of (tag, index): SRSWOR, no `random`."""
    keys = [hashlib.sha256(f"{tag}|{i}".encode()).digest() for i in range(size)]
    return sorted(range(size), key=keys.__getitem__)[:k]


def _population(sizes: list[int], rates: list[float]) -> list[np.ndarray]:
    """Deterministic 0/1 problem flags per stratum with exactly round(rate·N) ones, spread out."""
    out = []
    for size, rate in zip(sizes, rates):
        ones = round(rate * size)
        flags = np.zeros(size, dtype=np.int64)
        flags[(np.arange(ones) * 7919) % size] = 1
        assert flags.sum() == ones
        out.append(flags)
    return out


def test_z_value() -> None:
    assert z_value() == pytest.approx(Z95, abs=1e-12)
    assert z_value(0.9) == pytest.approx(1.6448536269514722, abs=1e-12)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValidationError):
            z_value(bad)


def test_toy_case_by_hand() -> None:
    # stratum A: N=100, 10 inspected, 2 problems; B: N=50, 5 inspected, 3 problems
    e = estimate([StratumCounts("A", 100, 10, 10, 2), StratumCounts("B", 50, 5, 5, 3)])
    # p̂ = 2/3·0.2 + 1/3·0.6 = 1/3
    assert e.prevalence == pytest.approx(1 / 3, abs=1e-15)
    # var = (2/3)²·0.9·0.16/9 + (1/3)²·0.9·0.24/4 = 0.0071111… + 0.006 = 0.0131111…
    assert e.variance == pytest.approx(4 / 9 * 0.9 * 0.16 / 9 + 1 / 9 * 0.9 * 0.24 / 4, rel=1e-12)
    assert e.variance == pytest.approx(0.013111111111, rel=1e-9)
    half = Z95 * math.sqrt(0.013111111111111)
    assert (e.ci_low, e.ci_high) == pytest.approx((1 / 3 - half, 1 / 3 + half), abs=1e-9)
    assert e.count == pytest.approx(50.0)
    assert e.count_ci == pytest.approx(((1 / 3 - half) * 150, (1 / 3 + half) * 150), abs=1e-6)
    assert [s.prevalence for s in e.strata] == pytest.approx([0.2, 0.6])
    assert [s.weight for s in e.strata] == pytest.approx([2 / 3, 1 / 3])
    assert (e.population, e.sampled, e.with_results, e.with_problems) == (150, 15, 15, 5)
    assert not e.exact and e.notes == ()


def _wilson_by_bisection(y: int, m: int, big_n: int, z: float) -> tuple[float, float]:
    """Roots of (p̂ − p)² = z² p(1 − p)/n_eff found numerically (independent of the closed form)."""
    p_hat = y / m
    n_eff = m * (big_n - 1) / (big_n - m)
    f = lambda p: (p_hat - p) ** 2 - z * z * p * (1 - p) / n_eff  # noqa: E731

    def root(lo: float, hi: float) -> float:
        for _ in range(200):
            mid = (lo + hi) / 2
            if (f(lo) > 0) == (f(mid) > 0):
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    return root(0.0, p_hat) if y else 0.0, root(p_hat, 1.0) if y < m else 1.0


@settings(max_examples=200)
@given(st.integers(2, 5000).flatmap(lambda n: st.tuples(st.just(n), st.integers(1, n - 1)))
       .flatmap(lambda t: st.tuples(st.just(t[0]), st.just(t[1]), st.integers(0, t[1]))))
def test_wilson_matches_numeric_roots(case: tuple[int, int, int]) -> None:
    big_n, m, y = case
    lo, hi = wilson_interval(y, m, big_n)
    exp_lo, exp_hi = _wilson_by_bisection(y, m, big_n, Z95)
    assert lo == pytest.approx(exp_lo, abs=1e-9)
    assert hi == pytest.approx(exp_hi, abs=1e-9)


def test_wilson_textbook_value_and_fpc_narrows() -> None:
    # Wilson (1927) for 3/30 at 95%: [0.0346, 0.2562] (no FPC ≈ huge population)
    lo, hi = wilson_interval(3, 30, 10**9)
    assert (round(lo, 4), round(hi, 4)) == (0.0346, 0.2562)
    lo2, hi2 = wilson_interval(3, 30, 60)
    assert lo < lo2 < 0.1 < hi2 < hi
    assert wilson_interval(3, 30, 30) == (0.1, 0.1)


def test_direct_unit_level_computation() -> None:
    sizes, rates = [3000, 800, 120], [0.07, 0.3, 0.5]
    flags = _population(sizes, rates)
    samples = [_hash_sample(f"direct|{h}", size, k) for h, (size, k) in enumerate(zip(sizes, [90, 60, 30]))]
    big_n = sum(sizes)
    # HT: Σ over sampled units of y_i / π_i, π_i = m_h / N_h, divided by N
    ht_total = sum(flags[h][i] * sizes[h] / len(s) for h, s in enumerate(samples) for i in s)
    var = sum((sizes[h] / big_n) ** 2 * (1 - len(s) / sizes[h]) * np.var(flags[h][s], ddof=1) / len(s)
              for h, s in enumerate(samples))
    e = estimate([StratumCounts(str(h), sizes[h], len(s), len(s), int(flags[h][s].sum()))
                  for h, s in enumerate(samples)])
    assert e.prevalence == pytest.approx(ht_total / big_n, rel=1e-12)
    assert e.count == pytest.approx(ht_total, rel=1e-12)
    assert e.variance == pytest.approx(var, rel=1e-12)


strata_lists = st.lists(
    st.integers(1, 10_000).flatmap(lambda n: st.integers(0, n).flatmap(
        lambda s: st.integers(0, s).flatmap(
            lambda m: st.integers(0, m).map(lambda y: (n, s, m, y))))),
    min_size=1, max_size=6,
)


@settings(max_examples=300)
@given(strata_lists)
def test_interval_properties(raw: list[tuple[int, int, int, int]]) -> None:
    e = estimate([StratumCounts(f"s{i}", *r) for i, r in enumerate(raw)])
    for s in e.strata:
        if s.prevalence is None:
            assert s.counts.with_results == 0
            continue
        assert 0.0 <= s.ci_low <= s.prevalence <= s.ci_high <= 1.0
        if s.counts.with_results == s.counts.population:
            assert s.ci_low == s.ci_high == s.prevalence == s.counts.with_problems / s.counts.population
    if e.prevalence is None:
        assert any(r[2] == 0 for r in raw)
        return
    assert 0.0 <= e.ci_low <= e.prevalence <= e.ci_high <= 1.0
    exact_p = sum(Fraction(n * y, m) for n, _, m, y in raw) / sum(r[0] for r in raw)
    assert e.prevalence == float(exact_p)
    if all(m == n for n, _, m, _ in raw):
        assert e.exact and e.variance == 0 and e.ci_low == e.ci_high == e.prevalence
        assert e.prevalence == sum(r[3] for r in raw) / sum(r[0] for r in raw)


def test_census_is_exact() -> None:
    e = estimate([StratumCounts("A", 40, 40, 40, 7), StratumCounts("B", 3, 3, 3, 0)])
    assert e.exact and e.prevalence == 7 / 43 and e.ci_low == e.ci_high == 7 / 43
    assert e.count == pytest.approx(7)


def test_missing_results_noted_and_used_as_missing_at_random() -> None:
    e = estimate([StratumCounts("A", 100, 20, 15, 3)])
    assert e.prevalence == pytest.approx(0.2)
    assert [n.code for n in e.notes] == ["estimate.missing_at_random"]
    assert "5" in e.notes[0].text("zh") and "missing at random" in e.notes[0].text("en")


def test_stratum_without_results_blocks_overall() -> None:
    e = estimate([StratumCounts("A", 100, 20, 20, 3), StratumCounts("B", 10, 2, 0, 0)])
    assert e.prevalence is None and e.ci_low is None and e.count is None and e.count_ci is None
    assert e.strata[0].prevalence == pytest.approx(0.15) and e.strata[1].prevalence is None
    assert {n.code for n in e.notes} == {"estimate.no_results", "estimate.missing_at_random"}


def test_single_result_uses_conservative_variance() -> None:
    e = estimate([StratumCounts("A", 10, 1, 1, 0)])
    assert e.variance == pytest.approx(0.9 / 4)
    assert [n.code for n in e.notes] == ["estimate.single_result"]


def test_degenerate_sample_is_noted() -> None:
    e = estimate([StratumCounts("A", 1000, 50, 50, 0)])
    assert e.prevalence == 0 and e.ci_low == e.ci_high == 0
    assert [n.code for n in e.notes] == ["estimate.degenerate"]
    assert e.strata[0].ci_high > 0.03   # Wilson still says something useful


def test_empty_population_stratum_is_ignored() -> None:
    e = estimate([StratumCounts("A", 10, 10, 10, 1), StratumCounts("empty", 0, 0, 0, 0)])
    assert e.prevalence == pytest.approx(0.1) and e.exact and e.notes == ()


@pytest.mark.parametrize("args", [
    ("A", 10, 11, 0, 0), ("A", 10, 5, 6, 0), ("A", 10, 5, 5, 6), ("A", -1, 0, 0, 0), ("A", 10, 5, 5, -1),
    ("A", 10.0, 5, 5, 1), ("A", 10, True, 1, 0),
])
def test_bad_counts(args: tuple) -> None:  # type: ignore[type-arg]
    with pytest.raises(ValidationError):
        StratumCounts(*args)


def test_bad_strata_lists() -> None:
    with pytest.raises(ValidationError):
        estimate([])
    with pytest.raises(ValidationError):
        estimate([StratumCounts("A", 0, 0, 0, 0)])
    with pytest.raises(ValidationError):
        estimate([StratumCounts("A", 5, 1, 1, 0), StratumCounts("A", 5, 1, 1, 0)])


def _mix(index: np.ndarray, seed: int) -> np.ndarray:
    """SplitMix64 finaliser of (seed + index·golden): integer-only keys whose order is a fresh SRSWOR."""
    with np.errstate(over="ignore"):
        x = np.uint64(seed) + index * np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def _simulate(sizes: list[int], rates: list[float], sample_sizes: list[int], draws: int) -> tuple[float, list[float]]:
    flags = _population(sizes, rates)
    truth_overall = sum(int(f.sum()) for f in flags) / sum(sizes)
    truths = [f.sum() / len(f) for f in flags]
    covered, covered_h = 0, [0] * len(sizes)
    for d in range(draws):
        counts = []
        for h, (f, k) in enumerate(zip(flags, sample_sizes)):
            seed = int.from_bytes(hashlib.sha256(f"draw|{d}|{h}".encode()).digest()[:8], "big")
            chosen = np.argsort(_mix(np.arange(len(f), dtype=np.uint64), seed), kind="stable")[:k]
            counts.append(StratumCounts(str(h), len(f), k, k, int(f[chosen].sum())))
        e: Estimate = estimate(counts)
        covered += e.ci_low <= truth_overall <= e.ci_high
        for h, s in enumerate(e.strata):
            covered_h[h] += s.ci_low <= truths[h] <= s.ci_high
    return covered / draws, [c / draws for c in covered_h]


def test_simulation_coverage() -> None:
    # includes a stratum sampled at 60% where the FPC matters
    overall, per_stratum = _simulate([4000, 1500, 200], [0.08, 0.25, 0.4], [150, 80, 120], draws=600)
    assert 0.90 <= overall <= 0.99, overall
    for cov in per_stratum:
        assert 0.90 <= cov <= 0.995, per_stratum
