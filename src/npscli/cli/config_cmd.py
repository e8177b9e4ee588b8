"""`npscli config show` and `npscli init`."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.app import make_app
from npscli.cli.options import DbOpt, FormatOpt
from npscli.cli.output import Col, OutputFormat, emit, message
from npscli.core.errors import ConflictError

app = make_app(help="Show the effective settings and where each came from.")


@app.command("show")
def show(db: DbOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """The effective settings and where each came from (flag, environment, file or default)."""
    from npscli.store.engine import redact_url

    s = context.settings(database=db)
    o = s.origins
    rows = [
        {
            "setting": "config file",
            "value": str(s.config_path or "(none)"),
            "from": "NPSCLI_CONFIG, ./npscli.toml, user dir",
        },
        {"setting": "database", "value": redact_url(s.database_url()), "from": o.get("database", "default")},
        {"setting": "timezone", "value": s.timezone, "from": o.get("timezone", "default")},
        {"setting": "dayfirst", "value": s.dayfirst, "from": o.get("dayfirst", "default")},
        {"setting": "user", "value": s.user, "from": o.get("user", "default")},
        {
            "setting": "templates_dir",
            "value": s.templates_dir or "(packaged only)",
            "from": o.get("templates_dir", "default"),
        },
        {"setting": "min_n", "value": s.min_n, "from": o.get("min_n", "default")},
        {"setting": "ci", "value": s.ci, "from": o.get("ci", "default")},
        {"setting": "clinic_name", "value": s.clinic_name, "from": o.get("clinic_name", "default")},
        {"setting": "clinic_phone", "value": s.clinic_phone or "(none)", "from": o.get("clinic_phone", "default")},
        {"setting": "tickets.threshold", "value": s.tickets.threshold, "from": o.get("tickets", "default")},
        {
            "setting": "tickets.high_priority_max",
            "value": s.tickets.high_priority_max,
            "from": o.get("tickets", "default"),
        },
        {"setting": "tickets.sla_hours", "value": s.tickets.sla_hours, "from": o.get("tickets", "default")},
        {
            "setting": "tickets.sla_hours_by_location",
            "value": ", ".join(f"{k}={v}" for k, v in s.tickets.sla_hours_by_location.items()) or "(none)",
            "from": o.get("tickets", "default"),
        },
        {
            "setting": "tickets.root_causes",
            "value": ", ".join(s.tickets.root_causes),
            "from": o.get("tickets", "default"),
        },
        {"setting": "tickets.sweep_days", "value": s.tickets.sweep_days, "from": o.get("tickets", "default")},
        _emerging_row(s),
        {
            "setting": "sources",
            "value": ", ".join(s.sources) or "(none)",
            "from": o.get("sources", "default"),
        },
        {
            "setting": "smtp password",
            "value": "set (hidden)" if os.environ.get("NPSCLI_SMTP_PASSWORD") else "not set",
            "from": "NPSCLI_SMTP_PASSWORD only",
        },
    ]
    for name in sorted(s.sections):
        rows.append({"setting": f"[{name}]", "value": f"{len(s.sections[name])} setting(s)", "from": o.get(name, "")})
    emit(rows, fmt, [Col("setting"), Col("value", wrap=True), Col("from")])


STARTER = """\
# npscli configuration. Precedence: command-line flag > NPSCLI_* environment > this file > defaults.
# `npscli config show` prints the effective settings and where each came from.

# The store: a SQLite file (default: the user data dir) or a PostgreSQL URL for teams.
# Relative paths in this file are taken from this file's folder.
# database = "npscli.db"
# database = "postgresql://npscli@db.internal/npscli"

# The clinic's time zone: naive export times are read in it, periods use its local dates.
{timezone_line}

# How to read 03/11/2025 when a file does not prove day-first or month-first.
dayfirst = false

# Who you are in ticket histories (else the OS user).
# user = "maria"

# Your clinic, as patients know it: used in outreach drafts and reports.
# clinic_name = "Riverside Health"
# clinic_phone = "(555) 010-0100"

# Groups smaller than this are flagged "low n" (their interval is wide).
min_n = 30
# Interval method: adjusted-wald (default), wald, tango.
ci = "adjusted-wald"

[tickets]
threshold = 6          # scores at or below open a ticket (8 also follows up passives)
sla_hours = 48         # follow-up deadline after the response
sweep_days = 7         # `tickets sweep` closes contacted tickets with no reply after this
high_priority_max = 3  # scores at or below are high priority
root_causes = ["wait_time", "scheduling", "billing", "staff", "communication", "clinical", "facility", "other"]

[tickets.sla_hours_by_location]
# Downtown = 24

# A saved source: the weekly import needs no flags. `match` picks it by file name.
[sources.qualtrics]
match = "qualtrics_*.csv"
# map = { score = "Q1", location = "Clinic" }

# [sources.surveymonkey]
# match = "surveymonkey_*.xlsx"
# map = { location = "Which clinic did you visit?" }

# Alerts (`npscli alert`, from cron): who gets each new detractor. Uncomment and fill in.
# [alerts]
# from = "Patient Experience <px@clinic.example.org>"   # a real, answerable address
# default_recipients = ["px@clinic.example.org"]        # when no rule below ended the search
# escalate_overdue_to = ["quality@clinic.example.org"]  # overdue tickets, once per ticket and person
# include_contact = false   # patient name/e-mail/phone in alerts (minimum necessary: off)
# max_score = 6             # scores at or below are alerted

# Routing rules, checked in order: a matching rule adds its `to` and ends the search,
# unless it says `continue = true`. Keys: location, department, provider (a name or a list),
# min_score, max_score.
# [[routing.rules]]
# max_score = 3
# to = ["Quality Lead <quality@clinic.example.org>"]
# continue = true
# [[routing.rules]]
# location = "Downtown"
# department = "Pediatrics"
# to = ["pediatrics.lead@clinic.example.org"]
# [[routing.rules]]
# location = "Downtown"
# to = ["Downtown Manager <downtown.manager@clinic.example.org>"]

# The mail server for alerts and reports; the password only from NPSCLI_SMTP_PASSWORD.
# [smtp]
# host = "smtp.clinic.example.org"
# port = 587
# security = "starttls"     # starttls (587) | ssl (465) | none (local relay only)
# user = "px@clinic.example.org"

# Who signs the outreach drafts of each location (`npscli draft-outreach`).
# [locations.Downtown]
# phone = "(555) 010-0110"
# manager = { name = "Downtown Manager", title = "Practice Manager", email = "downtown.manager@clinic.example.org" }

# Emerging issues (`npscli themes --emerging`, the alerts, the weekly report): how many false alarms a
# site may expect a year, over all its themes; more means earlier warnings (see bench/README.md).
# [emerging]
# false_alarms_per_site_year = 1

# Weekly/monthly reports (`npscli report weekly`).
# [reports]
# out_dir = "reports"
# email_to = ["leads@clinic.example.org"]
"""


def _emerging_row(s) -> dict:
    """The false-alarm budget of the emerging-issue detector (a broken value shows as such, not a crash)."""
    from npscli.core.errors import ConfigError

    try:
        value: object = context.emerging_detector(s).false_alarms_per_site_year
    except ConfigError as exc:
        value = f"invalid: {exc}"
    return {
        "setting": "emerging.false_alarms_per_site_year",
        "value": value,
        "from": s.origins.get("emerging", "default"),
    }


def starter_text() -> str:
    """The starter file, with this machine's time zone (never someone else's) as the clinic's."""
    from npscli.config import system_timezone

    zone = system_timezone()
    if zone in ("UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "GMT", "Etc/GMT"):
        line = '# This machine runs on UTC: set the clinic\'s zone, for example\n# timezone = "America/Chicago"'
    else:
        line = f'timezone = "{zone}"  # this machine\'s zone; change it if the clinic is elsewhere'
    return STARTER.replace("{timezone_line}", line)


def init_command(
    path: Annotated[Path, typer.Option("--path", metavar="FILE", help="Where to write the file.")] = Path(
        "npscli.toml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    print_only: Annotated[bool, typer.Option("--print", help="Print the starter file instead of writing it.")] = False,
) -> None:
    """Write a commented starter npscli.toml."""
    text = starter_text()
    if print_only:
        sys.stdout.write(text)
        return
    if path.exists() and not force:
        raise ConflictError(
            f"{path} already exists", hint="pass --force to overwrite it, or --print to see the starter"
        )
    from npscli.io.private import write_private_text

    write_private_text(path, text)  # 0600: it may come to hold the SMTP password
    message(f"wrote {path}; edit it, then check it with `npscli config show`")
