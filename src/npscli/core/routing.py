"""Who hears of which detractor: the alert settings and ordered routing rules of npscli.toml.

Pure: the raw ``[alerts]`` and ``[routing]`` tables in, frozen dataclasses out, and a ``ConfigError``
naming the key (``routing.rules[2].max_score``) for anything that cannot be used.

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

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from npscli.core.errors import ConfigError
from npscli.core.names import fold_name

ALERT_KEYS = (
    "from",
    "default_recipients",
    "escalate_overdue_to",
    "include_contact",
    "redact_comments",
    "max_score",
    "max_age_hours",
    "start",
    "digest",
    "webhook_url",
    "webhook_timeout",
)
RULE_KEYS = ("name", "location", "department", "provider", "min_score", "max_score", "to", "continue")
ROUTING_KEYS = ("rules",)
DEFAULT_MAX_SCORE = 6  # detractors
DEFAULT_MAX_AGE_HOURS = 72.0

_ADDRESS = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)+$")


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


def _where(where: str | None) -> str:
    return f"{where}: " if where else ""


def parse_recipient(text: Any, key: str, where: str | None = None) -> Recipient:
    """``"maria@x.org"`` or ``"Maria Lopez <maria@x.org>"`` -> Recipient; ConfigError naming ``key``."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(
            f"{_where(where)}`{key}` must be an e-mail address",
            hint='e.g. "maria.lopez@riverside.example.org" or "Maria Lopez <maria.lopez@riverside.example.org>"',
        )
    name, address = parseaddr(text.strip())
    if "\n" in text or "\r" in text or not _ADDRESS.match(address or ""):
        raise ConfigError(
            f"{_where(where)}`{key}` is not a valid e-mail address: {text.strip()!r}",
            hint='e.g. "maria.lopez@riverside.example.org" or "Maria Lopez <maria.lopez@riverside.example.org>"',
        )
    return Recipient(address=address.lower(), display=text.strip())


def _recipients(value: Any, key: str, where: str | None, *, allow_empty: bool = True) -> tuple[Recipient, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ConfigError(
            f"{_where(where)}`{key}` must be a list of e-mail addresses", hint=f'{key} = ["px@example.org"]'
        )
    if not value and not allow_empty:
        raise ConfigError(f"{_where(where)}`{key}` must name at least one recipient")
    out: dict[str, Recipient] = {}
    for i, item in enumerate(value):
        r = parse_recipient(item, f"{key}[{i}]" if len(value) > 1 else key, where)
        out.setdefault(r.address, r)
    return tuple(out.values())


def _names(value: Any, key: str, where: str | None) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(
            f"{_where(where)}`{key}` must be a name or a list of names",
            hint=f'{key} = "Downtown" or ["Downtown", "Eastgate"]',
        )
    return tuple(dict.fromkeys(" ".join(v.split()) for v in value))


def _score(value: Any, key: str, where: str | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ConfigError(f"{_where(where)}`{key}` must be a whole score from 0 to 10")
    return value


def _bool(value: Any, key: str, where: str | None) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{_where(where)}`{key}` must be true or false")
    return value


def _number(value: Any, key: str, where: str | None, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or (positive and value == 0):
        raise ConfigError(f"{_where(where)}`{key}` must be a {'positive' if positive else 'non-negative'} number")
    return float(value)


def _start(value: Any, key: str, where: str | None) -> datetime | date:
    if isinstance(value, datetime | date):  # TOML dates and date-times arrive parsed
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                return date.fromisoformat(text)
            if re.match(r"\d{4}-\d{2}-\d{2}[T ]", text):
                return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise ConfigError(
        f"{_where(where)}`{key}` must be a date or date-time",
        hint='e.g. start = "2025-11-01" (00:00 clinic time) or "2025-11-01T08:00"',
    )


def _webhook_url(value: Any, key: str, where: str | None) -> str:
    from urllib.parse import urlsplit

    if isinstance(value, str):
        parts = urlsplit(value.strip())
        if parts.scheme in ("http", "https") and parts.hostname:
            return value.strip()
    raise ConfigError(
        f"{_where(where)}`{key}` must be an http(s) URL", hint='e.g. webhook_url = "https://chat.example.org/hooks/..."'
    )


def _rule(index: int, body: Any, where: str | None) -> Rule:
    # Messages say "routing rule 2" (counted from 1, in file order) and name the key inside it.
    where = f"{where}: routing rule {index}" if where else f"routing rule {index}"
    if not isinstance(body, dict):
        raise ConfigError(f"{where}: must be a table", hint="write each rule as a [[routing.rules]] table")
    for key in body:
        if key not in RULE_KEYS:
            raise ConfigError(f"{where}: unknown setting `routing.rules.{key}`", hint=f"known: {', '.join(RULE_KEYS)}")
    if "to" not in body:
        raise ConfigError(
            f"{where}: `routing.rules.to` is missing: a rule must say who is alerted",
            hint='to = ["maria.lopez@riverside.example.org"]',
        )
    kwargs: dict[str, Any] = {
        "index": index,
        "to": _recipients(body["to"], "routing.rules.to", where, allow_empty=False),
    }
    if "name" in body:
        if not isinstance(body["name"], str) or not body["name"].strip():
            raise ConfigError(f"{where}: `routing.rules.name` must be a non-empty string")
        kwargs["name"] = body["name"].strip()
    for key, attr in (("location", "locations"), ("department", "departments"), ("provider", "providers")):
        if key in body:
            kwargs[attr] = _names(body[key], f"routing.rules.{key}", where)
    for key in ("min_score", "max_score"):
        if key in body:
            kwargs[key] = _score(body[key], f"routing.rules.{key}", where)
    if "continue" in body:
        kwargs["cont"] = _bool(body["continue"], "routing.rules.continue", where)
    rule = Rule(**kwargs)
    if rule.min_score > rule.max_score:
        raise ConfigError(
            f"{where}: `routing.rules.min_score` ({rule.min_score}) is above `routing.rules.max_score` "
            f"({rule.max_score})"
        )
    return rule


def parse_alert_settings(
    alerts: dict[str, Any] | None, routing: dict[str, Any] | None, *, where: str | None = None
) -> AlertSettings:
    """Validate the raw ``[alerts]`` and ``[routing]`` tables (``where`` names the file in messages)."""
    alerts = alerts or {}
    routing = routing or {}
    for key in alerts:
        if key not in ALERT_KEYS:
            raise ConfigError(f"{_where(where)}unknown setting `alerts.{key}`", hint=f"known: {', '.join(ALERT_KEYS)}")
    for key in routing:
        if key not in ROUTING_KEYS:
            raise ConfigError(
                f"{_where(where)}unknown setting `routing.{key}`",
                hint="routing rules are written as [[routing.rules]] tables",
            )
    kwargs: dict[str, Any] = {}
    if "from" in alerts:
        kwargs["sender"] = parse_recipient(alerts["from"], "alerts.from", where)
    for key in ("default_recipients", "escalate_overdue_to"):
        if key in alerts:
            kwargs[key] = _recipients(alerts[key], f"alerts.{key}", where)
    for key in ("include_contact", "redact_comments", "digest"):
        if key in alerts:
            kwargs[key] = _bool(alerts[key], f"alerts.{key}", where)
    if "max_score" in alerts:
        kwargs["max_score"] = _score(alerts["max_score"], "alerts.max_score", where)
    if "max_age_hours" in alerts:
        kwargs["max_age_hours"] = _number(alerts["max_age_hours"], "alerts.max_age_hours", where)
    if "start" in alerts:
        kwargs["start"] = _start(alerts["start"], "alerts.start", where)
    if "webhook_url" in alerts:
        kwargs["webhook_url"] = _webhook_url(alerts["webhook_url"], "alerts.webhook_url", where)
    if "webhook_timeout" in alerts:
        kwargs["webhook_timeout"] = _number(alerts["webhook_timeout"], "alerts.webhook_timeout", where, positive=True)
    rules = routing.get("rules", [])
    if not isinstance(rules, list):
        raise ConfigError(
            f"{_where(where)}`routing.rules` must be an array of tables",
            hint="write each rule as a [[routing.rules]] table",
        )
    kwargs["rules"] = tuple(_rule(i, body, where) for i, body in enumerate(rules, start=1))
    return AlertSettings(**kwargs)
