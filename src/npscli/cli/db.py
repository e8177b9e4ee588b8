"""`npscli db ...`: move a store between SQLite and PostgreSQL, back it up, check it, compact it."""

from pathlib import Path
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.app import make_app
from npscli.cli.options import DbOpt, FormatOpt
from npscli.cli.output import Col, OutputFormat, emit, message
from npscli.core.errors import ConflictError, StoreError

app = make_app(help="The store itself: copy it to another backend, back it up, check it, compact it.")


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
    """Write a consistent SQLite backup of the store (safe while others are using it)."""
    from npscli.store.maintenance import backup

    if path.exists() and not force:
        raise ConflictError(f"{path} already exists", hint="choose a new file name or pass --force")
    s = context.settings(database=db)
    counts = backup(context.open_db(s), path)
    message(f"backed up to {path}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


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
