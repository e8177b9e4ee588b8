"""A large export is read, parsed and stored a chunk at a time, with the same outcome as reading it whole.

CHUNK_ROWS is made tiny here so that a file of a few dozen rows spans several chunks; every whole-file
rule must still hold: one day/month order for the file, the 1-5 scale check over all of it, duplicates
across chunks, --strict, and an error anywhere in the file leaving the store exactly as it was.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from npscli.config import TicketSettings
from npscli.core.errors import ColumnError, InputFileError, RowError
from npscli.io import exports
from npscli.io.exports import ReadOptions, open_export, read_export
from npscli.store import group_labels, schema
from npscli.store.engine import open_store
from npscli.store.maintenance import table_counts
from npscli.store.responses import dry_run_result, import_parsed

HEADER = ["Response ID", "Date", "Score", "Comment", "Clinic"]


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def rows(count: int, date=lambda i: f"2025-07-{1 + i % 28:02d} 10:{i % 60:02d}", score=lambda i: str(i % 11)):
    return [[f"R{i}", date(i), score(i), f"comment {i}" if i % 3 else "", f"Clinic {i % 4}"] for i in range(count)]


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_ROWS", 7)


def store_import(store, path, options=ReadOptions()):
    return import_parsed(store, open_export(path, options), source="s", actor="t", tickets=TicketSettings())


def test_chunked_reading_gives_exactly_what_whole_reading_gives(tmp_path, monkeypatch):
    data = rows(50)
    data[9][2] = "eleven"  # rejected, in the second chunk
    data[23][2] = ""  # skipped
    data[40] = ["", "", "", "", ""]  # a blank line: not a data row
    path = write(tmp_path / "big.csv", data)
    whole = read_export(path)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 7)
    chunked = read_export(path)
    assert chunked.records.equals(whole.records)
    assert chunked.issues == whole.issues and [i.row for i in chunked.issues] == [11, 25]
    assert chunked.rows_read == whole.rows_read == 49 == len(chunked.records) + len(chunked.issues)
    assert chunked.rejected_cells.equals(whole.rejected_cells)


def test_a_chunked_import_stores_every_row_once_and_counts_duplicates_across_chunks(tmp_path, small_chunks):
    data = rows(30)
    data.append(list(data[2]))  # the same response again, chunks later
    data.append(list(data[20]))
    path = write(tmp_path / "dupes.csv", data)
    store = open_store(str(tmp_path / "s.db"))
    result = store_import(store, path)
    assert (result.rows_read, result.imported, result.duplicates) == (32, 30, 2)
    assert result.tickets_opened == sum(1 for r in data[:30] if int(r[2]) <= 6)
    assert table_counts(store)["responses"] == 30
    again = store_import(store, path)
    assert (again.imported, again.duplicates, again.tickets_opened) == (0, 32, 0)
    with store.read() as conn:
        batch = conn.execute(select(schema.import_batches).order_by(schema.import_batches.c.id)).mappings().first()
    assert (batch["rows_read"], batch["imported"], batch["duplicates"]) == (32, 30, 2)
    # the dry run reads the same way
    dry = dry_run_result(store, open_export(path), source="s")
    assert (dry.imported, dry.duplicates) == (0, 32)
    store.dispose()


def test_a_later_chunk_proving_day_first_settles_the_order_for_the_whole_file(tmp_path, small_chunks):
    # rows 0-29 read either way (03/04/2025); row 30 proves day-first (25/04/2025)
    data = rows(30, date=lambda i: f"{1 + i % 12:02d}/04/2025 10:00") + [["R30", "25/04/2025 10:00", "9", "", "C"]]
    path = write(tmp_path / "dayfirst.csv", data)
    parsed = read_export(path, ReadOptions(default_dayfirst=False))
    months = {stamp.month for stamp in parsed.records["submitted_at"]}
    assert months == {4}  # every row read day-first, not only the chunk that proved it


def test_chunks_proving_both_orders_are_refused_and_nothing_is_stored(tmp_path, small_chunks):
    data = rows(20, date=lambda i: "25/04/2025 10:00") + rows(20, date=lambda i: "04/25/2025 10:00")
    path = write(tmp_path / "mixed.csv", data)
    store = open_store(str(tmp_path / "s.db"))
    with pytest.raises(ColumnError, match="mixes day-first and month-first"):
        store_import(store, path)
    assert table_counts(store)["responses"] == 0 and table_counts(store)["import_batches"] == 0
    store.dispose()


def test_a_bad_line_far_down_the_file_leaves_the_store_as_it_was(tmp_path, small_chunks):
    store = open_store(str(tmp_path / "s.db"))
    store_import(store, write(tmp_path / "first.csv", rows(10)))
    before = table_counts(store)
    path = write(tmp_path / "broken.csv", rows(100))  # past the lines the delimiter sniffer reads
    with path.open("a", encoding="utf-8") as handle:
        handle.write("R999,2025-07-01,9" + ",x" * 300 + "\n")  # hundreds of fields: a broken file
    with pytest.raises(InputFileError, match="broken.csv: line 102 has 303 comma-separated fields"):
        store_import(store, path)
    assert table_counts(store) == before
    store.dispose()


def test_strict_counts_every_rejected_row_of_the_file_and_stores_nothing(tmp_path, small_chunks):
    data = rows(40)
    for i in (3, 20, 35):
        data[i][2] = "11"
    store = open_store(str(tmp_path / "s.db"))
    with pytest.raises(RowError, match=r"row 5, column 'Score'.*--strict: 3 rejected row\(s\), nothing imported"):
        store_import(store, write(tmp_path / "strict.csv", data), ReadOptions(strict=True))
    assert table_counts(store)["responses"] == 0
    store.dispose()


def test_the_scale_check_looks_at_the_whole_file(tmp_path, small_chunks):
    one_to_five = rows(30, score=lambda i: str(1 + i % 5))
    with pytest.raises(ColumnError, match="looks like a 1-5 scale"):
        read_export(write(tmp_path / "csat.csv", one_to_five))
    # 1-5 in the first chunks, a 9 further down: a 0-10 column after all
    nps = one_to_five + [["R99", "2025-07-01 10:00", "9", "", "C"]]
    assert len(read_export(write(tmp_path / "nps.csv", nps)).records) == 31


def test_rejected_rows_of_every_chunk_reach_the_rejects_file(tmp_path, small_chunks):
    data = rows(30)
    for i in (1, 15, 29):
        data[i][2] = "ten"
    export = open_export(write(tmp_path / "r.csv", data))
    list(export.chunks())
    target = tmp_path / "rejects.csv"
    assert exports.write_rejects(export, target) == 3
    with target.open(encoding="utf-8-sig") as handle:
        lines = list(csv.reader(handle))
    assert [line[0] for line in lines[1:]] == ["3", "17", "31"]
    assert [line[3] for line in lines[1:]] == ["R1", "R15", "R29"]


def test_memory_per_chunk_not_per_file(tmp_path, small_chunks):
    """The stream holds one chunk of cells at a time: its raw table never has more than CHUNK_ROWS rows."""
    export = open_export(write(tmp_path / "m.csv", rows(50)))
    sizes = [len(records) for records in export.chunks()]
    assert len(sizes) >= 7 and max(sizes) <= 7 and sum(sizes) == 50
    assert len(export._raw.cells) <= 7


INDEX_NAMES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses'",
    "postgresql": "SELECT indexname FROM pg_indexes WHERE tablename = 'responses'",
}


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_first_big_load_rebuilds_the_indexes_and_a_failed_one_keeps_them(request, tmp_path, monkeypatch, backend):
    """A file larger than the store drops the secondary indexes for the load and builds them again in the same
    transaction; a load that fails half-way leaves every index in place."""
    from npscli.store import responses

    monkeypatch.setattr(responses, "BULK_LOAD_MIN_ROWS", 10)
    monkeypatch.setattr(exports, "CHUNK_ROWS", 7)
    url = str(tmp_path / "s.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    store = open_store(url)

    def index_names():
        with store.read() as conn:
            return set(conn.exec_driver_sql(INDEX_NAMES[store.dialect]).scalars())

    before = index_names()
    assert {index.name for index in schema.responses.indexes} <= before
    result = store_import(store, write(tmp_path / "big.csv", rows(60)))
    assert result.imported == 60 and index_names() == before
    with store.read() as conn:  # the rebuilt indexes answer queries
        clinic_1 = group_labels.matching("location", ["Clinic 1"])
        assert conn.execute(select(func.count()).where(clinic_1)).scalar_one() == 15
    data = rows(200)
    data[150][2] = "eleven"
    with pytest.raises(RowError):
        import_parsed(
            store,
            open_export(write(tmp_path / "bigger.csv", data), ReadOptions(strict=True)),
            source="t",
            actor="t",
            tickets=TicketSettings(),
        )
    assert index_names() == before and table_counts(store)["responses"] == 60
    store.dispose()


def test_an_interrupt_while_the_indexes_are_rebuilt_stays_an_interrupt_and_keeps_the_store(tmp_path, monkeypatch):
    """Ctrl-C during a large import's index rebuild: the interrupt itself reaches the CLI (not a
    PendingRollbackError from the clean-up, which would be reported as an internal error)."""
    from sqlalchemy import event

    from npscli.store import responses

    monkeypatch.setattr(responses, "BULK_LOAD_MIN_ROWS", 10)
    store = open_store(str(tmp_path / "store.db"))
    before = table_counts(store)

    def interrupt(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("CREATE INDEX"):
            raise KeyboardInterrupt  # as Ctrl-C would, in the middle of the rebuild

    event.listen(store.engine, "before_cursor_execute", interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            store_import(store, write(tmp_path / "big.csv", rows(60)))
    finally:
        event.remove(store.engine, "before_cursor_execute", interrupt)
    assert table_counts(store) == before


def test_sqlite_multi_row_insert_stores_what_the_portable_path_stores(tmp_path, monkeypatch):
    """SQLite inserts 49 rows per statement (then the rest one by one): the same rows, ids and values as the
    portable row-at-a-time path, with keys already stored skipped row by row inside a statement."""
    from datetime import UTC, datetime, timedelta

    from tests.storefill import fill

    from npscli.store import responses

    start = datetime(2025, 7, 1, 9, 30, 15, 123456, tzinfo=UTC)
    texts = ["Clinic A", "", None, float("nan"), "  padded  ", 'Ünïcode — "q"\nline']
    data = [
        {
            "response_id": f"R{i}",
            "submitted_at": start + timedelta(hours=7 * i, microseconds=i),
            "score": i % 11,
            "comment": texts[i % len(texts)],
            "location": texts[(i + 1) % len(texts)],
            "email": f"p{i}@example.org" if i % 4 else None,
        }
        for i in range(130)
    ]
    every = {}
    for name, portable in (("sqlite", False), ("portable", True)):
        store = open_store(str(tmp_path / f"{name}.db"))
        with monkeypatch.context() as patch:
            if portable:
                patch.setattr(store.engine.dialect, "name", "portable")
            first = fill(store, data[40:70])  # 30 keys already stored when the 130 rows come
            again = fill(store, data)
        assert (first.imported, again.imported, again.duplicates) == (30, 100, 30)
        with store.read() as conn:
            stored = conn.execute(select(schema.responses).order_by(schema.responses.c.id)).all()
            types = conn.exec_driver_sql("SELECT typeof(submitted_at), typeof(score) FROM responses").all()
            every[name] = (stored, types)
        store.dispose()
    assert responses.SQLITE_ROWS_PER_STATEMENT * 2 < 100  # two whole statements and a remainder
    assert every["sqlite"] == every["portable"]
    assert [row.response_id for row in every["sqlite"][0][30:]] == [f"R{i}" for i in range(130) if not 40 <= i < 70]


_CELLS = st.one_of(
    st.text(max_size=6),
    st.just(""),
    st.none(),
    st.just(float("nan")),
    st.just("NA_MARKER"),  # replaced by pandas.NA below (hypothesis cannot hash it into a strategy)
    st.integers(-5, 5),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_CELLS, max_size=12), st.booleans())
def test_the_text_values_stored_follow_the_per_value_rule(cells, as_str_dtype):
    """``_nullable`` (a fast path for columns of str and None) gives what the per-value rule gives: None for
    None, NaN, NA and "", str for anything else, for object and pandas' str columns."""
    import pandas as pd

    from npscli.store.responses import _nullable

    values = [pd.NA if v == "NA_MARKER" else v for v in cells]
    series = pd.Series(values, dtype=object)
    if as_str_dtype:
        series = series.astype("str")  # pandas' own text column (missing values NaN)

    def rule(v):
        return None if v is None or v is pd.NA or v != v or v == "" else (v if type(v) is str else str(v))

    expected = [rule(v) for v in series.tolist()]
    got = _nullable(series)
    assert got == expected and [type(v) for v in got] == [type(v) for v in expected]


@pytest.fixture(scope="module")
def labels_store(tmp_path_factory):
    store = open_store(str(tmp_path_factory.mktemp("labels") / "labels.db"))
    yield store
    store.dispose()


@settings(max_examples=60, deadline=None)
@given(st.lists(_CELLS, max_size=12), st.lists(_CELLS, max_size=12), st.booleans())
def test_the_group_ids_stored_name_what_the_per_value_rule_makes_of_each_value(
    labels_store, first, second, as_str_dtype
):
    """``_label_ids`` (the column factorized as it is, the rule applied to its distinct values, the ids kept
    between the pieces of one transaction) stores for each value the id of the name ``_nullable`` gives it:
    None for None, NaN, NA and "", one id for ``5`` and ``"5"``, and the same id in the second piece."""
    import pandas as pd

    from npscli.store.responses import _label_ids, _nullable

    def column(cells):
        series = pd.Series([pd.NA if v == "NA_MARKER" else v for v in cells], dtype=object)
        return series.astype("str") if as_str_dtype else series

    known: dict[str, int] = {}
    with labels_store.write() as conn:
        pieces = [(column(cells), _label_ids(conn, "location", column(cells), known)) for cells in (first, second)]
        names = group_labels.names(conn, ["location"])
    for series, ids in pieces:
        assert [None if i is None else names[i] for i in ids.tolist()] == _nullable(series)
    assert all(names[i] == name for name, i in known.items())
