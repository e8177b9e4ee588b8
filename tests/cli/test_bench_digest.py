"""bench/digest.py, the check that a faster importer stores the same thing: same imports, same digests,
whatever the clock, the backend or the row order; any stored difference shows."""

from __future__ import annotations

import random
from pathlib import Path

from bench import digest

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def test_the_same_imports_digest_alike_on_any_backend_and_clock(cli, db, tmp_path):
    other = str(tmp_path / "other.db")
    for store, now in ((db, "2026-11-16"), (other, "2026-11-20T08:30:00")):
        for name in ("delighted_export.csv", "qualtrics_export.csv"):
            r = cli("-q", "import", SAMPLE / name, env={"NPSCLI_DB": store, "NPSCLI_NOW": now})
            assert r.exit_code == 0, r.output
    first, second = digest.digests(db), digest.digests(other)
    assert first["responses"][0] > 600 and first["tickets"][0] > 0 and first["ticket_history"][0] > 0
    assert first == second

    # one more response, one changed ticket: both show in their tables' digests, not in the others'
    r = cli("-q", "import", SAMPLE / "qualtrics_week16.csv", env={"NPSCLI_DB": other, "NPSCLI_NOW": "2026-11-20"})
    assert r.exit_code == 0, r.output
    third = digest.digests(other)
    assert third["responses"] != second["responses"] and third["import_batches"] != second["import_batches"]
    r = cli("tickets", "assign", "1", "--to", "dana", env={"NPSCLI_DB": db})
    assert r.exit_code == 0, r.output
    fourth = digest.digests(db)
    assert fourth["tickets"] != first["tickets"] and fourth["responses"] == first["responses"]


def test_the_digest_ignores_row_order_and_sees_one_changed_value():
    rows = [(i, f"text {i}", None if i % 3 else "x") for i in range(200)]
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    assert digest._digest(rows) == digest._digest(shuffled) == (200, digest._digest(rows)[1])
    changed = rows[:]
    changed[17] = (17, "text 17", "x")  # None -> "x"
    assert digest._digest(changed) != digest._digest(rows)
    assert digest._digest(rows[:-1])[0] == 199
