"""Times in the store: ``schema.Timestamp`` keeps a naive UTC time exactly, as an integer of microseconds on SQLite
(as PostgreSQL's ``timestamp`` there), and migration 10's SQL reads the text SQLite stores held before it."""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Integer, MetaData, Table, func, select
from sqlalchemy.dialects import sqlite
from tests.storefill import fill

from npscli.config import TicketSettings
from npscli.store import migrations, schema
from npscli.store.engine import open_store

TIMES = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31, 23, 59, 59, 999_999))
EDGES = [
    datetime(1900, 1, 1),
    datetime(1969, 12, 31, 23, 59, 59, 999_999),  # a microsecond before the epoch: a negative integer
    datetime(1970, 1, 1),
    datetime(2024, 2, 29, 12, 0, 0, 1),
    datetime(2200, 12, 31, 23, 59, 59, 999_999),
]


def unix_microseconds(value: datetime) -> int:
    """The integer a time should be stored as, computed without the code under test."""
    return calendar.timegm(value.timetuple()) * 1_000_000 + value.microsecond


def times_table():
    return Table("times", MetaData(), Column("id", Integer, primary_key=True), Column("at", schema.Timestamp))


def test_times_come_back_exactly_and_order_and_compare_as_times(url):
    store = open_store(url, migrate=False)
    table = times_table()
    table.create(store.engine)
    later = [t + timedelta(microseconds=1) for t in EDGES[:-1]]
    with store.write() as conn:
        conn.execute(table.insert(), [{"at": t} for t in [*EDGES, *later, None]])
    with store.read() as conn:
        stored = conn.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
        ordered = conn.execute(select(table.c.at).where(table.c.at.is_not(None)).order_by(table.c.at)).scalars().all()
        low, high = conn.execute(select(func.min(table.c.at), func.max(table.c.at))).one()
        at_or_after = conn.execute(select(func.count()).where(table.c.at >= EDGES[2])).scalar_one()
    assert stored == [*EDGES, *later, None]
    assert ordered == sorted([*EDGES, *later])
    assert (low, high) == (EDGES[0], EDGES[-1])
    assert at_or_after == sum(1 for t in [*EDGES, *later] if t >= EDGES[2])
    store.dispose()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(TIMES, min_size=1, max_size=8), pivot=TIMES)
def test_any_time_to_the_microsecond_round_trips_on_sqlite(tmp_path, values, pivot):
    path = tmp_path / "round.db"
    store = open_store(str(path), migrate=False)
    table = times_table()
    table.create(store.engine, checkfirst=True)
    with store.write() as conn:
        conn.execute(table.delete())
        conn.execute(table.insert(), [{"at": t} for t in values])
    with store.read() as conn:
        back = conn.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
        raw = conn.exec_driver_sql("SELECT typeof(at), at FROM times ORDER BY id").all()
        in_window = conn.execute(select(func.count()).where(table.c.at >= pivot)).scalar_one()
        first = conn.execute(select(func.min(table.c.at))).scalar_one()
    store.dispose()
    assert back == values
    assert raw == [("integer", unix_microseconds(t)) for t in values]
    assert in_window == sum(1 for t in values if t >= pivot)
    assert first == min(values)


def test_an_aware_time_is_stored_by_its_wall_clock_as_before(tmp_path):
    """SQLAlchemy's DateTime on SQLite wrote an aware time's fields and dropped the zone; so does the integer."""
    store = open_store(str(tmp_path / "s.db"), migrate=False)
    table = times_table()
    table.create(store.engine)
    with store.write() as conn:
        conn.execute(table.insert(), [{"at": datetime(2025, 11, 3, 9, 0, tzinfo=UTC)}])
    with store.read() as conn:
        assert conn.execute(select(table.c.at)).scalar_one() == datetime(2025, 11, 3, 9, 0)
    store.dispose()


def text_forms(value: datetime) -> list[str]:
    """The text a SQLite store held before version 10 (SQLAlchemy's DateTime, which the import's and ticket
    opening's raw SQL copied), and shorter ISO forms a row made by hand may have."""
    written = sqlite.DATETIME().bind_processor(sqlite.dialect())(value)
    return [written, value.isoformat(" ", "seconds"), value.isoformat(timespec="milliseconds")]


@settings(max_examples=100, deadline=None)
@given(value=TIMES)
def test_migration_10_reads_every_text_form_as_sqlalchemy_did(value):
    import sqlite3

    well_formed, microseconds = migrations._sqlite_time_text("t")
    db = sqlite3.connect(":memory:")
    for text in text_forms(value):
        read_before = sqlite.DATETIME().result_processor(sqlite.dialect(), None)(text)  # what npscli saw
        ok, got = db.execute(f"SELECT {well_formed}, {microseconds} FROM (SELECT ? AS t)", (text,)).fetchone()
        assert ok == 1, text
        assert got == unix_microseconds(read_before), text
    db.close()


def test_a_fresh_store_keeps_every_time_as_an_integer(tmp_path):
    """Responses (the import's fast path), tickets (SQLite's INSERT ... SELECT, an SLA of a fraction of a
    second's hours), their events and the batch: every time column holds integers, none text."""
    store = open_store(str(tmp_path / "s.db"))
    t0 = datetime(2025, 11, 3, 9, 0, 0, 250_000, tzinfo=UTC)
    rows = [{"response_id": f"r{i}", "submitted_at": t0 + timedelta(hours=i), "score": i % 11} for i in range(30)]
    result = fill(store, rows, tickets=TicketSettings(sla_hours=0.1))
    assert result.tickets_opened > 0
    found = {}
    with store.read() as conn:
        for table in schema.metadata.sorted_tables:
            for column in table.c:
                if isinstance(column.type, schema.Timestamp):
                    found[f"{table.name}.{column.name}"] = set(
                        conn.exec_driver_sql(
                            f"SELECT DISTINCT typeof({column.name}) FROM {table.name} WHERE {column.name} IS NOT NULL"
                        ).scalars()
                    )
        due = conn.execute(
            select(schema.responses.c.submitted_at, schema.tickets.c.due_at).join(
                schema.tickets, schema.tickets.c.response_pk == schema.responses.c.id
            )
        ).all()
    store.dispose()
    for name in ("responses.submitted_at", "tickets.opened_at", "tickets.due_at", "tickets.updated_at"):
        assert found[name] == {"integer"}, name
    assert found["ticket_events.at"] == found["import_batches.imported_at"] == {"integer"}
    assert not any("text" in kinds for kinds in found.values()), found
    assert due and all(d == s + timedelta(hours=0.1) for s, d in due)  # 6 minutes, the fraction kept


def test_responses_counted_by_clinic_day_across_dst_changes(url):
    """store.queries.daily_volume (SQL on both backends, the zone's offsets as spans) counts each response on
    its local date, as converting each time in Python does: times around two DST changes and local midnights,
    in a zone with DST (Chicago) and in one whose offset and change are at :30 (St John's)."""
    import random
    from collections import Counter
    from zoneinfo import ZoneInfo

    from npscli.services.themes import _offset_spans
    from npscli.store.queries import daily_volume

    store = open_store(url)
    rng = random.Random(7)
    starts = [datetime(2026, 3, 7, 0, 0), datetime(2026, 10, 30, 0, 0)]  # UTC; the changes: 8 March, 1 November
    times = [s + timedelta(minutes=rng.randrange(0, 4 * 24 * 60), seconds=rng.randrange(60)) for s in starts
             for _ in range(150)]  # fmt: skip
    fill(store, [{"response_id": f"r{i}", "submitted_at": t.replace(tzinfo=UTC), "score": 5,
                  "location": "North" if i % 3 else None} for i, t in enumerate(times)])  # fmt: skip
    window = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 11, 10, tzinfo=UTC))
    for zone_name in ("America/Chicago", "America/St_Johns"):
        zone = ZoneInfo(zone_name)
        offsets = _offset_spans(zone, window[0].replace(tzinfo=None), window[1].replace(tzinfo=None))
        assert len(offsets) == 3  # the offset at the start, and the two changes
        counted = daily_volume(store, "location", start=window[0], end=window[1], offsets=offsets)
        expected = Counter(
            ("North" if i % 3 else None, t.replace(tzinfo=UTC).astimezone(zone).date()) for i, t in enumerate(times)
        )
        assert counted == dict(expected)
    store.dispose()
