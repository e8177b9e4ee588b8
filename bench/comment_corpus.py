"""Mostly distinct patient comments built from real ones, for theme-tagging benchmarks and equality checks.

The real comments are the NHS Friends and Family Test set in ``/work/shared/real-comments/`` (see its README;
``NPSCLI_REAL_COMMENTS`` overrides the path) and the project's own ``tests/data`` comment files. Variants join
two real comments, add a short synthetic opening or closing phrase, change case, or keep a comment's first
sentences: each variant is made of real patient language, but the texts are nearly all distinct, as a real
export's comments are. The same seed and count give the same list.
"""

from __future__ import annotations

import csv
import os
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NHS = Path(os.environ.get("NPSCLI_REAL_COMMENTS", "/work/shared/real-comments/nhs_fft_phase1_text_data.csv"))
OPENINGS = (
    "Visited on Tuesday.", "Second visit this month.", "Appointment at 9am.", "Came in with my son.",
    "First time here.", "Honestly,", "To be fair,", "Overall:", "Where do I start.", "My mum's visit:",
)
CLOSINGS = (
    "Thanks.", "That's all.", "Will see next time.", "Please pass this on.", "Just my opinion.",
    "Not sure I will come back.", "Hope this helps.", "Regards", "Sorry for the rant.", "Cheers!",
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def real_comments() -> tuple[list[str], list[str]]:
    """(every distinct real comment, the critical ones: NHS criticality < 0 and the labelled concerns)."""
    seen: dict[str, None] = {}
    critical: dict[str, None] = {}
    if NHS.exists():
        with NHS.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                text = (row.get("feedback") or "").strip()
                if not text:
                    continue
                seen[text] = None
                try:
                    if int(row.get("criticality") or 0) < 0:
                        critical[text] = None
                except ValueError:
                    pass
    for name, column in (("comments_labelled.csv", "comment"), ("real_comments_heldback.csv", "comment")):
        with (ROOT / "tests" / "data" / name).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                text = (row.get(column) or "").strip()
                if text:
                    seen[text] = None
                    if row.get("themes"):
                        critical[text] = None
    return list(seen), list(critical)


def variant(rnd: random.Random, pool: list[str], others: list[str]) -> str:
    text = rnd.choice(pool)
    r = rnd.random()
    if r < 0.3:
        text = text + rnd.choice((" ", " ", "\n", ". ")) + rnd.choice(others)
    elif r < 0.5:
        text = rnd.choice(OPENINGS) + " " + text
    elif r < 0.7:
        text = text + " " + rnd.choice(CLOSINGS)
    elif r < 0.8:
        sentences = _SENTENCE.split(text)
        if len(sentences) > 1:
            text = " ".join(sentences[: rnd.randint(1, len(sentences) - 1)])
        else:
            text = text + " " + rnd.choice(CLOSINGS)
    elif r < 0.9:
        text = text.lower() if rnd.random() < 0.7 else text.upper()
    else:
        text = rnd.choice(OPENINGS) + " " + text + " " + rnd.choice(CLOSINGS)
    return text


def comments(count: int, *, seed: int = 7, critical_share: float = 0.0) -> list[str]:
    """The real comments first, then variants until there are ``count`` (critical ones for ``critical_share``
    of the variants)."""
    everything, critical = real_comments()
    rnd = random.Random(seed)
    out = everything[:count]
    while len(out) < count:
        pool = critical if critical and rnd.random() < critical_share else everything
        out.append(variant(rnd, pool, everything))
    return out
