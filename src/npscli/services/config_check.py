"""`npscli config check`, beyond the file: what only the features can see (the environment, the files the
config names), as rows of the same shape as the schema's problems."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from npscli.core.errors import ConfigError

_TABLE_KEY = re.compile(r"\[(?P<table>[A-Za-z0-9_.\-]+)\] (?P<key>[A-Za-z0-9_\-]+):")


def feature_problems(path: Path, load_settings: Callable[[], Any]) -> list[dict[str, Any]]:
    """Problems only the features can see: the environment (NPSCLI_SMTP_PASSWORD for an smtp.user, a zone
    from NPSCLI_TIMEZONE), the files the config names (the theme taxonomy), and outreach senders with a no-reply
    address (which `draft-outreach` refuses)."""
    from npscli.config import line_of
    from npscli.core.routing import parse_alert_settings
    from npscli.io.mailer import SmtpSettings
    from npscli.io.taxonomy import load_configured_taxonomy

    rows: list[dict[str, Any]] = []

    def note(exc: ConfigError) -> None:
        text = exc.message.removeprefix(str(path))
        placed = re.match(r"(?::\d+)?: ", text)  # "PATH: " or "PATH:LINE: "
        text = text[placed.end() :] if placed else exc.message
        found = _TABLE_KEY.match(text)
        setting, line = "", None
        if found:  # "[smtp] user: is set but ...": the line of that key
            setting, text = f"[{found['table']}] {found['key']}", text[found.end() :].strip()
            line = line_of(path, tuple(found["table"].split(".")), found["key"])
        rows.append({"file": str(path), "line": line, "setting": setting, "problem": text, "hint": exc.hint or ""})

    try:
        s = load_settings()
    except ConfigError as exc:
        note(exc)
        return rows
    where = str(path)
    checks = [
        lambda: parse_alert_settings(s.section("alerts"), s.section("routing"), where=where),
        lambda: load_configured_taxonomy(s) if s.section("themes").get("taxonomy") else None,
    ]
    if s.section("smtp"):
        checks.append(lambda: SmtpSettings.from_section(s.section("smtp"), where=s.where))
    for run in checks:
        try:
            run()
        except ConfigError as exc:
            note(exc)
    rows += _no_reply_outreach_senders(path, s)
    return sorted(rows, key=lambda row: row["line"] or 0)


# ---------------------------------------------------------------------------------------------- no-reply senders


def _outreach_senders(s: Any) -> Iterator[tuple[tuple[str, ...], str, str, str]]:
    """Every outreach sender written as a table in the file: (table, role, name, email); role is "" for a
    [senders] or [providers] entry. A [senders] name (``manager = "Dr. Sam Reyes"``) is checked where it is
    defined."""
    for table in ("senders", "providers"):
        for name, body in (s.section(table) or {}).items():
            if isinstance(body, dict) and isinstance(body.get("email"), str):
                yield (table, name), "", str(body.get("name") or name), body["email"]
    for location, body in (s.section("locations") or {}).items():
        for role in ("manager", "owner"):
            person = body.get(role) if isinstance(body, dict) else None
            if isinstance(person, dict) and isinstance(person.get("email"), str):
                yield ("locations", location), role, str(person.get("name") or ""), person["email"]


def _no_reply_outreach_senders(path: Path, s: Any) -> list[dict[str, Any]]:
    """An outreach sender with a no-reply address (or name): `draft-outreach` refuses to write from it, since
    patients must be able to answer; the check says so before the first draft does."""
    from npscli.config import line_of
    from npscli.core.config_types import Problem
    from npscli.services.outreach.senders import is_no_reply

    rows: list[dict[str, Any]] = []
    for table, role, name, email in _outreach_senders(s):
        email = email.strip()
        if is_no_reply(email):
            field, problem = "email", f"is a no-reply address ({email})"
        elif is_no_reply("", name):
            field, problem = "name", f"is a no-reply name ({name!r})"
        else:
            continue
        key = f"{role}.{field}" if role else field
        rows.append(
            {
                "file": str(path),
                "line": line_of(path, table, role or field) or line_of(path, table),
                "setting": Problem(table, key, "").where(),
                "problem": f"{problem}: outreach drafts refuse it, since patients must be able to answer",
                "hint": "use the name and address of the person who reads the replies",
            }
        )
    return rows


# what a no-reply sender of each feature's mail costs (the reader who answers reaches nobody)
_WHO_ANSWERS = {
    "alerts": "a colleague who answers an alert (to ask, or to say they have it) reaches nobody",
    "reports": "a lead who answers the report reaches nobody",
}


def no_reply_warnings(path: Path, s: Any) -> list[str]:
    """``alerts.from`` and ``reports.from`` with a no-reply address: warnings (the mail still goes, to staff),
    placed as ``PATH:LINE: [alerts] from: ...``."""
    from email.utils import parseaddr

    from npscli.config import line_of
    from npscli.services.outreach.senders import is_no_reply

    warnings: list[str] = []
    for table, cost in _WHO_ANSWERS.items():
        value = (s.section(table) or {}).get("from")
        if not isinstance(value, str):
            continue
        name, email = parseaddr(value.strip())
        if not is_no_reply(email, name):
            continue
        line = line_of(path, (table,), "from")
        placed = f"{path}:{line}" if line else str(path)
        warnings.append(
            f"{placed}: [{table}] from: {_shown(name, email)} is a no-reply address: {cost}; "
            "use one someone reads (the patient-experience team's)"
        )
    return warnings


def _shown(name: str, email: str) -> str:
    """The address, with its display name when the name is what says no-reply ("Do Not Reply")."""
    from npscli.services.outreach.senders import is_no_reply

    return f"{name} <{email}>" if name and is_no_reply("", name) else email


# the config's names of stored groups: (field, table path, how it is matched to a stored name)
_FOLDED, _ACCENTS = "case", "accents"


def names_not_stored(path: Path, s: Any, store: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The location, department and provider names the file gives that no stored response has.

    A routing rule, an SLA or a [locations.NAME] whose name is a typing of a stored one ("Eastgat") never
    applies, silently: a problem row, with the name meant (rules and SLAs match case and apostrophes aside,
    [locations.NAME] accents aside as well). A name like no stored one (a site with no response yet) is only a
    warning.
    """
    from npscli.config import line_of
    from npscli.core.config_types import Problem
    from npscli.core.names import fold, fold_name, near_names
    from npscli.store import group_labels as labels

    wanted: list[tuple[str, str, tuple[str | int, ...], str, str]] = []  # field, name, table, key, matching
    for i, rule in enumerate(s.section("routing").get("rules") or []):
        for field in ("location", "department", "provider"):
            values = rule.get(field)
            for value in [values] if isinstance(values, str) else values or []:
                wanted.append((field, value, ("routing", "rules", i), field, _FOLDED))
    for name in s.tickets.sla_hours_by_location:
        wanted.append(("location", name, ("tickets", "sla_hours_by_location"), name, _FOLDED))
    for name in s.section("locations"):
        wanted.append(("location", name, ("locations", name), "", _ACCENTS))
    if not wanted:
        return [], []
    with store.read() as conn:
        known = {field: sorted(labels.values_of(conn, field)) for field in {w[0] for w in wanted}}
    rows: list[dict[str, Any]] = []
    warnings: list[str] = []
    for field, name, table, key, matching in wanted:
        stored = known[field]
        if name in stored:
            continue
        same = [v for v in stored if fold_name(v) == fold_name(name)]
        if matching == _ACCENTS:
            same = [v for v in stored if " ".join(fold(v).split()) == " ".join(fold(name).split())]
        if same:
            continue
        problem = Problem(table, key, "", array_label="rule")
        where = problem.where() or f"[{table[0]}]"
        line = line_of(path, table, key) if key else line_of(path, table)
        meant = same or near_names(name, stored)
        if not meant:
            placed = f"{path}:{line}" if line else str(path)
            yet = f"no {field} {name!r} in the store yet: it applies once one has responses"
            warnings.append(f"{placed}: {where}: {yet}")
            continue
        spelled = " or ".join(repr(v) for v in meant)
        rows.append(
            {
                "file": str(path),
                "line": line,
                "setting": where,
                "problem": f"no {field} {name!r} in the store, so it never applies",
                "hint": f"write it as stored: {spelled}",
            }
        )
    return sorted(rows, key=lambda row: row["line"] or 0), warnings
