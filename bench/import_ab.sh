#!/usr/bin/env bash
# Interleaved before/after of the 1M-row SQLite import, each run a fresh store and a new process:
#   BASE=/path/to/old/checkout NEW=/path/to/this/checkout RUNS=5 bash bench/import_ab.sh
# (each checkout with its own `make install`; the CSV from `python bench/generate.py --rows 1000000`).
set -u
BASE=${BASE:?the checkout to compare against} NEW=${NEW:-$PWD}
CSV=${CSV:-$NEW/bench/data/responses_1m.csv}
OUT=${OUT:-${TMPDIR:-/tmp}/npscli-import-ab}
mkdir -p "$OUT"
RUNS=${RUNS:-3}
export NPSCLI_TIMEZONE=America/Chicago NPSCLI_NOW=2026-11-16
for i in $(seq 1 $RUNS); do
  for side in base new; do
    if [ $side = base ]; then PY=$BASE/.venv/bin/python; else PY=$NEW/.venv/bin/python; fi
    db=$OUT/$side.db; rm -f "$db" "$db-wal" "$db-shm"
    /usr/bin/time -f "$side run$i wall=%e s maxrss=%M KB" env NPSCLI_DB="$db" "$PY" -m npscli -q import "$CSV" \
        > /dev/null 2>>"$OUT/stderr"
    tail -1 "$OUT/stderr"
  done
done
