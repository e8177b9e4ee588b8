"""The comment's language, which picks the language of the outreach draft."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from npscli.core.language import guess_language

LABELLED = Path(__file__).resolve().parents[1] / "data" / "comments_labelled.csv"


def test_every_labelled_comment_gets_its_language():
    rows = list(csv.DictReader(LABELLED.open(encoding="utf-8")))
    assert {r["language"] for r in rows} == {"en", "es"} and len(rows) > 300
    wrong = [(r["language"], r["comment"]) for r in rows if guess_language(r["comment"]) != r["language"]]
    assert wrong == []


@pytest.mark.parametrize(
    "text,language",
    [
        ("Nadie me devolvió la llamada.", "es"),
        ("La espera", "es"),
        ("Me cobraron dos veces la consulta y nadie me da respuesta. ¡Qué desastre!", "es"),
        ("Dr. José Castillo was rude", "en"),  # a Spanish name in an English sentence
        ("No communication at all", "en"),
        ("Terrible", "en"),  # nothing to go on: English
        ("", "en"),
        (None, "en"),
    ],
)
def test_short_and_mixed_comments(text, language):
    assert guess_language(text) == language
