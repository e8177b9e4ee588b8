"""Who writes an outreach draft: [senders], [providers] and the location roles; never a no-reply address."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from npscli.core import tickets as rules
from npscli.core.errors import ConfigError
from npscli.core.themes import fold
from npscli.services.outreach.constants import SENDER_ROLES

if TYPE_CHECKING:
    from npscli.config import Settings


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
    """The parts of the settings outreach reads. [locations], [senders] and [providers] are declared and checked
    in ``npscli.core.config_schema`` (when the file is loaded; here again for tables handed in raw); what is left
    for outreach is what needs a ticket: is there a sender for it, with a name and a real, answerable address."""

    clinic_name: str = "our clinic"
    clinic_phone: str = ""
    locations: dict[str, Any] = field(default_factory=dict)
    senders: dict[str, Any] = field(default_factory=dict)
    providers: dict[str, Any] = field(default_factory=dict)
    where: str = "npscli.toml"

    def __post_init__(self) -> None:
        from npscli.core import config_schema as schema

        for name in ("locations", "senders", "providers"):
            schema.require_valid(name, getattr(self, name), self.where)

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
        return found[1].get("channel", "email")

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
    # its shape (a table of name, title, email, phone; a string only as a reference) was checked with the file
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
