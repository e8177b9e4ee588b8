"""The one Jinja environment: sandboxed, StrictUndefined, the user's folder before the packaged one.

Templates are looked up first in the user's folder (config ``templates_dir`` or ``--templates DIR``),
then in the packaged ``templates/``; ``default:NAME`` always means the packaged one (so a user template
can extend the original). HTML templates are autoescaped. Filters are registered here and only here.
A missing variable is an error naming the template, the line and the variable.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from npscli.core.errors import NotFoundError, TemplateError
from npscli.core.names import first_name


def packaged_templates_dir() -> Path:
    """``npscli/templates`` inside an installed wheel, else the repository's ``templates/``."""
    try:
        inside = Path(str(resources.files("npscli") / "templates"))
        if inside.is_dir():
            return inside
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - unusual loaders
        pass
    return Path(__file__).resolve().parents[2] / "templates"


def _wrap(text: str | None, width: int = 72) -> str:
    import textwrap

    if not text:
        return ""
    # never at a hyphen ("pre-" / "authorization") nor inside a long word such as a link
    lines = str(text).splitlines()
    return "\n".join(
        textwrap.fill(line, width, break_on_hyphens=False, break_long_words=False) if line.strip() else ""
        for line in lines
    )


def _quote(text: str | None, prefix: str = "> ") -> str:
    if not text:
        return ""
    return "\n".join(prefix + line for line in str(text).splitlines())


def _long_date(value: Any) -> str:
    from datetime import date, datetime

    if isinstance(value, datetime | date):
        return f"{value:%A, %B} {value.day}, {value.year}"
    return str(value or "")


FILTERS = {"first_name": first_name, "wrap": _wrap, "quote": _quote, "long_date": _long_date}


@lru_cache(maxsize=8)
def environment(user_dir: str | None = None):
    from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    packaged = FileSystemLoader(str(packaged_templates_dir()))
    loaders = []
    if user_dir:
        path = Path(user_dir).expanduser()
        if not path.is_dir():
            raise TemplateError(
                f"template folder {path} does not exist",
                hint="fix `templates_dir` in npscli.toml / --templates, or create it with `npscli templates copy`",
            )
        loaders.append(FileSystemLoader(str(path)))
    loaders += [packaged, PrefixLoader({"default": packaged}, delimiter=":")]
    env = ImmutableSandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2"), default=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    return env


def _line_of(exc: BaseException, name: str) -> int | None:
    import traceback

    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename and (frame.filename.endswith(name) or name in frame.filename):
            return frame.lineno
    return getattr(exc, "lineno", None)


def render(name: str, context: dict[str, Any], *, user_dir: str | None = None) -> str:
    """Render template ``name`` with ``context``; every failure is a TemplateError naming the template."""
    from jinja2 import TemplateNotFound, TemplateSyntaxError, UndefinedError
    from jinja2.exceptions import SecurityError

    env = environment(user_dir)
    try:
        template = env.get_template(name)
    except TemplateNotFound:
        raise NotFoundError(
            f"no template named {name!r}", hint="see `npscli templates list` for the available templates"
        ) from None
    except TemplateSyntaxError as exc:
        raise TemplateError(f"template {name}, line {exc.lineno}: {exc.message}") from None
    try:
        return template.render(**context)
    except UndefinedError as exc:
        match = re.search(r"'([^']+)' is undefined", str(exc))
        var = match.group(1) if match else str(exc)
        line = _line_of(exc, name)
        where = f", line {line}" if line else ""
        raise TemplateError(
            f"template {name}{where}: variable {var!r} is not defined",
            hint=f"use only the documented variables ({', '.join(sorted(context))})",
        ) from None
    except SecurityError as exc:
        raise TemplateError(f"template {name}: refused by the sandbox ({exc})") from None


def list_templates(user_dir: str | None = None) -> list[dict[str, str]]:
    """Every template name, and whether the user's folder overrides the packaged one."""
    packaged = packaged_templates_dir()
    names: dict[str, str] = {}
    for path in sorted(packaged.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            names[path.relative_to(packaged).as_posix()] = "packaged"
    if user_dir and Path(user_dir).expanduser().is_dir():
        root = Path(user_dir).expanduser()
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                rel = path.relative_to(root).as_posix()
                names[rel] = "yours (overrides packaged)" if rel in names else "yours"
    return [{"name": n, "origin": o} for n, o in sorted(names.items())]
