"""Two people at once: real processes importing and updating tickets on one store.

No update may be lost, no ticket duplicated, and "database is locked" must never reach anyone.
"""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from tests.storefill import fill

from npscli.store import schema
from npscli.store.engine import open_store

WORKER = str(Path(__file__).resolve().parents[1] / "concurrency_worker.py")


def run_all(*commands: list[str]) -> None:
    procs = [subprocess.Popen([sys.executable, WORKER, *c], stderr=subprocess.PIPE, text=True) for c in commands]
    errors = [(p.wait(timeout=180), p.stderr.read()) for p in procs]
    for code, err in errors:
        assert "locked" not in err
        assert code == 0, err


def counts(url: str) -> dict[str, int]:
    store = open_store(url)
    with store.read() as conn:
        out = {
            "responses": conn.execute(select(func.count()).select_from(schema.responses)).scalar_one(),
            "tickets": conn.execute(select(func.count()).select_from(schema.tickets)).scalar_one(),
            "detractors": conn.execute(
                select(func.count()).select_from(schema.responses).where(schema.responses.c.score <= 6)
            ).scalar_one(),
            "notes": conn.execute(
                select(func.count()).select_from(schema.ticket_events).where(schema.ticket_events.c.kind == "note")
            ).scalar_one(),
            "assigned": conn.execute(
                select(func.count()).select_from(schema.ticket_events).where(schema.ticket_events.c.kind == "assigned")
            ).scalar_one(),
        }
    store.dispose()
    return out


def seed(url: str, n: int = 10) -> None:
    store = open_store(url)
    fill(
        store,
        [{"response_id": f"seed{i}", "submitted_at": datetime(2025, 11, 1, tzinfo=UTC), "score": 2} for i in range(n)],
    )
    store.dispose()


def check_import_and_people_in_parallel(url: str) -> None:
    seed(url, 10)
    run_all(
        ["import", url, "a", "12", "40"],
        ["import", url, "b", "12", "40"],
        ["notes", url, "10", "4", "maria"],
        ["notes", url, "10", "4", "jordan"],
        ["assign", url, "10", "3", "lead"],
        ["assign", url, "10", "3", "deputy"],
    )
    c = counts(url)
    assert c["responses"] == 10 + 2 * 12 * 40
    assert c["tickets"] == c["detractors"]  # exactly one ticket per detractor, none twice
    assert c["notes"] == 2 * 10 * 4  # no note lost
    assert c["assigned"] == 2 * 10 * 3  # every reassignment recorded
    # Two people reassigning the same tickets at once: each ticket's assignee is the last one recorded in
    # its history (a lost update would leave the row and its history disagreeing).
    assert assignee_matches_history(url)


def assignee_matches_history(url: str) -> bool:
    T, E = schema.tickets, schema.ticket_events
    store = open_store(url)
    with store.read() as conn:
        last = (
            select(E.c.ticket_id, func.max(E.c.id).label("event_id"))
            .where(E.c.kind == "assigned")
            .group_by(E.c.ticket_id)
            .subquery()
        )
        pairs = conn.execute(
            select(T.c.assignee, E.c.text).join(last, last.c.ticket_id == T.c.id).join(E, E.c.id == last.c.event_id)
        ).all()
    store.dispose()
    return len(pairs) == 10 and all(assignee == text for assignee, text in pairs)


def test_sqlite_cron_import_and_people_updating_tickets(tmp_path):
    check_import_and_people_in_parallel(str(tmp_path / "shared.db"))


def test_postgres_cron_import_and_people_updating_tickets(pg_url):
    check_import_and_people_in_parallel(pg_url)


def test_postgres_first_runs_race_to_migrate(pg_url):
    run_all(
        ["import", pg_url, "x", "2", "20"],
        ["import", pg_url, "y", "2", "20"],
        ["import", pg_url, "z", "2", "20"],
    )
    c = counts(pg_url)
    assert c["responses"] == 3 * 2 * 20 and c["tickets"] == c["detractors"]


def test_sqlite_same_file_imported_twice_at_once(tmp_path):
    check_same_file_imported_twice_at_once(str(tmp_path / "shared.db"))


def test_postgres_same_file_imported_twice_at_once(pg_url):
    check_same_file_imported_twice_at_once(pg_url)


def check_same_file_imported_twice_at_once(url: str) -> None:
    open_store(url).dispose()
    run_all(["import", url, "same", "6", "50"], ["import", url, "same", "6", "50"])
    c = counts(url)
    assert c["responses"] == 6 * 50
    assert c["tickets"] == c["detractors"]


def test_new_store_file_is_private(tmp_path):
    path = tmp_path / "private.db"
    open_store(str(path)).dispose()
    assert (path.stat().st_mode & 0o777) == 0o600


def _wait_for(condition, what: str, *procs: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        for proc in procs:
            assert proc.poll() is None, f"{what}: a worker ended first: {proc.stderr.read()}"
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        time.sleep(0.02)


def test_postgres_overlapping_imports_in_opposite_orders_take_turns(pg_url, tmp_path):
    """Two imports of the same new responses, one export oldest first and the other newest first, the first
    one half-way through its file when the second starts. They used to lock the same new keys in opposite
    orders, and PostgreSQL killed one of them ("deadlock detected"); now the second waits for the first to
    commit: both succeed, and every response is stored, ticketed and counted once."""
    store = open_store(pg_url)
    fill(
        store,
        [
            {
                "response_id": "seed",
                "submitted_at": datetime(2025, 11, 1, tzinfo=UTC),
                "score": 9,
                "location": "Downtown",
            }
        ],
    )  # the site's label exists: neither import adds it (which would queue them)
    paused, go = tmp_path / "up-paused", tmp_path / "go"
    start = [sys.executable, WORKER, "paused-import", pg_url]
    up = subprocess.Popen([*start, "up", "200", str(paused), str(go)], stderr=subprocess.PIPE, text=True)
    down = None
    try:
        _wait_for(paused.exists, "the first import's first half", up)
        down = subprocess.Popen(
            [*start, "down", "200", str(tmp_path / "down-paused")], stderr=subprocess.PIPE, text=True
        )

        def second_waits_for_a_lock() -> bool:
            with store.read() as conn:
                return bool(
                    conn.exec_driver_sql(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND wait_event_type = 'Lock'"
                    ).scalar_one()
                )

        _wait_for(second_waits_for_a_lock, "the second import waiting for the first", up, down)
        go.touch()
        results = [(proc.wait(timeout=120), proc.stderr.read()) for proc in (up, down)]
    finally:
        for proc in (up, down):
            if proc is not None and proc.poll() is None:
                proc.kill()
    for code, err in results:
        assert "deadlock" not in err
        assert code == 0, err
    with store.read() as conn:
        batches = conn.execute(
            select(
                schema.import_batches.c.rows_read, schema.import_batches.c.imported, schema.import_batches.c.duplicates
            ).where(schema.import_batches.c.imported_by.like("cron-%"))
        ).all()
    store.dispose()
    assert sorted(batches) == [(200, 0, 200), (200, 200, 0)]  # every row of each file accounted for once
    c = counts(pg_url)
    assert c["responses"] == 1 + 200 and c["tickets"] == c["detractors"] == sum(n % 11 <= 6 for n in range(200))
