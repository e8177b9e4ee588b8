"""Before, after and the peer a user would pick, interleaved run by run: CPU (user + system) of whole processes.

    .venv/bin/python bench/ab_peers.py --base ../base --store STORE_1M.db --csv bench/data/responses_1m.csv \
        --work /tmp/peers --runs 9 --tasks score2k,by,det,cron

``--base``: the checkout before (with its .venv); after: this checkout. ``--store``: an npscli store of the 1M
rows (made by the base's code, so both sides read the same file); ``--csv``: the CSV it was imported from, which
the DuckDB file and the pandas + to_sql store of the peers are loaded from once into ``--work``. The peers are
bench/run.py's scripts (the pandas script, pandas + to_sql, DuckDB). Each run measures every side of a task
once, the side that starts rotating; the medians and the ratios after / before and to the peer are printed,
then every sample as JSON. ``--peer-env NAME=VALUE``: a variable for the peers' runs alone (npscli sets
OPENBLAS_NUM_THREADS=1 for itself: give the peers the same to compare like with like).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import run as harness  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--tasks", default="score2k,by,det,cron")
    ap.add_argument("--base", required=True, help="the checkout before (with its .venv)")
    ap.add_argument("--store", required=True, help="an npscli SQLite store of the 1M rows (read, and copied for cron)")
    ap.add_argument("--csv", required=True, help="the 1M-row CSV the peers' stores are loaded from")
    ap.add_argument("--work", required=True, help="a folder for the peers' stores (made once) and the cron copies")
    ap.add_argument("--small", help="the 2,000-row export (default: bench/data/responses_2000.csv, made if missing)")
    ap.add_argument("--cron", help="the 300-row cron export (default: bench/data/cron_300.csv, made if missing)")
    ap.add_argument("--peer-env", action="append", default=[], metavar="NAME=VALUE",
                    help="an environment variable for the peers' runs only (e.g. OPENBLAS_NUM_THREADS=1, which "
                    "npscli sets for itself); repeatable")
    args = ap.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    store, csv_1m = Path(args.store), Path(args.csv)
    duck, peer_sql = work / "peer_1m.duckdb", work / "peer_1m.db"
    before_py = Path(args.base).resolve() / ".venv" / "bin" / "python"
    after_py = ROOT / ".venv" / "bin" / "python"
    peer_py = sys.executable
    small = Path(args.small) if args.small else harness.DATA / "responses_2000.csv"
    if not small.exists():
        generate = [peer_py, str(ROOT / "bench" / "generate.py"), "--rows", "2000", "--out", str(small)]
        subprocess.run(generate, check=True)
    cron = Path(args.cron) if args.cron else harness.cron_export(harness.DATA / "cron_300.csv", 300)
    env = {**os.environ, "NPSCLI_TIMEZONE": "America/Chicago", "NPSCLI_NOW": harness.AS_OF, "NO_COLOR": "1"}
    env.pop("NPSCLI_CONFIG", None)
    peer_env = {**env, **dict(item.split("=", 1) for item in args.peer_env)}
    scripts = work / "peers"
    scripts.mkdir(exist_ok=True)
    for name, text in (("pandas_score.py", harness.PANDAS_SCORE), ("pandas_to_sql.py", harness.PANDAS_TO_SQL),
                       ("duckdb_load.py", harness.DUCKDB_LOAD), ("duckdb_query.py", harness.DUCKDB_QUERY)):
        (scripts / name).write_text(text)
    for py in (before_py, after_py):
        pkg = py.parents[2] / "src" / "npscli"  # compiled once, as an installed wheel has them
        subprocess.run([str(py), "-m", "compileall", "-q", str(pkg)], check=True)
    if not duck.exists():
        subprocess.run([peer_py, str(scripts / "duckdb_load.py"), str(csv_1m), str(duck)], check=True, env=env)
    if not peer_sql.exists():
        subprocess.run([peer_py, str(scripts / "pandas_to_sql.py"), str(csv_1m), str(peer_sql)], check=True, env=env)
    e = {**env, "NPSCLI_DB": str(store)}
    nps_cron, peer_cron = work / "cron_npscli.db", work / "cron_peer.db"

    def copy(src: Path, dst: Path):
        def before():
            for suffix in ("", "-wal", "-shm"):
                Path(str(dst) + suffix).unlink(missing_ok=True)
            shutil.copyfile(src, dst)
        return before

    def npscli(py: Path, *a: str):
        return [str(py), "-m", "npscli", *a]

    tasks = {
        "score2k": ("score FILE (2,000 rows)", [
            ("before", npscli(before_py, "score", str(small)), e, None),
            ("after", npscli(after_py, "score", str(small)), e, None),
            ("pandas script", [peer_py, str(scripts / "pandas_score.py"), str(small)], peer_env, None)]),
        "by": ("score --by location,department (1M stored)", [
            ("before", npscli(before_py, "score", "--by", "location,department"), e, None),
            ("after", npscli(after_py, "score", "--by", "location,department"), e, None),
            ("DuckDB query", [peer_py, str(scripts / "duckdb_query.py"), str(duck), harness.DUCKDB_SCORE], peer_env,
             None)]),
        "det": ("detractors --since 7d (1M stored)", [
            ("before", npscli(before_py, "detractors", "--since", "7d"), e, None),
            ("after", npscli(after_py, "detractors", "--since", "7d"), e, None),
            ("DuckDB query", [peer_py, str(scripts / "duckdb_query.py"), str(duck), harness.DUCKDB_DETRACTORS],
             peer_env, None)]),
        "cron": ("cron: import 300 rows into 1M stored", [
            ("before", npscli(before_py, "-q", "import", str(cron)), {**env, "NPSCLI_DB": str(nps_cron)},
             copy(store, nps_cron)),
            ("after", npscli(after_py, "-q", "import", str(cron)), {**env, "NPSCLI_DB": str(nps_cron)},
             copy(store, nps_cron)),
            ("pandas + to_sql", [peer_py, str(scripts / "pandas_to_sql.py"), str(cron), str(peer_cron)], peer_env,
             copy(peer_sql, peer_cron))]),
    }
    chosen = [tasks[t] for t in args.tasks.split(",")]
    samples: dict[str, dict[str, list[dict]]] = {}
    for i in range(args.runs):
        for name, sides in chosen:
            shift = i % len(sides)
            for side, cmd, side_env, setup in sides[shift:] + sides[:shift]:
                if setup:
                    setup()
                samples.setdefault(name, {}).setdefault(side, []).append(harness.measure(cmd, side_env))
        print(f"run {i + 1} done", file=sys.stderr, flush=True)
    report = {}
    for name, sides in samples.items():
        med = {s: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu")} for s, rs in sides.items()}
        peer = [s for s in sides if s not in ("before", "after")][0]
        line = (f"{name}: CPU before {med['before']['cpu']:.3f} -> after {med['after']['cpu']:.3f} s "
                f"({med['after']['cpu'] / med['before']['cpu']:.2f}x); {peer} {med[peer]['cpu']:.3f} s; "
                f"CPU ratio to peer before {med['before']['cpu'] / med[peer]['cpu']:.2f}x, "
                f"after {med['after']['cpu'] / med[peer]['cpu']:.2f}x; wall before {med['before']['wall']:.3f} "
                f"after {med['after']['wall']:.3f} peer {med[peer]['wall']:.3f}; runs {args.runs}")
        print(line)
        report[name] = {s: [round(r["cpu"], 3) for r in rs] for s, rs in sides.items()}
    print(json.dumps(report))
    for p in (nps_cron, peer_cron):
        for suffix in ("", "-wal", "-shm"):
            Path(str(p) + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
