"""Emerging-issue alert bookkeeping: which recipient was told of which issue (``emerging_alerts``).

Like the detractor alerts (``npscli.store.alerts``): a run first *claims* what is due (``pending`` rows;
rows already there are left alone), sends, and records each success (``sent``) or failure (``attempts``,
``last_error``; the row stays pending and the next run retries it) in its own transaction. ``attempted_at`` is
recorded just before each SMTP transaction and cleared when it fails: a pending row with it set may have been
delivered by a run killed before it recorded the success (the next run says so and resends the same Message-ID).

An issue is (theme, group_by, group_value, first_flagged). A recipient already told of an issue of the same
theme and site first flagged less than ``EPISODE_DAYS`` before is not told again: the detector's first
flag of one continuing incident can move by a day between runs that start their CUSUMs on different days.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from npscli.core.periods import naive_utc
from npscli.store import schema
from npscli.store.alerts import PENDING, SENT, count_failed_attempt, set_attempted, update_pending
from npscli.store.engine import Store

EPISODE_DAYS = 28
A = schema.emerging_alerts


@dataclass(frozen=True)
class IssueDue:
    """One issue alert that should exist: this issue, to this recipient."""

    theme: str
    group_by: str
    group_value: str
    first_flagged: date
    recipient: str
    summary: str

    @property
    def key(self) -> tuple[str, str, str, date, str]:
        return (self.theme, self.group_by, self.group_value, self.first_flagged, self.recipient)


def already_known(store: Store, due: Iterable[IssueDue]) -> set[tuple[str, str, str, date, str]]:
    """The keys of ``due`` recorded already, or covered by an alert of the same theme, site and recipient
    for an issue first flagged less than EPISODE_DAYS before (pending or sent)."""
    due = list(due)
    if not due:
        return set()
    earliest = min(d.first_flagged for d in due) - timedelta(days=EPISODE_DAYS)
    with store.read() as conn:
        rows = conn.execute(
            select(A.c.theme, A.c.group_by, A.c.group_value, A.c.first_flagged, A.c.recipient).where(
                A.c.first_flagged >= earliest
            )
        ).all()
    known: set[tuple[str, str, str, date, str]] = set()
    for d in due:
        for theme, group_by, group_value, first_flagged, recipient in rows:
            if (theme, group_by, group_value, recipient) != (d.theme, d.group_by, d.group_value, d.recipient):
                continue
            if abs((d.first_flagged - first_flagged).days) < EPISODE_DAYS:
                known.add(d.key)
    return known


def claim(store: Store, due: Iterable[IssueDue], *, now: datetime) -> int:
    """Record every ``due`` issue alert not known yet as pending (one transaction). Returns how many."""
    due = list(dict.fromkeys(due))
    known = already_known(store, due)
    rows = [
        {
            "theme": d.theme,
            "group_by": d.group_by,
            "group_value": d.group_value,
            "first_flagged": d.first_flagged,
            "recipient": d.recipient,
            "status": PENDING,
            "attempts": 0,
            "summary": d.summary[:500],
            "created_at": naive_utc(now),
        }
        for d in due
        if d.key not in known
    ]
    if not rows:
        return 0
    with store.write() as conn:
        if store.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        conn.execute(
            insert(A).on_conflict_do_nothing(
                index_elements=["theme", "group_by", "group_value", "first_flagged", "recipient"]
            ),
            rows,
        )
    return len(rows)


def pending(store: Store) -> list[dict[str, Any]]:
    """Every pending issue alert, oldest issue first."""
    q = select(A).where(A.c.status == PENDING).order_by(A.c.first_flagged, A.c.id)
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def mark_sent(store: Store, rows: Iterable[dict[str, Any]], *, now: datetime) -> None:
    """The issue alerts ``rows`` went out (one statement: they share the time)."""
    ids = [r["id"] for r in rows]
    update_pending(store, A, ids, status=SENT, sent_at=naive_utc(now), attempts=A.c.attempts + 1, last_error=None)


def mark_attempted(store: Store, rows: Iterable[dict[str, Any]], *, now: datetime) -> None:
    """Record that these issue alerts are about to be sent (committed before the SMTP transaction starts)."""
    set_attempted(store, A, [r["id"] for r in rows], now=now)


def mark_failed(store: Store, rows: Iterable[dict[str, Any]], *, error: str, uncertain: bool = False) -> None:
    """Count a failed attempt; the issue alerts stay pending for the next run, not uncertain (it failed) unless
    ``uncertain`` (sent, the server's answer lost: ``attempted_at`` kept, as ``store.alerts.mark_failed``)."""
    ids = [r["id"] for r in rows]
    if uncertain:
        count_failed_attempt(store, A, ids, error=error)
    else:
        count_failed_attempt(store, A, ids, error=error, attempted_at=None)
