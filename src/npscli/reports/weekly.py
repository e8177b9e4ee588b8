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

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from npscli.core import nps as npsmath
from npscli.core.errors import UsageError
from npscli.core.periods import last_complete_week, period_bounds, period_key, previous_period, resolve_now

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
    clinic_name: str = "our clinic"
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


def _naive_utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None)


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


def slugify(name: str) -> str:
    """``"Eastgate Clinic (North)"`` -> ``"eastgate-clinic-north"``; accents folded, never empty."""
    import re
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "location"


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
    from sqlalchemy import func, select

    from npscli.store.schema import responses as R

    q = select(
        R.c.response_id,
        R.c.submitted_at,
        R.c.score,
        R.c.comment,
        R.c.location,
        R.c.department,
        R.c.patient_name,
    ).where(R.c.submitted_at >= _naive_utc(start), R.c.submitted_at < _naive_utc(end))
    if location is not None:
        q = q.where(R.c.location == location)
    if max_score is not None:
        q = q.where(R.c.score <= max_score)
    if with_comment:
        q = q.where(func.length(func.trim(func.coalesce(R.c.comment, ""))) > 0)
    q = q.order_by(R.c.submitted_at.desc(), R.c.id.desc())
    with store.read() as conn:
        return [r._asdict() for r in conn.execute(q)]  # _asdict: the keys once, not per row


def locations_in(store: Store, start: datetime, end: datetime) -> list[str]:
    """Every location with a response in ``[start, end)``, sorted (for ``--location all``)."""
    from sqlalchemy import select

    from npscli.store.schema import responses as R

    q = (
        select(R.c.location)
        .where(R.c.submitted_at >= _naive_utc(start), R.c.submitted_at < _naive_utc(end), R.c.location.is_not(None))
        .distinct()
    )
    with store.read() as conn:
        return sorted(v for v in conn.execute(q).scalars() if v)


# ------------------------------------------------------------------ assembling


def build_report(store: Store, opts: ReportOptions, now: datetime) -> dict[str, Any]:
    """Everything the report shows, as plain values (numbers unrounded only where `score` leaves them)."""
    from npscli.services.scoring import ScoreRequest, score

    period = resolve_period(opts.kind, opts.key, now, opts.timezone)
    if opts.trend_periods < 2:
        raise UsageError("a trend needs at least 2 periods", hint="set reports.trend_periods to 2 or more")
    filters = {"location": (opts.location,)} if opts.location else {}
    # trend_periods + 1 keys: the oldest trend_periods of them (all before this period) are the baseline.
    keys = trailing_keys(period.key, opts.trend_periods + 1)
    trend_keys, baseline_keys = keys[1:], keys[:-1]
    trend_start = make_period(period.kind, trend_keys[0], opts.timezone).start
    baseline_start = make_period(period.kind, baseline_keys[0], opts.timezone).start

    def request(**kw: Any) -> ScoreRequest:
        return ScoreRequest(
            filters=dict(filters),
            method=opts.method,
            min_n=opts.min_n,
            timezone=opts.timezone,
            promoter_min=opts.promoter_min,
            detractor_max=opts.detractor_max,
            **kw,
        )

    def this_period(by: tuple[str, ...]) -> list[dict[str, Any]]:
        rows = score(store, request(by=by, period=period.kind, start=period.start, end=period.end, compare=True))
        return [r for r in rows if r["period"] == period.key]

    current = this_period(())
    overall = current[0] if current else None
    has_data = overall is not None and overall["n"] > 0
    if overall is None:
        overall = {
            "period": period.key,
            **_empty_row(),
            "previous_nps": None,
            "change": None,
            "p_value": None,
            "p_adjusted": None,
            "significant": False,
        }

    baseline_row = score(store, request(start=baseline_start, end=period.start))[0]
    vs_baseline = npsmath.compare(_counts(overall), _counts(baseline_row))
    baseline = {
        "periods": opts.trend_periods,
        "first_period": baseline_keys[0],
        "last_period": baseline_keys[-1],
        "since": baseline_start.date().isoformat(),
        "until": (period.first_day - timedelta(days=1)).isoformat(),
        **baseline_row,
        "change": round(vs_baseline.change, 1) if vs_baseline else None,
        "p_value": round(vs_baseline.p_value, 4) if vs_baseline and vs_baseline.p_value is not None else None,
        "significant": bool(vs_baseline and vs_baseline.significant),
    }

    trend_rows = score(store, request(period=period.kind, start=trend_start, end=period.end))
    by_key = {r["period"]: r for r in trend_rows}
    trend = [by_key.get(k) or _empty_row(period=k) for k in trend_keys]

    trend_by_location: dict[str, list[dict[str, Any]]] = {}
    by_location: list[dict[str, Any]] = []
    if opts.location is None:
        rows = score(store, request(by=("location",), period=period.kind, start=trend_start, end=period.end))
        grouped: dict[str | None, dict[str, dict[str, Any]]] = {}
        for r in rows:
            grouped.setdefault(r["location"], {})[r["period"]] = r
        for loc in sorted(grouped, key=lambda v: (v is None, str(v))):
            series = grouped[loc]
            trend_by_location[loc if loc is not None else "(none)"] = [
                {k: v for k, v in (series.get(k) or _empty_row(period=k)).items() if k != "location"}
                for k in trend_keys
            ]
        by_location = this_period(("location",))
    by_department = this_period(("department",))

    tickets = _ticket_summary(store, opts, period, now)
    themes, emerging, comments, notes = _comment_sections(store, opts, period, baseline_start)
    detractor_rows = _detractor_rows(store, opts, period, now)

    if period.end > now:
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
        "clinic_name": opts.clinic_name,
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


def _ticket_summary(store: Store, opts: ReportOptions, period: ReportPeriod, now: datetime) -> dict[str, Any]:
    from npscli.core import tickets as rules
    from npscli.services.views import ticket_row
    from npscli.store.tickets import TicketFilter, list_tickets, overdue_ticket_ids, ticket_stats

    by = "location" if opts.location else None
    stats = ticket_stats(store, by=by, since=period.start, until=period.end, now=now, threshold=opts.ticket_threshold)
    if opts.location:
        stats = [r for r in stats if r["location"] == opts.location]
    row = stats[0] if stats else {}
    where = (opts.location,) if opts.location else ()
    overdue = overdue_ticket_ids(store, now, where)
    window = list_tickets(store, TicketFilter(since=period.start, until=period.end, location=where), newest_first=False)
    now_utc = now.astimezone(UTC).replace(tzinfo=None)
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
    from npscli.store.responses import list_detractors

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
            if not wanted(r["score"]) or not (r["comment"] or "").strip():
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
