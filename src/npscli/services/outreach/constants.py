"""Names shared by the outreach modules: event kind, draft kinds, template names, formats."""

from __future__ import annotations

from npscli.core.config_schema import SENDER_ROLES as SENDER_ROLES  # declared with [locations] sender
from npscli.core.language import SPANISH

EVENT_KIND = "outreach_drafted"
KIND_EMAIL, KIND_CALL, KIND_PUBLIC = "email", "call", "public"
KIND_LABEL = {KIND_EMAIL: "email draft", KIND_CALL: "call script", KIND_PUBLIC: "public reply"}
TEMPLATE_FOLDER = "outreach"
DEFAULT_TEMPLATE = "general"
CALL_TEMPLATE = "call_script"
PUBLIC_TEMPLATE = "public_reply"
# Root-cause codes whose template has another name; any other code uses a template of its own name when one
# exists (so a clinic's own code "parking" is served by a user template outreach/parking.*), else general.
CAUSE_TEMPLATES = {"staff": "staff_communication", "communication": "staff_communication"}
# A template in another language lives in a folder named by its code: outreach/es/wait_time.txt.j2.
LANGUAGE_PREFIX = r"(?:[a-z]{2}/)?"
LANGUAGE_NAMES = {SPANISH: "Spanish"}
FORMATS = ("eml", "txt", "md")
