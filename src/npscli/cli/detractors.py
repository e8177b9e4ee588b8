"""`npscli detractors`: every unhappy patient, newest first, with the ticket that follows them up."""

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
    comments_only: Annotated[
        bool, typer.Option("--comments-only", help="Only detractors who left a comment (not just n/a, - or the like).")
    ] = False,
    show_contact: Annotated[
        bool, typer.Option("--show-contact", help="Include the patient's name, email and phone.")
    ] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Detractors (0-6), newest first: comment, ticket, status, assignee, age and OVERDUE past the deadline."""
    from npscli.core.periods import parse_window
    from npscli.services.detractors import detractor_rows, for_table
    from npscli.services.views import joined_themes

    s = context.settings(database=db)
    now = context.now(as_of, s)
    start, end = parse_window(since, until, now)
    store = context.open_db(s)
    out, raw = detractor_rows(
        store,
        now=now,
        tz=s.timezone,
        start=start,
        end=end,
        filters=context.group_filters(location, department, provider, store=store),
        statuses=parse_statuses(status),
        comments_only=comments_only,
        show_contact=show_contact,
        themes=context.theme_source(s),
    )
    if fmt is OutputFormat.json:
        emit(out, fmt, [])
        return
    if fmt is OutputFormat.csv:
        emit([{**r, "themes": joined_themes(r["themes"])} for r in out], fmt, [])
        return
    for_table(out, raw, now=now, tz=s.timezone)
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
        Col("flag", marker=True),
    ]
    if show_contact:
        cols[7:7] = [Col("patient_name", "patient"), Col("email"), Col("phone")]
    emit(out, fmt, cols, title=f"{len(out)} detractor(s)", empty="no detractors in this window")
