"""Every date form: ISO with and without offsets, US, day-first, Google Forms, epoch, Excel serials."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npscli.core.errors import ColumnError, UsageError
from npscli.io.exports import ReadOptions, read_export

EXPORTS = Path(__file__).resolve().parents[2] / "data" / "exports"
NEW_YORK = ReadOptions(timezone="America/New_York")


def times(name: str, options: ReadOptions = NEW_YORK) -> list[pd.Timestamp]:
    parsed = read_export(EXPORTS / name, options)
    assert parsed.issues == []
    return parsed.records["submitted_at"].tolist()


def test_iso_with_and_without_offsets():
    assert times("plain_iso_offsets.csv") == [
        pd.Timestamp("2025-07-01 15:13:44"),  # naive: New York wall clock (EDT)
        pd.Timestamp("2025-07-01 11:13:44"),  # Z
        pd.Timestamp("2025-07-01 11:13:44"),  # +02:00
        pd.Timestamp("2025-07-01 15:13:44.250"),  # -04:00 with a fraction
        pd.Timestamp("2025-07-01 04:00:00"),  # a date alone is local midnight
    ]


def test_us_dates_twelve_and_twenty_four_hour():
    assert times("plain_us_dates.csv") == [
        pd.Timestamp("2025-11-25 20:04:05"),  # 3:04:05 PM EST
        pd.Timestamp("2025-11-25 20:04:00"),  # 15:04
        pd.Timestamp("2025-01-05 05:00:00"),  # 12:00:00 AM is midnight
        pd.Timestamp("2025-01-05 17:30:00"),  # 12:30 PM is after noon
        pd.Timestamp("2025-12-01 05:00:00"),
    ]


def test_day_first_is_inferred_from_a_first_field_above_twelve():
    assert times("plain_dayfirst.csv") == [
        pd.Timestamp("2025-11-25 19:03:00"),
        pd.Timestamp("2025-11-03 14:00:00"),  # 03/11/2025 is 3 November
        pd.Timestamp("2025-10-04 14:00:00"),  # 04.10.2025
    ]


def test_ambiguous_dates_use_the_flag_then_the_default():
    assert times("plain_ambiguous_dates.csv")[0] == pd.Timestamp("2025-03-11 13:00:00")  # month-first default
    dayfirst = ReadOptions(timezone="America/New_York", default_dayfirst=True)
    # 3 November is after the end of US summer time: 09:00 EST is 14:00 UTC.
    assert times("plain_ambiguous_dates.csv", dayfirst)[0] == pd.Timestamp("2025-11-03 14:00:00")
    flag = ReadOptions(timezone="America/New_York", dayfirst=True, default_dayfirst=False)
    assert times("plain_ambiguous_dates.csv", flag)[0] == pd.Timestamp("2025-11-03 14:00:00")
    monthfirst = ReadOptions(timezone="America/New_York", dayfirst=False, default_dayfirst=True)
    assert times("plain_ambiguous_dates.csv", monthfirst)[0] == pd.Timestamp("2025-03-11 13:00:00")


def test_mixed_day_first_and_month_first_is_an_error():
    with pytest.raises(ColumnError) as raised:
        read_export(EXPORTS / "plain_mixed_date_order.csv")
    assert "plain_mixed_date_order.csv: column 'Date' mixes day-first and month-first dates" in str(raised.value)
    assert raised.value.hint


def test_explicit_order_contradicted_by_the_file_is_an_error():
    with pytest.raises(ColumnError, match="day-first dates .* but month-first was requested"):
        read_export(EXPORTS / "plain_dayfirst.csv", ReadOptions(dayfirst=False))
    with pytest.raises(ColumnError, match="month-first dates .* but day-first was requested"):
        read_export(EXPORTS / "plain_us_dates.csv", ReadOptions(dayfirst=True))


def test_epoch_seconds_milliseconds_excel_serial_and_compact_dates():
    assert times("plain_epoch.csv") == [
        pd.Timestamp("2025-07-01 11:13:44"),  # 1751368424 is UTC
        pd.Timestamp("2025-07-01 11:13:44"),  # milliseconds
        pd.Timestamp("2025-07-01 16:00:00"),  # Excel serial 45839.5 = noon, New York
        pd.Timestamp("2025-07-01 04:00:00"),  # 20250701
    ]


def test_workbook_datetimes_and_serial_numbers():
    parsed = read_export(EXPORTS / "plain_typed.xlsx", NEW_YORK)
    assert parsed.records["submitted_at"].tolist() == [
        pd.Timestamp("2025-07-01 15:13:44"),
        pd.Timestamp("2025-07-02 12:00:00"),
        pd.Timestamp("2025-07-01 16:00:00"),  # a general-format cell holding 45839.5
    ]


def test_local_date_is_in_the_clinic_time_zone():
    options = ReadOptions(timezone="Asia/Tokyo")
    parsed = read_export(EXPORTS / "plain_iso_offsets.csv", options)
    # 2025-07-01T11:13:44Z is 20:13:44 in Tokyo, still 1 July; the naive 11:13:44 is Tokyo time.
    assert parsed.records["submitted_at"].tolist()[0] == pd.Timestamp("2025-07-01 02:13:44")
    assert parsed.records["local_date"].tolist()[:3] == ["2025-07-01", "2025-07-01", "2025-07-01"]
    late = read_export(EXPORTS / "plain_us_dates.csv", ReadOptions(timezone="Pacific/Auckland"))
    # 12:00:00 AM on 5 January in Auckland is 4 January in UTC, but the local date stays the 5th.
    assert late.records["submitted_at"].tolist()[2] == pd.Timestamp("2025-01-04 11:00:00")
    assert late.records["local_date"].tolist()[2] == "2025-01-05"


def test_unknown_time_zone_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown timezone 'Mars/Olympus'"):
        read_export(EXPORTS / "plain_iso_offsets.csv", ReadOptions(timezone="Mars/Olympus"))


def test_no_date_column_is_a_column_error():
    with pytest.raises(ColumnError) as raised:
        read_export(EXPORTS / "no_date.csv")
    assert "no_date.csv: no date/time column found" in str(raised.value)
    assert "(columns: Score, Comment)" in str(raised.value)
    assert "--date WHEN" in raised.value.hint and "--map submitted_at=COLUMN" in raised.value.hint


def test_date_override_reads_another_column():
    parsed = read_export(EXPORTS / "typeform.csv", ReadOptions(overrides={"submitted_at": "Start Date (UTC)"}))
    assert parsed.mapping["submitted_at"] == "Start Date (UTC)"
    assert parsed.records["submitted_at"].tolist()[0] == pd.Timestamp("2025-07-01 11:10:00")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2025-07-01 11:13:44", "2025-07-01 11:13:44"),
        ("2025-07-01T11:13:44Z", "2025-07-01 11:13:44"),
        ("2025-07-01T13:13:44+02:00", "2025-07-01 11:13:44"),
        ("2025-07-01 11:13:44 -0700", "2025-07-01 18:13:44"),
        ("11/25/2025 3:04:05 PM", "2025-11-25 15:04:05"),
        ("11/25/2025 15:04", "2025-11-25 15:04:00"),
        ("11/25/25 3:04 pm", "2025-11-25 15:04:00"),
        ("2022/06/22 11:07:29 AM GMT-3", "2022-06-22 14:07:29"),
        ("2022/06/22 11:07:29 PM GMT+5:30", "2022-06-22 17:37:29"),
        ("2022/06/22 11:07:29 AM GMT", "2022-06-22 11:07:29"),
        ("1751368424", "2025-07-01 11:13:44"),
        ("1751368424000", "2025-07-01 11:13:44"),
        ("45839.5", "2025-07-01 12:00:00"),
        ("Jul 1, 2025 11:13 AM", "2025-07-01 11:13:00"),
        ("1 July 2025", "2025-07-01 00:00:00"),
    ],
)
def test_single_cells_in_utc(tmp_path: Path, cell: str, expected: str):
    path = tmp_path / "one.csv"
    path.write_text(f'Date,Score\n"{cell}",9\n', encoding="utf-8")
    parsed = read_export(path, ReadOptions(timezone="UTC"))
    assert parsed.issues == []
    assert parsed.records["submitted_at"].tolist() == [pd.Timestamp(expected)]


@pytest.mark.parametrize("cell", ["31/02/2025 10:00", "2025-13-45", "yesterday", "May", "12", "02/30/2025"])
def test_impossible_dates_are_rejected_not_guessed(tmp_path: Path, cell: str):
    path = tmp_path / "bad.csv"
    path.write_text(f"Date,Score\n2025-07-01,9\n{cell},9\n", encoding="utf-8")
    parsed = read_export(path)
    assert [(issue.row, issue.reason) for issue in parsed.issues] == [(3, "submitted_at could not be parsed as a date")]


OUT_OF_RANGE = "submitted_at is out of range (before 1970-01-01 or after 2199-12-31)"


@pytest.mark.parametrize(
    "cell",
    [
        "9999-12-31T23:59:59",
        "3000-01-01",
        "0001-01-01",
        "1000-01-01",
        "99999999999999",
        "1900-01-01",
        "1969-12-31",
        "1969-12-31T23:59:59Z",
        "2200-01-01",
        "12/31/1969",
        "31/12/1000 10:00",
        "1000/01/01",
        "Jan 1, 1000",
        "1/1/3000 10:00 AM GMT-3",
        # a zone that takes year 1 or 9999 past the calendar's ends, and four-digit years below 100 (never 2001)
        "Dec 31, 9999 23:00 -05:00",
        "Jan 1, 0001 00:00 +05:00",
        "01/01/0001 00:00 +05:00",
        "0001/01/01 12:00:00 AM GMT+5",
        "9999-12-31 23:30 -05:00",
    ],
)
def test_a_date_outside_1970_to_2199_rejects_its_row_not_the_file(tmp_path: Path, cell: str):
    path = tmp_path / "far.csv"
    path.write_text(f'Date,Score\n2025-07-01,9\n"{cell}",9\n2025-07-02,7\n', encoding="utf-8")
    parsed = read_export(path, ReadOptions(timezone="America/New_York"))
    assert [(issue.row, issue.reason) for issue in parsed.issues] == [(3, OUT_OF_RANGE)]
    assert len(parsed.records) == 2


def test_the_edges_of_the_accepted_range_are_accepted(tmp_path: Path):
    path = tmp_path / "edges.csv"
    path.write_text("Date,Score\n1970-01-01T00:00:00Z,9\n2199-12-31T23:59:59Z,9\n", encoding="utf-8")
    parsed = read_export(path, ReadOptions(timezone="UTC"))
    assert parsed.issues == []
    assert parsed.records["submitted_at"].tolist() == [
        pd.Timestamp("1970-01-01"),
        pd.Timestamp("2199-12-31 23:59:59"),
    ]


def test_workbook_datetimes_with_a_zone_are_instants_and_past_the_calendar_out_of_range():
    """Typed datetimes with a time zone: an instant (not a wall-clock time in the clinic's zone), and year 1 or
    9999 shifted past the calendar's ends out of range, not an overflow."""
    from datetime import UTC, datetime, timedelta, timezone

    from npscli.io.dates import parse_datetimes

    plus5, minus5 = timezone(timedelta(hours=5)), timezone(timedelta(hours=-5))
    cells = pd.Series(
        [
            datetime(1, 1, 1, tzinfo=plus5),
            datetime(9999, 12, 31, 23, tzinfo=minus5),
            datetime(2025, 7, 1, 12, 0, tzinfo=UTC),
            datetime(2025, 7, 1, 12, 0),  # naive: New York wall-clock time
        ],
        dtype=object,
    )
    parsed = parse_datetimes(cells, timezone="America/New_York", dayfirst=None, default_dayfirst=False, where="w")
    assert parsed.out_of_range.tolist() == [True, True, False, False]
    assert parsed.utc.tolist()[2:] == [pd.Timestamp("2025-07-01 12:00"), pd.Timestamp("2025-07-01 16:00")]


# The vectorised zone test against the regex it replaces (the ISO route splits zoned values from naive ones).
_ZONE_ALPHABET = "0123456789+-:Z\nzT .\u0663\u00e9\x00"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=_ZONE_ALPHABET, max_size=12), max_size=60))
def test_ends_in_zone_is_the_regex(values):
    from npscli.io.dates import _ENDS_IN_ZONE, ends_in_zone

    got = ends_in_zone(np.array(values, dtype=object))
    assert got.tolist() == [_ENDS_IN_ZONE.match(value) is not None for value in values]


@pytest.mark.parametrize(
    ("value", "zoned"),
    [
        ("2024-11-16T06:00:27-06:00", True),
        ("2024-11-16T06:00:27+0530", True),
        ("2024-11-16T06:00:27Z", True),
        ("2024-11-16T06:00:27Z\n", True),
        ("2024-11-16 06:00:27 +02", True),
        ("2024-11-16T06:00:27", False),
        ("2024-11-16T06:00:27z", False),
        ("2024-11-16T06:00:27+05:3", False),
        ("2024-11-16T06:00:27Z\n\n", False),
        ("2024-11-16T06:00:27+\u0665\u0660:00", True),  # Arabic-Indic digits: \d matches them, so the regex path
    ],
)
def test_ends_in_zone_examples(value, zoned):
    from npscli.io.dates import ends_in_zone

    assert ends_in_zone(np.array([value, "x"], dtype=object)).tolist() == [zoned, False]


# A text file's column skips the search for typed workbook cells (io.cells.all_text): it must read every text
# cell as the typed path does. The same cells with one typed cell appended take the typed path.
_TYPED_OR_NOT = st.one_of(
    st.text(alphabet="09/-: aT", max_size=6),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=False),
    st.integers(min_value=-5, max_value=2_000_000_000),
    st.booleans(),
    st.datetimes(),
)
_DATE_TEXTS = st.sampled_from(
    [
        "2024-11-16T09:51:34-06:00",
        "2025-03-04 10:00",
        "03/04/2025",
        "25/04/2025 4:05 PM",
        "2025/06/22 11:07:29 AM GMT-3",
        "",
        "  ",
        "not a date",
        "1700000000",
        "45000",
        "20250304",
        "31/02/2025",
    ]
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_TYPED_OR_NOT, max_size=30))
def test_all_text_is_true_exactly_for_a_column_of_strings(cells):
    from npscli.io.cells import all_text

    assert all_text(pd.Series(cells, dtype=object)) == (bool(cells) and all(isinstance(c, str) for c in cells))


@settings(max_examples=80, deadline=None)
@given(st.lists(_DATE_TEXTS, min_size=1, max_size=30), st.booleans())
def test_a_text_column_reads_as_the_same_cells_beside_a_typed_one(texts, dayfirst_default):
    from datetime import datetime

    from npscli.io.dates import parse_datetimes

    def parse(values):
        try:
            parsed = parse_datetimes(
                pd.Series(values, dtype=object),
                timezone="America/Chicago",
                dayfirst=None,
                default_dayfirst=dayfirst_default,
                where="f.csv: column 'Created at'",
            )
        except ColumnError as error:
            return str(error)
        n = len(texts)
        return (
            parsed.utc[:n].tolist(),
            parsed.blank[:n].tolist(),
            parsed.dayfirst,
            None if parsed.out_of_range is None else parsed.out_of_range[:n].tolist(),
        )

    assert parse(texts) == parse([*texts, datetime(2025, 1, 2, 3, 4)])
