"""Rows without a response id, against a store made before whole-row keys (``fp:`` keys)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from npscli.store import schema

if TYPE_CHECKING:
    import pandas as pd


class LegacyKeys:
    """Matches rows without a response id against a store made before whole-row keys (:mod:`npscli.io.keys`).

    Such a store holds ``fp:`` keys: a hash of time (to the minute), score and mapped text fields, under which
    responses that were merely alike were stored once. A row of a new import whose old key is in the store
    takes that key (and so counts as the duplicate it is) if it is the first row of the file with that old
    key, which is the one the old import stored; the others were never stored and are new. The same file
    imported again into such a store therefore adds only the responses the old rule lost.
    """

    def __init__(self, conn, source: str) -> None:
        R = schema.responses
        self._source = source
        # (the unique index on (source, response_key) answers this range without a scan)
        self.active = (
            conn.execute(
                select(R.c.id).where(R.c.source == source, R.c.response_key >= "fp:", R.c.response_key < "fp;").limit(1)
            ).first()
            is not None
        )
        self._seen: set[str] = set()

    def adopt(self, conn, records: pd.DataFrame) -> pd.DataFrame:
        """``records`` with the old key in place of the whole-row key where the store holds the row under it."""
        import numpy as np
        import pandas as pd

        from npscli.io.keys import ROW_PREFIX, legacy_keys

        if not self.active or records.empty:
            return records
        whole_row = records["response_key"].astype(str).str.startswith(ROW_PREFIX).to_numpy()
        if not whole_row.any():
            return records
        old = legacy_keys(records[whole_row])
        first = ~pd.Series(old).duplicated().to_numpy() & ~np.isin(old, list(self._seen))
        wanted = old[first].tolist()
        self._seen.update(wanted)
        stored: set[str] = set()
        R = schema.responses
        for start in range(0, len(wanted), 500):
            stored.update(
                conn.execute(
                    select(R.c.response_key).where(
                        R.c.source == self._source, R.c.response_key.in_(wanted[start : start + 500])
                    )
                ).scalars()
            )
        if not stored:
            return records
        take = first & np.isin(old, list(stored))
        keys = records["response_key"].to_numpy(dtype=object).copy()
        rows = np.flatnonzero(whole_row)[take]
        keys[rows] = old[take]
        return records.assign(response_key=keys)
