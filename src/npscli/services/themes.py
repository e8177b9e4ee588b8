"""Comment themes over a window of the store: mentions, impact on NPS, examples, emerging issues.

``theme_rows`` and ``emerging_issues`` are the functions the `themes` command, the alerts and the
weekly report share. Example comments are always redacted (names, contacts, birth dates, record numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from npscli.core.emerging import DetectorSettings, EmergingIssue, find_issues
from npscli.core.emerging import describe_issue as sentence
from npscli.core.errors import UsageError
from npscli.core.redact import redact
from npscli.core.themes import Taxonomy, theme_impact

if TYPE_CHECKING:
    from npscli.store.engine import Store

RECENT_DAYS = 14  # an issue is listed while its last flag is this recent (`themes --emerging --window`)
WARMUP_DAYS = 56  # the CUSUMs run this long before the recent days, so today's state does not depend on
# where the run started (a CUSUM at rest is at zero whatever came before)


@dataclass
class Comment:
    score: int
    text: str
    location: str | None
    department: str | None
    patient_name: str | None
    themes: list[str]


def load_comments(
    store: Store,
    taxonomy: Taxonomy,
    *,
    start: datetime | None,
    end: datetime | None,
    filters: dict[str, tuple[str, ...]] | None = None,
    max_score: int | None = None,
) -> tuple[list[Comment], list[int]]:
    """Theme-tagged comments in the window, and the scores of every response (for NPS with/without)."""
    from npscli.store.queries import responses_in

    rows = responses_in(
        store,
        ("score", "comment", "location", "department", "patient_name"),
        start=start,
        end=end,
        filters=filters,
        max_score=max_score,
    )
    comments: list[Comment] = []
    scores: list[int] = []
    for score, text, location, department, name in rows:
        scores.append(score)
        if text and text.strip():
            comments.append(Comment(score, text, location, department, name, taxonomy.match(text)))
    return comments, scores


def theme_rows(
    comments: list[Comment],
    scores_without_comment: list[int],
    taxonomy: Taxonomy,
    *,
    by: str | None = None,
    detractors_only: bool = False,
    examples: int = 2,
) -> list[dict[str, Any]]:
    """Per theme (and group): mentions, share of detractors mentioning it, NPS with vs without, examples."""
    groups: dict[str | None, list[Comment]] = {}
    for c in comments:
        groups.setdefault(getattr(c, by) if by else None, []).append(c)
    out: list[dict[str, Any]] = []
    for group in sorted(groups, key=lambda g: (g is None, str(g))):
        items = groups[group]
        rows = [(c.score, c.themes) for c in items]
        if not by:
            rows += [(s, []) for s in scores_without_comment]
        impact = {r["theme"]: r for r in theme_impact(rows, taxonomy.codes)}
        for theme in taxonomy.themes:
            r = impact[theme.code]
            mentions = r["detractor_mentions"] if detractors_only else r["mentions"]
            if not mentions:
                continue
            pool = [c for c in items if theme.code in c.themes and (c.score <= 6 or not detractors_only)]
            pool.sort(key=lambda c: (c.score, len(c.text)))
            row: dict[str, Any] = {by: group} if by else {}
            row.update(
                {
                    "theme": theme.code,
                    "label": theme.label,
                    "mentions": mentions,
                    "detractor_mentions": r["detractor_mentions"],
                    "share_of_detractors": None
                    if r["share_of_detractors"] is None
                    else round(100 * r["share_of_detractors"], 1),
                    "nps_with": None if r["nps_with"] is None else round(r["nps_with"], 1),
                    "nps_without": None if r["nps_without"] is None else round(r["nps_without"], 1),
                    "impact": None if r["impact"] is None else round(r["impact"], 1),
                    "examples": [
                        redact(c.text, names=[c.patient_name] if c.patient_name else []) for c in pool[:examples]
                    ],
                }
            )
            out.append(row)
    out.sort(key=lambda r: ((r.get(by) or "") if by else "", -r["mentions"]))
    return out


def emerging_issues(
    store: Store,
    taxonomy: Taxonomy,
    *,
    now: datetime,
    tz: str,
    by: str = "location",
    max_score: int = 8,
    filters: dict[str, tuple[str, ...]] | None = None,
    detector: DetectorSettings | None = None,
    recent_days: int = RECENT_DAYS,
) -> list[EmergingIssue]:
    """The (theme, site) issues flagged by the CUSUM in the last ``recent_days`` days up to ``now``: the one
    detection `npscli themes --emerging`, the alerts (their note and the emerging-issue alert) and the weekly
    report share, so they all say the same sentence (:func:`describe_issue`) of the same issue.

    Days are the clinic's (``tz``). A site's daily volume is its responses (every score); its mentions are
    those of comments scored at or below ``max_score`` (detractors and passives by default), so praise never
    looks like an issue. The CUSUMs start ``WARMUP_DAYS`` (8 weeks) before the recent days, after a baseline.
    """
    from zoneinfo import ZoneInfo

    if by not in ("location", "department"):
        from npscli.core.errors import UsageError

        raise UsageError(f"emerging issues are by location or department, not {by!r}")
    detector = detector or DetectorSettings()
    zone = ZoneInfo(tz)
    today = (now - timedelta(microseconds=1)).astimezone(zone).date()  # a run at midnight: the day just ended
    monitored = recent_days + WARMUP_DAYS
    first_day = today - timedelta(days=detector.baseline_days + monitored - 1)
    start = datetime.combine(first_day, time(0), tzinfo=zone)
    days = (today - first_day).days + 1
    volume: dict[str, list[int]] = {}
    mentions: dict[tuple[str, str], list[int]] = {}
    from npscli.core.periods import naive_utc
    from npscli.store.queries import daily_volume, responses_in

    # Every response counts towards its site's daily volume (counted in SQL, by the zone's offsets); only the
    # comments scored at or below max_score are read, for their themes.
    offsets = _offset_spans(zone, naive_utc(start), naive_utc(now))
    counted = daily_volume(store, by, start=start, end=now, offsets=offsets, filters=filters or {})
    for (group, local), count in counted.items():
        day = (local - first_day).days
        if 0 <= day < days:
            volume.setdefault(group or "(none)", [0] * days)[day] += count
    day_of = _LocalDays(offsets, first_day)
    columns = ("comment", by, "submitted_at")
    rows = responses_in(
        store, columns, start=start, end=now, filters=filters or {}, max_score=max_score, with_comment=True
    )
    for text, group, at in rows:
        day = day_of(at)
        if not 0 <= day < days or not text.strip():
            continue
        group = group or "(none)"
        for theme in set(taxonomy.match(text)):
            mentions.setdefault((theme, group), [0] * days)[day] += 1
    return find_issues(
        mentions,
        volume,
        first_day=first_day,
        themes=len(taxonomy.codes),
        settings=detector,
        start=detector.baseline_days,
        recent_days=recent_days,
    )


class _LocalDays:
    """The clinic's day (as days after ``first_day``) of naive UTC times, from the zone's offset spans
    (:func:`_offset_spans`, the same the SQL counts the daily volume by): no conversion per time."""

    def __init__(self, spans: list[tuple[datetime, timedelta]], first_day) -> None:
        self._starts = [at for at, _ in spans]
        self._offsets = [offset for _, offset in spans]
        self._first = first_day

    def __call__(self, at: datetime) -> int:
        from bisect import bisect_right

        span = bisect_right(self._starts, at) - 1
        if span < 0:
            raise ValueError(f"{at} is before the offsets' first span ({self._starts[0]})")
        return ((at + self._offsets[span]).date() - self._first).days


def _offset_spans(zone, start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
    """The zone's UTC offset from each naive UTC instant on, over ``[start, end)``: the offset at ``start``'s hour,
    then each change at its exact microsecond (found by halving the hour in which the offset differs at its two
    ends)."""

    def offset(at: datetime) -> timedelta:
        return at.replace(tzinfo=UTC).astimezone(zone).utcoffset()

    hour = start.replace(minute=0, second=0, microsecond=0)
    spans = [(hour, offset(hour))]
    step, tick = timedelta(hours=1), timedelta(microseconds=1)
    while hour < end:
        following = hour + step
        now = offset(following)
        if now != spans[-1][1]:
            low, high = hour, following  # the old offset at low, the new one at high
            while high - low > tick:
                middle = low + (high - low) // 2
                if offset(middle) == now:
                    high = middle
                else:
                    low = middle
            spans.append((high, now))
        hour = following
    return spans


def emerging_rows(issues: list[EmergingIssue], taxonomy: Taxonomy, *, by: str = "location") -> list[dict[str, Any]]:
    """The rows of `npscli themes --emerging` (its ``--format json`` contract, see the README)."""
    return [
        {
            by: e.group,
            "theme": e.theme,
            "label": _label(e.theme, taxonomy),
            "first_flagged": e.first_flagged.isoformat(),
            "rise_started": e.rise_started.isoformat(),
            "days": e.days,
            "count": e.mentions,
            "expected": round(e.expected, 2),
            "baseline_per_week": round(e.rate_per_week, 2),
            "baseline_weeks": e.baseline_weeks,
            "flags": e.flags,
            "summary": describe_issue(e, taxonomy),
        }
        for e in issues
    ]


def _label(code: str, taxonomy: Taxonomy) -> str | None:
    return next((t.label for t in taxonomy.themes if t.code == code), None)


def describe_issue(e: EmergingIssue, taxonomy: Taxonomy) -> str:
    """The one sentence of an issue, with the taxonomy's label of its theme."""
    return sentence(e, label=_label(e.theme, taxonomy))


def issue_comments(
    store: Store, taxonomy: Taxonomy, issue: EmergingIssue, *, tz: str, by: str = "location", max_score: int = 8,
    limit: int = 5,
) -> list[dict[str, Any]]:  # fmt: skip
    """The latest comments of an issue (its theme, its site, since its rise began), redacted; abusive ones
    left out. Each: date (the clinic's), score, text. Never a name, address or phone number."""
    from zoneinfo import ZoneInfo

    from npscli.store.queries import responses_in

    zone = ZoneInfo(tz)
    start = datetime.combine(issue.rise_started, time(0), tzinfo=zone)
    rows = responses_in(
        store,
        ("score", "comment", "patient_name", "submitted_at"),
        start=start,
        equal={by: issue.group},
        max_score=max_score,
        newest_first=True,
    )
    out: list[dict[str, Any]] = []
    for score, text, name, at in rows:
        if len(out) >= limit:
            break
        if not (text and text.strip()) or issue.theme not in taxonomy.match(text):
            continue
        if taxonomy.is_abusive(text):
            continue
        out.append(
            {
                "date": at.replace(tzinfo=UTC).astimezone(zone).date().isoformat(),
                "score": score,
                "text": redact(text, names=[name] if name else []),
            }
        )
    rows.close()  # the read transaction ends here, not when the generator is collected
    return out


def emerging_table(store, taxonomy, *, now, tz, by, detractors_only, filters, detector, window, baseline):
    """The rows of `npscli themes --emerging`: the issues flagged in the last ``window`` (a span such as 14d),
    each against the rate of the ``baseline`` span before it rose."""
    issues = emerging_issues(
        store,
        taxonomy,
        now=now,
        tz=tz,
        by=by,
        max_score=6 if detractors_only else 8,
        filters=filters,
        detector=with_baseline(detector, window, baseline),
        recent_days=span_days(window, "--window"),
    )
    return emerging_rows(issues, taxonomy, by=by)


def themes_table(store, taxonomy, *, start, end, filters, by, detractors_only, examples):
    """The rows of `npscli themes` (one per theme, or per group and theme) and the number of comments whose
    mentions they count (with ``detractors_only``, the detractors' comments)."""
    comments, scores = load_comments(store, taxonomy, start=start, end=end, filters=filters)
    uncommented = scores_without_comment(scores, comments)
    rows = theme_rows(comments, uncommented, taxonomy, by=by, detractors_only=detractors_only, examples=examples)
    counted = [c for c in comments if c.score <= 6] if detractors_only else comments  # as theme_rows counts
    return rows, len(counted)


def scores_without_comment(scores: list[int], comments) -> list[int]:
    """The scores of responses with no comment: every score minus the commented ones (as a multiset)."""
    from collections import Counter

    remaining = Counter(scores)
    remaining.subtract(Counter(c.score for c in comments))
    return [score for score, n in remaining.items() for _ in range(max(n, 0))]


def span_days(span: str, option: str) -> int:
    """A --window/--baseline span in whole days (at least one)."""
    from npscli.core.periods import parse_duration

    try:
        days = parse_duration(span).total_seconds() / 86400
    except UsageError:
        raise UsageError(f"{option}: cannot read the span {span!r}", hint="e.g. 14d or 2w") from None
    if days < 1 or days != int(days):
        raise UsageError(f"{option} {span!r} must be a whole number of days (at least 1)", hint="e.g. 14d or 2w")
    return int(days)


def with_baseline(detector, window: str, baseline: str):
    """The configured detector with --baseline applied (a baseline under a week is refused)."""
    from dataclasses import replace

    days = span_days(baseline, "--baseline")
    if days < 7:
        raise UsageError(f"--baseline {baseline!r} is too short for a rate", hint="use at least 1w; the default is 12w")
    span_days(window, "--window")
    return replace(detector, baseline_days=days)


def emerging_detector(s) -> DetectorSettings:
    """The emerging-issue detector's settings from ``[emerging]`` of npscli.toml (ConfigError if bad): the one
    place `themes --emerging`, the alerts and the report read them."""
    from npscli.core.emerging import detector_settings

    return detector_settings(s.section("emerging"), where=str(s.config_path) if s.config_path else None)
