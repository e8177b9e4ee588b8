"""Outreach drafts: which tickets, which template, which sender, what a template sees, and the public-reply guard.

The flow (``npscli draft-outreach`` drives it; nothing here imports Typer):

1. ``select`` picks the tickets: open detractor tickets (or the ``--ticket`` ids), minus those already drafted
   (unless ``again``) and minus every patient who was closed as ``no_response`` on any ticket (matched by
   patient id or e-mail address; never drafted again, not even with ``again``).
2. ``plan`` decides, per ticket, the kind of draft (an e-mail; a call script when there is no usable e-mail
   address, when the location says ``channel = "call"`` or when ``call_script`` is asked; a public reply),
   the template (``--template``, else the ticket's root cause, else its suggested cause, else ``general``;
   for an e-mail or a public reply, its version in the language the patient wrote in when there is one:
   ``es/wait_time``)
   and the sender (``--sender``; else, for an escalated ticket, the person it was escalated to when they are
   in [senders] or [providers]; else the location's ``sender``, else its ``manager``).
3. ``render`` renders every draft through the one Jinja environment, and refuses a public reply that would
   disclose the patient (``check_public_reply``). Everything is rendered before anything is written.
4. ``write`` writes each draft (``npscli.io.eml``) and ``record`` logs it on its ticket ("outreach_drafted").

Templates, in ``templates/outreach/`` (a user folder with the same layout overrides any of them):

    NAME.subject.j2 + NAME.txt.j2   an e-mail (general, wait_time, scheduling, billing, staff_communication)
    call_script*.txt.j2             a phone-call script (no subject)
    public_reply*.txt.j2            a reply to an online review (no subject; checked by the guard)
    _signature.txt.j2               the e-mail signature the packaged e-mails include
    es/NAME.subject.j2 + ...        the same e-mails (and es/public_reply) in Spanish, for patients who wrote in
                                    Spanish

Variables every template sees (strings are "" when unknown, never None): ticket_id, patient_name,
patient_first_name, patient_email, patient_phone, score, visit_date (a date; ``visit_date | long_date``),
visit_day ("Monday, November 3"), location, location_phone, department, provider, comment (the patient's
words; shown only where a template quotes it), root_cause, sender_name, sender_title, sender_email,
sender_phone, clinic_name, clinic_phone, today (a date), channel ("email", "call" or "public"), language (the
draft's: "en" or "es"; visit_day is written in it), comment_language (the comment's: "en" or "es").

Sender configuration (npscli.toml)::

    [locations.Downtown]
    phone = "(555) 010-0111"
    sender = "manager"            # who writes when --sender is not given (a role or a [senders] name)
    channel = "email"             # or "call": call scripts for everyone at this location
    manager = { name = "Maria Lopez", title = "Practice Manager", email = "maria.lopez@...", phone = "..." }
    owner = "Dr. Sam Reyes"       # a string names an entry of [senders]

    [senders."Jordan Lee"]        # --sender "Jordan Lee"
    title = "Patient Experience Lead"
    email = "jordan.lee@..."

    [providers."Dr. Amara Okafor"]  # --sender provider: the ticket's provider
    email = "amara.okafor@..."
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from npscli.core import tickets as rules
from npscli.core.errors import ConfigError, NotFoundError, TemplateError, UsageError
from npscli.core.language import ENGLISH, SPANISH, guess_language
from npscli.core.nps import bucket
from npscli.core.themes import fold

if TYPE_CHECKING:
    from npscli.config import Settings
    from npscli.store.engine import Store

EVENT_KIND = "outreach_drafted"
KIND_EMAIL, KIND_CALL, KIND_PUBLIC = "email", "call", "public"
KIND_LABEL = {KIND_EMAIL: "email draft", KIND_CALL: "call script", KIND_PUBLIC: "public reply"}
TEMPLATE_FOLDER = "outreach"
DEFAULT_TEMPLATE = "general"
CALL_TEMPLATE = "call_script"
PUBLIC_TEMPLATE = "public_reply"
# Root-cause codes whose template has another name; any other code uses a template of its own name when one
# exists (so a clinic's own code "parking" is served by a user template outreach/parking.*), else general.
CAUSE_TEMPLATES = {"staff": "staff_communication", "communication": "staff_communication"}
SENDER_ROLES = ("provider", "manager", "owner")
# A template in another language lives in a folder named by its code: outreach/es/wait_time.txt.j2.
LANGUAGE_PREFIX = r"(?:[a-z]{2}/)?"
LANGUAGE_NAMES = {SPANISH: "Spanish"}
_SPANISH_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_SPANISH_MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
FORMATS = ("eml", "txt", "md")

# Local parts (and display names) of addresses nobody reads: a patient's reply must reach a person.
_NO_REPLY = re.compile(
    r"^(?:.*no[-_.]?reply.*|.*do[-_.]?not[-_.]?reply.*|.*dont[-_.]?reply.*|mailer[-_.]?daemon|postmaster"
    r"|notifications?|notify|alerts?|bounces?|auto[-_.]?(?:reply|responder|mailer)|daemon|system"
    r"|unattended)(?:[+\-_.].*)?$",
    re.IGNORECASE,
)
_NO_REPLY_NAME = re.compile(r"\b(?:no[\s\-]?reply|do[\s\-]?not[\s\-]?reply|mailer[\s\-]?daemon)\b", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------- senders


@dataclass(frozen=True)
class Sender:
    name: str
    email: str
    title: str = ""
    phone: str = ""
    key: str = ""  # where it came from, e.g. "locations.Downtown.manager"


def is_no_reply(address: str, name: str = "") -> bool:
    """True for noreply@, no-reply@, donotreply@, do-not-reply@, mailer-daemon@, notifications@, ..."""
    local = (address or "").rpartition("@")[0] or address or ""
    return bool(_NO_REPLY.match(local.strip())) or bool(_NO_REPLY_NAME.search(name or ""))


@dataclass
class OutreachConfig:
    """The parts of the settings outreach reads."""

    clinic_name: str = "our clinic"
    clinic_phone: str = ""
    locations: dict[str, Any] = field(default_factory=dict)
    senders: dict[str, Any] = field(default_factory=dict)
    providers: dict[str, Any] = field(default_factory=dict)
    where: str = "npscli.toml"

    @classmethod
    def from_settings(cls, s: Settings) -> OutreachConfig:
        return cls(
            clinic_name=s.clinic_name,
            clinic_phone=s.clinic_phone,
            locations=s.section("locations"),
            senders=s.section("senders"),
            providers=s.section("providers"),
            where=str(s.config_path) if s.config_path else "npscli.toml",
        )

    def location(self, name: str | None) -> tuple[str, dict[str, Any]] | None:
        """The [locations.NAME] table for a ticket's location (exact, else case- and accent-insensitive)."""
        if not name:
            return None
        table = self.locations.get(name)
        if table is None:
            wanted = fold(name).strip()
            for key, value in self.locations.items():
                if fold(key).strip() == wanted:
                    name, table = key, value
                    break
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{self.where}: [locations.{_q(name)}] must be a table")
        return name, table

    def location_phone(self, location: str | None) -> str:
        found = self.location(location)
        phone = found[1].get("phone") if found else None
        return str(phone) if phone else self.clinic_phone

    def channel_for(self, location: str | None) -> str:
        """ "email", or "call" when [locations.NAME] says ``channel = "call"``."""
        found = self.location(location)
        if found is None:
            return "email"
        value = found[1].get("channel", "email")
        if value not in ("email", "call"):
            raise ConfigError(f'{self.where}: `locations.{_q(found[0])}.channel` must be "email" or "call"')
        return value

    def default_choice(self, location: str | None) -> str:
        found = self.location(location)
        value = found[1].get("sender") if found else None
        return str(value) if value else "manager"


def _q(name: str) -> str:
    """A TOML key as it must be written: bare when it can be, else quoted."""
    return name if re.fullmatch(r"[A-Za-z0-9_\-]+", name) else '"' + name.replace('"', '\\"') + '"'


def _lookup(table: dict[str, Any], name: str) -> tuple[str, Any] | None:
    if name in table:
        return name, table[name]
    wanted = fold(name).strip()
    for key, value in table.items():
        if fold(key).strip() == wanted:
            return key, value
    return None


def _sender_from(value: Any, key: str, default_name: str, cfg: OutreachConfig, *, depth: int = 0) -> Sender:
    if isinstance(value, str) and depth == 0:  # a reference to [senders.NAME]
        found = _lookup(cfg.senders, value)
        if found is None:
            raise ConfigError(
                f"{cfg.where}: `{key}` names {value!r}, who is not in [senders]",
                hint=f"add [senders.{_q(value)}] with title and email, "
                f'or write {key} = {{ name = "...", email = "..." }}',
            )
        return _sender_from(found[1], f"senders.{_q(found[0])}", found[0], cfg, depth=1)
    if not isinstance(value, dict):
        raise ConfigError(f"{cfg.where}: `{key}` must be a table (name, title, email, phone)")
    unknown = sorted(set(value) - {"name", "title", "email", "phone"})
    if unknown:
        raise ConfigError(f"{cfg.where}: unknown setting `{key}.{unknown[0]}`", hint="known: name, title, email, phone")
    for part in ("name", "title", "email", "phone"):
        if part in value and not isinstance(value[part], str):
            raise ConfigError(f"{cfg.where}: `{key}.{part}` must be a string")
    from npscli.io.eml import is_plausible_address, one_line

    name = one_line(value.get("name") or default_name)
    email = (value.get("email") or "").strip()
    if not name:
        raise ConfigError(f"{cfg.where}: `{key}` has no name", hint=f'{key} = {{ name = "Maria Lopez", ... }}')
    if not email:
        raise ConfigError(
            f"{cfg.where}: `{key}` has no email: outreach goes out from a real person's address",
            hint=f'add email = "first.last@your-clinic.org" to {key}',
        )
    if not is_plausible_address(email):
        raise ConfigError(f"{cfg.where}: `{key}.email` is not an e-mail address ({email!r})")
    if is_no_reply(email, name):
        raise ConfigError(
            f"{cfg.where}: `{key}` is a no-reply address ({email}); patients must be able to answer outreach",
            hint="use the address of the person who will read the reply",
        )
    return Sender(
        name=name,
        email=email,
        title=one_line(value.get("title")),
        phone=one_line(value.get("phone")),
        key=key,
    )


class MissingSenderError(ConfigError):
    """A location without the sender (``role``: manager or owner) its drafts need; ``hint`` is the block to add."""

    def __init__(self, message: str, *, hint: str, role: str, location: str, where: str) -> None:
        super().__init__(message, hint=hint)
        self.role = role
        self.location = location
        self.where = where


def resolve_sender(choice: str | None, ticket: dict[str, Any], cfg: OutreachConfig) -> Sender:
    """The sender of one ticket's draft: ``provider``, ``manager``, ``owner`` (per location) or a NAME."""
    label = rules.format_ticket_id(ticket["id"])
    location = ticket.get("location")
    if not choice and ticket.get("status") == "escalated" and (ticket.get("assignee") or "").strip():
        # the person it was escalated to has taken it over: the draft is theirs when they can send one
        taker = str(ticket["assignee"]).strip()
        if _lookup(cfg.senders, taker) or _lookup(cfg.providers, taker):
            choice = taker
    choice = (choice or cfg.default_choice(location)).strip()
    role = choice.lower()
    if role == "provider":
        provider = ticket.get("provider")
        if not provider:
            raise ConfigError(
                f"ticket {label} names no provider, so --sender provider cannot be used for it",
                hint="choose --sender manager, owner or a [senders] NAME",
            )
        found = _lookup(cfg.providers, provider)
        if found is None:
            raise ConfigError(
                f"no outreach sender for provider {provider!r}: [providers.{_q(provider)}] is missing from {cfg.where}",
                hint=f'[providers.{_q(provider)}]\nemail = "first.last@your-clinic.org"\ntitle = "..."',
            )
        sender = _sender_from(found[1], f"providers.{_q(found[0])}", found[0], cfg)
    elif role in ("manager", "owner"):
        found_location = cfg.location(location)
        if not location:
            raise ConfigError(
                f"ticket {label} has no location, so it has no location {role}",
                hint='use --sender "NAME" with a [senders."NAME"] entry in npscli.toml',
            )
        if found_location is None or role not in found_location[1]:
            loc = found_location[0] if found_location else location
            raise MissingSenderError(
                f"no outreach sender `{role}` for location {loc!r}: "
                f"add `{role}` under [locations.{_q(loc)}] in {cfg.where}",
                hint=f"[locations.{_q(loc)}]\n"
                f'{role} = {{ name = "...", title = "...", email = "first.last@your-clinic.org" }}',
                role=role,
                location=loc,
                where=cfg.where,
            )
        loc, table = found_location
        sender = _sender_from(table[role], f"locations.{_q(loc)}.{role}", "", cfg)
    else:
        found = _lookup(cfg.senders, choice) or _lookup(cfg.providers, choice)
        if found is None:
            known = [*SENDER_ROLES, *cfg.senders]
            raise ConfigError(
                f"no outreach sender named {choice!r} in {cfg.where}",
                hint=f"add [senders.{_q(choice)}] with title and email, or use one of: {', '.join(known)}",
            )
        section = "senders" if _lookup(cfg.senders, choice) else "providers"
        sender = _sender_from(found[1], f"{section}.{_q(found[0])}", found[0], cfg)
    if not sender.phone:
        sender = Sender(sender.name, sender.email, sender.title, cfg.location_phone(location), sender.key)
    return sender


# ---------------------------------------------------------------------------------------------- templates


def kind_of(template: str) -> str:
    template = template.rpartition("/")[2]  # "es/general" is an e-mail like "general"
    if template.startswith(CALL_TEMPLATE):
        return KIND_CALL
    if template.startswith(PUBLIC_TEMPLATE):
        return KIND_PUBLIC
    return KIND_EMAIL


def template_name(text: str) -> str:
    """``wait_time``, ``outreach/wait_time.txt.j2`` or ``wait_time.subject.j2`` -> ``wait_time``."""
    name = text.strip()
    if name.startswith("default:"):
        name = name[len("default:") :]
    if name.startswith(TEMPLATE_FOLDER + "/"):
        name = name[len(TEMPLATE_FOLDER) + 1 :]
    for suffix in (".subject.j2", ".txt.j2", ".j2"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if not re.fullmatch(r"(?:[a-z]{2}/)?[A-Za-z0-9][A-Za-z0-9_\-]*", name):
        raise UsageError(f"{text!r} is not an outreach template name", hint="see `npscli templates list`")
    return name


def body_file(name: str) -> str:
    return f"{TEMPLATE_FOLDER}/{name}.txt.j2"


def subject_file(name: str) -> str:
    return f"{TEMPLATE_FOLDER}/{name}.subject.j2"


def available_templates(user_dir: str | None) -> dict[str, str]:
    """Outreach template name -> kind, for every name with its files present (user folder or packaged)."""
    from npscli.templating import list_templates

    files = {row["name"] for row in list_templates(user_dir)}
    out: dict[str, str] = {}
    for path in sorted(files):
        if not path.startswith(TEMPLATE_FOLDER + "/") or not path.endswith(".txt.j2"):
            continue
        name = path[len(TEMPLATE_FOLDER) + 1 : -len(".txt.j2")]
        if not re.fullmatch(LANGUAGE_PREFIX + r"[^/_][^/]*", name):  # "general", "es/general"; not "_signature"
            continue
        kind = kind_of(name)
        if kind == KIND_EMAIL and subject_file(name) not in files:
            continue
        out[name] = kind
    return out


def check_template(name: str, names: dict[str, str]) -> str:
    """``name`` if it is a usable outreach template, else NotFoundError (exit 5) saying what exists."""
    if name not in names:
        hint = "available: " + ", ".join(sorted(names))
        if kind_of(name) == KIND_EMAIL:
            hint += f" (an e-mail template needs both {subject_file(name)} and {body_file(name)})"
        raise NotFoundError(f"no outreach template named {name!r}", hint=hint)
    return name


def in_language(template: str, language: str, names: dict[str, str]) -> tuple[str, str]:
    """The template in the patient's language when there is one (``es/wait_time``), and a note for the
    person who sends it; an explicit ``es/...`` or an English patient keeps ``template`` as it is."""
    if language == ENGLISH or "/" in template:
        return template, ""
    label = LANGUAGE_NAMES.get(language, language)
    localized = f"{language}/{template}"
    if names.get(localized) == names.get(template):
        return localized, f"in {label}: the patient wrote in {label}"
    return template, f"the patient wrote in {label}, but there is no {localized} template: drafted in English"


def root_cause(ticket: dict[str, Any]) -> str:
    codes = [c.strip() for c in (ticket.get("root_causes") or "").split(",") if c.strip()]
    return codes[0] if codes else (ticket.get("suggested_cause") or "").strip()


def template_for(ticket: dict[str, Any], names: dict[str, str]) -> str:
    """The e-mail template for a ticket's root cause (else its suggested cause), falling back to general."""
    code = root_cause(ticket)
    for candidate in (code, CAUSE_TEMPLATES.get(code, "")):
        if candidate and names.get(candidate) == KIND_EMAIL:
            return candidate
    return DEFAULT_TEMPLATE


# ---------------------------------------------------------------------------------------------- context

_HONORIFICS = frozenset("mr mrs ms mx miss dr prof sr sra srta don dona".split())


def first_name(full: str | None) -> str:
    """``"Ana Pérez"`` -> ``"Ana"``; ``"Pérez, Ana"`` -> ``"Ana"``; ``"Dr. Ana Pérez"`` -> ``"Ana"``."""
    from npscli.io.eml import one_line
    from npscli.templating import FILTERS

    name = one_line(full)
    words = name.split()
    while len(words) > 1 and fold(words[0]).strip(".") in _HONORIFICS:
        words = words[1:]
    return FILTERS["first_name"](" ".join(words)) if words else ""


def local_date(moment: datetime, tz: str) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(tz)).date()


def day_name(day: date, language: str = ENGLISH) -> str:
    """``Monday, November 3``; in Spanish ``lunes 3 de noviembre``."""
    if language == SPANISH:
        return f"{_SPANISH_DAYS[day.weekday()]} {day.day} de {_SPANISH_MONTHS[day.month - 1]}"
    return f"{day:%A, %B} {day.day}"


def build_context(
    ticket: dict[str, Any],
    sender: Sender,
    cfg: OutreachConfig,
    *,
    tz: str,
    now: datetime,
    channel: str,
    language: str = ENGLISH,
) -> dict[str, Any]:
    """Every variable a template sees (see the module docstring); strings are "" when unknown.
    ``language`` is the draft's: ``visit_day`` is written in it."""
    from npscli.io.eml import one_line

    visit = local_date(ticket["submitted_at"], tz)
    return {
        "ticket_id": rules.format_ticket_id(ticket["id"]),
        "patient_name": one_line(ticket.get("patient_name")),
        "patient_first_name": first_name(ticket.get("patient_name")),
        "patient_email": one_line(ticket.get("email")),
        "patient_phone": one_line(ticket.get("phone")),
        "score": ticket.get("score"),
        "visit_date": visit,
        "visit_day": day_name(visit, language),
        "location": one_line(ticket.get("location")),
        "location_phone": cfg.location_phone(ticket.get("location")),
        "department": one_line(ticket.get("department")),
        "provider": one_line(ticket.get("provider")),
        "comment": (ticket.get("comment") or "").strip(),
        "root_cause": root_cause(ticket),
        "sender_name": sender.name,
        "sender_title": sender.title,
        "sender_email": sender.email,
        "sender_phone": sender.phone,
        "clinic_name": cfg.clinic_name,
        "clinic_phone": cfg.clinic_phone,
        "today": now.date(),
        "channel": channel,
        "language": language,
        "comment_language": guess_language(ticket.get("comment")),
    }


# ---------------------------------------------------------------------------------------------- selection


@dataclass
class Selection:
    ticket_ids: tuple[int, ...] = ()
    locations: tuple[str, ...] = ()
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


def select(store: Store, sel: Selection) -> tuple[list[dict[str, Any]], list[Skip], dict[str, int]]:
    """The tickets to draft for, the tickets named with ``--ticket`` that are skipped (and why), and counts
    of the tickets skipped silently in a bulk run ("already drafted", "no_response patient")."""
    from npscli.store.tickets import TicketFilter, events_for, list_tickets

    wanted_kind = "public" if sel.template and kind_of(sel.template) == KIND_PUBLIC else "personal"
    explicit = bool(sel.ticket_ids)
    if explicit:
        rows = list_tickets(
            store, TicketFilter(ids=sel.ticket_ids, location=sel.locations, since=sel.since), newest_first=False
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
            TicketFilter(statuses=rules.OPEN_STATUSES, location=sel.locations, since=sel.since),
            newest_first=False,
        )
        rows = [r for r in rows if bucket(r["score"]) == "detractor"]
    rows.sort(key=lambda r: r["id"])
    unreachable: set[tuple[str, str]] = set()
    for t in list_tickets(store, TicketFilter(statuses=(rules.NO_RESPONSE,))):
        unreachable |= _patient_keys(t)
    history = events_for(store, [r["id"] for r in rows])
    chosen: list[dict[str, Any]] = []
    skips = [Skip(rules.format_ticket_id(n), "outside --location / --since") for n in filtered_out]
    counts = {"already_drafted": 0, "no_response": 0}
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
        chosen.append(r)
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


def record(store: Store, draft: Draft, path: Path | str, *, actor: str, now: datetime) -> None:
    from npscli.store.tickets import log_event

    log_event(store, draft.ticket["id"], EVENT_KIND, actor=actor, now=now, text=event_text(draft, path))


# ---------------------------------------------------------------------------------------------- the guard


class PublicReplyError(TemplateError):
    """A public reply that would disclose who the patient is or what their care was (exit 8)."""


# Words that carry no detail on their own: two of them in a row say nothing about a patient's care.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did didn do does doesn doing don down during each even ever every few for
    from further get got had hadn has hasn have haven having he her here hers herself him himself his how i if
    in into is isn it its itself just let ll m me more most much my myself no nor not now of off on once only
    or other our ours ourselves out over own re really s same she should so some still such t than that the
    their theirs them themselves then there these they this those through to too under until up us ve very
    was wasn we were weren what when where which while who whom why will with won would wouldn couldn you
    your yours yourself yourselves d please thank thanks thankyou sorry hear hearing glad dear hello hi yes ok
    okay also anyone someone something anything everyone everything nobody nothing always never
    a al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante e el ella
    ellas ellos en entre era es esa esas ese eso esos esta estaba estas este esto estos estuvo fue ha había
    habia han hasta hay he la las le les lo los mas me mi mis mucho muchos muy nada ni no nos nosotros o os
    otra otras otro otros para pero poco por porque que quien quienes se sin sobre son su sus tambien te ti
    todo todos tu tus un una uno unos usted ustedes y ya yo gracias hola""".split()
)

# Clinical vocabulary (folded): a term the patient used that reappears in a public reply confirms their care.
CLINICAL_TERMS = frozenset(
    """pain ache aches chest heart cardiac lung lungs breath breathing cough fever rash headache migraine nausea
    vomiting dizzy dizziness bleeding blood bruise swelling knee hip shoulder ankle wrist spine stomach abdomen
    abdominal bowel bladder kidney liver skin eye eyes ear ears throat tooth teeth dental gum gums
    diabetes diabetic cancer tumor tumour asthma copd hypertension cholesterol thyroid depression depressed
    anxiety anxious panic bipolar schizophrenia suicidal pregnant pregnancy prenatal postpartum miscarriage
    abortion fertility ivf infection infected covid flu std sti hiv hepatitis herpes fracture injury wound
    stroke seizure epilepsy dementia alzheimer adhd autism addiction alcohol opioid opioids overdose arthritis
    allergy allergic asthma obesity weight
    surgery surgical operation biopsy mri ct xray ultrasound mammogram colonoscopy endoscopy bloodwork
    lab labs vaccine vaccination vaccinated shot shots injection iv stitches ekg ecg scan screening exam
    diagnosis diagnosed misdiagnosed prognosis treatment therapy physical physiotherapy prescription
    prescribed medication medications meds medicine refill pharmacy antibiotic antibiotics insulin dose dosage
    referral specialist results psychiatric psychiatrist psychologist therapist counseling counselling rehab
    cardiology oncology dermatology pediatric pediatrics gynecology gynecologist obgyn urology orthopedic
    neurology psychiatry radiology chemo chemotherapy dialysis transplant
    dolor pecho corazon sangre embarazo embarazada cirugia operacion receta medicamento medicamentos medicina
    diagnostico tratamiento analisis vacuna inyeccion diabetes cancer presion infeccion fiebre tos alergia
    ansiedad depresion""".split()
)

_MONTHS = {
    1: ("january", "jan", "enero", "ene"),
    2: ("february", "feb", "febrero"),
    3: ("march", "mar", "marzo"),
    4: ("april", "apr", "abril", "abr"),
    5: ("may", "mayo"),
    6: ("june", "jun", "junio"),
    7: ("july", "jul", "julio"),
    8: ("august", "aug", "agosto", "ago"),
    9: ("september", "sept", "sep", "septiembre", "setiembre"),
    10: ("october", "oct", "octubre"),
    11: ("november", "nov", "noviembre"),
    12: ("december", "dec", "diciembre", "dic"),
}
_NAME_NOISE = _HONORIFICS | frozenset(
    "de del la las los da das do dos di du van von der den le el y e st jr ii iii iv".split()
)
_TOKEN = re.compile(r"[^\W_]+")


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _tokens(folded: str) -> list[str]:
    return [_stem(t) for t in _TOKEN.findall(folded)]


def _is_content(word: str) -> bool:
    return word not in STOPWORDS and (len(word) >= 3 or word.isdigit())


def _content_pairs(folded: str) -> set[tuple[str, str]]:
    tokens = _tokens(folded)
    return {(a, b) for a, b in zip(tokens, tokens[1:], strict=False) if _is_content(a) and _is_content(b)}


def _without(folded: str, phrases: Iterable[str]) -> str:
    """``folded`` with each allowed phrase (the clinic's name, the sender's signature, ...) blanked out."""
    for phrase in sorted({fold(p).strip() for p in phrases if p and fold(p).strip()}, key=len, reverse=True):
        folded = re.sub(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", " ", folded)
    return folded


def _date_pattern(day: date) -> re.Pattern[str]:
    d, m = rf"0?{day.day}", rf"0?{day.month}"
    y = rf"(?:{day.year}|{day.year % 100:02d})"
    sep = r"[/.\-]"
    months = "|".join(_MONTHS[day.month])
    ordinal = r"(?:st|nd|rd|th|o|º)?"
    forms = [
        rf"{day.year}{sep}{m}{sep}{d}",  # 2025-11-03
        rf"{m}{sep}{d}(?:{sep}{y})?",  # 11/03/2025, 11/3
        rf"{d}{sep}{m}(?:{sep}{y})?",  # 03/11/2025, 3.11.25
        rf"(?:{months})\.?\s+{d}{ordinal}",  # November 3, Nov. 3rd
        rf"{d}{ordinal}\s+(?:of\s+|de\s+)?(?:{months})\b",  # 3 November, 3rd of Nov, 3 de noviembre
    ]
    return re.compile(r"(?<![\w/.\-])(?:" + "|".join(forms) + r")(?![\w/]|[.\-]\d)")


def _digits(text: str) -> list[str]:
    return ["".join(ch for ch in run if ch.isdigit()) for run in re.findall(r"\+?\d[\d\s().\-]*\d", text)]


def public_reply_problems(text: str, context: dict[str, Any]) -> list[str]:
    """What a public reply would disclose about the patient (empty when it is safe to post).

    Checked, case- and accent-insensitively, after blanking out what the clinic may say about itself (its
    name and phone, the location and its phone, the sender's name, title, e-mail and phone):

    * the patient's name: any part of two letters or more (honorifics and particles such as "de" aside);
    * their e-mail address, or their phone number (its last seven digits, however it is punctuated);
    * the visit date: 2025-11-03, 11/3, 11/03/2025, 3.11.25, November 3, Nov. 3rd, 3 de noviembre, ...;
    * clinical detail from the comment: two or more content words in a row that the comment also has
      (a shared pair of words that are not stop words: "chest pain", "blood test", "waited 3 hours"), or a
      word of a clinical vocabulary (``CLINICAL_TERMS``) that both the comment and the reply use.
    """
    allowed = [
        context.get(k) or ""
        for k in (
            "clinic_name",
            "clinic_phone",
            "location",
            "location_phone",
            "sender_name",
            "sender_title",
            "sender_email",
            "sender_phone",
        )
    ]
    reply = _without(fold(text), allowed)
    problems: list[str] = []

    names = [
        p
        for p in re.split(r"[^\w]+|_", fold(context.get("patient_name") or ""))
        if len(p) >= 2 and p not in _NAME_NOISE and not p.isdigit()
    ]
    if any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", reply) for p in names):
        problems.append("the patient's name")

    email = fold(context.get("patient_email") or "").strip()
    if email and email in reply:
        problems.append("the patient's e-mail address")
    phone = "".join(ch for ch in context.get("patient_phone") or "" if ch.isdigit())
    if len(phone) >= 7 and any(phone[-7:] in run for run in _digits(reply)):
        problems.append("the patient's phone number")

    visit = context.get("visit_date")
    if isinstance(visit, date) and _date_pattern(visit).search(reply):
        problems.append("the visit date")

    comment = _without(fold(context.get("comment") or ""), allowed)
    if comment.strip():
        if _content_pairs(comment) & _content_pairs(reply):
            problems.append("words from the patient's comment (two or more in a row)")
        terms = set(_tokens(comment)) & set(_tokens(reply)) & {_stem(t) for t in CLINICAL_TERMS}
        if terms:
            problems.append("a clinical term the patient used")
    return problems


def refuse_abusive_public_reply(draft: Draft, taxonomy: Any) -> None:
    """A review with abusive language is not answered in public (the taxonomy's abusive-language list): the
    reply would put the thread back on top. PublicReplyError (exit 8) before anything is written."""
    if draft.kind == KIND_PUBLIC and taxonomy.is_abusive(draft.ticket.get("comment")):
        raise PublicReplyError(
            f"public reply for {draft.ticket_id} refused: the comment uses abusive language and is not answered "
            "in public",
            hint=f"reach the patient privately instead: npscli draft-outreach --ticket {draft.ticket_id}",
        )


def check_public_reply(text: str, context: dict[str, Any], *, ticket_id: str, template: str) -> None:
    """Raise PublicReplyError when ``public_reply_problems`` finds anything (the message quotes nothing)."""
    problems = public_reply_problems(text, context)
    if problems:
        raise PublicReplyError(
            f"public reply for {ticket_id} refused: it would show {', '.join(problems)}",
            hint=f"a public reply must not say who the patient is or what their care was: edit {template} "
            "(keep it short, thank them, and invite them to call or write to you)",
        )
