"""The `npscli` command: wires every command group into one Typer app.

Command modules import only Typer and the standard library at import time; pandas, SQLAlchemy and
openpyxl are imported inside the commands, so `npscli --help` starts fast. The modules that define commands
do without `from __future__ import annotations`: Typer reads every parameter's annotation when it builds
the commands, each process, and string annotations would be evaluated one by one (about 13 ms a start).

A process that runs one command (``npscli score FILE``) imports and builds only that command (or group):
Typer turns every registered function's parameters into options each start, and the other command
modules need not be imported at all. Help, completion, a mistyped command and anything unusual before the
command name get the whole tree, so what they print is unchanged. ``app`` (tests, the CLI reference) is
the whole tree, built on first use.
"""

import importlib
import os
from typing import Annotated

import typer

from npscli import __version__
from npscli.cli.app import NpsTyper, make_app
from npscli.cli.errors import set_debug
from npscli.cli.options import DebugOpt, QuietOpt
from npscli.cli.output import set_quiet

# name -> (module in npscli.cli, attribute, whether it is a group), in the order `npscli --help` lists them
_ENTRIES: dict[str, tuple[str, str, bool]] = {
    "import": ("importing", "import_command", False),
    "imports": ("importing", "imports_command", False),
    "score": ("scoring", "score_command", False),
    "detractors": ("detractors", "detractors_command", False),
    "tickets": ("tickets", "app", True),
    "draft-outreach": ("outreach", "draft_outreach_command", False),
    "templates": ("outreach", "templates_app", True),
    "alert": ("alerts", "alert_command", False),
    "themes": ("themes", "app", True),
    "init": ("config_cmd", "init_command", False),
    "config": ("config_cmd", "app", True),
    "db": ("db", "app", True),
    "report": ("report", "report_app", True),
}
# what may come before the command name and still leave the command alone to build (flags without a value)
_ROOT_FLAGS = {"--debug", "--quiet", "-q"}


def _version(value: bool) -> None:
    if value:
        print(f"npscli {__version__}")
        raise typer.Exit()


def root(
    debug: DebugOpt = False,
    quiet: QuietOpt = False,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    set_debug(debug)
    set_quiet(quiet)


def build_app(only: str | None = None) -> NpsTyper:
    """The root app with every command and group, or with ``only`` that one (a name of ``_ENTRIES``)."""
    built = make_app(
        help="Close the loop on patient feedback: import NPS exports, score them, follow up on every detractor.",
        add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
        epilog="Exit codes: 0 ok, 1 internal error, 2 usage, 3 input, 4 store, 5 not found, 6 conflict, "
        "7 delivery failed, 8 configuration.",
    )
    built.callback()(root)
    for name, (module, attribute, group) in _ENTRIES.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(f"npscli.cli.{module}"), attribute)
        if group:
            built.add_typer(target, name=name)
        else:
            built.command(name)(target)
    return built


def _only_command(args: list[str]) -> str | None:
    """The command the arguments run, when nothing else needs the whole tree: only the root flags
    ``_ROOT_FLAGS`` before a known command name, and no shell completion under way."""
    if "_NPSCLI_COMPLETE" in os.environ or "_TYPER_COMPLETE_ARGS" in os.environ:
        return None
    for arg in args:
        if arg in _ROOT_FLAGS:
            continue
        return arg if arg in _ENTRIES else None
    return None


def __getattr__(name: str):
    if name == "app":  # the whole tree, built once on first use
        globals()["app"] = built = build_app()
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _tune_gc() -> None:
    """Fewer cyclic-garbage passes for a short-lived process.

    A command imports several hundred modules (pandas, SQLAlchemy) and builds thousands of objects that
    live until it exits; with the default thresholds the collector scans them again and again (about 8 % of
    the CPU of `detractors --since 7d` or `score FILE`). What exists once the CLI is imported is frozen
    (never scanned), and the young generation is collected every 200,000 allocations instead of 700: the
    imports a command makes inside it (pandas and npscli's readers: about 150,000 objects that live until
    exit) then pass without a collection (at 50,000, one or two came among them and scanned them: about
    25 ms of `score FILE` on 2,000 rows; on the 1M-row export 5.5 -> 5.2 CPU-s, 3 runs each; the import of
    200,000 rows the same CPU and peak memory). Garbage cycles are still collected, only later.
    """
    import gc

    gc.freeze()
    gc.set_threshold(200_000, 20, 10)


def _one_blas_thread() -> None:
    """One OpenBLAS thread, unless the user set OPENBLAS_NUM_THREADS: importing numpy otherwise starts a pool of
    threads (one per core) that spin while they wait for work, about 55 ms of CPU a start on 2 cores (a tenth of
    `score FILE` on a small export), for matrix products npscli never computes (it calls no BLAS routine; its
    sums and means are numpy's own loops). Set before numpy is imported: only the commands import it."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main() -> None:
    import sys

    _one_blas_thread()
    only = _only_command(sys.argv[1:])
    cli = build_app(only) if only is not None else build_app()
    _tune_gc()
    cli(prog_name="npscli")  # also under `python -m npscli`: completion is keyed by the program's name
