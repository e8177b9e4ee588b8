"""Moving, backing up and checking a store.

``copy_store`` moves every table (responses, batches, tickets and their history, alerts sent, ...)
from one backend to another in a single transaction on the target, keeping ids, and verifies the
row counts afterwards. ``backup`` writes a consistent SQLite file of any store. ``check`` reports
integrity and migration state.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from npscli.core.errors import ConflictError, StoreError
from npscli.io.private import private_dir
from npscli.store import migrations, schema
from npscli.store.engine import Store, open_store, redact_url

CHUNK = 5_000


def data_tables() -> list:
    """Every table but the migration record, parents before children."""
    return [t for t in schema.metadata.sorted_tables if t.name != schema.schema_versions.name]


def table_counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in data_tables()}


def copy_store(source: Store, target: Store, *, force: bool = False) -> dict[str, int]:
    """Copy everything from ``source`` into ``target`` (which must be empty unless ``force``)."""
    if migrations.status(source)["version"] != migrations.LATEST:
        raise StoreError(
            "the source store is not at the latest schema version", hint="run any npscli command on it first"
        )
    existing = table_counts(target)
    if any(existing.values()) and not force:
        busy = ", ".join(f"{k} {v}" for k, v in existing.items() if v)
        raise ConflictError(
            f"the target store {redact_url(target.url)} is not empty ({busy})",
            hint="copy into a new, empty database (or pass --force to replace its contents)",
        )
    # One snapshot of the source for the counts and every table: an import committing meanwhile (a cron job
    # during a backup) is either wholly in the copy or not at all, never its responses without their tickets.
    with source.read(snapshot=True) as sconn, target.write() as tconn:
        expected = {t.name: sconn.execute(select(func.count()).select_from(t)).scalar_one() for t in data_tables()}
        if force:
            for table in reversed(data_tables()):
                tconn.execute(table.delete())
        for table in data_tables():
            result = sconn.execution_options(stream_results=True).execute(
                select(table).order_by(*table.primary_key.columns)
            )
            while True:
                rows = result.mappings().fetchmany(CHUNK)
                if not rows:
                    break
                tconn.execute(table.insert(), [dict(r) for r in rows])
        if target.dialect == "postgresql":
            for table in data_tables():
                if "id" in table.c:
                    tconn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                        )
                    )
    copied = table_counts(target)
    if copied != expected:
        raise StoreError(f"copy verification failed: expected {expected}, found {copied}")
    return copied


def backup(store: Store, path: Path) -> dict[str, int]:
    """Write a consistent SQLite copy of ``store`` to ``path`` (atomically: temp file, then rename).

    A SQLite store is copied page by page at the schema version it has, which need not be this npscli's: the
    backup taken before an upgrade is the store as the previous npscli left it (``store`` may be opened without
    migrating). A PostgreSQL store is copied table by table, so it must be at the latest version."""
    path = path.expanduser().resolve()
    tmp = path.with_name(path.name + ".partial")
    try:
        private_dir(path.parent)  # a missing folder is made, owner-only at every level: a backup is patient data
        for leftover in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
            leftover.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        os.close(fd)
    except OSError as exc:
        raise StoreError(
            f"cannot write the backup at {path}: {exc.strerror or type(exc).__name__}",
            hint="choose a folder you can write to (a missing folder is created)",
        ) from None
    try:
        if store.dialect == "sqlite":
            import sqlite3

            src = sqlite3.connect(str(store.path))
            dst = sqlite3.connect(str(tmp))
            with dst:
                src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
            counts = _sqlite_counts(dst)
            dst.close()
            src.close()
        else:
            target = open_store(str(tmp))
            counts = copy_store(store, target)
            target.dispose()
        try:
            os.replace(tmp, path)
        except OSError as exc:
            raise StoreError(
                f"cannot write the backup at {path}: {exc.strerror or type(exc).__name__}",
                hint="choose a file name that is not a folder",
            ) from None
    finally:
        for leftover in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
            leftover.unlink(missing_ok=True)
    return counts


def _sqlite_counts(conn) -> dict[str, int]:
    """The rows of every npscli table of a SQLite database, whatever its schema version (tables a newer or an
    older npscli made included), in the order of :func:`table_counts`."""
    present = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"
        )
        if name != schema.schema_versions.name
    ]
    known = [table.name for table in data_tables()]
    ordered = [name for name in known if name in present] + [name for name in present if name not in known]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in ordered}


def store_bytes(store: Store) -> int:
    """The store's size on disk: a SQLite file with its WAL, or the PostgreSQL database."""
    if store.dialect == "sqlite":
        path = store.path
        return sum(p.stat().st_size for p in (path, Path(str(path) + "-wal")) if p.exists())
    with store.read() as conn:
        return int(conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar_one())


def compact(store: Store) -> tuple[int, int]:
    """Give the space of deleted or moved rows back: SQLite rewrites the file (VACUUM, then the WAL folded in and
    truncated); PostgreSQL marks it free for reuse and refreshes the planner's statistics (VACUUM ANALYZE; the
    database does not shrink on disk, as it would with VACUUM FULL, which locks every table). Returns the size
    before and after, in bytes. After an upgrade that moved a large store's columns (versions 10 and 11) a SQLite
    file keeps its old size until this runs; it needs free disk space for a second copy while it runs."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    before = store_bytes(store)
    try:
        if store.dialect == "sqlite":
            raw = store.engine.raw_connection()  # autocommit (the engine's connections emit their own BEGIN)
            try:
                raw.driver_connection.execute("VACUUM")
                raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
        else:
            with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for table in data_tables():
                    conn.exec_driver_sql(f"VACUUM (ANALYZE) {table.name}")
    except (OperationalError, sqlite3.OperationalError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise StoreError(
            f"cannot compact the store {redact_url(store.url)}: {reason}",
            hint="try again when no import is running (compacting needs the store to itself for a moment)",
        ) from None
    return before, store_bytes(store)


def check(store: Store) -> list[dict[str, Any]]:
    """Integrity and migration findings: a list of {check, status (ok|problem|note), detail}."""
    findings: list[dict[str, Any]] = []
    state = migrations.status(store)
    findings.append(
        {
            "check": "schema version",
            "status": "ok" if not state["pending"] else "problem",
            "detail": f"version {state['version']} of {state['latest']}"
            + (f"; pending {state['pending']}" if state["pending"] else ""),
        }
    )
    with store.read() as conn:
        if store.dialect == "sqlite":
            result = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
            findings.append(
                {
                    "check": "sqlite integrity",
                    "status": "ok" if result == ["ok"] else "problem",
                    "detail": "; ".join(result[:5]),
                }
            )
            fk = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            findings.append(
                {
                    "check": "foreign keys",
                    "status": "ok" if not fk else "problem",
                    "detail": f"{len(fk)} broken reference(s)",
                }
            )
        R, T = schema.responses, schema.tickets
        orphan = conn.execute(
            select(func.count()).select_from(T.outerjoin(R, T.c.response_pk == R.c.id)).where(R.c.id.is_(None))
        ).scalar_one()
        findings.append(
            {
                "check": "tickets point at responses",
                "status": "ok" if not orphan else "problem",
                "detail": f"{orphan} orphan(s)",
            }
        )
        labels = schema.group_labels
        unlabelled = sum(
            conn.execute(
                select(func.count())
                .select_from(R.outerjoin(labels, labels.c.id == R.c[f"{field}_id"]))
                .where(R.c[f"{field}_id"].is_not(None), labels.c.id.is_(None))
            ).scalar_one()
            for field in ("location", "department", "provider")
        )
        findings.append(
            {
                "check": "group ids point at labels",
                "status": "ok" if not unlabelled else "problem",
                "detail": f"{unlabelled} without a label",
            }
        )
        dup = conn.execute(
            select(func.count()).select_from(
                select(T.c.response_pk).group_by(T.c.response_pk).having(func.count() > 1).subquery()
            )
        ).scalar_one()
        findings.append(
            {
                "check": "one ticket per response",
                "status": "ok" if not dup else "problem",
                "detail": f"{dup} duplicated",
            }
        )
        batches = schema.import_batches
        bad = conn.execute(
            select(func.count())
            .select_from(batches)
            .where(
                batches.c.rows_read
                != batches.c.imported
                + batches.c.duplicates
                + batches.c.skipped
                + batches.c.excluded
                + batches.c.rejected
            )
        ).scalar_one()
        findings.append(
            {
                "check": "every input row accounted for",
                "status": "ok" if not bad else "problem",
                "detail": f"{bad} batch(es) off",
            }
        )
    counts = table_counts(store)
    findings.append({"check": "rows", "status": "note", "detail": ", ".join(f"{k} {v}" for k, v in counts.items())})
    return findings
