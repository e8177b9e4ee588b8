"""`npscli import` and `npscli imports` through the CLI, on real files and a real store."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from tests.factories import response, write_plain

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
REAL = Path(__file__).resolve().parents[1] / "data" / "real-exports"  # genuine Qualtrics exports, byte for byte
FIXTURES = Path(__file__).resolve().parents[1] / "data" / "exports"
OUTCOMES = ("imported", "duplicates", "skipped", "excluded", "rejected")


def summary(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    for row in rows:
        assert row["rows_read"] == sum(row[k] for k in OUTCOMES), row
    return rows


def basic(tmp_path: Path, name: str = "export.csv") -> Path:
    return write_plain(
        tmp_path / name,
        [
            response("1", "2025-11-03T09:15:00-06:00", 10, "Great visit"),
            response("2", "2025-11-03T10:00:00-06:00", 3, 'Waited 90 minutes,\nnobody said "sorry"'),
            response("3", "2025-11-04T11:00:00-06:00", "", ""),  # partial: skipped
            response("4", "2025-11-04T12:00:00-06:00", 11, ""),  # rejected
            response("5", "2025-11-05T08:00:00-06:00", 7, "ok"),
        ],
    )


def test_import_accounts_for_every_row_and_is_idempotent(cli, tmp_path):
    path = basic(tmp_path)
    [first] = summary(cli("import", path, "--format", "json"))
    assert (first["imported"], first["skipped"], first["rejected"], first["tickets_opened"]) == (3, 1, 1, 1)
    [again] = summary(cli("import", path, "--format", "json"))
    assert (again["imported"], again["duplicates"], again["tickets_opened"]) == (0, 3, 0)
    batches = json.loads(cli("imports", "--format", "json").stdout)
    assert [b["imported"] for b in batches] == [0, 3]
    assert batches[0]["sha256"] == batches[1]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert all(b["by"] and b["file"] == path.name for b in batches)


def test_sample_data_imports_with_no_flags(cli):
    files = sorted(SAMPLE.glob("*.csv")) + sorted(SAMPLE.glob("*.xlsx"))
    rows = summary(cli("import", *files, "--format", "json"))
    assert len(rows) == 4
    by_name = {Path(r["file"]).name: r for r in rows}
    assert by_name["qualtrics_export.csv"]["excluded"] == 4
    assert by_name["qualtrics_week16.csv"]["duplicates"] > 100  # the overlap with the earlier pull
    assert all(r["rejected"] == 0 for r in rows)


def test_every_fixture_layout_imports_with_no_flags(cli):
    """Each layout of docs/export-formats.md, as fixture files: imports with no flags, all rows accounted."""
    good = [
        "qualtrics_nps.csv",
        "qualtrics_legacy_nps.csv",
        "qualtrics.xlsx",
        "surveymonkey.csv",
        "google_forms.csv",
        "typeform.csv",
        "delighted.csv",
        "plain_cp1252_semicolon.csv",
        "plain_utf16_tab.csv",
        "plain_tab.tsv",
        "plain_typed.xlsx",
        "plain_epoch.csv",
        "plain_iso_offsets.csv",
        "plain_us_dates.csv",
        "plain_dayfirst.csv",
    ]
    for name in good:
        result = cli("import", FIXTURES / name, "--format", "json")
        [row] = summary(result)
        assert row["imported"] > 0, name


def test_dry_run_writes_nothing(cli, tmp_path):
    path = basic(tmp_path)
    [row] = summary(cli("import", path, "--dry-run", "--format", "json"))
    assert row["imported"] == 3
    assert nothing_imported(cli)


def nothing_imported(cli) -> bool:
    """No import batch in the store (a SQLite store that was never created counts: `imports` says so)."""
    listed = cli("imports", "--format", "json")
    if listed.exit_code == 5:
        return "no store at" in listed.stderr and not Path(cli.db).exists()
    assert listed.exit_code == 0, listed.output
    return json.loads(listed.stdout) == []


def test_dry_run_counts_the_tickets_the_import_would_open(cli, tmp_path):
    """A dry run before a first import answers "how many follow-ups would this open?" with the real import's
    number: detractors not stored yet, at or below the threshold, received since --tickets-since."""
    path = write_plain(
        tmp_path / "history.csv",
        [
            response("1", "2025-09-01T09:00:00-06:00", 2, "old visit"),  # before --tickets-since
            response("2", "2025-11-03T10:00:00-06:00", 3, "Waited 90 minutes"),
            response("3", "2025-11-04T11:00:00-06:00", 6, ""),
            response("3", "2025-11-04T11:00:00-06:00", 6, ""),  # the same response twice in the file
            response("4", "2025-11-05T08:00:00-06:00", 9, "great"),
            response("5", "2025-11-05T09:00:00-06:00", 7, "ok"),
        ],
    )
    args = ("import", path, "--tickets-since", "2025-10-01", "--as-of", "2025-11-06", "--format", "json")
    [dry] = summary(cli(*args, "--dry-run"))
    [real] = summary(cli(*args))
    assert real["tickets_opened"] == 2
    assert dry["tickets_opened"] == real["tickets_opened"]
    assert (dry["imported"], dry["duplicates"]) == (real["imported"], real["duplicates"])
    [again] = summary(cli(*args, "--dry-run"))  # everything is stored now: nothing new to follow up
    assert (again["imported"], again["tickets_opened"]) == (0, 0)


def test_dry_run_of_overlapping_exports_matches_the_import(cli):
    """The README's first import, dry run first: each file counts against the store and the files before it
    (the week-16 pull overlaps the earlier one), so every figure is the real import's."""
    files = [SAMPLE / n for n in ("qualtrics_export.csv", "qualtrics_week16.csv", "delighted_export.csv")]
    args = ("import", *files, "--tickets-since", "14d", "--as-of", "2026-11-16", "--format", "json")
    keys = ("imported", "duplicates", "skipped", "excluded", "rejected", "tickets_opened")
    dry = [{k: r[k] for k in keys} for r in summary(cli(*args, "--dry-run"))]
    real = [{k: r[k] for k in keys} for r in summary(cli(*args))]
    assert real[1]["duplicates"] > 100 and real[1]["tickets_opened"] > 0
    assert dry == real


def test_dry_run_does_not_create_the_store(tmp_path):
    """--dry-run changes nothing: not even an empty store file at a mistyped --db path."""
    from typer.testing import CliRunner

    from npscli.cli.main import app

    path = basic(tmp_path)
    store = tmp_path / "not-yet" / "store.db"
    argv = ["import", str(path), "--dry-run", "--db", str(store), "--format", "json"]
    [row] = summary(CliRunner().invoke(app, argv))
    assert (row["imported"], row["tickets_opened"]) == (3, 1)
    assert not store.exists() and not store.parent.exists()


def test_rejects_file_has_row_numbers_and_reasons(cli, tmp_path):
    path = basic(tmp_path)
    out = tmp_path / "rejects.csv"
    [row] = summary(cli("import", path, "--rejects", out, "--format", "json"))
    assert row["rejects_file"] == str(out)
    with out.open(newline="", encoding="utf-8-sig") as fh:
        rejects = list(csv.DictReader(fh))
    assert [(r["row"], r["reason"]) for r in rejects] == [("5", "score is outside 0-10")]


def test_a_response_from_the_future_is_rejected_with_its_reason(cli, tmp_path):
    """Submitted more than a day after the run's now: a wrong clock, time zone or day/month order, not a
    response; within a day (a platform clock a few hours ahead) it is imported."""
    path = write_plain(
        tmp_path / "future.csv",
        [
            response("1", "2025-11-03T09:15:00-06:00", 9, "fine"),
            response("2", "2025-11-06T20:00:00-06:00", 3, "tonight, by the platform's clock"),
            response("3", "2025-11-08T09:00:00-06:00", 4, "two days ahead"),
            response("4", "2099-01-01T00:00:00Z", 10, ""),
        ],
    )
    out = tmp_path / "rejects.csv"
    [row] = summary(cli("import", path, "--as-of", "2025-11-06T12:00", "--rejects", out, "--format", "json"))
    assert (row["imported"], row["rejected"]) == (2, 2)
    with out.open(newline="", encoding="utf-8-sig") as fh:
        rejects = [(r["row"], r["reason"], r["column"]) for r in csv.DictReader(fh)]
    reason = "submitted_at is after the import (a wrong clock or time zone, or day and month swapped?)"
    assert rejects == [("4", reason, "Created at"), ("5", reason, "Created at")]
    later = cli("import", path, "--as-of", "2099-01-02", "--format", "json")  # the same rows, now in the past
    assert summary(later)[0]["imported"] == 2


def test_the_summary_table_never_cuts_a_column_off_a_terminal(cli, tmp_path):
    """Cron mail: a plain table as wide as it needs, every column and the whole rejects path in it."""
    folder = tmp_path / "exports-pulled-every-monday-from-the-survey-platform"
    folder.mkdir()
    path = basic(folder, "riverside-health-patient-experience-weekly.csv")
    out = folder / "rejected-rows-of-the-riverside-health-weekly-export.csv"
    result = cli("import", path, "--rejects", out, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    header = next(line for line in lines if "imported" in line)
    assert header.rstrip().endswith("|") and "rejected" in header and "rejects file" in header
    assert str(out) in result.stdout and str(path) in result.stdout
    assert len({len(line) for line in lines if line.strip()}) == 1  # every line of the table complete


def test_strict_imports_nothing_from_a_file_with_a_rejected_row(cli, tmp_path):
    path = basic(tmp_path)
    result = cli("import", path, "--strict")
    assert result.exit_code == 3
    assert "row 5" in result.stderr and "Score" in result.stderr and "--strict" in result.stderr
    assert "Traceback" not in result.output
    assert json.loads(cli("imports", "--format", "json").stdout) == []


def test_map_overrides_and_saved_source(cli, tmp_path, isolated):
    path = write_plain(tmp_path / "weird.csv", [response("1", "2025-11-03T09:15:00-06:00", 4)])
    text = path.read_text().replace("Score", "Q7")
    path.write_text(text)
    result = cli("import", path)
    assert result.exit_code == 3
    assert "--map score=COLUMN" in result.stderr and "Q7" in result.stderr
    mapped = cli("import", path, "--map", "score=Q7", "--format", "json")
    [row] = summary(mapped)
    assert row["imported"] == 1
    assert 'map = { score = "Q7" }' in mapped.stderr  # how to save it for next time
    (isolated / "npscli.toml").write_text('[sources.weekly]\nmatch = "weird*.csv"\nmap = { score = "Q7" }\n')
    other = tmp_path / "weird2.csv"
    other.write_text(text.replace(",1,", ",2,", 1))
    [row] = summary(cli("import", other, "--format", "json"))
    assert row["source"] == "weekly" and row["imported"] == 1


def test_real_qualtrics_exports_report_no_score_column(cli):
    for name in ("qualtrics_current_de.csv", "qualtrics_legacy.csv"):
        result = cli("import", REAL / name)
        assert result.exit_code == 3, result.output
        assert "no 0-10" in result.stderr and "--map score=" in result.stderr
        assert len(result.stderr.strip().splitlines()) <= 2
        [row] = summary(cli("import", REAL / name, "--map", "score=Q1", "--format", "json", "--source", name))
        assert row["rows_read"] == 1 and row["imported"] == 1


@pytest.mark.parametrize(
    "name,needle",
    [
        ("missing.csv", "no such file"),
        ("empty.csv", "empty"),
        ("not_a_workbook.xlsx", "xlsx"),
        ("truncated.xlsx", "xlsx"),
        ("undecodable.csv", "decode"),
        ("csat_1to5.csv", "1-5"),
        ("no_date.csv", "--map submitted_at="),
        ("plain_mixed_date_order.csv", "day-first"),
    ],
)
def test_bad_files_give_one_clear_line_and_no_traceback(cli, name, needle):
    result = cli("import", FIXTURES / name)
    assert result.exit_code == 3, result.output
    assert needle.lower() in result.stderr.lower()
    assert name in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_directory_and_bad_map_syntax(cli, tmp_path):
    result = cli("import", tmp_path)
    assert result.exit_code == 3 and "Traceback" not in result.output
    result = cli("import", basic(tmp_path), "--map", "score")
    assert result.exit_code == 2 and "FIELD=COLUMN" in result.stderr


def test_one_bad_file_does_not_stop_the_others(cli, tmp_path):
    result = cli("import", FIXTURES / "empty.csv", basic(tmp_path), "--format", "json")
    assert result.exit_code == 3
    [row] = json.loads(result.stdout)
    assert row["imported"] == 3
    assert "empty.csv" in result.stderr


def test_rows_never_printed_on_errors(cli, tmp_path):
    path = write_plain(
        tmp_path / "phi.csv", [response("1", "not a date", 4, name="Zebulon Quixote", email="zq@example.org")]
    )
    result = cli("import", path, "--strict")
    assert result.exit_code == 3
    assert "Zebulon" not in result.output and "zq@example.org" not in result.output


def test_an_unwritable_rejects_path_fails_before_anything_is_imported(cli, tmp_path):
    path = basic(tmp_path)
    result = cli("import", path, "--rejects", tmp_path / "no-such-folder" / "rejects.csv")
    assert result.exit_code == 2
    assert "no-such-folder" in result.stderr and "nothing was imported" in result.stderr
    assert nothing_imported(cli)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    many = cli("import", path, basic(tmp_path, "second.csv"), "--rejects", blocker / "folder")
    assert many.exit_code == 2 and "Traceback" not in many.output
    assert nothing_imported(cli)


def test_quiet_before_or_after_the_command_prints_nothing_for_cron_but_a_format_asked_for(cli, tmp_path):
    path = write_plain(tmp_path / "q.csv", [response("1", "2025-11-03T09:00:00-06:00", 3, "Slow")])
    for args in (("-q", "import", path), ("import", "-q", path)):
        result = cli(*args)
        assert result.exit_code == 0, result.output
        assert result.stdout == "" and result.stderr == ""
    asked = cli("-q", "import", path, "--format", "json")
    assert asked.exit_code == 0 and json.loads(asked.stdout)[0]["duplicates"] == 1


@pytest.mark.parametrize("limit", ["0", "-5", "99999999999999999999"])  # the last: past a 64-bit LIMIT
def test_imports_limit_must_be_positive(cli, limit):
    """PostgreSQL refuses LIMIT -5 (an internal error) and SQLite reads it as no limit: both are a usage error."""
    result = cli("imports", "--limit", limit)
    assert result.exit_code == 2, result.output
    assert "--limit" in result.stderr and "Traceback" not in result.stderr


def test_a_far_off_date_rejects_its_row_in_import_and_in_score_file(cli, tmp_path):
    """One 9999-12-31 or 0001-01-01 among good rows: that row is rejected "out of range", the rest import."""
    far = ["9999-12-31T23:59:59", "3000-01-01", "0001-01-01", "1000-01-01", "99999999999999", "1900-01-01"]
    rows = [response("ok1", "2025-11-03T09:15:00-06:00", 9), response("ok2", "2025-11-04T09:15:00-06:00", 3)]
    rows += [response(f"far{i}", when, 7) for i, when in enumerate(far)]
    path = write_plain(tmp_path / "far.csv", rows)
    out = tmp_path / "rejects.csv"
    [row] = summary(cli("import", path, "--rejects", out, "--format", "json"))
    assert (row["imported"], row["rejected"]) == (2, len(far))
    with out.open(newline="", encoding="utf-8-sig") as fh:
        reasons = {r["reason"] for r in csv.DictReader(fh)}
    assert reasons == {"submitted_at is out of range (before 1970-01-01 or after 2199-12-31)"}
    scored = cli("score", path, "--format", "json")
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)[0]["n"] == 2


def test_a_workbook_date_whose_zone_passes_the_calendar_ends_rejects_its_row(cli, tmp_path):
    """Year 1 or 9999 with a time zone in an XLSX: converting it to UTC leaves the calendar; the row is rejected
    "out of range" in import and in score FILE (no crash), and a year written 0001 is never read as 2001."""
    from datetime import datetime

    import openpyxl

    far = [
        "Dec 31, 9999 23:00 -05:00",
        "Jan 1, 0001 00:00 +05:00",
        "01/01/0001 00:00 +05:00",
        "9999-12-31 23:30 -05:00",
    ]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Response ID", "Date", "Score", "Comment"])
    sheet.append(["ok1", datetime(2025, 11, 3, 9, 15), 9, "Kind staff"])
    sheet.append(["ok2", "2025-11-04T09:15:00-06:00", 3, "Slow"])
    for i, when in enumerate(far):
        sheet.append([f"far{i}", when, 7, "ok"])
    path = tmp_path / "far.xlsx"
    workbook.save(path)
    out = tmp_path / "rejects.csv"
    [row] = summary(cli("import", path, "--rejects", out, "--format", "json"))
    assert (row["rows_read"], row["imported"], row["rejected"]) == (2 + len(far), 2, len(far))
    with out.open(newline="", encoding="utf-8-sig") as fh:
        reasons = {r["reason"] for r in csv.DictReader(fh)}
    assert reasons == {"submitted_at is out of range (before 1970-01-01 or after 2199-12-31)"}
    scored = cli("score", path, "--format", "json")
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)[0]["n"] == 2
    assert "out of range" in scored.stderr and "Traceback" not in scored.output


def test_under_umask_000_rejects_folders_and_files_are_private(cli, tmp_path, umask_000):
    import stat

    folder = tmp_path / "out" / "rejects"
    r = cli("import", basic(tmp_path, "a.csv"), basic(tmp_path, "b.csv"), "--rejects", folder, "--format", "json")
    assert r.exit_code == 0, r.output
    for made in (tmp_path / "out", folder):
        assert stat.S_IMODE(made.stat().st_mode) == 0o700, made
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == ["a.rejects.csv", "b.rejects.csv"]
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}


def _dated(tmp_path: Path, name: str, days: list[str]) -> Path:
    rows = [response(str(i), f"{day}/2025 10:00", 9) for i, day in enumerate(days)]
    return write_plain(tmp_path / name, rows)


def test_dates_that_read_either_way_are_month_first_and_the_import_says_so_once(sqlite_db, tmp_path):
    from tests.cli.conftest import Cli

    cli = Cli(sqlite_db)
    either = _dated(tmp_path, "either.csv", ["03/11", "04/11", "05/12"])
    r = cli("import", either, "--format", "json")
    assert r.exit_code == 0, r.output
    note = "  dates read month-first: 03/11/2025 is 11 March; --dayfirst if not"
    lines = r.stderr.splitlines()
    assert lines[lines.index(next(line for line in lines if line.startswith("either.csv: "))) + 1] == note
    assert r.stderr.count("dates read") == 1
    stored = cli("score", "--period", "month", "--format", "json")
    assert [row["period"] for row in json.loads(stored.stdout) if row["n"]] == ["2025-03", "2025-04", "2025-05"]
    # a file whose dates prove the order, or an order asked for, needs no word
    proven = _dated(tmp_path, "proven.csv", ["03/11", "13/11"])
    assert "dates read" not in cli("import", proven, "--format", "json").stderr
    asked = _dated(tmp_path, "asked.csv", ["06/11", "07/11"])
    assert "dates read" not in cli("import", asked, "--monthfirst", "--format", "json").stderr
    iso = basic(tmp_path)
    assert "dates read" not in cli("import", iso, "--format", "json").stderr


def test_score_files_say_the_same_of_their_dates_and_a_day_first_default_says_its_own(sqlite_db, tmp_path, isolated):
    from tests.cli.conftest import Cli

    cli = Cli(sqlite_db)
    either = _dated(tmp_path, "either.csv", ["03/11", "04/11"])
    r = cli("score", either)
    assert r.exit_code == 0, r.output
    assert r.stderr.count("  dates read month-first: 03/11/2025 is 11 March; --dayfirst if not\n") == 1
    (isolated / "npscli.toml").write_text("dayfirst = true\n", encoding="utf-8")
    r = cli("score", either, "--format", "json")
    assert r.exit_code == 0, r.output
    assert "  dates read day-first: 03/11/2025 is 3 November; --monthfirst if not\n" in r.stderr


def test_an_import_on_a_terminal_shows_rows_read_and_a_rate_and_nothing_into_a_pipe(tmp_path, sqlite_db):
    import os

    from tests.cli.conftest import Cli
    from tests.cli.test_meta import _on_a_terminal

    rows = [response(str(i), "2025-11-03T09:00:00-06:00", i % 11) for i in range(2500)]
    path = write_plain(tmp_path / "big.csv", rows)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR",) and not k.startswith("NPSCLI_")}
    env.update(NPSCLI_DB=sqlite_db, NPSCLI_TIMEZONE="America/Chicago", COLUMNS="160", TERM="xterm-256color")
    shown = _on_a_terminal(["import", str(path)], env).decode()
    assert "importing big.csv" in shown and "2,500 rows read" in shown  # rows as the unit, not "0/1" files
    assert "0/1" not in shown and "1/1" not in shown
    piped = Cli(str(tmp_path / "other.db"))("import", path)
    assert piped.exit_code == 0, piped.output
    assert "rows read" not in piped.stderr and "importing big.csv" not in piped.stderr


def test_a_feedback_export_mixing_surveys_imports_only_its_nps_answers(cli, tmp_path):
    """A HubSpot-style feedback export: one Rating column for NPS answers (labelled in `NPS`) and CSAT ratings
    coded 0-2 (labelled in `CSAT`). The CSAT rows are excluded and said so; the stored score is the NPS answers'."""
    path = tmp_path / "feedback.csv"
    nps = [(9, "Promoter"), (10, "Promoter"), (7, "Passive"), (3, "Detractor"), (10, "Promoter"), (8, "Passive")]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Record ID", "Contact Id", "Rating", "Date", "Survey Name", "NPS", "CSAT"])
        for index, (score, label) in enumerate(nps):
            writer.writerow([f"66{index}", f"5{index}", score, f"2025-06-2{index} 13:12", "NPS - Bootcamp", label, ""])
        for index, (code, label) in enumerate([(2, "Positive"), (0, "Negative"), (1, "Neutral")]):
            writer.writerow([f"77{index}", f"6{index}", code, f"2025-07-0{index + 1} 09:30", "Support", "", label])
    result = cli("import", path, "--format", "json")
    [row] = summary(result)
    assert (row["rows_read"], row["imported"], row["excluded"]) == (9, 6, 3)
    assert "excluded: 3 (another survey's rating (CSAT is filled, NPS is blank)" in result.stderr
    scored = cli("score", "--format", "json")
    assert scored.exit_code == 0, scored.output
    [total] = json.loads(scored.stdout)
    assert (total["n"], total["promoters"], total["passives"], total["detractors"]) == (6, 3, 2, 1)


def test_a_header_only_export_imports_nothing_and_succeeds(cli, tmp_path):
    """A daily export of a quiet day holds its header and no responses: `import ... && alert` from cron must not
    fail for it. `score FILE` still refuses it (nothing to score)."""
    empty = write_plain(tmp_path / "quiet_day.csv", [])
    busy = write_plain(tmp_path / "busy_day.csv", [response("q1", "2025-11-03T09:00:00-06:00", 4, "Long wait")])
    result = cli("import", empty, busy, "--format", "json")
    assert result.exit_code == 0, result.output
    quiet, imported = json.loads(result.stdout)
    assert (quiet["file"], quiet["rows_read"], quiet["imported"], quiet["batch_id"]) == ("quiet_day.csv", 0, 0, None)
    assert imported["imported"] == 1
    assert "quiet_day.csv: a header and no responses below it: nothing to import" in result.stderr
    alone = cli("-q", "import", empty)
    assert alone.exit_code == 0 and alone.output == ""
    listed = json.loads(cli("detractors", "--since", "1y", "--as-of", "2025-11-10", "--format", "json").stdout)
    assert [row["response_id"] for row in listed] == ["q1"]  # the quiet day stored nothing
    scored = cli("score", empty, db=False)
    assert scored.exit_code == 3 and "no data rows below the header" in scored.stderr
