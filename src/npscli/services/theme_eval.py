"""`npscli themes evaluate`: measure the taxonomy (the configured one, or a file) on a hand-labelled sample."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _taxonomy(s, taxonomy_file: Path | None, *, keywords_only: bool = False):
    """The taxonomy file named with --taxonomy (with the configured root causes), else the configured one;
    with ``keywords_only``, its keywords decide every theme (as ``[themes] model = false``)."""
    from npscli.io.taxonomy import load_configured_taxonomy, load_taxonomy
    from npscli.io.theme_key import taxonomy_options

    if taxonomy_file is not None:
        return load_taxonomy(taxonomy_file, root_causes=tuple(s.tickets.root_causes), model=not keywords_only)
    if keywords_only:
        load_configured_taxonomy(s)  # (the same checks of [themes] first)
        path, root_causes, _ = taxonomy_options(s)
        return load_taxonomy(path, root_causes=root_causes, model=False)
    return load_configured_taxonomy(s)


def evaluate_labelled(
    s,
    file: Path,
    *,
    text: str | None,
    expected: str | None,
    taxonomy_file: Path | None,
    sheet: str | None,
    worst: int,
    skip_unknown: bool = False,
    keywords_only: bool = False,
) -> dict[str, Any]:
    """The evaluation report (per theme, micro and macro averages, the worst misses) of ``file``; with
    ``keywords_only``, of the taxonomy's keywords alone (to compare with the model on a clinic's own sample)."""
    from npscli.core.theme_eval import expected_lookup
    from npscli.io.labelled import read_labelled
    from npscli.reports.theme_eval import evaluation_report

    taxonomy = _taxonomy(s, taxonomy_file, keywords_only=keywords_only)
    codes = list(taxonomy.codes)
    lookup = expected_lookup((code, taxonomy.theme(code).label) for code in codes)
    sample = read_labelled(
        file, lookup, codes=codes, text=text, expected=expected, sheet=sheet, skip_unknown=skip_unknown
    )
    return evaluation_report(sample, taxonomy, worst=worst)


def explain_comment(
    s, text: str, *, taxonomy_file: Path | None, every_theme: bool, cues: int, names: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Why ``text`` gets the themes it gets: per theme (each one with ``every_theme``), found or not, the
    model's margin and the cues behind it, largest effect first, each in words and as the comment wrote it.
    The comment itself is shown redacted (``names``: the patient's names, when the comment is a ticket's)."""
    from npscli.core.redact import redact
    from npscli.core.themes import describe_cue

    taxonomy = _taxonomy(s, taxonomy_file)
    written = taxonomy.written_forms(text)
    explanations = []
    for e in taxonomy.explain(text, every_theme=every_theme):
        shown = e.cues if cues <= 0 else e.cues[:cues]
        explanations.append(
            {
                "theme": e.theme,
                "label": taxonomy.theme(e.theme).label,
                "found": e.matched,
                "method": e.method,
                "score": None if e.score is None else round(e.score, 3),
                "reason": e.reason,
                "cues": [
                    {
                        "feature": feature,
                        "description": describe_cue(feature) if e.method == "model" else f'the keyword "{feature}"',
                        "weight": round(weight, 3),
                        "written": list(written.get(feature, ())),
                    }
                    for feature, weight in shown
                ],
                "more_cues": len(e.cues) - len(shown),
            }
        )
    return {
        "comment": redact(text, names=names),
        "themes": taxonomy.match(text),
        "root_cause": taxonomy.suggest_root_cause(text),
        "abusive": taxonomy.is_abusive(text),
        "model": taxonomy.model is not None,
        "explanations": explanations,
    }


def ticket_comment(store, number: int) -> tuple[str, tuple[str, ...]]:
    """A ticket's comment (blank when it has none) and the patient's names (to redact it)."""
    from npscli.store.tickets import show_ticket

    ticket, _ = show_ticket(store, number)
    return ticket.get("comment") or "", (ticket["patient_name"],) if ticket.get("patient_name") else ()
