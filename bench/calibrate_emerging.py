"""Calibrate the emerging-issue CUSUM: the threshold h for a target in-control run length, by simulation.

Prints ``THRESHOLDS`` for ``src/npscli/core/emerging.py``: for each expected count per active day ``mu``
(on a log grid) and each target average run length between false alarms (in active days), the threshold
h of the Poisson CUSUM ``S = max(0, S + x ln k - (k - 1) mu)`` designed for a k-fold rise.

Method: for each ``mu``, STREAMS independent in-control streams of Poisson(mu) counts run for DAYS days
without reset; the first day each stream's CUSUM reaches every h of a fine grid is recorded (one pass
serves the whole grid, since before its first alarm the path does not depend on h). The in-control run
length is close to geometric, so the ARL for a given h is estimated as (total days at risk) / (alarms)
with the streams that never reached h counted as censored (the exponential maximum-likelihood estimate);
h for a target ARL is then read off by log-linear interpolation between grid points.

Seeded; numpy (the benchmark itself is pure Python). About a minute:

    .venv/bin/python bench/calibrate_emerging.py > /tmp/thresholds.txt
"""

from __future__ import annotations

import argparse
import math

import numpy as np

MU_GRID = (0.005, 0.01, 0.02, 0.04, 0.08, 0.15, 0.3, 0.6, 1.2, 2.5, 5.0)
ARL_TARGETS = (30, 100, 300, 1000, 3000, 10000, 30000, 100000)


def arl_curve(mu: float, rise: float, hgrid: np.ndarray, *, streams: int, days: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    up, drift = math.log(rise), (rise - 1) * mu
    s = np.zeros(streams)
    best = np.zeros(streams)
    passed = np.zeros(streams, dtype=np.int64)  # how many grid thresholds each stream has reached
    first = np.full((streams, len(hgrid)), days, dtype=np.int64)
    for day in range(1, days + 1):
        s = np.maximum(0.0, s + rng.poisson(mu, streams) * up - drift)
        higher = s > best
        if not higher.any():
            continue
        best = np.where(higher, s, best)
        now_passed = np.searchsorted(hgrid, best, side="right")
        for i in np.nonzero(now_passed > passed)[0]:
            first[i, passed[i] : now_passed[i]] = day
        passed = now_passed
    alarms = (first < days).sum(axis=0)
    exposure = first.sum(axis=0)
    with np.errstate(divide="ignore"):
        return np.where(alarms > 0, exposure / np.maximum(alarms, 1), np.inf)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rise", type=float, default=3.0)
    ap.add_argument("--streams", type=int, default=4000)
    ap.add_argument("--days", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=20261203)
    args = ap.parse_args()
    hgrid = np.round(np.arange(0.5, 16.0001, 0.05), 4)
    print(f"# rise k = {args.rise:g}; {args.streams} streams x {args.days} days per mu; seed {args.seed}")
    print("THRESHOLDS = {  # mu per active day -> h for each ARL target in ARL_TARGETS")
    for j, mu in enumerate(MU_GRID):
        arl = arl_curve(mu, args.rise, hgrid, streams=args.streams, days=args.days, seed=args.seed + j)
        log_arl = np.log(arl)
        row = []
        for target in ARL_TARGETS:
            lt = math.log(target)
            ok = np.nonzero(np.isfinite(log_arl) & (log_arl >= lt))[0]
            if len(ok) == 0:
                row.append(float("nan"))
                continue
            i = ok[0]
            if i == 0:
                row.append(float(hgrid[0]))
                continue
            lo, hi = log_arl[i - 1], log_arl[i]
            frac = (lt - lo) / (hi - lo) if hi > lo else 0.0
            row.append(round(float(hgrid[i - 1] + frac * (hgrid[i] - hgrid[i - 1])), 3))
        print(f"    {mu!r}: {tuple(row)!r},")
    print("}")


if __name__ == "__main__":
    main()
