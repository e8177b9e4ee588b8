"""Net Promoter Score arithmetic: buckets, the score, its uncertainty, and comparisons.

Everything here follows ``docs/nps-statistics.md`` (the authoritative formulas and check values).
Units, because they are easy to mix up:

* ``nps``, ``interval``, ``Comparison.change`` and ``weighted_nps`` speak in *points* (-100..100);
* ``variance`` and ``standard_error`` speak in *proportion units* (the per-response score is
  +1 / 0 / -1, so the NPS as a proportion lies in -1..1 and its SE is 1/100 of the SE in points).

Nothing is rounded except in :class:`Summary`, which is meant for display. ``n == 0`` never yields
an NPS of 0: every estimate is ``None`` instead.

Pure standard library (the core does no I/O and imports no third-party package).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from npscli.core.errors import UsageError

__all__ = [
    "CI_METHODS",
    "Z95",
    "Comparison",
    "Counts",
    "Summary",
    "benjamini_hochberg",
    "bucket",
    "compare",
    "holm",
    "interval",
    "normal_cdf",
    "nps",
    "standard_error",
    "summarize",
    "variance",
    "weighted_nps",
]

Z95 = 1.959963984540054
"""The two-sided 95% normal quantile, Phi^-1(0.975)."""

CI_METHODS = ("adjusted-wald", "wald", "tango")

# Adjusted Wald pseudo-counts (the doc): 0.75 promoter, 1.5 passive, 0.75 detractor, n + 3 in all.
_ADJUST_PROMOTERS = 0.75
_ADJUST_PASSIVES = 1.5
_ADJUST_DETRACTORS = 0.75

_BUCKET_SIGN = {"promoter": 1, "passive": 0, "detractor": -1}


# --------------------------------------------------------------------------------------------------
# Buckets and counts
# --------------------------------------------------------------------------------------------------


def bucket(score: int, *, promoter_min: int = 9, detractor_max: int = 6) -> str:
    """Return ``"promoter"``, ``"passive"`` or ``"detractor"`` for a 0..10 score.

    Raises ``ValueError`` for a score that is not an integer in 0..10 (``bool`` and ``float`` are
    refused, integer-like types such as numpy integers are accepted) and for breaks that overlap.
    """
    if isinstance(score, bool):
        raise ValueError(f"score must be an integer from 0 to 10, got {score!r}")
    try:
        value = operator.index(score)
    except TypeError:
        raise ValueError(f"score must be an integer from 0 to 10, got {score!r}") from None
    if not 0 <= value <= 10:
        raise ValueError(f"score must be an integer from 0 to 10, got {value}")
    if detractor_max >= promoter_min:
        raise ValueError(f"detractor_max ({detractor_max}) must be below promoter_min ({promoter_min})")
    if value >= promoter_min:
        return "promoter"
    if value <= detractor_max:
        return "detractor"
    return "passive"


@dataclass(frozen=True)
class Counts:
    """How many responses fell in each bucket."""

    detractors: int = 0
    passives: int = 0
    promoters: int = 0

    def __post_init__(self) -> None:
        for name in ("detractors", "passives", "promoters"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Counts.{name} must be a non-negative integer, got {value!r}")

    @property
    def n(self) -> int:
        return self.detractors + self.passives + self.promoters

    def __add__(self, other: object) -> Counts:
        if not isinstance(other, Counts):
            return NotImplemented
        return Counts(
            detractors=self.detractors + other.detractors,
            passives=self.passives + other.passives,
            promoters=self.promoters + other.promoters,
        )

    def __radd__(self, other: object) -> Counts:
        # Lets ``sum(list_of_counts)`` work (it starts from 0).
        if other == 0:
            return self
        return NotImplemented

    @classmethod
    def from_scores(cls, scores: Iterable[int], *, promoter_min: int = 9, detractor_max: int = 6) -> Counts:
        tally = {"detractor": 0, "passive": 0, "promoter": 0}
        for score in scores:
            tally[bucket(score, promoter_min=promoter_min, detractor_max=detractor_max)] += 1
        return cls(detractors=tally["detractor"], passives=tally["passive"], promoters=tally["promoter"])


# --------------------------------------------------------------------------------------------------
# Point estimate and its uncertainty (proportion-unit helpers work on floats so that the adjusted
# Wald pseudo-counts can go through the same code)
# --------------------------------------------------------------------------------------------------


def _shares(promoters: float, detractors: float, n: float) -> tuple[float, float]:
    return promoters / n, detractors / n


def _variance(promoters: float, detractors: float, n: float) -> float:
    promoter_share, detractor_share = _shares(promoters, detractors, n)
    # pP + pD - (pP - pD)^2 is >= 0 mathematically; max() guards against a -1e-17 from rounding.
    return max(0.0, promoter_share + detractor_share - (promoter_share - detractor_share) ** 2)


def nps(c: Counts) -> float | None:
    """The NPS in points (-100..100), unrounded; ``None`` when there are no responses."""
    if c.n == 0:
        return None
    return 100.0 * (c.promoters - c.detractors) / c.n


def variance(c: Counts) -> float | None:
    """Per-response variance in proportion units: ``pP + pD - (pP - pD)^2``; ``None`` when n == 0."""
    if c.n == 0:
        return None
    return _variance(c.promoters, c.detractors, c.n)


def standard_error(c: Counts) -> float | None:
    """Standard error of the NPS in proportion units, ``sqrt(v / n)``; ``None`` when n == 0."""
    if c.n == 0:
        return None
    return math.sqrt(_variance(c.promoters, c.detractors, c.n) / c.n)


# --------------------------------------------------------------------------------------------------
# Confidence intervals
# --------------------------------------------------------------------------------------------------


def _clip(value: float) -> float:
    return min(100.0, max(-100.0, value))


def _wald(c: Counts, z: float) -> tuple[float, float]:
    estimate = (c.promoters - c.detractors) / c.n
    margin = z * math.sqrt(_variance(c.promoters, c.detractors, c.n) / c.n)
    return 100.0 * (estimate - margin), 100.0 * (estimate + margin)


def _adjusted_wald(c: Counts, z: float) -> tuple[float, float]:
    promoters = c.promoters + _ADJUST_PROMOTERS
    detractors = c.detractors + _ADJUST_DETRACTORS
    n = c.n + _ADJUST_PROMOTERS + _ADJUST_PASSIVES + _ADJUST_DETRACTORS
    estimate = (promoters - detractors) / n
    margin = z * math.sqrt(_variance(promoters, detractors, n) / n)
    low, high = 100.0 * (estimate - margin), 100.0 * (estimate + margin)
    # The interval is centred on the *adjusted* estimate (b - c) / (n + 3), which is the raw estimate
    # (b - c) / n shrunk towards 0. The shift is largest when every response is in one outer bucket
    # (b = n: shift 3 / (n + 3), half-width z * sqrt(4.5 (n + 1)) / (n + 3)^1.5), and the raw
    # estimate stays inside iff 4.5 (n + 1) / (n + 3) >= 9 / z^2, i.e. n >= 1.17 at z = 1.96.
    # So for n = 1 with a single promoter (or detractor) the 95% interval is [-48.5, 98.5] and
    # misses the observed 100. An interval that excludes the only value the data have shown is
    # indefensible to a reader, so we widen it just enough to reach the raw estimate. This only
    # ever happens at n = 1 for z = 1.96 (larger z never needs it; smaller z could, at small n).
    raw = 100.0 * (c.promoters - c.detractors) / c.n
    return min(low, raw), max(high, raw)


def _tango_restricted_detractor_share(b: int, c: int, n: int, delta: float) -> float:
    """Restricted MLE of the detractor proportion under H0: pP - pD = delta (Tango 1998).

    The root ``(sqrt(B^2 - 4AC) - B) / (2A)`` of ``A p^2 + B p + C = 0`` with ``A = 2n``,
    ``B = -b - c + (2n - b + c) delta``, ``C = -c delta (1 - delta)``. When ``B > 0`` that form
    subtracts two nearly equal numbers, so we use the algebraically equal ``-2C / (B + sqrt(...))``.
    """
    a_coef = 2.0 * n
    b_coef = -b - c + (2.0 * n - b + c) * delta
    c_coef = -c * delta * (1.0 - delta)
    root = math.sqrt(max(0.0, b_coef * b_coef - 4.0 * a_coef * c_coef))
    if b_coef > 0:
        share = -2.0 * c_coef / (b_coef + root)
    else:
        share = (root - b_coef) / (2.0 * a_coef)
    # Keep it inside the parameter space {pD >= 0, pP = pD + delta >= 0, pP + pD <= 1}.
    lowest, highest = max(0.0, -delta), (1.0 - delta) / 2.0
    return min(highest, max(lowest, share))


def _tango_score(b: int, c: int, n: int, delta: float) -> float:
    """Tango's score statistic T(delta) = (b - c - n delta) / sqrt(n (2 p~ + delta (1 - delta)))."""
    numerator = b - c - n * delta
    share = _tango_restricted_detractor_share(b, c, n, delta)
    var = n * (2.0 * share + delta * (1.0 - delta))
    if var <= 0.0:
        # Only at delta = +-1 (every response in one outer bucket under H0): the score test then
        # rejects anything the data contradict, and is silent (0) where they agree exactly.
        if numerator == 0:
            return 0.0
        return math.copysign(math.inf, numerator)
    return numerator / math.sqrt(var)


def _bisect(func, lo: float, hi: float, target: float) -> float:
    """Root of ``func(x) = target`` for a decreasing ``func`` with func(lo) >= target >= func(hi)."""
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if mid in (lo, hi):
            break
        if func(mid) > target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


def _tango(c: Counts, z: float) -> tuple[float, float]:
    # Rocks (2016) applies Tango's (1998) score interval for a difference of paired proportions:
    # promoters play the discordant pairs b, detractors the pairs c, passives the concordant ones.
    # T is decreasing in delta, T(estimate) = 0, so each limit is found by bisection on its side.
    b, d, n = c.promoters, c.detractors, c.n
    estimate = (b - d) / n

    def score(delta: float) -> float:
        return _tango_score(b, d, n, delta)

    # Limits: with every response a detractor T(-1) = 0 (never rejected), so the lower limit is -1;
    # otherwise T(-1) = +inf and the limit lies in (-1, estimate]. Symmetrically for promoters.
    low = -1.0 if d == n else _bisect(score, -1.0, estimate, z)
    high = 1.0 if b == n else _bisect(score, estimate, 1.0, -z)
    # Bisection stops within a few ulps; never let that rounding push the estimate outside.
    return 100.0 * min(low, estimate), 100.0 * max(high, estimate)


_INTERVALS = {"adjusted-wald": _adjusted_wald, "wald": _wald, "tango": _tango}


def interval(c: Counts, method: str = "adjusted-wald", z: float = Z95) -> tuple[float, float] | None:
    """Confidence interval for the NPS, in points, clipped to [-100, 100]; ``None`` when n == 0.

    ``method`` is one of :data:`CI_METHODS` (an unknown one is a ``UsageError``, even when n == 0).
    Every method's interval contains the raw NPS for every n >= 1 (see ``_adjusted_wald``).
    """
    compute = _INTERVALS.get(method)
    if compute is None:
        raise UsageError(
            f"unknown confidence interval method {method!r}",
            hint="use one of: " + ", ".join(CI_METHODS),
        )
    if not (z > 0 and math.isfinite(z)):
        raise ValueError(f"z must be a positive finite number, got {z!r}")
    if c.n == 0:
        return None
    low, high = compute(c, z)
    return _clip(low), _clip(high)


# --------------------------------------------------------------------------------------------------
# Comparisons and multiple testing
# --------------------------------------------------------------------------------------------------


def normal_cdf(x: float) -> float:
    """Standard normal CDF Phi(x), via ``math.erfc`` (the complement keeps precision in the tails)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _two_sided_p(z: float) -> float:
    # 2 (1 - Phi(|z|)) written as erfc(|z| / sqrt 2): equal, but without cancellation for large |z|.
    return min(1.0, math.erfc(abs(z) / math.sqrt(2.0)))


@dataclass(frozen=True)
class Comparison:
    """Current minus previous, with a two-sided z-test of "no change"."""

    change: float  # points, current - previous
    z: float | None
    p_value: float | None
    significant: bool


def _single_bucket(counts: Counts) -> bool:
    """All responses promoters, or all passives, or all detractors (the variance estimate is then 0)."""
    return counts.n in (counts.promoters, counts.passives, counts.detractors)


def compare(current: Counts, previous: Counts, *, alpha: float = 0.05) -> Comparison | None:
    """Compare two independent samples: ``z = (NPS1 - NPS2) / sqrt(v1/n1 + v2/n2)`` (the doc).

    Returns ``None`` when either side has no responses. ``significant`` is ``p_value < alpha``.

    Degenerate case: a side with all its responses in a single bucket (4 promoters out of 4) has a
    variance estimate of 0 -- an artefact of a small sample, not certainty -- and the formula would then
    rest on the other side alone (4 promoters last week against 6 detractors, 1 passive and 5 promoters this
    week: p = 0.0001). So when either side is in a single bucket:

    * if the two NPS are equal (both sides in the *same* bucket), there is no evidence of a change:
      ``z = None``, ``p_value = 1.0``, not significant;
    * otherwise we fall back to the same z-test with the variance pooled under the null hypothesis
      (both samples drawn from the combined distribution). That is the textbook score-test choice, it
      is positive here, and it scales with the sample sizes: the example above gives p = 0.048, 1 promoter
      vs 1 detractor p = 0.16 (not significant), 30 vs 30 p < 1e-13. Reporting p = 0 (the unpooled z is
      infinite when both sides are single buckets) would call one response against one response a certain
      change; reporting nothing would hide an obvious one.
    """
    if current.n == 0 or previous.n == 0:
        return None
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    current_nps = (current.promoters - current.detractors) / current.n
    previous_nps = (previous.promoters - previous.detractors) / previous.n
    difference = current_nps - previous_nps
    change = 100.0 * difference

    current_v = _variance(current.promoters, current.detractors, current.n)
    previous_v = _variance(previous.promoters, previous.detractors, previous.n)
    se = math.sqrt(current_v / current.n + previous_v / previous.n)
    if _single_bucket(current) or _single_bucket(previous):
        pooled = current + previous
        pooled_v = _variance(pooled.promoters, pooled.detractors, pooled.n)
        se = math.sqrt(pooled_v * (1.0 / current.n + 1.0 / previous.n))
        if se == 0.0:  # both sides in the same single bucket: identical, nothing to test
            return Comparison(change=change, z=None, p_value=1.0, significant=False)
    z = difference / se
    p_value = _two_sided_p(z)
    return Comparison(change=change, z=z, p_value=p_value, significant=p_value < alpha)


def _check_p_values(p_values: Sequence[float]) -> list[float]:
    values = [float(p) for p in p_values]
    for p in values:
        if not 0.0 <= p <= 1.0:  # also rejects NaN
            raise ValueError(f"p-values must lie in [0, 1], got {p!r}")
    return values


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (family-wise error), in the input order.

    Sorted ascending, ``p_(i)`` becomes ``max_{j <= i} min(1, (m - j + 1) p_(j))`` (1-based).
    """
    values = _check_p_values(p_values)
    m = len(values)
    order = sorted(range(m), key=lambda i: values[i])
    adjusted = [0.0] * m
    running_max = 0.0
    for rank, index in enumerate(order):  # rank is 0-based, so the multiplier is m - rank
        running_max = max(running_max, min(1.0, (m - rank) * values[index]))
        adjusted[index] = running_max
    return adjusted


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted q-values (false discovery rate), in the input order.

    Sorted ascending, ``p_(i)`` becomes ``min_{j >= i} min(1, m p_(j) / j)`` (1-based).
    """
    values = _check_p_values(p_values)
    m = len(values)
    order = sorted(range(m), key=lambda i: values[i])
    adjusted = [0.0] * m
    running_min = 1.0
    for rank in range(m - 1, -1, -1):
        index = order[rank]
        running_min = min(running_min, values[index] * (m / (rank + 1)))  # factor >= 1: never below p
        adjusted[index] = running_min
    return adjusted


# --------------------------------------------------------------------------------------------------
# Display summary
# --------------------------------------------------------------------------------------------------


def _round1(value: float | None) -> float | None:
    if value is None:
        return None
    return round(value, 1) + 0.0  # + 0.0 turns -0.0 into 0.0, so JSON never shows "-0.0"


@dataclass(frozen=True)
class Summary:
    """What a report shows for one cell: counts, NPS and interval rounded to 1 decimal, a low-n flag."""

    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    ci_low: float | None
    ci_high: float | None
    low_n: bool

    def as_dict(self) -> dict:
        """The ``--format json`` contract: exactly these keys, in this order."""
        return {
            "n": self.n,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "nps": self.nps,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "low_n": self.low_n,
        }


def summarize(c: Counts, *, method: str = "adjusted-wald", min_n: int = 30) -> Summary:
    """Summarise counts for display; ``low_n`` is ``n < min_n`` (so n == 0 is always low)."""
    bounds = interval(c, method)
    ci_low, ci_high = bounds if bounds is not None else (None, None)
    return Summary(
        n=c.n,
        promoters=c.promoters,
        passives=c.passives,
        detractors=c.detractors,
        nps=_round1(nps(c)),
        ci_low=_round1(ci_low),
        ci_high=_round1(ci_high),
        low_n=c.n < min_n,
    )


# --------------------------------------------------------------------------------------------------
# Weighted NPS
# --------------------------------------------------------------------------------------------------


def weighted_nps(
    scores: Sequence[int],
    weights: Sequence[float],
    *,
    promoter_min: int = 9,
    detractor_max: int = 6,
) -> tuple[float | None, float | None, float | None]:
    """Weighted NPS, its SE (both in points) and Kish's effective sample size.

    ``NPS_w = sum w s / sum w``, ``Var = sum w^2 (s - NPS_w)^2 / (sum w)^2``,
    ``n_eff = (sum w)^2 / sum w^2``, with s = +1 / 0 / -1 per response. Weights must be finite and
    non-negative; zero weights drop a response. ``(None, None, None)`` when no weight is positive.
    With equal weights this reproduces :func:`nps` and 100 x :func:`standard_error`.
    """
    if len(scores) != len(weights):
        raise ValueError(f"{len(scores)} scores but {len(weights)} weights")
    signs = [_BUCKET_SIGN[bucket(score, promoter_min=promoter_min, detractor_max=detractor_max)] for score in scores]
    clean_weights = [float(w) for w in weights]
    for w in clean_weights:
        if not (math.isfinite(w) and w >= 0.0):
            raise ValueError(f"weights must be finite and non-negative, got {w!r}")
    total = math.fsum(clean_weights)
    if total <= 0.0:
        return None, None, None
    estimate = math.fsum(w * s for w, s in zip(clean_weights, signs, strict=True)) / total
    var = math.fsum(w * w * (s - estimate) ** 2 for w, s in zip(clean_weights, signs, strict=True)) / (total * total)
    n_eff = total * total / math.fsum(w * w for w in clean_weights)
    return 100.0 * estimate, 100.0 * math.sqrt(var), n_eff
