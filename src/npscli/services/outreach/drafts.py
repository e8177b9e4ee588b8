"""Selecting tickets, planning each draft (kind, template, sender), rendering, writing and recording it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from npscli.core import tickets as rules
from npscli.core.errors import ConfigError, NotFoundError, TemplateError
from npscli.core.language import ENGLISH, guess_language
from npscli.core.nps import bucket
from npscli.services.outreach.constants import (
    CALL_TEMPLATE,
    EVENT_KIND,
    KIND_CALL,
    KIND_EMAIL,
    KIND_LABEL,
    KIND_PUBLIC,
    SENDER_ROLES,
)
from npscli.services.outreach.public_reply import check_public_reply
from npscli.services.outreach.senders import OutreachConfig, Sender, resolve_sender
from npscli.services.outreach.templates import (
    body_file,
    build_context,
    check_template,
    in_language,
    kind_of,
    subject_file,
    template_for,
)

if TYPE_CHECKING:
    from npscli.store.engine import Store


# ---------------------------------------------------------------------------------------------- selection


@dataclass
class Selection:
    ticket_ids: tuple[int, ...] = ()
    locations: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    since: datetime | None = None
    template: str | None = None  # a template name (already normalised)
    sender: str | None = None
    again: bool = False


@dataclass
class Skip:
    ticket_id: str
    reason: str
    error: ConfigError | None = None  # a ticket whose location has no sender configured: the run ends with it


def _patient_keys(ticket: dict[str, Any]) -> set[tuple[str, str]]:
    keys = set()
    if ticket.get("patient_id"):
        keys.add(("patient_id", str(ticket["patient_id"]).strip()))
    if ticket.get("email"):
        keys.add(("email", str(ticket["email"]).strip().lower()))
    return keys


def _drafted_kinds(events: Iterable[dict[str, Any]]) -> set[str]:
    """Which kinds of outreach a ticket's history shows as drafted: "personal" and/or "public"."""
    kinds = set()
    for e in events:
        if e["kind"] == EVENT_KIND:
            kinds.add("public" if (e["text"] or "").startswith(KIND_LABEL[KIND_PUBLIC]) else "personal")
    return kinds


def _contact_since_reopen(events: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The last contact (a call, e-mail, ... logged on the ticket) since it was last reopened, or None: a
    patient a colleague already called should not be sent an apology as if nobody had."""
    last = None
    for e in sorted(events, key=lambda e: e["id"]):
        if e["kind"] == "reopened":
            last = None
        elif e["kind"] in rules.CONTACT_CHANNELS or e["kind"] == "contact":
            last = e
    return last


def select(store: Store, sel: Selection) -> tuple[list[dict[str, Any]], list[Skip], dict[str, int]]:
    """The tickets to draft for, the tickets named with ``--ticket`` that are skipped (and why), and counts
    of the tickets skipped silently in a bulk run ("already drafted", "no_response patient",
    "already contacted": a call or e-mail logged since the ticket was last reopened)."""
    from npscli.store.tickets import TicketFilter, events_for, list_tickets

    wanted_kind = "public" if sel.template and kind_of(sel.template) == KIND_PUBLIC else "personal"
    explicit = bool(sel.ticket_ids)
    if explicit:
        rows = list_tickets(
            store,
            TicketFilter(ids=sel.ticket_ids, location=sel.locations, department=sel.departments, since=sel.since),
            newest_first=False,
        )
        found = {r["id"] for r in rows}
        missing = [n for n in sel.ticket_ids if n not in found]
        filtered_out: list[int] = []
        if missing:
            exists = {r["id"] for r in list_tickets(store, TicketFilter(ids=tuple(missing)))}
            gone = [n for n in missing if n not in exists]
            if gone:
                raise NotFoundError(
                    f"no ticket {rules.format_ticket_id(gone[0])} in this store",
                    hint="see `npscli tickets list --status all` for the ticket ids",
                )
            filtered_out = missing
    else:
        filtered_out = []
        rows = list_tickets(
            store,
            TicketFilter(
                statuses=rules.OPEN_STATUSES, location=sel.locations, department=sel.departments, since=sel.since
            ),
            newest_first=False,
        )
        rows = [r for r in rows if bucket(r["score"]) == "detractor"]
    rows.sort(key=lambda r: r["id"])
    unreachable: set[tuple[str, str]] = set()
    for t in list_tickets(store, TicketFilter(statuses=(rules.NO_RESPONSE,))):
        unreachable |= _patient_keys(t)
    history = events_for(store, [r["id"] for r in rows])
    chosen: list[dict[str, Any]] = []
    skips = [Skip(rules.format_ticket_id(n), "outside --location / --department / --since") for n in filtered_out]
    counts = {"already_drafted": 0, "no_response": 0, "already_contacted": 0}
    for r in rows:
        label = rules.format_ticket_id(r["id"])
        if _patient_keys(r) & unreachable:
            counts["no_response"] += 1
            if explicit:
                skips.append(Skip(label, "patient closed as no response: not contacted again"))
            continue
        if r["status"] not in rules.OPEN_STATUSES:
            skips.append(Skip(label, f"ticket is {r['status']}; reopen it to draft outreach"))
            continue
        if not sel.again and wanted_kind in _drafted_kinds(history[r["id"]]):
            counts["already_drafted"] += 1
            if explicit:
                skips.append(Skip(label, "already drafted (--again drafts anew)"))
            continue
        contact = None if sel.again or wanted_kind != "personal" else _contact_since_reopen(history[r["id"]])
        if contact is not None:
            counts["already_contacted"] += 1
            if explicit:
                by = f"{contact['kind']} by {contact['actor']}"
                skips.append(Skip(label, f"already contacted ({by}; see npscli tickets show); --again drafts anyway"))
            continue
        # the last event seen: a draft logged after it (a colleague's run at the same moment) is found on record
        chosen.append({**r, SEEN_EVENT: max((e["id"] for e in history[r["id"]]), default=0)})
    return chosen, skips, counts


# ---------------------------------------------------------------------------------------------- planning


@dataclass
class Draft:
    ticket: dict[str, Any]
    kind: str
    template: str
    sender: Sender
    context: dict[str, Any]
    note: str = ""
    subject: str = ""
    body: str = ""

    @property
    def ticket_id(self) -> str:
        return rules.format_ticket_id(self.ticket["id"])


def plan(
    tickets: list[dict[str, Any]],
    sel: Selection,
    cfg: OutreachConfig,
    names: dict[str, str],
    *,
    tz: str,
    now: datetime,
) -> tuple[list[Draft], list[Skip]]:
    """Per ticket: the kind of draft, its template and sender, and the template variables."""
    from npscli.io.eml import is_plausible_address

    forced = sel.template
    drafts: list[Draft] = []
    skips: list[Skip] = []
    for t in tickets:
        label = rules.format_ticket_id(t["id"])
        email_on_file = (t.get("email") or "").strip()
        has_email = is_plausible_address(email_on_file)
        # an address the export had but that cannot be written to is not "no address": `tickets show` prints it
        no_email = "the e-mail address on file is not valid" if email_on_file and not has_email else "no e-mail address"
        has_phone = bool((t.get("phone") or "").strip())
        note = ""
        if forced and kind_of(forced) == KIND_PUBLIC:
            kind, template = KIND_PUBLIC, forced
        elif forced and kind_of(forced) == KIND_CALL:
            kind, template = KIND_CALL, forced
        elif has_email and cfg.channel_for(t.get("location")) == "email":
            kind, template = KIND_EMAIL, forced or template_for(t, names)
        else:
            kind, template = KIND_CALL, CALL_TEMPLATE
            note = f"call instead: {no_email}" if not has_email else "call instead: location prefers calls"
        if kind == KIND_CALL and not has_phone:
            if has_email:  # a call script was asked for (or the location calls): there is no number to call
                missing = "no phone number to call"
            elif email_on_file:
                missing = "no valid e-mail address and no phone number"
            else:
                missing = "no e-mail address or phone number"
            skips.append(Skip(label, f"{missing}: nothing to draft"))
            continue
        template = check_template(template, names)
        language = ENGLISH
        if kind in (KIND_EMAIL, KIND_PUBLIC):  # (a call script is read by the caller: it says the language)
            template, language_note = in_language(template, guess_language(t.get("comment")), names)
            language = template.partition("/")[0] if "/" in template else ENGLISH
            note = "; ".join(n for n in (note, language_note) if n)
        try:
            sender = resolve_sender(sel.sender, t, cfg)
        except ConfigError as error:
            if sel.sender and sel.sender.lower() not in SENDER_ROLES:
                raise  # --sender NAME that is not configured: the same for every ticket, one error
            # a location (or provider) without a sender: the other locations' drafts are still written
            skips.append(Skip(label, f"not drafted: {error.message}", error))
            continue
        context = build_context(t, sender, cfg, tz=tz, now=now, channel=kind, language=language)
        drafts.append(Draft(t, kind, template, sender, context, note=note))
    return drafts, skips


def render(draft: Draft, *, user_dir: str | None) -> Draft:
    """Render the draft's subject and body (the guard checks a public reply before it is accepted)."""
    from npscli.io.eml import one_line
    from npscli.templating import render as render_template

    if draft.kind == KIND_EMAIL:
        draft.subject = one_line(render_template(subject_file(draft.template), draft.context, user_dir=user_dir))
        if not draft.subject:
            raise TemplateError(f"template {subject_file(draft.template)} rendered an empty subject")
    draft.body = render_template(body_file(draft.template), draft.context, user_dir=user_dir).strip("\n") + "\n"
    if draft.kind == KIND_PUBLIC:
        check_public_reply(draft.body, draft.context, ticket_id=draft.ticket_id, template=body_file(draft.template))
    return draft


# ---------------------------------------------------------------------------------------------- writing


def file_stem(draft: Draft) -> str:
    from npscli.io.eml import draft_stem

    if draft.kind == KIND_PUBLIC:  # a document meant for the public: no patient name, even in its file name
        return draft_stem(draft.ticket_id, None, "public-reply")
    name = draft.ticket.get("patient_name")
    return draft_stem(draft.ticket_id, name, "call-script" if draft.kind == KIND_CALL else "")


def file_ext(draft: Draft, fmt: str) -> str:
    if draft.kind == KIND_EMAIL:
        return fmt
    return "md" if fmt == "md" else "txt"  # call scripts and public replies are never .eml


def file_bytes(draft: Draft, fmt: str, now: datetime) -> bytes:
    from npscli.io.eml import Party, draft_eml, email_as_text, one_line

    if draft.kind != KIND_EMAIL:
        return draft.body.encode()
    sender = Party(draft.sender.name, draft.sender.email)
    to = Party(one_line(draft.ticket.get("patient_name")), draft.ticket["email"].strip())
    if fmt == "eml":
        return draft_eml(sender=sender, to=to, subject=draft.subject, body=draft.body, date=now, seed=draft.ticket_id)
    return email_as_text(sender=sender, to=to, subject=draft.subject, body=draft.body, fmt=fmt)


def write(draft: Draft, out_dir: Path, fmt: str, now: datetime) -> Path:
    from npscli.io.eml import write_new

    return write_new(out_dir, file_stem(draft), file_ext(draft, fmt), file_bytes(draft, fmt, now))


def event_text(draft: Draft, path: Path | str) -> str:
    """The history line: what was drafted, from which template, by whom it goes out, and where the file is."""
    return (
        f"{KIND_LABEL[draft.kind]} (template {draft.template}, sender {draft.sender.name} "
        f"<{draft.sender.email}>): {path}"
    )


SEEN_EVENT = "seen_event_id"  # (on a selected ticket) the id of the last history event the selection read


def record(
    store: Store, draft: Draft, path: Path | str, *, actor: str, now: datetime, again: bool = False
) -> dict[str, Any] | None:
    """Log the draft on its ticket. Without ``again``, not when a draft of the same kind was logged on it since
    the selection (another coordinator's run): that draft's event is returned, and nothing is logged."""
    from npscli.store.tickets import log_event, log_event_unless

    text = event_text(draft, path)
    if again or SEEN_EVENT not in draft.ticket:
        log_event(store, draft.ticket["id"], EVENT_KIND, actor=actor, now=now, text=text)
        return None
    kind = "public" if draft.kind == KIND_PUBLIC else "personal"
    later = log_event_unless(
        store, draft.ticket["id"], EVENT_KIND, actor=actor, now=now, text=text,
        after_event=draft.ticket[SEEN_EVENT], conflicts=lambda events: kind in _drafted_kinds(events),
    )  # fmt: skip
    return later[0] if later else None
