"""Calendar periods and time windows: period keys, ``--since`` / ``--until`` / ``--as-of`` parsing.

Two families live here:

* **Period keys** name whole calendar periods: ``"2025-W38"`` (ISO week, ISO year), ``"2025-09"``,
  ``"2025-Q3"``, ``"2025"``. They are dates only, with no time zone.
* **Windows** are half-open ``[start, end)`` ranges of *aware* datetimes in the clinic's zone.

Time-zone rules (all in the zone of ``now`` / the ``tz`` argument, via :mod:`zoneinfo`):

* Day-based arithmetic (``7d``, ``2w``, ``3m``, ``1y``, ``today``, ``last-week``, bare dates) is done in
  local wall time and then localised, so ``7d`` across a DST change is 7 calendar days (168 +- 1
  hours), and ``today`` is local midnight. ``h`` is elapsed time: ``24h`` is always 24 real hours.
* A local time that does not exist (skipped by a spring-forward) is moved forward by the gap
  (02:30 on 2025-03-09 in New York becomes 03:30 EDT); an ambiguous one (repeated by a fall-back)
  is the first occurrence (fold = 0).

Everything a user typed that cannot be understood raises :class:`~npscli.core.errors.UsageError`
naming the value, with a hint listing the accepted forms. Pure standard library, no I/O (apart
from reading the clock when ``resolve_now`` is given no ``as_of``).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from npscli.core.errors import UsageError

__all__ = [
    "PERIODS",
    "last_complete_week",
    "parse_duration",
    "parse_since",
    "parse_until",
    "parse_window",
    "period_bounds",
    "period_key",
    "previous_period",
    "previous_window",
    "resolve_now",
]

PERIODS = ("week", "month", "quarter", "year")

_NAMED = ("today", "yesterday", "this-week", "last-week", "this-month", "last-month")
_TIME_HINT = (
    "use a relative time such as 24h, 7d, 2w, 3m or 1y (h, d, w, m, y), one of "
    + ", ".join(_NAMED)
    + ", an ISO date (2025-11-01) or an ISO date-time (2025-11-01T08:30)"
)
_DURATION_HINT = "use a whole number followed by h, d or w, e.g. 48h, 7d or 2w"

_RELATIVE = re.compile(r"(\d+)([hdwmy])", re.ASCII)
_DURATION = re.compile(r"(\d+)([hdw])", re.ASCII)
_WEEK_KEY = re.compile(r"(\d{4})-W(\d{2})", re.ASCII)
_MONTH_KEY = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_QUARTER_KEY = re.compile(r"(\d{4})-Q(\d)", re.ASCII)
_YEAR_KEY = re.compile(r"(\d{4})", re.ASCII)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


# --------------------------------------------------------------------------------------------------
# Period keys
# --------------------------------------------------------------------------------------------------


def naive_utc(moment: datetime | None) -> datetime | None:
    """An instant as the store keeps it: UTC without tzinfo. An aware datetime is converted; a naive one is
    taken as UTC already; None stays None. The one place this conversion is written."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def period_key(d: date, period: str) -> str:
    """The key of the ``period`` ("week", "month", "quarter", "year") that contains the day ``d``.

    Weeks are ISO weeks keyed by ISO year: 2024-12-30 is in ``"2025-W01"``, 2021-01-01 in
    ``"2020-W53"``. A ``datetime`` is taken at its own (local) date.
    """
    if period == "week":
        iso = d.isocalendar()
        return f"{iso.year:04d}-W{iso.week:02d}"
    if period == "month":
        return f"{d.year:04d}-{d.month:02d}"
    if period == "quarter":
        return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"
    if period == "year":
        return f"{d.year:04d}"
    raise UsageError(f"unknown period {period!r}", hint="use one of: " + ", ".join(PERIODS))


def keys_of_days(days: list[date]) -> dict[str, list[str]]:
    """For each period (week, month, quarter, year), the key of each of ``days``, in order: how the store and
    in-memory scoring file a response by its local date (callers pass each distinct day once)."""
    return {period: [period_key(day, period) for day in days] for period in PERIODS}


def _bad_key(key: str, why: str = "") -> UsageError:
    return UsageError(
        f"cannot read period {key!r}{': ' + why if why else ''}",
        hint="use 2025-W38 (ISO week), 2025-09 (month), 2025-Q3 (quarter) or 2025 (year)",
    )


def _period_kind_and_bounds(key: str) -> tuple[str, date, date]:
    text = key.strip().upper() if isinstance(key, str) else ""
    try:
        if match := _WEEK_KEY.fullmatch(text):
            year, week = int(match[1]), int(match[2])
            try:
                start = date.fromisocalendar(year, week, 1)
            except ValueError:
                raise _bad_key(key, f"ISO year {year} has no week {week}") from None
            return "week", start, start + timedelta(days=7)
        if match := _MONTH_KEY.fullmatch(text):
            year, month = int(match[1]), int(match[2])
            if not 1 <= month <= 12:
                raise _bad_key(key, f"there is no month {month}")
            start = date(year, month, 1)
            end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
            return "month", start, end
        if match := _QUARTER_KEY.fullmatch(text):
            year, quarter = int(match[1]), int(match[2])
            if not 1 <= quarter <= 4:
                raise _bad_key(key, f"there is no quarter {quarter}")
            start = date(year, 3 * quarter - 2, 1)
            end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
            return "quarter", start, end
        if match := _YEAR_KEY.fullmatch(text):
            year = int(match[1])
            return "year", date(year, 1, 1), date(year + 1, 1, 1)
    except (ValueError, OverflowError) as error:
        if isinstance(error, UsageError):
            raise
        raise _bad_key(key, "year out of range") from None  # year 0, or the end of year 9999
    raise _bad_key(key)


def period_bounds(key: str) -> tuple[date, date]:
    """``(first day, first day of the next period)`` for any key form; the end is exclusive."""
    _kind, start, end = _period_kind_and_bounds(key)
    return start, end


def period_keys(first: str, last: str) -> list[str]:
    """Every period key from ``first`` to ``last`` inclusive (same kind), in order."""
    kind, _start, _end = _period_kind_and_bounds(first)
    keys, key = [], first
    while key <= last:  # keys of one kind sort in time order
        keys.append(key)
        key = period_key(period_bounds(key)[1], kind)
    return keys


def previous_period(key: str) -> str:
    """The period of the same kind just before ``key`` (``"2021-W01"`` -> ``"2020-W53"``)."""
    kind, start, _end = _period_kind_and_bounds(key)
    try:
        return period_key(start - timedelta(days=1), kind)
    except OverflowError:
        raise _bad_key(key, "no period before year 1") from None


# --------------------------------------------------------------------------------------------------
# Local time helpers
# --------------------------------------------------------------------------------------------------


def _localize(naive: datetime, zone: tzinfo | None) -> datetime:
    """Attach ``zone`` to a wall-clock time, moving a non-existent (DST gap) time forward by the gap.

    ``replace(tzinfo=...)`` with fold = 0 reads a gap time with the offset from before the gap; the
    round trip through UTC turns that into the real instant's wall time (02:30 -> 03:30 EDT).
    """
    aware = naive.replace(tzinfo=zone, fold=0)
    return aware.astimezone(UTC).astimezone(zone)


def _wall(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None, fold=0)


def _midnight(day: date, zone: tzinfo | None) -> datetime:
    return _localize(datetime.combine(day, time()), zone)


def _require_aware(now: datetime) -> tzinfo:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (use resolve_now)")
    return now.tzinfo


def _months_back(moment: datetime, months: int) -> datetime:
    """Same wall time ``months`` calendar months earlier, the day clamped to the month's length."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _this_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _first_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _first_of_previous_month(day: date) -> date:
    return date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)


def resolve_now(as_of: str | None, tz: str) -> datetime:
    """The moment npscli treats as "now", as an aware datetime in the zone ``tz``.

    * ``None`` (or an empty string, e.g. an empty ``NPSCLI_NOW``): the real clock, in ``tz``.
    * A bare ISO date ``D``: **the start of D**, 00:00 local time. ``--as-of 2025-11-24`` therefore
      reports as the day begins, so "today" is the 24th with nothing of it elapsed yet and
      ``last-week`` is the week that ended at that midnight.
    * An ISO date-time: taken as given; a naive one is local time in ``tz``, an aware one (``Z``,
      ``+01:00``) is converted to ``tz``.

    ``UsageError`` for an unknown zone or an unreadable value.
    """
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise UsageError(
            f"unknown time zone {tz!r}", hint="use an IANA zone name such as Europe/London or America/New_York"
        ) from None
    if as_of is None or not as_of.strip():
        return datetime.now(zone)
    text = as_of.strip()
    moment = _parse_iso(text, zone)
    if moment is None:
        raise UsageError(
            f"cannot read the as-of time {as_of!r}",
            hint="use an ISO date (2025-11-24, meaning 00:00 that day) or date-time (2025-11-24T09:00)",
        )
    return moment


def _parse_iso(text: str, zone: tzinfo | None) -> datetime | None:
    """A bare date -> local midnight; a date-time -> local (naive) or converted (aware); else None."""
    if _ISO_DATE.fullmatch(text):
        try:
            return _midnight(date.fromisoformat(text), zone)
        except ValueError:
            return None
    if not _ISO_DATE.match(text):  # fromisoformat also takes "20251101" and week dates; we do not
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return _localize(moment, zone)
    return moment.astimezone(zone)


# --------------------------------------------------------------------------------------------------
# --since / --until
# --------------------------------------------------------------------------------------------------


def _relative(count: int, unit: str, now: datetime, zone: tzinfo) -> datetime:
    if unit == "h":  # elapsed time, computed on the UTC timeline
        return (now.astimezone(UTC) - timedelta(hours=count)).astimezone(zone)
    wall = _wall(now)
    if unit == "d":
        wall -= timedelta(days=count)
    elif unit == "w":
        wall -= timedelta(weeks=count)
    elif unit == "m":
        wall = _months_back(wall, count)
    else:  # "y": 29 February goes back to the 28th in a common year
        wall = _months_back(wall, 12 * count)
    return _localize(wall, zone)


def _named_start(name: str, today: date) -> date:
    """The first day of the named period relative to ``today``."""
    if name == "today":
        return today
    if name == "yesterday":
        return today - timedelta(days=1)
    if name == "this-week":
        return _this_monday(today)
    if name == "last-week":
        return _this_monday(today) - timedelta(days=7)
    if name == "this-month":
        return _first_of_month(today)
    return _first_of_previous_month(today)  # last-month


def _named_end(name: str, today: date) -> date:
    """The first day after the named period (its exclusive end)."""
    if name == "today":
        return today + timedelta(days=1)
    if name == "yesterday":
        return today
    if name == "this-week":
        return _this_monday(today) + timedelta(days=7)
    if name == "last-week":
        return _this_monday(today)
    if name == "this-month":
        return _first_of_next_month(today)
    return _first_of_month(today)  # last-month


def _parse_time(text: str, now: datetime, *, end: bool, flag: str) -> datetime:
    zone = _require_aware(now)
    if not isinstance(text, str):
        raise UsageError(f"cannot read {flag} {text!r}", hint=_TIME_HINT)
    cleaned = text.strip().lower()
    try:
        if match := _RELATIVE.fullmatch(cleaned):
            return _relative(int(match[1]), match[2], now, zone)
        if cleaned in _NAMED:
            today = now.date()
            day = _named_end(cleaned, today) if end else _named_start(cleaned, today)
            return _midnight(day, zone)
        if end and _ISO_DATE.fullmatch(cleaned):
            # A bare date as an upper bound means the whole of that day: up to the next midnight.
            return _midnight(date.fromisoformat(cleaned) + timedelta(days=1), zone)
        moment = _parse_iso(text.strip(), zone)
    except (ValueError, OverflowError):  # a count so large the date leaves the calendar, 2025-02-30
        moment = None
    if moment is None:
        raise UsageError(f"cannot read {flag} {text!r}", hint=_TIME_HINT)
    return moment


def parse_since(text: str, now: datetime, *, flag: str = "--since") -> datetime:
    """The start of a window, as an aware datetime in ``now``'s zone.

    * ``Nh`` (N hours of elapsed time), ``Nd`` / ``Nw`` (calendar days / weeks in local wall time),
      ``Nm`` (calendar months, the day clamped to the month's end: 31 March - 1m = 28/29 February),
      ``Ny`` (years): all back from ``now``, keeping its time of day (except ``h``).
    * ``today``, ``yesterday``, ``this-week``, ``last-week`` (Monday 00:00 of the ISO week),
      ``this-month``, ``last-month``: 00:00 local on the first day of that period.
    * An ISO date: 00:00 local that day. An ISO date-time: as given (naive = local).

    Case and surrounding spaces are ignored. Anything else is a ``UsageError``.
    """
    return _parse_time(text, now, end=False, flag=flag)


def parse_until(text: str, now: datetime) -> datetime:
    """The exclusive end of a window, as an aware datetime in ``now``'s zone.

    The same forms as :func:`parse_since`, with one difference: a form that names a whole day or
    period means the **end** of it (the first instant after it), so the period is included:

    * an ISO date ``D``: the next day, 00:00 (all of D is in the window);
    * ``today`` -> tomorrow 00:00, ``yesterday`` -> today 00:00, ``this-week`` -> next Monday 00:00,
      ``last-week`` -> this Monday 00:00, ``this-month`` -> the 1st of next month,
      ``last-month`` -> the 1st of this month.

    Relative forms (``7d``...) and ISO date-times are instants and mean the same as in ``--since``.
    """
    return _parse_time(text, now, end=True, flag="--until")


def parse_window(since: str | None, until: str | None, now: datetime) -> tuple[datetime | None, datetime]:
    """``(start or None, exclusive end)``; the end defaults to ``now``.

    ``--since last-week`` (or ``last-month``) without ``--until`` means that whole period: the end is
    then the end of last week (month), not now. Every other ``--since`` alone runs up to now
    ("since yesterday" includes today, as in English). A start at or after the end is a ``UsageError``.
    """
    _require_aware(now)
    start = parse_since(since, now) if since is not None else None
    if until is not None:
        end = parse_until(until, now)
    elif since is not None and since.strip().lower() in ("last-week", "last-month"):
        end = parse_until(since, now)
    else:
        end = now
    if start is not None and start >= end:
        raise UsageError(
            f"the window is empty: --since {since!r} ({start.isoformat()}) is not before "
            f"{'--until ' + repr(until) if until is not None else 'now'} ({end.isoformat()})",
            hint="pick a --since earlier than --until",
        )
    return start, end


def last_complete_week(now: datetime) -> str:
    """The ISO week key of the last Monday-Sunday week that ended before ``now``'s local date.

    The current week always has its Sunday on or after today, so this is the previous ISO week
    (on a Monday, the week that ended last night).
    """
    return period_key(_this_monday(now.date()) - timedelta(days=7), "week")


# --------------------------------------------------------------------------------------------------
# Durations and windows
# --------------------------------------------------------------------------------------------------


def parse_duration(text: str) -> timedelta:
    """``"48h"``, ``"7d"``, ``"2w"`` -> ``timedelta`` (SLAs, ``--window``). Positive whole numbers only.

    Months and years are refused: they have no fixed length (use ``--since 3m`` for calendar months).
    """
    cleaned = text.strip().lower() if isinstance(text, str) else ""
    match = _DURATION.fullmatch(cleaned)
    if match is None or int(match[1]) == 0:
        raise UsageError(f"cannot read the duration {text!r}", hint=_DURATION_HINT)
    count, unit = int(match[1]), match[2]
    try:
        if unit == "h":
            return timedelta(hours=count)
        if unit == "d":
            return timedelta(days=count)
        return timedelta(weeks=count)
    except OverflowError:
        raise UsageError(f"the duration {text!r} is too long", hint=_DURATION_HINT) from None


def day_span(first: date, last: date, *, dash: str = "-") -> str:
    """Days ``first`` to ``last`` (inclusive) as people write them: ``9-15 Nov 2026``, ``27 Oct-2 Nov 2025``,
    ``29 Dec 2025-4 Jan 2026``, one day as ``9 Nov 2026``."""
    if first == last:
        return f"{last.day} {last:%b %Y}"
    if (first.year, first.month) == (last.year, last.month):
        start = f"{first.day}"
    elif first.year == last.year:
        start = f"{first.day} {first:%b}"
    else:
        start = f"{first.day} {first:%b %Y}"
    return f"{start}{dash}{last.day} {last:%b %Y}"


def window_label(start: datetime, end: datetime) -> str:
    """The window ``[start, end)`` for a title: whole days as a :func:`day_span` (an exclusive midnight end is
    the day before it), other moments with their time: ``30 Oct 2025 10:00 to 13 Nov 2025 10:00``."""
    local_end = end.astimezone(start.tzinfo) if start.tzinfo and end.tzinfo else end
    starts_at_midnight = (start.hour, start.minute, start.second) == (0, 0, 0)
    ends_at_midnight = (local_end.hour, local_end.minute, local_end.second) == (0, 0, 0)
    last_day = local_end.date() - timedelta(days=1) if ends_at_midnight else local_end.date()
    if starts_at_midnight and ends_at_midnight and last_day >= start.date():
        return day_span(start.date(), last_day)
    first = f"{start.day} {start:%b %Y}" + ("" if starts_at_midnight else f" {start:%H:%M}")
    final = f"{last_day.day} {last_day:%b %Y}" + ("" if ends_at_midnight else f" {local_end:%H:%M}")
    return f"{first} to {final}"


def period_is_partial(key: str, start: datetime | None, end: datetime | None) -> bool:
    """Whether the window ``[start, end)`` (aware, local) leaves out part of the period ``key``."""
    first, end_day = period_bounds(key)
    zone = (start or end).tzinfo if (start or end) is not None else None
    if start is not None and start > _midnight(first, zone):
        return True
    return end is not None and end < _midnight(end_day, zone)


def previous_window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The window of equal length that ends where ``[start, end)`` begins.

    "Equal length" follows how windows are built here. A window spanning a whole number of local
    days (``7d``, ``last-week``, bare dates) steps back by that many *calendar* days in ``start``'s
    zone, so the week before a week across a DST change is still Monday to Monday (168 +- 1 hours).
    Any other window (``24h``, ``90h``, odd date-times) steps back by its *elapsed* length.
    Naive datetimes: plain subtraction.
    """
    if start >= end:
        raise ValueError("start must be before end")
    if start.tzinfo is None:
        return start - (end - start), start
    zone = start.tzinfo
    wall_length = _wall(end.astimezone(zone)) - _wall(start)
    if wall_length % timedelta(days=1) == timedelta(0):
        return _localize(_wall(start) - wall_length, zone), start
    elapsed = end.astimezone(UTC) - start.astimezone(UTC)
    return (start.astimezone(UTC) - elapsed).astimezone(zone), start
