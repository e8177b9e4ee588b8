"""`npscli themes explain`: why a comment gets its themes, in words a person can check.

The packaged model decides the themes; these tests check that what `explain` prints is the decision `match`
makes (the same themes, the rule that decided each one, the cues and how the comment wrote them), for a
comment given on the command line, on standard input, and a stored ticket's comment (on both backends).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from tests.factories import response, write_plain

from npscli.io.taxonomy import load_taxonomy


def js(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


def test_a_spanish_comment_shows_the_english_word_it_was_read_as(cli, taxonomy):
    text = "Ojalá contesten las llamadas"
    report = js(cli("themes", "explain", text, "--format", "json"))
    assert report["themes"] == taxonomy.match(text) and "phone" in report["themes"]
    phone = next(e for e in report["explanations"] if e["theme"] == "phone")
    assert phone["found"] and phone["method"] == "model" and phone["label"] == "Phone and callbacks"
    assert phone["reason"].startswith(f"margin {phone['score']:+.2f} >= ")
    cues = {c["feature"]: c for c in phone["cues"]}
    assert cues["w:answer"]["written"] == ["contesten"] and cues["w:answer"]["weight"] > 0
    assert cues["w:answer"]["description"] == 'the word "answer"'
    # the cues are the model's own contributions, largest effect first
    assert [c["weight"] for c in phone["cues"]] == sorted((c["weight"] for c in phone["cues"]), key=abs, reverse=True)
    assert len(phone["cues"]) <= 8 and phone["more_cues"] >= 0


def test_all_says_why_each_theme_was_not_found(cli, taxonomy):
    text = "The wait was short but the receptionist was rude"
    report = js(cli("themes", "explain", "--all", "--cues", "0", text, "--format", "json"))
    assert [e["theme"] for e in report["explanations"]] == list(taxonomy.codes)
    found = [e["theme"] for e in report["explanations"] if e["found"]]
    assert found == report["themes"] == taxonomy.match(text) == ["staff"]
    reasons = {e["theme"]: e["reason"] for e in report["explanations"]}
    assert reasons["wait_time"] == "its keywords are only praised or negated: never a concern"
    assert reasons["billing"] == "none of its keywords"  # a keyword theme
    assert all(e["more_cues"] == 0 for e in report["explanations"])


def test_table_and_csv(cli):
    text = "Nobody answers the phone"
    table = cli("themes", "explain", text, "--cues", "2", env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "Phone and callbacks (phone)" in table.stdout and "written 'answers'" in table.stdout
    assert "--cues 0 lists them all" in table.stdout
    assert "comment (redacted): Nobody answers the phone" in table.stderr
    rows = list(csv.DictReader(io.StringIO(cli("themes", "explain", text, "--format", "csv").stdout)))
    assert rows and {r["theme"] for r in rows} == {"phone"}
    assert any(r["feature"] == "w:answer" and r["written"] == "answers" for r in rows)


def test_standard_input(cli):
    result = cli("themes", "explain", "-", "--format", "json", input="The bathroom was filthy\n")
    assert js(result)["themes"] == ["facility"]


def test_a_tickets_comment_with_the_patient_redacted(cli, tmp_path, taxonomy):
    comment = "Ana Pérez here: the parking is impossible, call 555-0199"
    rows = [response("r1", "2026-11-02T09:00:00-06:00", 3, comment)]
    imported = cli("import", write_plain(tmp_path / "export.csv", rows))
    assert imported.exit_code == 0, imported.output
    report = js(cli("themes", "explain", "--ticket", "T-000001", "--format", "json"))
    assert report["themes"] == taxonomy.match(comment) and "parking" in report["themes"]
    assert "Ana" not in report["comment"] and "Pérez" not in report["comment"] and "555-0199" not in report["comment"]
    assert "parking is impossible" in report["comment"]
    missing = cli("themes", "explain", "--ticket", "T-000042")
    assert missing.exit_code != 0 and "no ticket T-000042" in missing.stderr and "Traceback" not in missing.output


@pytest.mark.parametrize("args", [[], ["some text", "--ticket", "T-000001"]])
def test_a_comment_or_a_ticket(cli, args):
    result = cli("themes", "explain", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("npscli: error: ") and "hint:" in result.stderr
    assert "Traceback" not in result.output


def test_a_taxonomy_file_explains_by_its_keywords(cli, tmp_path):
    path = tmp_path / "mine.toml"
    toml = '[themes.queue]\nlabel = "Queues"\nroot_cause = "wait_time"\nkeywords = ["queue"]\n'
    path.write_text(toml, encoding="utf-8")
    report = js(cli("themes", "explain", "The queue went out the door", "--taxonomy", path, "--format", "json"))
    assert report["themes"] == ["queue"] and report["model"] is False
    [queue] = report["explanations"]
    assert (queue["method"], queue["score"], queue["reason"]) == ("keywords", None, "its keywords, as a concern")
    assert [(c["feature"], c["description"]) for c in queue["cues"]] == [("queue", 'the keyword "queue"')]
    broken = tmp_path / "broken.toml"
    broken.write_text("[themes.queue\n", encoding="utf-8")
    failed = cli("themes", "explain", "anything", "--taxonomy", broken)
    assert failed.exit_code != 0 and failed.stderr.startswith("npscli: error: ") and "Traceback" not in failed.output
