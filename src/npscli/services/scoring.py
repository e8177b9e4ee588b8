"""NPS by group and period, from the store (SQL aggregation) or from parsed files (pandas).

Both paths produce the same counts per (group..., period) key; ``finish`` turns counts into rows with
the estimate, its interval, the low-n flag and, with ``compare``, the change against the previous
period (or the previous window of equal length) and its significance, Holm-adjusted across the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from npscli.core import nps as npsmath
from npscli.core.errors import UsageError
from npscli.core.fields import GROUP_FIELDS
from npscli.core.periods import PERIODS, naive_utc, period_bounds, previous_period, previous_window

if TYPE_CHECKING:
    import pandas as pd

    from npscli.store.engine import Store

Key = tuple[Any, ...]


@dataclass
class ScoreRequest:
    by: tuple[str, ...] = ()
    period: str | None = None
    start: datetime | None = None  # aware
    end: datetime | None = None  # aware, exclusive
    filters: dict[str, tuple[str, ...]] = field(default_factory=dict)
    method: str = "adjusted-wald"
    min_n: int = 30
    compare: bool = False
    promoter_min: int = 9
    detractor_max: int = 6
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        for name in self.by:
            if name not in GROUP_FIELDS:
                raise UsageError(f"cannot group by {name!r}", hint="use --by location,department,provider")
        if self.period is not None and self.period not in PERIODS:
            raise UsageError(f"unknown period {self.period!r}", hint="use --period week, month, quarter or year")
        if self.method not in npsmath.CI_METHODS:
            raise UsageError(f"unknown interval method {self.method!r}", hint="use --ci adjusted-wald, wald or tango")
        if self.compare and not self.period and self.start is None:
            raise UsageError(
                "--compare previous needs a period or a window to compare against",
                hint="add --period week (each week against the one before) or --since 4w",
            )


def parse_by(text: str | None) -> tuple[str, ...]:
    parts = tuple(p.strip().lower() for p in (text or "").split(",") if p.strip())
    for p in parts:
        if p not in GROUP_FIELDS:
            raise UsageError(f"cannot group by {p!r}", hint="use --by location,department,provider (any combination)")
    return parts


def _query_start(req: ScoreRequest) -> datetime | None:
    """The start to query from: with compare, far enough back to hold the previous period/window."""
    if not req.compare or req.start is None:
        return req.start
    if req.period:
        from zoneinfo import ZoneInfo

        from npscli.core.periods import period_key

        local = req.start.astimezone(ZoneInfo(req.timezone)).date()
        first_prev = period_bounds(previous_period(period_key(local, req.period)))[0]
        return datetime(first_prev.year, first_prev.month, first_prev.day, tzinfo=ZoneInfo(req.timezone))
    return req.start


# ------------------------------------------------------------------ counting


def counts_from_store(
    store: Store, req: ScoreRequest, start: datetime | None, end: datetime | None
) -> dict[Key, npsmath.Counts]:
    from npscli.store.queries import nps_counts

    group_by = [*req.by, *([f"period_{req.period}"] if req.period else [])]
    rows = nps_counts(
        store,
        group_by=group_by,
        detractor_max=req.detractor_max,
        promoter_min=req.promoter_min,
        start=start,
        end=end,
        filters=req.filters,
    )
    out: dict[Key, npsmath.Counts] = {}
    for *key, d, p, n in rows:
        d, p, n = int(d or 0), int(p or 0), int(n or 0)
        if n == 0 and group_by:
            continue
        out[tuple(key)] = npsmath.Counts(detractors=d, passives=n - d - p, promoters=p)
    return out


def counts_from_frame(
    frame: pd.DataFrame, req: ScoreRequest, start: datetime | None, end: datetime | None
) -> dict[Key, npsmath.Counts]:
    import pandas as pd

    from npscli.io.frames import add_period_keys

    df = frame
    if start is not None:
        df = df[df["submitted_at"] >= pd.Timestamp(naive_utc(start))]
    if end is not None:
        df = df[df["submitted_at"] < pd.Timestamp(naive_utc(end))]
    keys = list(req.by)
    respelled = {k: _one_spelling(df[k]) for k in keys if k in GROUP_FIELDS}
    respelled = {k: v for k, v in respelled.items() if v is not df[k]}
    if respelled:  # (a copy of the frame only when some name is written two ways)
        df = df.assign(**respelled)
    for name, values in req.filters.items():
        if values and name in GROUP_FIELDS:  # "--location downtown" is "Downtown", as on the store
            from npscli.core.names import fold_name

            wanted = {fold_name(v) for v in values}
            df = df[df[name].isin([v for v in df[name].dropna().unique() if fold_name(str(v)) in wanted])]
        elif values:
            df = df[df[name].isin(values)]
    if req.period:
        df = add_period_keys(df) if len(df) else df.assign(**{f"period_{req.period}": pd.Series(dtype=object)})
        keys.append(f"period_{req.period}")
    work = pd.DataFrame(
        {
            "d": (df["score"] <= req.detractor_max).astype(int),
            "p": (df["score"] >= req.promoter_min).astype(int),
            "n": 1,
        },
        index=df.index,
    )
    if not keys:
        d, p, n = int(work["d"].sum()), int(work["p"].sum()), int(len(work))
        return {(): npsmath.Counts(detractors=d, passives=n - d - p, promoters=p)}
    for k in keys:
        work[k] = df[k].astype(object).where(df[k].notna(), None)
    grouped = work.groupby(keys, dropna=False, sort=False)[["d", "p", "n"]].sum()
    out: dict[Key, npsmath.Counts] = {}
    for key, row in grouped.iterrows():
        key = key if isinstance(key, tuple) else (key,)
        key = tuple(None if (isinstance(v, float) and v != v) else v for v in key)
        d, p, n = int(row["d"]), int(row["p"]), int(row["n"])
        out[key] = npsmath.Counts(detractors=d, passives=n - d - p, promoters=p)
    return out


# ------------------------------------------------------------------ rows


def _one_spelling(values: pd.Series) -> pd.Series:
    """A site, department or provider written in several cases or spacings ("Downtown", "DOWNTOWN",
    "downtown ") as one name, as the store keeps it (``group_labels.ids_for``): its mixed-case spelling if it
    has one."""
    from npscli.core.names import fold_name

    distinct = [v for v in values.unique() if isinstance(v, str)]
    spelled: dict[str, str] = {}
    for name in sorted(distinct, key=lambda v: (v.isupper() or v.islower(), v)):
        spelled.setdefault(fold_name(name), name)
    renamed = {name: spelled[fold_name(name)] for name in distinct if spelled[fold_name(name)] != name}
    return values.replace(renamed) if renamed else values


def _sort_key(key: Key) -> tuple:
    """Groups in a person's alphabetical order, case and accents aside ("Pédiatrie" before "Primary Care", as
    on either backend); no name last."""
    from npscli.core.names import fold

    return tuple((v is None, fold(str(v)), str(v)) for v in key)


MAX_FILLED_ROWS = 100_000  # empty periods are shown up to this many rows (else only the periods with data)


def _with_empty_periods(counts: dict[Key, npsmath.Counts], req: ScoreRequest) -> dict[Key, npsmath.Counts]:
    """Each group's periods without responses as rows of n = 0 (no NPS): a trend that skipped an empty week
    would read W39 -> W41 as consecutive. Between the first and the last period with data, or over the whole
    window when one was asked for (--since)."""
    from zoneinfo import ZoneInfo

    from npscli.core.periods import period_key, period_keys

    zone = ZoneInfo(req.timezone)
    present = sorted({key[-1] for key in counts})
    first, last = present[0], present[-1]
    if req.start is not None:  # a window asked for (--since): its empty periods at either end too
        first = min(first, period_key(req.start.astimezone(zone).date(), req.period))
        if req.end is not None:
            end = (req.end - timedelta(microseconds=1)).astimezone(zone).date()
            last = max(last, period_key(end, req.period))
    groups = {key[:-1] for key in counts}
    keys = period_keys(first, last)
    if len(keys) * len(groups) > MAX_FILLED_ROWS:
        return counts
    filled = dict(counts)
    for group in groups:
        for period in keys:
            filled.setdefault((*group, period), npsmath.Counts())
    return filled


def finish(
    counts: dict[Key, npsmath.Counts],
    req: ScoreRequest,
    previous: dict[Key, npsmath.Counts] | None = None,
) -> list[dict[str, Any]]:
    """Rows for the output contract. ``previous`` holds the counts of the previous window (no period)."""
    rows: list[dict[str, Any]] = []
    if not req.by and not req.period and not counts:
        counts = {(): npsmath.Counts()}
    start_key = None
    if req.period and req.start is not None and req.compare:
        from zoneinfo import ZoneInfo

        from npscli.core.periods import period_key

        start_key = period_key(req.start.astimezone(ZoneInfo(req.timezone)).date(), req.period)
    if req.period and counts:
        counts = _with_empty_periods(counts, req)
    for key in sorted(counts, key=_sort_key):
        c = counts[key]
        if req.period and start_key is not None and key[-1] < start_key:
            continue  # fetched only to compare against
        row: dict[str, Any] = {name: key[i] for i, name in enumerate(req.by)}
        if req.period:
            row["period"] = key[-1]
        row.update(npsmath.summarize(c, method=req.method, min_n=req.min_n).as_dict())
        if req.compare:
            if req.period:
                prev = counts.get((*key[:-1], previous_period(key[-1])))
            else:
                prev = (previous or {}).get(key)
            cmp = npsmath.compare(c, prev) if prev is not None else None
            prev_nps = npsmath.nps(prev) if prev is not None else None
            row["previous_nps"] = round(prev_nps, 1) if prev_nps is not None else None
            row["change"] = round(cmp.change, 1) if cmp else None
            row["p_value"] = cmp.p_value if cmp else None
            row["p_adjusted"] = None
            row["significant"] = False
        rows.append(row)
    if req.compare:
        tested = [r for r in rows if r["p_value"] is not None]
        adjusted = npsmath.holm([r["p_value"] for r in tested])
        for r, adj in zip(tested, adjusted, strict=True):
            r["p_value"] = round(r["p_value"], 4)
            r["p_adjusted"] = round(adj, 4)
            r["significant"] = adj < 0.05
    return rows


def score(source: Store | pd.DataFrame, req: ScoreRequest) -> list[dict[str, Any]]:
    counter = counts_from_frame if _is_frame(source) else counts_from_store
    if req.compare and not req.period:
        if req.end is None:
            raise UsageError("--compare previous needs an end to the window", hint="add --until")
        p_start, p_end = previous_window(req.start, req.end)
        return finish(counter(source, req, req.start, req.end), req, counter(source, req, p_start, p_end))
    return finish(counter(source, req, _query_start(req), req.end), req)


def _is_frame(source: Any) -> bool:
    return hasattr(source, "columns") and hasattr(source, "iloc")


# The record columns a score of files reads: the key (duplicates), the time and day (windows, periods), the
# score and what it can be grouped or filtered by.
SCORED_COLUMNS = ("response_key", "submitted_at", "local_date", "score", *GROUP_FIELDS)


def frame_from_files(
    files: list[str], s, *, overrides, source, sheet, dayfirst, scale_check, now, encoding=None, note=lambda line: None
):
    """Parse the files through the import pipeline in memory, deduplicated, nothing stored. Returns the
    records and the names of the files that have no date column."""
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from npscli.io.exports import read_export
    from npscli.io.records import join_records
    from npscli.services.reading import (
        describe_issues,
        describe_mapping,
        describe_read,
        nothing_stored,
        read_options,
    )

    frames = []
    sources: list[str] = []  # each file's source name: a response's key is unique within its source
    undated: list[str] = []  # the files without a date column
    for name in files:
        path = Path(name)
        options, saved = read_options(
            s,
            path,
            source=source,
            overrides=overrides,
            sheet=sheet,
            dayfirst=dayfirst,
            scale_check=scale_check,
            now=now,
            encoding=encoding,
            date_required=False,
        )
        # only the fields a score can group by (the comments, names and contacts are never built), no file digest
        parsed = read_export(
            path, replace(options, fields=GROUP_FIELDS, checksum=False, narrow=True), columns=SCORED_COLUMNS
        )
        if parsed.rows_read and parsed.records.empty:  # every row rejected, skipped or excluded: not a score of 0
            for line in describe_issues(parsed):
                note(line)
            raise nothing_stored(parsed, verb="to score", can="can be scored")
        if "submitted_at" not in parsed.mapping:
            undated.append(path.name)
        note(describe_mapping(parsed))
        for line in describe_read(parsed):
            note(line)
        frames.append(parsed.records)
        sources.append(source or saved or parsed.layout)
    if len(frames) == 1:  # one source: its keys alone tell duplicates apart
        frame = frames[0]
        keys = pd.Series(frame["response_key"].to_numpy(dtype=object), dtype=object)
    else:
        frame = join_records(frames)
        prefixed = [f"{p}:" + f["response_key"].to_numpy(dtype=object) for p, f in zip(sources, frames, strict=True)]
        keys = pd.Series(np.concatenate(prefixed), dtype=object)
    duplicate = keys.duplicated(keep="first").to_numpy()  # (object keys: hashed as str, no string array)
    if duplicate.any():
        frame = frame[~duplicate]
        note(f"{int(duplicate.sum())} duplicate response(s) counted once")
    return frame, undated


def without_dates(req: ScoreRequest, undated: list[str], flags: dict[str, object]) -> ScoreRequest:
    """The request for files of which some have no date column: refused when it asks for a window or periods
    (``flags``: option name to the value given), else every response counts, whenever it was given."""
    if not undated:
        return req
    windowed = [flag for flag, given in flags.items() if given]
    if windowed:
        raise UsageError(
            f"{windowed[0]} needs the time of each response, and {', '.join(undated)} "
            f"{'has' if len(undated) == 1 else 'have'} no date column",
            hint="score without it, or name the date column with --map submitted_at=COLUMN",
        )
    return replace(req, start=None, end=None)


def refuse_reading_flags(files: list[str] | None, given: dict[str, bool]) -> None:
    """Options that say how to read export files (``given``: option to whether it was given) need a FILE."""
    if not files and any(given.values()):
        raise UsageError(
            f"{', '.join(flag for flag, on in given.items() if on)}: how to read export files, but no FILE was given",
            hint="name the export files to score (npscli score FILE... --map score=Q1), or import them first",
        )


def score_request(
    s, *, by: str | None, period: str | None, since: str | None, until: str | None, now: datetime, ci, min_n, compare
) -> ScoreRequest:
    """The request of `npscli score` from its options (the filters are added once the store is known)."""
    from npscli.core.periods import parse_window

    if compare not in (None, "previous"):
        raise UsageError(f"--compare {compare!r} is not supported", hint="use --compare previous")
    start, end = parse_window(since, until, now)
    return ScoreRequest(
        by=parse_by(by),
        period=period.lower() if period else None,
        start=start,
        end=end,
        method=ci or s.ci,
        min_n=s.min_n if min_n is None else min_n,
        compare=compare == "previous",
        timezone=s.timezone,
    )
