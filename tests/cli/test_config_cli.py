"""`npscli init` and `npscli config show`."""

import json
import re


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


def test_the_starter_shows_alerts_routing_smtp_senders_and_reports_ready_to_uncomment(cli, isolated, tmp_path):
    """The IT person writes npscli.toml from `init`: the sections cron needs are there, commented, and valid."""
    from tests.factories import response, write_plain

    assert cli("init", db=False).exit_code == 0
    text = (isolated / "npscli.toml").read_text(encoding="utf-8")
    for section in ("# [alerts]", "# [[routing.rules]]", "# [smtp]", "# [locations.Downtown]", "# [reports]"):
        assert section in text, section
    # uncommented as they stand, they are a configuration the commands accept
    tail = text[text.index("# [alerts]") :]
    uncommented = "\n".join(
        line[2:] if re.match(r"# (\[|[a-z_]+ = )", line) else line
        for line in tail.splitlines()
    )
    (isolated / "npscli.toml").write_text(text[: text.index("# [alerts]")] + uncommented + "\n", encoding="utf-8")
    rows = [response("1", "2025-11-10T09:00:00-06:00", 2, location="Downtown", department="Pediatrics")]
    assert cli("import", write_plain(tmp_path / "one.csv", rows)).exit_code == 0
    shown = cli("config", "show", "--format", "json")
    assert shown.exit_code == 0, shown.output
    sections = {r["setting"] for r in json.loads(shown.stdout)}
    assert {"[alerts]", "[routing]", "[smtp]", "[locations]", "[reports]"} <= sections
    dry = cli("alert", "--dry-run", "--since", "2025-11-01", "--as-of", "2025-11-10T10:00", "--format", "json")
    assert dry.exit_code == 0, dry.output
    recipients = sorted(d["recipient"] for d in json.loads(dry.stdout))
    assert recipients == ["pediatrics.lead@clinic.example.org", "quality@clinic.example.org"]
    drafted = cli("draft-outreach", "--dry-run", "--as-of", "2025-11-10T10:00")
    assert drafted.exit_code == 0, drafted.output
    assert "downtown.manager@clinic.example.org" in drafted.stdout


def test_under_umask_000_init_writes_a_private_config(cli, isolated, umask_000):
    import stat

    r = cli("init", db=False)
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE((isolated / "npscli.toml").stat().st_mode) == 0o600
