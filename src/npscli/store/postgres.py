"""PostgreSQL fast paths (psycopg 3): bulk import with COPY into a temporary table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def copy_insert_responses(conn, columns: Sequence[str], rows: list[tuple]) -> tuple[int | None, int]:
    """COPY the rows into a temporary table, then insert the ones whose key is new. Returns the smallest id
    inserted (None if none) and how many were.

    ``conn`` is a SQLAlchemy Connection inside the import's transaction; the temporary table is
    dropped at commit, so an interrupted import leaves nothing behind.
    """
    cols = ", ".join(columns)
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS responses_incoming ON COMMIT DROP AS "
        f"SELECT {cols} FROM responses WITH NO DATA"
    )
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY responses_incoming ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    lowest, added = conn.exec_driver_sql(
        f"WITH added AS (INSERT INTO responses ({cols}) SELECT {cols} FROM responses_incoming "
        "ON CONFLICT (source, response_key) DO NOTHING RETURNING id) SELECT min(id), count(*) FROM added"
    ).one()
    conn.exec_driver_sql("TRUNCATE responses_incoming")
    return lowest, added


def copy_rows(conn, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """COPY rows straight into ``table`` (inside the caller's transaction), in the order given."""
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
