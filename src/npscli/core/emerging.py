"""Emerging issues: a theme rising at one site (location or department), caught day by day.

Several detractors raising the same concern at one site (a failing booking system, an understaffed
shift, a billing change) is the signal a clinic most needs and most often misses. The detector is a
**Poisson CUSUM per (theme, site) on daily counts**, as public-health surveillance uses (CDC EARS,
the R ``surveillance`` package), judged by its time to detection for a given false-alarm rate.

The model, per (theme, site) and day t:

* ``x_t`` = the site's comments that day mentioning the theme, ``n_t`` = the site's responses that day;
  in control ``x_t ~ Poisson(p0 n_t)``: the theme's *share of responses* is steady, so a rising survey
  volume (a new channel, a busy season) raises the expectation with it and never alarms by itself;
* ``p0`` = the theme's mentions ``m`` over the site's responses in the ``baseline_days`` (12 weeks) before
  the current rise began, with ``m`` taken as ``m + 1.5 sqrt(m)`` (a cautious estimate: a low estimate
  from a dozen mentions is what makes false alarms), and never below ``floor_per_week`` mentions a week
  (0.25) at the baseline volume (a theme never mentioned before would otherwise have p0 = 0, and every
  mention of it would count as evidence forever). While the CUSUM is at zero the baseline rolls forward
  with the days; once it starts rising, p0 is frozen, and after a flag the baseline stays the one before
  the issue began until the issue has gone ``episode_days`` (28) without a flag, so an incident never
  dilutes its own baseline;
* the CUSUM adds the log-likelihood ratio of "the share rose ``rise``-fold" (k = 3) against "it did
  not": ``S_t = max(0, S_{t-1} + x_t ln k - (k - 1) p0 n_t)``, and flags the day ``S_t >= h``, then resets
  to zero (a continuing incident is flagged again later: :func:`find_issues` joins the flags of one
  pair that are less than ``episode_days`` apart into one issue, first flagged on its first flag);
* the threshold ``h`` comes from the **false-alarm budget** in the unit a clinic understands: expected
  false alarms per site per year (``false_alarms_per_site_year``, default 1, ``[emerging]`` in
  npscli.toml), spread evenly over the site's themes: each (theme, site) CUSUM gets an in-control average
  run length of ``365.25 x themes / budget`` days (3,652 days for 10 themes and a budget of 1), converted
  to days with responses (days without responses add nothing to S). ``h`` for that run length is read
  from :data:`THRESHOLDS`, calibrated by simulation (``bench/calibrate_emerging.py``: 4,000 in-control
  streams of 40,000 days for each expected count per active day on a log grid; the exponential
  estimate of the ARL with censoring; log-linear interpolation). It is about ln(ARL) - 1 to - 3: Wald's
  ``ARL >= e^h`` bound, less the discreteness and overshoot of small counts.

What it cannot do, said once (measured in ``bench/README.md``, "Early warning"): by Lorden's bound the
average delay of *any* detector with in-control ARL ``A`` is at least about ``ln(A) / I`` days, where
``I = mu1 ln(mu1/mu0) - (mu1 - mu0)`` is the information per day. A fourfold rise from 1 mention a week
(mu0 = 1/7, mu1 = 4/7 a day: I = 0.36) with 1 false alarm per site-year over 10 themes (A = 3,652 days)
needs about ln(3652) / 0.36 = 23 days on average; 4 days is out of reach on information grounds, with
any method. Real complaints also cluster (one bad day produces several), so counts are more variable than
Poisson: treat a flag as "look at these comments", not as proof.

The window test of earlier versions (``detect_emerging``: a 7-day window against an 8-week baseline,
Holm-adjusted over every pair) is kept below for the benchmark's comparison; no command uses it.

Pure standard library.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from npscli.core.nps import holm

__all__ = [
    "DetectorSettings",
    "Emerging",
    "EmergingIssue",
    "describe_issue",
    "describe_window_flag",
    "detector_settings",
    "detect_emerging",
    "find_issues",
    "poisson_sf",
    "scan",
    "threshold",
]

DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.25

# ---------------------------------------------------------------------------------------------- the CUSUM

RISE = 3.0  # the rise the CUSUM is designed for (k): THRESHOLDS were calibrated for it
# The baseline count used is m + UPPER_Z sqrt(m): an estimate from a dozen mentions is off by +-30%, and the
# false alarms come from the low estimates (measured: 2-11 false alarms per site-year against a budget of 1
# with the plain count; about the budget with 1.5). See bench/README.md, "Early warning".
UPPER_Z = 1.5
ARL_TARGETS = (30, 100, 300, 1000, 3000, 10000, 30000, 100000)  # in-control run lengths, in active days
# Expected mentions per active day (mu) -> the threshold h for each ARL in ARL_TARGETS, for k = 3:
# bench/calibrate_emerging.py (seed 20261203, 4000 streams x 40000 days per mu). See the module docstring.
THRESHOLDS: dict[float, tuple[float, ...]] = {
    0.005: (0.5, 0.5, 1.066, 1.649, 2.45, 3.548, 4.583, 5.758),
    0.01: (0.5, 0.5, 1.094, 2.122, 3.073, 4.188, 5.27, 6.43),
    0.02: (0.5, 1.078, 1.786, 2.717, 3.673, 4.83, 5.927, 7.102),
    0.04: (1.007, 1.319, 2.174, 3.258, 4.297, 5.486, 6.549, 7.73),
    0.08: (0.934, 1.873, 2.771, 3.857, 4.874, 6.078, 7.175, 8.387),
    0.15: (1.265, 2.097, 3.172, 4.276, 5.366, 6.57, 7.694, 8.89),
    0.3: (1.566, 2.569, 3.577, 4.684, 5.794, 6.979, 8.081, 9.352),
    0.6: (1.895, 2.951, 3.891, 5.052, 6.079, 7.193, 8.287, 9.478),
    1.2: (1.952, 2.898, 3.978, 5.079, 6.178, 7.369, 8.487, 9.764),
    2.5: (1.565, 2.677, 3.782, 4.895, 6.257, 7.495, 8.598, 9.756),
    5.0: (0.5, 2.068, 3.178, 4.292, 5.397, 7.461, 8.56, 9.675),
}


@dataclass(frozen=True)
class DetectorSettings:
    """How the CUSUM is tuned (see the module docstring)."""

    false_alarms_per_site_year: float = 1.0
    baseline_days: int = 84  # the 12 weeks before a rise that set its expected rate
    floor_per_week: float = 0.25  # the lowest baseline rate of a theme, in mentions a week
    episode_days: int = 28  # flags of one pair less than this many days apart are one issue
    min_baseline_active_days: int = 14  # a site needs this many days with responses in its baseline

    def __post_init__(self) -> None:
        if not (isinstance(self.false_alarms_per_site_year, (int, float)) and self.false_alarms_per_site_year > 0):
            raise ValueError(
                f"false_alarms_per_site_year must be a number above 0, got {self.false_alarms_per_site_year!r}"
            )
        if self.baseline_days < 7:
            raise ValueError(f"the baseline must be at least 7 days, got {self.baseline_days!r}")
        if self.floor_per_week <= 0:
            raise ValueError("floor_per_week must be positive (it stops one mention of a new theme alarming)")

    @property
    def baseline_weeks(self) -> float:
        return self.baseline_days / DAYS_PER_WEEK

    def run_length_days(self, themes: int) -> float:
        """The in-control average run length (calendar days) of each of a site's ``themes`` CUSUMs."""
        return DAYS_PER_YEAR * max(themes, 1) / self.false_alarms_per_site_year


def detector_settings(section: Mapping[str, object], *, where: str | None = None) -> DetectorSettings:
    """The ``[emerging]`` section of npscli.toml as DetectorSettings (``ConfigError`` naming the file if bad).

    ``false_alarms_per_site_year`` (default 1): how many false alarms a site may expect in a year, over all
    its themes. More detects sooner (bench/README.md, "Early warning", has the delays for 1, 4 and 12)."""
    from npscli.core import config_schema as schema

    schema.require_valid("emerging", dict(section), where)
    value = section.get("false_alarms_per_site_year", schema.default("emerging", "false_alarms_per_site_year"))
    return DetectorSettings(false_alarms_per_site_year=float(value))


# (computed once: threshold() is called for every site, theme and day of a scan, 26,000 times a weekly report)
_MUS = sorted(THRESHOLDS)
_LOG_ARLS = [math.log(a) for a in ARL_TARGETS]


def threshold(mu_per_active_day: float, run_length_active_days: float) -> float:
    """The CUSUM threshold h giving this in-control average run length (in days with responses) when the
    expected count per such day is ``mu_per_active_day``: :data:`THRESHOLDS`, interpolated linearly in
    log(mu) and log(ARL); mu beyond the grid is clamped, an ARL beyond it extrapolated log-linearly."""
    if not (mu_per_active_day > 0 and run_length_active_days > 0):
        raise ValueError("mu and the run length must be positive")
    mus = _MUS
    mu = min(max(mu_per_active_day, mus[0]), mus[-1])
    upper = bisect_left(mus, mu)  # the first grid mu >= mu
    lower = max(upper - 1, 0)
    if upper == lower:
        return _h_for_arl(THRESHOLDS[mus[upper]], run_length_active_days)
    w = (math.log(mu) - math.log(mus[lower])) / (math.log(mus[upper]) - math.log(mus[lower]))
    h_lo = _h_for_arl(THRESHOLDS[mus[lower]], run_length_active_days)
    h_hi = _h_for_arl(THRESHOLDS[mus[upper]], run_length_active_days)
    return (1 - w) * h_lo + w * h_hi


def _h_for_arl(row: tuple[float, ...], arl: float) -> float:
    logs = _LOG_ARLS
    x = math.log(max(arl, ARL_TARGETS[0]))
    i = min(max(bisect_left(logs, x), 1), len(logs) - 1)  # the first log ARL >= x (the last if none), from 1
    slope = (row[i] - row[i - 1]) / (logs[i] - logs[i - 1])
    return row[i - 1] + slope * (x - logs[i - 1])


@dataclass(frozen=True)
class Flag:
    """One crossing of the threshold by one (theme, site) CUSUM. Days are indexes into the series."""

    day: int  # the day S reached h (the CUSUM resets after it)
    rise_start: int  # the first day of the excursion that reached h
    p0: float  # the share of responses mentioning the theme in the baseline before the rise
    rate_per_week: float  # the baseline mentions a week (after the floor)
    threshold: float
    statistic: float  # S on the flag day


def scan(
    mentions: Sequence[int],
    volume: Sequence[int],
    *,
    settings: DetectorSettings,
    themes: int,
    start: int = 0,
) -> list[Flag]:
    """Run the CUSUM of one (theme, site) over daily ``mentions`` and ``volume`` (the site's responses),
    from day index ``start`` (the days before it serve as baseline only). Returns every flag, in order."""
    if len(mentions) != len(volume):
        raise ValueError("mentions and volume must cover the same days")
    days = len(mentions)
    cum_x = [0] * (days + 1)
    cum_n = [0] * (days + 1)
    cum_active = [0] * (days + 1)
    for i in range(days):
        x, n = mentions[i], volume[i]
        if x < 0 or n < 0:
            raise ValueError(f"counts must be non-negative (day {i}: {x} mentions, {n} responses)")
        cum_x[i + 1] = cum_x[i] + x
        cum_n[i + 1] = cum_n[i] + n
        cum_active[i + 1] = cum_active[i] + (n > 0)
    up = math.log(RISE)
    drift = RISE - 1
    base = settings.baseline_days
    arl_calendar = settings.run_length_days(themes)
    flags: list[Flag] = []
    s = 0.0
    rise_start = -1
    p0 = h = rate = 0.0
    cache: dict[tuple[int, int, int, int], tuple[float, float, float]] = {}
    anchor = last_flag = -(10**9)
    for t in range(max(start, 1), days):
        if s == 0.0:  # at rest: the baseline rolls forward to the day before t ...
            # ... except within an issue (less than episode_days since its last flag): it stays the
            # baseline before the issue began, so a continuing incident never becomes the new normal.
            end = anchor if t - last_flag < settings.episode_days else t
            lo = max(0, end - base)
            n_b = cum_n[end] - cum_n[lo]
            active = cum_active[end] - cum_active[lo]
            if n_b == 0 or active < settings.min_baseline_active_days:
                continue
            key = (cum_x[end] - cum_x[lo], n_b, active, end - lo)
            if key not in cache:
                m_b = key[0]
                span_weeks = (end - lo) / DAYS_PER_WEEK
                expected_b = max(m_b + UPPER_Z * math.sqrt(m_b), settings.floor_per_week * span_weeks)
                share = expected_b / n_b
                mu_active = share * n_b / active
                arl_active = arl_calendar * active / (end - lo)
                cache[key] = (share, threshold(mu_active, arl_active), expected_b / span_weeks)
            p0, h, rate = cache[key]
        x, n = mentions[t], volume[t]
        if n == 0 and x == 0:
            continue
        z = x * up - drift * p0 * n
        if s == 0.0:
            if z <= 0:
                continue
            rise_start = t
        s += z
        if s <= 0:
            s = 0.0
            continue
        if s >= h:
            flags.append(Flag(t, rise_start, p0, rate, h, s))
            if t - last_flag >= settings.episode_days:
                anchor = rise_start
            last_flag = t
            s = 0.0
    return flags


@dataclass(frozen=True)
class EmergingIssue:
    """A (theme, site) issue: its first flag, and the mentions since its CUSUM started rising.

    ``mentions`` and ``expected`` cover the same days, from ``rise_started`` to the day the detector ran
    (``as_of``); ``expected`` is at the baseline share of responses of the weeks before the rise."""

    theme: str
    group: str  # a location or department value
    first_flagged: date
    last_flagged: date
    rise_started: date
    as_of: date
    days: int  # rise_started .. as_of, both included
    mentions: int
    expected: float
    rate_per_week: float  # the baseline mentions a week (after the floor)
    baseline_weeks: float
    flags: int  # how many times the CUSUM crossed its threshold in this issue
    threshold: float  # h at the first flag
    false_alarms_per_site_year: float


def find_issues(
    mentions: Mapping[tuple[str, str], Sequence[int]],
    volume: Mapping[str, Sequence[int]],
    *,
    first_day: date,
    themes: int,
    settings: DetectorSettings | None = None,
    start: int = 0,
    recent_days: int = 14,
) -> list[EmergingIssue]:
    """The issues flagged in the last ``recent_days`` days of the series, newest first flag first.

    ``mentions`` maps (theme, site) to mentions a day and ``volume`` each site to its responses a day,
    all over the same consecutive days from ``first_day`` (the last is "today"); ``themes`` is how many
    themes each site is watched for (the false-alarm budget is spread over them); the CUSUMs run from day
    index ``start``. Pairs absent from ``mentions`` had no mention (they cannot be flagged)."""
    settings = settings or DetectorSettings()
    if recent_days < 1:
        raise ValueError("recent_days must be at least 1")
    out: list[EmergingIssue] = []
    for (theme, group), counts in mentions.items():
        n = volume.get(group)
        if n is None:
            raise ValueError(f"no daily volume for site {group!r}")
        days = len(n)
        flags = scan(counts, n, settings=settings, themes=themes, start=start)
        if not flags:
            continue
        episodes: list[list[Flag]] = []
        for f in flags:
            if episodes and f.day - episodes[-1][-1].day < settings.episode_days:
                episodes[-1].append(f)
            else:
                episodes.append([f])
        last = episodes[-1]
        if last[-1].day < days - recent_days:
            continue
        first = last[0]
        expected = first.p0 * sum(n[first.rise_start :])
        out.append(
            EmergingIssue(
                theme=theme,
                group=group,
                first_flagged=first_day + timedelta(days=first.day),
                last_flagged=first_day + timedelta(days=last[-1].day),
                rise_started=first_day + timedelta(days=first.rise_start),
                as_of=first_day + timedelta(days=days - 1),
                days=days - first.rise_start,
                mentions=sum(counts[first.rise_start :]),
                expected=expected,
                rate_per_week=first.rate_per_week,
                baseline_weeks=settings.baseline_weeks,
                flags=len(last),
                threshold=first.threshold,
                false_alarms_per_site_year=settings.false_alarms_per_site_year,
            )
        )
    out.sort(key=lambda e: (-e.first_flagged.toordinal(), -e.mentions, e.group, e.theme))
    return out


def describe_issue(issue: EmergingIssue, *, label: str | None = None) -> str:
    """The one sentence every output uses for an issue, e.g. "Scheduling at Northside: 7 mentions in 9
    days, 1.9 expected at the rate of the 12 weeks before; first flagged 2026-11-12". ``label`` replaces
    the theme code (pass the taxonomy's label for people)."""
    mentions = "mention" if issue.mentions == 1 else "mentions"
    days = "day" if issue.days == 1 else "days"
    weeks = _format_number(issue.baseline_weeks)
    return (
        f"{label or issue.theme} at {issue.group}: {issue.mentions} {mentions} in {issue.days} {days}, "
        f"{issue.expected:.1f} expected at the rate of the {weeks} week{'s' if weeks != '1' else ''} before; "
        f"first flagged {issue.first_flagged.isoformat()}"
    )


# ---------------------------------------------------------------------------------------------- the window test


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


def describe_window_flag(e: Emerging, *, label: str | None = None) -> str:
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
