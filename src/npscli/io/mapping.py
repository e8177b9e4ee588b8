"""Decide which column of an export holds each canonical field (score, time, comment, clinic...).

Columns are matched by their field name and, for Qualtrics and SurveyMonkey, by their question text too,
ignoring case, spacing, punctuation and accents; the likelihood-to-recommend question is understood in English,
Spanish, French, German, Portuguese, Italian and Dutch. Where several columns could be the score, the time or the
comment, their values decide as well as their headers:

- the score: whole numbers spread over 0-10 beat a better-named column of text answers or of 0/1 codes; a
  column of only two different answers (yes/no codes) or of Detractor/Passive/Promoter is never the score; a
  1-5 column only when nothing better is there (the 1-5 check then refuses it). Two columns equally good
  (two recommend questions of 0-10 answers) are refused, naming both and the ``--map`` that chooses;
- the time: a column whose values read as dates (``time_zone`` holding "UTC-3" is not one);
- the comment: the column with the longest answers.

The reason is kept (:attr:`ColumnMapping.reasons`) when content decided. Overrides from ``--map`` /
``npscli.toml`` always win.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from npscli.core.errors import ColumnError, NpsError, UsageError
from npscli.core.redact import safe_label
from npscli.io.cells import stripped_text
from npscli.io.dates import parse_datetimes
from npscli.io.layouts import Header, clean_label, compact, words
from npscli.io.mapping_rules import FIRST_NAMES, LAST_NAMES, RULES, STATUS_NAMES, Rule
from npscli.io.readers import WholeRowsNeeded
from npscli.io.values import SCALE_MIN_VALUES, ScoreParse, parse_scores

CANONICAL_FIELDS = (
    "response_id", "submitted_at", "score", "comment", "location", "department",
    "provider", "patient_name", "email", "phone", "patient_id",
)  # fmt: skip

# Fields are claimed in this order, so the specific ones take their columns before the broad ones.
_CLAIM_ORDER = (
    "score", "submitted_at", "response_id", "patient_id", "email", "phone", "patient_name",
    "location", "department", "provider", "comment",
)  # fmt: skip
_SAMPLE_ROWS = 2000
_LIST_LIMIT = 60
_NPS_GROUPS = {"detractor", "detractors", "passive", "passives", "promoter", "promoters", "neutral"}


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical field -> the source column(s) holding it, and how that was decided."""

    columns: dict[str, tuple[str, ...]]  # patient_name may combine a first-name and a last-name column
    sources: dict[str, str]  # "--map" | "header" | "question text"
    status_column: str | None = None
    reasons: dict[str, str] = field(default_factory=dict)  # field -> why, when the values decided (or ruled out)
    # A feedback export mixing surveys (HubSpot's): the column labelling each NPS answer Promoter/Passive/Detractor,
    # and the column labelling the other surveys' ratings (CSAT: Positive/Neutral/Negative). A row whose first is
    # blank and whose second is filled is another survey's rating, excluded (see :func:`other_survey_rows`).
    survey_kind: tuple[str, str] | None = None

    def public(self) -> dict[str, str]:
        return {field: " + ".join(names) for field, names in self.columns.items()}


@dataclass(frozen=True)
class _Column:
    position: int
    name: str
    texts: tuple[tuple[str, str], ...]  # (normalised text, "header" | "question text")
    compacts: tuple[tuple[str, str], ...]  # (compact text, "header" | "question text")
    import_id: str


def describe_columns(header: Header) -> str:
    """``columns: A, B, C`` for an error message, each name masked and cut (:func:`safe_label`), the list
    shortened when very long; nothing of the row when the header is not proven to name columns (a data row read
    as the header would print a patient's details)."""
    if not header_is_proven(header):
        return "its first row, read as the header, names no known column and is not shown: has the file a header row?"
    columns = [safe_label(name) for name in header.columns]
    shown = ", ".join(columns[:_LIST_LIMIT])
    if len(columns) > _LIST_LIMIT:
        shown += f", ... ({len(columns) - _LIST_LIMIT} more)"
    return f"columns: {shown}"


def header_is_proven(header: Header) -> bool:
    """Whether the header row is known to name columns: a vendor's layout, or some column called exactly as
    one of the fields is ("Score", "Email", "Created at"), not a row of values."""
    if header.layout != "plain":
        return True
    return any(
        (found := _match(rule, _describe(header, position))) is not None and found[2]
        for position in range(len(header.columns))
        for rule in RULES.values()
    )


def map_columns(header: Header, data: pd.DataFrame, overrides: dict[str, str], file_name: str) -> ColumnMapping:
    """Map canonical fields to the columns of ``data`` (named by ``header``)."""
    columns = [_describe(header, position) for position in range(len(header.columns))]
    sample = data.head(_SAMPLE_ROWS)
    mapped: dict[str, tuple[str, ...]] = {}
    sources: dict[str, str] = {}
    reasons: dict[str, str] = {}

    for name, target in overrides.items():
        if name not in CANONICAL_FIELDS:
            raise UsageError(
                f"--map {name}={target}: unknown field {name!r}",
                hint=f"map one of: {', '.join(CANONICAL_FIELDS)}",
            )
        names = _resolve_override(header, name, target)
        if names is None:
            raise ColumnError(
                f"{file_name}: --map {name}={target}: no such column ({describe_columns(header)})",
                hint="name a column by its header or its question text, as shown in the file",
            )
        mapped[name] = names
        sources[name] = "--map"

    taken = {name for names in mapped.values() for name in names}
    for wanted in _CLAIM_ORDER:
        if wanted in mapped:
            continue
        try:
            found = _best(wanted, [column for column in columns if column.name not in taken], sample)
        except AmbiguousColumn as twins:
            places = [header.positions[position] + 1 for position in twins.positions]  # the file's column numbers
            where = " and ".join(f"{name!r} (column {place})" for name, place in zip(twins.names, places, strict=True))
            if twins.same_name:
                what = f"{len(twins.names)} columns are named {_base_name(twins.names[0])!r}: {where}"
            else:
                what = f"{len(twins.names)} columns are equally good {wanted} columns ({twins.why}): {where}"
            raise ColumnError(
                f"{file_name}: {what}; which one is the {wanted} is a guess",
                hint=f"say which with --map {wanted}={twins.names[-1]!r} (or --map {wanted}={twins.names[0]!r})",
            ) from None
        if found is None and wanted == "score":
            refused = _refused_scores([column for column in columns if column.name not in taken], sample, header)
            if refused:
                reasons["score"] = refused
        if found is None and wanted == "patient_name":
            found = _name_pair([column for column in columns if column.name not in taken])
        if found is None:
            continue
        names, source = found[0], found[1]
        mapped[wanted] = names
        sources[wanted] = source
        if len(found) > 2 and found[2]:
            reasons[wanted] = found[2]
        taken.update(names)

    own = _score_question_comment(mapped, sources, columns, taken, sample)
    if own is not None:  # the recommend question's own comment box ("... and why? - Comments:") says why
        taken.difference_update(mapped.get("comment", ()))
        mapped["comment"], sources["comment"] = (own,), "header"
        reasons["comment"] = "the comment box of the recommend question"
        taken.add(own)

    # A column called only "ID" may be a customer's or a user's; a ResponseId never is (two overlapping exports
    # glued into one file repeat it, and the response may have changed between them: it is still one response).
    if "response_id" in mapped and sources["response_id"] != "--map" and compact(mapped["response_id"][0]) == "id":
        repeated = _repeated_with_other_answers(data, mapped["response_id"][0])
        if repeated:
            # Not a response id (a customer's or a user's, who answers more than once): keyed by the whole row.
            name = mapped.pop("response_id")[0]
            reasons["response_id"] = (
                f"{name!r} is not a response id ({repeated} of its values repeat with other answers): "
                "rows are told apart by their whole content"
            )
    if "submitted_at" not in mapped:
        # A time column under a survey's variable name ("Qtime", "submit_dt_time"): its name holds a time word
        # and its values are written dates; taken when it is the only such column.
        dated = _dated_by_values([column for column in columns if column.name not in taken], sample)
        if dated is not None:
            mapped["submitted_at"] = (dated,)
            sources["submitted_at"] = "header"
            reasons["submitted_at"] = f"{_short(dated)!r}: its name holds a time word and its values are dates"
            taken.add(dated)
    status = next(
        (
            column.name
            for column in columns
            if any(text in STATUS_NAMES for text, _ in column.compacts) or column.import_id == "status"
        ),
        None,
    )
    survey_kind = None
    if "score" in mapped and len(mapped["score"]) == 1:
        survey_kind = _survey_kind(columns, sample, mapped["score"][0])
        if survey_kind is not None:
            labels, other = survey_kind
            why = (
                f"rows with {_short(labels)!r} blank and {_short(other)!r} filled are another survey's ratings,"
                " excluded"
            )
            reasons["score"] = f"{reasons['score']}; {why}" if reasons.get("score") else why
    ordered = {field: mapped[field] for field in CANONICAL_FIELDS if field in mapped}
    return ColumnMapping(
        columns=ordered,
        sources={name: sources[name] for name in ordered},
        status_column=status,
        reasons={name: reasons[name] for name in CANONICAL_FIELDS if name in reasons},  # unmapped: why not
        survey_kind=survey_kind,
    )


_GROUP_OF = {"detractor": 0, "detractors": 0, "passive": 1, "passives": 1, "promoter": 2, "promoters": 2}


def _survey_kind(columns: list[_Column], sample: pd.DataFrame, score: str) -> tuple[str, str] | None:
    """``(labels, other)`` when the score column mixes NPS answers with other surveys' ratings, as a HubSpot
    feedback export does: ``labels`` calls every NPS answer Promoter/Passive/Detractor, in agreement with its
    score, and is blank on the other rows; ``other`` is filled on just those rows (a CSAT label). None for an
    export of one survey (every scored row labelled, or nothing to tell the blank-labelled rows apart)."""
    parsed = None
    labels = None
    for column in columns:
        if column.name == score:
            continue
        # (each distinct value looked at once: most columns are ruled out by their first few values)
        codes, uniques = pd.factorize(sample[column.name].to_numpy(dtype=object))
        if len(uniques) > 12:
            continue
        values = np.array([str(value).strip().casefold() for value in uniques] + [""], dtype=object)
        if not all(value in _GROUP_OF for value in values[:-1] if value):
            continue
        text = pd.Series(values[codes], index=sample.index)
        filled = (text != "").to_numpy()
        if filled.sum() < 3:
            continue
        if parsed is None:
            parsed = parse_scores(sample[score])
        both = filled & parsed.score.notna().to_numpy()
        group = pd.cut(parsed.score[both], [-1, 6, 8, 10], labels=False).astype(int)
        if both.any() and (group.to_numpy() == text[both].map(_GROUP_OF).to_numpy()).mean() >= 0.95:
            labels = (column.name, filled)
            break
    if labels is None:
        return None
    name, labelled = labels
    others = parsed.score.notna().to_numpy() & ~labelled  # rated, not labelled as an NPS answer
    if not others.any():
        return None
    for column in columns:
        if column.name in (score, name):
            continue
        filled = (stripped_text(sample[column.name]) != "").to_numpy()
        # filled on (nearly) every blank-labelled rated row, and on (nearly) no labelled one
        if filled[others].mean() >= 0.95 and filled[labelled].mean() <= 0.05:
            return name, column.name
    return None


def other_survey_rows(data: pd.DataFrame, mapping: ColumnMapping) -> pd.Series:
    """Per row: why it is another survey's rating (see :attr:`ColumnMapping.survey_kind`), else None. A row
    without a score is left to the blank-score rule."""
    reasons = pd.Series(None, index=data.index, dtype=object)
    if mapping.survey_kind is None:
        return reasons
    labels, other = mapping.survey_kind
    blank_label = stripped_text(data[labels]) == ""
    other_filled = stripped_text(data[other]) != ""
    rated = stripped_text(data[mapping.columns["score"][0]]) != ""
    reasons[blank_label & other_filled & rated] = f"another survey's rating ({other} is filled, {labels} is blank)"
    return reasons


# The label of a sheet's summary line ("Total", "Average:", "Median"), lower-case, in the languages of the exports.
# Not "NPS" or "Promoters": an answer can read so (an NPS-group column), and their figures are out of 0-10.
_SUMMARY_LABELS = frozenset(
    {
        "total", "totals", "grand total", "subtotal", "sub-total", "sum", "average", "avg", "mean", "median",
        "total responses", "moyenne", "somme", "médiane", "mediane", "gesamt", "summe", "durchschnitt",
        "mittelwert", "promedio", "media", "média", "suma", "mediana", "soma", "totale", "gemiddelde", "totaal",
    }
)  # fmt: skip
_NUMBER_LIKE = re.compile(r"^[-+]?\d+(?:[.,]\d+)?\s*%?$")
_SUMMARY_SCAN_ROWS = 20_000  # a dateless chunk this long is looked at only in its last _SUMMARY_TAIL_ROWS lines
_SUMMARY_TAIL_ROWS = 200


def summary_rows(data: pd.DataFrame, mapping: ColumnMapping, rows: pd.Series | None) -> pd.Series:
    """Per row of ``data`` (those ``rows`` marks; with None, all, or a long chunk's last lines): the column
    holding its summary label when the row is a sheet's summary line, else None. Such a line starts (in its
    first or second column, neither the comment nor the score) with a label such as "Total", "Average:" or
    "Median", holds nothing but numbers besides ("8.2", "45%"), and has no response id of its own."""
    found = pd.Series(None, index=data.index, dtype=object)
    if data.shape[1] < 2:
        return found
    if rows is not None:
        where = data[rows.to_numpy()]
    else:  # a long dateless table is no sheet kept by hand: only its last lines (a Total under the answers)
        where = data if len(data) <= _SUMMARY_SCAN_ROWS else data.iloc[-_SUMMARY_TAIL_ROWS:]
    ids = mapping.columns.get("response_id", ())
    if ids:  # a response with an id is a response, unless the id cell holds the label
        id_text = stripped_text(where[ids[0]]).str.casefold().str.rstrip(" :.=")
        where = where[((id_text == "") | id_text.isin(_SUMMARY_LABELS)).to_numpy()]
    if where.empty:
        return found
    if any(dtype.kind == "S" for dtype in where.dtypes):  # a narrow read: only the first bytes of some cells
        raise WholeRowsNeeded("a row that may be a summary line")
    skip = {*mapping.columns.get("comment", ()), *mapping.columns.get("score", ())}
    labelled = pd.Series(None, index=where.index, dtype=object)
    earlier_blank = np.ones(len(where), dtype=bool)
    for name in list(where.columns[:2]):
        label, blank = _labels_and_blanks(where[name])
        if name not in skip:
            labelled[earlier_blank & label & labelled.isna().to_numpy()] = name
        earlier_blank &= blank
    candidates = labelled.dropna()
    if candidates.empty:
        return found
    for row, name in candidates.items():
        cells = stripped_text(data.loc[row])
        others = [cell for column, cell in cells.items() if cell and column != name]
        if all(_NUMBER_LIKE.match(cell) for cell in others):
            found[row] = name
    return found


def _labels_and_blanks(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: whether it is a summary label, and whether it is blank (each distinct value looked at once)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    label, blank = [], []
    for value in uniques:
        text = value.strip() if isinstance(value, str) else ""
        label.append(0 < len(text) <= 30 and text.casefold().rstrip(" :.=") in _SUMMARY_LABELS)
        blank.append(not text and (isinstance(value, str) or value is None))
    return np.array([*label, False])[codes], np.array([*blank, True])[codes]


def _describe(header: Header, position: int) -> _Column:
    texts: list[tuple[str, str]] = []
    for text in (header.columns[position], *header.alternates[position]):
        texts.append((text, "header"))
    question = header.questions[position]
    if question:
        texts.append((question, "question text"))
    return _Column(
        position=position,
        name=header.columns[position],
        texts=tuple((" ".join(words(text)), source) for text, source in texts),
        # A name of punctuation only (Typeform's "#") is kept as it is.
        compacts=tuple((compact(text) or text.strip(), source) for text, source in texts),
        import_id=compact(header.import_ids[position]),
    )


def _resolve_override(header: Header, field: str, target: str) -> tuple[str, ...] | None:
    wanted = clean_label(target).casefold()
    views: list[Callable[[int], list[str]]] = [
        lambda i: [header.columns[i]],
        lambda i: list(header.alternates[i]),
        lambda i: [header.questions[i]],
    ]
    for view in views:
        for position in range(len(header.columns)):
            if any(text.casefold() == wanted for text in view(position) if text):
                return (header.columns[position],)
    loose = compact(target)
    if loose:
        for view in views:
            for position in range(len(header.columns)):
                if any(compact(text) == loose for text in view(position) if text):
                    return (header.columns[position],)
    if field == "patient_name" and "+" in target:
        parts = [_resolve_override(header, "", part) for part in target.split("+")]
        if all(parts):
            return tuple(part[0] for part in parts if part)
    return None


def _candidates(field: str, columns: list[_Column]) -> tuple[list[tuple[int, str, _Column]], set[str]]:
    """The columns named like ``field``, as ``(priority, source, column)``, and the names of those named exactly
    like it."""
    rule = RULES[field]
    candidates: list[tuple[int, str, _Column]] = []
    exact_names: set[str] = set()
    for column in columns:
        if any(re.search(pattern, text) for pattern in rule.exclude for text, _ in column.texts):
            continue
        found = _match(rule, column)
        if found is not None:
            candidates.append((found[0], found[1], column))
            if found[2]:
                exact_names.add(column.name)
    return candidates, exact_names


def _refused_scores(columns: list[_Column], sample: pd.DataFrame, header: Header) -> str:
    """When no column is the score: the columns named like it and why each is not one ("'Would you recommend
    us?' (column 44): text answers"), the best named first, for the error; "" when none is named like it."""
    candidates, exact_names = _candidates("score", columns)
    found = []
    for *_, column in sorted(candidates, key=lambda c: (c[0], c[2].position))[:3]:
        named = column.name in exact_names and not {text for text, _ in column.compacts} & _QUESTION_NAMES
        content, why = _score_content(sample[column.name], parse_scores(sample[column.name]), named=named)
        if content is None:
            place = header.positions[column.position] + 1
            found.append(f"{safe_label(column.name)!r} (column {place}) holds {why}")
    return "; ".join(found)


def _best(field: str, columns: list[_Column], sample: pd.DataFrame) -> tuple[tuple[str, ...], str, str] | None:
    """``(columns, source, reason)`` of the column that best holds ``field``, or None; ``reason`` says why when
    the values decided between candidates ("" otherwise)."""
    candidates, exact_names = _candidates(field, columns)
    if not candidates:
        return None
    if field == "score":
        return _best_score(candidates, exact_names, sample)
    named = list(candidates)
    if field == "comment":
        candidates = [
            c
            for c in candidates
            if _could_be_comment(sample[c[2].name]) and (c[2].name in exact_names or _free_text(sample[c[2].name]))
        ]
    elif field in ("location", "department", "provider"):
        # a header that only resembles the field's name ("Custom Practice") over 1-5 ratings is not a site
        candidates = [c for c in candidates if c[2].name in exact_names or _could_be_comment(sample[c[2].name])]
    elif field == "submitted_at":
        candidates = [c for c in candidates if _could_be_date(sample[c[2].name])]
    if not candidates:
        return None
    if field == "comment":
        lengths = {c[2].name: _mean_length(sample[c[2].name]) for c in candidates}
        best = min(candidates, key=lambda c: (c[0], -lengths[c[2].name], c[2].position))
    else:
        best = min(candidates, key=lambda c: (c[0], c[2].position))
    reason = ""
    ahead = [c[2].name for c in named if c not in candidates and (c[0], c[2].position) < (best[0], best[2].position)]
    if ahead and field == "submitted_at":  # a better-named column whose values are not dates ("UTC-3")
        reason = "values read as dates; " + "; ".join(f"not {_short(name)!r}: not dates" for name in ahead)
    return (best[2].name,), best[1], reason


# What a score candidate's values are, best first: whole numbers spread over 0-10 (or too few answers to
# tell); a 1-5 or 1-7 scale, or yes/no codes under a header named exactly like a score (taken only when nothing
# better is there; the scale check then refuses a 1-5 or 1-7 column); text under such a header (bad cells
# rejected row by row).
_GOOD, _FIVE_POINT, _TEXT = 0, 1, 2
_CONTENT_WORDS = {_GOOD: "0-10 integers", _FIVE_POINT: "a 1-5 or 1-7 scale, or yes/no codes", _TEXT: "text answers"}


def _best_score(
    candidates: list[tuple[int, str, _Column]], exact_names: set[str], sample: pd.DataFrame
) -> tuple[tuple[str, ...], str, str] | None:
    judged: list[tuple[int, int, str, _Column]] = []  # (content class, header priority, source, column)
    refused: list[tuple[str, str]] = []  # (column, why it is not a score)
    scores: dict[str, pd.Series] = {}  # each candidate's scores, parsed once
    for priority, source, column in candidates:
        # Named like a number ("Score", "NPS"), not like a question ("Recommend"), it is taken as one.
        named = column.name in exact_names and not {text for text, _ in column.compacts} & _QUESTION_NAMES
        parsed = parse_scores(sample[column.name])
        scores[column.name] = parsed.score
        content, why = _score_content(sample[column.name], parsed, named=named)
        if content is None:
            refused.append((column.name, why))
        else:
            judged.append((content, priority, source, column))
    if not judged:
        return None
    best = min(judged, key=lambda c: (c[0], c[1], c[3].position))
    twins = [c[3] for c in judged if c[:2] == best[:2] and _base_name(c[3].name) == _base_name(best[3].name)]
    if len(twins) > 1:  # two columns with the same header: which one is the score is a guess
        raise AmbiguousColumn([column.name for column in twins], [column.position for column in twins])
    equals = [c[3] for c in judged if c[:2] == best[:2] and c[0] == _GOOD and c[3] is not best[3]]
    chosen = scores[best[3].name]
    equals = [column for column in equals if not scores[column.name].equals(chosen)]  # copies
    if equals:  # two recommend questions ("... recommend R", "... recommend Python"): choosing is a guess
        tied = sorted([best[3], *equals], key=lambda column: column.position)
        raise AmbiguousColumn(
            [column.name for column in tied],
            [column.position for column in tied],
            same_name=False,
            why="each named like the score and holding 0-10 answers",
        )
    passed = [(c[3].name, _CONTENT_WORDS[c[0]]) for c in judged if c[0] > best[0]]  # worse by content
    others = passed + refused
    reason = ""
    if others:
        reason = f"{_CONTENT_WORDS[best[0]]}; " + "; ".join(f"not {_short(name)!r}: {why}" for name, why in others)
    return (best[3].name,), best[2], reason


_QUESTION_NAMES = {"recommend", "recommendation"}


def _short(name: str) -> str:
    return name if len(name) <= 40 else name[:37] + "..."


def _score_content(values: pd.Series, parsed: ScoreParse, *, named: bool) -> tuple[int | None, str]:
    """The content class of a score candidate (None: never a score) and, for None, why (``parsed``: its
    values through :func:`parse_scores`)."""
    filled = ~parsed.blank
    answers = int(filled.sum())
    if answers == 0:
        return _GOOD, ""  # no answers yet: the header decides
    text = stripped_text(values)[filled]
    if text.str.casefold().isin(_NPS_GROUPS).mean() >= 0.5:
        return None, "Detractor/Passive/Promoter labels"
    valid = parsed.score[filled].dropna()
    if len(valid) < 0.5 * answers:
        return (_TEXT, "") if named else (None, "text answers")
    if answers < SCALE_MIN_VALUES:
        return _GOOD, ""  # too few answers to judge by
    distinct = sorted(set(valid.astype(int).tolist()))
    if _binary_codes(distinct):
        why = f"only the answers {'/'.join(str(value) for value in distinct)} (a yes/no question)"
        # A column named exactly like a score ("Score", "NPS") is taken only when nothing better is there.
        return (_FIVE_POINT, why) if named else (None, why)
    if distinct[0] >= 1 and distinct[-1] <= 7:  # a 1-5 or 1-7 rating: nobody gave 0, 8, 9 or 10
        return _FIVE_POINT, ""
    return _GOOD, ""


def _binary_codes(distinct: list[int]) -> bool:
    """Two different answers at most, as yes/no questions are coded (0/1, 1/2, 0/10...): not a 0-10 score.
    Only 9 and 10 (or 8 and 9, or one answer above 2) is a small survey of happy people, not a code."""
    if len(distinct) > 2:
        return False
    if len(distinct) == 1:
        return distinct[0] <= 2
    return not (distinct[1] - distinct[0] == 1 and distinct[0] >= 8)


_TIME_WORDS = re.compile(r"time|date|fecha|datum|zeit|horodat|timestamp")
_WRITTEN_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}([ T]\d{1,2}:\d{2}.*)?$")


def _dated_by_values(columns: list[_Column], sample: pd.DataFrame) -> str | None:
    """The one column whose compact name holds a time word (and nothing the date rule rules out: a duration,
    a birth date, a time zone) and whose answers are all written dates that parse ("2020-12-11T09:07:17Z",
    "11/12/2020 09:07"; a plain number is never taken for one), or None."""
    found = []
    for column in columns:
        names = [text for text, _ in column.compacts]
        texts = [text for text, _ in column.texts]
        if not any(_TIME_WORDS.search(name) for name in names):
            continue
        if any(re.search(pattern, text) for pattern in RULES["submitted_at"].exclude for text in texts):
            continue
        text = stripped_text(sample[column.name])
        filled = text[text != ""]
        if len(filled) < 3 or not filled.str.match(_WRITTEN_DATE).all():
            continue
        try:
            parsed = parse_datetimes(filled, timezone="UTC", dayfirst=None, default_dayfirst=False, where="")
        except NpsError:
            continue
        if parsed.utc.notna().all():
            found.append(column.name)
    return found[0] if len(found) == 1 else None


def _could_be_date(values: pd.Series) -> bool:
    """Whether most answers of a time candidate read as dates (or there are none to tell by)."""
    text = stripped_text(values)
    filled = values[text != ""]
    if filled.empty:
        return True
    try:
        parsed = parse_datetimes(filled, timezone="UTC", dayfirst=None, default_dayfirst=False, where="")
    except NpsError:  # dates in both day/month orders: dates all the same (the import says what is wrong)
        return True
    dated = parsed.utc.notna() if parsed.out_of_range is None else parsed.utc.notna() | parsed.out_of_range
    return bool(dated.mean() >= 0.5)


class AmbiguousColumn(Exception):
    """Several columns carry the same header, or are equally good, and each could be the field (raised to
    :func:`map_columns`)."""

    def __init__(self, names: list[str], positions: list[int], *, same_name: bool = True, why: str = "") -> None:
        super().__init__(", ".join(names))
        self.names, self.positions, self.same_name, self.why = names, positions, same_name, why


def _base_name(name: str) -> str:
    """The header as the file has it: "Score (2)" is the second column named "Score"."""
    return re.sub(r" \(\d+\)$", "", name)


def _match(rule: Rule, column: _Column) -> tuple[int, str, bool] | None:
    """``(priority, source, by exact name)`` of the strongest way ``column`` is named for ``rule``, or None."""
    found: list[tuple[int, str, bool]] = []
    for priority, names in enumerate(rule.exact):
        found.extend((priority, source, True) for text, source in column.compacts if text in names)
    if rule.import_ids and column.import_id in rule.import_ids:
        found.append((rule.import_ids[column.import_id], "header", True))
    base = len(rule.exact)
    priorities = rule.phrase_priorities or tuple(range(base, base + len(rule.phrases)))
    for priority, patterns in zip(priorities, rule.phrases, strict=True):
        for text, source in column.texts:
            if any(re.search(pattern, text) for pattern in patterns):
                found.append((priority, source, False))
    if rule.short_words:
        weakest = max(priorities, default=base - 1) + 1
        for text, source in column.texts:
            tokens = text.split()
            if 0 < len(tokens) <= 3 and rule.short_words & set(tokens):
                found.append((weakest, source, False))
    if rule is RULES["comment"] and re.fullmatch(r"qid\d+text", column.import_id):
        found.append((base, "header", False))
    if not found:
        return None
    # The strongest match; a field-name match beats a question-text match of the same strength.
    return min(found, key=lambda item: (item[0], item[1] != "header", not item[2]))


def _repeated_with_other_answers(data: pd.DataFrame, column: str) -> int:
    """How many ids of ``column`` appear on rows that differ elsewhere (0 for a true response id: a response
    exported twice in one file is the same row twice)."""
    ids = stripped_text(data[column])
    repeated = ids.duplicated(keep=False) & (ids != "")
    if not repeated.any():
        return 0
    rows = data[repeated.to_numpy()].apply(stripped_text)
    distinct = rows.drop_duplicates()
    return int(distinct[column].duplicated(keep=False).pipe(lambda dup: distinct[column][dup].nunique()))


def _score_question_comment(mapped, sources, columns: list[_Column], taken: set[str], sample) -> str | None:
    """The column that is the score question's own comment box, as SurveyMonkey exports it ("Would you
    recommend us, and why? - Comments:" beside "Would you recommend us, and why?"), when it holds some free
    text, answered at least half as often as the comment chosen by name, and the comment was not named with
    --map; else None (the comment chosen by name stands)."""
    if sources.get("comment") == "--map" or len(mapped.get("score", ())) != 1:
        return None
    prefix = mapped["score"][0] + " - "
    chosen = mapped.get("comment", ())
    # ... answered at least half as often as the comment chosen by name (an empty "why" box loses nothing)
    wanted = max(1, (stripped_text(sample[chosen[0]]) != "").sum() / 2) if chosen else 1
    for column in columns:
        if not column.name.startswith(prefix) or (column.name in taken and column.name not in chosen):
            continue
        values = sample[column.name]
        if (stripped_text(values) != "").sum() >= wanted and _could_be_comment(values) and _free_text(values):
            return column.name
    return None


def _could_be_comment(values: pd.Series) -> bool:
    text = stripped_text(values)
    filled = text[text != ""]
    if filled.empty:
        return True
    return pd.to_numeric(filled, errors="coerce").notna().mean() < 0.5


def _free_text(values: pd.Series) -> bool:
    """Answers people wrote, not picked: a column of twenty or more answers drawn from ten or fewer values
    ("Strongly agree", "Neutral", ...) is a multiple-choice question."""
    text = stripped_text(values)
    filled = text[text != ""]
    return len(filled) < 20 or filled.nunique() > 10


def _mean_length(values: pd.Series) -> float:
    text = stripped_text(values)
    filled = text[text != ""]
    return float(filled.str.len().mean()) if not filled.empty else 0.0


def _name_pair(columns: list[_Column]) -> tuple[tuple[str, ...], str] | None:
    first = next((c for c in columns if any(t in FIRST_NAMES for t, _ in c.compacts)), None)
    last = next((c for c in columns if any(t in LAST_NAMES for t, _ in c.compacts)), None)
    if first is None or last is None:
        return None
    return (first.name, last.name), "header"
