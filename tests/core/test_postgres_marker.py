"""`pytest -m "not postgres"` runs no PostgreSQL test (issue 16).

Tests reach PostgreSQL through the ``postgres_server``/``pg_url`` fixtures (marked automatically by
tests/conftest.py) or through a fixture parametrized over backends that calls
``request.getfixturevalue("pg_url")`` (its "postgres" param must carry the marker). The first test collects the
whole suite (in make test the session's own items, else afresh in a subprocess with ``-m "not postgres"``) and
looks at every item kept and dropped; the second runs the real
conftest on a small suite and shows that a test reaching PostgreSQL without the marker fails at once, before any
server is started, while the marked ones are deselected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
PG_FIXTURES = {"_postgres_cluster", "postgres_server", "pg_url"}

COLLECT = """
import json, sys
import pytest

sys.path.insert(0, sys.argv[2])
from test_postgres_marker import _describe

class Collector:
    selected, deselected = [], []

    def pytest_deselected(self, items):
        self.deselected += [_describe(i) for i in items]

    def pytest_collection_finish(self, session):
        self.selected = [_describe(i) for i in session.items]

collector = Collector()
code = pytest.main(sys.argv[3:], plugins=[collector])
with open(sys.argv[1], "w") as fh:
    json.dump({"code": int(code), "selected": collector.selected, "deselected": collector.deselected}, fh)
"""


def _describe(item) -> dict:
    callspec = getattr(item, "callspec", None)
    params = {k: v for k, v in callspec.params.items() if isinstance(v, str)} if callspec else {}
    return {"id": item.nodeid, "fixtures": list(getattr(item, "fixturenames", ())), "params": params}


def _uses_postgres(item: dict) -> bool:
    return bool(PG_FIXTURES & set(item["fixtures"])) or "postgres" in item["params"].values()


def _collect_not_postgres(tmp_path: Path) -> tuple[list[dict], list[dict]]:
    """The items a `pytest -m "not postgres"` run of the whole suite keeps and drops, collected afresh."""
    out = tmp_path / "items.json"
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", "-p", "no:xdist", "-m", "not postgres", str(TESTS)]
    done = subprocess.run(
        [sys.executable, "-c", COLLECT, str(out), str(Path(__file__).parent), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.exists(), done.stdout[-2000:] + done.stderr[-2000:]
    found = json.loads(out.read_text())
    assert found["code"] == 0, done.stdout[-2000:]
    return found["selected"], found["deselected"]


def test_not_postgres_collects_no_test_that_uses_postgresql(tmp_path, collected_items):
    if {Path(i.path) for i in collected_items} >= set(TESTS.rglob("test_*.py")):
        # this session collected the whole suite (make test): read its items, as `-m "not postgres"` would;
        # the markers are all there, for the hook that adds them runs before any deselection
        kept = [_describe(i) for i in collected_items if i.get_closest_marker("postgres") is None]
        dropped = [_describe(i) for i in collected_items if i.get_closest_marker("postgres") is not None]
    else:  # a run of a few files: collect the whole suite with -m "not postgres" in a fresh process
        kept, dropped = _collect_not_postgres(tmp_path)
    assert len(kept) > 1000  # the suite was collected, not an empty folder
    assert [i["id"] for i in kept if _uses_postgres(i)] == []
    # both ways of reaching PostgreSQL are dropped: the fixture by name and the backend parameter
    assert any(PG_FIXTURES & set(i["fixtures"]) for i in dropped)
    assert any(i["params"].get("db") == "postgres" for i in dropped)
    assert [i["id"] for i in dropped if not _uses_postgres(i)] == []


SMALL_SUITE = """
import pytest

@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def marked(request):
    return request.getfixturevalue("pg_url") if request.param == "postgres" else "sqlite"

@pytest.fixture(params=["sqlite", "postgres"])
def unmarked(request):
    return request.getfixturevalue("pg_url") if request.param == "postgres" else "sqlite"

def test_marked(marked):
    assert marked

def test_unmarked(unmarked):
    assert unmarked

def test_pg_url_directly(pg_url):
    assert pg_url
"""


def test_a_test_reaching_postgresql_without_the_marker_fails_before_any_server_starts(tmp_path):
    for name in ("conftest.py", "servers.py"):
        (tmp_path / name).write_text((TESTS / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "test_small.py").write_text(SMALL_SUITE, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    postgres: x\n    smtp: x\n", encoding="utf-8")
    # were the cluster ever started it would fail loudly: CI=true and no initdb where we point
    env = {**os.environ, "CI": "true", "NPSCLI_TEST_PG_BINDIR": str(tmp_path / "no-postgres-here")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-rA", "-m", "not postgres"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert "2 passed, 2 deselected, 1 error" in out, out[-3000:]
    assert "PASSED test_small.py::test_marked[sqlite]" in out
    assert "PASSED test_small.py::test_unmarked[sqlite]" in out
    assert "ERROR test_small.py::test_unmarked[postgres]" in out
    assert "test_small.py::test_unmarked[postgres] uses PostgreSQL but has no `postgres` marker" in out
    assert "CI: PostgreSQL is required" not in out  # refused before the server fixture was reached
