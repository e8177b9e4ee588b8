"""`npscli score`: NPS by location, department, provider and period, with honest intervals."""

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

FilesOptArg = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="FILE...", help="Score these export files in memory (the store is not touched); else score the store."
    ),
]


def _interval(row: dict) -> str:
    if row.get("ci_low") is None:
        return "-"
    return f"{row['ci_low']:.1f} to {row['ci_high']:.1f}"


def score_columns(rows: list[dict], by: tuple[str, ...], period: bool, compare: bool, window=(None, None)) -> list[Col]:
    """The table's columns; adds the shown-only cells to ``rows`` (interval, low-n mark, a partial period
    marked as such: the window ``(start, end)`` cuts it)."""
    from npscli.core.periods import period_is_partial

    # responses without a location (department, provider) are a group too: named as the report names it
    cols = [Col(name, fmt=lambda v: "(none)" if v is None else str(v)) for name in by]
    if period:
        cols.append(Col("period_shown", "period"))
    cols += [
        Col("n", justify="right"),
        Col("promoters", justify="right"),
        Col("passives", justify="right"),
        Col("detractors", justify="right"),
        Col("nps", "NPS", fmt=fmt_num, justify="right"),
        Col("interval", "95% interval"),
        Col("low_n_mark", "flag", fmt=lambda v: v or "", marker=True),
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
        if period and row.get("period"):
            partial = any(window) and period_is_partial(row["period"], *window)
            row["period_shown"] = row["period"] + (" (partial)" if partial else "")
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
        int | None,
        typer.Option("--min-n", metavar="N", min=1, help="Flag groups with fewer responses (default 30)."),
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
    from npscli.services.scoring import refuse_reading_flags, score, score_request

    s = context.settings(database=db, timezone=timezone)
    refuse_reading_flags(
        files,
        {
            "--map": bool(map_),
            "--source": source is not None,
            "--sheet": sheet is not None,
            "--dayfirst/--monthfirst": dayfirst is not None,
            "--no-scale-check": not scale_check,
            "--encoding": encoding is not None,
        },
    )
    now = context.now(as_of, s)
    # the options are checked before the store is opened: a usage error comes first
    req = score_request(s, by=by, period=period, since=since, until=until, now=now, ci=ci, min_n=min_n, compare=compare)
    store = None if files else context.open_db(s)
    req = replace(req, filters=context.group_filters(location, department, provider, store=store))
    if files:
        from npscli.services.reading import parse_map
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
    _emit_scores(score(data, req), req, fmt)


def _emit_scores(rows: list[dict], req, fmt: OutputFormat) -> None:
    """JSON/CSV: the documented fields only; a table or Markdown with its title and the legend it needs."""
    cols = score_columns(rows, req.by, bool(req.period), req.compare, (req.start, req.end))
    contract = [{k: v for k, v in r.items() if k not in ("interval", "low_n_mark", "period_shown")} for r in rows]
    if fmt in (OutputFormat.json, OutputFormat.csv):
        emit(contract, fmt, cols)
    else:
        emit(rows, fmt, cols, title=_title(req), empty="no responses in this window")
        if req.compare:
            message("p (Holm): p-values adjusted for the number of comparisons shown (Holm); sig. = below 0.05")
            if any(r["change"] is None and r["n"] for r in rows):
                message("change -: no responses in the period before, nothing to compare with")


def _title(req) -> str:
    from npscli.core.periods import window_label

    # whole days read as days (9-15 Nov 2026, not an exclusive midnight); any other start or end shows its time
    window = f" {window_label(req.start, req.end)}" if req.start is not None and req.end is not None else ""
    return f"NPS ({req.method} 95% interval){window}"
