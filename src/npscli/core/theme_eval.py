"""How well a theme taxonomy matches a hand-labelled sample: precision, recall and F1 per theme, and averaged.

``evaluate`` compares, comment by comment, the themes a person expected with the themes the taxonomy found.
For each theme:

* ``tp`` (true positives): comments that expected the theme and got it;
* ``fp`` (false positives): comments that got it without expecting it;
* ``fn`` (false negatives): comments that expected it and did not get it;
* ``support = tp + fn``: the comments that expected it;
* ``precision = tp / (tp + fp)`` (None when the theme was never found),
  ``recall = tp / (tp + fn)`` (None when no comment expected it),
  ``f1 = 2 tp / (2 tp + fp + fn)`` (the harmonic mean of the two; 0 when tp = 0 but something was
  found or expected; None when the theme never occurs on either side).

The *micro* average pools the counts of every theme (so frequent themes weigh more); the *macro* average is
the plain mean over the themes that some comment expected (support > 0), a theme never found counting
precision 0 there. Themes found but never expected count in the micro average only.

``parse_expected`` turns one cell of the expected column ("wait_time; Billing and insurance") into codes.

Pure standard library.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from npscli.core.themes import fold

__all__ = [
    "Evaluation",
    "Miss",
    "Score",
    "UnknownTheme",
    "evaluate",
    "expected_lookup",
    "parse_expected",
]

_SEPARATORS = re.compile(r"[;,|]")
# Cell values that mean "no theme" (an empty cell means it too).
_NO_THEME = frozenset({"", "-", "none", "ninguno", "ninguna"})


@dataclass(frozen=True)
class Score:
    """The counts and scores of one theme (or of an average: then the counts are sums, or None for macro)."""

    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @classmethod
    def from_counts(cls, tp: int, fp: int, fn: int) -> Score:
        return cls(
            tp=tp,
            fp=fp,
            fn=fn,
            precision=tp / (tp + fp) if tp + fp else None,
            recall=tp / (tp + fn) if tp + fn else None,
            f1=2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None,
        )


@dataclass(frozen=True)
class Miss:
    """One comment the taxonomy got wrong: its position in the sample, the themes it missed and the wrong ones."""

    index: int
    missed: tuple[str, ...]  # expected, not found (false negatives)
    wrong: tuple[str, ...]  # found, not expected (false positives)

    @property
    def errors(self) -> int:
        return len(self.missed) + len(self.wrong)


@dataclass(frozen=True)
class Evaluation:
    """Per-theme scores in the order of ``codes``, the two averages, and every comment with an error."""

    comments: int
    per_theme: dict[str, Score]
    micro: Score
    macro_precision: float | None
    macro_recall: float | None
    macro_f1: float | None
    macro_themes: int  # how many themes the macro average is over
    misses: tuple[Miss, ...]  # worst first: most errors, then sample order

    def worst(self, n: int) -> tuple[Miss, ...]:
        return self.misses[: max(n, 0)]


def evaluate(expected: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]], codes: Iterable[str]) -> Evaluation:
    """Score ``predicted`` theme codes against ``expected`` ones, comment by comment.

    ``codes`` are the themes to report, in order; a code found in ``expected`` or ``predicted`` but not in
    ``codes`` is reported after them (so nothing is silently dropped). Raises ``ValueError`` when the two
    sequences differ in length.
    """
    if len(expected) != len(predicted):
        raise ValueError(f"{len(expected)} expected theme sets but {len(predicted)} predicted ones")
    order = list(dict.fromkeys(codes))
    counts: dict[str, list[int]] = {code: [0, 0, 0] for code in order}
    misses: list[Miss] = []
    for index, (want_raw, got_raw) in enumerate(zip(expected, predicted, strict=True)):
        want, got = set(want_raw), set(got_raw)
        for code in want | got:
            tally = counts.setdefault(code, [0, 0, 0])
            if code in want and code in got:
                tally[0] += 1
            elif code in got:
                tally[1] += 1
            else:
                tally[2] += 1
        if want != got:
            rank = {code: i for i, code in enumerate(counts)}
            misses.append(
                Miss(
                    index=index,
                    missed=tuple(sorted(want - got, key=rank.__getitem__)),
                    wrong=tuple(sorted(got - want, key=rank.__getitem__)),
                )
            )
    per_theme = {code: Score.from_counts(*tally) for code, tally in counts.items()}
    micro = Score.from_counts(*(sum(t[i] for t in counts.values()) for i in range(3)))
    supported = [s for s in per_theme.values() if s.support]

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    return Evaluation(
        comments=len(expected),
        per_theme=per_theme,
        micro=micro,
        macro_precision=mean([s.precision or 0.0 for s in supported]),
        macro_recall=mean([s.recall or 0.0 for s in supported]),
        macro_f1=mean([s.f1 or 0.0 for s in supported]),
        macro_themes=len(supported),
        misses=tuple(sorted(misses, key=lambda m: (-m.errors, m.index))),
    )


# --------------------------------------------------------------------------------------------------
# The expected column
# --------------------------------------------------------------------------------------------------


def expected_lookup(themes: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Folded code or label -> code, for ``(code, label)`` pairs: "Wait time", "WAIT_TIME", "wait time" and
    "wait-time" all name ``wait_time``; "and", "&" and "/" are alike ("Front desk/staff attitude").

    A run of a label's (or code's) words that names one theme only is a name of it too: "staff attitude" and
    "front desk" name ``staff``, "pain" names ``clinical``; a run two themes share ("billing" in "Billing and
    insurance" and a clinic's "Billing errors") names neither."""
    themes = list(themes)
    lookup: dict[str, str] = {}
    for code, label in themes:
        for name in (code, label):
            lookup.setdefault(_key(name), code)
    runs: dict[str, set[str]] = {}
    for code, label in themes:
        for name in (code, label):
            words = _key(name).split()
            for start in range(len(words)):
                for end in range(start + 1, len(words) + 1):
                    runs.setdefault(" ".join(words[start:end]), set()).add(code)
    for run, codes in runs.items():
        if len(codes) == 1:
            lookup.setdefault(run, next(iter(codes)))
    return lookup


def _key(name: str) -> str:
    words = re.split(r"[\s_\-/&+]+", fold(name).strip())
    return " ".join(word for word in words if word and word != "and")


class UnknownTheme(ValueError):
    """A name in the expected column that is neither a theme code nor a label."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def parse_expected(cell: str | None, lookup: Mapping[str, str], *, unknown: list[str] | None = None) -> list[str]:
    """The theme codes one expected-themes cell names, in the order written, without repeats.

    Names are separated by ``;``, ``,`` or ``|``; each is a code or a label (see :func:`expected_lookup`).
    An empty cell, ``-`` or ``none`` means no theme. A whole cell that is one label containing a separator
    ("Cost, fees") is read as that label. Raises :class:`UnknownTheme` with the first unknown name, or, given
    an ``unknown`` list, appends every unknown name to it and leaves them out.
    """
    if cell is None:
        return []
    whole = _key(cell)
    if whole in lookup:
        return [lookup[whole]]
    codes: list[str] = []
    for part in _SEPARATORS.split(cell):
        if fold(part).strip() in _NO_THEME:
            continue
        key = _key(part)
        if key not in lookup:
            if unknown is None:
                raise UnknownTheme(part.strip())
            unknown.append(part.strip())
            continue
        codes.append(lookup[key])
    return list(dict.fromkeys(codes))
