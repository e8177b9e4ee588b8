"""Building the records of an export chunk: canonical fields from the mapped columns, times in UTC and the
clinic's local dates, and each response's key (its id, or its whole row)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import numpy as np
import pandas as pd

from npscli.core.errors import UsageError
from npscli.core.fields import TEXT_FIELDS
from npscli.io.cells import stripped_text
from npscli.io.dates import (
    DateParse,
    check_timezone,
    local_dates,
)
from npscli.io.layouts import Header, words
from npscli.io.mapping import ColumnMapping

RECORD_COLUMNS = ("row", "response_id", "response_key", "submitted_at", "local_date", "score", *TEXT_FIELDS)


def source_timezone(header: Header, column: str, clinic_timezone: str) -> str:
    """The zone of naive times in ``column``: Qualtrics' row-3 timeZone, UTC when the header says so."""
    position = header.columns.index(column)
    zone = header.timezones[position]
    if zone:
        try:
            check_timezone(zone)
            return zone
        except UsageError:  # a zone name this system does not know: fall back to the clinic's
            pass
    if {"utc", "gmt"} & set(words(column)):
        return "UTC"
    return clinic_timezone


def _text(values: pd.Series) -> pd.Series:
    """Stripped strings, None for empty cells, as an object column."""
    return stripped_text(values, empty=None)


def build_records(
    data: pd.DataFrame,
    mapping: ColumnMapping,
    score: pd.Series,
    utc: pd.Series,
    timezone: str,
    whole_row_keys: Callable[[], np.ndarray],
    wanted: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    count = len(data)
    empty = pd.Series([None] * count, index=data.index, dtype=object)
    fields: dict[str, pd.Series] = {}
    for field_name in ("response_id", *TEXT_FIELDS):
        names = mapping.columns.get(field_name)
        if not names or (wanted is not None and field_name != "response_id" and field_name not in wanted):
            fields[field_name] = empty
        elif len(names) == 1:
            fields[field_name] = _text(data[names[0]])
        else:  # first name + last name
            parts = [stripped_text(data[name]).to_numpy() for name in names]
            joined = pd.Series(
                [" ".join(part for part in row if part) for row in zip(*parts, strict=True)],
                index=data.index,
                dtype=object,
            )
            fields[field_name] = joined.where(joined != "", None)

    scores = score.astype("int64")
    keys = _response_keys(fields["response_id"], whole_row_keys)
    dated = utc.notna().any() or count == 0

    def column(values: np.ndarray | pd.Series, dtype: str = "object") -> pd.Series:
        # Explicit dtypes: pandas would otherwise infer its string dtype and turn None into NaN.
        array = values.to_numpy() if isinstance(values, pd.Series) else values
        return pd.Series(array, index=pd.RangeIndex(count), dtype=dtype)

    return pd.DataFrame(
        {
            "row": column(data.index.to_numpy(), "int64"),
            "response_id": column(fields["response_id"]),
            "response_key": column(keys),
            "submitted_at": column(utc, "datetime64[ns]"),
            "local_date": column(local_dates(utc, timezone) if dated else empty),
            "score": column(scores, "int64"),
            **{name: column(fields[name]) for name in TEXT_FIELDS},
        },
        columns=list(RECORD_COLUMNS),
        copy=False,  # the columns above are new already: a second copy would cost 100 MB a million rows
    )


def join_records(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The records of several chunks (or files) as one frame, indexed 0..n-1: each column joined alone.

    ``pd.concat`` of the frames costs 0.7 s a million records (its block manager, for a dozen object
    columns), the columns one by one 0.05 s. Frames whose columns or dtypes differ go through ``pd.concat``."""
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    first = frames[0]
    same = all(
        list(frame.columns) == list(first.columns) and (frame.dtypes == first.dtypes).all() for frame in frames[1:]
    )
    if not same:
        return pd.concat(frames, ignore_index=True)
    total = sum(len(frame) for frame in frames)
    return pd.DataFrame(
        {
            name: pd.Series(
                np.concatenate([frame[name].to_numpy() for frame in frames]),
                index=pd.RangeIndex(total),
                dtype=first[name].dtype,
                copy=False,
            )
            for name in first.columns
        },
        columns=list(first.columns),
        copy=False,
    )


def _response_keys(ids: pd.Series, whole_row_keys: Callable[[], np.ndarray]) -> np.ndarray:
    """``id:<response id>``, or the whole-row key of :mod:`npscli.io.keys` for the rows without one (computed
    only when some row has none: an export with ids pays nothing for it)."""
    values = ids.to_numpy()
    keys = np.empty(len(values), dtype=object)
    has_id = pd.notna(values)
    keys[has_id] = ["id:" + value for value in values[has_id]]
    if not has_id.all():
        keys[~has_id] = whole_row_keys()[~has_id]
    return keys


def stamped_dates(index: pd.Index, stamp: datetime | None) -> DateParse:
    """The dates of a file without a date column: every row at ``stamp`` (--date), or none (scoring)."""
    value = pd.NaT if stamp is None else pd.Timestamp(stamp).tz_convert("UTC").tz_localize(None)
    utc = pd.Series(value, index=index, dtype="datetime64[ns]")
    return DateParse(utc=utc, blank=pd.Series(False, index=index), dayfirst=False)
