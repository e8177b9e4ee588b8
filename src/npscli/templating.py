"""The one Jinja environment: sandboxed, StrictUndefined, the user's folder before the packaged one.

Templates are looked up first in the user's folder (config ``templates_dir`` or ``--templates DIR``),
then in the packaged ``templates/``; ``default:NAME`` always means the packaged one (so a user template
can extend the original). HTML templates are autoescaped. Filters are registered here and only here.
A missing variable is an error naming the template, the line and the variable; so is every other failure of
a clinic's own template (a missing include, a division by zero, text added to a number). The sandbox caps what
a template can make: a rendered text of MAX_RENDERED_CHARS, a repeated string or list of MAX_REPEATED_CHARS
(checked before it is built), a power of MAX_POWER_BITS, a ``range`` of MAX_RANGE items. Growth by doubling
(a namespace or a macro's argument joined with itself in a loop) is stopped by checking every value that ``~``,
``+``, ``%``, a filter or a method makes against MAX_VALUE_CHARS, and a width or count argument above
MAX_REPEATED_CHARS (``center(100000000)``, ``'%0100000000d'``) is refused before the call.
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

MAX_RENDERED_CHARS = 10_000_000  # a draft or a report; the largest packaged report is far below
MAX_REPEATED_CHARS = 1_000_000  # "-" * 72 is a rule; "a" * 100_000_000 is an attack
MAX_POWER_BITS = 4096
MAX_RANGE = 100_000
MAX_VALUE_CHARS = MAX_RENDERED_CHARS  # one value made by ~, +, %, a filter or a method
_LONG_NUMBER = re.compile(r"\d{7,}")  # a width in a format string of a million or more


class TemplateTooLarge(Exception):
    """A template asked the sandbox for more than its caps allow."""


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse, before computing it, a repetition or a power past the caps (the sandbox's binop hook)."""
    if operator == "*":
        for sequence, times in ((left, right), (right, left)):
            size = _sized(sequence)
            if size is not None and isinstance(times, int) and size * times > MAX_REPEATED_CHARS:
                raise TemplateTooLarge(
                    f"a repeated text or list of {size} x {times} items is too large "
                    f"(the sandbox allows {MAX_REPEATED_CHARS:,})"
                )
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1:
        if right > 0 and left.bit_length() * right > MAX_POWER_BITS:
            raise TemplateTooLarge(f"a power of {left.bit_length()}-bit number to {right} is too large")


def _check_arguments(what: str, args: tuple, kwargs: dict) -> None:
    """Refuse a call whose width or count would make a huge value (``center(100000000)``)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_REPEATED_CHARS:
            raise TemplateTooLarge(f"{what} with an argument of {value:,} would be too large")


# Filters whose arguments are widths or counts (the value filtered, and the other filters' arguments, may be any
# number: a count of 1,500,000 responses is data).
_WIDTH_FILTERS = frozenset({"center", "indent", "wordwrap", "wrap", "batch", "slice", "truncate"})
_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def _check_format(template: Any) -> None:
    if isinstance(template, str) and _LONG_NUMBER.search(template):
        raise TemplateTooLarge("a format with a width of a million or more characters would be too large")


def _checked_value(value: Any, what: str) -> Any:
    size = _sized(value)
    if size is not None and size > MAX_VALUE_CHARS:
        raise TemplateTooLarge(f"{what} made a value too large ({size:,} characters or items)")
    return value


def _capped_filter(name: str, function: Any) -> Any:
    import functools

    passes = getattr(function, "jinja_pass_arg", None) is not None  # a context/environment comes first

    @functools.wraps(function)  # keeps Jinja's pass_context/pass_environment marks
    def capped(*args: Any, **kwargs: Any) -> Any:
        value, extra = (args[1:2], args[2:]) if passes else (args[:1], args[1:])
        if name in _WIDTH_FILTERS:
            _check_arguments(f"the filter {name}", extra, kwargs)
        elif name == "format" and value:
            _check_format(value[0])
        return _checked_value(function(*args, **kwargs), f"the filter {name}")

    return capped


def _capped_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateTooLarge(f"a range of {len(numbers):,} items is too large (the sandbox allows {MAX_RANGE:,})")
    return numbers


@lru_cache(maxsize=8)
def environment(user_dir: str | None = None):
    from jinja2 import ChoiceLoader, FileSystemLoader, PrefixLoader, StrictUndefined, select_autoescape
    from jinja2.compiler import CodeGenerator
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class CappedCodeGenerator(CodeGenerator):
        def visit_Concat(self, node, frame) -> None:  # a ~ b: the join is checked (no hook of Jinja's own)
            self.write("environment.npscli_joined(")
            super().visit_Concat(node, frame)
            self.write(")")

    class CappedSandbox(ImmutableSandboxedEnvironment):
        code_generator_class = CappedCodeGenerator
        # intercepted, these are also never folded at compile time
        intercepted_binops = frozenset({"*", "**", "+", "%"})

        def call_binop(self, context, operator, left, right):
            _check_binop(operator, left, right)
            if operator == "%":
                _check_format(left)
            return _checked_value(super().call_binop(context, operator, left, right), f"the operator {operator}")

        def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's own signature
            name = getattr(__obj, "__name__", "")
            what = f"the call {name or 'of a function'}"
            if isinstance(getattr(__obj, "__self__", None), str):
                if name in _PADDING_METHODS:
                    _check_arguments(what, args, kwargs)
                elif name in ("format", "format_map"):
                    _check_format(__obj.__self__)
            return _checked_value(super().call(__context, __obj, *args, **kwargs), what)

        def npscli_joined(self, value):
            return _checked_value(value, "joining with ~")

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
    env = CappedSandbox(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "html.j2"), default=False),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.filters = {name: _capped_filter(name, function) for name, function in env.filters.items()}
    env.globals["range"] = _capped_range
    env.globals.pop("lipsum", None)  # a generator of filler text: no use in a letter, and unbounded
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
        return _render_capped(template, context)
    except UndefinedError as exc:
        match = re.search(r"'([^']+)' is undefined", str(exc))
        var = match.group(1) if match else str(exc)
        raise TemplateError(
            f"template {name}{_where(exc, name)}: variable {var!r} is not defined",
            hint=f"use only the documented variables ({', '.join(sorted(context))})",
        ) from None
    except SecurityError as exc:
        raise TemplateError(f"template {name}{_where(exc, name)}: refused by the sandbox ({exc})") from None
    except TemplateNotFound as exc:  # an {% include %} or {% extends %} of a template that is not there
        raise TemplateError(
            f"template {name}{_where(exc, name)}: includes or extends {exc.name!r}, which does not exist",
            hint="see `npscli templates list` for the available templates",
        ) from None
    except TemplateSyntaxError as exc:  # in an included template
        raise TemplateError(f"template {exc.name or name}, line {exc.lineno}: {exc.message}") from None
    except (TemplateTooLarge, OverflowError, MemoryError, RecursionError) as exc:
        raise TemplateError(
            f"template {name}{_where(exc, name)}: {_problem(exc)}",
            hint="a template writes one letter or report; make it loop over less",
        ) from None
    except Exception as exc:  # the template's own arithmetic or filters: 1/0, 3 + 'a', int('x')
        raise TemplateError(
            f"template {name}{_where(exc, name)}: {_problem(exc)}",
            hint="fix the expression on that line (see `npscli templates show` for the packaged ones)",
        ) from None


def _render_capped(template, context: dict[str, Any]) -> str:
    parts: list[str] = []
    size = 0
    for part in template.generate(**context):
        size += len(part)
        if size > MAX_RENDERED_CHARS:
            raise TemplateTooLarge(f"the rendered text is too large (over {MAX_RENDERED_CHARS:,} characters)")
        parts.append(part)
    return "".join(parts)


def _where(exc: BaseException, name: str) -> str:
    line = _line_of(exc, name)
    return f", line {line}" if line else ""


def _problem(exc: BaseException) -> str:
    """What went wrong, without the exception's own text where that may quote a value (int('Sandra'))."""
    if isinstance(exc, TemplateTooLarge):
        return str(exc)
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return "a number or range too large (OverflowError)"
    if isinstance(exc, MemoryError | RecursionError):
        return f"the template needs too much memory or nesting ({type(exc).__name__})"
    if isinstance(exc, TypeError):
        return "values of types that do not go together, such as a number and text (TypeError)"
    if isinstance(exc, ValueError):
        return "a value that cannot be converted, such as text read as a number (ValueError)"
    return f"the template failed ({type(exc).__name__})"


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
