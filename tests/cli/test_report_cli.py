"""`npscli report weekly|monthly` end to end: the same numbers as `npscli score`, files, mail, a real browser."""

from __future__ import annotations

import importlib.util
import itertools
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from tests.servers import ci_enabled
from tests.storefill import fill
from typer.testing import CliRunner

from npscli.cli.main import app
from npscli.store.engine import open_store

TZ = "America/Chicago"
ZONE = ZoneInfo(TZ)
AS_OF = "2025-11-24T07:00"  # the Monday cron run for 2025-W47
HYPERLINK = '=HYPERLINK("http://evil.example/x","click me")'
ROOT = Path(__file__).resolve().parents[2]


def synthetic_rows(seed: int = 11) -> list[dict]:
    """2025-W35..W47 (Mon 25 Aug .. Sun 23 Nov): three locations, two departments; Westview small, silent in W40."""
    rng = random.Random(seed)
    rows = []
    plan = {"Downtown": (16, 0.55, 0.15), "Eastgate": (11, 0.45, 0.25), "Westview Clinic": (4, 0.35, 0.35)}
    for week in range(13):
        monday = date(2025, 8, 25) + timedelta(weeks=week)
        for location, (per_week, promoters, detractors) in plan.items():
            if location == "Westview Clinic" and week == 5:
                continue
            for i in range(per_week):
                u = rng.random()
                score = (
                    rng.choice([9, 10])
                    if u < promoters
                    else (rng.randint(0, 6) if u < promoters + detractors else rng.choice([7, 8]))
                )
                day = datetime.combine(monday + timedelta(days=rng.randint(0, 6)), datetime.min.time(), ZONE)
                rows.append(
                    {
                        "response_id": f"{location[:2]}-{week}-{i}",
                        "submitted_at": day + timedelta(hours=rng.randint(7, 19)),
                        "score": score,
                        "comment": rng.choice(
                            ["The wait was two hours.", "Billing charged me twice.", "Great care!", None]
                        ),
                        "location": location,
                        "department": "Pediatrics" if i % 3 == 0 else "Primary Care",
                        "patient_name": f"Patient {week} {i}",
                        "email": f"p{week}.{i}@example.org",
                    }
                )
    rows.append(
        {
            "response_id": "evil",
            "submitted_at": datetime(2025, 11, 21, 9, tzinfo=ZONE),
            "score": 0,
            "comment": HYPERLINK,
            "location": "Downtown",
            "department": "Primary Care",
            "patient_name": "Ana Pérez",
            "email": "ana@example.org",
        }
    )
    return rows


def filled(db: str) -> str:
    store = open_store(db)
    try:
        fill(store, synthetic_rows(), tz=TZ)
    finally:
        store.dispose()
    return db


def score_json(cli, *args: str) -> list[dict]:
    r = cli("score", *args, "--as-of", AS_OF, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def report_json(cli, out: Path, *args: str) -> dict:
    r = cli("report", *args, "--as-of", AS_OF, "--format", "json", "--out", str(out))
    assert r.exit_code == 0, r.output
    path = Path(r.stdout.strip())
    assert path.parent == out and path.suffix == ".json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_report_numbers_equal_npscli_score_for_the_same_window(cli, tmp_path):
    filled(cli.db)
    weekly = report_json(cli, tmp_path, "weekly", "--week", "2025-W47")
    window = ("--since", "2025-11-17", "--until", "2025-11-23")
    assert weekly["overall"] == score_json(cli, "--period", "week", *window, "--compare", "previous")[0]
    assert weekly["by_location"] == score_json(
        cli, "--period", "week", *window, "--compare", "previous", "--by", "location"
    )
    assert weekly["by_department"] == score_json(
        cli, "--period", "week", *window, "--compare", "previous", "--by", "department"
    )
    assert weekly["trend"] == score_json(cli, "--period", "week", "--since", "2025-09-01", "--until", "2025-11-23")
    per_location = score_json(
        cli, "--period", "week", "--since", "2025-09-01", "--until", "2025-11-23", "--by", "location"
    )
    westview = [
        {k: v for k, v in r.items() if k != "location"} for r in per_location if r["location"] == "Westview Clinic"
    ]
    assert weekly["trend_by_location"]["Westview Clinic"] == westview  # empty weeks as rows of n = 0 in both
    baseline = score_json(cli, "--since", "2025-08-25", "--until", "2025-11-16")[0]
    assert {k: weekly["baseline"][k] for k in baseline} == baseline

    monthly = report_json(cli, tmp_path, "monthly", "--month", "2025-10")
    month = ("--since", "2025-10-01", "--until", "2025-10-31", "--compare", "previous")
    assert monthly["overall"] == score_json(cli, "--period", "month", *month)[0]
    assert monthly["by_location"] == score_json(cli, "--period", "month", *month, "--by", "location")

    one = report_json(cli, tmp_path, "weekly", "--week", "2025-W47", "--location", "Eastgate")
    assert (
        one["overall"]
        == score_json(cli, "--period", "week", *window, "--compare", "previous", "--location", "Eastgate")[0]
    )


@pytest.fixture
def sqlite_cli(sqlite_db):
    """Like the `cli` fixture, on SQLite only (these tests are about files and mail, not the backend)."""
    filled(sqlite_db)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, [str(a) for a in args], env={"NPSCLI_DB": sqlite_db})

    return run


def test_the_comments_quoted_are_real_comments_not_placeholders(sqlite_db, tmp_path):
    store = open_store(sqlite_db)
    monday = datetime(2025, 11, 17, 9, tzinfo=ZONE)
    texts = ["The wait was two hours.", "N/A", "na", "-", "No comment", "Billing charged me twice."]
    try:
        fill(
            store,
            [
                {"response_id": f"r{i}", "submitted_at": monday + timedelta(hours=i), "score": 2, "comment": text}
                for i, text in enumerate(texts)
            ],
            tz=TZ,
        )
    finally:
        store.dispose()
    r = CliRunner().invoke(
        app,
        ["report", "weekly", "--as-of", AS_OF, "--format", "json", "--out", str(tmp_path)],
        env={"NPSCLI_DB": sqlite_db},
    )
    assert r.exit_code == 0, r.output
    report = json.loads(Path(r.stdout.strip()).read_text(encoding="utf-8"))
    quoted = {c["text"] for c in report["comments"]["detractors"]}
    assert quoted == {"Billing charged me twice.", "The wait was two hours."}


def test_cron_run_writes_the_last_complete_week_with_deterministic_names(sqlite_cli, tmp_path):
    out = tmp_path / "reports"
    r = sqlite_cli("report", "weekly", "--as-of", AS_OF, "--out", str(out))
    assert r.exit_code == 0, r.output
    names = ["nps-weekly-2025-W47.html", "nps-weekly-2025-W47.xlsx", "nps-weekly-2025-W47.md"]
    assert r.stdout.splitlines() == [str(out / n) for n in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)  # no temporary file left behind
    assert "week 2025-W47: NPS" in r.stderr
    wb = load_workbook(out / "nps-weekly-2025-W47.xlsx")
    assert len(wb["Trend"]._charts) == 2
    header = [c.value for c in wb["Detractors"][1]]
    comments = [row[header.index("comment")] for row in wb["Detractors"].iter_rows(min_row=2, values_only=True)]
    assert "'" + HYPERLINK in comments and "email" not in header
    first = {n: (out / n).read_bytes() for n in (names[0], names[2])}
    again = sqlite_cli("report", "weekly", "--as-of", AS_OF, "--out", str(out))
    assert again.exit_code == 0 and {n: (out / n).read_bytes() for n in first} == first  # same run, same bytes


def test_a_run_in_the_last_hours_of_a_week_warns_that_it_is_the_report_of_the_week_before(sqlite_cli, tmp_path):
    """Cron on a UTC server: Monday 05:30 UTC is still Sunday 23:30 in Chicago, so W47 has not ended there."""
    early = sqlite_cli("report", "weekly", "--as-of", "2025-11-24T05:30+00:00", "--out", str(tmp_path), "-f", "md")
    assert early.exit_code == 0, early.output
    assert early.stdout.strip().endswith("nps-weekly-2025-W46.md")
    said = " ".join(early.stderr.split())
    assert "it is Sun 23:30 in America/Chicago, 30 min before 2025-W47 ends, so this is the report of 2025-W46" in said
    assert "CRON_TZ=America/Chicago" in said and "--week 2025-W47 once it has ended" in said
    for quiet in (
        ("--as-of", "2025-11-24T13:00+00:00"),  # Monday 07:00 in Chicago: W47 it is, nothing to say
        ("--as-of", "2025-11-24T05:30+00:00", "--week", "2025-W46"),  # the week named: no guessing
    ):
        r = sqlite_cli("report", "weekly", *quiet, "--out", str(tmp_path), "-f", "md")
        assert r.exit_code == 0 and "warning" not in r.stderr, r.stderr


def test_a_week_that_has_not_begun_is_said_to_be_so_not_to_have_had_no_responses(sqlite_cli, tmp_path):
    r = sqlite_cli("report", "weekly", "--week", "2026-W47", "--as-of", AS_OF, "--out", str(tmp_path), "-f", "md")
    assert r.exit_code == 0, r.output
    assert "2026-W47 has not begun yet (it is 2025-11-24 in America/Chicago)" in r.stderr
    text = (tmp_path / "nps-weekly-2026-W47.md").read_text(encoding="utf-8")
    assert "This week has not begun yet (2025-11-24 is before it): nothing to report." in text
    assert "not over yet" not in text


def test_quiet_after_the_command_as_before_it_leaves_only_the_file_paths(sqlite_cli, tmp_path):
    for args in (("report", "weekly", "-q"), ("-q", "report", "weekly")):
        r = sqlite_cli(*args, "--as-of", AS_OF, "--out", str(tmp_path / "q"))
        assert r.exit_code == 0, r.output
        assert r.stderr == "" and len(r.stdout.splitlines()) == 3  # the files written: data, not chatter


def test_one_report_per_location(sqlite_cli, tmp_path):
    r = sqlite_cli("report", "weekly", "--as-of", AS_OF, "--out", str(tmp_path), "--location", "all", "--format", "md")
    assert r.exit_code == 0, r.output
    assert [Path(p).name for p in r.stdout.splitlines()] == [
        "nps-weekly-2025-W47-downtown.md",
        "nps-weekly-2025-W47-eastgate.md",
        "nps-weekly-2025-W47-westview-clinic.md",
    ]
    r = sqlite_cli(
        "report",
        "weekly",
        "--as-of",
        AS_OF,
        "--out",
        str(tmp_path),
        "--location",
        "Eastgate",
        "--format",
        "xlsx",
        "--include-contact",
    )
    assert r.exit_code == 0, r.output
    header = [c.value for c in load_workbook(r.stdout.strip())["Detractors"][1]]
    assert {"patient_name", "email", "phone"} <= set(header)
    r = sqlite_cli("report", "weekly", "--as-of", AS_OF, "--out", str(tmp_path), "--location", "Eastgat", "-f", "md")
    assert r.exit_code == 0, r.output
    assert "no responses from location 'Eastgat'" in r.stderr and "known: Downtown, Eastgate" in r.stderr
    assert "did you mean 'Eastgate'?" in r.stderr


def test_a_week_without_data_says_so_and_exits_0(sqlite_cli, tmp_path):
    r = sqlite_cli(
        "report", "weekly", "--week", "2024-W10", "--as-of", AS_OF, "--out", str(tmp_path), "--format", "html,md"
    )
    assert r.exit_code == 0, r.output
    assert "no responses in week 2024-W10" in r.stderr
    assert "No responses were recorded this week." in (tmp_path / "nps-weekly-2024-W10.md").read_text()


@pytest.mark.parametrize(
    "args,code,text",
    [
        (("weekly", "--week", "2025-11"), 2, "is not a week"),
        (("weekly", "--week", "2026-46"), 2, "a week is written 2026-W46"),
        (("weekly", "--week", "2025-11"), 2, "a week is written 2025-W11"),
        (("monthly", "--month", "2025-W47"), 2, "is not a month"),
        (("weekly", "--format", "pdf"), 2, "unknown report format"),
        (("weekly", "--email-to", "not-an-address"), 2, "is not an e-mail address"),
    ],
)
def test_usage_errors(sqlite_cli, tmp_path, args, code, text):
    r = sqlite_cli("report", *args, "--out", str(tmp_path))
    assert r.exit_code == code, r.output
    assert text in r.stderr and "Traceback" not in r.output
    assert "no month" not in r.stderr and "quarter" not in r.stderr  # a week, not a month, was asked for
    assert list(tmp_path.glob("nps-*")) == []


def test_reports_section_of_the_config(sqlite_cli, tmp_path):
    (tmp_path / "npscli.toml").write_text('[reports]\nout_dir = "from-config"\nformats = ["md"]\n')
    r = sqlite_cli("report", "weekly", "--as-of", AS_OF)
    assert r.exit_code == 0, r.output
    assert (tmp_path / "from-config" / "nps-weekly-2025-W47.md").is_file()
    (tmp_path / "npscli.toml").write_text("[reports]\ncolour = 'blue'\n")
    r = sqlite_cli("report", "weekly", "--as-of", AS_OF)
    assert r.exit_code == 8 and "[reports] colour: unknown setting" in r.stderr


def smtp_config(tmp_path: Path, smtp_server) -> None:
    (tmp_path / "npscli.toml").write_text(
        f'[smtp]\nhost = "{smtp_server.host}"\nport = {smtp_server.port}\nsecurity = "none"\n\n'
        '[reports]\nfrom = "Patient Experience <px@example.org>"\n'
    )


def test_email_sends_the_html_body_with_the_xlsx_attached(sqlite_cli, tmp_path, smtp_server):
    smtp_config(tmp_path, smtp_server)
    r = sqlite_cli(
        "report",
        "weekly",
        "--as-of",
        AS_OF,
        "--out",
        str(tmp_path),
        "--email-to",
        "leads@example.org",
        "--email-to",
        "ops@example.org",
    )
    assert r.exit_code == 0, r.output
    assert "mailed to leads@example.org, ops@example.org" in r.stderr
    assert len(smtp_server.messages) == 1
    got = smtp_server.messages[0]
    assert sorted(got.rcpt_tos) == ["leads@example.org", "ops@example.org"]
    assert got.message["Subject"].startswith("NPS weekly report 2025-W47: NPS ")
    html = got.message.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert html == (tmp_path / "nps-weekly-2025-W47.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 4
    assert "NPS" in got.message.get_body(("plain",)).get_content()
    attachments = {a.get_filename(): a.get_content() for a in got.message.iter_attachments()}
    assert list(attachments) == ["nps-weekly-2025-W47.xlsx"]
    assert attachments["nps-weekly-2025-W47.xlsx"] == (tmp_path / "nps-weekly-2025-W47.xlsx").read_bytes()


def test_a_refused_recipient_exits_7_after_the_files_are_written(sqlite_cli, tmp_path, smtp_server):
    smtp_config(tmp_path, smtp_server)
    smtp_server.refuse.add("gone@example.org")
    r = sqlite_cli(
        "report",
        "weekly",
        "--as-of",
        AS_OF,
        "--out",
        str(tmp_path),
        "--format",
        "md",
        "--email-to",
        "gone@example.org",
        "--email-to",
        "leads@example.org",
    )
    assert r.exit_code == 7, r.output
    assert "not mailed to everyone" in r.stderr and "gone@example.org" in r.stderr
    assert (tmp_path / "nps-weekly-2025-W47.md").is_file()
    assert [m.rcpt_tos for m in smtp_server.messages] == [["leads@example.org"]]
    # "re-run the same command" would mail leads@ a second copy: the hint is the command for the one it missed
    resend = f"npscli report weekly --week 2025-W47 --email-to gone@example.org --out {tmp_path}"
    assert resend in " ".join(r.stderr.split()), r.stderr
    smtp_server.refuse.clear()
    again = sqlite_cli(*resend.split()[1:], "--format", "md", "--as-of", "2025-11-27T09:00")
    assert again.exit_code == 0, again.output
    assert [m.rcpt_tos for m in smtp_server.messages] == [["leads@example.org"], ["gone@example.org"]]


def test_a_report_per_location_that_missed_some_names_each_location_and_recipient_to_mail_again(
    sqlite_cli, tmp_path, smtp_server
):
    smtp_config(tmp_path, smtp_server)
    smtp_server.refuse.add("gone@example.org")
    r = sqlite_cli(
        "report", "weekly", "--as-of", AS_OF, "--out", str(tmp_path), "--format", "md", "--location", "all",
        "--email-to", "gone@example.org", "--email-to", "leads@example.org",
    )  # fmt: skip
    assert r.exit_code == 7, r.output
    hint = " ".join(r.stderr.split())
    assert (
        "npscli report weekly --week 2025-W47 --location Downtown --location Eastgate --location 'Westview Clinic' "
        f"--email-to gone@example.org --out {tmp_path}"
    ) in hint, r.stderr


def test_email_needs_a_sender_and_says_so_before_writing(sqlite_cli, tmp_path):
    r = sqlite_cli("report", "weekly", "--as-of", AS_OF, "--out", str(tmp_path / "o"), "--email-to", "a@example.org")
    assert r.exit_code == 8, r.output
    assert "[reports] from: is not set" in r.stderr and not (tmp_path / "o").exists()


def test_outbox_writes_the_email_instead_of_sending(sqlite_cli, tmp_path):
    import email
    import email.policy

    (tmp_path / "npscli.toml").write_text('[alerts]\nfrom = "px@example.org"\n')  # the alerts' sender is reused
    r = sqlite_cli(
        "report",
        "monthly",
        "--as-of",
        AS_OF,
        "--out",
        str(tmp_path),
        "--format",
        "html",
        "--email-to",
        "leads@example.org",
        "--outbox",
        str(tmp_path / "outbox"),
    )
    assert r.exit_code == 0, r.output
    [eml] = list((tmp_path / "outbox").glob("*.eml"))
    assert eml.name.startswith("20251124-070000-0001-")  # named by the run's --as-of, not the wall clock
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert msg["From"] == "px@example.org" and "2025-10" in msg["Subject"]
    assert [a.get_filename() for a in msg.iter_attachments()] == ["nps-monthly-2025-10.xlsx"]


# ------------------------------------------------------------------ a real browser


def _screenshot_module():
    spec = importlib.util.spec_from_file_location("npscli_screenshot", ROOT / "scripts" / "screenshot.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_html_report_renders_its_charts_in_headless_chromium(sqlite_cli, tmp_path):
    shot = _screenshot_module()
    if shot.find_chromium() is None:
        message = "Chromium is not installed (apt-get install -y chromium)"
        if ci_enabled():
            pytest.fail(f"CI: the browser test must not be skipped: {message}", pytrace=False)
        pytest.skip(message)
    r = sqlite_cli("report", "weekly", "--as-of", AS_OF, "--out", str(tmp_path), "--format", "html")
    assert r.exit_code == 0, r.output
    page = Path(r.stdout.strip())

    charts = {c["id"]: c for c in shot.measure(page, window_size="1200,2400")}
    assert set(charts) == {"trend-overall", "trend-downtown", "trend-eastgate", "trend-westview-clinic"}
    for c in charts.values():
        assert c["width"] > 300 and c["height"] > 150 and c["points"] > 0
        assert c["bands"] and all(b["w"] > 0 and b["h"] > 0 for b in c["bands"])
        assert c["lines"] and all(line["w"] > 0 for line in c["lines"])
    assert len(charts["trend-westview-clinic"]["lines"]) == 2  # the silent week is a gap
    for c in charts.values():  # the x-axis labels, as this machine's fonts lay them out, never overlap
        labels = c["xlabels"]
        assert labels and labels[-1]["text"] == "W47", c["id"]  # the report's own week is always labelled
        overlaps = [(a["text"], b["text"]) for a, b in itertools.pairwise(labels) if a["right"] + 2 > b["left"]]
        assert not overlaps, (c["id"], overlaps)

    png = shot.screenshot(page, tmp_path / "report.png", window_size="1200,900")  # same width: same layout
    overall = charts["trend-overall"]
    box = (int(overall["x"]), int(overall["y"]), int(overall["width"]), int(overall["height"]))
    assert box[1] + box[3] < 900  # the chart is inside the screenshot
    line_pixels = shot.count_colour(png, box, (0x1F, 0x5F, 0x99), tolerance=30)
    band_pixels = shot.count_colour(png, box, (200, 222, 241), tolerance=20)  # #9cc3e6 at 55% over white
    assert line_pixels > 500, line_pixels
    assert band_pixels > 2000, band_pixels
    outside = (box[0], 5, box[2], 20)  # the page header above it has no chart colours
    assert shot.count_colour(png, outside, (0x1F, 0x5F, 0x99), tolerance=30) == 0


def test_under_umask_000_report_folders_are_private(sqlite_cli, tmp_path, umask_000):
    import stat

    out = tmp_path / "shared" / "reports" / "weekly"
    r = sqlite_cli("report", "weekly", "--as-of", AS_OF, "--out", str(out))
    assert r.exit_code == 0, r.output
    for folder in (tmp_path / "shared", tmp_path / "shared" / "reports", out):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert {stat.S_IMODE(p.stat().st_mode) for p in out.iterdir()} == {0o600}


def test_the_report_speaks_plainly_to_managers(sqlite_cli, tmp_path):
    """No 'our clinic' when no clinic_name is set; overdue 'including earlier weeks'; 'NPS gap'; no
    '(median – to first contact)' without a median; XLSX theme share as a percentage, impact to one decimal."""
    out = tmp_path / "plain"
    r = sqlite_cli("report", "weekly", "--as-of", AS_OF, "--out", str(out), "--format", "md,html,xlsx,json")
    assert r.exit_code == 0, r.output
    data = json.loads((out / "nps-weekly-2025-W47.json").read_text(encoding="utf-8"))
    md = (out / "nps-weekly-2025-W47.md").read_text(encoding="utf-8")
    html = (out / "nps-weekly-2025-W47.html").read_text(encoding="utf-8")
    for text in (md, html):
        assert "our clinic" not in text and "with − without" not in text and "NPS gap" in text
    assert md.split("\n\n")[1].startswith("NPS ")  # the headline follows the title: no empty subtitle line
    overdue = len(data["tickets"]["overdue_now"])
    assert overdue > data["tickets"]["opened"]  # the case the wording is for
    assert f"- Overdue tickets now: {overdue} (including earlier weeks)" in md
    assert "Overdue tickets now (including earlier weeks)" in html
    assert data["tickets"]["median_hours_to_contact"] is None
    assert "(median – to first contact)" not in md and "median" not in md.split("Contacted within the SLA")[1][:40]
    ws = load_workbook(out / "nps-weekly-2025-W47.xlsx")["Summary"]
    rows = list(ws.iter_rows())
    start = next(i for i, row in enumerate(rows) if row[0].value == "top themes among detractors")
    assert rows[start][3].value == "NPS gap"
    themes = rows[start + 1 : start + 1 + len(data["themes"])]
    assert themes and all(row[2].number_format == "0%" and row[3].number_format == "+0.0;-0.0;0.0" for row in themes)
    assert [row[2].value for row in themes] == [t["share_of_detractors"] for t in data["themes"]]  # still numbers
    assert not [c.value for row in rows for c in row if "our clinic" in str(c.value)]
    window = ("--since", "2025-11-17", "--until", "2025-11-23")
    week = sqlite_cli("tickets", "list", *window, "--as-of", AS_OF, "-f", "json")
    first = json.loads(week.stdout)[0]["ticket_id"]
    contacted = sqlite_cli("tickets", "contacted", first, "--channel", "call", "--as-of", "2025-11-23T12:00")
    assert contacted.exit_code == 0, contacted.output
    again = sqlite_cli("report", "weekly", "--as-of", AS_OF, "--out", str(tmp_path / "again"), "--format", "md,json")
    assert again.exit_code == 0, again.output
    median = json.loads((tmp_path / "again" / "nps-weekly-2025-W47.json").read_text())["tickets"]
    line = f"; median {median['median_hours_to_contact']:.1f} h to first contact\n"
    assert line in (tmp_path / "again" / "nps-weekly-2025-W47.md").read_text(encoding="utf-8")
    # a clinic_name set is shown
    (tmp_path / "npscli.toml").write_text('clinic_name = "Riverside Health"\n', encoding="utf-8")
    named = sqlite_cli("report", "weekly", "--as-of", AS_OF, "--out", str(tmp_path / "named"), "--format", "md")
    assert named.exit_code == 0, named.output
    assert "\nRiverside Health\n" in (tmp_path / "named" / "nps-weekly-2025-W47.md").read_text(encoding="utf-8")


def test_one_report_per_location_shows_how_far_it_is_on_a_terminal(sqlite_cli, sqlite_db, tmp_path):
    import os

    from tests.cli.test_meta import _on_a_terminal

    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR" and not k.startswith("NPSCLI_")}
    env.update(NPSCLI_DB=sqlite_db, NPSCLI_TIMEZONE=TZ, COLUMNS="160", TERM="xterm-256color")
    args = ["report", "weekly", "--as-of", AS_OF, "--out", str(tmp_path / "t"), "--location", "all", "-f", "md"]
    shown = _on_a_terminal(args, env).decode()
    assert "report Downtown" in shown and "0 of 3 reports" in shown and "report Westview Clinic" in shown
    piped = sqlite_cli(*args)
    assert piped.exit_code == 0 and "of 3 reports" not in piped.stderr
