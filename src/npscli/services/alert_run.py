"""The whole `npscli alert` use case: who to tell of what, since when, through what, and what happened.

``prepare`` turns the settings and options into a :class:`~npscli.services.alerts.RunContext`, the time floor
and the mailer (refusing a configuration that cannot alert anyone); ``run_alerts`` plans, claims, composes and
delivers the detractor alerts, escalations and emerging-issue alerts under the store's run lock (or, dry, only
composes them), and returns the report rows the command shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from npscli.core.errors import ConfigError, DeliveryError, UsageError
from npscli.services import alerts as engine
from npscli.services import issue_alerts as issues

if TYPE_CHECKING:
    from npscli.config import Settings
    from npscli.store.engine import Store


@dataclass
class AlertPlan:
    run: engine.RunContext
    floor: datetime | None
    mailer: Any = None
    outbox: Path | None = None
    settings: Any = None  # npscli.config.Settings


@dataclass
class AlertOutcome:
    report: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.report if r["result"] == "failed"]


def prepare(
    s: Settings,
    *,
    now: datetime,
    since: str | None,
    since_last: bool,
    digest: bool | None,
    dry_run: bool,
    outbox: Path | None,
) -> AlertPlan:
    from npscli.core.periods import parse_since
    from npscli.core.routing import parse_alert_settings

    if since and since_last:
        raise UsageError("--since and --since-last cannot be combined", hint="--since-last is the default")
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
            f"{s.where('alerts', '') + ': ' if s.config_path else ''}[alerts] from: is not set: alerts need a sender",
            hint='from = "Patient Experience <px@riverside.example.org>"',
        )
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

            mailer = OutboxMailer(outbox, now=now)
        else:
            from npscli.io.mailer import SmtpMailer, SmtpSettings

            mailer = SmtpMailer(SmtpSettings.from_section(s.section("smtp"), where=s.where))
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
    return AlertPlan(run=run, floor=floor, mailer=mailer, outbox=outbox, settings=s)


def run_alerts(
    store: Store, plan: AlertPlan, *, dry_run: bool, settled: Callable[[int, int], None] = lambda done, total: None
) -> AlertOutcome:
    """Send (or, dry, compose) everything due; every template rendered before anything is sent. ``settled(done,
    total)`` follows the deliveries (a progress display)."""
    run, floor, outcome = plan.run, plan.floor, AlertOutcome()
    if dry_run:
        rows = engine.preview(store, run, since=floor)
        _with_emerging(store, plan, outcome)
        jobs = engine.compose_jobs(rows, run)  # renders everything: a template error shows now, not at 3 am
        issue_jobs = issues.issue_jobs(store, issues.preview_issues(store, run, since=floor), run)
        outcome.report = _same_fields(
            engine.report_rows(jobs, run, dry_run=True) + issues.issue_report_rows(issue_jobs, dry_run=True)
        )
        return outcome

    from npscli.store import emerging as issue_book
    from npscli.store.alerts import claim, run_lock

    outbox = plan.outbox is not None
    with run_lock(store):
        claim(store, engine.plan(store, run, since=floor), now=run.now)
        rows = engine.pending_deliveries(store, run)
        _with_emerging(store, plan, outcome)
        issue_book.claim(store, issues.plan_issues(run, since=floor), now=run.now)
        jobs = engine.compose_jobs(rows, run)
        issue_jobs = issues.issue_jobs(store, issue_book.pending(store) if run.use_email else [], run)
        how = "to the outbox" if outbox else "by email"
        engine.deliver(store, jobs, run, mailer=plan.mailer, how=how, settled=settled)
        issues.deliver_issues(store, issue_jobs, mailer=plan.mailer, now=run.now)
    report = engine.report_rows(jobs, run, outbox=outbox) + issues.issue_report_rows(issue_jobs, outbox=outbox)
    uncertain = [r for r in report if r.get("uncertain")]
    if uncertain:
        outcome.warnings.append(
            f"{len(uncertain)} alert(s) may have been delivered by an earlier run that stopped or lost the "
            "server's answer (to: "
            f"{', '.join(dict.fromkeys(r['recipient'] for r in uncertain))}); sent again with the same Message-ID, "
            "which a mail system that has the first one drops"
        )
    outcome.report = _same_fields(report)
    return outcome


def failure_lines(outcome: AlertOutcome) -> list[str]:
    """One line per distinct delivery error, naming its recipients (what cron mails to the person on call)."""
    by_error: dict[str, list[str]] = {}
    for r in outcome.failed:
        by_error.setdefault(r["error"] or "unknown error", []).append(r["recipient"])
    return [
        f"{len(recipients)} alert(s) not delivered ({error}) to: {', '.join(dict.fromkeys(recipients))}"
        for error, recipients in by_error.items()
    ]


def delivery_error(outcome: AlertOutcome) -> DeliveryError | None:
    failed = outcome.failed
    if not failed:
        return None
    return DeliveryError(
        f"{len(failed)} of {len(outcome.report)} alert(s) could not be delivered; they stay pending and the next "
        "run retries them",
        hint="check [smtp] / alerts.webhook_url and the server; `npscli alert --dry-run` lists what is pending",
    )


def _with_emerging(store: Store, plan: AlertPlan, outcome: AlertOutcome) -> None:
    """Find the emerging issues: for the issue alerts (with e-mail recipients) and the note in the
    detractors' alerts.

    A broken theme taxonomy must not hold the alerts back: they go out without it, with a warning."""
    from npscli.io.taxonomy import load_configured_taxonomy
    from npscli.services.themes import emerging_detector

    run, s = plan.run, plan.settings
    if not run.use_email:
        return
    try:
        run.taxonomy = load_configured_taxonomy(s)
        run.detector = emerging_detector(s)
    except ConfigError as exc:
        outcome.warnings.append(f"emerging issues are left out of these alerts: {exc}")
        return
    engine.find_emerging(store, run)


def _same_fields(rows: list[dict]) -> list[dict]:
    """Every row with the same fields (CSV takes its columns from the first): an issue's ``theme`` and
    ``summary`` are null on the other kinds."""
    for r in rows:
        r.setdefault("theme", None)
        r.setdefault("summary", None)
        r.setdefault("uncertain", False)
    return rows
