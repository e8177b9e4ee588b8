"""Emerging issues: the exact Poisson tail, the detector on planted spikes and on null data, the wording."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from npscli.core.emerging import Emerging, describe, detect_emerging, poisson_sf

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
