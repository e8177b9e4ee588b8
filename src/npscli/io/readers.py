"""Turn the bytes of an export file into a raw table of cells, before any header is recognised.

CSV/TSV text is decoded (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1252 as the fallback), the
delimiter (``,`` ``;`` or tab) is sniffed from the first records, and every cell is read as a string. XLSX (and
the other workbook formats calamine reads) keeps the types calamine gives: strings, numbers (``9`` or ``9.5``)
and ``datetime`` for date cells. Row ``i`` of :attr:`RawTable.cells` is spreadsheet row ``i + 1``: blank lines
are kept, and a CSV record with embedded newlines is one row, as Excel shows it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from npscli.core.errors import InputFileError

DELIMITERS = (",", ";", "\t")
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 60
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass(frozen=True)
class RawTable:
    """The cells of one export, positional columns ``0..n-1``, nothing interpreted yet."""

    path: Path
    sha256: str
    cells: pd.DataFrame
    kind: str  # "text" | "workbook"
    encoding: str | None = None
    delimiter: str | None = None

    @property
    def name(self) -> str:
        return self.path.name


def read_table(path: str | Path, sheet: str | None = None) -> RawTable:
    """Read ``path`` into a :class:`RawTable`; any unreadable file raises :class:`InputFileError`.

    The format is decided by the file's first bytes, not its name: a workbook saved as ``.csv`` still
    reads, and a text file named ``.xlsx`` is refused as a damaged workbook. ``sheet`` (a name, or a
    0-based index as text) selects a workbook sheet and is ignored for text files.
    """
    path = Path(path)
    data = _read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    head = data[:8]
    is_workbook = head.startswith(_ZIP_MAGIC) or head.startswith(_OLE_MAGIC)
    if is_workbook:
        cells = _read_workbook(path, sheet)
        kind, encoding, delimiter = "workbook", None, None
    elif path.suffix.lower() in WORKBOOK_SUFFIXES:
        raise InputFileError(
            f"{path.name}: not a valid {path.suffix.lower()} workbook (the file is not a spreadsheet archive)",
            hint="open it in Excel and save it again as .xlsx, or export the survey as CSV",
        )
    else:
        cells, encoding, delimiter = _read_text(path, data)
        kind = "text"
    if cells.shape[0] == 0 or cells.shape[1] == 0:
        raise InputFileError(f"{path.name}: the file holds no rows", hint="export the survey again")
    return RawTable(path=path, sha256=digest, cells=cells, kind=kind, encoding=encoding, delimiter=delimiter)


def _read_bytes(path: Path) -> bytes:
    try:
        if path.is_dir():
            raise InputFileError(
                f"{path}: is a folder, not an export file", hint="name the exported .csv or .xlsx file"
            )
        data = path.read_bytes()
    except InputFileError:
        raise
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file", hint="check the path and the file name") from None
    except PermissionError:
        raise InputFileError(f"{path}: permission denied", hint="check the file's permissions") from None
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read ({error.strerror})", hint="check the path") from None
    if not data.strip():
        raise InputFileError(f"{path.name}: the file is empty", hint="export the survey again")
    return data


# --- text (CSV / TSV) ---------------------------------------------------------------------------------------


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """Return ``(text, encoding)``: BOMs first, then strict UTF-8, then Windows-1252."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        candidates = ["utf-32"]
    elif data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    elif _looks_like_bomless_utf16(data):
        candidates = ["utf-16-le" if data[1:2] == b"\x00" else "utf-16-be"]
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        try:
            text = _utf8_head(data, encoding) if encoding in _UTF8 else data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break  # a binary file that happens to decode: refuse it below
        return text, encoding
    raise InputFileError(
        f"{path.name}: cannot be decoded as text (tried {', '.join(candidates)}); it may be a binary file",
        hint="export the survey again as CSV (UTF-8) or XLSX",
    )


_UTF8 = ("utf-8", "utf-8-sig")
_VALIDATE_BYTES = 8 << 20


def _utf8_head(data: bytes, encoding: str) -> str:
    """Check that ``data`` is valid UTF-8 a slice at a time, and return only the text the delimiter sniffer
    reads (plus one character, so it knows there is more) -- or ``"\x00"`` for a file holding a NUL.

    pandas decodes UTF-8 bytes itself, so the whole file never needs to exist as one ``str`` (for a
    file with accents that would be two bytes a character: 350 MB for a million responses).
    """
    if b"\x00" in data:  # in UTF-8 the byte 0 is only ever the character NUL
        return "\x00"
    decoder = codecs.getincrementaldecoder(encoding)()
    head = ""
    for start in range(0, len(data), _VALIDATE_BYTES):
        piece = decoder.decode(data[start : start + _VALIDATE_BYTES])
        if len(head) <= _SNIFF_CHARS:
            head += piece[: _SNIFF_CHARS + 1 - len(head)]
    head += decoder.decode(b"", final=True)[: max(0, _SNIFF_CHARS + 1 - len(head))]
    return head


def _looks_like_bomless_utf16(data: bytes) -> bool:
    sample = data[:2000]
    if len(sample) < 4:
        return False
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = len(sample) // 2
    return max(even_nuls, odd_nuls) > 0.4 * half and min(even_nuls, odd_nuls) < 0.05 * half


def sniff_delimiter(text: str) -> tuple[str, int]:
    """Return ``(delimiter, field_count)`` from the first records of ``text``.

    Each candidate splits the sample with real CSV quoting rules (so commas inside quoted question text
    do not count); the winner is the delimiter under which most records have the same number of fields
    (more than one), then the one giving more fields. Title lines above the header do not disturb it.
    """
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    best: tuple[float, int, int] | None = None
    best_delimiter, best_width = ",", 1
    for delimiter in DELIMITERS:
        counts = _field_counts(sample, delimiter)
        if not counts:
            continue
        wide = [count for count in counts if count > 1]
        if not wide:
            continue
        mode, occurrences = Counter(wide).most_common(1)[0]
        key = (occurrences / len(counts), mode, -DELIMITERS.index(delimiter))
        if best is None or key > best:
            best, best_delimiter, best_width = key, delimiter, max(counts)
    return best_delimiter, best_width


def _field_counts(sample: str, delimiter: str) -> list[int]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    counts: list[int] = []
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                counts.append(len(record))
            if len(counts) >= _SNIFF_RECORDS:
                break
    except csv.Error:
        pass
    return counts


def _read_text(path: Path, data: bytes) -> tuple[pd.DataFrame, str, str]:
    text, encoding = _decode(path, data)
    delimiter, width = sniff_delimiter(text)
    if encoding in ("utf-8", "utf-8-sig"):
        # The C parser decodes UTF-8 bytes itself, much faster than reading a Python str buffer.
        source: io.IOBase = io.BytesIO(data)
        pandas_encoding: str | None = encoding
    else:
        source = io.StringIO(text, newline="")
        pandas_encoding = None
    try:
        cells = pd.read_csv(
            source,
            sep=delimiter,
            header=None,
            names=list(range(width)),
            index_col=False,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            quotechar='"',
            doublequote=True,
            encoding=pandas_encoding,
            engine="c",
        )
    except pd.errors.ParserError as error:
        message = str(error)
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
        if found:
            expected, line, saw = found.groups()
            raise InputFileError(
                f"{path.name}: line {line} has {saw} {_DELIMITER_NAMES[delimiter]}-separated fields, "
                f"more than the {expected} of the header",
                hint="fields that contain the delimiter must be quoted; export the survey again",
            ) from None
        raise InputFileError(
            f"{path.name}: not a readable {_DELIMITER_NAMES[delimiter]}-separated file",
            hint="check for an unclosed quote; export the survey again",
        ) from None
    except (UnicodeDecodeError, ValueError):
        raise InputFileError(
            f"{path.name}: not a readable delimited text file", hint="export the survey again as CSV or XLSX"
        ) from None
    return cells, encoding, delimiter


# --- workbooks (XLSX via calamine) --------------------------------------------------------------------------


def _read_workbook(path: Path, sheet: str | None) -> pd.DataFrame:
    try:
        workbook = pd.ExcelFile(path, engine="calamine")
    except Exception:  # calamine raises its own zip/xml errors for any damaged archive
        raise InputFileError(
            f"{path.name}: the workbook is damaged or not a spreadsheet",
            hint="open it in Excel and save it again, or export the survey as CSV",
        ) from None
    with workbook:
        names = [str(name) for name in workbook.sheet_names]
        target: str | int = 0
        if sheet is not None:
            if sheet in names:
                target = sheet
            elif sheet.strip().isdigit() and int(sheet) < len(names):
                target = int(sheet)
            else:
                raise InputFileError(
                    f"{path.name}: no sheet {sheet!r} (sheets: {', '.join(names)})",
                    hint="pass --sheet with a sheet name or a 0-based index",
                )
        try:
            cells = pd.read_excel(workbook, sheet_name=target, header=None, dtype=object, na_filter=False)
        except Exception:
            raise InputFileError(
                f"{path.name}: the sheet cannot be read; the workbook may be damaged",
                hint="open it in Excel and save it again, or export the survey as CSV",
            ) from None
    cells.columns = list(range(cells.shape[1]))
    return cells.reset_index(drop=True)


# --- cell text ----------------------------------------------------------------------------------------------


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


def stripped_text(values: pd.Series) -> pd.Series:
    """Cells as stripped strings, object dtype, same index; workbook cells rendered by :func:`cell_to_text`.

    A column that repeats itself (scores, clinics, statuses) is cleaned once per distinct value; a column of
    mostly distinct values (ids, comments) in one vectorised pass.
    """
    array = values.to_numpy(dtype=object)
    head = array[:1000]
    if values.dtype == object or len(set(head)) <= len(head) // 2:
        codes, uniques = pd.factorize(array)
        cleaned = np.array([cell_to_text(value).strip() for value in uniques] + [""], dtype=object)
        return pd.Series(cleaned[codes], index=values.index, dtype=object)
    return pd.Series(_strip(array), index=values.index, dtype=object)


_strip = np.frompyfunc(str.strip, 1, 1)


def as_text(values: pd.Series) -> pd.Series:
    """``values`` as strings: unchanged for text files, typed workbook cells rendered by :func:`cell_to_text`."""
    if values.dtype == object:
        return values.map(cell_to_text).astype(str)
    return values.astype(str)


def frame_as_text(cells: pd.DataFrame) -> pd.DataFrame:
    if not any(pd.api.types.is_object_dtype(dtype) for dtype in cells.dtypes):
        return cells
    return cells.apply(as_text)
