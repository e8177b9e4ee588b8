"""The one output module: data to stdout as table, csv, json or markdown; messages to stderr.

- ``table``: a rich table on a terminal; plain text (no colour, no box-drawing escapes) elsewhere,
  so cron mail stays readable. ``NO_COLOR`` is honoured.
- ``csv``: RFC 4180, one header row, cells that Excel would run as formulas neutralised.
- ``json``: a list of objects with stable keys (a contract; documented in the README).
- ``markdown``: a pipe table for chat and mail.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any

from npscli.core.textsafe import neutralize_formula, terminal_safe


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


@dataclass
class Col:
    """A table column: the row key, its heading, and how to show a value in a table."""

    key: str
    header: str | None = None
    fmt: Callable[[Any], str] | None = None
    justify: str = "left"
    wrap: bool = False  # long text: wrapped, never cut
    min_width: int | None = None
    marker: bool = False  # a flag column (OVERDUE, low n): shown only when some row is flagged


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def color_allowed(stream=None) -> bool:
    stream = stream or sys.stdout
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return str(value)


def to_json(rows: Any) -> str:
    return json.dumps(rows, ensure_ascii=False, indent=2, default=_json_default)


def _plain(value: Any) -> str:
    if type(value) is str:  # most cells: no conversion
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _csv_cell(value: Any) -> str:
    """A number stays a number (-10.7 is a negative NPS, not a formula); text Excel would run is neutralised."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _plain(value)
    return neutralize_formula(_plain(value))


def to_csv(rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(keys)
    for row in rows:
        writer.writerow([_csv_cell(row.get(k)) for k in keys])
    return buf.getvalue()


def _md_cell(value: str) -> str:
    """A cell of a Markdown table, inert where it is pasted (a wiki, a ticket system): a patient's ``<img src=...>``
    or ``![x](http://tracker/...)`` is shown as typed, never fetched or rendered; "[phone]" stays readable."""
    text = terminal_safe(value).replace("\\", "\\\\").replace("|", "\\|")
    text = text.replace("<", "\\<").replace(">", "\\>").replace("](", "]\\(")
    return text.replace("\r\n", "<br>").replace("\n", "<br>")


def to_markdown(rows: Sequence[dict[str, Any]], cols: Sequence[Col]) -> str:
    headers = [c.key if c.header is None else c.header for c in cols]
    lines = ["| " + " | ".join(_md_cell(h) for h in headers) + " |"]
    lines.append("| " + " | ".join("---:" if c.justify == "right" else "---" for c in cols) + " |")
    for row in rows:
        cells = [_md_cell(c.fmt(row.get(c.key)) if c.fmt else _plain(row.get(c.key))) for c in cols]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def make_console(stderr: bool = False):
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    width = None if tty else int(os.environ.get("COLUMNS", "160"))
    return Console(
        file=stream,
        no_color=not color_allowed(stream),
        force_terminal=False if not tty else None,
        width=width,
        highlight=False,
        soft_wrap=False,
        emoji=False,
    )


def table_min_width(cols: Sequence[Col], cells: Sequence[Sequence[str]]) -> int:
    """The width a table needs so that no unwrappable column is cut: each such column as wide as its
    longest value, wrappable columns (comments) at a modest width they may wrap within, plus the padding and
    rules."""
    total = len(cols) + 1  # the vertical rules
    for index, col in enumerate(cols):
        natural = max([_cell_width(_header(col))] + [_lines_width(row[index]) for row in cells])
        width = min(natural, max(col.min_width or 0, 20)) if col.wrap else natural
        total += width + 2  # one space of padding on each side
    return total


def to_table(rows: Sequence[dict[str, Any]], cols: Sequence[Col], title: str | None = None, console=None) -> None:
    """A rich table on a terminal; elsewhere (cron mail, pipes, files) the plain-text table of
    :func:`plain_table`, which is the same grid without escapes and fast for thousands of rows."""
    cells = _cells(rows, cols)
    if console is None and not stdout_is_terminal():
        sys.stdout.write(plain_table(cells, cols, title=title, width=int(os.environ.get("COLUMNS") or 160)))
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console = console or make_console()
    tty = console.is_terminal
    styled = tty and not console.no_color  # NO_COLOR: plain text, not even bold
    table = Table(
        title=None if title is None else Text(title),
        box=box.SIMPLE_HEAD if tty else box.ASCII2,
        show_lines=any(c.wrap for c in cols),
        header_style="bold" if styled and console.color_system else "",
        title_style="bold" if styled and console.color_system else "",
    )
    for c in cols:
        table.add_column(
            Text(_header(c)),
            justify=c.justify,  # type: ignore[arg-type]
            overflow="fold",
            no_wrap=not c.wrap,
            min_width=c.min_width if c.wrap else max(c.min_width or 0, len(_header(c))),
            ratio=3 if c.wrap else None,
        )
    for row_cells in cells:
        # Text, not str: rich would read "[phone]" (a redacted comment) or "[sic]" as markup and drop it
        table.add_row(*[Text(cell) for cell in row_cells])
    # Never crop a column (a narrow terminal): rather a line longer than the terminal than a lost value.
    needed = table_min_width(cols, cells)
    if needed > console.width:
        console.width = needed
    console.print(table)


def _cells(rows: Sequence[dict[str, Any]], cols: Sequence[Col]) -> list[list[str]]:
    """Each row's cells as the table shows them (formatted, terminal-safe), built a column at a time: a column
    whose texts are all printable (most) is kept as it is, without a call per cell."""
    columns = []
    for c in cols:
        values = [row.get(c.key) for row in rows]
        texts = [c.fmt(v) for v in values] if c.fmt else [v if type(v) is str else _plain(v) for v in values]
        columns.append(texts if "".join(texts).isprintable() else [terminal_safe(t) for t in texts])
    return [list(cells) for cells in zip(*columns, strict=True)] if columns else [[] for _ in rows]


def _header(c: Col) -> str:
    return c.key if c.header is None else c.header


def _cell_width(text: str) -> int:
    """Terminal columns of ``text``: East Asian wide and full-width characters take two."""
    if text.isascii():
        return len(text)
    import unicodedata

    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines_width(text: str) -> int:
    """The widest line of ``text`` (0 for no text)."""
    if text.isascii():
        if text.isprintable():  # one line: every line break (\n, \r, \v, \f, \x1c-\x1e) is a control
            return len(text)
        return max(map(len, text.splitlines()), default=0)
    return max(map(_cell_width, text.splitlines()), default=0)


def _plain_ascii(texts: Sequence[str]) -> bool:
    """Whether every text is printable ASCII (one line, one terminal column a character)."""
    joined = "".join(texts)
    return joined.isascii() and joined.isprintable()


def _column_width(texts: Sequence[str]) -> int:
    """The widest line of any of ``texts`` (0 for none)."""
    if _plain_ascii(texts):
        return max(map(len, texts), default=0)
    return max(map(_lines_width, texts), default=0)


def _fold(text: str, width: int) -> list[str]:
    """``text`` in lines of at most ``width`` columns: its own line breaks kept, words wrapped, a word longer
    than the line folded; never cut."""
    import textwrap

    lines: list[str] = []
    for line in text.splitlines() or [""]:
        if _cell_width(line) <= width:
            lines.append(line)
        elif line.isascii():
            lines.extend(textwrap.wrap(line, width, break_long_words=True, break_on_hyphens=False) or [""])
        else:  # textwrap counts characters: a wide character (CJK) takes two columns
            lines.extend(_wrap_wide(line, width) or [""])
    return lines


def _wrap_wide(line: str, width: int) -> list[str]:
    """``line`` wrapped at spaces into lines of at most ``width`` terminal columns, a word wider than the line
    folded between its characters (as textwrap does, by columns instead of characters)."""
    out: list[str] = []
    current, used = "", 0
    for word in line.split():
        size = _cell_width(word)
        if current and used + 1 + size <= width:
            current, used = current + " " + word, used + 1 + size
            continue
        if current:
            out.append(current)
        current, used = "", 0
        while size > width:  # fold a word wider than the line
            piece, taken = "", 0
            for ch in word:
                w = _cell_width(ch)
                if taken + w > width and piece:
                    break
                piece, taken = piece + ch, taken + w
            out.append(piece)
            word = word[len(piece) :]
            size = _cell_width(word)
        current, used = word, size
    if current:
        out.append(current)
    return out


def plain_table(cells: Sequence[Sequence[str]], cols: Sequence[Col], *, title: str | None, width: int) -> str:
    """An ASCII grid (``+---+`` borders, ``|`` between columns) that fits ``width`` where it can.

    Columns marked ``wrap`` (comments) share the width the other columns leave, down to their
    ``min_width`` (20, and the longest word up to 60: a path or an address stays whole); their text is
    wrapped, never cut, and rows are ruled apart. Other columns are as wide
    as their widest value. Multi-line values keep their line breaks.
    """
    headers = [_header(c) for c in cols]
    by_column = [[row[i] for row in cells] for i in range(len(cols))]
    natural = [max(_cell_width(headers[i]), _column_width(by_column[i])) for i in range(len(cols))]
    widths = list(natural)  # an empty marker column (OVERDUE, low n) may be 0 wide, as rich draws it
    wrapped = [i for i, c in enumerate(cols) if c.wrap]
    overhead = 3 * len(cols) + 1
    excess = sum(widths) + overhead - width
    if wrapped and excess > 0:
        for i in sorted(wrapped, key=lambda i: -widths[i]):
            # never narrower than 20 (or min_width), nor than a word up to 60 wide (a path, an address)
            words = " ".join(by_column[i]).split()
            longest_word = max(map(len if _plain_ascii(by_column[i]) else _cell_width, words), default=0)
            floor = max(cols[i].min_width or 0, 20, min(longest_word, 60), _cell_width(headers[i]))
            give = min(excess, max(0, widths[i] - floor))
            widths[i] -= give
            excess -= give
    right = [c.justify == "right" for c in cols]
    wrap = [c.wrap for c in cols]
    blank = [" " * w for w in widths]

    def fit(text: str, i: int) -> str:
        """``text`` padded to its column's width (ASCII: one column a character, as ljust/rjust count)."""
        if text.isascii():
            return text.rjust(widths[i]) if right[i] else text.ljust(widths[i])
        pad = " " * max(0, widths[i] - _cell_width(text))
        return pad + text if right[i] else text + pad

    def render(row: Sequence[str]) -> list[str]:
        joined = "".join(row)
        if joined.isascii() and joined.isprintable() and all(len(row[i]) <= widths[i] for i in wrapped):
            # a row of printable ASCII that fits: one line, each cell as it is (what the general case gives)
            padded = [text.rjust(widths[i]) if right[i] else text.ljust(widths[i]) for i, text in enumerate(row)]
            return ["| " + " | ".join(padded) + " |"]
        columns = [
            _fold(text, widths[i]) if wrap[i] else ([text] if text.isprintable() else text.splitlines() or [""])
            for i, text in enumerate(row)
        ]
        height = max(map(len, columns))
        return [
            "| "
            + " | ".join([fit(lines[n], i) if n < len(lines) else blank[i] for i, lines in enumerate(columns)])
            + " |"
            for n in range(height)
        ]

    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    lines = []
    if title:
        lines.append(title.center(len(rule)).rstrip())
    lines += [rule, *render(headers), rule]
    ruled = bool(wrapped)
    for k, row in enumerate(cells):
        lines += render(row)
        if ruled and k < len(cells) - 1:
            lines.append(rule)
    if cells:
        lines.append(rule)
    return "\n".join(lines) + "\n"


def shown_columns(rows: Sequence[dict[str, Any]], cols: Sequence[Col]) -> list[Col]:
    """The columns a table shows: a marker column (OVERDUE, low n) only when some row is marked."""
    return [c for c in cols if not c.marker or any(row.get(c.key) for row in rows)]


def _for_stdout(text: str) -> str:
    """A machine format as it goes out: to a file or a pipe byte for byte; to a terminal, where a person reads
    it, with the control characters of untrusted text (ESC/OSC sequences in a comment) made visible marks, as
    the table does."""
    return terminal_safe(text) if stdout_is_terminal() else text


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: OutputFormat | str,
    cols: Sequence[Col],
    *,
    title: str | None = None,
    empty: str | None = None,
    json_rows: Any = None,
) -> None:
    """Write ``rows`` to stdout in ``fmt``. JSON and CSV carry every key of the rows (the contract);
    table and markdown show ``cols``."""
    fmt = OutputFormat(fmt)
    if fmt is OutputFormat.json:
        sys.stdout.write(_for_stdout(to_json(list(rows) if json_rows is None else json_rows) + "\n"))
        return
    if fmt is OutputFormat.csv:
        keys = list(rows[0].keys()) if rows else [c.key for c in cols]
        sys.stdout.write(_for_stdout(to_csv(rows, keys)))
        return
    if not rows and empty:
        message(empty)
        return
    cols = shown_columns(rows, cols)
    if fmt is OutputFormat.markdown:
        if title:
            sys.stdout.write(f"**{title}**\n\n")
        sys.stdout.write(to_markdown(rows, cols))
        return
    to_table(rows, cols, title=title)


_quiet = {"on": False}


def set_quiet(value: bool) -> None:
    _quiet["on"] = bool(value)


def is_quiet() -> bool:
    """--quiet given, before the command (``npscli -q import``) or after it (``npscli import -q``)."""
    return _quiet["on"]


def message(text: str) -> None:
    """An informational line on stderr (suppressed by --quiet)."""
    if not _quiet["on"]:
        print(terminal_safe(text), file=sys.stderr)


def warn(text: str) -> None:
    print(terminal_safe(f"npscli: warning: {text}"), file=sys.stderr)


# ---- value formatters shared by commands


def fmt_num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def fmt_signed(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:+.1f}"


def fmt_p(value: Any) -> str:
    if value is None:
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


class _NoProgress:
    def file(self, name: str, estimated_rows: int | None = None) -> None:
        pass

    def rows(self, count: int) -> None:
        pass

    def counted(self, export: Any) -> Any:
        return export

    def watch(self, name: str, export: Any) -> Any:
        return export

    def step(self, text: str, done: int | None = None) -> None:
        pass

    def done(self) -> None:
        pass


class _CountedExport:
    """An export whose chunks report the rows read so far to a progress display (everything else is the export's)."""

    def __init__(self, export: Any, progress: _RowProgress) -> None:
        self._export, self._progress = export, progress

    def __getattr__(self, name: str) -> Any:
        return getattr(self._export, name)

    def chunks(self):
        for chunk in self._export.chunks():
            self._progress.rows(self._export.rows_read)
            yield chunk


def progress_text(done: int, total: float | None, elapsed: float, unit: str) -> str:
    """``12,345 rows read, 4,100 rows/s`` (an import: its total is an estimate, not shown) or ``2 of 5 reports``;
    the rate once half a second has passed (before that it is noise)."""
    rate = f", {done / elapsed:,.0f} {unit}/s" if elapsed > 0.5 and done else ""
    if unit == "rows":
        return f"{done:,} rows read{rate}"
    of = f" of {int(total):,}" if total else ""
    return f"{done:,}{of} {unit}{rate}"


class _RowProgress:
    """A transient progress display on stderr: rows read and the rate (an import), or steps done of a total."""

    def __init__(self, unit: str, total: int | None = None) -> None:
        from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn
        from rich.text import Text

        class Counted(ProgressColumn):
            def render(self, task) -> Text:
                return Text(progress_text(int(task.completed), task.total, task.elapsed or 0.0, unit))

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            Counted(),
            console=make_console(stderr=True),
            transient=True,
        )
        self._task = self._progress.add_task("", total=total)
        self._started = False

    def _start(self) -> None:
        if not self._started:
            self._progress.start()
            self._started = True

    def file(self, name: str, estimated_rows: int | None = None) -> None:
        """A new file: the count starts again (the bar's end is the file's estimated size)."""
        self._progress.reset(self._task, total=estimated_rows or None, description=f"importing {name}")
        self._start()
        self._progress.refresh()

    def rows(self, count: int) -> None:
        self._progress.update(self._task, completed=count)
        self._progress.refresh()

    def counted(self, export: Any) -> Any:
        return _CountedExport(export, self)

    def watch(self, name: str, export: Any) -> Any:
        """A new file to import: its rows counted from 0, against its estimated size."""
        self.file(name, getattr(export, "estimated_rows", None))
        return self.counted(export)

    def step(self, text: str, done: int | None = None) -> None:
        self._progress.update(self._task, description=text, **({} if done is None else {"completed": done}))
        self._start()
        self._progress.refresh()

    def done(self) -> None:
        if self._started:
            self._progress.stop()


def _progress_allowed(quiet: bool) -> bool:
    """Only on a terminal, never with NO_COLOR or --quiet (cron mail stays plain)."""
    return not (quiet or _quiet["on"] or not color_allowed(sys.stderr))


def import_progress(*, quiet: bool = False):
    """Rows read and the rate, per file, while an import runs (a terminal only)."""
    return _RowProgress("rows") if _progress_allowed(quiet) else _NoProgress()


def step_progress(total: int, unit: str, *, quiet: bool = False):
    """``done of total unit`` while a long run works through its parts (reports, deliveries; a terminal only)."""
    return _RowProgress(unit, total) if _progress_allowed(quiet) and total > 1 else _NoProgress()


class _LazySteps:
    """A :func:`step_progress` made at the first step, when the service has found how many parts there are."""

    def __init__(self, unit: str, quiet: bool) -> None:
        self._unit, self._quiet = unit, quiet
        self._real: _RowProgress | _NoProgress | None = None

    def step(self, text: str, *, done: int, total: int) -> None:
        if self._real is None:
            self._real = step_progress(total, self._unit, quiet=self._quiet)
        self._real.step(text, done=done)

    def done(self) -> None:
        if self._real is not None:
            self._real.done()


def steps_progress(unit: str, *, quiet: bool = False) -> _LazySteps:
    """Like :func:`step_progress`, for a total that a service learns as it starts (``step(text, done=, total=)``)."""
    return _LazySteps(unit, quiet)
