"""Before/after of one npscli command, whole process, the two checkouts interleaved run by run.

    .venv/bin/python bench/ab.py --base ../perfbase --runs 5 -- score bench/data/responses_2000.csv
    .venv/bin/python bench/ab.py --base ../perfbase --fresh-db -- -q import bench/data/responses_1000000.csv

Each checkout runs with its own .venv (``make install`` in it). ``--fresh-db``: an empty SQLite store before
each run; ``--db-copy FILE``: a fresh copy of that store before each run (the cron import into a big store).
Prints each run's wall and CPU time and peak memory, then the medians and the ratio after / before, and
checks that both printed the same thing on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURE = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[2:], stdout=open(sys.argv[1], "wb"), stderr=subprocess.PIPE)
wall = time.perf_counter() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": r.ru_utime + r.ru_stime, "rss_mib": r.ru_maxrss / 1024,
                  "code": p.returncode, "err": p.stderr.decode()[-300:]}))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="the checkout to compare against (with its .venv)")
    parser.add_argument("--new", default=str(ROOT), help="this checkout (default)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh-db", action="store_true")
    parser.add_argument("--db-copy", help="a store copied afresh before each run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="-- then the npscli arguments")
    args = parser.parse_args(argv)
    command = args.args[1:] if args.args[:1] == ["--"] else args.args
    env = {**os.environ, "NPSCLI_TIMEZONE": "America/Chicago", "NPSCLI_NOW": "2026-11-16", "NO_COLOR": "1"}
    env.pop("NPSCLI_CONFIG", None)
    sides = {"before": Path(args.base).resolve(), "after": Path(args.new).resolve()}
    work = Path(tempfile.mkdtemp(prefix="npscli-ab-"))
    samples: dict[str, list[dict]] = {"before": [], "after": []}
    try:
        for checkout in sides.values():  # as an installed wheel: compiled once (see bench/run.py)
            py = str(checkout / ".venv" / "bin" / "python")
            subprocess.run([py, "-m", "compileall", "-q", str(checkout / "src" / "npscli")], check=True)
        for i in range(args.runs):
            order = list(sides.items()) if i % 2 == 0 else list(sides.items())[::-1]
            for side, checkout in order:
                db = work / f"{side}.db"
                if args.fresh_db or args.db_copy:
                    for suffix in ("", "-wal", "-shm"):
                        Path(str(db) + suffix).unlink(missing_ok=True)
                    if args.db_copy:
                        shutil.copyfile(args.db_copy, db)
                py = str(checkout / ".venv" / "bin" / "python")
                out = subprocess.run(
                    [sys.executable, "-c", MEASURE, str(work / f"{side}.out"), py, "-m", "npscli", *command],
                    capture_output=True, text=True, env={**env, "NPSCLI_DB": str(db)}, check=True,
                )
                result = json.loads(out.stdout.strip().splitlines()[-1])
                if result["code"] != 0:
                    raise SystemExit(f"{side} failed ({result['code']}): {result['err']}")
                samples[side].append(result)
                print(f"{side:6} run {i + 1}: wall {result['wall']:.2f} s, cpu {result['cpu']:.2f} s, "
                      f"peak {result['rss_mib']:.0f} MiB", flush=True)
        same = (work / "before.out").read_bytes() == (work / "after.out").read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = {
        side: {k: statistics.median(s[k] for s in runs) for k in ("wall", "cpu")} | {
            "rss": max(s["rss_mib"] for s in runs)}
        for side, runs in samples.items()
    }
    b, a = med["before"], med["after"]
    print(f"median wall {b['wall']:.2f} -> {a['wall']:.2f} s ({a['wall'] / b['wall']:.2f}x), "
          f"cpu {b['cpu']:.2f} -> {a['cpu']:.2f} s ({a['cpu'] / b['cpu']:.2f}x), "
          f"peak {b['rss']:.0f} -> {a['rss']:.0f} MiB; stdout {'identical' if same else 'DIFFERENT'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
