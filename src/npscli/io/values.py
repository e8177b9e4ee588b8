"""Vectorised parsing of the cells that decide whether a row counts: the score and the status (the time is
``npscli.io.dates``).

Every function takes a whole column (a ``pd.Series`` of strings, or of typed workbook cells) and returns
whole columns; nothing loops over rows in Python except over the few distinct values of unusual shapes.
Reasons are fixed phrases that never quote a cell.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from npscli.io.cells import stripped_text

# --- scores -------------------------------------------------------------------------------------------------

BLANK_SCORE = "blank score (partial response)"
SCORE_OUTSIDE = "score is outside 0-10"
SCORE_NOT_WHOLE = "score is not a whole number"
SCORE_NOT_NUMBER = "score is not a number"
SUMMARY_ROW = "a summary row (Total, Average...), not a response"


# "10 - Extremely likely", "0 (Not at all likely)", "7 out of 10", "9,0": a leading number, then a label.
# Not "7 / 10" or "3/5": a quiz mark, not an answer on the 0-10 scale.
# "10 - Extremely likely", "0: Not at all", "10 (Extremely Likely)", "7. Muy probable", "3."
@functools.cache
def _score_label() -> re.Pattern[str]:  # compiled when a score column has labels, not at import
    return re.compile(
        r"^([+-]?\d+(?:[.,]\d+)?)(?:\s*[-\u2013\u2014:=(]\s*[^\d/].*|\s+[^\d/].*|\.(?:\s+[^\d/\s].*)?)?$", re.DOTALL
    )


SCALE_MIN_VALUES = 10


@dataclass(frozen=True)
class ScoreParse:
    score: pd.Series  # float: the value where it is a valid 0-10 whole number, else NaN
    numeric: pd.Series  # float: any number read from the cell (for the scale check), else NaN
    blank: pd.Series  # bool
    problem: pd.Series  # object: a rejection reason, or None


def parse_scores(values: pd.Series) -> ScoreParse:
    """Read a score column: numbers (``" 7 "``, ``"9.0"``, ``9.0``) and labels (``"10 - Extremely likely"``).

    A score column holds a handful of distinct values, so each is parsed once and spread back.
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    distinct = _parse_distinct_scores(pd.Series(uniques, dtype=object))

    def spread(column: pd.Series) -> pd.Series:
        return pd.Series(column.to_numpy()[codes], index=values.index, dtype=column.dtype)

    return ScoreParse(
        score=spread(distinct.score),
        numeric=spread(distinct.numeric),
        blank=spread(distinct.blank),
        problem=spread(distinct.problem),
    )


# What R, pandas and spreadsheets write for "no answer", and LimeSurvey's VV export for a question the
# respondent's answers hid: a blank score (skipped), not a bad one (rejected).
_NO_ANSWER = {"na", "n/a", "#n/a", "nan", "null", "none", "{question_not_shown}"}


def _parse_distinct_scores(values: pd.Series) -> ScoreParse:
    text = stripped_text(values)
    blank = (text == "") | text.str.casefold().isin(_NO_ANSWER)
    numeric = pd.to_numeric(text.where(~blank), errors="coerce").astype(float)
    labelled = ~blank & numeric.isna()
    if labelled.any():
        found = text[labelled].str.extract(_score_label(), expand=False)
        numeric[labelled] = pd.to_numeric(found.str.replace(",", ".", regex=False), errors="coerce")
    finite = np.isfinite(numeric)
    problem = pd.Series(None, index=values.index, dtype=object)
    problem[~blank & numeric.isna()] = SCORE_NOT_NUMBER
    outside = numeric.notna() & (~finite | (numeric < 0) | (numeric > 10))
    problem[outside] = SCORE_OUTSIDE
    not_whole = numeric.notna() & ~outside & (numeric != np.floor(numeric.where(finite, 0)))
    problem[not_whole] = SCORE_NOT_WHOLE
    score = numeric.where(problem.isna() & ~blank)
    return ScoreParse(score=score, numeric=numeric.where(finite), blank=blank, problem=problem)


def score_like_share(values: pd.Series) -> float:
    """The share of non-blank cells that read as a number (used to pick among score candidates)."""
    parsed = parse_scores(values)
    filled = int((~parsed.blank).sum())
    if filled == 0:
        return 0.0
    return float(parsed.numeric.notna().sum()) / filled


# --- status -------------------------------------------------------------------------------------------------

# Qualtrics response types that are not patients. 0 = IP Address and 4 = Imported are real responses.
_STATUS_LABELS = {
    "survey preview": "Survey Preview",
    "preview": "Survey Preview",
    "survey test": "Survey Test",
    "test": "Survey Test",
    "spam": "Spam",
    "preview spam": "Preview Spam",
    "survey preview spam": "Preview Spam",
    "imported spam": "Imported Spam",
    "offline survey preview": "Offline Survey Preview",
    "offline preview": "Offline Survey Preview",
}
_STATUS_CODES = {
    1: "Survey Preview",
    2: "Survey Test",
    8: "Spam",
    9: "Preview Spam",
    12: "Imported Spam",
    17: "Offline Survey Preview",
}


def status_exclusions(values: pd.Series, *, numeric_codes: bool) -> pd.Series:
    """Per row: ``"Status is Survey Preview"`` (etc.) for previews, tests and spam, else None.

    ``numeric_codes`` also reads Qualtrics' numeric response types (1, 2, 8, 9, 12, 17); only ask for it
    when the file is a Qualtrics export, where a number in ``Status`` means exactly that.
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    reasons: list[str | None] = []
    for value in stripped_text(pd.Series(uniques, dtype=object)).str.casefold():
        label = _STATUS_LABELS.get(" ".join(str(value).replace("_", " ").split()))
        if label is None and numeric_codes:
            try:
                number = float(value)
            except ValueError:
                number = float("nan")
            if number.is_integer():
                label = _STATUS_CODES.get(int(number))
        reasons.append(f"Status is {label}" if label else None)
    return pd.Series(np.array([*reasons, None], dtype=object)[codes], index=values.index, dtype=object)
