"""The `npscli import` use case: read each export, store its rows, open tickets, and say what happened.

``import_files`` does the work for every file and reports through two callbacks, so the command decides how it
is shown: ``note`` gets each line worth reading (the mapping, the issues, hints), ``failed`` each file that
failed when several are imported (one failing file does not stop the others). The helpers that read options and
describe a parsed export are shared with `npscli score FILE`.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from npscli.core.errors import NpsError, UsageError
from npscli.io.private import private_dir


@dataclass(frozen=True)
class ImportRequest:
    """What `npscli import` was asked for, parsed."""

    files: Sequence[Path]
    now: datetime
    source: str | None = None
    overrides: dict[str, str] = dataclasses.field(default_factory=dict)
    sheet: str | None = None
    dayfirst: bool | None = None
    scale_check: bool = True
    strict: bool = False
    stamp: datetime | None = None  # --date, aware
    encoding: str | None = None
    dry_run: bool = False
    tickets_since: datetime | None = None
    rejects: Path | None = None


@dataclass
class ImportOutcome:
    results: list[Any] = dataclasses.field(default_factory=list)  # store.responses.ImportResult, one per file read
    failures: list[NpsError] = dataclasses.field(default_factory=list)


def import_files(
    s,
    req: ImportRequest,
    *,
    open_store: Callable[[], Any],
    store_missing: bool,
    note: Callable[[str], None],
    failed: Callable[[NpsError], None],
    reading: Callable[[Path, Any], Any] = lambda file, export: export,
) -> ImportOutcome:
    """Import (or, dry, count) every file of ``req``. ``open_store`` opens (creating) the store the first time it
    is needed; with ``store_missing`` a dry run never creates it. A lone file's error is raised; with several,
    each failing file goes to ``failed`` and the next is read. ``reading(file, export)`` is told of each export
    before its rows are read and returns the one to read them from (a progress display counts its chunks)."""
    from npscli.io.exports import open_export, write_rejects
    from npscli.store.responses import dry_run_result, import_parsed

    if req.rejects is not None:
        check_rejects_target(req.rejects, many=len(req.files) > 1)
    store = None
    planned: dict[str, set[str]] = {}  # --dry-run: the keys earlier files would store, per source
    outcome = ImportOutcome()
    suggest, match_themes, themes_key = _theme_functions(s)
    many = len(req.files) > 1
    try:
        for file in req.files:
            try:
                options, saved_name = read_options(
                    s,
                    file,
                    source=req.source,
                    overrides=req.overrides,
                    sheet=req.sheet,
                    dayfirst=req.dayfirst,
                    scale_check=req.scale_check,
                    strict=req.strict,
                    now=req.now,
                    encoding=req.encoding,
                    stamp=req.stamp,
                )
                export = open_export(file, options)  # the header and mapping now; the rows as they are stored
                if store is None and not (req.dry_run and store_missing):
                    store = open_store()  # (on a terminal it names the store: before the files)
                note(describe_mapping(export))
                if req.stamp is not None and export.stamped is None:
                    note(f"  --date not used: {file.name} has its own dates ({export.mapping['submitted_at']!r})")
                if req.overrides and not saved_name:
                    note(save_hint(req.source or export.layout, file, req.overrides))
                watched = reading(file, export)
                name = req.source or saved_name or export.layout
                if req.dry_run:
                    result = dry_run_result(
                        store,
                        watched,
                        source=name,
                        ticket_threshold=s.tickets.threshold,
                        tickets_since=req.tickets_since,
                        planned=planned.setdefault(name, set()),
                    )
                else:
                    result = import_parsed(
                        store,
                        watched,
                        source=name,
                        actor=s.user,
                        tickets=s.tickets,
                        suggest_cause=suggest,
                        now=req.now,
                        tickets_since=req.tickets_since,
                        match_themes=match_themes,
                        themes_key=themes_key,
                    )
                for line in describe_read(export):
                    note(line)
                if req.rejects is not None and result.rejected:
                    path = _rejects_path(req.rejects, file, many)
                    write_rejects(export, path)
                    result.rejects_file = str(path)
                outcome.results.append(result)
                if result.rows_read and not result.imported and not result.duplicates:
                    # not a success, but the summary still shows the file's counts
                    empty = nothing_stored(export, verb="would be stored" if req.dry_run else "was stored")
                    failed(empty)
                    outcome.failures.append(empty)
            except NpsError as exc:
                if not many:
                    raise
                failed(exc)
                outcome.failures.append(exc)
    finally:
        if store is not None:
            store.dispose()
    return outcome


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


def describe_read(parsed) -> list[str]:
    """The lines after a file was read: how its dates were read, its row outcomes, its identical rows kept."""
    lines = [describe_date_order(parsed), *describe_issues(parsed), describe_identical(parsed)]
    return [line for line in lines if line]


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
            private_dir(folder)
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
        private_dir(rejects)
        return rejects / f"{file.stem}.rejects.csv"
    return rejects


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


def _theme_functions(s):
    """(comment -> root-cause code, comment -> theme codes, the fingerprint of that matching) from the theme
    taxonomy; all None if themes are unavailable. The tickets keep their comment's themes under the
    fingerprint (``io.theme_key.configured_taxonomy_key``), so `detractors` shows them without matching again."""
    try:
        from npscli.io.taxonomy import load_configured_taxonomy
        from npscli.io.theme_key import configured_taxonomy_key
    except ImportError:
        return None, None, None
    key = configured_taxonomy_key(s)
    taxonomy = load_configured_taxonomy(s)
    return taxonomy.suggest_root_cause, taxonomy.match, key
