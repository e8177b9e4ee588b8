"""Turning a report (``npscli.services.weekly.build_report``) into files: HTML, Markdown, XLSX and JSON.

HTML and Markdown go through the one Jinja environment (``npscli.templating``), from the overridable
templates ``reports/weekly.html.j2`` / ``reports/weekly.md.j2`` (``reports/monthly.*.j2`` extend them).
Templates receive ``report`` (the raw numbers, as in the JSON file) and ``view`` (the same, formatted
for reading: every number as text, the charts as inline SVG). Nothing in a template needs a filter.

File names are deterministic (``nps-weekly-2025-W47.html``, ``nps-monthly-2025-11-eastgate.xlsx``) and
every file is written atomically: a temporary file in the same folder (mode 0600, since reports quote
patients), then ``os.replace``, so a reader or a mailer never sees half a report.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import Any

from npscli.core.errors import UsageError
from npscli.io.private import private_dir
from npscli.reports import svg

FORMATS = ("html", "xlsx", "md", "json")
_SPARK = "▁▂▃▄▅▆▇█"
OVERDUE_SHOWN = 25  # ids listed in HTML / Markdown, most overdue first


# ------------------------------------------------------------------ names and writing


def slugify(name: str) -> str:
    """``"Eastgate Clinic (North)"`` -> ``"eastgate-clinic-north"``; accents folded, never empty."""
    import re
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "location"


def parse_formats(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    parts = value.split(",") if isinstance(value, str) else [p for v in value for p in str(v).split(",")]
    chosen: list[str] = []
    for part in (p.strip().lower() for p in parts):
        if not part:
            continue
        part = {"markdown": "md", "excel": "xlsx", "htm": "html"}.get(part, part)
        if part not in FORMATS:
            raise UsageError(f"unknown report format {part!r}", hint="use any of: html,xlsx,md,json")
        if part not in chosen:
            chosen.append(part)
    if not chosen:
        raise UsageError("no report format given", hint="use --format html,xlsx,md")
    return tuple(chosen)


def file_name(report: dict[str, Any], ext: str) -> str:
    stem = f"nps-{report['report']}-{report['period']['key']}"
    if report.get("location"):
        stem += f"-{slugify(report['location'])}"
    return f"{stem}.{ext}"


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def render_bytes(report: dict[str, Any], fmt: str, *, user_dir: str | None = None) -> bytes:
    if fmt == "html":
        return html(report, user_dir=user_dir).encode("utf-8")
    if fmt == "md":
        return markdown(report, user_dir=user_dir).encode("utf-8")
    if fmt == "json":
        return (json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n").encode("utf-8")
    if fmt == "xlsx":
        from npscli.reports.xlsx import workbook_bytes

        return workbook_bytes(report)
    raise UsageError(f"unknown report format {fmt!r}", hint="use any of: html,xlsx,md,json")


def write_report(
    report: dict[str, Any], formats: tuple[str, ...], out_dir: Path, *, user_dir: str | None = None
) -> dict[str, Path]:
    """Render every format first (a template error writes nothing), then write each file atomically."""
    rendered = {fmt: render_bytes(report, fmt, user_dir=user_dir) for fmt in formats}
    try:
        private_dir(out_dir)
        return {fmt: write_atomic(out_dir / file_name(report, fmt), data) for fmt, data in rendered.items()}
    except OSError as exc:
        raise UsageError(
            f"cannot write the report to {out_dir} ({exc.strerror or type(exc).__name__})",
            hint="check --out (or reports.out_dir in npscli.toml) names a folder you can write to",
        ) from None


# ------------------------------------------------------------------ formatting


def fmt_nps(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def fmt_interval(row: dict[str, Any]) -> str:
    if row.get("ci_low") is None:
        return "–"
    return f"{row['ci_low']:.1f} to {row['ci_high']:.1f}"


def fmt_change(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f}"


def fmt_p(value: float | None) -> str:
    if value is None:
        return "–"
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def fmt_int(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def fmt_pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def _versus(change: float | None, significant: bool, p_value: float | None, against: str) -> str | None:
    if change is None:
        return None
    verdict = "significant" if significant else "not significant"
    if change == 0:
        return f"No change on {against}: {verdict} ({fmt_p(p_value)})."
    direction = "Up" if change > 0 else "Down"
    return f"{direction} {abs(change):.1f} points on {against}: {verdict} ({fmt_p(p_value)})."


def headline(report: dict[str, Any]) -> list[str]:
    """The report in a few sentences (the same in every format)."""
    o, b, noun = report["overall"], report["baseline"], report["period"]["kind"]
    if not report["has_data"]:
        return [f"No responses were recorded this {noun}."]
    lines = [
        f"NPS {fmt_nps(o['nps'])} (95% interval {fmt_interval(o)}) from {fmt_int(o['n'])} responses: "
        f"{fmt_int(o['promoters'])} promoters, {fmt_int(o['passives'])} passives, "
        f"{fmt_int(o['detractors'])} detractors."
    ]
    prev = _versus(
        o.get("change"),
        bool(o.get("significant")),
        o.get("p_value"),
        f"the previous {noun} (NPS {fmt_nps(o.get('previous_nps'))})",
    )
    lines.append(prev or f"No responses the previous {noun} to compare with.")
    base = _versus(
        b.get("change"),
        bool(b.get("significant")),
        b.get("p_value"),
        f"the previous {b['periods']} {noun}s (NPS {fmt_nps(b['nps'])}, n = {fmt_int(b['n'])})",
    )
    lines.append(base or f"No responses in the previous {b['periods']} {noun}s to compare with.")
    return lines


def _short_label(key: str) -> str:
    if "-W" in key:
        return "W" + key.split("-W")[1]
    from datetime import date

    year, month = key.split("-")[:2]
    return f"{date(int(year), int(month), 1):%b}"


def _tooltip(row: dict[str, Any]) -> str:
    if not row["n"]:
        return f"{row['period']}: no responses"
    return f"{row['period']}: NPS {fmt_nps(row['nps'])} ({fmt_interval(row)}), n = {row['n']}"


def _points(series: list[dict[str, Any]]) -> list[svg.Point]:
    return [
        svg.Point(
            label=_short_label(r["period"]),
            value=r["nps"],
            low=r["ci_low"],
            high=r["ci_high"],
            low_n=bool(r["low_n"]),
            n=r["n"],
            title=_tooltip(r),
        )
        for r in series
    ]


def sparkline(series: list[dict[str, Any]], bottom: float = -100.0, top: float = 100.0) -> str:
    """A one-line trend for chat and plain text: one block per period, a dot where there were no responses."""
    marks = []
    for r in series:
        if r["nps"] is None:
            marks.append("·")
            continue
        share = (min(top, max(bottom, r["nps"])) - bottom) / ((top - bottom) or 1)
        marks.append(_SPARK[min(len(_SPARK) - 1, int(share * len(_SPARK)))])
    return "".join(marks)


def md_escape(text: Any) -> str:
    """Markdown-inert text for a table cell or a quote: no links, images, emphasis, HTML or pipes."""
    value = " ".join(str(text if text is not None else "").split())
    value = re.sub(r"([\\`*_\[\]<>|~])", r"\\\1", value)
    return re.sub(r"^([#+=>-])", r"\\\1", value)


def _group_rows(rows: list[dict[str, Any]], name: str, esc) -> list[dict[str, Any]]:
    return [
        {
            "name": esc(r[name] if r[name] is not None else "(none)"),
            "n": fmt_int(r["n"]),
            "nps": fmt_nps(r["nps"]),
            "interval": fmt_interval(r),
            "change": fmt_change(r.get("change")),
            "p": fmt_p(r.get("p_adjusted")),
            "significant": bool(r.get("significant")),
            "low_n": bool(r["low_n"]),
            "detractors": fmt_int(r["detractors"]),
        }
        for r in rows
    ]


def _overdue_text(ids: list[str]) -> str:
    shown = ids[:OVERDUE_SHOWN]
    more = len(ids) - len(shown)
    tail = f" … and {more:,} more (npscli tickets list --overdue lists them all)" if more else ""
    return ", ".join(shown) + tail


def build_view(report: dict[str, Any], *, markdown_text: bool = False) -> dict[str, Any]:
    """Everything a template shows, formatted. ``markdown_text`` escapes data text for Markdown
    (HTML templates are autoescaped by the environment instead)."""
    from markupsafe import Markup

    esc = md_escape if markdown_text else (lambda v: "" if v is None else str(v))
    trend, by_loc = report["trend"], report["trend_by_location"]
    shared = svg.y_range([_points(trend), *(_points(s) for s in by_loc.values())])
    overall_chart, location_charts = _charts(report, shared)
    named = " — ".join(part for part in (report["clinic_name"], report["location"]) if part)
    return {
        "title": f"Patient feedback — {report['period']['label']}",
        "subtitle": esc(named),
        "noun": report["period"]["kind"],
        "headline": headline(report),  # our own sentences: numbers only, nothing from the data
        "kpis": _kpis(report),
        "chart": Markup(overall_chart),
        "location_charts": [Markup(chart) for chart in location_charts],
        "sparkline": sparkline(trend, *shared),
        "location_sparklines": [
            {"name": esc(name), "spark": sparkline(series, *shared), "last": fmt_nps(series[-1]["nps"])}
            for name, series in by_loc.items()
        ],
        "trend": [
            {
                "period": r["period"],
                "n": fmt_int(r["n"]),
                "nps": fmt_nps(r["nps"]),
                "interval": fmt_interval(r),
                "low_n": bool(r["low_n"]),
            }
            for r in trend
        ],
        "by_location": _group_rows(report["by_location"], "location", esc),
        "by_department": _group_rows(report["by_department"], "department", esc),
        "tickets": _ticket_view(report["tickets"]),
        "themes": [
            {
                "label": esc(th["label"]),
                "mentions": fmt_int(th["detractor_mentions"]),
                "share": fmt_pct(None if th["share_of_detractors"] is None else 100 * th["share_of_detractors"]),
                "impact": fmt_change(th["impact"]),
            }
            for th in report["themes"]
        ],
        "emerging": {
            "available": report["emerging"]["available"],
            "lines": [esc(e["text"]) for e in report["emerging"]["issues"]],
        },
        "comments": {side: _comment_rows(report, side, esc) for side in ("detractors", "promoters")},
        "notes": list(report["notes"]),
        "footer": (
            f"Generated by npscli on {report['generated_at'][:16].replace('T', ' ')} ({report['timezone']}). "
            f"NPS in points (-100 to 100); {report['method']} 95% intervals; groups with fewer than "
            f"{report['min_n']} responses are greyed. Changes in the tables are Holm-adjusted across their rows; "
            f"the two headline comparisons are single tests. Comments are redacted."
        ),
    }


def _charts(report: dict[str, Any], shared: tuple[float, float]) -> tuple[str, list[str]]:
    """The overall trend chart and one small chart per location, on one y range so they compare."""
    noun, trend = report["period"]["kind"], report["trend"]
    where = report["location"] or report["clinic_name"]
    overall = svg.line_chart(
        _points(trend),
        title=f"NPS by {noun}, last {len(trend)} {noun}s" + (f" — {where}" if where else ""),
        yrange=shared,
        chart_id="trend-overall",
    )
    by_location = [
        svg.line_chart(
            _points(series), title=name, width=350, height=170, yrange=shared, chart_id=f"trend-{slugify(name)}"
        )
        for name, series in report["trend_by_location"].items()
    ]
    return overall, by_location


def _significance(change: Any, significant: Any) -> str:
    if change is None:
        return ""
    return "significant" if significant else "not significant"


def _kpis(report: dict[str, Any]) -> list[dict[str, str]]:
    """The headline figures across the top of the report."""
    noun, o, baseline = report["period"]["kind"], report["overall"], report["baseline"]
    overdue = report["tickets"]["overdue_now"]
    return [
        {"label": "NPS", "value": fmt_nps(o["nps"]), "detail": f"95% interval {fmt_interval(o)}"},
        {"label": "Responses", "value": fmt_int(o["n"]), "detail": "low n" if o["low_n"] and o["n"] else ""},
        {
            "label": f"vs previous {noun}",
            "value": fmt_change(o.get("change")),
            "detail": _significance(o.get("change"), o.get("significant")),
        },
        {
            "label": f"vs {baseline['periods']} {noun}s",
            "value": fmt_change(baseline["change"]),
            "detail": _significance(baseline["change"], baseline["significant"]),
        },
        {"label": "Detractors", "value": fmt_int(report["detractors"]), "detail": ""},
        {"label": "Overdue tickets", "value": fmt_int(len(overdue)), "detail": "open, not contacted in time"},
    ]


def _ticket_view(t: dict[str, Any]) -> dict[str, Any]:
    median = t["median_hours_to_contact"]
    return {
        "opened": fmt_int(t["opened"]),
        "closed": fmt_int(t["closed"]),
        "open": fmt_int(t["open"]),
        "within_sla": fmt_pct(t["contacted_within_sla"])
        + (f" ({t['sla_met']} of {t['sla_decided']})" if t.get("sla_decided") else ""),
        "median_hours": "–" if median is None else f"{median:.1f} h",
        # no ticket contacted yet: no median to speak of
        "median_phrase": "" if median is None else f"; median {median:.1f} h to first contact",
        "overdue_count": fmt_int(len(t["overdue_now"])),
        "overdue_ids": _overdue_text(t["overdue_now"]),
        "overdue_shown": t["overdue_now"][:OVERDUE_SHOWN],
        "overdue_more": max(0, len(t["overdue_now"]) - OVERDUE_SHOWN),
    }


def _comment_rows(report: dict[str, Any], side: str, esc) -> list[dict[str, Any]]:
    return [
        {
            "score": c["score"],
            "where": esc(" / ".join(v for v in (c["location"], c["department"]) if v) or "–"),
            "date": c["date"],
            "text": esc(c["text"]),
            "themes": esc(", ".join(c["themes"])),
        }
        for c in report["comments"][side]
    ]


# ------------------------------------------------------------------ templates


def _template(report: dict[str, Any], ext: str) -> str:
    return f"reports/{report['report']}.{ext}.j2"


def html(report: dict[str, Any], *, user_dir: str | None = None) -> str:
    from npscli.templating import render

    return render(_template(report, "html"), {"report": report, "view": build_view(report)}, user_dir=user_dir)


def markdown(report: dict[str, Any], *, user_dir: str | None = None) -> str:
    from npscli.templating import render

    view = build_view(report, markdown_text=True)
    return render(_template(report, "md"), {"report": report, "view": view}, user_dir=user_dir)
