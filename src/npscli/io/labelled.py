"""Reading a hand-labelled sample of comments (CSV, TSV or XLSX) for `npscli themes evaluate`.

The file has a header row (the first row that is not blank), a column of comment text and a column of the
themes a person expects for each comment (codes or labels, separated by ``;``, ``,`` or ``|``; empty for none).
Decoding (UTF-8 with or without BOM, UTF-16, Windows-1252), delimiter sniffing and workbooks are the import's
(:func:`npscli.io.readers.read_table`), so a file that imports also reads here.

Columns, unless named with ``text=`` / ``expected=`` (by header, ignoring case, or by 1-based number):

* expected themes: the column headed themes, theme, expected, expected themes, labels, label, codes or temas;
* text: the column headed comment, comments, text, feedback, verbatim, comentario or comentarios, else the
  column (other than the expected one) with the longest text on average.

Errors name the file, the row (as a spreadsheet numbers it) and the column, never a comment's text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from npscli.core.errors import ColumnError, InputFileError
from npscli.core.redact import safe_label
from npscli.core.theme_eval import UnknownTheme, parse_expected
from npscli.core.themes import fold

EXPECTED_NAMES = frozenset(
    {
        "themes", "theme", "expected", "expected themes", "expected theme", "labels", "label", "codes", "code",
        "gold", "gold themes", "true themes", "categories", "category", "tags", "topics", "temas", "tema",
        "etiquetas", "categorias", "categoria",
    }
)  # fmt: skip
TEXT_NAMES = frozenset(
    {
        "comment", "comments", "text", "feedback", "verbatim", "comentario", "comentarios", "comment text",
        "response", "answer", "review", "free text", "texto", "respuesta", "opinion",
    }
)  # fmt: skip


@dataclass(frozen=True)
class LabelledComment:
    row: int  # the spreadsheet row number
    text: str
    expected: tuple[str, ...]  # theme codes


@dataclass(frozen=True)
class LabelledSample:
    file: str
    text_column: str
    expected_column: str
    rows_read: int  # data rows below the header, blank ones included
    blank: int  # rows with neither text nor expected themes: skipped
    comments: tuple[LabelledComment, ...]
    ignored: tuple[tuple[str, int], ...] = ()  # with skip_unknown: (name that is not a theme, rows), most first


def _name(header: str) -> str:
    return " ".join(fold(header).replace("_", " ").replace("-", " ").split())


def _quoted(name: str) -> str:
    """A theme name as an error may show it: quoted when it looks like one; a longer text (a comment in the
    wrong column) is only described, never printed."""
    if len(name) <= 40 and len(name.split()) <= 4:
        return repr(name)
    return f"a text of {len(name.split())} words"


def _choose(header: Sequence[str], wanted: str, flag: str, file: str) -> int:
    """The position of the column ``wanted`` names (a header, any case, or a 1-based number)."""
    target = _name(wanted)
    for position, name in enumerate(header):
        if _name(name) == target:
            return position
    if wanted.strip().isdigit() and 1 <= int(wanted) <= len(header):
        return int(wanted) - 1
    raise ColumnError(
        f"{file}: {flag} {wanted}: no such column (columns: {_listed(header)})",
        hint=f"give {flag} a column header as written in the file's first row, or its number",
    )


def read_labelled(
    path: str | Path,
    lookup: Mapping[str, str],
    *,
    codes: Sequence[str],
    text: str | None = None,
    expected: str | None = None,
    sheet: str | None = None,
    skip_unknown: bool = False,
) -> LabelledSample:
    """The labelled comments of ``path``; ``lookup`` maps folded codes and labels to codes (see
    :func:`npscli.core.theme_eval.expected_lookup`), ``codes`` are the valid codes for the error hint. A name
    in the expected column that is not a theme stops the read, or with ``skip_unknown`` is left out of the
    comment's expected themes and counted in ``ignored`` (a sample coded with categories the taxonomy lacks)."""
    from collections import Counter

    from npscli.io.cells import stripped_text
    from npscli.io.readers import read_table

    raw = read_table(path, sheet)
    file = raw.name
    cells = raw.cells.apply(stripped_text)
    filled = cells.ne("").any(axis=1)
    if not filled.any():
        raise InputFileError(f"{file}: the file holds no rows", hint="save the labelled sample again")
    header_index = int(filled.idxmax())
    header = [str(value) for value in cells.loc[header_index]]
    while header and not header[-1]:
        header.pop()
    data = cells.loc[header_index + 1 :]
    if data.empty:
        raise InputFileError(
            f"{file}: no rows below the header", hint="add one comment per row, with its expected themes"
        )

    if expected is not None:
        expected_at = _choose(header, expected, "--expected", file)
    else:
        named = [i for i, h in enumerate(header) if _name(h) in EXPECTED_NAMES]
        if not named:
            named = _theme_columns(header, data, lookup)
        if not named:
            raise ColumnError(
                f"{file}: no expected-themes column found (columns: {_listed(header)})",
                hint="head it 'themes' or name it with --expected COLUMN",
            )
        expected_at = named[0]
    if text is not None:
        text_at = _choose(header, text, "--text", file)
    else:
        named = [i for i, h in enumerate(header) if _name(h) in TEXT_NAMES and i != expected_at]
        others = [i for i, h in enumerate(header) if h and i != expected_at]
        if named:
            text_at = named[0]
        elif others:
            text_at = max(others, key=lambda i: (data[i].str.len().mean(), -i))
        else:
            raise ColumnError(
                f"{file}: no comment-text column found beside {header[expected_at]!r}",
                hint="add a column of comments, or name it with --text COLUMN",
            )
    if text_at == expected_at:
        raise ColumnError(
            f"{file}: --text and --expected name the same column ({header[text_at]!r})",
            hint="the comment text and the expected themes must be two columns",
        )

    comments: list[LabelledComment] = []
    blank = 0
    ignored: Counter[str] = Counter()
    spelled: dict[str, str] = {}  # folded name -> as first written
    for index, comment, wanted in zip(data.index, data[text_at], data[expected_at], strict=True):
        if not comment and not wanted:
            blank += 1
            continue
        try:
            unknown: list[str] | None = [] if skip_unknown else None
            themes = parse_expected(wanted, lookup, unknown=unknown)
            for name in dict.fromkeys(fold(name) for name in unknown or ()):  # once a row, whatever its case
                ignored[spelled.setdefault(name, next(n for n in unknown or () if fold(n) == name))] += 1
        except UnknownTheme as unknown:
            raise ColumnError(
                f"{file}: row {int(index) + 1}, column {header[expected_at]!r}: {_quoted(unknown.name)} is not a "
                "theme of the taxonomy",
                hint=f"use theme codes or labels ({', '.join(codes)}), separated by ; , or |, empty for none; "
                "a clinic's own themes: --taxonomy FILE; categories the taxonomy lacks: --skip-unknown",
            ) from None
        comments.append(LabelledComment(row=int(index) + 1, text=comment, expected=tuple(themes)))
    if not comments:
        raise InputFileError(f"{file}: every row below the header is blank", hint="add one comment per row")
    return LabelledSample(
        file=file,
        text_column=header[text_at],
        expected_column=header[expected_at],
        rows_read=len(data),
        blank=blank,
        comments=tuple(comments),
        ignored=tuple(ignored.most_common()),
    )


def _theme_columns(header: list[str], data, lookup: Mapping[str, str]) -> list[int]:
    """Under a header of another name, the columns whose filled cells (nine in ten or more, and three at
    least) name themes of the taxonomy (or "none"), the surest first: the expected themes, which a column of
    comments does not look like."""
    found = []
    for i, name in enumerate(header):
        if not name:
            continue
        cells = [cell for cell in data[i] if cell]
        if len(cells) < 3:
            continue
        named = 0
        for cell in cells:
            try:
                parse_expected(cell, lookup)  # theme names, or "none"
            except UnknownTheme:
                continue
            named += 1
        if named >= 0.9 * len(cells):
            found.append((-named / len(cells), sum(map(len, cells)) / len(cells), i))
    return [i for *_, i in sorted(found)]  # the surest first, then the shorter cells


def _listed(header: list[str]) -> str:
    """The header's names for an error message, each masked and cut (a first row may be data)."""
    return ", ".join(repr(safe_label(h)) for h in header if h)
