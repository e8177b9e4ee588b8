"""The building blocks of the npscli.toml schema: value checks, key and table declarations, and the generic
checking of a parsed table against them (``npscli.core.config_schema`` declares the tables)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# A problem a check found: (problem, hint) or just the problem; None when the value is fine.
CheckResult = tuple[str, str] | str | None

ADDRESS_HINT = 'e.g. "maria.lopez@riverside.example.org" or "Maria Lopez <maria.lopez@riverside.example.org>"'
_ADDRESS = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)+$")
SMTP_PASSWORD_ENV = "NPSCLI_SMTP_PASSWORD"
SMTP_DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

# how a TOML user would call each kind of value
_TOML_KINDS = {
    int: "a whole number",
    float: "a number",
    str: "a quoted string",
    bool: "true or false",
    list: "a list",
    dict: "a table",
    date: "a date",
    datetime: "a date-time",
}


def toml_kind(value: Any) -> str:
    for kind in (bool, int, float, str, list, dict, datetime, date):
        if isinstance(value, kind):
            return _TOML_KINDS[kind]
    return type(value).__name__


# ---------------------------------------------------------------------------------------------- value checks


def address_problem(text: Any) -> CheckResult:
    """Why ``text`` is not ``"maria@x.org"`` or ``"Maria Lopez <maria@x.org>"``, or None."""
    from email.utils import parseaddr

    if not isinstance(text, str) or not text.strip():
        return "must be an e-mail address", ADDRESS_HINT
    _name, address = parseaddr(text.strip())
    if "\n" in text or "\r" in text or not _ADDRESS.match(address or ""):
        return f"is not a valid e-mail address: {text.strip()!r}", ADDRESS_HINT
    return None


TIMEZONE_HINT = "use an IANA name such as America/Chicago or Europe/Madrid"

# What a clinic types for its zone, folded (lower case, spaces and "_" as " ", no "time"): the IANA zone meant.
_ZONE_WORDS = {
    **dict.fromkeys(("eastern", "et", "est", "edt", "us eastern", "eastern standard"), "America/New_York"),
    **dict.fromkeys(("central", "ct", "cst", "cdt", "us central", "central standard"), "America/Chicago"),
    **dict.fromkeys(("mountain", "mt", "mst", "mdt", "us mountain", "mountain standard"), "America/Denver"),
    **dict.fromkeys(("pacific", "pt", "pst", "pdt", "us pacific", "pacific standard"), "America/Los_Angeles"),
    **dict.fromkeys(("alaska", "akst", "akdt", "alaskan standard"), "America/Anchorage"),
    **dict.fromkeys(("hawaii", "hawaiian standard"), "Pacific/Honolulu"),
    **dict.fromkeys(("atlantic", "atlantic standard"), "America/Halifax"),
    **dict.fromkeys(("arizona", "us arizona"), "America/Phoenix"),
    **dict.fromkeys(("uk", "british", "gmt standard"), "Europe/London"),
}
# Names the zone database knows that fix the offset all year, where a clinic means its region's clock, which
# changes for daylight saving: "EST" is UTC-05:00 in July too, so every summer time would be an hour off.
_NO_DAYLIGHT_SAVING = {
    "EST": (
        "is UTC-05:00 all year, without daylight saving: summer times would be an hour off",
        'use "America/New_York" (Eastern time, with daylight saving)',
    ),
    "MST": (
        "is UTC-07:00 all year, without daylight saving (Arizona's clock, not Denver's)",
        'use "America/Phoenix" for Arizona, "America/Denver" for the rest of Mountain time',
    ),
}


def timezone_problem(value: Any) -> CheckResult:
    """Why ``value`` is not the clinic's time zone, with the zone probably meant; None for an IANA name.

    "Eastern", "US Eastern Time" or "america/new_york" name a zone the database does not know by that name;
    "EST" and "MST" it knows, as fixed offsets without daylight saving, which is not what a clinic means.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if value in _NO_DAYLIGHT_SAVING:
        problem, hint = _NO_DAYLIGHT_SAVING[value]
        return f"time zone {value!r} {problem}", hint
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        meant = _zone_meant(value.strip()) if isinstance(value, str) else None
        hint = f'use "{meant}" (an IANA name, Region/City)' if meant else TIMEZONE_HINT
        return f"unknown time zone {value!r}", hint
    return None


def _zone_meant(text: str) -> str | None:
    words = " ".join(re.sub(r"[\s_]+", " ", text).lower().replace("time", " ").split())
    if words in _ZONE_WORDS:
        return _ZONE_WORDS[words]
    from zoneinfo import available_timezones  # the error path only: it lists the database

    typed = re.sub(r"\s+", "_", text).lower()
    zones = sorted(available_timezones())
    spelled = {name.lower(): name for name in zones}
    if typed in spelled:
        return spelled[typed]
    cities: dict[str, list[str]] = {}
    for name in zones:
        if name.count("/") == 1 and name.split("/")[0] in _REGIONS:
            cities.setdefault(name.rsplit("/", 1)[-1].lower(), []).append(name)
    found = cities.get(typed, [])
    return found[0] if len(found) == 1 else None


_REGIONS = {"Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"}


def _timezone(value: Any) -> CheckResult:
    return timezone_problem(value)


def _start(value: Any) -> CheckResult:
    if isinstance(value, datetime | date):  # TOML dates and date-times arrive parsed
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                date.fromisoformat(text)
                return None
            if re.match(r"\d{4}-\d{2}-\d{2}[T ]", text):
                datetime.fromisoformat(text)
                return None
        except ValueError:
            pass
    return "must be a date or date-time", 'e.g. start = "2025-11-01" (00:00 clinic time) or "2025-11-01T08:00"'


def _http_url(value: Any) -> CheckResult:
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme in ("http", "https") and parts.hostname:
        return None
    return "must be an http(s) URL", 'e.g. webhook_url = "https://chat.example.org/hooks/..."'


_PASSWORD_PARAM = re.compile(r"(?i)(?<![\w])password=([^&]*)")


def url_has_password(url: str) -> bool:
    """Whether a database URL carries a password: ``user:PASSWORD@`` (a raw ``@`` in it included: the last ``@``
    ends the user part) or a ``password=`` query parameter. Masking one for display is store/engine.redact_url's."""
    if "://" not in url:
        return False
    if any(m.group(1) for m in _PASSWORD_PARAM.finditer(url)):
        return True
    start = url.index("://") + 3
    at = _PASSWORD_PARAM.sub("", url).rfind("@")
    return at > start and ":" in url[start:at] and bool(url[start:at].partition(":")[2])


def _no_password_in_url(value: Any) -> CheckResult:
    """A database URL in the file must not carry its password (and the message never quotes it)."""
    if url_has_password(value):
        return (
            "has a password in its URL, and a secret must not sit in the file",
            "remove it from the URL; put it in ~/.pgpass or PGPASSWORD, or give the whole URL in NPSCLI_DB",
        )
    return None


def _non_blank(value: Any) -> CheckResult:
    return "must not be empty" if not value.strip() else None


def _root_causes(value: Any) -> CheckResult:
    if not value or not all(v.strip() for v in value):
        return "must be a non-empty list of codes", 'root_causes = ["wait_time", "billing", "other"]'
    return None


# the report formats and the names also accepted for them (as `--format` takes them, reports/render.py)
REPORT_FORMATS = ("html", "xlsx", "md", "json", "markdown", "excel", "htm")


def _formats(value: Any) -> CheckResult:
    names = [p.strip().lower() for v in ([value] if isinstance(value, str) else value) for p in v.split(",")]
    unknown = [n for n in names if n and n not in REPORT_FORMATS]
    if unknown or not any(names):
        shown = repr(unknown[0]) if unknown else "(none)"
        return f"unknown report format {shown}", 'formats = "html,xlsx,md" (any of html, xlsx, md, json)'
    return None


_SENDER_KEYS = ("name", "title", "email", "phone")


def sender_problems(value: Any) -> Iterator[tuple[str, str, str]]:
    """A sender: a [senders] name, or a table of name, title, email, phone; yields (sub-key, problem, hint)
    (the sub-key is "" or ".email"). Whether a named sender exists is for outreach to say: it has the tables."""
    if not isinstance(value, str | dict):
        yield "", f"must be {KINDS['sender'][1]}, not {toml_kind(value)}", ""
        return
    if isinstance(value, str):
        if not value.strip():
            yield "", "must name an entry of [senders], or be a table (name, title, email, phone)", ""
        return
    for key in value:
        if key not in _SENDER_KEYS:
            yield f".{key}", "unknown setting", f"known: {', '.join(_SENDER_KEYS)}"
    for key in _SENDER_KEYS:
        if key in value and not isinstance(value[key], str):
            yield f".{key}", f"must be {_TOML_KINDS[str]}, not {toml_kind(value[key])}", ""
    email = value.get("email")
    if isinstance(email, str) and _email(email):
        yield ".email", *_email(email)


def _email(value: Any) -> tuple[str, str] | None:
    """A bare address (a sender's ``email``), or why not."""
    if value.strip() and not _ADDRESS.match(value.strip()):
        return f"is not an e-mail address ({value.strip()!r})", 'email = "first.last@your-clinic.org"'
    return None


# ---------------------------------------------------------------------------------------------- keys and tables

KINDS: dict[str, tuple[tuple[type, ...], str]] = {
    "str": ((str,), "a quoted string"),
    "int": ((int,), "a whole number"),
    "number": ((int, float), "a number"),
    "bool": ((bool,), "true or false"),
    "strings": ((list,), "a list of quoted strings"),
    "str|strings": ((str, list), "a quoted string or a list of them"),
    "address": ((str,), "an e-mail address"),
    "addresses": ((str, list), "a list of e-mail addresses"),
    "date": ((str, date), "a date or date-time"),
    "map": ((dict,), "a table of quoted strings"),
    "sender": ((str, dict), "a [senders] name or a table (name, title, email, phone)"),
}


@dataclass(frozen=True)
class Key:
    """One setting. ``env`` overrides the file; ``secret`` keys are refused in the file (``env`` only)."""

    name: str
    kind: str
    default: Any = None
    doc: str = ""
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    above: bool = False  # low is excluded: "above 0", not "at least 0"
    check: Callable[[Any], CheckResult] | None = None
    env: str | None = None
    flag: str | None = None  # the command-line option that overrides it, where commands have one
    path: bool = False  # a path relative to the file's folder
    secret: bool = False
    masked: bool = False  # shown in `config show` without its path/query (a token)
    required: bool = False
    nonempty: bool = False  # a list that must name at least one


@dataclass(frozen=True)
class Table:
    """A table of keys. ``entries``: "" one table; "named" [NAME.x] tables; "array" [[NAME]] tables;
    "map" any key with a value of kind ``values``."""

    name: str
    keys: tuple[Key, ...] = ()
    doc: str = ""
    entries: str = ""
    values: Key | None = None
    tables: tuple[Table, ...] = ()
    checks: tuple[Callable[[dict[str, Any]], Iterator[tuple[Any, ...]]], ...] = ()  # across keys, once they are sound
    entry_label: str = ""  # "rule": messages say "(rule 2)" for the second [[routing.rules]]

    def key(self, name: str) -> Key | None:
        return next((k for k in self.keys if k.name == name), None)

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)

    def known(self) -> list[str]:
        return [k.name for k in self.keys if not k.secret] + [t.name for t in self.tables]


@dataclass(frozen=True)
class Problem:
    """One problem in the file: ``table`` is the path of the TOML table (an int for the n-th [[array]] entry,
    0-based), ``key`` the setting in it (possibly ``map.score`` or ``to[1]``); empty for the table itself."""

    table: tuple[str | int, ...]
    key: str
    message: str
    hint: str = ""
    array_label: str = field(default="", compare=False)

    def where(self) -> str:
        """``[smtp] password``, ``[[routing.rules]] (rule 2) lcation``, ``min_n``."""
        names = [p for p in self.table if isinstance(p, str)]
        head = ""
        if self.table and isinstance(self.table[-1], int):
            head = f"[[{'.'.join(names)}]] ({self.array_label or 'entry'} {self.table[-1] + 1})"
        elif names:
            head = f"[{'.'.join(quote(n) for n in names)}]"
        return f"{head} {self.key}".strip() if self.key else head

    def lookup_path(self) -> tuple[str | int, ...]:
        """The table path and the key's first part: what the line index is keyed by."""
        first = re.split(r"[.\[]", self.key, maxsplit=1)[0] if self.key else ""
        return (*self.table, first) if first else self.table

    def text(self) -> str:
        return f"{self.where()}: {self.message}" if self.where() else self.message


def quote(name: str) -> str:
    """A TOML key as it must be written: bare when it can be, else quoted."""
    return name if re.fullmatch(r"[A-Za-z0-9_\-]+", name) else '"' + name.replace('"', '\\"') + '"'


def problem_error(problem: Problem, where: str | None, line: int | None = None):
    from npscli.core.errors import ConfigError

    prefix = f"{where}:{line}: " if where and line else f"{where}: " if where else ""
    return ConfigError(prefix + problem.text(), hint=problem.hint or None)


def _check_entries(
    table: Table, value: Any, path: tuple[str | int, ...], problems: list[Problem], root: Table | None = None
) -> None:
    parent, name = path[:-1], str(path[-1])
    if table.entries == "array":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            problems.append(
                Problem(parent, name, "must be an array of tables", f"write each one as a [[{_dotted(path)}]] table")
            )
            return
        for i, body in enumerate(value):
            _check_table(table, body, (*path, i), problems, root)
        return
    if not isinstance(value, dict):
        what = "a table of named tables" if table.entries == "named" else "a table"
        problems.append(
            Problem(parent, name, f"must be {what}, not {toml_kind(value)}", f"write it as [{_dotted(path)}]")
        )
        return
    if table.entries == "named":
        for entry, body in value.items():
            if not isinstance(body, dict):
                problems.append(
                    Problem(
                        path,
                        quote(entry),
                        f"must be a table, not {toml_kind(body)}",
                        f"write it as [{_dotted(path)}.{quote(entry)}]",
                    )
                )
                continue
            _check_table(table, body, (*path, entry), problems, root)
        return
    _check_table(table, value, path, problems, root)


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(quote(p) for p in path if isinstance(p, str))


def _check_table(
    table: Table, data: dict[str, Any], path: tuple[str | int, ...], problems: list[Problem], root: Table | None = None
) -> None:
    """``root``: the file's top-level table, to tell a top-level key written below a [table] header."""
    root = root or table
    label = table.entry_label
    before = len(problems)
    for name, value in data.items():
        key = table.key(name)
        sub = table.table(name)
        if key is not None:
            _check_value(key, value, path, name, problems, label)
        elif sub is not None:
            _check_entries(sub, value, (*path, name), problems, root)
        elif table.entries == "map" and table.values is not None:
            _check_value(table.values, value, path, quote(name), problems, label)
        else:
            known = table.known()
            hint = f"known: {', '.join(known)}" if known else ""
            if not path and name not in known:
                hint = f"known settings: {', '.join(known)}"
            elif path and root is not table and root.key(name) is not None:
                # `clinic_name = ...` added at the end of the file lands in the last [table] above it
                hint = (
                    f"{name} is a top-level setting, and every line below a [table] header belongs to that table: "
                    "move it above the first [table] line"
                )
            problems.append(Problem(path, quote(name), "unknown setting", hint, label))
    if len(problems) == before:  # the keys are sound: the checks across them can run
        for check in table.checks:
            for found in check(data):  # (key, problem, hint), or (table, key, problem, hint) for another table
                where, found = (tuple(found[0]), found[1:]) if len(found) == 4 else (path, found)
                problems.append(Problem(where, *found, label if where == path else ""))


def _check_value(
    key: Key, value: Any, path: tuple[str | int, ...], name: str, problems: list[Problem], label: str
) -> None:
    def problem(message: str, hint: str = "", suffix: str = "") -> None:
        problems.append(Problem(path, name + suffix, message, hint, label))

    if key.secret:
        problem(
            "is not allowed in a file",
            f"delete it and set the environment variable {key.env} in the job that runs npscli",
        )
        return
    types, said = KINDS[key.kind]
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        problem(f"must be {said}, not {toml_kind(value)}", _example(key))
        return
    if key.kind == "strings" or (key.kind == "str|strings" and isinstance(value, list)):
        bad = [i for i, v in enumerate(value) if not isinstance(v, str) or not v.strip()]
        if bad or (key.kind == "str|strings" and not value):
            problem(f"must be {said}", _example(key))
            return
    if key.kind == "str|strings" and isinstance(value, str) and not value.strip():
        problem(f"must be {said}", _example(key))
        return
    if key.kind == "map" and not all(isinstance(v, str) for v in value.values()):
        problem("must map fields to column names", 'map = { score = "Q1", location = "Clinic" }')
        return
    if key.kind == "addresses":
        items = [value] if isinstance(value, str) else value
        if key.nonempty and not items:
            problem("must name at least one recipient", _example(key))
        for i, item in enumerate(items):
            found = address_problem(item)
            if found:
                message, hint = found if isinstance(found, tuple) else (found, "")
                problem(message, hint, f"[{i}]" if len(items) > 1 else "")
        return
    if key.kind == "sender":
        for suffix, message, hint in sender_problems(value):
            problem(message, hint, suffix)
        return
    if key.choices and value not in key.choices:
        problem(f"must be one of {', '.join(map(str, key.choices))}, not {value!r}")
        return
    if key.kind in ("int", "number") and not _in_range(key, value):
        problem(f"must be {_range_words(key)}, not {value!r}", _example(key))
        return
    if key.check is not None:
        found = key.check(value)
        if found:
            message, hint = found if isinstance(found, tuple) else (found, "")
            problem(message, hint or _example(key))


def _in_range(key: Key, value: float) -> bool:
    if key.low is not None and (value < key.low or (key.above and value == key.low)):
        return False
    return key.high is None or value <= key.high


def _range_words(key: Key) -> str:
    what = "a whole number" if key.kind == "int" else "a number"
    if key.low is not None and key.high is not None:
        if key.above:
            return f"{what} above {key.low:g} (at most {key.high:g})"
        return f"{what} between {key.low:g} and {key.high:g}"
    if key.low is not None:
        return f"{what} above {key.low:g}" if key.above else f"{what} of at least {key.low:g}"
    return f"{what} of at most {key.high:g}"


def _example(key: Key) -> str:
    sample = {
        "str": '"..."',
        "int": "3",
        "number": "1.5",
        "bool": "true",
        "strings": '["a", "b"]',
        "str|strings": '"Downtown" or ["Downtown", "Eastgate"]',
        "address": '"px@clinic.example.org"',
        "addresses": '["px@clinic.example.org"]',
        "date": '"2025-11-01"',
        "map": '{ score = "Q1" }',
        "sender": '{ name = "Maria Lopez", email = "maria.lopez@clinic.example.org" }',
    }[key.kind]
    if key.default is not None and key.kind in ("int", "number", "str") and key.default != "":
        sample = f'"{key.default}"' if isinstance(key.default, str) else f"{key.default:g}"
    return f"{key.name} = {sample}"
