"""A US clinic's patients: the words real comments of its Spanish-speaking patients use (misspellings, usage)
and the hand labels of its comments (tests/data/us_clinic_labels.csv; the comments themselves are read from a
mirror by scripts/eval_themes.py --us-clinic, see docs/themes-accuracy.md).
The sentences below are written here, in the same words, not copied from the comments; each was missed or
mistaken before those words were added."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from npscli.io.taxonomy import load_taxonomy

LABELS = Path(__file__).resolve().parents[1] / "data" / "us_clinic_labels.csv"


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Es muy difícil sacar las sitas", "scheduling"),  # "sitas" for citas
        ("Las de la ventanilla son muy pedantes", "staff"),
        ("Las citas son muy tardadas", "wait_time"),
        ("La doctora no abla español y no hay traductor", "communication"),
        ("Quiero un intérprete en la consulta", "communication"),
        ("A veces no me alcanza para pagar la consulta", "cost"),
    ],
)
def test_real_patients_spanish_words_raise_their_theme(taxonomy, text, theme):
    assert theme in taxonomy.match(text)


def test_serving_a_patient_badly_is_not_a_phone_left_unanswered(taxonomy):
    """'atender' serves a patient ('las de recepción atienden muy mal'); a phone needs a phone word."""
    assert "phone" not in taxonomy.match("Las señoras de recepción atienden muy mal a la gente")
    assert "phone" in taxonomy.match("Nunca contestan el teléfono cuando uno llama")


def test_answering_my_questions_is_not_the_phone(taxonomy):
    themes = taxonomy.match("La doctora no contestó a mis preguntas y me dejó con dudas")
    assert "phone" not in themes and "communication" in themes


def test_the_hand_labels_name_themes_and_halves():
    codes = set(load_taxonomy().codes)
    with LABELS.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len({r["respondent_id"] for r in rows}) == len(rows) == 320
    for language in ("es", "en"):
        parts = [r["part"] for r in rows if r["survey_language"] == language]
        assert parts == ["dev"] * 80 + ["heldback"] * 80  # by the hash order
    for row in rows:
        themes = [t for t in row["themes"].split(";") if t]
        assert set(themes) <= codes, row
        assert row["concern"] in ("0", "1") and (row["concern"] == "1" or not themes), row
