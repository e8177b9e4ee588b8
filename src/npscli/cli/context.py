"""What commands share at run time: the effective settings, the store, and "now"."""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from npscli.config import Settings
    from npscli.store.engine import Store


def settings(**flags: Any) -> Settings:
    from npscli.config import load_settings  # here, not at import: `npscli --help` reads no config schema

    return load_settings(**flags)


def missing_store(s: Settings):
    """The path of the store when it is a SQLite file that does not exist yet, else None."""
    from npscli.store.engine import sqlite_path, to_url

    path = sqlite_path(to_url(s.database_url()))
    return path if path is not None and not path.exists() else None


def open_db(s: Settings, *, create: bool = False, migrate: bool = True) -> Store:
    """The store of the settings. Only ``create`` (an import) may make a new SQLite file: any other command on
    a file that is not there is a mistyped --db or NPSCLI_DB, which must not pass for an empty store (and a
    dry run counts against an empty store rather than create one). ``migrate`` False: the store as it is, its
    schema not brought up to date (`db upgrade --check`, a backup before an upgrade)."""
    from npscli.store.engine import open_store

    path = missing_store(s)
    if path is not None and not create:
        from npscli.core.errors import NotFoundError

        raise NotFoundError(
            f"no store at {path}: nothing has been imported into it",
            hint="check --db or NPSCLI_DB, or import an export first: npscli import FILE",
        )
    store = open_store(s.database_url(), migrate=migrate, on_upgrade=say_upgrading)
    if migrate:
        _say_which_store(store, s)
    return store


def say_upgrading(version: int, latest: int) -> None:
    """Before an existing store's schema is upgraded (once, after installing a newer npscli): a large store takes
    a while, which must not look like a hang."""
    from npscli.cli.output import message

    message(
        f"upgrading the store's schema from version {version} to {latest} (once; about half a minute per "
        "million responses; `npscli db compact` gives the freed space back afterwards)"
    )


_announced: set[str] = set()


def _say_which_store(store: Store, s: Settings | None = None) -> None:
    """On a terminal, one line on stderr naming the store and its size, so that a default (user-wide) store or a
    stale NPSCLI_DB cannot be read silently. Never into a pipe or a file: scripted output stays as it was.

    A shared (PostgreSQL) store read with no clinic time zone set anywhere (this machine's is used) is said
    too: a colleague whose laptop is in another zone counts other weeks and days from the same responses."""
    from npscli.cli.output import is_quiet, message, stderr_is_terminal

    if store.url in _announced or is_quiet() or not stderr_is_terminal():
        return
    _announced.add(store.url)
    from npscli.store.engine import describe_store
    from npscli.store.queries import count_responses

    n = count_responses(store)
    message(f"store: {describe_store(store)}, {n:,} response{'' if n == 1 else 's'}")
    if s is not None and store.dialect == "postgresql" and s.origins.get("timezone", "").startswith("default"):
        message(
            f"  the clinic's time zone is not set: this machine's ({s.timezone}) is used; colleagues sharing the "
            'store count the same weeks only with the same zone: timezone = "..." in npscli.toml'
        )


def now(as_of: str | None, s: Settings) -> datetime:
    """The run's "now": --as-of, else NPSCLI_NOW, else the clock; aware, in the clinic's zone."""
    from npscli.core.errors import UsageError
    from npscli.core.periods import resolve_now

    given = as_of or os.environ.get("NPSCLI_NOW") or None
    try:
        moment = resolve_now(given, s.timezone)
    except OverflowError:  # 9999-12-31T23:59 in a zone behind UTC is past the last datetime
        moment = None
    if moment is None or not 1970 <= moment.year <= 2199:  # the range of the store's times (as the import's)
        what = "--as-of" if as_of else "NPSCLI_NOW"
        raise UsageError(
            f"{what} {given!r} is out of range: now must be between 1970 and 2199",
            hint="use an ISO date (2025-11-24) or date-time (2025-11-24T09:00) of the run to reproduce",
        )
    return moment


def group_filters(location=None, department=None, provider=None, *, store=None) -> dict[str, tuple[str, ...]]:
    """The --location/--department/--provider filters as the store queries take them.

    With ``store``, each value is matched to the stored spelling ignoring case ("downtown" is "Downtown"), and
    a value that matches nothing is a warning naming the values that exist (not a silently empty answer).
    """
    filters = {
        "location": tuple(location or ()),
        "department": tuple(department or ()),
        "provider": tuple(provider or ()),
    }
    if store is None or not any(filters.values()):
        return filters
    from npscli.cli.output import warn
    from npscli.core.names import near_names
    from npscli.store.queries import match_group_values

    resolved, unmatched = match_group_values(store, filters)
    for name, (missing, known) in unmatched.items():
        shown = ", ".join(known[:12]) + (f" and {len(known) - 12} more" if len(known) > 12 else "")
        names = ", ".join(repr(value) for value in missing)
        close = [near for value in missing for near in near_names(value, known)]
        meant = f"; did you mean {' or '.join(repr(v) for v in dict.fromkeys(close))}?" if close else ""
        warn(f"no {name} {names} in the store{meant} (known: {shown or 'none'})")
    return resolved


def theme_source(s: Settings):
    """The themes of listed comments: stored on their tickets when current, else from the taxonomy (loaded on
    first need, as :func:`taxonomy_or_none`)."""
    from npscli.io.theme_key import configured_taxonomy_key
    from npscli.services.views import ThemeSource

    return ThemeSource(configured_taxonomy_key(s), lambda: taxonomy_or_none(s))


def taxonomy_or_none(s: Settings):
    """The configured theme taxonomy, or None with a warning when its file is broken: a broken taxonomy must not
    hide detractors or a ticket (`npscli themes` reports the error itself)."""
    from npscli.cli.output import warn
    from npscli.core.errors import ConfigError
    from npscli.io.taxonomy import load_configured_taxonomy

    try:
        return load_configured_taxonomy(s)
    except ConfigError as exc:
        warn(f"themes not shown: {exc.message}")
        return None
