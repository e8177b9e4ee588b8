"""Vectorised parsing of submission times: the shapes real exports write them in (day or month first, with or
without a zone, workbook serial numbers), the accepted range, and local dates in the clinic's zone.

Every function takes a whole column and returns whole columns; reasons are fixed phrases that never quote a cell.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from npscli.core.errors import ColumnError, UsageError
from npscli.core.periods import naive_utc
from npscli.io.cells import all_text, stripped_text

MISSING_DATE = "missing submitted_at"
BAD_DATE = "submitted_at could not be parsed as a date"
DATE_OUT_OF_RANGE = "submitted_at is out of range (before 1970-01-01 or after 2199-12-31)"
FUTURE_DATE = "submitted_at is after the import (a wrong clock or time zone, or day and month swapped?)"


# The accepted range of submission times (UTC): no survey platform predates 1970 (a 1900-01-01 or 0001-01-01 is
# a placeholder), and 2200 or later is a typo; a time after the import itself is FUTURE_DATE. Values outside it
# are parsed at microsecond resolution (years 1-9999 and beyond fit) and rejected as DATE_OUT_OF_RANGE, never
# overflowing pandas' nanosecond range.
_EARLIEST = pd.Timestamp("1970-01-01")
_LATEST = pd.Timestamp("2200-01-01")
_WORKING = "datetime64[us]"
_MARGIN = pd.Timedelta(days=2)  # a wall-clock time this far inside the range is inside it in every zone
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_SHAPE = str.maketrans("0123456789", "9999999999")
_SAMPLE = 500
_FAST_SHAPES = 24

_ISO_SHAPE = re.compile(
    r"^9{4}-9{1,2}-9{1,2}(?:[T ]9{1,2}:9{2}(?::9{2}(?:[.,]9+)?)?)?(?P<zone> ?(?:Z|[+-]9{2}(?::?9{2})?))?$"
)
_DAY_MONTH_SHAPE = (
    r"^(?P<first>9{1,2})(?P<sep>[/.-])9{1,2}(?P=sep)(?P<year>9{4}|9{2})"
    r"(?:(?P<tsep>T| |, ?)9{1,2}:9{2}(?P<sec>:9{2})?(?P<ampm> ?[AP]M)?)?$"
)
_YEAR_FIRST_SHAPE = (
    r"^9{4}(?P<sep>[/.])9{1,2}(?P=sep)9{1,2}(?:(?P<tsep>T| )9{1,2}:9{2}(?P<sec>:9{2})?(?P<ampm> ?[AP]M)?)?$"
)
_NUMBER_SHAPE = re.compile(r"^9+(?:\.9+)?$")
_DAY_MONTH_PREFIX = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-]|$)")
_COMPONENTS = r"""^(?:(?P<Y>\d{4})[-/.](?P<mo>\d{1,2})[-/.](?P<d>\d{1,2})
         |(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.](?P<y>\d{4}|\d{2}))
        (?:(?:T|\s+|,\s*)(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,](?P<f>\d{1,9}))?)?
           (?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?)?)?
        \s*(?P<zone>Z|(?:UTC|GMT)?\s*[+-]\d{1,2}(?::?\d{2})?|UTC|GMT)?$"""


@functools.cache
def _pattern(name: str) -> re.Pattern[str]:
    """``_DAY_MONTH_SHAPE``, ``_YEAR_FIRST_SHAPE`` or ``_COMPONENTS`` compiled on first use (ISO dates, the usual
    export, never need them: a start does not compile them)."""
    flags = re.VERBOSE | re.IGNORECASE if name == "components" else 0
    source = {"day_month": _DAY_MONTH_SHAPE, "year_first": _YEAR_FIRST_SHAPE, "components": _COMPONENTS}[name]
    return re.compile(source, flags)


_OFFSET = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?")
# A value ending in a zone (Z, +05, +0530, -05:00). Matched from the start with a greedy ".*": the regex engine
# jumps to the end and backs off a few characters, where search(...$) would try every position (3x slower).
_ENDS_IN_ZONE = re.compile(r"(?s).*(?:Z|[+-]\d{2}(?::?\d{2})?)\n?\Z")


def ends_in_zone(values: np.ndarray) -> np.ndarray:
    """``_ENDS_IN_ZONE.match`` of every string in ``values`` (an object array), as a bool array.

    Vectorised per value length: the ASCII values of one length are viewed as a byte matrix and their last
    characters tested column by column (a million regex calls cost more than the rest of the date parsing);
    values with other characters go through the regex.
    """
    out = np.zeros(len(values), dtype=bool)
    if not len(values):
        return out
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    for width in np.unique(lengths).tolist():
        where = np.flatnonzero(lengths == width)
        group = values[where]
        try:
            chars = group.astype(f"S{width}").view(np.uint8).reshape(len(group), width) if width else None
        except UnicodeEncodeError:
            out[where] = [_ENDS_IN_ZONE.match(value) is not None for value in group]
            continue
        if chars is None:
            continue
        found = _zone_at_end(chars)
        newline = chars[:, -1] == 10  # "...+02:00\n": one trailing newline is allowed
        if newline.any() and width > 1:
            found[newline] = _zone_at_end(chars[newline, :-1])
        out[where] = found
    return out


def _zone_at_end(chars: np.ndarray) -> np.ndarray:
    """Rows of the byte matrix ``chars`` that end in ``Z``, ``+hh``, ``+hhmm`` or ``+hh:mm`` (or ``-``)."""
    width = chars.shape[1]

    def digit(position: int) -> np.ndarray:
        column = chars[:, width - position]
        return (column >= 48) & (column <= 57)

    def sign(position: int) -> np.ndarray:
        column = chars[:, width - position]
        return (column == ord("+")) | (column == ord("-"))

    found = chars[:, -1] == ord("Z")
    if width >= 3:
        found |= sign(3) & digit(2) & digit(1)
    if width >= 5:
        found |= sign(5) & digit(4) & digit(3) & digit(2) & digit(1)
    if width >= 6:
        found |= sign(6) & digit(5) & digit(4) & (chars[:, width - 3] == ord(":")) & digit(2) & digit(1)
    return found


@dataclass(frozen=True)
class DateParse:
    utc: pd.Series  # datetime64[ns], naive UTC; NaT where blank, unparseable or out of range
    blank: pd.Series  # bool
    dayfirst: bool  # the day/month order used for ambiguous dates
    out_of_range: pd.Series | None = None  # bool: a date, but outside 1970-01-01 .. 2199-12-31 (None: none)


def check_timezone(name: str, *, what: str = "timezone") -> ZoneInfo:
    """The zone called ``name``; a UsageError if there is none (a bad --timezone or config value)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown {what} {name!r}", hint="use an IANA zone name such as Europe/Berlin or America/New_York"
        ) from None


def parse_datetimes(
    values: pd.Series,
    *,
    timezone: str,
    dayfirst: bool | None,
    default_dayfirst: bool,
    where: str,
    order_state: DateOrder | None = None,
) -> DateParse:
    """Read a date/time column into naive UTC instants.

    Understands ISO 8601 (with or without an offset), US and day-first dates with 12- or 24-hour times,
    Google Forms' ``2022/06/22 11:07:29 AM GMT-3``, Unix seconds and milliseconds, Excel serial numbers,
    ``YYYYMMDD``, workbook datetimes, and (for the few values of other shapes) anything dateutil reads.
    Times without an offset are wall-clock times in ``timezone``. The day/month order of ``03/11/2025`` is
    decided for the whole column: day-first if some value has a first field above 12, month-first if some
    has a second field above 12, otherwise ``dayfirst``, otherwise ``default_dayfirst``. ``where`` names the
    file and column in errors (a column mixing both orders, or contradicting an explicit ``dayfirst``).
    A file read in chunks passes one ``order_state`` (:class:`DateOrder`) for all of them.
    """
    index = values.index
    local = pd.Series(pd.NaT, index=index, dtype=_WORKING)  # wall-clock times in `timezone`
    utc = pd.Series(pd.NaT, index=index, dtype=_WORKING)  # instants already in UTC
    if values.dtype == object and not all_text(values):  # (a text file's column: text alone, no typed cell)
        is_datetime = values.map(lambda value: isinstance(value, datetime))
        is_number = values.map(
            lambda value: isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
        )
        if is_datetime.any():
            # A typed datetime with a zone is an instant; one without is a wall-clock time in `timezone`.
            aware = is_datetime & values.map(lambda value: isinstance(value, datetime) and value.tzinfo is not None)
            for which, target in ((aware, utc), (is_datetime & ~aware, local)):
                if which.any():
                    target[which] = pd.to_datetime(values[which].map(_instant), errors="coerce").astype(_WORKING)
        if is_number.any():
            _numbers(values[is_number].astype(float), local, utc)
        text = pd.Series("", index=index, dtype=object)
        rest = ~(is_datetime | is_number)
        text[rest] = stripped_text(values[rest])
    else:
        text = stripped_text(values)
    typed = local.notna() | utc.notna()
    blank = (text == "") & ~typed
    todo = text[~blank & ~typed]
    order_state = order_state or DateOrder(dayfirst, default_dayfirst, where)
    order_state.observe(todo)
    order = order_state.decide()
    if not todo.empty:
        _parse_text(todo, order, local, utc)

    far_local = local.notna() & ((local < _EARLIEST - _MARGIN) | (local >= _LATEST + _MARGIN))
    filled = local.notna() & ~far_local
    if filled.any():
        utc[filled] = _wall_clock_to_utc(local[filled], timezone)
    inside = (utc >= _EARLIEST) & (utc < _LATEST)
    out_of_range = far_local | (utc.notna() & ~inside)
    utc = utc.where(inside)
    return DateParse(utc=utc.astype("datetime64[ns]"), blank=blank, dayfirst=order, out_of_range=out_of_range)


@dataclass
class DateOrder:
    """The day/month order of one file's ``03/11/2025``-style dates, decided for the whole column.

    Day-first if some value has a first field above 12, month-first if some has a second field above 12,
    otherwise ``requested`` (--dayfirst/--monthfirst), otherwise ``default`` (config). A file read a chunk at
    a time shows every chunk to :meth:`observe`: a chunk proving the other order than an earlier one is the
    same error as a column mixing both. ``where`` names the file and column in errors.
    """

    requested: bool | None
    default: bool
    where: str
    proven: bool | None = None  # the order some value has proven so far
    ambiguous: bool = False  # some value read either way (both fields 12 or below)

    def observe(self, text: pd.Series) -> None:
        # The first two fields of "dd/mm/..." dates sit in the first 6 characters, and a column holds only a
        # few hundred distinct such prefixes, so the whole column is checked without a per-row regex.
        day_first_seen = month_first_seen = False
        for prefix in {value[:6] for value in text.to_numpy(dtype=object)}:
            found = _DAY_MONTH_PREFIX.match(prefix)
            if not found:
                continue
            first, second = int(found.group(1)), int(found.group(2))
            day_first_seen |= first > 12 and second <= 12
            month_first_seen |= second > 12 and first <= 12
            self.ambiguous |= first <= 12 and second <= 12
        day_first_seen |= self.proven is True
        month_first_seen |= self.proven is False
        if day_first_seen and month_first_seen:
            raise ColumnError(
                f"{self.where} mixes day-first and month-first dates (some values have a day above 12 in the "
                "first field, others in the second)",
                hint="export the dates in one format (ISO 8601 is safest), or split the file",
            )
        if self.requested is True and month_first_seen:
            raise ColumnError(
                f"{self.where} holds month-first dates (a second field above 12), but day-first was requested",
                hint="pass --monthfirst instead of --dayfirst, or leave both out to infer the order",
            )
        if self.requested is False and day_first_seen:
            raise ColumnError(
                f"{self.where} holds day-first dates (a first field above 12), but month-first was requested",
                hint="pass --dayfirst instead of --monthfirst, or leave both out to infer the order",
            )
        if day_first_seen or month_first_seen:
            self.proven = day_first_seen

    @property
    def unsettled(self) -> bool:
        """True while ambiguous values have been read with an order that no value proved nor anyone asked for."""
        return self.ambiguous and self.proven is None and self.requested is None

    def decide(self) -> bool:
        if self.proven is not None:
            return self.proven
        return self.default if self.requested is None else self.requested


def _parse_text(text: pd.Series, dayfirst: bool, local: pd.Series, utc: pd.Series) -> None:
    """Parse non-blank strings into ``local`` / ``utc`` (in place)."""
    # Fast paths: a column holds one or a few shapes ("99/99/9999 99:99:99 PM"). Take the commonest shape
    # in a sample of what is left and parse every value of it at once: ISO 8601 with pandas' ISO parser,
    # numeric layouts by reading the digits at their fixed positions. Then the next shape.
    remaining = text
    for _ in range(_FAST_SHAPES):
        if remaining.empty:
            return
        shape = _commonest_shape(remaining)
        route = _route(shape, dayfirst)
        if route[0] == "iso":
            left = _apply_route(route, remaining, local, utc)
        elif route[0] == "format":
            left = _fixed_positions(remaining, shape, dayfirst, local)
        else:
            break
        if len(left) == len(remaining):
            break
        remaining = left
    if remaining.empty:
        return
    # The rest (unusual or malformed values): group by shape, one parser call per kind of shape.
    groups: dict[tuple[str, str], list[pd.Index]] = {}
    shape_of = remaining.str.translate(_SHAPE).str.upper()
    for shape, rows in shape_of.groupby(shape_of, sort=False).groups.items():
        groups.setdefault(_route(str(shape), dayfirst), []).append(rows)
    for route, parts in groups.items():
        rows = parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]
        _apply_route(route, remaining.loc[rows], local, utc)


def _commonest_shape(text: pd.Series) -> str:
    sample = pd.concat([text.head(_SAMPLE), text.tail(_SAMPLE)]).unique()
    return Counter(_shape(str(value)) for value in sample).most_common(1)[0][0]


def _fixed_positions(text: pd.Series, shape: str, dayfirst: bool, local: pd.Series) -> pd.Series:
    """Parse the values of ``text`` laid out exactly like ``shape`` by reading digits at fixed positions.

    Returns the values it did not parse (other shapes, impossible dates such as 31/02, non-ASCII text).
    """
    width = len(shape)
    values = text.to_numpy(dtype=object)
    same_width = np.fromiter(map(len, values), dtype=np.int64, count=len(values)) == width
    if not same_width.any():
        return text
    candidates = values[same_width]
    try:
        encoded = candidates.astype(f"S{width}")
    except UnicodeEncodeError:
        return text
    chars = encoded.view(np.uint8).reshape(len(candidates), width)

    ampm_at = max(shape.find("AM"), shape.find("PM"))
    fits = np.ones(len(candidates), dtype=bool)
    for position, char in enumerate(shape):
        column = chars[:, position]
        if char == "9":
            fits &= (column >= 48) & (column <= 57)
        elif position == ampm_at:
            fits &= ((column | 0x20) == ord("a")) | ((column | 0x20) == ord("p"))
        elif char.isalpha():
            fits &= (column | 0x20) == ord(char.lower())
        else:
            fits &= column == ord(char)

    numbers = [
        sum(
            (chars[:, position].astype(np.int64) - 48) * 10 ** (found.end() - 1 - position)
            for position in range(*found.span())
        )
        for found in re.finditer("9+", shape)
    ]
    if _pattern("year_first").match(shape):
        year, month, day = numbers[0], numbers[1], numbers[2]
    else:
        first, second, year = numbers[0], numbers[1], numbers[2]
        day, month = (first, second) if dayfirst else (second, first)
        if re.match(r"^9+\D9+\D99(?!9)", shape):  # a two-digit year, read like strptime's %y
            year = year + np.where(year < 69, 2000, 1900)
    hour = numbers[3] if len(numbers) > 3 else np.zeros_like(year)
    minute = numbers[4] if len(numbers) > 4 else np.zeros_like(year)
    second_of_minute = numbers[5] if len(numbers) > 5 else np.zeros_like(year)
    if ampm_at >= 0:
        fits &= (hour >= 1) & (hour <= 12)
        afternoon = (chars[:, ampm_at] | 0x20) == ord("p")
        hour = hour % 12 + np.where(afternoon, 12, 0)
    fits &= (month >= 1) & (month <= 12) & (day >= 1) & (hour < 24) & (minute < 60) & (second_of_minute < 60)
    fits &= (year >= 1) & (year <= 9999)
    months = np.where(fits, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    dates = months.astype("datetime64[D]") + np.where(fits, day - 1, 0).astype("timedelta64[D]")
    fits &= dates.astype("datetime64[M]") == months  # no 31 February
    stamps = dates.astype("datetime64[s]") + (hour * 3600 + minute * 60 + second_of_minute).astype("timedelta64[s]")
    if not fits.any():
        return text
    positions = np.flatnonzero(same_width)[fits]
    local[text.index[positions]] = stamps[fits].astype(_WORKING)
    parsed = np.zeros(len(text), dtype=bool)
    parsed[positions] = True
    return text[~parsed]


def _shape(value: str) -> str:
    return value.translate(_SHAPE).upper()


def _route(shape: str, dayfirst: bool) -> tuple[str, str]:
    """How to parse values of ``shape``: ``(kind, format)``."""
    iso = _ISO_SHAPE.match(shape)
    if iso:
        return ("iso", "aware" if iso.group("zone") else "naive")
    day_month = _pattern("day_month").match(shape)
    if day_month:
        first, second = ("%d", "%m") if dayfirst else ("%m", "%d")
        sep = day_month.group("sep")
        year = "%Y" if len(day_month.group("year")) == 4 else "%y"
        return ("format", f"{first}{sep}{second}{sep}{year}" + _time_format(day_month))
    year_first = _pattern("year_first").match(shape)
    if year_first:
        sep = year_first.group("sep")
        return ("format", f"%Y{sep}%m{sep}%d" + _time_format(year_first))
    order = "dayfirst" if dayfirst else "monthfirst"
    if _NUMBER_SHAPE.match(shape):
        return ("number", "")
    if _pattern("components").match(shape.replace("9", "1")):
        return ("components", order)
    if "9999" in shape and re.search(r"[A-Z]{3}", shape):
        return ("words", order)
    return ("none", "")


def _time_format(found: re.Match[str]) -> str:
    if not found.group("tsep"):
        return ""
    ampm = found.group("ampm")
    fmt = found.group("tsep") + ("%I" if ampm else "%H") + ":%M" + (":%S" if found.group("sec") else "")
    if ampm:
        fmt += (" " if ampm.startswith(" ") else "") + "%p"
    return fmt


def _apply_route(route: tuple[str, str], text: pd.Series, local: pd.Series, utc: pd.Series) -> pd.Series:
    """Parse ``text`` by ``route`` into ``local`` / ``utc``; return the values it could not parse."""
    kind, fmt = route
    if kind == "iso":
        if fmt == "aware":
            # utc=True would read a stray naive value as UTC: only values that end in a zone go this way.
            zoned = pd.Series(ends_in_zone(text.to_numpy(dtype=object)), index=text.index)
            rest, text = text[~zoned], text[zoned]
        else:
            rest = text.iloc[:0]
        try:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=fmt == "aware")
        except ValueError:  # naive and offset-carrying values mixed: let the shapes split them
            return pd.concat([text, rest])
        target = utc if parsed.dt.tz is not None else local
        if parsed.dt.tz is not None:
            parsed = parsed.dt.tz_localize(None)
    elif kind == "format":
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        target = local
    elif kind == "number":
        _numbers(pd.to_numeric(text, errors="coerce"), local, utc)
        return text[local[text.index].isna() & utc[text.index].isna()]
    elif kind == "components":
        _components(text, fmt == "dayfirst", local, utc)
        return text[local[text.index].isna() & utc[text.index].isna()]
    elif kind == "words":
        _words(text, fmt == "dayfirst", local, utc)
        return text[local[text.index].isna() & utc[text.index].isna()]
    else:
        return text
    good = parsed.notna()
    target[good[good].index] = parsed[good].astype(_WORKING)
    return pd.concat([text[~good], rest]) if kind == "iso" else text[~good]


def _numbers(numbers: pd.Series, local: pd.Series, utc: pd.Series) -> None:
    """Unix milliseconds / seconds (UTC), ``YYYYMMDD`` and Excel serial days (wall-clock)."""
    millis = (numbers >= 1e11) & (numbers < 1e14)
    seconds = (numbers >= 1e8) & (numbers < 1e11)
    compact_date = (numbers >= 19700101) & (numbers <= 22001231) & (numbers == np.floor(numbers))
    serial = (numbers >= 20000) & (numbers < 100000)
    if millis.any():
        utc[millis[millis].index] = pd.to_datetime(numbers[millis], unit="ms").astype(_WORKING)
    if seconds.any():
        utc[seconds[seconds].index] = pd.to_datetime(numbers[seconds], unit="s").astype(_WORKING)
    if compact_date.any():
        as_text_dates = numbers[compact_date].astype("int64").astype(str)
        parsed = pd.to_datetime(as_text_dates, format="%Y%m%d", errors="coerce")
        local[parsed.index] = parsed.astype(_WORKING)
    if serial.any():
        days = pd.to_timedelta(numbers[serial], unit="D").dt.round("s")
        local[serial[serial].index] = (_EXCEL_EPOCH + days).astype(_WORKING)


def _components(text: pd.Series, dayfirst: bool, local: pd.Series, utc: pd.Series) -> None:
    """The general (slower) parser: date, optional time, AM/PM and a zone such as ``GMT-3`` or ``+02:00``."""
    parts = text.str.extract(_pattern("components"))
    matched = parts["mo"].notna() | parts["a"].notna()
    if not matched.any():
        return
    parts = parts[matched]
    if dayfirst:
        day_field, month_field = parts["a"], parts["b"]
    else:
        day_field, month_field = parts["b"], parts["a"]
    year = pd.to_numeric(parts["Y"].fillna(parts["y"]), errors="coerce")
    two_digits = parts["y"].str.len() == 2  # 25 is 2025; a year written 0001 is year 1 (out of range), not 2001
    year = year.where(~two_digits, year + np.where(year < 69, 2000, 1900))
    month = pd.to_numeric(parts["mo"].fillna(month_field), errors="coerce")
    day = pd.to_numeric(parts["d"].fillna(day_field), errors="coerce")
    hour = pd.to_numeric(parts["H"], errors="coerce").fillna(0)
    ampm = parts["ampm"].str.upper()
    hour = hour.where(~(ampm == "P") | (hour == 12), hour + 12)
    hour = hour.where(~((ampm == "A") & (hour == 12)), 0)
    bad_clock = ampm.notna() & ((hour > 23) | (pd.to_numeric(parts["H"], errors="coerce") > 12))
    fraction = parts["f"].fillna("0").str.slice(0, 6).str.ljust(6, "0")
    stamps = pd.to_datetime(
        pd.DataFrame(
            {
                "year": year,
                "month": month,
                "day": day,
                "hour": hour,
                "minute": pd.to_numeric(parts["M"], errors="coerce").fillna(0),
                "second": pd.to_numeric(parts["S"], errors="coerce").fillna(0),
                "microsecond": pd.to_numeric(fraction, errors="coerce").fillna(0),
            }
        ),
        errors="coerce",
    ).astype(_WORKING)
    stamps[bad_clock] = pd.NaT
    zone = parts["zone"].fillna("").str.strip()
    zoned = zone != ""
    if zoned.any():
        offsets = zone[zoned].str.extract(_OFFSET)
        sign = np.where(offsets[0] == "-", -1, 1)
        minutes = pd.to_numeric(offsets[1], errors="coerce").fillna(0) * 60 + pd.to_numeric(
            offsets[2], errors="coerce"
        ).fillna(0)
        shift = pd.to_timedelta(minutes * sign, unit="min")
        in_utc = stamps[zoned] - shift
        utc[in_utc.index] = in_utc
    naive = stamps[~zoned]
    local[naive.index] = naive


def _instant(moment: datetime) -> datetime:
    """:func:`naive_utc`, or the calendar's first or last moment when the zone takes it past year 1 or 9999
    (``0001-01-01 00:00+05:00``): out of range like any other date that far off, not an OverflowError."""
    try:
        return naive_utc(moment)  # type: ignore[return-value]
    except OverflowError:
        return datetime.min if moment.year == 1 else datetime.max


# A year written with four digits below 100 (``Jan 1, 0001``): dateutil reads it as 2001.
_YEAR_BELOW_100 = re.compile(r"(?<![\d:.+-])00\d\d(?![\d:])")


def _words(text: pd.Series, dayfirst: bool, local: pd.Series, utc: pd.Series) -> None:
    """Dates written with words (``Jul 1, 2025 11:13 AM``): dateutil, once per distinct value."""
    from dateutil import parser as dateutil_parser

    wall_clock: dict[str, pd.Timestamp] = {}
    instants: dict[str, pd.Timestamp] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateutil warns about zone names it does not know
        for value in text.unique():
            try:
                stamp = dateutil_parser.parse(value, dayfirst=dayfirst)
            except (ValueError, OverflowError, TypeError):
                continue
            if _YEAR_BELOW_100.search(value):
                wall_clock[value] = pd.Timestamp(datetime.min)  # out of range, as the year it says
            elif stamp.tzinfo is not None:
                instants[value] = pd.Timestamp(_instant(stamp))
            else:
                wall_clock[value] = pd.Timestamp(stamp)
    for lookup, target in ((wall_clock, local), (instants, utc)):
        if lookup:
            found = text.map(lookup).dropna()
            target[found.index] = found.astype(_WORKING)


def _wall_clock_to_utc(local: pd.Series, timezone: str) -> pd.Series:
    if timezone == "UTC":
        return local
    check_timezone(timezone)
    # An autumn wall-clock time that happens twice is read as the first (summer-time) one; a spring time
    # that does not exist is moved forward, as the clinic's clock did.
    aware = local.dt.tz_localize(timezone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward")
    return aware.dt.tz_convert("UTC").dt.tz_localize(None).astype(_WORKING)


def local_dates(utc: pd.Series, timezone: str) -> pd.Series:
    """``YYYY-MM-DD`` of each naive-UTC instant in ``timezone`` (formatted once per distinct day)."""
    if utc.empty:
        return pd.Series([], index=utc.index, dtype=object)
    wall = utc if timezone == "UTC" else utc.dt.tz_localize("UTC").dt.tz_convert(timezone).dt.tz_localize(None)
    days = wall.to_numpy().astype("datetime64[D]")
    unique_days, positions = np.unique(days, return_inverse=True)
    labels = np.datetime_as_string(unique_days, unit="D").astype(object)
    return pd.Series(labels[positions], index=utc.index, dtype=object)
