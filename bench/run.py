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

# Runs a command and prints its wall time and the peak RSS (KiB) of the command's process tree.
MEASURE = r"""
import resource, subprocess, sys, time, json
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "rss_kib": rss, "code": p.returncode, "err": p.stderr.decode()[-400:]}))
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


def ensure_data(rows: int, xlsx_rows: int) -> tuple[Path, Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    csv_path = DATA / f"responses_{rows}.csv"
    xlsx_path = DATA / f"responses_{xlsx_rows}.xlsx"
    gen = [sys.executable, str(BENCH / "generate.py")]
    if not csv_path.exists():
        subprocess.run([*gen, "--rows", str(rows), "--out", str(csv_path)], check=True)
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
    args = parser.parse_args()
    csv_path, xlsx_path = ensure_data(args.rows, args.xlsx_rows)
    env = {**os.environ, "NPSCLI_TIMEZONE": "America/Chicago", "NPSCLI_NOW": AS_OF, "NO_COLOR": "1"}
    env.pop("NPSCLI_CONFIG", None)
    report: dict = {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
        },
        "rows": args.rows,
        "xlsx_rows": args.xlsx_rows,
        "backends": {},
    }
    report["help"] = median_of(max(5, args.runs), [*NPSCLI, "--help"], env)
    work = Path(tempfile.mkdtemp(prefix="npscli-bench-"))
    try:
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
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = [
        f"Machine: {report['machine']['cpus']} CPUs, {report['machine']['processor']}, "
        f"Python {report['machine']['python']}; "
        f"{report['rows']:,} CSV rows, {report['xlsx_rows']:,} XLSX rows.",
        "",
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
