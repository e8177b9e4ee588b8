"""The read queries behind `score`, `themes`, the emerging-issue detector and the weekly report.

Every SELECT of responses outside the import and the ticket commands is here, so the services above build no
SQL: they say which columns, which window ``[start, end)`` (aware datetimes), which filters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select

from npscli.core.periods import naive_utc
from npscli.store.engine import Store
from npscli.store.schema import responses as R


def nps_counts(
    store: Store,
    *,
    group_by: Sequence[str],
    detractor_max: int,
    promoter_min: int,
    start: datetime | None,
    end: datetime | None,
    filters: Mapping[str, Sequence[str]],
) -> list[tuple[Any, ...]]:
    """(group values..., detractors, promoters, responses) per group of ``group_by`` (columns of responses,
    e.g. location and period_week); one row without groups."""
    group_cols = [R.c[name] for name in group_by]
    det = func.sum(case((R.c.score <= detractor_max, 1), else_=0))
    pro = func.sum(case((R.c.score >= promoter_min, 1), else_=0))
    q = select(*group_cols, det, pro, func.count())
    with store.read() as conn:
        # A window that excludes no stored response is left out (two index lookups tell), so a window
        # covering the whole history ("--since 2y") is grouped from a covering index, not per row.
        # (two scalar subqueries: SQLite answers a lone min() or max() from the index, not both at once)
        first, last = conn.execute(
            select(
                select(func.min(R.c.submitted_at)).scalar_subquery(),
                select(func.max(R.c.submitted_at)).scalar_subquery(),
            )
        ).one()
        # Both bounds or neither: a two-sided range is what SQLite's planner reads as selective.
        conds = []
        start_needed = start is not None and (first is None or naive_utc(start) > first)
        end_needed = end is not None and (last is None or naive_utc(end) <= last)
        if start is not None and (start_needed or end_needed):
            conds.append(R.c.submitted_at >= naive_utc(start))
        if end is not None and (start_needed or end_needed):
            conds.append(R.c.submitted_at < naive_utc(end))
        for name, values in filters.items():
            if values:
                conds.append(R.c[name].in_(values))
        if conds:
            q = q.where(*conds)
        if group_cols:
            q = q.group_by(*group_cols)
        return [tuple(row) for row in conn.execute(q)]


def responses_in(
    store: Store,
    columns: Sequence[str],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    filters: Mapping[str, Sequence[str]] | None = None,
    equal: Mapping[str, Any] | None = None,
    max_score: int | None = None,
    with_comment: bool = False,
    newest_first: bool = False,
) -> Iterator[Any]:
    """The rows (named tuples of ``columns``) of the responses received in ``[start, end)`` (either bound may be
    None), with each filter's column among its values (an empty tuple: no filter), each ``equal`` column equal
    to its value, scored at or below ``max_score``, with a non-blank comment when ``with_comment``; newest
    first when asked (ties by id). A generator: the rows stream from one read transaction."""
    conds = []
    if start is not None:
        conds.append(R.c.submitted_at >= naive_utc(start))
    if end is not None:
        conds.append(R.c.submitted_at < naive_utc(end))
    for name, values in (filters or {}).items():
        if values:
            conds.append(R.c[name].in_(values))
    for name, value in (equal or {}).items():
        conds.append(R.c[name] == value)
    if max_score is not None:
        conds.append(R.c.score <= max_score)
    if with_comment:
        conds.append(func.length(func.trim(func.coalesce(R.c.comment, ""))) > 0)
    q = select(*[R.c[name] for name in columns]).where(*conds)
    if newest_first:
        q = q.order_by(R.c.submitted_at.desc(), R.c.id.desc())
    with store.read() as conn:
        yield from conn.execute(q)


def locations_in(store: Store, start: datetime, end: datetime) -> list[str]:
    """Every location with a response in ``[start, end)``, sorted (for ``--location all``)."""
    q = (
        select(R.c.location)
        .where(R.c.submitted_at >= naive_utc(start), R.c.submitted_at < naive_utc(end), R.c.location.is_not(None))
        .distinct()
    )
    with store.read() as conn:
        return sorted(v for v in conn.execute(q).scalars() if v)
