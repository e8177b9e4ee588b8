"""`npscli themes`: what patients talk about, what it costs in NPS, and what is suddenly rising."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.app import make_app
from npscli.cli.errors import guarded
from npscli.cli.options import AsOfOpt, DbOpt, DepartmentOpt, FormatOpt, LocationOpt, SinceOpt, UntilOpt
from npscli.cli.output import Col, OutputFormat, emit, fmt_num, message
from npscli.core.errors import UsageError


def themes_command(
    ctx: typer.Context,
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
    if ctx.invoked_subcommand is not None:  # `npscli themes evaluate ...`: the subcommand runs instead
        return
    from npscli.core.periods import parse_window
    from npscli.io.taxonomy import load_configured_taxonomy
    from npscli.services.themes import emerging_issues, emerging_rows, load_comments, theme_rows

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


# `npscli themes` is a group: without a subcommand its callback is the themes table (or --emerging) above;
# `npscli themes evaluate FILE` measures the taxonomy on a labelled sample.
app = make_app(no_args_is_help=False, subcommand_metavar="[COMMAND [ARGS]...]")
app.callback(invoke_without_command=True)(guarded(themes_command))


@app.command("evaluate")
def evaluate_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="LABELLED", help="CSV, TSV or XLSX: a column of comments and a column of expected themes."
        ),
    ],
    text: Annotated[
        str | None,
        typer.Option(
            "--text", metavar="COLUMN", help="The comment column (else comment/text/feedback, or the longest)."
        ),
    ] = None,
    expected: Annotated[
        str | None,
        typer.Option("--expected", metavar="COLUMN", help="The expected-themes column (else themes/expected/labels)."),
    ] = None,
    taxonomy_file: Annotated[
        Path | None,
        typer.Option("--taxonomy", metavar="FILE", help="A taxonomy TOML to measure (else the configured one)."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", metavar="NAME", help="Workbook sheet (name or 0-based).")
    ] = None,
    worst: Annotated[
        int, typer.Option("--worst", metavar="N", min=0, help="Worst misses shown (redacted); 0 for none.")
    ] = 10,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Precision, recall and F1 per theme of the taxonomy on a hand-labelled sample, and its worst misses."""
    from npscli.core.theme_eval import expected_lookup
    from npscli.io.labelled import read_labelled
    from npscli.io.taxonomy import load_configured_taxonomy, load_taxonomy
    from npscli.reports.theme_eval import evaluation_report

    s = context.settings()
    if taxonomy_file is not None:
        taxonomy = load_taxonomy(taxonomy_file, root_causes=tuple(s.tickets.root_causes))
    else:
        taxonomy = load_configured_taxonomy(s)
    codes = list(taxonomy.codes)
    lookup = expected_lookup((code, taxonomy.theme(code).label) for code in codes)
    sample = read_labelled(file, lookup, codes=codes, text=text, expected=expected, sheet=sheet)
    report = evaluation_report(sample, taxonomy, worst=worst)
    if fmt is OutputFormat.json:
        emit([], fmt, [], json_rows=report)
        return
    micro = {"theme": "", "label": "micro-average", **report["micro"]}
    macro = {"theme": "", "label": f"macro-average ({report['macro']['themes']} themes)", **report["macro"]}
    macro.pop("themes")
    rows = [*report["themes"], micro, macro]
    if fmt is OutputFormat.csv:
        emit(rows, fmt, [])
        message(f"{report['misses']} comment(s) with a miss; --format json or table lists the worst")
        return
    score = lambda value: "-" if value is None else f"{value:.2f}"  # noqa: E731
    cols = [
        Col("label", "theme"),
        Col("theme", "code"),
        Col("support", justify="right"),
        Col("tp", "TP", justify="right"),
        Col("fp", "FP", justify="right"),
        Col("fn", "FN", justify="right"),
        Col("precision", fmt=score, justify="right"),
        Col("recall", fmt=score, justify="right"),
        Col("f1", "F1", fmt=score, justify="right"),
    ]
    emit(rows, fmt, cols, title=f"theme accuracy on {report['comments']} labelled comments of {report['file']}")
    if report["worst"]:

        def labels(found: list[str]) -> str:
            return ", ".join(next(t["label"] for t in report["themes"] if t["theme"] == c) for c in found) or "-"

        misses = [
            {**m, "missed_labels": labels(m["missed"]), "wrong_labels": labels(m["wrong"])} for m in report["worst"]
        ]
        if fmt is OutputFormat.markdown:
            print()
        emit(
            misses,
            fmt,
            [
                Col("row", justify="right"),
                Col("comment", "comment (redacted)", wrap=True, min_width=30),
                Col("missed_labels", "missed (expected, not found)"),
                Col("wrong_labels", "wrong (found, not expected)"),
            ],
            title=f"worst {len(misses)} of {report['misses']} comment(s) with a miss",
        )
    message(
        f"{report['rows_read']} row(s) read: {report['comments']} labelled comment(s), {report['blank']} blank; "
        f"text from {report['text_column']!r}, expected themes from {report['expected_column']!r}"
    )
