"""Tickets in the store: the activity log, transitions, listing (opening them at import is
``store.ticket_opening``, their statistics ``store.ticket_stats``).

Every change is one write transaction that reads the ticket, checks the transition, updates it and
appends to ``ticket_events``; events are never updated or deleted (an append-only history).
On PostgreSQL the ticket row is locked (SELECT ... FOR UPDATE) so two coordinators acting on one
ticket at the same moment are applied one after the other, never lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select

from npscli.core import tickets as rules
from npscli.core.errors import NotFoundError, UsageError
from npscli.core.periods import naive_utc
from npscli.store import group_labels as labels
from npscli.store import schema
from npscli.store.engine import Store

T = schema.tickets
E = schema.ticket_events
R = schema.responses
B = schema.import_batches

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
        labels.value_of("location"),
        labels.value_of("department"),
        labels.value_of("provider"),
        R.c.patient_name,
        R.c.email,
        R.c.phone,
        R.c.patient_id,
        T.c.themes.label("stored_themes"),  # as in queries.list_detractors
        B.c.themes_key.label("stored_themes_key"),
    ).select_from(labels.with_labels(T.join(R, T.c.response_pk == R.c.id)).join(B, B.c.id == R.c.batch_id))


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
        conds.append(labels.matching("location", f.location))
    if f.department:
        conds.append(labels.matching("department", f.department))
    if f.provider:
        conds.append(labels.matching("provider", f.provider))
    if f.overdue_at is not None:
        now = naive_utc(f.overdue_at)
        conds.append(and_(T.c.status.in_(rules.OPEN_STATUSES), T.c.first_contact_at.is_(None), T.c.due_at < now))
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
        events = [dict(r) for r in conn.execute(select(E).where(E.c.ticket_id == number).order_by(E.c.id)).mappings()]
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


def log_event(store: Store, number: int, kind: str, *, actor: str, now: datetime, text: str | None = None) -> None:
    """Append a non-transition event (e.g. "outreach_drafted", "alerted") to a ticket's history."""
    with store.write() as conn:
        get_ticket(conn, number)
        _event(conn, number, naive_utc(now), actor, kind, text=text)


def log_event_unless(
    store: Store,
    number: int,
    kind: str,
    *,
    actor: str,
    now: datetime,
    text: str | None,
    after_event: int,
    conflicts: Callable[[list[dict[str, Any]]], bool],
) -> list[dict[str, Any]]:
    """Append a ``kind`` event unless ``conflicts`` says the events of that kind logged on the ticket after
    event ``after_event`` (what the caller saw) already do its work; atomically, the ticket row locked (two
    coordinators drafting at the same moment: the second finds the first's draft). Returns those later events
    when it appended nothing, else []."""
    with store.write() as conn:
        get_ticket(conn, number, for_update=True)
        later = [
            dict(r)
            for r in conn.execute(
                select(E).where(E.c.ticket_id == number, E.c.kind == kind, E.c.id > after_event).order_by(E.c.id)
            ).mappings()
        ]
        if later and conflicts(later):
            return later
        _event(conn, number, naive_utc(now), actor, kind, text=text)
    return []


def assign_many(
    store: Store, f: TicketFilter, assignee: str, *, actor: str, now: datetime
) -> tuple[list[int], list[int]]:
    """Assign every open ticket matching ``f`` (e.g. a location) to ``assignee``. Returns the ids changed, and
    those that were already theirs (names compared as `tickets assign ID` compares them: case and accents aside),
    which are left as they are, nothing logged."""
    from npscli.core.names import fold_name

    now = naive_utc(now)
    f = TicketFilter(**{**f.__dict__, "statuses": f.statuses or rules.OPEN_STATUSES})
    changed: list[int] = []
    already: list[int] = []
    wanted = fold_name(assignee)
    with store.write() as conn:
        q = _apply_filter(select(T.c.id, T.c.status, T.c.assignee).select_from(T.join(R, T.c.response_pk == R.c.id)), f)
        for number, status, current_assignee in conn.execute(q.order_by(T.c.id)).all():
            if current_assignee and fold_name(current_assignee) == wanted:
                already.append(number)
                continue
            new_status = rules.next_status("assign", status, rules.format_ticket_id(number))
            conn.execute(
                T.update().where(T.c.id == number).values(assignee=assignee, status=new_status, updated_at=now)
            )
            _event(conn, number, now, actor, "assigned", from_status=status, to_status=new_status, text=assignee)
            changed.append(number)
    return changed, already


def sweep(store: Store, *, days: int, actor: str, now: datetime, dry_run: bool = False) -> list[int]:
    """Close as no_response the contacted tickets whose last contact is ``days`` old with no reply since."""
    now = naive_utc(now)
    cutoff = now - timedelta(days=days)
    contact_kinds = (*rules.CHANNELS, "contact")
    closed: list[int] = []
    with store.write() as conn:
        candidates = conn.execute(select(T.c.id).where(T.c.status == rules.CONTACTED).order_by(T.c.id)).scalars().all()
        for number in candidates:
            events = conn.execute(select(E.c.kind, E.c.at).where(E.c.ticket_id == number).order_by(E.c.id)).all()
            last_contact = max((at for kind, at in events if kind in contact_kinds), default=None)
            if last_contact is None or last_contact > cutoff:
                continue
            if any(kind == "reply" and at >= last_contact for kind, at in events):
                continue
            closed.append(number)
            if not dry_run:
                conn.execute(
                    T.update().where(T.c.id == number).values(status=rules.NO_RESPONSE, closed_at=now, updated_at=now)
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
