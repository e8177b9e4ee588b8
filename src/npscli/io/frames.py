"""Small pandas helpers shared by the store and in-memory scoring."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from npscli.core.periods import keys_of_days

if TYPE_CHECKING:
    import pandas as pd


def add_period_keys(records: pd.DataFrame) -> pd.DataFrame:
    """Add period_week/month/quarter/year from local_date ("YYYY-MM-DD"), computed once per distinct day."""
    import numpy as np
    import pandas as pd

    out = records.copy()
    codes, days = pd.factorize(out["local_date"].astype(str).to_numpy())
    for period, keys in keys_of_days([date.fromisoformat(day) for day in days]).items():
        out[f"period_{period}"] = np.asarray(keys, dtype=object)[codes] if len(codes) else np.asarray([], dtype=object)
    return out
