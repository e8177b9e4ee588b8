"""`npscli draft-outreach` and `npscli templates ...` through the CLI on a real store (SQLite, then PostgreSQL).

The store is filled through the real import path (tests/storefill.py); npscli.toml is the golden case's.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
from pathlib import Path

import pytest
from tests.storefill import fill

from npscli.store.engine import open_store

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden" / "outreach"
CASE = json.loads((GOLDEN / "case.json").read_text(encoding="utf-8"))
AS_OF = CASE["as_of"]


def response(rid: str, **fields) -> dict:
    """A detractor at Downtown (fields override), shaped like the golden case's response."""
    row = {**CASE["response"], "response_id": rid, "patient_id": f"P-{rid}", "email": f"patient{rid}@example.org"}
    row.update(fields)
    return row


@pytest.fixture
def clinic(cli, isolated):
    """The case's npscli.toml in the working folder, and the store the CLI uses."""
    (isolated / "npscli.toml").write_text(CASE["config"], encoding="utf-8")
    store = open_store(cli.db)
    yield store
    store.dispose()


def draft(cli, *args):
    return cli("draft-outreach", "--as-of", AS_OF, *args, env={"COLUMNS": "400"})  # table rows on one line


def history(cli, ticket: str) -> list[dict]:
    r = cli("tickets", "show", ticket, "--format", "json")
    assert r.exit_code == 0, r.output
    return [h for h in json.loads(r.stdout)["history"] if h["kind"] == "outreach_drafted"]


def files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def parse(path: Path):
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)


# ---------------------------------------------------------------------------------------------- drafting


def test_two_drafts_to_one_patient_in_a_run_say_so_on_each_row_and_after_the_table(cli, clinic, isolated):
    """Two visits, two complaints: two apologies in one morning read as a form letter; say it, so one is sent."""
    fill(
        clinic,
        [
            response("1", patient_name="Dana Reyes", email="dana@example.org", patient_id="RH-77"),
            response("2", patient_name="Dana Reyes", email="DANA@example.org ", patient_id=None, comment="Bill"),
            response("3", patient_name="Ana Pérez", email="ana.perez@example.org"),
        ],
        suggest_cause=lambda c: "billing" if c and "Bill" in c else "wait_time",
    )
    r = draft(cli, "--by", "maria", "--format", "txt")
    assert r.exit_code == 0, r.output
    notes = {line.split("|")[1].strip(): line.split("|")[-2].strip() for line in r.stdout.splitlines()
             if line.startswith("| T-")}  # fmt: skip
    assert notes == {
        "T-000001": "the same patient as T-000002: send them one message",
        "T-000002": "the same patient as T-000001: send them one message",
        "T-000003": "",
    }
    assert (
        "the same patient has several drafts (T-000001 and T-000002): send them one message, and log the contact "
        "on each ticket"
    ) in " ".join(r.stderr.split())
    assert len(files(isolated / "outreach")) == 3  # both written: the coordinator chooses which one to send


def test_department_selects_the_drafts_as_it_selects_the_tickets_elsewhere(cli, clinic, isolated):
    fill(
        clinic,
        [
            response("1", patient_name="Ana Pérez", department="Pediatrics"),
            response("2", patient_name="Luis Ortega", department="Primary Care"),
        ],
    )
    r = draft(cli, "--department", "pediatrics", "--by", "maria")  # case as everywhere else
    assert r.exit_code == 0, r.output
    assert files(isolated / "outreach") == ["T-000001-ana-perez.eml"]
    named = draft(cli, "--ticket", "T-000002", "--department", "Pediatrics", "--dry-run")
    assert named.exit_code == 0 and "outside --location / --department / --since" in named.stdout


def test_default_run_drafts_each_open_detractor_once(cli, clinic, isolated):
    fill(
        clinic,
        [
            response("1", patient_name="Ana Pérez", email="ana.perez@example.org"),
            response("2", patient_name="Luis Ortega", email=None, phone="555-0177", comment="Bill was wrong"),
            response("3", score=10, patient_name="Happy Person"),  # a promoter: no ticket, no draft
        ],
        suggest_cause=lambda c: "billing" if c and "Bill" in c else "wait_time",
    )
    r = draft(cli, "--by", "maria")
    assert r.exit_code == 0, r.output
    out = isolated / "outreach"
    assert files(out) == ["T-000001-ana-perez.eml", "T-000002-luis-ortega-call-script.txt"]
    assert "call instead: no e-mail address" in r.stdout
    assert "wrote 1 e-mail draft(s), 1 call script(s) into outreach/" in r.stderr
    assert "log it so colleagues know: npscli tickets contacted T-000001 --channel email" in r.stderr

    msg = parse(out / "T-000001-ana-perez.eml")
    assert msg["X-Unsent"] == "1"
    assert msg["From"].addresses[0].addr_spec == "maria.lopez@riverside.example.org"
    assert msg["Reply-To"].addresses[0].addr_spec == "maria.lopez@riverside.example.org"
    assert msg["To"].addresses[0].addr_spec == "ana.perez@example.org"
    assert msg["Subject"] == "I'm sorry about the wait on Monday, November 3"  # the suggested cause's template
    assert msg["Date"] and msg["Message-ID"]
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    body = msg.get_content()
    assert body.startswith("Dear Ana,") and "Downtown office on Monday, November 3" in body

    call = (out / "T-000002-luis-ortega-call-script.txt").read_text(encoding="utf-8")
    assert "- Phone: 555-0177" in call and "> Bill was wrong" in call
    assert "I'm sorry that your bill has caused you so much trouble" in call

    (event,) = history(cli, "T-000001")
    assert event["actor"] == "maria"
    assert event["text"].startswith("email draft (template wait_time, sender Maria Lopez")
    assert event["text"].endswith(str((out / "T-000001-ana-perez.eml").resolve()))
    (event,) = history(cli, "T-000002")
    assert event["text"].startswith("call script (template call_script")

    again = draft(cli)
    assert again.exit_code == 0, again.output
    assert again.stdout == "" and "nothing new to draft" in again.stderr
    assert "2 ticket(s) drafted before were left alone" in again.stderr
    assert len(files(out)) == 2 and len(history(cli, "T-000001")) == 1

    anew = draft(cli, "--again")
    assert anew.exit_code == 0, anew.output
    assert "T-000001-ana-perez-2.eml" in files(out) and "T-000002-luis-ortega-call-script-2.txt" in files(out)
    assert len(history(cli, "T-000001")) == 2
    calls = draft(cli, "--template", "call_script", "--ticket", "T-000001", "--again")
    assert calls.exit_code == 0, calls.output
    assert "log it so colleagues know: npscli tickets contacted T-000001 --channel call" in calls.stderr


def test_golden_draft_through_the_cli(cli, clinic, isolated):
    fill(clinic, [CASE["response"]])
    r = draft(cli, "--template", "wait_time", "--out", "drafts")
    assert r.exit_code == 0, r.output
    assert (isolated / "drafts" / "T-000001-ana-perez.eml").read_bytes() == (GOLDEN / "wait_time.eml").read_bytes()


def test_a_patient_who_wrote_in_spanish_gets_a_draft_in_spanish(cli, clinic, isolated):
    fill(
        clinic,
        [
            response(
                "1", patient_name="María Chávez", comment="La espera fue demasiado larga y nadie nos explicó nada."
            ),
            response("2", patient_name="Ana Pérez"),
        ],
        suggest_cause=lambda c: "wait_time",
    )
    r = draft(cli)
    assert r.exit_code == 0, r.output
    assert "es/wait_time" in r.stdout and "in Spanish: the patient wrote in Spanish" in r.stdout
    spanish = parse(isolated / "outreach" / "T-000001-maria-chavez.eml")
    assert spanish["Subject"] == "Siento mucho la espera del lunes 3 de noviembre"
    assert spanish["To"].addresses[0].display_name == "María Chávez"
    assert spanish.get_content().startswith("Hola, María:\r\n")  # CRLF: RFC 5322 line ends
    english = parse(isolated / "outreach" / "T-000002-ana-perez.eml")
    assert english["Subject"] == "I'm sorry about the wait on Monday, November 3"
    (event,) = history(cli, "T-000001")
    assert event["text"].startswith("email draft (template es/wait_time, sender Maria Lopez")


def test_a_patient_closed_as_no_response_is_never_drafted_again(cli, clinic, isolated):
    fill(
        clinic,
        [
            response("1", patient_id="P-7", email="ana@example.org"),
            response("2", patient_id="P-7", email="ana.new@example.org", submitted_at="2025-11-04T09:00:00-06:00"),
            response("3", patient_id=None, email="ANA@example.org", submitted_at="2025-11-04T10:00:00-06:00"),
            response("4", submitted_at="2025-11-04T11:00:00-06:00"),
        ],
    )
    assert cli("tickets", "contacted", "T-000001", "--channel", "call").exit_code == 0
    r = cli("tickets", "no-response", "T-000001")
    assert r.exit_code == 0, r.output

    r = draft(cli)
    assert r.exit_code == 0, r.output
    assert files(isolated / "outreach") == ["T-000004-ana-perez.eml"]  # 2: same patient id; 3: same e-mail
    assert "2 ticket(s) skipped: the patient was closed as no response" in r.stderr

    for args in (("--again",), ("--again", "--ticket", "T-000002", "--ticket", "3", "--ticket", "T-1")):
        r = draft(cli, *args)
        assert r.exit_code == 0, r.output
        assert files(isolated / "outreach") == ["T-000004-ana-perez-2.eml", "T-000004-ana-perez.eml"]
    assert r.stdout.count("patient closed as no response: not contacted again") == 3
    assert history(cli, "T-000002") == [] and history(cli, "T-000003") == []


def test_a_patient_already_contacted_is_not_drafted_an_apology_unless_asked(cli, clinic, isolated):
    fill(clinic, [response("1"), response("2", submitted_at="2025-11-04T09:00:00-06:00")])
    r = cli("tickets", "contacted", "T-000001", "--channel", "call", "--note", "apologised", "--by", "maria")
    assert r.exit_code == 0, r.output

    r = draft(cli)
    assert r.exit_code == 0, r.output
    assert [name.split("-")[1] for name in files(isolated / "outreach")] == ["000002"]
    assert "1 ticket(s) already contacted were left alone" in r.stderr
    assert history(cli, "T-000001") == []

    r = draft(cli, "--ticket", "T-000001")
    assert r.exit_code == 0, r.output
    assert "already contacted (call by maria;" in r.stdout
    assert history(cli, "T-000001") == []

    r = draft(cli, "--ticket", "T-000001", "--again")  # a second message after the call, on purpose
    assert r.exit_code == 0, r.output
    assert len(history(cli, "T-000001")) == 1

    # reopened after the contact (the patient wrote again): a new draft is what is needed
    fill(clinic, [response("3", submitted_at="2025-11-04T10:00:00-06:00")])
    assert cli("tickets", "contacted", "T-000003", "--channel", "email").exit_code == 0
    assert cli("tickets", "resolve", "T-000003", "--code", "other").exit_code == 0
    assert cli("tickets", "reopen", "T-000003", "--note", "wrote again").exit_code == 0
    r = draft(cli, "--ticket", "T-000003")
    assert r.exit_code == 0, r.output
    assert len(history(cli, "T-000003")) == 1


@pytest.mark.parametrize("placeholder", ["na", "N/A", "none", "-", "...", "No comment"])
def test_a_placeholder_comment_is_not_quoted_back_as_what_the_patient_wrote(cli, clinic, isolated, placeholder):
    fill(clinic, [response("1", comment=placeholder), response("2", submitted_at="2025-11-04T09:00:00-06:00")])
    r = draft(cli, "--template", "general")
    assert r.exit_code == 0, r.output
    placeholder_draft = parse(isolated / "outreach" / "T-000001-ana-perez.eml").get_content()
    assert "You wrote" not in placeholder_draft and "I read what you wrote" not in placeholder_draft
    assert "I'm sorry it wasn't a better visit." in placeholder_draft
    real_comment = parse(isolated / "outreach" / "T-000002-ana-perez.eml").get_content()
    assert "You wrote:" in real_comment and "nobody told me why" in real_comment


def test_a_spanish_placeholder_comment_is_not_quoted_back_either(cli, clinic, isolated):
    fill(clinic, [response("1", comment="Nada.")])
    r = draft(cli, "--template", "general")
    assert r.exit_code == 0, r.output
    body = parse(isolated / "outreach" / "T-000001-ana-perez.eml").get_content()
    assert "Siento mucho que su visita no fuera como debía ser." in body and "Nada" not in body


def test_hostile_patient_name_gives_a_safe_file_name(cli, clinic, isolated):
    hostile = "../../etc/Ána\\Pérez\x1b[31m\r\nBcc: x@evil.example " + "Ñ" * 200
    fill(clinic, [response("1", patient_name=hostile)])
    r = draft(cli)
    assert r.exit_code == 0, r.output
    (name,) = files(isolated / "outreach")
    assert re.fullmatch(r"T-000001-[a-z0-9-]{1,40}\.eml", name), name
    assert name == "T-000001-etc-ana-perez-31m-bcc-x-evil-example.eml"  # cut before the 200-letter word
    assert [p.name for p in isolated.rglob("*.eml")] == [name]  # nothing escaped the folder
    msg = parse(isolated / "outreach" / name)
    assert msg["Bcc"] is None and msg["To"].addresses[0].addr_spec == "patient1@example.org"


def test_sender_choices(cli, clinic, isolated):
    fill(clinic, [response("1"), response("2"), response("3"), response("4")])
    for number, sender, address in (
        (1, "provider", "amara.okafor@riverside.example.org"),
        (2, "owner", "sam.reyes@riverside.example.org"),
        (3, "Jordan Lee", "jordan.lee@riverside.example.org"),
        (4, "manager", "maria.lopez@riverside.example.org"),
    ):
        r = draft(cli, "--ticket", f"T-00000{number}", "--sender", sender)
        assert r.exit_code == 0, r.output
        (path,) = (isolated / "outreach").glob(f"T-00000{number}-*.eml")
        assert parse(path)["From"].addresses[0].addr_spec == address
        assert parse(path)["Reply-To"].addresses[0].addr_spec == address


def test_no_reply_sender_is_refused(cli, clinic, isolated):
    (isolated / "npscli.toml").write_text(
        'clinic_name = "Riverside Health"\n[locations.Downtown]\n'
        'manager = { name = "Riverside Health", email = "no-reply@riverside.example.org" }\n',
        encoding="utf-8",
    )
    fill(clinic, [response("1")])
    r = draft(cli)
    assert r.exit_code == 8, r.output
    assert "no-reply address" in r.stderr and "locations.Downtown.manager" in r.stderr
    assert "Traceback" not in r.output
    assert files(isolated / "outreach") == [] and history(cli, "T-000001") == []


def test_missing_sender_names_the_location_and_the_key(cli, clinic, isolated):
    fill(clinic, [response("1", location="Eastgate")])
    r = draft(cli)
    assert r.exit_code == 8, r.output
    assert "no outreach sender `manager` for location 'Eastgate'" in r.stderr
    assert "[locations.Eastgate]" in r.stderr
    r = draft(cli, "--sender", "Nobody Known")
    assert r.exit_code == 8 and "no outreach sender named 'Nobody Known'" in r.stderr


def test_a_first_run_without_senders_says_once_what_to_add(cli, isolated):
    """No npscli.toml yet (the first run): 28 tickets in three locations; one message naming the three locations
    and the blocks to add, or --sender NAME; exit 8; no table repeating it per ticket, no "nothing new to draft"."""
    store = open_store(cli.db)
    try:
        places = ["Downtown", "Eastgate", "Northside"]
        fill(store, [response(str(i), location=places[i % 3]) for i in range(28)])
    finally:
        store.dispose()
    r = draft(cli)
    assert r.exit_code == 8, r.output
    assert r.stdout == "" and files(isolated / "outreach") == []
    assert "nothing new to draft" not in r.stderr and "Traceback" not in r.output
    assert r.stderr.count("no outreach sender") == 1
    first = r.stderr.splitlines()[0]
    assert first == (
        "npscli: error: 28 ticket(s) not drafted: no outreach sender `manager` for locations "
        "'Downtown' (10 tickets), 'Eastgate' (9), 'Northside' (9)"
    )
    for place in places:
        assert r.stderr.count(f"[locations.{place}]\n") == 1
    assert r.stderr.count('manager = { name = "...", title = "...", email = "first.last@your-clinic.org" }') == 3
    assert "--sender NAME" in r.stderr
    dry = draft(cli, "--dry-run")
    assert dry.exit_code == 8 and dry.stdout == "" and dry.stderr == r.stderr


def test_a_location_without_a_sender_does_not_hold_up_the_others(cli, clinic, isolated):
    """Downtown is configured, Eastgate not: Downtown's drafts are written and logged, Eastgate's tickets are
    listed as not drafted, and the run exits 8 naming the missing setting (cron mail shows it)."""
    fill(clinic, [response("1"), response("2", location="Eastgate"), response("3", location="Eastgate")])
    r = draft(cli)
    assert r.exit_code == 8, r.output
    assert files(isolated / "outreach") == ["T-000001-ana-perez.eml"] and len(history(cli, "T-000001")) == 1
    assert history(cli, "T-000002") == [] and history(cli, "T-000003") == []
    assert "T-000001" in r.stdout and "skipped" not in r.stdout  # said once below, not per ticket
    assert "2 ticket(s) not drafted: no outreach sender `manager` for location 'Eastgate'\n" in r.stderr
    assert "[locations.Eastgate]" in r.stderr and "Traceback" not in r.output
    config = isolated / "npscli.toml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "\n[locations.Eastgate]\n"
        + 'manager = { name = "Jo Park", title = "Manager", email = "jo.park@riverside.example.org" }\n',
        encoding="utf-8",
    )
    again = draft(cli)  # once Eastgate is configured, only its tickets are drafted (Downtown's was, once)
    assert again.exit_code == 0, again.output
    assert len(files(isolated / "outreach")) == 3 and len(history(cli, "T-000002")) == 1


def test_user_template_with_an_undefined_variable(cli, clinic, isolated):
    mine = isolated / "mine" / "outreach"
    mine.mkdir(parents=True)
    (mine / "general.txt.j2").write_text("Dear {{ patient_nickname }},\n", encoding="utf-8")
    fill(clinic, [response("1")])
    r = draft(cli, "--templates", str(isolated / "mine"))
    assert r.exit_code == 8, r.output
    assert "template outreach/general.txt.j2, line 1: variable 'patient_nickname' is not defined" in r.stderr
    assert files(isolated / "outreach") == [] and history(cli, "T-000001") == []
    r = draft(cli, "--templates", str(isolated / "absent"))
    assert r.exit_code == 8 and "does not exist" in r.stderr


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("Dear {{ patient_first_name }},\n{% include 'outreach/_footer.txt.j2' %}\n", "line 2: includes or extends"),
        ("Dear {{ patient_first_name }},\n{{ 1/0 }}\n", "line 2: division by zero"),
        ("Dear {{ patient_first_name }},\n\n{{ score + 'a' }}\n", "line 3: values of types"),
        ("{% for i in range(10**9) %}{{ i }}{% endfor %}\n", "line 1: a range of 1,000,000,000 items is too large"),
        ("{{ 'a' * 100000000 }}\n", "line 1: a repeated text or list"),
    ],
)
def test_a_broken_clinic_template_exits_8_naming_it_and_writes_nothing(cli, clinic, isolated, source, problem):
    mine = isolated / "mine" / "outreach"
    mine.mkdir(parents=True)
    (mine / "general.txt.j2").write_text(source, encoding="utf-8")
    fill(clinic, [response("1")])
    r = draft(cli, "--templates", str(isolated / "mine"))
    assert r.exit_code == 8, r.output
    assert f"template outreach/general.txt.j2, {problem}" in r.stderr, r.stderr
    assert "Traceback" not in r.output and "Ana" not in r.output
    assert files(isolated / "outreach") == [] and history(cli, "T-000001") == []


def test_a_customised_template_is_used(cli, clinic, isolated):
    r = cli("templates", "copy", "general", "mine", db=False)
    assert r.exit_code == 0, r.output
    subject = isolated / "mine" / "outreach" / "general.subject.j2"
    subject.write_text("A note from {{ sender_name }} about {{ visit_day }}\n", encoding="utf-8")
    fill(clinic, [response("1")])
    r = draft(cli, "--templates", "mine")
    assert r.exit_code == 0, r.output
    (path,) = (isolated / "outreach").glob("*.eml")
    assert parse(path)["Subject"] == "A note from Maria Lopez about Monday, November 3"


def test_public_reply_is_written_without_patient_details_or_refused(cli, clinic, isolated):
    fill(clinic, [response("1")])
    r = draft(cli, "--template", "public_reply")
    assert r.exit_code == 2 and "say which ticket" in r.stderr  # one review at a time
    r = draft(cli, "--template", "public_reply", "--ticket", "T-000001", "--format", "eml")
    assert r.exit_code == 0, r.output
    assert files(isolated / "outreach") == ["T-000001-public-reply.txt"]  # never .eml, no name in the file name
    text = (isolated / "outreach" / "T-000001-public-reply.txt").read_text(encoding="utf-8")
    assert "Ana" not in text and "Dear" not in text and "(555) 010-0112" in text
    assert history(cli, "T-000001")[0]["text"].startswith("public reply (template public_reply")
    assert 'once it is posted, note it: npscli tickets note T-000001 "public reply posted"' in r.stderr
    assert "tickets contacted" not in r.stderr  # a public reply is not a contact with the patient

    leaky = isolated / "mine" / "outreach"
    leaky.mkdir(parents=True)
    (leaky / "public_reply.txt.j2").write_text(
        "We're sorry the wait was so long, {{ patient_first_name }}. {{ comment }}\n", encoding="utf-8"
    )
    r = draft(cli, "--template", "public_reply", "--ticket", "1", "--again", "--templates", str(isolated / "mine"))
    assert r.exit_code == 8, r.output
    assert "public reply for T-000001 refused: it would show the patient's name" in r.stderr
    assert "Ana" not in r.output and "shrugged" not in r.output  # the refusal quotes nothing
    assert files(isolated / "outreach") == ["T-000001-public-reply.txt"]
    # a personal draft is still due: a public reply is drafted apart from it
    r = draft(cli)
    assert r.exit_code == 0, r.output
    assert "T-000001-ana-perez.eml" in files(isolated / "outreach")


def test_dry_run_writes_and_records_nothing(cli, clinic, isolated):
    fill(clinic, [response("1"), response("2", location="Uptown", email=None, phone=None)])
    r = draft(cli, "--dry-run", "--ticket", "T-1", "--ticket", "T-2", "--sender", "Jordan Lee")
    assert r.exit_code == 0, r.output
    assert "outreach/T-000001-ana-perez.eml" in r.stdout
    assert "no e-mail address or phone number" in r.stdout
    assert "would write 1 e-mail draft(s)" in r.stderr
    assert files(isolated / "outreach") == [] and history(cli, "T-000001") == []


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_document_formats(cli, clinic, isolated, fmt):
    fill(clinic, [response("1"), response("2", email=None)])
    r = draft(cli, "--format", fmt)
    assert r.exit_code == 0, r.output
    assert files(isolated / "outreach") == [f"T-000001-ana-perez.{fmt}", f"T-000002-ana-perez-call-script.{fmt}"]
    text = (isolated / "outreach" / f"T-000001-ana-perez.{fmt}").read_text(encoding="utf-8")
    assert "Subject:" in text and "Dear Ana," in text


def test_filters_and_errors(cli, clinic, isolated):
    fill(
        clinic,
        [
            response("1", submitted_at="2025-10-01T09:00:00-05:00"),
            response("2", location="Downtown"),
            response("3", location="Eastgate"),
        ],
    )
    r = draft(cli, "--since", "7d", "--location", "Downtown")
    assert r.exit_code == 0, r.output
    assert files(isolated / "outreach") == ["T-000002-ana-perez.eml"]
    assert draft(cli, "--template", "nope").exit_code == 5
    r = draft(cli, "--ticket", "T-000099")
    assert r.exit_code == 5 and "no ticket T-000099" in r.stderr
    assert draft(cli, "--ticket", "bogus").exit_code == 2
    assert draft(cli, "--format", "html").exit_code == 2


# ---------------------------------------------------------------------------------------------- templates


def test_templates_list_show_copy(cli, isolated):
    r = cli("templates", "list", "--format", "json", db=False)
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    for name in ("general", "wait_time", "scheduling", "billing", "staff_communication"):
        assert rows[f"outreach/{name}.txt.j2"]["use"] == f"--template {name} (body)"
        assert rows[f"outreach/{name}.subject.j2"]["origin"] == "packaged"
    assert rows["outreach/call_script.txt.j2"]["use"] == "--template call_script"
    assert rows["outreach/public_reply.txt.j2"]["use"] == "--template public_reply"

    r = cli("templates", "show", "billing", db=False)
    assert r.exit_code == 0, r.output
    assert "==> outreach/billing.subject.j2 (packaged) <==" in r.stdout and "{{ sender_phone }}" in r.stdout
    r = cli("templates", "show", "outreach/public_reply.txt.j2", db=False)
    assert r.exit_code == 0 and r.stdout.startswith("{#") and "==>" not in r.stdout

    r = cli("templates", "copy", "wait_time", "mine", db=False)
    assert r.exit_code == 0, r.output
    assert files(isolated / "mine" / "outreach") == ["wait_time.subject.j2", "wait_time.txt.j2"]
    assert "edit them, then use --templates mine" in r.stderr
    r = cli("templates", "show", "billng", db=False)
    assert r.exit_code == 5 and "no template named 'billng'; did you mean 'billing'?" in r.stderr
    r = cli("templates", "copy", "reports/weekly.htm.j2", "mine", db=False)
    assert r.exit_code == 5 and "did you mean 'reports/weekly.html.j2'" in r.stderr
    # report and alert take no --templates: the copy says how they find the folder
    r = cli("templates", "copy", "reports/weekly.html.j2", "mine", db=False)
    assert r.exit_code == 0, r.output
    assert 'set templates_dir = "mine" in npscli.toml (or NPSCLI_TEMPLATES=mine)' in " ".join(r.stderr.split())
    assert "--templates" not in r.stderr
    (isolated / "mine" / "outreach" / "wait_time.txt.j2").write_text("mine\n", encoding="utf-8")
    r = cli("templates", "copy", "wait_time", "mine", db=False)
    assert r.exit_code == 6 and "exists" in r.stderr and "--force" in r.stderr
    assert (isolated / "mine" / "outreach" / "wait_time.txt.j2").read_text() == "mine\n"

    r = cli("templates", "list", "--templates", "mine", "--format", "json", db=False)
    origins = {row["name"]: row["origin"] for row in json.loads(r.stdout)}
    assert origins["outreach/wait_time.txt.j2"] == "yours (overrides packaged)"
    r = cli("templates", "show", "outreach/wait_time.txt.j2", "--templates", "mine", db=False)
    assert r.stdout == "mine\n"
    r = cli("templates", "show", "default:outreach/wait_time.txt.j2", "--templates", "mine", db=False)
    assert r.stdout.startswith("{#")

    r = cli("templates", "copy", "wait_time", "mine", "--force", db=False)
    assert r.exit_code == 0, r.output
    assert (isolated / "mine" / "outreach" / "wait_time.txt.j2").read_text().startswith("{#")
    r = cli("templates", "copy", "outreach", "all", db=False)
    assert r.exit_code == 0
    assert len([f for f in files(isolated / "all" / "outreach") if f != "es"]) == 13
    assert len(files(isolated / "all" / "outreach" / "es")) == 12  # five e-mails, signature, public reply in Spanish

    # the Spanish versions: listed, shown and copied by their name
    rows = {row["name"]: row for row in json.loads(cli("templates", "list", "--format", "json", db=False).stdout)}
    assert rows["outreach/es/wait_time.txt.j2"]["use"] == "--template es/wait_time (body)"
    assert rows["outreach/es/_signature.txt.j2"]["use"] == "included by the e-mails"
    r = cli("templates", "show", "es/billing", db=False)
    assert r.exit_code == 0 and "==> outreach/es/billing.txt.j2 (packaged) <==" in r.stdout
    r = cli("templates", "copy", "es/wait_time", "spanish", db=False)
    assert r.exit_code == 0, r.output
    assert files(isolated / "spanish" / "outreach" / "es") == ["wait_time.subject.j2", "wait_time.txt.j2"]

    assert cli("templates", "show", "nope", db=False).exit_code == 5
    assert cli("templates", "copy", "../../etc/passwd", "x", db=False).exit_code == 2


def test_an_abusive_comment_is_flagged_and_never_answered_in_public(cli, clinic, isolated):
    fill(clinic, [response("1", comment="The front desk lady is a complete idiot."), response("2")])
    shown = cli("tickets", "show", "T-000001")
    assert shown.exit_code == 0, shown.output
    assert "abusive language: do not answer this comment in public" in shown.stdout
    assert json.loads(cli("tickets", "show", "T-000001", "--format", "json").stdout)["abusive"] is True
    assert json.loads(cli("tickets", "show", "T-000002", "--format", "json").stdout)["abusive"] is False

    refused = draft(cli, "--template", "public_reply", "--ticket", "T-000001")
    assert refused.exit_code == 8, refused.output
    assert "abusive language" in refused.stderr and "idiot" not in refused.output
    assert files(isolated / "outreach") == [] and history(cli, "T-000001") == []
    # a private follow-up is still drafted, and the other review can be answered in public
    assert draft(cli, "--ticket", "T-000001").exit_code == 0
    assert draft(cli, "--template", "public_reply", "--ticket", "T-000002").exit_code == 0
    assert files(isolated / "outreach") == ["T-000001-ana-perez.eml", "T-000002-public-reply.txt"]


def test_a_private_draft_does_not_quote_abusive_words_back_to_the_patient(cli, clinic, isolated):
    fill(clinic, [response("1", comment="The front desk lady is a complete idiot."), response("2")])
    r = draft(cli, "--template", "general")
    assert r.exit_code == 0, r.output
    abusive = parse(isolated / "outreach" / "T-000001-ana-perez.eml").get_content()
    assert "idiot" not in abusive and "You wrote" not in abusive and abusive.startswith("Dear Ana,")
    row = next(line for line in r.stdout.splitlines() if "T-000001" in line)
    assert "abusive language: not quoted back" in row and "npscli tickets show T-000001" in row
    other = parse(isolated / "outreach" / "T-000002-ana-perez.eml").get_content()
    assert "You wrote:" in other and "nobody told me why" in other
    assert "abusive" not in next(line for line in r.stdout.splitlines() if "T-000002" in line)


def test_a_broken_taxonomy_does_not_hold_private_drafts_back(cli, clinic, isolated):
    config = isolated / "npscli.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[themes]\ntaxonomy = "missing.toml"\n', encoding="utf-8")
    fill(clinic, [response("1", comment="The front desk lady is a complete idiot.")])
    r = draft(cli, "--template", "general")
    assert r.exit_code == 0, r.output
    assert "idiot" not in parse(isolated / "outreach" / "T-000001-ana-perez.eml").get_content()


def test_an_unusable_e_mail_address_is_named_as_such_not_as_missing(cli, clinic, isolated):
    # `tickets show` prints the address the export had: "no e-mail address" beside it reads as a bug
    fill(
        clinic,
        [
            response("1", patient_name="Tom Lind", email="tom.lind@example", phone="555-0171"),
            response("2", patient_name="Eve Moss", email="eve moss@example.org", phone=None),
            response("3", patient_name="Kim Ng", email=None, phone=None),
        ],
    )
    r = draft(cli, "--by", "maria")
    assert r.exit_code == 0, r.output
    lines = {line.split("|")[1].strip(): line for line in r.stdout.splitlines() if line.startswith("| T-")}
    assert "call instead: the e-mail address on file is not valid" in lines["T-000001"]
    assert "no valid e-mail address and no phone number: nothing to draft" in lines["T-000002"]
    assert "no e-mail address or phone number: nothing to draft" in lines["T-000003"]
    assert "tom.lind@example" not in r.stdout  # the table names no contact detail


def test_the_call_script_never_breaks_a_word_at_its_hyphen(cli, clinic, isolated):
    comment = "Word " * 13 + "pre-authorization was refused twice and nobody called back about it"
    assert len("Word " * 13 + "pre-") <= 70 < len("Word " * 13 + "pre-authorization")  # where a wrap falls
    fill(clinic, [response("1", email=None, phone="555-0177", comment=comment)])
    r = draft(cli)
    assert r.exit_code == 0, r.output
    [script] = list((isolated / "outreach").glob("*-call-script.txt"))
    text = script.read_text(encoding="utf-8")
    assert "pre-authorization" in text and "pre-\n" not in text
