"""What `npscli import` and `npscli score FILE` share to read an export: the read options of a file (flags
over its saved source over config), the --map items, and the lines that say how a file was read.

Its own module so that `npscli score FILE` does not import the import's use case (``npscli.services.importing``
re-exports these names).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from npscli.core.errors import NpsError, UsageError


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
