"""`score FILE`'s narrow read (ReadOptions.narrow): after the first chunk only the columns the records need are
read as text. Whatever the rows, it gives what the whole read gives, or reads the file whole."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npscli.core.fields import GROUP_FIELDS
from npscli.io import exports
from npscli.io.exports import ReadOptions, open_export, read_export
from npscli.io.readers import read_table
from npscli.io.records import join_records

HEADER = "Response ID,Date,Score,Comment,Location,Email"
NARROW = ReadOptions(fields=GROUP_FIELDS, checksum=False, date_required=False, narrow=True)
WIDE = ReadOptions(fields=GROUP_FIELDS, checksum=False, date_required=False)


def _row(i: int) -> str:
    return f"R{i},2025-03-{i % 28 + 1:02d} 10:00,{i % 11},fine visit {i},Clinic {'AB'[i % 2]},p{i}@example.org"


# Rows that a narrow read cannot judge by the columns it keeps, and ordinary messy rows it can.
ODD_ROWS = {
    "blank line": "",
    "delimiters only": ",,,,,",
    "spaces only": "  , ,  ,   ,  , ",
    "a no-break space": ",,,\u00a0,,",
    "only a comment": ",,,a comment and nothing else,,",
    "a comment starting with an accent": ",,,épouvantable,,",
    "a comment starting with a space": ",,, late again,,",
    "no response id": ",2025-03-02 09:00,3,no id here,Clinic A,x@example.org",
    "a field too many": "R900,2025-03-02 09:00,3,waited, and waited,Clinic A,y@example.org",
    "twenty fields too many": "R905,2025-03-02 09:00,3,long" + ",y" * 20,  # (the reader widens and reads again)
    "a bad score": "R901,2025-03-02 09:00,eleven,bad,Clinic A,",
    "a bad date": "R902,not a date,5,bad date,Clinic B,",
    "a quoted newline": 'R903,2025-03-02 09:00,2,"two\nlines",Clinic B,',
    "a duplicate id": "R1,2025-03-02 09:00,2,again,Clinic B,",
    "a blank score": "R904,2025-03-02 09:00,,nothing,Clinic B,",
}


def _write(tmp_path: Path, lines: list[str], name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _same(narrow, wide) -> None:
    assert narrow.records.equals(wide.records)
    assert [(i.row, i.outcome, i.reason, i.column) for i in narrow.issues] == [
        (i.row, i.outcome, i.reason, i.column) for i in wide.issues
    ]
    assert narrow.rows_read == wide.rows_read
    assert (narrow.kept_identical, narrow.mapping) == (wide.kept_identical, wide.mapping)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(sorted(ODD_ROWS)), max_size=6), st.randoms(use_true_random=False))
def test_the_narrow_read_gives_what_the_whole_read_gives_whatever_the_rows(tmp_path, monkeypatch, odd, rnd):
    lines = [_row(i) for i in range(1, 40)]
    for kind in odd:  # anywhere, the first chunk (read whole) or the later ones (read narrow)
        lines.insert(rnd.randrange(len(lines) + 1), ODD_ROWS[kind])
    path = _write(tmp_path, lines)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 8)
    _same(read_export(path, NARROW), read_export(path, WIDE))


def test_a_clean_file_is_read_narrow_to_the_end(tmp_path, monkeypatch):
    path = _write(tmp_path, [_row(i) for i in range(1, 40)])
    monkeypatch.setattr(exports, "CHUNK_ROWS", 8)
    stream = open_export(path, NARROW)
    assert stream.narrow
    records = pd.concat(list(stream.chunks()), ignore_index=True)
    assert records["response_id"].tolist() == [f"R{i}" for i in range(1, 40)]
    assert records["location"].tolist() == [f"Clinic {'AB'[i % 2]}" for i in range(1, 40)]
    assert records["email"].isna().all()  # (a field scoring does not build)
    assert not open_export(path, WIDE).narrow


def test_a_later_row_that_may_be_blank_makes_the_narrow_read_give_way_to_the_whole_one(tmp_path, monkeypatch):
    lines = [_row(i) for i in range(1, 40)]
    lines.insert(30, ODD_ROWS["a no-break space"])  # blank once stripped: only its whole cells tell
    path = _write(tmp_path, lines)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 8)
    stream = open_export(path, NARROW)
    with pytest.raises(exports.WholeRowsNeeded):
        list(stream.chunks())
    parsed = read_export(path, NARROW)
    assert parsed.rows_read == 39 and len(parsed.records) == 39  # the blank row is no row


@pytest.mark.parametrize("kind", ["no response id", "a field too many", "spaces only", "only a comment"])
def test_each_row_a_narrow_read_cannot_judge_is_judged_as_the_whole_read_does(tmp_path, monkeypatch, kind):
    lines = [_row(i) for i in range(1, 40)]
    lines.insert(25, ODD_ROWS[kind])
    path = _write(tmp_path, lines)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 8)
    narrow, wide = read_export(path, NARROW), read_export(path, WIDE)
    _same(narrow, wide)
    assert narrow.rows_read == (39 if kind == "spaces only" else 40)  # (a row of spaces is no row)


def test_the_narrow_chunks_keep_the_first_byte_of_the_other_columns(tmp_path):
    path = _write(tmp_path, [_row(i) for i in range(1, 10)] + [",,,,,", ",,,\u00e9t\u00e9,,"])
    raw = read_table(path, chunk_rows=4).narrowed(frozenset({0, 2}))
    later = pd.concat(list(raw.more()))
    assert later.index.tolist() == list(range(4, 12))  # (raw rows: the header is row 0)
    assert later[0].tolist() == [f"R{i}" for i in range(4, 10)] + ["", ""]
    assert later[3].tolist() == [b"f"] * 6 + [b"", "\u00e9".encode()[:1]]
    assert later[5].dtype.kind == "S" and later[6].tolist() == [b""] * 8  # (the spare columns past the header)


def test_joining_records_column_by_column_is_pd_concat():
    rng = np.random.default_rng(7)
    frames = []
    for n in (5, 0, 3):
        frames.append(
            pd.DataFrame(
                {
                    "row": pd.Series(rng.integers(0, 99, n), dtype="int64"),
                    "text": pd.Series([None if x % 3 == 0 else f"t{x}" for x in rng.integers(0, 9, n)], dtype=object),
                    "when": pd.Series(pd.to_datetime(rng.integers(0, 10**9, n), unit="s"), dtype="datetime64[ns]"),
                }
            )
        )
    assert join_records(frames).equals(pd.concat(frames, ignore_index=True))
    mixed = [frames[0], frames[2].astype({"row": "float64"})]  # dtypes that differ: pandas' own rules
    assert join_records(mixed).equals(pd.concat(mixed, ignore_index=True))


_ROOT = Path(__file__).resolve().parents[2] / "data"
_CSVS = sorted(
    path
    for folder in ("real-exports", "exports", "legacy")
    for path in (_ROOT / folder).glob("*")
    if path.suffix.lower() in (".csv", ".tsv") and path.stat().st_size > 0
)


@pytest.mark.parametrize("path", _CSVS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_export_we_hold_reads_the_same_narrow_in_five_chunks_or_more(path, monkeypatch):
    """Real layouts (Qualtrics' three header rows, SurveyMonkey's two, BOMs, semicolons, Windows-1252...): the
    narrow read of each file in chunks of a fifth of its lines (seven rows at least) gives what the whole read
    gives, or the same error."""
    monkeypatch.setattr(exports, "CHUNK_ROWS", max(7, path.read_bytes().count(b"\n") // 5))

    def outcome(options):
        try:
            return read_export(path, options)
        except Exception as error:  # noqa: BLE001 - the same error either way is the point
            return f"{type(error).__name__}: {error}"

    narrow, wide = outcome(NARROW), outcome(WIDE)
    if isinstance(wide, str):
        assert narrow == wide
    else:
        _same(narrow, wide)


def test_the_layouts_with_response_ids_are_read_narrow(monkeypatch):
    """(So that the test above compares two different reads: these files have ids and more than one chunk.)"""
    monkeypatch.setattr(exports, "CHUNK_ROWS", 7)
    for name in ("qualtrics_nps.csv", "qualtrics_legacy_nps.csv", "surveymonkey.csv", "typeform.csv"):
        stream = open_export(_ROOT / "exports" / name, NARROW)
        assert stream.narrow, name
        assert sum(len(chunk) for chunk in stream.chunks()) > 0
