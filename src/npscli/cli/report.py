"""`npscli report weekly|monthly`: the trend report for managers, written to files and mailed, from cron.

A typical crontab line (Monday 07:00, last week's report, mailed to the clinic leads)::

    0 7 * * 1  npscli --quiet report weekly --out /srv/reports --email-to leads@clinic.example

The file paths written go to stdout, one per line; what happened goes to stderr. A period without
responses still writes (and mails) a short report that says so, and exits 0.
"""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from npscli.cli import context
from npscli.cli.app import make_app
from npscli.cli.options import AsOfOpt, DbOpt
from npscli.cli.output import message, steps_progress, warn
from npscli.core.errors import DeliveryError, UsageError

report_app = make_app(
    help="Weekly and monthly trend reports: HTML with charts, Excel with native charts, Markdown; mail them from cron."
)


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
) -> None:
    """Write the weekly NPS trend report (HTML, XLSX, Markdown) and optionally mail it.

    Without --week, the report covers the last complete Monday-Sunday week before now (--as-of).
    """
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
) -> None:
    """Write the monthly NPS trend report (HTML, XLSX, Markdown) and optionally mail it.

    Without --month, the report covers the last complete calendar month before now (--as-of).
    """
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
    """The body of `report weekly` and `report monthly`: options to a request, the service, its output."""
    from npscli.reports.render import parse_formats
    from npscli.services.reports import ReportRequest, make_mailer, period_about_to_end, recipients_of, run_reports
    from npscli.services.weekly import resolve_period

    s = context.settings(database=db)
    cfg = report_settings(s)
    now = context.now(as_of, s)
    req = ReportRequest(
        kind=kind,
        key=key,
        out_dir=Path(out or cfg["out_dir"] or ".").expanduser(),
        formats=tuple(parse_formats(formats or cfg["formats"])),
        locations=tuple(location or ()),
        recipients=recipients_of(email_to or cfg["email_to"]),
        outbox=outbox,
        include_contact=include_contact,
        settings=cfg,
    )
    if outbox is not None and not req.recipients:
        raise UsageError("--outbox needs --email-to (or reports.email_to): it holds the e-mail instead of sending it")
    period = resolve_period(kind, key, now, s.timezone)  # checks --week / --month before touching the store
    if period.start > now:
        warn(f"{period.key} has not begun yet (it is {now:%Y-%m-%d} in {s.timezone}): its report says so and no more")
    ending = None if key else period_about_to_end(kind, now, s.timezone)
    if ending:
        current, hours = ending
        left = f"{hours:.0f} h" if hours >= 1 else f"{hours * 60:.0f} min"
        warn(
            f"it is {now:%a %H:%M} in {s.timezone}, {left} before {current} ends, so this is the report "
            f"of {period.key}; a cron line reads the server's clock: put CRON_TZ={s.timezone} above it (or run "
            f"it later), or name the {kind}: --{kind} {current} once it has ended"
        )
    mailer = make_mailer(s, cfg, outbox, now=now) if req.recipients else None
    store = context.open_db(s)
    progress = steps_progress("reports")  # one report per location: on a terminal, how far it is
    failures = run_reports(
        store, s, req, period, now=now, mailer=mailer, note=message, warn=warn, written=_print_path,
        building=lambda done, total, target: progress.step(f"report {target}", done=done, total=total),
    )  # fmt: skip
    progress.done()
    if failures:
        raise DeliveryError(
            "the report was written but not mailed to everyone: " + "; ".join(f.text() for f in failures),
            hint="check [smtp] in npscli.toml and the addresses, then mail it to those it missed only (the "
            f"others have it; the files are rewritten): {_resend_command(kind, period.key, out, failures)}",
        )


def _resend_command(kind: str, key: str, out: Path | None, failures) -> str:
    """The command that mails the reports again to the recipients they missed, and to nobody who has them: the
    period named (a re-run next week would make another), each location, the --out given."""
    import shlex

    def one(locations: list[str | None], recipients: tuple[str, ...]) -> str:
        words = ["npscli", "report", "weekly" if kind == "week" else "monthly", f"--{kind}", key]
        words += [w for place in locations if place for w in ("--location", place)]
        words += [w for address in recipients for w in ("--email-to", address)]
        words += ["--out", str(out)] if out else []
        return shlex.join(words)

    by_recipients: dict[tuple[str, ...], list[str | None]] = {}
    for failure in failures:
        by_recipients.setdefault(failure.recipients, []).append(failure.location)
    return "; ".join(one(places, recipients) for recipients, places in by_recipients.items())


def _print_path(path: Path) -> None:
    sys.stdout.write(f"{path}\n")
