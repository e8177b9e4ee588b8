"""Tickets in the store: opening them at import, the activity log, transitions, listing, stats.

Every change is one write transaction that reads the ticket, checks the transition, updates it and
appends to ``ticket_events``; events are never updated or deleted (an append-only history).
On PostgreSQL the ticket row is locked (SELECT ... FOR UPDATE) so two coordinators acting on one
ticket at the same moment are applied one after the other, never lost.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, String, and_, func, literal, select

from npscli.config import TicketSettings
from npscli.core import tickets as rules
from npscli.core.errors import NotFoundError, UsageError
from npscli.core.periods import naive_utc
from npscli.store import schema
from npscli.store.engine import Store

T = schema.tickets
E = schema.ticket_events
R = schema.responses




TICKET_COLUMNS = ("response_pk", "status", "priority", "opened_at", "due_at", "suggested_cause", "updated_at")
_SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format for DateTime on SQLite
_EARLIEST = datetime(1, 1, 1)  # "since the beginning": every stored time is later
_MAX_ROWID = 2**63 - 1


def opens_ticket(scores, submitted, *, threshold: int, since: datetime | None):
    """The rule :func:`open_tickets_for_batch` applies in SQL, over arrays (for `import --dry-run`): a response
    gets a ticket when its score is at or below ``threshold`` and it was received at or after ``since`` (aware;
    None = any time). ``scores`` int array, ``submitted`` datetime64 (naive UTC); returns a boolean array."""
    import numpy as np

    follow = np.asarray(scores) <= threshold
    if since is not None:
        follow &= np.asarray(submitted, dtype="datetime64[us]") >= np.datetime64(naive_utc(since))
    return follow


def open_tickets_for_batch(
    conn,
    batch_id: int,
    settings: TicketSettings,
    *,
    actor: str,
    now: datetime,
    suggest_cause: Callable[[str | None], str | None] | None = None,
    received_since: datetime | None = None,
) -> int:
    """Open one ticket for every response of this batch at or below the threshold (received since
    ``received_since``, when given: a back-fill of old exports opens no follow-up for patients surveyed
    long ago). Returns the count.

    Only responses first stored by this batch carry its batch_id, so a re-imported response never
    opens a second ticket; the unique key on tickets.response_pk guarantees it besides.

    Built for a first import of a million rows (a quarter of them detractors): the root cause is
    suggested once per distinct comment, the tickets go in with the backend's bulk path, and the
    "opened" events are one INSERT ... SELECT.
    """
    now = naive_utc(now)
    since = naive_utc(received_since) if received_since is not None else _EARLIEST
    args = {"now": now, "since": since, "suggest_cause": suggest_cause}
    # SQLite: writers take turns (BEGIN IMMEDIATE) and a new row's id is max(id) + 1, so the tickets opened
    # here are those above the largest id before them -- a range of the primary key, where the response ids
    # of the batch would be a subquery of a million rows (0.3 s of a first load)
    before = None
    if conn.dialect.name == "sqlite":
        before = conn.exec_driver_sql("SELECT max(id) FROM tickets").scalar() or 0
    if conn.dialect.name == "sqlite" and _whole_seconds(settings):
        opened = _open_tickets_sqlite(conn, batch_id, settings, **args)
    elif conn.dialect.name == "postgresql":
        opened = _open_tickets_postgres(conn, batch_id, settings, **args)
    else:
        opened = _open_tickets_rows(conn, batch_id, settings, **args)
    if not opened:
        return 0
    if before is not None and before + opened < _MAX_ROWID:  # (past it, SQLite picks ids at random)
        new = T.c.id > before
    else:
        new = T.c.response_pk.in_(select(R.c.id).where(R.c.batch_id == batch_id))
    opened_tickets = (
        select(
            T.c.id,
            literal(now, DateTime()),
            literal(actor, String()),
            literal("opened", String()),
            literal(rules.NEW, String()),
        )
        .where(new)
        .order_by(T.c.id)
    )
    conn.execute(E.insert().from_select(["ticket_id", "at", "actor", "kind", "to_status"], opened_tickets))
    return opened


def _whole_seconds(settings: TicketSettings) -> bool:
    hours = [settings.sla_hours, *settings.sla_hours_by_location.values()]
    return all(float(h * 3600).is_integer() for h in hours)


def _cause_for(suggest_cause, comments: Iterable[str | None]) -> dict[str | None, str | None]:
    """The suggested root cause of each distinct comment (theme matching once per distinct text)."""
    if suggest_cause is None:
        return {}
    return {comment: suggest_cause(comment) for comment in dict.fromkeys(comments) if comment is not None}


def _open_tickets_rows(
    conn, batch_id: int, settings: TicketSettings, *, now: datetime, since: datetime, suggest_cause
) -> int:
    """Any backend: the detractors read into Python, the tickets written by the bulk path."""
    rows = conn.execute(
        select(R.c.id, R.c.score, R.c.location, R.c.submitted_at, R.c.comment)
        .where(R.c.batch_id == batch_id, R.c.score <= settings.threshold, R.c.submitted_at >= since)
        .order_by(R.c.submitted_at, R.c.id)
    ).all()
    causes = _cause_for(suggest_cause, (row[4] for row in rows))
    slas: dict[str | None, timedelta] = {}
    high_max = settings.high_priority_max
    ticket_rows = []
    for rid, score, location, submitted, comment in rows:
        sla = slas.get(location)
        if sla is None:
            sla = slas[location] = rules.due_at(submitted, settings.sla_for(location)) - submitted
        priority = rules.priority_for(score, high_max)
        ticket_rows.append((rid, rules.NEW, priority, now, submitted + sla, causes.get(comment), now))
    if ticket_rows:
        _insert_tickets(conn, ticket_rows)
    return len(ticket_rows)


def _open_tickets_sqlite(
    conn, batch_id: int, settings: TicketSettings, *, now: datetime, since: datetime, suggest_cause
) -> int:
    """SQLite: one INSERT ... SELECT. The due time is the stored "YYYY-MM-DD HH:MM:SS.ffffff" text moved by
    the SLA in whole seconds (the fraction carried over as text, so it is exact); the suggested causes
    of the distinct comments go through a temporary table."""
    detractors = "FROM responses WHERE batch_id = ? AND score <= ? AND submitted_at >= ?"
    after = since.strftime(_SQLITE_DATETIME)
    comments = conn.exec_driver_sql(
        f"SELECT DISTINCT comment {detractors} AND comment IS NOT NULL", (batch_id, settings.threshold, after)
    ).scalars()
    causes = {comment: cause for comment, cause in _cause_for(suggest_cause, comments).items() if cause}
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS npscli_causes (comment TEXT PRIMARY KEY, cause TEXT NOT NULL)"
    )
    conn.exec_driver_sql("DELETE FROM npscli_causes")
    if causes:
        conn.exec_driver_sql("INSERT INTO npscli_causes VALUES (?, ?)", list(causes.items()))

    def shift(hours: float) -> str:
        return f"{int(hours * 3600):+d} seconds"

    by_location = list(settings.sla_hours_by_location.items())
    sla_case = "CASE r.location " + " ".join("WHEN ? THEN ?" for _ in by_location) + " ELSE ? END"
    if not by_location:
        sla_case = "?"
    sla_params = [value for location, hours in by_location for value in (location, shift(float(hours)))]
    sla_params.append(shift(float(settings.sla_hours)))
    stamp = now.strftime(_SQLITE_DATETIME)
    high_max = settings.high_priority_max
    high, normal = rules.priority_for(high_max, high_max), rules.priority_for(high_max + 1, high_max)
    inserted = conn.exec_driver_sql(
        f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) "
        "SELECT r.id, ?, CASE WHEN r.score <= ? THEN ? ELSE ? END, ?, "
        f"strftime('%Y-%m-%d %H:%M:%S', substr(r.submitted_at, 1, 19), {sla_case}) || substr(r.submitted_at, 20), "
        "c.cause, ? "
        "FROM responses AS r LEFT JOIN npscli_causes AS c ON c.comment = r.comment "
        "WHERE r.batch_id = ? AND r.score <= ? AND r.submitted_at >= ? ORDER BY r.submitted_at, r.id",
        (
            rules.NEW,
            high_max,
            high,
            normal,
            stamp,
            *sla_params,
            stamp,
            batch_id,
            settings.threshold,
            after,
        ),
    ).rowcount
    conn.exec_driver_sql("DELETE FROM npscli_causes")
    return inserted


def _open_tickets_postgres(
    conn, batch_id: int, settings: TicketSettings, *, now: datetime, since: datetime, suggest_cause
) -> int:
    """PostgreSQL: one INSERT ... SELECT, the due time moved by the SLA as an interval (exact to the
    microsecond). The suggested causes of the distinct comments are COPied into a temporary table keyed by
    the comment's md5 (a long comment is too big for a B-tree key)."""
    import hashlib

    from npscli.store.postgres import copy_rows

    comments = conn.execute(
        select(R.c.comment)
        .distinct()
        .where(
            R.c.batch_id == batch_id,
            R.c.score <= settings.threshold,
            R.c.submitted_at >= since,
            R.c.comment.is_not(None),
        )
    ).scalars()
    causes = {comment: cause for comment, cause in _cause_for(suggest_cause, comments).items() if cause}
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS npscli_causes (digest TEXT PRIMARY KEY, cause TEXT NOT NULL) "
        "ON COMMIT DROP"
    )
    conn.exec_driver_sql("TRUNCATE npscli_causes")
    copy_rows(
        conn,
        "npscli_causes",
        ("digest", "cause"),
        ((hashlib.md5(comment.encode("utf-8")).hexdigest(), cause) for comment, cause in causes.items()),
    )
    params: dict[str, Any] = {
        "status": rules.NEW,
        "high_max": settings.high_priority_max,
        "high": rules.priority_for(settings.high_priority_max, settings.high_priority_max),
        "normal": rules.priority_for(settings.high_priority_max + 1, settings.high_priority_max),
        "now": now,
        "batch": batch_id,
        "threshold": settings.threshold,
        "since": since,
        "sla": float(settings.sla_hours) * 3600,
    }
    whens = []
    for n, (location, hours) in enumerate(settings.sla_hours_by_location.items()):
        params[f"loc{n}"], params[f"sla{n}"] = location, float(hours) * 3600
        whens.append(f"WHEN %(loc{n})s THEN %(sla{n})s")
    seconds = f"CASE r.location {' '.join(whens)} ELSE %(sla)s END" if whens else "%(sla)s"
    return conn.exec_driver_sql(
        f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) "
        "SELECT r.id, %(status)s, CASE WHEN r.score <= %(high_max)s THEN %(high)s ELSE %(normal)s END, "
        f"%(now)s, r.submitted_at + make_interval(secs => ({seconds})::double precision), c.cause, %(now)s "
        "FROM responses AS r LEFT JOIN npscli_causes AS c ON c.digest = md5(r.comment) "
        "WHERE r.batch_id = %(batch)s AND r.score <= %(threshold)s AND r.submitted_at >= %(since)s "
        "ORDER BY r.submitted_at, r.id",
        params,
    ).rowcount


def _insert_tickets(conn, rows: list[tuple]) -> None:
    """Insert ticket tuples (TICKET_COLUMNS order), in order, by the backend's fastest path."""
    dialect = conn.dialect.name
    if dialect == "sqlite":
        stamp = _SQLITE_DATETIME
        rows = [
            (rid, status, priority, opened.strftime(stamp), due.strftime(stamp), cause, updated.strftime(stamp))
            for rid, status, priority, opened, due, cause, updated in rows
        ]
        marks = ", ".join("?" for _ in TICKET_COLUMNS)
        conn.exec_driver_sql(f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) VALUES ({marks})", rows)
    elif dialect == "postgresql":
        from npscli.store.postgres import copy_rows

        copy_rows(conn, "tickets", TICKET_COLUMNS, rows)
    else:
        conn.execute(T.insert(), [dict(zip(TICKET_COLUMNS, row, strict=True)) for row in rows])


# ---------------------------------------------------------------- reading


def _ticket_query():
    return select(
        T.c.id,
        T.c.status,
        T.c.assignee,
        T.c.priority,
        T.c.opened_at,
        T.c.due_at,
        T.c.first_contact_at,
        T.c.closed_at,
        T.c.root_causes,
        T.c.suggested_cause,
        T.c.escalated_to,
        T.c.resolution,
        T.c.updated_at,
        R.c.id.label("response_pk"),
        R.c.response_id,
        R.c.source,
        R.c.submitted_at,
        R.c.score,
        R.c.comment,
        R.c.location,
        R.c.department,
        R.c.provider,
        R.c.patient_name,
        R.c.email,
        R.c.phone,
        R.c.patient_id,
    ).select_from(T.join(R, T.c.response_pk == R.c.id))


@dataclass
class TicketFilter:
    statuses: tuple[str, ...] = ()
    assignee: str | None = None
    location: tuple[str, ...] = ()
    department: tuple[str, ...] = ()
    provider: tuple[str, ...] = ()
    overdue_at: datetime | None = None  # only tickets overdue at this moment
    since: datetime | None = None  # responses submitted at or after
    until: datetime | None = None  # responses submitted before
    ids: tuple[int, ...] = ()


def _apply_filter(q, f: TicketFilter):
    conds = []
    if f.statuses:
        conds.append(T.c.status.in_(f.statuses))
    if f.assignee:
        conds.append(func.lower(T.c.assignee) == f.assignee.lower())
    if f.location:
        conds.append(R.c.location.in_(f.location))
    if f.department:
        conds.append(R.c.department.in_(f.department))
    if f.provider:
        conds.append(R.c.provider.in_(f.provider))
    if f.overdue_at is not None:
        now = naive_utc(f.overdue_at)
        conds.append(
            and_(T.c.status.in_(rules.OPEN_STATUSES), T.c.first_contact_at.is_(None), T.c.due_at < now)
        )
    if f.since is not None:
        conds.append(R.c.submitted_at >= naive_utc(f.since))
    if f.until is not None:
        conds.append(R.c.submitted_at < naive_utc(f.until))
    if f.ids:
        conds.append(T.c.id.in_(f.ids))
    return q.where(*conds) if conds else q


def list_tickets(store: Store, f: TicketFilter, *, newest_first: bool = True) -> list[dict[str, Any]]:
    q = _apply_filter(_ticket_query(), f)
    order = (R.c.submitted_at.desc(), T.c.id.desc()) if newest_first else (T.c.id,)
    with store.read() as conn:
        return [r._asdict() for r in conn.execute(q.order_by(*order))]


def overdue_ticket_ids(store: Store, now: datetime, location: tuple[str, ...] = ()) -> list[int]:
    """The ids of the tickets overdue at ``now``, most overdue first (the same filter as ``list_tickets``
    with ``overdue_at``, without reading every ticket's columns: a backlog can be large)."""
    f = TicketFilter(overdue_at=now, location=location)
    q = _apply_filter(select(T.c.id).select_from(T.join(R, T.c.response_pk == R.c.id)), f)
    with store.read() as conn:
        return list(conn.execute(q.order_by(T.c.due_at, T.c.id)).scalars())


def get_ticket(conn, number: int, *, for_update: bool = False) -> dict[str, Any]:
    q = _ticket_query().where(T.c.id == number)
    if for_update and conn.dialect.name == "postgresql":
        q = q.with_for_update(of=T)
    row = conn.execute(q).mappings().first()
    if row is None:
        raise NotFoundError(
            f"no ticket {rules.format_ticket_id(number)} in this store",
            hint="see `npscli tickets list --status all` for the ticket ids",
        )
    return dict(row)


def show_ticket(store: Store, number: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    with store.read() as conn:
        ticket = get_ticket(conn, number)
        events = [
            dict(r)
            for r in conn.execute(select(E).where(E.c.ticket_id == number).order_by(E.c.id)).mappings()
        ]
    return ticket, events


def events_for(store: Store, numbers: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    numbers = list(numbers)
    out: dict[int, list[dict[str, Any]]] = {n: [] for n in numbers}
    with store.read() as conn:
        for start in range(0, len(numbers), 500):
            chunk = numbers[start : start + 500]
            for r in conn.execute(select(E).where(E.c.ticket_id.in_(chunk)).order_by(E.c.id)).mappings():
                out[r["ticket_id"]].append(dict(r))
    return out


# ---------------------------------------------------------------- changing


def _event(conn, number: int, now: datetime, actor: str, kind: str, **fields: Any) -> None:
    conn.execute(E.insert().values(ticket_id=number, at=now, actor=actor, kind=kind, **fields))


def apply_action(
    store: Store,
    number: int,
    action: str,
    *,
    actor: str,
    now: datetime,
    channel: str | None = None,
    text: str | None = None,
    assignee: str | None = None,
    codes: list[str] | None = None,
    reply: bool = False,
) -> dict[str, Any]:
    """Apply one action to one ticket atomically. Returns the ticket as it is afterwards."""
    now = naive_utc(now)
    text = rules.check_note(action, text)
    if channel is not None and channel not in rules.CHANNELS:
        raise UsageError(f"unknown channel {channel!r}", hint=f"use one of: {', '.join(rules.CHANNELS)}")
    asked = _Asked(now=now, channel=channel, text=text, assignee=assignee, codes=tuple(codes or ()), reply=reply)
    change_for = _ACTIONS.get(action)
    if change_for is None:
        raise UsageError(f"unknown ticket action {action!r}", hint=f"use one of: {', '.join(_ACTIONS)}")
    with store.write() as conn:
        ticket = get_ticket(conn, number, for_update=True)
        current = ticket["status"]
        new_status = rules.next_status(action, current, rules.format_ticket_id(number))
        change = change_for(ticket, asked)
        moves = {"from_status": current, "to_status": new_status} if change.transition else {}
        _event(conn, number, now, actor, change.kind, channel=change.channel, text=change.text, **moves)
        values: dict[str, Any] = {"updated_at": now, **change.values}
        if new_status != current:
            values["status"] = new_status
        conn.execute(T.update().where(T.c.id == number).values(**values))
        return get_ticket(conn, number)


@dataclass(frozen=True)
class _Asked:
    """What a ticket command gave: the inputs every action draws on."""

    now: datetime
    channel: str | None
    text: str | None
    assignee: str | None
    codes: tuple[str, ...]
    reply: bool


@dataclass(frozen=True)
class _Change:
    """What one action does to a ticket: the columns it sets and the event it logs (a transition event carries
    the statuses before and after; a note does not)."""

    values: dict[str, Any]
    kind: str
    text: str | None
    channel: str | None = None
    transition: bool = True


def _assign(ticket: dict[str, Any], a: _Asked) -> _Change:
    return _Change({"assignee": a.assignee}, "assigned", a.assignee)


def _note(ticket: dict[str, Any], a: _Asked) -> _Change:
    # a note of a call or e-mail (not the patient's reply) is the first contact when there was none
    contact = bool(a.channel) and not a.reply and a.channel in rules.CONTACT_CHANNELS
    first = {"first_contact_at": a.now} if contact and ticket["first_contact_at"] is None else {}
    return _Change(first, "reply" if a.reply else (a.channel or "note"), a.text, a.channel, transition=False)


def _contacted(ticket: dict[str, Any], a: _Asked) -> _Change:
    first = {"first_contact_at": a.now} if ticket["first_contact_at"] is None else {}
    return _Change(first, a.channel or "contact", a.text, a.channel)


def _resolve(ticket: dict[str, Any], a: _Asked) -> _Change:
    values = {"root_causes": ",".join(a.codes), "resolution": a.text, "closed_at": a.now}
    return _Change(values, "resolved", _join(f"root cause: {', '.join(a.codes)}", a.text))


def _no_response(ticket: dict[str, Any], a: _Asked) -> _Change:
    return _Change({"closed_at": a.now}, "no_response", a.text)


def _escalate(ticket: dict[str, Any], a: _Asked) -> _Change:
    # The named person takes the ticket over (it is theirs in `tickets list --assignee`); the history keeps
    # who had it before.
    previous = ticket["assignee"]
    handover = f"to {a.assignee}" + (f" (from {previous})" if previous and previous != a.assignee else "")
    return _Change({"escalated_to": a.assignee, "assignee": a.assignee}, "escalated", _join(handover, a.text))


def _reopen(ticket: dict[str, Any], a: _Asked) -> _Change:
    return _Change({"closed_at": None}, "reopened", a.text)


_ACTIONS: dict[str, Callable[[dict[str, Any], _Asked], _Change]] = {
    "assign": _assign,
    "note": _note,
    "contacted": _contacted,
    "resolve": _resolve,
    "no_response": _no_response,
    "escalate": _escalate,
    "reopen": _reopen,
}


def _join(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


def log_event(
    store: Store, number: int, kind: str, *, actor: str, now: datetime, text: str | None = None
) -> None:
    """Append a non-transition event (e.g. "outreach_drafted", "alerted") to a ticket's history."""
    with store.write() as conn:
        get_ticket(conn, number)
        _event(conn, number, naive_utc(now), actor, kind, text=text)


def assign_many(store: Store, f: TicketFilter, assignee: str, *, actor: str, now: datetime) -> list[int]:
    """Assign every open ticket matching ``f`` (e.g. a location) to ``assignee``. Returns the ids changed."""
    now = naive_utc(now)
    f = TicketFilter(**{**f.__dict__, "statuses": f.statuses or rules.OPEN_STATUSES})
    changed: list[int] = []
    with store.write() as conn:
        q = _apply_filter(
            select(T.c.id, T.c.status, T.c.assignee).select_from(T.join(R, T.c.response_pk == R.c.id)), f
        )
        for number, status, current_assignee in conn.execute(q.order_by(T.c.id)).all():
            if current_assignee == assignee:
                continue
            new_status = rules.next_status("assign", status, rules.format_ticket_id(number))
            conn.execute(
                T.update()
                .where(T.c.id == number)
                .values(assignee=assignee, status=new_status, updated_at=now)
            )
            _event(
                conn, number, now, actor, "assigned", from_status=status, to_status=new_status, text=assignee
            )
            changed.append(number)
    return changed


def sweep(store: Store, *, days: int, actor: str, now: datetime, dry_run: bool = False) -> list[int]:
    """Close as no_response the contacted tickets whose last contact is ``days`` old with no reply since."""
    now = naive_utc(now)
    cutoff = now - timedelta(days=days)
    contact_kinds = (*rules.CHANNELS, "contact")
    closed: list[int] = []
    with store.write() as conn:
        candidates = (
            conn.execute(select(T.c.id).where(T.c.status == rules.CONTACTED).order_by(T.c.id)).scalars().all()
        )
        for number in candidates:
            events = conn.execute(
                select(E.c.kind, E.c.at).where(E.c.ticket_id == number).order_by(E.c.id)
            ).all()
            last_contact = max((at for kind, at in events if kind in contact_kinds), default=None)
            if last_contact is None or last_contact > cutoff:
                continue
            if any(kind == "reply" and at >= last_contact for kind, at in events):
                continue
            closed.append(number)
            if not dry_run:
                conn.execute(
                    T.update()
                    .where(T.c.id == number)
                    .values(status=rules.NO_RESPONSE, closed_at=now, updated_at=now)
                )
                _event(
                    conn,
                    number,
                    now,
                    actor,
                    "no_response",
                    from_status=rules.CONTACTED,
                    to_status=rules.NO_RESPONSE,
                    text=f"no reply {days} days after the last contact (sweep)",
                )
    return closed


# ---------------------------------------------------------------- stats


def ticket_stats(
    store: Store,
    *,
    by: str | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    threshold: int,
) -> list[dict[str, Any]]:
    """Per group (or overall): opened, closed, median hours to first contact, share contacted within
    the SLA (of the tickets contacted or past their deadline), overdue open tickets, root causes, and
    recovered patients (the patient's next response >= 7)."""
    now_n = naive_utc(now)
    f = TicketFilter(since=since, until=until)
    rows = list_tickets(store, f, newest_first=False)
    group_col = {"location": "location", "department": "department", "assignee": "assignee"}.get(by or "")
    if by and not group_col:
        raise UsageError(
            f"cannot group ticket stats by {by!r}", hint="use --by location, department or assignee"
        )
    recovered = _recovered_response_pks(store, rows, threshold)
    groups: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        key = (r[group_col] or "(none)") if group_col else None
        groups.setdefault(key, []).append(r)
    out = []
    for key in sorted(groups, key=lambda k: (k is None, str(k))):
        items = groups[key]
        contact_hours = [
            (r["first_contact_at"] - r["submitted_at"]).total_seconds() / 3600
            for r in items
            if r["first_contact_at"]
        ]
        within = sum(1 for r in items if r["first_contact_at"] and r["first_contact_at"] <= r["due_at"])
        # Only tickets whose outcome is known count: contacted, or past their deadline. A ticket received an
        # hour ago and not yet called is not a miss.
        decided = sum(1 for r in items if r["first_contact_at"] or r["due_at"] <= now_n)
        causes = Counter(c for r in items for c in (r["root_causes"] or "").split(",") if c)
        row: dict[str, Any] = {}
        if group_col:
            row[by] = key
        row.update(
            {
                "opened": len(items),
                "closed": sum(1 for r in items if r["status"] in rules.CLOSED_STATUSES),
                "resolved": sum(1 for r in items if r["status"] == rules.RESOLVED),
                "no_response": sum(1 for r in items if r["status"] == rules.NO_RESPONSE),
                "open": sum(1 for r in items if r["status"] in rules.OPEN_STATUSES),
                "median_hours_to_contact": round(statistics.median(contact_hours), 1)
                if contact_hours
                else None,
                "contacted_within_sla": round(100 * within / decided, 1) if decided else None,
                "sla_met": within,  # the share's numerator and denominator: 100% of 1 is not 100% of 40
                "sla_decided": decided,
                "overdue_open": sum(
                    1
                    for r in items
                    if rules.is_overdue(r["status"], r["due_at"], r["first_contact_at"], now_n)
                ),
                "root_causes": ", ".join(f"{c} {n}" for c, n in causes.most_common()),
                "recovered": sum(1 for r in items if r["response_pk"] in recovered),
            }
        )
        out.append(row)
    return out


def _recovered_response_pks(store: Store, rows: list[dict[str, Any]], threshold: int) -> set[int]:
    """Ticketed responses whose same patient's (patient id, else email) next response scored 7 or more."""
    by_patient: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        if r["patient_id"]:
            by_patient.setdefault(("patient_id", r["patient_id"]), []).append(r)
        elif r["email"]:
            by_patient.setdefault(("email", r["email"].lower()), []).append(r)
    if not by_patient:
        return set()
    next_response: dict[int, tuple[datetime, int]] = {}  # response_pk -> (when, score) of the patient's next one
    with store.read() as conn:
        keys = list(by_patient)
        for start in range(0, len(keys), 400):
            chunk = keys[start : start + 400]
            ids = [v for k, v in chunk if k == "patient_id"]
            emails = [v for k, v in chunk if k == "email"]
            # One query per kind of key: "patient_id IN" is an index search, whereas OR-ing it with
            # "lower(email) IN" made every chunk a scan of the whole table. A row found by both is
            # simply seen twice (adding to a set).
            matches = []
            if ids:
                matches.append(R.c.patient_id.in_(ids))
            if emails:
                matches.append(func.lower(R.c.email).in_(emails))
            for match in matches:
                q = select(R.c.patient_id, R.c.email, R.c.submitted_at, R.c.score).where(match)
                for pid, email, submitted, score in conn.execute(q):
                    for key in (("patient_id", pid), ("email", (email or "").lower())):
                        for r in by_patient.get(key, []):
                            if submitted > r["submitted_at"]:
                                seen = next_response.get(r["response_pk"])
                                if seen is None or submitted < seen[0]:
                                    next_response[r["response_pk"]] = (submitted, score)
    return {pk for pk, (_when, score) in next_response.items() if score >= 7}
