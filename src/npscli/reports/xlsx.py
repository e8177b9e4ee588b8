"""The report as an Excel workbook (openpyxl), with native line charts managers can restyle.

Sheets: Summary, By location, By department, Trend (with ``openpyxl.chart.LineChart`` charts: the NPS with
its interval, and one line per location), Detractors (redacted comments; contact details only when the
report was built with ``include_contact``), Tickets.

Every string cell goes through ``neutralize_formula``: a comment such as ``=HYPERLINK(...)`` is stored as
text with a leading ``'`` and never runs. Numbers are written as numbers (``-12.5`` is not a formula).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from npscli.core.periods import naive_utc
from npscli.core.textsafe import neutralize_formula

GREY = "9CA3AF"
HEADER_FILL = "E5EDF5"
GROUP_COLUMNS = (
    ("n", "n"),
    ("promoters", "promoters"),
    ("passives", "passives"),
    ("detractors", "detractors"),
    ("nps", "NPS"),
    ("ci_low", "95% low"),
    ("ci_high", "95% high"),
    ("low_n", "low n"),
    ("previous_nps", "previous NPS"),
    ("change", "change"),
    ("p_value", "p"),
    ("p_adjusted", "p (Holm)"),
    ("significant", "significant"),
)


def cell(value: Any) -> Any:
    """A value as it may go into a cell: strings neutralised, lists joined, numbers and bools as they are."""
    if isinstance(value, list | tuple):
        value = ", ".join(str(v) for v in value)
    return neutralize_formula(value)


DATE_TIME_FORMAT = "yyyy-mm-dd hh:mm"


def local_datetime(value: Any) -> Any:
    """An ISO 8601 time with its offset (clinic time) as the naive local datetime Excel sorts and filters as a
    date; anything else as it is."""
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value).replace(tzinfo=None)
        except ValueError:
            return value
    return value


def _sheet(
    wb,
    title: str,
    header: list[str],
    rows: list[list[Any]],
    *,
    grey: list[bool] | None = None,
    widths=None,
    dates: tuple[str, ...] = (),
):
    from openpyxl.styles import Font, PatternFill

    ws = wb.create_sheet(title)
    ws.append([cell(h) for h in header])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    for c in ws[1]:
        c.font, c.fill = bold, fill
    greyed = Font(color=GREY)
    date_columns = [header.index(name) for name in dates if name in header]
    # (The row number is counted here: openpyxl's ws.max_row looks at every cell written so far, which made a
    # week of 2,700 detractors take 8 s.)
    for i, row in enumerate(rows):
        values = [cell(v) for v in row]
        for column in date_columns:
            values[column] = local_datetime(row[column])
        ws.append(values)
        number = i + 2  # (row 1 is the header)
        for column in date_columns:
            ws.cell(row=number, column=column + 1).number_format = DATE_TIME_FORMAT
        if grey and grey[i]:
            for c in ws[number]:
                c.font = greyed
    ws.freeze_panes = "A2"
    for index, width in enumerate(widths or [], start=1):
        ws.column_dimensions[_letter(index)].width = width
    return ws


# The most characters an Excel cell holds: a longer text makes Excel "repair" the workbook and cut the cell.
EXCEL_CELL_CHARS = 32_767


def _id_list(ids: list[str]) -> str:
    """Ticket ids for one cell: all of them, or as many as fit in a cell and how many more (a backlog of
    250,000 overdue tickets is 2.3 million characters)."""
    text = ", ".join(ids)
    if len(text) <= EXCEL_CELL_CHARS:
        return text
    room, size, shown = EXCEL_CELL_CHARS - 100, 0, 0  # (100: the tail)
    for number in ids:
        size += len(number) + (2 if shown else 0)
        if size > room:
            break
        shown += 1
    more = len(ids) - shown
    return ", ".join(ids[:shown]) + f" … and {more:,} more (npscli tickets list --overdue lists them all)"


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _groups(wb, title: str, name: str, rows: list[dict[str, Any]]) -> None:
    header = [name] + [h for _k, h in GROUP_COLUMNS]
    body = [[r[name] if r[name] is not None else "(none)"] + [r.get(k) for k, _h in GROUP_COLUMNS] for r in rows]
    _sheet(wb, title, header, body, grey=[bool(r["low_n"]) for r in rows], widths=[28] + [11] * len(GROUP_COLUMNS))


def _summary(wb, report: dict[str, Any]) -> None:
    from openpyxl.styles import Font

    from npscli.reports.render import headline

    ws = wb.active
    ws.title = "Summary"
    o, b, t = report["overall"], report["baseline"], report["tickets"]
    noun = report["period"]["kind"]
    ws.append([cell(f"Patient feedback — {report['period']['label']}")])
    ws["A1"].font = Font(bold=True, size=14)
    named = " — ".join(part for part in (report["clinic_name"], report["location"]) if part)
    if named:
        ws.append([cell(named)])
    for line in headline(report):
        ws.append([cell(line)])
    ws.append([])
    rows: list[tuple[str, Any]] = [
        ("period", report["period"]["key"]),
        ("first day", report["period"]["first_day"]),
        ("last day", report["period"]["last_day"]),
        ("responses (n)", o["n"]),
        ("promoters", o["promoters"]),
        ("passives", o["passives"]),
        ("detractors", o["detractors"]),
        ("NPS", o["nps"]),
        ("95% interval low", o["ci_low"]),
        ("95% interval high", o["ci_high"]),
        ("low n", o["low_n"]),
        (f"previous {noun} NPS", o.get("previous_nps")),
        (f"change vs previous {noun}", o.get("change")),
        (f"p vs previous {noun}", o.get("p_value")),
        (f"significant vs previous {noun}", o.get("significant")),
        (f"NPS, previous {b['periods']} {noun}s", b["nps"]),
        (f"n, previous {b['periods']} {noun}s", b["n"]),
        (f"change vs previous {b['periods']} {noun}s", b["change"]),
        (f"p vs previous {b['periods']} {noun}s", b["p_value"]),
        (f"significant vs previous {b['periods']} {noun}s", b["significant"]),
        ("tickets opened", t["opened"]),
        ("tickets closed", t["closed"]),
        ("tickets still open", t["open"]),
        ("% contacted within SLA", t["contacted_within_sla"]),
        ("median hours to first contact", t["median_hours_to_contact"]),
        ("overdue tickets now", len(t["overdue_now"])),
        ("overdue ticket ids", _id_list(t["overdue_now"])),
    ]
    header_row = ws.max_row + 1
    ws.append(["measure", "value"])
    for c in ws[header_row]:
        c.font = Font(bold=True)
    for label, value in rows:
        ws.append([cell(label), cell(value)])
    if report["themes"]:
        ws.append([])
        ws.append(["top themes among detractors", "detractor mentions", "share of detractors", "NPS gap"])
        for c in ws[ws.max_row]:
            c.font = Font(bold=True)
        for th in report["themes"]:
            ws.append([cell(th["label"]), th["detractor_mentions"], th["share_of_detractors"], th["impact"]])
            share, impact = ws.cell(ws.max_row, 3), ws.cell(ws.max_row, 4)
            share.number_format = "0%"  # as the HTML shows them: 30%, +7.1
            impact.number_format = "+0.0;-0.0;0.0"
    if report["emerging"]["issues"]:
        ws.append([])
        ws.append(["emerging issues"])
        ws[f"A{ws.max_row}"].font = Font(bold=True)
        for e in report["emerging"]["issues"]:
            ws.append([cell(e["text"])])
    for note in report["notes"]:
        ws.append([cell(note)])
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 20
    ws.column_dimensions["D"].width = 12


def _show_axes(chart) -> None:
    # openpyxl leaves `delete` unset, which recent Excel versions read as "hide the axis".
    chart.x_axis.delete = False
    chart.y_axis.delete = False


def _trend(wb, report: dict[str, Any]) -> None:
    from openpyxl.chart import LineChart, Reference

    trend, by_loc = report["trend"], report["trend_by_location"]
    locations = list(by_loc)
    header = ["period", "n", "NPS", "95% low", "95% high", "low n"] + [f"NPS {name}" for name in locations]
    body = []
    for i, r in enumerate(trend):
        body.append(
            [r["period"], r["n"], r["nps"], r["ci_low"], r["ci_high"], r["low_n"]]
            + [by_loc[name][i]["nps"] for name in locations]
        )
    ws = _sheet(wb, "Trend", header, body, widths=[11, 8, 9, 9, 9, 7] + [16] * len(locations))
    last = len(body) + 1
    cats = Reference(ws, min_col=1, min_row=2, max_row=last)

    chart = LineChart()
    chart.title = f"NPS by {report['period']['kind']} with 95% interval"
    chart.y_axis.title = "NPS"
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = -100, 100
    chart.display_blanks = "gap"
    _show_axes(chart)
    chart.height, chart.width = 8, 18
    chart.add_data(Reference(ws, min_col=3, max_col=5, min_row=1, max_row=last), titles_from_data=True)
    chart.set_categories(cats)
    chart.series[0].graphicalProperties.line.width = 28000
    for band in chart.series[1:]:
        band.graphicalProperties.line.dashStyle = "dash"
        band.graphicalProperties.line.solidFill = "9CC3E6"
    ws.add_chart(chart, f"{_letter(len(header) + 2)}2")

    if locations:
        per_location = LineChart()
        per_location.title = "NPS by location"
        per_location.y_axis.title = "NPS"
        per_location.display_blanks = "gap"
        _show_axes(per_location)
        per_location.height, per_location.width = 8, 18
        per_location.add_data(
            Reference(ws, min_col=7, max_col=6 + len(locations), min_row=1, max_row=last), titles_from_data=True
        )
        per_location.set_categories(cats)
        ws.add_chart(per_location, f"{_letter(len(header) + 2)}19")


def _detractors(wb, report: dict[str, Any]) -> None:
    keys = [
        "response_id",
        "submitted_at",
        "score",
        "location",
        "department",
        "provider",
        "ticket_id",
        "status",
        "assignee",
        "overdue",
        "themes",
        "comment",
    ]
    if report["include_contact"]:
        keys += ["patient_name", "email", "phone"]
    rows = [[r.get(k) for k in keys] for r in report["detractor_rows"]]
    widths = [14, 22, 7, 18, 18, 20, 11, 11, 16, 9, 24, 70, 22, 28, 16]
    ws = _sheet(wb, "Detractors", keys, rows, widths=widths[: len(keys)], dates=("submitted_at",))
    from openpyxl.styles import Alignment

    col = keys.index("comment") + 1
    for row in ws.iter_rows(min_row=2, min_col=col, max_col=col):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")


def _tickets(wb, report: dict[str, Any]) -> None:
    keys = [
        "ticket_id",
        "status",
        "priority",
        "assignee",
        "score",
        "location",
        "department",
        "submitted_at",
        "due_at",
        "first_contact_at",
        "closed_at",
        "within_sla",
        "overdue",
        "root_causes",
    ]
    rows = [[r.get(k) for k in keys] for r in report["tickets"]["rows"]]
    ws = _sheet(
        wb,
        "Tickets",
        keys,
        rows,
        widths=[11, 11, 9, 16, 7, 18, 18, 18, 18, 18, 18, 10, 9, 24],
        dates=("submitted_at", "due_at", "first_contact_at", "closed_at"),
    )
    ws.append([])
    ws.append([cell("overdue now (all open tickets past their deadline, not yet contacted)")])
    ws.append([cell(_id_list(report["tickets"]["overdue_now"]) or "none")])


def build_workbook(report: dict[str, Any]):
    from openpyxl import Workbook

    wb = Workbook()
    _summary(wb, report)
    _groups(wb, "By location", "location", report["by_location"])
    _groups(wb, "By department", "department", report["by_department"])
    _trend(wb, report)
    _detractors(wb, report)
    _tickets(wb, report)
    wb.properties.creator = "npscli"
    wb.properties.title = f"NPS {report['report']} report {report['period']['key']}"
    return wb


def workbook_bytes(report: dict[str, Any]) -> bytes:
    """The workbook as bytes, the same for the same report: the archive's entry times and the document's
    created/modified stamps are the report's ``generated_at`` (openpyxl would write the clock), so the file
    written and the one mailed are identical, and a re-run of a report changes nothing."""
    import re
    import zipfile

    stamp = datetime.fromisoformat(report["generated_at"])
    wb = build_workbook(report)
    wb.properties.created = naive_utc(stamp)
    buffer = io.BytesIO()
    wb.save(buffer)
    w3c = stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    when = max(stamp.timetuple()[:6], (1980, 1, 1, 0, 0, 0))  # a zip time is local, from 1980
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + w3c.encode() + rb"\g<2>", data
                )
            info = zipfile.ZipInfo(entry.filename, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    return out.getvalue()
