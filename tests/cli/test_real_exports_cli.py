"""`npscli score FILE` and `npscli import FILE` on genuine survey exports, with no flags.

The files are in tests/data/real-exports/ (sources and licences in its README). The truth is computed without
npscli: `truth.json` by that folder's `compute_truth.py` (pandas only), and SHARED below from the shared set's
SOURCES.md (pandas, by whoever collected them). Every file either scores exactly (n, promoters, passives,
detractors) or is refused with one line naming the file and the `--map score=COLUMN` that fixes it.

Scoring runs in-process (CliRunner); each scorable file is imported once into a real SQLite file, and a few into
the suite's real PostgreSQL.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest
from tests.cli.conftest import Cli

DATA = Path(__file__).resolve().parents[1] / "data" / "real-exports"
LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy"

# The shared set (../shared/real-exports/dev/SOURCES.md): identical rows count once where the truth says so
# (Miro, Insider); Homes First's identical rows are different staff (no id, no date, seven multiple-choice answers).
SHARED = [
    {"file": "qualtrics_datawise_dwau19_friday.csv", "n": 100, "promoters": 96, "passives": 3, "detractors": 1,
     "nps": 95.00, "refuse": False, "has_dates": True},
    {"file": "miro_nps_feedback.csv", "n": 426, "promoters": 296, "passives": 93, "detractors": 37,
     "nps": 60.80, "refuse": False, "has_dates": False},
    {"file": "insider_b2b_csat_nps.csv", "n": 1982, "promoters": 955, "passives": 826, "detractors": 201,
     "nps": 38.04, "refuse": False, "has_dates": True},
    {"file": "allen_edtech_nps_raw.xlsx", "n": 1000, "promoters": 521, "passives": 276, "detractors": 203,
     "nps": 31.80, "refuse": False, "has_dates": True},
    {"file": "homesfirst_staff_enps.xlsx", "n": 182, "promoters": 78, "passives": 55, "detractors": 49,
     "nps": 15.93, "refuse": False, "has_dates": False},
    {"file": "qualtrics_current_de.csv", "refuse": True, "reason": "no NPS question (Q1 is coded 1-2)"},
    {"file": "qualtrics_legacy.csv", "refuse": True, "reason": "no NPS question (Q1 is coded 1-2)"},
]  # fmt: skip


def _finder_truth() -> list[dict]:
    path = DATA / "truth.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


def _cases() -> list[dict]:
    cases = {entry["file"]: entry for entry in SHARED}
    for entry in _finder_truth():
        cases.setdefault(entry["file"], entry)  # the shared set's own figures win for a file in both
    return list(cases.values())


CASES = _cases()
SCORED = [case for case in CASES if not case.get("refuse")]
REFUSED = [case for case in CASES if case.get("refuse")]
ON_POSTGRES = {"insider_b2b_csat_nps.csv", "homesfirst_staff_enps.xlsx", "miro_nps_feedback.csv"}


def ids(cases: list[dict]) -> list[str]:
    return [case["file"] for case in cases]


def test_every_file_of_the_folder_has_a_truth():
    """A file added to the folder without a truth would be tested by nothing."""
    exports = {p.name for p in DATA.iterdir() if p.suffix.lower() in {".csv", ".tsv", ".xlsx", ".xls", ".txt"}}
    assert exports - {case["file"] for case in CASES} == set()
    assert len(SCORED) >= 5 and len(REFUSED) >= 2


@pytest.fixture
def runner(sqlite_db) -> Cli:
    return Cli(sqlite_db)


@pytest.mark.parametrize("case", SCORED, ids=ids(SCORED))
def test_score_file_with_no_flags_is_exact(runner, case):
    result = runner("score", DATA / case["file"], "--format", "json", db=False)
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    expected = {key: case[key] for key in ("n", "promoters", "passives", "detractors")}
    assert {key: row[key] for key in expected} == expected
    assert row["nps"] == pytest.approx(case["nps"], abs=0.051)
    assert f"{case['file']}: " in result.stderr  # the mapping line


@pytest.mark.parametrize("case", REFUSED, ids=ids(REFUSED))
@pytest.mark.parametrize("command", ["score", "import"])
def test_a_file_without_one_nps_question_is_refused_in_one_line(runner, case, command):
    """No 0-10 recommend question (or only a yes/no, 1-5 or 1-7 one), or two of them: one line naming the file,
    and the --map score=... that fixes it."""
    result = runner(command, DATA / case["file"])
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("npscli: error:")]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"npscli: error: {case['file']}: ")
    assert any(line.strip().startswith("hint:") and "--map score=" in line for line in lines)
    assert "Traceback" not in result.output
    if not case.get("alternatives"):
        return
    # Genuinely ambiguous: each candidate is named with its column number, and the --map the hint gives for it
    # scores exactly that column's truth.
    named = {int(number): ast.literal_eval(name) for name, number in NAMED_COLUMN.findall(errors[0])}
    assert sorted(named) == sorted(alternative["column_number"] for alternative in case["alternatives"])
    if command == "import":
        return
    for alternative in case["alternatives"]:
        chosen = runner("score", DATA / case["file"], "--map", f"score={named[alternative['column_number']]}",
                        "--format", "json", db=False)  # fmt: skip
        assert chosen.exit_code == 0, chosen.output
        [row] = json.loads(chosen.stdout)
        assert {key: row[key] for key in COUNTS} == {key: alternative[key] for key in COUNTS}


NAMED_COLUMN = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*") \(column (\d+)\)""")
COUNTS = ("n", "promoters", "passives", "detractors")


def _import(cli: Cli, case: dict, *extra: str):
    args = ["import", DATA / case["file"], "--format", "json", *extra]
    if not case.get("has_dates", True):
        args += ["--date", "2025-06-30"]
    return cli(*args)


def _check_import(cli: Cli, case: dict) -> None:
    if not case.get("has_dates", True):
        refused = cli("import", DATA / case["file"])
        assert refused.exit_code == 3, refused.output
        assert "no date/time column" in refused.stderr and "--date WHEN" in refused.stderr
    first = _import(cli, case)
    assert first.exit_code == 0, first.output
    [row] = json.loads(first.stdout)
    counts = ("imported", "duplicates", "skipped", "excluded", "rejected")
    assert row["rows_read"] == sum(row[key] for key in counts)
    assert row["imported"] == case["n"]
    again = _import(cli, case)  # the same file twice: every response already there
    assert again.exit_code == 0, again.output
    [second] = json.loads(again.stdout)
    assert second["imported"] == 0
    assert second["duplicates"] == row["imported"] + row["duplicates"]
    assert second["rows_read"] == sum(second[key] for key in counts)
    scored = cli("score", "--format", "json")
    assert scored.exit_code == 0, scored.output
    [total] = json.loads(scored.stdout)
    assert {key: total[key] for key in ("n", "promoters", "passives", "detractors")} == {
        key: case[key] for key in ("n", "promoters", "passives", "detractors")
    }


@pytest.mark.parametrize("case", SCORED, ids=ids(SCORED))
def test_import_into_sqlite_counts_each_response_once(runner, case):
    _check_import(runner, case)


@pytest.mark.parametrize("case", [c for c in SCORED if c["file"] in ON_POSTGRES], ids=sorted(ON_POSTGRES))
def test_import_into_postgres_counts_each_response_once(pg_url, case):
    _check_import(Cli(pg_url), case)


def test_identical_rows_kept_apart_are_said_on_the_import(runner):
    result = runner("import", DATA / "homesfirst_staff_enps.xlsx", "--date", "2025-06-30")
    assert result.exit_code == 0, result.output
    assert "6 identical rows kept as separate responses" in result.stderr


def test_content_decides_the_score_and_the_mapping_line_says_why(runner):
    """Q41_5 ("... Friend or Colleague Recommended") names a recommendation but holds text."""
    result = runner("score", DATA / "qualtrics_datawise_dwau19_friday.csv", db=False)
    assert result.exit_code == 0, result.output
    line = result.stderr.splitlines()[0]
    assert "score <- 'Q20' (question text; 0-10 integers; not 'Q41_5': text answers)" in line


def test_a_dateless_file_scores_but_not_by_period(runner):
    result = runner("score", DATA / "miro_nps_feedback.csv", "--period", "month", db=False)
    assert result.exit_code == 2, result.output
    assert "--period needs the time of each response" in result.stderr
    assert "miro_nps_feedback.csv has no date column" in result.stderr


# --- a store made by the previous rule (fp: keys) -------------------------------------------------------------


def _legacy_store(tmp_path: Path) -> Path:
    copy = tmp_path / "legacy.db"
    shutil.copyfile(LEGACY / "store_made_by_main_f65c7d3.db", copy)
    return copy


def _reimport_legacy(cli: Cli) -> None:
    args = ("import", LEGACY / "no_ids.csv", "--as-of", "2025-10-07", "--tickets-since", "2025-10-07")
    env = {"NPSCLI_TIMEZONE": "UTC"}
    before = cli("score", "--format", "json", env=env)
    assert before.exit_code == 0, before.output
    assert json.loads(before.stdout)[0]["n"] == 30  # what the old rule stored of the 40
    dry = cli(*args, "--dry-run", "--format", "json", env=env)
    assert dry.exit_code == 0, dry.output
    assert [json.loads(dry.stdout)[0][key] for key in ("imported", "duplicates")] == [10, 30]
    first = cli(*args, "--format", "json", env=env)
    assert first.exit_code == 0, first.output
    [row] = json.loads(first.stdout)
    # The 30 stored responses are recognised; the 10 the old rule merged into others are added.
    assert (row["rows_read"], row["imported"], row["duplicates"]) == (40, 10, 30)
    again = cli(*args, "--format", "json", env=env)
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)[0]["imported"] == 0
    after = cli("score", "--format", "json", env=env)
    assert json.loads(after.stdout)[0]["n"] == 40


def test_reimport_into_a_store_made_by_the_old_rule_sqlite(tmp_path):
    _reimport_legacy(Cli(str(_legacy_store(tmp_path))))


def test_reimport_into_a_store_made_by_the_old_rule_postgres(tmp_path, pg_url):
    runner = Cli(str(_legacy_store(tmp_path)))
    copied = runner("db", "copy", "--to", pg_url)
    assert copied.exit_code == 0, copied.output
    _reimport_legacy(Cli(pg_url))


# --- what the import says ------------------------------------------------------------------------------------


def test_an_import_that_stores_nothing_fails_with_the_reason(runner, tmp_path):
    path = tmp_path / "words.csv"
    path.write_text(
        "Date,NPS,Comment\n2025-03-01 10:00,ten,ok\n2025-03-02 10:00,nine,fine\n2025-03-03 10:00,,blank\n",
        encoding="utf-8",
    )
    result = runner("import", path, "--format", "json")
    assert result.exit_code == 3, result.output
    [row] = json.loads(result.stdout)  # the summary is still printed
    assert (row["rows_read"], row["imported"], row["rejected"], row["skipped"]) == (3, 0, 2, 1)
    errors = [line for line in result.stderr.splitlines() if line.startswith("npscli: error:")]
    assert errors == [
        "npscli: error: words.csv: nothing was stored: none of its 3 rows can be stored "
        "(2 rejected: score is not a number, column 'NPS', from row 2)"
    ]
    assert "--map score=COLUMN" in result.stderr
    again = runner("import", path, "--dry-run")
    assert again.exit_code == 3, again.output
    assert "nothing would be stored" in again.stderr


def test_an_import_of_only_duplicates_is_a_success(runner):
    path = DATA / "allen_edtech_nps_raw.xlsx"
    assert runner("import", path).exit_code == 0
    again = runner("import", path)
    assert again.exit_code == 0, again.output


def test_the_encoding_used_is_said(runner, tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(
        "Date,Score,Comment\n2025-03-01 10:00,9,Très bien\n".encode("latin-1")
        + b"2025-03-02 10:00,4,R\x82ponse \x90cole\n"  # CP850 bytes, 0x90 undefined in cp1252
    )
    result = runner("score", path, db=False)
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("r.csv: plain layout, read as latin-1; ")
    chosen = runner("score", path, "--encoding", "cp850", db=False)
    assert chosen.exit_code == 0, chosen.output
    assert "read as cp850" in chosen.stderr
    bad = runner("score", path, "--encoding", "utf-8", db=False)
    assert bad.exit_code == 3, bad.output
    assert "cannot be decoded as text (tried utf-8)" in bad.stderr


def test_date_is_stamped_only_on_a_file_without_dates_and_recorded_on_the_batch(runner):
    dated = runner("import", DATA / "allen_edtech_nps_raw.xlsx", "--date", "2025-01-01")
    assert dated.exit_code == 0, dated.output
    assert "--date not used: allen_edtech_nps_raw.xlsx has its own dates ('Submitted At')" in dated.stderr
    undated = runner("import", DATA / "miro_nps_feedback.csv", "--date", "2025-06-30")
    assert undated.exit_code == 0, undated.output
    assert "submitted_at <- --date 2025-06-30 00:00 (the file has no date column)" in undated.stderr
    batches = json.loads(runner("imports", "--format", "json").stdout)
    # newest first; the clinic's zone (America/Chicago in these tests) is 5 hours behind UTC in June
    assert [b["stamped_at"] for b in batches] == ["2025-06-30T05:00:00+00:00", None]
    window = runner("score", "--since", "2025-06-30", "--until", "2025-06-30", "--format", "json")
    assert window.exit_code == 0, window.output
    assert json.loads(window.stdout)[0]["n"] == 426


def test_scoring_a_file_none_of_whose_rows_is_a_score_fails(runner, tmp_path):
    path = tmp_path / "quiz.csv"
    path.write_text("Date,Score\n2025-01-01 10:00,55\n2025-01-02 10:00,80\n", encoding="utf-8")  # a 0-100 quiz
    result = runner("score", path, db=False)
    assert result.exit_code == 3, result.output
    assert "quiz.csv: nothing to score: none of its 2 rows can be scored (2 rejected: score is outside 0-10" in (
        result.stderr
    )
    assert "--map score=COLUMN" in result.stderr


def test_a_time_under_a_variable_name_dates_the_import(runner):
    """RStudio's 2020 Spanish survey names its columns Qtime, Qrecommend, ...: Qtime holds ISO-8601 UTC times,
    found by their written form, so the import needs no --date; the R question's truth is n 552."""
    truth = next(case for case in CASES if case["file"] == "rstudio_2020_tworecommend_es.tsv")
    r_question = next(a for a in truth["alternatives"] if a["column_number"] == 16)
    result = runner("import", DATA / truth["file"], "--map", "score=Qrecommend", "--format", "json")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert row["imported"] == r_question["n"] and row.get("stamped_at") is None
    assert "submitted_at <- 'Qtime'" in result.stderr
    months = runner("score", "--period", "month", "--since", "2020-12-01", "--as-of", "2021-06-01", "--format", "json")
    assert months.exit_code == 0, months.output
    assert sum(r["n"] for r in json.loads(months.stdout)) == r_question["n"]


def test_a_worded_recommend_question_is_refused_by_name_in_a_surveymonkey_file_with_numbered_labels(runner):
    """cncf/surveys' Cloud Native Survey 2019: its label row has "1" ... "5" under a numbered text-box question.
    It is still SurveyMonkey's second header row (read as a plain header, the recommend question was not even
    seen), and the refusal names the worded recommend question by its file column."""
    result = runner("score", DATA / "surveymonkey_cncf_cloudnative_2019_recommend_worded_en.csv", db=False)
    assert result.exit_code == 3, result.output
    assert (
        "no 0-10 likelihood-to-recommend column found: 'How likely would you be to recommend ...' (column 412)"
        " holds text answers" in result.stderr
    )
    assert "Absolutely" not in result.stderr  # a cell's contents never appear
