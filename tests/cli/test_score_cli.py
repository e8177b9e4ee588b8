"""`npscli score` through the CLI: the contract, groups, periods, comparisons, files vs store."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
from tests.factories import response, write_plain

from npscli.core.nps import Counts, interval, nps

CONTRACT = ["n", "promoters", "passives", "detractors", "nps", "ci_low", "ci_high", "low_n"]


def export(tmp_path: Path) -> Path:
    """Two locations over two ISO weeks (2025-W45, W46), known counts."""
    rows = []
    spec = {
        # (location, week start): (detractors, passives, promoters)
        ("Downtown", "2025-11-03"): (2, 3, 7),
        ("Downtown", "2025-11-10"): (1, 2, 9),
        ("Eastgate", "2025-11-03"): (4, 2, 4),
        ("Eastgate", "2025-11-10"): (8, 1, 1),
    }
    n = 0
    for (location, day), (d, p, pr) in spec.items():
        for score, count in ((3, d), (7, p), (10, pr)):
            for _ in range(count):
                n += 1
                dept = "Pediatrics" if n % 2 else "Primary Care"
                rows.append(
                    response(str(n), f"{day}T10:{n % 60:02d}:00-06:00", score, location=location, department=dept)
                )
    return write_plain(tmp_path / "scores.csv", rows)


def run_json(cli, *args):
    result = cli("score", *args, "--format", "json", "--as-of", "2025-11-17")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_overall_row_matches_the_math(cli, tmp_path):
    [row] = run_json(cli, export(tmp_path))
    c = Counts(detractors=15, passives=8, promoters=21)
    assert list(row) == CONTRACT
    assert (row["n"], row["detractors"], row["passives"], row["promoters"]) == (44, 15, 8, 21)
    assert row["nps"] == round(nps(c), 1)
    low, high = interval(c)
    assert (row["ci_low"], row["ci_high"]) == (round(low, 1), round(high, 1))
    assert row["low_n"] is False or row["n"] >= 30


def test_files_are_scored_without_touching_the_store(cli, tmp_path, db):
    run_json(cli, export(tmp_path))
    if "://" not in db:
        assert not Path(db).exists()


def test_store_and_file_agree(cli, tmp_path):
    path = export(tmp_path)
    assert cli("import", path).exit_code == 0
    assert run_json(cli) == run_json(cli, path)
    assert run_json(cli, "--by", "location", "--period", "week") == run_json(
        cli, path, "--by", "location", "--period", "week"
    )


def test_by_location_and_week_with_low_n(cli, tmp_path):
    rows = run_json(cli, export(tmp_path), "--by", "location", "--period", "week", "--min-n", "11")
    keys = [(r["location"], r["period"]) for r in rows]
    assert keys == [
        ("Downtown", "2025-W45"),
        ("Downtown", "2025-W46"),
        ("Eastgate", "2025-W45"),
        ("Eastgate", "2025-W46"),
    ]
    assert list(rows[0]) == ["location", "period", *CONTRACT]
    assert [r["low_n"] for r in rows] == [False, False, True, True]
    assert rows[3]["nps"] == -70.0


def test_any_combination_of_groups_and_filters(cli, tmp_path):
    rows = run_json(cli, export(tmp_path), "--by", "department,location")
    assert sum(r["n"] for r in rows) == 44
    assert set(rows[0]) >= {"department", "location"}
    only = run_json(cli, export(tmp_path), "--location", "Eastgate")
    assert only[0]["n"] == 20


def test_since_until_window(cli, tmp_path):
    [row] = run_json(cli, export(tmp_path), "--since", "2025-11-10", "--until", "2025-11-16")
    assert row["n"] == 22
    [row] = run_json(cli, export(tmp_path), "--since", "last-week")
    assert row["n"] == 22


def test_compare_previous_week(cli, tmp_path):
    rows = run_json(
        cli, export(tmp_path), "--by", "location", "--period", "week", "--compare", "previous", "--since", "2025-11-10"
    )
    assert [r["period"] for r in rows] == ["2025-W46", "2025-W46"]
    east = rows[1]
    assert east["previous_nps"] == 0.0 and east["change"] == -70.0
    z = (-0.7 - 0.0) / math.sqrt((0.9 - 0.49) / 10 + (0.8 - 0.0) / 10)
    p = math.erfc(abs(z) / math.sqrt(2))
    assert east["p_value"] == pytest.approx(p, abs=1e-4)
    assert east["p_adjusted"] >= east["p_value"]
    assert isinstance(east["significant"], bool)


def test_compare_window_without_period(cli, tmp_path):
    [row] = run_json(cli, export(tmp_path), "--since", "2025-11-10", "--until", "2025-11-17", "--compare", "previous")
    assert row["n"] == 22 and row["previous_nps"] is not None


def test_interval_methods(cli, tmp_path):
    rows = {m: run_json(cli, export(tmp_path), "--ci", m)[0] for m in ("adjusted-wald", "wald", "tango")}
    assert len({(r["ci_low"], r["ci_high"]) for r in rows.values()}) == 3
    for r in rows.values():
        assert r["ci_low"] <= r["nps"] <= r["ci_high"]


def test_empty_store_gives_null_nps_not_zero(cli):
    from npscli.store.engine import open_store

    open_store(cli.db).dispose()  # a store with its tables and no responses
    [row] = run_json(cli)
    assert row["n"] == 0 and row["nps"] is None and row["ci_low"] is None


@pytest.mark.parametrize(
    "args,code,needle",
    [
        (["--by", "colour"], 2, "--by location"),
        (["--period", "fortnight"], 2, "week"),
        (["--since", "7x"], 2, "7x"),
        (["--ci", "bayes"], 2, "tango"),
        (["--compare", "previous"], 2, "--period"),
        (["--compare", "lastyear"], 2, "previous"),
        (["--since", "2025-11-10", "--until", "2025-11-01"], 2, "before"),
        (["--min-n", "0"], 2, "--min-n"),  # as npscli.toml's min_n: 1 or more
        (["--min-n", "-1"], 2, "--min-n"),
        (["--as-of", "9999-12-31T23:59"], 2, "--as-of '9999-12-31T23:59' is out of range"),  # was an internal error
        (["--as-of", "1900-01-01"], 2, "now must be between 1970 and 2199"),
    ],
)
def test_bad_options(cli, args, code, needle):
    result = cli("score", *args)
    assert result.exit_code == code, result.output
    assert needle in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    "args,allowed",
    [
        (["score", "--format", "xml"], "table, csv, json or markdown"),
        (["tickets", "list", "-f", "yaml"], "table, csv, json or markdown"),
        (["draft-outreach", "--format", "pdf"], "eml, txt or md"),
    ],
)
def test_an_unknown_format_lists_the_allowed_ones_plainly(sqlite_db, args, allowed):
    from tests.cli.conftest import Cli

    result = Cli(sqlite_db)(*args)
    assert result.exit_code == 2, result.output
    assert f"is not a format npscli knows; use {allowed}." in result.stderr
    assert "Value error" not in result.stderr and "is not one of" not in result.stderr


def test_table_csv_markdown(cli, tmp_path):
    path = export(tmp_path)
    table = cli("score", path, "--by", "location", "--min-n", "30")
    assert table.exit_code == 0 and "low n" in table.stdout and "to" in table.stdout
    csv_out = cli("score", path, "--by", "location", "--format", "csv")
    assert csv_out.stdout.splitlines()[0] == "location," + ",".join(CONTRACT)
    md = cli("score", path, "--format", "markdown")
    assert md.stdout.count("|") > 10


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_the_low_n_marker_column_is_shown_only_when_a_group_is_marked(cli, tmp_path, fmt):
    path = export(tmp_path)  # 22 responses per location
    marked = cli("score", path, "--by", "location", "--min-n", "30", "--format", fmt)
    unmarked = cli("score", path, "--by", "location", "--min-n", "5", "--format", fmt)
    assert marked.exit_code == 0 and unmarked.exit_code == 0
    header = next(line for line in marked.stdout.splitlines() if "|" in line and "95% interval" in line)
    plain_header = next(line for line in unmarked.stdout.splitlines() if "|" in line and "95% interval" in line)
    assert marked.stdout.count("low n") == 2
    assert "low n" not in unmarked.stdout
    # the unmarked table has one column fewer: no empty, unheaded column at the end
    assert header.count("|") == plain_header.count("|") + 1
    assert header.split("|")[-2].strip() == "flag"  # the marker column has a heading when it is shown
    assert plain_header.rstrip().endswith("95% interval |")


def test_csv_keeps_negative_numbers_as_numbers_and_neutralises_text(cli, tmp_path):
    path = export(tmp_path)
    rows = run_json(cli, path, "--by", "location")
    csv_out = cli("score", path, "--by", "location", "--format", "csv", "--as-of", "2025-11-17")
    assert csv_out.exit_code == 0, csv_out.output
    parsed = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    eastgate = next(r for r in parsed if r["location"] == "Eastgate")
    expected = next(r for r in rows if r["location"] == "Eastgate")
    assert expected["nps"] < 0 and expected["ci_low"] < 0  # the check below needs negative numbers
    # a negative NPS is a number a spreadsheet can sum, not text behind a quote
    assert float(eastgate["nps"]) == expected["nps"] and float(eastgate["ci_low"]) == expected["ci_low"]

    evil = '=HYPERLINK("http://evil.example/x","click me")'
    hostile = tmp_path / "hostile.csv"
    write_plain(
        hostile,
        [
            response("h1", "2025-11-12T10:00:00-06:00", 1, comment=evil),
            response("h2", "2025-11-12T11:00:00-06:00", 2, comment="-rude receptionist"),
        ],
    )
    assert cli("import", hostile).exit_code == 0
    listed = cli("detractors", "--since", "30d", "--as-of", "2025-11-17", "--format", "csv")
    assert listed.exit_code == 0, listed.output
    comments = {r["comment"] for r in csv.DictReader(io.StringIO(listed.stdout))}
    assert comments == {"'" + evil, "'-rude receptionist"}


def test_a_formula_in_a_group_name_is_neutralised_and_numbers_stay_numbers(cli, tmp_path):
    rows = [response(str(i), "2025-11-03T10:00:00-06:00", 2, location="=HYPERLINK(1)") for i in range(3)]
    path = write_plain(tmp_path / "negative.csv", rows)
    r = cli("score", path, "--by", "location", "--format", "csv")
    assert r.exit_code == 0, r.output
    (row,) = list(csv.DictReader(r.stdout.splitlines()))
    assert row["location"] == "'=HYPERLINK(1)"  # a formula in a text cell is neutralised
    assert row["nps"] == "-100.0" and float(row["ci_low"]) == -100.0  # numbers stay numbers


def test_files_take_the_import_reading_options(cli, tmp_path):
    """`score FILE` reads files as `import` does: --map for a column it cannot find, --source, --dayfirst."""
    rows = [response(str(i), f"03/1{i}/2025 10:00", score) for i, score in enumerate((10, 9, 3))]
    path = write_plain(tmp_path / "q7.csv", rows)
    path.write_text(path.read_text().replace("Score", "Q7", 1))
    missing = cli("score", path)
    assert missing.exit_code == 3 and "--map score=COLUMN" in missing.stderr
    r = cli("score", path, "--map", "score=Q7", "--dayfirst", "--period", "month", "--format", "json")
    assert r.exit_code == 0, r.output
    by_month = [(row["period"], row["n"], row["detractors"]) for row in json.loads(r.stdout)]
    assert by_month == [("2025-10", 1, 0), ("2025-11", 1, 0), ("2025-12", 1, 1)]  # 03/10/2025 is 3 October
    monthfirst = cli("score", path, "--map", "score=Q7", "--monthfirst", "--period", "month", "--format", "json")
    assert [row["period"] for row in json.loads(monthfirst.stdout)] == ["2025-03"]
    without_files = cli("score", "--map", "score=Q7")
    assert without_files.exit_code == 2 and "no FILE" in without_files.stderr


def test_group_filters_ignore_case_and_warn_about_a_value_that_matches_nothing(cli, tmp_path):
    assert cli("import", export(tmp_path)).exit_code == 0
    exact = run_json(cli, "--location", "Downtown")
    assert exact and run_json(cli, "--location", "  downTOWN ") == exact
    detractors = cli("detractors", "--location", "eastgate", "--since", "30d", "--as-of", "2025-11-17",
                     "--format", "json")  # fmt: skip
    assert detractors.exit_code == 0, detractors.output
    assert {row["location"] for row in json.loads(detractors.stdout)} == {"Eastgate"}
    tickets = cli("tickets", "list", "--location", "EASTGATE", "--format", "json")
    assert tickets.exit_code == 0 and len(json.loads(tickets.stdout)) == 12
    typo = cli("score", "--location", "Downtwn", "--format", "json", "--as-of", "2025-11-17")
    assert typo.exit_code == 0 and json.loads(typo.stdout)[0]["n"] == 0  # nothing matched: nothing scored
    assert "no location 'Downtwn' in the store; did you mean 'Downtown'? (known: Downtown, Eastgate)" in typo.stderr


def test_a_location_typed_without_its_accents_is_suggested_not_silently_taken(cli, tmp_path):
    rows = [
        response("1", "2025-11-10T10:00:00-06:00", 3, location="Saint-Jérôme"),
        response("2", "2025-11-10T11:00:00-06:00", 9, location="Downtown"),
    ]
    assert cli("import", write_plain(tmp_path / "accents.csv", rows)).exit_code == 0
    typed = cli("score", "--location", "saint-jerome", "--format", "json", "--as-of", "2025-11-17")
    assert typed.exit_code == 0, typed.output
    assert json.loads(typed.stdout)[0]["n"] == 0  # a suggestion, not a match: "Peña" is not "Pena"
    assert "no location 'saint-jerome' in the store; did you mean 'Saint-Jérôme'?" in typed.stderr
    unlike = cli("score", "--location", "Westview", "--format", "json", "--as-of", "2025-11-17")
    assert "did you mean" not in unlike.stderr and "no location 'Westview'" in unlike.stderr


def test_the_title_shows_when_a_relative_window_starts_not_only_its_day(cli, tmp_path):
    # --since 24h at 08:30 starts at 08:30 the day before: a bare date would read as the whole day
    path = export(tmp_path)
    result = cli("score", path, "--since", "24h", "--as-of", "2025-11-14T08:30", "--format", "table")
    assert result.exit_code == 0, result.output
    assert "13 Nov 2025 08:30 to 14 Nov 2025 08:30" in result.output
    result = cli("score", path, "--since", "last-week", "--as-of", "2025-11-17T08:30", "--format", "table")
    assert "10-16 Nov 2025" in result.output and "00:00" not in result.output  # whole days read as days


def test_a_week_without_responses_is_a_row_of_n_0_not_a_gap(cli, tmp_path):
    """W45 and W47 have responses, W46 none: the trend must not read W45 -> W47 as consecutive weeks."""
    rows = [
        response("1", "2025-11-04T10:00:00-06:00", 10, location="Downtown"),
        response("2", "2025-11-18T10:00:00-06:00", 3, location="Downtown"),
        response("3", "2025-11-19T10:00:00-06:00", 9, location="Eastgate"),
    ]
    path = write_plain(tmp_path / "gap.csv", rows)
    assert cli("import", path).exit_code == 0
    result = cli("score", "--period", "week", "--format", "json", "--as-of", "2025-12-15")
    assert result.exit_code == 0, result.output
    assert [(r["period"], r["n"], r["nps"]) for r in json.loads(result.stdout)] == [
        ("2025-W45", 1, 100.0),
        ("2025-W46", 0, None),
        ("2025-W47", 2, 0.0),
    ]  # without --since: from the first week with data to the last (not on to today)
    by_location = cli("score", "--period", "week", "--by", "location", "--format", "json", "--as-of", "2025-12-15")
    cells = {(r["location"], r["period"]): r["n"] for r in json.loads(by_location.stdout)}
    assert cells == {
        ("Downtown", "2025-W45"): 1,
        ("Downtown", "2025-W46"): 0,
        ("Downtown", "2025-W47"): 1,
        ("Eastgate", "2025-W45"): 0,
        ("Eastgate", "2025-W46"): 0,
        ("Eastgate", "2025-W47"): 1,
    }
    window = cli("score", "--period", "week", "--since", "2025-10-27", "--until", "2025-11-30", "--format", "json")
    assert [r["period"] for r in json.loads(window.stdout)] == [f"2025-W{w}" for w in range(44, 49)]
    table = cli("score", "--period", "week", "--as-of", "2025-12-15")
    w46 = next(line for line in table.stdout.splitlines() if "2025-W46" in line)
    assert "low n" not in w46 and " - " in w46  # no NPS, and no "low n" mark on an empty week


def test_a_change_that_cannot_be_computed_is_explained(cli, tmp_path):
    path = export(tmp_path)  # W45 and W46 only: W45 has no week before it
    both = cli("score", path, "--period", "week", "--compare", "previous", "--as-of", "2025-11-17")
    assert both.exit_code == 0, both.output
    assert "change -: no responses in the period before" in both.stderr
    args = ("--period", "week", "--compare", "previous", "--since", "2025-11-10", "--as-of", "2025-11-17")
    w46 = cli("score", path, *args)
    assert w46.exit_code == 0 and "change -" not in w46.stderr  # W46 compares with W45


def test_window_titles_read_as_days_and_a_partial_week_is_marked(sqlite_db, tmp_path):
    from tests.cli.conftest import Cli

    cli = Cli(sqlite_db)
    assert cli("import", export(tmp_path)).exit_code == 0
    whole = cli("score", "--since", "2025-11-10", "--until", "2025-11-16", "--as-of", "2025-11-20")
    assert whole.exit_code == 0, whole.output
    assert whole.stdout.splitlines()[0].strip() == "NPS (adjusted-wald 95% interval) 10-16 Nov 2025"
    assert "00:00" not in whole.stdout
    across = cli("score", "--since", "2025-10-27", "--until", "2025-11-02", "--as-of", "2025-11-20")
    assert across.stdout.splitlines()[0].strip() == "NPS (adjusted-wald 95% interval) 27 Oct-2 Nov 2025"
    weeks = cli("score", "--period", "week", "--since", "2w", "--as-of", "2025-11-13T10:00", "-f", "markdown")
    assert weeks.exit_code == 0, weeks.output
    title, rows = weeks.stdout.splitlines()[0], weeks.stdout.splitlines()
    assert title == "**NPS (adjusted-wald 95% interval) 30 Oct 2025 10:00 to 13 Nov 2025 10:00**"
    periods = [line.split("|")[1].strip() for line in rows if line.startswith("| 2025-W")]
    # the window starts on a Thursday and ends on one: both weeks at its ends are partial, the middle one whole
    assert periods == ["2025-W44 (partial)", "2025-W45", "2025-W46 (partial)"]
    two_weeks = ("--period", "week", "--since", "2w", "--as-of", "2025-11-13T10:00")
    data = json.loads(cli("score", *two_weeks, "-f", "json").stdout)
    assert [row["period"] for row in data] == ["2025-W44", "2025-W45", "2025-W46"]  # the contract keeps its keys
    aligned = cli("score", "--period", "week", "--since", "2025-11-03", "--until", "2025-11-16", "-f", "markdown")
    assert "partial" not in aligned.stdout


def test_a_location_with_a_curly_apostrophe_is_found_by_the_name_typed_with_a_straight_one(cli, tmp_path):
    rows = [
        response("1", "2025-11-10T10:00:00-06:00", 3, location="O\u2019Hare Clinic"),
        response("2", "2025-11-10T11:00:00-06:00", 10, location="O\u2019Hare Clinic"),
        response("3", "2025-11-10T12:00:00-06:00", 9, location="Downtown"),
    ]
    assert cli("import", write_plain(tmp_path / "ohare.csv", rows)).exit_code == 0
    found = run_json(cli, "--location", "o'hare clinic")
    assert found[0]["n"] == 2, found
    detractors = cli("detractors", "--location", "O'Hare Clinic", "--since", "30d", "--as-of", "2025-11-17",
                     "--format", "json")  # fmt: skip
    assert detractors.exit_code == 0, detractors.output
    assert [row["location"] for row in json.loads(detractors.stdout)] == ["O\u2019Hare Clinic"]
    assert "no location" not in detractors.stderr


def test_responses_without_a_location_are_a_group_named_none_as_in_the_report(cli, tmp_path):
    rows = [
        response("1", "2025-11-10T10:00:00-06:00", 3, location=""),
        response("2", "2025-11-10T11:00:00-06:00", 10, location=""),
        response("3", "2025-11-10T12:00:00-06:00", 9, location="Downtown"),
    ]
    assert cli("import", write_plain(tmp_path / "blank.csv", rows)).exit_code == 0
    by = {row["location"]: row["n"] for row in run_json(cli, "--by", "location")}
    assert by == {"Downtown": 1, None: 2}  # JSON keeps null
    for fmt in ("table", "markdown"):
        shown = cli("score", "--by", "location", "--as-of", "2025-11-17", "--format", fmt, env={"COLUMNS": "200"})
        assert shown.exit_code == 0, shown.output
        line = next(line for line in shown.stdout.splitlines() if "(none)" in line)
        assert [cell.strip() for cell in line.strip("|").split("|")][:2] == ["(none)", "2"], line
    csv_out = cli("score", "--by", "location", "--as-of", "2025-11-17", "--format", "csv")
    assert ",2," in csv_out.stdout and "(none)" not in csv_out.stdout  # a blank cell for a spreadsheet


def test_a_site_written_in_several_cases_is_one_group_in_a_file_and_in_the_store(cli, tmp_path):
    rows = [
        response("1", "2025-11-03T09:00:00-06:00", 3, location="DOWNTOWN"),
        response("2", "2025-11-03T10:00:00-06:00", 9, location="Downtown"),
        response("3", "2025-11-03T11:00:00-06:00", 10, location="downtown "),
        response("4", "2025-11-03T12:00:00-06:00", 5, location="Eastgate"),
    ]
    path = write_plain(tmp_path / "cases.csv", rows)
    from_file = run_json(cli, path, "--by", "location")
    assert [(r["location"], r["n"]) for r in from_file] == [("Downtown", 3), ("Eastgate", 1)]
    assert [r["n"] for r in run_json(cli, path, "--location", "DOWNTOWN")] == [3]
    assert cli("import", path).exit_code == 0
    assert run_json(cli, "--by", "location") == from_file  # the store says the same
