"""Which template a draft uses (root cause, language) and the variables every template sees."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from npscli.core import tickets as rules
from npscli.core.errors import NotFoundError, UsageError
from npscli.core.language import ENGLISH, SPANISH, guess_language
from npscli.core.names import first_name
from npscli.services.comments import real_comment
from npscli.services.outreach.constants import (
    CALL_TEMPLATE,
    CAUSE_TEMPLATES,
    DEFAULT_TEMPLATE,
    KIND_CALL,
    KIND_EMAIL,
    KIND_PUBLIC,
    LANGUAGE_NAMES,
    LANGUAGE_PREFIX,
    PUBLIC_TEMPLATE,
    TEMPLATE_FOLDER,
)
from npscli.services.outreach.senders import OutreachConfig, Sender

if TYPE_CHECKING:
    pass


_SPANISH_DAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
_SPANISH_MONTHS = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()


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
        "comment": real_comment(ticket.get("comment")),
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
