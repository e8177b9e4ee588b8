"""`npscli tickets ...`: one ticket per detractor, from assignment to resolution."""

import sys
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.app import make_app
from npscli.cli.detractors import parse_statuses
from npscli.cli.options import (
    ActorOpt,
    AsOfOpt,
    DbOpt,
    DepartmentOpt,
    FormatOpt,
    LocationOpt,
    ProviderOpt,
    SinceOpt,
    UntilOpt,
)
from npscli.cli.output import Col, OutputFormat, emit, message, stderr_is_terminal
from npscli.core import tickets as rules
from npscli.core.errors import NpsError, UsageError

app = make_app(help="Detractor tickets: list, assign, note contacts, resolve, escalate, sweep, stats.")

TicketArg = Annotated[str, typer.Argument(metavar="TICKET", help="Ticket id, e.g. T-000123 (or 123).")]
ChannelOpt = Annotated[
    str | None, typer.Option("--channel", metavar="CHANNEL", help="call, email, voicemail, sms, in-person or letter.")
]


def _ctx(db: str | None, by: str | None, as_of: str | None):
    s = context.settings(database=db, user=by)
    return s, context.open_db(s), context.now(as_of, s)


def _act(ticket: str, action: str, what: str, *, db, by, as_of, fmt: OutputFormat, settings=None, **fields) -> dict:
    """Apply one action to one ticket and say what happened (the body every single-ticket command shares); the
    ticket as it is now."""
    from npscli.store.tickets import apply_action

    s, store, now = _ctx(db, by, as_of) if settings is None else settings
    t = apply_action(store, rules.parse_ticket_id(ticket), action, actor=s.user, now=now, **fields)
    _done(t, what, fmt, s, now)
    return t


def _done(ticket: dict, what: str, fmt: OutputFormat, s, now) -> None:
    from npscli.services.views import ticket_row

    row = ticket_row(ticket, now=now, tz=s.timezone)
    if fmt is OutputFormat.table:
        message(f"{row['ticket_id']} {what} (status {row['status']}, assignee {row['assignee'] or '-'})")
    else:
        emit([row], fmt, [])


LIST_COLS = [
    Col("ticket_id", "ticket"),
    Col("status"),
    Col("priority"),
    Col("assignee"),
    Col("score", justify="right"),
    Col("received"),
    Col("location"),
    Col("department"),
    Col("due", "due"),
    Col("flag", marker=True),
    Col("root_causes", "root cause"),
]


@app.command("list")
def list_command(
    db: DbOpt = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="Status filter (repeatable; default open): new, assigned, ..., open, closed, all.",
        ),
    ] = None,
    assignee: Annotated[
        str | None, typer.Option("--assignee", metavar="NAME", help="Only this assignee's tickets.")
    ] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open tickets past their deadline.")] = False,
    location: LocationOpt = None,
    department: DepartmentOpt = None,
    provider: ProviderOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
    show_contact: Annotated[bool, typer.Option("--show-contact", help="Include patient contact details.")] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """List tickets (open ones by default). `--format csv` is ready for a CRM or EHR task list."""
    from npscli.core.periods import parse_window
    from npscli.services.views import joined_themes, local_short, ticket_row, with_themes
    from npscli.store.tickets import TicketFilter, list_tickets

    s, store, now = _ctx(db, None, as_of)
    start, end = parse_window(since, until, now) if (since or until) else (None, None)
    groups = context.group_filters(location, department, provider, store=store)
    f = TicketFilter(
        statuses=parse_statuses(status, default=rules.OPEN_STATUSES),
        assignee=assignee,
        location=groups["location"],
        department=groups["department"],
        provider=groups["provider"],
        overdue_at=now if overdue else None,
        since=start,
        until=end,
    )
    raw = list_tickets(store, f)
    rows = [ticket_row(r, now=now, tz=s.timezone, show_contact=show_contact) for r in raw]
    if fmt in (OutputFormat.json, OutputFormat.csv):  # the comment is in these: so are its themes
        themes = context.theme_source(s).themes_of(raw)
        rows = [with_themes(row, found) for row, found in zip(rows, themes, strict=True)]
        if fmt is OutputFormat.csv:
            rows = [{**row, "themes": joined_themes(row["themes"])} for row in rows]
        emit(rows, fmt, [])
        return
    for shown, r in zip(rows, raw, strict=True):
        shown["received"] = local_short(r["submitted_at"], s.timezone)
        shown["due"] = local_short(r["due_at"], s.timezone)
        shown["flag"] = "OVERDUE" if shown["overdue"] else ""
    emit(rows, fmt, LIST_COLS, title=f"{len(rows)} ticket(s)", empty="no tickets match")


@app.command("show")
def show_command(
    ticket: TicketArg,
    db: DbOpt = None,
    as_of: AsOfOpt = None,
    show_contact: Annotated[
        bool, typer.Option("--show-contact/--hide-contact", help="Patient contact details (shown by default here).")
    ] = True,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """One ticket: the response, the full comment and the whole history."""
    from npscli.services.tickets import ticket_lines, ticket_view

    s, store, now = _ctx(db, None, as_of)
    taxonomy = context.taxonomy_or_none(s)  # a broken taxonomy file must not hide a ticket
    row, history, t = ticket_view(
        store, rules.parse_ticket_id(ticket), now=now, tz=s.timezone, show_contact=show_contact, taxonomy=taxonomy
    )
    if fmt is OutputFormat.json:
        emit([], fmt, [], json_rows={**row, "history": history})
        return
    if fmt is OutputFormat.csv:
        emit(history, fmt, [])
        return
    out = _TerminalSafe(sys.stdout)
    for line in ticket_lines(row, t, tz=s.timezone, show_contact=show_contact, taxonomy=taxonomy):
        out.write(f"{line}\n")
    cols = [Col("at"), Col("actor"), Col("kind"), Col("to_status", "status"), Col("text", wrap=True)]
    for h in history:
        h["at"] = h["at"][:16].replace("T", " ")
    emit(history, fmt, cols, title="history")


class _TerminalSafe:
    """A text stream that shows control characters of untrusted text (comments, columns) as marks."""

    def __init__(self, stream) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        from npscli.core.textsafe import terminal_safe

        self.stream.write(terminal_safe(text))


@app.command("assign")
def assign_command(
    ticket: Annotated[
        str | None, typer.Argument(metavar="TICKET", help="Ticket id (or use --location for many).")
    ] = None,
    to: Annotated[str, typer.Option("--to", metavar="NAME", help="Who owns the follow-up.")] = "",
    location: LocationOpt = None,
    department: DepartmentOpt = None,
    since: SinceOpt = None,
    unassigned: Annotated[bool, typer.Option("--unassigned", help="Bulk: only tickets nobody owns yet.")] = False,
    db: DbOpt = None,
    by: ActorOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Assign a ticket, or every open ticket of a location/department (--since, --unassigned), to someone.

    In bulk, an escalated ticket stays with the person it was escalated to (the command lists them); hand one
    over by its id.
    """
    from npscli.core.names import fold_name
    from npscli.core.periods import parse_window
    from npscli.store.tickets import TicketFilter, assign_many

    if not to.strip():
        raise UsageError("say who to assign to", hint="npscli tickets assign T-000123 --to 'Maria Lopez'")
    if ticket and (location or department or since or unassigned):
        given = [flag for flag, value in (("--location", location), ("--department", department),
                                          ("--since", since), ("--unassigned", unassigned)) if value]  # fmt: skip
        raise UsageError(
            f"give a ticket id or {', '.join(given)}, not both: {' and '.join(given)} only choose tickets in bulk",
            hint=f"npscli tickets assign {ticket} --to NAME, or drop {ticket} to assign every ticket they choose",
        )
    ctx = _ctx(db, by, as_of)
    if ticket:
        if _already_assigned(ctx[1], ticket, to.strip(), fmt, ctx[0], ctx[2]):
            return
        _act(ticket, "assign", f"assigned to {to.strip()}", db=db, by=by, as_of=as_of, fmt=fmt, settings=ctx,
             assignee=to.strip())  # fmt: skip
        return
    s, store, now = ctx
    if not location and not department:
        raise UsageError("give a ticket id, or --location/--department to assign in bulk")
    from npscli.store.tickets import list_tickets

    start = parse_window(since, None, now)[0] if since else None
    groups = context.group_filters(location, department, store=store)
    # an escalated ticket is the person's it was escalated to (the medical director's): a weekly bulk hand-over
    # of a site's tickets must not take it back from them; by its id it can be
    site = TicketFilter(location=groups["location"], department=groups["department"], since=start)
    bulk = tuple(status for status in rules.OPEN_STATUSES if status != rules.ESCALATED)
    chosen = TicketFilter(**{**site.__dict__, "statuses": bulk})
    if unassigned:  # nobody owns them: a reopened ticket keeps its owner, a contacted one may have none
        open_ones = list_tickets(store, chosen)
        chosen = TicketFilter(ids=tuple(r["id"] for r in open_ones if not r["assignee"]) or (0,))  # 0: no ticket
    changed, already = assign_many(store, chosen, to.strip(), actor=s.user, now=now)
    rows = [{"ticket_id": rules.format_ticket_id(n), "assignee": to.strip()} for n in changed]
    if fmt is OutputFormat.table:  # a second Monday hand-over of the same site: "0 assigned" alone reads as a failure
        were = f" ({len(already)} already were)" if already else ""
        message(f"{len(changed)} open ticket(s) assigned to {to.strip()}{were}")
    else:
        emit(rows, fmt, [])
    if unassigned:  # an escalated ticket always has its owner: --unassigned never meant it
        return
    escalated = list_tickets(store, TicketFilter(**{**site.__dict__, "statuses": (rules.ESCALATED,)}))
    kept = [r for r in escalated if fold_name(r["assignee"]) != fold_name(to.strip())]
    if kept:
        shown = ", ".join(f"{rules.format_ticket_id(r['id'])} ({r['assignee']})" for r in kept[:5])
        more = f" and {len(kept) - 5} more" if len(kept) > 5 else ""
        message(
            f"  {len(kept)} escalated ticket(s) left with the person each was escalated to: {shown}{more}; "
            f"to hand one over: npscli tickets assign {rules.format_ticket_id(kept[0]['id'])} --to NAME"
        )


def _already_assigned(store, ticket: str, to: str, fmt: OutputFormat, s, now) -> bool:
    """An open ticket that is already that person's: said, and nothing logged (a second "assigned" line in the
    history, and a second `tickets assign` in a script, would read as a handover that never happened)."""
    from npscli.core.names import fold_name
    from npscli.store.tickets import show_ticket

    current, _events = show_ticket(store, rules.parse_ticket_id(ticket))
    if current["status"] not in rules.OPEN_STATUSES or fold_name(current["assignee"]) != fold_name(to):
        return False
    _done(current, f"is already assigned to {current['assignee']}: nothing changed", fmt, s, now)
    return True


@app.command("note")
def note_command(
    ticket: TicketArg,
    text: Annotated[str, typer.Argument(metavar="TEXT", help="The note.")],
    channel: ChannelOpt = None,
    reply: Annotated[bool, typer.Option("--reply", help="The patient replied (stops the no-response sweep).")] = False,
    db: DbOpt = None,
    by: ActorOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Add a note to the history (with --channel when it records a contact, --reply when the patient answered).

    A note with --channel on a ticket nobody has reached yet (new, assigned, reopened) is that contact, as
    `tickets contacted` records it: status contacted, the SLA clock stopped, the no-response clock started.
    """
    from npscli.store.tickets import show_ticket

    ctx = _ctx(db, by, as_of)
    if channel and not reply:
        current, _events = show_ticket(ctx[1], rules.parse_ticket_id(ticket))
        if current["status"] in (rules.NEW, rules.ASSIGNED, rules.REOPENED):
            _act(ticket, "contacted", f"contacted by {channel}", db=db, by=by, as_of=as_of, fmt=fmt, settings=ctx,
                 channel=channel, text=rules.check_note("note", text))  # fmt: skip
            return
    t = _act(ticket, "note", "note added", db=db, by=by, as_of=as_of, fmt=fmt, settings=ctx, channel=channel,
             text=text, reply=reply)  # fmt: skip
    if not channel and not reply and t["status"] in (rules.NEW, rules.ASSIGNED, rules.REOPENED):
        # "Called, left a message" typed as a plain note leaves the ticket unreached and its SLA clock running
        message(
            "  not recorded as a contact: if you reached out to the patient, add --channel call (or email, "
            "voicemail, sms, ...) so colleagues see it and the SLA clock stops"
        )


@app.command("contacted")
def contacted_command(
    ticket: TicketArg,
    channel: Annotated[
        str, typer.Option("--channel", metavar="CHANNEL", help="call, email, voicemail, sms, in-person or letter.")
    ],
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="What was said.")] = None,
    db: DbOpt = None,
    by: ActorOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Record that someone reached out (so colleagues know), starting the no-response clock."""
    _act(ticket, "contacted", f"contacted by {channel}", db=db, by=by, as_of=as_of, fmt=fmt, channel=channel, text=note)


@app.command("resolve")
def resolve_command(
    ticket: TicketArg,
    code: Annotated[
        list[str], typer.Option("--code", metavar="CODE", help="Root-cause code(s) (repeatable or comma-separated).")
    ],
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="What was learned / done.")] = None,
    db: DbOpt = None,
    by: ActorOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Close a ticket with its root cause(s) and what was learned."""

    ctx = _ctx(db, by, as_of)
    allowed = ctx[0].tickets.root_causes
    codes = rules.validate_root_causes(code, allowed)
    if not codes:
        raise UsageError("--code is required to resolve", hint=f"one of: {', '.join(allowed)}")
    _act(ticket, "resolve", "resolved", db=db, by=by, as_of=as_of, fmt=fmt, settings=ctx, codes=codes, text=note)


@app.command("no-response")
def no_response_command(
    ticket: TicketArg,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="Why.")] = None,
    db: DbOpt = None,
    by: ActorOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Close a contacted ticket whose patient did not answer: they are not chased again."""
    _act(ticket, "no_response", "closed as no response", db=db, by=by, as_of=as_of, fmt=fmt, text=note)


@app.command("escalate")
def escalate_command(
    ticket: TicketArg,
    to: Annotated[str, typer.Option("--to", metavar="NAME", help="The named person who takes over.")],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why (an at-risk patient, a complaint, ...).")
    ],
    db: DbOpt = None,
    by: ActorOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Escalate an open ticket to a named person, with a reason: they take it over (its new assignee).

    An escalated ticket can be escalated onward to someone else (the history keeps who had it).
    """
    if not to.strip() or not reason.strip():
        raise UsageError("escalation needs --to NAME and --reason TEXT")
    settings = _ctx(db, by, as_of)
    if _already_escalated(settings[1], ticket, to.strip()):
        return
    _act(
        ticket, "escalate", f"escalated to {to.strip()}", db=db, by=by, as_of=as_of, fmt=fmt,
        assignee=to.strip(), text=reason.strip(), settings=settings,
    )  # fmt: skip
    message(_who_hears_of_it(to.strip(), settings[0]))


def _already_escalated(store, ticket: str, to: str) -> bool:
    """A ticket escalated to that very person already: said, nothing logged (they were told once already)."""
    from npscli.core.names import fold_name
    from npscli.store.tickets import show_ticket

    current, _events = show_ticket(store, rules.parse_ticket_id(ticket))
    if current["status"] != rules.ESCALATED or fold_name(current["escalated_to"]) != fold_name(to):
        return False
    label = rules.format_ticket_id(current["id"])
    message(f"{label} is already escalated to {current['escalated_to']}: nothing changed")
    return True


def _who_hears_of_it(name: str, s) -> str:
    """Whether the next `npscli alert` run will e-mail the person a ticket was escalated to."""
    from npscli.core.routing import parse_alert_settings
    from npscli.services.alerts import address_of, people_addresses

    try:
        cfg = parse_alert_settings(s.section("alerts"), s.section("routing"), where=str(s.config_path or ""))
    except NpsError as error:  # the escalation is recorded; say why nobody will be told
        return f"{name} is not e-mailed: the alert settings have an error ({error.message}): tell them yourself"
    address = address_of(name, people_addresses(s.sections, cfg))
    if address is None:
        return (
            f"npscli has no e-mail address for {name}: tell them yourself "
            f'(or add [senders."{name}"] with email = "..." to npscli.toml, and npscli alert will)'
        )
    if cfg.sender is None:
        return f"{name} <{address}> is not e-mailed, alerts are not set up ([alerts] from): tell them yourself"
    return f"{name} <{address}> will be e-mailed by the next npscli alert run"


@app.command("reopen")
def reopen_command(
    ticket: TicketArg,
    note: Annotated[str | None, typer.Option("--note", metavar="TEXT", help="Why.")] = None,
    db: DbOpt = None,
    by: ActorOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Reopen a resolved or no-response ticket."""
    _act(ticket, "reopen", "reopened", db=db, by=by, as_of=as_of, fmt=fmt, text=note)


@app.command("sweep")
def sweep_command(
    days: Annotated[
        int | None, typer.Option("--days", metavar="N", help="Days after the last contact (default config, 7).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would be closed.")] = False,
    db: DbOpt = None,
    by: ActorOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Close as no_response the tickets contacted N days ago with no reply logged.

    For a nightly cron job: off a terminal a run that closes nothing prints nothing, so cron mails nothing.
    """
    from npscli.store.tickets import sweep

    s, store, now = _ctx(db, by, as_of)
    n_days = s.tickets.sweep_days if days is None else days
    if not 0 <= n_days <= 36_500:
        raise UsageError(f"--days {n_days}: give a number of days from 0 to 36500", hint="for example: --days 7")
    closed = sweep(store, days=n_days, actor=s.user, now=now, dry_run=dry_run)
    rows = [{"ticket_id": rules.format_ticket_id(n), "status": "no_response"} for n in closed]
    if fmt is OutputFormat.table and not closed:
        if not stderr_is_terminal():  # the nightly cron run: nothing happened, so nothing to mail
            return
        if n_days == 0:
            message("nothing to close: no contacted ticket is waiting for a reply")
        else:
            ago = f"{n_days} or more day{'s' if n_days != 1 else ''} ago"
            message(f"nothing to close: no ticket was contacted {ago} without a reply logged")
    elif fmt is OutputFormat.table:
        verb = "would close" if dry_run else "closed"
        message(f"{verb} {len(closed)} ticket(s) as no response: {', '.join(r['ticket_id'] for r in rows)}")
    else:
        emit(rows, fmt, [])


@app.command("stats")
def stats_command(
    db: DbOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
    by: Annotated[
        str | None, typer.Option("--by", metavar="FIELD", help="location, department, provider or assignee.")
    ] = None,
    location: LocationOpt = None,
    department: DepartmentOpt = None,
    provider: ProviderOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Opened, closed, time to first contact, share within the SLA, overdue, root causes, recovered patients."""
    from npscli.core.periods import parse_window
    from npscli.store.ticket_stats import ticket_stats

    by = by.strip().lower() if by else None  # as `score --by Location` takes it
    s, store, now = _ctx(db, None, as_of)
    start, end = parse_window(since, until, now) if (since or until) else (None, None)
    groups = context.group_filters(location, department, provider, store=store)
    rows = ticket_stats(store, by=by, since=start, until=end, now=now, threshold=s.tickets.threshold, filters=groups)
    cols = ([Col(by)] if by else []) + [
        Col("opened", justify="right"),
        Col("closed", justify="right"),
        Col("open", justify="right"),
        Col(
            "median_hours_to_contact",
            "median h to contact",
            justify="right",
            fmt=lambda v: "-" if v is None else f"{v:.1f}",
        ),
        Col(
            "contacted_within_sla",
            "% within SLA",
            justify="right",
            fmt=lambda v: "-" if v is None else f"{v:.1f}",
        ),
        Col("sla_decided", "of n", justify="right"),  # contacted, or past the deadline: the share's base
        Col("overdue_open", "overdue", justify="right"),
        Col("root_causes", "root causes", wrap=True),
        Col("recovered", justify="right"),
    ]
    emit(rows, fmt, cols, title=_stats_title(start, end, until is not None), empty="no tickets in this window")


def _stats_title(start, end, bounded: bool) -> str:
    """Which tickets the figures are of: those of the responses received in the window (the counts of open and
    overdue tickets are as of now)."""
    from datetime import timedelta

    from npscli.core.periods import window_label

    if start is not None:
        return f"ticket stats: responses received {window_label(start, end)}"
    if bounded:  # --until alone: up to its day (a date includes that day), or before its moment
        if (end.hour, end.minute, end.second) == (0, 0, 0):
            last = end - timedelta(days=1)
            return f"ticket stats: responses received up to {last.day} {last:%b %Y}"
        return f"ticket stats: responses received before {end.day} {end:%b %Y %H:%M}"
    return "ticket stats: every ticket"
