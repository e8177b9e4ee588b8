"""Who hears of which detractor: the alert settings and ordered routing rules of npscli.toml.

Pure: the ``[alerts]`` and ``[routing]`` tables in (declared and checked in ``npscli.core.config_schema``),
frozen dataclasses out; a ``ConfigError`` naming the table and key for a raw table that cannot be used.

Routing semantics (documented in the README):

* Rules are checked in the order they appear. A rule matches when every condition it states holds:
  ``location`` / ``department`` / ``provider`` (a name or a list of names; case and spacing ignored)
  and ``min_score`` <= score <= ``max_score`` (0 and 10 when left out). A rule with no condition
  matches every alert.
* A matching rule adds its ``to`` recipients. It then ends the search, unless it says
  ``continue = true``: such a rule only adds people ("also tell the quality lead") and the search
  goes on.
* ``alerts.default_recipients`` act as a final catch-all rule: they are alerted when no matching
  rule ended the search (no rule matched, or only ``continue`` rules did).
* A recipient reached by several rules is alerted once (the first reason is kept).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from npscli.core import config_schema as schema
from npscli.core.errors import ConfigError
from npscli.core.names import fold_name

DEFAULT_MAX_SCORE = schema.default("alerts", "max_score")  # detractors
DEFAULT_MAX_AGE_HOURS = schema.default("alerts", "max_age_hours")


@dataclass(frozen=True)
class Recipient:
    """An e-mail recipient. ``address`` (lower-cased, bare) is the key an alert is recorded under;
    ``display`` is how the config wrote it, possibly with a name ("Maria Lopez <maria@...>")."""

    address: str
    display: str


@dataclass(frozen=True)
class Rule:
    index: int  # 1-based position in the file, for messages
    to: tuple[Recipient, ...]
    name: str | None = None
    locations: tuple[str, ...] = ()  # as written; compared folded (see ``fold``)
    departments: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    min_score: int = 0
    max_score: int = 10
    cont: bool = False

    def matches(self, *, score: int, location: str | None, department: str | None, provider: str | None) -> bool:
        if not self.min_score <= score <= self.max_score:
            return False
        for wanted, value in (
            (self.locations, location),
            (self.departments, department),
            (self.providers, provider),
        ):
            if wanted and fold_name(value) not in {fold_name(w) for w in wanted}:
                return False
        return True

    def label(self) -> str:
        """Why a recipient gets an alert, in words: the rule's name, else its conditions."""
        if self.name:
            return self.name
        parts: list[str] = []
        for what, values in (
            ("location", self.locations),
            ("department", self.departments),
            ("provider", self.providers),
        ):
            if values:
                parts.append(f"{what} {' or '.join(values)}")
        if (self.min_score, self.max_score) != (0, 10):
            parts.append(f"score {self.min_score}-{self.max_score}")
        return f"routing rule {self.index}" + (f" ({', '.join(parts)})" if parts else "")


@dataclass(frozen=True)
class Route:
    recipient: Recipient
    reason: str


@dataclass(frozen=True)
class AlertSettings:
    """The validated ``[alerts]`` and ``[routing]`` tables."""

    sender: Recipient | None = None
    default_recipients: tuple[Recipient, ...] = ()
    escalate_overdue_to: tuple[Recipient, ...] = ()
    rules: tuple[Rule, ...] = ()
    include_contact: bool = False
    redact_comments: bool = True
    max_score: int = DEFAULT_MAX_SCORE
    max_age_hours: float = DEFAULT_MAX_AGE_HOURS  # 0: no rolling window
    start: datetime | date | None = None  # naive = clinic-local; see start_moment()
    digest: bool = False
    webhook_url: str | None = field(default=None, repr=False)  # its path is a secret token
    webhook_timeout: float = 10.0

    @property
    def email_recipients(self) -> tuple[Recipient, ...]:
        """Everyone the configuration could ever e-mail (to know whether SMTP is needed at all);
        for an address written several times, the first spelling that carries a name."""
        seen: dict[str, Recipient] = {}
        for r in (*self.default_recipients, *self.escalate_overdue_to, *(t for rule in self.rules for t in rule.to)):
            known = seen.get(r.address)
            if known is None or (known.display == known.address and r.display != r.address):
                seen[r.address] = r
        return tuple(seen.values())

    def display_for(self, address: str) -> str:
        for r in self.email_recipients:
            if r.address == address:
                return r.display
        return address

    def start_moment(self, tz: str) -> datetime | None:
        """``start`` as an aware moment in the clinic's zone (a date means 00:00 that day)."""
        if self.start is None:
            return None
        zone = ZoneInfo(tz)
        if isinstance(self.start, datetime):
            return self.start.replace(tzinfo=zone) if self.start.tzinfo is None else self.start.astimezone(zone)
        return datetime.combine(self.start, time(0), tzinfo=zone)


def route(
    settings: AlertSettings,
    *,
    score: int,
    location: str | None,
    department: str | None,
    provider: str | None,
) -> list[Route]:
    """The recipients of one detractor alert, in rule order, each once, with the reason."""
    routes: dict[str, Route] = {}
    ended = False
    for rule in settings.rules:
        if not rule.matches(score=score, location=location, department=department, provider=provider):
            continue
        for recipient in rule.to:
            routes.setdefault(recipient.address, Route(recipient, rule.label()))
        if not rule.cont:
            ended = True
            break
    if not ended:
        for recipient in settings.default_recipients:
            routes.setdefault(recipient.address, Route(recipient, "alerts.default_recipients"))
    return list(routes.values())


# ---------------------------------------------------------------------------------------------- parsing


def parse_recipient(text: Any, key: str, where: str | None = None) -> Recipient:
    """``"maria@x.org"`` or ``"Maria Lopez <maria@x.org>"`` -> Recipient; ConfigError naming ``key``."""
    problem = schema.address_problem(text)
    if problem:
        message, hint = problem if isinstance(problem, tuple) else (problem, "")
        raise ConfigError(f"{where}: {key}: {message}" if where else f"{key}: {message}", hint=hint or None)
    _name, address = parseaddr(text.strip())
    return Recipient(address=address.lower(), display=text.strip())


def _recipients(value: Any, key: str) -> tuple[Recipient, ...]:
    out: dict[str, Recipient] = {}
    for item in [value] if isinstance(value, str) else value:
        r = parse_recipient(item, key)
        out.setdefault(r.address, r)
    return tuple(out.values())


def _names(value: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(" ".join(v.split()) for v in ([value] if isinstance(value, str) else value)))


def _start(value: Any) -> datetime | date:
    if isinstance(value, datetime | date):  # TOML dates and date-times arrive parsed
        return value
    text = value.strip()
    return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text)


def _rule(index: int, body: dict[str, Any]) -> Rule:
    kwargs: dict[str, Any] = {"index": index, "to": _recipients(body["to"], "to")}
    if "name" in body:
        kwargs["name"] = body["name"].strip()
    for key, attr in (("location", "locations"), ("department", "departments"), ("provider", "providers")):
        if key in body:
            kwargs[attr] = _names(body[key])
    for key in ("min_score", "max_score"):
        if key in body:
            kwargs[key] = body[key]
    if "continue" in body:
        kwargs["cont"] = body["continue"]
    return Rule(**kwargs)


def parse_alert_settings(
    alerts: dict[str, Any] | None, routing: dict[str, Any] | None, *, where: str | None = None
) -> AlertSettings:
    """The ``[alerts]`` and ``[routing]`` tables as AlertSettings. Their keys are declared and checked in
    ``npscli.core.config_schema`` (when the file is loaded; here again, for a raw table, naming ``where``)."""
    alerts = alerts or {}
    routing = routing or {}
    schema.require_valid("alerts", alerts, where or None)
    schema.require_valid("routing", routing, where or None)
    kwargs: dict[str, Any] = {}
    if "from" in alerts:
        kwargs["sender"] = parse_recipient(alerts["from"], "from")
    for key in ("default_recipients", "escalate_overdue_to"):
        if key in alerts:
            kwargs[key] = _recipients(alerts[key], key)
    for key in ("include_contact", "redact_comments", "digest", "max_score"):
        if key in alerts:
            kwargs[key] = alerts[key]
    for key in ("max_age_hours", "webhook_timeout"):
        if key in alerts:
            kwargs[key] = float(alerts[key])
    if "start" in alerts:
        kwargs["start"] = _start(alerts["start"])
    if "webhook_url" in alerts:
        kwargs["webhook_url"] = alerts["webhook_url"].strip()
    kwargs["rules"] = tuple(_rule(i, body) for i, body in enumerate(routing.get("rules", []), start=1))
    return AlertSettings(**kwargs)
