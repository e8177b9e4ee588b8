"""The one declaration of npscli.toml: every table and key, with its type, default, allowed values and meaning.

Pure (no file, no environment): ``validate(data)`` takes the parsed TOML and returns every ``Problem`` in it,
each naming its table and key. ``npscli.config`` reads the file, finds each problem's line and raises the first
(or, for ``npscli config check``, lists them all); ``npscli config show`` prints every key declared here with
its effective value; the features (alerts, SMTP, reports, emerging issues, themes) build their settings from
tables this module has already checked, and call ``require_valid`` when they are handed a raw table.

What needs data beyond the file (does a [senders] name exist, is NPSCLI_SMTP_PASSWORD set when a user is,
is a location's sender configured for a ticket) stays with the feature that has the data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from npscli.core.config_types import (  # noqa: E402, F401  (the building blocks: callers use `schema.X` for them too)
    _ADDRESS,
    _PASSWORD_PARAM,
    _SENDER_KEYS,
    _TOML_KINDS,
    ADDRESS_HINT,
    KINDS,
    LOOPBACK_HOSTS,
    REPORT_FORMATS,
    SMTP_DEFAULT_PORTS,
    SMTP_PASSWORD_ENV,
    CheckResult,
    Key,
    Problem,
    Table,
    _check_entries,
    _check_table,
    _check_value,
    _dotted,
    _email,
    _example,
    _formats,
    _http_url,
    _in_range,
    _no_password_in_url,
    _non_blank,
    _range_words,
    _root_causes,
    _start,
    _timezone,
    address_problem,
    problem_error,
    quote,
    sender_problems,
    toml_kind,
    url_has_password,
)
from npscli.core.tickets import ROOT_CAUSES as DEFAULT_ROOT_CAUSES


def _rule_scores(rule: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    low, high = rule.get("min_score", 0), rule.get("max_score", 10)
    if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high)) and low > high:
        yield "min_score", f"({low}) is above max_score ({high})", "min_score must be at most max_score"


def _rule_to(rule: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    if "to" not in rule:
        yield "to", "is missing: a rule must say who is alerted", 'to = ["maria.lopez@riverside.example.org"]'


def _smtp_clear_text(smtp: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    user, host = smtp.get("user"), smtp.get("host")
    if smtp.get("security") == "none" and isinstance(user, str) and user.strip() and isinstance(host, str):
        if host.strip().lower() not in LOOPBACK_HOSTS:
            yield (
                "security",
                f'"none" would send the password for {user.strip()} in clear text',
                'use security = "starttls" (port 587) or "ssl" (port 465)',
            )


SENDER_ROLES = ("provider", "manager", "owner")  # who a location's `sender` may name besides a [senders] entry


def _sender_references(data: dict[str, Any]) -> Iterator[tuple[tuple[str, ...], str, str, str]]:
    """A location's ``manager``/``owner`` written as a name must be a [senders] entry, its ``sender`` a role or a
    [senders]/[providers] entry (names compared as outreach compares them: case and accents aside)."""
    from npscli.core.names import fold

    def known(*tables: str) -> set[str]:
        return {fold(name).strip() for table in tables for name in data.get(table, {})}

    senders, anyone = known("senders"), known("senders", "providers")
    for location, body in data.get("locations", {}).items():
        for role in ("manager", "owner"):
            value = body.get(role)
            if isinstance(value, str) and fold(value).strip() not in senders:
                yield (
                    ("locations", location),
                    role,
                    f"names {value!r}, who is not in [senders]",
                    f"add [senders.{quote(value)}] with title and email, or write {role} = {{ name, email }}",
                )
        choice = body.get("sender")
        if (
            isinstance(choice, str)
            and choice.strip().lower() not in SENDER_ROLES
            and fold(choice).strip() not in anyone
        ):
            yield (
                ("locations", location),
                "sender",
                f"names {choice!r}, who is neither a role ({', '.join(SENDER_ROLES)}) nor in [senders] or [providers]",
                f"add [senders.{quote(choice)}] with title and email",
            )


SCORE = {"low": 0, "high": 10}
_PERSON = (
    Key("name", "str", doc="the name patients see"),
    Key("title", "str", doc="e.g. Practice Manager"),
    Key("email", "str", doc="a real, answerable address", check=_email),
    Key("phone", "str", doc="else the location's, else clinic_phone"),
)

ROOT = Table(
    "",
    checks=(_sender_references,),
    keys=(
        Key(
            "database",
            "str",
            None,
            "a SQLite path or a PostgreSQL URL, without its password (default: the user data folder)",
            env="NPSCLI_DB",
            flag="--db",
            path=True,
            check=_no_password_in_url,
        ),
        Key(
            "timezone",
            "str",
            None,
            "the clinic's IANA zone (default: the system's)",
            env="NPSCLI_TIMEZONE",
            flag="--timezone",
            check=_timezone,
        ),
        Key("dayfirst", "bool", False, "03/11/2025 is 3 November when a file does not prove either way"),
        Key(
            "user", "str", None, "the actor in ticket histories (default: the OS user)", env="NPSCLI_USER", flag="--by"
        ),
        Key(
            "templates_dir",
            "str",
            None,
            "your templates, searched before the packaged ones",
            env="NPSCLI_TEMPLATES",
            flag="--templates",
            path=True,
        ),
        Key("min_n", "int", 30, "groups smaller than this are flagged low n", low=1),
        Key("ci", "str", "adjusted-wald", "interval method", choices=("adjusted-wald", "wald", "tango")),
        Key("clinic_name", "str", "our clinic", "the clinic as patients know it (outreach, reports)"),
        Key("clinic_phone", "str", "", "the clinic's phone number (outreach)"),
    ),
    tables=(
        Table(
            "tickets",
            doc="follow-up tickets",
            keys=(
                Key("threshold", "int", 6, "scores at or below open a ticket", **SCORE),
                Key("sla_hours", "number", 48.0, "follow-up deadline after the response", low=0, above=True),
                Key("root_causes", "strings", DEFAULT_ROOT_CAUSES, "the root-cause codes", check=_root_causes),
                Key("sweep_days", "int", 7, "`tickets sweep` closes contacted tickets with no reply after this", low=1),
                Key("high_priority_max", "int", 3, "scores at or below are high priority", **SCORE),
            ),
            tables=(
                Table(
                    "sla_hours_by_location",
                    doc="a location's own follow-up deadline",
                    entries="map",
                    values=Key("*", "number", None, "hours", low=0, above=True),
                ),
            ),
        ),
        Table(
            "sources",
            doc="saved export sources",
            entries="named",
            keys=(
                Key("match", "str", None, "a file-name glob that selects this source without --source"),
                Key("map", "map", None, "field = column name"),
                Key("dayfirst", "bool", None, "day-first dates in this source (else the top-level dayfirst)"),
                Key("timezone", "str", None, "this source's time zone (else the top-level timezone)", check=_timezone),
            ),
        ),
        Table(
            "alerts",
            doc="alerts for new detractors (`npscli alert`)",
            keys=(
                Key(
                    "from", "address", None, "the sender of alerts (a real, answerable address)", check=address_problem
                ),
                Key("default_recipients", "addresses", (), "who is alerted when no routing rule ended the search"),
                Key("escalate_overdue_to", "addresses", (), "who hears about overdue tickets, once per ticket"),
                Key("include_contact", "bool", False, "patient name/e-mail/phone in alerts"),
                Key("redact_comments", "bool", True, "redact names, phones and e-mails in quoted comments"),
                Key("max_score", "int", 6, "scores at or below are alerted", **SCORE),
                Key("max_age_hours", "number", 72.0, "responses older than this are not alerted (0: no window)", low=0),
                Key("start", "date", None, "responses before this are never alerted", check=_start),
                Key("digest", "bool", False, "one message per recipient and run"),
                Key("webhook_url", "str", None, "post alerts to a chat webhook too", check=_http_url, masked=True),
                Key("webhook_timeout", "number", 10.0, "seconds", low=0, above=True),
            ),
        ),
        Table(
            "routing",
            doc="who gets each alert",
            tables=(
                Table(
                    "rules",
                    doc="checked in order; a match adds its `to` and ends the search unless `continue = true`",
                    entries="array",
                    entry_label="rule",
                    keys=(
                        Key("name", "str", None, "the rule's name in alerts", check=_non_blank),
                        Key("location", "str|strings", None, "a location or a list"),
                        Key("department", "str|strings", None, "a department or a list"),
                        Key("provider", "str|strings", None, "a provider or a list"),
                        Key("min_score", "int", 0, "lowest score matched", **SCORE),
                        Key("max_score", "int", 10, "highest score matched", **SCORE),
                        Key("to", "addresses", None, "who is alerted", required=True, nonempty=True),
                        Key("continue", "bool", False, "keep searching after a match"),
                    ),
                    checks=(_rule_to, _rule_scores),
                ),
            ),
        ),
        Table(
            "smtp",
            doc="the mail server for alerts and reports",
            keys=(
                Key("host", "str", None, "the mail server (else only --outbox works)", check=_non_blank),
                Key("port", "int", None, "587 for starttls, 465 for ssl, 25 for none", low=1, high=65535),
                Key(
                    "security",
                    "str",
                    "starttls",
                    "how the connection is protected",
                    choices=("starttls", "ssl", "none"),
                ),
                Key("user", "str", None, "the login (its password from NPSCLI_SMTP_PASSWORD)", check=_non_blank),
                Key("timeout", "number", 20.0, "seconds", low=0, above=True),
                Key("helo", "str", None, "the name given in EHLO (default: this machine's name)", check=_non_blank),
                Key("password", "str", None, "the login's password", env=SMTP_PASSWORD_ENV, secret=True),
            ),
            checks=(_smtp_clear_text,),
        ),
        Table(
            "locations",
            doc="per-location outreach settings",
            entries="named",
            keys=(
                Key("phone", "str", None, "the location's phone number"),
                Key(
                    "channel",
                    "str",
                    "email",
                    "email, or call: call scripts for everyone here",
                    choices=("email", "call"),
                ),
                Key("sender", "str", "manager", "who writes when --sender is not given (a role or a [senders] name)"),
                Key("manager", "sender", None, "a [senders] name or { name, title, email, phone }"),
                Key("owner", "sender", None, "a [senders] name or { name, title, email, phone }"),
            ),
        ),
        Table("senders", doc="named outreach senders (--sender NAME)", entries="named", keys=_PERSON),
        Table("providers", doc="providers as outreach senders (--sender provider)", entries="named", keys=_PERSON),
        Table(
            "reports",
            doc="weekly and monthly reports",
            keys=(
                Key("out_dir", "str", None, "where report files go (default: the current folder)", path=True),
                Key("formats", "str|strings", "html,xlsx,md", "html, xlsx, md", check=_formats),
                Key("email_to", "addresses", (), "who gets the report by e-mail"),
                Key(
                    "from", "address", None, "the report e-mail's sender (default: alerts.from)", check=address_problem
                ),
                Key("trend_periods", "int", 12, "periods in the trend", low=2, high=104),
                Key("comments", "int", 3, "comments quoted per group", low=0, high=20),
            ),
        ),
        Table(
            "themes",
            doc="comment themes",
            keys=(
                Key(
                    "taxonomy",
                    "str",
                    None,
                    "your taxonomy file (default: the packaged one)",
                    path=True,
                    check=_non_blank,
                ),
                Key("model", "bool", True, "decide packaged themes with the trained model (false: keywords only)"),
            ),
        ),
        Table(
            "emerging",
            doc="the emerging-issue detector",
            keys=(
                Key(
                    "false_alarms_per_site_year",
                    "number",
                    1.0,
                    "false alarms a site may expect a year, over all its themes",
                    low=0,
                    high=365,
                    above=True,
                ),
            ),
        ),
    ),
)


def section(name: str) -> Table:
    table = ROOT.table(name)
    if table is None:
        raise KeyError(name)
    return table


def default(table: str, key: str) -> Any:
    declared = (ROOT if not table else section(table)).key(key)
    assert declared is not None, f"{table}.{key} is not declared"
    return declared.default


def validate(data: dict[str, Any]) -> list[Problem]:
    """Every problem in a parsed npscli.toml, in file order as far as the parsed tables keep it."""
    problems: list[Problem] = []
    _check_table(ROOT, data, (), problems)
    return problems


def validate_section(name: str, data: Any) -> list[Problem]:
    """The problems of one top-level table, e.g. a raw ``[smtp]`` dict handed to a feature."""
    problems: list[Problem] = []
    _check_entries(section(name), data, (name,), problems, ROOT)
    return problems


def require_valid(name: str, data: Any, where: str | None = None) -> None:
    """``ConfigError`` for the first problem of the raw table ``name`` (``where`` names the file)."""
    problems = validate_section(name, data)
    if problems:
        raise problem_error(problems[0], where)
