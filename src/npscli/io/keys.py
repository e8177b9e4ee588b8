"""The key that says two rows of exports are the same response: its response id, or, without one, the whole
original row.

A duplicate is *the same response seen twice* (an overlapping export, the same file imported again), never two
responses that are merely alike. Without a response id, the key of a row is a 128-bit hash of every original
cell, normalised only as far as the same export downloaded again would differ: whitespace at the ends of a
cell, CRLF line ends inside it, a number typed in a workbook (``9.0``) or written as text (``9``), and the
time and score read for what they mean (``07/01/2025 11:13:44`` and ``2025-07-01 11:13:44`` are the same
instant). Rows that differ in any other way are different responses.

Each non-blank cell adds a hash of (its column's name, its value) to the row's: the key does not depend on
the order of the columns, and a column added to the survey between two exports (blank for the older rows)
changes no older row's key.

Identical rows are one response seen twice, unless the row is so ordinary that another respondent would give
it by chance: a short anonymous survey of a few multiple-choice questions, where two staff members can give
the same answers. The chance of a row is estimated as the product of each cell value's share of its column (at least
``SHORT_ANSWER_CHANCE`` for a short answer in words, such as "needs improvement", which many people give);
if ``(rows - 1) * chance >= ORDINARY_EXPECTED``, the repeats are different people and each gets its own key
(its occurrence number is part of it, so the same file imported again still matches row for row). A file of
fewer than ``ORDINARY_MIN_ROWS`` rows is too small to estimate from: identical rows there are one response.

Rows with a response id keep the key ``id:<id>``. Stores made before this rule hold ``fp:`` keys for rows
without an id (:func:`legacy_keys`): the importer matches a re-import against them so nothing is counted twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from npscli.io.cells import cell_to_text

ORDINARY_EXPECTED = 0.01  # expected other respondents with exactly this row: at or above, repeats are people
ORDINARY_MIN_ROWS = 20  # below this many rows, identical rows are always one response
# A short answer in words ("ok", "muito bom", "needs improvement") is one many people give, however rarely this
# file has it: its chance is taken as at least this. (Not a value with a digit or an @: ids, dates, e-mails.)
SHORT_ANSWER_CHANCE = 0.01
_SHORT_ANSWER_WORDS = 3
ROW_PREFIX = "row:"
LEGACY_PREFIX = "fp:"
_LEGACY_KEY_LENGTH = 24
_SCORE_TEXTS = np.array([str(score) for score in range(11)], dtype=object)
# Two independent 64-bit hashes of each cell (siphash keys of 16 characters): 128 bits a row.
_HASH_KEYS = ("npscli-rowkey-01", "npscli-rowkey-02")
_MIX = np.uint64(0x9E3779B97F4A7C15)


@dataclass
class RowKeyState:
    """What the row keys of one file carry from one chunk to the next: how often each ordinary row was seen
    (its next occurrence number), and how many identical rows were kept as separate responses."""

    occurrences: dict[tuple[int, int], int] = field(default_factory=dict)
    kept_identical: int = 0


def row_keys(
    data: pd.DataFrame,
    *,
    meanings: dict[str, pd.Series],
    usable: np.ndarray,
    state: RowKeyState,
) -> np.ndarray:
    """``row:<hash>`` for every row of ``data`` (one chunk of an export, original cells), with ``:<n>`` added
    for the n-th repeat of an ordinary row. ``meanings``: column -> the parsed value to hash instead of the
    text (the score, the time), NaN where it did not parse (the text is hashed then). ``usable``: the rows
    that become records; only their repeats count as kept identical rows.
    """
    count = len(data)
    if count == 0:
        return np.empty(0, dtype=object)
    first = np.zeros(count, dtype=np.uint64)
    second = np.zeros(count, dtype=np.uint64)
    chance = np.ones(count)
    for name in data.columns:
        codes, uniques = _cell_codes(data[name], meanings.get(name))
        blank = uniques == ""
        with np.errstate(over="ignore"):
            for total, key in ((first, _HASH_KEYS[0]), (second, _HASH_KEYS[1])):
                seed = pd.util.hash_array(np.array([str(name)], dtype=object), hash_key=key, categorize=False)
                cell = _mix(pd.util.hash_array(uniques, hash_key=key, categorize=False) ^ seed[0])
                cell[blank] = 0  # a blank cell adds nothing: a column added to the survey later changes no key
                total += cell[codes]
        share = np.bincount(codes, minlength=len(uniques)) / count
        short = np.fromiter((_short_answer(text) for text in uniques), dtype=bool, count=len(uniques))
        chance *= np.where(short, np.maximum(share, SHORT_ANSWER_CHANCE), share)[codes]

    # The hashing above is vectorised; writing each key's text is one f-string a row, which measured faster
    # (0.18 s for 200,000 rows) than numpy's hexlify + np.char.add + object cast (0.30 s).
    keys = np.array(
        [f"{ROW_PREFIX}{a:016x}{b:016x}" for a, b in zip(first.tolist(), second.tolist(), strict=True)],
        dtype=object,
    )
    if count < ORDINARY_MIN_ROWS and not state.occurrences:
        return keys
    ordinary = (count - 1) * chance >= ORDINARY_EXPECTED
    if not ordinary.any():
        return keys
    # Only an ordinary row that repeats (in this chunk or an earlier one) needs an occurrence number.
    pairs = pd.DataFrame({"a": first[ordinary], "b": second[ordinary]})
    within = pairs.groupby(["a", "b"], sort=False).cumcount().to_numpy()
    seen = state.occurrences
    earlier = np.array([seen.get(pair, 0) for pair in zip(pairs["a"].tolist(), pairs["b"].tolist(), strict=True)])
    number = within + earlier
    positions = np.flatnonzero(ordinary)
    repeat = number > 0
    keys[positions[repeat]] = [f"{key}:{n}" for key, n in zip(keys[positions[repeat]], number[repeat], strict=True)]
    state.kept_identical += int((repeat & usable[positions]).sum())
    last = pairs.assign(n=number + 1).drop_duplicates(["a", "b"], keep="last")
    seen.update(zip(zip(last["a"].tolist(), last["b"].tolist(), strict=True), last["n"].tolist(), strict=True))
    return keys


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every bit of a (cell hash ^ column seed) spread over the result."""
    with np.errstate(over="ignore"):
        values = values + _MIX
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return values ^ (values >> np.uint64(31))


def _cell_codes(values: pd.Series, meaning: pd.Series | None) -> tuple[np.ndarray, np.ndarray]:
    """Codes of the normalised cells of one column, and the distinct normalised values (each cleaned once).
    With ``meaning``, a row whose value parsed is coded by that value instead, marked apart from any text."""
    raw_codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=False)
    normal = np.array([_normal(cell_to_text(value)) for value in uniques], dtype=object)
    codes, distinct = pd.factorize(normal[raw_codes])
    distinct = np.asarray(distinct, dtype=object)
    if meaning is None:
        return codes, distinct
    parsed = meaning.to_numpy()
    has = ~pd.isna(parsed)
    if not has.any():
        return codes, distinct
    meant_codes, meant = pd.factorize(parsed[has])
    if np.issubdtype(np.asarray(meant).dtype, np.datetime64):
        shown = np.datetime_as_string(np.asarray(meant, dtype="datetime64[ns]"), unit="ns").astype(object)
    else:
        shown = np.array([str(int(value)) for value in meant], dtype=object)
    codes = codes.copy()
    codes[has] = len(distinct) + meant_codes
    return codes, np.concatenate([distinct, "\x00" + shown])


def _short_answer(text: str) -> bool:
    """Up to three words of letters (no digit, no @): what anyone might answer."""
    if not text or len(text) > 40 or "@" in text or any(char.isdigit() for char in text):
        return False
    return len(text.split()) <= _SHORT_ANSWER_WORDS


def _normal(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def legacy_keys(records: pd.DataFrame) -> np.ndarray:
    """The ``fp:`` key the importer gave a record without a response id before whole-row keys: a sha256 of its
    time to the minute, its score and its text fields (whitespace collapsed, e-mail lower-cased). Used only to
    recognise rows a store made then already holds; never stored for new rows."""
    from npscli.core.fields import TEXT_FIELDS

    count = len(records)
    keys = np.empty(count, dtype=object)
    if count == 0:
        return keys
    minute_codes, distinct_minutes = pd.factorize(records["submitted_at"].to_numpy().astype("datetime64[m]"))
    minutes = np.datetime_as_string(np.asarray(distinct_minutes), unit="m").astype(object)[minute_codes]
    score_texts = _SCORE_TEXTS[records["score"].to_numpy(dtype="int64")]
    combination = np.zeros(count, dtype=np.int64)
    columns: list[tuple[np.ndarray, np.ndarray]] = []
    for name in TEXT_FIELDS:
        codes, uniques = pd.factorize(records[name].to_numpy(dtype=object))
        normalise = _legacy_email if name == "email" else _legacy_text
        columns.append((codes, np.array([normalise(value) for value in uniques] + [""], dtype=object)))
        combination = pd.factorize(combination * (len(uniques) + 1) + (codes + 1))[0]
    _, first_rows = np.unique(combination, return_index=True)
    tails = np.array(["\x1f".join(texts[codes[row]] for codes, texts in columns) for row in first_rows], dtype=object)
    sha256 = hashlib.sha256
    keys[:] = [
        LEGACY_PREFIX + sha256(f"{minute}\x1f{score}\x1f{tail}".encode()).hexdigest()[:_LEGACY_KEY_LENGTH]
        for minute, score, tail in zip(minutes.tolist(), score_texts.tolist(), tails[combination].tolist(), strict=True)
    ]
    return keys


def _legacy_text(value: str) -> str:
    return " ".join(value.split())


def _legacy_email(value: str) -> str:
    return "".join(value.split()).casefold()
