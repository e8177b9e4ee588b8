"""Tables never cut a value: a table wider than the screen gets lines as long as it needs."""

from __future__ import annotations

import io
import re

from rich.console import Console
from tests.factories import response, write_plain

from npscli.cli.output import Col, to_table

COMMENT = "The wait was 50 minutes and nobody told us why. Receptionist was on her phone and ignored us."
COLS = [
    Col("when", "received"),
    Col("location"),
    Col("provider"),
    Col("comment", wrap=True, min_width=30),
    Col("ticket_id", "ticket"),
    Col("status"),
    Col("flag", marker=True),
]
ROWS = [
    {
        "when": "2026-11-15 15:32",
        "location": "Westview",
        "provider": "Sam Rivera, DPT",
        "comment": COMMENT,
        "ticket_id": "T-000145",
        "status": "no_response",
        "flag": "OVERDUE",
    },
    {
        "when": "2026-11-15 20:35",
        "location": "Eastgate",
        "provider": "Dr. Helen Park",
        "comment": "",
        "ticket_id": "T-000146",
        "status": "new",
        "flag": "",
    },
]


def render(width: int, terminal: bool) -> str:
    buf = io.StringIO()
    console = Console(file=buf, width=width, force_terminal=terminal, no_color=True, highlight=False)
    to_table(ROWS, COLS, title="2 detractor(s)", console=console)
    return re.sub(r"\x1b\[[0-9;]*m", "", buf.getvalue())  # a terminal gets bold headings


def words(text: str) -> set[str]:
    return set(text.replace("|", " ").split())


def test_a_table_that_fits_is_one_line_per_row():
    out = render(200, terminal=False)
    assert "| 2026-11-15 15:32 | Westview | Sam Rivera, DPT |" in out
    assert max(len(line) for line in out.splitlines()) <= 200


def test_narrow_output_to_a_file_keeps_every_column_whole():
    out = render(60, terminal=False)
    for value in ("T-000145", "T-000146", "no_response", "OVERDUE", "2026-11-15 15:32", "Sam Rivera, DPT"):
        assert value in out, value
    assert set(COMMENT.split()) <= words(out)  # the comment wrapped, not cut
    table_lines = [line for line in out.splitlines() if line.startswith(("|", "+"))]
    assert len({len(line) for line in table_lines}) == 1  # a whole table, not a cropped one


def test_narrow_terminal_keeps_every_value_whole():
    out = render(50, terminal=True)
    for value in ("T-000145", "T-000146", "no_response", "OVERDUE", "2026-11-15 15:32", "Sam Rivera, DPT"):
        assert value in out, value
    assert set(COMMENT.split()) <= words(out)


def test_detractors_in_a_narrow_window_show_the_ticket_id_and_the_whole_comment(cli, tmp_path):
    rows = [response("1", "2025-11-03T09:00:00-06:00", 2, COMMENT, location="Westview", provider="Sam Rivera, DPT")]
    assert cli("import", write_plain(tmp_path / "e.csv", rows)).exit_code == 0
    result = cli("detractors", "--as-of", "2025-11-04T09:00", env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "T-000001" in result.stdout and "Westview" in result.stdout
    assert set(COMMENT.split()) <= words(result.stdout)
