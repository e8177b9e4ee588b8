"""Ticket statistics for the report and `tickets stats`: opened, closed, contact times, the service level."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from npscli.core import tickets as rules
from npscli.core.errors import UsageError
from npscli.core.periods import naive_utc
from npscli.store import schema
from npscli.store.engine import Store

T = schema.tickets
E = schema.ticket_events
R = schema.responses


def ticket_stats(
    store: Store,
    *,
    by: str | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
    threshold: int,
    filters: dict[str, tuple[str, ...]] | None = None,
) -> list[dict[str, Any]]:
    """Per group (or overall): opened, closed, median hours to first contact, share contacted within
    the SLA (of the tickets contacted or past their deadline), overdue open tickets, root causes, and
    recovered patients (the patient's next response >= 7). ``filters``: the tickets of these locations,
    departments or providers only (stored names)."""
    from npscli.store.tickets import TicketFilter, list_tickets  # the listing; tickets re-exports this module

    now_n = naive_utc(now)
    group_col = {"location": "location", "department": "department", "provider": "provider", "assignee": "assignee"}
    group_col = group_col.get(by or "")
    if by and not group_col:
        raise UsageError(
            f"cannot group ticket stats by {by!r}", hint="use --by location, department, provider or assignee"
        )
    chosen = {field: tuple(values) for field, values in (filters or {}).items() if values}
    f = TicketFilter(since=since, until=until, **chosen)
    rows = list_tickets(store, f, newest_first=False)
    recovered = _recovered_response_pks(store, rows, threshold)
    groups: dict[Any, list[dict[str, Any]]] = {}
    for r in rows:
        key = (r[group_col] or "(none)") if group_col else None
        groups.setdefault(key, []).append(r)
    out = []
    from npscli.core.names import fold

    for key in sorted(groups, key=lambda k: (k is None, fold(str(k)), str(k))):  # as score sorts its groups
        items = groups[key]
        contact_hours = [
            (r["first_contact_at"] - r["submitted_at"]).total_seconds() / 3600 for r in items if r["first_contact_at"]
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
                "median_hours_to_contact": round(statistics.median(contact_hours), 1) if contact_hours else None,
                "contacted_within_sla": round(100 * within / decided, 1) if decided else None,
                "sla_met": within,  # the share's numerator and denominator: 100% of 1 is not 100% of 40
                "sla_decided": decided,
                "overdue_open": sum(
                    1 for r in items if rules.is_overdue(r["status"], r["due_at"], r["first_contact_at"], now_n)
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
            # The IS NOT NULL terms (implied by the IN) are the partial indexes' conditions, written out so
            # that SQLite's planner, which proves only such plain implications, uses them.
            matches = []
            if ids:
                matches.append((R.c.patient_id.is_not(None), R.c.patient_id.in_(ids)))
            if emails:
                matches.append((R.c.email.is_not(None), func.lower(R.c.email).in_(emails)))
            for match in matches:
                q = select(R.c.patient_id, R.c.email, R.c.submitted_at, R.c.score).where(*match)
                for pid, email, submitted, score in conn.execute(q):
                    for key in (("patient_id", pid), ("email", (email or "").lower())):
                        for r in by_patient.get(key, []):
                            if submitted > r["submitted_at"]:
                                seen = next_response.get(r["response_pk"])
                                if seen is None or submitted < seen[0]:
                                    next_response[r["response_pk"]] = (submitted, score)
    return {pk for pk, (_when, score) in next_response.items() if score >= 7}
