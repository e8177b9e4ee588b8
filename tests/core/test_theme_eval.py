"""Theme evaluation metrics (npscli.core.theme_eval): worked examples by hand, and properties by hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npscli.core.theme_eval import UnknownTheme, evaluate, expected_lookup, parse_expected

CODES = ("wait_time", "billing", "staff", "parking")
theme_sets = st.sets(st.sampled_from(CODES), max_size=len(CODES))
samples = st.lists(st.tuples(theme_sets, theme_sets), max_size=40)


def test_a_worked_example():
    expected = [{"wait_time"}, {"wait_time", "billing"}, set(), {"staff"}, {"billing"}]
    predicted = [{"wait_time"}, {"wait_time"}, {"billing"}, set(), {"billing", "parking"}]
    result = evaluate(expected, predicted, CODES)
    wait, billing, staff, parking = (result.per_theme[c] for c in CODES)
    # wait_time: found in both comments that expected it, nowhere else
    assert (wait.tp, wait.fp, wait.fn, wait.support) == (2, 0, 0, 2)
    assert (wait.precision, wait.recall, wait.f1) == (1.0, 1.0, 1.0)
    # billing: expected in comments 2 and 5, found in 3 and 5
    assert (billing.tp, billing.fp, billing.fn) == (1, 1, 1)
    assert billing.precision == billing.recall == billing.f1 == 0.5
    # staff: expected once, never found; parking: found once, never expected
    assert (staff.precision, staff.recall, staff.f1) == (None, 0.0, 0.0)
    assert (parking.precision, parking.recall, parking.f1) == (0.0, None, 0.0)
    # micro: tp 3, fp 2, fn 2
    assert (result.micro.tp, result.micro.fp, result.micro.fn) == (3, 2, 2)
    assert result.micro.precision == pytest.approx(3 / 5) and result.micro.recall == pytest.approx(3 / 5)
    # macro over the three themes some comment expected (parking is not one)
    assert result.macro_themes == 3
    assert result.macro_precision == pytest.approx((1 + 0.5 + 0) / 3)
    assert result.macro_recall == pytest.approx((1 + 0.5 + 0) / 3)
    assert result.macro_f1 == pytest.approx((1 + 0.5 + 0) / 3)
    # worst first: comment 2 (one miss), 3 (one wrong), 4 (one miss), 5 (one wrong); comment 1 is right
    assert [(m.index, m.missed, m.wrong) for m in result.misses] == [
        (1, ("billing",), ()),
        (2, (), ("billing",)),
        (3, ("staff",), ()),
        (4, (), ("parking",)),
    ]
    assert len(result.worst(2)) == 2 and result.worst(-1) == ()


def test_an_unlisted_code_is_reported_not_dropped():
    result = evaluate([{"cost"}], [set()], CODES)
    assert list(result.per_theme)[: len(CODES)] == list(CODES)
    assert result.per_theme["cost"].fn == 1


def test_lengths_must_agree():
    with pytest.raises(ValueError):
        evaluate([set()], [], CODES)


@settings(max_examples=150, deadline=None)
@given(samples)
def test_scores_are_between_0_and_1_and_counts_add_up(pairs):
    expected = [e for e, _ in pairs]
    predicted = [p for _, p in pairs]
    result = evaluate(expected, predicted, CODES)
    for code, score in result.per_theme.items():
        assert score.support == sum(code in e for e in expected)
        assert score.tp + score.fp == sum(code in p for p in predicted)
        for value in (score.precision, score.recall, score.f1):
            assert value is None or 0.0 <= value <= 1.0
        if score.precision is not None and score.recall is not None:
            low, high = sorted((score.precision, score.recall))
            assert low - 1e-12 <= score.f1 <= high + 1e-12  # a harmonic mean lies between its terms
            if score.precision + score.recall:
                harmonic = 2 * score.precision * score.recall / (score.precision + score.recall)
                assert score.f1 == pytest.approx(harmonic)
    assert result.micro.tp == sum(s.tp for s in result.per_theme.values())
    for value in (result.micro.f1, result.macro_precision, result.macro_recall, result.macro_f1):
        assert value is None or 0.0 <= value <= 1.0
    assert len(result.misses) == sum(e != p for e, p in pairs)


@settings(max_examples=100, deadline=None)
@given(st.lists(theme_sets, max_size=40))
def test_a_perfect_prediction_scores_1(expected):
    result = evaluate(expected, expected, CODES)
    assert result.misses == ()
    if any(expected):
        assert result.micro.precision == result.micro.recall == result.micro.f1 == 1.0
        assert result.macro_precision == result.macro_recall == result.macro_f1 == 1.0
    else:  # nothing expected and nothing found: nothing to score
        assert result.micro.f1 is None and result.macro_f1 is None
    for score in result.per_theme.values():
        assert score.fp == score.fn == 0


@settings(max_examples=100, deadline=None)
@given(samples)
def test_swapping_expected_and_predicted_swaps_precision_and_recall(pairs):
    forward = evaluate([e for e, _ in pairs], [p for _, p in pairs], CODES)
    backward = evaluate([p for _, p in pairs], [e for e, _ in pairs], CODES)
    for code in CODES:
        assert forward.per_theme[code].precision == backward.per_theme[code].recall
        assert forward.per_theme[code].f1 == backward.per_theme[code].f1


@settings(max_examples=100, deadline=None)
@given(st.lists(theme_sets.filter(bool), min_size=1, max_size=30))
def test_finding_nothing_scores_0_recall(expected):
    result = evaluate(expected, [set() for _ in expected], CODES)
    assert result.micro.recall == 0.0 and result.micro.precision is None and result.micro.f1 == 0.0
    assert result.macro_f1 == 0.0


LOOKUP = expected_lookup([("wait_time", "Wait time"), ("billing", "Billing and insurance"), ("cost", "Cost, fees")])


@pytest.mark.parametrize(
    ("cell", "codes"),
    [
        ("wait_time", ["wait_time"]),
        ("Wait time", ["wait_time"]),
        ("WAIT-TIME", ["wait_time"]),
        ("wait_time; billing", ["wait_time", "billing"]),
        ("billing|Wait time", ["billing", "wait_time"]),
        ("billing, billing", ["billing"]),
        ("Billing and insurance , wait_time", ["billing", "wait_time"]),
        ("Cost, fees", ["cost"]),
        ("", []),
        ("  ", []),
        ("-", []),
        ("none", []),
        ("wait_time;", ["wait_time"]),
        (None, []),
    ],
)
def test_parse_expected(cell, codes):
    assert parse_expected(cell, LOOKUP) == codes


@pytest.mark.parametrize(
    ("cell", "codes"),
    [
        ("insurance", ["billing"]),  # a run of a label's words that names one theme
        ("Billing & insurance", ["billing"]),  # "&" and "/" as "and"
        ("billing/insurance", ["billing"]),
        ("wait", ["wait_time"]),
        ("fees", ["cost"]),
    ],
)
def test_a_run_of_a_labels_words_names_its_theme(cell, codes):
    assert parse_expected(cell, LOOKUP) == codes


def test_a_run_two_themes_share_names_neither():
    lookup = expected_lookup([("billing", "Billing and insurance"), ("billing_errors", "Billing errors")])
    assert parse_expected("errors", lookup) == ["billing_errors"] and parse_expected("insurance", lookup) == ["billing"]
    with pytest.raises(UnknownTheme):
        parse_expected("billing", {k: v for k, v in lookup.items() if k != "billing"})  # shared: no alias made
    assert lookup["billing"] == "billing"  # the code itself still names it


def test_unknown_names_collected_instead_of_raised():
    unknown: list[str] = []
    assert parse_expected("wait_time; rudeness ; food", LOOKUP, unknown=unknown) == ["wait_time"]
    assert unknown == ["rudeness", "food"]


def test_an_unknown_name_is_named():
    with pytest.raises(UnknownTheme) as caught:
        parse_expected("wait_time; rudeness", LOOKUP)
    assert caught.value.name == "rudeness"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.sampled_from(["wait_time", "Wait time", "billing", "BILLING AND INSURANCE"]), max_size=6),
    st.sampled_from([";", ",", "|", " ; "]),
)
def test_parse_expected_reads_back_any_joined_list(names, separator):
    codes = parse_expected(separator.join(names), LOOKUP)
    want = list(dict.fromkeys("wait_time" if n.lower().startswith("wait") else "billing" for n in names))
    assert codes == want
