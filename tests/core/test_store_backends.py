"""The store on both backends: migrations, copy SQLite <-> PostgreSQL, backup, check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select
from tests.storefill import fill

from npscli.core.errors import ConflictError, StoreError
from npscli.store import migrations, schema
from npscli.store.engine import open_store
from npscli.store.maintenance import backup, check, copy_store, table_counts
from npscli.store.tickets import apply_action, show_ticket

T0 = datetime(2025, 11, 3, 9, 0, tzinfo=UTC)
INDEX_NAMES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses'",
    "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename = 'responses'",
}


def sample(store):
    fill(
        store,
        [
            {
                "response_id": f"r{i}",
                "submitted_at": T0 + timedelta(hours=i),
                "score": i % 11,
                "comment": 'Espera larga — "muy" mal\nsegunda línea',
                "location": "Downtown",
            }
            for i in range(40)
        ],
    )
    apply_action(store, 1, "assign", actor="lead", now=T0, assignee="Maria")
    apply_action(store, 1, "contacted", actor="maria", now=T0 + timedelta(hours=1), channel="call")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "s.db")
    return request.getfixturevalue("pg_url")


def test_migrations_from_an_older_version_keep_data(url):
    store = open_store(url, migrate=False)
    assert migrations.upgrade(store, target=1) == [1]
    fill_v1 = inspect(store.engine).get_table_names()
    assert "responses" in fill_v1 and "tickets" not in fill_v1
    with store.write() as conn:
        conn.execute(
            schema.import_batches.insert().values(
                id=1,
                source="s",
                file_name="f.csv",
                sha256="0" * 64,
                layout="plain",
                imported_at=T0.replace(tzinfo=None),
                imported_by="x",
                rows_read=1,
                imported=1,
                duplicates=0,
                skipped=0,
                excluded=0,
                rejected=0,
                tickets_opened=0,
            )
        )
    assert migrations.upgrade(store) == [n for n, _, _ in migrations.MIGRATIONS if n > 1]
    with store.read() as conn:
        assert conn.execute(select(schema.import_batches.c.file_name)).scalar_one() == "f.csv"
    assert migrations.upgrade(store) == []
    store.dispose()


def test_migration_4_replaces_the_index_set_of_an_older_store(url):
    """A store made by version 3 carries the old, redundant indexes: migration 4 drops them and creates the
    covering ones, keeping every row."""
    store = open_store(url, migrate=False)
    assert migrations.upgrade(store, target=3) == [1, 2, 3]
    with store.write() as conn:
        for name in schema.RETIRED_RESPONSE_INDEXES[:3]:  # as version 3 created them
            column = {"ix_responses_location_department": "location"}.get(name, name.removeprefix("ix_responses_"))
            conn.exec_driver_sql(f"CREATE INDEX {name} ON responses ({column})")
        for index in schema.responses.indexes:
            conn.exec_driver_sql(f"DROP INDEX {index.name}")
    store.dispose()
    store = open_store(url, migrate=False)
    sample(store)  # data written under version 3
    with store.read() as conn:
        names = set(conn.exec_driver_sql(INDEX_NAMES[store.dialect]).scalars())
    assert set(schema.RETIRED_RESPONSE_INDEXES[:3]) <= names
    assert migrations.upgrade(store, target=4) == [4]
    with store.read() as conn:  # (reflection skips expression indexes on SQLite: ask the catalogue)
        after = set(conn.exec_driver_sql(INDEX_NAMES[store.dialect]).scalars())
    assert not after & set(schema.RETIRED_RESPONSE_INDEXES)
    assert {ix.name for ix in schema.responses.indexes} <= after
    with store.read() as conn:  # (table_counts would ask for the tables of later migrations too)
        assert conn.exec_driver_sql("SELECT count(*) FROM responses").scalar_one() == 40
    store.dispose()


def test_migration_5_adds_the_emerging_issue_alerts_to_an_older_store(url):
    from sqlalchemy import inspect

    store = open_store(url, migrate=False)
    assert migrations.upgrade(store, target=4) == [1, 2, 3, 4]
    sample(store)
    with store.read() as conn:
        assert not inspect(conn).has_table("emerging_alerts")
    assert migrations.upgrade(store) == list(range(5, migrations.LATEST + 1))
    with store.read() as conn:
        assert inspect(conn).has_table("emerging_alerts")
    counts = table_counts(store)
    assert counts["responses"] == 40 and counts["emerging_alerts"] == 0
    assert migrations.upgrade(store) == []
    store.dispose()


def test_migration_6_adds_the_stamped_date_to_the_batches_of_an_older_store(url):
    """A store made at version 4 has import batches without stamped_at (--date): migration 6 adds it, empty for
    the batches already there, and the store then records it."""
    store = open_store(url, migrate=False)
    assert migrations.upgrade(store, target=4) == [1, 2, 3, 4]
    with store.write() as conn:
        conn.exec_driver_sql("ALTER TABLE import_batches DROP COLUMN stamped_at")  # as version 4 created it
    assert "stamped_at" not in {c["name"] for c in inspect(store.engine).get_columns("import_batches")}
    with store.write() as conn:
        conn.execute(
            schema.import_batches.insert().values(  # a batch as version 4 wrote it
                source="s", file_name="f.csv", sha256="0" * 64, layout="plain", imported_at=T0.replace(tzinfo=None),
                imported_by="x", rows_read=1, imported=1, duplicates=0, skipped=0, excluded=0, rejected=0,
                tickets_opened=0,
            )
        )  # fmt: skip
    store.dispose()
    store = open_store(url, migrate=False)
    assert migrations.upgrade(store) == list(range(5, migrations.LATEST + 1))
    sample(store)  # written by this version
    with store.read() as conn:
        stamped = conn.execute(
            select(schema.import_batches.c.file_name, schema.import_batches.c.stamped_at).order_by(
                schema.import_batches.c.id
            )
        ).all()
    assert stamped[0] == ("f.csv", None) and len(stamped) == 2
    assert table_counts(store)["responses"] == 40
    store.dispose()


def test_newer_schema_is_refused(url):
    store = open_store(url)
    with store.write() as conn:
        conn.execute(
            schema.schema_versions.insert().values(
                version=999, description="future", applied_at=T0.replace(tzinfo=None)
            )
        )
    store.dispose()
    with pytest.raises(StoreError) as err:
        open_store(url)
    assert "newer" in str(err.value)


def test_copy_sqlite_to_postgres_and_back(tmp_path, pg_url):
    src = open_store(str(tmp_path / "a.db"))
    sample(src)
    pg = open_store(pg_url)
    counts = copy_store(src, pg)
    assert counts == table_counts(src) and counts["responses"] == 40
    t, events = show_ticket(pg, 1)
    assert t["status"] == "contacted" and [e["kind"] for e in events] == ["opened", "assigned", "call"]
    assert t["comment"].endswith("segunda línea")
    # ids keep counting after the copied rows
    fill(pg, [{"response_id": "new", "submitted_at": T0, "score": 0}])
    with pg.read() as conn:
        assert (
            conn.execute(select(schema.tickets.c.id).order_by(schema.tickets.c.id.desc())).first()[0]
            == counts["tickets"] + 1
        )
    back = open_store(str(tmp_path / "b.db"))
    assert copy_store(pg, back) == table_counts(pg)
    with pytest.raises(ConflictError):
        copy_store(src, back)
    for s in (src, pg, back):
        s.dispose()


def test_backup_and_check(url, tmp_path):
    store = open_store(url)
    sample(store)
    counts = backup(store, tmp_path / "backup.db")
    copy = open_store(str(tmp_path / "backup.db"))
    assert table_counts(copy) == counts == table_counts(store)
    assert all(f["status"] != "problem" for f in check(copy))
    assert all(f["status"] != "problem" for f in check(store))
    copy.dispose()
    store.dispose()


def test_check_finds_a_broken_batch(tmp_path):
    store = open_store(str(tmp_path / "c.db"))
    sample(store)
    with store.write() as conn:
        conn.execute(schema.import_batches.update().values(rows_read=999))
    problems = [f["check"] for f in check(store) if f["status"] == "problem"]
    assert problems == ["every input row accounted for"]
    store.dispose()


def test_sqlite_foreign_keys_are_off_only_inside_a_bulk_import(tmp_path):
    """An import's transaction skips SQLite's per-row foreign key lookups (it references only rows it has
    just written); every other transaction on the same pooled connection checks them again."""
    from sqlalchemy.exc import IntegrityError

    store = open_store(str(tmp_path / "s.db"))
    sample(store)  # an import: a bulk transaction
    with store.write(bulk=True) as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
    for transaction in (store.write, store.read, store.write):
        with transaction() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with pytest.raises(IntegrityError), store.engine.connect() as conn, conn.begin():
        conn.exec_driver_sql(
            "INSERT INTO ticket_events (ticket_id, at, actor, kind) VALUES (999, '2025-01-01', 'x', 'opened')"
        )
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    store.dispose()


def test_migration_7_adds_the_attempt_time_to_the_alert_deliveries_of_an_older_store(url):
    """A store at version 6 has alert deliveries without attempted_at: migration 7 adds it, empty (not
    uncertain) for the deliveries already there."""
    store = open_store(url, migrate=False)
    assert migrations.upgrade(store, target=6) == [1, 2, 3, 4, 5, 6]
    with store.write() as conn:
        conn.exec_driver_sql("ALTER TABLE alert_deliveries DROP COLUMN attempted_at")  # as version 6 created it
    sample(store)
    with store.write() as conn:
        pk = conn.execute(select(schema.responses.c.id).limit(1)).scalar_one()
        conn.exec_driver_sql(
            "INSERT INTO alert_deliveries (response_pk, recipient, channel, status, attempts, created_at) "
            f"VALUES ({pk}, 'px@example.org', 'email', 'pending', 0, '2025-11-10 09:00:00')"
        )
    store.dispose()
    store = open_store(url, migrate=False)
    assert migrations.upgrade(store) == list(range(7, migrations.LATEST + 1))
    from npscli.store import alerts as book

    [row] = book.pending(store)
    assert row["recipient"] == "px@example.org" and row["attempted_at"] is None
    book.mark_attempted(store, [row], now=T0)
    assert book.pending(store)[0]["attempted_at"] == T0.replace(tzinfo=None)
    book.mark_failed(store, [row], error="refused")
    assert book.pending(store)[0]["attempted_at"] is None  # failed for sure: not uncertain
    store.dispose()


def test_migration_8_adds_the_attempt_time_to_the_emerging_issue_alerts_of_an_older_store(url):
    """A store at version 7 has emerging-issue alerts without attempted_at: migration 8 adds it, empty (not
    uncertain) for the alerts already there."""
    store = open_store(url, migrate=False)
    assert migrations.upgrade(store, target=7) == [1, 2, 3, 4, 5, 6, 7]
    with store.write() as conn:
        conn.exec_driver_sql("ALTER TABLE emerging_alerts DROP COLUMN attempted_at")  # as version 7 created it
        conn.exec_driver_sql(
            "INSERT INTO emerging_alerts (theme, group_by, group_value, first_flagged, recipient, status, attempts, "
            "summary, created_at) VALUES ('scheduling', 'location', 'Downtown', '2025-11-03', 'px@example.org', "
            "'pending', 0, 'Scheduling complaints rose at Downtown', '2025-11-10 09:00:00')"
        )
    store.dispose()
    store = open_store(url, migrate=False)
    assert migrations.upgrade(store) == list(range(8, migrations.LATEST + 1))
    from npscli.store import emerging as issue_book

    [row] = issue_book.pending(store)
    assert row["recipient"] == "px@example.org" and row["attempted_at"] is None
    issue_book.mark_attempted(store, [row], now=T0)
    assert issue_book.pending(store)[0]["attempted_at"] == T0.replace(tzinfo=None)
    issue_book.mark_failed(store, [row], error="refused")
    [failed] = issue_book.pending(store)
    assert failed["attempted_at"] is None and failed["attempts"] == 1  # failed for sure: not uncertain
    store.dispose()


def test_migration_9_drops_the_batch_index_and_makes_the_recovery_indexes_partial(url):
    """A store at version 8 has an index on batch_id, full indexes on patient_id and lower(email) and the
    history indexed by (ticket_id, at), as version 8 created them: migration 9 drops those and creates the
    partial ones and the history's by ticket id, keeping every row;
    the store then imports, opens tickets and finds recovered patients as before."""
    from npscli.store.ticket_stats import ticket_stats

    store = open_store(url, migrate=False)
    assert migrations.upgrade(store, target=8) == list(range(1, 9))
    with store.write() as conn:  # the responses indexes of version 8, exactly
        conn.exec_driver_sql("DROP INDEX ix_responses_patient_id_present")
        conn.exec_driver_sql("DROP INDEX ix_responses_email_lower_present")
        conn.exec_driver_sql("CREATE INDEX ix_responses_batch ON responses (batch_id)")
        conn.exec_driver_sql("CREATE INDEX ix_responses_patient_id ON responses (patient_id)")
        conn.exec_driver_sql("CREATE INDEX ix_responses_email_lower ON responses (lower(email))")
        conn.exec_driver_sql("DROP INDEX ix_ticket_events_ticket_id")
        conn.exec_driver_sql("CREATE INDEX ix_ticket_events_ticket ON ticket_events (ticket_id, at)")
    store.dispose()
    store = open_store(url, migrate=False)
    sample(store)  # 40 responses written under version 8 (no patient ids, no e-mails)
    fill(store, [{"response_id": "p1", "submitted_at": T0, "score": 2, "patient_id": "P1", "email": "a@example.org"}])
    with store.read() as conn:
        names = set(conn.exec_driver_sql(INDEX_NAMES[store.dialect]).scalars())
    assert set(schema.RETIRED_IN_9) <= names
    assert migrations.upgrade(store) == list(range(9, migrations.LATEST + 1))
    with store.read() as conn:
        after = set(conn.exec_driver_sql(INDEX_NAMES[store.dialect]).scalars())
        assert conn.exec_driver_sql("SELECT count(*) FROM responses").scalar_one() == 41
    assert not after & set(schema.RETIRED_IN_9)
    assert {ix.name for ix in schema.responses.indexes} <= after
    event_indexes = {ix["name"] for ix in inspect(store.engine).get_indexes("ticket_events")}
    assert event_indexes == {"ix_ticket_events_ticket_id"}
    assert [e["kind"] for e in show_ticket(store, 1)[1]] == ["opened", "assigned", "call"]
    result = fill(
        store,
        [
            {"response_id": "p2", "submitted_at": T0 + timedelta(days=3), "score": 10, "patient_id": "P1"},
            {"response_id": "d2", "submitted_at": T0 + timedelta(days=3), "score": 0},
        ],
    )
    assert (result.imported, result.tickets_opened) == (2, 1)
    [overall] = ticket_stats(store, by=None, since=None, until=None, now=T0 + timedelta(days=9), threshold=6)
    assert overall["recovered"] == 1  # P1's next response, found through the new partial index
    assert migrations.upgrade(store) == []
    store.dispose()
