"""What commands share at run time: the effective settings, the store, and "now"."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from npscli.config import Settings, load_settings

if TYPE_CHECKING:
    from npscli.store.engine import Store


def settings(**flags: Any) -> Settings:
    return load_settings(**flags)


def open_db(s: Settings) -> Store:
    from npscli.store.engine import open_store

    return open_store(s.database_url())


def now(as_of: str | None, s: Settings) -> datetime:
    """The run's "now": --as-of, else NPSCLI_NOW, else the clock; aware, in the clinic's zone."""
    from npscli.core.periods import resolve_now

    return resolve_now(as_of or os.environ.get("NPSCLI_NOW") or None, s.timezone)


def split_csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def group_filters(location=None, department=None, provider=None) -> dict[str, tuple[str, ...]]:
    """The --location/--department/--provider filters as the store queries take them."""
    return {"location": tuple(location or ()), "department": tuple(department or ()), "provider": tuple(provider or ())}
