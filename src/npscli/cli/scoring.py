"""`npscli score`: NPS by location, department, provider and period, with honest intervals."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.options import (
    AsOfOpt,
    ByOpt,
    DayFirstOpt,
    DbOpt,
    DepartmentOpt,
    EncodingOpt,
    FormatOpt,
    LocationOpt,
    MapOpt,
    ProviderOpt,
    ScaleCheckOpt,
    SheetOpt,
    SinceOpt,
    SourceOpt,
    TimezoneOpt,
    UntilOpt,
)
from npscli.cli.output import Col, OutputFormat, emit, fmt_num, fmt_p, fmt_signed, message
from npscli.core.errors import UsageError

FilesOptArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="FILE", help="Score these export files in memory (the store is not touched); else score the store."
    ),
]


def _interval(row: dict) -> str:
    if row.get("ci_low") is None:
        return "-"
    return f"{row['ci_low']:.1f} to {row['ci_high']:.1f}"


def score_columns(rows: list[dict], by: tuple[str, ...], period: bool, compare: bool) -> list[Col]:
    cols = [Col(name) for name in by]
    if period:
        cols.append(Col("period"))
    cols += [
        Col("n", justify="right"),
        Col("promoters", justify="right"),
        Col("passives", justify="right"),
        Col("detractors", justify="right"),
        Col("nps", "NPS", fmt=fmt_num, justify="right"),
        Col("interval", "95% interval"),
        Col("low_n_mark", "", fmt=lambda v: v or ""),
    ]
    if compare:
        cols += [
            Col("change", "change", fmt=fmt_signed, justify="right"),
            Col("p_adjusted", "p (Holm)", fmt=fmt_p, justify="right"),
            Col("significant", "sig.", fmt=lambda v: "yes" if v else ""),
        ]
    for row in rows:
        row["interval"] = _interval(row)
        row["low_n_mark"] = "low n" if row.get("low_n") and row.get("n") else ""  # n = 0: the NPS "-" says it
    return cols


def score_command(
    files: FilesOptArg = None,
    db: DbOpt = None,
    by: ByOpt = None,
    period: Annotated[
        str | None,
        typer.Option("--period", metavar="PERIOD", help="Split into week, month, quarter or year (local dates)."),
    ] = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
    location: LocationOpt = None,
    department: DepartmentOpt = None,
    provider: ProviderOpt = None,
    ci: Annotated[
        str | None,
        typer.Option("--ci", metavar="METHOD", help="Interval method: adjusted-wald (default), wald or tango."),
    ] = None,
    min_n: Annotated[
        int | None, typer.Option("--min-n", metavar="N", help="Flag groups with fewer responses (default 30).")
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option("--compare", metavar="previous", help="'previous': change against the previous period or window."),
    ] = None,
    timezone: TimezoneOpt = None,
    map_: MapOpt = None,
    source: SourceOpt = None,
    sheet: SheetOpt = None,
    dayfirst: DayFirstOpt = None,
    scale_check: ScaleCheckOpt = True,
    encoding: EncodingOpt = None,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Score NPS (points, -100..100) with 95% intervals, overall or by group and period."""
    from npscli.core.periods import parse_window
    from npscli.services.scoring import ScoreRequest, parse_by, score

    s = context.settings(database=db, timezone=timezone)
    reading = {
        "--map": bool(map_),
        "--source": source is not None,
        "--sheet": sheet is not None,
        "--dayfirst/--monthfirst": dayfirst is not None,
        "--no-scale-check": not scale_check,
        "--encoding": encoding is not None,
    }
    if not files and any(reading.values()):
        raise UsageError(
            f"{', '.join(flag for flag, given in reading.items() if given)}: how to read export files, "
            "but no FILE was given",
            hint="name the export files to score (npscli score FILE... --map score=Q1), or import them first",
        )
    if compare not in (None, "previous"):
        raise UsageError(f"--compare {compare!r} is not supported", hint="use --compare previous")
    now = context.now(as_of, s)
    start, end = parse_window(since, until, now)
    req = ScoreRequest(  # checks the options before the store is opened: a usage error comes first
        by=parse_by(by),
        period=period.lower() if period else None,
        start=start,
        end=end,
        method=ci or s.ci,
        min_n=s.min_n if min_n is None else min_n,
        compare=compare == "previous",
        timezone=s.timezone,
    )
    store = None if files else context.open_db(s)
    req = replace(req, filters=context.group_filters(location, department, provider, store=store))
    if files:
        from npscli.services.importing import parse_map
        from npscli.services.scoring import frame_from_files, without_dates

        data, undated = frame_from_files(
            files,
            s,
            overrides=parse_map(map_),
            source=source,
            sheet=sheet,
            dayfirst=dayfirst,
            scale_check=scale_check,
            encoding=encoding,
            now=now,
            note=message,
        )
        flags = {"--period": req.period, "--since": since, "--until": until, "--compare": compare}
        req = without_dates(req, undated, flags)
    else:
        data = store
    rows = score(data, req)
    cols = score_columns(rows, req.by, bool(req.period), req.compare)
    contract = [{k: v for k, v in r.items() if k not in ("interval", "low_n_mark")} for r in rows]
    if fmt in (OutputFormat.json, OutputFormat.csv):
        emit(contract, fmt, cols)
    else:
        emit(rows, fmt, cols, title=_title(req), empty="no responses in this window")
        if req.compare:
            message("p (Holm): p-values adjusted for the number of comparisons shown (Holm); sig. = below 0.05")
            if any(r["change"] is None and r["n"] for r in rows):
                message("change -: no responses in the period before, nothing to compare with")


def _title(req) -> str:
    window = ""
    if req.start is not None:
        # a window that starts at midnight reads as that day; any other start shows its time
        midnight = (req.start.hour, req.start.minute) == (0, 0)
        start = f"{req.start:%Y-%m-%d}" if midnight else f"{req.start:%Y-%m-%d %H:%M}"
        window = f" {start} to {req.end:%Y-%m-%d %H:%M}"
    return f"NPS ({req.method} 95% interval){window}"
