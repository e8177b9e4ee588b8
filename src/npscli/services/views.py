"""Shaping store rows into the rows commands print (and the JSON contracts they promise)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from npscli.core import tickets as rules
from npscli.core.periods import naive_utc

CONTACT_FIELDS = ("patient_name", "email", "phone")


def local_iso(dt: datetime | None, tz: str) -> str | None:
    """A stored (naive UTC) time as ISO 8601 with the clinic's offset."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).isoformat(timespec="seconds")


def local_short(dt: datetime | None, tz: str) -> str:
    if dt is None:
        return ""
    return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def age(since: datetime | None, now: datetime) -> str:
    if since is None:
        return ""
    seconds = (naive_utc(now) - since).total_seconds()
    if seconds < 0:
        return "future"
    hours = int(seconds // 3600)
    if hours < 48:
        return f"{hours}h"
    return f"{hours // 24}d {hours % 24}h"


def ticket_label(number: int | None) -> str | None:
    return rules.format_ticket_id(number) if number else None


def overdue(row: dict[str, Any], now: datetime) -> bool:
    if not row.get("ticket") and not row.get("id"):
        return False
    if row.get("due_at") is None or row.get("status") is None:
        return False
    return rules.is_overdue(row["status"], row["due_at"], row.get("first_contact_at"), naive_utc(now))


def detractor_row(row: dict[str, Any], *, now: datetime, tz: str, show_contact: bool) -> dict[str, Any]:
    """The `npscli detractors` JSON contract (plus contact fields with --show-contact)."""
    out = {
        "response_id": row.get("response_id"),
        "submitted_at": local_iso(row["submitted_at"], tz),
        "score": row["score"],
        "location": row.get("location"),
        "department": row.get("department"),
        "provider": row.get("provider"),
        "comment": row.get("comment"),
        "ticket_id": ticket_label(row.get("ticket")),
        "status": row.get("status"),
        "assignee": row.get("assignee"),
        "due_at": local_iso(row.get("due_at"), tz),
        "overdue": overdue(row, now),
    }
    if show_contact:
        for name in CONTACT_FIELDS:
            out[name] = row.get(name)
    return out


def ticket_row(row: dict[str, Any], *, now: datetime, tz: str, show_contact: bool = False) -> dict[str, Any]:
    """One ticket as `tickets list` prints it; ISO dates, one row per ticket (CRM/EHR friendly)."""
    out = {
        "ticket_id": rules.format_ticket_id(row["id"]),
        "status": row["status"],
        "priority": row["priority"],
        "assignee": row.get("assignee"),
        "score": row["score"],
        "submitted_at": local_iso(row["submitted_at"], tz),
        "due_at": local_iso(row["due_at"], tz),
        "overdue": rules.is_overdue(
            row["status"],
            row["due_at"],
            row.get("first_contact_at"),
            naive_utc(now),
        ),
        "first_contact_at": local_iso(row.get("first_contact_at"), tz),
        "closed_at": local_iso(row.get("closed_at"), tz),
        "location": row.get("location"),
        "department": row.get("department"),
        "provider": row.get("provider"),
        "root_causes": row.get("root_causes") or None,
        "suggested_cause": row.get("suggested_cause"),
        "escalated_to": row.get("escalated_to"),
        "response_id": row.get("response_id"),
        "comment": row.get("comment"),
    }
    if show_contact:
        for name in CONTACT_FIELDS:
            out[name] = row.get(name)
    return out


def comment_themes(taxonomy: Any, comment: str | None) -> list[str] | None:
    """The theme codes ``comment`` raises (the `themes` field of detractors and tickets): ``[]`` for no
    comment, None when no taxonomy could be loaded."""
    if taxonomy is None:
        return None
    return taxonomy.match(comment) if comment else []


_UNLOADED = object()


class ThemeSource:
    """Where the ``themes`` of listed comments come from: the themes stored on a ticket when it was opened,
    if the matching that found them is the one in force now (its fingerprint, ``key``, is the current one),
    else the taxonomy, loaded only when some row needs it (``load``: the taxonomy, or None when it cannot
    be loaded). The themes are the same either way; the stored ones save loading and matching."""

    def __init__(self, key: str | None, load: Callable[[], Any]) -> None:
        self.key = key
        self._load = load
        self._taxonomy: Any = _UNLOADED

    def taxonomy(self) -> Any:
        if self._taxonomy is _UNLOADED:
            self._taxonomy = self._load()
        return self._taxonomy

    def themes_of(self, rows: list[dict[str, Any]]) -> list[list[str] | None]:
        """Per row (``comment``, and ``stored_themes``/``stored_themes_key`` from the store): what
        :func:`comment_themes` gives with the taxonomy."""
        out: list[list[str] | None] = []
        pending: list[int] = []
        for i, row in enumerate(rows):
            stored = row.get("stored_themes")
            if (
                self.key is not None
                and stored is not None
                and row.get("comment")
                and (row.get("stored_themes_key") == self.key)
            ):
                out.append(stored.split(",") if stored else [])
            else:
                out.append(None)
                pending.append(i)
        if pending:
            # (a row without a comment has no themes, [], if the taxonomy loads: known already when a stored
            # row matched the current fingerprint, which only a taxonomy that loaded can have)
            known_good = len(pending) < len(rows)
            commented = any(rows[i].get("comment") for i in pending)
            taxonomy = self.taxonomy() if commented or not known_good else None
            for i in pending:
                comment = rows[i].get("comment")
                if comment and taxonomy is not None:
                    out[i] = taxonomy.match(comment)
                elif not comment and (taxonomy is not None or known_good):
                    out[i] = []
        return out


def with_themes(row: dict[str, Any], themes: list[str] | None) -> dict[str, Any]:
    """``row`` with a ``themes`` field right after its ``comment`` (so CSV columns keep the comment beside it)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        out[key] = value
        if key == "comment":
            out["themes"] = themes
    if "themes" not in out:
        out["themes"] = themes
    return out


def joined_themes(themes: list[str] | None) -> str:
    """The ``themes`` field as a table or CSV cell: codes joined by ", "; "" for none."""
    return ", ".join(themes or ())
