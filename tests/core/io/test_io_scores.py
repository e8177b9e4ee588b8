"""Score forms, status exclusion, outcome precedence and the 1-5 scale check."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npscli.core.errors import ColumnError
from npscli.io.exports import ReadOptions, read_export

EXPORTS = Path(__file__).resolve().parents[2] / "data" / "exports"


def test_every_score_form():
    parsed = read_export(EXPORTS / "plain_scores.csv")
    assert parsed.rows_read == 13  # the blank line (row 6) is not a data row
    assert parsed.rows_read == len(parsed.records) + len(parsed.issues)
    assert dict(zip(parsed.records["comment"], parsed.records["score"], strict=True)) == {
        "label ten": 10,  # "10 - Extremely likely"
        "label zero": 0,  # "0 - Not at all likely"
        "decimal nine": 9,  # "9.0"
        "padded seven": 7,  # " 7 "
    }
    issues = {issue.row: (issue.outcome, issue.reason, issue.column) for issue in parsed.issues}
    assert issues == {
        7: ("skipped", "blank score (partial response)", "Score"),
        8: ("rejected", "score is outside 0-10", "Score"),  # 11
        9: ("rejected", "score is outside 0-10", "Score"),  # -1
        10: ("rejected", "score is not a whole number", "Score"),  # 7.5
        11: ("rejected", "score is not a number", "Score"),  # ten
        12: ("excluded", "Status is Spam", "Status"),  # excluded beats the bad score
        13: ("skipped", "blank score (partial response)", "Score"),  # a blank score is never a detractor
        14: ("rejected", "missing submitted_at", "Date"),
        15: ("rejected", "submitted_at could not be parsed as a date", "Date"),
    }


def test_workbook_scores_arrive_as_floats():
    parsed = read_export(EXPORTS / "plain_typed.xlsx")
    assert parsed.records["score"].tolist() == [9, 3, 10]  # 9.0, 3.0 and 10 from calamine
    # 7.5 in sheet row 6 (row 5 is blank and not a data row)
    assert [(i.row, i.reason) for i in parsed.issues] == [(6, "score is not a whole number")]


def test_semicolon_file_with_decimal_comma_score():
    parsed = read_export(EXPORTS / "plain_cp1252_semicolon.csv")
    assert parsed.records["score"].tolist() == [9, 4, 10]  # "9,0" is 9


def test_five_point_scale_is_refused():
    with pytest.raises(ColumnError) as raised:
        read_export(EXPORTS / "csat_1to5.csv")
    assert str(raised.value) == (
        "csat_1to5.csv: column 'Score' looks like a 1-5 scale (CSAT/Press Ganey), "
        "not a 0-10 likelihood-to-recommend score"
    )
    assert raised.value.hint == (
        "map the 0-10 question with --map score=COLUMN, or pass --no-scale-check if this really is 0-10"
    )


def test_scale_check_can_be_turned_off():
    parsed = read_export(EXPORTS / "csat_1to5.csv", ReadOptions(scale_check=False))
    assert len(parsed.records) == 11


def test_nine_values_within_one_to_five_are_not_judged(tmp_path: Path):
    path = tmp_path / "nine.csv"
    path.write_text("Date,Score\n" + "".join(f"2025-07-0{day},{day % 5 + 1}\n" for day in range(1, 10)))
    assert len(read_export(path).records) == 9


def test_nps_group_column_is_never_the_score():
    with pytest.raises(ColumnError, match="no 0-10 likelihood-to-recommend column found"):
        read_export(EXPORTS / "nps_group_only.csv")


SCORE_CELLS = st.one_of(
    st.integers(min_value=-20, max_value=20).map(str),
    st.floats(min_value=-20, max_value=20, allow_nan=False).map(lambda value: f"{value:.2f}"),
    st.sampled_from(["", " ", "10 - Extremely likely", "0 - Not at all likely", " 7 ", "ten", "n/a", "9.0"]),
    st.text(alphabet="0123456789 .-,abc", max_size=6),
)
STATUS_CELLS = st.sampled_from(["", "IP Address", "Survey Preview", "Spam", "Survey Test"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(SCORE_CELLS, STATUS_CELLS, st.booleans()), min_size=1, max_size=30))
def test_every_row_has_exactly_one_outcome(tmp_path: Path, rows: list[tuple[str, str, bool]]):
    path = tmp_path / "random.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Score", "Status", "Comment"])
        for score, status, dated in rows:
            writer.writerow(["2025-07-01 10:00" if dated else "", score, status, "x"])
    parsed = read_export(path, ReadOptions(scale_check=False))
    assert parsed.rows_read == len(rows)
    assert parsed.rows_read == len(parsed.records) + len(parsed.issues)
    rows_seen = sorted([*parsed.records["row"].tolist(), *(issue.row for issue in parsed.issues)])
    assert rows_seen == list(range(2, len(rows) + 2))
    assert parsed.records["score"].between(0, 10).all()
    for issue in parsed.issues:
        assert issue.outcome in {"skipped", "excluded", "rejected"}
