"""`npscli themes`: what patients talk about, what it costs in NPS, and what is suddenly rising."""

from __future__ import annotations

from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.options import AsOfOpt, DbOpt, DepartmentOpt, FormatOpt, LocationOpt, SinceOpt, UntilOpt
from npscli.cli.output import Col, OutputFormat, emit, fmt_num, message
from npscli.core.errors import UsageError


def themes_command(
    db: DbOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    as_of: AsOfOpt = None,
    by: Annotated[str | None, typer.Option("--by", metavar="FIELD", help="Split by location or department.")] = None,
    location: LocationOpt = None,
    department: DepartmentOpt = None,
    detractors_only: Annotated[
        bool, typer.Option("--detractors-only", help="Count mentions by detractors (0-6) only.")
    ] = False,
    examples: Annotated[int, typer.Option("--examples", metavar="N", help="Redacted example comments per theme.")] = 2,
    emerging: Annotated[
        bool,
        typer.Option(
            "--emerging",
            help="Issues flagged by the day-by-day detector (a CUSUM per theme and site; [emerging] in npscli.toml).",
        ),
    ] = False,
    window: Annotated[
        str,
        typer.Option("--window", metavar="SPAN", help="--emerging: list the issues flagged in the last SPAN."),
    ] = "14d",
    baseline: Annotated[
        str,
        typer.Option(
            "--baseline", metavar="SPAN", help="--emerging: the expected rate is that of the SPAN before a rise."
        ),
    ] = "12w",
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Comment themes: mentions, share of detractors, NPS with vs without (impact), examples; or --emerging."""
    from npscli.core.periods import parse_window
    from npscli.io.taxonomy import load_configured_taxonomy
    from npscli.reports.themes import emerging_issues, emerging_rows, load_comments, theme_rows

    if by not in (None, "location", "department"):
        raise UsageError(f"cannot split themes by {by!r}", hint="use --by location or --by department")
    s = context.settings(database=db)
    now = context.now(as_of, s)
    taxonomy = load_configured_taxonomy(s)
    store = context.open_db(s)
    if emerging:
        if since or until:
            raise UsageError(
                "--since/--until do not apply to --emerging",
                hint="--emerging lists the issues flagged in the last --window (14d), each against the rate of "
                "the --baseline (12w) before it rose; --as-of sets when it looks",
            )
        detector = _detector(context.emerging_detector(s), window, baseline)
        group_by = by or "location"
        issues = emerging_issues(
            store,
            taxonomy,
            now=now,
            tz=s.timezone,
            by=group_by,
            max_score=6 if detractors_only else 8,
            filters=context.group_filters(location, department, store=store),
            detector=detector,
            recent_days=_days(window, "--window"),
        )
        rows = emerging_rows(issues, taxonomy, by=group_by)
        cols = [
            Col(group_by),
            Col("theme"),
            Col("first_flagged", "first flagged"),
            Col("count", "mentions", justify="right"),
            Col("expected", justify="right"),
            Col("summary", wrap=True),
        ]
        emit(rows, fmt, cols, title="emerging issues", empty=f"no emerging issues flagged in the last {window}")
        return
    start, end = parse_window(since or "4w", until, now)
    filters = context.group_filters(location, department, store=store)
    comments, scores = load_comments(store, taxonomy, start=start, end=end, filters=filters)
    uncommented = _scores_without_comment(scores, comments)
    rows = theme_rows(comments, uncommented, taxonomy, by=by, detractors_only=detractors_only, examples=examples)
    if fmt in (OutputFormat.json, OutputFormat.csv):
        if fmt is OutputFormat.csv:
            rows = [{**r, "examples": " | ".join(r["examples"])} for r in rows]
        emit(rows, fmt, [])
        return
    for r in rows:
        r["example_text"] = "\n".join(f"- {e}" for e in r["examples"])
        r["share"] = "-" if r["share_of_detractors"] is None else f"{r['share_of_detractors']:.0f}%"
    cols = ([Col(by)] if by else []) + [
        Col("label", "theme"),
        Col("mentions", justify="right"),
        Col("share", "% of detractors", justify="right"),
        Col("nps_with", "NPS with", fmt=fmt_num, justify="right"),
        Col("nps_without", "NPS without", fmt=fmt_num, justify="right"),
        Col("impact", fmt=fmt_num, justify="right"),
        Col("example_text", "examples (redacted)", wrap=True),
    ]
    emit(rows, fmt, cols, title=f"themes in {len(comments)} comments", empty="no comments in this window")
    message("impact = NPS of responses mentioning the theme minus NPS of those that don't")


def _scores_without_comment(scores: list[int], comments) -> list[int]:
    """The scores of responses with no comment: every score minus the commented ones (as a multiset)."""
    from collections import Counter

    remaining = Counter(scores)
    remaining.subtract(Counter(c.score for c in comments))
    return [score for score, n in remaining.items() for _ in range(max(n, 0))]


def _days(span: str, option: str) -> int:
    """A --window/--baseline span in whole days (at least one)."""
    from npscli.core.periods import parse_duration

    try:
        days = parse_duration(span).total_seconds() / 86400
    except UsageError:
        raise UsageError(f"{option}: cannot read the span {span!r}", hint="e.g. 14d or 2w") from None
    if days < 1 or days != int(days):
        raise UsageError(f"{option} {span!r} must be a whole number of days (at least 1)", hint="e.g. 14d or 2w")
    return int(days)


def _detector(detector, window: str, baseline: str):
    """The configured detector with --baseline applied (a baseline under a week is refused)."""
    from dataclasses import replace

    days = _days(baseline, "--baseline")
    if days < 7:
        raise UsageError(f"--baseline {baseline!r} is too short for a rate", hint="use at least 1w; the default is 12w")
    _days(window, "--window")
    return replace(detector, baseline_days=days)
