"""Regenerate the binary fixture exports in this folder (workbooks, UTF-16, Windows-1252, damaged files).

Run from anywhere: ``.venv/bin/python tests/data/exports/make_fixtures.py``. The outputs are committed;
the text fixtures beside them are written by hand. All data is synthetic.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
FIXED = datetime(2025, 1, 1)  # workbook properties, so regenerating gives stable content


def _workbook() -> Workbook:
    workbook = Workbook()
    workbook.properties.created = FIXED
    workbook.properties.modified = FIXED
    workbook.properties.creator = "npscli fixtures"
    return workbook


def _save(workbook: Workbook, name: str) -> None:
    """Save with fixed zip timestamps and document dates, so that regenerating changes no byte."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", b"2025-01-01T00:00:00Z", data)
            target.writestr(zipfile.ZipInfo(item.filename, date_time=(2025, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
    (HERE / name).write_bytes(out.getvalue())


def plain_cp1252_semicolon() -> None:
    """An Excel re-save in a European locale: Windows-1252, semicolons, day-first dates, a title line."""
    text = (
        "Patientenumfrage;;;;\r\n"
        "Datum;Empfehlung (0-10);Kommentar;Praxis;Telefon\r\n"
        "25/11/2025 14:03;9,0;Sehr gut, danke! Café-Ecke 5 €;Praxis Süd;555-0131\r\n"
        '03/11/2025 09:00;4;"Zu lange gewartet; niemand hat sich entschuldigt.";Praxis Süd;555-0132\r\n'
        "04/11/2025 10:30;10;Zoë war großartig;Praxis Nord;\r\n"
    )
    (HERE / "plain_cp1252_semicolon.csv").write_bytes(text.encode("cp1252"))


def plain_utf16_tab() -> None:
    """Excel's "Unicode Text": UTF-16 with a BOM, tab-delimited."""
    text = (
        "Response ID\tDate\tScore\tComment\tLocation\r\n"
        "U-1\t2025-07-01 08:00:00\t10\tMuy bien, gracias — José Peña\tClínica Centro\r\n"
        'U-2\t2025-07-01 09:00:00\t6\t"Dos líneas:\nsegunda línea"\tClínica Centro\r\n'
        "U-3\t2025-07-02 10:00:00\t\tsin nota\tClínica Norte\r\n"
    )
    (HERE / "plain_utf16_tab.csv").write_bytes(text.encode("utf-16"))


def typed_workbook() -> None:
    """Calamine's typed cells: datetimes, floats like 9.0, an Excel serial number, a numeric phone."""
    workbook = _workbook()
    sheet = workbook.active
    sheet.title = "Responses"
    sheet.append(["Response ID", "Submitted", "NPS", "Comment", "Clinic", "Phone"])
    sheet.append(["X-1", datetime(2025, 7, 1, 11, 13, 44), 9.0, "Lovely staff", "Pine Clinic", 5550141])
    sheet.append(["X-2", datetime(2025, 7, 2, 8, 0, 0), 3.0, "=SUM(1,2)", "Pine Clinic", None])
    sheet.append(["X-3", 45839.5, 10, "serial date", "Pine Clinic", None])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["X-4", datetime(2025, 7, 3, 9, 30, 0), 7.5, "half point", "Pine Clinic", None])
    archive = workbook.create_sheet("Archive")
    archive.append(["Response ID", "Submitted", "NPS"])
    archive.append(["A-1", datetime(2024, 1, 15, 10, 0, 0), 8])
    _save(workbook, "plain_typed.xlsx")


def qualtrics_workbook() -> None:
    """A Qualtrics export saved as XLSX: the same three header rows, values typed by Excel."""
    workbook = _workbook()
    sheet = workbook.active
    sheet.title = "Sheet0"
    sheet.append(["StartDate", "EndDate", "Status", "RecordedDate", "ResponseId", "Q1", "Q1_NPS_GROUP", "Q2", "Site"])
    sheet.append(
        [
            "Start Date", "End Date", "Response Type", "Recorded Date", "Response ID",
            "How likely is it that you would recommend us to a friend?",
            "How likely is it that you would recommend us to a friend? - Group",
            "What could we do better?", "Site",
        ]
    )  # fmt: skip
    sheet.append(
        [
            '{"ImportId":"startDate","timeZone":"America/New_York"}',
            '{"ImportId":"endDate","timeZone":"America/New_York"}',
            '{"ImportId":"status"}',
            '{"ImportId":"recordedDate","timeZone":"America/New_York"}',
            '{"ImportId":"_recordId"}',
            '{"ImportId":"QID1"}',
            '{"ImportId":"QID1_NPS_GROUP"}',
            '{"ImportId":"QID2_TEXT"}',
            '{"ImportId":"Site"}',
        ]
    )
    sheet.append(
        [datetime(2025, 7, 1, 11, 10), datetime(2025, 7, 1, 11, 13, 44), 0.0, datetime(2025, 7, 1, 11, 13, 44),
         "R_x1", 10.0, 3.0, "Nothing", "Maple Site"]
    )  # fmt: skip
    sheet.append(
        [datetime(2025, 7, 1, 12, 0), datetime(2025, 7, 1, 12, 5), 1.0, datetime(2025, 7, 1, 12, 5),
         "R_x2", 2.0, 1.0, "preview", "Maple Site"]
    )  # fmt: skip
    _save(workbook, "qualtrics.xlsx")


def duplicates_workbook() -> None:
    """The rows of duplicates_overlap.csv exported again as XLSX (typed date, other whitespace and case)."""
    workbook = _workbook()
    sheet = workbook.active
    sheet.append(["Date", "Score", "Comment", "Clinic", "Email"])
    sheet.append([datetime(2025, 7, 1, 11, 13, 44), 9.0, "Great visit, thanks", "Elm Street", "ana.perez@example.org"])
    sheet.append([datetime(2025, 7, 2, 8, 0, 0), 6.0, None, "Elm Street", None])
    _save(workbook, "duplicates_overlap.xlsx")


def damaged_files() -> None:
    whole = (HERE / "plain_typed.xlsx").read_bytes()
    (HERE / "truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    # 0x81 and 0x8D are invalid UTF-8 lead bytes and undefined in Windows-1252.
    (HERE / "undecodable.csv").write_bytes(b"Date,Score\n2025-07-01,\x81\x8d\x9d\n")


def main() -> None:
    plain_cp1252_semicolon()
    plain_utf16_tab()
    typed_workbook()
    qualtrics_workbook()
    duplicates_workbook()
    damaged_files()


if __name__ == "__main__":
    main()
