"""Which store a command reads: one line on stderr when stderr is a terminal, never into pipes or files."""

from __future__ import annotations

import os

from tests.cli.conftest import Cli
from tests.cli.test_meta import _on_a_terminal
from tests.factories import response, write_plain


def _export(tmp_path, n: int):
    return write_plain(tmp_path / "e.csv", [response(str(i), "2025-11-03T09:00:00-06:00", i % 11) for i in range(n)])


def _terminal_env(tmp_path, db: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NPSCLI_")}
    env.update(
        HOME=str(tmp_path), NPSCLI_DB=db, NPSCLI_TIMEZONE="America/Chicago", NO_COLOR="1", COLUMNS="200",
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"), XDG_DATA_HOME=str(tmp_path / "xdg-data"),
    )  # fmt: skip
    return env


def test_a_store_command_on_a_terminal_says_which_store_and_how_many_responses(tmp_path):
    db = str(tmp_path / "stores" / "clinic.db")
    cli = Cli(db)
    assert cli("import", _export(tmp_path, 1234)).exit_code == 0
    shown = _on_a_terminal(["score"], _terminal_env(tmp_path, db)).decode()
    assert shown.splitlines()[0] == "store: ~/stores/clinic.db, 1,234 responses"  # home shortened to ~
    assert shown.count("store: ") == 1
    tickets = _on_a_terminal(["tickets", "list", "--status", "all"], _terminal_env(tmp_path, db)).decode()
    assert "store: ~/stores/clinic.db, 1,234 responses" in tickets


def test_the_user_wide_default_store_is_named_too(tmp_path):
    env = _terminal_env(tmp_path, "")
    del env["NPSCLI_DB"]
    default = tmp_path / "xdg-data" / "npscli" / "npscli.db"
    assert Cli(str(default))("import", _export(tmp_path, 3)).exit_code == 0
    shown = _on_a_terminal(["score"], env).decode()
    assert "store: ~/xdg-data/npscli/npscli.db, 3 responses" in shown


def test_a_postgres_url_is_shown_without_its_password(tmp_path, pg_url):
    with_password = pg_url.replace("postgres@", "postgres:s3cret-word@", 1)  # the test server trusts any password
    assert with_password != pg_url
    assert Cli(with_password)("import", _export(tmp_path, 2)).exit_code == 0
    shown = _on_a_terminal(["score"], _terminal_env(tmp_path, with_password)).decode()
    line = next(line for line in shown.splitlines() if line.startswith("store: "))
    assert "s3cret-word" not in shown and line.endswith(", 2 responses") and "postgres:***@" in line


def test_no_store_line_into_pipes_files_or_under_quiet(tmp_path):
    db = str(tmp_path / "clinic.db")
    cli = Cli(db)
    assert cli("import", _export(tmp_path, 2)).exit_code == 0
    piped = cli("score")
    assert piped.exit_code == 0 and "store:" not in piped.output  # CliRunner's stderr is not a terminal
    quiet = _on_a_terminal(["--quiet", "score"], _terminal_env(tmp_path, db)).decode()
    assert "store:" not in quiet


def test_a_shared_store_read_without_a_clinic_zone_says_this_machines_is_used(tmp_path, pg_url, sqlite_db):
    """Two coordinators on one PostgreSQL store, one laptop in another zone: other weeks from the same data."""
    assert Cli(pg_url)("import", _export(tmp_path, 2)).exit_code == 0
    env = _terminal_env(tmp_path, pg_url)
    del env["NPSCLI_TIMEZONE"]
    env["TZ"] = "America/Denver"
    shown = _on_a_terminal(["score"], env).decode()
    assert "the clinic's time zone is not set: this machine's (America/Denver) is used" in " ".join(shown.split())
    told = _on_a_terminal(["score"], {**env, "NPSCLI_TIMEZONE": "America/Chicago"}).decode()
    assert "store: " in told and "time zone is not set" not in told
    assert Cli(sqlite_db)("import", _export(tmp_path, 2)).exit_code == 0  # one person's own file: nothing to say
    own = _on_a_terminal(["score"], {**env, "NPSCLI_DB": sqlite_db}).decode()
    assert "store: " in own and "time zone is not set" not in own
