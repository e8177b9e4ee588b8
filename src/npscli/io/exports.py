"""Read a survey export (Qualtrics, SurveyMonkey, Google Forms, Typeform, Delighted or a plain table) into
one row per usable response, with every other data row accounted for as an issue.

Two entry points: ``open_export`` (the importer: header and mapping now, rows a chunk at a time as they
are stored) and ``read_export`` (the whole file at once: `score FILE`, tests). Either way: bytes -> raw table
(``readers``), header found by content (``layouts``), columns mapped to canonical fields by header and values
(``mapping``), scores, statuses and times parsed a column at a time (``values``), and each response keyed by
its id or its whole row (``keys``). A file without a date column reads for scoring (``date_required=False``)
or with every response stamped at ``stamp`` (--date). ``rows_read == len(records) + len(issues)`` always holds.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from npscli.core.errors import ColumnError, InputFileError, RowError
from npscli.core.textsafe import neutralize_formula
from npscli.io.cells import all_text, frame_as_text, stripped_text
from npscli.io.dates import (
    BAD_DATE,
    DATE_OUT_OF_RANGE,
    FUTURE_DATE,
    MISSING_DATE,
    DateOrder,
    check_timezone,
    parse_datetimes,
)
from npscli.io.keys import RowKeyState, row_keys
from npscli.io.layouts import Header, data_rows, detect_header, extract_data
from npscli.io.mapping import (
    CANONICAL_FIELDS,
    ColumnMapping,
    describe_columns,
    map_columns,
    other_survey_rows,
    summary_rows,
)
from npscli.io.readers import RawTable, WholeRowsNeeded, read_table, workbook_sheets
from npscli.io.records import build_records, join_records, source_timezone, stamped_dates
from npscli.io.values import BLANK_SCORE, SCALE_MIN_VALUES, SUMMARY_ROW, parse_scores, status_exclusions

__all__ = [
    "CANONICAL_FIELDS",
    "CHUNK_ROWS",
    "ExportStream",
    "ParsedExport",
    "ReadOptions",
    "RowIssue",
    "open_export",
    "read_export",
    "strict_failure",
    "write_rejects",
]


@dataclass(frozen=True)
class ReadOptions:
    overrides: dict[str, str] = field(default_factory=dict)  # canonical field -> column (name or question text)
    sheet: str | None = None  # workbook sheet name or 0-based index as text; default the first sheet
    dayfirst: bool | None = None  # --dayfirst / --monthfirst; None = infer from the file
    default_dayfirst: bool = False  # used when the file proves neither order (config `dayfirst`)
    timezone: str = "UTC"  # IANA zone of the clinic: naive times are local to it, local_date is in it
    scale_check: bool = True  # refuse a score column that looks like a 1-5 or 1-7 scale
    strict: bool = False  # one rejected row fails the whole file (raised after the chunk holding it)
    not_after: datetime | None = None  # aware: a response submitted later is rejected (the import's now + a day)
    date_required: bool = True  # False for scoring a file: a file without a date column still scores
    stamp: datetime | None = None  # aware: --date, the time of every response of a file without a date column
    encoding: str | None = None  # --encoding: decode a text file as this, not by detection
    fields: tuple[str, ...] | None = None  # the text fields to build (None: all); the others are left empty
    checksum: bool = True  # False: no sha256 of the file (scoring a file stores nothing that needs it)
    # Read only the columns ``fields`` needs beyond the first chunk (RawTable.narrowed), for a file with response
    # ids; no rejected row's cells are kept. read_export reads the file whole instead when a row needs them.
    narrow: bool = False


@dataclass
class RowIssue:
    row: int  # spreadsheet row number (1 = first line of the file; header rows count)
    outcome: str  # "skipped" | "excluded" | "rejected"
    reason: str  # a fixed phrase, never a cell's contents
    column: str | None  # the source column concerned


CHUNK_ROWS = 100_000  # rows read, parsed and stored at a time: memory stays flat whatever the file's size
EXTRA_FIELDS = "more fields than the header: a value with an unquoted delimiter shifted the row"
EXTRA_FIELDS_COLUMN = "(fields beyond the header)"  # the rejects file keeps them


@dataclass
class ParsedExport:
    """A whole export parsed at once (:func:`read_export`): its records in one frame."""

    path: Path
    sha256: str
    layout: str
    columns: list[str]
    mapping: dict[str, str]
    mapping_source: dict[str, str]
    mapping_reason: dict[str, str]
    encoding: str | None
    sheet: str | None
    stamped: datetime | None
    kept_identical: int
    records: pd.DataFrame
    issues: list[RowIssue]
    rows_read: int
    rejected_cells: pd.DataFrame  # the original cells of the rejected rows, as text, indexed by row
    guessed_dayfirst: bool | None = None  # see ExportStream.guessed_dayfirst

    @property
    def estimated_rows(self) -> int:
        return self.rows_read

    def chunks(self) -> Iterator[pd.DataFrame]:
        yield self.records


class ExportStream:
    """One export read, parsed and handed on a chunk at a time (:func:`open_export`), so that a file of any
    size imports in bounded memory.

    What the header tells (layout, columns, mapping) is known before the data. :meth:`chunks` yields the
    records of each chunk and adds to ``issues``, ``rows_read`` and ``rejected_cells`` as it goes; after the
    last chunk ``rows_read == records + len(issues)`` holds as for :class:`ParsedExport`. The checks that
    need the whole file see all of it: the day/month order of the dates is settled before the first chunk
    is parsed, and the 1-5 scale check raises after the last one (the importer's transaction then rolls
    back).
    """

    def __init__(
        self,
        raw: RawTable,
        header: Header,
        mapping: ColumnMapping,
        options: ReadOptions,
        first: tuple[pd.DataFrame, pd.Series] | None = None,
    ) -> None:
        """``first``: what :func:`extract_data` gave for ``raw`` and ``header`` (the mapping read it), if known."""
        self._raw, self._header, self._map, self._options = raw, header, mapping, options
        self._first = first
        self.path = raw.path
        self.sha256 = raw.sha256
        self.layout = header.layout
        self.columns = list(header.columns)
        self.mapping = mapping.public()
        self.mapping_source = dict(mapping.sources)
        self.mapping_reason = dict(mapping.reasons)
        self.encoding = raw.encoding
        self.sheet: str | None = None  # the sheet read, when not the first (see open_export)
        self.estimated_rows = raw.estimated_rows
        self.issues: list[RowIssue] = []
        self.rows_read = 0
        self._rejected: list[pd.DataFrame] = []
        self._score_column = mapping.columns["score"][0]
        self._date_column = mapping.columns["submitted_at"][0] if "submitted_at" in mapping.columns else None
        # a file without a date column: every response at the --date given (or none, to score it)
        self.stamped = options.stamp if self._date_column is None else None
        self._where = f"{raw.name}: column {self._date_column!r}"
        self._row_keys = RowKeyState()
        self._order = DateOrder(options.dayfirst, options.default_dayfirst, self._where)
        self._scale = _ScaleWatch()
        self._started = False

    @property
    def guessed_dayfirst(self) -> bool | None:
        """After reading: the day/month order used for dates that read either way (03/11/2025) when no value
        proved it and none was asked for (the config default), else None: nothing was guessed."""
        return self._order.decide() if self._order.unsettled else None

    @property
    def kept_identical(self) -> int:
        """Identical rows kept as separate responses (ordinary rows that different people give; see io.keys)."""
        return self._row_keys.kept_identical

    @property
    def narrow(self) -> bool:
        """Whether the chunks after the first read only the columns the records need (ReadOptions.narrow)."""
        return self._raw.kept is not None

    @property
    def rejected_cells(self) -> pd.DataFrame:
        if self.narrow:
            raise RuntimeError("a narrow read keeps no rejected rows' cells")
        if not self._rejected:
            return pd.DataFrame(columns=self.columns, dtype=object)
        if len(self._rejected) == 1:
            return self._rejected[0]
        return pd.concat(self._rejected).fillna("")  # (a chunk without extra fields has no such column)

    def chunks(self) -> Iterator[pd.DataFrame]:
        if self._started:
            raise RuntimeError("an ExportStream is read once")
        self._started = True
        pieces = self._data()
        first = next(pieces)
        if not self._raw.complete or len(first[0]) >= CHUNK_ROWS:
            self._settle_date_order(first[0])
        for data, extra in itertools.chain([first], pieces):
            records = self._parse(data, extra)
            if self._options.strict and self._rejected:
                for rest in pieces:  # read on, storing nothing, to count every rejected row
                    self._parse(*rest)
                raise strict_failure(self)
            yield records
        scale = self._scale.short_scale() if self._options.scale_check else None
        if scale is not None:
            kind = "(CSAT/Press Ganey)" if scale == "1-5" else "(a rating out of 7, as schools grade)"
            raise ColumnError(
                f"{self._raw.name}: column {self._score_column!r} looks like a {scale} scale {kind}, "
                "not a 0-10 likelihood-to-recommend score",
                hint="map the 0-10 question with --map score=COLUMN, or pass --no-scale-check if this really is 0-10",
            )

    def _data(self) -> Iterator[tuple[pd.DataFrame, pd.Series]]:
        """The data rows and their fields beyond the header, CHUNK_ROWS at a time (the first never empty)."""
        first, extra = self._first if self._first is not None else extract_data(self._raw, self._header)
        self._first = None
        for start in range(0, len(first), CHUNK_ROWS):
            yield first.iloc[start : start + CHUNK_ROWS], extra.iloc[start : start + CHUNK_ROWS]
        for cells in self._raw.more():
            data, extra = data_rows(cells, self._header)
            if len(data):
                yield data, extra

    def _settle_date_order(self, first: pd.DataFrame) -> None:
        """Before a large file's first chunk is parsed: if its dates read either way and none proves the
        order, look at the whole date column (one order for every row of the file)."""
        if self._options.dayfirst is not None or self._date_column is None:
            return
        self._order.observe(_date_texts(first[self._date_column]))
        if not self._order.unsettled:
            return
        position = self._header.positions[self._header.columns.index(self._date_column)]
        for piece in self._raw.column(position):
            self._order.observe(_date_texts(piece[piece.index >= self._header.data_start]))

    def _parse(self, data: pd.DataFrame, extra: pd.Series) -> pd.DataFrame:
        """One chunk: its records returned; its issues and rejected rows kept on the stream. ``extra`` holds
        each row's fields beyond the header: such a row is rejected, its values shifted by a stray delimiter."""
        mapping, score_column, date_column = self._map, self._score_column, self._date_column
        excluded = pd.Series(None, index=data.index, dtype=object)
        if mapping.status_column is not None:
            excluded = status_exclusions(
                data[mapping.status_column], numeric_codes=self._header.layout.startswith("qualtrics")
            )
        if mapping.survey_kind is not None:
            excluded = excluded.fillna(other_survey_rows(data, mapping))
        is_excluded = excluded.notna()
        scores = parse_scores(data[score_column])
        self._scale.add(scores.score[~is_excluded])
        if date_column is None:
            dates = stamped_dates(data.index, self.stamped)
        else:
            dates = parse_datetimes(
                data[date_column],
                timezone=source_timezone(self._header, date_column, self._options.timezone),
                dayfirst=self._options.dayfirst,
                default_dayfirst=self._options.default_dayfirst,
                where=self._where,
                order_state=self._order,
            )

        # Outcome precedence: excluded > skipped (blank score) > rejected (score, then time) > record.
        outcome = pd.Series(None, index=data.index, dtype=object)
        reason = pd.Series(None, index=data.index, dtype=object)
        concerned = pd.Series(None, index=data.index, dtype=object)
        date_problem = pd.Series(None, index=data.index, dtype=object)
        problems = []  # (rows, reason): a later reason overrides an earlier one
        if date_column is not None:
            problems.append((dates.utc.isna(), BAD_DATE))
            if dates.out_of_range is not None:
                problems.append((dates.out_of_range, DATE_OUT_OF_RANGE))
            problems.append((dates.blank, MISSING_DATE))
        if self._options.not_after is not None:
            latest = pd.Timestamp(self._options.not_after).tz_convert("UTC").tz_localize(None)  # dates.utc is naive UTC
            problems.append((dates.utc > latest, FUTURE_DATE))
        for rows, why in problems:
            if rows.any():  # (most chunks have none)
                date_problem[rows] = why
        # A row without a time (all rows of a dateless file, else those whose time is missing or bad) may be a
        # sheet's Total / Average / NPS line: excluded, never scored (a "Median ... 9" line is no promoter).
        undated = date_problem.notna() if date_column is not None else None
        summary = summary_rows(data, mapping, undated) if undated is None or undated.any() else None
        steps = (
            (extra != "", "rejected", EXTRA_FIELDS, None),
            (is_excluded, "excluded", excluded, mapping.status_column or _kind_column(mapping)),
            *(() if summary is None else ((summary.notna(), "excluded", SUMMARY_ROW, summary),)),
            (scores.blank, "skipped", BLANK_SCORE, score_column),
            (scores.problem.notna(), "rejected", scores.problem, score_column),
            (date_problem.notna(), "rejected", date_problem, date_column),
        )
        for mask, label, why, column in steps:
            fresh = mask & outcome.isna()
            if not fresh.any():  # (the usual case: nothing to mark, and a masked assignment costs as much)
                continue
            outcome[fresh] = label
            reason[fresh] = why[fresh] if isinstance(why, pd.Series) else why
            concerned[fresh] = column
        usable = outcome.isna()
        every_row = bool(usable.all())  # (a clean chunk: its columns as they are, not copied through a mask)

        def whole_row_keys() -> np.ndarray:
            if any(dtype.kind == "S" for dtype in data.dtypes):  # a narrow read's chunk: not the whole rows
                raise WholeRowsNeeded("a row without a response id")  # (its key is the whole row)
            meanings = {score_column: scores.score}
            if date_column is not None:
                meanings[date_column] = dates.utc
            keys = row_keys(data, meanings=meanings, usable=usable.to_numpy(), state=self._row_keys)
            return keys[usable.to_numpy()]

        records = build_records(
            data if every_row else data[usable],
            mapping,
            scores.score if every_row else scores.score[usable],
            dates.utc if every_row else dates.utc[usable],
            self._options.timezone,
            whole_row_keys,
            self._options.fields,
        )
        if every_row:
            self.rows_read += len(data)
            return records
        problem_rows = data.index[~usable]
        self.issues.extend(
            RowIssue(row=int(row), outcome=label, reason=why, column=column)
            for row, label, why, column in zip(
                problem_rows,
                outcome[~usable].tolist(),
                reason[~usable].tolist(),
                concerned[~usable].tolist(),
                strict=True,
            )
        )
        rejected = (outcome == "rejected").to_numpy()
        if rejected.any() and not self.narrow:
            cells = frame_as_text(data[rejected])
            if (extra[rejected] != "").any():
                cells[EXTRA_FIELDS_COLUMN] = extra[rejected]
            self._rejected.append(cells)
        self.rows_read += len(data)
        return records


@dataclass
class _ScaleWatch:
    """The valid scores seen so far, for the 1-5 scale check over the whole file."""

    count: int = 0
    low: float = float("inf")
    high: float = float("-inf")

    def add(self, scores: pd.Series) -> None:
        valid = scores.dropna()
        if len(valid):
            self.count += len(valid)
            self.low = min(self.low, float(valid.min()))
            self.high = max(self.high, float(valid.max()))

    def short_scale(self) -> str | None:
        """ "1-5" or "1-7" when at least SCALE_MIN_VALUES valid scores all lie within 1..5 (a CSAT / Press Ganey
        item) or 1..7 (a 7-point rating): nobody chose 0 or anything above 7 of a 0-10 question."""
        if self.count < SCALE_MIN_VALUES or self.low < 1:
            return None
        return "1-5" if self.high <= 5 else "1-7" if self.high <= 7 else None


def _date_texts(values: pd.Series) -> pd.Series:
    """The text cells of a date column, stripped (workbook dates and numbers are not text)."""
    if values.dtype == object and not all_text(values):
        values = values[values.map(lambda value: isinstance(value, str))]
    return stripped_text(values)


def open_export(path: str | Path, options: ReadOptions = ReadOptions()) -> ExportStream:
    """Open one export to read it a chunk at a time: the file is checked, its header recognised and its
    columns mapped now; the data is read as :meth:`ExportStream.chunks` is consumed.

    A workbook whose first sheet holds no score column (a pivot or notes sheet someone put first) is read from
    the first other sheet that does, unless ``--sheet`` names one; :attr:`ExportStream.sheet` says which.

    Raises InputFileError, ColumnError or UsageError (here or from ``chunks``); never quotes a cell.
    """
    check_timezone(options.timezone)
    raw = read_table(path, options.sheet, chunk_rows=CHUNK_ROWS, encoding=options.encoding, checksum=options.checksum)
    try:
        return _open(raw, options)
    except (ColumnError, InputFileError) as error:
        if raw.kind != "workbook" or options.sheet is not None or "score" in options.overrides:
            raise
        for sheet in workbook_sheets(raw.path)[1:]:
            try:
                other = read_table(path, sheet, chunk_rows=CHUNK_ROWS, checksum=options.checksum)
                stream = _open(other, options)
            except (ColumnError, InputFileError):
                continue
            stream.sheet = sheet
            return stream
        raise error from None


class NoDataRows(InputFileError):
    """A file with a header and no responses below it: nothing to score; for an import, nothing to store (a
    daily export of a quiet day)."""


def _open(raw: RawTable, options: ReadOptions) -> ExportStream:
    name = raw.name
    header = detect_header(raw)
    first, extra = extract_data(raw, header)
    if first.empty:
        raise NoDataRows(f"{name}: no data rows below the header", hint="export the survey again with its responses")
    mapping = map_columns(header, first.iloc[:CHUNK_ROWS], options.overrides, name)
    if options.narrow and options.fields is not None and "response_id" in mapping.columns:
        raw = raw.narrowed(_positions(header, mapping, options.fields))
    if "score" not in mapping.columns:
        refused = mapping.reasons.get("score")  # the columns named like the score, and why none is one
        found = f": {refused}" if refused else f" ({describe_columns(header)})"
        raise ColumnError(
            f"{name}: no 0-10 likelihood-to-recommend column found{found}",
            hint="a recommend question answered in words or yes/no is not NPS; if another column holds the 0-10 "
            "answers, name it with --map score=COLUMN"
            if refused
            else "name it with --map score=COLUMN",
        )
    if "submitted_at" not in mapping.columns and options.date_required and options.stamp is None:
        raise ColumnError(
            f"{name}: no date/time column found for when each response was submitted ({describe_columns(header)})",
            hint="give the survey's close date with --date WHEN (every response is stamped with it), "
            "or name the column with --map submitted_at=COLUMN",
        )
    return ExportStream(raw, header, mapping, options, first=(first, extra))  # the data rows extracted once


def _kind_column(mapping: ColumnMapping) -> str | None:
    return mapping.survey_kind[1] if mapping.survey_kind is not None else None


def _positions(header: Header, mapping: ColumnMapping, fields: tuple[str, ...]) -> frozenset[int]:
    """The raw positions of the columns that the records of ``fields`` are built from (with the response id,
    the time, the score and the status)."""
    wanted = {"response_id", "submitted_at", "score", *fields}
    names = [name for field, columns in mapping.columns.items() if field in wanted for name in columns]
    if mapping.status_column is not None:
        names.append(mapping.status_column)
    if mapping.survey_kind is not None:
        names.extend(mapping.survey_kind)
    return frozenset(header.positions[header.columns.index(name)] for name in names)


def read_export(
    path: str | Path, options: ReadOptions = ReadOptions(), *, columns: tuple[str, ...] | None = None
) -> ParsedExport:
    """Read one whole export at once. Raises InputFileError, ColumnError or UsageError; never quotes a cell.
    (The importer streams instead: :func:`open_export`.) With ``options.narrow``, a file that turns out to
    need the cells a narrow read leaves out (see :class:`WholeRowsNeeded`) is read again whole. ``columns``:
    the record columns kept (default all of RECORD_COLUMNS; the others are never joined across chunks)."""
    try:
        return _read_whole(open_export(path, options), columns)
    except WholeRowsNeeded:
        return _read_whole(open_export(path, replace(options, narrow=False)), columns)


def _read_whole(stream: ExportStream, columns: tuple[str, ...] | None) -> ParsedExport:
    frames = [frame if columns is None else frame[list(columns)] for frame in stream.chunks()]
    filled = [frame for frame in frames if len(frame)] or frames[:1]
    records = join_records(filled) if len(filled) > 1 else filled[0]
    return ParsedExport(
        path=stream.path,
        sha256=stream.sha256,
        layout=stream.layout,
        columns=stream.columns,
        mapping=stream.mapping,
        mapping_source=stream.mapping_source,
        mapping_reason=stream.mapping_reason,
        encoding=stream.encoding,
        sheet=stream.sheet,
        stamped=stream.stamped,
        kept_identical=stream.kept_identical,
        records=records,
        issues=stream.issues,
        rows_read=stream.rows_read,
        rejected_cells=pd.DataFrame(columns=stream.columns) if stream.narrow else stream.rejected_cells,
        guessed_dayfirst=stream.guessed_dayfirst,
    )


def strict_failure(export: ParsedExport | ExportStream) -> RowError:
    """The error --strict gives for an export with rejected rows: the first of them, and how many."""
    first = next(i for i in export.issues if i.outcome == "rejected")
    n = sum(1 for i in export.issues if i.outcome == "rejected")
    column = f", column {first.column!r}" if first.column else ""
    return RowError(
        f"{export.path}: row {first.row}{column}: {first.reason}; --strict: {n} rejected row(s), nothing imported",
        hint="fix the rows (see --rejects rejects.csv for all of them) or import without --strict",
    )


def write_rejects(parsed: ParsedExport | ExportStream, path: Path) -> int:
    """Write the rejected rows to a CSV: columns row, reason, column, then the original columns; cells
    neutralised with npscli.core.textsafe.neutralize_formula; written atomically (temp file + os.replace).
    Returns rows written.

    The file is UTF-8 with a BOM so that Excel shows accents correctly.
    """
    path = Path(path)
    rejected = [issue for issue in parsed.issues if issue.outcome == "rejected"]
    originals = parsed.rejected_cells.loc[[issue.row for issue in rejected]]
    header = ["row", "reason", "column", *parsed.rejected_cells.columns]
    try:
        handle = tempfile.NamedTemporaryFile(
            "w",
            dir=path.parent,
            prefix=f".{path.name}.",
            suffix=".tmp",
            delete=False,
            encoding="utf-8-sig",
            newline="",
        )
    except OSError as error:
        raise InputFileError(
            f"{path}: cannot write the rejects file ({error.strerror})",
            hint="check that the folder exists and is writable",
        ) from None
    try:
        with handle:
            writer = csv.writer(handle)
            writer.writerow([neutralize_formula(str(cell)) for cell in header])
            for issue, cells in zip(rejected, originals.itertuples(index=False, name=None), strict=True):
                writer.writerow(
                    [issue.row, issue.reason, neutralize_formula(issue.column or "")]
                    + [neutralize_formula(cell) for cell in cells]
                )
        os.replace(handle.name, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(handle.name)
        raise InputFileError(
            f"{path}: cannot write the rejects file ({error.strerror})",
            hint="check that the folder exists and is writable",
        ) from None
    return len(rejected)
