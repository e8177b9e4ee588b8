"""The indexes of responses earn their keep: the queries that need them use them, on both backends.

The plans are read from the databases themselves (EXPLAIN on the statements the store code really runs,
captured as it runs them). On PostgreSQL a table of a few rows is read whole whatever the indexes, so there
the question asked is whether an index *can* serve the statement: with sequential scans disabled, a partial
index whose condition the statement does not imply is never chosen.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from tests.storefill import fill

from npscli.store.engine import open_store
from npscli.store.ticket_stats import _recovered_response_pks
from npscli.store.tickets import TicketFilter, apply_action, list_tickets, show_ticket

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request, tmp_path):
    url = str(tmp_path / "s.db") if request.param == "sqlite" else request.getfixturevalue("pg_url")
    store = open_store(url)
    yield store
    store.dispose()


@contextmanager
def statements(store, starts: str):
    """The (statement, parameters) the store runs while in the block whose text starts with ``starts``."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(starts.upper()) and not executemany:
            seen.append((statement, parameters))

    event.listen(store.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", record)


def plan(store, statement: str, parameters) -> str:
    """The database's plan of the statement, as one text."""
    with store.engine.connect() as conn:
        raw = conn.connection.dbapi_connection.cursor()
        if "npscli_ticket_themes" in statement:  # the import's temporary table (dropped at its commit on PostgreSQL)
            key = "comment" if store.dialect == "sqlite" else "digest"
            columns = f"{key} TEXT PRIMARY KEY, cause TEXT, themes TEXT"
            raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS npscli_ticket_themes ({columns})")
        if store.dialect == "sqlite":
            rows = raw.execute("EXPLAIN QUERY PLAN " + statement, parameters).fetchall()
            text = "\n".join(str(row[-1]) for row in rows)
        else:
            raw.execute("SET enable_seqscan = off")
            raw.execute("SET enable_bitmapscan = off")
            raw.execute("EXPLAIN " + statement, parameters)
            text = "\n".join(row[0] for row in raw.fetchall())
        raw.close()
        conn.rollback()
    return text


def patients(n: int) -> list[dict]:
    """Detractors, a third with a patient id, a third with only an e-mail, a third with neither."""
    out = []
    for i in range(n):
        kind = i % 3
        out.append(
            {
                "response_id": f"r{i}",
                "submitted_at": T0 + timedelta(hours=i),
                "score": 2,
                "patient_id": f"P{i}" if kind == 0 else None,
                "email": f"Person{i}@Example.org" if kind == 1 else None,
                "location": "Downtown",
            }
        )
    return out


def test_recovery_looks_patients_up_through_the_partial_indexes(store):
    fill(store, patients(30))
    fill(
        store,
        [  # the next responses of two patients: one by patient id, one by e-mail (any case)
            {"response_id": "n0", "submitted_at": T0 + timedelta(days=9), "score": 9, "patient_id": "P0"},
            {"response_id": "n1", "submitted_at": T0 + timedelta(days=9), "score": 10, "email": "person1@example.ORG"},
        ],
    )
    tickets = list_tickets(store, TicketFilter())
    with statements(store, "SELECT") as seen:
        recovered = _recovered_response_pks(store, tickets, 6)
    by_response = {t["response_id"]: t["response_pk"] for t in tickets}
    assert recovered == {by_response["r0"], by_response["r1"]}
    plans = [plan(store, statement, parameters) for statement, parameters in seen]
    assert len(plans) == 2  # one per kind of key
    assert any("ix_responses_patient_id_present" in p for p in plans), plans
    assert any("ix_responses_email_lower_present" in p for p in plans), plans


def test_the_partial_indexes_leave_out_the_responses_without_the_key(store):
    fill(store, patients(30))
    with store.read() as conn:
        if store.dialect == "sqlite":
            sizes = dict(
                conn.exec_driver_sql(
                    "SELECT name, (SELECT count(*) FROM pragma_index_info(name)) FROM sqlite_master "
                    "WHERE type = 'index' AND tbl_name = 'responses'"
                ).all()
            )
            assert "ix_responses_batch" not in sizes
            counts = {
                name: conn.exec_driver_sql(f'SELECT count(*) FROM responses INDEXED BY "{name}" WHERE {cond}').scalar()
                for name, cond in (
                    ("ix_responses_patient_id_present", "patient_id IS NOT NULL"),
                    ("ix_responses_email_lower_present", "email IS NOT NULL"),
                )
            }
            assert counts == {"ix_responses_patient_id_present": 10, "ix_responses_email_lower_present": 10}
        definitions = dict(
            conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses'"
                if store.dialect == "sqlite"
                else "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'responses'"
            ).all()
        )
    assert "ix_responses_batch" not in definitions
    assert "WHERE" in definitions["ix_responses_patient_id_present"].upper()
    assert "WHERE" in definitions["ix_responses_email_lower_present"].upper()


def test_a_new_batch_is_read_as_a_range_of_ids_not_through_an_index_on_the_batch(store):
    """The cron import into a large store: its tickets open from the new rows alone (a range of the primary
    key), and its counts are those of its own rows, whatever the store held before. (PostgreSQL plans by its
    statistics, which the import refreshes after a large load: here taken with ANALYZE.)"""
    fill(store, patients(2000))
    if store.dialect == "postgresql":
        with store.write() as conn:
            conn.exec_driver_sql("ANALYZE responses")
    more = patients(2006)[2000:] + [dict(patients(1)[0])]  # six new, one already stored
    with statements(store, "INSERT INTO tickets") as seen:
        result = fill(store, more)
    assert (result.imported, result.duplicates, result.tickets_opened) == (6, 1, 6)
    [(statement, parameters)] = seen
    text = plan(store, statement, parameters)
    if store.dialect == "sqlite":
        assert "INTEGER PRIMARY KEY (rowid>?)" in text, text
    else:
        assert "responses_pkey" in text, text


def test_an_import_counts_only_its_own_rows_when_ids_of_the_store_are_not_contiguous(store):
    """Responses deleted from the top of the id range (a store restored or edited by hand): the next batch's
    rows still count and open tickets exactly."""
    fill(store, patients(10))
    with store.write() as conn:
        conn.exec_driver_sql("DELETE FROM ticket_events WHERE ticket_id IN (SELECT id FROM tickets WHERE id > 7)")
        conn.exec_driver_sql("DELETE FROM tickets WHERE id > 7")
        conn.exec_driver_sql("DELETE FROM responses WHERE id > 7")
    result = fill(store, patients(14)[8:])
    assert (result.imported, result.duplicates, result.tickets_opened) == (6, 0, 6)
    assert len(list_tickets(store, TicketFilter())) == 13


def test_a_tickets_history_is_read_through_its_index_in_id_order(store):
    fill(store, patients(30))
    apply_action(store, 3, "assign", actor="lead", now=T0 + timedelta(days=1), assignee="Maria")
    with statements(store, "SELECT") as seen:
        _ticket, events = show_ticket(store, 3)
    assert [e["kind"] for e in events] == ["opened", "assigned"]
    [text] = [plan(store, st, params) for st, params in seen if "ticket_events" in st]
    assert "ix_ticket_events_ticket_id" in text, text
    if store.dialect == "sqlite":
        assert "TEMP B-TREE" not in text  # the index gives the id order: no sort


@pytest.mark.postgres
def test_postgres_finds_a_batch_by_the_ids_it_took_even_below_the_largest_stored(pg_url):
    """PostgreSQL ids come from a sequence, which need not hand out ids above every stored one (a sequence
    set back, or one caching values per session): the batch's rows are found by the ids its inserts
    returned, not by the largest id before it."""
    store = open_store(pg_url)
    try:
        with store.write() as conn:
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('responses', 'id'), 1000)")
        fill(store, patients(5))  # ids 1001-1005
        with store.write() as conn:
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('responses', 'id'), 10)")
        result = fill(store, patients(12)[5:] + [patients(1)[0]])  # seven new ones (ids from 11), one stored
        assert (result.imported, result.duplicates, result.tickets_opened) == (7, 1, 7)
        assert len(list_tickets(store, TicketFilter())) == 12
    finally:
        store.dispose()
