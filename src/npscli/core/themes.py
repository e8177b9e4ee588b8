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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from npscli.core.errors import ConfigError
from npscli.core.names import fold, fold_with_offsets
from npscli.core.theme_impact import theme_impact
from npscli.core.theme_keywords import (
    KEYWORD_KINDS,
    ContextCues,
    Theme,
    build_theme,
    check_keys,
    compile_keywords,
    string_list,
)
from npscli.core.theme_model import NEGATIVE_GATE, Explanation, ThemeModel, describe_cue, stem
from npscli.core.theme_text import (
    CUE_KINDS,
    RUN,
    Analysis,
    Hit,
    counts,
    matches_at,
    merge_adjacent,
)
from npscli.core.tickets import ROOT_CAUSES

__all__ = [
    "DEFAULT_ROOT_CAUSES",
    "ContextCues",
    "Explanation",
    "Taxonomy",
    "Theme",
    "ThemeModel",
    "describe_cue",
    "fold",
    "fold_with_offsets",
    "theme_impact",
]

DEFAULT_ROOT_CAUSES = ROOT_CAUSES
"""The root-cause codes a theme may map to (the same default as ``tickets.root_causes`` in the config)."""

_TOP_KEYS = ("taxonomy", "themes", "abusive", "context")
_MEMO_SIZE = 50_000  # distinct comments remembered per taxonomy


# --------------------------------------------------------------------------------------------------
# The taxonomy
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verdict:
    hits: tuple[Hit, ...]  # the keyword mentions that count, in text order
    matched: frozenset[int]  # theme indexes found
    margins: Mapping[int, float]  # model themes only: score minus threshold
    features: tuple[str, ...]  # empty unless there is a model
    praised: frozenset[int] = frozenset()  # themes whose keywords are only praised or negated
    complaint: bool = True  # the model's negativity gate is open (always, without a model)


_EMPTY_VERDICT = _Verdict((), frozenset(), {}, ())


@dataclass(frozen=True)
class Taxonomy:
    """The themes in order, the abusive-language pattern and the context cues. Build with :meth:`from_dict`."""

    themes: tuple[Theme, ...]
    abusive: re.Pattern[str] | None
    cues: ContextCues
    model: ThemeModel | None = None  # decides the themes it knows; the others match by keywords

    def __post_init__(self) -> None:
        # Comments repeat ("Long wait.", "Great staff!"): each distinct text is analysed once.
        object.__setattr__(self, "_memo", {})
        object.__setattr__(self, "_cause_memo", {})  # text -> suggested root cause (import calls it per ticket)
        model_index = {}
        if self.model is not None:
            model_index = {i: t.code for i, t in enumerate(self.themes) if t.code in self.model.weights}
        object.__setattr__(self, "_model_index", model_index)
        # Which themes a comment's words can reach: every keyword match starts where a run of word characters
        # starts, so a keyword whose first word is "wait*" needs a run starting "wait", one whose first word is
        # "bill" a run "bill" ("a&e": a run "a"). Most comments mention few themes; the others are passed over
        # without running their patterns. A theme with a keyword not of this form is always run.
        # The context cues likewise, under their kind ("negation", "praise", "complaint") instead of an index.
        exact: dict[str, set[int | str]] = {}
        prefix: dict[str, set[int | str]] = {}
        always: set[int | str] = set()
        groups: list[tuple[int | str, tuple[str, ...] | None]] = [
            (index, theme.first_words) for index, theme in enumerate(self.themes)
        ]
        first_cue_words = self.cues.first_words or {}
        groups += [(kind, first_cue_words.get(kind)) for kind in CUE_KINDS if getattr(self.cues, kind) is not None]
        for index, first_words in groups:
            if first_words is None:
                always.add(index)
                continue
            for word in first_words:
                star = word.endswith("*")
                lead = RUN.match(word[:-1] if star else word)
                if lead is None:
                    always.add(index)
                elif star and lead.end() == len(word) - 1:
                    prefix.setdefault(lead.group(), set()).add(index)
                else:
                    exact.setdefault(lead.group(), set()).add(index)
        object.__setattr__(self, "_first_exact", exact)
        object.__setattr__(self, "_first_prefix", prefix)
        object.__setattr__(self, "_prefix_lengths", tuple(sorted({len(p) for p in prefix})))
        object.__setattr__(self, "_always", frozenset(always))
        object.__setattr__(self, "_run_themes", {})  # word -> the themes whose keywords it may start
        object.__setattr__(self, "_stems", {})  # folded word -> the model's word for it

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.themes)

    def theme(self, code: str) -> Theme:
        for t in self.themes:
            if t.code == code:
                return t
        raise KeyError(code)

    def with_model(self, model: ThemeModel | None) -> Taxonomy:
        """The same taxonomy, its themes that ``model`` knows decided by it (None: keywords only)."""
        return replace(self, model=model)

    # -- matching ----------------------------------------------------------------------------------

    def _verdict(self, text: str | None) -> _Verdict:
        """Hits, themes found and model margins for ``text`` (memoised per distinct text)."""
        if text is None or not text.strip():
            return _EMPTY_VERDICT
        memo: dict[str, _Verdict] = self._memo  # type: ignore[attr-defined]
        verdict = memo.get(text)
        if verdict is None:
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            verdict = memo[text] = self._decide(text)
        return verdict

    def _hits(self, text: str | None) -> tuple[Hit, ...]:
        return self._verdict(text).hits

    def _decide(self, text: str) -> _Verdict:
        folded = fold(text)
        reachable = self._reachable(folded)
        analysis = Analysis(folded, self.cues, reachable)
        counted, praised = self._analyse(folded, analysis, reachable)
        keyword_found = {hit.theme for hit in counted}
        model_index: dict[int, str] = self._model_index  # type: ignore[attr-defined]
        if self.model is None or not model_index:
            return _Verdict(tuple(counted), frozenset(keyword_found), {}, (), frozenset(praised))
        features = tuple(self._features(folded, analysis, counted, praised))
        by_code = self.model.margins(features)
        margins = {index: by_code[code] for index, code in model_index.items()}
        # The keywords' verdict on praise and negation stands: a theme whose keywords are there but only
        # praised or negated ("the wait was short", "friendly staff") is not a concern, whatever the score.
        # The gate: a comment the model reads as praise through and through raises no model theme.
        negative = by_code.get(NEGATIVE_GATE, 0.0) >= 0
        unsupported, keywords_with = self.model.unsupported, self.model.keywords_with
        present = set(features)
        found = {i for i in keyword_found if i not in model_index} | {
            i
            for i, m in margins.items()
            if negative
            and i not in praised
            and (
                m >= (0.0 if i in keyword_found else unsupported.get(model_index[i], 0.0))
                or (i in keyword_found and not present.isdisjoint(keywords_with.get(model_index[i], ())))
            )
        }
        return _Verdict(tuple(counted), frozenset(found), margins, features, frozenset(praised), negative)

    def _analyse(
        self, folded: str, analysis: Analysis, reachable: Mapping[int | str, list[int] | None]
    ) -> tuple[list[Hit], set[int]]:
        """The keyword hits that count as a concern, and the themes mentioned only with praise or negation."""
        counted: list[Hit] = []
        praised: set[int] = set()
        for index, theme in enumerate(self.themes):
            if index not in reachable:
                continue
            starts = reachable[index]
            excluded = [m.span() for m in theme.exclude.finditer(folded)] if theme.exclude else []
            hits = [
                Hit(index, m.start(), m.end(), frozenset((kind,)))
                for kind in KEYWORD_KINDS
                if (pattern := getattr(theme, kind)) is not None
                for m in (pattern.finditer(folded) if starts is None else matches_at(pattern, folded, starts))
                if not any(s < m.end() and m.start() < e for s, e in excluded)
            ]
            for hit in merge_adjacent(hits, folded):
                span = analysis.token_span(hit.start, hit.end)
                if span is None:
                    continue
                polarities = [analysis.polarity(*span, kind) for kind in hit.kinds]
                if any(counts(polarity, kind) for polarity, kind in zip(polarities, hit.kinds, strict=True)):
                    counted.append(replace(hit, clause=analysis.clauses[span[0]]))
                elif all(polarity > 0 for polarity in polarities):
                    praised.add(index)
        counted.sort(key=lambda h: h.start)
        return counted, praised - {hit.theme for hit in counted}

    def _reachable(self, folded: str) -> dict[int | str, list[int] | None]:
        """Theme index or cue kind -> where in ``folded`` one of its keywords may start (every place: None; no
        entry: nowhere)."""
        exact: dict[str, set[int | str]] = self._first_exact  # type: ignore[attr-defined]
        prefix: dict[str, set[int | str]] = self._first_prefix  # type: ignore[attr-defined]
        lengths: tuple[int, ...] = self._prefix_lengths  # type: ignore[attr-defined]
        reachable: dict[int | str, list[int] | None] = dict.fromkeys(self._always)  # type: ignore[attr-defined]
        memo: dict[str, frozenset[int | str]] = self._run_themes  # type: ignore[attr-defined]
        for m in RUN.finditer(folded):
            run = m.group()
            themes = memo.get(run)
            if themes is None:
                found = set(exact.get(run, ()))
                for length in lengths:
                    if length > len(run):
                        break
                    found.update(prefix.get(run[:length], ()))
                if len(memo) >= _MEMO_SIZE:
                    memo.clear()
                themes = memo[run] = frozenset(found)
            for index in themes:
                if index not in reachable:
                    reachable[index] = [m.start()]
                elif (starts := reachable[index]) is not None:
                    starts.append(m.start())
        return reachable

    def _features(self, folded: str, analysis: Analysis, counted: list[Hit], praised: set[int]) -> Iterator[str]:
        """The model's features of one comment (see :class:`ThemeModel`)."""
        model = self.model
        persons = model.person_words if model is not None else frozenset()
        attitudes = model.attitude_words if model is not None else frozenset()
        words = self._model_words(folded, analysis)
        clauses = analysis.clauses
        person_clauses = set()
        attitude_clauses = set()
        for position, word in enumerate(words):
            yield "w:" + word
            if position and clauses[position - 1] == clauses[position]:
                yield "b:" + words[position - 1] + " " + word
            if word in persons:
                person_clauses.add(clauses[position])
            if word in attitudes:
                attitude_clauses.add(clauses[position])
        for index in sorted({hit.theme for hit in counted}):
            yield "lex:" + self.themes[index].code
        for index in sorted(praised):
            yield "kw:" + self.themes[index].code
        kinds: dict[str, set[int]] = {"praise": set(), "complaint": set(), "negation": set()}
        for cues in analysis.ending_at.values():
            for cue in cues:
                kind = cue.kind
                if kind != "negation" and analysis._negated(cue):
                    kind = "complaint" if kind == "praise" else "praise"
                kinds[kind].add(clauses[cue.first])
        for kind, where in kinds.items():
            if where:
                yield "cue:" + kind
        if person_clauses & kinds["complaint"]:
            yield "about:person-complaint"
        if attitude_clauses and (person_clauses & attitude_clauses or not person_clauses):
            yield "about:person-attitude"
        if person_clauses & kinds["praise"]:
            yield "about:person-praise"

    def _model_words(self, folded: str, analysis: Analysis) -> list[str]:
        """Each word of the comment as the model reads it: its synonym (a Spanish word's English one), stemmed."""
        synonyms = self.model.synonyms if self.model is not None else {}
        stems: dict[str, str] = self._stems  # type: ignore[attr-defined]
        if len(stems) >= _MEMO_SIZE:
            stems.clear()
        words = []
        for a, b in zip(analysis.starts, analysis.ends, strict=True):
            word = folded[a:b]
            stemmed = stems.get(word)
            if stemmed is None:
                stemmed = stems[word] = stem(synonyms.get(word, word))
            words.append(stemmed)
        return words

    def features(self, text: str | None) -> list[str]:
        """The model's features of ``text`` (what ``scripts/train_themes.py`` trains on)."""
        if text is None or not text.strip():
            return []
        folded = fold(text)
        reachable = self._reachable(folded)
        analysis = Analysis(folded, self.cues, reachable)
        counted, praised = self._analyse(folded, analysis, reachable)
        return list(self._features(folded, analysis, counted, praised))

    def match(self, text: str | None) -> list[str]:
        """The codes of the themes ``text`` raises as a concern, in taxonomy order; ``[]`` for None or blank."""
        found = self._verdict(text).matched
        return [t.code for i, t in enumerate(self.themes) if i in found]

    def suggest_root_cause(self, text: str | None) -> str | None:
        """The root cause of the strongest theme in ``text``, or None.

        Keywords only: the theme mentioned in the most clauses ("nobody answers the phone" is one mention);
        ties go to the theme mentioned first. With the packaged model: the found theme with the highest model
        score above its threshold (a clinic's own keyword theme counts its clauses as that score).
        """
        if text is None:
            return None
        memo: dict[str, str | None] = self._cause_memo  # type: ignore[attr-defined]
        if text in memo:
            return memo[text]
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        cause = memo[text] = self._root_cause(self._verdict(text))
        return cause

    def _root_cause(self, verdict: _Verdict) -> str | None:
        if not verdict.matched:
            return None
        clauses: dict[int, set[int]] = {}
        for hit in verdict.hits:  # text order, so dict order is "first mentioned"
            clauses.setdefault(hit.theme, set()).add(hit.clause)
        order = [i for i in clauses if i in verdict.matched]
        order += sorted(i for i in verdict.matched if i not in clauses)

        def strength(index: int) -> float:
            return verdict.margins[index] if index in verdict.margins else len(clauses.get(index, ()))

        strongest = max(order, key=strength)  # max keeps the first of equals
        return self.themes[strongest].root_cause

    def explain(self, text: str | None, *, every_theme: bool = False) -> list[Explanation]:
        """Why ``text`` got each theme it got (with ``every_theme``, also why it did not get the others).

        In taxonomy order. A model theme lists the features present with their weights (words "rude",
        word pairs "long wait", keyword verdicts "lex:staff", cue features); a keyword theme lists the
        keywords that counted. Readable with :func:`describe_cue`.
        """
        verdict = self._verdict(text)
        folded = fold(text) if text else ""
        praised = verdict.praised
        keyword_found = {hit.theme for hit in verdict.hits}
        out = []
        for index, theme in enumerate(self.themes):
            matched = index in verdict.matched
            if not (matched or every_theme):
                continue
            if index in verdict.margins and self.model is not None:
                cues = tuple(self.model.contributions(theme.code, verdict.features))
                margin = verdict.margins[index]
                reason = self._model_reason(
                    theme.code, matched, margin, index in keyword_found, index in praised, verdict.complaint
                )
                out.append(Explanation(theme.code, matched, "model", margin, cues, reason))
            else:
                words = [folded[h.start : h.end] for h in verdict.hits if h.theme == index]
                cues = tuple((word, 1.0) for word in dict.fromkeys(words))
                reason = (
                    "its keywords, as a concern"
                    if matched
                    else "its keywords, only praised or negated"
                    if index in praised
                    else "none of its keywords"
                )
                out.append(Explanation(theme.code, matched, "keywords", None, cues, reason))
        return out

    def _model_reason(
        self, code: str, matched: bool, margin: float, keywords: bool, praised: bool, complaint: bool
    ) -> str:
        """The rule of :meth:`_decide` that decided a model theme, in words (from its verdict: nothing is
        computed again)."""
        model = self.model
        assert model is not None
        needed = 0.0 if keywords else model.unsupported.get(code, 0.0)
        support = "with its keywords" if keywords else "without its keywords"
        if praised:
            return "its keywords are only praised or negated: never a concern"
        if not complaint:
            return "the comment does not read as a complaint (the negativity gate)"
        if matched and margin < needed:
            return "its keywords together with words about someone's attitude"
        relation = ">=" if margin >= needed else "<"
        return f"margin {margin:+.2f} {relation} {needed:+.2f} needed {support}"

    def written_forms(self, text: str | None) -> dict[str, tuple[str, ...]]:
        """Each word feature of ``text`` ("w:answer") -> the words as the comment wrote them (folded) when they
        differ from the feature's word: a stem ("waited" -> "wait") or a Spanish word the model reads as an
        English one ("contesten" -> "answer"). What :meth:`explain`'s cues were made from, for a person."""
        if text is None or not text.strip():
            return {}
        folded = fold(text)
        analysis = Analysis(folded, self.cues, self._reachable(folded))
        out: dict[str, list[str]] = {}
        read = self._model_words(folded, analysis)
        for a, b, feature in zip(analysis.starts, analysis.ends, read, strict=True):
            word = folded[a:b]
            if feature != word and word not in out.setdefault("w:" + feature, []):
                out["w:" + feature].append(word)
        return {feature: tuple(words) for feature, words in out.items() if words}

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
        check_keys(data, _TOP_KEYS, origin)
        allowed_causes = tuple(root_causes)
        themes_table = data.get("themes")
        if not isinstance(themes_table, Mapping) or not themes_table:
            raise ConfigError(
                f"{origin}: no [themes.<code>] tables", hint="define at least one theme, e.g. [themes.parking]"
            )
        themes = tuple(
            build_theme(code, table, f"{origin}: themes.{code}", allowed_causes) for code, table in themes_table.items()
        )

        abusive_table = check_keys(data.get("abusive", {}), ("words", "patterns"), f"{origin}: abusive")
        words = string_list(abusive_table.get("words", []), f"{origin}: abusive.words")
        alternatives = [compile_keywords(words, f"{origin}: abusive.words")]
        for raw in string_list(abusive_table.get("patterns", []), f"{origin}: abusive.patterns"):
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

        context = check_keys(data.get("context", {}), ("negation", "praise", "complaint"), f"{origin}: context")
        cues = ContextCues(
            **{
                kind: compile_keywords(
                    string_list(context.get(kind, []), f"{origin}: context.{kind}"), f"{origin}: context.{kind}"
                )
                for kind in CUE_KINDS
            },
            first_words={kind: tuple(fold(word).split()[0] for word in context.get(kind, [])) for kind in CUE_KINDS},
        )
        return cls(themes=themes, abusive=abusive, cues=cues)


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------
