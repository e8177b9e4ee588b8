"""What the store says when the database cannot do what was asked: a full disk, a file that is not a store, a
server that never answers, two writers crossing. One sentence naming the store (never a password), a hint, the
store as it was."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select
from tests.storefill import fill

from npscli.core.errors import StoreError
from npscli.store import engine as store_engine
from npscli.store import schema
from npscli.store.engine import open_store

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


def _rows(prefix: str, count: int) -> list[dict]:
    return [
        {
            "response_id": f"{prefix}{n}",
            "submitted_at": T0 + timedelta(minutes=n),
            "score": n % 11,
            "comment": "The wait was long and nobody told us why. " * 8,
        }
        for n in range(count)
    ]


def _responses(store) -> int:
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(schema.responses)).scalar_one()


def test_a_full_disk_is_said_as_such_and_the_import_keeps_nothing(tmp_path):
    path = tmp_path / "store.db"
    store = open_store(str(path))
    fill(store, _rows("before", 5))
    with store.read() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()

    @event.listens_for(store.engine, "connect")
    def _no_room(dbapi_conn, _record):  # SQLite's own SQLITE_FULL, as a full disk gives it
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 2}")

    store.engine.dispose()  # the next connections get the limit
    with pytest.raises(StoreError) as raised:
        fill(store, _rows("after", 2_000))
    assert str(raised.value) == f"the disk holding the store {path} is full; nothing of this command was kept"
    assert raised.value.hint == f"free some space there (df -h {tmp_path}), then run it again"
    event.remove(store.engine, "connect", _no_room)
    store.engine.dispose()
    assert _responses(store) == 5
    store.dispose()


def test_a_file_that_is_not_a_store_is_named_as_such(tmp_path):
    export = tmp_path / "survey.csv"
    export.write_text("Date,Score\n2025-11-03,9\n" * 200, encoding="utf-8")
    with pytest.raises(StoreError) as raised:
        open_store(str(export))
    assert str(raised.value) == f"{export} is not an npscli store (not a SQLite database)"
    assert "npscli import" in raised.value.hint
    assert export.read_text(encoding="utf-8").startswith("Date,Score\n")  # left as it was


def test_connect_timeout_applies_unless_the_url_or_the_environment_sets_one(monkeypatch):
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    args = store_engine._connect_args
    assert args("postgresql+psycopg://ana@db.clinic.internal/npscli") == {
        "connect_timeout": store_engine.CONNECT_TIMEOUT_S
    }
    assert args("postgresql+psycopg://ana@db.clinic.internal/npscli?connect_timeout=30") == {}
    assert args("sqlite:////tmp/store.db") == {}
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "30")
    assert args("postgresql+psycopg://ana@db.clinic.internal/npscli") == {}


def test_a_server_that_never_answers_fails_in_seconds_without_the_password(monkeypatch):
    """A host that accepts the connection and says nothing (a hung server, a proxy, a firewall): libpq would
    wait for ever, and a cron job with it."""
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)
    monkeypatch.setattr(store_engine, "CONNECT_TIMEOUT_S", 2)  # (libpq's smallest; the default is 10 s)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections complete in the backlog and are never answered
    port = silent.getsockname()[1]
    outcome: list[BaseException | None] = []

    def attempt() -> None:
        try:
            open_store(f"postgresql://ana:Never-Shown-77@127.0.0.1:{port}/npscli").dispose()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout=20)
    elapsed = time.monotonic() - started
    silent.close()  # (ends a hung attempt too)
    worker.join(timeout=20)
    assert elapsed < 15, f"still waiting after {elapsed:.0f} s"
    (error,) = outcome
    assert isinstance(error, StoreError), repr(error)
    assert str(error) == (
        f"the database server of postgresql+psycopg://ana:***@127.0.0.1:{port}/npscli did not answer "
        "(connection timeout expired)"
    )
    assert "PGCONNECT_TIMEOUT" in error.hint
    assert "Never-Shown-77" not in str(error) + error.hint


@pytest.mark.postgres
def test_two_writers_crossing_on_postgresql_one_is_told_to_run_again(pg_url):
    store = open_store(pg_url)
    fill(store, [{"response_id": f"d{n}", "submitted_at": T0, "score": 2} for n in range(2)])
    meet = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def cross(first: int, second: int) -> None:
        try:
            with store.write() as conn:
                T = schema.tickets
                conn.execute(T.update().where(T.c.id == first).values(assignee=f"lead-{first}"))
                meet.wait()
                conn.execute(T.update().where(T.c.id == second).values(assignee=f"lead-{first}"))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    writers = [threading.Thread(target=cross, args=pair) for pair in ((1, 2), (2, 1))]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert len(errors) == 1, errors  # the server chose one; the other committed
    (error,) = errors
    assert isinstance(error, StoreError), repr(error)
    assert "gave way to another npscli process changing the same rows" in str(error)
    assert error.hint == "run it again (it will now find the other's changes)"
    with store.read() as conn:
        assignees = set(conn.execute(select(schema.tickets.c.assignee)).scalars())
    store.dispose()
    assert len(assignees) == 1  # both tickets are the survivor's: nothing of the other was kept


def test_an_import_behind_another_writer_for_too_long_is_told_the_store_is_busy(url, monkeypatch):
    """SQLite's busy timeout and PostgreSQL's wait for the import lock end the same way: one line saying the
    store stayed busy, nothing written (the wait is 60 s; a second here)."""
    from npscli.store import responses

    for module in (store_engine, responses):
        monkeypatch.setattr(module, "BUSY_TIMEOUT_MS", 1_000)
    store = open_store(url)
    fill(store, _rows("before", 3))
    if store.dialect == "sqlite":  # another process's writer, as far as this store can tell
        holder = sqlite3.connect(store.path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
    else:
        holder = store.engine.connect()
        holder.exec_driver_sql(f"SELECT pg_advisory_lock({responses.IMPORT_LOCK})")
    started = time.monotonic()
    try:
        with pytest.raises(StoreError) as raised:
            fill(store, _rows("after", 3))
    finally:
        if store.dialect == "sqlite":
            holder.execute("ROLLBACK")
        else:
            holder.exec_driver_sql(f"SELECT pg_advisory_unlock({responses.IMPORT_LOCK})")
            holder.commit()
        holder.close()
    assert time.monotonic() - started < 10
    assert str(raised.value).endswith(" stayed busy for 1 s")
    assert "try again when it has finished" in raised.value.hint
    assert _responses(store) == 3
    assert fill(store, _rows("after", 3)).imported == 3  # once the other is done, the import goes through
    store.dispose()
