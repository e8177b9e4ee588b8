"""Whole-process benchmarks of npscli, with DuckDB doing the same work on the same file as a reference.

    .venv/bin/python bench/run.py                 # 1M-row CSV, 100k-row XLSX, SQLite and PostgreSQL
    .venv/bin/python bench/run.py --rows 200000   # a quicker run
    .venv/bin/python bench/run.py --backends sqlite --runs 5

Every figure is the median wall time of --runs fresh processes (each command is a new `npscli`
process, as cron and people run it) and the peak resident memory of the slowest of them. Results go to
bench/results/latest.json and a markdown table is printed (paste it into bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
NPSCLI = [sys.executable, "-m", "npscli"]
AS_OF = "2026-11-16"
TARGETS = {  # seconds, from the performance issue
    "npscli --help": 0.15,
    "import 1M CSV": 4.0,
    "import 100k XLSX": 1.5,
    "score --by location,department": 0.3,
    "score --by location --period week": 0.3,
    "detractors --since 7d": 0.2,
    "report weekly": 3.0,
}

# Runs a command and prints its wall time, CPU time (user + system) and the peak RSS (KiB) of its process tree.
MEASURE = r"""
import resource, subprocess, sys, time, json
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
rss, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
print(json.dumps({"wall": wall, "cpu": cpu, "rss_kib": rss, "code": p.returncode, "err": p.stderr.decode()[-400:]}))
"""


def measure(cmd: list[str], env: dict[str, str]) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, env=env, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"benchmark command failed ({result['code']}): {' '.join(cmd)}\n{result['err']}")
    return result


def median_of(runs: int, cmd: list[str], env: dict[str, str], before=None) -> dict:
    samples = []
    for _ in range(runs):
        if before:
            before()
        samples.append(measure(cmd, env))
    return {
        "wall_s": round(statistics.median(s["wall"] for s in samples), 3),
        "peak_mib": round(max(s["rss_kib"] for s in samples) / 1024, 1),
        "runs": runs,
    }


def ensure_csv(rows: int) -> Path:
    DATA.mkdir(parents=True, exist_ok=True)
    csv_path = DATA / f"responses_{rows}.csv"
    if not csv_path.exists():
        subprocess.run([sys.executable, str(BENCH / "generate.py"), "--rows", str(rows), "--out", str(csv_path)],
                       check=True)
    return csv_path


def ensure_data(rows: int, xlsx_rows: int) -> tuple[Path, Path]:
    csv_path = ensure_csv(rows)
    xlsx_path = DATA / f"responses_{xlsx_rows}.xlsx"
    gen = [sys.executable, str(BENCH / "generate.py")]
    if not xlsx_path.exists():
        subprocess.run(
            [*gen, "--rows", str(xlsx_rows), "--format", "xlsx", "--out", str(xlsx_path)], check=True
        )
    return csv_path, xlsx_path


def duckdb_reference(csv_path: Path, xlsx_path: Path) -> dict[str, float]:
    """The same work done by DuckDB directly on the export (in-process, timed per task, best of three).

    The queries read the CSV file itself each time, as `npscli score FILE` would; DuckDB's XLSX reader is an
    extension it downloads, so the XLSX reference is python-calamine (npscli's reader) feeding DuckDB.
    """
    try:
        import duckdb
    except ImportError:
        return {}
    out: dict[str, float] = {}

    def timed(name: str, work) -> None:
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            work()
            best = min(best, time.perf_counter() - t)
        out[name] = best

    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "ref.duckdb"))
        con.execute("SET enable_progress_bar = false")

        def load_csv():
            con.execute("DROP TABLE IF EXISTS r")
            con.execute(f"CREATE TABLE r AS SELECT * FROM read_csv_auto('{csv_path}', header=true)")

        timed("import 1M CSV", load_csv)

        def load_xlsx():
            from python_calamine import CalamineWorkbook

            rows = CalamineWorkbook.from_path(str(xlsx_path)).get_sheet_by_index(0).to_python()
            frame = pd.DataFrame(rows[1:], columns=rows[0])  # noqa: F841 (read by DuckDB below)
            con.execute("DROP TABLE IF EXISTS x")
            con.execute("CREATE TABLE x AS SELECT * FROM frame")

        import pandas as pd

        timed("import 100k XLSX", load_xlsx)
        cols = [c[0] for c in con.execute("DESCRIBE r").fetchall()]
        con.execute(f"CREATE VIEW csv AS SELECT * FROM read_csv_auto('{csv_path}', header=true)")
        score, loc = _col(cols, "score"), _col(cols, "location")
        dept, created, comment = _col(cols, "department"), _col(cols, "created"), _col(cols, "comment")
        counts = f'count(*), sum(("{score}" >= 9)::int), sum(("{score}" <= 6)::int)'
        week = f"""CAST("{created}" AS TIMESTAMPTZ) >= TIMESTAMPTZ '{AS_OF}' - INTERVAL 7 DAY
                   AND CAST("{created}" AS TIMESTAMPTZ) < TIMESTAMPTZ '{AS_OF}'"""
        themes = " UNION ALL ".join(
            f"""SELECT '{code}' AS theme, count(*), sum(("{score}" <= 6)::int)
                FROM csv WHERE CAST("{created}" AS TIMESTAMPTZ) >= TIMESTAMPTZ '{AS_OF}' - INTERVAL 28 DAY
                AND regexp_matches(lower("{comment}"), '{pattern}')"""
            for code, pattern in _theme_patterns().items()
        )
        queries = {
            "score --by location,department": f'SELECT "{loc}", "{dept}", {counts} FROM csv GROUP BY 1, 2',
            "score --by location --period week": f"""SELECT "{loc}",
                strftime(CAST("{created}" AS TIMESTAMPTZ), '%G-W%V'), {counts} FROM csv GROUP BY 1, 2""",
            "detractors --since 7d": f"""SELECT * FROM csv WHERE "{score}" <= 6
                AND CAST("{created}" AS TIMESTAMPTZ) >= TIMESTAMPTZ '{AS_OF}' - INTERVAL 7 DAY
                ORDER BY "{created}" DESC""",
            "themes": themes,
            "report weekly": [
                f"SELECT {counts} FROM csv WHERE {week}",
                f'SELECT "{loc}", {counts} FROM csv WHERE {week} GROUP BY 1',
                f'SELECT "{dept}", {counts} FROM csv WHERE {week} GROUP BY 1',
                f"""SELECT "{loc}", strftime(CAST("{created}" AS TIMESTAMPTZ), '%G-W%V'), {counts} FROM csv
                    WHERE CAST("{created}" AS TIMESTAMPTZ) >= TIMESTAMPTZ '{AS_OF}' - INTERVAL 84 DAY
                    GROUP BY 1, 2""",
                f'SELECT * FROM csv WHERE {week} AND "{score}" <= 6',
            ],
        }
        for name, sql in queries.items():
            statements = sql if isinstance(sql, list) else [sql]
            timed(name, lambda statements=statements: [con.execute(q).fetchall() for q in statements])
        con.close()
    return out


def _theme_patterns() -> dict[str, str]:
    """Each packaged theme's keywords and problem words as one regular expression (no negation handling:
    DuckDB's share of the themes work is the text matching)."""
    import tomllib

    taxonomy = tomllib.loads((ROOT / "src" / "npscli" / "data" / "themes.toml").read_text(encoding="utf-8"))
    patterns = {}
    for code, theme in taxonomy["themes"].items():
        words = [*theme.get("keywords", []), *theme.get("problems", [])]
        alternatives = [
            (w[:-1].replace("'", "''") + r"\w*") if w.endswith("*") else w.replace("'", "''") for w in words
        ]
        patterns[code] = r"\b(" + "|".join(alternatives) + r")\b"
    return patterns


def _col(cols: list[str], needle: str) -> str:
    return next(c for c in cols if needle in c.lower())


def run_backend(
    backend: str, url: str, csv_path: Path, xlsx_path: Path, runs: int, env: dict[str, str]
) -> dict:
    e = {**env, "NPSCLI_DB": url}
    results: dict[str, dict] = {}

    def reset():
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(url + suffix).unlink(missing_ok=True)
        else:
            from sqlalchemy import create_engine, text

            eng = create_engine(url)
            with eng.begin() as c:
                c.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            eng.dispose()

    results["import 1M CSV"] = median_of(
        max(1, runs - 1), [*NPSCLI, "-q", "import", str(csv_path)], e, before=reset
    )
    results["score --by location,department"] = median_of(
        runs, [*NPSCLI, "score", "--by", "location,department"], e
    )
    results["score --by location --period week"] = median_of(
        runs, [*NPSCLI, "score", "--by", "location", "--period", "week", "--since", "2y"], e
    )
    results["detractors --since 7d"] = median_of(
        runs, [*NPSCLI, "detractors", "--since", "7d", "--as-of", AS_OF], e
    )
    # The same three queries with --format csv: the store's share of the time, without the rich table.
    results["score --by location,department (csv)"] = median_of(
        runs, [*NPSCLI, "score", "--by", "location,department", "--format", "csv"], e
    )
    results["score --by location --period week (csv)"] = median_of(
        runs, [*NPSCLI, "score", "--by", "location", "--period", "week", "--since", "2y", "--format", "csv"], e
    )
    results["detractors --since 7d (csv)"] = median_of(
        runs, [*NPSCLI, "detractors", "--since", "7d", "--as-of", AS_OF, "--format", "csv"], e
    )
    if _has_command(e, "themes"):
        results["themes"] = median_of(runs, [*NPSCLI, "themes", "--since", "4w", "--as-of", AS_OF], e)
    if _has_command(e, "report"):
        with tempfile.TemporaryDirectory() as out:
            results["report weekly"] = median_of(
                runs,
                [*NPSCLI, "report", "weekly", "--as-of", AS_OF, "--out", out, "--format", "html,xlsx,md"],
                e,
            )
    xlsx_db = url + ".xlsx.db" if backend == "sqlite" else url

    def reset_xlsx():
        if backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(xlsx_db + suffix).unlink(missing_ok=True)
        else:
            reset()

    results["import 100k XLSX"] = median_of(
        runs, [*NPSCLI, "-q", "import", str(xlsx_path)], {**e, "NPSCLI_DB": xlsx_db}, before=reset_xlsx
    )
    return results



# ------------------------------------------------------------------ peers: what an analyst would write instead

# `score FILE`'s peer: the four-line pandas script (every column read, as it would be written).
PANDAS_SCORE = """\
import sys
import pandas as pd
s = pd.read_csv(sys.argv[1])["Score"]
print(len(s), round(100 * ((s >= 9).mean() - (s <= 6).mean()), 1))
"""

# The import's peer: pandas in chunks into SQLite with the same unique key (duplicates ignored, as npscli
# counts them) and the indexes `score --by` and a time window need; appends into an existing store (cron).
PANDAS_TO_SQL = """\
import sqlite3, sys
import pandas as pd

con = sqlite3.connect(sys.argv[2])
new = con.execute("SELECT count(*) FROM sqlite_master WHERE name = 'responses'").fetchone()[0] == 0


def insert_or_ignore(table, conn, keys, rows):
    cols = ", ".join(f'"{k}"' for k in keys)
    conn.executemany(f"INSERT OR IGNORE INTO responses ({cols}) VALUES ({', '.join('?' * len(keys))})", rows)


for chunk in pd.read_csv(sys.argv[1], chunksize=100_000):
    if new:
        con.execute(pd.io.sql.get_schema(chunk, "responses"))
        con.execute('CREATE UNIQUE INDEX uq_responses_id ON responses ("Response ID")')
        new = False
    chunk.to_sql("responses", con, if_exists="append", index=False, method=insert_or_ignore)
con.execute('CREATE INDEX IF NOT EXISTS ix_groups ON responses ("Location", "Department", "Provider", "Score")')
con.execute('CREATE INDEX IF NOT EXISTS ix_window ON responses ("Created at", "Score", "Location")')
con.commit()
con.close()
"""

# DuckDB, whole process (Python start-up, `import duckdb`, the work): the load, and the two store queries.
DUCKDB_LOAD = """\
import sys
import duckdb
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
con.execute(f"CREATE TABLE r AS SELECT * FROM read_csv_auto('{sys.argv[1]}', header=true)")
con.close()
"""
DUCKDB_QUERY = """\
import sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
for row in con.execute(sys.argv[2]).fetchall():
    print(*row, sep="\\t")
"""
DUCKDB_SCORE = (
    'SELECT "Location", "Department", count(*), sum(("Score" >= 9)::int), sum(("Score" <= 6)::int) '
    "FROM r GROUP BY 1, 2 ORDER BY 1, 2"
)
DUCKDB_DETRACTORS = (
    f"""SELECT * FROM r WHERE "Score" <= 6 AND "Created at" >= TIMESTAMPTZ '{AS_OF}' - INTERVAL 7 DAY
    AND "Created at" < TIMESTAMPTZ '{AS_OF}' ORDER BY "Created at" DESC"""
)


def _store_bytes(path: Path) -> int:
    return sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists())


def _unlink_store(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def cron_export(path: Path, rows: int) -> Path:
    """A 15-minute export: `rows` new responses (ids no stored row has) on the last day of the data."""
    import csv

    if path.exists():
        return path
    raw = path.with_suffix(".raw.csv")
    subprocess.run(
        [sys.executable, str(BENCH / "generate.py"), "--rows", str(rows), "--seed", "7", "--out", str(raw)],
        check=True,
        capture_output=True,
    )
    with raw.open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.reader(f))
    for i, row in enumerate(table[1:]):
        row[0] = str(90_000_000 + i)  # the generator's ids stop below 75,000,000
        row[3] = "2026-11-15" + row[3][10:]  # the same time of day and offset (-06:00 in November)
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows(table)
    raw.unlink()
    return path


def run_peers(csv_path: Path, runs: int, env: dict[str, str], work: Path, quick: bool = False) -> dict:
    """npscli and the peer a user would pick, interleaved run by run in this one invocation.

    Each pair runs npscli and its peer back to back, the order swapped every run, so a busy spell of the
    shared machine lands on both; the table reports the medians and their ratio.
    """
    scripts = work / "peers"
    scripts.mkdir(exist_ok=True)
    for name, text in (
        ("pandas_score.py", PANDAS_SCORE),
        ("pandas_to_sql.py", PANDAS_TO_SQL),
        ("duckdb_load.py", DUCKDB_LOAD),
        ("duckdb_query.py", DUCKDB_QUERY),
    ):
        (scripts / name).write_text(text)
    py = sys.executable
    small = DATA / "responses_2000.csv"
    if not small.exists():
        subprocess.run([py, str(BENCH / "generate.py"), "--rows", "2000", "--out", str(small)], check=True)
    cron = cron_export(DATA / "cron_300.csv", 300)
    nps_db, peer_db, duck_db = work / "npscli.db", work / "peer.db", work / "peer.duckdb"
    nps_cron, peer_cron = work / "npscli-cron.db", work / "peer-cron.db"
    e = {**env, "NPSCLI_DB": str(nps_db)}
    e_cron = {**env, "NPSCLI_DB": str(nps_cron)}
    rows_label = f"{_count_rows(csv_path):,}" if quick else "1M"
    try:
        import duckdb  # noqa: F401

        have_duckdb = True
    except ImportError:
        have_duckdb = False

    def copy_store(src: Path, dst: Path):
        def before():
            _unlink_store(dst)
            shutil.copyfile(src, dst)
            os.sync()  # (the copy's 400 MB written back now, not while the next command is timed)

        return before

    # Each task: its name, then (side, command, environment, set-up before each run) for npscli and its peers.
    first = [
        ("score FILE (2,000 rows)", [
            ("npscli", [*NPSCLI, "score", str(small)], e, None),
            ("pandas script", [py, str(scripts / "pandas_score.py"), str(small)], env, None)]),
        (f"score FILE ({rows_label} rows)", [
            ("npscli", [*NPSCLI, "score", str(csv_path)], e, None),
            ("pandas script", [py, str(scripts / "pandas_score.py"), str(csv_path)], env, None)]),
        (f"import {rows_label} CSV, SQLite", [
            ("npscli", [*NPSCLI, "-q", "import", str(csv_path)], e, lambda: _unlink_store(nps_db)),
            ("pandas + to_sql", [py, str(scripts / "pandas_to_sql.py"), str(csv_path), str(peer_db)], env,
             lambda: _unlink_store(peer_db))]
            + ([("DuckDB load", [py, str(scripts / "duckdb_load.py"), str(csv_path), str(duck_db)], env,
                 lambda: _unlink_store(duck_db))] if have_duckdb else [])),
    ]
    samples: dict[str, dict[str, list[dict]]] = {}

    def interleaved(tasks) -> None:
        for i in range(runs):
            for name, sides in tasks:
                shift = i % len(sides)  # each run starts with the next side
                for side, cmd, side_env, setup in sides[shift:] + sides[:shift]:
                    if setup:
                        setup()
                    samples.setdefault(name, {}).setdefault(side, []).append(measure(cmd, side_env))

    interleaved(first)
    sizes = {"pandas + to_sql": _store_bytes(peer_db)}
    if have_duckdb:
        sizes["DuckDB load"] = _store_bytes(duck_db)
    # The stores just made: the queries run on them, and the cron import appends to copies of them.
    nps_tmpl, peer_tmpl = work / "npscli-1m.db", work / "peer-1m.db"
    sizes["npscli"] = _store_bytes(nps_db)
    shutil.move(nps_db, nps_tmpl)
    shutil.move(peer_db, peer_tmpl)
    _unlink_store(nps_db)
    e_q = {**env, "NPSCLI_DB": str(nps_tmpl)}
    cron_tasks = [
        (f"cron: import 300 rows into {rows_label} stored", [
            ("npscli", [*NPSCLI, "-q", "import", str(cron)], e_cron, copy_store(nps_tmpl, nps_cron)),
            ("pandas + to_sql", [py, str(scripts / "pandas_to_sql.py"), str(cron), str(peer_cron)], env,
             copy_store(peer_tmpl, peer_cron))]),
    ]
    queries = []
    if have_duckdb:
        queries += [
            ("score --by location,department", [
                ("npscli", [*NPSCLI, "score", "--by", "location,department"], e_q, None),
                ("DuckDB query", [py, str(scripts / "duckdb_query.py"), str(duck_db), DUCKDB_SCORE], env, None)]),
            ("detractors --since 7d", [
                ("npscli", [*NPSCLI, "detractors", "--since", "7d", "--as-of", AS_OF], e_q, None),
                ("DuckDB query", [py, str(scripts / "duckdb_query.py"), str(duck_db), DUCKDB_DETRACTORS], env,
                 None)]),
        ]
    # The queries before the cron path: its store copies (400 MB each run) would be written back to disk while
    # the queries are timed (seen: the same query 0.34 s, then 0.42 and 0.44 s in the rounds after a copy).
    os.sync()
    interleaved(queries)
    interleaved(cron_tasks)
    for p in (nps_tmpl, peer_tmpl, nps_cron, peer_cron, duck_db):
        _unlink_store(p)
    out = {}
    for name, sides in samples.items():
        for peer in (s for s in sides if s != "npscli"):
            out[f"{name} / {peer}"] = {
                "task": name,
                "npscli": _summary(sides["npscli"]),
                "peer": peer,
                "peer_result": _summary(sides[peer]),
                "size_mib": _size_mib(name, sizes, peer),
            }
    return out


def _count_rows(path: Path) -> int:
    import csv

    with path.open(encoding="utf-8-sig", newline="") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def _size_mib(name: str, sizes: dict[str, int], peer: str) -> tuple[float, float] | None:
    if not name.startswith("import") or peer not in sizes:
        return None
    return round(sizes["npscli"] / 2**20, 1), round(sizes[peer] / 2**20, 1)


def _summary(samples: list[dict]) -> dict:
    return {
        "wall_s": round(statistics.median(s["wall"] for s in samples), 3),
        "cpu_s": round(statistics.median(s["cpu"] for s in samples), 3),
        "runs_s": [round(s["wall"], 2) for s in samples],
        "peak_mib": round(max(s["rss_kib"] for s in samples) / 1024, 1),
    }


PEER_TARGETS = {  # the targets, as the most npscli may take against its peer
    ("score FILE (2,000 rows)", "pandas script"): 1.2,
    ("score FILE", "pandas script"): 1.5,
    ("import", "pandas + to_sql"): 1.5,
    ("import", "DuckDB load"): 3.0,
    ("score --by", "DuckDB query"): 2.0,
    ("detractors", "DuckDB query"): 2.0,
}


def _peer_target(name: str, peer: str) -> float | None:
    for (prefix, p), limit in PEER_TARGETS.items():
        if name.startswith(prefix) and p == peer:
            return limit
    return None


def peers_markdown(peers: dict) -> str:
    lines = [
        "| work (whole process) | npscli (s) | peer | peer (s) | ratio | target | met | CPU (s) npscli / peer | "
        "CPU ratio | peak MiB npscli / peer | store MiB npscli / peer |",
        "| --- | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for name, r in peers.items():
        ours, theirs = r["npscli"]["wall_s"], r["peer_result"]["wall_s"]
        ratio = ours / theirs
        target = _peer_target(name, r["peer"])
        met = "-" if target is None else ("yes" if ratio <= target else "NO")
        size = "-"
        if r["size_mib"]:
            a, b = r["size_mib"]
            size = f"{a:,.0f} / {b:,.0f} ({a / b:.2f}x)"
        cpu_ours, cpu_theirs = r["npscli"]["cpu_s"], r["peer_result"]["cpu_s"]
        lines.append(
            f"| {r['task']} | {ours:.3f} | {r['peer']} | {theirs:.3f} | {ratio:.2f}x | "
            f"{f'{target}x' if target else '-'} | {met} | {cpu_ours:.2f} / {cpu_theirs:.2f} | "
            f"{cpu_ours / cpu_theirs:.2f}x | {r['npscli']['peak_mib']:.0f} / {r['peer_result']['peak_mib']:.0f} | "
            f"{size} |"
        )
    return "\n".join(lines)


def _has_command(env: dict[str, str], name: str) -> bool:
    done = subprocess.run([*NPSCLI, name, "--help"], capture_output=True, env=env)
    return done.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--suite", choices=("all", "peers", "stores"), default="all",
        help="peers: npscli against pandas and DuckDB, interleaved; stores: the per-command table; all: both",
    )
    parser.add_argument(
        "--quick", action="store_true",
        help="a smoke test: 20,000 rows, one run, SQLite, the peers only (under a minute)",
    )
    args = parser.parse_args()
    if args.quick:
        args.rows, args.xlsx_rows, args.runs, args.backends, args.suite = 20_000, 2_000, 1, "sqlite", "peers"
    env = {**os.environ, "NPSCLI_TIMEZONE": "America/Chicago", "NPSCLI_NOW": AS_OF, "NO_COLOR": "1"}
    env.pop("NPSCLI_CONFIG", None)
    # npscli's modules as an installed wheel has them: compiled once (PYTHONDONTWRITEBYTECODE would otherwise
    # make every process compile them from source, which the peers' installed packages never do).
    package = subprocess.run(
        [sys.executable, "-c", "import npscli, os; print(os.path.dirname(npscli.__file__))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    subprocess.run([sys.executable, "-m", "compileall", "-q", package], check=True)
    report: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
        },
        "rows": args.rows,
        "xlsx_rows": args.xlsx_rows,
        "runs": args.runs,
        "backends": {},
    }
    work = Path(tempfile.mkdtemp(prefix="npscli-bench-"))
    try:
        if args.suite in ("all", "peers"):
            csv_path = ensure_csv(args.rows)
            report["peers"] = run_peers(csv_path, args.runs, env, work, quick=args.quick)
        if args.suite in ("all", "stores"):
            csv_path, xlsx_path = ensure_data(args.rows, args.xlsx_rows)
            report["help"] = median_of(max(5, args.runs), [*NPSCLI, "--help"], env)
            for backend in args.backends.split(","):
                if backend == "sqlite":
                    report["backends"]["sqlite"] = run_backend(
                        "sqlite", str(work / "bench.db"), csv_path, xlsx_path, args.runs, env
                    )
                elif backend == "postgres":
                    sys.path.insert(0, str(ROOT / "tests"))
                    import servers  # the same private-cluster helper the test suite uses

                    with servers.PostgresServer(servers.find_postgres_tools()) as pg:
                        url = pg.create_database("bench")
                        report["backends"]["postgres"] = run_backend(
                            "postgres", url, csv_path, xlsx_path, args.runs, env
                        )
            report["duckdb"] = {k: round(v, 3) for k, v in duckdb_reference(csv_path, xlsx_path).items()}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "quick.json" if args.quick else "latest.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2))
    print(_machine_line(report))
    if "peers" in report:
        print()
        print(peers_markdown(report["peers"]))
    if "help" in report:
        print()
        print(markdown(report))


def _machine_line(report: dict) -> str:
    m = report["machine"]
    return (
        f"Machine: {m['cpus']} CPUs, {m['processor']}, Python {m['python']}; {report['rows']:,} CSV rows, "
        f"{report['xlsx_rows']:,} XLSX rows, medians of {report['runs']} run(s)."
    )


def markdown(report: dict) -> str:
    lines = [
        "| task | backend | wall (s, median) | peak memory (MiB) | target (s) | met | DuckDB (s) | ratio |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    h = report["help"]
    met = "yes" if h["wall_s"] <= 0.15 else "NO"
    lines.append(f"| npscli --help | - | {h['wall_s']:.3f} | {h['peak_mib']:.0f} | 0.15 | {met} | - | - |")
    for backend, results in report["backends"].items():
        for task, r in results.items():
            target = TARGETS.get(task)
            ref = report.get("duckdb", {}).get(task.removesuffix(" (csv)"))
            met = "-" if target is None else ("yes" if r["wall_s"] <= target else "NO")
            ratio = f"{r['wall_s'] / ref:.1f}x" if ref else "-"
            lines.append(
                f"| {task} | {backend} | {r['wall_s']:.3f} | {r['peak_mib']:.0f} | {target or '-'} | {met} | "
                f"{ref if ref is not None else '-'} | {ratio} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
