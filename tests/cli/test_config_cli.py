"""`npscli init`, `npscli config show` and `npscli config check`."""

import json
import re

from tests.factories import response, write_plain


def test_init_writes_a_starter_that_loads(cli, isolated):
    result = cli("init", db=False)
    assert result.exit_code == 0, result.output
    assert (isolated / "npscli.toml").is_file()
    shown = cli("config", "show", "--format", "json", db=False)
    assert shown.exit_code == 0, shown.output
    rows = {r["setting"]: r for r in json.loads(shown.stdout)}
    assert rows["timezone"]["value"] == "America/Chicago"  # env beats the file
    assert rows["timezone"]["from"] == "NPSCLI_TIMEZONE"
    assert rows["tickets.sla_hours"]["value"] == 48.0
    assert rows["config file"]["value"].endswith("npscli.toml")


def test_init_refuses_to_overwrite(cli, isolated):
    (isolated / "npscli.toml").write_text("# mine\n")
    result = cli("init", db=False)
    assert result.exit_code == 6  # a conflict, like every refusal to overwrite without --force
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert (isolated / "npscli.toml").read_text() == "# mine\n"


def test_config_show_hides_passwords(cli, monkeypatch):
    monkeypatch.setenv("NPSCLI_SMTP_PASSWORD", "s3cret-pw")
    result = cli("config", "show", "--db", "postgresql://ana:hunter2@db.example.org/nps", db=False)
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.output and "s3cret-pw" not in result.output
    assert "set (hidden)" in result.stdout


def test_broken_config_is_one_line_exit_8(cli, isolated):
    (isolated / "npscli.toml").write_text("timezone = \n")
    result = cli("config", "show", db=False)
    assert result.exit_code == 8
    assert "npscli.toml" in result.stderr and "Traceback" not in result.output


def test_init_uses_this_machines_zone_and_invents_no_clinic(cli, isolated, monkeypatch):
    """The starter must not pin someone else's time zone or sign outreach with a sample clinic's name."""
    monkeypatch.delenv("NPSCLI_TIMEZONE")
    monkeypatch.setenv("TZ", "Europe/Berlin")
    result = cli("init", db=False)
    assert result.exit_code == 0, result.output
    shown = cli("config", "show", "--format", "json", db=False)
    assert shown.exit_code == 0, shown.output
    rows = {r["setting"]: r for r in json.loads(shown.stdout)}
    assert rows["timezone"]["value"] == "Europe/Berlin" and rows["timezone"]["from"].endswith("npscli.toml")
    assert rows["clinic_name"]["from"] == "default" and "Riverside" not in rows["clinic_name"]["value"]
    assert rows["clinic_phone"]["value"] == "(none)"


def test_init_does_not_pin_a_machine_zone_that_config_check_would_refuse(cli, isolated, monkeypatch):
    monkeypatch.delenv("NPSCLI_TIMEZONE")
    monkeypatch.setenv("TZ", "America/new_york")  # not a zone name: the starter must still load
    result = cli("init", db=False)
    assert result.exit_code == 0, result.output
    text = (isolated / "npscli.toml").read_text(encoding="utf-8")
    assert "unknown time zone 'America/new_york'" in text and 'use "America/New_York"' in text
    assert not any(line.startswith("timezone") for line in text.splitlines())
    monkeypatch.setenv("TZ", "UTC")
    assert cli("config", "check", db=False).exit_code == 0


def test_the_starter_shows_alerts_routing_smtp_senders_and_reports_ready_to_uncomment(cli, isolated, tmp_path):
    """The IT person writes npscli.toml from `init`: the sections cron needs are there, commented, and valid."""
    from tests.factories import response, write_plain

    assert cli("init", db=False).exit_code == 0
    text = (isolated / "npscli.toml").read_text(encoding="utf-8")
    for section in ("# [alerts]", "# [[routing.rules]]", "# [smtp]", "# [locations.Downtown]", "# [reports]"):
        assert section in text, section
    # uncommented as they stand, they are a configuration the commands accept
    tail = text[text.index("# [alerts]") :]
    uncommented = "\n".join(line[2:] if re.match(r"# (\[|[a-z_]+ = )", line) else line for line in tail.splitlines())
    (isolated / "npscli.toml").write_text(text[: text.index("# [alerts]")] + uncommented + "\n", encoding="utf-8")
    rows = [response("1", "2025-11-10T09:00:00-06:00", 2, location="Downtown", department="Pediatrics")]
    assert cli("import", write_plain(tmp_path / "one.csv", rows)).exit_code == 0
    shown = cli("config", "show", "--format", "json")
    assert shown.exit_code == 0, shown.output
    settings = {r["setting"]: r for r in json.loads(shown.stdout)}
    config_file = str(isolated / "npscli.toml")
    # every effective setting, one row each, with its source: the file's values and the defaults beside them
    assert settings["alerts.from"]["value"] == "Patient Experience <px@clinic.example.org>"
    assert settings["alerts.from"]["from"] == config_file
    assert settings["alerts.max_score"] == {"setting": "alerts.max_score", "value": 6, "from": config_file}
    assert settings["alerts.digest"]["from"] == "default" and settings["alerts.digest"]["value"] is False
    assert settings["routing.rules[2].department"]["value"] == "Pediatrics"
    assert settings["routing.rules[2].continue"]["from"] == "default"
    assert settings["smtp.port"]["value"] == 587 and settings["smtp.security"]["from"] == config_file
    assert settings["locations.Downtown.phone"]["value"] == "(555) 010-0110"
    assert settings["reports.out_dir"]["value"] == str(isolated / "reports")
    assert settings["emerging.false_alarms_per_site_year"]["value"] == 1
    dry = cli("alert", "--dry-run", "--since", "2025-11-01", "--as-of", "2025-11-10T10:00", "--format", "json")
    assert dry.exit_code == 0, dry.output
    recipients = sorted(d["recipient"] for d in json.loads(dry.stdout))
    assert recipients == ["pediatrics.lead@clinic.example.org", "quality@clinic.example.org"]
    drafted = cli("draft-outreach", "--dry-run", "--as-of", "2025-11-10T10:00")
    assert drafted.exit_code == 0, drafted.output
    assert "downtown.manager@clinic.example.org" in drafted.stdout


def test_config_show_lists_every_declared_setting_with_its_source(cli, isolated, monkeypatch):
    """Generated from the schema: each declared key of a plain table is a row, whatever the file holds."""
    from npscli.core import config_schema as schema

    (isolated / "npscli.toml").write_text(
        'min_n = 50\n[smtp]\nhost = "smtp.example.org"\nsecurity = "ssl"\n'
        '[alerts]\nwebhook_url = "https://chat.example.org/hooks/T0K3N"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("NPSCLI_USER", "maria")
    shown = cli("config", "show", "--format", "json", db=False)
    assert shown.exit_code == 0, shown.output
    rows = {r["setting"]: r for r in json.loads(shown.stdout)}
    for table in schema.ROOT.tables:
        if not table.entries and not table.tables:
            for key in table.keys:
                assert f"{table.name}.{key.name}" in rows, f"{table.name}.{key.name}"
    for key in schema.ROOT.keys:
        assert key.name in rows
    config_file = str(isolated / "npscli.toml")
    assert rows["min_n"]["value"] == 50 and rows["min_n"]["from"] == config_file
    assert rows["user"] == {"setting": "user", "value": "maria", "from": "NPSCLI_USER"}
    assert rows["smtp.port"]["value"] == 465 and rows["smtp.port"]["from"] == "default"  # ssl's port
    assert rows["smtp.password"]["value"] == "not set"
    flagged = cli("config", "show", "--db", str(isolated / "flag.db"), "--format", "json", db=False)
    database = next(r for r in json.loads(flagged.stdout) if r["setting"] == "database")
    assert database == {"setting": "database", "value": str(isolated / "flag.db"), "from": "--db"}
    assert "T0K3N" not in shown.stdout and rows["alerts.webhook_url"]["value"] == "https://chat.example.org/..."


def test_config_check_lists_every_problem_at_once_exit_8(cli, isolated):
    (isolated / "npscli.toml").write_text(
        'min_n = "many"\n\n[smtp]\nhost = "smtp.example.org"\npassword = "hunter2"\n'
        "[alerts]\nmax_score = 11\n[[routing.rules]]\nto = []\n",
        encoding="utf-8",
    )
    result = cli("config", "check", "--format", "json", db=False)
    assert result.exit_code == 8, result.output
    found = [(p["line"], p["setting"]) for p in json.loads(result.stdout)]
    assert found == [
        (1, "min_n"),
        (5, "[smtp] password"),
        (7, "[alerts] max_score"),
        (9, "[[routing.rules]] (rule 1) to"),
    ]
    assert "4 problems" in result.stderr and "hunter2" not in result.output
    table = cli("config", "check", db=False)
    assert table.exit_code == 8 and "[smtp] password" in table.stdout and "NPSCLI_SMTP_PASSWORD" in table.stdout


def test_config_check_of_a_sound_file_exits_0(cli, isolated, monkeypatch):
    assert cli("init", db=False).exit_code == 0
    result = cli("config", "check", "--format", "json", db=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [] and "no problems" in result.stderr
    table = cli("config", "check", db=False)
    assert table.exit_code == 0 and table.stdout == "" and "npscli.toml: no problems" in table.stderr


def test_config_check_sees_what_only_the_environment_can_tell(cli, isolated, monkeypatch):
    """A sound file whose smtp.user has no NPSCLI_SMTP_PASSWORD in the environment: a problem, not a crash."""
    monkeypatch.delenv("NPSCLI_SMTP_PASSWORD", raising=False)
    (isolated / "npscli.toml").write_text('[smtp]\nhost = "smtp.example.org"\nuser = "px"\n', encoding="utf-8")
    result = cli("config", "check", "--format", "json", db=False)
    assert result.exit_code == 8, result.output
    [problem] = json.loads(result.stdout)
    assert (problem["line"], problem["setting"]) == (3, "[smtp] user")
    assert "NPSCLI_SMTP_PASSWORD" in problem["problem"]
    monkeypatch.setenv("NPSCLI_SMTP_PASSWORD", "s3cret")
    result = cli("config", "check", "--format", "json", db=False)
    assert result.exit_code == 0, result.output


def test_config_check_names_the_routing_sla_and_sender_names_no_stored_response_has(cli, isolated):
    """A rule for "Eastgat" or an SLA for "Eastgat" never applies, and nothing said so ("downtown" is
    "Downtown": names match case aside)."""
    rows = [
        response("1", "2025-11-10T10:00:00-06:00", 3, location="Eastgate", department="Pediatrics"),
        response("2", "2025-11-10T11:00:00-06:00", 9, location="Downtown"),
    ]
    assert cli("import", write_plain(isolated / "export.csv", rows)).exit_code == 0
    (isolated / "npscli.toml").write_text(
        "[tickets.sla_hours_by_location]\nEastgat = 24\ndowntown = 12\n\n"
        '[[routing.rules]]\nlocation = "eastgate"\ndepartment = "Pediatrcs"\nto = ["a@example.org"]\n'
        '[[routing.rules]]\nlocation = ["Downtown", "Lakeside"]\nto = ["b@example.org"]\n'
        '[locations.Eastgat]\nphone = "(555) 010-0100"\n',
        encoding="utf-8",
    )
    result = cli("config", "check", "--format", "json")
    assert result.exit_code == 8, result.output
    found = [(p["line"], p["setting"], p["hint"]) for p in json.loads(result.stdout)]
    assert found == [
        (
            2,
            "[tickets.sla_hours_by_location] Eastgat",
            "write it as stored: 'Eastgate'",
        ),
        (7, "[[routing.rules]] (rule 1) department", "write it as stored: 'Pediatrics'"),
        (12, "[locations.Eastgat]", "write it as stored: 'Eastgate'"),
    ]
    assert "2 problems" not in result.stderr and "3 problems" in result.stderr
    # a site with no response yet is only a warning: the rule applies once it has some
    assert ":10: [[routing.rules]] (rule 2) location: no location 'Lakeside' in the store yet" in result.stderr
    (isolated / "npscli.toml").write_text(
        "[tickets.sla_hours_by_location]\nDowntown = 24\n"
        '[[routing.rules]]\nlocation = "Lakeside"\nto = ["b@example.org"]\n',
        encoding="utf-8",
    )
    sound = cli("config", "check", "--format", "json")
    assert sound.exit_code == 0, sound.output
    assert json.loads(sound.stdout) == [] and "no location 'Lakeside' in the store yet" in sound.stderr


NO_REPLY_SENDERS = """\
[alerts]
from = "noreply@riverside.example.org"
default_recipients = ["px@riverside.example.org"]

[reports]
from = "Riverside Health (Do Not Reply) <reports@riverside.example.org>"

[locations.Downtown]
manager = { name = "Maria Lopez", email = "maria.lopez@riverside.example.org" }
owner = { name = "Riverside Health", email = "do-not-reply@riverside.example.org" }

[senders."Front Desk"]
email = "donotreply@riverside.example.org"

[senders."Dr. Sam Reyes"]
email = "sam.reyes@riverside.example.org"

[providers."Dr. Amara Okafor"]
name = "No-Reply Desk"
email = "amara.okafor@riverside.example.org"
"""


def test_config_check_refuses_no_reply_outreach_senders_and_warns_of_no_reply_alert_and_report_senders(cli, isolated):
    """Outreach never comes from a no-reply address (draft-outreach refuses one): config check names each such
    sender, by address or by display name, as a problem (exit 8); alerts.from and reports.from, which go to staff,
    are warnings. Other commands still load the file."""
    (isolated / "npscli.toml").write_text(NO_REPLY_SENDERS, encoding="utf-8")
    result = cli("config", "check", "--format", "json", db=False)
    assert result.exit_code == 8, result.output
    found = [(p["line"], p["setting"]) for p in json.loads(result.stdout)]
    assert found == [
        (10, "[locations.Downtown] owner.email"),
        (13, '[senders."Front Desk"] email'),
        (19, '[providers."Dr. Amara Okafor"] name'),
    ]
    problems = [p["problem"] for p in json.loads(result.stdout)]
    assert "do-not-reply@riverside.example.org" in problems[0] and "patients must be able to answer" in problems[0]
    assert "'No-Reply Desk'" in problems[2]
    assert "3 problems" in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("npscli: warning:")]
    assert len(warnings) == 2, result.stderr
    assert ":2: [alerts] from: noreply@riverside.example.org is a no-reply address" in warnings[0]
    assert ":6: [reports] from: Riverside Health (Do Not Reply) <reports@" in warnings[1]
    assert cli("config", "show", db=False).exit_code == 0  # only the check and the drafts refuse them

    # the senders fixed, the warnings stay and the file is sound
    fixed = NO_REPLY_SENDERS.replace("do-not-reply@", "sam.reyes@").replace("donotreply@", "front.desk@")
    (isolated / "npscli.toml").write_text(fixed.replace("No-Reply Desk", "Dr. Amara Okafor"), encoding="utf-8")
    sound = cli("config", "check", db=False)
    assert sound.exit_code == 0, sound.output
    assert "no problems" in sound.stderr and sound.stderr.count("is a no-reply address") == 2
    answerable = fixed.replace("noreply@", "px@").replace("Riverside Health (Do Not Reply)", "Riverside Health")
    (isolated / "npscli.toml").write_text(answerable.replace("No-Reply Desk", "Dr. Amara Okafor"), encoding="utf-8")
    quiet = cli("config", "check", db=False)
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr, quiet.output


def test_a_command_names_the_first_problem_and_points_to_config_check_for_the_rest(cli, isolated):
    (isolated / "npscli.toml").write_text("min_n = 0\nci = 'bayes'\ncolour = 'blue'\n", encoding="utf-8")
    result = cli("score", db=False)
    assert result.exit_code == 8, result.output
    first, hint = result.stderr.strip().splitlines()
    assert first == f"npscli: error: {isolated / 'npscli.toml'}:1: min_n: must be a whole number of at least 1, not 0"
    assert "2 more problems" in hint and "npscli config check" in hint
    assert "Traceback" not in result.output


def test_under_umask_000_init_writes_a_private_config(cli, isolated, umask_000):
    import stat

    r = cli("init", db=False)
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE((isolated / "npscli.toml").stat().st_mode) == 0o600
