"""Small pandas helpers shared by the store and in-memory scoring."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from npscli.core.periods import PERIODS, period_key

if TYPE_CHECKING:
    import pandas as pd


def add_period_keys(records: pd.DataFrame) -> pd.DataFrame:
    """Add period_week/month/quarter/year from local_date ("YYYY-MM-DD"), computed once per distinct day."""
    out = records.copy()
    days = out["local_date"].astype(str)
    unique = days.unique()
    for period in PERIODS:
        keys = {d: period_key(date.fromisoformat(d), period) for d in unique}
        out[f"period_{period}"] = days.map(keys)
    return out
