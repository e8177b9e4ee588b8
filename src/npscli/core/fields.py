"""The fields of a response, named once: the text fields every reader fills and the store keeps, and the
fields NPS is grouped and filtered by."""

from __future__ import annotations

TEXT_FIELDS = ("comment", "location", "department", "provider", "patient_name", "email", "phone", "patient_id")
GROUP_FIELDS = ("location", "department", "provider")
