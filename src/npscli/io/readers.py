"""Turn the bytes of an export file into a raw table of cells, before any header is recognised.

CSV/TSV text is decoded (UTF-8 with or without BOM, UTF-16 with BOM, then Windows-1252, then Latin-1 for a
file that is otherwise text; or the encoding given with --encoding), the
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
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from npscli.core.errors import InputFileError

DELIMITERS = (",", ";", "\t")
# Rarer delimiters some exports use (pipe-delimited files from EHR and data-warehouse tools): chosen only when
# they split the records more evenly than every usual one, i.e. when the sniffer proves them.
RARE_DELIMITERS = ("|", "^", "~")
WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls
_SNIFF_CHARS = 64 * 1024
_SNIFF_RECORDS = 60
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", "^": "caret", "~": "tilde"}
# Columns read beyond the widest record the sniffer saw: a later line with a few more fields (a comment with an
# unquoted comma) is read whole, and rejected as a row rather than failing the file or losing its end.
EXTRA_FIELDS = 8


class WholeRowsNeeded(Exception):
    """A narrow read (:meth:`RawTable.narrowed`) met a row that needs the cells it did not read: a row that may
    be blank, one with fields beyond the header, one without a response id. The caller reads the file whole."""


@dataclass(frozen=True)
class RawTable:
    """The cells of one export, positional columns ``0..n-1``, nothing interpreted yet.

    ``cells`` is the whole table, or, when read with ``chunk_rows``, its first rows: :meth:`more` then yields
    the rest a chunk at a time (same columns, the index counting on), so a file of any size is read in
    bounded memory.
    """

    path: Path
    sha256: str
    cells: pd.DataFrame
    kind: str  # "text" | "workbook"
    encoding: str | None = None
    delimiter: str | None = None
    estimated_rows: int = 0  # the whole table's rows (exact for a workbook, from the file size for text)
    # After :meth:`narrowed`: the positions :meth:`more` reads as text; every other cell of its chunks is only
    # its first byte (NumPy ``S1``; b"" when empty).
    kept: frozenset[int] | None = None
    _rest: Iterator[pd.DataFrame] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def complete(self) -> bool:
        """True when ``cells`` is the whole table."""
        return self._rest is None

    def more(self) -> Iterator[pd.DataFrame]:
        """The chunks after ``cells`` (once: the file is read as they are taken)."""
        if self._rest is not None:
            yield from self._rest

    def narrowed(self, keep: frozenset[int]) -> RawTable:
        """This table with the chunks after ``cells`` reading only the columns at ``keep`` as text (half the
        reading cost of a million rows of eleven columns): of every other cell only its first byte, enough to
        tell an empty cell from one that is not. Only for a text file read in chunks; else ``self``."""
        if self.kind != "text" or self._rest is None or not len(self.cells):
            return self
        close = getattr(self._rest, "close", None)
        if close is not None:
            close()  # (the wide read of the rest, begun with the first chunk, is not needed)
        start = int(self.cells.index[-1]) + 1
        rest = _text_chunks(self, len(self.cells), keep=keep, start=start)
        return replace(self, kept=frozenset(keep), _rest=rest)

    def column(self, position: int, chunk_rows: int = 500_000) -> Iterator[pd.Series]:
        """One column of the whole table, a chunk at a time (a text file is read again for it)."""
        if self.complete:
            yield self.cells[position]
            return
        # (all columns are parsed: pandas' usecols refuses records shorter than the header)
        yield from (chunk[position] for chunk in _text_chunks(self, chunk_rows))


def read_table(
    path: str | Path,
    sheet: str | None = None,
    *,
    chunk_rows: int | None = None,
    encoding: str | None = None,
    checksum: bool = True,
) -> RawTable:
    """Read ``path`` into a :class:`RawTable`; any unreadable file raises :class:`InputFileError`.

    The format is decided by the file's first bytes, not its name: a workbook saved as ``.csv`` still
    reads, and a text file named ``.xlsx`` is refused as a damaged workbook. ``sheet`` (a name, or a
    0-based index as text) selects a workbook sheet and is ignored for text files. With ``chunk_rows``, a
    text file is read that many rows at a time (see :class:`RawTable`); a workbook is always read whole.
    ``encoding`` (--encoding) decodes a text file as that instead of detecting its encoding. ``checksum`` False
    leaves ``sha256`` empty (a file scored, not stored, needs no digest).
    """
    path = Path(path)
    if _large(path):
        from npscli.io.memory import keep_freed_memory

        keep_freed_memory()  # (reading it frees and makes the same buffers again and again: npscli.io.memory)
    probe = _probe(path, encoding, checksum)
    if probe.workbook:
        cells = _read_workbook(path, sheet)
        raw = RawTable(path=path, sha256=probe.sha256, cells=cells, kind="workbook", estimated_rows=len(cells))
    elif path.suffix.lower() in WORKBOOK_SUFFIXES:
        raise InputFileError(
            f"{path.name}: not a valid {path.suffix.lower()} workbook (the file is not a spreadsheet archive)",
            hint="open it in Excel and save it again as .xlsx, or export the survey as CSV",
        )
    else:
        _refuse_other_formats(path, probe.head)
        delimiter, width = sniff_delimiter(probe.head)
        lines = max(1, probe.head.count("\n"))
        estimated = int(probe.size / max(1.0, len(probe.head.encode(probe.encoding, "replace")) / lines))
        raw = RawTable(
            path=path,
            sha256=probe.sha256,
            cells=pd.DataFrame(),
            kind="text",
            encoding=probe.encoding,
            delimiter=delimiter,
            estimated_rows=estimated,
        )
        chunks = _text_chunks(raw, chunk_rows, width=width)
        first = next(chunks, None)
        rest = None if chunk_rows is None else chunks
        raw = replace(raw, cells=first if first is not None else pd.DataFrame(), _rest=rest)
    if raw.cells.shape[0] == 0 or raw.cells.shape[1] == 0:
        raise InputFileError(f"{path.name}: the file holds no rows", hint="export the survey again")
    return raw


def _large(path: Path) -> bool:
    try:
        return path.stat().st_size >= _LARGE_FILE_BYTES
    except OSError:  # (the probe reports it)
        return False


def _refuse_other_formats(path: Path, head: str) -> None:
    """A web page or a JSON document saved under a .csv name (a download link that needed a login, an API
    call): say what it is rather than fail to find a header in it."""
    start = head.lstrip("\ufeff \t\r\n")[:200].lower()
    if start.startswith(("<!doctype html", "<html", "<head", "<body", "<?xml")):
        kind = "an XML document" if start.startswith("<?xml") else "a web page (HTML)"
        raise InputFileError(
            f"{path.name}: this is {kind}, not a survey export",
            hint="download the export again from the survey platform (a link that needed a login saves its login "
            "page), as CSV or XLSX",
        )
    if start[:1] in ("{", "[") and re.match(r'[\[{]\s*(["{\[\]}]|$)', start):
        raise InputFileError(
            f"{path.name}: this is JSON, not a survey export",
            hint="export the responses from the survey platform as CSV or XLSX",
        )


@dataclass(frozen=True)
class _Probe:
    sha256: str
    size: int
    workbook: bool
    encoding: str = ""
    head: str = ""  # the first characters of a text file, for the delimiter sniffer


_SLICE_BYTES = 8 << 20  # the file is hashed and its encoding checked this much at a time


def _probe(path: Path, encoding: str | None = None, checksum: bool = True) -> _Probe:
    """Hash the file and, for text, check its encoding in the same pass, a slice at a time (the file is never
    whole in memory, and read once more only when the first encoding tried fails)."""
    try:
        if path.is_dir():
            raise InputFileError(
                f"{path}: is a folder, not an export file", hint="name the exported .csv or .xlsx file"
            )
        with path.open("rb") as handle:
            first = handle.read(_SLICE_BYTES)
            workbook = first[:8].startswith(_ZIP_MAGIC) or first[:8].startswith(_OLE_MAGIC)
            candidates = [] if workbook else [_codec(encoding)] if encoding else _candidates(first)
            check = None if workbook else _HeadCheck(candidates[0], chosen=encoding is not None)
            digest = hashlib.sha256() if checksum else None
            size, filled = 0, False
            for piece in itertools.chain([first], iter(lambda: handle.read(_SLICE_BYTES), b"")):
                if digest is not None:
                    digest.update(piece)
                size += len(piece)
                filled = filled or bool(piece.strip())
                if check is not None:
                    check.feed(piece)
    except InputFileError:
        raise
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file", hint="check the path and the file name") from None
    except PermissionError:
        raise InputFileError(f"{path}: permission denied", hint="check the file's permissions") from None
    except OSError as error:
        raise InputFileError(f"{path}: cannot be read ({error.strerror})", hint="check the path") from None
    if not filled:
        raise InputFileError(f"{path.name}: the file is empty", hint="export the survey again")
    if check is None:
        return _Probe(sha256=_hex(digest), size=size, workbook=True)
    head, encoding = _decode(path, candidates, check.finish())
    return _Probe(sha256=_hex(digest), size=size, workbook=False, encoding=encoding, head=head)


def _hex(digest) -> str:
    return digest.hexdigest() if digest is not None else ""


# --- text (CSV / TSV) ---------------------------------------------------------------------------------------


def _codec(name: str) -> str:
    """The codec called ``name`` (--encoding); a UsageError for a name Python does not know."""
    from npscli.core.errors import UsageError

    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UsageError(
            f"--encoding {name}: unknown encoding", hint="for example --encoding latin-1, cp1252, utf-8 or utf-16"
        ) from None


# The share of a Latin-1 reading that may be control characters (C0 other than tab and line ends, and C1
# 0x80-0x9f) for the file still to count as text: a CSV written on DOS has a few (CP850 accents), a binary file
# many.
_LATIN1_CONTROL_SHARE = 0.05
_CONTROLS = re.compile("[\x01-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def _candidates(first: bytes) -> list[str]:
    """The encodings to try, in order: BOMs first, then strict UTF-8, then Windows-1252, then Latin-1 (which
    decodes any bytes: taken only when the text it gives is text, see :data:`_LATIN1_CONTROL_SHARE`)."""
    if first.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return ["utf-32"]
    if first.startswith(b"\xef\xbb\xbf"):
        return ["utf-8-sig"]
    if first.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ["utf-16"]
    if _looks_like_bomless_utf16(first):
        return ["utf-16-le" if first[1:2] == b"\x00" else "utf-16-be"]
    return ["utf-8", "cp1252", "latin-1"]


class _HeadCheck:
    """Decode a file as one encoding as its slices go by: whether it decodes, whether it holds a NUL (binary),
    and its first characters (what the delimiter sniffer reads, plus one so it knows there is more).

    pandas decodes the file itself, so the text never needs to exist as one ``str`` (for a file with
    accents that would be two bytes a character: 350 MB for a million responses).
    """

    def __init__(self, encoding: str, *, chosen: bool = False) -> None:
        self.encoding = encoding
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._head = ""
        self._state = "ok"  # "ok" | "undecodable" | "binary"
        self._lines = 0  # newlines decoded so far
        self.nul_line = 0  # the line of the first NUL (binary), 1-based
        self._latin1 = codecs.lookup(encoding).name == "iso8859-1" and not chosen  # --encoding is taken as given
        self._characters = 0
        self._controls = 0  # control characters (counted for Latin-1 only)

    def feed(self, piece: bytes, final: bool = False) -> None:
        if self._state != "ok":
            return
        try:
            text = self._decoder.decode(piece, final=final)
        except UnicodeDecodeError:
            self._state = "undecodable"
            return
        if "\x00" in text:
            self._state = "binary"
            self.nul_line = self._lines + text[: text.index("\x00")].count("\n") + 1
        else:
            self._lines += text.count("\n")
            if self._latin1:
                self._characters += len(text)
                self._controls += len(_CONTROLS.findall(text))
        if self._state != "ok":
            return
        if len(self._head) <= _SNIFF_CHARS:
            self._head += text[: _SNIFF_CHARS + 1 - len(self._head)]

    def finish(self) -> _HeadCheck:
        self.feed(b"", final=True)
        if self._state == "ok" and self._latin1 and self._controls > _LATIN1_CONTROL_SHARE * self._characters:
            self._state = "undecodable"  # decodes, as any bytes do, but not to text
        return self

    @property
    def state(self) -> str:
        return self._state

    @property
    def head(self) -> str:
        return self._head


def _decode(path: Path, candidates: list[str], checked: _HeadCheck) -> tuple[str, str]:
    """Return ``(head, encoding)``: the first candidate that decodes the whole file (``checked`` is the first,
    already done while hashing; the others read the file again)."""
    for encoding in candidates:
        check = checked if encoding == checked.encoding else _check_file(path, encoding)
        if check.state == "binary":  # a binary file that happens to decode, or a text file with a stray NUL
            raise InputFileError(
                f"{path.name}: cannot be decoded as text: it holds a NUL byte (line {check.nul_line}), "
                "as binary files do",
                hint="export the survey again as CSV (UTF-8) or XLSX; if a text export has a few stray NULs, "
                f"remove them: tr -d '\\000' < {path.name} > clean.csv",
            )
        if check.state == "ok":
            return check.head, encoding
    raise InputFileError(
        f"{path.name}: cannot be decoded as text (tried {', '.join(candidates)}); it may be a binary file",
        hint="export the survey again as CSV (UTF-8) or XLSX, or name the file's encoding with --encoding",
    )


def _check_file(path: Path, encoding: str) -> _HeadCheck:
    check = _HeadCheck(encoding)
    try:
        with path.open("rb") as handle:
            for piece in iter(lambda: handle.read(_SLICE_BYTES), b""):
                check.feed(piece)
    except OSError as error:  # the file went away between the two reads
        raise InputFileError(f"{path}: cannot be read ({error.strerror})", hint="check the path") from None
    return check.finish()


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
    (more than one), then the one giving more fields. Title lines above the header do not disturb it. A rare
    delimiter (:data:`RARE_DELIMITERS`) wins only by splitting a larger share of records evenly.
    """
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    best: tuple[float, int, int] | None = None
    best_delimiter, best_width = ",", 1
    candidates = (*DELIMITERS, *RARE_DELIMITERS)
    for delimiter in candidates:
        if delimiter in RARE_DELIMITERS and delimiter not in sample:
            continue
        counts = _field_counts(sample, delimiter)
        if not counts:
            continue
        wide = [count for count in counts if count > 1]
        if not wide:
            continue
        mode, occurrences = Counter(wide).most_common(1)[0]
        key = (occurrences / len(counts), mode, -candidates.index(delimiter))
        if delimiter in RARE_DELIMITERS and best is not None and key[0] <= best[0]:
            continue
        if best is None or key > best:
            best, best_delimiter, best_width = key, delimiter, max(counts)
    # The width counts blank records too: pandas drops the fields of a first line wider than the columns.
    return best_delimiter, max(best_width, _widest(sample, best_delimiter))


def _widest(sample: str, delimiter: str) -> int:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    try:
        return max((len(record) for _, record in zip(range(_SNIFF_RECORDS), reader, strict=False)), default=1)
    except csv.Error:
        return 1


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


def _text_chunks(
    raw: RawTable,
    chunk_rows: int | None,
    *,
    width: int | None = None,
    keep: frozenset[int] | None = None,
    start: int = 0,
) -> Iterator[pd.DataFrame]:
    """The cells of a text file as strings: one frame (``chunk_rows`` None) or frames of ``chunk_rows`` rows.

    The columns are the widest record the sniffer saw plus :data:`EXTRA_FIELDS`. A later record wider still
    (a comment with many unquoted commas) makes pandas stop; the file is then read again with room for it,
    the rows already given skipped, so the record becomes one rejected row instead of failing the file.
    ``keep``: only these positions as strings, every other cell as its first byte (``S1``). ``start``: the
    records before it are skipped (the frames' index still counts them).
    """
    path, delimiter = raw.path, raw.delimiter or ","
    width = width if width is not None else raw.cells.shape[1] - EXTRA_FIELDS
    options: dict[str, Any] = {
        "sep": delimiter,
        "header": None,
        "index_col": False,
        "dtype": str,
        "keep_default_na": False,
        "na_filter": False,
        "skip_blank_lines": False,
        "quotechar": '"',
        "doublequote": True,
        "encoding": _pandas_encoding(path, raw.encoding),
        "engine": "c",
    }
    if start:
        options["skiprows"] = start  # (records, not lines: a quoted newline is inside its record)
    columns = width + EXTRA_FIELDS
    given = start  # rows yielded so far: a wider read starts from the top and skips them
    for _ in range(_MAX_WIDENINGS + 1):
        skip = given
        if keep is not None:
            options["dtype"] = {i: (str if i in keep else "S1") for i in range(columns)}
        try:
            for frame in _frames(path, {**options, "names": list(range(columns))}, chunk_rows):
                if start:
                    frame.index = frame.index + start
                if skip and len(frame) and frame.index[0] < skip:
                    frame = frame[frame.index >= skip]
                if len(frame):
                    given = int(frame.index[-1]) + 1
                    yield frame
            return
        except pd.errors.ParserError as error:
            found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
            if found is None:
                raise InputFileError(
                    f"{path.name}: not a readable {_DELIMITER_NAMES[delimiter]}-separated file",
                    hint="check for an unclosed quote; export the survey again",
                ) from None
            line, saw = int(found.group(2)), int(found.group(3))
            if saw > width + _MAX_EXTRA_FIELDS:
                raise InputFileError(
                    f"{path.name}: line {line} has {saw} {_DELIMITER_NAMES[delimiter]}-separated fields, "
                    f"far more than the {width} of the header",
                    hint="fields that contain the delimiter must be quoted; export the survey again",
                ) from None
            columns = max(saw, columns) + EXTRA_FIELDS
        except (UnicodeDecodeError, ValueError):
            raise InputFileError(
                f"{path.name}: not a readable delimited text file", hint="export the survey again as CSV or XLSX"
            ) from None
        except OSError as error:  # the file went away or became unreadable while it was read
            raise InputFileError(f"{path}: cannot be read ({error.strerror})", hint="check the path") from None
    raise InputFileError(
        f"{path.name}: more than {_MAX_WIDENINGS} records have more fields than any before them",
        hint="fields that contain the delimiter must be quoted; export the survey again",
    )


def _pandas_encoding(path: Path, encoding: str | None) -> str | None:
    """The encoding to hand pandas' C parser: "utf-8" for a file with a UTF-8 byte order mark.

    The C parser reads UTF-8 bytes itself and skips a leading BOM; any other encoding ("utf-8-sig"
    included) is decoded through a text wrapper and encoded to UTF-8 again, 0.3 CPU-s a million responses.
    (The whole file was decoded as UTF-8 by the probe already.) A file that starts with two BOMs keeps
    "utf-8-sig": the text wrapper takes off one and the C parser the other, as before."""
    if encoding != "utf-8-sig":
        return encoding
    try:
        with path.open("rb") as handle:
            start = handle.read(6)
    except OSError:
        return encoding  # (the read that follows reports it)
    return encoding if start == _UTF8_BOM * 2 else "utf-8"


_UTF8_BOM = b"\xef\xbb\xbf"


# A file this large is read in many chunks (the sample export of 2,000 rows is 0.3 MB; 1M rows, 160 MB).
_LARGE_FILE_BYTES = 16 * 1024 * 1024
# A record this many fields wider than the header is not a shifted row but a broken file (or a wrong delimiter).
_MAX_EXTRA_FIELDS = 256
# Each record wider than all before it means reading the file again from the top: a bound on that.
_MAX_WIDENINGS = 16


def _frames(path: Path, options: dict[str, Any], chunk_rows: int | None) -> Iterator[pd.DataFrame]:
    if chunk_rows is None:
        yield pd.read_csv(path, **options)
        return
    with pd.read_csv(path, chunksize=chunk_rows, **options) as reader:
        yield from reader


# --- workbooks (XLSX via calamine) --------------------------------------------------------------------------


def workbook_sheets(path: Path) -> list[str]:
    """The sheet names of a workbook, in order ([] if it cannot be read)."""
    from python_calamine import load_workbook

    try:
        workbook = load_workbook(str(path))
        try:
            return [str(name) for name in workbook.sheet_names]
        finally:
            workbook.close()
    except Exception:  # calamine's own errors; the first read already said what is wrong
        return []


def _read_workbook(path: Path, sheet: str | None) -> pd.DataFrame:
    """The cells of one sheet, typed as calamine reads them (str, float, int, bool, datetime, date, time,
    timedelta; "" for an empty cell); row ``i`` is spreadsheet row ``i + 1``. python-calamine directly:
    pandas' read_excel on top of it costs twice the time for nothing npscli needs."""
    from python_calamine import load_workbook

    try:
        workbook = load_workbook(str(path))
        names = [str(name) for name in workbook.sheet_names]
    except Exception:  # calamine raises its own zip/xml errors for any damaged archive
        raise InputFileError(
            f"{path.name}: the workbook is damaged or not a spreadsheet",
            hint="open it in Excel and save it again, or export the survey as CSV",
        ) from None
    target = 0
    if sheet is not None:
        if sheet in names:
            target = names.index(sheet)
        elif sheet.strip().isdigit() and int(sheet) < len(names):
            target = int(sheet)
        else:
            raise InputFileError(
                f"{path.name}: no sheet {sheet!r} (sheets: {', '.join(names)})",
                hint="pass --sheet with a sheet name or a 0-based index",
            )
    try:
        rows = workbook.get_sheet_by_index(target).to_python(skip_empty_area=False)
    except Exception:
        raise InputFileError(
            f"{path.name}: the sheet cannot be read; the workbook may be damaged",
            hint="open it in Excel and save it again, or export the survey as CSV",
        ) from None
    finally:
        workbook.close()
    cells = pd.DataFrame(rows, dtype=object)
    while len(cells) and (cells.iloc[-1] == "").all():  # Excel's formatted-but-empty rows at the end
        cells = cells.iloc[:-1]
    cells.columns = list(range(cells.shape[1]))
    return cells.reset_index(drop=True)
