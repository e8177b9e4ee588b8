"""Options shared by several commands, defined once as Annotated aliases."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from npscli.cli.output import OutputFormat


def format_choices(enum: type[Enum]) -> dict[str, Any]:
    """Option settings for a closed set of values: a parser whose refusal lists the allowed values plainly.

    Typer's own message for an enum passes through its validator ("Value error, 'xml' is not one of ...").
    """
    allowed = [str(member.value) for member in enum]

    def parse(value: Any) -> Enum:
        if isinstance(value, enum):
            return value
        try:
            return enum(str(value).strip().lower())
        except ValueError:
            listed = ", ".join(allowed[:-1]) + " or " + allowed[-1]
            raise typer.BadParameter(f"{str(value)!r} is not a format npscli knows; use {listed}.") from None

    parser: Callable[[Any], Enum] = parse
    return {"parser": parser, "metavar": "<" + "|".join(allowed) + ">"}


DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="PATH|URL",
        help="The store: a SQLite file path or a SQLAlchemy URL (else NPSCLI_DB, else config).",
    ),
]
FormatOpt = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Output format: table, csv, json or markdown.", **format_choices(OutputFormat)),
]
SinceOpt = Annotated[
    str | None,
    typer.Option(
        "--since",
        metavar="WHEN",
        help="Start: 7d, 24h, 2w, 3m, 1y, today, yesterday, this-week, last-week, this-month, last-month, or a date.",
    ),
]
UntilOpt = Annotated[
    str | None,
    typer.Option("--until", metavar="WHEN", help="End (exclusive), same forms as --since; a date includes that day."),
]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of", metavar="WHEN", help="A fixed 'now' (date or date-time) for reproducible runs (else NPSCLI_NOW)."
    ),
]
LocationOpt = Annotated[
    list[str] | None, typer.Option("--location", metavar="NAME", help="Only this location (repeatable).")
]
DepartmentOpt = Annotated[
    list[str] | None, typer.Option("--department", metavar="NAME", help="Only this department (repeatable).")
]
ProviderOpt = Annotated[
    list[str] | None, typer.Option("--provider", metavar="NAME", help="Only this provider (repeatable).")
]
ByOpt = Annotated[
    str | None,
    typer.Option("--by", metavar="FIELDS", help="Group by location, department and/or provider, comma-separated."),
]
ActorOpt = Annotated[
    str | None, typer.Option("--by", metavar="NAME", help="Who is acting (else config `user`, else the OS user).")
]
TimezoneOpt = Annotated[
    str | None,
    typer.Option("--timezone", metavar="ZONE", help="The clinic's IANA time zone for naive times (else config)."),
]
FilesArg = Annotated[list[Path], typer.Argument(metavar="FILE...", help="Survey export files (CSV, TSV or XLSX).")]
# The global flags: before the command (`npscli -q import`) or after it (`npscli import x.csv -q`); cli/app.py
# adds them to every command
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Only errors and data on output (for cron).")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks (also NPSCLI_DEBUG=1).")]

# Reading export files (`import`, and `score FILE...`)
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="FIELD=COLUMN",
        help="FIELD=COLUMN: use this column for a field, e.g. --map score=Q1 (repeatable).",
    ),
]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source", metavar="NAME", help="Source name: deduplication scope and the saved [sources.NAME] mapping."
    ),
]
SheetOpt = Annotated[str | None, typer.Option("--sheet", metavar="SHEET", help="XLSX sheet name or 0-based index.")]
DayFirstOpt = Annotated[
    bool | None,
    typer.Option("--dayfirst/--monthfirst", help="How to read 03/11/2025 when the file does not prove it."),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        metavar="NAME",
        help="Decode CSV/TSV files as this (latin-1, cp1252, utf-8...); default: detected (UTF-8, UTF-16 with a "
        "BOM, Windows-1252, then Latin-1).",
    ),
]
ScaleCheckOpt = Annotated[
    bool,
    typer.Option("--scale-check/--no-scale-check", help="Refuse a score column that looks like a 1-5 or 1-7 scale."),
]
