"""Detractor alerts: what is due to whom, the messages (rendered from templates), and their delivery.

``plan`` works out the due alerts (routing every new detractor, escalating every overdue ticket),
``compose_jobs`` turns deliveries into e-mails (one per alert, or one digest per recipient) and webhook posts,
and ``deliver`` sends them, recording each success or failure in the store as it happens.

Templates (user folder first, then the packaged ``templates/alerts/``):

    alerts/detractor.subject.j2, alerts/detractor.txt.j2   one new detractor
    alerts/overdue.subject.j2,   alerts/overdue.txt.j2     one overdue ticket, to the escalation list
    alerts/escalated.subject.j2, alerts/escalated.txt.j2   a ticket escalated to a named person, to them
    alerts/digest.subject.j2,    alerts/digest.txt.j2      everything new for one recipient
    alerts/webhook.txt.j2                                  the chat message (no comment, no contact)

Each alert item offers: kind, score, priority, location, department, provider, received, received_iso,
comment (None when there is none, or only a placeholder such as "n/a", "-" or "no comment"), comment_redacted,
ticket_id, ticket_command, ticket_status, assignee, due, overdue_for (how long ago the deadline passed, for a
ticket overdue now: the overdue alerts, and a detractor imported after its deadline; else None), contact (None
unless ``alerts.include_contact``: name, email, phone), reason, emerging, escalated_to, escalation (the text
`tickets escalate` recorded: to whom, from whom, why). Every template also gets
clinic_name and recipient; the digest gets detractors and overdue (lists of items) and emerging; the
webhook, items.

``emerging`` (of an item: a list of lines) names the emerging issues a detractor's comment is part of: a
theme of the comment that `npscli themes --emerging` flags at the response's location right now (the
same detection and sentence, ``npscli.services.themes.emerging_issues`` and ``describe_issue``: a CUSUM
per theme and location, issues flagged in the last 14 days). So the manager reading "charged twice" also
reads that six other Eastgate patients said the same this week. The digest's ``emerging`` is the distinct
lines of its detractors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from npscli.core import tickets as rules
from npscli.core.names import fold_name
from npscli.core.periods import naive_utc
from npscli.core.routing import AlertSettings, route
from npscli.io.mailer import Outgoing, compose
from npscli.services.comments import real_comment
from npscli.store import alerts as book
from npscli.store.engine import Store
from npscli.templating import render


@dataclass
class RunContext:
    """What every part of a run needs to know."""

    settings: AlertSettings
    tz: str
    clinic_name: str
    now: datetime
    actor: str
    templates_dir: str | None = None
    digest: bool = False
    use_email: bool = True
    webhook: str | None = None  # the store label of the webhook ("webhook:host"), when one is configured
    taxonomy: Any = None  # the theme taxonomy, for emerging issues (None: they are left out)
    emerging: list[Any] = field(default_factory=list)  # the flagged issues (core.emerging.EmergingIssue), see below
    detector: Any = None  # core.emerging.DetectorSettings ([emerging] of npscli.toml); None: the defaults
    people: dict[str, str] = field(default_factory=dict)  # folded name -> address, see people_addresses()


@dataclass
class Job:
    """One thing to send (an e-mail or a webhook post) and the deliveries it settles."""

    channel: str  # "email" or "webhook"
    recipient: str
    deliveries: list[dict[str, Any]]
    outgoing: Outgoing | None = None
    payload: dict[str, Any] | None = None
    results: list[tuple[bool, str | None]] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- people


def people_addresses(sections: dict[str, Any], cfg: AlertSettings) -> dict[str, str]:
    """Whom a ticket can be escalated to by name, and their address: the named alert recipients
    ("Dr. Sam Reyes <sam.reyes@...>"), [senders.NAME], [providers.NAME] and the locations' managers and owners
    (``{ name = ..., email = ... }``) of npscli.toml. Names are matched ignoring case and spacing."""
    from email.utils import parseaddr

    people: dict[str, str] = {}

    def add(name: Any, address: Any) -> None:
        if isinstance(name, str) and isinstance(address, str) and name.strip() and "@" in address:
            people.setdefault(fold_name(name), parseaddr(address)[1].lower() or address.strip().lower())

    for r in cfg.email_recipients:
        name, address = parseaddr(r.display)
        add(name, address)
    for section in ("senders", "providers"):
        table = sections.get(section)
        for name, entry in table.items() if isinstance(table, dict) else ():
            add(name, entry.get("email") if isinstance(entry, dict) else None)
    locations = sections.get("locations")
    for entry in locations.values() if isinstance(locations, dict) else ():
        for role in ("manager", "owner", "sender"):
            person = entry.get(role) if isinstance(entry, dict) else None
            if isinstance(person, dict):
                add(person.get("name"), person.get("email"))
    return people


def address_of(name: str | None, people: dict[str, str]) -> str | None:
    """The address of the person named ``name`` (an address itself is its own), or None when unknown."""
    from email.utils import parseaddr

    if not name or not name.strip():
        return None
    if "@" in name:
        address = parseaddr(name)[1]
        return address.lower() if "@" in address else None
    return people.get(fold_name(name))


# ---------------------------------------------------------------------------------------------- planning


def plan(store: Store, ctx: RunContext, *, since: datetime | None) -> list[book.Due]:
    """Every alert that should exist for responses (and ticket deadlines) since ``since``."""
    cfg = ctx.settings
    due: list[book.Due] = []
    for row in book.new_detractors(store, max_score=cfg.max_score, since=since, until=ctx.now):
        if ctx.use_email:
            for r in route(
                cfg,
                score=row["score"],
                location=row["location"],
                department=row["department"],
                provider=row["provider"],
            ):
                due.append(book.Due(row["response_pk"], r.recipient.address, book.CHANNEL_EMAIL))
        if ctx.webhook:
            due.append(book.Due(row["response_pk"], ctx.webhook, book.CHANNEL_WEBHOOK))
    if ctx.use_email and cfg.escalate_overdue_to:
        for row in book.overdue_tickets(store, now=ctx.now, since=since):
            for r in cfg.escalate_overdue_to:
                due.append(book.Due(row["response_pk"], r.address, book.CHANNEL_OVERDUE))
    if ctx.use_email:  # the person a ticket was escalated to hears of it (once, whenever it happened)
        for row in book.escalated_tickets(store):
            address = address_of(row["escalated_to"], ctx.people)
            if address:
                due.append(book.Due(row["response_pk"], address, book.CHANNEL_ESCALATED))
    return list(dict.fromkeys(due))


def still_due(row: dict[str, Any], ctx: RunContext) -> bool:
    """Whether a pending delivery should go out in this run."""
    if row["channel"] == book.CHANNEL_WEBHOOK:
        return ctx.webhook is not None and row["recipient"] == ctx.webhook
    if not ctx.use_email:
        return False
    if row["channel"] == book.CHANNEL_OVERDUE:  # contacted or closed since: the escalation is moot
        return row["ticket"] is not None and rules.is_overdue(
            row["ticket_status"], row["due_at"], row["first_contact_at"], naive_utc(ctx.now)
        )
    if row["channel"] == book.CHANNEL_ESCALATED:  # contacted, closed or handed on since: moot
        still_theirs = address_of(row["escalated_to"], ctx.people) == row["recipient"]
        return row["ticket_status"] == rules.ESCALATED and still_theirs
    return True


def pending_deliveries(store: Store, ctx: RunContext) -> list[dict[str, Any]]:
    rows = [row for row in book.pending(store) if still_due(row, ctx)]
    escalated = [row for row in rows if row["channel"] == book.CHANNEL_ESCALATED]
    if escalated:  # what the escalation said, for those tickets only
        why = book.escalation_reasons(store, [row["ticket"] for row in escalated])
        for row in escalated:
            row["escalation"] = why.get(row["ticket"], "")
    return rows


def preview(store: Store, ctx: RunContext, *, since: datetime | None) -> list[dict[str, Any]]:
    """What a run would send, without writing anything: the pending deliveries plus the unrecorded due."""
    rows = pending_deliveries(store, ctx)
    due = plan(store, ctx, since=since)
    known = book.recorded(store, due)
    fresh = [d for d in due if d.key not in known]
    if fresh:
        subjects = {
            r["response_pk"]: r
            for r in book.new_detractors(store, max_score=ctx.settings.max_score, since=since, until=ctx.now)
        }
        subjects.update({r["response_pk"]: r for r in book.overdue_tickets(store, now=ctx.now, since=since)})
        subjects.update({r["response_pk"]: r for r in book.escalated_tickets(store)})
        for d in fresh:
            rows.append(
                {
                    **subjects[d.response_pk],
                    "delivery_id": None,
                    "recipient": d.recipient,
                    "channel": d.channel,
                    "attempts": 0,
                    "last_error": None,
                }
            )
    return rows


# ---------------------------------------------------------------------------------------------- content


def find_emerging(store: Store, ctx: RunContext) -> None:
    """Set ``ctx.emerging``: the (theme, location) issues flagged now, as `npscli themes --emerging` does."""
    if ctx.taxonomy is None:
        return
    from npscli.services.themes import emerging_issues

    ctx.emerging = emerging_issues(store, ctx.taxonomy, now=ctx.now, tz=ctx.tz, by="location", detector=ctx.detector)


def _emerging_lines(row: dict[str, Any], ctx: RunContext) -> list[str]:
    """The emerging issues this detractor's comment is part of: same location, a theme of the comment."""
    if not ctx.emerging or row["channel"] != book.CHANNEL_EMAIL or not real_comment(row.get("comment")):
        return []
    from npscli.services.themes import describe_issue

    themes = set(ctx.taxonomy.match(row["comment"]))
    return [
        describe_issue(e, ctx.taxonomy) for e in ctx.emerging if e.group == row.get("location") and e.theme in themes
    ]


def _local(dt: datetime | None, tz: str) -> str | None:
    if dt is None:
        return None
    moment = dt.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()}"


def _hours(delta_seconds: float) -> str:
    hours = int(delta_seconds // 3600)
    return f"{hours}h" if hours < 48 else f"{hours // 24}d {hours % 24}h"


def _redactor() -> Callable[..., str | None] | None:
    try:
        from npscli.core.redact import redact
    except ImportError:  # an older tree without the redaction module: comments travel as written
        return None
    return redact


def _reason(row: dict[str, Any], cfg: AlertSettings) -> str:
    if row["channel"] == book.CHANNEL_OVERDUE:
        return "alerts.escalate_overdue_to"
    if row["channel"] == book.CHANNEL_ESCALATED:
        return "the escalation of this ticket to you (npscli tickets escalate)"
    if row["channel"] == book.CHANNEL_WEBHOOK:
        return "alerts.webhook_url"
    for r in route(
        cfg, score=row["score"], location=row["location"], department=row["department"], provider=row["provider"]
    ):
        if r.recipient.address == row["recipient"]:
            return r.reason
    return "a routing rule in force when it became due"  # the configuration changed since


def item(row: dict[str, Any], ctx: RunContext, *, private: bool = True) -> dict[str, Any]:
    """The template variables of one alert (``private=False``: without comment and contact)."""
    cfg = ctx.settings
    comment = real_comment(row.get("comment")) or None  # "n/a", "-", "no comment": the patient wrote none
    redacted = False
    if comment and cfg.redact_comments:
        redact = _redactor()
        if redact is not None:
            comment = redact(comment, names=[row["patient_name"]] if row.get("patient_name") else [])
            redacted = True
    ticket_id = rules.format_ticket_id(row["ticket"]) if row.get("ticket") else None
    # how long ago the deadline passed, for any alert whose ticket is overdue now (a Monday import of Friday's
    # exports: their deadline passed on Sunday, and "contact by" Sunday would read as time still left)
    overdue_for = None
    now, due_at = naive_utc(ctx.now), row.get("due_at")
    if due_at is not None and row.get("ticket") is not None:
        late = rules.is_overdue(row.get("ticket_status"), due_at, row.get("first_contact_at"), now)
        if late or row["channel"] == book.CHANNEL_OVERDUE:
            overdue_for = _hours((now - due_at).total_seconds())
    contact = None
    if private and cfg.include_contact:
        contact = {"name": row.get("patient_name"), "email": row.get("email"), "phone": row.get("phone")}
    kinds = {book.CHANNEL_OVERDUE: "overdue", book.CHANNEL_ESCALATED: "escalated"}
    return {
        "kind": kinds.get(row["channel"], "detractor"),
        "score": row["score"],
        "priority": row.get("priority"),
        "location": row.get("location"),
        "department": row.get("department"),
        "provider": row.get("provider"),
        "received": _local(row["submitted_at"], ctx.tz),
        "received_iso": row["submitted_at"].replace(tzinfo=UTC).astimezone(ZoneInfo(ctx.tz)).isoformat(),
        "comment": comment if private else None,
        "comment_redacted": redacted if private else False,
        "ticket_id": ticket_id,
        "ticket_command": f"npscli tickets show {ticket_id}" if ticket_id else None,
        "ticket_status": row.get("ticket_status"),
        "assignee": row.get("assignee"),
        "due": _local(row.get("due_at"), ctx.tz),
        "overdue_for": overdue_for,
        "contact": contact,
        "reason": _reason(row, cfg),
        "emerging": _emerging_lines(row, ctx),
        "escalated_to": row.get("escalated_to"),
        "escalation": row.get("escalation"),
    }


def _render(name: str, context: dict[str, Any], ctx: RunContext) -> str:
    return render(name, context, user_dir=ctx.templates_dir)


def outgoing_email(
    ctx: RunContext,
    recipient: str,
    template: str,
    context: dict[str, Any],
    name: str,
    deliveries: list[dict[str, Any]] | None = None,
    person: str | None = None,
) -> Outgoing:
    """The e-mail of one job; with the ``deliveries`` it settles, a stable Message-ID (:func:`message_id`).
    ``person``: the recipient's name when the routing does not give one (whom a ticket was escalated to)."""
    from email.utils import formataddr

    cfg = ctx.settings
    assert cfg.sender is not None  # checked by the command before anything is composed
    context = {"clinic_name": ctx.clinic_name, "recipient": recipient, **context}
    to = cfg.display_for(recipient)
    if to == recipient and person and person.strip() and "@" not in person:
        to = formataddr((person.strip(), recipient))
    return compose(
        sender=cfg.sender.display,
        to=[to],
        subject=_render(f"alerts/{template}.subject.j2", context, ctx),
        text=_render(f"alerts/{template}.txt.j2", context, ctx),
        headers={"X-Npscli-Alert": template},
        name=name,
        message_id=message_id(deliveries, cfg.sender.display) if deliveries else None,
    )


def message_id(deliveries: Iterable[dict[str, Any]], sender: str) -> str:
    """``<npscli.HASH@sender's domain>``, the same every time these deliveries are sent: a message resent
    after a run was killed between the server's answer and the store's record is the same message, which mail
    systems drop. Each delivery is (response, recipient, kind); the response by its export id and time, so two
    clinics' stores never make the same id. An emerging-issue alert is (issue, recipient): its theme, group and
    first flagged day."""
    import hashlib

    from npscli.io.mailer import bare_address

    keys = sorted(_delivery_key(d) for d in deliveries)
    digest = hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:24]  # 96 bits; the header stays one line
    domain = bare_address(sender).rpartition("@")[2] or "npscli.invalid"
    return f"<npscli.{digest}@{domain}>"


def _delivery_key(d: dict[str, Any]) -> str:
    if "theme" in d and "group_value" in d:  # a row of emerging_alerts
        parts = ("emerging", d["theme"], d["group_by"], d["group_value"], d["first_flagged"], d["recipient"])
    else:
        parts = (d.get("response_id") or d["response_pk"], d.get("submitted_at"), d["recipient"], d["channel"])
    return "|".join(str(part) for part in parts)


def compose_jobs(rows: Iterable[dict[str, Any]], ctx: RunContext) -> list[Job]:
    """E-mails and webhook posts for these deliveries: one per delivery, or with ``ctx.digest`` one
    e-mail per recipient (and one webhook post) covering all of them."""
    rows = list(rows)
    jobs: list[Job] = []
    mail_rows = [r for r in rows if r["channel"] in (book.CHANNEL_EMAIL, book.CHANNEL_OVERDUE)]
    hook_rows = [r for r in rows if r["channel"] == book.CHANNEL_WEBHOOK]
    for r in (r for r in rows if r["channel"] == book.CHANNEL_ESCALATED):  # its own message, digest or not
        label = rules.format_ticket_id(r["ticket"]) if r.get("ticket") else f"response-{r['response_pk']}"
        out = outgoing_email(
            ctx, r["recipient"], "escalated", item(r, ctx), f"{label}-escalated-{r['recipient']}", deliveries=[r],
            person=r.get("escalated_to"),
        )
        jobs.append(Job("email", r["recipient"], [r], outgoing=out))
    if ctx.digest:
        by_recipient: dict[str, list[dict[str, Any]]] = {}
        for r in mail_rows:
            by_recipient.setdefault(r["recipient"], []).append(r)
        for recipient, mine in by_recipient.items():
            detractors = [item(r, ctx) for r in mine if r["channel"] == book.CHANNEL_EMAIL]
            context = {
                "detractors": detractors,
                "overdue": [item(r, ctx) for r in mine if r["channel"] == book.CHANNEL_OVERDUE],
                "emerging": list(dict.fromkeys(line for d in detractors for line in d["emerging"])),
            }
            out = outgoing_email(ctx, recipient, "digest", context, f"digest-{recipient}", deliveries=mine)
            jobs.append(Job("email", recipient, mine, outgoing=out))
        if hook_rows:
            jobs.append(Job("webhook", hook_rows[0]["recipient"], hook_rows, payload=_hook(hook_rows, ctx)))
        return jobs
    for r in mail_rows:
        template = "overdue" if r["channel"] == book.CHANNEL_OVERDUE else "detractor"
        label = rules.format_ticket_id(r["ticket"]) if r.get("ticket") else f"response-{r['response_pk']}"
        out = outgoing_email(
            ctx, r["recipient"], template, item(r, ctx), f"{label}-{template}-{r['recipient']}", deliveries=[r]
        )
        jobs.append(Job("email", r["recipient"], [r], outgoing=out))
    for r in hook_rows:
        jobs.append(Job("webhook", r["recipient"], [r], payload=_hook([r], ctx)))
    return jobs


def _hook(rows: list[dict[str, Any]], ctx: RunContext) -> dict[str, Any]:
    context = {"clinic_name": ctx.clinic_name, "items": [item(r, ctx, private=False) for r in rows]}
    return {"text": _render("alerts/webhook.txt.j2", context, ctx).strip()}


# ---------------------------------------------------------------------------------------------- delivery


def deliver(
    store: Store,
    jobs: list[Job],
    ctx: RunContext,
    *,
    mailer: Any,
    how: str,
    settled: Callable[[int, int], None] = lambda done, total: None,
) -> None:
    """Send every job; record each outcome in the store as soon as it is known (``job.results``).

    ``mailer`` is an SmtpMailer or OutboxMailer; ``how`` ends the ticket event ("by email",
    "to the outbox"). A server that cannot be reached fails the rest of its channel for this run.
    ``settled(done, total)`` is told as each job is settled (a progress display on a terminal).
    """
    from npscli.io.webhook import post_json

    total = sum(1 for j in jobs if j.outgoing is not None) + sum(1 for j in jobs if j.payload is not None)
    done = 0

    by_message = {id(j.outgoing): j for j in jobs if j.outgoing is not None}
    if by_message:

        def attempting(out: Outgoing) -> None:
            book.mark_attempted(store, by_message[id(out)].deliveries, now=ctx.now)

        perhaps_delivered: set[int] = set()  # the jobs whose message was sent but whose answer was lost
        for result in mailer.iter_send([j.outgoing for j in jobs if j.outgoing is not None], before=attempting):
            job = by_message[id(result.outgoing)]
            job.results.append((result.ok, result.error))
            if result.uncertain:
                perhaps_delivered.add(id(job))
            if len(job.results) < len(result.outgoing.recipients):
                continue  # alert messages have one recipient; a message to several settles on its last
            if all(ok for ok, _ in job.results):
                book.mark_sent(store, job.deliveries, now=ctx.now, actor=ctx.actor, how=how)
            else:
                book.mark_failed(
                    store,
                    job.deliveries,
                    error=next(e for ok, e in job.results if not ok) or "?",
                    uncertain=id(job) in perhaps_delivered,
                )
            done += 1
            settled(done, total)
    unreachable: str | None = None
    for job in (j for j in jobs if j.payload is not None):
        if unreachable is not None:
            outcome_ok, error = False, unreachable
        else:
            answer = post_json(ctx.settings.webhook_url or "", job.payload, timeout=ctx.settings.webhook_timeout)
            outcome_ok, error = answer.ok, answer.error
            if answer.unreachable:
                unreachable = answer.error
        job.results.append((outcome_ok, error))
        if outcome_ok:
            book.mark_sent(store, job.deliveries, now=ctx.now, actor=ctx.actor, how="on the chat webhook")
        else:
            book.mark_failed(store, job.deliveries, error=error or "?")
        done += 1
        settled(done, total)


def report_rows(jobs: Iterable[Job], ctx: RunContext, *, dry_run: bool = False, outbox: bool = False) -> list[dict]:
    """One row per delivery: the `npscli alert --format json` contract."""
    out = []
    for job in jobs:
        if dry_run:
            ok, error = None, None
        else:
            ok = bool(job.results) and all(o for o, _ in job.results)
            error = next((e for o, e in job.results if not o), None)
        for d in job.deliveries:
            if dry_run:
                result = "would retry" if d.get("attempts") else "would send"
            elif ok:
                result = "outbox" if outbox and job.channel == "email" else "sent"
            else:
                result = "failed"
            out.append(
                {
                    "kind": {book.CHANNEL_OVERDUE: "overdue", book.CHANNEL_ESCALATED: "escalated"}.get(
                        d["channel"], "detractor"
                    ),
                    "ticket_id": rules.format_ticket_id(d["ticket"]) if d.get("ticket") else None,
                    "response_id": d.get("response_id"),
                    "score": d["score"],
                    "location": d.get("location"),
                    "department": d.get("department"),
                    "submitted_at": d["submitted_at"].replace(tzinfo=UTC).astimezone(ZoneInfo(ctx.tz)).isoformat(),
                    "recipient": d["recipient"],
                    "channel": d["channel"],
                    "digest": ctx.digest and job.channel == "email" and d["channel"] != book.CHANNEL_ESCALATED,
                    "result": result,
                    # an earlier run was killed between sending this and recording it: maybe delivered already
                    "uncertain": d.get("attempted_at") is not None,
                    "attempts": (d.get("attempts") or 0) + (0 if dry_run else 1),
                    "error": error if not dry_run else d.get("last_error"),
                }
            )
    return out
