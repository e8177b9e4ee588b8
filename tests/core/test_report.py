"""The trend report without the CLI: periods, numbers from the scoring path, charts, XLSX, templates, files."""

from __future__ import annotations

import io
import random
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from tests.storefill import fill

from npscli.core import nps as npsmath
from npscli.core.errors import TemplateError, UsageError
from npscli.io.taxonomy import load_taxonomy
from npscli.reports import render, svg
from npscli.reports.render import slugify
from npscli.reports.xlsx import workbook_bytes
from npscli.services.scoring import ScoreRequest, score
from npscli.services.weekly import (
    ReportOptions,
    build_report,
    last_complete,
    make_period,
    resolve_period,
    trailing_keys,
)
from npscli.store.engine import open_store

TZ = "America/Chicago"
ZONE = ZoneInfo(TZ)
NOW = datetime(2025, 11, 24, 7, 0, tzinfo=ZONE)  # Monday 07:00: the cron run for 2025-W47
HYPERLINK = '=HYPERLINK("http://evil.example/x","click me")'
COMMENTS = {
    "detractor": [
        "The wait was two hours and nobody told us why.",
        "Billing charged me twice, still waiting for a refund.",
        "Receptionist was rude at the front desk.",
        "Could not get an appointment for three weeks.",
        "",
    ],
    "passive": ["Fine overall.", "", "Parking was hard to find."],
    "promoter": ["Dr. Webb explained everything clearly.", "Quick and friendly, thanks!", ""],
}


def synthetic_rows(seed: int = 7, first_monday: date = date(2025, 8, 25), weeks: int = 13) -> list[dict]:
    """Weeks 2025-W35..W47: Downtown busy, Eastgate middling, Westview small (low n) and silent in W40."""
    rng = random.Random(seed)
    rows = []
    plan = {"Downtown": (18, 0.55, 0.15), "Eastgate": (12, 0.45, 0.25), "Westview": (4, 0.35, 0.35)}
    for week in range(weeks):
        monday = first_monday + timedelta(weeks=week)
        for location, (per_week, promoter_share, detractor_share) in plan.items():
            if location == "Westview" and monday == date(2025, 9, 29):
                continue  # a week with no responses: a gap in the trend
            for i in range(per_week):
                u = rng.random()
                kind = (
                    "promoter"
                    if u < promoter_share
                    else ("detractor" if u < promoter_share + detractor_share else "passive")
                )
                score_value = {
                    "promoter": rng.choice([9, 10]),
                    "passive": rng.choice([7, 8]),
                    "detractor": rng.randint(0, 6),
                }[kind]
                when = datetime.combine(monday + timedelta(days=rng.randint(0, 6)), datetime.min.time(), ZONE)
                rows.append(
                    {
                        "response_id": f"{location[:2]}{week:02d}{i:02d}",
                        "submitted_at": when + timedelta(hours=8 + rng.randint(0, 9), minutes=rng.randint(0, 59)),
                        "score": score_value,
                        "comment": rng.choice(COMMENTS[kind]) or None,
                        "location": location,
                        "department": "Pediatrics" if i % 3 == 0 else "Primary Care",
                        "patient_name": f"Patient {location[:2]}{week}{i}",
                        "email": f"p{location[:2].lower()}{week}{i}@example.org",
                        "phone": "555-0100",
                    }
                )
    return rows


SPECIAL = [
    {
        "response_id": "X1",
        "submitted_at": datetime(2025, 11, 22, 10, 0, tzinfo=ZONE),
        "score": 2,
        "comment": HYPERLINK,
        "location": "Downtown",
        "department": "Primary Care",
        "patient_name": "Ana Pérez",
        "email": "ana.perez@example.org",
        "phone": "555-0142",
    },
    {
        "response_id": "X2",
        "submitted_at": datetime(2025, 11, 23, 18, 0, tzinfo=ZONE),
        "score": 1,
        "comment": "Ana Pérez here, call me on 555-123-4567. <img src=x onerror=alert(1)> "
        "[click](http://x.example) | pipe",
        "location": "Downtown",
        "department": "Primary Care",
        "patient_name": "Ana Pérez",
        "email": "ana2@example.org",
        "phone": "555-0143",
    },
]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = open_store(str(tmp_path_factory.mktemp("report") / "store.db"))
    fill(s, synthetic_rows() + SPECIAL, tz=TZ)
    yield s
    s.dispose()


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


@pytest.fixture(scope="module")
def weekly(store, taxonomy):
    return build_report(store, ReportOptions(key="2025-W47", timezone=TZ, taxonomy=taxonomy), NOW)


# ------------------------------------------------------------------ periods


def test_default_period_is_the_last_complete_week_or_month():
    assert last_complete("week", NOW) == "2025-W47"
    assert last_complete("week", datetime(2025, 11, 23, 23, 59, tzinfo=ZONE)) == "2025-W46"  # Sunday: not over
    assert last_complete("month", NOW) == "2025-10"
    assert last_complete("month", datetime(2026, 1, 1, tzinfo=ZONE)) == "2025-12"
    assert resolve_period("week", None, NOW, TZ).key == "2025-W47"


def test_periods_are_local_midnight_windows_with_readable_labels():
    w = make_period("week", "2025-w47", TZ)
    assert (w.key, w.first_day, w.last_day) == ("2025-W47", date(2025, 11, 17), date(2025, 11, 23))
    assert w.start == datetime(2025, 11, 17, tzinfo=ZONE) and w.end == datetime(2025, 11, 24, tzinfo=ZONE)
    assert w.label == "Week 47, 17–23 Nov 2025"
    assert make_period("week", "2025-W44", TZ).label == "Week 44, 27 Oct–2 Nov 2025"
    assert make_period("week", "2026-W01", TZ).label == "Week 1, 29 Dec 2025–4 Jan 2026"
    assert make_period("month", "2025-11", TZ).label == "November 2025"
    assert trailing_keys("2021-W02", 3) == ["2020-W53", "2021-W01", "2021-W02"]
    assert trailing_keys("2025-02", 3) == ["2024-12", "2025-01", "2025-02"]


@pytest.mark.parametrize("kind,key", [("week", "2025-11"), ("month", "2025-W47"), ("week", "2025-W60"), ("month", "x")])
def test_a_key_of_the_wrong_kind_is_a_usage_error(kind, key):
    with pytest.raises(UsageError):
        make_period(kind, key, TZ)


# ------------------------------------------------------------------ numbers


def test_overall_trend_and_tables_are_the_scoring_paths_rows(store, weekly):
    w = make_period("week", "2025-W47", TZ)
    req = {"method": "adjusted-wald", "min_n": 30, "timezone": TZ}
    row = score(store, ScoreRequest(period="week", start=w.start, end=w.end, compare=True, **req))
    assert weekly["overall"] == [r for r in row if r["period"] == "2025-W47"][0]
    assert weekly["has_data"] and weekly["overall"]["n"] > 30
    by_loc = score(store, ScoreRequest(by=("location",), period="week", start=w.start, end=w.end, compare=True, **req))
    assert weekly["by_location"] == [r for r in by_loc if r["period"] == "2025-W47"]
    assert [r["location"] for r in weekly["by_location"]] == ["Downtown", "Eastgate", "Westview"]
    assert weekly["by_location"][-1]["low_n"] is True
    assert [t["period"] for t in weekly["trend"]] == trailing_keys("2025-W47", 12)
    assert weekly["detractors"] == weekly["overall"]["detractors"]


def test_the_baseline_is_the_twelve_weeks_before_with_a_z_test(store, weekly):
    b = weekly["baseline"]
    assert (b["first_period"], b["last_period"], b["since"], b["until"]) == (
        "2025-W35",
        "2025-W46",
        "2025-08-25",
        "2025-11-16",
    )
    whole = score(
        store,
        ScoreRequest(
            start=make_period("week", "2025-W35", TZ).start, end=make_period("week", "2025-W47", TZ).start, timezone=TZ
        ),
    )[0]
    assert (b["n"], b["nps"], b["ci_low"], b["ci_high"]) == (
        whole["n"],
        whole["nps"],
        whole["ci_low"],
        whole["ci_high"],
    )
    o = weekly["overall"]
    expected = npsmath.compare(
        npsmath.Counts(o["detractors"], o["passives"], o["promoters"]),
        npsmath.Counts(whole["detractors"], whole["passives"], whole["promoters"]),
    )
    assert b["change"] == round(expected.change, 1) and b["p_value"] == round(expected.p_value, 4)
    assert b["significant"] is expected.significant


def test_a_week_without_responses_leaves_a_gap_in_the_trend(weekly):
    westview = weekly["trend_by_location"]["Westview"]
    gap = [t for t in westview if t["period"] == "2025-W40"][0]
    assert gap["n"] == 0 and gap["nps"] is None and gap["ci_low"] is None
    chart = svg.line_chart(render._points(westview), title="Westview")
    assert chart.count('class="line"') == 2  # two segments, not one line across the gap


def test_tickets_comments_themes_are_redacted_and_counted(weekly):
    t = weekly["tickets"]
    assert t["opened"] == weekly["overall"]["detractors"]  # threshold 6: one ticket per detractor
    assert t["overdue_now"] and all(re.fullmatch(r"T-\d{6}", i) for i in t["overdue_now"])
    texts = [c["text"] for side in weekly["comments"].values() for c in side]
    texts += [r["comment"] or "" for r in weekly["detractor_rows"]]
    joined = " ".join(texts)
    assert "Ana" not in joined and "555-123-4567" not in joined and "[name]" in joined and "[phone]" in joined
    assert "email" not in weekly["detractor_rows"][0]  # no contact details unless asked
    assert weekly["themes"] and {"theme", "label", "detractor_mentions", "impact"} <= set(weekly["themes"][0])
    assert weekly["emerging"]["available"] is True
    assert 0 < len(weekly["comments"]["detractors"]) <= 3 and 0 < len(weekly["comments"]["promoters"]) <= 3


def test_a_week_without_data_is_a_short_report(store, taxonomy):
    empty = build_report(store, ReportOptions(key="2024-W10", timezone=TZ, taxonomy=taxonomy), NOW)
    assert empty["has_data"] is False and empty["overall"]["n"] == 0 and empty["overall"]["nps"] is None
    assert render.headline(empty) == ["No responses were recorded this week."]
    page = render.html(empty)
    assert "No responses were recorded this week." in page and "By location" not in page
    assert "no responses" in render.markdown(empty).lower()


def test_a_location_report_is_filtered_everywhere(store, taxonomy):
    r = build_report(store, ReportOptions(key="2025-W47", location="Eastgate", timezone=TZ, taxonomy=taxonomy), NOW)
    w = make_period("week", "2025-W47", TZ)
    rows = score(
        store,
        ScoreRequest(
            period="week", start=w.start, end=w.end, compare=True, timezone=TZ, filters={"location": ("Eastgate",)}
        ),
    )
    assert r["overall"] == [x for x in rows if x["period"] == "2025-W47"][0]
    assert r["by_location"] == [] and r["trend_by_location"] == {}
    assert {d["location"] for d in r["detractor_rows"]} == {"Eastgate"}
    assert r["emerging"]["group_by"] == "department"
    assert render.file_name(r, "html") == "nps-weekly-2025-W47-eastgate.html"


def test_monthly_report(store, taxonomy):
    r = build_report(store, ReportOptions(kind="month", key="2025-11", timezone=TZ, taxonomy=taxonomy), NOW)
    assert r["report"] == "monthly" and r["period"]["label"] == "November 2025"
    assert [t["period"] for t in r["trend"]][-2:] == ["2025-10", "2025-11"]
    assert r["notes"][0].startswith("This month is not over yet")
    assert render.file_name(r, "xlsx") == "nps-monthly-2025-11.xlsx"
    assert "November 2025" in render.html(r)


# ------------------------------------------------------------------ rendering


def test_svg_is_self_contained_escaped_and_deterministic():
    points = [
        svg.Point("W1", 10.0, -5.0, 25.0, n=40),
        svg.Point("W2", None),
        svg.Point("W3", 30.5, 10.0, 48.0, True, 12),
    ]
    a = svg.line_chart(points, title='<script>alert("x")</script> & Co')
    assert a == svg.line_chart(points, title='<script>alert("x")</script> & Co')
    assert "<script" not in a and "&lt;script&gt;" in a and "&amp; Co" in a
    assert a.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "href" not in a
    assert a.count('class="point"') == 2 and 'fill="#ffffff" stroke' in a  # the low-n point is hollow
    empty = svg.line_chart([svg.Point("W1", None)], title="t")
    zero_line = float(re.search(r'<line x1="[\d.]+" y1="([\d.]+)"[^>]*stroke="#6b7280"', empty).group(1))
    label_y = float(re.search(r'<text x="[\d.]+" y="([\d.]+)"[^>]*>no responses</text>', empty).group(1))
    assert zero_line - label_y >= 6  # the words sit above the zero line, not struck through by it
    assert svg.y_range([[svg.Point("a", 50.0, 40.0, 60.0)]]) == (30.0, 70.0)


def test_axis_labels_thin_out_on_small_charts_and_keep_the_latest():
    points = [svg.Point(f"W{w}", 20.0, 10.0, 30.0, n=40) for w in range(35, 47)]

    def labels(chart: str) -> list[str]:
        return re.findall(r'<text class="xlabel"[^>]*>([^<]*)</text>', chart)

    assert labels(svg.line_chart(points, title="t")) == [p.label for p in points]  # the wide chart: all twelve
    small = labels(svg.line_chart(points, title="t", width=350, height=170))
    assert small == ["W36", "W38", "W40", "W42", "W44", "W46"]  # every other week, ending on the report's own
    many = [svg.Point(f"2025-W{w:02d}", 20.0, n=40) for w in range(1, 53)]
    shown = labels(svg.line_chart(many, title="t"))
    assert shown[-1] == "2025-W52" and 5 <= len(shown) <= 13


def test_html_is_one_file_autoescaped_without_script(weekly):
    page = render.html(weekly)
    assert page.count("<svg") == 4  # overall + 3 locations
    assert "<script" not in page and "<img src=x" not in page and "&lt;img src=x" in page
    assert not re.search(r'(src|href)="(https?:)?//', page) and "<link" not in page
    assert "Week 47, 17–23 Nov 2025" in page and "Westview" in page


def test_markdown_makes_patient_text_inert(weekly):
    md = render.markdown(weekly)
    assert "[click](http" not in md and r"\[click\]" in md
    assert r"\<img" in md and not re.search(r"(?<!\\)<img", md)
    assert "| Westview (low n) |" in md
    assert render.md_escape("# heading *bold* `code`") == r"\# heading \*bold\* \`code\`"


def test_xlsx_has_the_sheets_a_native_chart_and_neutralised_cells(weekly):
    wb = load_workbook(io.BytesIO(workbook_bytes(weekly)))
    assert wb.sheetnames == ["Summary", "By location", "By department", "Trend", "Detractors", "Tickets"]
    charts = wb["Trend"]._charts
    assert len(charts) == 2 and all(type(c).__name__ == "LineChart" for c in charts)
    det = wb["Detractors"]
    header = [c.value for c in det[1]]
    assert "email" not in header and "patient_name" not in header
    comments = [row[header.index("comment")] for row in det.iter_rows(min_row=2, values_only=True)]
    assert "'" + HYPERLINK in comments and HYPERLINK not in comments
    for ws in wb:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                assert not (isinstance(value, str) and value[:1] in "=+-@"), (ws.title, value)
    loc = wb["By location"]
    header = [c.value for c in loc[1]]
    first = [c.value for c in loc[2]]
    assert isinstance(first[header.index("NPS")], int | float) and isinstance(first[header.index("n")], int)
    assert loc.cell(row=4, column=1).font.color.rgb.endswith("9CA3AF")  # Westview, low n: greyed
    trend = list(wb["Trend"].iter_rows(min_row=2, values_only=True))
    assert len(trend) == 12 and all(isinstance(r[2], int | float) for r in trend)  # NPS stays a number


def test_xlsx_contact_details_only_when_asked(store, taxonomy):
    r = build_report(store, ReportOptions(key="2025-W47", timezone=TZ, taxonomy=taxonomy, include_contact=True), NOW)
    det = load_workbook(io.BytesIO(workbook_bytes(r)))["Detractors"]
    header = [c.value for c in det[1]]
    assert {"patient_name", "email", "phone"} <= set(header)
    emails = [row[header.index("email")] for row in det.iter_rows(min_row=2, values_only=True)]
    assert "ana.perez@example.org" in emails


def test_a_user_template_overrides_the_packaged_one(weekly, tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "weekly.md.j2").write_text("NPS {{ view.kpis[0].value }} for {{ report.period.key }}\n")
    assert render.markdown(weekly, user_dir=str(tmp_path)) == f"NPS {weekly['overall']['nps']:.1f} for 2025-W47\n"
    (tmp_path / "reports" / "weekly.html.j2").write_text("{{ no_such_variable }}")
    with pytest.raises(TemplateError):
        render.html(weekly, user_dir=str(tmp_path))


# ------------------------------------------------------------------ files


def test_names_formats_and_atomic_writes(weekly, tmp_path):
    assert slugify("Eastgate Clinic (Norté)") == "eastgate-clinic-norte" and slugify("***") == "location"
    assert render.parse_formats("HTML, markdown,xlsx,html") == ("html", "md", "xlsx")
    with pytest.raises(UsageError):
        render.parse_formats("pdf")
    written = render.write_report(weekly, ("html", "md", "json"), tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "nps-weekly-2025-W47.html",
        "nps-weekly-2025-W47.json",
        "nps-weekly-2025-W47.md",
    ]
    assert written["html"].stat().st_mode & 0o077 == 0  # reports quote patients: owner only
    target = tmp_path / "out" / "nps-weekly-2025-W47.md"
    before = target.read_bytes()
    with pytest.raises(TypeError):
        render.write_atomic(target, "not bytes")  # fails mid-write
    assert target.read_bytes() == before and sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        p.name for p in written.values()
    )


def test_xlsx_bytes_are_the_same_for_the_same_report(weekly):
    """The file written and the one mailed are two renderings: they must be the same bytes, whenever made
    (openpyxl stamps the clock into the archive and the document properties)."""
    import time

    first = workbook_bytes(weekly)
    time.sleep(2.1)  # past a zip timestamp's two-second resolution
    assert workbook_bytes(weekly) == first
    properties = load_workbook(io.BytesIO(first)).properties
    generated = NOW.astimezone(UTC).replace(tzinfo=None)  # the report's run time, not the clock's
    assert properties.modified == properties.created == generated


def test_tickets_sheet_within_sla_is_blank_while_a_ticket_still_has_time(weekly):
    # Same rule as the summary's "contacted within the SLA": only a contact, or a passed deadline, decides.
    now = NOW.isoformat()
    rows = weekly["tickets"]["rows"]
    pending = [r for r in rows if not r["first_contact_at"] and r["due_at"] > now]
    assert pending, "the fixture week should end with tickets still inside their SLA"
    assert all(r["within_sla"] is None for r in pending)
    missed = [r for r in rows if not r["first_contact_at"] and r["due_at"] <= now]
    assert missed and all(r["within_sla"] is False for r in missed)
    sheet = load_workbook(io.BytesIO(workbook_bytes(weekly)))["Tickets"]
    header = [c.value for c in sheet[1]]
    by_id = {row[0]: row[header.index("within_sla")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert all(by_id[r["ticket_id"]] is None for r in pending)


def test_the_sla_share_says_how_many_tickets_it_is_of(weekly):
    t = weekly["tickets"]
    rows = t["rows"]
    decided = [r for r in rows if r["within_sla"] is not None]
    assert t["sla_decided"] == len(decided) > 0 and t["sla_met"] == sum(1 for r in decided if r["within_sla"])
    shown = f"{t['contacted_within_sla']:.0f}% ({t['sla_met']} of {t['sla_decided']})"
    assert "Contacted within the SLA</td><td style" in render.html(weekly) and shown in render.html(weekly)
    assert f"Contacted within the SLA: {shown}" in render.markdown(weekly)


def test_xlsx_times_are_excel_dates_in_clinic_time(weekly):
    """Sortable and filterable as dates in Excel (not ISO text), and the clinic's wall-clock time."""
    book = load_workbook(io.BytesIO(workbook_bytes(weekly)))
    for sheet, columns in (("Tickets", ("submitted_at", "due_at")), ("Detractors", ("submitted_at",))):
        ws = book[sheet]
        header = [c.value for c in ws[1]]
        source = weekly["tickets"]["rows"] if sheet == "Tickets" else weekly["detractor_rows"]
        for name in columns:
            column = header.index(name) + 1
            cells = [ws.cell(row=i + 2, column=column) for i in range(len(source))]
            assert cells and all(c.number_format == "yyyy-mm-dd hh:mm" for c in cells)
            for c, row in zip(cells, source, strict=True):
                assert c.value == datetime.fromisoformat(row[name]).replace(tzinfo=None)  # local, as the ISO says


def test_overdue_ids_not_listed_are_not_promised_on_the_tickets_sheet(weekly):
    sheet = load_workbook(io.BytesIO(workbook_bytes(weekly)))["Tickets"]
    on_sheet = {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)}
    overdue = weekly["tickets"]["overdue_now"]
    assert len(overdue) > render.OVERDUE_SHOWN and not set(overdue) <= on_sheet  # older weeks' tickets
    for text in (render.html(weekly), render.markdown(weekly)):
        assert "npscli tickets list --overdue" in text
        assert "all on the XLSX Tickets sheet" not in text


def test_a_backlog_of_overdue_tickets_fits_excels_cells(weekly):
    """Excel holds at most 32,767 characters a cell (longer, and it "repairs" the file): a long list of overdue
    ids is cut to fit, saying how many more and where to see them; a short one is listed whole."""
    many = dict(weekly, tickets={**weekly["tickets"], "overdue_now": [f"T-{n:06d}" for n in range(1, 250_001)]})
    book = load_workbook(io.BytesIO(workbook_bytes(many)))
    texts = [c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert max(len(t) for t in texts) <= 32_767
    listed = [t for t in texts if t.startswith("T-000001, T-000002")]
    assert len(listed) == 2  # the Summary's row and the Tickets sheet's last line
    for text in listed:
        shown = text.split(" … ")[0].split(", ")
        assert shown == [f"T-{n:06d}" for n in range(1, len(shown) + 1)] and len(shown) > 3000
        assert text.endswith(f"and {250_000 - len(shown):,} more (npscli tickets list --overdue lists them all)")
    few = load_workbook(io.BytesIO(workbook_bytes(weekly)))["Summary"]
    whole = ", ".join(weekly["tickets"]["overdue_now"])
    assert whole in [c.value for row in few.iter_rows() for c in row]
