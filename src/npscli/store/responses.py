"""Writing parsed exports into the store, and reading responses back.

One file is one transaction: its batch record, its new responses and the tickets of its new
detractors are committed together or not at all. Deduplication is done by the database itself
(the unique key (source, response_key)), so two overlapping imports running at once still count
every response exactly once.
"""

from __future__ import annotations

import functools
import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from itertools import repeat
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from npscli.core.fields import GROUP_FIELDS, TEXT_FIELDS
from npscli.core.periods import naive_utc
from npscli.store import schema
from npscli.store.engine import BUSY_TIMEOUT_MS, Store
from npscli.store.legacy_keys import LegacyKeys

if TYPE_CHECKING:
    import pandas as pd

    from npscli.config import TicketSettings
    from npscli.io.exports import ExportStream, ParsedExport

    Export = ExportStream | ParsedExport

RESPONSE_COLUMNS = (
    "source",
    "response_key",
    "response_id",
    "batch_id",
    "source_row",
    "submitted_at",
    "local_date",
    "period_week",
    "period_month",
    "period_quarter",
    "period_year",
    "score",
    "comment",
    "location_id",
    "department_id",
    "provider_id",
    "patient_name",
    "email",
    "phone",
    "patient_id",
)


@dataclass
class ImportResult:
    file: str
    rows_read: int
    imported: int
    duplicates: int
    skipped: int
    excluded: int
    rejected: int
    rejects_file: str | None = None
    source: str = ""
    layout: str = ""
    batch_id: int | None = None
    tickets_opened: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `npscli import --format json`."""
        d = asdict(self)
        return {
            k: d[k]
            for k in (
                "file",
                "rows_read",
                "imported",
                "duplicates",
                "skipped",
                "excluded",
                "rejected",
                "rejects_file",
                "source",
                "layout",
                "batch_id",
                "tickets_opened",
            )
        }


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def outcome_counts(parsed: Export) -> dict[str, int]:
    counts = {"skipped": 0, "excluded": 0, "rejected": 0}
    for issue in parsed.issues:
        counts[issue.outcome] += 1
    return counts


def within_file_duplicates(records: pd.DataFrame) -> pd.Series:
    """True for every row whose response_key already appeared earlier in the same records."""
    return records["response_key"].duplicated(keep="first")


INSERT_CHUNK_ROWS = 50_000  # rows turned into tuples and inserted at a time: memory stays flat
BULK_LOAD_MIN_ROWS = 100_000  # a file this large, and larger than the store, rebuilds the indexes after


def _rows_for_insert(
    conn, records: pd.DataFrame, source: str, batch_id: int, dialect: str, label_ids: dict | None = None
) -> list[tuple]:
    """The records as tuples in RESPONSE_COLUMNS order, with the period keys; column-wise, no frame copies."""
    count = len(records)
    if count == 0:
        return []
    cols: dict[str, Any] = {
        name: values.tolist() if hasattr(values, "tolist") else values  # Python str, int, datetime, date
        for name, values in _record_columns(conn, records, dialect, label_ids).items()
    }
    cols["source"] = repeat(source, count)
    cols["batch_id"] = repeat(batch_id, count)
    return list(zip(*(cols[c] for c in RESPONSE_COLUMNS), strict=False))


def _record_columns(conn, records: pd.DataFrame, dialect: str, label_ids: dict | None = None) -> dict[str, Any]:
    """The columns of RESPONSE_COLUMNS that come from the records (all but source and batch_id): the values
    the database stores, with the period keys and the ids of the group names (names new to the store are
    added to ``group_labels`` on ``conn``), as numpy arrays (object, text or int64) or lists. ``label_ids``:
    the ids found so far in this transaction, per field (kept up to date here; see :func:`_label_ids`)."""
    import numpy as np
    import pandas as pd

    from npscli.core.periods import keys_of_days

    day_codes, days = pd.factorize(records["local_date"].astype(str).to_numpy())
    day_dates = [date.fromisoformat(day) for day in days]
    submitted = records["submitted_at"].to_numpy(dtype="datetime64[us]")
    cols: dict[str, Any] = {
        "response_key": records["response_key"].astype(str).to_numpy(dtype=object),
        "response_id": _nullable(records["response_id"]),
        "source_row": records["row"].to_numpy(dtype="int64"),
    }
    if dialect == "sqlite":
        # microseconds since 1970-01-01, as schema.Timestamp stores a time on SQLite: datetime64[us] is that count
        cols["submitted_at"] = submitted.view("int64")
        cols["local_date"] = np.asarray(days, dtype=object)[day_codes]
    else:
        cols["submitted_at"] = submitted.astype(object)
        cols["local_date"] = np.array(day_dates, dtype=object)[day_codes]
    for period, keys in keys_of_days(day_dates).items():
        cols[f"period_{period}"] = np.asarray(keys, dtype=object)[day_codes]
    cols["score"] = records["score"].to_numpy(dtype="int64")
    for name in TEXT_FIELDS:
        if name in GROUP_FIELDS:
            known = None if label_ids is None else label_ids.setdefault(name, {})
            cols[f"{name}_id"] = _label_ids(conn, name, records[name], known)
        else:
            cols[name] = _nullable(records[name])
    return cols


def _label_ids(conn, field: str, values: pd.Series, known: dict[str, int] | None = None):
    """The ids (Python int or None) of a group field's names, as an object array: each value's name is what
    :func:`_nullable` makes of it (None, NaN, NA and "" no name: None).

    The column is factorized as it is and the rule applied to its distinct values only (a few hundred names
    in 50,000 cells); two values of one name (``5`` and ``"5"``) get its one id. ``known`` (name -> id, of
    this field): the names already looked up in this transaction, whose ids cannot change before it ends;
    only the others are looked up (or added), and ``known`` gets them. (A million-row file's twenty pieces
    name the same few hundred clinics: one look-up per field, not one per piece.)"""
    import numpy as np
    import pandas as pd

    from npscli.store.group_labels import ids_for

    codes, distinct = pd.factorize(values.to_numpy(dtype=object))  # None, NaN, NA: code -1
    names = _nullable(pd.Series(distinct, dtype=object))
    present = [name for name in names if name is not None]
    if known is None:
        ids = ids_for(conn, field, present)
    else:
        new = [name for name in present if name not in known]
        if new:
            known.update(ids_for(conn, field, new))
        ids = known
    lookup = np.empty(len(names) + 1, dtype=object)  # the last slot (code -1) stays None
    lookup[: len(names)] = [None if name is None else ids[name] for name in names]
    return lookup[codes]


# Rows per INSERT statement on SQLite: 49 rows stay within the 999 variables a statement may have on the
# oldest SQLite versions (32,766 since 3.32), 20 values a row or, as bound, 18 and the two the rows share.
SQLITE_ROWS_PER_STATEMENT = 999 // len(RESPONSE_COLUMNS)
_SHARED_COLUMNS = ("source", "batch_id")  # the same for every row of an import: bound once per statement
_OWN_COLUMNS = tuple(name for name in RESPONSE_COLUMNS if name not in _SHARED_COLUMNS)


@functools.lru_cache(maxsize=4)
def _sqlite_insert_statement(rows: int) -> str:
    """``INSERT OR IGNORE`` of ``rows`` rows in RESPONSE_COLUMNS order: ``?1`` the source and ``?2`` the batch
    id in every row, then each row's own values (``_OWN_COLUMNS`` order) as ``?3`` onwards."""
    width = len(_OWN_COLUMNS)
    values = []
    for row in range(rows):
        own = iter(range(3 + row * width, 3 + (row + 1) * width))
        marks = (
            "?1" if name == "source" else "?2" if name == "batch_id" else f"?{next(own)}" for name in RESPONSE_COLUMNS
        )
        values.append("(" + ", ".join(marks) + ")")
    return f"INSERT OR IGNORE INTO responses ({', '.join(RESPONSE_COLUMNS)}) VALUES " + ", ".join(values)


class _DetractorComments:
    """The distinct comments of the rows inserted that will open a ticket (score at or below the threshold,
    received since ``after``, microseconds as stored; None: any time), gathered as the rows go in: the
    ticket opening then need not read a million rows again to find them. Rows that the insert ignored (a
    key already stored) may add a comment no ticket has: its cause is looked up for nothing, so this is used
    only for a store with no responses before the import (only a key repeated in the file is ignored then)."""

    def __init__(self, threshold: int, after: int | None) -> None:
        self.threshold, self.after = threshold, after
        self.seen: dict[str, None] = {}

    def add(self, scores, submitted, comments: list) -> None:
        import numpy as np

        wanted = scores <= self.threshold
        if self.after is not None:
            wanted &= submitted >= self.after
        self.seen.update(dict.fromkeys(c for c in np.asarray(comments, dtype=object)[wanted] if c is not None))


def _insert_sqlite(
    conn,
    records: pd.DataFrame,
    source: str,
    batch_id: int,
    label_ids: dict | None = None,
    detractor_comments: _DetractorComments | None = None,
) -> None:
    """Insert records on SQLite, 49 rows per statement (``VALUES (...), (...), ...``), silently keeping the
    existing row for a (source, response_key) already stored.

    The same rows as one row per statement, in the same order (so the same ids): OR IGNORE applies to each
    row of a multi-row VALUES. Per row, executemany's step and reset cost about as much as binding all of
    its values; 49 rows a statement pay them once. The source and the batch id, the same in every row, are
    bound once a statement (numbered parameters). The rows' own values are laid out in one object array,
    column by column (text and int64 arrays become Python str and int there), and cut into statements by
    reshaping it: no tuple per row.
    """
    import numpy as np

    count = len(records)
    if count == 0:
        return
    cols = _record_columns(conn, records, "sqlite", label_ids)
    if detractor_comments is not None:
        detractor_comments.add(cols["score"], cols["submitted_at"], cols["comment"])
    width = len(_OWN_COLUMNS)
    table = np.empty((count, width), dtype=object)
    for position, name in enumerate(_OWN_COLUMNS):
        table[:, position] = cols.pop(name)
    del cols
    per = SQLITE_ROWS_PER_STATEMENT
    whole = count - count % per
    if whole:
        statements = table[:whole].reshape(-1, per * width).tolist()
        conn.exec_driver_sql(_sqlite_insert_statement(per), [(source, batch_id, *values) for values in statements])
    if whole < count:
        rest = table[whole:].tolist()
        conn.exec_driver_sql(_sqlite_insert_statement(1), [(source, batch_id, *values) for values in rest])


_STR_OR_NONE = frozenset({str, type(None)})


def _nullable(series: pd.Series) -> list:
    """Text or None: None, NaN, NA and "" are all None; anything else as str.

    The reader's text columns are already str or None with no "" (blank cells become None there): for those
    the values are returned as they are, after two passes in C (their types, an equality test with "") instead
    of the per-value test in Python."""
    import pandas as pd

    values = series.tolist()
    if set(map(type, values)) <= _STR_OR_NONE and "" not in values:
        return values
    na = pd.NA
    return [None if (v is None or v is na or v != v or v == "") else (v if type(v) is str else str(v)) for v in values]


def insert_responses(conn, rows: list[tuple], dialect: str) -> tuple[int | None, int] | None:
    """Insert rows, silently keeping the existing row for a (source, response_key) already stored. On PostgreSQL
    returns the smallest id inserted (None if none) and how many were; elsewhere None."""
    if not rows:
        return None
    cols = ", ".join(RESPONSE_COLUMNS)
    if dialect == "sqlite":
        marks = ", ".join("?" for _ in RESPONSE_COLUMNS)
        sql = f"INSERT OR IGNORE INTO responses ({cols}) VALUES ({marks})"
        chunk = 50_000
        for start in range(0, len(rows), chunk):
            conn.exec_driver_sql(sql, rows[start : start + chunk])
    elif dialect == "postgresql":
        from npscli.store.postgres import copy_insert_responses

        return copy_insert_responses(conn, RESPONSE_COLUMNS, rows)
    else:  # any other SQLAlchemy backend: the portable path
        for row in rows:
            exists = conn.execute(
                select(schema.responses.c.id).where(
                    schema.responses.c.source == row[0], schema.responses.c.response_key == row[1]
                )
            ).first()
            if not exists:
                conn.execute(schema.responses.insert().values(dict(zip(RESPONSE_COLUMNS, row, strict=True))))
    return None


def _record_pieces(parsed: Export, conn=None, legacy: LegacyKeys | None = None) -> Iterator[tuple[int, pd.DataFrame]]:
    """``(records, new records to insert)`` per INSERT_CHUNK_ROWS of the export, the file read and parsed as
    they are taken; an error there (a bad line further down the file) is raised here, inside the transaction.

    (Parsing the next chunk in a helper thread while the database inserts was measured to gain nothing:
    both hold the GIL for nearly all their work.)"""
    for records in parsed.chunks():
        if legacy is not None:
            records = legacy.adopt(conn, records)
        duplicate = within_file_duplicates(records)
        unique = records[~duplicate] if duplicate.any() else records
        for start in range(0, max(len(unique), 1), INSERT_CHUNK_ROWS):
            yield (len(records) if start == 0 else 0), unique.iloc[start : start + INSERT_CHUNK_ROWS]


def _insert_piece(
    conn,
    piece: pd.DataFrame,
    source: str,
    batch_id: int,
    dialect: str,
    label_ids: dict | None = None,
    detractor_comments: _DetractorComments | None = None,
) -> tuple[int | None, int] | None:
    """Turn a piece of records into rows and insert them, the garbage collector paused meanwhile.
    ``label_ids``: the group names' ids found so far in the transaction (see :func:`_label_ids`).

    Tens of thousands of new containers (row tuples, value lists), none of them in a reference cycle: a
    collection every 700 of them would scan them again and again as they are made, and once more before
    they are freed, for nothing. They are freed before the collector runs again (they die with this call)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        if dialect == "sqlite":
            _insert_sqlite(conn, piece, source, batch_id, label_ids, detractor_comments)
            return None
        rows = _rows_for_insert(conn, piece, source, batch_id, dialect, label_ids)
        return insert_responses(conn, rows, dialect)
    finally:
        if collecting:
            gc.enable()


def sort_threads(cores: int) -> int:
    """SQLite's helper threads for the index sorts of a bulk load: one core left to the main thread and one to
    the rest of the machine. On 2 cores none: the five builds of a million rows took 3.9 CPU-s and 3.9 s
    single-threaded against 4.9 CPU-s and 3.2-6.5 s with two helper threads (interleaved, bench/README.md)."""
    return min(4, max(0, cores - 2))


@contextmanager
def _bulk_load(conn, dialect: str, incoming: int, stored: int) -> Iterator[None]:
    """For a file larger than the store (the first load of a big history), drop the secondary indexes of
    ``responses`` for the insert and build them again afterwards, inside the same transaction.

    Building an index from sorted data is several times faster than updating five B-trees row by row, and
    the DDL is transactional on both backends: a failed import rolls back to the indexes as they were. The
    unique key (source, response_key) stays, so deduplication is unchanged. On SQLite, readers keep their
    WAL snapshot, indexes included; on PostgreSQL, DROP INDEX locks the table against readers until the
    import commits -- acceptable only because the store is still small next to the file (a first load),
    never for the routine imports of a shared store.
    """
    if incoming < BULK_LOAD_MIN_ROWS or dialect not in ("sqlite", "postgresql") or incoming <= stored:
        yield
        return
    if dialect == "sqlite":
        indexes = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses' AND sql IS NOT NULL"
        ).all()
    else:
        indexes = conn.exec_driver_sql(
            "SELECT i.indexname, i.indexdef FROM pg_indexes AS i "
            "WHERE i.schemaname = current_schema() AND i.tablename = 'responses' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint AS k WHERE k.conname = i.indexname)"  # keep the primary and unique keys
        ).all()
    for name, _definition in indexes:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    if dialect == "sqlite":
        conn.exec_driver_sql(f"PRAGMA threads = {sort_threads(os.cpu_count() or 1)}")
    else:
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")  # sort in memory
    try:
        for _name, definition in indexes:
            conn.exec_driver_sql(definition)
    finally:
        # After an interrupt (Ctrl-C) the connection is invalidated: any statement would raise
        # PendingRollbackError and hide the interrupt. The transaction is rolled back either way.
        if dialect == "sqlite" and not conn.invalidated:
            conn.exec_driver_sql("PRAGMA threads = 0")


IMPORT_LOCK = 7220_1107  # the advisory-lock key of an import on PostgreSQL (migrations ...1105, alerts ...1106)


def _one_import_at_a_time(conn) -> None:
    """On PostgreSQL, wait for any other import of the store to commit before this one writes anything.

    SQLite's imports take turns already (BEGIN IMMEDIATE). On PostgreSQL two imports of overlapping exports
    would otherwise lock the same new keys in different orders (one file newest first, the other oldest
    first, or a key in the other's next piece) and the server would kill one of them as a deadlock. Taking
    turns costs nothing in the routine case (one cron import). The wait is bounded as SQLite's busy timeout
    is, and only this wait: the rest of the import keeps the server's own lock settings."""
    if conn.dialect.name != "postgresql":
        return
    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{BUSY_TIMEOUT_MS}ms'")
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({IMPORT_LOCK})")
    conn.exec_driver_sql("SET LOCAL lock_timeout = DEFAULT")


def import_parsed(
    store: Store,
    parsed: Export,
    *,
    source: str,
    actor: str,
    tickets: TicketSettings,
    suggest_cause=None,
    now: datetime | None = None,
    tickets_since: datetime | None = None,
    match_themes=None,
    themes_key: str | None = None,
) -> ImportResult:
    """Import one export in one transaction, a chunk at a time (an :class:`~npscli.io.exports.ExportStream`
    or a whole :class:`~npscli.io.exports.ParsedExport`). Returns its outcome counts.

    Any error while the file is read (a bad line further down, a whole-file check, a rejected row under
    --strict) rolls the whole file back. ``now`` (aware) is the import's time, for back-filled runs
    (--as-of); default the clock. ``tickets_since`` (aware): detractors received before it open no ticket.
    ``match_themes`` with ``themes_key``: each new ticket keeps its comment's themes, the batch the key.
    """
    if match_themes is None or themes_key is None:
        match_themes, themes_key = None, None
    from npscli.store.ticket_opening import open_tickets_for_batch

    now = utcnow() if now is None else naive_utc(now)
    with store.write(bulk=True) as conn:
        _one_import_at_a_time(conn)
        batch_id = conn.execute(
            schema.import_batches.insert().values(
                source=source,
                file_name=str(parsed.path.name),
                sha256=parsed.sha256,
                layout=parsed.layout,
                imported_at=now,
                imported_by=actor,
                rows_read=0,
                imported=0,
                duplicates=0,
                skipped=0,
                excluded=0,
                rejected=0,
                tickets_opened=0,
                stamped_at=naive_utc(getattr(parsed, "stamped", None)),
                themes_key=themes_key,
            )
        ).inserted_primary_key[0]
        records = 0
        legacy = LegacyKeys(conn, source)
        before = conn.exec_driver_sql("SELECT max(id) FROM responses").scalar() or 0
        inserted: list[tuple[int | None, int]] = []  # PostgreSQL: (smallest id, rows) per piece
        label_ids: dict[str, dict[str, int]] = {}  # field -> name -> id, as found in this transaction
        detractor_comments = None
        if store.dialect == "sqlite" and before == 0:
            since = None if tickets_since is None else schema.microseconds(naive_utc(tickets_since))
            detractor_comments = _DetractorComments(tickets.threshold, since)
        with _bulk_load(conn, store.dialect, parsed.estimated_rows, before):
            for count, piece in _record_pieces(parsed, conn, legacy if legacy.active else None):
                records += count
                added = _insert_piece(conn, piece, source, batch_id, store.dialect, label_ids, detractor_comments)
                if added is not None:
                    inserted.append(added)
        imported, after_id = _batch_rows(conn, store.dialect, batch_id, before, inserted)
        duplicates = records - imported
        counts = outcome_counts(parsed)
        opened = open_tickets_for_batch(
            conn,
            batch_id,
            tickets,
            actor=actor,
            now=now,
            suggest_cause=suggest_cause,
            match_themes=match_themes,
            received_since=tickets_since,
            after_id=after_id,
            comments=None if detractor_comments is None else detractor_comments.seen,
        )
        conn.execute(
            schema.import_batches.update()
            .where(schema.import_batches.c.id == batch_id)
            .values(
                rows_read=parsed.rows_read,
                imported=imported,
                duplicates=duplicates,
                tickets_opened=opened,
                **counts,
            )
        )
    if store.dialect == "postgresql" and imported >= BULK_LOAD_MIN_ROWS:
        _refresh_statistics(store)
    return ImportResult(
        file=str(parsed.path),
        rows_read=parsed.rows_read,
        imported=imported,
        duplicates=duplicates,
        skipped=counts["skipped"],
        excluded=counts["excluded"],
        rejected=counts["rejected"],
        source=source,
        layout=parsed.layout,
        batch_id=batch_id,
        tickets_opened=opened,
    )


_MAX_ROWID = 2**63 - 1


def _batch_rows(
    conn, dialect: str, batch_id: int, before: int, inserted: list[tuple[int | None, int]]
) -> tuple[int, int | None]:
    """``(responses the batch stored, id above which they all are)``; the id None: no such bound is known.

    On SQLite writers take turns (BEGIN IMMEDIATE) and a new rowid is max(rowid) + 1, so the batch's rows are
    exactly the ids after ``before``, the largest id before it, and they count by subtraction. (Past the largest
    rowid SQLite picks ids at random: then no bound, every row's batch id is read.) On PostgreSQL each insert
    returned the smallest id it took and how many rows (``inserted``): ids come from a sequence, which a
    concurrent import shares (its rows in between are told apart by their batch id). The bound makes an index
    on batch_id unneeded: the cron import's 300 responses are a range of the primary key.
    """
    R = schema.responses
    if dialect == "sqlite":
        last = conn.exec_driver_sql("SELECT max(id) FROM responses").scalar() or 0
        if last < _MAX_ROWID:
            return last - before, before
        after_id = None
    elif dialect == "postgresql":
        lowest = [low for low, added in inserted if low is not None]
        return sum(added for _low, added in inserted), (min(lowest) - 1 if lowest else before)
    else:  # any other backend: ids need not grow
        after_id = None
    new = R.c.batch_id == batch_id if after_id is None else (R.c.id > after_id) & (R.c.batch_id == batch_id)
    return conn.execute(select(func.count()).select_from(R).where(new)).scalar_one(), after_id


def _refresh_statistics(store: Store) -> None:
    """After a large import on PostgreSQL: VACUUM (ANALYZE) the tables it filled, so the next query plans with
    the new row counts and reads the covering indexes alone (index-only scans need the visibility map)
    instead of waiting for autovacuum. Outside the import's transaction; it never fails the import."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("responses", "tickets", "ticket_events"):
                conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
    except SQLAlchemyError:  # not the tables' owner, a statement timeout: autovacuum will catch up
        pass


def dry_run_result(
    store: Store | None,
    parsed: Export,
    *,
    source: str,
    ticket_threshold: int | None = None,
    tickets_since: datetime | None = None,
    planned: set[str] | None = None,
) -> ImportResult:
    """What an import would do, reading the store but writing nothing. ``store`` None: a store that does not
    exist yet (every row is new). ``planned``: the response keys of this source that earlier files of the same
    dry run would have stored (counted as duplicates here); this file's new keys are added to it.

    With ``ticket_threshold``, ``tickets_opened`` is the number of tickets the import would open: the responses
    it would store (new, first in the file) scored at or below the threshold and received since
    ``tickets_since`` (aware; None = any time), as :func:`npscli.store.tickets.open_tickets_for_batch` does.
    """

    from npscli.store.ticket_opening import opens_ticket

    seen: set[str] = set()
    records = already = would_open = 0
    legacy = None
    if store is not None:
        with store.read() as conn:
            legacy = LegacyKeys(conn, source)
    for chunk in parsed.chunks():
        records += len(chunk)
        if legacy is not None and legacy.active:
            with store.read() as conn:
                chunk = legacy.adopt(conn, chunk)
        all_keys = chunk["response_key"].astype(str)
        first = (~all_keys.duplicated() & ~all_keys.isin(seen)).to_numpy()
        keys = all_keys[first].tolist()
        seen.update(keys)
        stored = {key for key in keys if key in planned} if planned else set()
        if store is not None and keys:
            with store.read() as conn:
                for start in range(0, len(keys), 500):
                    stored.update(
                        conn.execute(
                            select(schema.responses.c.response_key).where(
                                schema.responses.c.source == source,
                                schema.responses.c.response_key.in_(keys[start : start + 500]),
                            )
                        ).scalars()
                    )
        already += len(stored)
        if ticket_threshold is not None and keys:
            new = chunk[first]
            follow = ~all_keys[first].isin(stored).to_numpy() & opens_ticket(
                new["score"].to_numpy(),
                new["submitted_at"].to_numpy(dtype="datetime64[us]"),
                threshold=ticket_threshold,
                since=tickets_since,
            )
            would_open += int(follow.sum())
        if planned is not None:
            planned.update(key for key in keys if key not in stored)
    imported = len(seen) - already
    counts = outcome_counts(parsed)
    return ImportResult(
        file=str(parsed.path),
        rows_read=parsed.rows_read,
        imported=imported,
        duplicates=records - imported,
        skipped=counts["skipped"],
        excluded=counts["excluded"],
        rejected=counts["rejected"],
        source=source,
        layout=parsed.layout,
        tickets_opened=would_open,
    )
