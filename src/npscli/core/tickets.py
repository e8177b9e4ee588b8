"""The detractor ticket life cycle: statuses, allowed transitions, ids, priorities, SLA clock.

    new -> assigned -> contacted -> resolved
                       contacted -> no_response      (closed: the patient is not chased again)
    any open status -> escalated                     (an at-risk patient, to a named person; again, onward)
    any open status -> resolved
    resolved | no_response -> reopened               (open again)

Assigning keeps a contacted or escalated ticket in its status (only its owner changes).
Logging a further contact on a contacted ticket keeps it contacted.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from npscli.core.errors import ConflictError, UsageError

NEW, ASSIGNED, CONTACTED, RESOLVED, NO_RESPONSE, ESCALATED, REOPENED = (
    "new",
    "assigned",
    "contacted",
    "resolved",
    "no_response",
    "escalated",
    "reopened",
)
STATUSES = (NEW, ASSIGNED, CONTACTED, ESCALATED, REOPENED, RESOLVED, NO_RESPONSE)
OPEN_STATUSES = (NEW, ASSIGNED, CONTACTED, ESCALATED, REOPENED)
CLOSED_STATUSES = (RESOLVED, NO_RESPONSE)
ROOT_CAUSES = ("wait_time", "scheduling", "billing", "staff", "communication", "clinical", "facility", "other")
"""The default root-cause codes (configurable as ``tickets.root_causes``); themes map onto them."""
CHANNELS = ("call", "email", "voicemail", "sms", "in-person", "letter")
# Channels that mean the patient was actually reached or written to (a voicemail counts as an attempt).
CONTACT_CHANNELS = CHANNELS

ACTIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    # action: (statuses it is allowed from, resulting status or None for "unchanged")
    "assign": (OPEN_STATUSES, None),
    "contacted": (OPEN_STATUSES, CONTACTED),
    "resolve": (OPEN_STATUSES, RESOLVED),
    "no_response": ((CONTACTED,), NO_RESPONSE),
    # an escalated ticket can be escalated on (the medical director to a specialist), to someone else
    "escalate": ((NEW, ASSIGNED, CONTACTED, REOPENED, ESCALATED), ESCALATED),
    "reopen": (CLOSED_STATUSES, REOPENED),
    "note": (STATUSES, None),
}


def format_ticket_id(number: int) -> str:
    return f"T-{number:06d}"


def parse_ticket_id(text: str) -> int:
    """``T-000123``, ``t-123``, ``123`` -> 123."""
    match = re.match(r"^\s*(?:T-?)?0*(\d{1,9})\s*$", text or "", re.IGNORECASE)  # compiled on first use
    if not match or int(match.group(1)) == 0:
        raise UsageError(
            f"{text!r} is not a ticket id", hint="ticket ids look like T-000123 (see `npscli tickets list`)"
        )
    return int(match.group(1))


MAX_NOTE_CHARS = 20_000  # a long call summary fits; a pasted document belongs in the records system


def check_note(action: str, text: str | None) -> str | None:
    """The text of a ticket action, or None: a `note` must say something; no text may exceed MAX_NOTE_CHARS."""
    if text is not None and not text.strip():
        text = None
    if action == "note" and text is None:
        raise UsageError("the note is empty", hint='write what happened: npscli tickets note T-000123 "left a message"')
    if text is not None and len(text) > MAX_NOTE_CHARS:
        raise UsageError(
            f"the note is {len(text)} characters; a ticket note holds at most {MAX_NOTE_CHARS}",
            hint="shorten it, and keep long documents in the records system with a reference in the note",
        )
    return text


def next_status(action: str, current: str, ticket_label: str) -> str:
    """The status after ``action``; ConflictError when the current status forbids it."""
    allowed, result = ACTIONS[action]
    if current not in allowed:
        verb = action.replace("_", "-")
        if current in CLOSED_STATUSES:
            hint = f"reopen it first: npscli tickets reopen {ticket_label}"
        elif action == "no_response":
            hint = f"log the contact attempt first: npscli tickets contacted {ticket_label} --channel call"
        elif action == "reopen":
            hint = "only resolved or no_response tickets can be reopened"
        else:
            hint = None
        raise ConflictError(f"ticket {ticket_label} is {current}; it cannot be {_past(verb)}", hint=hint)
    if action == "assign" and current in (NEW, REOPENED):
        return ASSIGNED
    return result or current


def _past(verb: str) -> str:
    return {
        "assign": "assigned",
        "contacted": "marked contacted",
        "resolve": "resolved",
        "no-response": "closed as no-response",
        "escalate": "escalated",
        "reopen": "reopened",
    }.get(verb, verb)


def priority_for(score: int, high_priority_max: int = 3) -> str:
    return "high" if score <= high_priority_max else "normal"


def due_at(received: datetime, sla_hours: float) -> datetime:
    return received + timedelta(hours=sla_hours)


def is_overdue(status: str, due: datetime, first_contact: datetime | None, now: datetime) -> bool:
    """Overdue: still open, nobody has reached out yet, and the follow-up deadline has passed."""
    return status in OPEN_STATUSES and first_contact is None and now > due


def validate_root_causes(codes: list[str], allowed: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for raw in codes:
        for code in (c.strip().lower().replace("-", "_") for c in raw.split(",")):
            if not code:
                continue
            if code not in allowed:
                raise UsageError(
                    f"unknown root-cause code {code!r}",
                    hint=f"use one of: {', '.join(allowed)} (configurable as tickets.root_causes)",
                )
            if code not in out:
                out.append(code)
    return out
