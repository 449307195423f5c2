"""How common are problems in the whole population?  Horvitz–Thompson with a 95% CI.

A task draws, in each stratum h, a simple random sample *without replacement* of
n_h of its N_h entities (inclusion probability n_h/N_h).  Results are known for
m_h ≤ n_h of them and y_h of those showed a problem.  Units without a result are
treated as missing at random (the estimate then rests on that assumption, and a
note says so).

* stratum: p̂_h = y_h / m_h; 95% CI = Wilson score interval with a finite
  population correction, i.e. the Wilson interval for an effective sample size
  n_eff = m_h (N_h − 1) / (N_h − m_h), which is infinite (zero width) for a census;
* overall: p̂ = Σ (N_h/N) p̂_h — the Horvitz–Thompson estimator with weights
  N_h/m_h — with variance Σ (N_h/N)² (1 − m_h/N_h) p̂_h(1 − p̂_h)/(m_h − 1) and a
  normal-approximation CI p̂ ± z·√var clipped to [0, 1].  A stratum with a single
  result (m_h = 1 < N_h) has no variance estimate; it contributes the conservative
  bound (1 − 1/N_h)/4 instead.

Point estimates and variances are computed in exact rational arithmetic, so a
census is exact and the figures do not depend on summation order.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist
from typing import Any

from . import i18n
from .errors import ValidationError

DEFAULT_LEVEL = 0.95


@dataclass(frozen=True)
class StratumCounts:
    """Counts for one stratum: N_h, n_h, m_h (with results) and y_h (with problems)."""

    name: str
    population: int
    sampled: int
    with_results: int
    with_problems: int

    def __post_init__(self) -> None:
        values = (self.population, self.sampled, self.with_results, self.with_problems)
        if any(isinstance(v, bool) or not isinstance(v, int) for v in values):
            raise ValidationError("estimate.not_int", stratum=self.name, values=repr(values))
        if not self.population >= self.sampled >= self.with_results >= self.with_problems >= 0:
            raise ValidationError("estimate.bad_counts", stratum=self.name, population=self.population,
                                  sampled=self.sampled, with_results=self.with_results,
                                  with_problems=self.with_problems)


@dataclass(frozen=True)
class Note:
    """A caveat attached to an estimate; its text comes from the i18n catalogue."""

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: str | None = None) -> str:
        return i18n.text(self.code, lang, **dict(self.params))


@dataclass(frozen=True)
class StratumEstimate:
    """One stratum's prevalence p̂_h and Wilson CI (``None`` when it has no results)."""

    counts: StratumCounts
    weight: float
    prevalence: float | None
    ci_low: float | None
    ci_high: float | None
    variance: float | None
    exact: bool

    @property
    def count(self) -> float | None:
        """Estimated number of entities with problems in the stratum."""
        return None if self.prevalence is None else self.prevalence * self.counts.population


@dataclass(frozen=True)
class Estimate:
    """Overall prevalence p̂, its CI and the estimated number of entities with problems."""

    strata: tuple[StratumEstimate, ...]
    population: int
    sampled: int
    with_results: int
    with_problems: int
    prevalence: float | None
    variance: float | None
    ci_low: float | None
    ci_high: float | None
    level: float
    exact: bool
    notes: tuple[Note, ...]

    @property
    def count(self) -> float | None:
        """p̂·N: estimated entities with problems in the whole population."""
        return None if self.prevalence is None else self.prevalence * self.population

    @property
    def count_ci(self) -> tuple[float, float] | None:
        if self.ci_low is None or self.ci_high is None:
            return None
        return self.ci_low * self.population, self.ci_high * self.population


def z_value(level: float = DEFAULT_LEVEL) -> float:
    """Two-sided normal quantile for a confidence ``level``.

    >>> round(z_value(0.95), 4)
    1.96
    """
    if not 0 < level < 1:
        raise ValidationError("estimate.bad_level", level=level)
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson_interval(y: int, m: int, population: int, level: float = DEFAULT_LEVEL) -> tuple[float, float]:
    """Wilson score interval for y of m sampled without replacement from ``population``.

    >>> wilson_interval(0, 20, 20)          # census: exact
    (0.0, 0.0)
    >>> lo, hi = wilson_interval(3, 30, 1_000_000)
    >>> round(lo, 4), round(hi, 4)           # ≈ the textbook Wilson interval
    (0.0346, 0.2562)
    """
    StratumCounts("", population, m, m, y)
    if m == 0:
        raise ValidationError("estimate.no_results", stratum="")
    p = Fraction(y, m)
    if m == population:
        return float(p), float(p)
    z = z_value(level)
    n_eff = m * (population - 1) / (population - m)
    z2 = z * z
    denom = 1 + z2 / n_eff
    centre = (float(p) + z2 / (2 * n_eff)) / denom
    half = z / denom * math.sqrt(float(p * (1 - p)) / n_eff + z2 / (4 * n_eff * n_eff))
    return max(0.0, min(float(p), centre - half)), min(1.0, max(float(p), centre + half))


def _stratum_variance(c: StratumCounts) -> Fraction:
    """Estimated variance of p̂_h: FPC × sample variance / m (conservative if m = 1)."""
    m, big_n = c.with_results, c.population
    fpc = 1 - Fraction(m, big_n)
    if fpc == 0:
        return Fraction(0)
    if m == 1:
        return fpc / 4
    p = Fraction(c.with_problems, m)
    return fpc * p * (1 - p) / (m - 1)


def estimate(strata: Sequence[StratumCounts], level: float = DEFAULT_LEVEL) -> Estimate:
    """Stratified Horvitz–Thompson prevalence estimate (see the module docstring).

    >>> e = estimate([StratumCounts("A", 100, 10, 10, 2), StratumCounts("B", 50, 5, 5, 3)])
    >>> round(e.prevalence, 6), round(e.count, 3)   # (100·0.2 + 50·0.6) / 150
    (0.333333, 50.0)
    >>> e.ci_low <= e.prevalence <= e.ci_high
    True
    """
    strata = tuple(strata)
    if not strata:
        raise ValidationError("estimate.empty")
    if len({c.name for c in strata}) != len(strata):
        raise ValidationError("estimate.duplicate_stratum")
    big_n = sum(c.population for c in strata)
    if big_n == 0:
        raise ValidationError("estimate.empty")
    z = z_value(level)
    notes: list[Note] = []
    p_total: Fraction | None = Fraction(0)
    var_total = Fraction(0)
    results: list[StratumEstimate] = []
    for c in strata:
        weight = Fraction(c.population, big_n)
        if c.with_results < c.sampled:
            notes.append(Note("estimate.missing_at_random",
                              (("stratum", c.name), ("missing", c.sampled - c.with_results))))
        if c.with_results == 0:
            if c.population:
                notes.append(Note("estimate.no_results", (("stratum", c.name),)))
                p_total = None
            results.append(StratumEstimate(c, float(weight), None, None, None, None, False))
            continue
        if c.with_results == 1 < c.population:
            notes.append(Note("estimate.single_result", (("stratum", c.name),)))
        p_h = Fraction(c.with_problems, c.with_results)
        var_h = _stratum_variance(c)
        if p_total is not None:
            p_total += weight * p_h
        var_total += weight * weight * var_h
        lo, hi = wilson_interval(c.with_problems, c.with_results, c.population, level)
        results.append(StratumEstimate(c, float(weight), float(p_h), lo, hi, float(var_h),
                                       c.with_results == c.population))
    exact = all(r.exact or r.counts.population == 0 for r in results)
    prevalence = variance = ci_low = ci_high = None
    if p_total is not None:
        prevalence, variance = float(p_total), float(var_total)
        half = z * math.sqrt(variance)
        ci_low, ci_high = max(0.0, prevalence - half), min(1.0, prevalence + half)
        if not exact and variance == 0:
            notes.append(Note("estimate.degenerate"))
    return Estimate(
        strata=tuple(results), population=big_n, sampled=sum(c.sampled for c in strata),
        with_results=sum(c.with_results for c in strata),
        with_problems=sum(c.with_problems for c in strata), prevalence=prevalence,
        variance=variance, ci_low=ci_low, ci_high=ci_high, level=level, exact=exact, notes=tuple(notes),
    )


i18n.register({
    "estimate.not_int": {"zh": "分层 {stratum} 的计数必须是整数：{values}",
                         "en": "stratum {stratum}: counts must be integers: {values}"},
    "estimate.bad_counts": {
        "zh": "分层 {stratum} 的计数不合理：须满足 总体数 {population} ≥ 抽取数 {sampled} ≥ "
              "已有结果数 {with_results} ≥ 发现问题数 {with_problems} ≥ 0",
        "en": "stratum {stratum}: counts must satisfy population {population} ≥ sampled {sampled} ≥ "
              "with results {with_results} ≥ with problems {with_problems} ≥ 0"},
    "estimate.empty": {"zh": "没有可用于估计的分层（总体为空）", "en": "no strata to estimate from (empty population)"},
    "estimate.duplicate_stratum": {"zh": "分层名称重复", "en": "duplicate stratum names"},
    "estimate.bad_level": {"zh": "置信水平须在 0 与 1 之间：{level}", "en": "confidence level must lie between 0 and 1: {level}"},
    "estimate.missing_at_random": {
        "zh": "分层 {stratum} 有 {missing} 户尚无检查结果，估计假定其缺失是随机的",
        "en": "stratum {stratum}: {missing} sampled entities have no result yet; "
              "the estimate assumes they are missing at random"},
    "estimate.no_results": {"zh": "分层 {stratum} 尚无检查结果，无法估计总体比例",
                            "en": "stratum {stratum} has no results yet; no overall estimate"},
    "estimate.single_result": {
        "zh": "分层 {stratum} 只有 1 户有结果，方差按最保守值 1/4 计",
        "en": "stratum {stratum} has a single result; its variance uses the conservative bound 1/4"},
    "estimate.degenerate": {
        "zh": "各非普查分层的样本问题比例均为 0 或 100%，正态近似区间宽度为零，请参考各分层的 Wilson 区间",
        "en": "every sampled stratum shows 0% or 100%, so the normal-approximation interval has zero width; "
              "see the per-stratum Wilson intervals"},
})
