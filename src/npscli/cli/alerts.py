"""`npscli alert`: tell the right people of every new detractor, exactly once, from cron.

Off a terminal (cron) a successful run prints nothing, so cron mails only when something went wrong:
each distinct delivery error as one warning line, then the error line of the exit status.
"""

from pathlib import Path
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.options import AsOfOpt, DbOpt, FormatOpt, SinceOpt
from npscli.cli.output import (
    Col,
    OutputFormat,
    emit,
    message,
    stderr_is_terminal,
    stdout_is_terminal,
    steps_progress,
    warn,
)

ROW_COLS = [
    Col("kind"),
    Col("ticket_id", "ticket"),
    Col("score", justify="right"),
    Col("location"),
    Col("submitted_at", "received", fmt=lambda v: (v or "")[:16].replace("T", " ")),
    Col("recipient"),
    Col("channel"),
    Col("result"),
    Col("error", wrap=True),
]


def alert_command(
    db: DbOpt = None,
    since_last: Annotated[
        bool,
        typer.Option(
            "--since-last",
            help="Everything not alerted yet (the default), within alerts.start / alerts.max_age_hours.",
        ),
    ] = False,
    since: SinceOpt = None,
    as_of: AsOfOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show who would be alerted of what; send and record nothing.")
    ] = False,
    digest: Annotated[
        bool | None,
        typer.Option(
            "--digest/--no-digest", help="One e-mail per recipient listing everything new (else alerts.digest)."
        ),
    ] = None,
    outbox: Annotated[
        Path | None,
        typer.Option(
            "--outbox", metavar="DIR", help="Write .eml files into DIR instead of sending (they count as delivered)."
        ),
    ] = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Alert the right people of new detractors and emerging issues, escalate overdue tickets, once (for cron).

    Recipients come from [[routing.rules]] and [alerts] in npscli.toml; e-mail goes through [smtp] (password
    only from NPSCLI_SMTP_PASSWORD). Without --since, only responses received after alerts.start and within
    alerts.max_age_hours (72) are alerted, so a first run on a long history does not flood anyone.
    An emerging issue (`npscli themes --emerging`) flagged in that time goes once to the recipients its
    location's detractors have (no patient contact details; comments masked).
    Failed deliveries stay pending and are retried by the next run. Exit 0: all delivered (or nothing to do);
    6: another run holds the lock; 7: something could not be delivered; 8: configuration.
    """
    from npscli.services.alert_run import delivery_error, failure_lines, prepare, run_alerts

    s = context.settings(database=db)
    now = context.now(as_of, s)
    plan = prepare(s, now=now, since=since, since_last=since_last, digest=digest, dry_run=dry_run, outbox=outbox)
    store = context.open_db(s)
    progress = steps_progress("alerts")  # on a terminal: the deliveries settled so far
    try:
        outcome = run_alerts(
            store,
            plan,
            dry_run=dry_run,
            settled=lambda done, total: progress.step("sending alerts", done=done, total=total),
        )
    finally:
        progress.done()
        store.dispose()
    for line in outcome.warnings:
        warn(line)
    report = outcome.report
    if dry_run:
        _show(report, fmt, always=True, title=f"{len(report)} alert(s) would be sent")
        return
    _show(report, fmt, always=False, title=f"{len(report)} alert(s)")
    failed = outcome.failed
    if stderr_is_terminal() and report:
        where_to = f" (written to {outbox})" if outbox else ""
        message(
            f"alerted {len(report) - len(failed)} of {len(report)}{where_to}; {len(failed)} pending for the next run"
        )
    for line in failure_lines(outcome):
        warn(line)
    if (error := delivery_error(outcome)) is not None:
        raise error


def _show(rows: list[dict], fmt: OutputFormat, *, always: bool, title: str) -> None:
    """Data to stdout: JSON/CSV/markdown always; the table only on a terminal (or for --dry-run)."""
    if fmt is OutputFormat.table and not (always or stdout_is_terminal()):
        return
    if fmt is OutputFormat.table and not rows:
        if always or stderr_is_terminal():
            message("nothing to alert")
        return
    emit(rows, fmt, ROW_COLS, title=title)
