"""Table digests of a store: what an import stored, independent of row order and of the clock.

    .venv/bin/python bench/digest.py STORE            # a SQLite path or a SQLAlchemy URL (PostgreSQL)
    .venv/bin/python bench/digest.py STORE --ids      # the surrogate ids too (same rows in the same order)

For each table (import batches, responses, tickets, ticket history) prints the row count and a digest: the sum,
modulo 2**128, of a 128-bit BLAKE2b hash of each row's values, so two stores that hold the same rows in any
order print the same line. Left out: the columns that record when the import ran or who ran it (imported_at,
imported_by, opened_at, updated_at, a history event's time), what a store keeps only to save work (a ticket's
themes and their fingerprint) and, unless --ids, the surrogate keys (a ticket is
named by its response's source and key, a history event by its ticket's). Two imports of the same files, before
and after a change to the importer, must print the same digests. (A response's location, department and provider
are digested by name: the digests of a store of version 11, which holds their ids, and of an older one, which held
the names, compare; run each checkout's own digest on its own store.)
"""

from __future__ import annotations

import argparse
import hashlib
import sys

from sqlalchemy import select

from npscli.store import group_labels
from npscli.store.engine import open_store, to_url
from npscli.store.schema import import_batches, responses, ticket_events, tickets

WALL_CLOCK = {"imported_at", "imported_by", "opened_at", "updated_at", "at"}
# what a store keeps to save work, not a result: a ticket's themes as its comment's matching found them, and
# the fingerprint of that matching (version 12; the listing commands match again whenever it changed)
CACHED = {"themes", "themes_key"}
SURROGATE = {"id", "batch_id", "response_pk", "ticket_id"}


def _cell(value) -> str:
    return "\x00" if value is None else str(value)


def _digest(rows) -> tuple[int, str]:
    total, count = 0, 0
    for row in rows:
        text = "\x1f".join(_cell(v) for v in row)
        total = (total + int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")) % 2**128
        count += 1
    return count, f"{total:032x}"


GROUP_IDS = {f"{field}_id": field for field in ("location", "department", "provider")}


def _kept(table, ids: bool) -> list:
    """The columns digested, in the table's order; a location, department or provider by its name (a store
    before version 10 held the names in place of the ids, so the digests of the two compare)."""
    return [
        group_labels.value_of(GROUP_IDS[c.name]) if c.name in GROUP_IDS else c
        for c in table.c
        if c.name not in WALL_CLOCK | CACHED and (ids or c.name not in SURROGATE)
    ]


def digests(url: str, ids: bool = False) -> dict[str, tuple[int, str]]:
    store = open_store(to_url(url), migrate=False)  # read as it is: no schema change
    R, T, E, B = responses, tickets, ticket_events, import_batches
    queries = {
        "import_batches": select(*_kept(B, ids)),
        "responses": select(*_kept(R, ids)).select_from(group_labels.with_labels(R)),
        "tickets": select(R.c.source, R.c.response_key, *_kept(T, ids)).join(R, R.c.id == T.c.response_pk),
        "ticket_history": select(R.c.source, R.c.response_key, *_kept(E, ids))
        .join(T, T.c.id == E.c.ticket_id)
        .join(R, R.c.id == T.c.response_pk),
    }
    out = {}
    with store.read() as conn:
        for name, query in queries.items():
            out[name] = _digest(conn.execute(query.execution_options(yield_per=50_000)))
    store.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", help="a SQLite file or a SQLAlchemy URL")
    parser.add_argument("--ids", action="store_true", help="include the surrogate ids")
    args = parser.parse_args(argv)
    for name, (count, digest) in digests(args.store, args.ids).items():
        print(f"{name:15} {count:>10,} {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
