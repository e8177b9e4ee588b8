"""The store on both backends: migrations, copy SQLite <-> PostgreSQL, backup, check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select
from tests.storefill import fill

from npscli.config import TicketSettings
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


def test_the_latest_version_is_the_last_migration_and_a_new_store_gets_every_table(url):
    """LATEST is a constant (the up-to-date check builds no migration): it must be the last one, and the tables
    built only on first use are all created in a new store all the same."""
    assert [n for n, _, _ in migrations.MIGRATIONS] == list(range(1, migrations.LATEST + 1))
    store = open_store(url)
    assert set(inspect(store.engine).get_table_names()) == {t.name for t in schema.metadata.sorted_tables}
    assert {"tickets", "ticket_events", "alert_deliveries", "emerging_alerts", "import_batches"} <= set(
        inspect(store.engine).get_table_names()
    )
    store.dispose()


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
            column = {"ix_responses_location_department": "location_id", "ix_responses_provider": "provider_id"}.get(
                name, name.removeprefix("ix_responses_")
            )
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


def test_a_copy_while_an_import_commits_is_the_store_before_it_whole(url, tmp_path):
    """A cron import commits while `db copy` (or `db backup` of a PostgreSQL store, which copies) is between two
    tables: the copy is the store as it was when the copy started, every table of it, never the import's tickets
    without their responses (on PostgreSQL the copy read each table as of its own start, and the import's tickets
    broke the copy's foreign key: an internal error, exit 1)."""
    from sqlalchemy import event

    store = open_store(url)
    sample(store)
    before = table_counts(store)
    cron = open_store(url)  # the cron job's own connection to the store
    imported = []

    @event.listens_for(store.engine, "before_cursor_execute")
    def _cron_commits_now(conn, cursor, statement, parameters, context, executemany):
        if not imported and "FROM tickets ORDER BY" in statement:  # the responses are copied, the tickets next
            imported.append(fill(cron, [{"response_id": f"late{n}", "submitted_at": T0, "score": 1} for n in range(5)]))

    copy = open_store(str(tmp_path / "copy.db"))
    counts = copy_store(store, copy)
    event.remove(store.engine, "before_cursor_execute", _cron_commits_now)
    assert imported and imported[0].tickets_opened == 5  # the import did commit in the middle of the copy
    assert counts == before == table_counts(copy)
    assert all(f["status"] != "problem" for f in check(copy))
    assert table_counts(store)["tickets"] == before["tickets"] + 5  # (and the store has the import)
    for each in (copy, cron, store):
        each.dispose()


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


def test_check_finds_a_group_id_without_its_label(url):
    """The group ids have no foreign key (a check per row on PostgreSQL): `db check` verifies them instead."""
    store = open_store(url)
    sample(store)
    assert [f for f in check(store) if f["check"] == "group ids point at labels"][0]["status"] == "ok"
    with store.write() as conn:
        conn.execute(schema.responses.update().where(schema.responses.c.id == 3).values(location_id=9999))
    problems = {f["check"]: f["detail"] for f in check(store) if f["status"] == "problem"}
    assert problems == {"group ids point at labels": "1 without a label"}
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


def _present(conn):
    """(table, its columns) of the schema as far as the store has them (a later migration may add more)."""
    found = inspect(conn)
    for table in schema.metadata.sorted_tables:
        if found.has_table(table.name):
            names = {column["name"] for column in found.get_columns(table.name)}
            yield table, [c for c in table.c if c.name in names]


def _timestamp_columns(conn):
    return [
        (table, [c for c in columns if isinstance(c.type, schema.Timestamp)])
        for table, columns in _present(conn)
        if any(isinstance(c.type, schema.Timestamp) for c in columns)
    ]


def _every_row(store):
    with store.read() as conn:
        return {
            table.name: conn.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            for table, columns in list(_present(conn))
        }


def _as_version_9_wrote_them(store) -> int:
    """Every time in the SQLite store rewritten as version 9 stored it: SQLAlchemy's DateTime text (the import's
    and ticket opening's raw SQL wrote the same form). Returns how many values."""
    from sqlalchemy.dialects import sqlite

    as_text = sqlite.DATETIME().bind_processor(sqlite.dialect())
    written = 0
    with store.write() as conn:
        for table, columns in _timestamp_columns(conn):
            key = table.primary_key.columns.keys()[0]
            for row in conn.execute(select(table.c[key], *columns)).all():
                values = {c.name: as_text(v) for c, v in zip(columns, row[1:], strict=True) if v is not None}
                if values:
                    sets = ", ".join(f"{name} = ?" for name in values)
                    conn.exec_driver_sql(f"UPDATE {table.name} SET {sets} WHERE {key} = ?", (*values.values(), row[0]))
                    written += len(values)
    return written


def _value_types(store) -> set[str]:
    with store.read() as conn:
        return {
            kind
            for table, columns in _timestamp_columns(conn)
            for c in columns
            for kind in conn.exec_driver_sql(f"SELECT DISTINCT typeof({c.name}) FROM {table.name}").scalars()
        }


def _old_store_with_every_table(url):
    """A store at version 9 with rows in every table that has a time (tickets with a contact and a closing, an
    alert delivery, an emerging-issue alert, a batch stamped with --date), its times as version 9 wrote them;
    and every row as read before they were rewritten so."""
    store = open_store(url, migrate=False)
    assert migrations.upgrade(store, target=9) == list(range(1, 10))
    sample(store)
    closed = T0 + timedelta(days=1, microseconds=999_999)
    apply_action(store, 1, "resolve", actor="maria", now=closed, codes=["wait_time"], text="ok")
    before_epoch = datetime(1969, 7, 20, 20, 17, 40, 1)
    with store.write() as conn:
        batches = schema.import_batches
        conn.execute(batches.update().where(batches.c.id == 1).values(stamped_at=before_epoch))
        conn.execute(
            schema.alert_deliveries.insert().values(
                response_pk=1, recipient="px@example.org", channel="email", status="sent", attempts=1,
                created_at=T0.replace(tzinfo=None), sent_at=datetime(2025, 11, 3, 9, 0, 0, 1), attempted_at=None,
            )
        )  # fmt: skip
        conn.execute(
            schema.emerging_alerts.insert().values(
                theme="scheduling", group_by="location", group_value="Downtown", first_flagged=T0.date(),
                recipient="px@example.org", status="pending", attempts=0, summary="Scheduling complaints rose",
                created_at=datetime(2200, 12, 31, 23, 59, 59, 999_999),
            )
        )  # fmt: skip
    rows = _every_row(store)
    if store.dialect == "sqlite":
        assert _as_version_9_wrote_them(store) > 0
        assert _value_types(store) == {"text", "null"}
    return store, rows


def test_migration_10_stores_every_time_of_an_older_sqlite_store_as_an_integer_exactly(url):
    """A store at version 9 keeps its times as 26 characters of text on SQLite: migration 10 turns each into the
    integer of microseconds, and every row reads back identical; the indexes are as they were. On PostgreSQL
    (timestamp already) it changes nothing."""
    store, expected = _old_store_with_every_table(url)
    with store.read() as conn:
        indexes = set(conn.exec_driver_sql(INDEX_NAMES[store.dialect]).scalars())
        if store.dialect == "sqlite":
            definitions = set(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all())
    assert migrations.upgrade(store, target=10) == [10]
    after = _every_row(store)
    after["npscli_schema"] = [row for row in after["npscli_schema"] if row.version < 10]  # (the record of 10 added)
    assert after == expected
    assert sum(len(rows) for rows in expected.values()) > 100
    with store.read() as conn:
        assert set(conn.exec_driver_sql(INDEX_NAMES[store.dialect]).scalars()) == indexes
        if store.dialect == "sqlite":
            assert set(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE type = 'index'").all()) == (
                definitions
            )
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            # an independent reading of one value: 1969-07-20 20:17:40.000001 UTC, in microseconds since 1970
            assert conn.exec_driver_sql("SELECT stamped_at FROM import_batches WHERE id = 1").scalar_one() == (
                -14_182_940 * 1_000_000 + 1
            )
    if store.dialect == "sqlite":
        assert _value_types(store) == {"integer", "null"}
    # the store works on at the latest version: a window of times, and a new import with tickets
    assert migrations.upgrade(store) == list(range(11, migrations.LATEST + 1))
    with store.read() as conn:
        R = schema.responses
        in_window = conn.execute(
            select(func.count()).where(R.c.submitted_at >= T0.replace(tzinfo=None) + timedelta(hours=10))
        ).scalar_one()
    assert in_window == 30
    result = fill(store, [{"response_id": "late", "submitted_at": T0 + timedelta(days=5), "score": 1}])
    assert (result.imported, result.tickets_opened) == (1, 1)
    assert migrations.upgrade(store) == []
    store.dispose()


def test_migration_10_refuses_a_text_that_is_no_time_and_changes_nothing(tmp_path):
    store, _rows = _old_store_with_every_table(str(tmp_path / "s.db"))
    with store.write() as conn:
        conn.exec_driver_sql("UPDATE tickets SET closed_at = 'yesterday' WHERE id = 2")
    with pytest.raises(StoreError, match=r"tickets\.closed_at holds 1 value\(s\) that are not times"):
        migrations.upgrade(store)
    assert migrations.status(store)["version"] == 9
    assert _value_types(store) == {"text", "null"}
    store.dispose()


OLD_GROUP_INDEXES = (  # the indexes of version 10 on the names, exactly
    "CREATE INDEX ix_responses_groups_score ON responses (location, department, provider, score)",
    "CREATE INDEX ix_responses_location_week_score ON responses (location, period_week, score)",
    "CREATE INDEX ix_responses_window_score ON responses (submitted_at, score, location, period_week)",
)


def _v10_responses():
    """The responses table as version 10 created it: the names as text columns (a copy of today's otherwise)."""
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table

    md = MetaData()
    Table("import_batches", md, Column("id", Integer, primary_key=True))  # the reference's target only
    columns = []
    for column in schema.responses.columns:
        if column.name in ("location_id", "department_id", "provider_id"):
            columns.append(Column(column.name.removesuffix("_id"), String(200)))
        elif column.name == "batch_id":
            columns.append(Column("batch_id", Integer, ForeignKey("import_batches.id"), nullable=False))
        else:
            columns.append(Column(column.name, column.type, primary_key=column.primary_key, nullable=column.nullable))
    return Table("responses_v10", md, *columns)


def _as_version_10(conn) -> None:
    """Turn a store's responses back into the layout of version 10: the names in the table, no label table."""
    for name in schema.RETIRED_IN_11:
        conn.exec_driver_sql(f"DROP INDEX {name}")
    names = {
        field: f"(SELECT value FROM group_labels WHERE id = responses.{field}_id)"
        for field in ("location", "department", "provider")
    }
    if conn.dialect.name == "sqlite":  # (SQLite cannot drop a column a foreign key names: rebuild the table)
        v10 = _v10_responses()
        v10.create(conn)
        targets = ", ".join(c.name for c in v10.columns)
        values = ", ".join(names.get(c.name, c.name) for c in v10.columns)
        conn.exec_driver_sql(f"INSERT INTO responses_v10 ({targets}) SELECT {values} FROM responses")
        conn.exec_driver_sql("DROP TABLE responses")
        conn.exec_driver_sql("ALTER TABLE responses_v10 RENAME TO responses")
        conn.exec_driver_sql("CREATE UNIQUE INDEX uq_v10_key ON responses (source, response_key)")
        for index in ("ix_responses_patient_id_present", "ix_responses_email_lower_present"):
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
    else:
        for field, value in names.items():
            conn.exec_driver_sql(f"ALTER TABLE responses ADD COLUMN {field} VARCHAR(200)")
            conn.exec_driver_sql(f"UPDATE responses SET {field} = {value}")
            conn.exec_driver_sql(f"ALTER TABLE responses DROP COLUMN {field}_id")
    conn.exec_driver_sql("DROP TABLE group_labels")
    for statement in OLD_GROUP_INDEXES:
        conn.exec_driver_sql(statement)


def test_migration_11_moves_the_group_names_to_labels_and_keeps_every_value(url):
    """A store at version 10 holds each response's location, department and provider as text, in the table and
    in three indexes: migration 11 gives each distinct name one label, the responses its id, and the indexes
    on the ids; everything reads back as before (scores by group, detractors, tickets, filters), and the store
    imports and opens tickets with per-location SLAs afterwards."""
    from npscli.store.queries import list_detractors, nps_counts
    from npscli.store.tickets import TicketFilter, list_tickets

    store = open_store(url, migrate=False)
    assert migrations.upgrade(store, target=10) == list(range(1, 11))
    places = [("Downtown", "Primary Care", "Dr. Ada Lee"), ("Northside", None, "Dr. Bo Kim"), (None, "ER", None)]
    fill(
        store,
        [
            {
                "response_id": f"r{i}",
                "submitted_at": T0 + timedelta(hours=i),
                "score": i % 11,
                "location": places[i % 3][0],
                "department": places[i % 3][1],
                "provider": places[i % 3][2],
                "comment": f"comment {i}",
            }
            for i in range(60)
        ],
    )

    def reads():
        counts = nps_counts(
            store,
            group_by=["location", "department", "provider"],
            detractor_max=6,
            promoter_min=9,
            start=None,
            end=None,
            filters={},
        )
        filtered = nps_counts(
            store,
            group_by=["location"],
            detractor_max=6,
            promoter_min=9,
            start=None,
            end=None,
            filters={"department": ("ER", "Primary Care")},
        )
        detractors = list_detractors(store, max_score=6, since=None, until=None, filters={"location": ("Northside",)})
        tickets = list_tickets(store, TicketFilter(provider=("Dr. Ada Lee",)))
        return sorted(counts, key=repr), sorted(filtered, key=repr), detractors, tickets

    before = reads()
    assert {row[0] for row in before[0]} == {"Downtown", "Northside", None}
    assert before[2] and all(d["location"] == "Northside" for d in before[2])
    with store.write(bulk=True) as conn:  # (bulk: no foreign key checks while the table is rebuilt)
        _as_version_10(conn)
    store.dispose()
    store = open_store(url, migrate=False)
    with store.read() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("responses")}
    assert {"location", "department", "provider"} <= columns and "location_id" not in columns
    as_stored = "SELECT response_id, location, department, provider, score FROM {} ORDER BY id"
    with store.read() as conn:
        stored = conn.exec_driver_sql(as_stored.format("responses")).all()
    assert len(stored) == 60 and ("r0", "Downtown", "Primary Care", "Dr. Ada Lee", 0) in stored

    assert migrations.upgrade(store) == list(range(11, migrations.LATEST + 1))
    with store.read() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("responses")}
        labels = conn.exec_driver_sql("SELECT field, value FROM group_labels ORDER BY field, value").all()
        indexes = set(conn.exec_driver_sql(INDEX_NAMES[store.dialect]).scalars())
    assert not {"location", "department", "provider"} & columns
    assert {"location_id", "department_id", "provider_id"} <= columns
    assert labels == [
        ("department", "ER"),
        ("department", "Primary Care"),
        ("location", "Downtown"),
        ("location", "Northside"),
        ("provider", "Dr. Ada Lee"),
        ("provider", "Dr. Bo Kim"),
    ]
    assert {ix.name for ix in schema.responses.indexes} <= indexes
    assert reads() == before
    with store.read() as conn:  # the view shows the table as it was, for one's own SQL
        assert conn.exec_driver_sql(as_stored.format(schema.RESPONSES_NAMED)).all() == stored
        first = conn.exec_driver_sql(f"SELECT submitted_at FROM {schema.RESPONSES_NAMED} ORDER BY id").first()[0]
    assert str(first)[:19] == "2025-11-03 09:00:00"  # T0, as text on SQLite (a datetime on PostgreSQL)
    settings = TicketSettings(sla_hours=48, sla_hours_by_location={"Northside": 4})
    result = fill(
        store,
        [{"response_id": "n1", "submitted_at": T0 + timedelta(days=5), "score": 1, "location": "Northside"}],
        tickets=settings,
    )
    assert (result.imported, result.tickets_opened) == (1, 1)
    [ticket] = list_tickets(store, TicketFilter(location=("Northside",), since=T0 + timedelta(days=4)))
    assert ticket["due_at"] - ticket["submitted_at"] == timedelta(hours=4)
    assert migrations.upgrade(store) == []
    store.dispose()


def test_migration_12_adds_the_stored_themes_to_an_older_stores_tickets(url):
    """A store at version 11 has tickets without themes and batches without the matching's fingerprint:
    migration 12 adds both, empty for what is there (those comments' themes are matched when listed)."""
    from npscli.store.queries import list_detractors

    store = open_store(url, migrate=False)
    assert migrations.upgrade(store, target=11) == list(range(1, 12))
    sample(store)  # tickets opened before the columns existed
    with store.write() as conn:  # as version 11 created them
        conn.exec_driver_sql("ALTER TABLE tickets DROP COLUMN themes")
        conn.exec_driver_sql("ALTER TABLE import_batches DROP COLUMN themes_key")
    store.dispose()
    store = open_store(url, migrate=False)
    assert migrations.upgrade(store) == list(range(12, migrations.LATEST + 1))
    rows = list_detractors(store, max_score=6, since=None, until=None, filters={})
    assert len(rows) == 28 and all(r["stored_themes"] is None and r["stored_themes_key"] is None for r in rows)
    result = fill(store, [{"response_id": "new", "submitted_at": T0, "score": 1, "comment": "waited 3 hours"}])
    assert result.tickets_opened == 1
    assert migrations.upgrade(store) == []
    store.dispose()


def test_a_locations_sla_applies_whatever_the_case_it_is_written_in(url):
    """`[tickets.sla_hours_by_location] downtown = 4` is the SLA of "Downtown" (routing rules and filters match
    names so), and "O'Hare Clinic" of the curly-apostrophe spelling; any other site keeps the default."""
    from npscli.store.tickets import TicketFilter, list_tickets

    store = open_store(url)
    settings = TicketSettings(sla_hours=48, sla_hours_by_location={"downtown": 4, "O'Hare Clinic": 6})
    rows = [
        {"response_id": "a", "submitted_at": T0, "score": 1, "location": "Downtown"},
        {"response_id": "b", "submitted_at": T0, "score": 2, "location": "DOWNTOWN"},
        {"response_id": "c", "submitted_at": T0, "score": 3, "location": "O\u2019Hare Clinic"},  # curly apostrophe
        {"response_id": "d", "submitted_at": T0, "score": 4, "location": "Northside"},
    ]
    result = fill(store, rows, tickets=settings)
    assert result.tickets_opened == 4
    hours = sorted(
        (t["location"], (t["due_at"] - t["submitted_at"]) / timedelta(hours=1))
        for t in list_tickets(store, TicketFilter(since=T0 - timedelta(days=1)))
    )
    # ("DOWNTOWN" is stored as the same site, "Downtown")
    assert hours == [("Downtown", 4), ("Downtown", 4), ("Northside", 48), ("O\u2019Hare Clinic", 6)]
    store.dispose()


def test_a_name_written_in_another_case_is_the_same_group(url):
    """ "DOWNTOWN", "Downtown" and "downtown " are one site: one label (its mixed-case spelling), in one import
    and in a later one, so `score --by location` shows one row, as filters and routing rules already saw it.
    Accents still count ("Peña" is not "Pena")."""
    from npscli.store.queries import nps_counts

    store = open_store(url)
    first = [
        {"response_id": "a", "submitted_at": T0, "score": 3, "location": "DOWNTOWN"},
        {"response_id": "b", "submitted_at": T0, "score": 9, "location": "Downtown"},
        {"response_id": "c", "submitted_at": T0, "score": 10, "location": "downtown"},
        {"response_id": "d", "submitted_at": T0, "score": 10, "location": "Peña"},
        {"response_id": "e", "submitted_at": T0, "score": 2, "location": "Pena"},
    ]
    fill(store, first)
    fill(store, [{"response_id": "f", "submitted_at": T0, "score": 6, "location": "DownTown"}])
    with store.read() as conn:
        labels = sorted(
            conn.execute(select(schema.group_labels.c.value).where(schema.group_labels.c.field == "location")).scalars()
        )
    assert labels == ["Downtown", "Pena", "Peña"]
    rows = nps_counts(store, group_by=("location",), detractor_max=6, promoter_min=9, start=None, end=None, filters={})
    assert {row[0]: row[-1] for row in rows} == {"Downtown": 4, "Peña": 1, "Pena": 1}
    store.dispose()
