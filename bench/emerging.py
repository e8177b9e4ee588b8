"""Early warning: how soon each emerging-issue detector flags a planted incident, and how often it cries wolf.

Synthetic and seeded, pure Python, a few minutes (``make bench-emerging``). It runs the detectors of
``npscli.core.emerging`` on simulated daily counts, exactly as `npscli themes --emerging` runs them:

* a site has a weekly survey volume drawn from 30-150 responses, Monday to Friday (Poisson each day);
  each of its 10 themes is mentioned by a steady share of the responses (its baseline: 0.2-3 a week);
* an incident multiplies one theme at one site by 2, 3, 4 or 6 from a given day (after 12 weeks of
  baseline and 8 weeks of warm-up, on a random weekday); a detector "detects" it when it flags that
  (theme, site) on a day from the incident's start to 28 days after; days to detection count the first
  day as day 1;
* false alarms: 200 site-years with no incident (sites in groups of five, 10 themes each), once with a
  steady volume and once with a volume that triples over the year; counted as issues (flags of one
  pair less than 28 days apart are one issue, as `npscli alert` tells people once per issue).

The detectors:

* ``cusum B/yr``: the CUSUM with a budget of B false alarms per site-year (1, the default; 4; 12);
* ``window daily`` / ``window weekly``: the detector of earlier versions (a 7-day window against the
  8 weeks before it, volume-aware, Holm over every (theme, site) pair of a five-site group at alpha 0.01,
  at least 3 mentions), run every day (as the alerts' note ran) or every Monday (`themes --emerging` in
  the weekly job). For incidents the other 49 pairs are not simulated: the incident pair is tested at
  alpha / 50, which is exactly Holm when it has the smallest p-value (it must have, to be flagged, unless
  a null pair is significant at the same time).

Lorden's bound: any detector whose average run length between false alarms is A days needs on average
at least about ln(A) / I days, with I = mu1 ln(mu1 / mu0) - (mu1 - mu0) the information per day; the
table shows it for the default budget (A = 3,652 days per pair: 10 themes, 1 false alarm per site-year).

    .venv/bin/python bench/emerging.py            # the tables of bench/README.md, "Early warning"
    .venv/bin/python bench/emerging.py --runs 50  # quicker, noisier
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from npscli.core.emerging import DetectorSettings, detect_emerging, scan  # noqa: E402

THEMES = 10
SITES_PER_GROUP = 5
BASELINE_DAYS = 84
WARMUP_DAYS = 56
HORIZON = 28
EPISODE_DAYS = 28
BUDGETS = (1.0, 4.0, 12.0)
MULTIPLIERS = (2, 3, 4, 6)
BASELINES = (0.2, 0.5, 1.0, 2.0, 3.0)  # mentions a week
WINDOW_ALPHA = 0.01


def poisson(rng: random.Random, mu: float) -> int:
    if mu <= 0:
        return 0
    if mu > 30:
        return max(0, round(rng.gauss(mu, math.sqrt(mu))))
    limit, k, p = math.exp(-mu), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def daily_volume(rng: random.Random, weekly: float, days: int, *, growth: float = 0.0, offset: int = 0) -> list[int]:
    """Responses a day, Monday to Friday; ``growth``: the volume is (1 + growth) times higher at the end."""
    out = []
    for d in range(days):
        weekday = (d + offset) % 7
        scale = 1 + growth * d / max(days - 1, 1)
        out.append(poisson(rng, weekly / 5 * scale) if weekday < 5 else 0)
    return out


def daily_mentions(rng, volume, share, *, factor=1.0, from_day=None) -> list[int]:
    return [
        poisson(rng, share * n * (factor if from_day is not None and d >= from_day else 1.0))
        for d, n in enumerate(volume)
    ]


def issues(flag_days: list[int]) -> int:
    """Flags less than EPISODE_DAYS apart are one issue."""
    count, last = 0, -(10**9)
    for day in flag_days:
        if day - last >= EPISODE_DAYS:
            count += 1
        last = day
    return count


def window_flagged(mentions, volume, t, *, pairs_tested: int) -> bool:
    """The window test of earlier versions for one pair, run at the end of day t (Bonferroni over the family)."""
    w0, b0 = t - 6, t - 6 - 56
    if b0 < 0:
        return False
    key = ("theme", "site")
    found = detect_emerging(
        {key: sum(mentions[w0 : t + 1])},
        {key: sum(mentions[b0:w0])},
        window_days=7,
        baseline_days=56,
        alpha=WINDOW_ALPHA / pairs_tested,
        window_volume={"site": sum(volume[w0 : t + 1])},
        baseline_volume={"site": sum(volume[b0:w0])},
    )
    return bool(found)


# ---------------------------------------------------------------------------------------------- incidents


def incident_runs(runs: int, seed: int) -> dict[tuple[int, float], dict[str, list[int | None]]]:
    """Days to detection (None: not within HORIZON) per (multiplier, baseline) and detector."""
    pairs = SITES_PER_GROUP * THEMES
    out: dict[tuple[int, float], dict[str, list[int | None]]] = {}
    for m in MULTIPLIERS:
        for b in BASELINES:
            rng = random.Random(f"{seed}-{m}-{b}")
            cell: dict[str, list[int | None]] = {k: [] for k in _detector_names()}
            for _ in range(runs):
                weekly = rng.uniform(30, 150)
                start = BASELINE_DAYS + WARMUP_DAYS + rng.randrange(5)  # a random weekday (day 0 is a Monday)
                days = start + HORIZON
                volume = daily_volume(rng, weekly, days)
                mentions = daily_mentions(rng, volume, b / weekly, factor=m, from_day=start)
                for budget in BUDGETS:
                    flags = scan(
                        mentions,
                        volume,
                        settings=DetectorSettings(false_alarms_per_site_year=budget),
                        themes=THEMES,
                        start=BASELINE_DAYS,
                    )
                    first = next((f.day for f in flags if f.day >= start), None)
                    cell[f"cusum {budget:g}/yr"].append(None if first is None else first - start + 1)
                daily = next(
                    (t for t in range(start, days) if window_flagged(mentions, volume, t, pairs_tested=pairs)), None
                )
                cell["window daily"].append(None if daily is None else daily - start + 1)
                weekly_run = next(
                    (
                        t
                        for t in range(start, days)
                        if t % 7 == 6 and window_flagged(mentions, volume, t, pairs_tested=pairs)
                    ),
                    None,
                )  # the run on Monday morning looks at the week that ended on Sunday (day % 7 == 6)
                cell["window weekly"].append(None if weekly_run is None else weekly_run - start + 1)
            out[(m, b)] = cell
    return out


def _detector_names() -> list[str]:
    return [f"cusum {b:g}/yr" for b in BUDGETS] + ["window daily", "window weekly"]


# ---------------------------------------------------------------------------------------------- false alarms


def null_runs(groups: int, years: int, seed: int, *, growth: float) -> dict[str, float]:
    """False alarms (issues) per site-year with no incident, per detector."""
    rng = random.Random(f"{seed}-null-{growth}")
    days = BASELINE_DAYS + WARMUP_DAYS + round(365.25 * years)
    first_day = BASELINE_DAYS + WARMUP_DAYS
    counts = dict.fromkeys(_detector_names(), 0)
    for _ in range(groups):
        series = {}
        for site in range(SITES_PER_GROUP):
            weekly = rng.uniform(30, 150)
            volume = daily_volume(rng, weekly, days, growth=growth)
            for theme in range(THEMES):
                rate = rng.choice(BASELINES)
                series[(f"t{theme}", f"s{site}")] = (daily_mentions(rng, volume, rate / weekly), volume)
        for mentions, volume in series.values():
            for budget in BUDGETS:
                flags = scan(
                    mentions,
                    volume,
                    settings=DetectorSettings(false_alarms_per_site_year=budget),
                    themes=THEMES,
                    start=BASELINE_DAYS,
                )
                counts[f"cusum {budget:g}/yr"] += issues([f.day for f in flags if f.day >= first_day])
        # the window test, with Holm over the group's 50 pairs, every day and every Monday
        flagged_days: dict[tuple[str, str], list[int]] = {pair: [] for pair in series}
        for t in range(first_day, days):
            window, baseline, wv, bv = {}, {}, {}, {}
            w0, b0 = t - 6, t - 6 - 56
            for (theme, site), (mentions, volume) in series.items():
                window[(theme, site)] = sum(mentions[w0 : t + 1])
                baseline[(theme, site)] = sum(mentions[b0:w0])
                wv[site] = sum(volume[w0 : t + 1])
                bv[site] = sum(volume[b0:w0])
            for e in detect_emerging(
                window,
                baseline,
                window_days=7,
                baseline_days=56,
                alpha=WINDOW_ALPHA,
                window_volume=wv,
                baseline_volume=bv,
            ):
                flagged_days[(e.theme, e.group)].append(t)
        for days_flagged in flagged_days.values():
            counts["window daily"] += issues(days_flagged)
            counts["window weekly"] += issues([t for t in days_flagged if t % 7 == 6])
    site_years = groups * SITES_PER_GROUP * years
    return {k: v / site_years for k, v in counts.items()}


# ---------------------------------------------------------------------------------------------- report


def lorden_days(multiplier: float, per_week: float, arl_days: float) -> float:
    mu0 = per_week / 7
    mu1 = multiplier * mu0
    info = mu1 * math.log(mu1 / mu0) - (mu1 - mu0)
    return math.log(arl_days) / info


def summary(delays: list[int | None], within: int) -> str:
    """detected within HORIZON % / median days over every incident (">28" when fewer than half were
    detected in time) / detected within ``within`` days %."""
    found = [d for d in delays if d is not None]
    ordered = sorted(found) + [math.inf] * (len(delays) - len(found))
    median = statistics.median_low(ordered) if ordered else math.inf
    median_text = f">{HORIZON}" if median == math.inf else f"{median:g}"
    return (
        f"{100 * len(found) / len(delays):.0f}% / {median_text} / "
        f"{100 * sum(d <= within for d in found) / len(delays):.0f}%"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=400, help="incidents per (multiplier, baseline) cell")
    ap.add_argument("--groups", type=int, default=20, help="five-site groups for the false alarms")
    ap.add_argument("--years", type=int, default=2)
    ap.add_argument("--seed", type=int, default=2026)
    args = ap.parse_args()
    t0 = time.perf_counter()
    cells = incident_runs(args.runs, args.seed)
    steady = null_runs(args.groups, args.years, args.seed, growth=0.0)
    rising = null_runs(args.groups, args.years, args.seed, growth=2.0)
    names = _detector_names()
    arl = DetectorSettings().run_length_days(THEMES)
    print(f"Incidents: {args.runs} per cell; seed {args.seed}. Each cell: detected within {HORIZON} days / median")
    print(f"days to detection over all incidents (>{HORIZON}: fewer than half detected) / detected within 4 days")
    print("(2 days for 6x).\n")
    print("| rise | baseline/wk | " + " | ".join(names) + " | Lorden (1/yr) |")
    print("|---|---|" + "---|" * len(names) + "---|")
    for (m, b), cell in cells.items():
        within = 2 if m >= 6 else 4
        row = [summary(cell[n], within) for n in names]
        print(f"| {m}x | {b:g} | " + " | ".join(row) + f" | {lorden_days(m, b, arl):.0f} d |")
    site_years = args.groups * SITES_PER_GROUP * args.years
    print(f"\nFalse alarms (issues) per site-year, no incident: {site_years} site-years of {THEMES} themes.\n")
    print("| volume | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    print("| steady | " + " | ".join(f"{steady[n]:.2f}" for n in names) + " |")
    print("| triples over the year | " + " | ".join(f"{rising[n]:.2f}" for n in names) + " |")
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
