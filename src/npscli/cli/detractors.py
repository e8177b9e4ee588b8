"""`npscli detractors`: every unhappy patient, newest first, with the ticket that follows them up."""

from __future__ import annotations

from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.options import (
    AsOfOpt,
    DbOpt,
    DepartmentOpt,
    FormatOpt,
    LocationOpt,
    ProviderOpt,
    SinceOpt,
    UntilOpt,
)
from npscli.cli.output import Col, OutputFormat, emit
from npscli.core import tickets as rules
from npscli.core.errors import UsageError

StatusOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        metavar="STATUS",
        help="Only tickets in this status (repeatable): new, assigned, contacted, ..., open, closed, all.",
    ),
]


def parse_statuses(values: list[str] | None, default: tuple[str, ...] = ()) -> tuple[str, ...]:
    out: list[str] = []
    for value in values or []:
        for part in value.split(","):
            part = part.strip().lower().replace("-", "_")
            if not part:
                continue
            if part == "all":
                return ()
            if part == "open":
                out += rules.OPEN_STATUSES
            elif part == "closed":
                out += rules.CLOSED_STATUSES
            elif part in rules.STATUSES:
                out.append(part)
            else:
                raise UsageError(
                    f"unknown status {part!r}",
                    hint=f"use one of: {', '.join(rules.STATUSES)}, open, closed, all",
                )
    return tuple(dict.fromkeys(out)) or default


def detractors_command(
    db: DbOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
    location: LocationOpt = None,
    department: DepartmentOpt = None,
    provider: ProviderOpt = None,
    status: StatusOpt = None,
    comments_only: Annotated[bool, typer.Option("--comments-only", help="Only detractors who left a comment.")] = False,
    show_contact: Annotated[
        bool, typer.Option("--show-contact", help="Include the patient's name, email and phone.")
    ] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Detractors (0-6), newest first: comment, ticket, status, assignee, age and OVERDUE past the deadline."""
    from npscli.core.periods import parse_window
    from npscli.services.views import age, comment_themes, detractor_row, joined_themes, local_short, with_themes
    from npscli.store.responses import list_detractors

    s = context.settings(database=db)
    now = context.now(as_of, s)
    start, end = parse_window(since, until, now)
    store = context.open_db(s)
    rows = list_detractors(
        store,
        max_score=6,
        since=start,
        until=end,
        filters=context.group_filters(location, department, provider, store=store),
        statuses=parse_statuses(status),
        comments_only=comments_only,
    )
    taxonomy = context.taxonomy_or_none(s)
    out = [
        with_themes(
            detractor_row(r, now=now, tz=s.timezone, show_contact=show_contact),
            comment_themes(taxonomy, r.get("comment")),
        )
        for r in rows
    ]
    if fmt is OutputFormat.json:
        emit(out, fmt, [])
        return
    if fmt is OutputFormat.csv:
        emit([{**r, "themes": joined_themes(r["themes"])} for r in out], fmt, [])
        return
    for shown, raw in zip(out, rows, strict=True):
        shown["when"] = local_short(raw["submitted_at"], s.timezone)
        shown["age"] = age(raw["submitted_at"], now)
        shown["flag"] = "OVERDUE" if shown["overdue"] else ""
        shown["themes_shown"] = "\n".join(shown["themes"] or ())  # one per line: the column stays narrow
    cols = [
        Col("when", "received"),
        Col("score", justify="right"),
        Col("location"),
        Col("department"),
        Col("provider"),
        Col("comment", wrap=True, min_width=30),
        Col("themes_shown", "themes"),
        Col("ticket_id", "ticket"),
        Col("status"),
        Col("assignee"),
        Col("age", justify="right"),
        Col("flag", ""),
    ]
    if show_contact:
        cols[7:7] = [Col("patient_name", "patient"), Col("email"), Col("phone")]
    emit(out, fmt, cols, title=f"{len(out)} detractor(s)", empty="no detractors in this window")
