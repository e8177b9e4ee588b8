"""The factory every Typer app of npscli is built with, so they share their settings.

Apps made here never show local variables in tracebacks (survey rows hold patient data), show help
when called without arguments, and wrap every command in the single error-to-exit wrapper.

Every command also takes the global flags ``-q/--quiet`` and ``--debug`` after its name, as well as before
it: a crontab line says ``npscli import x.csv -q``, a person re-running a failed command appends ``--debug``.
They are added to each command's signature here (Typer reads the options from it), so no command declares them.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import typer

from npscli.cli.errors import guarded, set_debug
from npscli.cli.options import DebugOpt, QuietOpt

# (the keyword the wrapper takes, its option); keywords no command uses for a parameter of its own
_GLOBAL_FLAGS = (("npscli_quiet", QuietOpt), ("npscli_debug", DebugOpt))


def with_global_flags(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` taking ``-q/--quiet`` and ``--debug`` too: they set the same switches as before the command (given
    in either place, they are on), then ``fn`` runs without them."""
    from npscli.cli.output import set_quiet

    signature = inspect.signature(fn)
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=False, annotation=annotation)
        for name, annotation in _GLOBAL_FLAGS
    ]

    @functools.wraps(fn)
    def wrapper(*args: Any, npscli_quiet: bool = False, npscli_debug: bool = False, **kwargs: Any) -> Any:
        if npscli_quiet:
            set_quiet(True)
        if npscli_debug:
            set_debug(True)
        return fn(*args, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*signature.parameters.values(), *extra])  # type: ignore[attr-defined]
    return wrapper


class NpsTyper(typer.Typer):
    """A Typer whose commands are all wrapped by ``guarded`` and take the global flags."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().command(*args, **kwargs)

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            register(with_global_flags(guarded(fn)))
            return fn

        return decorator


def make_app(**kwargs: Any) -> NpsTyper:
    settings: dict[str, Any] = {
        "no_args_is_help": True,
        "add_completion": False,
        "pretty_exceptions_enable": False,
        "pretty_exceptions_show_locals": False,
        "rich_markup_mode": None,
    }
    settings.update(kwargs)
    return NpsTyper(**settings)
