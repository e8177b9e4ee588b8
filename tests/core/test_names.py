"""One folding rule and one first-name rule, for the outreach variables and the templates' filter alike."""

from __future__ import annotations

import pytest

from npscli.core.names import first_name, fold, fold_name
from npscli.templating import FILTERS


@pytest.mark.parametrize(
    ("full", "expected"),
    [
        ("Ana Pérez", "Ana"),
        ("Pérez, Ana", "Ana"),
        ("Dr. Ana Pérez", "Ana"),
        ("dr ana pérez", "ana"),
        ("Sra. Lucía Gómez", "Lucía"),
        ("Mr  John\nSmith", "John"),
        ("Dr.", "Dr."),
        ("Pérez,", "Pérez"),
        ("", ""),
        (None, ""),
    ],
)
def test_first_name(full, expected):
    assert first_name(full) == expected


def test_the_template_filter_and_the_outreach_variable_agree():
    from npscli.services.outreach import first_name as outreach_first_name

    for full in ("Dr. Ana Pérez", "Pérez, Ana", "Prof Amara Okafor", "Jo"):
        assert FILTERS["first_name"](full) == outreach_first_name(full) == first_name(full)


def test_fold_name_ignores_case_and_spacing_but_not_accents():
    assert fold_name("  Down  Town ") == fold_name("down town") == "down town"
    assert fold_name(None) == ""
    assert fold_name("Peña") != fold_name("Pena")  # a different place name, not a spelling


def test_fold_name_takes_every_apostrophe_for_the_straight_one():
    # a spreadsheet's smart quote (O’Hare) and the one a person types (O'Hare) look alike: one name
    assert fold_name("O’Hare Clinic") == fold_name("o'hare  clinic") == "o'hare clinic"
    assert fold_name("O‘Hare") == fold_name("OʼHare") == fold_name("O`Hare") == "o'hare"


def test_fold_ignores_case_and_accents():
    assert fold("Esperé") == "espere"
    assert fold("Straße") == "strasse"
    assert fold("don\u2019t") == "don't"
