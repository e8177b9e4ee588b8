"""The plain-text table (cron mail, pipes): a grid that fits the width, wraps comments, never cuts them."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from npscli.cli.output import Col, _cell_width, plain_table

COLS = [
    Col("when", "received"),
    Col("score", justify="right"),
    Col("comment", wrap=True, min_width=20),
    Col("flag", marker=True),
]
LONG = (
    "The wait was fifty minutes and nobody at the front desk told us why; the receptionist "
    "stayed on her phone. " + "x" * 75 + " ends it."
)


def _lines(text: str) -> list[str]:
    return text.rstrip("\n").split("\n")


def _words(text: str) -> list[str]:
    return re.findall(r"[^\s|+-]+", text)


def test_a_long_comment_is_wrapped_to_the_width_and_nothing_is_cut():
    cells = [["2026-11-15 08:48", "4", LONG, "OVERDUE"], ["2026-11-14 21:53", "10", "Fine.", ""]]
    out = plain_table(cells, COLS, title="2 detractor(s)", width=110)
    grid = _lines(out)[1:]
    assert {len(line) for line in grid} == {len(grid[0])} and len(grid[0]) <= 110
    assert "x" * 75 not in out and out.count("x") == 75  # a word wider than the column is folded, not cut
    comment_column = "".join(
        line.split("|")[3].strip() for line in grid if line.startswith("|") and "received" not in line
    )
    # every character of the comment is there, in order (folded words are split, not dropped)
    assert comment_column.replace(" ", "").startswith(LONG.replace(" ", "")[:120])
    assert "".join(LONG.split()) in "".join(comment_column.split())
    assert "OVERDUE" in out and _lines(out)[0].strip() == "2 detractor(s)"


def test_numbers_are_right_aligned_and_rows_are_ruled_apart_when_text_wraps():
    cells = [["a", "4", "x", ""], ["b", "10", "y", ""]]
    lines = _lines(plain_table(cells, COLS, title=None, width=160))
    body = [line for line in lines if line.startswith("| a") or line.startswith("| b")]
    assert [line.split("|")[2] for line in body] == ["     4 ", "    10 "]
    assert sum(1 for line in lines if line.startswith("+")) == 4  # top, under the header, between, bottom


def test_line_breaks_inside_a_value_are_kept():
    out = plain_table([["a", "1", "first line\nsecond line", ""]], COLS, title=None, width=160)
    rows = [line for line in _lines(out) if "line" in line]
    assert len(rows) == 2 and "first line" in rows[0] and "second line" in rows[1]


def test_wide_characters_keep_the_grid_aligned():
    cells = [["予約", "3", "待ち時間が長い", ""], ["ab", "4", "ok", ""]]
    lines = _lines(plain_table(cells, COLS, title=None, width=160))
    assert len({_cell_width(line) for line in lines}) == 1
    assert _cell_width("予約") == 4 and _cell_width("é") == 1


_CELL = st.text(alphabet=st.sampled_from("ab Z9.-é予\n"), max_size=30)
_ROW = st.tuples(_CELL, st.sampled_from(["4", "10", ""]), _CELL, st.sampled_from(["", "OVERDUE"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, max_size=6), st.integers(min_value=40, max_value=120))
def test_every_row_one_line_or_many_keeps_the_grid_and_every_value(rows, width):
    """Rows of plain ASCII that fit are drawn in one line, the others folded or split at their line breaks:
    either way the grid stays aligned and no character is lost."""
    cells = [list(row) for row in rows]
    lines = _lines(plain_table(cells, COLS, title=None, width=width))
    assert len({_cell_width(line) for line in lines}) == 1
    body = [line for line in lines[3:] if line.startswith("|")]
    for i, column in enumerate(COLS):
        shown = "".join("".join(line.split("|")[i + 1].split()) for line in body)
        assert shown == "".join("".join(row[i].split()) for row in cells), column.key


def test_no_rows_gives_the_header_only():
    lines = _lines(plain_table([], COLS, title=None, width=160))
    assert len(lines) == 3 and "received" in lines[1]


def test_the_terminal_table_prints_brackets_literally():
    """On a terminal rich draws the table: a redacted "[phone]" must not be taken for console markup."""
    import io

    from rich.console import Console

    from npscli.cli.output import to_table

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=120, color_system=None)
    to_table(
        [{"when": "x", "score": 3, "comment": "Call me at [phone] or [bold]now", "flag": ""}], COLS, console=console
    )
    assert "Call me at [phone] or [bold]now" in buffer.getvalue()


def test_progress_text_counts_rows_with_their_rate_and_steps_of_their_total():
    from npscli.cli.output import progress_text

    assert progress_text(300_000, 310_000.0, 15.0, "rows") == "300,000 rows read, 20,000 rows/s"
    assert progress_text(40_000, None, 0.2, "rows") == "40,000 rows read"  # too soon for a rate
    assert progress_text(0, 5.0, 3.0, "reports") == "0 of 5 reports"
    assert progress_text(3, 5.0, 2.0, "alerts") == "3 of 5 alerts, 2 alerts/s"


def test_a_wrapped_comment_of_wide_characters_keeps_the_grid():
    """textwrap counts characters; a CJK character takes two terminal columns. The comment column wraps by
    columns, so every line of the grid is as wide as its rules (the case hypothesis found)."""
    import unicodedata

    def columns(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    for comment in ("99999999999999 予予予", "予予予予予予予予予予予予 予予予予予予予予予予 ab", "予" * 25):
        out = plain_table([["", "4", comment, ""]], COLS, title=None, width=40)
        assert len({columns(line) for line in out.splitlines()}) == 1, out
        assert "".join(out.split()).count("予") == comment.count("予")  # nothing cut
