"""Writing parsed exports into the store, and reading responses back.

One file is one transaction: its batch record, its new responses and the tickets of its new
detractors are committed together or not at all. Deduplication is done by the database itself
(the unique key (source, response_key)), so two overlapping imports running at once still count
every response exactly once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from npscli.io.frames import add_period_keys
from npscli.store import schema
from npscli.store.engine import Store

if TYPE_CHECKING:
    import pandas as pd

    from npscli.config import TicketSettings
    from npscli.io.exports import ParsedExport

RESPONSE_COLUMNS = (
    "source",
    "response_key",
    "response_id",
    "batch_id",
    "source_row",
    "submitted_at",
    "local_date",
    "period_week",
    "period_month",
    "period_quarter",
    "period_year",
    "score",
    "comment",
    "location",
    "department",
    "provider",
    "patient_name",
    "email",
    "phone",
    "patient_id",
)
TEXT_FIELDS = (
    "comment",
    "location",
    "department",
    "provider",
    "patient_name",
    "email",
    "phone",
    "patient_id",
)


@dataclass
class ImportResult:
    file: str
    rows_read: int
    imported: int
    duplicates: int
    skipped: int
    excluded: int
    rejected: int
    rejects_file: str | None = None
    source: str = ""
    layout: str = ""
    batch_id: int | None = None
    tickets_opened: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of `npscli import --format json`."""
        d = asdict(self)
        return {
            k: d[k]
            for k in (
                "file",
                "rows_read",
                "imported",
                "duplicates",
                "skipped",
                "excluded",
                "rejected",
                "rejects_file",
                "source",
                "layout",
                "batch_id",
                "tickets_opened",
            )
        }


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def outcome_counts(parsed: ParsedExport) -> dict[str, int]:
    counts = {"skipped": 0, "excluded": 0, "rejected": 0}
    for issue in parsed.issues:
        counts[issue.outcome] += 1
    return counts


def within_file_duplicates(records: pd.DataFrame) -> pd.Series:
    """True for every row whose response_key already appeared earlier in the same file."""
    return records["response_key"].duplicated(keep="first")


def _rows_for_insert(records: pd.DataFrame, source: str, batch_id: int, dialect: str) -> list[tuple]:
    import pandas as pd

    frame = add_period_keys(records)
    submitted = pd.to_datetime(frame["submitted_at"])
    cols: dict[str, Any] = {
        "source": [source] * len(frame),
        "response_key": frame["response_key"].astype(str).tolist(),
        "response_id": _nullable(frame["response_id"]),
        "batch_id": [batch_id] * len(frame),
        "source_row": frame["row"].astype(int).tolist(),
    }
    if dialect == "sqlite":
        cols["submitted_at"] = submitted.dt.strftime("%Y-%m-%d %H:%M:%S.%f").tolist()
        cols["local_date"] = frame["local_date"].astype(str).tolist()
    else:
        cols["submitted_at"] = submitted.dt.to_pydatetime().tolist()
        cols["local_date"] = [datetime.fromisoformat(d).date() for d in frame["local_date"].astype(str)]
    for period in ("week", "month", "quarter", "year"):
        cols[f"period_{period}"] = frame[f"period_{period}"].tolist()
    cols["score"] = frame["score"].astype(int).tolist()
    for name in TEXT_FIELDS:
        cols[name] = _nullable(frame[name])
    return list(zip(*(cols[c] for c in RESPONSE_COLUMNS), strict=True))


def _nullable(series: pd.Series) -> list:
    import pandas as pd

    values = series.astype(object).where(series.notna(), None).tolist()
    return [None if (v is None or v is pd.NA or v == "") else str(v) for v in values]


def insert_responses(conn, rows: list[tuple], dialect: str) -> None:
    """Insert rows, silently keeping the existing row for a (source, response_key) already stored."""
    if not rows:
        return
    cols = ", ".join(RESPONSE_COLUMNS)
    if dialect == "sqlite":
        marks = ", ".join("?" for _ in RESPONSE_COLUMNS)
        sql = f"INSERT OR IGNORE INTO responses ({cols}) VALUES ({marks})"
        chunk = 50_000
        for start in range(0, len(rows), chunk):
            conn.exec_driver_sql(sql, rows[start : start + chunk])
    elif dialect == "postgresql":
        from npscli.store.postgres import copy_insert_responses

        copy_insert_responses(conn, RESPONSE_COLUMNS, rows)
    else:  # any other SQLAlchemy backend: the portable path
        for row in rows:
            exists = conn.execute(
                select(schema.responses.c.id).where(
                    schema.responses.c.source == row[0], schema.responses.c.response_key == row[1]
                )
            ).first()
            if not exists:
                conn.execute(schema.responses.insert().values(dict(zip(RESPONSE_COLUMNS, row, strict=True))))


def import_parsed(
    store: Store,
    parsed: ParsedExport,
    *,
    source: str,
    actor: str,
    tickets: TicketSettings,
    suggest_cause=None,
    now: datetime | None = None,
) -> ImportResult:
    """Import one parsed file in one transaction. Returns its outcome counts.

    ``now`` (aware) is the import's time, for back-filled runs (--as-of); default the clock.
    """
    from npscli.store.tickets import open_tickets_for_batch

    counts = outcome_counts(parsed)
    records = parsed.records
    dup_in_file = within_file_duplicates(records)
    unique_records = records[~dup_in_file]
    now = utcnow() if now is None else now.astimezone(UTC).replace(tzinfo=None)
    with store.write() as conn:
        batch_id = conn.execute(
            schema.import_batches.insert().values(
                source=source,
                file_name=str(parsed.path.name),
                sha256=parsed.sha256,
                layout=parsed.layout,
                imported_at=now,
                imported_by=actor,
                rows_read=parsed.rows_read,
                imported=0,
                duplicates=0,
                skipped=counts["skipped"],
                excluded=counts["excluded"],
                rejected=counts["rejected"],
                tickets_opened=0,
            )
        ).inserted_primary_key[0]
        rows = _rows_for_insert(unique_records, source, batch_id, store.dialect)
        insert_responses(conn, rows, store.dialect)
        imported = conn.execute(
            select(func.count()).select_from(schema.responses).where(schema.responses.c.batch_id == batch_id)
        ).scalar_one()
        duplicates = len(records) - imported
        opened = open_tickets_for_batch(
            conn, batch_id, tickets, actor=actor, now=now, suggest_cause=suggest_cause
        )
        conn.execute(
            schema.import_batches.update()
            .where(schema.import_batches.c.id == batch_id)
            .values(imported=imported, duplicates=duplicates, tickets_opened=opened)
        )
    return ImportResult(
        file=str(parsed.path),
        rows_read=parsed.rows_read,
        imported=imported,
        duplicates=duplicates,
        skipped=counts["skipped"],
        excluded=counts["excluded"],
        rejected=counts["rejected"],
        source=source,
        layout=parsed.layout,
        batch_id=batch_id,
        tickets_opened=opened,
    )


def dry_run_result(store: Store | None, parsed: ParsedExport, *, source: str) -> ImportResult:
    """What an import would do, reading the store but writing nothing."""
    counts = outcome_counts(parsed)
    records = parsed.records
    dup_in_file = within_file_duplicates(records)
    keys = records.loc[~dup_in_file, "response_key"].astype(str).tolist()
    already = 0
    if store is not None and keys:
        with store.read() as conn:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                already += conn.execute(
                    select(func.count())
                    .select_from(schema.responses)
                    .where(schema.responses.c.source == source, schema.responses.c.response_key.in_(chunk))
                ).scalar_one()
    imported = len(keys) - already
    return ImportResult(
        file=str(parsed.path),
        rows_read=parsed.rows_read,
        imported=imported,
        duplicates=len(records) - imported,
        skipped=counts["skipped"],
        excluded=counts["excluded"],
        rejected=counts["rejected"],
        source=source,
        layout=parsed.layout,
    )


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
            "sha256": r["sha256"][:12],
            "layout": r["layout"],
            "rows_read": r["rows_read"],
            "imported": r["imported"],
            "duplicates": r["duplicates"],
            "skipped": r["skipped"],
            "excluded": r["excluded"],
            "rejected": r["rejected"],
            "tickets_opened": r["tickets_opened"],
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
    q = select(
        R.c.id.label("response_pk"),
        R.c.response_id,
        R.c.source,
        R.c.submitted_at,
        R.c.score,
        R.c.location,
        R.c.department,
        R.c.provider,
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
    ).select_from(R.outerjoin(T, T.c.response_pk == R.c.id))
    conds = [R.c.score <= max_score]
    if since is not None:
        conds.append(R.c.submitted_at >= since.astimezone(UTC).replace(tzinfo=None))
    if until is not None:
        conds.append(R.c.submitted_at < until.astimezone(UTC).replace(tzinfo=None))
    for name, values in filters.items():
        if values:
            conds.append(R.c[name].in_(values))
    if statuses:
        conds.append(T.c.status.in_(statuses))
    if comments_only:
        conds.append(func.length(func.trim(func.coalesce(R.c.comment, ""))) > 0)
    q = q.where(*conds).order_by(R.c.submitted_at.desc(), R.c.id.desc())
    with store.read() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
