"""`npscli import` and `npscli imports`: survey exports into the store, and the batch history."""

from pathlib import Path
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.errors import report_error
from npscli.cli.options import (
    AsOfOpt,
    DayFirstOpt,
    DbOpt,
    EncodingOpt,
    FilesArg,
    FormatOpt,
    MapOpt,
    ScaleCheckOpt,
    SheetOpt,
    SourceOpt,
    TimezoneOpt,
)
from npscli.cli.output import Col, OutputFormat, emit, import_progress, is_quiet, message
from npscli.core.errors import UsageError

IMPORT_COLS = [
    Col("file", "file"),
    Col("rows_read", "rows", justify="right"),
    Col("imported", "imported", justify="right"),
    Col("duplicates", "duplicates", justify="right"),
    Col("skipped", "skipped", justify="right"),
    Col("excluded", "excluded", justify="right"),
    Col("rejected", "rejected", justify="right"),
    Col("tickets_opened", "tickets", justify="right"),
    Col("rejects_file", "rejects file"),
]


def import_command(
    files: FilesArg,
    db: DbOpt = None,
    map_: MapOpt = None,
    source: SourceOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    timezone: TimezoneOpt = None,
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", metavar="FILE", help="Write rejected rows (row number, reason, values) to this CSV."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="One rejected row fails the whole file.")] = False,
    stamp: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="WHEN",
            help="For a file with no date column: the survey's close date (YYYY-MM-DD), stamped on every response "
            "and recorded on the import batch. Files with a date column keep their own.",
        ),
    ] = None,
    encoding: EncodingOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read and count, change nothing.")] = False,
    scale_check: ScaleCheckOpt = True,
    tickets_since: Annotated[
        str | None,
        typer.Option(
            "--tickets-since",
            metavar="WHEN",
            help="Open follow-up tickets only for detractors received since then (14d, 2026-11-01): for a "
            "first import of old exports. Default: every new detractor.",
        ),
    ] = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Import survey exports into the store: every row imported, duplicate, skipped, excluded or rejected."""
    from npscli.core.periods import parse_since
    from npscli.services.importing import ImportRequest, import_files, parse_map, parse_stamp

    s = context.settings(database=db, timezone=timezone)
    now = context.now(as_of, s)
    request = ImportRequest(
        files=files,
        now=now,
        source=source,
        overrides=parse_map(map_),
        sheet=sheet,
        dayfirst=dayfirst,
        scale_check=scale_check,
        strict=strict,
        stamp=parse_stamp(stamp, now) if stamp is not None else None,
        encoding=encoding,
        dry_run=dry_run,
        tickets_since=parse_since(tickets_since, now, flag="--tickets-since") if tickets_since else None,
        rejects=rejects,
    )
    progress = import_progress()
    outcome = import_files(
        s,
        request,
        open_store=lambda: context.open_db(s, create=True),
        store_missing=context.missing_store(s),
        note=message,
        failed=report_error,
        reading=lambda file, export: progress.watch(file.name, export),
    )
    progress.done()
    rows = [r.as_dict() for r in outcome.results]
    if is_quiet() and fmt is OutputFormat.table:
        rows = []  # cron: the summary only when asked for a format
    if rows or fmt is not OutputFormat.table:
        emit(rows, fmt, IMPORT_COLS, title="dry run: nothing was written" if dry_run else None)
    if outcome.failures:
        raise typer.Exit(int(max(f.exit_code for f in outcome.failures)))


def imports_command(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option("--limit", metavar="N", help="How many batches, newest first.")] = 50,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List the import batches: file, sha256, counts, when and by whom."""
    from npscli.store.queries import list_batches

    if not 1 <= limit <= 1_000_000_000:  # (a SQL LIMIT is a 64-bit number: more is a typo, not a request)
        raise UsageError(
            f"--limit {limit}: give a number of batches, 1 to 1,000,000,000", hint="for example: --limit 10"
        )
    s = context.settings(database=db)
    rows = list_batches(context.open_db(s), limit=limit)
    cols = [
        Col("batch", justify="right"),
        Col("imported_at", "imported at (UTC)", fmt=lambda v: v[:16].replace("T", " ")),
        Col("by"),
        Col("source"),
        Col("file"),
        Col("sha256", fmt=lambda v: v[:12]),  # the full digest is in --format json/csv
        Col("rows_read", "rows", justify="right"),
        Col("imported", justify="right"),
        Col("duplicates", justify="right"),
        Col("skipped", justify="right"),
        Col("excluded", justify="right"),
        Col("rejected", justify="right"),
        Col("tickets_opened", "tickets", justify="right"),
    ]
    emit(rows, fmt, cols, empty="no imports yet: run `npscli import FILE`")
