"""`npscli db copy | backup | check` through the CLI, on both backends, with real files and servers."""

from __future__ import annotations

import json
import os
import stat
import string
from datetime import datetime
from pathlib import Path

import pytest
from tests.cli.conftest import Cli
from tests.factories import response, write_plain


def filled(cli, tmp_path: Path) -> dict[str, int]:
    """A store with responses, a batch, tickets and their history; its row counts per table."""
    rows = [response(str(i), f"2025-11-0{3 + i % 4}T10:00:00-06:00", i % 11, "slow") for i in range(30)]
    r = cli("import", write_plain(tmp_path / "export.csv", rows), "--format", "json")
    assert r.exit_code == 0, r.output
    note = cli("tickets", "note", "T-000001", "called, left a message", "--by", "ana")
    assert note.exit_code == 0, note.output
    check = cli("db", "check", "--format", "json")
    assert check.exit_code == 0, check.output
    findings = {f["check"]: f for f in json.loads(check.stdout)}
    assert findings["schema version"]["status"] == "ok"
    return dict(part.rsplit(" ", 1) for part in findings["rows"]["detail"].split(", "))


def test_backup_check_and_copy_to_sqlite(cli, tmp_path, db):
    counts = filled(cli, tmp_path)
    assert int(counts["responses"]) == 30 and int(counts["ticket_events"]) > int(counts["tickets"]) > 0
    backup = tmp_path / "backups" / "npscli.db"
    backup.parent.mkdir()
    r = cli("db", "backup", backup)
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600  # patient data: owner only
    again = cli("db", "backup", backup)
    assert again.exit_code == 6 and "--force" in again.stderr  # a conflict, like every refusal to overwrite
    copy = tmp_path / "copy.db"
    r = cli("db", "copy", "--to", copy, "--format", "json")
    assert r.exit_code == 0, r.output
    assert {row["table"]: str(row["rows"]) for row in json.loads(r.stdout)} == counts
    assert "counts verified" in r.stderr
    for other in (backup, copy):
        shown = Cli(str(other))("db", "check", "--format", "json")
        assert shown.exit_code == 0, shown.output
        assert all(f["status"] != "problem" for f in json.loads(shown.stdout))
        history = Cli(str(other))("tickets", "show", "T-000001", "--format", "json")
        assert history.exit_code == 0 and "called, left a message" in history.stdout
    refused = cli("db", "copy", "--to", copy)
    assert refused.exit_code == 6 and "not empty" in refused.stderr


def test_a_sqlite_store_moves_to_postgres_and_keeps_working(tmp_path, sqlite_db, pg_url):
    local = Cli(sqlite_db)
    counts = filled(local, tmp_path)
    r = local("db", "copy", "--to", pg_url, "--format", "json")
    assert r.exit_code == 0, r.output
    assert {row["table"]: str(row["rows"]) for row in json.loads(r.stdout)} == counts
    team = Cli(pg_url)
    more = [response(f"n{i}", "2025-11-10T10:00:00-06:00", 2) for i in range(3)]
    r = team("import", write_plain(tmp_path / "next.csv", more), "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)[0]["tickets_opened"] == 3  # new ids follow the copied ones
    listed = json.loads(team("tickets", "list", "--status", "all", "--format", "json").stdout)
    ids = [t["ticket_id"] for t in listed]
    assert len(ids) == len(set(ids)) == int(counts["tickets"]) + 3
    assert team("db", "check").exit_code == 0


def test_an_unreachable_server_is_one_line_with_a_hint_and_no_password():
    from servers import free_port

    url = f"postgresql://ana:hunter2@127.0.0.1:{free_port()}/npscli"
    r = Cli(url)("db", "check")
    assert r.exit_code == 4
    assert "hunter2" not in r.output and "Traceback" not in r.output
    assert "127.0.0.1" in r.stderr and "hint:" in r.stderr


def test_team_mode_database_owned_by_the_team_user(pg_url):
    """The README's set-up: a login role that owns the database. Without ownership (PostgreSQL 15+ no longer
    lets everyone create tables in `public`) the error says how to fix it."""
    from uuid import uuid4

    import psycopg

    from servers import libpq_url

    role = f"team_{uuid4().hex[:12]}"
    dbname = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")  # as PostgreSQL 15+ does
    team_url = pg_url.replace("://postgres@", f"://{role}@", 1)
    refused = Cli(team_url)("db", "check")
    assert refused.exit_code == 4 and "Traceback" not in refused.output
    assert "permission denied" in refused.stderr and "--owner" in refused.stderr
    with psycopg.connect(libpq_url(pg_url), autocommit=True) as conn:
        conn.execute(f"ALTER DATABASE {dbname} OWNER TO {role}")
        conn.execute(f"ALTER SCHEMA public OWNER TO {role}")
    r = Cli(team_url)("db", "check")
    assert r.exit_code == 0, r.output


def test_a_command_on_a_store_that_is_not_there_says_so_and_creates_nothing(tmp_path):
    """A mistyped --db must not pass for an empty store (n = 0): only an import creates a store."""
    missing = tmp_path / "typo" / "npscli.db"
    cli = Cli(str(missing))
    for args in (("score",), ("detractors",), ("tickets", "list"), ("imports",), ("report", "weekly"), ("db", "check")):
        result = cli(*args)
        assert result.exit_code == 5, (args, result.output)
        assert result.stderr.startswith(f"npscli: error: no store at {missing}: nothing has been imported into it")
        assert "npscli import FILE" in result.stderr and "Traceback" not in result.output
    assert not missing.parent.exists()
    dry = cli("import", write_plain(tmp_path / "e.csv", [response("1", "2025-11-03T10:00:00-06:00", 3)]), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert not missing.exists()
    real = cli("import", tmp_path / "e.csv")
    assert real.exit_code == 0, real.output
    assert missing.exists() and cli("score").exit_code == 0


SECRET = "Secret9"
# Every way a password can sit in a PostgreSQL URL: percent-encoded or not (a raw @ / # ? : in it), in the
# query string, or both.
PASSWORD_FORMS = [
    "postgresql://ana:{pw}@{host}/{db}",
    "postgresql://ana:p@ss-{pw}@{host}/{db}",
    "postgresql://ana:pa/ss{pw}@{host}/{db}",
    "postgresql://ana:pa#ss{pw}@{host}/{db}",
    "postgresql://ana:pa?ss{pw}@{host}/{db}",
    "postgresql://ana:pa:ss{pw}@{host}/{db}",
    "postgresql://ana:p%40ss{pw}@{host}/{db}",
    "postgresql://ana@{host}/{db}?password={pw}",
    "postgresql://ana@{host}/{db}?sslmode=prefer&password={pw}&application_name=x",
    "postgresql+psycopg://ana:{pw}@{host}/{db}?password={pw}",
    # an @ in another query value is not the end of the user part
    "postgresql://ana:{pw}@{host}/{db}?application_name=a@b",
    "postgresql://ana:p@ss-{pw}@{host}/{db}?application_name=x@y",
    "postgresql://ana@{host}/{db}?application_name=a@b&password={pw}",
]


@pytest.mark.parametrize("form", PASSWORD_FORMS)
def test_a_password_is_masked_in_every_form_of_url(form):
    from npscli.store.engine import redact_url

    shown = redact_url(form.format(pw=SECRET, host="db.example.org:5432", db="nps"))
    assert SECRET not in shown and "ss" not in shown.split("@")[0].split(":", 2)[-1], shown
    assert "ana" in shown and "db.example.org" in shown and "***" in shown


@pytest.mark.parametrize(
    "url, password",
    [
        ("postgresql://ana:Secret9@db.example.org:5432/nps?application_name=a@b", "Secret9"),
        ("postgresql://ana:p@ss-Secret9@db.example.org:5432/nps?application_name=a@b", "p@ss-Secret9"),
        ("postgresql://ana@db.example.org:5432/nps?application_name=a@b", None),
        ("postgresql://db.example.org:5432/nps?application_name=a@b&password=Secret9", None),
    ],
)
def test_an_at_sign_in_a_query_value_leaves_host_database_and_query_as_written(url, password):
    """The user part ends at the @ before the host, not at the last @ of the URL: nothing is mangled or leaked."""
    from sqlalchemy.engine import make_url

    from npscli.store.engine import redact_url, scrub_secrets, to_url

    parsed = make_url(to_url(url))
    assert (parsed.host, parsed.port, parsed.database) == ("db.example.org", 5432, "nps")
    assert parsed.password == password and parsed.query["application_name"] == "a@b"
    shown = redact_url(url)
    assert "Secret9" not in shown and "db.example.org:5432/nps?application_name=a" in shown, shown
    message = f"connection to server at db.example.org failed for {url}"
    assert "Secret9" not in scrub_secrets(message, url) and "db.example.org" in scrub_secrets(message, url)


def test_any_raw_password_and_at_signs_in_query_values_parse_as_written_and_never_show():
    """Property: a password of URL punctuation written raw, and query values with @ in them, give back that
    password, host, database and query, and the password is in neither the masked URL nor a scrubbed message."""
    from hypothesis import assume, given, settings
    from hypothesis import strategies as st
    from sqlalchemy.engine import make_url

    from npscli.store.engine import redact_url, scrub_secrets, to_url

    alphabet = st.sampled_from(string.ascii_letters + string.digits + "@/#?:-_.!~*")
    passwords = st.text(alphabet, min_size=6, max_size=14).filter(lambda pw: any(c.isalnum() for c in pw))
    values = st.text(st.sampled_from(string.ascii_letters + "@-."), min_size=1, max_size=8)

    @settings(max_examples=150, deadline=None)
    @given(passwords, st.lists(values, max_size=2))
    def check(password, app_values):
        query = "&".join(f"application_name={v}" if i == 0 else f"options={v}" for i, v in enumerate(app_values))
        assume(password not in query)  # the query's own text is shown as it is
        url = f"postgresql://ana:{password}@db.example.org:5432/nps" + (f"?{query}" if query else "")
        parsed = make_url(to_url(url))
        assert (parsed.username, parsed.password, parsed.host, parsed.database) == (
            "ana",
            password,
            "db.example.org",
            "nps",
        )
        assert [parsed.query.get(k) for k in ("application_name", "options")][: len(app_values)] == app_values
        assert password not in redact_url(url)
        assert password not in scrub_secrets(f"could not connect with {url} ({password})", url)

    check()


@pytest.mark.parametrize("form", PASSWORD_FORMS)
def test_an_unreachable_server_never_prints_the_password_in_any_form(form):
    from servers import free_port

    url = form.format(pw=SECRET, host=f"127.0.0.1:{free_port()}", db="npscli")
    r = Cli(url)("db", "check")
    assert r.exit_code == 4, r.output
    assert SECRET not in r.output and "Traceback" not in r.output
    assert "hint:" in r.stderr


@pytest.mark.parametrize("form", PASSWORD_FORMS)
def test_a_raw_password_in_a_url_reaches_the_real_server(form, pg_url):
    """The suite's server trusts every login: the store opens with the URL as written, password and all."""
    from sqlalchemy.engine import make_url

    real = make_url(pg_url)
    url = form.format(pw=SECRET, host=f"{real.host}:{real.port}", db=real.database).replace("ana", real.username)
    r = Cli(url)("db", "check", "--format", "json")
    assert r.exit_code == 0, r.output
    assert SECRET not in r.output


@pytest.mark.parametrize(
    "url",
    ["postgresql://ana:Secret9@db.example.org:notaport/nps", "postgre sql://ana:Secret9@db.example.org/nps"],
)
def test_an_unparseable_url_is_refused_without_echoing_it(url):
    r = Cli(url)("db", "check")
    assert r.exit_code != 0 and r.exit_code != 1, r.output
    assert SECRET not in r.output and "Traceback" not in r.output
    assert "db.example.org" not in r.output


@pytest.mark.parametrize("form", PASSWORD_FORMS)
def test_config_show_masks_the_password_of_npscli_db(form, monkeypatch):
    monkeypatch.setenv("NPSCLI_DB", form.format(pw=SECRET, host="db.example.org", db="nps"))
    r = Cli("")("config", "show", db=False)
    assert r.exit_code == 0, r.output
    assert SECRET not in r.output


def test_backup_into_a_folder_that_does_not_exist_creates_it_owner_only(cli, tmp_path):
    filled(cli, tmp_path)
    backup = tmp_path / "backups" / "2026" / "npscli-2026-12-02.db"
    r = cli("db", "backup", backup)
    assert r.exit_code == 0, r.output
    assert backup.is_file()
    assert stat.S_IMODE(os.stat(backup.parent).st_mode) == 0o700  # the folder holds patient data too
    assert "internal error" not in r.stderr


def test_backup_to_an_unwritable_path_is_a_one_line_error(sqlite_db, tmp_path):
    local = Cli(sqlite_db)
    filled(local, tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    r = local("db", "backup", blocker / "npscli.db")
    assert r.exit_code == 4, r.output
    assert "internal error" not in r.stderr
    assert r.stderr.startswith("npscli: error: cannot write the backup") and str(blocker) in r.stderr
    assert len(r.stderr.strip().splitlines()) == 2  # the message and its hint
    folder = tmp_path / "existing-folder"
    folder.mkdir()
    r = local("db", "backup", folder, "--force")
    assert r.exit_code == 4, r.output
    assert "internal error" not in r.stderr and "cannot write the backup" in r.stderr
    assert folder.is_dir() and not list(folder.iterdir()) and not list(tmp_path.glob("*.partial"))
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            r = local("db", "backup", locked / "npscli.db")
        finally:
            locked.chmod(0o700)
        assert r.exit_code == 4, r.output
        assert "internal error" not in r.stderr and "cannot write the backup" in r.stderr


def test_a_driver_message_loses_every_piece_of_the_password_and_a_sqlite_path_is_shown_as_it_is():
    from npscli.store.engine import redact_url, scrub_secrets, to_url

    text = scrub_secrets("failed to resolve host 'ss-Secret9@127.0.0.1'", "postgresql://ana:pa@ss-Secret9@127.0.0.1/d")
    assert "Secret9" not in text and "127.0.0.1" in text
    for path in ("sqlite:////tmp/a:x y@c.db", "sqlite:////tmp/plain.db"):
        assert to_url(path) == path and redact_url(path) == path


def test_compact_gives_free_space_back_and_keeps_every_row(cli, tmp_path, db):
    """A store holding free space (here a large table made and dropped, as an upgrade that moves columns
    leaves it): `db compact` gives it back on SQLite, keeps every row, and on PostgreSQL runs VACUUM ANALYZE."""
    from sqlalchemy import text

    from npscli.store.engine import open_store
    from npscli.store.maintenance import store_bytes

    counts = filled(cli, tmp_path)
    store = open_store(db)
    with store.write() as conn:
        conn.execute(text("CREATE TABLE scratch (payload TEXT)"))
        conn.execute(text("INSERT INTO scratch VALUES (:p)"), [{"p": "x" * 4000} for _ in range(500)])
    with store.write() as conn:
        conn.execute(text("DROP TABLE scratch"))
    grown = store_bytes(store)
    store.dispose()
    result = cli("db", "compact")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("compacted: ") and " -> " in result.stderr
    store = open_store(db)
    after = store_bytes(store)
    store.dispose()
    if db.endswith(".db"):  # SQLite: the file is rewritten, its WAL folded in
        assert after < grown - 1_500_000  # the 2 MB of the dropped table are gone from the file
        assert not os.path.exists(db + "-wal") or os.path.getsize(db + "-wal") == 0
    check = cli("db", "check", "--format", "json")
    assert check.exit_code == 0, check.output
    findings = {f["check"]: f for f in json.loads(check.stdout)}
    assert dict(part.rsplit(" ", 1) for part in findings["rows"]["detail"].split(", ")) == counts


def test_the_first_command_after_an_upgrade_says_it_upgrades_the_store_once(tmp_path):
    """A store made by an older npscli: the command that upgrades its schema says so on stderr (a large store
    takes a while), naming the versions; the next command says nothing of it."""
    import shutil

    from npscli.store import migrations

    legacy = Path(__file__).resolve().parents[1] / "data" / "legacy" / "store_made_by_main_f65c7d3.db"
    copy = tmp_path / "legacy.db"
    shutil.copyfile(legacy, copy)
    store_cli = Cli(str(copy))
    first = store_cli("score", "--format", "json")
    assert first.exit_code == 0, first.output
    [line] = [line for line in first.stderr.splitlines() if "upgrading" in line]
    assert f"to {migrations.LATEST} (once;" in line and "from version " in line and "db compact" in line
    second = store_cli("score", "--format", "json")
    assert second.exit_code == 0 and "upgrading" not in second.stderr
    quiet = Cli(str(tmp_path / "fresh.db"))(
        "import", write_plain(tmp_path / "e.csv", [response("1", "2025-11-03T10:00:00-06:00", 9, "")])
    )
    assert quiet.exit_code == 0 and "upgrading" not in quiet.stderr  # a new store is made, not upgraded


def _schema_version(path: Path) -> int:
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT max(version) FROM npscli_schema").fetchone()[0]
    finally:
        connection.close()


def _responses(path: Path) -> int:
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT count(*) FROM responses").fetchone()[0]
    finally:
        connection.close()


def test_a_backup_after_installing_a_newer_npscli_is_the_store_as_it_was_and_db_upgrade_then_upgrades_it(tmp_path):
    """The IT person's upgrade: check what would change, back up (the store as the previous npscli left it, so
    that the previous npscli can be put back with it), then upgrade on purpose."""
    import shutil

    from npscli.store import migrations

    legacy = Path(__file__).resolve().parents[1] / "data" / "legacy" / "store_made_by_main_f65c7d3.db"
    store = tmp_path / "legacy.db"
    shutil.copyfile(legacy, store)
    old = _schema_version(store)
    assert old < migrations.LATEST
    cli = Cli(str(store))
    check = cli("db", "upgrade", "--check", "--format", "json")
    assert check.exit_code == 0, check.output
    assert [row["version"] for row in json.loads(check.stdout)] == list(range(old + 1, migrations.LATEST + 1))
    assert f"schema version {old} of {migrations.LATEST}: " in check.stderr and "pending" in check.stderr
    assert _schema_version(store) == old  # --check changes nothing
    backup = tmp_path / "before-upgrade.db"
    saved = cli("db", "backup", backup)
    assert saved.exit_code == 0, saved.output
    assert f"(schema version {old})" in saved.stderr and f"responses {_responses(store)}" in saved.stderr
    assert _schema_version(store) == old and _schema_version(backup) == old  # neither upgraded
    assert _responses(backup) == _responses(store) > 0
    upgraded = cli("db", "upgrade", "--format", "json")
    assert upgraded.exit_code == 0, upgraded.output
    assert [row["version"] for row in json.loads(upgraded.stdout)] == list(range(old + 1, migrations.LATEST + 1))
    assert "upgrading the store's schema" in upgraded.stderr
    assert _schema_version(store) == migrations.LATEST and _schema_version(backup) == old
    again = cli("db", "upgrade", "--format", "json")
    assert again.exit_code == 0 and json.loads(again.stdout) == [] and "already up to date" in again.stderr
    restored = Cli(str(backup))("score", "--format", "json")  # the backup is a store: this npscli upgrades it
    assert restored.exit_code == 0, restored.output
    assert json.loads(restored.stdout)[0]["n"] == _responses(store)


def test_db_upgrade_and_backup_refuse_a_store_newer_than_this_npscli_and_leave_it(cli, tmp_path):
    from sqlalchemy import func, select

    from npscli.store import schema
    from npscli.store.engine import open_store

    filled(cli, tmp_path)
    store = open_store(cli.db, migrate=False)
    versions = schema.schema_versions
    with store.write() as conn:
        conn.execute(versions.insert().values(version=99, description="later", applied_at=datetime(2030, 1, 1)))
    for args in (["db", "upgrade"], ["db", "upgrade", "--check"], ["db", "backup", tmp_path / "b.db"]):
        r = cli(*args)
        assert r.exit_code == 4, r.output
        assert "has schema version 99, newer than this npscli understands" in r.stderr
        assert "pip install -U npscli" in r.stderr and "internal error" not in r.stderr
    with store.read() as conn:
        assert conn.execute(select(func.max(versions.c.version))).scalar_one() == 99
    store.dispose()
    assert not (tmp_path / "b.db").exists()


def test_db_backup_of_a_file_that_is_not_a_store_is_refused(tmp_path):
    export = write_plain(tmp_path / "export.csv", [response("1", "2025-11-03T10:00:00-06:00", 9, "")])
    r = Cli(str(export))("db", "backup", tmp_path / "b.db")
    assert r.exit_code == 4, r.output
    assert f"{export} is not an npscli store" in r.stderr and "internal error" not in r.stderr
    assert not (tmp_path / "b.db").exists()
