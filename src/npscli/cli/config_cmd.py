"""`npscli config show`, `npscli config check` and `npscli init`."""

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from npscli.cli import context
from npscli.cli.app import make_app
from npscli.cli.options import DbOpt, FormatOpt
from npscli.cli.output import Col, OutputFormat, emit, message
from npscli.core.errors import ConfigError, ConflictError, NpsError

app = make_app(help="Show the effective settings and where each came from; check the config file.")


@app.command("show")
def show(db: DbOpt = None, fmt: FormatOpt = OutputFormat.table) -> None:
    """Every effective setting and where it came from: flag, environment, file or default.

    Generated from the config schema: every key of every table, defaults included; each [sources.NAME],
    [locations.NAME], [senders.NAME], [providers.NAME] and [[routing.rules]] entry of the file, key by key.
    Secrets are never shown: the SMTP password says only whether NPSCLI_SMTP_PASSWORD is set.
    """
    from npscli.config import effective_settings
    from npscli.store.engine import redact_url

    s = context.settings(database=db)
    rows: list[dict[str, Any]] = [
        {
            "setting": "config file",
            "value": str(s.config_path or "(none)"),
            "from": "NPSCLI_CONFIG, ./npscli.toml, user dir",
        }
    ]
    for item in effective_settings(s):
        value = item.value
        if item.setting == "database":
            value = redact_url(s.database_url())
        elif item.setting == "templates_dir" and not value:
            value = "(packaged only)"
        elif item.key is not None and item.key.masked and isinstance(value, str):
            value = _without_path(value)
        rows.append({"setting": item.setting, "value": _shown(value), "from": item.origin})
    emit(rows, fmt, [Col("setting"), Col("value", wrap=True), Col("from")])


def _shown(value: Any) -> Any:
    """A setting's value as `config show` prints it: lists joined, tables as key=value, nothing as (none)."""
    if value is None or value == "" or value == () or value == [] or value == {}:
        return "(none)"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value


def _without_path(url: str) -> str:
    """A webhook URL without its path and query (they carry the secret token)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/..." if parts.hostname else "(set)"


@app.command("check")
def check(fmt: FormatOpt = OutputFormat.table) -> None:
    """Every problem of the config file at once, each with its line (exit 8 if any).

    Each row names the line, the [table] and key, the problem and a hint. A file whose contents are sound is
    also checked for what only the environment tells (NPSCLI_SMTP_PASSWORD for an smtp.user), for the
    theme taxonomy file it names, for outreach senders with a no-reply address (noreply@, do-not-reply@, ...:
    drafts refuse them), and, with a store, for location, department and provider names (routing rules, SLAs,
    [locations.NAME]) that are a typing of a stored one and so never apply. A no-reply alerts.from or
    reports.from is a warning.
    """
    from npscli.config import file_problems, find_config_file

    path = find_config_file()
    if path is None:
        _clean(fmt, "no config file (./npscli.toml, the user config dir or $NPSCLI_CONFIG): the defaults apply")
        return
    rows = [
        {
            "file": str(p.path),
            "line": p.line,
            "setting": p.problem.where(),
            "problem": p.problem.message,
            "hint": p.problem.hint,
        }
        for p in file_problems(path)
    ]
    if not rows:  # the file's contents are sound: what the features check with more than the file
        from npscli.services.config_check import feature_problems

        rows = feature_problems(path, context.settings)
        _no_reply_warnings(path)
    if not rows:
        rows = _names_not_stored(path)
    if not rows:
        _clean(fmt, f"{path}: no problems")
        return
    emit(rows, fmt, CHECK_COLUMNS, title=str(path))
    raise ConfigError(
        f"{path}: {len(rows)} problem{'s' if len(rows) != 1 else ''}",
        hint="fix each line named and run `npscli config check` again",
    )


def _no_reply_warnings(path: Path) -> None:
    """alerts.from and reports.from with a no-reply address: a warning each (staff get that mail all the same)."""
    from npscli.cli.output import warn
    from npscli.services.config_check import no_reply_warnings

    try:
        s = context.settings()
    except NpsError:  # a file the features could not load: its problem is a row already
        return
    for text in no_reply_warnings(path, s):
        warn(text)


def _names_not_stored(path: Path) -> list[dict[str, Any]]:
    """The names of locations, departments and providers the file gives that the store has none of (when there
    is a store to ask): the rows of the typed ones, a warning for the others."""
    from npscli.cli.output import warn
    from npscli.services.config_check import names_not_stored

    s = context.settings()
    if context.missing_store(s) is not None:
        return []
    try:
        store = context.open_db(s)
    except NpsError as error:  # an unreachable store: the file is still checked, the names are not
        warn(f"names not checked against the store: {error.message}")
        return []
    rows, warnings = names_not_stored(path, s, store)
    for text in warnings:
        warn(text)
    return rows


def _clean(fmt: OutputFormat, said: str) -> None:
    """No problems: no rows for a script (``[]``, a CSV header), the sentence for a person."""
    emit([], fmt, CHECK_COLUMNS, empty=said)
    if fmt in (OutputFormat.json, OutputFormat.csv):
        message(said)


CHECK_COLUMNS = [Col("line", justify="right"), Col("setting"), Col("problem", wrap=True), Col("hint", wrap=True)]


STARTER = """\
# npscli configuration. Precedence: command-line flag > NPSCLI_* environment > this file > defaults.
# `npscli config check` lists every problem in this file (with its line); `npscli config show` prints every
# effective setting and where it came from. Every key is described in docs/config.md of the npscli source.

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


def starter_text() -> str:
    """The starter file, with this machine's time zone (never someone else's) as the clinic's."""
    from npscli.config import system_timezone
    from npscli.core.config_types import timezone_problem

    zone = system_timezone()
    found = timezone_problem(zone)
    if zone in ("UTC", "Etc/UTC", "Etc/Universal", "Universal", "Zulu", "GMT", "Etc/GMT"):
        line = '# This machine runs on UTC: set the clinic\'s zone, for example\n# timezone = "America/Chicago"'
    elif found:  # "EST" (no daylight saving) or a name the zone database does not know: not pinned
        problem, hint = found
        line = f"# This machine's zone cannot be the clinic's: {problem} ({hint})\n# timezone = \"America/Chicago\""
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

    write_private_text(path, text)  # 0600: it names the store, the mail server and the people alerted
    message(f"wrote {path}; edit it, then check it with `npscli config check`")
