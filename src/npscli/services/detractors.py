"""`npscli detractors`: the detractors of a window, newest first, each with its ticket, age and themes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from npscli.core.periods import naive_utc
from npscli.services.comments import real_comment
from npscli.services.views import ThemeSource, age, detractor_row, local_short, with_themes


def detractor_rows(
    store,
    *,
    now: datetime,
    tz: str,
    start: datetime | None,
    end: datetime | None,
    filters: dict[str, tuple[str, ...]],
    statuses: tuple[str, ...],
    comments_only: bool,
    show_contact: bool,
    themes: ThemeSource,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rows as every format shows them (contact details only with ``show_contact``), and the stored rows
    they came from (for the table's local times and ages). Each comment's ``themes`` from ``themes``: those its
    ticket stored when they are current, else matched."""
    from npscli.store.queries import list_detractors

    raw = list_detractors(
        store,
        max_score=6,
        since=start,
        until=end,
        filters=filters,
        statuses=statuses,
        comments_only=comments_only,
    )
    if comments_only:  # the store kept what was typed: "na", "-" or "no comment" is no comment left
        raw = [r for r in raw if real_comment(r["comment"])]
    at = naive_utc(now)  # "now" as the store keeps times, converted once rather than for every row
    rows = [
        with_themes(detractor_row(r, now=at, tz=tz, show_contact=show_contact), found)
        for r, found in zip(raw, themes.themes_of(raw), strict=True)
    ]
    return rows, raw


def for_table(rows: list[dict[str, Any]], raw: list[dict[str, Any]], *, now: datetime, tz: str) -> None:
    """Add what the table shows beside the data: local time received, age, the OVERDUE flag, themes one per
    line (so the column stays narrow)."""
    at = naive_utc(now)
    for shown, stored in zip(rows, raw, strict=True):
        shown["when"] = local_short(stored["submitted_at"], tz)
        shown["age"] = age(stored["submitted_at"], at)
        shown["flag"] = "OVERDUE" if shown["overdue"] else ""
        shown["themes_shown"] = "\n".join(shown["themes"] or ())
