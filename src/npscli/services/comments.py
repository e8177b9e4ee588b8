"""What counts as a comment a patient wrote: the text that drafts and reports may quote."""

from __future__ import annotations

# What patients type into a required comment box when they have nothing to say: a draft must not quote it back
# ("You wrote: > na") as if it were their feedback, nor a report spend one of its few quotes on it. Compared
# casefolded, without the punctuation around it.
_PLACEHOLDER_COMMENTS = {
    "na", "n/a", "n.a", "#n/a", "nan", "null", "nil", "none", "nothing", "no", "nope", "no comment", "no comments",
    "nothing to add", "x", "ninguno", "ninguna", "nada", "sin comentarios", "sin comentario", "no aplica",
}  # fmt: skip
_EDGE_PUNCTUATION = " \t\r\n.,;:!?-_*/\\'\"()[]"


def real_comment(comment: str | None) -> str:
    """The patient's comment as a draft or report may quote it: stripped; "" for a placeholder ("na", "-", "...")."""
    text = (comment or "").strip()
    core = text.casefold().strip(_EDGE_PUNCTUATION)
    if not core or core in _PLACEHOLDER_COMMENTS or text.casefold().strip() in _PLACEHOLDER_COMMENTS:
        return ""
    return text
