"""write_rejects output, and response keys that survive a re-export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from npscli.core.errors import InputFileError
from npscli.io.exports import ReadOptions, read_export, write_rejects

EXPORTS = Path(__file__).resolve().parents[2] / "data" / "exports"


def read_csv_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def test_write_rejects_rows_reasons_and_formula_neutralisation(tmp_path: Path):
    parsed = read_export(EXPORTS / "delighted.csv")
    target = tmp_path / "rejects.csv"
    assert write_rejects(parsed, target) == 3
    rows = read_csv_rows(target)
    assert rows[0] == ["row", "reason", "column", *parsed.columns]
    assert [row[:3] for row in rows[1:]] == [
        ["4", "score is outside 0-10", "Score"],
        ["5", "score is outside 0-10", "Score"],
        ["6", "submitted_at could not be parsed as a date", "Response timestamp"],
    ]
    comment = parsed.columns.index("Comment") + 3
    assert rows[2][comment] == '\'=HYPERLINK("http://example.org","click")'  # neutralised
    assert rows[2][parsed.columns.index("Score") + 3] == "'-1"  # text that Excel would read as a formula
    assert rows[3][parsed.columns.index("Name") + 3] == "Eli Katz"  # the original row, as read
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_write_rejects_keeps_multiline_cells_and_skips_other_outcomes(tmp_path: Path):
    parsed = read_export(EXPORTS / "qualtrics_nps.csv")
    target = tmp_path / "rejects.csv"
    assert write_rejects(parsed, target) == 1  # excluded and skipped rows are not rejects
    rows = read_csv_rows(target)
    assert [row[:3] for row in rows[1:]] == [["11", "missing submitted_at", "RecordedDate"]]


def test_write_rejects_with_nothing_rejected_writes_the_header(tmp_path: Path):
    parsed = read_export(EXPORTS / "typeform.csv")
    target = tmp_path / "rejects.csv"
    assert write_rejects(parsed, target) == 0
    assert read_csv_rows(target) == [["row", "reason", "column", *parsed.columns]]


def test_write_rejects_replaces_an_existing_file(tmp_path: Path):
    target = tmp_path / "rejects.csv"
    target.write_text("old contents\n")
    write_rejects(read_export(EXPORTS / "delighted.csv"), target)
    assert "old contents" not in target.read_text(encoding="utf-8-sig")


def test_write_rejects_into_a_missing_folder(tmp_path: Path):
    parsed = read_export(EXPORTS / "delighted.csv")
    with pytest.raises(InputFileError, match="cannot write the rejects file"):
        write_rejects(parsed, tmp_path / "missing" / "rejects.csv")


def test_the_same_response_gets_the_same_key_in_csv_and_xlsx():
    csv_export = read_export(EXPORTS / "duplicates_overlap.csv", ReadOptions(timezone="Europe/Berlin"))
    xlsx_export = read_export(EXPORTS / "duplicates_overlap.xlsx", ReadOptions(timezone="Europe/Berlin"))
    csv_keys = csv_export.records["response_key"].tolist()
    xlsx_keys = xlsx_export.records["response_key"].tolist()
    # The CSV holds the first response twice, identical in every cell (kept: the store counts duplicates).
    assert len(csv_keys) == 3
    assert csv_keys[0] == csv_keys[1]
    # The second response exported again as XLSX (a typed datetime and a typed 6.0, empty cells) is the same.
    assert csv_keys[2] == xlsx_keys[1]
    # The XLSX's first row has other whitespace inside the comment and another case in the e-mail: it differs
    # in two cells, so it is not taken for the same response (a duplicate is never "similar").
    assert csv_keys[0] != xlsx_keys[0]
    assert csv_keys[0] != csv_keys[2]
    assert all(key.startswith("row:") and len(key) == 4 + 32 for key in csv_keys)


def test_keys_do_not_depend_on_the_date_format(tmp_path: Path):
    iso = tmp_path / "iso.csv"
    iso.write_text("Date,Score,Comment\n2025-07-01 11:13:44,9,Good\n", encoding="utf-8")
    us = tmp_path / "us.csv"
    us.write_text("Date,Score,Comment\r\n07/01/2025 11:13:44 AM,9.0, Good \r\n", encoding="utf-8")
    minute = tmp_path / "minute.csv"
    minute.write_text("Date,Score,Comment\n07/01/2025 11:13 AM,9,Good\n", encoding="utf-8")
    keys = read_export(iso).records["response_key"].tolist()
    assert read_export(us).records["response_key"].tolist() == keys  # the same instant, score and text
    assert read_export(minute).records["response_key"].tolist() != keys  # 44 seconds earlier: another answer


def test_keys_use_the_response_id_when_there_is_one():
    keys = read_export(EXPORTS / "delighted.csv").records["response_key"].tolist()
    assert keys == ["id:9001", "id:9002"]


def test_fingerprint_changes_with_content(tmp_path: Path):
    one = tmp_path / "one.csv"
    one.write_text("Date,Score,Clinic\n2025-07-01 11:13,9,North\n2025-07-01 11:13,9,South\n", encoding="utf-8")
    keys = read_export(one).records["response_key"].tolist()
    assert keys[0] != keys[1]
