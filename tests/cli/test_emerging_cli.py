"""Emerging issues end to end: a planted incident in a real store is flagged by `themes --emerging`, told once
by `npscli alert` (to the real SMTP server, routed to its location's recipient) and shown by `report weekly`,
with the same sentence in all three; a store whose survey volume rises, with no incident, flags nothing.

The clinic (synthetic): three locations, 20 weeks of responses up to Sunday 2026-11-15 (Chicago).
"""

from __future__ import annotations

import csv
import io
import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.storefill import fill

from npscli.store.engine import open_store

ZONE = ZoneInfo("America/Chicago")
LAST_DAY = date(2026, 11, 15)  # a Sunday: the last day of data
MIDNIGHT = "2026-11-16T00:00"  # when all three look
REPORT_RUN = "2026-11-16T07:00"  # the Monday cron run of the weekly report for 2026-W46
INCIDENT_FROM = date(2026, 11, 9)  # Monday: the booking system starts cancelling appointments
PX = "px@riverside.example.org"
NORA = "nora.north@riverside.example.org"
LOCATIONS = ("Northside", "Southside", "Eastgate")
THEMED = {
    "scheduling": "The online booking cancelled my appointment again.",
    "wait_time": "The wait was long.",
    "parking": "Parking was impossible.",
}
PER_WEEK = {"scheduling": 1.0, "wait_time": 2.0, "parking": 1.5}  # mentions a week at 60 responses a week


def clinic_rows(seed: int, *, incident: bool, weekly=lambda week: 60) -> list[dict]:
    """Weekday responses at three locations for 20 weeks: each theme mentioned by a steady share of them
    (PER_WEEK at 60 responses a week); with ``incident``, two extra scheduling complaints every weekday at
    Northside from INCIDENT_FROM."""
    rng = random.Random(seed)
    first = LAST_DAY - timedelta(weeks=20) + timedelta(days=1)
    rows: list[dict] = []
    for offset in range((LAST_DAY - first).days + 1):
        day = first + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        week = offset // 7
        for location in LOCATIONS:
            for i in range(round(weekly(week) / 5)):
                u = rng.random()
                cut = 0.0
                comment, score = "", rng.choice([9, 10, 10, 8, 7])
                for theme, rate in PER_WEEK.items():
                    cut += rate / 60
                    if u < cut:
                        comment, score = THEMED[theme], rng.randint(1, 6)
                        break
                rows.append(_row(f"{location[:2]}-{day}-{i}", day, 8 + i % 9, location, score, comment))
            if incident and location == "Northside" and day >= INCIDENT_FROM:
                for j in range(2):
                    rows.append(_row(f"inc-{day}-{j}", day, 10 + 3 * j, location, 2 + j, THEMED["scheduling"]))
    return rows


def _row(rid: str, day: date, hour: int, location: str, score: int, comment: str) -> dict:
    return {
        "response_id": rid,
        "submitted_at": datetime(day.year, day.month, day.day, hour, 15, tzinfo=ZONE),
        "score": score,
        "location": location,
        "department": "Primary Care",
        "comment": comment,
        "patient_name": "Ana Pérez",
        "email": f"patient-{rid}@example.org",
        "phone": "555-0142",
    }


def seed(db: str, rows: list[dict]) -> None:
    store = open_store(db)
    try:
        fill(store, rows)
    finally:
        store.dispose()


def configure(path: Path, smtp) -> None:
    (path / "npscli.toml").write_text(
        f"""
clinic_name = "Riverside Health"

[alerts]
from = "Patient Experience <{PX}>"
default_recipients = ["{PX}"]

[[routing.rules]]
location = "Northside"
to = ["Nora North <{NORA}>"]

[smtp]
host = "{smtp.host}"
port = {smtp.port}
security = "none"
""",
        encoding="utf-8",
    )


def emerging(cli, *args: str) -> list[dict]:
    r = cli("themes", "--emerging", "--as-of", MIDNIGHT, "--format", "json", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def issue_mails(smtp) -> list[tuple[list[str], str, str]]:
    """(envelope recipients, subject, plain body) of the emerging-issue alerts received."""
    return [
        (m.rcpt_tos, m.message["Subject"], m.message.get_body(("plain",)).get_content())
        for m in smtp.messages
        if m.message["X-Npscli-Alert"] == "emerging"
    ]


def weekly_report(cli, out: Path) -> dict:
    r = cli("report", "weekly", "--as-of", REPORT_RUN, "--format", "json", "--out", str(out))
    assert r.exit_code == 0, r.output
    return json.loads(Path(r.stdout.strip()).read_text(encoding="utf-8"))


def test_a_planted_incident_is_flagged_alike_by_themes_the_alert_and_the_report(cli, isolated, smtp_server):
    seed(cli.db, clinic_rows(5, incident=True))
    configure(isolated, smtp_server)

    found = emerging(cli)
    assert [(r["location"], r["theme"]) for r in found] == [("Northside", "scheduling")]
    [issue] = found
    assert INCIDENT_FROM.isoformat() <= issue["first_flagged"] <= (INCIDENT_FROM + timedelta(days=4)).isoformat()
    assert issue["count"] >= 6 and issue["count"] > 3 * issue["expected"]
    sentence = issue["summary"]
    assert sentence.startswith("Scheduling and access at Northside: ")
    assert sentence.endswith(f"first flagged {issue['first_flagged']}")

    # the alert: the issue, once, to Northside's recipient only; a preview first
    preview = cli("alert", "--as-of", MIDNIGHT, "--since", "7d", "--dry-run", "--format", "json")
    assert preview.exit_code == 0, preview.output
    planned = [r for r in json.loads(preview.stdout) if r["kind"] == "emerging"]
    assert [(r["recipient"], r["result"], r["summary"]) for r in planned] == [(NORA, "would send", sentence)]
    assert smtp_server.messages == []  # --dry-run sends nothing
    as_csv = cli("alert", "--as-of", MIDNIGHT, "--since", "7d", "--dry-run", "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["kind"], r["theme"], r["summary"]) for r in table if r["kind"] == "emerging"] == [
        ("emerging", "scheduling", sentence)
    ]

    sent = cli("alert", "--as-of", MIDNIGHT, "--since", "7d", "--format", "json")
    assert sent.exit_code == 0, sent.output
    told = [r for r in json.loads(sent.stdout) if r["kind"] == "emerging"]
    assert [(r["recipient"], r["result"], r["location"], r["theme"]) for r in told] == [
        (NORA, "sent", "Northside", "scheduling")
    ]
    [(to, subject, body)] = issue_mails(smtp_server)
    assert to == [NORA]
    assert "Northside" in subject and "Ana" not in subject
    assert sentence in body
    assert "online booking cancelled" in body  # the comments that make the issue, masked
    for contact in ("Ana Pérez", "555-0142", "@example.org"):
        assert contact not in body

    smtp_server.messages.clear()
    again = cli("alert", "--as-of", "2026-11-16T08:00", "--since", "7d", "--format", "json")
    assert again.exit_code == 0, again.output
    assert [r for r in json.loads(again.stdout) if r["kind"] == "emerging"] == []
    assert issue_mails(smtp_server) == []  # told once

    report = weekly_report(cli, isolated / "reports")
    assert report["emerging"]["available"] is True
    assert [e["text"] for e in report["emerging"]["issues"]] == [sentence]


def test_a_rising_survey_volume_with_no_incident_flags_nothing(cli, isolated, smtp_server):
    # 20 responses a week per location at first, 120 at the end: every theme is mentioned six times as often
    seed(cli.db, clinic_rows(8, incident=False, weekly=lambda week: 20 + 5 * week))
    configure(isolated, smtp_server)
    assert emerging(cli, "--window", "56d") == []  # nothing flagged in the last 8 weeks
    sent = cli("alert", "--as-of", MIDNIGHT, "--since", "7d", "--format", "json")
    assert sent.exit_code == 0, sent.output
    assert [r for r in json.loads(sent.stdout) if r["kind"] == "emerging"] == []
    assert issue_mails(smtp_server) == []
    assert weekly_report(cli, isolated / "reports")["emerging"]["issues"] == []


@pytest.mark.parametrize("budget", ["0", "-1", '"often"'])
def test_a_bad_false_alarm_budget_names_the_setting(cli, isolated, budget):
    (isolated / "npscli.toml").write_text(f"[emerging]\nfalse_alarms_per_site_year = {budget}\n", encoding="utf-8")
    seed(cli.db, clinic_rows(1, incident=False)[:50])
    r = cli("themes", "--emerging", "--as-of", MIDNIGHT)
    assert r.exit_code == 8, r.output
    assert "[emerging] false_alarms_per_site_year" in r.stderr and "npscli.toml" in r.stderr
    assert "Traceback" not in r.output


def test_the_budget_is_a_setting_config_show_lists(cli, isolated):
    (isolated / "npscli.toml").write_text("[emerging]\nfalse_alarms_per_site_year = 4\n", encoding="utf-8")
    r = cli("config", "show", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = {row["setting"]: row for row in json.loads(r.stdout)}
    assert rows["emerging.false_alarms_per_site_year"]["value"] == 4.0
    assert "npscli.toml" in rows["emerging.false_alarms_per_site_year"]["from"]


def test_a_refused_issue_alert_stays_pending_and_the_next_run_sends_it(cli, isolated, smtp_server):
    seed(cli.db, clinic_rows(5, incident=True))
    configure(isolated, smtp_server)
    smtp_server.refuse = {NORA}
    failed = cli("alert", "--as-of", MIDNIGHT, "--since", "7d", "--format", "json")
    assert failed.exit_code == 7, failed.output
    [row] = [r for r in json.loads(failed.stdout) if r["kind"] == "emerging"]
    assert (row["recipient"], row["result"], row["attempts"]) == (NORA, "failed", 1) and row["error"]
    assert issue_mails(smtp_server) == []

    smtp_server.refuse = set()
    retried = cli("alert", "--as-of", "2026-11-16T00:15", "--since", "7d", "--format", "json")
    assert retried.exit_code == 0, retried.output
    [row] = [r for r in json.loads(retried.stdout) if r["kind"] == "emerging"]
    assert (row["recipient"], row["result"], row["attempts"]) == (NORA, "sent", 2)
    assert [to for to, _, _ in issue_mails(smtp_server)] == [[NORA]]
    # its Message-ID is the issue's and the recipient's, the same whenever it is (re)sent
    from sqlalchemy import select

    from npscli.services.alerts import message_id
    from npscli.store import schema

    store = open_store(cli.db)
    try:
        with store.read() as conn:
            table = schema.emerging_alerts
            rows = [dict(r) for r in conn.execute(select(table).where(table.c.recipient == NORA)).mappings()]
    finally:
        store.dispose()
    [mail] = [m for m in smtp_server.messages if m.message["X-Npscli-Alert"] == "emerging"]
    assert mail.message["Message-ID"].strip() == message_id(rows, mail.message["From"])


def test_an_issue_alert_written_to_the_outbox_counts_as_told(cli, isolated, smtp_server, tmp_path):
    seed(cli.db, clinic_rows(5, incident=True))
    configure(isolated, smtp_server)
    outbox = tmp_path / "outbox"
    written = cli("alert", "--as-of", MIDNIGHT, "--since", "7d", "--outbox", str(outbox), "--format", "json")
    assert written.exit_code == 0, written.output
    [row] = [r for r in json.loads(written.stdout) if r["kind"] == "emerging"]
    assert row["result"] == "outbox"
    files = [p for p in outbox.iterdir() if "-emerging-scheduling-Northside-" in p.name]
    assert len(files) == 1 and "Northside" in files[0].read_text(encoding="utf-8")
    again = cli("alert", "--as-of", "2026-11-16T01:00", "--since", "7d", "--format", "json")
    assert again.exit_code == 0, again.output
    assert [r for r in json.loads(again.stdout) if r["kind"] == "emerging"] == []
    assert issue_mails(smtp_server) == []


def test_an_issue_alert_a_killed_run_may_have_sent_is_resent_the_same_and_reported_uncertain(
    cli, isolated, smtp_server
):
    """kill -9 while the server has accepted the issue alert but not yet answered: the next run reports it as
    uncertain (JSON ``uncertain`` and a warning) and sends it again with the same Message-ID."""
    import os

    from sqlalchemy import select

    from npscli.store import schema

    seed(cli.db, clinic_rows(5, incident=True))
    configure(isolated, smtp_server)
    env = {**os.environ, "NPSCLI_DB": cli.db, "NPSCLI_TIMEZONE": "America/Chicago"}
    smtp_server.kill_while_held(
        ["alert", "--as-of", MIDNIGHT, "--since", "7d"],
        cwd=isolated,
        env=env,
        hold=lambda m: m.message["X-Npscli-Alert"] == "emerging",
        sent=lambda: bool(issue_mails(smtp_server)),
    )
    [first] = [m for m in smtp_server.messages if m.message["X-Npscli-Alert"] == "emerging"]
    store = open_store(cli.db)
    try:
        with store.read() as conn:
            table = schema.emerging_alerts
            [(status, attempted_at)] = conn.execute(select(table.c.status, table.c.attempted_at)).all()
    finally:
        store.dispose()
    assert status == "pending" and attempted_at is not None

    again = cli("alert", "--as-of", "2026-11-16T00:15", "--since", "7d", "--format", "json")
    assert again.exit_code == 0, again.output
    [row] = [r for r in json.loads(again.stdout) if r["kind"] == "emerging"]
    assert (row["recipient"], row["result"], row["uncertain"]) == (NORA, "sent", True)
    assert all(not r["uncertain"] for r in json.loads(again.stdout) if r["kind"] != "emerging")
    assert (
        f"1 alert(s) may have been delivered by an earlier run that stopped or lost the server's answer (to: {NORA})"
        in again.stderr
    )
    resent = [m for m in smtp_server.messages if m.message["X-Npscli-Alert"] == "emerging"][1:]
    assert [(m.rcpt_tos, m.message["Message-ID"]) for m in resent] == [(first.rcpt_tos, first.message["Message-ID"])]

    third = cli("alert", "--as-of", "2026-11-16T00:30", "--since", "7d", "--format", "json")
    assert third.exit_code == 0, third.output
    assert "may have been delivered" not in third.stderr
