"""Encodings, delimiters, workbooks and every unreadable-file error."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npscli.core.errors import ColumnError, InputFileError, NpsError, UsageError
from npscli.io.cells import stripped_text
from npscli.io.exports import ReadOptions, read_export
from npscli.io.readers import read_table, sniff_delimiter

EXPORTS = Path(__file__).resolve().parents[2] / "data" / "exports"


def test_windows_1252_semicolons_and_a_title_line():
    raw = read_table(EXPORTS / "plain_cp1252_semicolon.csv")
    assert (raw.encoding, raw.delimiter) == ("cp1252", ";")
    parsed = read_export(EXPORTS / "plain_cp1252_semicolon.csv")
    assert parsed.columns == ["Datum", "Empfehlung (0-10)", "Kommentar", "Praxis", "Telefon"]
    assert parsed.records["comment"].tolist()[0] == "Sehr gut, danke! Café-Ecke 5 €"
    assert parsed.records["location"].tolist() == ["Praxis Süd", "Praxis Süd", "Praxis Nord"]
    assert parsed.records["row"].tolist() == [3, 4, 5]


def test_utf16_with_bom_and_tabs():
    raw = read_table(EXPORTS / "plain_utf16_tab.csv")
    assert (raw.encoding, raw.delimiter) == ("utf-16", "\t")
    parsed = read_export(EXPORTS / "plain_utf16_tab.csv")
    assert parsed.records["comment"].tolist() == ["Muy bien, gracias — José Peña", "Dos líneas:\nsegunda línea"]
    assert parsed.records["location"].tolist() == ["Clínica Centro", "Clínica Centro"]
    # Row 3 spans two lines of the file but is one spreadsheet row.
    assert [(issue.row, issue.outcome) for issue in parsed.issues] == [(4, "skipped")]


def test_utf8_bom_is_removed():
    raw = read_table(EXPORTS / "qualtrics_legacy_nps.csv")
    assert raw.encoding == "utf-8-sig"
    assert raw.cells.iloc[0, 0] == "V1"


@pytest.mark.parametrize(
    "start",
    [b"\xef\xbb\xbf", b"\xef\xbb\xbf\xef\xbb\xbf", b'\xef\xbb\xbf"'],
    ids=["one BOM", "two BOMs", "a BOM then a quoted field"],
)
def test_a_utf8_bom_file_reads_the_cells_its_decoded_text_holds(tmp_path: Path, start: bytes):
    """pandas reads a BOM file as UTF-8 bytes (not through a decoding wrapper): the cells are still those of the
    text with one BOM taken off, read from a file without any (and a second BOM is taken off as before)."""
    rest = ('Response ID",Score\n' if start.endswith(b'"') else "Response ID,Score\n") + "1001,9\n\ufeff1002,3\n"
    path = tmp_path / "bom.csv"
    path.write_bytes(start + rest.encode())
    plain = tmp_path / "plain.csv"
    plain.write_bytes(start.removeprefix(b"\xef\xbb\xbf").removeprefix(b"\xef\xbb\xbf") + rest.encode())
    raw = read_table(path, chunk_rows=1)
    assert raw.encoding == "utf-8-sig"
    cells = pd.concat([raw.cells, *raw.more()])
    expected = read_table(plain).cells
    assert cells.iloc[0, 0] == "Response ID"
    assert cells.iloc[2, 0] == "\ufeff1002"  # a BOM further down is a character of the cell, as it was
    pd.testing.assert_frame_equal(cells, expected)


def test_tab_file_with_commas_in_its_headers():
    parsed = read_export(EXPORTS / "plain_tab.tsv")
    assert parsed.columns[1] == "How likely, on a scale of 0 to 10, are you to recommend us?"
    assert parsed.records["comment"].tolist() == ["Fine, thanks", "Slow, cold, rude"]


def test_quoted_commas_in_question_text_do_not_fool_the_sniffer():
    path = EXPORTS / "plain_quoted_commas.csv"
    assert read_table(path).delimiter == ","
    parsed = read_export(path)
    assert len(parsed.columns) == 3
    assert parsed.records["comment"].tolist() == ["Good, quick", "Bad; slow; rude"]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ('"a, b";"c, d";e\n1;2;3\n4;5;6\n', ";"),
        ("Title of the report\n\nx\ty\tz\n1\t2\t3\n", "\t"),
        ('q,"why, really?",r\n1,"x; y",3\n', ","),
        ("id|score|comment\n1|9|slow, rude\n2|3|fine\n", "|"),
        ("id^score^comment\n1^9^slow, rude\n2^3^fine\n", "^"),
        ("id,score,comment\n1,9,a | b\n2,3,fine\n", ","),
        ("id,when,score\n1,10:00:00,9\n2,11:30:00,3\n", ","),
    ],
)
def test_sniff_delimiter(text: str, delimiter: str):
    assert sniff_delimiter(text)[0] == delimiter


def test_sheet_selection_by_name_and_index():
    first = read_export(EXPORTS / "plain_typed.xlsx")
    assert first.records["response_id"].tolist() == ["X-1", "X-2", "X-3"]
    by_name = read_export(EXPORTS / "plain_typed.xlsx", ReadOptions(sheet="Archive"))
    by_index = read_export(EXPORTS / "plain_typed.xlsx", ReadOptions(sheet="1"))
    assert by_name.records["response_id"].tolist() == by_index.records["response_id"].tolist() == ["A-1"]


def test_unknown_sheet_lists_the_sheets():
    with pytest.raises(InputFileError, match=r"no sheet 'Nope' \(sheets: Responses, Archive\)"):
        read_export(EXPORTS / "plain_typed.xlsx", ReadOptions(sheet="Nope"))


def test_workbook_cells_become_text_in_records_and_rejected_rows():
    parsed = read_export(EXPORTS / "plain_typed.xlsx")
    assert parsed.records["phone"].tolist() == ["5550141", None, None]  # a number cell, no ".0"
    assert parsed.rejected_cells.loc[6, "Submitted"] == "2025-07-03 09:30:00"  # a datetime cell, as shown
    assert parsed.rejected_cells.loc[6, "NPS"] == "7.5"
    assert parsed.rows_read == 4  # the blank sheet row 5 is not a data row


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "empty.csv: the file is empty"),
        ("header_only.csv", "header_only.csv: no data rows below the header"),
        ("not_a_workbook.xlsx", "not_a_workbook.xlsx: not a valid .xlsx workbook"),
        ("truncated.xlsx", "truncated.xlsx: the workbook is damaged or not a spreadsheet"),
        ("undecodable.csv", "undecodable.csv: cannot be decoded as text"),
    ],
)
def test_unreadable_files(name: str, message: str):
    with pytest.raises(InputFileError) as raised:
        read_export(EXPORTS / name)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
    assert raised.value.hint


def test_missing_file(tmp_path: Path):
    with pytest.raises(InputFileError, match="no such file") as raised:
        read_export(tmp_path / "nowhere.csv")
    assert "nowhere.csv" in str(raised.value)


def test_directory(tmp_path: Path):
    with pytest.raises(InputFileError, match="is a folder, not an export file"):
        read_export(tmp_path)


def test_zip_that_is_not_a_workbook(tmp_path: Path):
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    with pytest.raises(InputFileError, match="archive.xlsx: the workbook is damaged"):
        read_export(path)


def test_binary_file_named_csv(tmp_path: Path):
    path = tmp_path / "picture.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(InputFileError, match="picture.csv: cannot be decoded as text"):
        read_export(path)


def test_workbook_saved_under_a_csv_name_still_reads(tmp_path: Path):
    path = tmp_path / "really_a_workbook.csv"
    path.write_bytes((EXPORTS / "plain_typed.xlsx").read_bytes())
    assert len(read_export(path).records) == 3


def test_a_row_with_a_few_more_fields_than_the_header_is_rejected_and_kept_whole(tmp_path: Path):
    """An unquoted comma in a comment shifts the rest of the row: rejected with its reason, its extra fields
    kept for the rejects file, anywhere in the file (not only in the lines the delimiter sniffer reads)."""
    rows = "".join(f"2025-07-{1 + day % 28:02d},9,ok\n" for day in range(1, 70))
    path = tmp_path / "ragged.csv"
    path.write_text(
        "Date,Score,Comment\n2025-07-01,3,Rude, and late\n" + rows + "2025-07-10,4,Long wait, no apology, again\n",
        encoding="utf-8",
    )
    parsed = read_export(path)
    assert [(i.row, i.outcome) for i in parsed.issues] == [(2, "rejected"), (72, "rejected")]
    assert parsed.issues[0].reason.startswith("more fields than the header")
    assert len(parsed.records) == 69 and parsed.rows_read == 71
    assert parsed.rejected_cells.loc[72, "(fields beyond the header)"] == "no apology | again"
    assert parsed.rejected_cells.loc[2, "Comment"] == "Rude"


def test_a_row_with_many_more_fields_than_the_header_is_rejected_whole_and_the_rest_still_read(tmp_path: Path):
    """More extra fields than the reader's slack: the file is read again wider, the row rejected with every field
    kept, the rows after it read (not a failed file)."""
    rows = "".join(f"2025-07-{1 + day % 28:02d},9\n" for day in range(1, 70))
    path = tmp_path / "ragged.csv"
    path.write_text(
        "Date,Score\n" + rows + "2025-07-10,4,Ana Pérez" + ",x" * 12 + "\n2025-07-11,10\n", encoding="utf-8"
    )
    parsed = read_export(path)
    assert [(i.row, i.outcome) for i in parsed.issues] == [(71, "rejected")]
    assert parsed.issues[0].reason.startswith("more fields than the header")
    assert parsed.rows_read == 71 and len(parsed.records) == 70
    assert parsed.rejected_cells.loc[71, "(fields beyond the header)"] == "Ana Pérez | " + " | ".join(["x"] * 12)
    assert parsed.records["score"].tolist()[-1] == 10


def test_a_wider_row_in_a_later_chunk_is_rejected_and_every_row_is_read_once(tmp_path: Path, monkeypatch):
    from npscli.io import exports

    lines = [f"2025-07-{1 + day % 28:02d},{day % 11},c{day}" for day in range(40)]
    lines[17] += ",a" * 20  # chunk 3 of 7-row chunks: two chunks were already given when it is met
    lines[33] += ",b" * 40  # wider still: read again once more
    path = tmp_path / "ragged.csv"
    path.write_text("Date,Score,Comment\n" + "\n".join(lines) + "\n", encoding="utf-8")
    whole = read_export(path)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 7)
    chunked = read_export(path)
    for parsed in (whole, chunked):
        assert [i.row for i in parsed.issues] == [19, 35]
        assert parsed.rows_read == 40 and len(parsed.records) == 38
        assert parsed.rejected_cells.loc[35, "(fields beyond the header)"] == " | ".join(["b"] * 40)
    assert chunked.records.equals(whole.records)


def test_a_record_hundreds_of_fields_wider_than_the_header_fails_the_file_naming_the_line(tmp_path: Path):
    rows = "".join(f"2025-07-{day:02d},9\n" for day in range(1, 70))
    path = tmp_path / "ragged.csv"
    path.write_text("Date,Score\n" + rows + "2025-07-10,9,Ana Pérez" + ",x" * 300 + "\n", encoding="utf-8")
    with pytest.raises(InputFileError) as raised:
        read_export(path)
    assert str(raised.value) == "ragged.csv: line 71 has 303 comma-separated fields, far more than the 2 of the header"
    assert "Ana" not in str(raised.value)


def test_unreadable_permissions(tmp_path: Path):
    """A file the user may not read: one clear line. As root (CI), checked in a child that drops to nobody."""
    path = tmp_path / "locked.csv"
    path.write_text("Date,Score\n2025-07-01,9\n")
    if os.geteuid() != 0:
        path.chmod(0)
        with pytest.raises(InputFileError, match="permission denied"):
            read_export(path)
        return
    readable = tmp_path / "warm.csv"
    readable.write_text("Date,Score\n2025-07-01,9\n")
    read_export(readable)  # import everything the reader needs before dropping privileges
    tmp_path.chmod(0o755)
    path.chmod(0)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: become nobody, try to read, report the message
        message = b"no error"
        try:
            os.setgid(65534)
            os.setuid(65534)
            read_export(path)
        except InputFileError as exc:
            message = str(exc).encode()
        except BaseException:  # noqa: BLE001 - reported to the parent as text
            import traceback

            message = ("unexpected " + traceback.format_exc()).encode()
        finally:
            os.write(write_end, message)
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    with os.fdopen(read_end, "rb") as fh:
        message = fh.read().decode()
    assert "permission denied" in message and "locked.csv" in message, message


def test_override_naming_a_missing_column_lists_the_columns():
    with pytest.raises(ColumnError) as raised:
        read_export(EXPORTS / "delighted.csv", ReadOptions(overrides={"score": "Rating"}))
    assert str(raised.value).startswith("delighted.csv: --map score=Rating: no such column (columns: Response ID,")
    assert raised.value.hint


def test_override_of_an_unknown_field_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown field 'colour'"):
        read_export(EXPORTS / "delighted.csv", ReadOptions(overrides={"colour": "Score"}))


def test_headerless_file_never_prints_a_response_as_column_names(tmp_path: Path):
    path = tmp_path / "headerless.csv"
    path.write_text(
        "Ana Pérez,ana.perez@example.org,North Clinic,Great care,2025-07-01 10:00,9\n"
        "Bo Chen,bo.chen@example.org,South Clinic,Slow,2025-07-02 11:00,4\n",
        encoding="utf-8",
    )
    with pytest.raises(InputFileError) as raised:
        read_export(path)
    assert str(raised.value).startswith("headerless.csv: no header row found")
    assert "Ana" not in str(raised.value)


def test_utf16_without_a_bom(tmp_path: Path):
    path = tmp_path / "no_bom.csv"
    path.write_bytes("Date,Score,Comment\r\n2025-07-01 10:00,9,Très bien\r\n".encode("utf-16-le"))
    parsed = read_export(path)
    assert read_table(path).encoding == "utf-16-le"
    assert parsed.records["comment"].tolist() == ["Très bien"]


def test_a_note_in_an_unnamed_workbook_column_is_kept_not_rejected(tmp_path: Path):
    """A workbook cell cannot spill into the next column: a value typed beside the table is a column of its own."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Date", "Score", "Comment", None])
    sheet.append(["2025-07-01", 9, "ok", None])
    sheet.append(["2025-07-02", 3, "late", "called back 07-03"])
    sheet.append(["2025-07-03", 10, "great", None])
    path = tmp_path / "notes.xlsx"
    workbook.save(path)
    parsed = read_export(path)
    assert parsed.issues == [] and len(parsed.records) == 3
    assert parsed.columns == ["Date", "Score", "Comment", "column 4"]


def test_a_byte_order_mark_in_the_middle_of_a_file_does_not_change_the_response_id(tmp_path: Path):
    """Two exports glued together (copy a.csv+b.csv) carry the second file's BOM before a row: the id
    must stay the same, or the response would not be recognised as a duplicate and be counted twice."""
    head = "Response ID,Score,Comment,Created at\n"
    path = tmp_path / "glued.csv"
    path.write_bytes(
        ("\ufeff" + head + "1001,3,slow,2026-10-12 07:32\n").encode()
        + ("\ufeff1002,9,\u200bfine,2026-10-12 08:32\n").encode()
    )
    records = read_export(path).records
    assert list(records["response_id"]) == ["1001", "1002"]
    assert list(records["comment"]) == ["slow", "fine"]


@pytest.mark.parametrize(
    "content,kind",
    [
        ("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Log in</body></html>\n", "a web page (HTML)"),
        ("\ufeff  <html>\n<body>Session expired</body></html>\n", "a web page (HTML)"),
        ('<?xml version="1.0"?>\n<responses><r score="9"/></responses>\n', "an XML document"),
        ('[{"score": 9, "comment": "fine"}]\n', "JSON"),
        ('{\n  "responses": []\n}\n', "JSON"),
    ],
)
def test_a_web_page_or_json_saved_as_csv_says_what_it_is(tmp_path: Path, content: str, kind: str):
    path = tmp_path / "export.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputFileError) as raised:
        read_export(path)
    assert raised.value.message == f"export.csv: this is {kind}, not a survey export"
    assert "CSV or XLSX" in raised.value.hint


def test_a_title_line_in_brackets_is_not_taken_for_json(tmp_path: Path):
    path = tmp_path / "titled.csv"
    path.write_text("[Riverside Health survey export]\nDate,Score\n2025-07-01,9\n", encoding="utf-8")
    assert read_export(path).records["score"].tolist() == [9]


def test_a_stray_nul_byte_names_its_line_and_how_to_remove_it(tmp_path: Path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"Date,Score,Comment\n2025-07-01,9,ok\n2025-07-02,3,Ana P\x00rez was rude\n")
    with pytest.raises(InputFileError) as raised:
        read_export(path)
    assert raised.value.message == (
        "nul.csv: cannot be decoded as text: it holds a NUL byte (line 3), as binary files do"
    )
    assert "tr -d '\\000' < nul.csv > clean.csv" in raised.value.hint and "Ana" not in str(raised.value)


SANDRA = ("58310067", "Sandra Patel", "sandrapatel78@example.org", "+13125550147", "3125550147", "slow")


def test_a_pipe_delimited_export_with_commas_in_comments_imports(tmp_path: Path):
    path = tmp_path / "pipes.csv"
    path.write_text(
        "Response ID|Created at|Score|Comment|Patient Name|Email|Phone\n"
        "58310067|2025-10-01T10:00:00|9|slow, rude front desk|Sandra Patel|sandrapatel78@example.org|+13125550147\n"
        "58310068|2025-10-02T10:00:00|3|fine|Ana Perez|ana@example.org|555-0142\n",
        encoding="utf-8",
    )
    parsed = read_export(path, ReadOptions(timezone="UTC"))
    assert parsed.issues == []
    assert parsed.records["score"].tolist() == [9, 3]
    assert parsed.records["comment"].tolist() == ["slow, rude front desk", "fine"]


def test_an_unproven_header_is_not_listed_in_the_error(tmp_path: Path):
    """A delimiter nobody can prove ("#", with commas in a comment): a data row is read as the header, and the
    error must not list its cells (a name, an e-mail address, a phone number, comment text)."""
    path = tmp_path / "hashes.csv"
    rows = [
        f"{58310067 + i}#9#N/A#slow, rude#Sandra Patel#sandrapatel78@example.org#+13125550147#RH-296030\n"
        for i in range(5)
    ]
    path.write_text("".join(rows), encoding="utf-8")
    with pytest.raises(NpsError) as raised:
        read_export(path)
    message = str(raised.value) + str(raised.value.hint)
    assert "hashes.csv" in message
    for secret in SANDRA:
        assert secret not in message, message


def test_listed_column_names_are_cut_and_masked(tmp_path: Path):
    long_name = "How likely are you to tell a friend about the clinic, from 0 to 10 " * 2
    path = tmp_path / "named.csv"
    path.write_text(
        f'Response ID,Created at,"{long_name}",Reach me at sandrapatel78@example.org or 312-555-0147\n'
        "1,2025-10-01,ten,x\n2,2025-10-02,nine,y\n",
        encoding="utf-8",
    )
    with pytest.raises(ColumnError) as raised:
        read_export(path, ReadOptions(timezone="UTC"))
    message = str(raised.value)
    assert "(columns: Response ID, Created at, " in message
    assert long_name[:37] + "..." in message and long_name[:38] not in message
    assert "sandrapatel78" not in message and "555-0147" not in message


def test_a_huge_header_cell_is_cut_not_searched_for_seconds(tmp_path: Path):
    """A 5 MB header cell (a paste gone wrong, or an attack) costs what a 2,000-character one does: header
    texts are cut to HEADER_CELL_CHARS before they are matched against column names."""
    import time

    from npscli.io.layouts import HEADER_CELL_CHARS

    path = tmp_path / "bighead.csv"
    huge = "How likely are you to recommend us " + "X" * 5_000_000
    path.write_text(
        f'Response ID,Created at,Score,"{huge}"\n1,2025-10-01T10:00:00,9,a\n2,2025-10-02T10:00:00,3,b\n',
        encoding="utf-8",
    )
    started = time.monotonic()
    parsed = read_export(path, ReadOptions(timezone="UTC"))
    assert time.monotonic() - started < 3
    assert parsed.records["score"].tolist() == [9, 3]
    assert all(len(name) <= HEADER_CELL_CHARS for name in parsed.columns)


_CELL_TEXT = st.text(
    alphabet=st.sampled_from(["a", "B", "7", " ", "\t", "\n", "\u3000", "\ufeff", "\u200b"]), max_size=6
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_CELL_TEXT, min_size=1, max_size=40, unique=True))
def test_stripped_text_of_a_column_of_distinct_cells_cleans_each_as_one_cell(cells):
    """The column-at-a-time path (mostly distinct text: ids, times) against the per-distinct-value path (an object
    column) and against the rule itself: spaces off both ends, then a byte order mark or zero-width space at either
    end and the spaces they hid."""
    marks = "\ufeff\u200b"

    def rule(text: str) -> str:
        text = text.strip()
        return text.strip(marks).strip() if text and (text[0] in marks or text[-1] in marks) else text

    expected = [rule(cell) for cell in cells]
    as_text = stripped_text(pd.Series(cells, dtype="str"))
    as_objects = stripped_text(pd.Series(cells, dtype=object))
    assert as_text.tolist() == expected
    assert as_objects.tolist() == expected
    assert stripped_text(pd.Series(cells, dtype="str"), empty=None).tolist() == [text or None for text in expected]
