"""Location, department and provider names: stored once in ``group_labels``, referenced by id from responses.

Every query of the store names a response's fields as before (``location``, ``department``, ``provider``);
this module turns such a name into SQL on the ids:

- ``value_of(name)``: the column expression of a field (the label's value, through an outer join that
  ``with_labels`` adds), for the queries that read rows;
- ``matching(name, values)``: the condition "the field is one of these names", as a test of the id against the
  ids of those names (so the indexes on the ids are searched, not a join per row);
- ``ids_for(conn, field, values)``: at import, the id of every name, new names added (a concurrent import adding
  the same name is harmless: the unique key keeps one, and both read the same id back).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select

from npscli.core.fields import GROUP_FIELDS
from npscli.store.schema import group_labels as L
from npscli.store.schema import responses as R

_ALIASES = {field: L.alias(f"{field}_label") for field in GROUP_FIELDS}


def id_column(field: str):
    """The responses column holding a group field's id."""
    return R.c[f"{field}_id"]


def value_of(field: str):
    """The name of a group field (an outer-joined label's value, labelled as the field); any other response
    field is its column."""
    if field in _ALIASES:
        return _ALIASES[field].c.value.label(field)
    return R.c[field]


def with_labels(from_clause, fields: Iterable[str] = GROUP_FIELDS):
    """``from_clause`` (a FROM with responses in it) outer-joined to the labels of the group ``fields``."""
    for field in dict.fromkeys(fields):
        if field in _ALIASES:
            label = _ALIASES[field]
            from_clause = from_clause.outerjoin(label, label.c.id == id_column(field))
    return from_clause


def matching(field: str, values: Sequence[str]):
    """The condition: a response's ``field`` is one of ``values`` (for a group field, its id is among theirs)."""
    if field not in _ALIASES:
        return R.c[field].in_(values)
    return id_column(field).in_(select(L.c.id).where(L.c.field == field, L.c.value.in_(values)))


def equal(field: str, value: Any):
    """The condition: a response's ``field`` equals ``value`` (None never matches, as ``=`` in SQL)."""
    if field not in _ALIASES:
        return R.c[field] == value
    return id_column(field) == select(L.c.id).where(L.c.field == field, L.c.value == value).scalar_subquery()


def names(conn, fields: Iterable[str] = GROUP_FIELDS) -> dict[int, str]:
    """id -> name of every label of ``fields`` (a few hundred rows: read whole)."""
    wanted = [field for field in fields if field in _ALIASES]
    if not wanted:
        return {}
    return dict(conn.execute(select(L.c.id, L.c.value).where(L.c.field.in_(wanted))).all())


def values_of(conn, field: str) -> list[str]:
    """Every name stored for ``field`` that some response has."""
    used = select(id_column(field)).where(id_column(field).is_not(None)).distinct().scalar_subquery()
    return list(conn.execute(select(L.c.value).where(L.c.field == field, L.c.id.in_(used))).scalars())


def ids_for(conn, field: str, values: Iterable[str]) -> dict[str, int]:
    """The id of each name in ``values`` for ``field``, adding the names not stored yet.

    A name stored already in another case, spacing or apostrophe ("DOWNTOWN", "Downtown ") is that name: one
    site, one group, as filters and routing rules see it. Of new names that are one, one is stored: the one
    written in mixed case if there is one ("Downtown" before "DOWNTOWN" and "downtown")."""
    from npscli.core.names import fold_name

    wanted = set(values)
    if not wanted:
        return {}
    found = existing_ids(conn, field, wanted)
    missing = sorted(wanted - found.keys())
    if missing:
        stored: dict[str, int] = {}
        for id_, name in sorted(names(conn, (field,)).items()):
            stored.setdefault(fold_name(name), id_)
        spelled: dict[str, str] = {}
        for name in sorted(missing, key=lambda v: (v.isupper() or v.islower(), v)):
            spelled.setdefault(fold_name(name), name)
        same = {name: stored[fold_name(name)] for name in missing if fold_name(name) in stored}
        found.update(same)
        aliases = {name: spelled[fold_name(name)] for name in missing if name not in same}
        missing = sorted(set(aliases.values()))
    if missing:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "INSERT OR IGNORE INTO group_labels (field, value) VALUES (?, ?)", [(field, v) for v in missing]
            )
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "INSERT INTO group_labels (field, value) VALUES (%s, %s) ON CONFLICT (field, value) DO NOTHING",
                [(field, v) for v in missing],
            )
        else:
            conn.execute(L.insert(), [{"field": field, "value": v} for v in missing])
        added = existing_ids(conn, field, set(missing))
        found.update({name: added[kept] for name, kept in aliases.items()})
    return found


def existing_ids(conn, field: str, values: Iterable[str]) -> dict[str, int]:
    """The id of each name in ``values`` that is stored for ``field`` (the others are left out)."""
    out: dict[str, int] = {}
    ordered = sorted(values)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        out.update(conn.execute(select(L.c.value, L.c.id).where(L.c.field == field, L.c.value.in_(chunk))).all())
    return out
