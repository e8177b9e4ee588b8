"""`npscli detractors` and `npscli tickets ...` through the CLI on a real store."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from tests.factories import response, write_plain

DETRACTOR_CONTRACT = [
    "response_id", "submitted_at", "score", "location", "department", "provider", "comment", "themes",
    "ticket_id", "status", "assignee", "due_at", "overdue",
]  # fmt: skip


@pytest.fixture
def loaded(cli, tmp_path):
    rows = [
        response("1", "2025-11-03T09:00:00-06:00", 2, "Billing charged me twice.\nCall me please", location="Downtown"),
        response("2", "2025-11-04T09:00:00-06:00", 5, "Long wait", location="Eastgate"),
        response("3", "2025-11-05T09:00:00-06:00", 6, "", location="Downtown", name="Zed Smith"),
        response("4", "2025-11-05T10:00:00-06:00", 10, "Lovely", location="Downtown"),
    ]
    result = cli("import", write_plain(tmp_path / "e.csv", rows))
    assert result.exit_code == 0, result.output
    return cli


def js(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_detractors_contract_newest_first_and_overdue(loaded):
    rows = js(loaded("detractors", "--as-of", "2025-11-06T08:00", "--format", "json"))
    assert [r["response_id"] for r in rows] == ["3", "2", "1"]
    assert list(rows[0]) == DETRACTOR_CONTRACT
    assert rows[2]["submitted_at"] == "2025-11-03T09:00:00-06:00"
    assert rows[2]["ticket_id"] == "T-000001" and rows[2]["status"] == "new"
    assert [r["overdue"] for r in rows] == [False, False, True]  # 48 h SLA
    assert "Zed" not in json.dumps(rows) and "example.org" not in json.dumps(rows)


def test_detractors_show_contact_and_filters(loaded):
    rows = js(loaded("detractors", "--show-contact", "--location", "Downtown", "--comments-only", "--format", "json"))
    assert [r["response_id"] for r in rows] == ["1"]
    assert rows[0]["email"] == "patient1@example.org" and rows[0]["phone"] == "555-0142"
    table = loaded("detractors", "--as-of", "2025-11-06T12:00")
    assert table.exit_code == 0 and "OVERDUE" in table.stdout and "Call me please" in table.stdout
    for args in (("detractors",), ("tickets", "list"), ("detractors", "--format", "markdown")):
        shown = loaded(*args, "--as-of", "2025-11-06T12:00", env={"COLUMNS": "300"})
        lines = shown.stdout.splitlines()
        heading = next(line for line in lines if "status" in line).split("|")
        overdue = next(line for line in lines if "OVERDUE" in line).split("|")
        column = next(i for i, cell in enumerate(overdue) if cell.strip() == "OVERDUE")
        assert heading[column].strip() == "flag", (args, heading)  # the OVERDUE column has a heading


def test_comments_only_leaves_out_placeholder_comments(cli, tmp_path):
    """--comments-only is "only detractors who left a comment": a required box answered "na", "N/A", "-" or
    "No comment" left none (the rule the drafts and the report use); without the flag they are listed as typed."""
    placeholders = ["na", "N/A", "-", "No comment"]
    rows = [
        response(str(i), f"2025-11-0{i + 1}T09:00:00-06:00", 3, text, location="Downtown")
        for i, text in enumerate(placeholders)
    ]
    rows.append(response("9", "2025-11-06T09:00:00-06:00", 4, "No one called me back.", location="Downtown"))
    assert cli("import", write_plain(tmp_path / "e.csv", rows)).exit_code == 0
    everyone = js(cli("detractors", "--as-of", "2025-11-07", "--format", "json"))
    assert sorted(r["comment"] or "" for r in everyone) == sorted(["No one called me back.", *placeholders])
    commented = js(cli("detractors", "--comments-only", "--as-of", "2025-11-07", "--format", "json"))
    assert [r["response_id"] for r in commented] == ["9"]  # "No one ..." is a comment, "No comment" is not


def test_detractors_since_forms(loaded):
    assert len(js(loaded("detractors", "--since", "24h", "--as-of", "2025-11-05T12:00", "--format", "json"))) == 1
    assert len(js(loaded("detractors", "--since", "2025-11-04", "--as-of", "2025-11-06", "--format", "json"))) == 2
    result = loaded("detractors", "--status", "bogus")
    assert result.exit_code == 2 and "unknown status" in result.stderr


def test_workflow_and_history(loaded):
    assert loaded("tickets", "assign", "T-000001", "--to", "Maria", "--by", "lead").exit_code == 0
    assert (
        loaded("tickets", "contacted", "1", "--channel", "call", "--note", "left a message", "--by", "maria").exit_code
        == 0
    )
    assert loaded("tickets", "note", "T-1", "patient called back", "--reply", "--by", "maria").exit_code == 0
    result = loaded("tickets", "resolve", "T-000001", "--code", "billing", "--note", "refunded", "--by", "maria")
    assert result.exit_code == 0, result.output
    shown = js(loaded("tickets", "show", "T-000001", "--format", "json"))
    assert shown["status"] == "resolved" and shown["root_causes"] == "billing"
    assert [h["kind"] for h in shown["history"]] == ["opened", "assigned", "call", "reply", "resolved"]
    assert [h["actor"] for h in shown["history"]][1:] == ["lead", "maria", "maria", "maria"]
    text = loaded("tickets", "show", "T-000001")
    assert text.exit_code == 0 and "Call me please" in text.stdout and "refunded" in text.stdout


def test_tickets_list_by_provider_as_detractors_lists_them(loaded):
    listed = js(loaded("tickets", "list", "--provider", "dr. amara okafor", "--format", "json"))
    assert [r["ticket_id"] for r in listed] == ["T-000003", "T-000002", "T-000001"]
    assert js(loaded("tickets", "list", "--provider", "Dr. Nobody", "--format", "json")) == []


def test_a_note_of_a_call_on_a_ticket_nobody_reached_is_the_contact_so_the_sweep_can_close_it(loaded):
    """Before, it stopped the SLA clock but left the ticket "assigned": never overdue, never swept, and
    `no-response` refused it ("log the contact attempt first") though the call was logged."""
    assert loaded("tickets", "assign", "1", "--to", "Maria").exit_code == 0
    noted = loaded("tickets", "note", "1", "called, left a message", "--channel", "call", "--as-of", "2025-11-03T15:00")
    assert noted.exit_code == 0, noted.output
    assert "T-000001 contacted by call (status contacted, assignee Maria)" in noted.stderr
    shown = js(loaded("tickets", "show", "1", "--format", "json"))
    assert shown["status"] == "contacted" and shown["first_contact_at"] == "2025-11-03T15:00:00-06:00"
    assert [(h["kind"], h["to_status"], h["text"]) for h in shown["history"]][-1] == (
        "call",
        "contacted",
        "called, left a message",
    )
    swept = js(loaded("tickets", "sweep", "--as-of", "2025-11-11", "--format", "json"))
    assert swept == [{"ticket_id": "T-000001", "status": "no_response"}]
    # on a contacted ticket a further call stays a note; an empty one is still refused
    assert loaded("tickets", "note", "2", "x", "--channel", "email").stderr.startswith("T-000002 contacted")
    assert loaded("tickets", "note", "2", "again", "--channel", "call").stderr.startswith("T-000002 note added")
    assert loaded("tickets", "note", "3", " ", "--channel", "call").exit_code == 2


def test_a_plain_note_on_a_ticket_nobody_reached_says_it_is_not_a_contact(loaded):
    """"Called, left a message" written without --channel is a note: the ticket stays unreached and overdue,
    which the person typing it did not mean; the command says how to record the contact. Once the ticket is
    contacted, a note is only a note."""
    noted = loaded("tickets", "note", "1", "Called, left a message", "--as-of", "2025-11-03T15:00")
    assert noted.exit_code == 0, noted.output
    first, hint = noted.stderr.splitlines()
    assert first == "T-000001 note added (status new, assignee -)"
    assert "not recorded as a contact" in hint and "--channel call" in hint
    assert js(loaded("tickets", "show", "1", "--format", "json"))["first_contact_at"] is None  # as said
    assert "not recorded" not in loaded("tickets", "note", "1", "x", "-q").stderr  # cron: nothing
    assert loaded("tickets", "contacted", "1", "--channel", "call").exit_code == 0
    later = loaded("tickets", "note", "1", "Patient asked for a refund")
    assert later.exit_code == 0 and later.stderr.splitlines() == ["T-000001 note added (status contacted, assignee -)"]


def test_bulk_assign_unassigned_takes_the_tickets_nobody_owns_and_only_those(loaded):
    """As its help says: a reopened ticket keeps its owner; a ticket contacted by someone who did not take it
    over has none."""
    assert loaded("tickets", "assign", "1", "--to", "Maria").exit_code == 0
    assert loaded("tickets", "resolve", "1", "--code", "billing").exit_code == 0
    assert loaded("tickets", "reopen", "1").exit_code == 0  # reopened, still Maria's
    assert loaded("tickets", "contacted", "3", "--channel", "call").exit_code == 0  # contacted, nobody's
    result = loaded("tickets", "assign", "--location", "Downtown", "--unassigned", "--to", "Priya", "--format", "json")
    assert [r["ticket_id"] for r in js(result)] == ["T-000003"]
    owners = {r["ticket_id"]: r["assignee"] for r in js(loaded("tickets", "list", "--format", "json"))}
    assert owners == {"T-000001": "Maria", "T-000002": None, "T-000003": "Priya"}


def test_bulk_assign_by_location(loaded):
    result = loaded("tickets", "assign", "--location", "Downtown", "--to", "Maria", "--format", "json")
    assert [r["ticket_id"] for r in js(result)] == ["T-000001", "T-000003"]
    mine = js(loaded("tickets", "list", "--assignee", "maria", "--format", "json"))
    assert {r["ticket_id"] for r in mine} == {"T-000001", "T-000003"}
    # next Monday's same hand-over, the name typed in another case: nothing changes, nothing is logged, and the
    # "0 assigned" says why instead of reading as a failure
    again = loaded("tickets", "assign", "--location", "Downtown", "--to", "MARIA")
    assert again.exit_code == 0, again.output
    assert again.stderr.splitlines() == ["0 open ticket(s) assigned to MARIA (2 already were)"]
    history = js(loaded("tickets", "show", "T-000001", "--format", "json"))["history"]
    assert [(h["kind"], h["text"]) for h in history if h["kind"] == "assigned"] == [("assigned", "Maria")]


def test_bulk_assign_leaves_an_escalated_ticket_with_the_person_it_was_escalated_to(loaded):
    """Monday's `tickets assign --location Downtown --to Maria` again, after Wednesday's escalation of T-000001 to
    the medical director: it took the at-risk patient's ticket back from him (status still "escalated", assignee
    Maria). Bulk assignment leaves it with him and says so; by its id it is handed over as asked."""
    escalated = loaded("tickets", "escalate", "1", "--to", "Dr. Sam Reyes", "--reason", "at risk", "--by", "maria")
    assert escalated.exit_code == 0, escalated.output
    result = loaded("tickets", "assign", "--location", "Downtown", "--to", "Maria", "--format", "json")
    assert [r["ticket_id"] for r in js(result)] == ["T-000003"]
    assert "1 escalated ticket(s) left with the person each was escalated to: T-000001 (Dr. Sam Reyes)" in (
        result.stderr
    )
    shown = js(loaded("tickets", "show", "1", "--format", "json"))
    assert (shown["status"], shown["assignee"]) == ("escalated", "Dr. Sam Reyes")
    assert [h["kind"] for h in shown["history"]].count("assigned") == 0
    unassigned = loaded("tickets", "assign", "--location", "Downtown", "--unassigned", "--to", "Priya")
    assert unassigned.exit_code == 0 and "escalated" not in unassigned.stderr  # he owns it: not "unassigned"
    by_id = loaded("tickets", "assign", "1", "--to", "Maria")
    assert by_id.exit_code == 0, by_id.output
    assert js(loaded("tickets", "show", "1", "--format", "json"))["assignee"] == "Maria"


def test_assigning_a_ticket_to_its_assignee_again_changes_and_logs_nothing(loaded):
    assert loaded("tickets", "assign", "T-000001", "--to", "Maria Lopez", "--by", "lead").exit_code == 0
    again = loaded("tickets", "assign", "1", "--to", "maria lopez", "--by", "lead")
    assert again.exit_code == 0, again.output
    assert "T-000001 is already assigned to Maria Lopez: nothing changed" in again.stderr
    history = js(loaded("tickets", "show", "1", "--format", "json"))["history"]
    assert [h["kind"] for h in history] == ["opened", "assigned"]
    other = loaded("tickets", "assign", "1", "--to", "Priya Shah", "--by", "lead")
    assert other.exit_code == 0 and "assigned to Priya Shah" in other.stderr
    assert [h["text"] for h in js(loaded("tickets", "show", "1", "--format", "json"))["history"]][1:] == [
        "Maria Lopez",
        "Priya Shah",
    ]


def test_a_ticket_id_with_bulk_filters_is_refused_not_assigned_regardless_of_them(loaded):
    # T-000002 is at Eastgate: "--location Downtown" must not be silently ignored
    result = loaded("tickets", "assign", "T-000002", "--location", "Downtown", "--to", "Maria")
    assert result.exit_code == 2, result.output
    assert "give a ticket id or --location, not both" in result.stderr
    assert js(loaded("tickets", "show", "2", "--format", "json"))["assignee"] is None
    result = loaded("tickets", "assign", "T-000002", "--unassigned", "--since", "7d", "--to", "Maria")
    assert result.exit_code == 2 and "--since, --unassigned, not both" in result.stderr


def test_escalate_reopen_no_response_and_sweep(loaded):
    result = loaded("tickets", "escalate", "T-000002", "--to", "Dr. Reyes", "--reason", "at-risk patient")
    assert result.exit_code == 0, result.output
    shown = js(loaded("tickets", "show", "2", "--format", "json"))
    assert shown["escalated_to"] == "Dr. Reyes" and shown["status"] == "escalated"


def test_the_person_a_ticket_is_escalated_to_takes_it_over(loaded):
    assert loaded("tickets", "assign", "T-000002", "--to", "Priya Shah", "--by", "lead").exit_code == 0
    result = loaded("tickets", "escalate", "2", "--to", "Dr. Reyes", "--reason", "at-risk patient", "--by", "priya")
    assert result.exit_code == 0, result.output
    assert "assignee Dr. Reyes" in result.stderr
    theirs = js(loaded("tickets", "list", "--assignee", "Dr. Reyes", "--format", "json"))
    assert [r["ticket_id"] for r in theirs] == ["T-000002"]
    assert js(loaded("tickets", "list", "--assignee", "Priya Shah", "--format", "json")) == []
    history = js(loaded("tickets", "show", "2", "--format", "json"))["history"]
    assert history[-1]["kind"] == "escalated" and history[-1]["actor"] == "priya"
    assert history[-1]["text"] == "to Dr. Reyes (from Priya Shah); at-risk patient"
    text = loaded("tickets", "show", "2", "--hide-contact")
    assert text.exit_code == 0 and "escalated to: Dr. Reyes" in text.stdout
    assert loaded("tickets", "contacted", "3", "--channel", "email", "--as-of", "2025-11-06").exit_code == 0
    nothing_yet = loaded("tickets", "sweep", "--as-of", "2025-11-07")
    assert nothing_yet.exit_code == 0, nothing_yet.output
    assert nothing_yet.stdout == nothing_yet.stderr == ""  # the nightly cron run: nothing to mail
    dry = loaded("tickets", "sweep", "--as-of", "2025-11-07", "--days", "0", "--dry-run")
    assert dry.exit_code == 0 and dry.stderr == "would close 1 ticket(s) as no response: T-000003\n"
    swept = js(loaded("tickets", "sweep", "--as-of", "2025-11-14", "--format", "json"))
    assert swept == [{"ticket_id": "T-000003", "status": "no_response"}]
    assert loaded("tickets", "reopen", "T-000003").exit_code == 0
    assert loaded("tickets", "contacted", "3", "--channel", "sms").exit_code == 0
    assert loaded("tickets", "no-response", "3").exit_code == 0


def test_a_sweep_that_closes_nothing_says_so_on_a_terminal_only(cli, tmp_path):
    import os

    from tests.cli.test_meta import _on_a_terminal

    rows = [response("1", "2025-11-03T09:00:00-06:00", 2, "Billing charged me twice.")]
    assert cli("import", write_plain(tmp_path / "e.csv", rows)).exit_code == 0
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR" and not k.startswith("NPSCLI_")}
    env.update(NPSCLI_DB=cli.db, NPSCLI_TIMEZONE="America/Chicago", COLUMNS="160", TERM="xterm-256color")
    shown = _on_a_terminal(["tickets", "sweep", "--as-of", "2025-11-07"], env).decode()
    assert "nothing to close: no ticket was contacted 7 or more days ago without a reply logged" in shown
    assert "closed 0" not in shown


@pytest.mark.parametrize(
    "args,code,needle",
    [
        (["tickets", "show", "T-000999"], 5, "no ticket T-000999"),
        (["tickets", "sweep", "--days", "99999999"], 2, "give a number of days from 0 to 36500"),  # was a crash
        (["tickets", "note", "T-000001", "x", "--as-of", "9999-12-31T23:59"], 2, "out of range"),
        (["tickets", "assign", "T-000999", "--to", "x"], 5, "no ticket"),
        (["tickets", "show", "banana"], 2, "not a ticket id"),
        (["tickets", "no-response", "T-000001"], 6, "cannot be closed as no-response"),
        (["tickets", "resolve", "T-000001", "--code", "parking"], 2, "unknown root-cause code"),
        (["tickets", "contacted", "T-000001", "--channel", "pigeon"], 2, "unknown channel"),
        (["tickets", "list", "--status", "lost"], 2, "unknown status"),
    ],
)
def test_errors_are_clear_and_change_nothing(loaded, args, code, needle):
    before = js(loaded("tickets", "list", "--status", "all", "--format", "json"))
    result = loaded(*args)
    assert result.exit_code == code, result.output
    assert needle in result.stderr and "Traceback" not in result.output
    assert js(loaded("tickets", "list", "--status", "all", "--format", "json")) == before


def test_resolving_a_closed_ticket_is_refused(loaded):
    assert loaded("tickets", "resolve", "1", "--code", "staff").exit_code == 0
    result = loaded("tickets", "resolve", "1", "--code", "staff")
    assert result.exit_code == 6 and "reopen" in result.stderr


def test_list_csv_is_crm_ready(loaded):
    result = loaded("tickets", "list", "--format", "csv", "--as-of", "2025-11-06")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["ticket_id"] for r in rows] == ["T-000003", "T-000002", "T-000001"]
    assert rows[2]["submitted_at"] == "2025-11-03T09:00:00-06:00" and rows[2]["due_at"] == "2025-11-05T09:00:00-06:00"
    assert rows[2]["overdue"] == "true"
    assert "email" not in rows[0]
    overdue = js(loaded("tickets", "list", "--overdue", "--as-of", "2025-11-06", "--format", "json"))
    assert [r["ticket_id"] for r in overdue] == ["T-000001"]


def test_stats(loaded):
    loaded("tickets", "contacted", "1", "--channel", "call", "--as-of", "2025-11-03T15:00")
    rows = js(loaded("tickets", "stats", "--by", "location", "--as-of", "2025-11-10", "--format", "json"))
    by = {r["location"]: r for r in rows}
    assert by["Downtown"]["opened"] == 2 and by["Downtown"]["median_hours_to_contact"] == 6.0
    assert by["Downtown"]["contacted_within_sla"] == 50.0
    assert by["Eastgate"]["overdue_open"] == 1
    typed = js(loaded("tickets", "stats", "--by", "Location", "--as-of", "2025-11-10", "--format", "json"))
    assert typed == rows  # as `score --by Location` takes it
    # one site's tickets only, as the other ticket commands filter (a name typed in another case is found)
    [downtown] = js(loaded("tickets", "stats", "--location", "downtown", "--as-of", "2025-11-10", "-f", "json"))
    assert {k: v for k, v in downtown.items()} == {k: v for k, v in by["Downtown"].items() if k != "location"}
    [provider] = js(loaded("tickets", "stats", "--by", "provider", "--as-of", "2025-11-10", "-f", "json"))
    assert provider["provider"] == "Dr. Amara Okafor" and provider["opened"] == 3  # the factory's provider
    assert js(loaded("tickets", "stats", "--department", "Radiology", "--as-of", "2025-11-10", "-f", "json")) == []


def test_stats_says_which_tickets_its_figures_are_of(loaded):
    """The title names the window the tickets' responses were received in (as score's title does), so a table
    pasted into a weekly e-mail is not read as this week's when it is everything since the first import."""

    def title(*args: str) -> str:
        shown = loaded("tickets", "stats", *args, "--as-of", "2025-11-10T08:00", "--format", "markdown")
        assert shown.exit_code == 0, shown.output
        return shown.stdout.splitlines()[0]

    assert title("--since", "2025-11-03", "--until", "2025-11-09") == (
        "**ticket stats: responses received 3-9 Nov 2025**"
    )
    assert title("--until", "2025-11-04") == "**ticket stats: responses received up to 4 Nov 2025**"
    assert title("--since", "7d") == "**ticket stats: responses received 3 Nov 2025 08:00 to 10 Nov 2025 08:00**"
    assert title() == "**ticket stats: every ticket**"


def test_a_first_import_of_old_exports_opens_tickets_only_for_recent_detractors(cli, tmp_path):
    rows = [
        response("old", "2025-06-03T09:00:00-05:00", 2, "Rude front desk", location="Downtown"),
        response("recent", "2025-11-10T09:00:00-06:00", 4, "Long wait", location="Downtown"),
        response("happy", "2025-11-11T09:00:00-06:00", 10, "", location="Downtown"),
    ]
    path = write_plain(tmp_path / "history.csv", rows)
    bad = cli("import", path, "--tickets-since", "fortnight")
    assert bad.exit_code == 2 and "--tickets-since" in bad.stderr
    imported = cli("import", path, "--tickets-since", "14d", "--as-of", "2025-11-17T08:00", "--format", "json")
    (result,) = js(imported)
    assert (result["imported"], result["tickets_opened"]) == (3, 1)
    detractors = {r["response_id"]: r for r in js(cli("detractors", "--as-of", "2025-11-17T08:00", "--format", "json"))}
    assert detractors["recent"]["ticket_id"] and detractors["old"]["ticket_id"] is None  # listed, not chased
    tickets = js(cli("tickets", "list", "--format", "json"))
    assert [t["ticket_id"] for t in tickets] == [detractors["recent"]["ticket_id"]]


def test_escape_sequences_in_a_comment_or_note_never_reach_the_terminal(cli, tmp_path):
    """A patient comment is untrusted text: ESC sequences could clear the screen, retitle the window or
    hide lines when a coordinator runs `tickets show`. Text output shows them as visible marks."""
    evil = "bad \x1b[2J\x1b]0;pwned\x07 visit\rfake line"
    rows = [response("1", "2025-11-03T09:00:00-06:00", 2, evil, location="Down\x1b[8mtown")]
    assert cli("import", write_plain(tmp_path / "e.csv", rows)).exit_code == 0
    assert cli("tickets", "note", "T-000001", "called \x1b[31mred\x1b[0m").exit_code == 0
    for args in (
        ("tickets", "show", "T-000001"),
        ("tickets", "list"),
        ("detractors", "--as-of", "2025-11-04"),
        ("detractors", "--as-of", "2025-11-04", "--format", "markdown"),
    ):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\r" not in result.stdout, args
    shown = cli("tickets", "show", "T-000001").stdout
    assert "called" in shown and "visit" in shown and "fake line" in shown
    # the data itself is kept as the patient wrote it for machine formats
    assert "\\u001b[2J" in cli("detractors", "--as-of", "2025-11-04", "--format", "json").stdout


def test_markdown_output_shows_a_comments_html_and_image_links_as_typed_never_as_markup(cli, tmp_path):
    """Pasted into a wiki or a ticket system, a comment's <img> or ![](url) would be fetched (a tracking pixel)."""
    comment = 'see <img src="http://tracker.example/p.png"> and ![x](http://tracker.example/q.png) [phone]\nok'
    rows = [response("1", "2025-11-03T09:00:00-06:00", 2, comment)]
    assert cli("import", write_plain(tmp_path / "e.csv", rows)).exit_code == 0
    for args in (("detractors",), ("tickets", "list")):
        shown = cli(*args, "--as-of", "2025-11-04", "--format", "markdown")
        assert shown.exit_code == 0, shown.output
        assert not re.search(r"(?<!\\)<img", shown.stdout) and "](http" not in shown.stdout
    text = cli("detractors", "--as-of", "2025-11-04", "--format", "markdown").stdout
    assert '\\<img src="http://tracker.example/p.png"\\>' in text and "![x]\\(http://tracker.example/q.png)" in text
    assert "[phone]<br>ok" in text  # readable, and the line break still a <br>


def test_an_empty_or_huge_note_is_refused_and_changes_nothing(loaded):
    history = lambda: js(loaded("tickets", "show", "T-000001", "--format", "json"))["history"]  # noqa: E731
    before = history()
    for text in ("", "   \n "):
        result = loaded("tickets", "note", "T-000001", text)
        assert result.exit_code == 2, result.output
        assert "the note is empty" in result.stderr and "Traceback" not in result.stderr
    result = loaded("tickets", "resolve", "T-000001", "--code", "billing", "--note", "x" * 20_001)
    assert result.exit_code == 2, result.output
    assert "20001 characters" in result.stderr and len(result.stderr.splitlines()) <= 2
    assert "xxxxxxxxxx" not in result.stderr
    assert history() == before
    assert loaded("tickets", "note", "T-000001", "y" * 20_000).exit_code == 0
