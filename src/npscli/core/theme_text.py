"""A folded comment as the matcher reads it: words, clauses, the context cues (negation, praise, complaint)
around each keyword mention, and the mentions themselves (see ``npscli.core.themes`` for the rules)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from npscli.core.theme_keywords import ContextCues

WORD = re.compile(r"\w+(?:'\w+)*")
RUN = re.compile(r"\w+")
CUE_KINDS = ("negation", "praise", "complaint")

# Context windows, in words (see the module docstring).
NEGATION_WINDOW = 3
PRAISE_BEFORE = 3
PRAISE_AFTER = 5
CUE_NEGATION_WINDOW = 2

# A clause ends at punctuation (a single newline is only a line wrap; a blank line ends it) ...
CLAUSE_BREAK = re.compile(r"[.!?;:,()\[\]\"]|\n\s*\n|\s[-–—]+\s|[–—]")
# ... and at these words, which start a new clause themselves.
CONJUNCTIONS = frozenset(
    {"but", "and", "although", "though", "however", "while", "whereas", "pero", "y", "aunque", "sino", "mientras"}
)


@dataclass(frozen=True)
class Hit:
    theme: int
    start: int  # character span in the folded text
    end: int
    kinds: frozenset[str]  # more than one when touching hits of several kinds were merged
    clause: int = -1  # set once the hit is known to count


@dataclass(frozen=True)
class Cue:
    first: int  # token span
    last: int
    kind: str  # "negation" | "praise" | "complaint"


class Analysis:
    """One folded comment split into words, clauses and context cues (indexed by word position)."""

    def __init__(
        self, folded: str, cues: ContextCues, reachable: Mapping[int | str, list[int] | None] | None = None
    ) -> None:
        spans = [(m.start(), m.end()) for m in WORD.finditer(folded)]
        self.starts = [start for start, _ in spans]
        self.ends = [end for _, end in spans]
        clause = 0
        clauses: list[int] = []
        previous_end = 0
        for start, end in spans:
            word = folded[start:end]
            # Most words are one space apart, which cannot be a clause break: only search other gaps.
            gap = start - previous_end
            broken = (gap > 1 or (gap == 1 and folded[previous_end] != " ")) and CLAUSE_BREAK.search(
                folded, previous_end, start
            )
            if broken or word in CONJUNCTIONS:
                clause += 1
            clauses.append(clause)
            if word in CONJUNCTIONS:
                clause += 1  # the conjunction belongs to neither side
            previous_end = end
        self.clauses = clauses
        self.ending_at: dict[int, list[Cue]] = {}
        self.starting_at: dict[int, list[Cue]] = {}
        for kind in CUE_KINDS:
            pattern = getattr(cues, kind)
            if pattern is None or (reachable is not None and kind not in reachable):
                continue
            starts = reachable[kind] if reachable is not None else None
            for m in pattern.finditer(folded) if starts is None else matches_at(pattern, folded, starts):
                span = self.token_span(m.start(), m.end())
                if span is not None:
                    cue = Cue(span[0], span[1], kind)
                    self.ending_at.setdefault(cue.last, []).append(cue)
                    self.starting_at.setdefault(cue.first, []).append(cue)

    def token_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The first and last word overlapping the character span, or None if it holds no word."""
        first = bisect_right(self.ends, start)
        last = bisect_left(self.starts, end) - 1
        return (first, last) if first <= last else None

    def _cues_ending(self, low: int, high: int, clause: int) -> list[Cue]:
        """Cues whose last word is at a position in [low, high) and in ``clause``."""
        return [
            cue
            for position in range(max(low, 0), high)
            if self.clauses[position] == clause
            for cue in self.ending_at.get(position, ())
        ]

    def _negated(self, cue: Cue) -> bool:
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


def matches_at(pattern: re.Pattern[str], folded: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(folded)`` when every match can only start at one of ``starts`` (ascending)."""
    end = 0
    for start in starts:
        if start >= end and (m := pattern.match(folded, start)) is not None:
            end = m.end()
            yield m


def counts(polarity: int, kind: str) -> bool:
    """Topic and problem words count unless praised or negated; ``if_negative`` ones only when negative."""
    return polarity < 0 or (polarity == 0 and kind != "if_negative")


def merge_adjacent(hits: list[Hit], folded: str) -> list[Hit]:
    """Join hits of one theme that touch ("front desk" + "staff"): their context is the whole phrase.

    The merged hit counts if any of its parts' kinds would count in that context ("therapy" + "hasn't
    helped": the problem phrase counts even though "therapy" alone needs a negative context).
    """
    merged: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if merged and not folded[merged[-1].end : hit.start].strip(" \t\n-/"):
            last = merged[-1]
            merged[-1] = Hit(last.theme, last.start, max(last.end, hit.end), last.kinds | hit.kinds)
        else:
            merged.append(hit)
    return merged
