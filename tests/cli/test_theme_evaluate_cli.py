"""`npscli themes evaluate LABELLED`: measuring a taxonomy on a hand-labelled sample, on real temp files.

Most tests measure a two-theme taxonomy written here (``--taxonomy``), so every expected count is worked out by
hand from the comments, not taken from the code under test.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from npscli.cli.main import app

EXAMPLE = Path(__file__).resolve().parents[2] / "sample_data" / "labelled" / "themes_labelled_example.csv"

TAXONOMY = """
[themes.parking]
label = "Parking"
root_cause = "facility"
keywords = ["parking", "car park"]

[themes.billing]
label = "Billing and insurance"
root_cause = "billing"
keywords = ["invoice", "invoices"]
"""

# parking is found in rows 2, 3, 5 and expected in rows 2, 4, 5: tp 2 (rows 2, 5), fp 1 (row 3), fn 1 (row 4)
# billing is found in rows 5, 6 and expected in rows 5, 6, 7: tp 2, fp 0, fn 1 (row 7)
LABELLED = [
    ("id", "comment", "themes"),
    ("1", "The nurse took good care of me.", ""),
    ("2", "There was no parking anywhere near the entrance.", "parking"),
    ("3", "I asked about parking, then called 773-555-0163 to ask about my visit.", "none"),
    ("4", "I circled the block for twenty minutes looking for a space.", "Parking"),
    ("5", "The car park was full and the invoice was wrong.", "parking; Billing and insurance"),
    ("6", "Two invoices for one visit.", "billing"),
    ("7", "They charged my card twice.", "billing"),
]


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(app, [str(a) for a in args], env=env or {})


def write_csv(path: Path, rows, *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows(rows)
    return path


@pytest.fixture
def taxonomy(tmp_path) -> Path:
    path = tmp_path / "two_themes.toml"
    path.write_text(TAXONOMY, encoding="utf-8")
    return path


@pytest.fixture
def labelled(tmp_path) -> Path:
    return write_csv(tmp_path / "labelled.csv", LABELLED)


def evaluate_json(path: Path, taxonomy: Path, *args: str) -> dict:
    result = run("themes", "evaluate", path, "--taxonomy", taxonomy, "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_counts_scores_and_worst_misses_worked_out_by_hand(labelled, taxonomy):
    report = evaluate_json(labelled, taxonomy)
    assert (report["rows_read"], report["comments"], report["blank"]) == (7, 7, 0)
    assert (report["text_column"], report["expected_column"]) == ("comment", "themes")
    themes = {t["theme"]: t for t in report["themes"]}
    assert list(themes) == ["parking", "billing"]
    parking, billing = themes["parking"], themes["billing"]
    assert (parking["support"], parking["tp"], parking["fp"], parking["fn"]) == (3, 2, 1, 1)
    assert parking["precision"] == parking["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert (billing["support"], billing["tp"], billing["fp"], billing["fn"]) == (3, 2, 0, 1)
    assert billing["precision"] == 1.0 and billing["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert billing["f1"] == pytest.approx(0.8, abs=1e-4)
    micro = report["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (4, 1, 2)
    assert micro["precision"] == pytest.approx(0.8) and micro["recall"] == pytest.approx(4 / 6, abs=1e-4)
    assert report["macro"]["themes"] == 2
    assert report["macro"]["f1"] == pytest.approx((2 / 3 + 0.8) / 2, abs=1e-4)
    # rows 3 (parking wrong), 4 (parking missed) and 7 (billing missed), one error each, in file order
    assert report["misses"] == 3
    assert [(m["row"], m["missed"], m["wrong"]) for m in report["worst"]] == [
        (4, [], ["parking"]),
        (5, ["parking"], []),
        (8, ["billing"], []),
    ]


def test_rows_are_spreadsheet_rows_and_worst_limits_the_list(labelled, taxonomy):
    report = evaluate_json(labelled, taxonomy, "--worst", "1")
    assert report["misses"] == 3 and [m["row"] for m in report["worst"]] == [4]  # the header is row 1
    assert evaluate_json(labelled, taxonomy, "--worst", "0")["worst"] == []


def test_misses_are_redacted_in_every_format(labelled, taxonomy):
    report = evaluate_json(labelled, taxonomy)
    wrong = next(m for m in report["worst"] if m["row"] == 4)
    assert "[phone]" in wrong["comment"] and "555-0163" not in wrong["comment"]
    for fmt in ("table", "markdown"):
        result = run("themes", "evaluate", labelled, "--taxonomy", taxonomy, "--format", fmt)
        assert result.exit_code == 0, result.output
        assert "555-0163" not in result.stdout and "[phone]" in result.stdout
        assert "micro-average" in result.stdout and "Billing and insurance" in result.stdout
        assert "7 labelled comment(s)" in result.stderr


def test_csv_is_one_row_per_theme_and_the_averages(labelled, taxonomy):
    result = run("themes", "evaluate", labelled, "--taxonomy", taxonomy, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["label"] for r in rows] == [
        "Parking",
        "Billing and insurance",
        "micro-average",
        "macro-average (2 themes)",
    ]
    assert rows[0]["tp"] == "2" and rows[2]["fn"] == "2"
    assert "3 comment(s) with a miss" in result.stderr


def test_the_example_file_evaluates_with_the_packaged_taxonomy():
    with EXAMPLE.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    labels = sum(len([p for p in re.split(r"[;,|]", r["themes"]) if p.strip()]) for r in rows)
    result = run("themes", "evaluate", EXAMPLE, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["comments"] == len(rows) == 30
    assert sum(t["support"] for t in report["themes"]) == report["micro"]["support"] == labels
    for theme in report["themes"]:
        for key in ("precision", "recall", "f1"):
            assert theme[key] is None or 0 <= theme[key] <= 1
    table = run("themes", "evaluate", EXAMPLE)
    assert table.exit_code == 0, table.output
    assert "Wait time" in table.stdout and "micro-average" in table.stdout


def test_an_unknown_theme_names_file_row_and_column(tmp_path, taxonomy):
    path = write_csv(tmp_path / "typo.csv", [*LABELLED[:3], ("3", "Rude at the desk.", "parking; rudeness")])
    result = run("themes", "evaluate", path, "--taxonomy", taxonomy)
    assert result.exit_code == 3, result.output
    assert result.stdout == ""
    first, hint = result.stderr.strip().splitlines()
    assert first == "npscli: error: typo.csv: row 4, column 'themes': 'rudeness' is not a theme of the taxonomy"
    assert "parking, billing" in hint and "--taxonomy" in hint
    assert "Traceback" not in result.output


def test_skip_unknown_leaves_out_and_counts_categories_the_taxonomy_lacks(tmp_path, taxonomy):
    rows = [
        ("id", "comment", "themes"),
        ("1", "There was no parking anywhere near the entrance.", "parking; Transport"),  # tp parking
        ("2", "The driver was late.", "transport"),  # expects none of ours, finds none
        ("3", "Two invoices for one visit.", "Billing & insurance; food"),  # tp billing ("&" as "and")
        ("4", "No parking and cold food.", "food"),  # fp parking
    ]
    path = write_csv(tmp_path / "coded.csv", rows)
    stopped = run("themes", "evaluate", path, "--taxonomy", taxonomy)
    assert stopped.exit_code == 3 and "--skip-unknown" in stopped.stderr
    report = evaluate_json(path, taxonomy, "--skip-unknown")
    assert report["comments"] == 4
    assert report["ignored"] == [{"name": "Transport", "rows": 2}, {"name": "food", "rows": 2}]  # as first written
    parking = next(t for t in report["themes"] if t["theme"] == "parking")
    billing = next(t for t in report["themes"] if t["theme"] == "billing")
    assert (parking["tp"], parking["fp"], parking["fn"]) == (1, 1, 0)
    assert (billing["tp"], billing["fp"], billing["fn"]) == (1, 0, 0)
    table = run("themes", "evaluate", path, "--taxonomy", taxonomy, "--skip-unknown")
    assert table.exit_code == 0
    assert "left out of the expected themes (rows): 'Transport' (2), 'food' (2)" in table.stderr


def test_an_expected_column_under_another_name_is_found_by_its_theme_names(tmp_path, taxonomy):
    rows = [
        ("id", "patient_text", "coded"),
        ("1", "There was no parking anywhere near the entrance.", "Parking"),
        ("2", "Two invoices for one visit.", "insurance"),  # a run of the label "Billing and insurance"
        ("3", "The nurse took good care of me.", "none"),
        ("4", "The car park was full and the invoice was wrong.", "parking; billing"),
    ]
    report = evaluate_json(write_csv(tmp_path / "coded.csv", rows), taxonomy)
    assert (report["text_column"], report["expected_column"]) == ("patient_text", "coded")
    assert report["micro"]["tp"] == 4 and report["micro"]["fp"] == 0 and report["micro"]["fn"] == 0
    renamed = [("id", "comment", "categories"), *rows[1:]]
    assert evaluate_json(write_csv(tmp_path / "cat.csv", renamed), taxonomy)["expected_column"] == "categories"
    words = [("id", "comment", "notes"), *[(i, text, "seen by Dr Lee") for i, text, _ in rows[1:]]]
    missing = run("themes", "evaluate", write_csv(tmp_path / "words.csv", words), "--taxonomy", taxonomy)
    assert missing.exit_code == 3 and "no expected-themes column found" in missing.stderr


def test_a_comment_in_the_expected_column_is_never_printed(labelled, taxonomy):
    result = run("themes", "evaluate", labelled, "--taxonomy", taxonomy, "--expected", "comment", "--text", "themes")
    assert result.exit_code == 3, result.output
    assert "nurse" not in result.stderr and "row 2, column 'comment'" in result.stderr


def test_columns_are_found_by_name_by_length_or_by_flag(tmp_path, taxonomy):
    rows = [("ref", "what the patient wrote", "coder"), *[(r[0], r[1], r[2]) for r in LABELLED[1:]]]
    path = write_csv(tmp_path / "own_headers.csv", rows)
    found = evaluate_json(path, taxonomy)  # "coder" holds theme names: the expected column by its content
    report = evaluate_json(path, taxonomy, "--expected", "Coder")  # any case
    assert found == report
    assert report["text_column"] == "what the patient wrote"  # the longest text, not the short ref
    assert report["micro"]["tp"] == 4
    by_number = evaluate_json(path, taxonomy, "--expected", "3", "--text", "2")
    assert by_number["micro"] == report["micro"]
    wrong = run("themes", "evaluate", path, "--taxonomy", taxonomy, "--expected", "coder", "--text", "notes")
    assert wrong.exit_code == 3 and "--text notes: no such column" in wrong.stderr


def test_encodings_bom_and_semicolons_read_like_an_import(tmp_path, taxonomy):
    rows = [("comment", "themes"), ("No había parking cerca.", "parking"), ("Dos invoices, qué lío.", "billing")]
    for name, encoding, delimiter in (
        ("bom.csv", "utf-8-sig", ","),
        ("excel.csv", "cp1252", ";"),
        ("utf16.csv", "utf-16", "\t"),
    ):
        report = evaluate_json(write_csv(tmp_path / name, rows, encoding=encoding, delimiter=delimiter), taxonomy)
        assert report["expected_column"] == "themes", name  # no BOM glued to the first header
        assert (report["micro"]["tp"], report["micro"]["fp"], report["micro"]["fn"]) == (2, 0, 0), name


def test_blank_rows_are_counted_and_skipped(tmp_path, taxonomy):
    path = write_csv(tmp_path / "gaps.csv", [*LABELLED[:3], ("", "", ""), *LABELLED[3:]])
    report = evaluate_json(path, taxonomy)
    assert (report["rows_read"], report["comments"], report["blank"]) == (8, 7, 1)


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "empty"), (b"comment,themes\n", "no rows below the header"), (b"\n\n", "empty")],
)
def test_an_empty_file_is_an_input_error(tmp_path, taxonomy, content, expected):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    result = run("themes", "evaluate", path, "--taxonomy", taxonomy)
    assert result.exit_code == 3, result.output
    assert expected in result.stderr and "Traceback" not in result.output


def test_a_missing_file_is_an_input_error(tmp_path):
    result = run("themes", "evaluate", tmp_path / "nope.csv")
    assert result.exit_code == 3, result.output
    assert "nope.csv" in result.stderr


def test_a_workbook_gives_the_same_figures(tmp_path, labelled, taxonomy):
    from openpyxl import Workbook

    book = Workbook()
    for row in LABELLED:
        book.active.append([int(row[0]) if row[0].isdigit() else row[0], row[1], row[2]])
    path = tmp_path / "labelled.xlsx"
    book.save(path)
    assert evaluate_json(path, taxonomy)["themes"] == evaluate_json(labelled, taxonomy)["themes"]


def test_evaluate_needs_no_store_and_themes_alone_still_reads_one(tmp_path, labelled, taxonomy):
    env = {"NPSCLI_DB": str(tmp_path / "never_imported.db")}
    result = run("themes", "evaluate", labelled, "--taxonomy", taxonomy, env=env)
    assert result.exit_code == 0, result.output
    assert not (tmp_path / "never_imported.db").exists()
    plain = run("themes", env=env)  # the group's own command: the themes table of the store
    assert plain.exit_code == 5, plain.output
    assert "no store" in plain.stderr


def test_the_configured_taxonomy_is_the_default(tmp_path, labelled, taxonomy):
    (tmp_path / "npscli.toml").write_text(f'[themes]\ntaxonomy = "{taxonomy.name}"\n', encoding="utf-8")
    result = run("themes", "evaluate", labelled, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [t["theme"] for t in json.loads(result.stdout)["themes"]] == ["parking", "billing"]


@pytest.mark.parametrize("keywords_only", [False, True])
def test_the_synthetic_labelled_set_counted_by_a_plain_loop(keywords_only):
    """tests/data/comments_labelled.csv: the command's counts equal a direct count of what the taxonomy finds,
    with its model or (--keywords-only) with its keywords alone."""
    from npscli.io.taxonomy import load_taxonomy

    path = Path(__file__).resolve().parents[1] / "data" / "comments_labelled.csv"
    taxonomy = load_taxonomy(model=not keywords_only)
    counts = {code: [0, 0, 0] for code in taxonomy.codes}
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        want = {part.strip() for part in row["themes"].split(";") if part.strip()}
        got = set(taxonomy.match(row["comment"]))
        for code in counts:
            counts[code][0] += code in want and code in got
            counts[code][1] += code in got and code not in want
            counts[code][2] += code in want and code not in got
    flags = ["--keywords-only"] if keywords_only else []
    result = run("themes", "evaluate", path, "--format", "json", "--worst", "0", *flags)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["comments"] == len(rows) and report["expected_column"] == "themes"
    assert report["matcher"] == ("keywords" if keywords_only else "model")
    assert {t["theme"]: [t["tp"], t["fp"], t["fn"]] for t in report["themes"]} == counts
    tp, fp, fn = (sum(c[i] for c in counts.values()) for i in range(3))
    assert report["micro"]["precision"] == pytest.approx(tp / (tp + fp), abs=1e-4)
    assert report["micro"]["recall"] == pytest.approx(tp / (tp + fn), abs=1e-4)


def test_keywords_only_measures_another_matcher_and_says_so(tmp_path):
    """Comments the model reads as staff and the keywords do not ("not friendly", no staff word) and the other
    way round: the two runs differ on them, and the table's title says which one ran."""
    from npscli.io.taxonomy import load_taxonomy

    model, keywords = load_taxonomy(), load_taxonomy(model=False)
    texts = [
        "The man who received us was not friendly and patient",
        "The front desk women dont have patience to help me",
        "Parking lot was full",
    ]
    assert any(model.match(t) != keywords.match(t) for t in texts)  # else the sample shows nothing
    path = tmp_path / "few.csv"
    path.write_text("comment,themes\n" + "".join(f'"{t}",{";".join(model.match(t))}\n' for t in texts), "utf-8")
    with_model = json.loads(run("themes", "evaluate", path, "--format", "json").stdout)
    alone = run("themes", "evaluate", path, "--keywords-only")
    assert alone.exit_code == 0, alone.output
    assert with_model["micro"]["f1"] == 1.0  # labelled with the model's own answers
    assert "theme accuracy (keywords only) on 3 labelled comments" in alone.stdout
    alone_json = json.loads(run("themes", "evaluate", path, "--format", "json", "--keywords-only").stdout)
    assert alone_json["micro"]["f1"] < 1.0
