"""The trained linear model behind the packaged themes, and how its features read in words."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from npscli.core.errors import ConfigError

NEGATIVE_GATE = "_negative"  # the model's comment-level "is this a complaint at all" score


@dataclass(frozen=True)
class ThemeModel:
    """A linear model per packaged theme, trained offline on real patient comments (``scripts/train_themes.py``).

    A comment's *features* (:meth:`Taxonomy.features`) are its folded, crudely stemmed words and word pairs
    (Spanish words mapped to English ones by ``synonyms``), the taxonomy's own keyword verdicts ("lex:staff":
    the staff keywords count as a concern here; "kw:staff": they are there but only praised or negated),
    whether it has praise, complaint and negation words, and whether a complaint or praise is about a person
    ("about:person-complaint"). A theme's score is its bias plus the weights of the features present, minus
    its threshold (tuned on a validation split). The theme is found when the score is >= 0 (>= its
    ``unsupported`` margin when none of its keywords counts), the comment passes the negativity gate (the
    ``_negative`` entry, the same kind of score) and its keywords are not only praised or negated. Pure
    Python, one dict look-up per feature.
    """

    weights: Mapping[str, Mapping[str, float]]  # theme code -> feature -> weight
    bias: Mapping[str, float]
    threshold: Mapping[str, float]  # in log-odds, subtracted from the score
    synonyms: Mapping[str, str]  # folded Spanish word -> the English word the weights know
    person_words: frozenset[str]
    origin: str = "<model>"
    # The extra score a theme needs when none of its own keywords counts in the comment (0: none).
    unsupported: Mapping[str, float] = field(default_factory=dict)
    attitude_words: frozenset[str] = frozenset()  # "rude", "snippy": next to a person, "about:person-attitude"
    # theme -> features: the theme is also found when its keywords count and one of these features is present
    # ("the front desk was snippy": staff keywords + "about:person-attitude"), whatever the score.
    keywords_with: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Each feature present counts once, with value 1 ("binary") or 1 / sqrt(number of distinct features of
    # the comment) ("sqrt": a long comment's words count less each).
    values: str = "binary"

    @staticmethod
    def feature_value(values: str, count: int) -> float:
        """The value of each feature of a comment with ``count`` distinct features."""
        if values == "sqrt":
            return 1.0 / math.sqrt(count) if count else 0.0
        return 1.0

    def __post_init__(self) -> None:
        by_feature: dict[str, list[tuple[str, float]]] = {}
        for code, weights in self.weights.items():
            for feature, weight in weights.items():
                by_feature.setdefault(feature, []).append((code, weight))
        object.__setattr__(self, "_by_feature", {f: tuple(v) for f, v in by_feature.items()})

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self.weights)

    def restricted(self, codes: Iterable[str]) -> ThemeModel:
        """The same model deciding only ``codes`` (the packaged themes a clinic's taxonomy kept unchanged)."""
        keep = [code for code in self.weights if code in set(codes) or code == NEGATIVE_GATE]
        return replace(self, weights={code: self.weights[code] for code in keep})

    def margins(self, features: Iterable[str]) -> dict[str, float]:
        """Theme code -> score minus threshold (>= 0: found)."""
        totals = {code: 0.0 for code in self.weights}
        by_feature: dict[str, tuple[tuple[str, float], ...]] = self._by_feature  # type: ignore[attr-defined]
        present = dict.fromkeys(features)
        for feature in present:
            for code, weight in by_feature.get(feature, ()):
                totals[code] += weight
        value = self.feature_value(self.values, len(present))
        return {
            code: self.bias.get(code, 0.0) - self.threshold.get(code, 0.0) + total * value
            for code, total in totals.items()
        }

    def contributions(self, code: str, features: Iterable[str]) -> list[tuple[str, float]]:
        """The features present that carry a weight for ``code`` (times the feature value), largest effect
        first."""
        weights = self.weights.get(code, {})
        present = dict.fromkeys(features)
        value = self.feature_value(self.values, len(present))
        found = [(feature, weights[feature] * value) for feature in present if feature in weights]
        return sorted(found, key=lambda item: -abs(item[1]))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, origin: str = "<model>") -> ThemeModel:
        """Build from the JSON structure ``scripts/train_themes.py`` writes; ``ConfigError`` if it is malformed."""
        try:
            themes = data["themes"]
            if data.get("values", "binary") not in ("binary", "sqrt"):
                raise ValueError(f"values {data['values']!r} is not binary or sqrt")
            return cls(
                weights={code: {str(f): float(w) for f, w in t["weights"].items()} for code, t in themes.items()},
                bias={code: float(t["bias"]) for code, t in themes.items()},
                threshold={code: float(t["threshold"]) for code, t in themes.items()},
                synonyms={str(k): str(v) for k, v in data.get("synonyms", {}).items()},
                person_words=frozenset(str(w) for w in data.get("person_words", ())),
                origin=origin,
                unsupported={code: float(t.get("unsupported", 0.0)) for code, t in themes.items()},
                attitude_words=frozenset(str(w) for w in data.get("attitude_words", ())),
                keywords_with={
                    code: frozenset(str(f) for f in t.get("keywords_with", ())) for code, t in themes.items()
                },
                values=str(data.get("values", "binary")),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"{origin}: not a theme model file ({exc})", hint="re-run scripts/train_themes.py"
            ) from None


@dataclass(frozen=True)
class Explanation:
    """Why a comment got (or did not get) one theme.

    ``method`` is "model" (a packaged theme: ``score`` is the model's score minus the theme's threshold, and
    ``cues`` the features present with their weights, largest effect first) or "keywords" (a clinic's own
    theme: ``score`` is None and ``cues`` the keyword matches that counted, each with weight 1.0).
    """

    theme: str
    matched: bool
    method: str
    score: float | None
    cues: tuple[tuple[str, float], ...]
    reason: str = ""  # the rule that decided, in words ("margin +1.20 >= 0, with its keywords")


_SUFFIXES = ("ing", "ed", "es", "s", "ly")


def stem(word: str) -> str:
    """A crude English stem for the model's word features: "waiting", "waited", "waits" -> "wait"."""
    if len(word) > 4 and "'" not in word:
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 3:
                return word[: -len(suffix)]
    return word


def describe_cue(feature: str) -> str:
    """A model feature in words: "w:rude" -> 'the word "rude"', "lex:staff" -> 'the staff keywords (a concern)'."""
    kind, _, value = feature.partition(":")
    return {
        "w": f'the word "{value}"',
        "b": f'the words "{value}"',
        "lex": f"the {value} keywords, as a concern",
        "kw": f"the {value} keywords, praised or negated",
        "cue": f"{value} words in the comment",
        "about": {
            "person-complaint": "a complaint about a person",
            "person-attitude": "words about someone's attitude",
        }.get(value, "praise of a person"),
    }.get(kind, feature)
