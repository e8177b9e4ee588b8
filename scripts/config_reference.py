"""Write docs/config.md, the npscli.toml reference: every table and key the config schema declares.

    .venv/bin/python scripts/config_reference.py

The schema (src/npscli/core/config_schema.py) is the one declaration; tests/core/test_config.py checks that
docs/config.md is what this prints, so a key added, renamed or given a new default fails the suite until the
reference is written again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from npscli.core import config_schema as schema

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "config.md"


def _default(key: schema.Key) -> str:
    value: Any = key.default
    if value is None or value == "" or value == ():
        return ""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple | list):
        return "`[" + ", ".join(f'"{v}"' for v in value) + "]`"
    if isinstance(value, str):
        return f'`"{value}"`'
    return f"`{value:g}`" if isinstance(value, float) else f"`{value}`"


def _allowed(key: schema.Key) -> str:
    parts = []
    if key.choices:
        parts.append(" \\| ".join(f"`{c}`" for c in key.choices))
    if key.low is not None and key.high is not None and not key.above:
        parts.append(f"{key.low:g} to {key.high:g}")
    elif key.low is not None or key.high is not None:
        low = "" if key.low is None else (f"> {key.low:g}" if key.above else f">= {key.low:g}")
        high = "" if key.high is None else f"<= {key.high:g}"
        parts.append(", ".join(p for p in (low, high) if p))
    if key.required:
        parts.append("required")
    if key.secret:
        parts.append(f"**refused in the file**: only `{key.env}`")
    return "; ".join(parts)


def _rows(keys: tuple[schema.Key, ...]) -> list[str]:
    lines = ["| key | value | default | allowed | env, flag | meaning |", "| --- | --- | --- | --- | --- | --- |"]
    for key in keys:
        said = schema.KINDS[key.kind][1]
        env = ", ".join(f"`{v}`" for v in (key.env, key.flag) if v)
        doc = key.doc + (" (relative to the file's folder)" if key.path else "")
        lines.append(f"| `{key.name}` | {said} | {_default(key)} | {_allowed(key)} | {env} | {doc} |")
    return lines


def _header(table: schema.Table, path: str) -> str:
    if table.entries == "named":
        return f"[{path}.NAME]"
    if table.entries == "array":
        return f"[[{path}]]"
    return f"[{path}]"


def _table(table: schema.Table, path: str) -> list[str]:
    parts = ["", f"## `{_header(table, path)}`", "", table.doc[:1].upper() + table.doc[1:] + "."]
    if table.entries == "map" and table.values is not None:
        parts += ["", f"Each key is a name; its value is {schema.KINDS[table.values.kind][1]} ({table.values.doc})."]
    if table.keys:
        parts += ["", *_rows(table.keys)]
    for sub in table.tables:
        parts += _table(sub, f"{path}.{sub.name}")
    return parts


def reference() -> str:
    parts = [
        "# npscli.toml reference",
        "",
        "Every table and key of the config file, generated from `src/npscli/core/config_schema.py` by",
        "`scripts/config_reference.py` (the test suite checks it is current). The file is checked against it when",
        "any command loads it; `npscli config check` lists every problem, `npscli config show` every effective",
        "setting and where it came from. Precedence: flag > `NPSCLI_*` environment variable > file > default.",
        "",
        "## Top level",
        "",
        *_rows(schema.ROOT.keys),
    ]
    for table in schema.ROOT.tables:
        parts += _table(table, table.name)
    return "\n".join(parts) + "\n"


if __name__ == "__main__":
    REFERENCE.write_text(reference(), encoding="utf-8")
