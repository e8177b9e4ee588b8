"""Mask personal identifiers in a patient comment before it travels further (alerts, reports, exports).

``redact`` replaces, in this order:

* e-mail addresses -> ``[email]``;
* the patient's own name (each part of two letters or more, whole-word, case- and accent-insensitive, so
  patient "José Núñez" masks "jose" and "NUNEZ") -> ``[name]``; name particles ("de", "la", "van") are left;
* dates of birth, recognised by what introduces them ("DOB", "date of birth", "born", "fecha de
  nacimiento", "nacido el", ...) -> ``[dob]`` (the introducing words stay, so the sentence still reads);
* phone numbers: US ("(555) 123-4567", "555-123-4567", "555.123.4567", "+1 555 123 4567", "555-1234"),
  international ("+44 20 7946 0958", "+34 612 345 678") and Spanish ("612 345 678", "91 123 45 67")
  -> ``[phone]``;
* record numbers after "MRN", "record", "chart", "account", "claim", "policy", "patient id",
  "expediente", "historia clínica", "póliza" ... (four digits or more), and any other run of six or more
  digits -> ``[id]``.

Ordinary numbers stay: "waited 45 minutes", "room 12", "$150", "2 hours", "2025", "10:30", "03/04/2025"
(a visit date is not a birth date). Over-masking is the safe direction: a patient called "Bill" also masks
"my bill". Free-text clinical details cannot be found by patterns and are *not* removed; keep comments to
the people who need them.

Pure standard library.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from npscli.core.names import fold, fold_with_offsets

__all__ = ["redact", "safe_label"]

_EMAIL = r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"

# A full month name, or an abbreviation with or without its dot ("Oct. 2"): a full name's dot ends a
# sentence ("born in October. 2 home visits since" holds no birth date).
_MONTHS = (
    r"(?:(?:january|february|march|april|may|june|july|august|september|october|november|december|enero"
    r"|febrero|marzo|abril|mayo|junio|julio|agosto|sep?tiembre|octubre|noviembre|diciembre)(?!\w)"
    r"|(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)(?!\w)\.?)"
)
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}"  # 1975-03-03
    r"|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}"  # 03/03/1975, 3.3.75
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+|de\s+)?{_MONTHS},?(?:\s+(?:de\s+|del\s+)?\d{{4}})?"  # 3 March 1975
    rf"|{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"  # March 3, 1975
    rf"|(?:{_MONTHS}\s+)?(?:of\s+|de\s+)?\d{{4}}"  # 1975, March 1975 (after "born in")
    r"|\d{6,8})"  # 03031975
)
_DOB = (
    r"(?P<lead>\b(?:d\.?\s?o\.?\s?b\b\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+(?:on|in))?"
    r"|fecha\s+de\s+nacimiento|f\.?\s*(?:de\s+)?nac(?:imiento)?\b\.?|nacid[oa](?:\s+(?:el|en))?"
    r"|nac[ií](?:\s+(?:el|en))?|cumplea[ñn]os)(?!\w)"
    r"\s*(?:[:#\-]|\bis\b|\bwas\b|\bes\b)?\s*(?:(?:on|the|el)\s+)?)"
    rf"(?P<date>{_DATE})(?![\w/])"
)
_PHONE = (
    r"(?<![\w+$€£/.\-])(?:"
    r"\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]\d{2,4}){1,4}"  # +44 20 7946 0958
    r"|(?:1[ .\-]?)?\(\d{3}\)[ .\-]?\d{3}[ .\-]\d{4}"  # (555) 123-4567
    r"|(?:1[ .\-])?\d{3}([ .\-])\d{3}\1\d{4}"  # 555-123-4567, 555.123.4567, 555 123 4567
    r"|\d{3}([ .])\d{3}\2\d{3}"  # 612 345 678
    r"|\d{2} \d{3} \d{2} \d{2}"  # 91 123 45 67
    r"|\d{3}-\d{4}"  # 555-1234
    r")(?![\w/]|[.\-]\d)"
)
_RECORD = (
    r"(?P<lead>\b(?:mrn|medical\s+record(?:\s+number)?|record|chart|patient\s+(?:id|number)|account|acct"
    r"|member\s+id|claim|policy|case|expediente|historia(?:\s+cl[ií]nica)?|p[oó]liza"
    r"|n[uú]mero\s+de\s+(?:paciente|expediente|historia|p[oó]liza|afiliado))"
    r"\s*(?:#|no\.?|number|num\.?|n[º°o]\.?|:)?\s*(?:is\s+|es\s+)?)"
    r"(?P<id>#?[a-z]{0,3}-?\d[\d\-]{2,}\d)(?!\w)"
)
_DIGIT_RUN = r"(?<![\w$€£.,])\d{6,}(?![\w])"


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """The e-mail, birth date, phone, record and digit-run patterns, compiled on first use (about 3 ms: a
    command that never redacts, such as `score FILE`, does not pay it)."""
    return (
        re.compile(_EMAIL),
        re.compile(_DOB, re.IGNORECASE),
        re.compile(_PHONE),
        re.compile(_RECORD, re.IGNORECASE),
        re.compile(_DIGIT_RUN),
    )


# Parts of a name that are not names: never masked on their own.
_NAME_PARTICLES = frozenset(
    "de del la las los da das do dos di du van von der den le el y e st mc al bin ibn jr sr ii iii iv".split()
    + "mr mrs ms dr".split()
)


def _name_parts(names: Iterable[str]) -> list[str]:
    parts: set[str] = set()
    for name in names:
        if not name:
            continue
        for part in re.split(r"[\s\-,]+", fold(name)):
            part = part.strip(".'")
            if len(part) >= 2 and part not in _NAME_PARTICLES and re.search(r"[^\W\d_]", part):
                parts.add(part)
    return sorted(parts, key=len, reverse=True)


def _mask_names(text: str, parts: list[str]) -> str:
    if not parts:
        return text
    folded, offsets = fold_with_offsets(text)
    # not inside a placeholder already written: a patient called "Email" must not give "[[name]]"
    pattern = re.compile(r"(?<![\w\[])(?:" + "|".join(re.escape(p) for p in parts) + r")(?![\w\]])")
    pieces, last = [], 0
    for m in pattern.finditer(folded):
        start, end = offsets[m.start()], offsets[m.end() - 1] + 1
        pieces.append(text[last:start])
        pieces.append("[name]")
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def safe_label(text: str, limit: int = 40) -> str:
    """``text`` (a column name, a file's header cell) fit for an error message: e-mail addresses, phone and
    record numbers masked as :func:`redact` does, then cut to ``limit`` characters ("..." marks the cut).

    The one helper every message that shows text read from a file goes through: a header cell may be a
    patient's data when the header row is wrong.
    """
    masked = redact(" ".join(text[: limit * 4].split())) or ""  # a 10 MB cell is cut before the patterns run
    return masked if len(masked) <= limit else masked[: limit - 3] + "..."


def redact(text: str | None, *, names: Iterable[str] = ()) -> str | None:
    """``text`` with e-mails, the patient's name, birth dates, phone numbers and record numbers masked.

    ``None`` stays ``None``. ``names`` are the patient's names as stored ("José Núñez"); see the module
    docstring for what is recognised.
    """
    if text is None:
        return None
    email, dob, phone, record, digit_run = _patterns()
    out = email.sub("[email]", text)
    out = _mask_names(out, _name_parts(names))
    out = dob.sub(lambda m: m.group("lead") + "[dob]", out)
    out = phone.sub("[phone]", out)
    out = record.sub(lambda m: m.group("lead") + "[id]", out)
    return digit_run.sub("[id]", out)
