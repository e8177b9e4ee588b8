"""Find the header of an export by what its first rows contain, and name its columns.

Vendors are recognised by content, never by a flag: a row of Qualtrics ``ImportId`` JSON (current
Qualtrics, three header rows), a ``V1, V2, V3...`` row (legacy Qualtrics, two header rows), a second row of
``Response`` / ``Open-Ended Response`` labels (SurveyMonkey, two header rows), or a single header row whose
names tell Google Forms, Typeform and Delighted apart from a plain table. Title lines above the header are
skipped. The result says which raw rows are header, where the data starts and what each column is called.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from npscli.core.errors import InputFileError
from npscli.io.cells import frame_as_text, stripped_text
from npscli.io.readers import RawTable, WholeRowsNeeded

LAYOUTS = (
    "qualtrics", "qualtrics-legacy", "surveymonkey", "survicate", "limesurvey", "google-forms", "typeform",
    "delighted", "plain",
)  # fmt: skip

_SCAN_ROWS = 40
# The characters of a cell the header detection looks at: a Qualtrics question with its HTML fits; a 10 MB
# header cell (a paste gone wrong, or an attack) is cut, so matching it costs what a normal one does.
HEADER_CELL_CHARS = 2000
_IMPORT_ID = re.compile(r"""^\{\s*['"]ImportId['"]\s*:""")
_IMPORT_ID_VALUE = re.compile(r"""['"]ImportId['"]\s*:\s*['"]([^'"]*)['"]""")
_IMPORT_TIMEZONE = re.compile(r"""['"]timeZone['"]\s*:\s*['"]([^'"]*)['"]""")
_V_NAME = re.compile(r"^V\d+$")
_NUMBER_LIKE = re.compile(r"^[-+]?\d+(?:[.,]\d+)?$")
_DATE_OR_EMAIL_LIKE = re.compile(r"^(?:\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}.*|\S+@\S+\.\S+)$")
_SURVEYMONKEY_LABELS = {"response", "open-ended response", "open ended response"}
# Survicate's second header row: "Score" (then "Label", the NPS group) under a rating question, "Answer" (then
# "Insight", its tag) under a text question, "Action" under a call to action.
_SURVICATE_LABELS = {"score", "answer", "action"}
_QUALTRICS_FIELDS = {
    "startdate", "enddate", "status", "ipaddress", "progress", "durationinseconds", "finished",
    "recordeddate", "responseid", "distributionchannel", "userlanguage", "recipientemail",
    "recipientfirstname", "recipientlastname", "externalreference", "locationlatitude",
}  # fmt: skip
_DATE_FIELDS = {"startdate", "enddate", "recordeddate"}
# LimeSurvey's own response fields, as its question-code headings name them ("id", "submitdate", ...) and as its
# full headings do ("Response ID", "Date submitted", ...); its VV export puts the full headings in row 1 and
# the codes in row 2.
_LIMESURVEY_CODES = {"submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr", "refurl"}
_LIMESURVEY_HEADINGS = {"datesubmitted", "lastpage", "startlanguage", "datestarted", "datelastaction", "referrerurl"}


def compact(text: str) -> str:
    """Lower-case letters and digits only, accents removed: ``"E-mail Address"`` -> ``"emailaddress"``."""
    return "".join(words(text))


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased, accents removed, punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.findall(r"[^\W_]+", plain.replace("ß", "ss"))


def clean_label(text: str) -> str:
    """A header cell as a column name: HTML entities decoded, runs of whitespace (newlines) made one space."""
    if "&" in text:  # (html.unescape leaves a text without "&" as it is; html.entities costs 1-2 ms to import)
        import html

        text = html.unescape(text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Header:
    """Where the header and the data of a raw table are, and what each kept column is called."""

    layout: str
    header_rows: tuple[int, ...]  # raw (0-based) rows that form the header
    data_start: int  # raw (0-based) row of the first data row
    positions: list[int]  # raw column positions kept, in order
    columns: list[str]  # the field-name header (combined, unique); the names users --map
    questions: list[str]  # the second header row per column (question text / sub-label), "" if none
    alternates: list[tuple[str, ...]]  # every other header text of the column, for matching overrides
    import_ids: list[str]  # Qualtrics ImportId per column, "" if none
    timezones: list[str | None]  # Qualtrics row-3 timeZone per column
    overflow: list[int]  # raw positions after the last named column that are not a column: a value there is
    # a record with more fields than the header (an unquoted delimiter shifted it)


def detect_header(raw: RawTable) -> Header:
    """Recognise the layout of ``raw`` and return its :class:`Header`."""
    head = frame_as_text(raw.cells.iloc[:_SCAN_ROWS])
    rows = [[cell[:HEADER_CELL_CHARS].strip() for cell in row] for row in head.itertuples(index=False, name=None)]

    for index in range(2, len(rows)):
        if _import_id_share(rows[index]) >= 0.5:
            return _qualtrics(raw, rows, index - 2)
    for index in range(len(rows) - 1):
        if _is_v_row(rows[index]):
            return _qualtrics_legacy(raw, rows, index)

    for index in range(len(rows) - 1):
        if _is_limesurvey_codes(rows[index + 1]) and not _is_limesurvey_codes(rows[index]):
            # a VV export: full headings (the question text), then the field codes users --map
            return _build(raw, "limesurvey", (index, index + 1), rows[index + 1], questions=rows[index])
    for index in range(len(rows) - 1):
        if _is_surveymonkey_labels(rows[index], rows[index + 1]):
            return _surveymonkey(raw, rows, index)
        if _is_surveymonkey_labels(rows[index], rows[index + 1], vendor=_SURVICATE_LABELS):
            return _surveymonkey(raw, rows, index, layout="survicate", vendor=_SURVICATE_LABELS)

    index = _find_header_row(rows)
    if index is None:
        raise InputFileError(
            f"{raw.name}: no header row found in the first {len(rows)} rows",
            hint="the first rows should name the columns; export the survey again with its header",
        )
    names = rows[index]
    below = rows[index + 1] if index + 1 < len(rows) else []
    named = {compact(name) for name in names if name}
    if len(named & _QUALTRICS_FIELDS) >= 3 and below and _is_question_row(names, below):
        return _build(raw, "qualtrics", (index, index + 1), names, questions=below)
    return _build(raw, _classify_single(names), (index,), names)


def extract_data(raw: RawTable, header: Header) -> tuple[pd.DataFrame, pd.Series]:
    """The data rows of ``raw.cells`` (see :func:`data_rows`)."""
    return data_rows(raw.cells.iloc[header.data_start :], header)


def data_rows(cells: pd.DataFrame, header: Header) -> tuple[pd.DataFrame, pd.Series]:
    """The data rows of any run of raw rows below the header (a chunk of a large file): columns named by
    ``header``, indexed by spreadsheet row number (raw row ``i`` is row ``i + 1``), blank rows dropped; and,
    for each of those rows, the text of its fields beyond the header ("" for a well-formed row).

    Workbook cells keep their types; text cells are strings.
    """
    data = cells.iloc[:, header.positions]
    data = data.set_axis(header.columns, axis=1)
    start = int(cells.index[0]) + 1 if len(cells) else header.data_start + 1
    index = pd.RangeIndex(start, start + len(data), name="row")
    data.index = index
    extra = pd.Series("", index=index, dtype=object)
    # a text file read again wider (a record with many more fields than the header): the new columns spill too
    known = max(header.positions + header.overflow, default=-1) + 1
    overflow = header.overflow + list(range(known, cells.shape[1])) if header.overflow else header.overflow
    if overflow and len(cells):
        spill = cells.iloc[:, overflow]
        if any(dtype.kind == "S" for dtype in spill.dtypes):  # a narrow read: only first bytes there
            if (spill.to_numpy(dtype="S1") != b"").any():
                raise WholeRowsNeeded("a record with fields beyond the header")
        else:
            spill = spill.to_numpy(dtype=object)
            rows = (spill != "").any(axis=1).nonzero()[0]  # text cells: "" is empty; few rows ever spill
            extra.iloc[rows] = [" | ".join(str(v).strip() for v in spill[r] if str(v).strip()) for r in rows]
    if data.empty:
        return data, extra
    # Narrow the candidates column by column: most rows are ruled out by their first cell. A narrow read's
    # first-byte columns go first (a vectorised test, where stripping a text column costs 0.1 s a million).
    blank = (extra == "").to_numpy().copy()
    unsure = np.zeros(len(data), dtype=bool)  # a first byte that may begin a blank cell: only the cell tells
    kinds = [dtype.kind for dtype in data.dtypes]
    for position in sorted(range(data.shape[1]), key=lambda position: kinds[position] != "S"):
        if not blank.any():
            return data, extra
        rows = np.flatnonzero(blank)
        values = data.iloc[rows, position]
        if kinds[position] == "S":
            empty, maybe = _first_bytes_blank(values)
            blank[rows] = empty | maybe
            unsure[rows[maybe]] = True
        else:
            blank[rows] = (stripped_text(values) == "").to_numpy()
    if (blank & unsure).any():
        raise WholeRowsNeeded("a row that may be blank")
    return (data[~blank], extra[~blank]) if blank.any() else (data, extra)


def _first_bytes_blank(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Of a narrow read's column (each cell's first byte, see RawTable.narrowed): which cells are empty, and
    which may be blank all the same. A first byte that is printable ASCII is a cell with text; a space or any
    other byte may begin a blank cell (spaces, a no-break space), which only the whole cell tells."""
    first = values.to_numpy(dtype="S1")
    empty = first == b""
    code = np.frombuffer(first.tobytes(), dtype=np.uint8)  # (b"" is 0)
    return empty, ~((code > 0x20) & (code < 0x7F) | empty)


# --- the layouts --------------------------------------------------------------------------------------------


def _qualtrics(raw: RawTable, rows: list[list[str]], index: int) -> Header:
    import_row = rows[index + 2]
    import_ids = [_first(_IMPORT_ID_VALUE, cell) for cell in import_row]
    timezones = [_first(_IMPORT_TIMEZONE, cell) or None for cell in import_row]
    return _build(
        raw,
        "qualtrics",
        (index, index + 1, index + 2),
        rows[index],
        questions=rows[index + 1],
        import_ids=import_ids,
        timezones=timezones,
    )


def _qualtrics_legacy(raw: RawTable, rows: list[list[str]], index: int) -> Header:
    # Row 1 is V1..V10, Q1..; row 2 names the V columns (ResponseID, StartDate...) and holds the question text
    # of the Q columns. A column is called by its row-2 name when row 1 only says "V<n>".
    field_row, second_row = rows[index], rows[index + 1]
    names = [
        second if _V_NAME.match(first) and second else first
        for first, second in zip(field_row, second_row, strict=True)
    ]
    return _build(raw, "qualtrics-legacy", (index, index + 1), names, questions=second_row, alternates_row=field_row)


def _surveymonkey(
    raw: RawTable,
    rows: list[list[str]],
    index: int,
    *,
    layout: str = "surveymonkey",
    vendor: set[str] = _SURVEYMONKEY_LABELS,
) -> Header:
    # Row 1 holds the question once above all of its options; row 2 holds "Response", "Open-Ended Response"
    # or an option label (Survicate: "Score" / "Answer", then "Label" / "Insight" under a blank question cell).
    # A column is "Question - Option" when row 2 names an option.
    questions_row, labels = rows[index], rows[index + 1]
    names: list[str] = []
    current = ""
    for question, label in zip(questions_row, labels, strict=True):
        if question:
            current = question
        if label.casefold() in vendor or not label:
            names.append(question or (f"{current} - {label}" if label and current else ""))
        else:
            names.append(f"{current} - {label}" if current else label)
    return _build(raw, layout, (index, index + 1), names, questions=labels, alternates_row=questions_row)


def _classify_single(names: list[str]) -> str:
    named = {compact(name) for name in names if name}
    raw_names = {name.strip() for name in names}
    if "#" in raw_names and named & {"responsetype", "startdateutc", "submitdateutc", "networkid"}:
        return "typeform"
    first = next((name for name in names if name), "")
    if compact(first) in {"timestamp", "marcatemporal", "zeitstempel", "horodateur"}:  # localised Sheets
        return "google-forms"
    if "score" in named and ("responsetimestamp" in named or ("comment" in named and named & {"created", "createdat"})):
        return "delighted"
    if {"respondentid", "collectorid"} <= named:
        return "surveymonkey"
    if len(named & _LIMESURVEY_CODES) >= 3 or len(named & _LIMESURVEY_HEADINGS) >= 3:
        return "limesurvey"
    if len(named & _QUALTRICS_FIELDS) >= 3:
        return "qualtrics"
    return "plain"


def _build(
    raw: RawTable,
    layout: str,
    header_rows: tuple[int, ...],
    names: list[str],
    *,
    questions: list[str] | None = None,
    alternates_row: list[str] | None = None,
    import_ids: list[str] | None = None,
    timezones: list[str | None] | None = None,
) -> Header:
    width = raw.cells.shape[1]
    data_start = header_rows[-1] + 1
    questions = questions or [""] * width
    alternates_row = alternates_row or [""] * width
    import_ids = import_ids or [""] * width
    timezones = timezones or [None] * width

    def named(position: int) -> bool:
        return bool(clean_label(names[position]) or clean_label(questions[position]) or import_ids[position])

    last_named = max((p for p in range(width) if named(p)), default=-1)
    positions: list[int] = []
    columns: list[str] = []
    overflow: list[int] = []
    for position in range(width):
        name = clean_label(names[position])
        if not named(position):
            values = stripped_text(raw.cells[position].iloc[data_start:])
            filled = int((values != "").sum())
            if raw.kind == "text" and position > last_named and filled * 2 < max(len(values), 1):
                # past the header of a text file, and empty in most rows: the empty column a trailing delimiter
                # makes, or the spill of records with more fields than the header -- not a column. (In a
                # workbook a cell cannot spill: a value there is a note someone typed, kept as a column.)
                overflow.append(position)
                continue
            if not filled:
                continue  # an empty unnamed column between named ones
            name = f"column {position + 1}"
        positions.append(position)
        columns.append(name)

    unique: list[str] = []
    seen: dict[str, int] = {}
    for name in columns:
        key = name.casefold()
        seen[key] = seen.get(key, 0) + 1
        unique.append(name if seen[key] == 1 else f"{name} ({seen[key]})")

    return Header(
        layout=layout,
        header_rows=header_rows,
        data_start=data_start,
        positions=positions,
        columns=unique,
        questions=[clean_label(questions[p]) for p in positions],
        alternates=[
            tuple(text for text in (clean_label(alternates_row[p]), clean_label(names[p])) if text) for p in positions
        ],
        import_ids=[import_ids[p] for p in positions],
        timezones=[timezones[p] for p in positions],
        overflow=overflow,
    )


# --- recognising rows ---------------------------------------------------------------------------------------


def _first(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text)
    return found.group(1) if found else ""


def _import_id_share(row: list[str]) -> float:
    filled = [cell for cell in row if cell]
    if not filled:
        return 0.0
    return sum(1 for cell in filled if _IMPORT_ID.match(cell)) / len(filled)


def _is_v_row(row: list[str]) -> bool:
    filled = [cell.lstrip("\ufeff") for cell in row if cell]
    return bool(filled) and filled[0] == "V1" and sum(1 for cell in filled if _V_NAME.match(cell)) >= 3


def _is_limesurvey_codes(row: list[str]) -> bool:
    """A row of LimeSurvey field codes: "id" first, then three or more of its own fields (submitdate, lastpage,
    startlanguage...)."""
    filled = [cell.lstrip("\ufeff") for cell in row if cell]
    return bool(filled) and filled[0] == "id" and len(set(filled) & _LIMESURVEY_CODES) >= 3


def _find_header_row(rows: list[list[str]]) -> int | None:
    filled_counts = sorted((sum(1 for cell in row if cell) for row in rows), reverse=True)
    # "widest" as a few rows reach it: one record with many unquoted commas must not raise the bar for the header
    widest = filled_counts[min(max(2, len(rows) // 10), len(rows)) - 1] if rows else 0
    # nor two in a small file: no wider than the widest row that could name columns (a spilled record holds
    # dates and numbers)
    names_like = [index for index, row in enumerate(rows) if _could_name_columns([cell for cell in row if cell])]
    widest = min(widest, max((sum(1 for cell in rows[index] if cell) for index in names_like), default=0))
    needed = max(2, math.ceil(0.6 * widest))
    for index in names_like:
        if sum(1 for cell in rows[index] if cell) >= needed:
            return index
    return None


def _could_name_columns(filled: list[str]) -> bool:
    """A header names columns: no dates or email addresses, few bare numbers. (A headerless file must not have
    its first response taken for column names, which errors would then print.)"""
    if not filled or any(_DATE_OR_EMAIL_LIKE.match(cell) for cell in filled):
        return False
    return sum(1 for cell in filled if _NUMBER_LIKE.match(cell)) / len(filled) <= 0.34


def _value_like(cell: str) -> bool:
    return bool(_NUMBER_LIKE.match(cell) or _DATE_OR_EMAIL_LIKE.match(cell))


def _is_surveymonkey_labels(names: list[str], below: list[str], *, vendor: set[str] = _SURVEYMONKEY_LABELS) -> bool:
    """True when ``below`` is SurveyMonkey's second header row under the question row ``names`` (with
    ``vendor``, another vendor's: Survicate's).

    Row 2 says "Response" / "Open-Ended Response" / an option under each question and is blank under the
    respondent metadata (Respondent ID, Start Date...), which row 1 names. With the metadata columns removed
    (a publisher's copy), every question has a label: then the options of a multi-select, under the blank
    header cells after its question, and "Response" twice or more tell it.
    """
    labels = [cell for cell in below if cell]
    vendor_labels = sum(1 for label in labels if label.casefold() in vendor)
    if not vendor_labels or sum(1 for name in names if name) < 2:
        return False
    pairs = list(zip(names, below, strict=False))
    over_metadata = any(name and not label for name, label in pairs)
    under_options = vendor_labels >= 2 and any(label and not name for name, label in pairs[1:])
    if not (over_metadata or under_options):
        return False
    named = {compact(name) for name in names if name}
    if named & {"respondentid", "collectorid"}:
        return True
    # A number or a date under a one-column question is an answer: ``below`` is a response. Under a question
    # spread over several columns (its header cells blank after the first, each with a label) it is an
    # option's label: a rating matrix's "1" ... "5", numbered text boxes (cncf/surveys' Cloud Native Survey
    # 2018 and 2019).
    spread = [False] * len(pairs)  # the column belongs to a question of two or more labelled columns
    start = None
    for index, (name, label) in enumerate(pairs):
        if name or not label:
            start = index if name and label else None
        elif start is not None:
            spread[start] = spread[index] = True

    def answered(index: int) -> bool:
        label = pairs[index][1]
        return bool(label) and _value_like(label) and not spread[index]

    return not any(answered(index) for index in range(len(pairs)))


def _is_question_row(names: list[str], below: list[str]) -> bool:
    """True when ``below`` is Qualtrics question text rather than a response (no date under the date fields)."""
    filled = [cell for cell in below if cell]
    if len(filled) < 0.6 * sum(1 for name in names if name):
        return False
    for name, cell in zip(names, below, strict=False):
        if compact(name) in _DATE_FIELDS and _value_like(cell):
            return False
    return True
