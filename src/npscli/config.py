"""Effective settings: defaults < npscli.toml < NPSCLI_* environment < command-line flags.

The config file is the first of: ``$NPSCLI_CONFIG``, ``./npscli.toml``, ``<user config dir>/npscli.toml``.
Every setting remembers where its value came from, so ``npscli config show`` can say it.
Sections other features read (``alerts``, ``smtp``, ``routing``, ``senders``, ``reports``, ``themes``)
are kept as plain dictionaries in ``Settings.sections`` and validated by the feature that uses them.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from npscli.core.errors import ConfigError
from npscli.core.tickets import ROOT_CAUSES

CONFIG_FILE_NAME = "npscli.toml"
DEFAULT_ROOT_CAUSES = ROOT_CAUSES

# setting -> (environment variable, type); only these are read from the environment
ENV_SETTINGS: dict[str, tuple[str, type]] = {
    "database": ("NPSCLI_DB", str),
    "timezone": ("NPSCLI_TIMEZONE", str),
    "user": ("NPSCLI_USER", str),
    "templates_dir": ("NPSCLI_TEMPLATES", str),
}

TOP_LEVEL: dict[str, type | tuple[type, ...]] = {
    "database": str,
    "timezone": str,
    "dayfirst": bool,
    "user": str,
    "templates_dir": str,
    "min_n": int,
    "ci": str,
    "clinic_name": str,
    "clinic_phone": str,
}
# Paths in npscli.toml are relative to the file's folder (as `reports.out_dir` and `themes.taxonomy` are), so a
# cron job with NPSCLI_CONFIG=/etc/npscli/npscli.toml finds the same store whatever folder it runs in.
FILE_PATHS = ("database", "templates_dir")
SECTIONS = (
    "sources",
    "tickets",
    "alerts",
    "smtp",
    "routing",
    "senders",
    "locations",
    "providers",
    "reports",
    "themes",
    "emerging",
)


def relative_to_config(config_path: Path | None, value: str) -> str:
    """A path from npscli.toml: ``~`` expanded, and a relative one taken from the file's folder (a URL as is)."""
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


@dataclass
class TicketSettings:
    threshold: int = 6  # scores at or below open a ticket (6 = detractors; 8 includes passives)
    sla_hours: float = 48.0
    sla_hours_by_location: dict[str, float] = field(default_factory=dict)
    root_causes: tuple[str, ...] = DEFAULT_ROOT_CAUSES
    sweep_days: int = 7
    high_priority_max: int = 3  # scores at or below are high priority

    def sla_for(self, location: str | None) -> float:
        if location and location in self.sla_hours_by_location:
            return float(self.sla_hours_by_location[location])
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
    dayfirst: bool = False
    user: str = ""
    templates_dir: str | None = None
    min_n: int = 30
    ci: str = "adjusted-wald"
    clinic_name: str = "our clinic"
    clinic_phone: str = ""
    tickets: TicketSettings = field(default_factory=TicketSettings)
    sources: dict[str, SourceSettings] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)

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


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:  # Notepad's "ANSI" (Windows-1252) or "Unicode" (UTF-16)
            line = raw[: exc.start].count(b"\n") + 1
            raise ConfigError(
                f"{path}: not UTF-8 text (line {line}); a TOML file must be saved as UTF-8",
                hint="open it in an editor and save it again with the encoding UTF-8",
            ) from None
        return tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML ({exc})",
            hint="fix the line named, or compare with `npscli init --print`",
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from None


# how a TOML user would call each value type
_TOML_KINDS = {
    int: "a whole number",
    float: "a number",
    str: "a quoted string",
    bool: "true or false",
    list: "a list",
    dict: "a table",
}


def _check_type(path: Path | None, key: str, value: Any, expected: type | tuple[type, ...]) -> Any:
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) and expected is not bool and expected != (bool,):
        ok = False
    else:
        ok = isinstance(value, expected)
    if not ok:
        kinds = expected if isinstance(expected, tuple) else (expected,)
        names = " or ".join(_TOML_KINDS.get(t, t.__name__) for t in kinds)
        given = _TOML_KINDS.get(type(value), type(value).__name__)
        raise ConfigError(
            f"{path or 'config'}: setting `{key}` must be {names}, not {given}",
            hint="see `npscli init --print` for an example of every setting",
        )
    return value


def _tickets(path: Path | None, data: Any) -> TicketSettings:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [tickets] must be a table")
    t = TicketSettings()
    kinds = {
        "threshold": int,
        "sla_hours": float,
        "sla_hours_by_location": dict,
        "root_causes": list,
        "sweep_days": int,
        "high_priority_max": int,
    }
    for key, value in data.items():
        if key not in kinds:
            raise ConfigError(f"{path}: unknown setting `tickets.{key}`", hint=f"known: {', '.join(kinds)}")
        value = _check_type(path, f"tickets.{key}", value, kinds[key])
        if key == "root_causes":
            if not value or not all(isinstance(v, str) and v for v in value):
                raise ConfigError(f"{path}: `tickets.root_causes` must be a non-empty list of codes")
            value = tuple(value)
        if key == "threshold" and not 0 <= value <= 10:
            raise ConfigError(f"{path}: `tickets.threshold` must be between 0 and 10")
        setattr(t, key, value)
    return t


def _sources(path: Path | None, data: Any) -> dict[str, SourceSettings]:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [sources] must be a table of named sources")
    out: dict[str, SourceSettings] = {}
    for name, body in data.items():
        if not isinstance(body, dict):
            raise ConfigError(f"{path}: [sources.{name}] must be a table")
        src = SourceSettings(name=name)
        for key, value in body.items():
            if key == "map":
                if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                    raise ConfigError(f"{path}: `sources.{name}.map` must map fields to column names")
                src.map = dict(value)
            elif key in ("match", "timezone"):
                setattr(src, key, _check_type(path, f"sources.{name}.{key}", value, str))
            elif key == "dayfirst":
                src.dayfirst = _check_type(path, f"sources.{name}.dayfirst", value, bool)
            else:
                raise ConfigError(
                    f"{path}: unknown setting `sources.{name}.{key}`",
                    hint="known: map, match, dayfirst, timezone",
                )
        out[name] = src
    return out


def load_settings(**flags: Any) -> Settings:
    """Build the effective settings. ``flags`` are command-line values (None = not given)."""
    path = find_config_file()
    data = _read_toml(path) if path else {}
    s = Settings(config_path=path)
    where = f"{path}" if path else ""
    s.origins = {key: "default" for key in TOP_LEVEL}
    s.timezone = system_timezone()
    s.origins["timezone"] = "default (system)"
    s.user = ""
    for key, value in data.items():
        if key in TOP_LEVEL:
            value = _check_type(path, key, value, TOP_LEVEL[key])
            if key in FILE_PATHS:
                value = relative_to_config(path, value)
            setattr(s, key, value)
            s.origins[key] = where
        elif key == "tickets":
            s.tickets = _tickets(path, value)
            s.origins["tickets"] = where
        elif key == "sources":
            s.sources = _sources(path, value)
            s.origins["sources"] = where
        elif key in SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [{key}] must be a table")
            s.sections[key] = value
            s.origins[key] = where
        else:
            raise ConfigError(
                f"{path}: unknown setting `{key}`",
                hint=f"known settings: {', '.join(list(TOP_LEVEL) + list(SECTIONS))}",
            )
    for key, (env, _kind) in ENV_SETTINGS.items():
        value = os.environ.get(env)
        if value:
            setattr(s, key, value)
            s.origins[key] = env
    for key, value in flags.items():
        if value is not None:
            setattr(s, key, value)
            s.origins[key] = f"--{key.replace('_', '-')}"
    if not s.user:
        try:
            s.user = getpass.getuser()
        except Exception:  # no login name (containers): a neutral actor name
            s.user = "npscli"
        s.origins["user"] = "default (OS user)"
    _validate_timezone(s)
    if s.ci not in ("adjusted-wald", "wald", "tango"):
        raise ConfigError(f"{where or 'config'}: `ci` must be adjusted-wald, wald or tango")
    return s


def _validate_timezone(s: Settings) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(s.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {s.timezone!r} (from {s.origins.get('timezone', 'config')})",
            hint="use an IANA name such as America/Chicago or Europe/Madrid",
        ) from None
    for src in s.sources.values():
        if src.timezone:
            try:
                ZoneInfo(src.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ConfigError(f"{s.config_path}: unknown time zone in sources.{src.name}.timezone") from None
