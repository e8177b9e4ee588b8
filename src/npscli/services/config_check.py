"""`npscli config check`, beyond the file: what only the features can see (the environment, the files the
config names), as rows of the same shape as the schema's problems."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from npscli.core.errors import ConfigError

_TABLE_KEY = re.compile(r"\[(?P<table>[A-Za-z0-9_.\-]+)\] (?P<key>[A-Za-z0-9_\-]+):")


def feature_problems(path: Path, load_settings: Callable[[], Any]) -> list[dict[str, Any]]:
    """Problems only the features can see: the environment (NPSCLI_SMTP_PASSWORD for an smtp.user, a zone
    from NPSCLI_TIMEZONE) and the files the config names (the theme taxonomy)."""
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
    return rows
