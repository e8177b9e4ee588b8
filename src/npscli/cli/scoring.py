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
    from npscli.reports.scoring import ScoreRequest, parse_by, score

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
        from npscli.cli.importing import parse_map

        reader = {
            "overrides": parse_map(map_),
            "source": source,
            "sheet": sheet,
            "dayfirst": dayfirst,
            "scale_check": scale_check,
            "encoding": encoding,
        }
        data, undated = _frame_from_files(files, s, **reader, now=now)
        if undated:
            windowed = [
                flag
                for flag, given in (
                    ("--period", req.period),
                    ("--since", since),
                    ("--until", until),
                    ("--compare", compare),
                )
                if given
            ]
            if windowed:
                raise UsageError(
                    f"{windowed[0]} needs the time of each response, and {', '.join(undated)} "
                    f"{'has' if len(undated) == 1 else 'have'} no date column",
                    hint="score without it, or name the date column with --map submitted_at=COLUMN",
                )
            req = replace(req, start=None, end=None)  # every response counts, whenever it was given
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


def _frame_from_files(files: list[str], s, *, overrides, source, sheet, dayfirst, scale_check, now, encoding=None):
    """Parse the files through the import pipeline in memory, deduplicated, nothing stored. Returns the
    records and the names of the files that have no date column."""
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from npscli.cli.importing import (
        describe_identical,
        describe_issues,
        describe_mapping,
        nothing_stored,
        read_options,
    )
    from npscli.io.exports import read_export
    from npscli.reports.scoring import GROUP_FIELDS

    frames = []
    sources: list[str] = []  # each file's source name: a response's key is unique within its source
    undated: list[str] = []  # the files without a date column
    for name in files:
        path = Path(name)
        options, saved = read_options(
            s,
            path,
            source=source,
            overrides=overrides,
            sheet=sheet,
            dayfirst=dayfirst,
            scale_check=scale_check,
            now=now,
            encoding=encoding,
            date_required=False,
        )
        # only the fields a score can group by (the comments, names and contacts are never built), no file digest
        parsed = read_export(path, replace(options, fields=GROUP_FIELDS, checksum=False))
        if parsed.rows_read and parsed.records.empty:  # every row rejected, skipped or excluded: not a score of 0
            for line in describe_issues(parsed):
                message(line)
            raise nothing_stored(parsed, verb="to score", can="can be scored")
        if "submitted_at" not in parsed.mapping:
            undated.append(path.name)
        message(describe_mapping(parsed))
        for line in describe_issues(parsed):
            message(line)
        identical = describe_identical(parsed)
        if identical:
            message(identical)
        frames.append(parsed.records)
        sources.append(source or saved or parsed.layout)
    if len(frames) == 1:  # one source: its keys alone tell duplicates apart
        frame = frames[0]
        keys = pd.Series(frame["response_key"].to_numpy(dtype=object), dtype=object)
    else:
        frame = pd.concat(frames, ignore_index=True)
        prefixed = [f"{p}:" + f["response_key"].to_numpy(dtype=object) for p, f in zip(sources, frames, strict=True)]
        keys = pd.Series(np.concatenate(prefixed), dtype=object)
    duplicate = keys.duplicated(keep="first").to_numpy()  # (object keys: hashed as str, no string array)
    if duplicate.any():
        frame = frame[~duplicate]
        message(f"{int(duplicate.sum())} duplicate response(s) counted once")
    return frame, undated
