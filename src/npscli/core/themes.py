"""Theme taxonomy: which concerns a patient comment raises, whether it is abusive, and which themes hurt NPS.

A *theme* is a topic raised as a concern. "The wait was two hours" is a ``wait_time`` comment; "no wait at
all", "didn't have to wait" and "short wait, lovely staff" are not: a negated or praised mention of a topic is
not a concern about it. A neutral mention ("I had a question about my bill") counts, because in a survey
comment a topic is rarely mentioned for nothing.

Keywords come in four kinds, declared per theme in the taxonomy TOML:

``keywords``
    The topic itself ("receptionist", "parking", "factura"). Counts unless the words next to it praise it
    ("friendly receptionist", "parking was easy"). Negation does not cancel it: "no parking" is a complaint.
``problems``
    Words that name the problem ("wait*", "overcharg*", "dolor"). Count unless negated ("no wait",
    "didn't have to wait", "sin espera", "no tuve que esperar") or praised ("short wait").
``if_negative``
    Things whose *absence* is the complaint ("explain*", "call* back", "contest*"): count only when negated
    ("never explained", "nadie contesta") or next to a complaint word ("the building is old").
``exclude``
    Phrases inside which this theme's hits are ignored ("can't wait", "waiting room" for ``wait_time``,
    "espero que").

Keyword syntax: whole words, case- and accent-insensitive ("esperé" = "espere" = "ESPERE"); a trailing ``*``
makes a word a prefix ("wait*" matches wait, waited, waiting; "bill" matches neither "billing" nor "Billy").
A phrase matches across any run of spaces, newlines, hyphens or slashes ("front desk" = "front-desk").

The local context of a hit is the same clause (clauses end at punctuation and at "but", "and", "pero", "y",
...): up to three words before it for negation, three before and five after for praise and complaint words,
which the ``[context]`` table of the taxonomy lists. A negated praise word is a complaint ("not friendly"),
a negated complaint word is praise ("wasn't long").

Pure standard library; the only I/O is :func:`load_taxonomy` reading one TOML file.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from npscli.core.errors import ConfigError
from npscli.core.nps import Counts, bucket, nps
from npscli.core.tickets import ROOT_CAUSES

__all__ = [
    "DEFAULT_ROOT_CAUSES",
    "ContextCues",
    "Taxonomy",
    "Theme",
    "fold",
    "fold_with_offsets",
    "theme_impact",
]

DEFAULT_ROOT_CAUSES = ROOT_CAUSES
"""The root-cause codes a theme may map to (the same default as ``tickets.root_causes`` in the config)."""

KEYWORD_KINDS = ("keywords", "problems", "if_negative")
_THEME_KEYS = ("label", "root_cause", *KEYWORD_KINDS, "exclude")
_TOP_KEYS = ("taxonomy", "themes", "abusive", "context")
_CODE = re.compile(r"[a-z][a-z0-9_]*\Z")
_WORD = re.compile(r"\w+(?:'\w+)*")

# Context windows, in words (see the module docstring).
NEGATION_WINDOW = 3
PRAISE_BEFORE = 3
PRAISE_AFTER = 5
CUE_NEGATION_WINDOW = 2
_MEMO_SIZE = 50_000  # distinct comments remembered per taxonomy

# A clause ends at punctuation (a single newline is only a line wrap; a blank line ends it) ...
_CLAUSE_BREAK = re.compile(r"[.!?;:,()\[\]\"]|\n\s*\n|\s[-–—]+\s|[–—]")
# ... and at these words, which start a new clause themselves.
_CONJUNCTIONS = frozenset(
    {"but", "and", "although", "though", "however", "while", "whereas", "pero", "y", "aunque", "sino", "mientras"}
)


# --------------------------------------------------------------------------------------------------
# Text folding
# --------------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Case- and accent-fold ``text``; also return, for each folded character, its index in ``text``.

    "José Núñez" -> "jose nunez". Curly apostrophes become "'". The offsets let a caller map a match in the
    folded text back to the original (``casefold`` can change lengths: "ß" -> "ss").
    """
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        for piece in unicodedata.normalize("NFKD", char.translate(_APOSTROPHES)):
            if unicodedata.combining(piece):
                continue
            for folded in piece.casefold():
                out.append(folded)
                offsets.append(index)
    return "".join(out), offsets


def fold(text: str) -> str:
    """Case- and accent-fold ``text`` ("Esperé" -> "espere")."""
    return fold_with_offsets(text)[0]


# --------------------------------------------------------------------------------------------------
# Keyword syntax
# --------------------------------------------------------------------------------------------------


def _keyword_regex(keyword: str, where: str) -> str:
    """One keyword or phrase -> a regex over folded text (see the module docstring for the syntax)."""
    words = fold(keyword).split()
    if not words:
        raise ConfigError(f"{where}: empty keyword", hint="remove the empty string from the list")
    parts = []
    for word in words:
        stem, star = (word[:-1], True) if word.endswith("*") else (word, False)
        if not stem or "*" in stem or not re.search(r"\w", stem):
            raise ConfigError(
                f"{where}: keyword {keyword!r} is not valid",
                hint="use whole words; '*' only at the end of a word, as in \"wait*\"",
            )
        parts.append(re.escape(stem) + (r"\w*" if star else ""))
    return r"[\s\-/]+".join(parts)


def _compile_keywords(keywords: Sequence[str], where: str) -> re.Pattern[str] | None:
    if not keywords:
        return None
    # Longest first, so "front desk staff" wins over "front desk" where both start.
    alternatives = sorted({_keyword_regex(k, where) for k in keywords}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings", hint='write it as ["word", "a phrase", "prefix*"]')
    return tuple(value)


def _check_keys(table: Any, allowed: Sequence[str], where: str) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table")
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}", hint=f"the keys allowed here are: {', '.join(allowed)}")
    return table


# --------------------------------------------------------------------------------------------------
# The taxonomy
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """One theme: its code, label, root-cause code, and compiled keywords (None where a kind is empty)."""

    code: str
    label: str
    root_cause: str
    keywords: re.Pattern[str] | None
    problems: re.Pattern[str] | None
    if_negative: re.Pattern[str] | None
    exclude: re.Pattern[str] | None


@dataclass(frozen=True)
class ContextCues:
    """Compiled negation, praise and complaint words (the taxonomy's ``[context]`` table)."""

    negation: re.Pattern[str] | None
    praise: re.Pattern[str] | None
    complaint: re.Pattern[str] | None


@dataclass(frozen=True)
class _Hit:
    theme: int
    start: int  # character span in the folded text
    end: int
    kinds: frozenset[str]  # more than one when touching hits of several kinds were merged
    clause: int = -1  # set once the hit is known to count


@dataclass(frozen=True)
class _Cue:
    first: int  # token span
    last: int
    kind: str  # "negation" | "praise" | "complaint"


class _Analysis:
    """One folded comment split into words, clauses and context cues (indexed by word position)."""

    def __init__(self, folded: str, cues: ContextCues) -> None:
        spans = [(m.start(), m.end()) for m in _WORD.finditer(folded)]
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]
        clause = 0
        clauses: list[int] = []
        previous_end = 0
        for start, end in spans:
            word = folded[start:end]
            if _CLAUSE_BREAK.search(folded, previous_end, start) or word in _CONJUNCTIONS:
                clause += 1
            clauses.append(clause)
            if word in _CONJUNCTIONS:
                clause += 1  # the conjunction belongs to neither side
            previous_end = end
        self.clauses = clauses
        self.ending_at: dict[int, list[_Cue]] = {}
        self.starting_at: dict[int, list[_Cue]] = {}
        for kind in ("negation", "praise", "complaint"):
            pattern = getattr(cues, kind)
            if pattern is None:
                continue
            for m in pattern.finditer(folded):
                span = self.token_span(m.start(), m.end())
                if span is not None:
                    cue = _Cue(span[0], span[1], kind)
                    self.ending_at.setdefault(cue.last, []).append(cue)
                    self.starting_at.setdefault(cue.first, []).append(cue)

    def token_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The first and last word overlapping the character span, or None if it holds no word."""
        first = bisect_right(self.ends, start)
        last = bisect_left(self.starts, end) - 1
        return (first, last) if first <= last else None

    def _cues_ending(self, low: int, high: int, clause: int) -> list[_Cue]:
        """Cues whose last word is at a position in [low, high) and in ``clause``."""
        return [
            cue
            for position in range(max(low, 0), high)
            if self.clauses[position] == clause
            for cue in self.ending_at.get(position, ())
        ]

    def _negated(self, cue: _Cue) -> bool:
        """A praise or complaint word with a negation at most two words before it, in its clause."""
        before = self._cues_ending(cue.first - CUE_NEGATION_WINDOW, cue.first, self.clauses[cue.first])
        return any(other.kind == "negation" for other in before)

    def polarity(self, first: int, last: int, kind: str) -> int:
        """> 0: the hit is praised or negated; < 0: it is complained about; 0: neutral."""
        clause_first, clause_last = self.clauses[first], self.clauses[last]
        after_end = min(last + PRAISE_AFTER + 1, len(self.clauses))
        nearby = self._cues_ending(first - PRAISE_BEFORE, first, clause_first) + [
            cue
            for position in range(last + 1, after_end)
            if self.clauses[position] == clause_last
            for cue in self.starting_at.get(position, ())
        ]
        score = 0
        for cue in nearby:
            if cue.kind != "negation":
                sign = 1 if cue.kind == "praise" else -1
                score += -sign if self._negated(cue) else sign
        if kind != "keywords":
            for cue in self._cues_ending(first - NEGATION_WINDOW, first, clause_first):
                if cue.kind != "negation":
                    continue
                # "not a long wait": the negation belongs to "long", already counted above.
                between = any(
                    other.kind != "negation" and other.last < first
                    for position in range(cue.last + 1, first)
                    for other in self.starting_at.get(position, ())
                )
                if not between:
                    score += 1 if kind == "problems" else -1
        return score


@dataclass(frozen=True)
class Taxonomy:
    """The themes in order, the abusive-language pattern and the context cues. Build with :meth:`from_dict`."""

    themes: tuple[Theme, ...]
    abusive: re.Pattern[str] | None
    cues: ContextCues

    def __post_init__(self) -> None:
        # Comments repeat ("Long wait.", "Great staff!"): each distinct text is analysed once.
        object.__setattr__(self, "_memo", {})

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.themes)

    def theme(self, code: str) -> Theme:
        for t in self.themes:
            if t.code == code:
                return t
        raise KeyError(code)

    # -- matching ----------------------------------------------------------------------------------

    def _hits(self, text: str | None) -> tuple[_Hit, ...]:
        """The theme mentions that count, in text order (memoised per distinct text)."""
        if text is None or not text.strip():
            return ()
        memo: dict[str, tuple[_Hit, ...]] = self._memo  # type: ignore[attr-defined]
        hits = memo.get(text)
        if hits is None:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            hits = memo[text] = tuple(self._analyse(text))
        return hits

    def _analyse(self, text: str) -> list[_Hit]:
        folded = fold(text)
        analysis = _Analysis(folded, self.cues)
        counted: list[_Hit] = []
        for index, theme in enumerate(self.themes):
            excluded = [m.span() for m in theme.exclude.finditer(folded)] if theme.exclude else []
            hits = [
                _Hit(index, m.start(), m.end(), frozenset((kind,)))
                for kind in KEYWORD_KINDS
                if (pattern := getattr(theme, kind)) is not None
                for m in pattern.finditer(folded)
                if not any(s < m.end() and m.start() < e for s, e in excluded)
            ]
            for hit in _merge_adjacent(hits, folded):
                span = analysis.token_span(hit.start, hit.end)
                if span is not None and any(_counts(analysis.polarity(*span, kind), kind) for kind in hit.kinds):
                    counted.append(replace(hit, clause=analysis.clauses[span[0]]))
        counted.sort(key=lambda h: h.start)
        return counted

    def match(self, text: str | None) -> list[str]:
        """The codes of the themes ``text`` raises as a concern, in taxonomy order; ``[]`` for None or blank."""
        found = {hit.theme for hit in self._hits(text)}
        return [t.code for i, t in enumerate(self.themes) if i in found]

    def suggest_root_cause(self, text: str | None) -> str | None:
        """The root cause of the strongest theme in ``text``, or None.

        Strongest: mentioned in the most clauses ("nobody answers the phone" is one mention); ties go to
        the theme mentioned first.
        """
        clauses: dict[int, set[int]] = {}
        for hit in self._hits(text):  # text order, so dict order is "first mentioned"
            clauses.setdefault(hit.theme, set()).add(hit.clause)
        if not clauses:
            return None
        strongest = max(clauses, key=lambda index: len(clauses[index]))  # max keeps the first of equals
        return self.themes[strongest].root_cause

    def is_abusive(self, text: str | None) -> bool:
        """True when ``text`` contains profanity or an insult from the list: do not answer it publicly."""
        if text is None or self.abusive is None:
            return False
        return self.abusive.search(fold(text)) is not None

    # -- building ----------------------------------------------------------------------------------

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        origin: str = "<taxonomy>",
        root_causes: Iterable[str] = DEFAULT_ROOT_CAUSES,
    ) -> Taxonomy:
        """Build a taxonomy from the TOML structure; ``ConfigError`` naming ``origin`` and the bad key.

        ``{"themes": {code: {label, root_cause, keywords, problems, if_negative, exclude}},
        "abusive": {"words": [...], "patterns": [regex, ...]},
        "context": {"negation": [...], "praise": [...], "complaint": [...]}}``
        """
        _check_keys(data, _TOP_KEYS, origin)
        allowed_causes = tuple(root_causes)
        themes_table = data.get("themes")
        if not isinstance(themes_table, Mapping) or not themes_table:
            raise ConfigError(
                f"{origin}: no [themes.<code>] tables", hint="define at least one theme, e.g. [themes.parking]"
            )
        themes = tuple(
            _build_theme(code, table, f"{origin}: themes.{code}", allowed_causes)
            for code, table in themes_table.items()
        )

        abusive_table = _check_keys(data.get("abusive", {}), ("words", "patterns"), f"{origin}: abusive")
        words = _string_list(abusive_table.get("words", []), f"{origin}: abusive.words")
        alternatives = [_compile_keywords(words, f"{origin}: abusive.words")]
        for raw in _string_list(abusive_table.get("patterns", []), f"{origin}: abusive.patterns"):
            try:
                alternatives.append(re.compile(raw))
            except re.error as exc:
                raise ConfigError(
                    f"{origin}: abusive.patterns: {raw!r} is not a valid regular expression ({exc})"
                ) from None
        sources = [p.pattern for p in alternatives if p is not None]
        try:
            abusive = re.compile("|".join(f"(?:{s})" for s in sources)) if sources else None
        except re.error as exc:  # e.g. "(?i)" inside one pattern, legal alone but not once combined
            raise ConfigError(
                f"{origin}: abusive.patterns cannot be combined ({exc})",
                hint="drop inline flags such as (?i): patterns already see lower-case text without accents",
            ) from None

        context = _check_keys(data.get("context", {}), ("negation", "praise", "complaint"), f"{origin}: context")
        cues = ContextCues(
            **{
                kind: _compile_keywords(
                    _string_list(context.get(kind, []), f"{origin}: context.{kind}"), f"{origin}: context.{kind}"
                )
                for kind in ("negation", "praise", "complaint")
            }
        )
        return cls(themes=themes, abusive=abusive, cues=cues)


def _build_theme(code: Any, table: Any, where: str, root_causes: tuple[str, ...]) -> Theme:
    if not isinstance(code, str) or not _CODE.match(code):
        raise ConfigError(f"{where}: a theme code must be lower_snake_case", hint='for example "wait_time"')
    _check_keys(table, _THEME_KEYS, where)
    label = table.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"{where}.label is missing or empty", hint='add label = "A short human name"')
    cause = table.get("root_cause")
    if cause not in root_causes:
        raise ConfigError(
            f"{where}.root_cause: {cause!r} is not a root-cause code",
            hint=f"use one of: {', '.join(root_causes)}",
        )
    lists = {key: _string_list(table.get(key, []), f"{where}.{key}") for key in (*KEYWORD_KINDS, "exclude")}
    if not any(lists[kind] for kind in KEYWORD_KINDS):
        raise ConfigError(f"{where} has no keywords", hint="give it keywords, problems or if_negative")
    compiled = {key: _compile_keywords(words, f"{where}.{key}") for key, words in lists.items()}
    return Theme(code=code, label=label.strip(), root_cause=cause, **compiled)


def _counts(polarity: int, kind: str) -> bool:
    """Topic and problem words count unless praised or negated; ``if_negative`` ones only when negative."""
    return polarity < 0 or (polarity == 0 and kind != "if_negative")


def _merge_adjacent(hits: list[_Hit], folded: str) -> list[_Hit]:
    """Join hits of one theme that touch ("front desk" + "staff"): their context is the whole phrase.

    The merged hit counts if any of its parts' kinds would count in that context ("therapy" + "hasn't
    helped": the problem phrase counts even though "therapy" alone needs a negative context).
    """
    merged: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if merged and not folded[merged[-1].end : hit.start].strip(" \t\n-/"):
            last = merged[-1]
            merged[-1] = _Hit(last.theme, last.start, max(last.end, hit.end), last.kinds | hit.kinds)
        else:
            merged.append(hit)
    return merged


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------

# --------------------------------------------------------------------------------------------------
# Theme impact on NPS
# --------------------------------------------------------------------------------------------------


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
