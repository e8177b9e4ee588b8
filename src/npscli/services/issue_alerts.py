"""Alerts for emerging issues: each issue the early-warning detector flags, once per recipient, by e-mail.

The detection and its sentence are ``npscli.services.themes.emerging_issues`` and ``describe_issue`` (the same
functions behind `npscli themes --emerging` and the weekly report); the people and delivery plumbing are
``npscli.services.alerts``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from npscli.core.routing import AlertSettings, route
from npscli.services.alerts import Job, RunContext, outgoing_email
from npscli.store.engine import Store

KIND_EMERGING = "emerging"
CHANNEL_EMERGING = "emerging-email"


def plan_issues(ctx: RunContext, *, since: datetime | None) -> list[Any]:
    """The issue alerts due: every issue of ``ctx.emerging`` flagged (first or again) on or after the day of
    ``since``, to the recipients the routing rules give a detractor at its location (score alerts.max_score,
    so a rule for the lowest scores only does not receive every issue)."""
    from npscli.services.themes import describe_issue
    from npscli.store.emerging import IssueDue

    if not ctx.use_email or ctx.taxonomy is None:
        return []
    floor = since.astimezone(ZoneInfo(ctx.tz)).date() if since is not None else None
    due = []
    for e in ctx.emerging:
        if floor is not None and e.last_flagged < floor:
            continue
        summary = describe_issue(e, ctx.taxonomy)
        for r in route(ctx.settings, score=ctx.settings.max_score, location=e.group, department=None, provider=None):
            due.append(IssueDue(e.theme, "location", e.group, e.first_flagged, r.recipient.address, summary))
    return due


def _issue_reason(row: dict[str, Any], cfg: AlertSettings) -> str:
    for r in route(cfg, score=cfg.max_score, location=row["group_value"], department=None, provider=None):
        if r.recipient.address == row["recipient"]:
            return r.reason
    return "a routing rule in force when it became due"


def issue_jobs(store: Store, rows: Iterable[dict[str, Any]], ctx: RunContext) -> list[Job]:
    """One e-mail per pending issue alert: the issue's sentence (as it stands now, if it is still listed),
    the latest redacted comments that make it, and no patient contact details, whatever alerts.include_contact
    says (an issue goes to a location's managers, not to a ticket's owner)."""
    from npscli.services.themes import describe_issue, issue_comments

    jobs: list[Job] = []
    for row in rows:
        current = next(
            (
                e
                for e in ctx.emerging
                if (e.theme, e.group) == (row["theme"], row["group_value"])
                and abs((e.first_flagged - row["first_flagged"]).days) < 28
            ),
            None,
        )
        label = ctx.taxonomy.theme(row["theme"]).label if ctx.taxonomy is not None else row["theme"]
        comments = []
        if current is not None and ctx.taxonomy is not None:
            comments = issue_comments(store, ctx.taxonomy, current, tz=ctx.tz, by="location")
        budget = ctx.detector.false_alarms_per_site_year if ctx.detector is not None else 1.0
        context = {
            "label": label,
            "theme": row["theme"],
            "group": row["group_value"],
            "group_by": row["group_by"],
            "first_flagged": row["first_flagged"].isoformat(),
            "summary": describe_issue(current, ctx.taxonomy) if current is not None else row["summary"],
            "comments": comments,
            "budget": f"{budget:g}",
            "reason": _issue_reason(row, ctx.settings),
        }
        name = f"emerging-{row['theme']}-{row['group_value']}-{row['first_flagged']}-{row['recipient']}"
        out = outgoing_email(ctx, row["recipient"], "emerging", context, name, deliveries=[row])
        jobs.append(Job("email", row["recipient"], [row], outgoing=out))
    return jobs


def deliver_issues(store: Store, jobs: list[Job], *, mailer: Any, now: datetime) -> None:
    """Send the issue e-mails; record each outcome as soon as it is known."""
    from npscli.store import emerging as issue_book

    by_message = {id(j.outgoing): j for j in jobs if j.outgoing is not None}
    if not by_message:
        return

    def attempting(out: Any) -> None:
        issue_book.mark_attempted(store, by_message[id(out)].deliveries, now=now)

    for result in mailer.iter_send([j.outgoing for j in jobs if j.outgoing is not None], before=attempting):
        job = by_message[id(result.outgoing)]
        job.results.append((result.ok, result.error))
        if result.ok:
            issue_book.mark_sent(store, job.deliveries, now=now)
        else:
            issue_book.mark_failed(store, job.deliveries, error=result.error or "?", uncertain=result.uncertain)


def issue_report_rows(jobs: Iterable[Job], *, dry_run: bool = False, outbox: bool = False) -> list[dict]:
    """One row per issue alert, in the `npscli alert --format json` shape (kind "emerging")."""
    out = []
    for job in jobs:
        ok = bool(job.results) and all(o for o, _ in job.results)
        error = next((e for o, e in job.results if not o), None)
        for d in job.deliveries:
            if dry_run:
                result = "would retry" if d.get("attempts") else "would send"
            else:
                result = ("outbox" if outbox else "sent") if ok else "failed"
            out.append(
                {
                    "kind": KIND_EMERGING,
                    "ticket_id": None,
                    "response_id": None,
                    "score": None,
                    "location": d["group_value"] if d["group_by"] == "location" else None,
                    "department": d["group_value"] if d["group_by"] == "department" else None,
                    "submitted_at": d["first_flagged"].isoformat(),
                    "recipient": d["recipient"],
                    "channel": CHANNEL_EMERGING,
                    "digest": False,
                    "result": result,
                    # an earlier run was killed between sending this and recording it: maybe delivered already
                    "uncertain": d.get("attempted_at") is not None,
                    "attempts": (d.get("attempts") or 0) + (0 if dry_run else 1),
                    "error": d.get("last_error") if dry_run else error,
                    "theme": d["theme"],
                    "summary": d["summary"],
                }
            )
    return out


def preview_issues(store: Store, ctx: RunContext, *, since: datetime | None) -> list[dict[str, Any]]:
    """The issue alerts a run would send, without writing anything: the pending plus the unrecorded due."""
    from npscli.store import emerging as issue_book

    rows = issue_book.pending(store)
    due = plan_issues(ctx, since=since)
    known = issue_book.already_known(store, due)
    for d in dict.fromkeys(due):
        if d.key in known:
            continue
        rows.append(
            {
                "id": None,
                "theme": d.theme,
                "group_by": d.group_by,
                "group_value": d.group_value,
                "first_flagged": d.first_flagged,
                "recipient": d.recipient,
                "attempts": 0,
                "last_error": None,
                "summary": d.summary,
            }
        )
    return rows
