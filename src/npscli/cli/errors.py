"""The one place where errors become messages and exit codes.

Every command is wrapped by ``guarded`` (applied by the app factory in ``npscli.cli.app``):
an ``NpsError`` prints one line (and a hint) on stderr and exits with its documented code; any other
exception is a bug and prints only its type and where it was raised — never its message, which could
quote a survey row — unless ``--debug`` / ``NPSCLI_DEBUG=1`` asks for the traceback.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

import typer

from npscli.core.errors import ExitStatus, NpsError
from npscli.core.textsafe import terminal_safe

_state = {"debug": False}


def set_debug(value: bool) -> None:
    _state["debug"] = bool(value)


def debug_enabled() -> bool:
    return _state["debug"] or os.environ.get("NPSCLI_DEBUG", "") not in ("", "0", "false", "no")


def format_error(exc: NpsError) -> str:
    lines = [f"npscli: error: {exc.message}"]
    if exc.hint:
        lines.append(f"  hint: {exc.hint}")
    return terminal_safe("\n".join(lines))  # file and column names come from the user's files


def report_error(exc: NpsError) -> None:
    print(format_error(exc), file=sys.stderr)


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if "npscli" in frame.filename:
            path = frame.filename.split("src/")[-1] if "src/" in frame.filename else frame.filename
            return f"{path}:{frame.lineno}"
    return frames[-1].filename.rsplit("/", 1)[-1] if frames else "?"


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except NpsError as exc:
            if debug_enabled():
                traceback.print_exc()
            report_error(exc)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            print("npscli: interrupted; nothing half-written was kept", file=sys.stderr)
            raise typer.Exit(130) from None
        except BrokenPipeError:
            raise typer.Exit(0) from None
        except Exception as exc:
            if debug_enabled():
                raise
            print(
                f"npscli: internal error ({type(exc).__name__} at {_where(exc)}); nothing was printed of the data.\n"
                "  hint: re-run with --debug for the traceback, and report it",
                file=sys.stderr,
            )
            raise typer.Exit(int(ExitStatus.INTERNAL)) from None

    return wrapper
