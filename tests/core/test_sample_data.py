"""The committed sample exports are what sample_data/generate.py produces, with the layouts and patterns the
README promises; bench/generate.py writes what it says. Stdlib + openpyxl parsing only, so these checks do not
depend on npscli's own importers."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
BENCH = ROOT / "bench" / "generate.py"
CSV_FILES = ("qualtrics_export.csv", "qualtrics_week16.csv", "delighted_export.csv")
XLSX_FILE = "surveymonkey_export.xlsx"
BILLING_RE = re.compile(
    r"\b(bill|bills|billed|billing|charged|charges?|insurance|copay|invoice|factura\w*|cobr\w*|seguro)\b",
    re.IGNORECASE,
)
FIRST_MONDAY = date(2026, 7, 27)


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses need the module registered
    spec.loader.exec_module(module)
    return module


def week_of(d: date) -> int:
    return (d - FIRST_MONDAY).days // 7 + 1


@cache
def read_qualtrics(name: str) -> tuple[list[list[str]], list[dict[str, str]]]:
    text = (SAMPLE / name).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return rows[:3], [dict(zip(rows[0], r, strict=True)) for r in rows[3:]]


@cache
def read_delighted() -> list[dict[str, str]]:
    with (SAMPLE / "delighted_export.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _xlsx_cells(path: Path) -> list[list[tuple]]:
    """(value, data_type) of every cell, read-only (fast)."""
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [[(c.value, c.data_type) for c in r] for r in wb.active.iter_rows()]
    wb.close()
    return rows


@cache
def surveymonkey_cells() -> list[list[tuple]]:
    return _xlsx_cells(SAMPLE / XLSX_FILE)


def read_surveymonkey() -> list[tuple]:
    return [tuple(v for v, _ in r) for r in surveymonkey_cells()]


def sm_score(value) -> int | None:
    if value is None:
        return None
    return int(str(value).split(" - ")[0])


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample_data")
    _load(SAMPLE / "generate.py", "_sample_data_generate").generate(out)
    return out


def test_committed_files_are_what_the_generator_writes(regenerated: Path) -> None:
    for name in CSV_FILES:
        fresh = (regenerated / name).read_bytes()
        assert (SAMPLE / name).read_bytes() == fresh, f"{name}: run python sample_data/generate.py"
    # XLSX: compare cell values and types (the zip bytes may depend on the zlib build)
    assert surveymonkey_cells() == _xlsx_cells(regenerated / XLSX_FILE)


def test_qualtrics_layout() -> None:
    for name in ("qualtrics_export.csv", "qualtrics_week16.csv"):
        assert not (SAMPLE / name).read_bytes().startswith(b"\xef\xbb\xbf")
        header, rows = read_qualtrics(name)
        fields, questions, import_ids = header
        assert fields[:9] == [
            "StartDate",
            "EndDate",
            "Status",
            "IPAddress",
            "Progress",
            "Duration (in seconds)",
            "Finished",
            "RecordedDate",
            "ResponseId",
        ]
        for col in ("Q1", "Q1_NPS_GROUP", "Q2", "Clinic", "Department", "Provider", "PatientPhone"):
            assert col in fields
        assert questions[fields.index("Q1")].startswith("How likely is it that you would recommend")
        ids = [json.loads(cell) for cell in import_ids]
        assert ids[0] == {"ImportId": "startDate", "timeZone": "America/Chicago"}
        assert ids[fields.index("Q1")] == {"ImportId": "QID1"}
        assert ids[fields.index("Q2")] == {"ImportId": "QID2_TEXT"}
        response_ids = [r["ResponseId"] for r in rows]
        assert len(response_ids) == len(set(response_ids))
        assert all(re.fullmatch(r"R_[0-9A-Za-z]{15}", i) for i in response_ids)
        for r in rows:
            datetime.strptime(r["RecordedDate"], "%Y-%m-%d %H:%M:%S")
            if r["Q1"] == "":
                assert r["Finished"] == "False" and int(r["Progress"]) < 100 and r["Q1_NPS_GROUP"] == ""
            else:
                score = int(r["Q1"])
                assert 0 <= score <= 10
                expected = "Detractor" if score <= 6 else ("Passive" if score <= 8 else "Promoter")
                assert r["Q1_NPS_GROUP"] == expected
    _, rows = read_qualtrics("qualtrics_export.csv")
    statuses = Counter(r["Status"] for r in rows)
    assert statuses["Survey Preview"] == 3 and statuses["Spam"] == 1
    partial_share = sum(r["Finished"] == "False" for r in rows) / len(rows)
    assert 0.02 < partial_share < 0.08
    assert 850 <= len(rows) <= 950
    assert {r["Clinic"] for r in rows if r["Status"] == "IP Address"} == {"Downtown", "Eastgate"}


def test_qualtrics_pulls_overlap_on_weeks_13_and_14() -> None:
    _, big = read_qualtrics("qualtrics_export.csv")
    _, recent = read_qualtrics("qualtrics_week16.csv")
    big_by_id = {r["ResponseId"]: r for r in big}
    recent_by_id = {r["ResponseId"]: r for r in recent}
    shared = big_by_id.keys() & recent_by_id.keys()
    assert len(shared) > 100
    for rid in shared:
        assert big_by_id[rid] == recent_by_id[rid]  # the very same row, twice
        assert "2026-10-19" <= big_by_id[rid]["RecordedDate"][:10] <= "2026-11-01"
    assert max(r["RecordedDate"] for r in big) < "2026-11-02"
    assert min(r["RecordedDate"] for r in recent) >= "2026-10-19"
    assert max(r["RecordedDate"] for r in recent) < "2026-11-16"


def test_surveymonkey_layout() -> None:
    rows = read_surveymonkey()
    h1, h2, data = rows[0], rows[1], rows[2:]
    assert h1[:9] == (
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
    )
    assert "How likely is it that you would recommend us to a friend or colleague?" in h1
    assert h2[:9] == (None,) * 9 and h2[9:] == ("Response",) * 4 + ("Open-Ended Response",)
    assert 650 <= len(data) <= 780
    assert len({r[0] for r in data}) == len(data)
    nps_col = h1.index("How likely is it that you would recommend us to a friend or colleague?")
    for r in data:
        assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2} [AP]M", r[2])
        value = r[nps_col]
        if isinstance(value, str):
            assert value in ("10 - Extremely likely", "0 - Not at all likely")
        score = sm_score(value)
        assert score is None or 0 <= score <= 10
    assert {r[9] for r in data} == {"Northside", "Westview"}
    # a comment that starts with "=" is stored as text, not as a formula
    formula_like = [t for r in surveymonkey_cells()[2:] for v, t in r if isinstance(v, str) and v[:1] == "="]
    assert formula_like and all(t == "s" for t in formula_like)


def test_delighted_layout_and_offsets() -> None:
    raw = (SAMPLE / "delighted_export.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = read_delighted()
    assert list(rows[0]) == [
        "Response ID",
        "Score",
        "Comment",
        "Created at",
        "Location",
        "Department",
        "Provider",
        "Patient Name",
        "Email",
        "Phone",
        "Patient ID",
    ]
    assert len({r["Response ID"] for r in rows}) == len(rows)
    assert all(0 <= int(r["Score"]) <= 10 for r in rows)
    assert {r["Location"] for r in rows} == {"Downtown", "Eastgate", "Northside", "Westview"}
    try:
        from zoneinfo import ZoneInfo

        chicago = ZoneInfo("America/Chicago")
    except Exception:  # no tz database on this machine
        chicago = None
    for r in rows:
        created = datetime.fromisoformat(r["Created at"])
        assert "2026-10-12" <= r["Created at"][:10] <= "2026-11-15"
        if chicago is not None:
            assert created.utcoffset() == created.replace(tzinfo=None).replace(tzinfo=chicago).utcoffset()
    offsets = {r["Created at"][-6:] for r in rows}
    assert offsets == {"-05:00", "-06:00"}  # DST ends inside the file (2026-11-01)


def _all_unique_responses() -> list[dict]:
    """Scored patient responses of every file (location, local day, score, comment, patient id, email),
    the rows both Qualtrics pulls hold counted once."""
    out: dict[str, dict] = {}
    for name in ("qualtrics_export.csv", "qualtrics_week16.csv"):
        for r in read_qualtrics(name)[1]:
            if r["Status"] != "IP Address" or r["Q1"] == "":
                continue
            out["Q" + r["ResponseId"]] = dict(
                location=r["Clinic"],
                day=date.fromisoformat(r["StartDate"][:10]),
                score=int(r["Q1"]),
                comment=r["Q2"],
                pid=r["ExternalReference"],
                email=r["RecipientEmail"],
            )
    for r in read_delighted():
        out["D" + r["Response ID"]] = dict(
            location=r["Location"],
            day=date.fromisoformat(r["Created at"][:10]),
            score=int(r["Score"]),
            comment=r["Comment"],
            pid=r["Patient ID"],
            email=r["Email"],
        )
    for r in read_surveymonkey()[2:]:
        if r[10] is None:
            continue
        out[f"S{r[0]}"] = dict(
            location=r[9],
            day=datetime.strptime(r[2], "%m/%d/%Y %I:%M:%S %p").date(),
            score=sm_score(r[10]),
            comment=r[13] or "",
            pid="",
            email=r[5] or "",
        )
    return list(out.values())


def test_planted_eastgate_billing_spike() -> None:
    by_week = Counter(
        week_of(r["day"])
        for r in _all_unique_responses()
        if r["location"] == "Eastgate" and r["score"] <= 6 and BILLING_RE.search(r["comment"])
    )
    assert 6 <= by_week[16] <= 8  # 2026-11-09..15
    assert by_week[15] <= 1
    assert all(by_week[w] <= 1 for w in range(1, 16))
    assert date(2026, 11, 9) + timedelta(days=6) == date(2026, 11, 15) and week_of(date(2026, 11, 9)) == 16


def test_recovered_patients_and_comment_features() -> None:
    responses = _all_unique_responses()
    by_patient: dict[str, list[dict]] = {}
    for r in responses:
        key = r["pid"] or r["email"]
        if key:
            by_patient.setdefault(key, []).append(r)
    recovered = [
        rs
        for rs in by_patient.values()
        if any(a["score"] <= 6 and b["score"] >= 9 and b["day"] > a["day"] for a in rs for b in rs)
    ]
    assert len(recovered) >= 5
    comments = [r["comment"] for r in responses if r["comment"]]
    share = len(comments) / len(responses)
    assert 0.33 < share < 0.47
    joined = "\n".join(comments)
    for needle in ("José", "Müller", "cañón", '"', "no wait at all"):
        assert needle.lower() in joined.lower(), needle
    assert sum("\n" in c for c in comments) >= 20
    assert any(c.startswith("=") for c in comments) and any(c.startswith("-") for c in comments)
    assert sum(bool(re.search(r"555[ .-]?01\d\d", c)) for c in comments) >= 3
    assert sum(bool(re.search(r"[\w.]+@example\.(com|org)", c)) for c in comments) >= 2
    spanish = sum(bool(re.search(r"\b(el|la|me|nadie|muy|fue|tuve)\b", c, re.IGNORECASE)) for c in comments)
    assert 0.05 < spanish / len(comments) < 0.16


@pytest.fixture(scope="module")
def bench_outputs(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    """Three bench/generate.py runs in parallel: a CSV twice with the same seed, and a small XLSX."""
    tmp = tmp_path_factory.mktemp("bench")
    jobs = {
        "csv": (tmp / "data" / "r.csv", ["--rows", "2000", "--seed", "7"]),
        "csv_again": (tmp / "again.csv", ["--rows", "2000", "--seed", "7"]),
        "xlsx": (tmp / "r.xlsx", ["--format", "xlsx", "--rows", "300"]),
    }
    procs = {
        key: subprocess.Popen(
            [sys.executable, str(BENCH), *args, "--out", str(path)],
            cwd=tmp,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key, (path, args) in jobs.items()
    }
    out = {}
    for key, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 0, stderr
        out[key] = (jobs[key][0], stdout)
    return out


def test_bench_generator_csv(bench_outputs) -> None:
    out, stdout = bench_outputs["csv"]
    assert "2000 rows" in stdout and str(out.stat().st_size) in stdout
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2000
    assert list(rows[0]) == [
        "Response ID",
        "Score",
        "Comment",
        "Created at",
        "Location",
        "Department",
        "Provider",
        "Patient Name",
        "Email",
        "Phone",
        "Patient ID",
    ]
    bench = _load(BENCH, "_bench_generate")
    assert len(bench.LOCATIONS) == 50 and len(bench.DEPARTMENTS) == 12
    locations = {r["Location"] for r in rows}
    assert locations <= set(bench.LOCATIONS) and len(locations) >= 40
    assert len({r["Response ID"] for r in rows}) == 2000
    scores = [int(r["Score"]) for r in rows]
    assert all(0 <= s <= 10 for s in scores)
    assert 0.15 < sum(s <= 6 for s in scores) / 2000 < 0.35
    assert 0.33 < sum(bool(r["Comment"]) for r in rows) / 2000 < 0.47
    assert any("\n" in r["Comment"] for r in rows) and any('"' in r["Comment"] for r in rows)
    placement: dict[str, tuple[str, str]] = {}
    for r in rows:  # every provider works at one location, in one department
        where = (r["Location"], r["Department"])
        assert placement.setdefault(r["Provider"], where) == where
    created = [datetime.fromisoformat(r["Created at"]) for r in rows]
    assert all(c.utcoffset() in (timedelta(hours=-5), timedelta(hours=-6)) for c in created)
    assert created == sorted(created)
    assert created[0].date() >= date(2024, 11, 16) and created[-1].date() <= date(2026, 11, 15)
    assert bench_outputs["csv_again"][0].read_bytes() == out.read_bytes()  # same seed, same bytes


def test_bench_generator_xlsx(bench_outputs) -> None:
    out, _ = bench_outputs["xlsx"]
    rows = _xlsx_cells(out)
    assert [v for v, _ in rows[0][:4]] == ["Response ID", "Score", "Comment", "Created at"]
    assert len(rows) == 301
    assert all(t != "f" for r in rows for _, t in r)  # comments starting with "=" stay text
