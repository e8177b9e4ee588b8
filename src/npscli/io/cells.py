"""Cell text: a workbook cell as an export would write it, and stripped text (BOMs, zero-width and other
invisible characters removed) for every reader."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd


def cell_to_text(value: Any) -> str:
    """One typed workbook cell as the text a person would see (``9.0`` -> ``"9"``)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def all_text(values: pd.Series) -> bool:
    """Whether every cell of ``values`` is a string (a text file's column; a blank cell is ""), told in C: looking
    for a workbook's typed cells (datetimes, numbers) one by one in Python costs about 0.4 ms a thousand cells."""
    return pd.api.types.infer_dtype(values, skipna=False) == "string"


def stripped_text(values: pd.Series, *, empty: str | None = "") -> pd.Series:
    """Cells as stripped strings, object dtype, same index; workbook cells rendered by :func:`cell_to_text`.
    An empty cell (blank, or only spaces) is ``empty``: "" by default, or None.

    A column that repeats itself (scores, clinics, statuses) is cleaned once per distinct value; a column of
    mostly distinct values (ids, comments) in one vectorised pass.
    """
    array = values.to_numpy(dtype=object)
    head = array[:1000]
    if values.dtype == object or len(set(head)) <= len(head) // 2:
        codes, uniques = pd.factorize(array)
        cleaned = [_clean_cell(cell_to_text(value)) for value in uniques]
        if empty != "":  # per distinct value, not per cell
            cleaned = [text or empty for text in cleaned]
        cleaned.append(empty)  # code -1: None or NaN
        return pd.Series(np.array(cleaned, dtype=object)[codes], index=values.index, dtype=object)
    text = _strip_texts(array)
    if empty != "":
        text[text == ""] = empty
    return pd.Series(text, index=values.index, dtype=object)


# Invisible marks a cell can start or end with: a byte order mark left mid-file by two exports glued
# together (copy a.csv+b.csv), a zero-width space pasted from a web page. str.strip() keeps them.
_INVISIBLE = "\ufeff\u200b"


def _clean_cell(text: str) -> str:
    text = text.strip()
    if text and (text[0] in _INVISIBLE or text[-1] in _INVISIBLE):
        return text.strip(_INVISIBLE).strip()
    return text


_strip = np.frompyfunc(_clean_cell, 1, 1)
_strip_spaces = np.frompyfunc(str.strip, 1, 1)


def _strip_texts(array: np.ndarray) -> np.ndarray:
    """:func:`_clean_cell` of every cell of an object array: ``str.strip`` (a C method, twice as fast as a Python
    function per cell), then :func:`_clean_cell` itself only if an invisible mark is left in the column."""
    try:
        text = _strip_spaces(array)
        joined = "".join(text)
        marked = any(mark in joined for mark in _INVISIBLE)
    except TypeError:  # a cell that is not a str (a workbook's number or date)
        return _strip(array)
    return _strip(text) if marked else text


def as_text(values: pd.Series) -> pd.Series:
    """``values`` as strings: unchanged for text files, typed workbook cells rendered by :func:`cell_to_text`."""
    if values.dtype == object:
        return values.map(cell_to_text).astype(str)
    return values.astype(str)


def frame_as_text(cells: pd.DataFrame) -> pd.DataFrame:
    if not any(pd.api.types.is_object_dtype(dtype) for dtype in cells.dtypes):
        return cells
    return cells.apply(as_text)
