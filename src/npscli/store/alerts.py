"""Alert bookkeeping in the store: what is due, what is pending, what was sent; and the run lock.

Every alert is one row of ``alert_deliveries``, unique on (response, recipient, channel):

    channel        recipient                   what
    email          maria.lopez@example.org     the detractor alert (individual or in a digest)
    webhook        webhook:chat.example.org    the detractor, posted to the chat webhook
    overdue-email  quality@example.org         the escalation of the response's overdue ticket

A run first *claims* what is due (inserting ``pending`` rows; rows already there, pending or sent, are
left alone), then sends every pending row and records each success in its own transaction right after
it succeeded (``status = 'sent'`` plus an "alerted" event in the ticket's history, together), or each
failure (``attempts``, ``last_error``; the row stays pending and the next run retries it). A response is
therefore alerted to a recipient at most once, and never silently dropped: the only window for a
duplicate is a crash between the server accepting a message and that transaction committing. That window is
made visible and harmless: ``attempted_at`` is recorded just before each SMTP transaction (and cleared when it
fails), so the next run knows which pending deliveries are uncertain, and it resends them with the same
stable ``Message-ID`` (one per response, recipient and kind), which mail systems drop as a duplicate.

``run_lock(store)`` keeps two overlapping runs (cron every 15 minutes, a slow SMTP server) apart:
an OS file lock (``flock``) on ``<db>.alert.lock`` for SQLite, a session advisory lock held on a
dedicated connection for PostgreSQL. Both are released by the OS / server if the process dies.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select

from npscli.core import tickets as rules
from npscli.core.errors import ConflictError, StoreError
from npscli.core.periods import naive_utc
from npscli.store import group_labels as labels
from npscli.store import schema
from npscli.store.engine import Store

CHANNEL_EMAIL = "email"
CHANNEL_WEBHOOK = "webhook"
CHANNEL_OVERDUE = "overdue-email"
CHANNEL_ESCALATED = "escalated-email"  # to the person a ticket was escalated to (`tickets escalate --to`)
CHANNELS = (CHANNEL_EMAIL, CHANNEL_WEBHOOK, CHANNEL_OVERDUE, CHANNEL_ESCALATED)
PENDING, SENT = "pending", "sent"
ALERT_LOCK = 7220_1106  # the advisory-lock key of `npscli alert` on PostgreSQL (migrations use ...1105)

D = schema.alert_deliveries
R = schema.responses
T = schema.tickets


@dataclass(frozen=True)
class Due:
    """One alert that should exist: this response, to this recipient, on this channel."""

    response_pk: int
    recipient: str
    channel: str

    @property
    def key(self) -> tuple[int, str, str]:
        return (self.response_pk, self.recipient, self.channel)


def _subject_columns():
    """The response and ticket fields an alert is written from."""
    return (
        R.c.id.label("response_pk"),
        R.c.response_id,
        R.c.submitted_at,
        R.c.score,
        R.c.comment,
        labels.value_of("location"),
        labels.value_of("department"),
        labels.value_of("provider"),
        R.c.patient_name,
        R.c.email,
        R.c.phone,
        T.c.id.label("ticket"),
        T.c.status.label("ticket_status"),
        T.c.priority,
        T.c.assignee,
        T.c.due_at,
        T.c.first_contact_at,
        T.c.escalated_to,
    )


def new_detractors(store: Store, *, max_score: int, since: datetime | None, until: datetime) -> list[dict[str, Any]]:
    """Responses scored at or below ``max_score`` received in [since, until], oldest first."""
    conds = [R.c.score <= max_score, R.c.submitted_at <= naive_utc(until)]
    if since is not None:
        conds.append(R.c.submitted_at >= naive_utc(since))
    q = (
        select(*_subject_columns())
        .select_from(labels.with_labels(R.outerjoin(T, T.c.response_pk == R.c.id)))
        .where(*conds)
        .order_by(R.c.submitted_at, R.c.id)
    )
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def overdue_tickets(store: Store, *, now: datetime, since: datetime | None) -> list[dict[str, Any]]:
    """Open tickets nobody has contacted whose deadline passed (at or after ``since``), oldest first."""
    now_n = naive_utc(now)
    conds = [T.c.status.in_(rules.OPEN_STATUSES), T.c.first_contact_at.is_(None), T.c.due_at < now_n]
    if since is not None:
        conds.append(T.c.due_at >= naive_utc(since))
    q = (
        select(*_subject_columns())
        .select_from(labels.with_labels(T.join(R, T.c.response_pk == R.c.id)))
        .where(*conds)
        .order_by(T.c.due_at, T.c.id)
    )
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def escalated_tickets(store: Store) -> list[dict[str, Any]]:
    """Tickets in the escalated status, with why (``escalation``: see :func:`escalation_reasons`), oldest first."""
    q = (
        select(*_subject_columns())
        .select_from(labels.with_labels(T.join(R, T.c.response_pk == R.c.id)))
        .where(T.c.status == rules.ESCALATED, T.c.escalated_to.is_not(None))
        .order_by(T.c.updated_at, T.c.id)
    )
    with store.read() as conn:
        rows = [dict(r) for r in conn.execute(q).mappings()]
    why = escalation_reasons(store, [r["ticket"] for r in rows])
    for r in rows:
        r["escalation"] = why.get(r["ticket"], "")
    return rows


def escalation_reasons(store: Store, ticket_ids: Iterable[int]) -> dict[int, str]:
    """The text of each ticket's latest escalation (to whom, from whom, why)."""
    E = schema.ticket_events
    ids = sorted(set(ticket_ids))
    why: dict[int, str] = {}
    with store.read() as conn:
        for start in range(0, len(ids), 500):
            events = select(E.c.ticket_id, E.c.text).where(
                E.c.ticket_id.in_(ids[start : start + 500]), E.c.kind == "escalated"
            )
            for ticket_id, text in conn.execute(events.order_by(E.c.at, E.c.id)):
                why[ticket_id] = text or ""  # the latest wins
    return why


def recorded(store: Store, due: Iterable[Due]) -> dict[tuple[int, str, str], str]:
    """The status ('pending' or 'sent') of those of ``due`` already in the store."""
    due = list(due)
    out: dict[tuple[int, str, str], str] = {}
    pks = sorted({d.response_pk for d in due})
    with store.read() as conn:
        for start in range(0, len(pks), 500):
            chunk = pks[start : start + 500]
            for pk, recipient, channel, status in conn.execute(
                select(D.c.response_pk, D.c.recipient, D.c.channel, D.c.status).where(D.c.response_pk.in_(chunk))
            ):
                out[(pk, recipient, channel)] = status
    wanted = {d.key for d in due}
    return {k: v for k, v in out.items() if k in wanted}


def claim(store: Store, due: Iterable[Due], *, now: datetime) -> int:
    """Record every ``due`` alert not yet in the store as pending (one transaction). Returns how many."""
    due = list(dict.fromkeys(due))
    if not due:
        return 0
    known = recorded(store, due)
    rows = [
        {
            "response_pk": d.response_pk,
            "recipient": d.recipient,
            "channel": d.channel,
            "status": PENDING,
            "attempts": 0,
            "created_at": naive_utc(now),
        }
        for d in due
        if d.key not in known
    ]
    if not rows:
        return 0
    with store.write() as conn:
        if store.dialect in ("sqlite", "postgresql"):
            if store.dialect == "sqlite":
                from sqlalchemy.dialects.sqlite import insert
            else:
                from sqlalchemy.dialects.postgresql import insert
            # the unique key keeps an alert recorded once even if a row appeared since we looked
            conn.execute(insert(D).on_conflict_do_nothing(index_elements=["response_pk", "recipient", "channel"]), rows)
        else:
            conn.execute(D.insert(), rows)
    return len(rows)


def pending(store: Store, channels: Iterable[str] = CHANNELS) -> list[dict[str, Any]]:
    """Every pending alert on ``channels`` with its response and ticket, oldest response first."""
    q = (
        select(
            D.c.id.label("delivery_id"),
            D.c.recipient,
            D.c.channel,
            D.c.attempts,
            D.c.last_error,
            D.c.created_at,
            D.c.attempted_at,
            *_subject_columns(),
        )
        .select_from(labels.with_labels(D.join(R, D.c.response_pk == R.c.id).outerjoin(T, T.c.response_pk == R.c.id)))
        .where(D.c.status == PENDING, D.c.channel.in_(list(channels)))
        .order_by(R.c.submitted_at, R.c.id, D.c.id)
    )
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def mark_sent(
    store: Store,
    deliveries: Iterable[dict[str, Any]],
    *,
    now: datetime,
    actor: str,
    how: str,
) -> None:
    """Record these deliveries as sent, and "alerted <recipient>" in their tickets' histories,
    in one transaction. ``deliveries`` are rows of ``pending()``; ``how`` ends the event text."""
    now_n = naive_utc(now)
    deliveries = list(deliveries)
    with store.write() as conn:
        for d in deliveries:
            changed = conn.execute(
                D.update()
                .where(and_(D.c.id == d["delivery_id"], D.c.status == PENDING))
                .values(status=SENT, sent_at=now_n, attempts=D.c.attempts + 1, last_error=None)
            ).rowcount
            if changed and d.get("ticket"):
                what = {CHANNEL_OVERDUE: " of the overdue ticket", CHANNEL_ESCALATED: " of the escalation"}.get(
                    d["channel"], ""
                )
                conn.execute(
                    schema.ticket_events.insert().values(
                        ticket_id=d["ticket"],
                        at=now_n,
                        actor=actor,
                        kind="alerted",
                        text=f"alerted {d['recipient']}{what} {how}".strip(),
                    )
                )


def mark_attempted(store: Store, deliveries: Iterable[dict[str, Any]], *, now: datetime) -> None:
    """Record that these deliveries are about to be sent (committed before the SMTP transaction starts)."""
    set_attempted(store, D, [d["delivery_id"] for d in deliveries], now=now)


def set_attempted(store: Store, table: Any, ids: list[int], *, now: datetime) -> None:
    """``attempted_at`` on the still-pending rows ``ids`` of an outbox ``table`` (this module's deliveries, or
    the emerging-issue alerts of ``store.emerging``), committed before the SMTP transaction starts: a run
    killed after the server accepted them leaves them uncertain, not silently pending."""
    update_pending(store, table, ids, attempted_at=naive_utc(now))


def mark_failed(store: Store, deliveries: Iterable[dict[str, Any]], *, error: str, uncertain: bool = False) -> None:
    """Count a failed attempt; the deliveries stay pending for the next run, not uncertain (it failed) unless
    ``uncertain``: the message was sent and the server's answer lost, so it may have been delivered (its
    ``attempted_at`` is kept, and the next run says so as it resends it)."""
    ids = [d["delivery_id"] for d in deliveries]
    if uncertain:
        count_failed_attempt(store, D, ids, error=error)
    else:
        count_failed_attempt(store, D, ids, error=error, attempted_at=None)


def count_failed_attempt(store: Store, table: Any, ids: list[int], *, error: str, **values: Any) -> None:
    """One more attempt and the last error (and ``values``) on the still-pending rows ``ids`` of an outbox."""
    update_pending(store, table, ids, attempts=table.c.attempts + 1, last_error=error[:500], **values)


def update_pending(store: Store, table: Any, ids: list[int], **values: Any) -> None:
    """Set ``values`` on the rows ``ids`` of an outbox ``table`` that are still pending, in one statement (a row
    another run has meanwhile sent is left alone)."""
    if not ids:
        return
    with store.write() as conn:
        conn.execute(table.update().where(and_(table.c.id.in_(ids), table.c.status == PENDING)).values(**values))


# ---------------------------------------------------------------------------------------------- the lock

LOCK_HINT = (
    "wait for it to finish (cron: this run is skipped and the next one catches up); "
    "the lock is released automatically when that process ends"
)


def lock_path(store: Store):
    path = store.path
    return None if path is None else path.with_name(path.name + ".alert.lock")


@contextmanager
def run_lock(store: Store) -> Iterator[None]:
    """Hold the alert-run lock for the ``with`` block; ``ConflictError`` (exit 6) if another run has it."""
    if store.dialect == "sqlite" and store.path is not None:
        with _file_lock(lock_path(store)):
            yield
    elif store.dialect == "postgresql":
        with _advisory_lock(store):
            yield
    else:  # another backend: no portable lock; runs must not overlap (documented)
        yield


@contextmanager
def _file_lock(path) -> Iterator[None]:
    import fcntl
    import os

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreError(
            f"cannot create the alert lock file {path} ({exc.strerror})",
            hint="the folder of the database must be writable by the user running npscli alert",
        ) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError(f"another npscli alert run is in progress (it holds {path})", hint=LOCK_HINT) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:
            pass  # the pid is only informative
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextmanager
def _advisory_lock(store: Store) -> Iterator[None]:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    # A session-level lock lives as long as its connection: a dedicated one, in autocommit so that no
    # transaction stays open on it for the length of the run.
    try:
        conn = store.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except OperationalError:
        raise StoreError("cannot connect to the store to take the alert lock") from None
    try:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ALERT_LOCK}).scalar()
        if not got:
            raise ConflictError("another npscli alert run is in progress on this database", hint=LOCK_HINT)
        try:
            yield
        finally:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ALERT_LOCK})
            except Exception:  # noqa: BLE001 - closing the connection below releases it anyway
                pass
    finally:
        conn.invalidate()  # never hand a connection that may hold the lock back to the pool
        conn.close()
