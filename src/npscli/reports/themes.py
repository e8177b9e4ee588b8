"""Comment themes over a window of the store: mentions, impact on NPS, examples, emerging issues.

``theme_rows`` and ``emerging_issues`` are the functions the `themes` command, the alerts and the
weekly report share. Example comments are always redacted (names, contacts, birth dates, record numbers).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from npscli.core.emerging import Emerging, describe, detect_emerging
from npscli.core.redact import redact
from npscli.core.themes import Taxonomy, theme_impact

if TYPE_CHECKING:
    from npscli.store.engine import Store


@dataclass
class Comment:
    score: int
    text: str
    location: str | None
    department: str | None
    patient_name: str | None
    themes: list[str]


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC).replace(tzinfo=None)


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
    from sqlalchemy import select

    from npscli.store.schema import responses as R

    conds = []
    if start is not None:
        conds.append(R.c.submitted_at >= _utc(start))
    if end is not None:
        conds.append(R.c.submitted_at < _utc(end))
    for name, values in (filters or {}).items():
        if values:
            conds.append(R.c[name].in_(values))
    if max_score is not None:
        conds.append(R.c.score <= max_score)
    q = select(R.c.score, R.c.comment, R.c.location, R.c.department, R.c.patient_name).where(*conds)
    comments: list[Comment] = []
    scores: list[int] = []
    with store.read() as conn:
        for score, text, location, department, name in conn.execute(q):
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
    window: timedelta = timedelta(days=7),
    baseline: timedelta = timedelta(weeks=8),
    by: str = "location",
    max_score: int = 8,
    alpha: float = 0.01,
    min_count: int = 3,
    filters: dict[str, tuple[str, ...]] | None = None,
) -> list[Emerging]:
    """(theme, group) pairs mentioned significantly more in the last ``window`` than in the ``baseline`` before.

    Only comments scored at or below ``max_score`` (detractors and passives by default) are counted, so
    praise never looks like an issue.
    """
    if by not in ("location", "department"):
        from npscli.core.errors import UsageError

        raise UsageError(f"emerging issues are by location or department, not {by!r}")
    window_start = now - window
    baseline_start = window_start - baseline
    window_counts: Counter = Counter()
    baseline_counts: Counter = Counter()
    window_volume: Counter = Counter()
    baseline_volume: Counter = Counter()
    cut = _utc(window_start)
    for c, at in _comments_with_times(store, baseline_start, now, max_score, taxonomy, filters or {}):
        group = getattr(c, by) or "(none)"
        in_window = at >= cut
        (window_volume if in_window else baseline_volume)[group] += 1
        target = window_counts if in_window else baseline_counts
        for theme in c.themes:
            target[(theme, group)] += 1
    return detect_emerging(
        dict(window_counts),
        dict(baseline_counts),
        window_days=window.total_seconds() / 86400,
        baseline_days=baseline.total_seconds() / 86400,
        alpha=alpha,
        min_count=min_count,
        window_volume=dict(window_volume),
        baseline_volume=dict(baseline_volume),
    )


def _comments_with_times(store, start, end, max_score, taxonomy, filters):
    """Theme-tagged comments scored at or below ``max_score`` in [start, end), with their time."""
    from sqlalchemy import select

    from npscli.store.schema import responses as R

    q = select(R.c.score, R.c.comment, R.c.location, R.c.department, R.c.patient_name, R.c.submitted_at).where(
        R.c.submitted_at >= _utc(start),
        R.c.submitted_at < _utc(end),
        R.c.score <= max_score,
        *[R.c[name].in_(values) for name, values in filters.items() if values],
    )
    with store.read() as conn:
        for score, text, location, department, name, at in conn.execute(q):
            if text and text.strip():
                yield Comment(score, text, location, department, name, taxonomy.match(text)), at


def describe_issue(e: Emerging, taxonomy: Taxonomy) -> str:
    label = next((t.label for t in taxonomy.themes if t.code == e.theme), None)
    return describe(e, label=label)
