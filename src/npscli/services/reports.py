"""The `npscli report weekly|monthly` use case: which period and locations, build, write, mail.

The command checks its options into a :class:`ReportRequest`; ``report_targets`` matches the asked locations
to those with responses (ignoring case and spacing, "downtown" is "Downtown"); ``run_reports`` builds each
report (``npscli.services.weekly``), writes its files (``npscli.reports.render``) and mails it, and says what
happened through ``note`` (progress lines), ``written`` (each file path, the command's stdout) and returns the
reports not delivered to everyone (:class:`Unsent`, with the recipients each missed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from npscli.core.errors import ConfigError, UsageError
from npscli.core.names import fold_name, near_names

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ReportRequest:
    kind: str  # "week" or "month"
    key: str | None  # --week / --month as given (None: the last complete one)
    out_dir: Path
    formats: tuple[str, ...]
    locations: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    outbox: Path | None = None
    include_contact: bool = False
    settings: dict[str, Any] = field(default_factory=dict)  # [reports] of npscli.toml, checked


@dataclass(frozen=True)
class Unsent:
    """A report that did not reach everyone: its period, location (None: the whole clinic), the recipients not
    reached and why."""

    key: str
    location: str | None
    recipients: tuple[str, ...]
    errors: tuple[str, ...]

    def text(self) -> str:
        where = f" ({self.location})" if self.location else ""
        return "; ".join(f"{self.key}{where}: {e}" for e in self.errors)


def recipients_of(addresses: list[str]) -> tuple[str, ...]:
    """The --email-to / reports.email_to addresses, each checked to be one plain address."""
    recipients = tuple(a.strip() for a in addresses if a.strip())
    for address in recipients:
        if "@" not in address or any(c in address for c in " ,;<>\r\n"):
            raise UsageError(f"{address!r} is not an e-mail address", hint="repeat --email-to for each address")
    return recipients


def report_targets(store, req: ReportRequest, period, tz: str) -> tuple[list[str | None], list[str], list[str]]:
    """The reports to build: [None] (the whole clinic), every location with responses ('all'), or the asked
    locations in their stored spelling. Returns the targets, notes and warnings (a typo in a crontab should not
    go unnoticed for weeks)."""
    from npscli.services.weekly import make_period, trailing_keys
    from npscli.store.queries import locations_in

    if not req.locations:
        return [None], [], []
    trend = req.settings["trend_periods"]
    first = trailing_keys(period.key, trend)[0]
    known = locations_in(store, make_period(req.kind, first, tz).start, period.end)
    span = f"the {trend} {req.kind}s up to {period.key}"
    if [v.strip().lower() for v in req.locations] == ["all"]:
        notes = [] if known else [f"no location has responses in {span}: no report written"]
        return list(known), notes, []
    spelled = {fold_name(name): name for name in known}
    asked = [v.strip() for v in req.locations if v.strip()]
    targets: list[str | None] = list(dict.fromkeys(spelled.get(fold_name(v), v) for v in asked))
    warnings = [
        f"no responses from location {name!r} in {span}{_meant(name, known)} (known: {', '.join(known) or 'none'})"
        for name in targets
        if name not in known
    ]
    return targets, [], warnings


def period_about_to_end(kind: str, now: datetime, tz: str, *, within_hours: float = 12) -> tuple[str, float] | None:
    """The period ``now`` is in and the hours left of it, when it ends within ``within_hours``: a report run
    then (cron on a UTC server, Monday 07:00 UTC being Sunday 23:00 in California) is of the period before,
    which is not what a Monday-morning job means."""
    from npscli.core.periods import period_key
    from npscli.services.weekly import make_period

    current = make_period(kind, period_key(now.date(), kind), tz)
    left = (current.end - now).total_seconds() / 3600
    return (current.key, left) if 0 < left <= within_hours else None


def _meant(name: str, known: list[str]) -> str:
    close = near_names(name, known)
    return f"; did you mean {' or '.join(repr(v) for v in close)}?" if close else ""


def make_mailer(s, cfg: dict[str, Any], outbox: Path | None, *, now: datetime | None = None):
    """The one SMTP sender (npscli.io.mailer), or its outbox twin; checked before any report is built."""
    from npscli.io.mailer import OutboxMailer, SmtpMailer, SmtpSettings

    if cfg["sender"] is None:
        raise ConfigError(
            f"{s.where('reports', '') or 'config'}: [reports] from: is not set (nor [alerts] from): "
            "the report e-mail needs a sender",
            hint='[reports] from = "Patient Experience <px@clinic.example.org>"',
        )
    if outbox is not None:
        return OutboxMailer(outbox, now=now)
    return SmtpMailer(SmtpSettings.from_section(s.section("smtp"), where=s.where))


def run_reports(
    store,
    s,
    req: ReportRequest,
    period,
    *,
    now: datetime,
    mailer=None,
    note: Callable[[str], None] = lambda line: None,
    warn: Callable[[str], None] = lambda line: None,
    written: Callable[[Path], None] = lambda path: None,
    building: Callable[[int, int, str | None], None] = lambda done, total, target: None,
) -> list[Unsent]:
    """Build, write and (with a mailer) mail every report; returns the reports not delivered to everyone, with
    the recipients they missed. ``building(done, total, target)`` is told before each report (a progress display
    on a terminal)."""
    from npscli.io.taxonomy import load_configured_taxonomy
    from npscli.reports.render import write_report
    from npscli.services.themes import emerging_detector
    from npscli.services.weekly import ReportOptions, build_report

    cfg = req.settings
    targets, notes, warnings = report_targets(store, req, period, s.timezone)
    for line in notes:
        note(line)
    for line in warnings:
        warn(line)
    taxonomy = load_configured_taxonomy(s)
    detector = emerging_detector(s)
    failures: list[Unsent] = []
    for done, target in enumerate(targets):
        building(done, len(targets), target)
        opts = ReportOptions(
            kind=req.kind,
            key=period.key,
            location=target,
            timezone=s.timezone,
            method=s.ci,
            min_n=s.min_n,
            trend_periods=cfg["trend_periods"],
            comments=cfg["comments"],
            include_contact=req.include_contact,
            ticket_threshold=s.tickets.threshold,
            # not configured: the report names no clinic (no "our clinic" in a manager's report)
            clinic_name=None if s.origins.get("clinic_name", "default") == "default" else s.clinic_name,
            taxonomy=taxonomy,
            emerging=detector,
        )
        report = build_report(store, opts, now)
        files = write_report(report, list(req.formats), req.out_dir, user_dir=s.templates_dir)
        for path in files.values():
            written(path)
        where = f" ({target})" if target else ""
        if report["has_data"]:
            o = report["overall"]
            note(f"{req.kind} {period.key}{where}: NPS {o['nps']:.1f}, n = {o['n']}; wrote {len(files)} file(s)")
        else:
            note(f"no responses in {req.kind} {period.key}{where}: wrote a short report saying so")
        if mailer is not None:
            missed = send_report(mailer, cfg["sender"], report, list(req.recipients), user_dir=s.templates_dir)
            if missed:
                failures.append(Unsent(period.key, target, tuple(r for r, _ in missed), tuple(e for _, e in missed)))
            else:
                how = f"wrote the e-mail to {req.outbox}" if req.outbox else f"mailed to {', '.join(req.recipients)}"
                note(f"{period.key}{where}: {how}")
    return failures


def report_subject(report: dict[str, Any]) -> str:
    where = f" — {report['location']}" if report["location"] else ""
    if not report["has_data"]:
        return f"NPS {report['report']} report {report['period']['key']}{where}: no responses"
    o = report["overall"]
    return f"NPS {report['report']} report {report['period']['key']}{where}: NPS {o['nps']:.1f} (n = {o['n']})"


def send_report(
    mailer, sender: str, report: dict[str, Any], recipients: list[str], *, user_dir: str | None = None
) -> list[str]:
    """Mail one report: the HTML as the body (the Markdown as its plain-text part), the XLSX attached.
    Returns (recipient, error) for each recipient not reached (empty when every one was accepted)."""
    from npscli.io.mailer import compose
    from npscli.reports.render import file_name, render_bytes

    message_out = compose(
        sender=sender,
        to=recipients,
        subject=report_subject(report),
        text=render_bytes(report, "md", user_dir=user_dir).decode("utf-8"),
        html=render_bytes(report, "html", user_dir=user_dir).decode("utf-8"),
        name=file_name(report, "eml").removesuffix(".eml"),
    )
    message_out.attach(render_bytes(report, "xlsx"), file_name(report, "xlsx"), XLSX_MIME)
    return [(r.recipient, r.error or f"{r.recipient}: not delivered") for r in mailer.send([message_out]) if not r.ok]
