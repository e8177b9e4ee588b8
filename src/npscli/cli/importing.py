"""`npscli import` and `npscli imports`: survey exports into the store, and the batch history."""

from __future__ import annotations

from collections import defaultdict
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
    QuietOpt,
    ScaleCheckOpt,
    SheetOpt,
    SourceOpt,
    TimezoneOpt,
)
from npscli.cli.output import Col, OutputFormat, emit, import_progress, is_quiet, message, set_quiet
from npscli.core.errors import NpsError, UsageError

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


def parse_map(items: list[str] | None) -> dict[str, str]:
    from npscli.io.exports import CANONICAL_FIELDS

    out: dict[str, str] = {}
    for item in items or []:
        field, sep, column = item.partition("=")
        field = field.strip().lower()
        if not sep or not column.strip():
            raise UsageError(f"--map {item!r} is not FIELD=COLUMN", hint="for example: --map score=Q1")
        if field not in CANONICAL_FIELDS:
            raise UsageError(f"--map: unknown field {field!r}", hint=f"fields: {', '.join(CANONICAL_FIELDS)}")
        out[field] = column.strip()
    return out


def read_options(
    s,
    file: Path,
    *,
    source,
    overrides,
    sheet,
    dayfirst,
    scale_check,
    strict=False,
    now=None,
    encoding=None,
    stamp=None,
    date_required=True,
):
    """ReadOptions for one file: --map over the saved source mapping; flags over config. A response submitted
    more than a day after ``now`` (the run's now) is rejected: no survey answer comes from the future.
    ``stamp`` (--date, aware) dates every response of a file without a date column; ``date_required`` False
    (scoring) lets such a file through without one."""
    from datetime import timedelta

    from npscli.io.exports import ReadOptions

    saved = s.source_for(source, file.name)
    mapping = dict(saved.map) if saved else {}
    mapping.update(overrides)
    return ReadOptions(
        overrides=mapping,
        sheet=sheet,
        dayfirst=dayfirst if dayfirst is not None else (saved.dayfirst if saved else None),
        default_dayfirst=s.dayfirst,
        timezone=saved.timezone
        if saved and saved.timezone and s.origins.get("timezone") != "--timezone"
        else s.timezone,
        scale_check=scale_check,
        strict=strict,
        not_after=now + timedelta(days=1) if now is not None else None,
        date_required=date_required,
        stamp=stamp,
        encoding=encoding,
    ), (saved.name if saved else None)


def describe_mapping(parsed) -> str:
    """One line: the layout, the encoding when it is not UTF-8, and each field's column, with why when the
    column's values decided (``score <- 'Q20' (question text; 0-10 integers; not 'Q41_5': text answers)``)."""
    parts = []
    for field, column in parsed.mapping.items():
        how = parsed.mapping_source.get(field, "")
        tags = ["--map"] if how == "--map" else (["question text"] if how == "question text" else [])
        reason = parsed.mapping_reason.get(field)
        if reason:
            tags.append(reason)
        tag = f" ({'; '.join(tags)})" if tags else ""
        shown = column if len(column) <= 48 else column[:45] + "..."
        parts.append(f"{field} <- {shown!r}{tag}")
    parts += [why for field, why in parsed.mapping_reason.items() if field not in parsed.mapping]
    if parsed.stamped is not None:
        parts.append(f"submitted_at <- --date {parsed.stamped:%Y-%m-%d %H:%M} (the file has no date column)")
    elif "submitted_at" not in parsed.mapping:
        parts.append("no date column (scored without dates)")
    encoding = parsed.encoding
    read_as = f", read as {_ENCODING_NAMES.get(encoding, encoding)}" if encoding not in _UTF8 else ""
    sheet = f", sheet {parsed.sheet!r} (the first sheet holds no export)" if getattr(parsed, "sheet", None) else ""
    return f"{parsed.path.name}: {parsed.layout} layout{sheet}{read_as}; " + ", ".join(parts)


_UTF8 = (None, "utf-8", "utf-8-sig", "utf_8", "utf_8_sig")
_ENCODING_NAMES = {"iso8859-1": "latin-1", "cp1252": "cp1252 (Windows-1252)"}


def describe_date_order(parsed) -> str | None:
    """The line that says how dates reading either way were read, when the file did not prove the order."""
    dayfirst = parsed.guessed_dayfirst
    if dayfirst is None:
        return None
    if dayfirst:
        return "  dates read day-first: 03/11/2025 is 3 November; --monthfirst if not"
    return "  dates read month-first: 03/11/2025 is 11 March; --dayfirst if not"


def describe_identical(parsed) -> str | None:
    """The line that says how many identical rows were kept as separate responses, if any."""
    kept = parsed.kept_identical
    if not kept:
        return None
    return (
        f"  {kept} identical row{'s' if kept > 1 else ''} kept as separate responses: without a response id, so "
        "ordinary that different people give them (see README, Importing exports)"
    )


def parse_stamp(text: str, now):
    """--date WHEN: the survey's close date (00:00 clinic time that day) or date and time, in the forms --since
    takes (2026-11-01, yesterday...); aware."""
    from npscli.core.periods import parse_since

    return parse_since(text, now, flag="--date")


def describe_issues(parsed) -> list[str]:
    by_reason: dict[tuple[str, str], list[int]] = defaultdict(list)
    for issue in parsed.issues:
        by_reason[(issue.outcome, issue.reason)].append(issue.row)
    lines = []
    for (outcome, reason), rows in sorted(by_reason.items()):
        shown = ", ".join(str(r) for r in rows[:8]) + (f" and {len(rows) - 8} more" if len(rows) > 8 else "")
        lines.append(f"  {outcome}: {len(rows)} ({reason}: row{'s' if len(rows) > 1 else ''} {shown})")
    return lines


def save_hint(name: str, file: Path, overrides: dict[str, str]) -> str:
    """The npscli.toml lines that make this --map the default for files like this one."""
    import re

    pattern = re.sub(r"\d+", "*", file.name)
    mapping = ", ".join(f'{field} = "{column}"' for field, column in overrides.items())
    return (
        "  to reuse this mapping without flags, add to npscli.toml:\n"
        f'    [sources.{name}]\n    match = "{pattern}"\n    map = {{ {mapping} }}'
    )


def check_rejects_target(rejects: Path, many: bool) -> None:
    """Refuse an unwritable --rejects before anything is imported (not after the file is committed)."""
    import os

    one_file_each = many or rejects.is_dir()  # a folder of <file>.rejects.csv
    folder = rejects if one_file_each else rejects.parent
    if one_file_each:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"--rejects {rejects}: cannot create the folder ({exc.strerror}); nothing was imported",
                hint="pick a writable folder",
            ) from None
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise UsageError(
            f"--rejects {rejects}: the folder {folder} does not exist or is not writable; nothing was imported",
            hint="create the folder first, or pick another --rejects path",
        )


def _rejects_path(rejects: Path, file: Path, many: bool) -> Path:
    if many or rejects.is_dir():
        rejects.mkdir(parents=True, exist_ok=True)
        return rejects / f"{file.stem}.rejects.csv"
    return rejects


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
    quiet: QuietOpt = False,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Import survey exports into the store: every row imported, duplicate, skipped, excluded or rejected."""
    if quiet:
        set_quiet(True)
    from npscli.io.exports import open_export, write_rejects
    from npscli.store.responses import dry_run_result, import_parsed

    s = context.settings(database=db, timezone=timezone)
    now = context.now(as_of, s)
    from npscli.core.periods import parse_since

    tickets_from = parse_since(tickets_since, now, flag="--tickets-since") if tickets_since else None
    stamped = parse_stamp(stamp, now) if stamp is not None else None
    overrides = parse_map(map_)
    if rejects is not None:
        check_rejects_target(rejects, many=len(files) > 1)
    store = None
    planned: dict[str, set[str]] = {}  # --dry-run: the keys earlier files would store, per source
    results = []
    failures: list[NpsError] = []
    suggest = _cause_suggester(s)
    progress = import_progress(quiet=quiet)
    for file in files:
        try:
            options, saved_name = read_options(
                s,
                file,
                source=source,
                overrides=overrides,
                sheet=sheet,
                dayfirst=dayfirst,
                scale_check=scale_check,
                strict=strict,
                now=now,
                encoding=encoding,
                stamp=stamped,
            )
            export = open_export(file, options)  # the header and mapping now; the rows as they are stored
            if store is None and not (dry_run and context.missing_store(s)):
                store = context.open_db(s, create=True)  # (on a terminal it names the store: before the files)
            message(describe_mapping(export))
            progress.file(file.name, export.estimated_rows)
            if stamped is not None and export.stamped is None:
                message(f"  --date not used: {file.name} has its own dates ({export.mapping['submitted_at']!r})")
            if overrides and not saved_name:
                message(save_hint(source or export.layout, file, overrides))
            name = source or saved_name or export.layout
            if dry_run:
                result = dry_run_result(
                    store,
                    progress.counted(export),
                    source=name,
                    ticket_threshold=s.tickets.threshold,
                    tickets_since=tickets_from,
                    planned=planned.setdefault(name, set()),
                )
            else:
                result = import_parsed(
                    store,
                    progress.counted(export),
                    source=name,
                    actor=s.user,
                    tickets=s.tickets,
                    suggest_cause=suggest,
                    now=now,
                    tickets_since=tickets_from,
                )
            for line in [describe_date_order(export), *describe_issues(export)]:
                if line:
                    message(line)
            identical = describe_identical(export)
            if identical:
                message(identical)
            if rejects is not None and result.rejected:
                path = _rejects_path(rejects, file, len(files) > 1)
                write_rejects(export, path)
                result.rejects_file = str(path)
            results.append(result)
            if result.rows_read and not result.imported and not result.duplicates:
                # not a success, but the summary still shows the file's counts
                empty = nothing_stored(export, verb="would be stored" if dry_run else "was stored")
                report_error(empty)
                failures.append(empty)
        except NpsError as exc:
            if len(files) == 1:
                raise
            report_error(exc)
            failures.append(exc)
    progress.done()
    rows = [r.as_dict() for r in results]
    if is_quiet() and fmt is OutputFormat.table:
        rows = []  # cron: the summary only when asked for a format
    if rows or fmt is not OutputFormat.table:
        title = "dry run: nothing was written" if dry_run else None
        emit(rows, fmt, IMPORT_COLS, title=title)
    if failures:
        raise typer.Exit(int(max(f.exit_code for f in failures)))


def nothing_stored(export, *, verb: str = "was stored", can: str = "can be stored") -> NpsError:
    """The error for a file none of whose rows can be used (all rejected, skipped or excluded): the commonest
    reason, where, and the fix. After an import the batch stays in `npscli imports`, with its counts."""
    from collections import Counter

    from npscli.core.errors import RowError

    reasons = Counter((issue.outcome, issue.reason, issue.column) for issue in export.issues)
    (outcome, reason, column), count = reasons.most_common(1)[0]
    first = next(
        issue.row for issue in export.issues if (issue.outcome, issue.reason, issue.column) == (outcome, reason, column)
    )
    where = f", column {column!r}" if column else ""
    if column and column == export.mapping.get("score"):
        hint = "if this is not the 0-10 recommend question, name the right column with --map score=COLUMN"
    elif column and column == export.mapping.get("submitted_at"):
        hint = (
            "name the date column with --map submitted_at=COLUMN, or, if the file has none, give the survey's "
            "close date with --date WHEN"
        )
    else:
        hint = "see the reasons above; --rejects rejected.csv writes the rejected rows with their values"
    return RowError(
        f"{export.path.name}: nothing {verb}: none of its {export.rows_read} rows {can} "
        f"({count} {outcome}: {reason}{where}, from row {first})",
        hint=hint,
    )


def _cause_suggester(s):
    """A function comment -> root-cause code from the theme taxonomy, or None if themes are unavailable."""
    try:
        from npscli.io.taxonomy import load_configured_taxonomy
    except ImportError:
        return None
    taxonomy = load_configured_taxonomy(s)
    return taxonomy.suggest_root_cause


def imports_command(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option("--limit", metavar="N", help="How many batches, newest first.")] = 50,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List the import batches: file, sha256, counts, when and by whom."""
    from npscli.store.responses import list_batches

    if limit < 1:
        raise UsageError(f"--limit {limit}: give a number of batches, 1 or more", hint="for example: --limit 10")
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
