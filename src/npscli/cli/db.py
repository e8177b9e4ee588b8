"""`npscli db ...`: move a store between SQLite and PostgreSQL, back it up, upgrade its schema, check it, compact it."""

from pathlib import Path
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.app import make_app
from npscli.cli.options import DbOpt, FormatOpt
from npscli.cli.output import Col, OutputFormat, emit, message
from npscli.core.errors import ConflictError, StoreError

app = make_app(help="The store: copy it to another backend, back it up, upgrade, check or compact it.")


@app.command("copy")
def copy_command(
    to: Annotated[
        str,
        typer.Option("--to", metavar="PATH|URL", help="Target: a SQLite path or a PostgreSQL URL (an empty store)."),
    ],
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Replace the target's contents.")] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Copy the whole store (responses, batches, tickets and history, alerts sent) to another database."""
    from npscli.store.engine import open_store, redact_url
    from npscli.store.maintenance import copy_store

    s = context.settings(database=db)
    source = context.open_db(s)
    target = open_store(to)
    copied = copy_store(source, target, force=force)
    rows = [{"table": k, "rows": v} for k, v in copied.items()]
    emit(rows, fmt, [Col("table"), Col("rows", justify="right")])
    message(f"copied to {redact_url(target.url)}; counts verified")


@app.command("backup")
def backup_command(
    path: Annotated[Path, typer.Argument(metavar="FILE", help="The SQLite backup file to write.")],
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a consistent SQLite backup of the store (safe while others are using it).

    A SQLite store is backed up as it is, its schema not upgraded first: after installing a newer npscli, back
    up, then `npscli db upgrade`."""
    from npscli.store.engine import sqlite_path, to_url
    from npscli.store.maintenance import backup
    from npscli.store.migrations import pending

    if path.exists() and not force:
        raise ConflictError(f"{path} already exists", hint="choose a new file name or pass --force")
    s = context.settings(database=db)
    as_it_is = sqlite_path(to_url(s.database_url())) is not None
    store = context.open_db(s, migrate=not as_it_is)
    version, _ = pending(store)
    if version == 0:
        raise StoreError(
            f"{store.path} is not an npscli store (it has no npscli schema)",
            hint="check --db / NPSCLI_DB / `database` in npscli.toml",
        )
    counts = backup(store, path)
    message(f"backed up to {path} (schema version {version}): " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command("upgrade")
def upgrade_command(
    db: DbOpt = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only list the migrations this npscli would apply; change nothing.")
    ] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Bring the store's schema up to this npscli's version now (the first command after an upgrade would).

    Lists the migrations applied (with --check: pending), one row each; a store newer than this npscli is
    refused (exit 4)."""
    from npscli.store.migrations import LATEST, pending, upgrade

    s = context.settings(database=db)
    store = context.open_db(s, migrate=False)
    version, waiting = pending(store)
    columns = [Col("version", justify="right"), Col("migration", wrap=True)]
    rows = [{"version": number, "migration": description} for number, description in waiting]
    if check:
        emit(rows, fmt, columns)
        message(
            f"schema version {version} of {LATEST}: "
            + (f"{len(rows)} migration(s) pending; `npscli db upgrade` applies them" if rows else "up to date")
        )
        return
    applied = set(upgrade(store, on_start=context.say_upgrading))
    emit([row for row in rows if row["version"] in applied], fmt, columns)
    message(f"schema version {version} -> {LATEST}" if applied else f"schema version {version}: already up to date")


@app.command("check")
def check_command(db: DbOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Check integrity, migration state and bookkeeping; exit 4 if anything is wrong."""
    from npscli.store.maintenance import check

    s = context.settings(database=db)
    findings = check(context.open_db(s))
    emit(findings, fmt, [Col("check"), Col("status"), Col("detail", wrap=True)])
    problems = [f for f in findings if f["status"] == "problem"]
    if problems:
        raise StoreError(f"{len(problems)} problem(s) found: " + "; ".join(p["check"] for p in problems))


@app.command("compact")
def compact_command(db: DbOpt = None) -> None:
    """Give unused space back (SQLite: rewrite the file; PostgreSQL: VACUUM ANALYZE), e.g. after an upgrade."""
    from npscli.store.maintenance import compact

    s = context.settings(database=db)
    store = context.open_db(s)
    before, after = compact(store)
    message(f"compacted: {_size(before)} -> {_size(after)}")


def _size(count: int) -> str:
    return f"{count / 1_000_000:,.1f} MB" if count >= 100_000 else f"{count:,} bytes"
