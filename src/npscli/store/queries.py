"""The read queries behind `score`, `themes`, the emerging-issue detector and the weekly report.

Every SELECT of responses outside the import and the ticket commands is here, so the services above build no
SQL: they say which columns, which window ``[start, end)`` (aware datetimes), which filters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from npscli.core.fields import GROUP_FIELDS
from npscli.core.names import fold_name
from npscli.core.periods import naive_utc
from npscli.store import group_labels as labels
from npscli.store import schema
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
    e.g. location and period_week); one row without groups. Grouped by the ids of the group names (the
    covering indexes hold ids), named afterwards."""
    group_cols = [labels.id_column(name) if name in GROUP_FIELDS else R.c[name] for name in group_by]
    named = [i for i, name in enumerate(group_by) if name in GROUP_FIELDS]
    # count(*) FILTER (WHERE ...), not sum(CASE ...): SQLite counts a filtered row without evaluating and adding
    # a CASE per row (a quarter less CPU over a million index entries); PostgreSQL has FILTER too.
    det = func.count().filter(R.c.score <= detractor_max)
    pro = func.count().filter(R.c.score >= promoter_min)
    q = select(*group_cols, det, pro, func.count())
    with store.read() as conn:
        # A window that excludes no stored response is left out (two index lookups tell), so a window
        # covering the whole history ("--since 2y") is grouped from a covering index, not per row.
        # (two scalar subqueries: SQLite answers a lone min() or max() from the index, not both at once)
        first = last = None
        if start is not None or end is not None:
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
                conds.append(labels.matching(name, values))
        if conds:
            q = q.where(*conds)
        if group_cols:
            q = q.group_by(*group_cols)
        rows = [tuple(row) for row in conn.execute(q)]
        if not named or not rows:
            return rows
        names = labels.names(conn, [group_by[i] for i in named])
    out = []
    for row in rows:
        values = list(row)
        for i in named:
            if values[i] is not None:
                values[i] = names[values[i]]
        out.append(tuple(values))
    return out


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
            conds.append(labels.matching(name, values))
    for name, value in (equal or {}).items():
        conds.append(labels.equal(name, value))
    if max_score is not None:
        conds.append(R.c.score <= max_score)
    if with_comment:
        conds.append(func.length(func.trim(func.coalesce(R.c.comment, ""))) > 0)
    q = select(*[labels.value_of(name) for name in columns]).select_from(labels.with_labels(R, columns)).where(*conds)
    if newest_first:
        q = q.order_by(R.c.submitted_at.desc(), R.c.id.desc())
    with store.read() as conn:
        yield from conn.execute(q)


def daily_volume(
    store: Store,
    by: str,
    *,
    start: datetime,
    end: datetime,
    offsets: Sequence[tuple[datetime, timedelta]],
    filters: Mapping[str, Sequence[str]] | None = None,
) -> dict[tuple[str | None, date], int]:
    """The responses received in ``[start, end)`` counted by ``by`` (its name; None for none) and clinic day.

    ``offsets``: the clinic zone's UTC offset from each naive UTC instant on, in order, the first at or before
    ``start`` (the zone's own transitions, so the day is exactly the local date of each time). Counted in SQL:
    a window of 236,000 responses is a few thousand groups, not 236,000 rows read into Python."""
    if not offsets:
        raise ValueError("the zone's offsets are needed")
    from sqlalchemy import Date, Integer, Interval, case, cast, literal, literal_column, type_coerce

    group = labels.id_column(by) if by in GROUP_FIELDS else R.c[by]
    bounds = [at for at, _ in offsets[1:]]  # the offset before each of these instants, then the last one
    before = [offset for _, offset in offsets[:-1]]
    last = offsets[-1][1]
    if store.dialect == "sqlite":  # integer microseconds: the local day's number since 1970-01-01
        micros = type_coerce(R.c.submitted_at, Integer)

        def us(offset: timedelta) -> int:
            return offset // timedelta(microseconds=1)

        spans = [(micros < schema.microseconds(at), us(offset)) for at, offset in zip(bounds, before, strict=True)]
        shift = case(*spans, else_=us(last)) if spans else us(last)
        day = ((micros + shift) // 86_400_000_000).label("local_day")
    else:

        def interval(offset: timedelta):
            return literal(offset, Interval())  # (a bare timedelta would be bound as the column's timestamp type)

        spans = [(R.c.submitted_at < at, interval(offset)) for at, offset in zip(bounds, before, strict=True)]
        shift = case(*spans, else_=interval(last)) if spans else interval(last)
        day = cast(R.c.submitted_at + shift, Date).label("local_day")
    conds = [R.c.submitted_at >= naive_utc(start), R.c.submitted_at < naive_utc(end)]
    for name, values in (filters or {}).items():
        if values:
            conds.append(labels.matching(name, values))
    # (grouped by the day's label: repeated in GROUP BY, its bound offsets would be new parameters to PostgreSQL)
    q = select(group.label("g"), day, func.count()).where(*conds).group_by(group, literal_column("local_day"))
    with store.read() as conn:
        rows = conn.execute(q).all()
        names = labels.names(conn, [by]) if by in GROUP_FIELDS else None
    epoch = date(1970, 1, 1)
    out: dict[tuple[str | None, date], int] = {}
    for g, d, n in rows:
        name = (names[g] if g is not None else None) if names is not None else g
        when = epoch + timedelta(days=int(d)) if isinstance(d, int) else d
        out[(name, when)] = out.get((name, when), 0) + int(n)
    return out


def locations_in(store: Store, start: datetime, end: datetime) -> list[str]:
    """Every location with a response in ``[start, end)``, sorted (for ``--location all``)."""
    location = labels.id_column("location")
    q = (
        select(location)
        .where(R.c.submitted_at >= naive_utc(start), R.c.submitted_at < naive_utc(end), location.is_not(None))
        .distinct()
    )
    with store.read() as conn:
        ids = conn.execute(q).scalars().all()
        names = labels.names(conn, ["location"])
    return sorted(names[i] for i in ids if names[i])


def count_responses(store: Store) -> int:
    """How many responses the store holds."""
    with store.read() as conn:
        return conn.execute(select(func.count()).select_from(schema.responses)).scalar_one()


def list_batches(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    b = schema.import_batches
    with store.read() as conn:
        rows = conn.execute(select(b).order_by(b.c.id.desc()).limit(limit)).mappings().all()
    return [
        {
            "batch": r["id"],
            "imported_at": r["imported_at"].replace(tzinfo=UTC).isoformat(),
            "source": r["source"],
            "file": r["file_name"],
            "sha256": r["sha256"],
            "layout": r["layout"],
            "rows_read": r["rows_read"],
            "imported": r["imported"],
            "duplicates": r["duplicates"],
            "skipped": r["skipped"],
            "excluded": r["excluded"],
            "rejected": r["rejected"],
            "tickets_opened": r["tickets_opened"],
            "stamped_at": r["stamped_at"].replace(tzinfo=UTC).isoformat() if r["stamped_at"] else None,
            "by": r["imported_by"],
        }
        for r in rows
    ]


def list_detractors(
    store: Store,
    *,
    max_score: int,
    since: datetime | None,
    until: datetime | None,
    filters: dict[str, tuple[str, ...]],
    statuses: tuple[str, ...] = (),
    comments_only: bool = False,
) -> list[dict[str, Any]]:
    """Responses at or below ``max_score``, newest first, with their ticket (if any)."""
    T = schema.tickets
    R = schema.responses
    B = schema.import_batches
    q = select(
        R.c.id.label("response_pk"),
        R.c.response_id,
        R.c.source,
        R.c.submitted_at,
        R.c.score,
        labels.value_of("location"),
        labels.value_of("department"),
        labels.value_of("provider"),
        R.c.comment,
        R.c.patient_name,
        R.c.email,
        R.c.phone,
        R.c.patient_id,
        T.c.id.label("ticket"),
        T.c.status,
        T.c.assignee,
        T.c.due_at,
        T.c.first_contact_at,
        T.c.themes.label("stored_themes"),  # the comment's themes when the ticket was opened ...
        B.c.themes_key.label("stored_themes_key"),  # ... and what found them (see services.views.ThemeSource)
    ).select_from(labels.with_labels(R.outerjoin(T, T.c.response_pk == R.c.id)).join(B, B.c.id == R.c.batch_id))
    conds = [R.c.score <= max_score]
    if since is not None:
        conds.append(R.c.submitted_at >= naive_utc(since))
    if until is not None:
        conds.append(R.c.submitted_at < naive_utc(until))
    for name, values in filters.items():
        if values:
            conds.append(labels.matching(name, values))
    if statuses:
        conds.append(T.c.status.in_(statuses))
    if comments_only:
        conds.append(func.length(func.trim(func.coalesce(R.c.comment, ""))) > 0)
    q = q.where(*conds).order_by(R.c.submitted_at.desc(), R.c.id.desc())
    with store.read() as conn:
        result = conn.execute(q)
        keys = list(result.keys())  # the keys once, not per row (a quarter faster than Row._asdict)
        return [dict(zip(keys, row, strict=True)) for row in result]


def match_group_values(
    store: Store, filters: dict[str, tuple[str, ...]]
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[list[str], list[str]]]]:
    """Match each --location/--department/--provider value to the spelling stored, ignoring case and extra
    spaces ("downtown" finds "Downtown").

    Returns the filters with the stored spellings, and, per field, the values that match nothing together
    with the values that exist (for a warning). A value that matches nothing stays as given, so the filter
    still selects nothing rather than everything.
    """
    resolved: dict[str, tuple[str, ...]] = dict(filters)
    unmatched: dict[str, tuple[list[str], list[str]]] = {}
    wanted = [name for name in GROUP_FIELDS if filters.get(name)]
    if not wanted:
        return resolved, unmatched
    with store.read() as conn:
        for name in wanted:
            known = sorted(labels.values_of(conn, name))
            by_key: dict[str, list[str]] = {}
            for value in known:
                by_key.setdefault(fold_name(value), []).append(value)
            values, missing = [], []
            for value in filters[name]:
                hits = by_key.get(fold_name(value))
                if hits:
                    values.extend(hits)
                else:
                    missing.append(value)
                    values.append(value)
            resolved[name] = tuple(dict.fromkeys(values))
            if missing:
                unmatched[name] = (missing, known)
    return resolved, unmatched
