"""The factory every Typer app of npscli is built with, so they share their settings.

Apps made here never show local variables in tracebacks (survey rows hold patient data), show help
when called without arguments, and wrap every command in the single error-to-exit wrapper.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from npscli.cli.errors import guarded


class NpsTyper(typer.Typer):
    """A Typer whose commands are all wrapped by ``guarded``."""

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        register = super().command(*args, **kwargs)

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            register(guarded(fn))
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
