"""The `npscli import` use case: read each export, store its rows, open tickets, and say what happened.

``import_files`` does the work for every file and reports through two callbacks, so the command decides how it
is shown: ``note`` gets each line worth reading (the mapping, the issues, hints), ``failed`` each file that
failed when several are imported (one failing file does not stop the others). The helpers that read options and
describe a parsed export are shared with `npscli score FILE` (``npscli.services.reading``, re-exported here).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from npscli.core.errors import NpsError, UsageError
from npscli.io.private import private_dir
from npscli.services.reading import (  # shared with `npscli score FILE`; importable from here as before
    describe_date_order,
    describe_identical,
    describe_issues,
    describe_mapping,
    describe_read,
    nothing_stored,
    parse_map,
    read_options,
)

__all__ = [
    "ImportOutcome",
    "ImportRequest",
    "check_rejects_target",
    "describe_date_order",
    "describe_identical",
    "describe_issues",
    "describe_mapping",
    "describe_read",
    "import_files",
    "nothing_stored",
    "parse_map",
    "parse_stamp",
    "read_options",
    "save_hint",
]


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
    from npscli.io.exports import NoDataRows, open_export, write_rejects
    from npscli.store.responses import ImportResult, dry_run_result, import_parsed

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
                try:
                    export = open_export(file, options)  # the header and mapping now; the rows as they are stored
                except NoDataRows:
                    # A header and no responses (a daily export of a quiet day): nothing to store, not a failure.
                    if store is None and not (req.dry_run and store_missing):
                        store = open_store()
                    note(f"{file.name}: a header and no responses below it: nothing to import")
                    nothing = ImportResult(file.name, 0, 0, 0, 0, 0, 0, source=req.source or saved_name or "")
                    outcome.results.append(nothing)
                    continue
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


def parse_stamp(text: str, now):
    """--date WHEN: the survey's close date (00:00 clinic time that day) or date and time, in the forms --since
    takes (2026-11-01, yesterday...); aware."""
    from npscli.core.periods import parse_since

    return parse_since(text, now, flag="--date")


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
