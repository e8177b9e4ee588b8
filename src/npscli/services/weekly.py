"""The weekly (or monthly) trend report as plain data: one JSON-ready dict, no Typer, no formatting.

Every NPS figure comes from ``npscli.services.scoring.score`` (the path behind `npscli score`), with the
same request the CLI builds for the same window, so a report always agrees with::

    npscli score --period week --since 2025-11-17 --until 2025-11-23 --compare previous   # "overall"
    npscli score --period week --since ... --compare previous --by location               # "by_location"
    npscli score --period week --since 2025-09-01 --until 2025-11-23                      # "trend"
    npscli score --since 2025-08-25 --until 2025-11-16                                    # "baseline"

The baseline is the trailing ``trend_periods`` periods (12 weeks or 12 months) *before* the report's
period; the change against it is a single two-sided z-test (``npscli.core.nps.compare``). Changes in the
location and department tables are Holm-adjusted across the rows shown, exactly as `score` does.

Ticket figures come from ``npscli.store.tickets`` (as `npscli tickets stats` shows them); comments are
always passed through ``npscli.core.redact.redact`` with the patient's own name before they leave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from npscli.core import nps as npsmath
from npscli.core.errors import UsageError
from npscli.core.periods import last_complete_week, naive_utc, period_bounds, period_key, previous_period, resolve_now
from npscli.services.comments import real_comment

if TYPE_CHECKING:
    from npscli.store.engine import Store

KINDS = {"week": "weekly", "month": "monthly"}
COMMENT_MAX_CHARS = 400
TOP_THEMES = 5


# ------------------------------------------------------------------ periods


@dataclass(frozen=True)
class ReportPeriod:
    """One whole calendar week or month, as local dates and as the aware window ``[start, end)``."""

    kind: str  # "week" or "month"
    key: str  # "2025-W47" / "2025-11"
    first_day: date
    end_day: date  # exclusive
    start: datetime  # local midnight of first_day, aware
    end: datetime  # local midnight of end_day, aware

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end_day - self.first_day).days

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first_day:%B %Y}"
        week = int(self.key.split("-W")[1])
        first, last = self.first_day, self.last_day
        span = f"{first.day} {first:%b}" if first.year != last.year or first.month != last.month else f"{first.day}"
        span = f"{span} {first.year}" if first.year != last.year else span
        return f"Week {week}, {span}–{last.day} {last:%b %Y}"


def make_period(kind: str, key: str, tz: str) -> ReportPeriod:
    if kind == "week" and (written := re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", key)) and 1 <= int(written[2]) <= 53:
        week = f"{written[1]}-W{int(written[2]):02d}"
        raise UsageError(f"{key!r} is not a week: a week is written {week}", hint=f"use --week {week} (ISO week)")
    first, end = period_bounds(key)
    normalized = period_key(first, kind)
    if normalized != key.strip().upper() or period_bounds(normalized) != (first, end):
        example = "2025-W47" if kind == "week" else "2025-11"
        raise UsageError(f"{key!r} is not a {kind}", hint=f"use the form {example}")
    return ReportPeriod(
        kind=kind,
        key=normalized,
        first_day=first,
        end_day=end,
        start=resolve_now(first.isoformat(), tz),
        end=resolve_now(end.isoformat(), tz),
    )


def last_complete(kind: str, now: datetime) -> str:
    """The key of the last whole week (Monday-Sunday) or calendar month that ended by ``now``'s date."""
    if kind == "week":
        return last_complete_week(now)
    return period_key(now.date().replace(day=1) - timedelta(days=1), "month")


def resolve_period(kind: str, key: str | None, now: datetime, tz: str) -> ReportPeriod:
    if kind not in KINDS:
        raise UsageError(f"unknown report period {kind!r}", hint="use week or month")
    return make_period(kind, key if key else last_complete(kind, now), tz)


def trailing_keys(key: str, count: int) -> list[str]:
    """``count`` period keys ending with ``key``, oldest first."""
    keys = [key]
    while len(keys) < count:
        keys.append(previous_period(keys[-1]))
    return keys[::-1]


# ------------------------------------------------------------------ options


@dataclass
class ReportOptions:
    kind: str = "week"
    key: str | None = None  # None: the last complete period before "now"
    location: str | None = None  # None: the whole clinic
    timezone: str = "UTC"
    method: str = "adjusted-wald"
    min_n: int = 30
    trend_periods: int = 12
    comments: int = 3  # per side (promoters, detractors)
    include_contact: bool = False
    ticket_threshold: int = 6
    clinic_name: str | None = None  # None (not configured): the report names no clinic
    taxonomy: Any = None  # a loaded npscli.core.themes.Taxonomy, or None for "themes unavailable"
    emerging: Any = None  # npscli.core.emerging.DetectorSettings ([emerging] of npscli.toml); None: defaults
    promoter_min: int = 9
    detractor_max: int = 6


# ------------------------------------------------------------------ small helpers


def _counts(row: dict[str, Any] | None) -> npsmath.Counts:
    if not row:
        return npsmath.Counts()
    return npsmath.Counts(detractors=row["detractors"], passives=row["passives"], promoters=row["promoters"])


def _empty_row(**keys: Any) -> dict[str, Any]:
    return {**keys, **npsmath.summarize(npsmath.Counts()).as_dict()}


def _local_iso(dt: datetime | None, tz: str) -> str | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).isoformat(timespec="minutes")


def _shorten(text: str, limit: int = COMMENT_MAX_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _redactor():
    from npscli.core.redact import redact

    def clean(text: str | None, name: str | None) -> str | None:
        if text is None or not text.strip():
            return None
        return redact(text, names=(name,) if name else ())

    return clean


# ------------------------------------------------------------------ store reads the scoring path lacks


def _responses(
    store: Store,
    start: datetime,
    end: datetime,
    location: str | None,
    *,
    max_score: int | None = None,
    with_comment: bool = False,
) -> list[dict[str, Any]]:
    from npscli.store.queries import responses_in

    columns = ("response_id", "submitted_at", "score", "comment", "location", "department", "patient_name")
    rows = responses_in(
        store,
        columns,
        start=start,
        end=end,
        equal={"location": location} if location is not None else None,
        max_score=max_score,
        with_comment=with_comment,
        newest_first=True,
    )
    return [r._asdict() for r in rows]  # _asdict: the keys once, not per row


# ------------------------------------------------------------------ assembling


def build_report(store: Store, opts: ReportOptions, now: datetime) -> dict[str, Any]:
    """Everything the report shows, as plain values (numbers unrounded only where `score` leaves them)."""
    period = resolve_period(opts.kind, opts.key, now, opts.timezone)
    if opts.trend_periods < 2:
        raise UsageError("a trend needs at least 2 periods", hint="set reports.trend_periods to 2 or more")
    # trend_periods + 1 keys: the oldest trend_periods of them (all before this period) are the baseline.
    keys = trailing_keys(period.key, opts.trend_periods + 1)
    trend_keys, baseline_keys = keys[1:], keys[:-1]
    trend_start = make_period(period.kind, trend_keys[0], opts.timezone).start
    baseline_start = make_period(period.kind, baseline_keys[0], opts.timezone).start
    scorer = _Scorer(store, opts, period)

    overall, has_data = _overall(scorer)
    baseline = _baseline(scorer, overall, baseline_keys, baseline_start)
    trend = _series(scorer.score(period=period.kind, start=trend_start, end=period.end), trend_keys)
    trend_by_location: dict[str, list[dict[str, Any]]] = {}
    by_location: list[dict[str, Any]] = []
    if opts.location is None:
        trend_by_location = _location_trends(scorer, trend_keys, trend_start)
        by_location = scorer.this_period(("location",))
    by_department = scorer.this_period(("department",))

    tickets = _ticket_summary(store, opts, period, now)
    themes, emerging, comments, notes = _comment_sections(store, opts, period, baseline_start)
    detractor_rows = _detractor_rows(store, opts, period, now)
    if period.start > now:  # --week 2027-W01 typed for 2026-W01: nothing "was recorded", it has not begun
        notes.insert(0, f"This {period.kind} has not begun yet ({now:%Y-%m-%d} is before it): nothing to report.")
    elif period.end > now:
        notes.insert(0, f"This {period.kind} is not over yet: the figures are partial.")
    if has_data and overall["low_n"]:
        notes.append(
            f"Fewer than {opts.min_n} responses this {period.kind}: the interval is wide, read changes with care."
        )

    return {
        "report": KINDS[period.kind],
        "period": {
            "kind": period.kind,
            "key": period.key,
            "label": period.label,
            "first_day": period.first_day.isoformat(),
            "last_day": period.last_day.isoformat(),
            "previous": previous_period(period.key),
        },
        "location": opts.location,
        "clinic_name": opts.clinic_name or None,
        "generated_at": now.isoformat(timespec="seconds"),
        "timezone": opts.timezone,
        "method": opts.method,
        "min_n": opts.min_n,
        "has_data": has_data,
        "overall": overall,
        "baseline": baseline,
        "trend": trend,
        "trend_by_location": trend_by_location,
        "by_location": by_location,
        "by_department": by_department,
        "detractors": overall["detractors"],
        "tickets": tickets,
        "themes": themes,
        "emerging": emerging,
        "comments": comments,
        "detractor_rows": detractor_rows,
        "include_contact": opts.include_contact,
        "notes": notes,
    }


class _Scorer:
    """The report's NPS figures, each through `score` (the path behind `npscli score`) with the report's
    location, method and thresholds."""

    def __init__(self, store: Store, opts: ReportOptions, period: ReportPeriod) -> None:
        self.store, self.opts, self.period = store, opts, period
        self.filters = {"location": (opts.location,)} if opts.location else {}

    def score(self, **kw: Any) -> list[dict[str, Any]]:
        from npscli.services.scoring import ScoreRequest, score

        opts = self.opts
        request = ScoreRequest(
            filters=dict(self.filters),
            method=opts.method,
            min_n=opts.min_n,
            timezone=opts.timezone,
            promoter_min=opts.promoter_min,
            detractor_max=opts.detractor_max,
            **kw,
        )
        return score(self.store, request)

    def this_period(self, by: tuple[str, ...]) -> list[dict[str, Any]]:
        """This period's rows (by ``by``), each compared with the period before."""
        p = self.period
        rows = self.score(by=by, period=p.kind, start=p.start, end=p.end, compare=True)
        return [r for r in rows if r["period"] == p.key]


def _overall(scorer: _Scorer) -> tuple[dict[str, Any], bool]:
    """This period's overall row (an empty one when nobody answered) and whether anybody did."""
    current = scorer.this_period(())
    overall = current[0] if current else None
    has_data = overall is not None and overall["n"] > 0
    if overall is None:
        overall = {
            "period": scorer.period.key,
            **_empty_row(),
            "previous_nps": None,
            "change": None,
            "p_value": None,
            "p_adjusted": None,
            "significant": False,
        }
    return overall, has_data


def _baseline(scorer: _Scorer, overall: dict[str, Any], keys: list[str], start: datetime) -> dict[str, Any]:
    """The periods before this one taken together, and this period compared with them."""
    period = scorer.period
    row = scorer.score(start=start, end=period.start)[0]
    vs = npsmath.compare(_counts(overall), _counts(row))
    return {
        "periods": scorer.opts.trend_periods,
        "first_period": keys[0],
        "last_period": keys[-1],
        "since": start.date().isoformat(),
        "until": (period.first_day - timedelta(days=1)).isoformat(),
        **row,
        "change": round(vs.change, 1) if vs else None,
        "p_value": round(vs.p_value, 4) if vs and vs.p_value is not None else None,
        "significant": bool(vs and vs.significant),
    }


def _series(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """One row per period key, an empty one for a period without responses."""
    by_key = {r["period"]: r for r in rows}
    return [by_key.get(k) or _empty_row(period=k) for k in keys]


def _location_trends(scorer: _Scorer, keys: list[str], start: datetime) -> dict[str, list[dict[str, Any]]]:
    """Each location's trend over the same periods (responses without a location as "(none)")."""
    period = scorer.period
    rows = scorer.score(by=("location",), period=period.kind, start=start, end=period.end)
    grouped: dict[str | None, list[dict[str, Any]]] = {}
    for r in rows:
        grouped.setdefault(r["location"], []).append(r)
    return {
        (loc if loc is not None else "(none)"): [
            {k: v for k, v in r.items() if k != "location"} for r in _series(grouped[loc], keys)
        ]
        for loc in sorted(grouped, key=lambda v: (v is None, str(v)))
    }


def _ticket_summary(store: Store, opts: ReportOptions, period: ReportPeriod, now: datetime) -> dict[str, Any]:
    from npscli.core import tickets as rules
    from npscli.services.views import ticket_row
    from npscli.store.ticket_stats import ticket_stats
    from npscli.store.tickets import TicketFilter, list_tickets, overdue_ticket_ids

    by = "location" if opts.location else None
    stats = ticket_stats(store, by=by, since=period.start, until=period.end, now=now, threshold=opts.ticket_threshold)
    if opts.location:
        stats = [r for r in stats if r["location"] == opts.location]
    row = stats[0] if stats else {}
    where = (opts.location,) if opts.location else ()
    overdue = overdue_ticket_ids(store, now, where)
    window = list_tickets(store, TicketFilter(since=period.start, until=period.end, location=where), newest_first=False)
    now_utc = naive_utc(now)
    rows = []
    for t in window:
        r = ticket_row(t, now=now, tz=opts.timezone)
        r.pop("comment", None)  # comments travel redacted, on the Detractors sheet only
        # as in the summary's share: blank while the ticket still has time (not contacted, not yet due)
        if t["first_contact_at"]:
            r["within_sla"] = t["first_contact_at"] <= t["due_at"]
        else:
            r["within_sla"] = False if t["due_at"] <= now_utc else None
        rows.append(r)
    return {
        "opened": row.get("opened", 0),
        "closed": row.get("closed", 0),
        "open": row.get("open", 0),
        "median_hours_to_contact": row.get("median_hours_to_contact"),
        "contacted_within_sla": row.get("contacted_within_sla"),
        "sla_met": row.get("sla_met", 0),
        "sla_decided": row.get("sla_decided", 0),
        "overdue_in_period": row.get("overdue_open", 0),
        # most overdue first
        "overdue_now": [rules.format_ticket_id(number) for number in overdue],
        "rows": rows,
    }


def _detractor_rows(store: Store, opts: ReportOptions, period: ReportPeriod, now: datetime) -> list[dict[str, Any]]:
    from npscli.services.views import detractor_row
    from npscli.store.queries import list_detractors

    clean = _redactor()
    filters = {"location": (opts.location,)} if opts.location else {}
    raw = list_detractors(store, max_score=opts.detractor_max, since=period.start, until=period.end, filters=filters)
    out = []
    for r in raw:
        row = detractor_row(r, now=now, tz=opts.timezone, show_contact=opts.include_contact)
        row["comment"] = clean(r.get("comment"), r.get("patient_name"))
        row["themes"] = ", ".join(opts.taxonomy.match(r.get("comment"))) if opts.taxonomy and r.get("comment") else ""
        out.append(row)
    return out


def _comment_sections(
    store: Store, opts: ReportOptions, period: ReportPeriod, baseline_start: datetime
) -> tuple[list[dict[str, Any]], dict[str, Any], dict[str, list[dict[str, Any]]], list[str]]:
    """Top themes among detractors, emerging issues, and a few redacted comments from each side."""
    notes: list[str] = []
    window = _responses(store, period.start, period.end, opts.location)
    taxonomy = opts.taxonomy
    matched = {id(r): (taxonomy.match(r["comment"]) if taxonomy and r["comment"] else []) for r in window}

    themes: list[dict[str, Any]] = []
    emerging: dict[str, Any] = {"available": False, "group_by": None, "issues": []}
    if taxonomy is None:
        notes.append("Themes and emerging issues are not shown: the theme taxonomy could not be loaded.")
    else:
        from npscli.core.themes import theme_impact

        impact = theme_impact(
            ((r["score"], matched[id(r)]) for r in window),
            taxonomy.codes,
            promoter_min=opts.promoter_min,
            detractor_max=opts.detractor_max,
        )
        ranked = sorted(
            (t for t in impact if t["detractor_mentions"]), key=lambda t: (-t["detractor_mentions"], t["theme"])
        )
        for t in ranked[:TOP_THEMES]:
            themes.append({**t, "label": taxonomy.theme(t["theme"]).label})
        emerging = _emerging(store, opts, period, baseline_start, window, matched)

    clean = _redactor()
    comments: dict[str, list[dict[str, Any]]] = {"detractors": [], "promoters": []}
    for side, wanted in (
        ("detractors", lambda s: s <= opts.detractor_max),
        ("promoters", lambda s: s >= opts.promoter_min),
    ):
        for r in window:
            if len(comments[side]) >= opts.comments:
                break
            if not wanted(r["score"]) or not real_comment(r["comment"]):
                continue
            if taxonomy is not None and taxonomy.is_abusive(r["comment"]):
                continue  # abusive text is for the ticket owner, not a management report
            text = clean(r["comment"], r["patient_name"])
            if not text:
                continue
            comments[side].append(
                {
                    "score": r["score"],
                    "location": r["location"],
                    "department": r["department"],
                    "date": _local_iso(r["submitted_at"], opts.timezone)[:10],
                    "text": _shorten(text),
                    "themes": [taxonomy.theme(c).label for c in matched[id(r)]] if taxonomy else [],
                }
            )
    return themes, emerging, comments, notes


def _emerging(store, opts, period, baseline_start, window, matched) -> dict[str, Any]:
    """The emerging issues as the report's period ends: (theme, location) — (theme, department) in a
    one-location report — flagged by the CUSUM in the last 14 days.

    The same detection and the same sentence as `npscli themes --emerging --as-of <period end>` and the
    alerts (npscli.services.themes.emerging_issues and describe_issue), so they never disagree.
    """
    from npscli.services.themes import describe_issue, emerging_issues

    taxonomy = opts.taxonomy
    group_by = "department" if opts.location else "location"
    found = emerging_issues(
        store,
        taxonomy,
        now=period.end,
        tz=opts.timezone,
        by=group_by,
        # Detractors' and passives' comments: praise mentioning a topic must not look like an issue.
        max_score=opts.promoter_min - 1,
        filters={"location": (opts.location,)} if opts.location else None,
        detector=opts.emerging,
    )
    items = [
        {
            "theme": e.theme,
            "label": taxonomy.theme(e.theme).label,
            "group": e.group,
            "count": e.mentions,
            "expected": round(e.expected, 2),
            "first_flagged": e.first_flagged.isoformat(),
            "days": e.days,
            "text": describe_issue(e, taxonomy),
        }
        for e in found
    ]
    return {"available": True, "group_by": group_by, "issues": items}
