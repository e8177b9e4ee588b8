"""`npscli alert`: tell the right people of every new detractor, exactly once, from cron.

Off a terminal (cron) a successful run prints nothing, so cron mails only when something went wrong:
each distinct delivery error as one warning line, then the error line of the exit status.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.options import AsOfOpt, DbOpt, FormatOpt, QuietOpt, SinceOpt
from npscli.cli.output import (
    Col,
    OutputFormat,
    emit,
    message,
    set_quiet,
    stderr_is_terminal,
    stdout_is_terminal,
    warn,
)
from npscli.core.errors import ConfigError, DeliveryError, UsageError

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
    quiet: QuietOpt = False,
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
    from datetime import timedelta

    from npscli.core.periods import parse_since

    if quiet:
        set_quiet(True)
    from npscli.core.routing import parse_alert_settings
    from npscli.services import alerts as engine
    from npscli.services import issue_alerts as issues

    if since and since_last:
        raise UsageError("--since and --since-last cannot be combined", hint="--since-last is the default")
    s = context.settings(database=db)
    where = str(s.config_path) if s.config_path else None
    cfg = parse_alert_settings(s.section("alerts"), s.section("routing"), where=where)
    if not cfg.email_recipients and not cfg.webhook_url:
        raise ConfigError(
            "no alert recipients are configured",
            hint="set alerts.default_recipients and/or [[routing.rules]] (or alerts.webhook_url) in npscli.toml",
        )
    use_email = bool(cfg.email_recipients)
    if use_email and cfg.sender is None:
        raise ConfigError(
            f"{where + ': ' if where else ''}`alerts.from` is not set: alerts need a sender",
            hint='from = "Patient Experience <px@riverside.example.org>"',
        )
    now = context.now(as_of, s)
    if since:
        floor = parse_since(since, now)
    else:
        bounds = [cfg.start_moment(s.timezone)]
        if cfg.max_age_hours:
            bounds.append(now - timedelta(hours=cfg.max_age_hours))
        floor = max((b for b in bounds if b is not None), default=None)

    mailer = None
    if use_email and not dry_run:
        if outbox is not None:
            from npscli.io.mailer import OutboxMailer

            mailer = OutboxMailer(outbox)
        else:
            from npscli.io.mailer import SmtpMailer, SmtpSettings

            mailer = SmtpMailer(SmtpSettings.from_section(s.section("smtp"), where=where))

    webhook = None
    if cfg.webhook_url:
        from npscli.io.webhook import webhook_label

        webhook = webhook_label(cfg.webhook_url)
    run = engine.RunContext(
        settings=cfg,
        tz=s.timezone,
        clinic_name=s.clinic_name,
        now=now,
        actor=s.user,
        templates_dir=s.templates_dir,
        digest=cfg.digest if digest is None else digest,
        use_email=use_email,
        webhook=webhook,
        people=engine.people_addresses(s.sections, cfg),
    )
    store = context.open_db(s)

    if dry_run:
        rows = engine.preview(store, run, since=floor)
        _with_emerging(store, run, s, rows)
        jobs = engine.compose_jobs(rows, run)  # renders everything: a template error shows now, not at 3 am
        issue_jobs = issues.issue_jobs(store, issues.preview_issues(store, run, since=floor), run)
        report = _same_fields(
            engine.report_rows(jobs, run, dry_run=True) + issues.issue_report_rows(issue_jobs, dry_run=True)
        )
        _show(report, fmt, always=True, title=f"{len(report)} alert(s) would be sent")
        return

    from npscli.store import emerging as issue_book
    from npscli.store.alerts import claim, run_lock

    with run_lock(store):
        claim(store, engine.plan(store, run, since=floor), now=now)
        rows = engine.pending_deliveries(store, run)
        _with_emerging(store, run, s, rows)
        issue_book.claim(store, issues.plan_issues(run, since=floor), now=now)
        jobs = engine.compose_jobs(rows, run)
        issue_jobs = issues.issue_jobs(store, issue_book.pending(store) if use_email else [], run)
        engine.deliver(store, jobs, run, mailer=mailer, how="to the outbox" if outbox else "by email")
        issues.deliver_issues(store, issue_jobs, mailer=mailer, now=now)
    report = engine.report_rows(jobs, run, outbox=outbox is not None)
    report = _same_fields(report + issues.issue_report_rows(issue_jobs, outbox=outbox is not None))
    _show(report, fmt, always=False, title=f"{len(report)} alert(s)")
    failed = [r for r in report if r["result"] == "failed"]
    delivered = len(report) - len(failed)
    if stderr_is_terminal() and report:
        where_to = f" (written to {outbox})" if outbox else ""
        message(f"alerted {delivered} of {len(report)}{where_to}; {len(failed)} pending for the next run")
    if failed:
        by_error: dict[str, list[str]] = {}
        for r in failed:
            by_error.setdefault(r["error"] or "unknown error", []).append(r["recipient"])
        for error, recipients in by_error.items():
            who = ", ".join(dict.fromkeys(recipients))
            warn(f"{len(recipients)} alert(s) not delivered ({error}) to: {who}")
        raise DeliveryError(
            f"{len(failed)} of {len(report)} alert(s) could not be delivered; they stay pending and the next "
            "run retries them",
            hint="check [smtp] / alerts.webhook_url and the server; `npscli alert --dry-run` lists what is pending",
        )


def _with_emerging(store, run, s, rows: list[dict]) -> None:
    """Find the emerging issues: for the issue alerts (with e-mail recipients) and the note in the
    detractors' alerts.

    A broken theme taxonomy must not hold the alerts back: they go out without it, with a warning."""
    from npscli.io.taxonomy import load_configured_taxonomy
    from npscli.services import alerts as engine

    if not run.use_email:
        return
    try:
        run.taxonomy = load_configured_taxonomy(s)
        run.detector = context.emerging_detector(s)
    except ConfigError as exc:
        warn(f"emerging issues are left out of these alerts: {exc}")
        return
    engine.find_emerging(store, run)


def _same_fields(rows: list[dict]) -> list[dict]:
    """Every row with the same fields (CSV takes its columns from the first): an issue's ``theme`` and
    ``summary`` are null on the other kinds."""
    for r in rows:
        r.setdefault("theme", None)
        r.setdefault("summary", None)
    return rows


def _show(rows: list[dict], fmt: OutputFormat, *, always: bool, title: str) -> None:
    """Data to stdout: JSON/CSV/markdown always; the table only on a terminal (or for --dry-run)."""
    if fmt is OutputFormat.table and not (always or stdout_is_terminal()):
        return
    if fmt is OutputFormat.table and not rows:
        if always or stderr_is_terminal():
            message("nothing to alert")
        return
    emit(rows, fmt, ROW_COLS, title=title)
