"""Tests for npscli.core.periods: period keys, ISO week edges, --since/--until/--as-of, DST, windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npscli.core.errors import UsageError
from npscli.core.periods import (
    PERIODS,
    last_complete_week,
    parse_duration,
    parse_since,
    parse_until,
    parse_window,
    period_bounds,
    period_key,
    previous_period,
    previous_window,
    resolve_now,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
# A Wednesday afternoon in November (CET, +01:00); this week is 2025-W47 (Mon 17 - Sun 23).
NOW = datetime(2025, 11, 19, 15, 30, tzinfo=BERLIN)


def local(zone, *args):
    return datetime(*args, tzinfo=zone)


def elapsed(later: datetime, earlier: datetime) -> timedelta:
    """Real time between two instants (``-`` on datetimes sharing a tzinfo gives wall-clock time)."""
    return later.astimezone(UTC) - earlier.astimezone(UTC)


def offset_hours(moment: datetime) -> float:
    return moment.utcoffset().total_seconds() / 3600


# ------------------------------------------------------------------------------------------------
# Period keys
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "period", "key"),
    [
        (date(2025, 9, 17), "week", "2025-W38"),
        (date(2024, 12, 30), "week", "2025-W01"),  # Monday of ISO week 1 of 2025
        (date(2021, 1, 1), "week", "2020-W53"),  # Jan 1 in the previous ISO year's W53
        (date(2027, 1, 1), "week", "2026-W53"),
        (date(2023, 1, 1), "week", "2022-W52"),
        (date(2026, 1, 1), "week", "2026-W01"),
        (date(2025, 9, 17), "month", "2025-09"),
        (date(2025, 12, 31), "month", "2025-12"),
        (date(2025, 9, 30), "quarter", "2025-Q3"),
        (date(2025, 10, 1), "quarter", "2025-Q4"),
        (date(2025, 1, 1), "quarter", "2025-Q1"),
        (date(2024, 12, 30), "year", "2024"),  # calendar year, not ISO year
        (date(987, 6, 5), "year", "0987"),
    ],
)
def test_period_key(day, period, key):
    assert period_key(day, period) == key


def test_period_key_uses_a_datetimes_own_date():
    assert period_key(datetime(2024, 12, 30, 23, 59, tzinfo=NEW_YORK), "week") == "2025-W01"


def test_period_key_unknown_period():
    with pytest.raises(UsageError) as info:
        period_key(date(2025, 1, 1), "fortnight")
    assert "fortnight" in str(info.value)
    assert "quarter" in info.value.hint


@pytest.mark.parametrize(
    ("key", "bounds"),
    [
        ("2025-W38", (date(2025, 9, 15), date(2025, 9, 22))),
        ("2025-W01", (date(2024, 12, 30), date(2025, 1, 6))),
        ("2020-W53", (date(2020, 12, 28), date(2021, 1, 4))),
        ("2026-W53", (date(2026, 12, 28), date(2027, 1, 4))),
        ("2025-09", (date(2025, 9, 1), date(2025, 10, 1))),
        ("2025-12", (date(2025, 12, 1), date(2026, 1, 1))),
        ("2024-02", (date(2024, 2, 1), date(2024, 3, 1))),
        ("2025-Q3", (date(2025, 7, 1), date(2025, 10, 1))),
        ("2025-Q4", (date(2025, 10, 1), date(2026, 1, 1))),
        ("2025-Q1", (date(2025, 1, 1), date(2025, 4, 1))),
        ("2025", (date(2025, 1, 1), date(2026, 1, 1))),
        (" 2025-w38 ", (date(2025, 9, 15), date(2025, 9, 22))),  # lenient on case and spaces
        ("2025-q3", (date(2025, 7, 1), date(2025, 10, 1))),
    ],
)
def test_period_bounds(key, bounds):
    assert period_bounds(key) == bounds


@pytest.mark.parametrize(
    "key",
    [
        "2025-W53",
        "2025-W00",
        "2025-W54",
        "2025-13",
        "2025-00",
        "2025-Q0",
        "2025-Q5",
        "25-09",
        "2025-9",
        "2025/09",
        "2025-W3",
        "garbage",
        "",
        "0000",
        "9999",
    ],
)
def test_period_bounds_rejects_bad_keys(key):
    with pytest.raises(UsageError) as info:
        period_bounds(key)
    assert repr(key) in str(info.value)
    assert "2025-W38" in info.value.hint


@pytest.mark.parametrize(
    ("key", "previous"),
    [
        ("2025-W01", "2024-W52"),
        ("2021-W01", "2020-W53"),  # 2020 has 53 ISO weeks
        ("2027-W01", "2026-W53"),
        ("2016-W01", "2015-W53"),
        ("2025-W38", "2025-W37"),
        ("2025-01", "2024-12"),
        ("2025-03", "2025-02"),
        ("2025-Q1", "2024-Q4"),
        ("2025-Q3", "2025-Q2"),
        ("2025", "2024"),
        ("2025-w01", "2024-W52"),
    ],
)
def test_previous_period(key, previous):
    assert previous_period(key) == previous


def test_previous_period_before_year_one():
    with pytest.raises(UsageError):
        previous_period("0001")


@settings(max_examples=300)
@given(st.dates(min_value=date(2, 1, 1), max_value=date(9998, 12, 31)), st.sampled_from(PERIODS))
def test_period_bounds_contain_the_day_and_previous_is_adjacent(day, period):
    key = period_key(day, period)
    start, end = period_bounds(key)
    assert start <= day < end
    assert period_key(start, period) == key
    assert period_key(end - timedelta(days=1), period) == key
    assert period_key(end, period) != key
    previous = previous_period(key)
    assert period_bounds(previous)[1] == start
    assert period_bounds(previous)[0] < start


# ------------------------------------------------------------------------------------------------
# resolve_now
# ------------------------------------------------------------------------------------------------


def test_resolve_now_bare_date_is_start_of_that_local_day():
    moment = resolve_now("2025-11-24", "Europe/Berlin")
    assert moment == local(BERLIN, 2025, 11, 24)
    assert moment.tzinfo == BERLIN


def test_resolve_now_naive_datetime_is_local():
    assert resolve_now("2025-11-24T09:15", "America/New_York") == local(NEW_YORK, 2025, 11, 24, 9, 15)
    assert offset_hours(resolve_now("2025-11-24T09:15", "America/New_York")) == -5


def test_resolve_now_aware_datetime_is_converted():
    moment = resolve_now("2025-11-24T09:15Z", "America/New_York")
    assert moment == datetime(2025, 11, 24, 9, 15, tzinfo=UTC)
    assert (moment.hour, moment.tzinfo) == (4, NEW_YORK)


def test_resolve_now_none_or_empty_reads_the_clock():
    before = datetime.now(UTC)
    for value in (None, "", "  "):
        moment = resolve_now(value, "Asia/Tokyo")
        assert moment.tzinfo == ZoneInfo("Asia/Tokyo")
        assert before - timedelta(seconds=5) <= moment <= datetime.now(UTC) + timedelta(seconds=5)


def test_resolve_now_dst_gap_and_overlap():
    # 02:30 does not exist on 2025-03-09 in New York: moved forward by the gap, to 03:30 EDT.
    gap = resolve_now("2025-03-09T02:30", "America/New_York")
    assert (gap.hour, gap.minute, offset_hours(gap)) == (3, 30, -4)
    # 01:30 happens twice on 2025-11-02: the first one (EDT) is taken.
    overlap = resolve_now("2025-11-02T01:30", "America/New_York")
    assert (overlap.hour, offset_hours(overlap)) == (1, -4)


@pytest.mark.parametrize("value", ["yesterday", "24/11/2025", "20251124", "2025-02-30", "now"])
def test_resolve_now_rejects_garbage(value):
    with pytest.raises(UsageError) as info:
        resolve_now(value, "Europe/Berlin")
    assert repr(value) in str(info.value)
    assert info.value.hint


def test_resolve_now_unknown_zone():
    with pytest.raises(UsageError) as info:
        resolve_now("2025-11-24", "Mars/Olympus_Mons")
    assert "Mars/Olympus_Mons" in str(info.value)


# ------------------------------------------------------------------------------------------------
# --since
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", local(BERLIN, 2025, 11, 12, 15, 30)),
        ("2w", local(BERLIN, 2025, 11, 5, 15, 30)),
        ("24h", local(BERLIN, 2025, 11, 18, 15, 30)),
        ("3m", local(BERLIN, 2025, 8, 19, 15, 30)),
        ("1y", local(BERLIN, 2024, 11, 19, 15, 30)),
        (" 7D ", local(BERLIN, 2025, 11, 12, 15, 30)),
        ("today", local(BERLIN, 2025, 11, 19)),
        ("yesterday", local(BERLIN, 2025, 11, 18)),
        ("this-week", local(BERLIN, 2025, 11, 17)),
        ("last-week", local(BERLIN, 2025, 11, 10)),
        ("this-month", local(BERLIN, 2025, 11, 1)),
        ("last-month", local(BERLIN, 2025, 10, 1)),  # CEST (+02:00) on that day
        ("Last-Week", local(BERLIN, 2025, 11, 10)),
        ("2025-11-01", local(BERLIN, 2025, 11, 1)),
        ("2025-11-01T08:30", local(BERLIN, 2025, 11, 1, 8, 30)),
        ("2025-11-01 08:30:15", local(BERLIN, 2025, 11, 1, 8, 30, 15)),
        ("2025-11-01T08:30+00:00", local(BERLIN, 2025, 11, 1, 9, 30)),
    ],
)
def test_parse_since_forms(text, expected):
    result = parse_since(text, NOW)
    assert result == expected
    assert result.utcoffset() == expected.utcoffset()
    assert result.tzinfo == BERLIN


def test_parse_since_last_month_offset_is_the_summer_one():
    assert offset_hours(parse_since("last-month", NOW)) == 2


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        (datetime(2025, 5, 31, 10), "3m", datetime(2025, 2, 28, 10)),  # clamped to month end
        (datetime(2024, 5, 31, 10), "3m", datetime(2024, 2, 29, 10)),  # leap year
        (datetime(2025, 3, 31, 10), "1m", datetime(2025, 2, 28, 10)),
        (datetime(2025, 1, 15, 10), "1m", datetime(2024, 12, 15, 10)),  # year rollover
        (datetime(2025, 2, 10, 10), "14m", datetime(2023, 12, 10, 10)),
        (datetime(2024, 2, 29, 10), "1y", datetime(2023, 2, 28, 10)),
        (datetime(2025, 1, 8, 10), "last-week", datetime(2024, 12, 30)),  # across the year
        (datetime(2025, 1, 8, 10), "last-month", datetime(2024, 12, 1)),
        (datetime(2025, 1, 1, 10), "yesterday", datetime(2024, 12, 31)),
        (datetime(2025, 11, 17, 0, 0), "this-week", datetime(2025, 11, 17)),  # Monday midnight
        (datetime(2025, 11, 23, 23, 59), "this-week", datetime(2025, 11, 17)),  # Sunday night
    ],
)
def test_parse_since_calendar_rollovers(now, text, expected):
    assert parse_since(text, now.replace(tzinfo=BERLIN)) == expected.replace(tzinfo=BERLIN)


def test_parse_since_across_fall_back_new_york():
    # Clocks go back 02:00 EDT -> 01:00 EST on Sunday 2025-11-02.
    now = local(NEW_YORK, 2025, 11, 5, 12)  # EST
    seven_days = parse_since("7d", now)
    assert seven_days == local(NEW_YORK, 2025, 10, 29, 12)
    assert (seven_days.hour, offset_hours(seven_days)) == (12, -4)  # same wall time, EDT
    assert elapsed(now, seven_days) == timedelta(hours=169)  # 7 calendar days, 169 real hours
    hours = parse_since("168h", now)
    assert elapsed(now, hours) == timedelta(hours=168)
    assert (hours.day, hours.hour, offset_hours(hours)) == (29, 13, -4)

    sunday = local(NEW_YORK, 2025, 11, 2, 10)
    assert parse_since("today", sunday) == local(NEW_YORK, 2025, 11, 2)
    assert offset_hours(parse_since("today", sunday)) == -4
    assert elapsed(parse_until("today", sunday), parse_since("today", sunday)) == timedelta(hours=25)
    assert elapsed(sunday, parse_since("1d", sunday)) == timedelta(hours=25)
    assert elapsed(sunday, parse_since("24h", sunday)) == timedelta(hours=24)
    assert parse_since("24h", sunday).hour == 11


def test_parse_since_across_spring_forward_new_york():
    now = local(NEW_YORK, 2025, 3, 10, 2, 30)  # EDT; 02:30 on the 9th did not exist
    one_day = parse_since("1d", now)
    assert (one_day.day, one_day.hour, one_day.minute, offset_hours(one_day)) == (9, 3, 30, -4)
    week = parse_since("7d", local(NEW_YORK, 2025, 3, 12, 9))
    assert week == local(NEW_YORK, 2025, 3, 5, 9)
    assert offset_hours(week) == -5


@pytest.mark.parametrize(
    "text",
    [
        "7x",
        "7",
        "d",
        "7 days",
        "-7d",
        "+7d",
        "90min",
        "1.5d",
        "garbage",
        "",
        "last week",
        "2025-02-30",
        "2025-13-01",
        "11/01/2025",
        "20251101",
        "99999999999d",
        "999999y",
    ],
)
def test_parse_since_rejects(text):
    with pytest.raises(UsageError) as info:
        parse_since(text, NOW)
    assert repr(text) in str(info.value)
    assert "--since" in str(info.value)
    for form in ("7d", "last-week", "2025-11-01"):
        assert form in info.value.hint


def test_parse_since_requires_an_aware_now():
    with pytest.raises(ValueError):
        parse_since("7d", datetime(2025, 11, 19, 12))


zones = st.sampled_from(["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC", "America/Santiago"])
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1))


@settings(max_examples=200)
@given(moments, zones, st.integers(0, 1000), st.sampled_from("hdwmy"))
def test_parse_since_relative_is_in_the_past(naive_now, zone_name, count, unit):
    zone = ZoneInfo(zone_name)
    now = naive_now.replace(tzinfo=zone)
    start = parse_since(f"{count}{unit}", now)
    assert start <= now
    assert start.tzinfo == zone
    if unit == "h":
        assert elapsed(now, start) == timedelta(hours=count)
    if unit == "d":
        # Calendar days: the local date moves back exactly count days.
        assert now.date() - start.date() in (timedelta(days=count), timedelta(days=count - 1))


@settings(max_examples=200)
@given(moments, zones, st.sampled_from(["today", "yesterday", "this-week", "last-week", "this-month", "last-month"]))
def test_named_periods_since_before_until(naive_now, zone_name, name):
    now = naive_now.replace(tzinfo=ZoneInfo(zone_name))
    start, end = parse_since(name, now), parse_until(name, now)
    assert start < end
    if name.startswith("this") or name == "today":
        assert start <= now < end
    else:
        assert end <= now


# ------------------------------------------------------------------------------------------------
# --until
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-11-18", local(BERLIN, 2025, 11, 19)),  # the whole of the 18th
        ("today", local(BERLIN, 2025, 11, 20)),
        ("yesterday", local(BERLIN, 2025, 11, 19)),
        ("this-week", local(BERLIN, 2025, 11, 24)),
        ("last-week", local(BERLIN, 2025, 11, 17)),  # Monday 00:00 of this ISO week
        ("this-month", local(BERLIN, 2025, 12, 1)),
        ("last-month", local(BERLIN, 2025, 11, 1)),
        ("7d", local(BERLIN, 2025, 11, 12, 15, 30)),
        ("36h", local(BERLIN, 2025, 11, 18, 3, 30)),
        ("2025-11-18T12:00", local(BERLIN, 2025, 11, 18, 12)),
    ],
)
def test_parse_until_forms(text, expected):
    assert parse_until(text, NOW) == expected


def test_parse_until_month_rollovers():
    december = local(BERLIN, 2025, 12, 15, 9)
    assert parse_until("this-month", december) == local(BERLIN, 2026, 1, 1)
    january = local(BERLIN, 2026, 1, 10, 9)
    assert parse_since("last-month", january) == local(BERLIN, 2025, 12, 1)
    assert parse_until("last-month", january) == local(BERLIN, 2026, 1, 1)
    assert parse_until("2025-12-31", january) == local(BERLIN, 2026, 1, 1)


def test_parse_until_rejects():
    with pytest.raises(UsageError) as info:
        parse_until("soon", NOW)
    assert "--until" in str(info.value) and "'soon'" in str(info.value)


# ------------------------------------------------------------------------------------------------
# Windows
# ------------------------------------------------------------------------------------------------


def test_parse_window_defaults():
    assert parse_window(None, None, NOW) == (None, NOW)
    assert parse_window("7d", None, NOW) == (local(BERLIN, 2025, 11, 12, 15, 30), NOW)
    assert parse_window("yesterday", None, NOW) == (local(BERLIN, 2025, 11, 18), NOW)  # up to now
    assert parse_window(None, "last-week", NOW) == (None, local(BERLIN, 2025, 11, 17))


def test_parse_window_last_week_and_last_month_alone_mean_the_whole_period():
    assert parse_window("last-week", None, NOW) == (local(BERLIN, 2025, 11, 10), local(BERLIN, 2025, 11, 17))
    assert parse_window(" LAST-MONTH ", None, NOW) == (local(BERLIN, 2025, 10, 1), local(BERLIN, 2025, 11, 1))
    # An explicit --until wins.
    assert parse_window("last-week", "today", NOW) == (local(BERLIN, 2025, 11, 10), local(BERLIN, 2025, 11, 20))


def test_parse_window_dates_are_inclusive():
    assert parse_window("2025-11-01", "2025-11-15", NOW) == (local(BERLIN, 2025, 11, 1), local(BERLIN, 2025, 11, 16))
    assert parse_window("2025-11-15", "2025-11-15", NOW) == (local(BERLIN, 2025, 11, 15), local(BERLIN, 2025, 11, 16))


@pytest.mark.parametrize(
    ("since", "until"),
    [
        ("2025-11-15", "2025-11-01"),
        ("2025-11-01T10:00", "2025-11-01T10:00"),
        ("2025-12-01", None),
        ("this-week", "last-week"),
        ("0d", None),
    ],
)
def test_parse_window_empty_is_a_usage_error(since, until):
    with pytest.raises(UsageError) as info:
        parse_window(since, until, NOW)
    assert repr(since) in str(info.value)
    assert info.value.hint


def test_parse_window_errors_from_either_side():
    with pytest.raises(UsageError):
        parse_window("7x", None, NOW)
    with pytest.raises(UsageError):
        parse_window(None, "whenever", NOW)


@settings(max_examples=100)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 1, 1)), st.integers(0, 400), zones)
def test_parse_window_date_ranges(first, days, zone_name):
    zone = ZoneInfo(zone_name)
    last = first + timedelta(days=days)
    start, end = parse_window(first.isoformat(), last.isoformat(), datetime(2041, 1, 1, tzinfo=zone))
    assert start.date() == first
    assert end.date() == last + timedelta(days=1)
    assert start < end


@pytest.mark.parametrize(
    ("now", "key"),
    [
        (local(BERLIN, 2025, 11, 19, 15, 30), "2025-W46"),  # Wednesday
        (local(BERLIN, 2025, 11, 17, 0, 0), "2025-W46"),  # Monday: last week has just ended
        (local(BERLIN, 2025, 11, 16, 23, 59), "2025-W45"),  # Sunday: this week is not over
        (local(BERLIN, 2025, 1, 2, 9), "2024-W52"),  # 2025-W01 began on 2024-12-30
        (local(BERLIN, 2021, 1, 5, 9), "2020-W53"),
        (local(BERLIN, 2025, 1, 6, 9), "2025-W01"),
    ],
)
def test_last_complete_week(now, key):
    assert last_complete_week(now) == key


def test_last_complete_week_uses_the_local_date():
    # 2025-11-17 03:00 UTC is still Sunday evening in New York.
    assert last_complete_week(datetime(2025, 11, 17, 3, tzinfo=UTC).astimezone(NEW_YORK)) == "2025-W45"
    assert last_complete_week(datetime(2025, 11, 17, 3, tzinfo=UTC)) == "2025-W46"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48h", timedelta(hours=48)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(days=14)),
        (" 1D ", timedelta(days=1)),
        ("1h", timedelta(hours=1)),
    ],
)
def test_parse_duration(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["0d", "3m", "1y", "7", "h", "", "1.5h", "-2d", "2 d", "90min", "99999999999w"])
def test_parse_duration_rejects(text):
    with pytest.raises(UsageError) as info:
        parse_duration(text)
    assert repr(text) in str(info.value)
    assert "48h" in info.value.hint


def test_previous_window_plain():
    start, end = local(BERLIN, 2025, 11, 10), local(BERLIN, 2025, 11, 17)
    assert previous_window(start, end) == (local(BERLIN, 2025, 11, 3), start)


def test_previous_window_naive():
    start, end = datetime(2025, 11, 10, 6), datetime(2025, 11, 12, 18)
    assert previous_window(start, end) == (datetime(2025, 11, 7, 18), start)


def test_previous_window_whole_days_across_dst_are_calendar_days():
    # The week after the fall-back (Mon 3 - Mon 10 November, EST) -> the week before it, which
    # contains the 25-hour Sunday: still Monday to Monday.
    start, end = local(NEW_YORK, 2025, 11, 3), local(NEW_YORK, 2025, 11, 10)
    previous_start, previous_end = previous_window(start, end)
    assert previous_start == local(NEW_YORK, 2025, 10, 27)
    assert previous_end == start
    assert elapsed(previous_end, previous_start) == timedelta(hours=169)


def test_previous_window_hours_are_elapsed_time():
    end = local(NEW_YORK, 2025, 11, 2, 12)  # EST
    start = parse_since("24h", end)  # 2025-11-01 13:00 EDT, 23 wall hours earlier
    previous_start, previous_end = previous_window(start, end)
    assert previous_end == start
    assert elapsed(start, previous_start) == timedelta(hours=24)


def test_previous_window_rejects_empty():
    with pytest.raises(ValueError):
        previous_window(NOW, NOW)


@settings(max_examples=100)
@given(moments, zones, st.integers(1, 60))
def test_previous_window_of_day_windows_is_adjacent_and_same_calendar_length(naive_now, zone_name, days):
    now = naive_now.replace(tzinfo=ZoneInfo(zone_name))
    start, end = parse_window(f"{days}d", None, now)
    previous_start, previous_end = previous_window(start, end)
    assert previous_end == start
    assert previous_start < start
    assert start.date() - previous_start.date() in (timedelta(days=days), timedelta(days=days - 1))


@pytest.mark.parametrize(
    "first,last,shown",
    [
        (date(2026, 11, 9), date(2026, 11, 15), "9-15 Nov 2026"),
        (date(2025, 10, 27), date(2025, 11, 2), "27 Oct-2 Nov 2025"),
        (date(2025, 12, 29), date(2026, 1, 4), "29 Dec 2025-4 Jan 2026"),
        (date(2026, 11, 9), date(2026, 11, 9), "9 Nov 2026"),
    ],
)
def test_day_span_reads_as_people_write_it(first, last, shown):
    from npscli.core.periods import day_span

    assert day_span(first, last) == shown


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(min_value=1, max_value=400))
def test_a_window_of_whole_days_is_titled_by_its_first_and_last_day(first, days):
    """Local midnights (across DST changes too) to the exclusive midnight after the last day: never '00:00'."""
    from npscli.core.periods import _midnight, day_span, period_is_partial, window_label

    zone = ZoneInfo("America/Chicago")
    last = first + timedelta(days=days - 1)
    start, end = _midnight(first, zone), _midnight(last + timedelta(days=1), zone)
    assert window_label(start, end) == day_span(first, last) and "00:00" not in window_label(start, end)
    week = period_key(first, "week")
    monday = date.fromisocalendar(*first.isocalendar()[:2], 1)
    assert period_is_partial(week, start, end) == (first != monday or last < monday + timedelta(days=6))
