"""Whole-row keys (npscli.io.keys): a duplicate is the same response seen twice, never a similar one.

Properties over generated exports without a response id: rows that differ in any cell are never merged; the same
file imported twice, and two overlapping exports of one survey, count each response once (a real SQLite store).
"""

from __future__ import annotations

import csv
import tempfile
from collections import defaultdict
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from npscli.config import TicketSettings
from npscli.io.exports import ReadOptions, read_export
from npscli.io.keys import ORDINARY_MIN_ROWS
from npscli.store.engine import open_store
from npscli.store.responses import import_parsed

HEADER = ["Submitted", "How likely are you to recommend us?", "Clinic", "Comment"]

# Few values per column, so that generated rows often agree in most cells and sometimes in all of them.
cells = st.tuples(
    st.sampled_from([f"2025-07-0{day} 10:{minute:02d}:{second:02d}" for day in (1, 2) for minute in (0, 1)
                     for second in (0, 30)]),
    st.integers(0, 10).map(str),
    st.sampled_from(["Elm Street", "Harbor View", ""]),
    st.sampled_from(["", "Long wait", "long wait", "Long  wait", "Great care", "Great care."]),
)  # fmt: skip


# The keys are under test, not the choice of the score column: a generated file whose few scores all fall in 1-5
# (or are two-valued) is rightly refused as not a 0-10 question, so the score column is named, as `--map
# score=... --no-scale-check` would.
NAMED = ReadOptions(overrides={"score": HEADER[1]}, scale_check=False)


def read(path: Path):
    return read_export(path, NAMED)


def write(folder: Path, name: str, rows: list[tuple[str, ...]]) -> Path:
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def keys_of(path: Path) -> list[str]:
    records = read(path).records
    assert len(records) == sum(1 for _ in path.open(encoding="utf-8")) - 1  # no row lost on the way
    return records["response_key"].tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(cells, min_size=1, max_size=40))
def test_rows_that_differ_in_any_cell_are_never_merged(rows):
    with tempfile.TemporaryDirectory() as folder:
        keys = keys_of(write(Path(folder), "export.csv", rows))
    contents = defaultdict(set)
    for key, row in zip(keys, rows, strict=True):
        contents[key].add(row)
    assert all(len(rows_of_key) == 1 for rows_of_key in contents.values())  # one key never covers two rows
    if len(rows) < ORDINARY_MIN_ROWS:  # a small file: identical rows are one response
        assert len(set(keys)) == len(set(rows))


def store_import(store, path: Path):
    return import_parsed(store, read(path), source="survey", actor="test", tickets=TicketSettings())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    responses=st.lists(cells, min_size=1, max_size=30, unique=True),
    cut=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    repeats=st.lists(st.integers(0, 29), max_size=5),
)
def test_the_same_file_twice_and_overlapping_exports_count_each_response_once(responses, cut, repeats):
    """Two weekly pulls of one survey overlap: the first holds responses[:end], the second responses[start:]."""
    start, end = sorted(int(fraction * len(responses)) for fraction in cut)
    end, start = max(end, 1), min(start, len(responses) - 1)  # neither pull is empty
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        store = open_store(str(here / "store.db"))
        try:
            first = store_import(store, write(here, "week1.csv", responses[:end]))
            second = store_import(store, write(here, "week2.csv", responses[start:]))
            assert first.imported + second.imported == len(responses)
            assert second.duplicates == max(0, end - start)
            for result in (first, second):
                assert result.rows_read == result.imported + result.duplicates + result.skipped + result.excluded
            # A file with rows repeated in it, imported twice: the first time it adds only the identical rows
            # kept as separate responses (ordinary rows of a large enough file), the second time nothing.
            doubled = responses + [responses[i % len(responses)] for i in repeats]
            path = write(here, "again.csv", doubled)
            kept = read(path).kept_identical
            again = [store_import(store, path) for _ in range(2)]
            assert [result.imported for result in again] == [kept, 0]
            assert again[1].duplicates == len(doubled)
        finally:
            store.dispose()


def test_a_question_added_to_the_survey_later_changes_no_older_key(tmp_path):
    """The next week's export has a new column (blank for the older responses) and its columns in another order:
    the older responses are still the same responses."""
    old = write(tmp_path, "week1.csv", [("2025-07-01 10:00:00", "9", "Elm Street", "Great care")])
    with (tmp_path / "week2.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Comment", "Clinic", "Parking?", *HEADER[:2]])
        writer.writerow(["Great care", "Elm Street", "", "2025-07-01 10:00:00", "9"])
        writer.writerow(["Great care", "Elm Street", "Easy", "2025-07-01 10:00:00", "9"])
    keys = keys_of(tmp_path / "week2.csv")
    assert keys[0] == keys_of(old)[0]
    assert keys[1] != keys[0]  # an answer to the new question: another response
