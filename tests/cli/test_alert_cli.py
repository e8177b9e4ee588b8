"""`npscli alert` end to end: a real store (SQLite and PostgreSQL), a real SMTP server, a real HTTP server.

The clinic: Riverside Health (synthetic). "Now" is Monday 10 November 2025, 09:00 in Chicago.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.storefill import fill

from npscli.store import schema
from npscli.store.engine import open_store

NOW = "2025-11-10T09:00"
T = datetime(2025, 11, 10, 9, 0, tzinfo=ZoneInfo("America/Chicago"))
PX = "px@riverside.example.org"
MARIA = "maria.lopez@riverside.example.org"
QUALITY = "quality@riverside.example.org"
SECRET = "Zq7-unusual-Pa55word-91x"

ROWS = [
    # 10 days old: outside the 72-hour guard (and its ticket went overdue long ago)
    {"response_id": "old", "submitted_at": T - timedelta(days=10), "score": 1, "location": "Downtown"},
    # 60 hours old: alerted, and its ticket (due 48 h after) went overdue 12 hours ago
    {
        "response_id": "late",
        "submitted_at": T - timedelta(hours=60),
        "score": 4,
        "location": "Northside",
        "department": "Radiology",
        "comment": "Nobody called me back about my results.",
    },
    {"response_id": "east", "submitted_at": T - timedelta(hours=3), "score": 5, "location": "Eastgate"},
    {
        "response_id": "down",
        "submitted_at": T - timedelta(hours=2),
        "score": 2,
        "location": "Downtown",
        "department": "Primary Care",
        "provider": "Dr. Amara Okafor",
        "comment": "Waited 2 hours. Ana Pérez here, call me on 555-123-4567.",
        "patient_name": "Ana Pérez",
        "email": "ana.perez@example.org",
        "phone": "555-0142",
    },
    {"response_id": "happy", "submitted_at": T - timedelta(hours=1), "score": 9, "location": "Downtown"},
]

# What the first run owes: (recipient, template, response)
FIRST_RUN = sorted(
    [
        (PX, "detractor", "late"),
        (QUALITY, "overdue", "late"),
        (PX, "detractor", "east"),
        (QUALITY, "detractor", "down"),
        (MARIA, "detractor", "down"),
    ]
)


def seed(db: str, rows=ROWS) -> None:
    store = open_store(db)
    try:
        fill(store, rows)
    finally:
        store.dispose()


def tickets_by_response(db: str) -> dict[str, str]:
    store = open_store(db)
    try:
        with store.read() as conn:
            rows = conn.execute(
                select(schema.responses.c.response_id, schema.tickets.c.id).select_from(
                    schema.tickets.join(schema.responses, schema.tickets.c.response_pk == schema.responses.c.id)
                )
            ).all()
    finally:
        store.dispose()
    return {rid: f"T-{tid:06d}" for rid, tid in rows}


def deliveries(db: str) -> list[dict]:
    store = open_store(db)
    try:
        with store.read() as conn:
            d, r = schema.alert_deliveries, schema.responses
            q = select(r.c.response_id, d.c.recipient, d.c.channel, d.c.status, d.c.attempts, d.c.last_error)
            rows = conn.execute(q.select_from(d.join(r, d.c.response_pk == r.c.id))).mappings().all()
    finally:
        store.dispose()
    return sorted((dict(x) for x in rows), key=lambda x: (x["response_id"], x["recipient"], x["channel"]))


def store_text(db: str) -> str:
    """Everything npscli wrote about alerts: the deliveries and the ticket histories."""
    store = open_store(db)
    try:
        with store.read() as conn:
            rows = conn.execute(select(schema.alert_deliveries)).all()
            rows += conn.execute(select(schema.ticket_events)).all()
    finally:
        store.dispose()
    return "\n".join(repr(tuple(r)) for r in rows)


def received(smtp, db: str) -> list[tuple[str, str, str]]:
    """(recipient, template, response_id) of every message the server accepted."""
    by_ticket = {t: rid for rid, t in tickets_by_response(db).items()}
    out = []
    for m in smtp.messages:
        template = m.message["X-Npscli-Alert"]
        ticket = next(t for t in by_ticket if t in m.message["Subject"]) if template != "digest" else ""
        for rcpt in m.rcpt_tos:
            out.append((rcpt, template, by_ticket.get(ticket, "")))
    return sorted(out)


def config(
    path,
    smtp=None,
    *,
    alerts: str = "",
    smtp_extra: str = "",
    rules: str | None = None,
) -> None:
    smtp_table = ""
    if smtp is not None:
        smtp_table = f'[smtp]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "none"\ntimeout = 5\n{smtp_extra}\n'
    if rules is None:
        rules = f"""
[[routing.rules]]
max_score = 3
to = ["Quality Lead <{QUALITY}>"]
continue = true

[[routing.rules]]
location = "Downtown"
to = ["Maria Lopez <{MARIA}>"]
"""
    (path / "npscli.toml").write_text(
        f"""
clinic_name = "Riverside Health"

[alerts]
from = "Patient Experience <{PX}>"
default_recipients = ["{PX}"]
escalate_overdue_to = ["{QUALITY}"]
{alerts}

{rules}

{smtp_table}
""",
        encoding="utf-8",
    )


@pytest.fixture
def clinic(cli, isolated, smtp_server):
    """A store with the synthetic responses and a config pointing at the real SMTP server."""
    seed(cli.db)
    config(isolated, smtp_server)
    return cli


def alert(cli, *args, env=None):
    return cli("alert", "--as-of", NOW, *args, env=env)


def as_json(result) -> list[dict]:
    return json.loads(result.stdout)


# ---------------------------------------------------------------------------------------------- exactly once


def test_the_right_people_once_and_never_again(clinic, smtp_server):
    first = alert(clinic, "--format", "json")
    assert first.exit_code == 0, first.output
    assert received(smtp_server, clinic.db) == FIRST_RUN
    rows = as_json(first)
    assert {r["result"] for r in rows} == {"sent"} and len(rows) == 5
    assert {(r["kind"], r["channel"]) for r in rows} == {("detractor", "email"), ("overdue", "overdue-email")}
    assert all(d["status"] == "sent" and d["attempts"] == 1 for d in deliveries(clinic.db))

    again = alert(clinic, "--format", "json")
    assert again.exit_code == 0, again.output
    assert as_json(again) == []
    assert len(smtp_server.messages) == 5


def test_a_cron_run_is_silent_when_all_went_well(clinic, smtp_server):
    result = alert(clinic)
    assert result.exit_code == 0, result.output
    assert result.stdout == "" and result.stderr == ""
    assert len(smtp_server.messages) == 5


def test_new_responses_are_alerted_on_the_next_run(clinic, smtp_server):
    assert alert(clinic).exit_code == 0
    seed(
        clinic.db,
        [{"response_id": "new", "submitted_at": T + timedelta(minutes=5), "score": 0, "location": "Downtown"}],
    )
    later = clinic("alert", "--as-of", "2025-11-10T09:15", "--format", "json")
    assert later.exit_code == 0, later.output
    assert sorted(r["recipient"] for r in as_json(later)) == [MARIA, QUALITY]
    assert len(smtp_server.messages) == 7


def test_the_message_says_what_happened_and_how_to_open_the_ticket(clinic, smtp_server):
    assert alert(clinic).exit_code == 0
    ticket = tickets_by_response(clinic.db)["down"]
    to_maria = next(m for m in smtp_server.messages if m.rcpt_tos == [MARIA])
    msg = to_maria.message
    assert msg["From"] == f"Patient Experience <{PX}>"
    assert msg["To"] == f"Maria Lopez <{MARIA}>"
    assert msg["Subject"] == f"[Riverside Health] Detractor 2/10 at Downtown - {ticket}"
    body = msg.get_body(("plain",)).get_content()
    for text in (
        "Score:       2/10 (high priority)",
        "Location:    Downtown",
        "Department:  Primary Care",
        "Provider:    Dr. Amara Okafor",
        "Received:    2025-11-10 07:00 CST",  # local time of the clinic
        f"npscli tickets show {ticket}",
        "location Downtown",  # why Maria gets it
        "Waited 2 hours.",
    ):
        assert text in body, text
    # the comment is redacted and contact details are left out by default (minimum necessary)
    assert "555-123-4567" not in body and "Pérez" not in body and "[phone]" in body
    assert "ana.perez@example.org" not in body and "555-0142" not in body


@pytest.mark.parametrize("digest", [False, True])
def test_an_alert_for_a_patient_already_contacted_does_not_ask_to_follow_up(clinic, smtp_server, digest):
    ticket = tickets_by_response(clinic.db)["down"]
    r = clinic("tickets", "contacted", ticket, "--channel", "call", "--as-of", NOW)
    assert r.exit_code == 0, r.output
    assert alert(clinic, *(["--digest"] if digest else [])).exit_code == 0
    to_maria = next(m for m in smtp_server.messages if m.rcpt_tos == [MARIA])
    body = to_maria.message.get_body(("plain",)).get_content()
    assert "Waited 2 hours." in body  # still told: it is their location's detractor
    assert "already contacted" in body
    assert "follow up while" not in body.lower() and "follow up by" not in body and "Contact by" not in body


@pytest.mark.parametrize("digest", [False, True])
def test_a_detractor_alerted_after_its_deadline_says_it_is_overdue(clinic, smtp_server, digest):
    """A Monday import of Friday's exports alerts detractors whose 48-hour deadline passed on Sunday: "Contact by"
    (or "follow up by") Sunday read as time still left. The alert says the deadline passed, and how long ago;
    one still within it reads as before."""
    assert alert(clinic, *(["--digest"] if digest else [])).exit_code == 0
    tickets = tickets_by_response(clinic.db)
    to_px = [m.message for m in smtp_server.messages if m.rcpt_tos == [PX]]
    if digest:
        [body] = [m.get_body(("plain",)).get_content() for m in to_px]
        late, fresh = (body.split(f"show {tickets[rid]}")[0].rsplit("Received", 1)[1] for rid in ("late", "east"))
        assert "1 of them already past their follow-up deadline" in body
        assert late.startswith(" 2025-11-07 21:00 CST, overdue: the deadline was 2025-11-09 21:00 CST (12h ago)")
        assert "follow up by 2025-11-12 06:00 CST" in fresh and "overdue" not in fresh
        return
    by_ticket = {m["Subject"].rsplit(" ", 1)[-1]: m.get_body(("plain",)).get_content() for m in to_px}
    late, fresh = by_ticket[tickets["late"]], by_ticket[tickets["east"]]
    assert "  Contact by:  2025-11-09 21:00 CST (overdue: passed 12h ago)" in late.splitlines()
    assert "deadline has already passed" in late and "while the visit is fresh" not in late
    assert "  Contact by:  2025-11-12 06:00 CST" in fresh.splitlines() and "overdue" not in fresh
    assert "while the visit is fresh" in fresh


def test_contact_details_only_when_configured(cli, isolated, smtp_server):
    seed(cli.db)
    config(isolated, smtp_server, alerts="include_contact = true")
    assert alert(cli).exit_code == 0
    body = next(m for m in smtp_server.messages if m.rcpt_tos == [MARIA]).message.get_body(("plain",)).get_content()
    assert "Patient contact:" in body and "ana.perez@example.org" in body and "555-0142" in body


PLACEHOLDERS = ["n/a", "-", "No comment", "none"]


def placeholder_rows() -> list[dict]:
    """Four Westview detractors whose comment box holds only a placeholder, then one who wrote something."""
    rows = [
        {"response_id": f"ph-{i}", "submitted_at": T - timedelta(hours=5 - i), "score": 3, "location": "Westview",
         "comment": text, "patient_name": "Ana Pérez"}
        for i, text in enumerate(PLACEHOLDERS)
    ]  # fmt: skip
    rows.append(
        {"response_id": "ph-real", "submitted_at": T - timedelta(minutes=30), "score": 4, "location": "Westview",
         "comment": "Ana Pérez again: the wait was 90 minutes.", "patient_name": "Ana Pérez"}
    )  # fmt: skip
    return rows


@pytest.mark.parametrize("digest", [False, True])
def test_a_placeholder_comment_is_not_quoted_as_what_the_patient_wrote(cli, isolated, smtp_server, digest):
    """A required comment box answered "n/a", "-", "No comment" or "none": the alert says there was no comment,
    as a blank one does, instead of quoting the placeholder as the patient's feedback (single and digest)."""
    seed(cli.db, placeholder_rows())
    config(isolated, smtp_server, rules="")
    result = alert(cli, *(["--digest"] if digest else []))
    assert result.exit_code == 0, result.output
    texts = [m.message.get_body(("plain",)).get_content() for m in smtp_server.messages if m.rcpt_tos == [PX]]
    assert len(texts) == (1 if digest else 5)
    quoted = [line.strip() for text in texts for line in text.splitlines() if line.strip().startswith(">")]
    assert len(quoted) == 1 and quoted[0].endswith("again: the wait was 90 minutes."), quoted  # the real one only
    assert "Pérez" not in quoted[0]  # and masked, as ever
    said = sum(text.count("The patient left no comment.") for text in texts)
    assert said == len(PLACEHOLDERS)
    if digest:  # the note under the digest is there although its first detractors had no comment to mask
        assert "Identifiers in comments are masked." in texts[0]
    else:
        headed = [text for text in texts if "Comment (identifiers masked):" in text]
        assert len(headed) == 1 and "the wait was 90 minutes" in headed[0]


def test_each_alert_is_logged_on_its_ticket(clinic):
    assert alert(clinic).exit_code == 0
    ticket = tickets_by_response(clinic.db)["down"]
    shown = clinic("tickets", "show", ticket, "--format", "json")
    assert shown.exit_code == 0, shown.output
    alerted = sorted(h["text"] for h in json.loads(shown.stdout)["history"] if h["kind"] == "alerted")
    assert alerted == [f"alerted {MARIA} by email", f"alerted {QUALITY} by email"]
    late = json.loads(clinic("tickets", "show", tickets_by_response(clinic.db)["late"], "--format", "json").stdout)
    assert f"alerted {QUALITY} of the overdue ticket by email" in [h["text"] for h in late["history"]]


# ---------------------------------------------------------------------------------------------- failures


def test_server_down_sends_nothing_exits_7_and_the_next_run_delivers_all(clinic, smtp_server):
    smtp_server.stop()
    down = alert(clinic)
    assert down.exit_code == 7, down.output
    assert "5 of 5 alert(s) could not be delivered" in down.stderr
    assert f"cannot connect to 127.0.0.1:{smtp_server.port}" in down.stderr
    assert "Traceback" not in down.output
    assert all(d["status"] == "pending" and d["attempts"] == 1 for d in deliveries(clinic.db))

    pending = alert(clinic, "--dry-run", "--format", "json")
    assert pending.exit_code == 0, pending.output
    assert {r["result"] for r in as_json(pending)} == {"would retry"}

    smtp_server.start()
    back = alert(clinic)
    assert back.exit_code == 0, back.output
    assert received(smtp_server, clinic.db) == FIRST_RUN
    assert alert(clinic).exit_code == 0
    assert len(smtp_server.messages) == 5


def test_a_refused_recipient_stays_pending_while_the_others_are_sent(clinic, smtp_server):
    smtp_server.refuse = {MARIA}
    partial = alert(clinic, "--format", "json")
    assert partial.exit_code == 7, partial.output
    assert "1 of 5 alert(s) could not be delivered" in partial.stderr
    assert MARIA in partial.stderr and "550" in partial.stderr
    assert received(smtp_server, clinic.db) == [x for x in FIRST_RUN if x[0] != MARIA]
    status = {(d["recipient"], d["response_id"], d["channel"]): d["status"] for d in deliveries(clinic.db)}
    assert status.pop((MARIA, "down", "email")) == "pending"
    assert set(status.values()) == {"sent"}

    smtp_server.refuse = set()
    retry = alert(clinic, "--format", "json")
    assert retry.exit_code == 0, retry.output
    assert [(r["recipient"], r["attempts"]) for r in as_json(retry)] == [(MARIA, 2)]
    assert received(smtp_server, clinic.db) == FIRST_RUN


def test_an_escalation_that_became_moot_is_not_sent(clinic, smtp_server):
    smtp_server.stop()
    assert alert(clinic).exit_code == 7
    late = tickets_by_response(clinic.db)["late"]
    contacted = clinic("tickets", "contacted", late, "--channel", "call", "--as-of", NOW)
    assert contacted.exit_code == 0, contacted.output
    smtp_server.start()
    assert alert(clinic).exit_code == 0
    assert (QUALITY, "overdue", "late") not in received(smtp_server, clinic.db)
    assert len(smtp_server.messages) == 4


# ---------------------------------------------------------------------------------------------- window


def test_a_first_run_on_a_long_history_alerts_only_the_recent(clinic, smtp_server):
    assert alert(clinic).exit_code == 0
    assert "old" not in {rid for _, _, rid in received(smtp_server, clinic.db)}
    wider = alert(clinic, "--since", "30d", "--format", "json")
    assert wider.exit_code == 0, wider.output
    old = tickets_by_response(clinic.db)["old"]
    assert sorted((r["recipient"], r["kind"]) for r in as_json(wider)) == [
        (MARIA, "detractor"),
        (QUALITY, "detractor"),
        (QUALITY, "overdue"),
    ]
    assert {r["ticket_id"] for r in as_json(wider)} == {old}


def test_alerts_start_is_a_fixed_floor(cli, isolated, smtp_server):
    seed(cli.db)
    config(isolated, smtp_server, alerts="start = 2025-11-09\nmax_age_hours = 0")
    result = alert(cli, "--format", "json")
    assert result.exit_code == 0, result.output
    rows = as_json(result)
    assert {r["response_id"] for r in rows if r["kind"] == "detractor"} == {"east", "down"}  # "late": on the 7th
    # its ticket became overdue on the 9th, after the start: that escalation is due
    assert [(r["response_id"], r["recipient"]) for r in rows if r["kind"] == "overdue"] == [("late", QUALITY)]


def test_since_and_since_last_do_not_mix(clinic):
    result = alert(clinic, "--since", "7d", "--since-last")
    assert result.exit_code == 2
    assert "cannot be combined" in result.stderr


def test_dry_run_sends_and_records_nothing(clinic, smtp_server):
    dry = alert(clinic, "--dry-run", "--format", "json")
    assert dry.exit_code == 0, dry.output
    assert sorted((r["recipient"], r["response_id"]) for r in as_json(dry)) == sorted(
        (rcpt, rid) for rcpt, _, rid in FIRST_RUN
    )
    assert {r["result"] for r in as_json(dry)} == {"would send"}
    assert smtp_server.messages == [] and deliveries(clinic.db) == []
    table = alert(clinic, "--dry-run")
    assert "would send" in table.stdout and MARIA in table.stdout
    assert alert(clinic).exit_code == 0
    assert len(smtp_server.messages) == 5


# ---------------------------------------------------------------------------------------------- digest


def test_digest_one_message_per_recipient_listing_everything(clinic, smtp_server):
    result = alert(clinic, "--digest", "--format", "json")
    assert result.exit_code == 0, result.output
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == sorted([PX, QUALITY, MARIA])
    by = {m.rcpt_tos[0]: m.message for m in smtp_server.messages}
    assert by[PX]["Subject"] == "[Riverside Health] 2 new detractors"
    assert by[QUALITY]["Subject"] == "[Riverside Health] 1 new detractor, 1 overdue ticket"
    tickets = tickets_by_response(clinic.db)
    px_body = by[PX].get_body(("plain",)).get_content()
    assert f"npscli tickets show {tickets['late']}" in px_body and f"npscli tickets show {tickets['east']}" in px_body
    assert px_body.index("Northside") < px_body.index("Eastgate")  # oldest first
    assert "Nobody called me back" in px_body
    quality_body = by[QUALITY].get_body(("plain",)).get_content()
    assert "1 overdue ticket" in quality_body and tickets["late"] in quality_body
    assert len(as_json(result)) == 5 and all(r["digest"] for r in as_json(result))

    assert alert(clinic, "--digest").exit_code == 0
    assert alert(clinic).exit_code == 0  # switching mode never alerts twice
    assert len(smtp_server.messages) == 3


def test_digest_as_the_configured_default(cli, isolated, smtp_server):
    seed(cli.db)
    config(isolated, smtp_server, alerts="digest = true")
    assert alert(cli).exit_code == 0
    assert len(smtp_server.messages) == 3


# ---------------------------------------------------------------------------------------------- emerging issues

BILLING = [
    "Charged twice for my copay.",
    "Surprise bill after my visit.",
    "The bill was wrong again.",
    "Billing charged me twice.",
    "Insurance claim denied, the clinic never sent it.",
]


def eastgate_rows(billing_complaints: int) -> list[dict]:
    """Eight quiet weeks at Eastgate (35 responses a week: waits, never billing), then billing complaints in
    the last two days."""
    quiet = [
        {
            "response_id": f"quiet-{week}-{i}",
            "submitted_at": T - timedelta(days=8 + 7 * week + i / 5),
            "score": 7,
            "location": "Eastgate",
            "comment": "The wait was long.",
        }
        for week in range(8)
        for i in range(35)
    ]
    spike = [
        {
            "response_id": f"bill-{i}",
            "submitted_at": T - timedelta(hours=40 - 5 * i),
            "score": 5,
            "location": "Eastgate",
            "comment": BILLING[i],
        }
        for i in range(billing_complaints)
    ]
    return quiet + spike


def bodies(smtp, *, kind: str | None = None) -> dict[str, str]:
    """Subject -> plain body of the messages received (``kind``: only those of that template)."""
    return {
        m.message["Subject"]: m.message.get_body(("plain",)).get_content()
        for m in smtp.messages
        if kind is None or m.message["X-Npscli-Alert"] == kind
    }


def test_an_alert_says_when_the_complaint_is_part_of_an_emerging_issue(clinic, smtp_server):
    seed(clinic.db, eastgate_rows(5))
    assert alert(clinic).exit_code == 0
    tickets = tickets_by_response(clinic.db)
    issue = "Billing and insurance at Eastgate: 5 mentions in "
    for subject, body in bodies(smtp_server, kind="detractor").items():
        part_of_it = any(tickets[f"bill-{i}"] in subject for i in range(5))
        assert (issue in body) == part_of_it, subject
        assert ("Part of an emerging issue" in body) == part_of_it, subject
    assert sum(issue in b for b in bodies(smtp_server, kind="detractor").values()) == 5
    [told] = bodies(smtp_server, kind="emerging").values()  # and the issue itself, once
    assert issue in told

    smtp_server.messages.clear()
    seed(
        clinic.db,
        [
            {
                "response_id": "bill-late",
                "submitted_at": T + timedelta(minutes=5),
                "score": 5,
                "location": "Eastgate",
                "comment": "Billed twice.",
            }
        ],
    )
    assert clinic("alert", "--as-of", "2025-11-10T09:15", "--digest").exit_code == 0
    [digest] = [m.message.get_body(("plain",)).get_content() for m in smtp_server.messages]
    assert "Billing and insurance at Eastgate: 6 mentions in " in digest
    assert "Part of the emerging issue above." in digest


def test_no_emerging_issue_no_mention(clinic, smtp_server):
    seed(clinic.db, eastgate_rows(2))  # two complaints are an anecdote
    assert alert(clinic).exit_code == 0
    assert len(smtp_server.messages) == 7
    assert not any("emerging" in b for b in bodies(smtp_server).values())


def test_a_broken_taxonomy_does_not_hold_the_alerts_back(clinic, smtp_server, isolated):
    seed(clinic.db, eastgate_rows(5))
    with (isolated / "npscli.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[themes]\ntaxonomy = "missing-themes.toml"\n')
    result = alert(clinic)
    assert result.exit_code == 0, result.output
    assert "emerging issues are left out" in result.stderr and "missing-themes.toml" in result.stderr
    assert len(smtp_server.messages) == 10


# ---------------------------------------------------------------------------------------------- outbox


def test_outbox_writes_eml_files_that_count_as_delivered(clinic, smtp_server, isolated):
    box = isolated / "outbox"
    result = alert(clinic, "--outbox", str(box), "--format", "json")
    assert result.exit_code == 0, result.output
    files = sorted(box.glob("*.eml"))
    assert len(files) == 5 and smtp_server.messages == []
    # named by the run's --as-of (NOW, 2025-11-10T09:00), not by the wall clock
    assert all(f.name.startswith("20251110-090000-") for f in files), [f.name for f in files]
    assert {r["result"] for r in as_json(result)} == {"outbox"}
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert any(b"npscli tickets show T-" in f.read_bytes() for f in files)
    assert alert(clinic, "--outbox", str(box)).exit_code == 0
    assert alert(clinic).exit_code == 0
    assert len(list(box.glob("*.eml"))) == 5 and smtp_server.messages == []
    history = clinic("tickets", "show", tickets_by_response(clinic.db)["east"], "--format", "json")
    assert f"alerted {PX} to the outbox" in [h["text"] for h in json.loads(history.stdout)["history"]]


def test_outbox_needs_no_smtp_settings(cli, isolated):
    seed(cli.db)
    config(isolated, None)
    assert alert(cli).exit_code == 8  # no [smtp]: a clear configuration error...
    result = alert(cli, "--outbox", str(isolated / "box"))
    assert result.exit_code == 0, result.output  # ...unless the mail goes to the outbox
    assert len(list((isolated / "box").glob("*.eml"))) == 5


# ---------------------------------------------------------------------------------------------- the lock

LOCKER = """
import sys, time
from npscli.store.engine import open_store
from npscli.store.alerts import run_lock
store = open_store(sys.argv[1])
with run_lock(store):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_a_run_while_another_holds_the_lock_exits_6_and_sends_nothing(clinic, smtp_server):
    holder = subprocess.Popen([sys.executable, "-c", LOCKER, clinic.db], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        blocked = alert(clinic)
        assert blocked.exit_code == 6, blocked.output
        assert "another npscli alert run is in progress" in blocked.stderr
        assert smtp_server.messages == [] and deliveries(clinic.db) == []
    finally:
        holder.kill()
        holder.wait(timeout=30)
    free = alert(clinic)
    assert free.exit_code == 0, free.output
    assert len(smtp_server.messages) == 5


def test_the_lock_is_free_again_after_a_run(clinic):
    assert alert(clinic).exit_code == 0
    probe = subprocess.run(
        [sys.executable, "-c", LOCKER.replace("time.sleep(120)", "pass"), clinic.db],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "locked"


# ---------------------------------------------------------------------------------------------- webhook


def test_webhook_posts_each_detractor_and_a_500_keeps_it_pending(cli, isolated, smtp_server, http_server):
    seed(cli.db)
    hook = f"{http_server.url}/hooks/T000-secret-token"
    config(isolated, smtp_server, alerts=f'webhook_url = "{hook}"\nwebhook_timeout = 5')
    http_server.status = 500
    failed = alert(cli)
    assert failed.exit_code == 7, failed.output
    assert "answered HTTP 500" in failed.stderr and "secret-token" not in failed.output
    assert len(smtp_server.messages) == 5  # e-mail went out regardless
    assert len(http_server.requests) == 3
    hooks = [d for d in deliveries(cli.db) if d["channel"] == "webhook"]
    assert [d["status"] for d in hooks] == ["pending"] * 3
    assert {d["recipient"] for d in hooks} == {f"webhook:127.0.0.1:{http_server.port}"}

    http_server.status = 200
    ok = alert(cli, "--format", "json")
    assert ok.exit_code == 0, ok.output
    assert [r["channel"] for r in as_json(ok)] == ["webhook"] * 3
    texts = [r.json["text"] for r in http_server.requests[3:]]
    assert len(texts) == 3 and all(t.startswith("[Riverside Health] New detractor: score") for t in texts)
    joined = "\n".join(texts)
    assert "npscli tickets show T-" in joined
    # a chat channel gets no comment and no contact details
    assert "Waited" not in joined and "555" not in joined and "Pérez" not in joined
    assert alert(cli).exit_code == 0
    assert len(http_server.requests) == 6 and len(smtp_server.messages) == 5
    assert "secret-token" not in store_text(cli.db)


def test_webhook_only_needs_no_smtp(cli, isolated, http_server):
    seed(cli.db)
    (isolated / "npscli.toml").write_text(f'[alerts]\nwebhook_url = "{http_server.url}/hooks/x"\n')
    result = alert(cli, "--digest")
    assert result.exit_code == 0, result.output
    assert len(http_server.requests) == 1  # a digest is one post
    assert http_server.requests[0].json["text"].startswith("[our clinic] 3 new detractors:")


def test_webhook_server_down(cli, isolated, http_server):
    seed(cli.db)
    (isolated / "npscli.toml").write_text(f'[alerts]\nwebhook_url = "{http_server.url}/hooks/x"\n')
    http_server.stop()
    result = alert(cli)
    assert result.exit_code == 7, result.output
    assert "cannot connect to webhook" in result.stderr
    assert {d["status"] for d in deliveries(cli.db)} == {"pending"}


# ---------------------------------------------------------------------------------------------- the password


def test_the_password_never_appears(cli, isolated, smtp_server, monkeypatch):
    seed(cli.db)
    smtp_server.require_auth(PX, SECRET)
    config(isolated, smtp_server, smtp_extra=f'user = "{PX}"')
    outputs = []

    monkeypatch.setenv("NPSCLI_SMTP_PASSWORD", "wrong-" + SECRET[::-1])
    wrong = alert(cli, env={"NPSCLI_DEBUG": "1"})
    outputs.append(wrong.output)
    assert wrong.exit_code == 7, wrong.output
    assert f"SMTP login as {PX}" in wrong.stderr and "refused" in wrong.stderr
    assert smtp_server.messages == []

    monkeypatch.setenv("NPSCLI_SMTP_PASSWORD", SECRET)
    right = alert(cli, "--format", "json", env={"NPSCLI_DEBUG": "1"})
    outputs.append(right.output)
    assert right.exit_code == 0, right.output
    assert len(smtp_server.messages) == 5 and all(m.auth_login == PX for m in smtp_server.messages)

    outputs.append(alert(cli, "--outbox", str(isolated / "box"), "--since", "30d").output)
    outputs.append(cli("config", "show").output)
    outputs += [f.read_text(errors="replace") for f in (isolated / "box").glob("*.eml")]
    outputs += [m.data.decode(errors="replace") for m in smtp_server.messages]
    outputs.append(store_text(cli.db))
    everything = "\n".join(outputs)
    assert len(everything) > 1000
    for form in (SECRET, SECRET[::-1]):
        assert form not in everything


def test_a_password_in_the_file_is_refused(cli, isolated, smtp_server):
    seed(cli.db)
    config(isolated, smtp_server, smtp_extra=f'user = "{PX}"\npassword = "{SECRET}"')
    result = alert(cli)
    assert result.exit_code == 8, result.output
    assert "npscli.toml:" in result.stderr and "[smtp] password" in result.stderr
    assert "NPSCLI_SMTP_PASSWORD" in result.stderr
    assert SECRET not in result.output
    assert smtp_server.messages == []
    # refused when the file is loaded, not only at a real send: a dry run and `config show` refuse it too
    for refused in (alert(cli, "--dry-run"), cli("config", "show"), cli("config", "check")):
        assert refused.exit_code == 8, refused.output
        assert "[smtp] password" in refused.stderr + refused.stdout and SECRET not in refused.output


def test_a_user_without_the_password_variable_is_a_config_error(cli, isolated, smtp_server, monkeypatch):
    monkeypatch.delenv("NPSCLI_SMTP_PASSWORD", raising=False)
    config(isolated, smtp_server, smtp_extra=f'user = "{PX}"')
    result = alert(cli)
    assert result.exit_code == 8
    assert "NPSCLI_SMTP_PASSWORD" in result.stderr
    lines = (isolated / "npscli.toml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, start=1) if text.startswith("user = "))
    assert f"npscli.toml:{line}: [smtp] user: is set but" in result.stderr  # placed, though the environment tells


# ---------------------------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    ("rules", "alerts", "named"),
    [
        ('[[routing.rules]]\nlcation = "Downtown"\nto = ["a@example.org"]\n', "", "[[routing.rules]] (rule 1) lcation"),
        ('[[routing.rules]]\nlocation = "Downtown"\n', "", "[[routing.rules]] (rule 1) to: is missing"),
        ('[[routing.rules]]\nmax_score = 12\nto = ["a@example.org"]\n', "", "[[routing.rules]] (rule 1) max_score"),
        ("", "max_age_hours = -5", "[alerts] max_age_hours"),
    ],
)
def test_config_errors_exit_8_naming_the_key(cli, isolated, smtp_server, rules, alerts, named):
    config(isolated, smtp_server, rules=rules, alerts=alerts)
    result = alert(cli)
    assert result.exit_code == 8, result.output
    assert named in result.stderr and "npscli.toml" in result.stderr
    assert "Traceback" not in result.output


def test_nobody_to_alert_is_a_config_error(cli, isolated):
    (isolated / "npscli.toml").write_text("[alerts]\ninclude_contact = false\n")
    result = alert(cli)
    assert result.exit_code == 8
    assert "no alert recipients" in result.stderr


def test_a_sender_is_required(cli, isolated, smtp_server):
    (isolated / "npscli.toml").write_text(f'[alerts]\ndefault_recipients = ["{PX}"]\n')
    result = alert(cli)
    assert result.exit_code == 8
    assert "npscli.toml:1: [alerts] from: is not set" in result.stderr  # the table it belongs in


def test_a_broken_user_template_fails_before_anything_is_sent(cli, isolated, smtp_server):
    seed(cli.db)
    config(isolated, smtp_server)
    mine = isolated / "my-templates" / "alerts"
    mine.mkdir(parents=True)
    (mine / "detractor.txt.j2").write_text("Score {{ scroe }}\n")
    result = cli("alert", "--as-of", NOW, env={"NPSCLI_TEMPLATES": str(isolated / "my-templates")})
    assert result.exit_code == 8, result.output
    assert "alerts/detractor.txt.j2" in result.stderr and "scroe" in result.stderr
    assert smtp_server.messages == []
    assert {d["status"] for d in deliveries(cli.db)} == {"pending"}  # retried once the template is fixed


def test_the_facts_of_an_alert_line_up_in_one_column(clinic, smtp_server):
    assert alert(clinic).exit_code == 0
    body = smtp_server.messages[0].message.get_body(("plain",)).get_content()
    facts = [line for line in body.splitlines() if re.match(r"  [A-Z][a-z ]+: ", line)]
    labels = {line.split(":")[0].strip() for line in facts}
    assert {"Score", "Location", "Received", "Contact by"} <= labels, facts
    assert len({len(re.match(r"  [A-Za-z ]+:\s+", line).group(0)) for line in facts}) == 1, facts


# ---------------------------------------------------------------------------------------------- escalation


def test_the_person_a_ticket_is_escalated_to_is_told_once(clinic, smtp_server):
    assert alert(clinic).exit_code == 0  # the first run's detractor and overdue alerts
    sent_before = len(smtp_server.messages)
    tickets = tickets_by_response(clinic.db)
    escalated = clinic(
        "tickets", "escalate", tickets["east"], "--to", "maria  LOPEZ", "--reason", "at risk: mentions self-harm",
        "--as-of", NOW,
    )  # fmt: skip
    assert escalated.exit_code == 0, escalated.output
    assert f"maria  LOPEZ <{MARIA}> will be e-mailed by the next npscli alert run" in escalated.stderr
    unknown = clinic("tickets", "escalate", tickets["late"], "--to", "Dr. Nobody", "--reason", "complaint")
    assert unknown.exit_code == 0, unknown.output
    assert "npscli has no e-mail address for Dr. Nobody: tell them yourself" in unknown.stderr
    assert '[senders."Dr. Nobody"]' in unknown.stderr

    run = alert(clinic, "--format", "json")
    assert run.exit_code == 0, run.output
    assert [(r["kind"], r["recipient"], r["ticket_id"]) for r in as_json(run)] == [
        ("escalated", MARIA, tickets["east"])
    ]
    [mail] = smtp_server.messages[sent_before:]
    assert mail.rcpt_tos == [MARIA] and mail.message["X-Npscli-Alert"] == "escalated"
    assert mail.message["Subject"] == f"[Riverside Health] Escalated to you: {tickets['east']} (score 5, Eastgate)"
    body = mail.message.get_content()
    assert f"Ticket {tickets['east']} has been escalated to you (maria  LOPEZ): it is yours now." in body
    assert "Escalation:  to maria  LOPEZ; at risk: mentions self-harm" in body
    assert f"npscli tickets show {tickets['east']}" in body
    assert alert(clinic, "--format", "json").stdout.strip() == "[]"  # once
    history = json.loads(clinic("tickets", "show", tickets["east"], "--format", "json").stdout)["history"]
    assert any(h["kind"] == "alerted" and h["text"].startswith(f"alerted {MARIA} of the escalation") for h in history)


def test_an_escalated_ticket_escalated_onward_is_the_new_persons_and_they_are_told(clinic, smtp_server, isolated):
    (isolated / "npscli.toml").write_text(
        (isolated / "npscli.toml").read_text(encoding="utf-8")
        + '\n[senders."Dr. Sam Reyes"]\ntitle = "Medical Director"\nemail = "sam.reyes@riverside.example.org"\n',
        encoding="utf-8",
    )
    assert alert(clinic).exit_code == 0
    ticket = tickets_by_response(clinic.db)["east"]
    first = clinic("tickets", "escalate", ticket, "--to", "Maria Lopez", "--reason", "at risk", "--by", "px")
    assert first.exit_code == 0, first.output
    assert alert(clinic).exit_code == 0
    sent_before = len(smtp_server.messages)
    onward = clinic("tickets", "escalate", ticket, "--to", "Dr. Sam Reyes", "--reason", "needs the director",
                    "--by", "maria")  # fmt: skip
    assert onward.exit_code == 0, onward.output
    assert "will be e-mailed by the next npscli alert run" in onward.stderr
    shown = json.loads(clinic("tickets", "show", ticket, "--format", "json").stdout)
    assert (shown["status"], shown["assignee"]) == ("escalated", "Dr. Sam Reyes")
    assert shown["escalated_to"] == "Dr. Sam Reyes"
    assert shown["history"][-1]["text"] == "to Dr. Sam Reyes (from Maria Lopez); needs the director"
    run = alert(clinic, "--format", "json")
    assert [(r["kind"], r["recipient"]) for r in as_json(run)] == [("escalated", "sam.reyes@riverside.example.org")]
    assert [m.rcpt_tos for m in smtp_server.messages[sent_before:]] == [["sam.reyes@riverside.example.org"]]
    # addressed to him by name, as the routed alerts are ("Maria Lopez <...>"), not to a bare address
    assert smtp_server.messages[-1].message["To"] == '"Dr. Sam Reyes" <sam.reyes@riverside.example.org>'
    again = clinic("tickets", "escalate", ticket, "--to", "dr. sam reyes", "--reason", "still", "--by", "maria")
    assert again.exit_code == 0 and "is already escalated to Dr. Sam Reyes: nothing changed" in again.stderr
    history = json.loads(clinic("tickets", "show", ticket, "--format", "json").stdout)["history"]
    assert [h["kind"] for h in history].count("escalated") == 2


def test_an_escalation_contacted_before_the_run_is_not_mailed(clinic, smtp_server):
    assert alert(clinic).exit_code == 0
    sent_before = len(smtp_server.messages)
    ticket = tickets_by_response(clinic.db)["east"]
    assert clinic("tickets", "escalate", ticket, "--to", "Maria Lopez", "--reason", "complaint").exit_code == 0
    smtp_server.stop()
    assert alert(clinic).exit_code == 7  # recorded as pending, not delivered
    assert clinic("tickets", "contacted", ticket, "--channel", "call", "--as-of", NOW).exit_code == 0
    smtp_server.start()
    assert alert(clinic).exit_code == 0
    assert len(smtp_server.messages) == sent_before  # she already called: nothing to tell her


def test_escalating_with_broken_alert_settings_is_refused_before_anything_is_recorded(clinic, isolated):
    ticket = tickets_by_response(clinic.db)["east"]
    before = json.loads(clinic("tickets", "show", ticket, "--format", "json").stdout)
    config(isolated, alerts='digest = "sometimes"')  # not true or false
    r = clinic("tickets", "escalate", ticket, "--to", "Maria Lopez", "--reason", "complaint")
    # the file is checked when it is loaded: every command refuses it, before anything is recorded
    assert r.exit_code == 8, r.output
    assert "npscli.toml:" in r.stderr and "[alerts] digest: must be true or false" in r.stderr
    assert "Traceback" not in r.output
    config(isolated)
    after = json.loads(clinic("tickets", "show", ticket, "--format", "json").stdout)
    assert (after["status"], after["history"]) == (before["status"], before["history"])


def test_on_a_terminal_the_run_shows_the_deliveries_settled(sqlite_db, isolated, smtp_server):
    import os

    from tests.cli.test_meta import _on_a_terminal

    seed(sqlite_db)
    config(isolated, smtp_server)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR" and not k.startswith("NPSCLI_")}
    env.update(NPSCLI_DB=sqlite_db, NPSCLI_TIMEZONE="America/Chicago", COLUMNS="160", TERM="xterm-256color")
    shown = _on_a_terminal(["alert", "--as-of", NOW, "--outbox", str(isolated / "box")], env).decode()
    assert "sending alerts" in shown and "5 of 5 alerts" in shown
    assert len(list((isolated / "box").glob("*.eml"))) == 5


# ---------------------------------------------------------------------------------------------- kill -9


def test_a_run_killed_after_the_server_took_a_message_resends_the_same_message_and_says_so(
    clinic, smtp_server, isolated
):
    """kill -9 while the server has accepted a message but not yet answered: the delivery was attempted and
    is uncertain. The next run sends it again with the same Message-ID (mail systems drop the duplicate) and
    says which deliveries were uncertain; the ones never attempted are ordinary first sends."""
    import os

    env = {**os.environ, "NPSCLI_DB": clinic.db, "NPSCLI_TIMEZONE": "America/Chicago"}
    env["XDG_CONFIG_HOME"] = str(isolated / "xdg-config")
    smtp_server.kill_while_held(
        ["alert", "--as-of", NOW], cwd=isolated, env=env, hold=True, sent=lambda: bool(smtp_server.messages)
    )
    first = smtp_server.messages[0]
    assert all(d["status"] == "pending" for d in deliveries(clinic.db))

    again = alert(clinic, "--format", "json")
    assert again.exit_code == 0, again.output
    resent = [m for m in smtp_server.messages[1:] if m.message["Message-ID"] == first.message["Message-ID"]]
    assert len(resent) == 1 and resent[0].rcpt_tos == first.rcpt_tos
    rows = as_json(again)
    uncertain = [r for r in rows if r["uncertain"]]
    assert [(r["recipient"], r["result"]) for r in uncertain] == [(first.rcpt_tos[0], "sent")]
    assert (
        "1 alert(s) may have been delivered by an earlier run that stopped or lost the server's answer" in again.stderr
    )
    assert len({m.message["Message-ID"] for m in smtp_server.messages}) == 5  # 5 alerts, 6 messages


def test_message_ids_are_one_per_response_recipient_and_kind_and_survive_a_retry(clinic, smtp_server):
    smtp_server.refuse = {MARIA}
    first = alert(clinic)
    assert first.exit_code == 7, first.output
    smtp_server.refuse = set()
    retry = alert(clinic)
    assert retry.exit_code == 0, retry.output
    ids = [m.message["Message-ID"].strip() for m in smtp_server.messages]
    assert len(ids) == 5 and len(set(ids)) == 5
    assert all(re.fullmatch(r"<npscli\.[0-9a-f]{24}@riverside\.example\.org>", v) for v in ids), ids
    store = open_store(clinic.db)
    try:
        from npscli.services.alerts import message_id

        with store.read() as conn:
            d, r = schema.alert_deliveries, schema.responses
            q = select(r.c.response_id, r.c.submitted_at, d.c.response_pk, d.c.recipient, d.c.channel)
            rows = conn.execute(q.select_from(d.join(r, d.c.response_pk == r.c.id))).mappings().all()
    finally:
        store.dispose()
    maria = next(dict(x) for x in rows if x["recipient"] == MARIA)
    to_maria = next(m for m in smtp_server.messages if m.rcpt_tos == [MARIA])
    assert to_maria.message["Message-ID"].strip() == message_id([maria], f"PX <{PX}>")


def test_a_message_whose_answer_never_came_is_not_resent_in_the_run_and_the_next_run_says_it_may_be_a_repeat(
    clinic, smtp_server, isolated
):
    """A server slower to answer the end of a message than smtp.timeout (a virus scan of the message): the
    message may well be delivered. It is not counted as surely undelivered: not resent in the same run, and the
    next run resends it with the same Message-ID saying it may be a repeat (it used to be a plain retry)."""
    import time

    (isolated / "npscli.toml").write_text(
        (isolated / "npscli.toml").read_text(encoding="utf-8").replace("timeout = 5", "timeout = 1"), encoding="utf-8"
    )
    held: dict[str, float] = {}

    def slow_first(received) -> bool:
        if received is not smtp_server.messages[0]:
            return False
        return time.monotonic() - held.setdefault("since", time.monotonic()) < 2.5

    smtp_server.hold_replies = slow_first
    first = alert(clinic, "--format", "json")
    assert first.exit_code == 7, first.output
    slow = smtp_server.messages[0]
    assert len(smtp_server.messages) == 5  # each alert sent once; the slow one not again in this run
    [failed] = [r for r in as_json(first) if r["result"] == "failed"]
    assert failed["recipient"] == slow.rcpt_tos[0]
    assert "after the message was sent (it may have been delivered)" in failed["error"]
    smtp_server.hold_replies = False
    while time.monotonic() - held["since"] < 2.6:  # (the server has answered the slow one, to nobody)
        time.sleep(0.05)

    again = alert(clinic, "--format", "json")
    assert again.exit_code == 0, again.output
    rows = as_json(again)
    assert [(r["recipient"], r["result"], r["uncertain"]) for r in rows] == [(slow.rcpt_tos[0], "sent", True)]
    assert "1 alert(s) may have been delivered by an earlier run" in again.stderr
    assert [m.message["Message-ID"] for m in smtp_server.messages[5:]] == [slow.message["Message-ID"]]
    assert all(d["status"] == "sent" for d in deliveries(clinic.db))
