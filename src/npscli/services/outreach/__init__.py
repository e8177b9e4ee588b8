"""Outreach drafts: which tickets, which template, which sender, what a template sees, and the public-reply guard.

The flow (``npscli draft-outreach`` drives it; nothing here imports Typer):

1. ``select`` picks the tickets: open detractor tickets (or the ``--ticket`` ids), minus those already drafted
   (unless ``again``) and minus every patient who was closed as ``no_response`` on any ticket (matched by
   patient id or e-mail address; never drafted again, not even with ``again``).
2. ``plan`` decides, per ticket, the kind of draft (an e-mail; a call script when there is no usable e-mail
   address, when the location says ``channel = "call"`` or when ``call_script`` is asked; a public reply),
   the template (``--template``, else the ticket's root cause, else its suggested cause, else ``general``;
   for an e-mail or a public reply, its version in the language the patient wrote in when there is one:
   ``es/wait_time``)
   and the sender (``--sender``; else, for an escalated ticket, the person it was escalated to when they are
   in [senders] or [providers]; else the location's ``sender``, else its ``manager``).
3. ``render`` renders every draft through the one Jinja environment, and refuses a public reply that would
   disclose the patient (``check_public_reply``). Everything is rendered before anything is written.
4. ``write`` writes each draft (``npscli.io.eml``) and ``record`` logs it on its ticket ("outreach_drafted").

Templates, in ``templates/outreach/`` (a user folder with the same layout overrides any of them):

    NAME.subject.j2 + NAME.txt.j2   an e-mail (general, wait_time, scheduling, billing, staff_communication)
    call_script*.txt.j2             a phone-call script (no subject)
    public_reply*.txt.j2            a reply to an online review (no subject; checked by the guard)
    _signature.txt.j2               the e-mail signature the packaged e-mails include
    es/NAME.subject.j2 + ...        the same e-mails (and es/public_reply) in Spanish, for patients who wrote in
                                    Spanish

Variables every template sees (strings are "" when unknown, never None): ticket_id, patient_name,
patient_first_name, patient_email, patient_phone, score, visit_date (a date; ``visit_date | long_date``),
visit_day ("Monday, November 3"), location, location_phone, department, provider, comment (the patient's
words; shown only where a template quotes it), root_cause, sender_name, sender_title, sender_email,
sender_phone, clinic_name, clinic_phone, today (a date), channel ("email", "call" or "public"), language (the
draft's: "en" or "es"; visit_day is written in it), comment_language (the comment's: "en" or "es").

Sender configuration (npscli.toml)::

    [locations.Downtown]
    phone = "(555) 010-0111"
    sender = "manager"            # who writes when --sender is not given (a role or a [senders] name)
    channel = "email"             # or "call": call scripts for everyone at this location
    manager = { name = "Maria Lopez", title = "Practice Manager", email = "maria.lopez@...", phone = "..." }
    owner = "Dr. Sam Reyes"       # a string names an entry of [senders]

    [senders."Jordan Lee"]        # --sender "Jordan Lee"
    title = "Patient Experience Lead"
    email = "jordan.lee@..."

    [providers."Dr. Amara Okafor"]  # --sender provider: the ticket's provider
    email = "amara.okafor@..."
"""

from npscli.services.outreach.constants import EVENT_KIND, FORMATS, KIND_CALL, KIND_EMAIL, KIND_LABEL, KIND_PUBLIC
from npscli.services.outreach.drafts import (
    Draft,
    Selection,
    Skip,
    file_bytes,
    file_ext,
    file_stem,
    plan,
    record,
    render,
    select,
    write,
)
from npscli.services.outreach.public_reply import (
    PublicReplyError,
    check_public_reply,
    public_reply_problems,
    refuse_abusive_public_reply,
)
from npscli.services.outreach.senders import OutreachConfig, Sender, is_no_reply, resolve_sender
from npscli.services.outreach.templates import (
    available_templates,
    check_template,
    first_name,
    kind_of,
    template_for,
    template_name,
)

__all__ = [
    "EVENT_KIND",
    "FORMATS",
    "KIND_CALL",
    "KIND_EMAIL",
    "KIND_LABEL",
    "KIND_PUBLIC",
    "Draft",
    "Selection",
    "Skip",
    "file_bytes",
    "file_ext",
    "file_stem",
    "plan",
    "record",
    "render",
    "select",
    "write",
    "PublicReplyError",
    "check_public_reply",
    "public_reply_problems",
    "refuse_abusive_public_reply",
    "OutreachConfig",
    "Sender",
    "is_no_reply",
    "resolve_sender",
    "available_templates",
    "check_template",
    "first_name",
    "kind_of",
    "template_for",
    "template_name",
]
