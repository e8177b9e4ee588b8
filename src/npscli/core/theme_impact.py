"""How much the responses that mention a theme pull NPS down (`npscli themes`, the weekly report)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from npscli.core.nps import Counts, bucket, nps


def theme_impact(
    rows: Iterable[tuple[int, Sequence[str]]],
    themes: Iterable[str],
    *,
    promoter_min: int = 9,
    detractor_max: int = 6,
) -> list[dict[str, Any]]:
    """For each theme code (in the order given), how much the responses that mention it pull NPS down.

    ``rows`` are ``(score, theme codes)`` pairs, one per response. Per theme: ``mentions``,
    ``detractor_mentions``, ``share_of_detractors`` (the fraction 0..1 of all detractors who mention it;
    None when there are no detractors), ``nps_with`` and ``nps_without`` (points, None when that side has no
    responses) and ``impact = nps_with - nps_without`` (None when either is None). Negative impact: the theme
    goes with lower scores.
    """
    codes = list(dict.fromkeys(themes))
    tallies = {code: {"with": [0, 0, 0], "without": [0, 0, 0]} for code in codes}
    slot = {"detractor": 0, "passive": 1, "promoter": 2}
    total_detractors = 0
    for score, mentioned in rows:
        index = slot[bucket(score, promoter_min=promoter_min, detractor_max=detractor_max)]
        total_detractors += index == 0
        present = set(mentioned)
        for code in codes:
            tallies[code]["with" if code in present else "without"][index] += 1
    out = []
    for code in codes:
        with_counts = Counts(*tallies[code]["with"])
        without_counts = Counts(*tallies[code]["without"])
        nps_with, nps_without = nps(with_counts), nps(without_counts)
        out.append(
            {
                "theme": code,
                "mentions": with_counts.n,
                "detractor_mentions": with_counts.detractors,
                "share_of_detractors": with_counts.detractors / total_detractors if total_detractors else None,
                "nps_with": nps_with,
                "nps_without": nps_without,
                "impact": None if nps_with is None or nps_without is None else nps_with - nps_without,
            }
        )
    return out
