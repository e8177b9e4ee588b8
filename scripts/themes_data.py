"""The real patient comments behind the packaged theme model: sources, label map, and the fixed held-back split.

Used by ``scripts/train_themes.py`` (which trains on the part that is not held back) and by
``scripts/eval_themes.py`` (which measures on the held-back part). Four sources (three to train on, one
external), all from the NHS England
"Patient Experience Qualitative Data Categorisation" project (github.com/The-Strategy-Unit/pxtextmining, MIT
licence, commit ba6c0a2f10ca9bb3b964b72afe6047b463095c75):

``v6``  ``datasets/v6framework_230831.csv``: 7,908 comments (NEAS ambulance/111/patient transport, NHFT
        community and mental health), multi-label, with a 1-5 sentiment (1 very positive .. 5 very negative).
``v5``  ``datasets/testing/test_data.csv``: 999 comments (NUTH hospital, NHFT), multi-label, same sentiment scale.
``p1``  ``datasets/phase_1/text_data.csv`` (= ``shared/real-comments/nhs_fft_phase1_text_data.csv``): 10,334
        comments (three trusts), ONE label each, criticality -5..+5.
``co``  ``datasets/phase_1/co_multi_label.csv``: 1,998 Care Opinion comments (mental-health and community
        services; none of them in p1), coded with the phase-1 framework, up to six codes each (multi-label),
        criticality -5..+5. NOT trained or tuned on: the external set (``load_external``), measured whole by
        ``scripts/eval_themes.py --external``. Care Opinion data is licensed CC BY-NC-SA 4.0 (the data
        set's README), not MIT: it is read from the mirror and never copied into this repository.

Held back, decided before any training or tuning: every comment whose *group* hashes into bucket 0 of 4
(``sha256("npscli-themes-v1|" + group)``), about 25%. The group is the respondent for v6 and v5 (so a
respondent's answers to two questions never fall on both sides) and the comment text for p1. Of the rest,
bucket 1 is the validation part (per-theme thresholds are tuned there), buckets 2-3 the training part.

A theme is a *concern*: the label counts only on a negative comment (sentiment 4-5, criticality < 0). The
held-back measurement uses negative comments only (as issue 14 did); training also sees positive comments,
with no theme (praise is not a concern).
"""

from __future__ import annotations

import csv
import hashlib
import math
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PXTEXTMINING_COMMIT = "ba6c0a2f10ca9bb3b964b72afe6047b463095c75"
DEFAULT_MIRROR = Path("/work/.mirror/The-Strategy-Unit+pxtextmining/repo")
SOURCES = {
    "v6": "datasets/v6framework_230831.csv",
    "v5": "datasets/testing/test_data.csv",
    "p1": "datasets/phase_1/text_data.csv",
    "co": "datasets/phase_1/co_multi_label.csv",
}
SALT = "npscli-themes-v1|"

# pxtextmining framework (v5/v6 column names) -> npscli theme. Labels not listed have no npscli counterpart.
FRAMEWORK_MAP = {
    "Timeliness of care": "wait_time",
    "Appointment arrangements": "scheduling",
    "Appointment method": "scheduling",
    "Staff manner & personal attributes": "staff",
    "Non-specific dissatisfaction with staff": "staff",  # v5 only
    "Staff listening, understanding & involving patients": "communication",
    "Information directly from staff during care": "communication",
    "Being kept informed, clarity & consistency of information": "communication",
    "Unspecified communication": "communication",
    "Cleanliness, tidiness & infection control": "facility",
    "Environment & Facilities": "facility",
    "Parking": "parking",
    "Pain management": "clinical",
    "Supplying & understanding medication": "clinical",
    "Impact of treatment/ care": "clinical",
    "Contacting services": "phone",
}
# Phase-1 subcategory codes -> npscli theme (shared/real-comments/README.md).
PHASE1_MAP = {
    "wa": "wait_time",
    "wb": "wait_time",
    "ap": "scheduling",
    "aa": "scheduling",
    "sa": "staff",
    "mi": "communication",
    "ml": "communication",
    "mm": "communication",
    "ec": "facility",
    "ee": "facility",
    "eq": "facility",
    "ep": "parking",
    "cp": "clinical",
    "cm": "clinical",
}
THEMES = ("wait_time", "scheduling", "staff", "communication", "facility", "parking", "clinical", "phone")


@dataclass(frozen=True)
class Comment:
    source: str  # v6 | v5 | p1 | co
    group: str
    text: str
    themes: frozenset[str]  # the concerns (empty on a positive comment)
    topics: frozenset[str]  # the labels whatever the sentiment (praise of the staff is a staff topic)
    polarity: str  # "negative" | "positive" | "mixed" (mixed and unrated comments are not used)
    multi_label: bool

    @property
    def bucket(self) -> int:
        return int(hashlib.sha256((SALT + self.group).encode()).hexdigest(), 16) % 4

    @property
    def held_back(self) -> bool:
        return self.bucket == 0


def _read_source(mirror: Path, path: str) -> list[dict[str, str]]:
    raw = subprocess.run(
        ["git", "-C", str(mirror), "show", f"{PXTEXTMINING_COMMIT}:{path}"], check=True, capture_output=True
    ).stdout.decode("utf-8-sig")
    return list(csv.DictReader(raw.splitlines(keepends=True)))


def _number(value: str | None) -> float:
    try:
        return float(value) if value not in (None, "") else math.nan
    except ValueError:
        return math.nan


def _framework(rows: list[dict[str, str]], source: str) -> Iterator[Comment]:
    for row in rows:
        row = {key.strip(): value for key, value in row.items() if key}
        text = (row.get("FFT answer") or "").strip()
        sentiment = _number(row.get("Comment sentiment"))
        if not text or math.isnan(sentiment) or text.lower() in {"did not answer", "nothing", "nothing."}:
            continue
        labels = {theme for column, theme in FRAMEWORK_MAP.items() if _number(row.get(column)) == 1}
        polarity = "negative" if sentiment >= 4 else "positive" if sentiment <= 2 else "mixed"
        group = row.get("Respondent ID") or row["Comment ID"].rsplit(" - ", 1)[0]
        concerns = frozenset(labels if polarity == "negative" else ())
        yield Comment(source, group, text, concerns, frozenset(labels), polarity, True)


def _phase1(rows: list[dict[str, str]]) -> Iterator[Comment]:
    for row in rows:
        text = (row.get("feedback") or "").strip()
        criticality = _number(row.get("criticality"))
        if not text or math.isnan(criticality):
            continue
        theme = PHASE1_MAP.get(row["code"].strip().lower())
        polarity = "negative" if criticality < 0 else "positive" if criticality > 0 else "mixed"
        themes = frozenset((theme,) if theme and polarity == "negative" else ())
        yield Comment("p1", text, text, themes, frozenset((theme,) if theme else ()), polarity, False)


def _care_opinion(rows: list[dict[str, str]]) -> Iterator[Comment]:
    for row in rows:
        text = (row.get("feedback") or "").strip()
        criticality = _number(row.get("crit"))
        if not text or math.isnan(criticality) or abs(criticality) > 5:
            continue
        codes = {(row.get(f"cat_{i}") or "").strip().lower() for i in range(1, 7)} - {"", "na"}
        labels = frozenset(PHASE1_MAP[code] for code in codes if code in PHASE1_MAP)
        polarity = "negative" if criticality < 0 else "positive" if criticality > 0 else "mixed"
        yield Comment("co", text, text, labels if polarity == "negative" else frozenset(), labels, polarity, True)


def load_comments(mirror: Path = DEFAULT_MIRROR) -> list[Comment]:
    """Every usable comment of the three training sources (unrated, empty and "did not answer" ones dropped)."""
    comments = [
        *_framework(_read_source(mirror, SOURCES["v6"]), "v6"),
        *_framework(_read_source(mirror, SOURCES["v5"]), "v5"),
        *_phase1(_read_source(mirror, SOURCES["p1"])),
    ]
    # A text that is held back anywhere is held back everywhere (the same short answers recur).
    held_texts = {c.text.casefold() for c in comments if c.held_back}
    return [c for c in comments if c.held_back or c.text.casefold() not in held_texts]


def held_back(comments: list[Comment]) -> list[Comment]:
    """The measuring set: held-back negative comments."""
    return [c for c in comments if c.held_back and c.polarity == "negative"]


def load_external(mirror: Path = DEFAULT_MIRROR) -> list[Comment]:
    """The external measuring set: every negative Care Opinion comment (never trained or tuned on)."""
    comments = _care_opinion(_read_source(mirror, SOURCES["co"]))
    return [c for c in comments if c.polarity == "negative"]

