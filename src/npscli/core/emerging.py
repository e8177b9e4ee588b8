"""Emerging issues: (theme, group) pairs mentioned far more often in a recent window than before.

Several detractors raising the same concern at one site in one week (a failing booking system, an
understaffed shift, a billing change) is the signal a clinic most needs and most often misses.

The test, per (theme, group) pair:

* the baseline rate is the pair's mentions per week in the baseline period, but never below
  ``floor_rate_per_week`` (default 0.5 a week). Without the floor a theme never mentioned before would have
  an expected count of 0 and a single mention would be "infinitely" significant; with it, a brand-new theme
  needs about five mentions in a week at one site before it can be flagged (with ~40 pairs tested);
* ``expected`` = baseline rate x window length, and the p-value is the exact one-sided Poisson probability
  P(X >= count | expected);
* the family of pairs tested is every pair that appears in either mapping (pass zero counts explicitly to
  widen it). The p-values are Holm-adjusted over that family, so the chance of *any* false alarm in a run
  stays below ``alpha`` (about 1%) when nothing changed, which is what makes a weekly alert trustworthy;
* a pair is flagged when its Holm-adjusted p-value is below ``alpha`` and its count is at least
  ``min_count`` (three mentions; two complaints are an anecdote, whatever the arithmetic).

Caveats, said once: the baseline rate is an estimate, and real complaints cluster (one bad day produces
several), so counts are more variable than Poisson; the floor, ``min_count`` and Holm keep the false alarms
rare in practice, but treat a flag as "look at these comments", not as proof. The window and the baseline
must not overlap, and the counts should come from the comments that matter (detractors' and passives',
typically), or praise can look like an issue.

Pure standard library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from npscli.core.nps import holm

__all__ = ["Emerging", "describe", "detect_emerging", "poisson_sf"]

DAYS_PER_WEEK = 7.0


@dataclass(frozen=True)
class Emerging:
    """One flagged (theme, group) pair. Rates are per week; ``p_value`` is the raw one-sided p-value."""

    theme: str
    group: str  # a location or department value
    count: int  # mentions in the window
    window_days: float
    baseline_count: int  # mentions in the baseline period
    baseline_weeks: float
    expected: float  # mentions expected in the window at the baseline rate
    rate_per_week: float  # the baseline rate used (after the floor)
    p_value: float
    p_adjusted: float  # Holm-adjusted over every pair tested


def poisson_sf(k: int, mu: float) -> float:
    """P(X >= k) for X ~ Poisson(mu), exact to about 1e-15 relative for small tails.

    (This is ``scipy.stats.poisson.sf(k - 1, mu)``.) For k > mu the tail is summed upwards from k in log
    space, a series whose terms shrink at least geometrically; otherwise it is 1 - P(X < k), summed with
    ``math.fsum``. Stable for mu from 0 up to thousands and k up to several hundred.
    """
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"k must be an integer, got {k!r}")
    if not (isinstance(mu, (int, float)) and math.isfinite(mu) and mu >= 0):
        raise ValueError(f"mu must be a finite number >= 0, got {mu!r}")
    if k <= 0:
        return 1.0
    if mu == 0:
        return 0.0
    log_mu = math.log(mu)

    def log_pmf(j: int) -> float:
        return j * log_mu - mu - math.lgamma(j + 1)

    if k > mu:
        # sum_{j >= k} pmf(j) = pmf(k) * (1 + mu/(k+1) + mu^2/((k+1)(k+2)) + ...)
        term, total, j = 1.0, 1.0, k
        while term > 1e-17 * total:
            j += 1
            term *= mu / j
            total += term
        return min(1.0, math.exp(log_pmf(k) + math.log(total)))
    lower = math.fsum(math.exp(log_pmf(j)) for j in range(k))
    return min(1.0, max(0.0, 1.0 - lower))


def detect_emerging(
    window_counts: Mapping[tuple[str, str], int],
    baseline_counts: Mapping[tuple[str, str], int],
    *,
    window_days: float,
    baseline_days: float,
    alpha: float = 0.01,
    min_count: int = 3,
    floor_rate_per_week: float = 0.5,
    window_volume: Mapping[str, int] | None = None,
    baseline_volume: Mapping[str, int] | None = None,
) -> list[Emerging]:
    """The (theme, group) pairs whose window count is significantly above their baseline rate, by p-value.

    ``window_counts`` and ``baseline_counts`` map ``(theme, group)`` to mentions in the recent window
    (``window_days`` long) and in the baseline period before it (``baseline_days`` long). See the module
    docstring for the test, the floor and the multiple-testing adjustment.

    ``window_volume`` / ``baseline_volume`` (optional) map each group to how many comments it had in each
    period. With them the expectation follows volume: a group whose survey volume doubles (a new survey
    channel, a busy season) expects twice the mentions of every theme, so more responses alone never look
    like an emerging issue. ``expected = share of the group's baseline comments mentioning the theme x its
    comments in the window``, still never below the weekly floor.
    """
    if not (window_days > 0 and baseline_days > 0):
        raise ValueError("window_days and baseline_days must be positive")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    if floor_rate_per_week <= 0:
        raise ValueError("floor_rate_per_week must be positive (it stops one mention of a new theme alarming)")
    for name, counts in (("window_counts", window_counts), ("baseline_counts", baseline_counts)):
        for key, value in counts.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}[{key!r}] must be a non-negative integer, got {value!r}")

    baseline_weeks = baseline_days / DAYS_PER_WEEK
    window_weeks = window_days / DAYS_PER_WEEK
    pairs = sorted(set(window_counts) | set(baseline_counts))
    tested = []
    for pair in pairs:
        count = window_counts.get(pair, 0)
        before = baseline_counts.get(pair, 0)
        rate = max(before / baseline_weeks, floor_rate_per_week)
        expected = rate * window_weeks
        group = pair[1]
        if window_volume is not None and baseline_volume is not None and baseline_volume.get(group, 0) > 0:
            share = before / baseline_volume[group]
            expected = max(share * window_volume.get(group, 0), floor_rate_per_week * window_weeks)
        tested.append((pair, count, before, rate, expected, poisson_sf(count, expected)))
    if not tested:
        return []
    adjusted = holm([t[5] for t in tested])
    flagged = [
        Emerging(
            theme=theme,
            group=group,
            count=count,
            window_days=window_days,
            baseline_count=before,
            baseline_weeks=baseline_weeks,
            expected=expected,
            rate_per_week=rate,
            p_value=p_value,
            p_adjusted=p_adj,
        )
        for ((theme, group), count, before, rate, expected, p_value), p_adj in zip(tested, adjusted, strict=True)
        if count >= min_count and p_adj < alpha
    ]
    flagged.sort(key=lambda e: (e.p_value, -e.count, e.theme, e.group))
    return flagged


def _format_p(p: float) -> str:
    if p < 0.0001:
        return "p < 0.0001"
    return f"p = {p:.2g}" if p < 0.01 else f"p = {p:.2f}"


def _format_number(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


def describe(e: Emerging, *, label: str | None = None) -> str:
    """One line for an alert or a report, e.g. "Eastgate — billing: 6 mentions in the last 7 days, 0.7
    expected from the 8 weeks before (p = 0.0003 after Holm)".

    The expectation is the one tested (volume-aware, never below the weekly floor) and the p-value the
    adjusted one that decided the flag, so the line agrees with the table beside it. ``label`` replaces the
    theme code (pass the taxonomy's label for people).
    """
    mentions = "mention" if e.count == 1 else "mentions"
    days = _format_number(e.window_days)
    weeks = _format_number(e.baseline_weeks)
    return (
        f"{e.group} — {label or e.theme}: {e.count} {mentions} in the last {days} days, "
        f"{e.expected:.1f} expected from the {weeks} week{'s' if weeks != '1' else ''} before "
        f"({_format_p(e.p_adjusted)} after Holm)"
    )
