"""The `npscli` command: wires every command group into one Typer app.

Command modules import only Typer and the standard library at import time; pandas, SQLAlchemy and
openpyxl are imported inside the commands, so `npscli --help` starts fast. The modules that define commands
do without `from __future__ import annotations`: Typer reads every parameter's annotation when it builds
the commands, each process, and string annotations would be evaluated one by one (about 13 ms a start).
"""

from typing import Annotated

import typer

from npscli import __version__
from npscli.cli import alerts, config_cmd, db, detractors, importing, outreach, report, scoring, themes, tickets
from npscli.cli.app import make_app
from npscli.cli.errors import set_debug
from npscli.cli.output import set_quiet

app = make_app(
    help="Close the loop on patient feedback: import NPS exports, score them, follow up on every detractor.",
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    epilog="Exit codes: 0 ok, 1 internal error, 2 usage, 3 input, 4 store, 5 not found, 6 conflict, "
    "7 delivery failed, 8 configuration.",
)


def _version(value: bool) -> None:
    if value:
        print(f"npscli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks (also NPSCLI_DEBUG=1).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors and data on output.")] = False,
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    set_debug(debug)
    set_quiet(quiet)


app.command("import")(importing.import_command)
app.command("imports")(importing.imports_command)
app.command("score")(scoring.score_command)
app.command("detractors")(detractors.detractors_command)
app.add_typer(tickets.app, name="tickets")
app.command("draft-outreach")(outreach.draft_outreach_command)
app.add_typer(outreach.templates_app, name="templates")
app.command("alert")(alerts.alert_command)
app.add_typer(themes.app, name="themes")
app.command("init")(config_cmd.init_command)
app.add_typer(config_cmd.app, name="config")
app.add_typer(db.app, name="db")
app.add_typer(report.report_app, name="report")


def _tune_gc() -> None:
    """Fewer cyclic-garbage passes for a short-lived process.

    A command imports several hundred modules (pandas, SQLAlchemy) and builds thousands of objects that
    live until it exits; with the default thresholds the collector scans them again and again (about 8 % of
    the CPU of `detractors --since 7d` or `score FILE`). What exists once the CLI is imported is frozen
    (never scanned), and the young generation is collected every 50,000 allocations instead of 700.
    Garbage cycles are still collected, only later.
    """
    import gc

    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


def main() -> None:
    _tune_gc()
    app(prog_name="npscli")  # also under `python -m npscli`: completion is keyed by the program's name
