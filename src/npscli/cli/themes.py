"""`npscli themes`: what patients talk about, what it costs in NPS, and what is suddenly rising."""

from pathlib import Path
from typing import Annotated

import typer

from npscli.cli import context
from npscli.cli.app import make_app
from npscli.cli.errors import guarded
from npscli.cli.options import AsOfOpt, DbOpt, DepartmentOpt, FormatOpt, LocationOpt, SinceOpt, UntilOpt
from npscli.cli.output import Col, OutputFormat, emit, fmt_num, message
from npscli.core.errors import UsageError

EMERGING_COLS = [
    Col("theme"),
    Col("first_flagged", "first flagged"),
    Col("count", "mentions", justify="right"),
    Col("expected", justify="right"),
    Col("summary", wrap=True),
]
THEME_COLS = [
    Col("label", "theme"),
    Col("mentions", justify="right"),
    Col("share", "% of detractors", justify="right"),
    Col("nps_with", "NPS with", fmt=fmt_num, justify="right"),
    Col("nps_without", "NPS without", fmt=fmt_num, justify="right"),
    Col("impact", fmt=fmt_num, justify="right"),
    Col("example_text", "examples (redacted)", wrap=True),
]


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
    examples: Annotated[
        int, typer.Option("--examples", metavar="N", min=0, help="Redacted example comments per theme.")
    ] = 2,
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
    from npscli.services.themes import emerging_detector, emerging_table, themes_table

    if by not in (None, "location", "department"):
        raise UsageError(f"cannot split themes by {by!r}", hint="use --by location or --by department")
    if emerging and (since or until):
        raise UsageError(
            "--since/--until do not apply to --emerging",
            hint="--emerging lists the issues flagged in the last --window (14d), each against the rate of "
            "the --baseline (12w) before it rose; --as-of sets when it looks",
        )
    s = context.settings(database=db)
    now = context.now(as_of, s)
    taxonomy = load_configured_taxonomy(s)
    store = context.open_db(s)
    filters = context.group_filters(location, department, store=store)
    if emerging:
        group_by = by or "location"
        rows = emerging_table(
            store,
            taxonomy,
            now=now,
            tz=s.timezone,
            by=group_by,
            detractors_only=detractors_only,
            filters=filters,
            detector=emerging_detector(s),
            window=window,
            baseline=baseline,
        )
        cols = [Col(group_by), *EMERGING_COLS]
        emit(rows, fmt, cols, title="emerging issues", empty=f"no emerging issues flagged in the last {window}")
        return
    start, end = parse_window(since or "4w", until, now)
    rows, n_comments = themes_table(
        store,
        taxonomy,
        start=start,
        end=end,
        filters=filters,
        by=by,
        detractors_only=detractors_only,
        examples=examples,
    )
    _emit_themes(rows, n_comments, by, fmt, "detractors' comments" if detractors_only else "comments")


# `npscli themes` is a group: without a subcommand its callback is the themes table (or --emerging) above;
# `npscli themes evaluate FILE` measures the taxonomy on a labelled sample; `npscli themes explain` says why a
# comment gets its themes.
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
    skip_unknown: Annotated[
        bool,
        typer.Option(
            "--skip-unknown",
            help="An expected name that is not a theme (a category the taxonomy lacks) is left out and "
            "counted, instead of stopping.",
        ),
    ] = False,
    keywords_only: Annotated[
        bool,
        typer.Option(
            "--keywords-only",
            help="Measure the taxonomy's keywords alone, without the packaged model (as [themes] model = false): "
            "run both ways to see which does better on your comments.",
        ),
    ] = False,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Precision, recall and F1 per theme of the taxonomy on a hand-labelled sample, and its worst misses."""
    from npscli.services.theme_eval import evaluate_labelled

    report = evaluate_labelled(
        context.settings(),
        file,
        text=text,
        expected=expected,
        taxonomy_file=taxonomy_file,
        sheet=sheet,
        worst=worst,
        skip_unknown=skip_unknown,
        keywords_only=keywords_only,
    )
    _emit_evaluation(report, fmt)


@app.command("explain")
def explain_command(
    text: Annotated[
        str | None,
        typer.Argument(metavar="[COMMENT]", help="The comment to explain (- reads it from standard input)."),
    ] = None,
    ticket: Annotated[
        str | None, typer.Option("--ticket", metavar="TICKET", help="Explain this ticket's comment (T-000123).")
    ] = None,
    db: DbOpt = None,
    taxonomy_file: Annotated[
        Path | None,
        typer.Option("--taxonomy", metavar="FILE", help="A taxonomy TOML to explain with (else the configured one)."),
    ] = None,
    every_theme: Annotated[bool, typer.Option("--all", help="Every theme, also those not found (why not).")] = False,
    cues: Annotated[
        int, typer.Option("--cues", metavar="N", min=0, help="Cues shown per theme, largest first; 0 for all.")
    ] = 8,
    fmt: FormatOpt = OutputFormat.table,
) -> None:
    """Why a comment gets its themes: the words and cues behind each one, with their weights."""
    import sys

    from npscli.core import tickets as rules
    from npscli.services.theme_eval import explain_comment, ticket_comment

    s = context.settings(database=db)
    if (text is None) == (ticket is None):
        raise UsageError(
            "give a comment or --ticket, not both" if text is not None else "no comment to explain",
            hint='npscli themes explain "The wait was two hours"  or  npscli themes explain --ticket T-000123',
        )
    names: tuple[str, ...] = ()
    if ticket is not None:
        text, names = ticket_comment(context.open_db(s), rules.parse_ticket_id(ticket))
    elif text == "-":
        text = sys.stdin.read()
    report = explain_comment(
        s, text or "", taxonomy_file=taxonomy_file, every_theme=every_theme, cues=cues, names=names
    )
    _emit_explanation(report, fmt)


def _emit_explanation(report: dict, fmt: OutputFormat) -> None:
    """One row per theme: found or not, the margin, and its cues in words (CSV: one row per cue)."""
    if fmt is OutputFormat.json:
        emit([], fmt, [], json_rows=report)
        return
    if fmt is OutputFormat.csv:
        rows = [
            {
                "theme": e["theme"],
                "found": e["found"],
                "method": e["method"],
                "score": e["score"],
                "reason": e["reason"],
                "feature": c["feature"],
                "description": c["description"],
                "weight": c["weight"],
                "written": " ".join(c["written"]),
            }
            for e in report["explanations"]
            for c in e["cues"]
        ]
        emit(rows, fmt, [])
        return

    def because(e: dict) -> str:
        lines = []
        for c in e["cues"]:
            written = f" (written {', '.join(repr(w) for w in c['written'])})" if c["written"] else ""
            weight = f"{c['weight']:+.2f} " if e["method"] == "model" else ""
            lines.append(f"{weight}{c['description']}{written}")
        if e["more_cues"]:
            lines.append(f"... and {e['more_cues']} more (--cues 0 lists them all)")
        return "\n".join(lines) or "-"

    rows = [
        {
            "label": f"{e['label']} ({e['theme']})",
            "found": "yes" if e["found"] else "no",
            "why": e["reason"],
            "because": because(e),
        }
        for e in report["explanations"]
    ]
    cols = [
        Col("label", "theme"),
        Col("found"),
        Col("why", wrap=True),
        Col("because", "cues (weight, what)", wrap=True, min_width=30),
    ]
    message(f"comment (redacted): {report['comment']}")
    emit(rows, fmt, cols, title="themes of the comment", empty="no theme found (--all shows why not)")


def _emit_themes(rows: list[dict], n_comments: int, by: str | None, fmt: OutputFormat, what: str) -> None:
    """The themes table: JSON/CSV as data; the table with examples one per line and the impact legend."""
    if fmt in (OutputFormat.json, OutputFormat.csv):
        if fmt is OutputFormat.csv:
            rows = [{**r, "examples": " | ".join(r["examples"])} for r in rows]
        emit(rows, fmt, [])
        return
    for r in rows:
        r["example_text"] = "\n".join(f"- {e}" for e in r["examples"])
        r["share"] = "-" if r["share_of_detractors"] is None else f"{r['share_of_detractors']:.0f}%"
    cols = ([Col(by)] if by else []) + THEME_COLS
    emit(rows, fmt, cols, title=f"themes in {n_comments} {what}", empty=f"no {what} in this window")
    if rows:  # the legend of a table that was shown
        message("impact = NPS of responses mentioning the theme minus NPS of those that don't")


def _emit_evaluation(report: dict, fmt: OutputFormat) -> None:
    """Per theme, the micro and macro averages, then the worst misses (redacted) and what was read."""
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
    matcher = " (keywords only)" if report["matcher"] == "keywords" else ""
    title = f"theme accuracy{matcher} on {report['comments']} labelled comments of {report['file']}"
    emit(rows, fmt, cols, title=title)
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
    if report["ignored"]:
        names = ", ".join(f"{i['name']!r} ({i['rows']})" for i in report["ignored"][:10])
        more = f" and {len(report['ignored']) - 10} more" if len(report["ignored"]) > 10 else ""
        message(f"not themes of the taxonomy, left out of the expected themes (rows): {names}{more}")
