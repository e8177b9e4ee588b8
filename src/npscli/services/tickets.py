"""`npscli tickets show`: one ticket as every format shows it, its history, and its text for a terminal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from npscli.services.views import comment_themes, local_iso, local_short, ticket_row, with_themes


def ticket_view(
    store, ticket_id: str, *, now: datetime, tz: str, show_contact: bool, taxonomy: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """The ticket's row (with its themes and the abusive-language flag), its history, and the stored ticket."""
    from npscli.store.tickets import show_ticket

    t, events = show_ticket(store, ticket_id)
    row = ticket_row(t, now=now, tz=tz, show_contact=show_contact)
    row = with_themes(row, comment_themes(taxonomy, row["comment"]))
    row["abusive"] = bool(taxonomy and row["comment"] and taxonomy.is_abusive(row["comment"]))
    history = [
        {
            "at": local_iso(e["at"], tz),
            "actor": e["actor"],
            "kind": e["kind"],
            "channel": e["channel"],
            "from_status": e["from_status"],
            "to_status": e["to_status"],
            "text": e["text"],
        }
        for e in events
    ]
    return row, history, t


def theme_names(taxonomy, codes: list[str]) -> list[str]:
    """ "Billing and insurance (billing)": the label a person reads and the code the JSON and a taxonomy file use."""
    return [f"{taxonomy.theme(code).label} ({code})" for code in codes]


def ticket_lines(row: dict[str, Any], t: dict[str, Any], *, tz: str, show_contact: bool, taxonomy: Any) -> list[str]:
    """The ticket as a person reads it on a terminal, above its history."""
    lines = [
        f"{row['ticket_id']}  {row['status']}  priority {row['priority']}  assignee {row['assignee'] or '-'}"
        + ("  OVERDUE" if row["overdue"] else ""),
        f"score {row['score']} at {row['location'] or '-'} / {row['department'] or '-'} / {row['provider'] or '-'}",
        f"received {local_short(t['submitted_at'], tz)}, due {local_short(t['due_at'], tz)}",
    ]
    if show_contact:
        lines.append(f"patient: {row.get('patient_name') or '-'}  {row.get('email') or ''}  {row.get('phone') or ''}")
    if row["escalated_to"]:
        lines.append(f"escalated to: {row['escalated_to']}")
    if row["suggested_cause"]:
        lines.append(f"suggested root cause: {row['suggested_cause']}")
    if row["root_causes"]:
        lines.append(f"root cause: {row['root_causes']}")
    if row["themes"]:
        lines.append(
            f"themes: {', '.join(theme_names(taxonomy, row['themes']))}"
            f"  (why: npscli themes explain --ticket {row['ticket_id']})"
        )
    if row["abusive"]:
        lines.append("abusive language: do not answer this comment in public")
    lines.append("comment:")
    lines += [f"  {line}" for line in (row["comment"] or "(no comment)").splitlines() or [""]]
    lines.append("")
    return lines
