"""Theme matching gives the same answers it gave before its speed-ups.

``tests/data/theme_outputs_expected.json`` holds 400 comments (real NHS patient comments and variants of them,
``bench/comment_corpus.py``) with the themes and suggested root cause the code computed *before* the theme
tagging was made faster (re-pinned once since, when the model was retrained with the Spanish word map of
``scripts/spanish_words.py``), for the packaged taxonomy with its model, keywords only, and the packaged
taxonomy extended with a clinic theme (re-pinned again when the model was retrained with the Spanish words of
real US patients). Regenerate it only from a checkout whose outputs you mean to pin
(``bench/theme_check.py --fixture``); ``bench/theme_check.py --base`` compares two checkouts on 20,000 comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from npscli.core.names import fold, fold_with_offsets
from npscli.io.taxonomy import load_taxonomy

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "theme_outputs_expected.json"
EXPECTED = json.loads(FIXTURE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def taxonomies(tmp_path_factory) -> dict:
    extension = tmp_path_factory.mktemp("taxonomy") / "clinic.toml"
    extension.write_text(EXPECTED["extension"], encoding="utf-8")
    return {"model": load_taxonomy(), "keywords": load_taxonomy(model=False), "extended": load_taxonomy(extension)}


@pytest.mark.parametrize("name", ["model", "keywords", "extended"])
def test_match_and_root_cause_unchanged(taxonomies, name):
    taxonomy = taxonomies[name]
    rows = EXPECTED["comments"]
    assert len(rows) == 400 and sum(bool(row[name]["match"]) for row in rows) > 100  # the sample has themes
    got = [{"match": taxonomy.match(row["text"]), "cause": taxonomy.suggest_root_cause(row["text"])} for row in rows]
    differ = [(row["text"][:60], row[name], g) for row, g in zip(rows, got, strict=True) if row[name] != g]
    assert not differ, f"{len(differ)} comments differ, first: {differ[:3]}"


def test_answers_do_not_depend_on_the_order_comments_come_in(taxonomies):
    """The memos: a comment seen before gets the answer it got the first time, in any order."""
    rows = EXPECTED["comments"]
    fresh = load_taxonomy(model=True)
    for row in reversed(rows):
        assert fresh.suggest_root_cause(row["text"]) == row["model"]["cause"]
        assert fresh.match(row["text"]) == row["model"]["match"]


def test_fold_is_fold_with_offsets_for_every_character():
    """``fold``'s fast paths (ASCII, remembered characters) fold every code point as the reference does."""
    chars = [chr(i) for i in range(0x30000) if not 0xD800 <= i < 0xE000]
    assert [fold(c) for c in chars] == [fold_with_offsets(c)[0] for c in chars]
    assert fold("ESPERÉ ` ’") == "espere ' '"


@settings(max_examples=200)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_fold_of_a_text_is_fold_with_offsets(text):
    assert fold(text) == fold_with_offsets(text)[0]
    assert fold(text) == fold(text)  # the second time from the remembered characters
