"""The whole `npscli draft-outreach` use case: select, plan, refuse, render, write, record.

The command parses its options into a :class:`DraftRequest` and emits the :class:`DraftRun` this returns: its
rows (one per draft, then one per ticket skipped), the summary lines, and the tickets left undrafted because
their sender is not configured (the command fails on those, after writing the others).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from npscli.core.errors import ConfigError, InputFileError, UsageError
from npscli.services.outreach.constants import KIND_EMAIL, KIND_PUBLIC
from npscli.services.outreach.drafts import (
    Draft,
    Selection,
    Skip,
    file_ext,
    file_stem,
    plan,
    record,
    render,
    select,
    write,
)
from npscli.services.outreach.public_reply import refuse_abusive_public_reply
from npscli.services.outreach.senders import OutreachConfig
from npscli.services.outreach.templates import available_templates, check_template, kind_of, template_name

if TYPE_CHECKING:
    from npscli.config import Settings
    from npscli.store.engine import Store


@dataclass(frozen=True)
class DraftRequest:
    """What `npscli draft-outreach` was asked for, parsed."""

    out: Path
    fmt: str  # eml, txt or md
    template: str | None = None  # --template, checked by forced_template (None: by root cause)
    ticket_ids: tuple[str, ...] = ()
    locations: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    since: datetime | None = None
    sender: str | None = None
    again: bool = False
    dry_run: bool = False
    user_dir: str | None = None  # the user's template folder, resolved


@dataclass
class DraftRun:
    drafts: list[Draft] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    unconfigured: list[Skip] = field(default_factory=list)  # not drafted: their sender is not configured


def forced_template(template: str | None, ticket_ids: tuple[str, ...], user_dir: str | None) -> str | None:
    """The checked --template (None when not given); a public reply needs its one ticket."""
    if not template:
        return None
    forced = check_template(template_name(template), available_templates(user_dir))
    if kind_of(forced) == KIND_PUBLIC and not ticket_ids:
        raise UsageError(
            "a public reply answers one online review: say which ticket it is about",
            hint=f"npscli draft-outreach --template {forced} --ticket T-000123",
        )
    return forced


def draft_outreach(store: Store, s: Settings, req: DraftRequest, *, now: datetime) -> DraftRun:
    """Draft (or, dry, plan) outreach for the tickets ``req`` selects; every draft rendered before any is written."""
    names = available_templates(req.user_dir)
    sel = Selection(
        ticket_ids=req.ticket_ids,
        locations=req.locations,
        departments=req.departments,
        since=req.since,
        template=req.template,
        sender=req.sender,
        again=req.again,
    )
    cfg = OutreachConfig.from_settings(s)
    chosen, skips, counts = select(store, sel)
    drafts, unreachable = plan(chosen, sel, cfg, names, tz=s.timezone, now=now)
    shared = same_patient(drafts)
    for draft in drafts:
        if draft.ticket_id in shared:
            said = f"the same patient as {', '.join(shared[draft.ticket_id])}: send them one message"
            draft.note = "; ".join(n for n in (draft.note, said) if n)
    if any(d.kind == KIND_PUBLIC or (d.kind == KIND_EMAIL and d.context["comment"]) for d in drafts):
        from npscli.io.taxonomy import load_configured_taxonomy

        try:
            taxonomy = load_configured_taxonomy(s)
        except ConfigError:
            if any(d.kind == KIND_PUBLIC for d in drafts):
                raise
            # private drafts never needed the clinic's taxonomy: a broken one does not hold them back, and the
            # packaged list of abusive words still keeps such words out of the apology
            from npscli.io.taxonomy import load_taxonomy

            taxonomy = load_taxonomy()
        for draft in drafts:
            refuse_abusive_public_reply(draft, taxonomy)
            if draft.kind == KIND_EMAIL and draft.context["comment"] and taxonomy.is_abusive(draft.context["comment"]):
                # an apology that quotes "a complete idiot" back reads badly to the patient (and about a
                # colleague); the templates take their no-comment wording, and the coordinator reads it first
                draft.context["comment"] = ""
                said = f"abusive language: not quoted back; read it first (npscli tickets show {draft.ticket_id})"
                draft.note = "; ".join(n for n in (draft.note, said) if n)
    for draft in drafts:  # everything rendered (and checked) before anything is written
        render(draft, user_dir=req.user_dir)
    run = DraftRun(drafts=[], counts=counts)
    for draft in drafts:
        if req.dry_run:
            path = req.out / f"{file_stem(draft)}.{file_ext(draft, req.fmt)}"
        else:
            try:
                path = write(draft, req.out, req.fmt, now)
            except OSError as exc:
                raise InputFileError(
                    f"cannot write drafts into {req.out} ({exc.strerror})",
                    hint=f"{len(run.rows)} draft(s) were written and logged before this one",
                ) from None
            taken = record(store, draft, path.resolve(), actor=s.user, now=now, again=req.again)
            if taken is not None:  # a colleague's run drafted it a moment ago: theirs goes out, not a second one
                path.unlink(missing_ok=True)
                skips.append(Skip(draft.ticket_id, f"drafted meanwhile by {taken['actor']}: not drafted twice"))
                continue
        run.drafts.append(draft)
        run.rows.append(
            {
                "ticket_id": draft.ticket_id,
                "draft": draft.kind,
                "template": draft.template,
                "sender": f"{draft.sender.name} <{draft.sender.email}>",
                "file": str(path),
                "note": draft.note,
            }
        )
    for skip in [*skips, *(skip for skip in unreachable if skip.error is None)]:  # sender problems: said once
        run.rows.append(
            {
                "ticket_id": skip.ticket_id,
                "draft": "skipped",
                "template": "",
                "sender": "",
                "file": "",
                "note": skip.reason,
            }
        )
    run.unconfigured = [skip for skip in unreachable if skip.error is not None]
    return run


def same_patient(drafts: list[Draft]) -> dict[str, list[str]]:
    """The private drafts of this run that go to a patient another one goes to too (the same patient id or
    e-mail: two visits, two complaints), by ticket id, with the other tickets: one message answers both."""
    from npscli.services.outreach.drafts import _patient_keys

    private = [d for d in drafts if d.kind != KIND_PUBLIC]
    by_key: dict[tuple[str, str], list[Draft]] = {}
    for draft in private:
        for key in _patient_keys(draft.ticket):
            by_key.setdefault(key, []).append(draft)
    out: dict[str, list[str]] = {}
    for draft in private:
        others = {o.ticket_id for key in _patient_keys(draft.ticket) for o in by_key[key] if o is not draft}
        if others:
            out[draft.ticket_id] = sorted(others)
    return out


def summary_lines(run: DraftRun, out: Path, *, dry_run: bool, fmt: str) -> list[str]:
    """What the person running it should read after the table: what was written, and what to do next."""
    lines = []
    drafts = run.drafts
    kinds = {"email": "e-mail draft(s)", "call": "call script(s)", "public": "public reply(ies)"}
    made = [f"{n} {label}" for kind, label in kinds.items() if (n := sum(1 for d in drafts if d.kind == kind))]
    if made:
        verb = "would write" if dry_run else "wrote"
        lines.append(f"{verb} {', '.join(made)} into {out}/")
        if not dry_run and fmt == "eml" and any(d.kind == "email" for d in drafts):
            lines.append(
                "open each .eml in Outlook (it opens as a draft) or Thunderbird (Message > Edit As New), "
                "read it through, make it yours, and send it from your own mailbox"
            )
        private = [d for d in drafts if d.kind != "public"]
        if not dry_run and private:
            channel = "email" if private[0].kind == "email" else "call"
            lines.append(
                "once you have written or called, log it so colleagues know: "
                f"npscli tickets contacted {private[0].ticket_id} --channel {channel}"
            )
        public = [d for d in drafts if d.kind == "public"]
        if not dry_run and public:
            lines.append(
                "a public reply does not reach the patient in private: once it is posted, note it: "
                f'npscli tickets note {public[0].ticket_id} "public reply posted"'
            )
        shared = same_patient(drafts)
        if shared:
            groups = sorted({tuple(sorted([ticket, *others])) for ticket, others in shared.items()})
            listed = "; ".join(" and ".join(group) for group in groups)
            lines.append(
                f"the same patient has several drafts ({listed}): send them one message, and log the contact on "
                "each ticket"
            )
    elif not run.unconfigured:  # (tickets held up by a missing sender are said once, by the error that follows)
        lines.append("nothing new to draft")
    if run.counts["already_drafted"]:
        lines.append(
            f"{run.counts['already_drafted']} ticket(s) drafted before were left alone (--again drafts them anew)"
        )
    if run.counts["already_contacted"]:
        lines.append(
            f"{run.counts['already_contacted']} ticket(s) already contacted were left alone "
            "(--again drafts for them too)"
        )
    if run.counts["no_response"]:
        lines.append(f"{run.counts['no_response']} ticket(s) skipped: the patient was closed as no response")
    return lines


def unconfigured_error(run: DraftRun):
    """The ConfigError that fails the run when some tickets were not drafted for want of a sender (or None)."""
    if not run.unconfigured:
        return None
    from collections import Counter

    from npscli.services.outreach.senders import MissingSenderError

    unconfigured = run.unconfigured
    missing = [skip.error for skip in unconfigured if isinstance(skip.error, MissingSenderError)]
    others = list(dict.fromkeys(skip.error.message for skip in unconfigured if skip.error not in missing))
    parts = []
    for role in dict.fromkeys(error.role for error in missing):  # each location once, with its ticket count
        per_location = Counter(error.location for error in missing if error.role == role)
        if len(per_location) == 1:
            parts.append(f"no outreach sender `{role}` for location {next(iter(per_location))!r}")
        else:
            listed = [f"{loc!r} ({n})" for loc, n in sorted(per_location.items())]
            listed[0] = listed[0][:-1] + " tickets)"
            parts.append(f"no outreach sender `{role}` for locations {', '.join(listed)}")
    parts.extend(others)
    blocks = list(dict.fromkeys(error.hint for error in sorted(missing, key=lambda error: error.location)))
    if blocks:
        hint = (
            f"add to {missing[0].where} (the real person who signs the drafts):\n"
            + "\n\n".join(blocks)
            + '\n\nor draft them all from one person: --sender NAME, with a [senders."NAME"] entry'
        )
    else:
        hint = next((skip.error.hint for skip in unconfigured if skip.error.hint), None)
    return ConfigError(f"{len(unconfigured)} ticket(s) not drafted: " + "; ".join(parts), hint=hint)
