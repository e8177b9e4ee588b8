"""The rows `npscli themes evaluate` prints: per-theme accuracy, the averages, and the worst misses (redacted)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from npscli.core.redact import redact
from npscli.core.theme_eval import Evaluation, Score, evaluate

if TYPE_CHECKING:
    from npscli.core.themes import Taxonomy
    from npscli.io.labelled import LabelledSample


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _score_row(code: str, label: str, score: Score) -> dict[str, Any]:
    return {
        "theme": code,
        "label": label,
        "support": score.support,
        "tp": score.tp,
        "fp": score.fp,
        "fn": score.fn,
        "precision": _rounded(score.precision),
        "recall": _rounded(score.recall),
        "f1": _rounded(score.f1),
    }


def evaluation_report(sample: LabelledSample, taxonomy: Taxonomy, *, worst: int) -> dict[str, Any]:
    """Match every comment of ``sample`` with ``taxonomy`` and score it (the `themes evaluate --format json`
    contract). Comments in ``worst`` are redacted."""
    found = [taxonomy.match(c.text) for c in sample.comments]
    result: Evaluation = evaluate([c.expected for c in sample.comments], found, taxonomy.codes)

    def label(code: str) -> str:
        try:
            return taxonomy.theme(code).label
        except KeyError:
            return code

    themes = [_score_row(code, label(code), score) for code, score in result.per_theme.items()]
    misses = []
    for miss in result.worst(worst):
        comment = sample.comments[miss.index]
        misses.append(
            {
                "row": comment.row,
                "comment": redact(comment.text),
                "expected": list(comment.expected),
                "found": found[miss.index],
                "missed": list(miss.missed),
                "wrong": list(miss.wrong),
            }
        )
    return {
        "file": sample.file,
        "text_column": sample.text_column,
        "expected_column": sample.expected_column,
        "rows_read": sample.rows_read,
        "blank": sample.blank,
        "comments": result.comments,
        # what decided the themes: the packaged model (for the packaged themes) or the keywords alone
        "matcher": "model" if taxonomy.model is not None else "keywords",
        "themes": themes,
        "micro": {k: v for k, v in _score_row("", "", result.micro).items() if k not in ("theme", "label")},
        "macro": {
            "precision": _rounded(result.macro_precision),
            "recall": _rounded(result.macro_recall),
            "f1": _rounded(result.macro_f1),
            "themes": result.macro_themes,
        },
        "misses": len(result.misses),
        "worst": misses,
        "ignored": [{"name": redact(name), "rows": rows} for name, rows in sample.ignored],
    }
