"""Effective settings: defaults < npscli.toml < NPSCLI_* environment < command-line flags.

The config file is the first of: ``$NPSCLI_CONFIG``, ``./npscli.toml``, ``<user config dir>/npscli.toml``.
Every setting remembers where its value came from, so ``npscli config show`` can say it.
Sections other features read (``alerts``, ``smtp``, ``routing``, ``senders``, ``reports``, ``themes``)
are kept as plain dictionaries in ``Settings.sections`` and validated by the feature that uses them.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from npscli.core import config_schema as schema
from npscli.core.errors import ConfigError
from npscli.core.tickets import ROOT_CAUSES

CONFIG_FILE_NAME = "npscli.toml"
DEFAULT_ROOT_CAUSES = ROOT_CAUSES

# setting -> (environment variable, type); only these are read from the environment
ENV_SETTINGS: dict[str, tuple[str, type]] = {key.name: (key.env, str) for key in schema.ROOT.keys if key.env}
SECTIONS = tuple(table.name for table in schema.ROOT.tables)


def relative_to_config(config_path: Path | None, value: str) -> str:
    """A path from npscli.toml: ``~`` expanded, and a relative one taken from the file's folder (a URL as is).

    Every key declared with ``path=True`` in the schema is one, so a cron job with
    NPSCLI_CONFIG=/etc/npscli/npscli.toml finds the same store whatever folder it runs in."""
    if "://" in value or not value.strip():
        return value
    path = Path(value).expanduser()
    if path.is_absolute() or config_path is None:
        return str(path)
    return str(config_path.resolve().parent / path)


def user_config_path() -> Path:
    from platformdirs import user_config_path as _ucp

    return _ucp("npscli") / CONFIG_FILE_NAME


def default_database_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("npscli") / "npscli.db"


def system_timezone() -> str:
    """The machine's IANA zone name, falling back to UTC when it cannot be told."""
    tz = os.environ.get("TZ")
    if tz and "/" in tz:
        return tz.lstrip(":")
    try:
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            return link.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    try:
        name = Path("/etc/timezone").read_text().strip()
        if name:
            return name
    except OSError:
        pass
    return "UTC"


def _default(table: str, key: str) -> Any:
    return schema.default(table, key)


@dataclass
class TicketSettings:
    threshold: int = _default("tickets", "threshold")  # scores at or below open a ticket (8 includes passives)
    sla_hours: float = _default("tickets", "sla_hours")
    sla_hours_by_location: dict[str, float] = field(default_factory=dict)
    root_causes: tuple[str, ...] = _default("tickets", "root_causes")
    sweep_days: int = _default("tickets", "sweep_days")
    high_priority_max: int = _default("tickets", "high_priority_max")  # scores at or below are high priority

    def sla_for(self, location: str | None) -> float:
        """The SLA (hours) of a response at ``location``: its site's, matched case, spacing and apostrophes
        aside (as routing rules match), else the default."""
        if location and self.sla_hours_by_location:
            from npscli.core.names import fold_name

            wanted = fold_name(location)
            for name, hours in self.sla_hours_by_location.items():
                if fold_name(name) == wanted:
                    return float(hours)
        return self.sla_hours


@dataclass
class SourceSettings:
    name: str
    map: dict[str, str] = field(default_factory=dict)
    match: str | None = None  # a file-name glob that selects this source without --source
    dayfirst: bool | None = None
    timezone: str | None = None


@dataclass
class Settings:
    config_path: Path | None = None
    database: str | None = None
    timezone: str = "UTC"
    dayfirst: bool = _default("", "dayfirst")
    user: str = ""
    templates_dir: str | None = None
    min_n: int = _default("", "min_n")
    ci: str = _default("", "ci")
    clinic_name: str = _default("", "clinic_name")
    clinic_phone: str = _default("", "clinic_phone")
    tickets: TicketSettings = field(default_factory=TicketSettings)
    sources: dict[str, SourceSettings] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    lines: dict[tuple[str | int, ...], int] = field(default_factory=dict, repr=False)  # line_index of the file

    def where(self, table: str, key: str | None = None) -> str | None:
        """``npscli.toml:LINE`` of ``key`` in ``table`` (the table's line if the key is not written; the file
        alone for ``key=None``), for the messages of what only a feature can check; None without a file."""
        if self.config_path is None:
            return None
        line = None if key is None else _line_of(self.lines, (*table.split("."), key) if key else (table,))
        return f"{self.config_path}:{line}" if line else str(self.config_path)

    def section(self, name: str) -> dict[str, Any]:
        value = self.sections.get(name, {})
        return value if isinstance(value, dict) else {}

    def database_url(self) -> str:
        return self.database or str(default_database_path())

    def source_for(self, name: str | None, file_name: str) -> SourceSettings | None:
        """The saved source named ``name``, else the first whose ``match`` glob fits the file name."""
        if name:
            return self.sources.get(name)
        from fnmatch import fnmatch

        for source in self.sources.values():
            if source.match and fnmatch(Path(file_name).name, source.match):
                return source
        return None


def find_config_file() -> Path | None:
    env = os.environ.get("NPSCLI_CONFIG")
    if env:
        path = Path(env)
        if not path.is_file():
            raise ConfigError(
                f"NPSCLI_CONFIG points to {path}, which does not exist",
                hint="unset NPSCLI_CONFIG or run `npscli init` to write a starter npscli.toml",
            )
        return path
    local = Path.cwd() / CONFIG_FILE_NAME
    if local.is_file():
        return local
    user = user_config_path()
    if user.is_file():
        return user
    return None


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:  # Notepad's "ANSI" (Windows-1252) or "Unicode" (UTF-16)
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}:{line}: not UTF-8 text (line {line}); a TOML file must be saved as UTF-8",
            hint="open it in an editor and save it again with the encoding UTF-8",
        ) from None
    return text.removeprefix("\ufeff")


def _parse(path: Path, text: str) -> dict[str, Any]:
    import tomllib  # here: a start without a config file (cron, `score FILE`) parses no TOML

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        where = f"{path}:{found[1]}" if found else f"{path}"
        line = text.splitlines()[int(found[1]) - 1] if found and int(found[1]) <= len(text.splitlines()) else ""
        raise ConfigError(
            f"{where}: not valid TOML ({exc})",
            hint=_unquoted_text_hint(line) or "fix the line named, or compare with `npscli init --print`",
        ) from None


def _unquoted_text_hint(line: str) -> str | None:
    """``timezone = America/Chicago``: text written without its quotes, the commonest slip in a TOML file."""
    found = re.fullmatch(r"\s*([A-Za-z0-9_\-]+)\s*=\s*([^\s\"'\[{#][^#]*?)\s*(#.*)?", line)
    if not found or re.fullmatch(r"[+-]?[\d_.]+|true|false|\d{4}-\d{2}-\d{2}.*", found[2]):
        return None
    key, value = found[1], found[2].replace('"', '\\"')
    return f'text goes in double quotes: {key} = "{value}"'


# ---------------------------------------------------------------------------------------------- lines
# tomllib gives no positions: the line of each table and key is found by scanning the text, table by table.

_PART = r"""(?:[A-Za-z0-9_\-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_KEY_PATH = rf"{_PART}(?:\s*\.\s*{_PART})*"


@functools.cache
def _line_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """A table header, a key's assignment, one part of a dotted key: compiled when a file is read (not at import:
    a start without a config file compiles none of them)."""
    return re.compile(rf"^\s*(\[\[|\[)\s*({_KEY_PATH})\s*\]"), re.compile(rf"^\s*({_KEY_PATH})\s*="), re.compile(_PART)


def _key_parts(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    for match in _line_patterns()[2].finditer(text):
        part = match.group(0)
        if part.startswith('"'):
            import tomllib

            part = tomllib.loads(f"k = {part}")["k"]
        elif part.startswith("'"):
            part = part[1:-1]
        parts.append(part)
    return tuple(parts)


def line_index(text: str) -> dict[tuple[str | int, ...], int]:
    """Table and key paths -> the line (from 1) where each is first written; the n-th ``[[a.b]]`` entry
    is ``("a", "b", n)`` counted from 0, as in ``config_schema.Problem``."""
    header_line, assign_line, _part = _line_patterns()
    index: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    arrays: dict[tuple[str, ...], int] = {}
    multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if multiline:
            if multiline in line:
                multiline = None
            continue
        header = header_line.match(line)
        if header:
            parts = _key_parts(header[2])
            if header[1] == "[[":
                arrays[parts] = arrays.get(parts, -1) + 1
                table = (*parts, arrays[parts])
            else:
                table = parts
            for end in range(1, len(table) + 1):
                index.setdefault(table[:end], number)
            continue
        assign = assign_line.match(line)
        if assign:
            full = (*table, *_key_parts(assign[1]))
            for end in range(len(table) + 1, len(full) + 1):
                index.setdefault(full[:end], number)
            rest = line[assign.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    multiline = quote
    return index


def _line_of(index: dict[tuple[str | int, ...], int], path: tuple[str | int, ...]) -> int | None:
    for end in range(len(path), 0, -1):
        if path[:end] in index:
            return index[path[:end]]
    return None


@dataclass(frozen=True)
class ConfigProblem:
    """One problem of a config file, placed: ``npscli.toml:LINE: [table] key: problem``."""

    path: Path
    line: int | None
    problem: schema.Problem

    def message(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.problem.text()}"

    def error(self) -> ConfigError:
        return ConfigError(self.message(), hint=self.problem.hint or None)


def line_of(path: Path, table: tuple[str | int, ...], key: str = "") -> int | None:
    """The line of ``key`` in ``table`` of the config file at ``path`` (else of the table), or None."""
    index = line_index(_read_text(path))
    return _line_of(index, (*table, key) if key else table)


def file_problems(path: Path, text: str | None = None, data: dict[str, Any] | None = None) -> list[ConfigProblem]:
    """Every problem in the config file at ``path``, in file order (a file that is not TOML raises its one
    ConfigError). ``text`` and ``data``: the file already read and parsed."""
    text = _read_text(path) if text is None else text
    data = _parse(path, text) if data is None else data
    problems = schema.validate(data)
    if not problems:
        return []
    index = line_index(text)
    placed = [ConfigProblem(path, _line_of(index, p.lookup_path()), p) for p in problems]
    return sorted(placed, key=lambda p: p.line or 0)  # in the order of the file (stable within a line)


# ---------------------------------------------------------------------------------------------- loading


def _number(key: schema.Key, value: Any) -> Any:
    return float(value) if key.kind == "number" and isinstance(value, int) else value


def load_settings(**flags: Any) -> Settings:
    """Build the effective settings. ``flags`` are command-line values (None = not given).

    The file is checked against the schema first; its first problem is raised as a ConfigError naming the file,
    the line, the table and the key (``npscli config check`` lists them all)."""
    path = find_config_file()
    data: dict[str, Any] = {}
    if path:
        text = _read_text(path)
        data = _parse(path, text)
        problems = file_problems(path, text, data)
        if problems:
            error = problems[0].error()
            if len(problems) > 1:
                more = f"{len(problems) - 1} more problem{'s' if len(problems) > 2 else ''}"
                error.hint = f"{error.hint}; " if error.hint else ""
                error.hint += f"{more} in the file: `npscli config check` lists them all"
            raise error
    s = Settings(config_path=path, lines=line_index(text) if path else {})
    where = f"{path}" if path else ""
    s.origins = {key.name: "default" for key in schema.ROOT.keys}
    s.timezone = system_timezone()
    s.origins["timezone"] = "default (system)"
    s.user = ""
    for key in schema.ROOT.keys:
        if key.name in data:
            value = _number(key, data[key.name])
            if key.path:
                value = relative_to_config(path, value)
            setattr(s, key.name, value)
            s.origins[key.name] = where
    tickets = data.get("tickets", {})
    for name, value in tickets.items():
        key = schema.section("tickets").key(name)
        if name == "sla_hours_by_location":
            value = {location: float(hours) for location, hours in value.items()}
        elif name == "root_causes":
            value = tuple(value)
        elif key is not None:
            value = _number(key, value)
        setattr(s.tickets, name, value)
        s.origins[f"tickets.{name}"] = where
    for name, body in data.get("sources", {}).items():
        s.sources[name] = SourceSettings(name=name, **{k: dict(v) if k == "map" else v for k, v in body.items()})
    for name in SECTIONS:
        if name in data:
            s.origins[name] = where
            if name not in ("tickets", "sources"):
                s.sections[name] = data[name]
    for key, (env, _kind) in ENV_SETTINGS.items():
        value = os.environ.get(env)
        if value:
            setattr(s, key, value)
            s.origins[key] = env
    for key, value in flags.items():
        if value is not None:
            setattr(s, key, value)
            declared = schema.ROOT.key(key)
            s.origins[key] = declared.flag if declared and declared.flag else f"--{key.replace('_', '-')}"
    if not s.user:
        try:
            s.user = _login_name()
        except Exception:  # no login name (containers): a neutral actor name
            s.user = "npscli"
        s.origins["user"] = "default (OS user)"
    _validate_timezone(s)
    return s


def _login_name() -> str:
    """What ``getpass.getuser()`` gives, without importing getpass (and termios, about 2 ms a start): the first
    of LOGNAME, USER, LNAME and USERNAME that is set, else the password database's name for the user id."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        user = os.environ.get(name)
        if user:
            return user
    import pwd  # (not on Windows: the ImportError gives the neutral name, as getpass.getuser() did)

    return pwd.getpwuid(os.getuid())[0]


def _validate_timezone(s: Settings) -> None:
    """The zone from the environment or a flag (the file's was checked with the rest of the file)."""
    from npscli.core.config_types import timezone_problem

    found = timezone_problem(s.timezone)
    if found:
        problem, hint = found
        raise ConfigError(f"{problem} (from {s.origins.get('timezone', 'config')})", hint=hint)


# ---------------------------------------------------------------------------------------------- effective


@dataclass(frozen=True)
class Effective:
    """One effective setting for ``config show``: its dotted name, value and where the value came from."""

    setting: str
    value: Any
    origin: str
    key: schema.Key | None = None


def effective_settings(s: Settings, environ: dict[str, str] | None = None) -> list[Effective]:
    """Every setting the schema declares, with its effective value and origin (defaults included); a named
    or array table lists each entry the file has. Secret keys say only whether they are set."""
    environ = os.environ if environ is None else environ
    where = str(s.config_path) if s.config_path else ""
    out: list[Effective] = []
    for key in schema.ROOT.keys:
        out.append(Effective(key.name, getattr(s, key.name), s.origins.get(key.name, "default"), key))
    for table in schema.ROOT.tables:
        raw = s.sections.get(table.name, {}) if table.name not in ("tickets", "sources") else None
        if table.name == "tickets":
            for key in table.keys:
                origin = s.origins.get(f"tickets.{key.name}", "default")
                out.append(Effective(f"tickets.{key.name}", getattr(s.tickets, key.name), origin, key))
            origin = s.origins.get("tickets.sla_hours_by_location", "default")
            out.append(Effective("tickets.sla_hours_by_location", s.tickets.sla_hours_by_location, origin))
        elif table.name == "sources":
            bodies = {
                name: {k: getattr(src, k) for k in ("match", "map", "dayfirst", "timezone")}
                for name, src in s.sources.items()
            }
            out.extend(_named(table, "sources", bodies, where, set_keys=_set_source_keys(s)))
        elif table.entries == "named":
            out.extend(_named(table, table.name, raw or {}, where))
        elif table.tables:  # [routing]: its [[routing.rules]]
            for sub in table.tables:
                entries = (raw or {}).get(sub.name, [])
                if not entries:
                    out.append(Effective(f"{table.name}.{sub.name}", "(none)", "default"))
                for i, body in enumerate(entries, start=1):
                    for key in sub.keys:
                        value, origin = _value(key, body, where)
                        out.append(Effective(f"{table.name}.{sub.name}[{i}].{key.name}", value, origin, key))
        else:
            for key in table.keys:
                if key.secret:
                    present = bool(environ.get(key.env or ""))
                    out.append(
                        Effective(
                            f"{table.name}.{key.name}",
                            "set (hidden)" if present else "not set",
                            key.env if present else f"{key.env} only",
                            key,
                        )
                    )
                    continue
                value, origin = _value(key, raw or {}, where)
                if table.name == "smtp" and key.name == "port" and value is None:
                    value = schema.SMTP_DEFAULT_PORTS.get((raw or {}).get("security", "starttls"))
                if key.path and isinstance(value, str) and origin == where:
                    value = relative_to_config(s.config_path, value)
                out.append(Effective(f"{table.name}.{key.name}", value, origin, key))
    return out


def _set_source_keys(s: Settings) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for name, src in s.sources.items():
        out[name] = {k for k in ("match", "dayfirst", "timezone") if getattr(src, k) is not None}
        if src.map:
            out[name].add("map")
    return out


def _named(
    table: schema.Table,
    name: str,
    bodies: dict[str, dict[str, Any]],
    where: str,
    set_keys: dict[str, set[str]] | None = None,
) -> list[Effective]:
    if not bodies:
        return [Effective(name, "(none)", "default")]
    out = []
    for entry, body in bodies.items():
        for key in table.keys:
            value, origin = _value(key, body, where)
            if set_keys is not None:
                origin = where if key.name in set_keys.get(entry, set()) else "default"
            out.append(Effective(f"{name}.{schema.quote(entry)}.{key.name}", value, origin, key))
    return out


def _value(key: schema.Key, body: dict[str, Any], where: str) -> tuple[Any, str]:
    if key.name in body:
        return _number(key, body[key.name]), where
    return key.default, "default"
