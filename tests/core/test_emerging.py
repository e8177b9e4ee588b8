"""Emerging issues: the exact Poisson tail, the detector on planted spikes and on null data, the wording."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npscli.core.emerging import Emerging, detect_emerging, poisson_sf
from npscli.core.emerging import describe_window_flag as describe

THEMES = [
    "wait_time", "scheduling", "billing", "staff", "communication",
    "clinical", "facility", "parking", "phone", "cost",
]  # fmt: skip
GROUPS = ["Eastgate", "Northside", "Riverside", "Downtown"]
BASELINE_WEEKS = 8


# --------------------------------------------------------------------------------------------------
# poisson_sf
# --------------------------------------------------------------------------------------------------


def test_poisson_sf_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    for mu in (1e-9, 1e-4, 0.01, 0.3, 0.5, 1.0, 2.5, 7.0, 20.0, 55.5, 150.0, 400.0, 1000.0):
        for k in sorted({0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 500, int(mu), int(mu) + 1}):
            expected = stats.poisson.sf(k - 1, mu)  # P(X >= k) = sf(k - 1)
            got = poisson_sf(k, mu)
            if expected < 1e-300:
                assert got < 1e-290, (k, mu)
            else:
                assert got == pytest.approx(expected, rel=1e-9, abs=0), (k, mu)


@pytest.mark.parametrize("mu", [1e-12, 1e-6, 0.1, 3.0, 40.0])
def test_poisson_sf_closed_forms(mu):
    # P(X >= 1) = 1 - e^-mu, computed without cancellation by expm1
    assert poisson_sf(1, mu) == pytest.approx(-math.expm1(-mu), rel=1e-12)


@pytest.mark.parametrize("mu", [0.1, 3.0, 40.0])
def test_poisson_sf_two_or_more(mu):
    # P(X >= 2) = 1 - e^-mu (1 + mu); this closed form itself cancels for small mu, hence mu >= 0.1
    assert poisson_sf(2, mu) == pytest.approx(-math.expm1(-mu) - mu * math.exp(-mu), rel=1e-9)


def test_poisson_sf_small_mu_keeps_relative_precision():
    # P(X >= 2) ~ mu^2 / 2 (1 - 2 mu / 3) for tiny mu, where 1 - e^-mu (1 + mu) would round to 0
    mu = 1e-12
    assert poisson_sf(2, mu) == pytest.approx(mu * mu / 2 * (1 - 2 * mu / 3), rel=1e-12)


def test_poisson_sf_tiny_tail_is_not_zero():
    # pmf(50; 0.5) = 1.77e-80 and the tail is 1 + 0.5/51 + ... times that: 1 - cdf would give 0
    pmf = math.exp(50 * math.log(0.5) - 0.5 - math.lgamma(51))
    assert poisson_sf(50, 0.5) == pytest.approx(pmf * (1 + 0.5 / 51 + 0.25 / (51 * 52)), rel=1e-6)


def test_poisson_sf_edges():
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(-4, 3.0) == 1.0
    assert poisson_sf(1, 0.0) == 0.0
    assert poisson_sf(0, 0.0) == 1.0
    with pytest.raises(ValueError):
        poisson_sf(3, -1.0)
    with pytest.raises(ValueError):
        poisson_sf(3, math.nan)
    with pytest.raises(TypeError):
        poisson_sf(2.5, 1.0)  # type: ignore[arg-type]


@given(st.integers(0, 400), st.floats(0, 600, allow_nan=False))
def test_poisson_sf_is_a_decreasing_probability(k, mu):
    here, next_ = poisson_sf(k, mu), poisson_sf(k + 1, mu)
    assert 0.0 <= next_ <= here <= 1.0


# --------------------------------------------------------------------------------------------------
# detect_emerging on generated data
# --------------------------------------------------------------------------------------------------


def simulate(seed: int, spike: tuple[str, str] | None = None, spike_count: int = 8):
    """Seeded Poisson mentions for 10 themes x 4 sites: 8 baseline weeks, then a 7-day window."""
    rng = np.random.default_rng(seed)
    rates = {(t, g): rng.uniform(0.1, 3.0) for t in THEMES for g in GROUPS}  # mentions per week
    if spike is not None:
        rates[spike] = 0.5
    baseline = {pair: int(rng.poisson(rate * BASELINE_WEEKS)) for pair, rate in rates.items()}
    window = {pair: int(rng.poisson(rate)) for pair, rate in rates.items()}
    if spike is not None:
        window[spike] = spike_count
    return window, baseline


def detect(window, baseline):
    return detect_emerging(window, baseline, window_days=7, baseline_days=7 * BASELINE_WEEKS)


def test_planted_spike_is_found_and_nothing_else():
    spike = ("billing", "Eastgate")
    window, baseline = simulate(seed=2024, spike=spike)
    flagged = detect(window, baseline)
    assert [(e.theme, e.group) for e in flagged] == [spike]
    found = flagged[0]
    assert found.count == 8
    assert found.window_days == 7
    assert found.baseline_weeks == BASELINE_WEEKS
    assert found.rate_per_week == pytest.approx(max(found.baseline_count / BASELINE_WEEKS, 0.5))
    assert found.expected == pytest.approx(found.rate_per_week)
    assert found.p_value == pytest.approx(poisson_sf(8, found.expected))
    assert found.p_value <= found.p_adjusted < 0.01


def test_planted_spike_is_found_across_seeds():
    spike = ("staff", "Northside")
    extra = 0
    for seed in range(100):
        flagged = {(e.theme, e.group) for e in detect(*simulate(seed, spike=spike))}
        assert spike in flagged, seed
        extra += len(flagged - {spike}) > 0
    assert extra <= 5  # the other 39 pairs stay quiet


def test_no_spike_no_alarm_false_alarm_rate():
    runs = 200
    alarms = sum(bool(detect(*simulate(seed))) for seed in range(10_000, 10_000 + runs))
    assert alarms / runs < 0.05


def test_floor_keeps_a_new_theme_quiet_until_it_is_real():
    # A theme never mentioned at a site before: expected = 0.5 a week under the floor.
    quiet = {(t, g): 4 for t in THEMES for g in GROUPS}  # 40 pairs tested, steady at 0.5 a week
    quiet_window = {pair: 0 for pair in quiet}
    for new_mentions, flagged in ((2, False), (4, False), (6, True)):
        window = {**quiet_window, ("portal", "Eastgate"): new_mentions}
        result = detect(window, quiet)
        assert bool(result) is flagged, new_mentions
    # without the floor, two mentions of something never seen would be "significant"
    assert poisson_sf(2, 0.0) == 0.0


def test_min_count_and_alpha():
    baseline = {("billing", "Eastgate"): 0}
    window = {("billing", "Eastgate"): 5}
    assert detect_emerging(window, baseline, window_days=7, baseline_days=56, min_count=6) == []
    assert detect_emerging(window, baseline, window_days=7, baseline_days=56, alpha=1e-6) == []
    assert len(detect_emerging(window, baseline, window_days=7, baseline_days=56)) == 1


def test_sorted_by_p_value():
    baseline = {("a", "x"): 8, ("b", "x"): 8, ("c", "x"): 8}
    window = {("a", "x"): 7, ("b", "x"): 12, ("c", "x"): 9}
    flagged = detect_emerging(window, baseline, window_days=7, baseline_days=56)
    assert [e.theme for e in flagged] == ["b", "c", "a"]
    assert [e.p_value for e in flagged] == sorted(e.p_value for e in flagged)


def test_window_length_scales_the_expectation():
    baseline = {("a", "x"): 16}  # 2 a week
    flagged = detect_emerging({("a", "x"): 12}, baseline, window_days=14, baseline_days=56)
    assert flagged and flagged[0].expected == pytest.approx(4.0)
    assert flagged[0].rate_per_week == pytest.approx(2.0)


def test_bad_arguments():
    with pytest.raises(ValueError):
        detect_emerging({}, {}, window_days=0, baseline_days=56)
    with pytest.raises(ValueError):
        detect_emerging({}, {}, window_days=7, baseline_days=56, alpha=1.5)
    with pytest.raises(ValueError):
        detect_emerging({("a", "x"): -1}, {}, window_days=7, baseline_days=56)
    with pytest.raises(ValueError):
        detect_emerging({}, {}, window_days=7, baseline_days=56, floor_rate_per_week=0)
    assert detect_emerging({}, {}, window_days=7, baseline_days=56) == []


# --------------------------------------------------------------------------------------------------
# describe
# --------------------------------------------------------------------------------------------------


def make(count=6, rate=0.5, p=0.0003, days=7.0) -> Emerging:
    return Emerging(
        theme="billing", group="Eastgate", count=count, window_days=days, baseline_count=0, baseline_weeks=8.0,
        expected=rate * days / 7, rate_per_week=rate, p_value=p, p_adjusted=min(1.0, p * 40),
    )  # fmt: skip


def test_describe():
    # the expectation and the adjusted p-value that decided the flag, as the table shows them
    assert describe(make(p=0.00001)) == (
        "Eastgate — billing: 6 mentions in the last 7 days, 0.5 expected from the 8 weeks before "
        "(p = 0.0004 after Holm)"
    )
    assert describe(make(count=1, rate=2.0, p=0.2, days=14)) == (
        "Eastgate — billing: 1 mention in the last 14 days, 4.0 expected from the 8 weeks before (p = 1.00 after Holm)"
    )
    assert describe(make(p=1e-9), label="Billing and insurance").startswith("Eastgate — Billing and insurance:")
    assert describe(make(p=1e-9)).endswith("(p < 0.0001 after Holm)")
    assert "1.4 expected" in describe(make(rate=1.375))


def test_more_responses_alone_are_not_an_emerging_issue():
    """A group whose comment volume triples mentions every theme three times as often: no alarm."""
    baseline = {("scheduling", "Downtown"): 8, ("billing", "Downtown"): 8}  # 1 a week each over 8 weeks
    window = {("scheduling", "Downtown"): 4, ("billing", "Downtown"): 4}  # 4 this week
    without_volume = detect_emerging(window, baseline, window_days=7, baseline_days=56, min_count=3, alpha=0.05)
    assert without_volume  # counts alone look like a spike
    with_volume = detect_emerging(
        window, baseline, window_days=7, baseline_days=56, min_count=3, alpha=0.05,
        window_volume={"Downtown": 20}, baseline_volume={"Downtown": 40},
    )  # fmt: skip
    assert with_volume == []
    spike = detect_emerging(
        {("billing", "Downtown"): 14}, baseline, window_days=7, baseline_days=56,
        window_volume={"Downtown": 20}, baseline_volume={"Downtown": 40},
    )  # fmt: skip
    assert [(e.theme, e.count) for e in spike] == [("billing", 14)]


# --------------------------------------------------------------------------------------------------
# the CUSUM (the detector every command uses)
# --------------------------------------------------------------------------------------------------

import random  # noqa: E402

from hypothesis import settings as hsettings  # noqa: E402

from npscli.core.emerging import (  # noqa: E402
    RISE,
    DetectorSettings,
    EmergingIssue,
    describe_issue,
    find_issues,
    scan,
    threshold,
)


def poisson(rng: random.Random, mu: float) -> int:
    """Knuth's method (fine for the small means here)."""
    limit, k, p = math.exp(-mu), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@pytest.mark.parametrize("mu", [0.08, 0.3, 1.2])
def test_the_threshold_gives_the_run_length_asked_for(mu):
    """A raw CUSUM at h = threshold(mu, 200) alarms about once every 200 days with no change."""
    h = threshold(mu, 200)
    rng = random.Random(int(mu * 1000))
    s, alarms, days = 0.0, 0, 300_000
    up, drift = math.log(RISE), (RISE - 1) * mu
    for _ in range(days):
        s = max(0.0, s + poisson(rng, mu) * up - drift)
        if s >= h:
            alarms += 1
            s = 0.0
    assert days / alarms == pytest.approx(200, rel=0.2)


@hsettings(max_examples=40, deadline=None)
@given(st.floats(0.001, 10), st.floats(30, 1e6), st.floats(1.5, 10))
def test_a_longer_run_length_needs_a_higher_threshold(mu, arl, factor):
    assert threshold(mu, arl * factor) >= threshold(mu, arl) > 0


def test_a_bigger_budget_means_a_shorter_run_length():
    assert DetectorSettings(false_alarms_per_site_year=1).run_length_days(10) == pytest.approx(3652.5)
    assert DetectorSettings(false_alarms_per_site_year=4).run_length_days(10) == pytest.approx(913.125)
    with pytest.raises(ValueError):
        DetectorSettings(false_alarms_per_site_year=0)
    with pytest.raises(ValueError):
        DetectorSettings(baseline_days=3)


def series(
    seed: int,
    days: int,
    share: float,
    *,
    per_day: int = 20,
    rise_from: int | None = None,
    factor: float = 4.0,
    growth: float = 0.0,
):
    """Daily responses (none at weekends) and mentions of one theme at one site; from ``rise_from`` the
    theme's share is multiplied by ``factor``; ``growth`` grows the volume linearly (x(1 + growth) at the end)."""
    rng = random.Random(seed)
    volume, mentions = [], []
    for d in range(days):
        n = 0 if d % 7 in (5, 6) else round(per_day * (1 + growth * d / days))
        p = share * (factor if rise_from is not None and d >= rise_from else 1.0)
        volume.append(n)
        mentions.append(sum(rng.random() < p for _ in range(n)))
    return mentions, volume


def test_a_planted_fourfold_rise_is_flagged_after_it_starts():
    found = 0
    for seed in range(20):
        mentions, volume = series(seed, 220, 0.01, rise_from=160)  # 1 mention a week, then 4
        flags = scan(mentions, volume, settings=DetectorSettings(), themes=10, start=84)
        after = [f for f in flags if f.day >= 160]
        found += bool(after) and after[0].day < 220
        for f in flags:
            assert f.statistic >= f.threshold and f.rise_start <= f.day
    assert found >= 15  # 4x from 1 a week, 60 days to find it: nearly always


def test_the_cusum_resets_after_a_flag_and_one_issue_joins_its_flags():
    mentions, volume = series(7, 200, 0.01, rise_from=100, factor=10.0)  # a blatant, lasting rise
    settings = DetectorSettings()
    flags = scan(mentions, volume, settings=settings, themes=10, start=84)
    late = [f for f in flags if f.day >= 100]
    assert len(late) >= 3
    for before, after in zip(late, late[1:], strict=False):
        assert after.rise_start > before.day  # each excursion starts again from zero after a flag
    issues = find_issues({("scheduling", "Northside"): mentions}, {"Northside": volume},
                         first_day=date(2026, 1, 1), themes=10, settings=settings, start=84)  # fmt: skip
    assert len(issues) == 1
    issue = issues[0]
    first = late[0]
    assert issue.first_flagged == date.fromordinal(date(2026, 1, 1).toordinal() + first.day)
    assert issue.flags == len(late)  # the flags are less than 28 days apart: one issue
    assert issue.mentions == sum(mentions[first.rise_start :])
    assert issue.days == 200 - first.rise_start


def test_no_rise_and_a_rising_volume_flag_nothing_much():
    settings = DetectorSettings(false_alarms_per_site_year=1)
    site_years = flags = 0
    for seed in range(30):
        mentions, volume = series(1000 + seed, 84 + 365, 0.02, growth=2.0)  # the volume triples over the year
        flags += len(scan(mentions, volume, settings=settings, themes=10, start=84))
        site_years += 0.1  # one theme of a 10-theme site
    assert flags / site_years < 2.5  # budget 1 a site-year (estimation noise included)


def test_an_old_issue_is_no_longer_listed():
    mentions, volume = series(3, 200, 0.01, rise_from=100, factor=10.0)
    mentions = mentions[:140] + [0] * 60  # it stopped 60 days ago
    volume = volume[:140] + [v for v in volume[140:]]
    args = dict(first_day=date(2026, 1, 1), themes=10, start=84)
    assert find_issues({("billing", "Eastgate"): mentions}, {"Eastgate": volume}, recent_days=14, **args) == []
    assert find_issues({("billing", "Eastgate"): mentions}, {"Eastgate": volume}, recent_days=90, **args)


def test_counts_must_be_sane():
    with pytest.raises(ValueError):
        scan([1, 2], [3], settings=DetectorSettings(), themes=10)
    with pytest.raises(ValueError):
        scan([1, -1], [3, 3], settings=DetectorSettings(), themes=10)
    with pytest.raises(ValueError):
        find_issues({("a", "x"): [0, 1]}, {}, first_day=date(2026, 1, 1), themes=10)


def test_the_sentence():
    issue = EmergingIssue(
        theme="scheduling", group="Northside", first_flagged=date(2026, 11, 12), last_flagged=date(2026, 11, 12),
        rise_started=date(2026, 11, 6), as_of=date(2026, 11, 14), days=9, mentions=7, expected=1.94,
        rate_per_week=1.2, baseline_weeks=12.0, flags=1, threshold=5.1, false_alarms_per_site_year=1.0,
    )  # fmt: skip
    assert describe_issue(issue) == (
        "scheduling at Northside: 7 mentions in 9 days, 1.9 expected at the rate of the 12 weeks before; "
        "first flagged 2026-11-12"
    )
    assert describe_issue(issue, label="Scheduling and booking").startswith("Scheduling and booking at Northside:")


@hsettings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 40), min_size=100, max_size=200),
    st.lists(st.integers(0, 3), min_size=200, max_size=200),
    st.sampled_from([1.0, 4.0, 12.0]),
)
def test_scan_is_well_formed_and_silence_never_alarms(volume, extra, budget):
    settings = DetectorSettings(false_alarms_per_site_year=budget)
    assert scan([0] * len(volume), volume, settings=settings, themes=10) == []  # no mention, no issue
    mentions = [min(x, n) for x, n in zip(extra, volume, strict=False)]
    flags = scan(mentions, volume, settings=settings, themes=10)
    days = [f.day for f in flags]
    assert days == sorted(set(days))
    for before, after in zip(flags, flags[1:], strict=False):
        assert after.rise_start > before.day
    for f in flags:
        assert f.rise_start <= f.day and f.statistic >= f.threshold > 0
        assert mentions[f.day] > 0  # S only rises on a day with a mention


# --------------------------------------------------------------------------------------------------
# the clinic's day of each response (services.themes._offset_spans, _LocalDays)
# --------------------------------------------------------------------------------------------------

# Zones with DST (an hour, or half an hour at Lord Howe), offsets of :30 and :45, and one that moved the date line.
_ZONES = ["America/Chicago", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu", "America/St_Johns",
          "Asia/Tehran", "Pacific/Chatham", "Pacific/Apia", "UTC"]  # fmt: skip


class _MidHourJump(tzinfo):
    """A zone that moves from +00:00 to +01:00 at 23:30 UTC on 1 January 2025: its midnight falls inside an hour
    whose offset changes (real zones do this at :30 offsets; none so plainly)."""

    JUMP = datetime(2025, 1, 1, 23, 30)

    def utcoffset(self, dt):
        return timedelta(hours=1) if dt.replace(tzinfo=None) >= self.JUMP + timedelta(hours=1) else timedelta(0)

    def dst(self, dt):
        return timedelta(0)

    def fromutc(self, dt):
        naive = dt.replace(tzinfo=None)
        return (naive + (timedelta(hours=1) if naive >= self.JUMP else timedelta(0))).replace(tzinfo=self)


def test_an_hour_in_which_the_offset_changes_takes_each_times_own_offset():
    from npscli.services.themes import _LocalDays, _offset_spans

    zone, first = _MidHourJump(), date(2025, 1, 1)
    spans = _offset_spans(zone, datetime(2025, 1, 1), datetime(2025, 1, 3))
    assert spans == [(datetime(2025, 1, 1), timedelta(0)), (_MidHourJump.JUMP, timedelta(hours=1))]
    day_of = _LocalDays(spans, first)
    # 23:10 UTC is 23:10 on 1 January; 23:40 UTC is 00:40 on 2 January (the hour's first offset would say 23:40)
    assert [day_of(datetime(2025, 1, 1, 23, minute)) for minute in (10, 40, 10, 59)] == [0, 1, 0, 1]
    assert day_of(datetime(2025, 1, 2, 0, 5)) == 1 and day_of(datetime(2025, 1, 1, 22, 59)) == 0


@given(
    st.sampled_from(_ZONES),
    st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2030, 1, 1)),
    st.lists(st.integers(min_value=0, max_value=200 * 24 * 3600 * 10**6 - 1), min_size=1, max_size=30),
)
def test_the_offset_spans_give_each_times_offset_and_local_date(zone_name, start, steps):
    """services.themes._offset_spans over 200 days: the span a time falls in has the zone's offset at it, and
    _LocalDays gives the time's date in the zone, across DST changes and offsets of :30 and :45."""
    import bisect

    from npscli.services.themes import _LocalDays, _offset_spans

    zone, end = ZoneInfo(zone_name), start + timedelta(days=200)
    spans = _offset_spans(zone, start, end)
    assert spans[0][0] <= start and [at for at, _ in spans] == sorted(at for at, _ in spans)
    day_of = _LocalDays(spans, date(2010, 1, 1))
    for step in steps:
        at = start + timedelta(microseconds=step)
        _, offset = spans[bisect.bisect_right([s for s, _ in spans], at) - 1]
        assert offset == at.replace(tzinfo=UTC).astimezone(zone).utcoffset()
        assert day_of(at) == (at.replace(tzinfo=UTC).astimezone(zone).date() - date(2010, 1, 1)).days
    with pytest.raises(ValueError):
        day_of(spans[0][0] - timedelta(microseconds=1))
    for (_, before), (at, after) in zip(spans, spans[1:], strict=False):  # each change at its exact microsecond
        assert (at - timedelta(microseconds=1)).replace(tzinfo=UTC).astimezone(zone).utcoffset() == before
        assert at.replace(tzinfo=UTC).astimezone(zone).utcoffset() == after != before
