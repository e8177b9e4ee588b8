"""Opening tickets at import: one per new detractor of a batch, in set-based statements per backend.

``opens_ticket`` is the same rule over arrays, for `import --dry-run`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, literal, select

from npscli.config import TicketSettings
from npscli.core import tickets as rules
from npscli.core.periods import naive_utc
from npscli.store import group_labels as labels
from npscli.store import schema
from npscli.store.schema import microseconds

T = schema.tickets
E = schema.ticket_events
R = schema.responses

TICKET_COLUMNS = ("response_pk", "status", "priority", "opened_at", "due_at", "suggested_cause", "themes", "updated_at")
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


@dataclass(frozen=True)
class _Opening:
    """What every backend's ticket opening is told, besides the batch and the settings."""

    now: datetime
    since: datetime
    suggest_cause: Callable[[str | None], str | None] | None
    after_id: int | None
    match_themes: Callable[[str], list[str]] | None


def open_tickets_for_batch(
    conn,
    batch_id: int,
    settings: TicketSettings,
    *,
    actor: str,
    now: datetime,
    suggest_cause: Callable[[str | None], str | None] | None = None,
    received_since: datetime | None = None,
    after_id: int | None = None,
    match_themes: Callable[[str], list[str]] | None = None,
    comments: Iterable[str] | None = None,
) -> int:
    """Open one ticket for every response of this batch at or below the threshold (received since
    ``received_since``, when given: a back-fill of old exports opens no follow-up for patients surveyed
    long ago). Returns the count.

    Only responses first stored by this batch carry its batch_id, so a re-imported response never
    opens a second ticket; the unique key on tickets.response_pk guarantees it besides. ``after_id``: every
    response of the batch has a larger id (see ``store.responses._batch_rows``), so they are read as a range
    of the primary key (there is no index on batch_id); None: the batch id of every response is read.

    Built for a first import of a million rows (a quarter of them detractors): the root cause is
    suggested once per distinct comment, the tickets go in with the backend's bulk path, and the
    "opened" events are one INSERT ... SELECT. ``match_themes``: the themes of a comment, stored on its ticket
    (for `npscli detractors`, which then need not match them again). ``comments`` (SQLite): every distinct
    comment of the batch's tickets-to-be, and maybe a few more (their causes are looked up but match no
    ticket), as the importer saw them go in; None: read from the batch's rows.
    """
    now = naive_utc(now)
    since = naive_utc(received_since) if received_since is not None else _EARLIEST
    args = _Opening(now, since, suggest_cause, after_id, match_themes)
    # SQLite: writers take turns (BEGIN IMMEDIATE) and a new row's id is max(id) + 1, so the tickets opened
    # here are those above the largest id before them -- a range of the primary key, where the response ids
    # of the batch would be a subquery of a million rows (0.3 s of a first load)
    before = None
    if conn.dialect.name == "sqlite":
        before = conn.exec_driver_sql("SELECT max(id) FROM tickets").scalar() or 0
    if conn.dialect.name == "sqlite":
        opened = _open_tickets_sqlite(conn, batch_id, settings, args, comments=comments)
    elif conn.dialect.name == "postgresql":
        opened = _open_tickets_postgres(conn, batch_id, settings, args)
    else:
        opened = _open_tickets_rows(conn, batch_id, settings, args)
    if not opened:
        return 0
    if before is not None and before + opened < _MAX_ROWID:  # (past it, SQLite picks ids at random)
        new = T.c.id > before
    else:
        new = T.c.response_pk.in_(select(R.c.id).where(*_of_batch(batch_id, after_id)))
    opened_tickets = (
        select(
            T.c.id,
            literal(now, schema.Timestamp()),
            literal(actor, String()),
            literal("opened", String()),
            literal(rules.NEW, String()),
        )
        .where(new)
        .order_by(T.c.id)
    )
    conn.execute(E.insert().from_select(["ticket_id", "at", "actor", "kind", "to_status"], opened_tickets))
    return opened


def _of_batch(batch_id: int, after_id: int | None) -> tuple:
    """The conditions on responses of the batch's own rows (a range of ids when ``after_id`` is known)."""
    return (R.c.batch_id == batch_id,) if after_id is None else (R.c.id > after_id, R.c.batch_id == batch_id)


def _cause_rows(suggest_cause, comments: Iterable[str | None], match_themes=None) -> list[tuple[str, ...]]:
    """(comment, its suggested root cause, its themes joined by ",") per distinct comment that has either, theme
    matching once per distinct text; a part is None when its function is."""
    if suggest_cause is None and match_themes is None:
        return []
    rows = []
    for comment in dict.fromkeys(comments):
        if comment is None:
            continue
        cause = suggest_cause(comment) if suggest_cause is not None else None
        themes = ",".join(match_themes(comment)) if match_themes is not None else None
        if cause or themes is not None:
            rows.append((comment, cause, themes))
    return rows


def _open_tickets_rows(conn, batch_id: int, settings: TicketSettings, o: _Opening) -> int:
    """Any other backend: the detractors read into Python, the tickets written by the bulk path."""
    now, since, suggest_cause, after_id, match_themes = o.now, o.since, o.suggest_cause, o.after_id, o.match_themes
    rows = conn.execute(
        select(R.c.id, R.c.score, labels.value_of("location"), R.c.submitted_at, R.c.comment)
        .select_from(labels.with_labels(R, ["location"]))
        .where(*_of_batch(batch_id, after_id), R.c.score <= settings.threshold, R.c.submitted_at >= since)
        .order_by(R.c.submitted_at, R.c.id)
    ).all()
    causes = {
        comment: (cause, themes)
        for comment, cause, themes in _cause_rows(suggest_cause, (row[4] for row in rows), match_themes)
    }
    slas: dict[str | None, timedelta] = {}
    high_max = settings.high_priority_max
    ticket_rows = []
    for rid, score, location, submitted, comment in rows:
        sla = slas.get(location)
        if sla is None:
            sla = slas[location] = rules.due_at(submitted, settings.sla_for(location)) - submitted
        priority = rules.priority_for(score, high_max)
        cause, themes = causes.get(comment, (None, None))
        ticket_rows.append((rid, rules.NEW, priority, now, submitted + sla, cause, themes, now))
    if ticket_rows:
        _insert_tickets(conn, ticket_rows)
    return len(ticket_rows)


def _open_tickets_sqlite(
    conn, batch_id: int, settings: TicketSettings, o: _Opening, comments: Iterable[str] | None = None
) -> int:
    """SQLite: one INSERT ... SELECT. The due time is the stored integer (microseconds, see
    ``schema.Timestamp``) plus the SLA in microseconds, as ``rules.due_at`` computes it; the suggested causes
    of the distinct comments go through a temporary table. The batch's rows are read by their range of ids
    (NOT INDEXED: the rowid range, never a scan of the time-window index from the beginning of time)."""
    now, since, suggest_cause, after_id, match_themes = o.now, o.since, o.suggest_cause, o.after_id, o.match_themes
    lowest = -_MAX_ROWID - 1 if after_id is None else after_id  # (None: below every rowid)
    batch = "r.id > ? AND r.batch_id = ? AND r.score <= ? AND r.submitted_at >= ?"
    after = microseconds(since)
    if comments is None:
        comments = conn.exec_driver_sql(
            f"SELECT DISTINCT comment FROM responses AS r NOT INDEXED WHERE {batch} AND comment IS NOT NULL",
            (lowest, batch_id, settings.threshold, after),
        ).scalars()
    causes = _cause_rows(suggest_cause, comments, match_themes)
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS npscli_ticket_themes (comment TEXT PRIMARY KEY, cause TEXT, themes TEXT)"
    )
    conn.exec_driver_sql("DELETE FROM npscli_ticket_themes")
    if causes:
        conn.exec_driver_sql("INSERT INTO npscli_ticket_themes VALUES (?, ?, ?)", causes)

    def shift(hours: float) -> int:  # the SLA as rules.due_at adds it: timedelta(hours=...), to the microsecond
        return microseconds(rules.due_at(schema.EPOCH, hours))

    by_location = _sla_by_location_id(conn, settings)
    sla_case = "CASE r.location_id " + " ".join("WHEN ? THEN ?" for _ in by_location) + " ELSE ? END"
    if not by_location:
        sla_case = "?"
    sla_params = [value for location_id, hours in by_location for value in (location_id, shift(float(hours)))]
    sla_params.append(shift(float(settings.sla_hours)))
    stamp = microseconds(now)
    high_max = settings.high_priority_max
    high, normal = rules.priority_for(high_max, high_max), rules.priority_for(high_max + 1, high_max)
    inserted = conn.exec_driver_sql(
        f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) "
        "SELECT r.id, ?, CASE WHEN r.score <= ? THEN ? ELSE ? END, ?, "
        f"r.submitted_at + {sla_case}, "
        "c.cause, c.themes, ? "
        "FROM responses AS r NOT INDEXED LEFT JOIN npscli_ticket_themes AS c ON c.comment = r.comment "
        f"WHERE {batch} ORDER BY r.submitted_at, r.id",
        (
            rules.NEW,
            high_max,
            high,
            normal,
            stamp,
            *sla_params,
            stamp,
            lowest,
            batch_id,
            settings.threshold,
            after,
        ),
    ).rowcount
    conn.exec_driver_sql("DELETE FROM npscli_ticket_themes")
    return inserted


def _open_tickets_postgres(conn, batch_id: int, settings: TicketSettings, o: _Opening) -> int:
    """PostgreSQL: one INSERT ... SELECT, the due time moved by the SLA as an interval (exact to the
    microsecond). The suggested causes of the distinct comments are COPied into a temporary table keyed by
    the comment's md5 (a long comment is too big for a B-tree key)."""
    now, since, suggest_cause, after_id, match_themes = o.now, o.since, o.suggest_cause, o.after_id, o.match_themes
    import hashlib

    from npscli.store.postgres import copy_rows

    comments = conn.execute(
        select(R.c.comment)
        .distinct()
        .where(
            *_of_batch(batch_id, after_id),
            R.c.score <= settings.threshold,
            R.c.submitted_at >= since,
            R.c.comment.is_not(None),
        )
    ).scalars()
    causes = _cause_rows(suggest_cause, comments, match_themes)
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS npscli_ticket_themes (digest TEXT PRIMARY KEY, cause TEXT, themes TEXT) "
        "ON COMMIT DROP"
    )
    conn.exec_driver_sql("TRUNCATE npscli_ticket_themes")
    copy_rows(
        conn,
        "npscli_ticket_themes",
        ("digest", "cause", "themes"),
        ((hashlib.md5(comment.encode("utf-8")).hexdigest(), cause, themes) for comment, cause, themes in causes),
    )
    params: dict[str, Any] = {
        "status": rules.NEW,
        "high_max": settings.high_priority_max,
        "high": rules.priority_for(settings.high_priority_max, settings.high_priority_max),
        "normal": rules.priority_for(settings.high_priority_max + 1, settings.high_priority_max),
        "now": now,
        "batch": batch_id,
        "after_id": -(2**31) if after_id is None else after_id,  # (None: below every id of a SERIAL)
        "threshold": settings.threshold,
        "since": since,
        "sla": float(settings.sla_hours) * 3600,
    }
    whens = []
    for n, (location_id, hours) in enumerate(_sla_by_location_id(conn, settings)):
        params[f"loc{n}"], params[f"sla{n}"] = location_id, float(hours) * 3600
        whens.append(f"WHEN %(loc{n})s THEN %(sla{n})s")
    seconds = f"CASE r.location_id {' '.join(whens)} ELSE %(sla)s END" if whens else "%(sla)s"
    return conn.exec_driver_sql(
        f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) "
        "SELECT r.id, %(status)s, CASE WHEN r.score <= %(high_max)s THEN %(high)s ELSE %(normal)s END, "
        f"%(now)s, r.submitted_at + make_interval(secs => ({seconds})::double precision), c.cause, c.themes, "
        "%(now)s FROM responses AS r LEFT JOIN npscli_ticket_themes AS c ON c.digest = md5(r.comment) "
        "WHERE r.id > %(after_id)s AND r.batch_id = %(batch)s "
        "AND r.score <= %(threshold)s AND r.submitted_at >= %(since)s "
        "ORDER BY r.submitted_at, r.id",
        params,
    ).rowcount


def _sla_by_location_id(conn, settings: TicketSettings) -> list[tuple[int, float]]:
    """The per-location SLAs (hours) by the ids of the locations stored (a location no response has is left out:
    no response needs its SLA). A name matches as routing rules and filters match: case, spacing and the kind of
    apostrophe aside ("downtown" is the SLA of "Downtown", and of "DOWNTOWN" if a file spelled it so)."""
    from npscli.core.names import fold_name

    if not settings.sla_hours_by_location:
        return []
    hours_of = {fold_name(name): hours for name, hours in settings.sla_hours_by_location.items()}
    stored = labels.names(conn, ("location",))
    return sorted((id_, hours_of[fold_name(name)]) for id_, name in stored.items() if fold_name(name) in hours_of)


def _insert_tickets(conn, rows: list[tuple]) -> None:
    """Insert ticket tuples (TICKET_COLUMNS order), in order, by the backend's fastest path."""
    if conn.dialect.name == "postgresql":
        from npscli.store.postgres import copy_rows

        copy_rows(conn, "tickets", TICKET_COLUMNS, rows)
    else:
        conn.execute(T.insert(), [dict(zip(TICKET_COLUMNS, row, strict=True)) for row in rows])
