"""`npscli report weekly|monthly`: the trend report for managers, written to files and mailed, from cron.

A typical crontab line (Monday 07:00, last week's report, mailed to the clinic leads)::

    0 7 * * 1  npscli --quiet report weekly --out /srv/reports --email-to leads@clinic.example

The file paths written go to stdout, one per line; what happened goes to stderr. A period without
responses still writes (and mails) a short report that says so, and exits 0.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from npscli.cli import context
from npscli.cli.app import make_app
from npscli.cli.options import AsOfOpt, DbOpt, QuietOpt
from npscli.cli.output import message, set_quiet, warn
from npscli.core.errors import ConfigError, DeliveryError, UsageError

report_app = make_app(
    help="Weekly and monthly trend reports: HTML with charts, Excel with native charts, Markdown; mail them from cron."
)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

OutOpt = Annotated[
    Path | None,
    typer.Option("--out", metavar="DIR", help="Folder to write the report files to (else reports.out_dir, else '.')."),
]
ReportFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        "-f",
        metavar="FILES",
        help="Files to write, comma-separated: html, xlsx, md, json (default html,xlsx,md).",
    ),
]
ReportLocationOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--location",
        metavar="NAME",
        help="One report for this location (repeatable: one report each); 'all': one per location. "
        "Default: one report for the whole clinic.",
    ),
]
EmailToOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--email-to",
        metavar="ADDRESS",
        help="Mail the report (HTML body, XLSX attached) to this address (repeatable; else reports.email_to).",
    ),
]
OutboxOpt = Annotated[
    Path | None,
    typer.Option(
        "--outbox", metavar="DIR", help="With --email-to: write the e-mail as an .eml file into DIR, not send it."
    ),
]
IncludeContactOpt = Annotated[
    bool,
    typer.Option("--include-contact", help="Put patient contact details on the XLSX Detractors sheet (JSON too)."),
]


@report_app.command("weekly")
def weekly_command(
    week: Annotated[
        str | None,
        typer.Option("--week", metavar="WEEK", help="The ISO week, e.g. 2025-W47 (default: the last complete week)."),
    ] = None,
    as_of: AsOfOpt = None,
    out: OutOpt = None,
    formats: ReportFormatOpt = None,
    location: ReportLocationOpt = None,
    email_to: EmailToOpt = None,
    outbox: OutboxOpt = None,
    include_contact: IncludeContactOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write the weekly NPS trend report (HTML, XLSX, Markdown) and optionally mail it.

    Without --week, the report covers the last complete Monday-Sunday week before now (--as-of).
    """
    if quiet:
        set_quiet(True)
    run_report("week", week, as_of, out, formats, location, email_to, outbox, include_contact, db)


@report_app.command("monthly")
def monthly_command(
    month: Annotated[
        str | None,
        typer.Option("--month", metavar="MONTH", help="The month, e.g. 2025-11 (default: the last complete month)."),
    ] = None,
    as_of: AsOfOpt = None,
    out: OutOpt = None,
    formats: ReportFormatOpt = None,
    location: ReportLocationOpt = None,
    email_to: EmailToOpt = None,
    outbox: OutboxOpt = None,
    include_contact: IncludeContactOpt = False,
    db: DbOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Write the monthly NPS trend report (HTML, XLSX, Markdown) and optionally mail it.

    Without --month, the report covers the last complete calendar month before now (--as-of).
    """
    if quiet:
        set_quiet(True)
    run_report("month", month, as_of, out, formats, location, email_to, outbox, include_contact, db)


def report_settings(s) -> dict[str, Any]:
    """The ``[reports]`` section of npscli.toml (declared and checked in ``npscli.core.config_schema``)."""
    from npscli.config import relative_to_config
    from npscli.core import config_schema as schema

    section = s.section("reports")
    schema.require_valid("reports", section, str(s.config_path) if s.config_path else None)
    trend = section.get("trend_periods", schema.default("reports", "trend_periods"))
    comments = section.get("comments", schema.default("reports", "comments"))
    email_to = section.get("email_to", [])
    out_dir = section.get("out_dir")
    if isinstance(out_dir, str) and out_dir:
        out_dir = relative_to_config(s.config_path, out_dir)  # relative to the file, as every path in it
    sender = section.get("from") or s.section("alerts").get("from")
    return {
        "sender": sender if isinstance(sender, str) and sender.strip() else None,
        "out_dir": out_dir,
        "formats": section.get("formats", schema.default("reports", "formats")),
        "email_to": [email_to] if isinstance(email_to, str) else list(email_to),
        "trend_periods": trend,
        "comments": comments,
    }


def load_taxonomy_for(s):
    """The theme taxonomy of ``[themes] taxonomy`` in npscli.toml, else the packaged one."""
    from npscli.io.taxonomy import load_configured_taxonomy

    return load_configured_taxonomy(s)


def run_report(
    kind: str,
    key: str | None,
    as_of: str | None,
    out: Path | None,
    formats: str | None,
    location: list[str] | None,
    email_to: list[str] | None,
    outbox: Path | None,
    include_contact: bool,
    db: str | None,
) -> None:
    from npscli.reports.render import parse_formats, write_report
    from npscli.reports.weekly import ReportOptions, locations_in, make_period, resolve_period, trailing_keys

    s = context.settings(database=db)
    cfg = report_settings(s)
    now = context.now(as_of, s)
    chosen = parse_formats(formats or cfg["formats"])
    recipients = [a.strip() for a in (email_to or cfg["email_to"]) if a.strip()]
    for address in recipients:
        if "@" not in address or any(c in address for c in " ,;<>\r\n"):
            raise UsageError(f"{address!r} is not an e-mail address", hint="repeat --email-to for each address")
    if outbox is not None and not recipients:
        raise UsageError("--outbox needs --email-to (or reports.email_to): it holds the e-mail instead of sending it")
    out_dir = Path(out or cfg["out_dir"] or ".").expanduser()
    period = resolve_period(kind, key, now, s.timezone)  # checks --week / --month before touching the store
    mailer = make_mailer(s, cfg, outbox) if recipients else None
    store = context.open_db(s)

    targets: list[str | None] = [None]
    if location:
        first = trailing_keys(period.key, cfg["trend_periods"])[0]
        known = locations_in(store, make_period(kind, first, s.timezone).start, period.end)
        span = f"the {cfg['trend_periods']} {kind}s up to {period.key}"
        if [v.strip().lower() for v in location] == ["all"]:
            targets = list(known)
            if not known:
                message(f"no location has responses in {span}: no report written")
        else:
            spelled = {" ".join(name.split()).casefold(): name for name in known}  # "downtown" is "Downtown"
            asked = [v.strip() for v in location if v.strip()]
            targets = list(dict.fromkeys(spelled.get(" ".join(v.split()).casefold(), v) for v in asked))
            for name in targets:
                if name not in known:  # a typo in a crontab should not go unnoticed for weeks
                    warn(f"no responses from location {name!r} in {span} (known: {', '.join(known) or 'none'})")

    taxonomy = load_taxonomy_for(s)
    failures: list[str] = []
    for target in targets:
        opts = ReportOptions(
            kind=kind,
            key=period.key,
            location=target,
            timezone=s.timezone,
            method=s.ci,
            min_n=s.min_n,
            trend_periods=cfg["trend_periods"],
            comments=cfg["comments"],
            include_contact=include_contact,
            ticket_threshold=s.tickets.threshold,
            clinic_name=s.clinic_name,
            taxonomy=taxonomy,
            emerging=context.emerging_detector(s),
        )
        report = _build(store, opts, now)
        written = write_report(report, chosen, out_dir, user_dir=s.templates_dir)
        for path in written.values():
            sys.stdout.write(f"{path}\n")
        where = f" ({target})" if target else ""
        if report["has_data"]:
            o = report["overall"]
            message(f"{kind} {period.key}{where}: NPS {o['nps']:.1f}, n = {o['n']}; wrote {len(written)} file(s)")
        else:
            message(f"no responses in {kind} {period.key}{where}: wrote a short report saying so")
        if mailer is not None:
            errors = send_report(mailer, cfg["sender"], report, recipients, user_dir=s.templates_dir)
            failures += [f"{period.key}{where}: {e}" for e in errors]
            if not errors:
                how = f"wrote the e-mail to {outbox}" if outbox else f"mailed to {', '.join(recipients)}"
                message(f"{period.key}{where}: {how}")
    if failures:
        raise DeliveryError(
            "the report was written but not mailed to everyone: " + "; ".join(failures),
            hint="check [smtp] in npscli.toml and the addresses, then re-run the same command "
            "(the files are rewritten)",
        )


def _build(store, opts, now):
    from npscli.reports.weekly import build_report

    return build_report(store, opts, now)


def report_subject(report: dict[str, Any]) -> str:
    where = f" — {report['location']}" if report["location"] else ""
    if not report["has_data"]:
        return f"NPS {report['report']} report {report['period']['key']}{where}: no responses"
    o = report["overall"]
    return f"NPS {report['report']} report {report['period']['key']}{where}: NPS {o['nps']:.1f} (n = {o['n']})"


def make_mailer(s, cfg: dict[str, Any], outbox: Path | None):
    """The one SMTP sender (npscli.io.mailer), or its outbox twin; checked before any report is built."""
    from npscli.io.mailer import OutboxMailer, SmtpMailer, SmtpSettings

    if cfg["sender"] is None:
        raise ConfigError(
            f"{s.config_path or 'config'}: `reports.from` (or `alerts.from`) is not set: "
            "the report e-mail needs a sender",
            hint='[reports] from = "Patient Experience <px@clinic.example.org>"',
        )
    if outbox is not None:
        return OutboxMailer(outbox)
    where = str(s.config_path) if s.config_path else None
    return SmtpMailer(SmtpSettings.from_section(s.section("smtp"), where=where))


def send_report(
    mailer, sender: str, report: dict[str, Any], recipients: list[str], *, user_dir: str | None = None
) -> list[str]:
    """Mail one report: the HTML as the body (the Markdown as its plain-text part), the XLSX attached.
    Returns the delivery errors (empty when every recipient was accepted)."""
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
    return [r.error or f"{r.recipient}: not delivered" for r in mailer.send([message_out]) if not r.ok]
