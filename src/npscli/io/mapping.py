"""Decide which column of an export holds each canonical field (score, time, comment, clinic...).

Columns are matched by their field name and, for Qualtrics and SurveyMonkey, by their question text too,
ignoring case, spacing, punctuation and accents; English, Spanish and German wording is understood. Where
several columns could be the score or the comment, a sample of their values decides (a score column
holds numbers, never Detractor/Passive/Promoter; the comment is the column with the longest answers).
Overrides from ``--map`` / ``npscli.toml`` always win.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from npscli.core.errors import ColumnError, UsageError
from npscli.io.layouts import Header, clean_label, compact, words
from npscli.io.readers import stripped_text
from npscli.io.values import score_like_share

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
class _Rule:
    """Ways a column can be named for one field, strongest first (priority 0, 1, 2...)."""

    exact: tuple[frozenset[str], ...] = ()  # compact names, one set per priority
    phrases: tuple[tuple[str, ...], ...] = ()  # regexes on the normalised text, one tuple per priority
    phrase_priorities: tuple[int, ...] | None = None  # default: after the exact names, in order
    short_words: frozenset[str] = frozenset()  # a word that names the field in a header of <= 3 words
    import_ids: dict[str, int] | None = None  # Qualtrics ImportId (compact) -> priority
    exclude: tuple[str, ...] = ()  # regexes on the normalised text that rule a column out


def _sets(*groups: str) -> tuple[frozenset[str], ...]:
    return tuple(frozenset(group.split()) for group in groups)


_RULES: dict[str, _Rule] = {
    "score": _Rule(
        # The NPS question itself beats a column merely called "Score" (Google Forms quizzes have one).
        exact=_sets(
            "nps npsscore npsrating likelihoodtorecommend ltr netpromoterscore recommendationscore npsantwort",
            "score recommend recommendation puntuacion puntaje bewertung",
        ),
        phrases=(
            (r"\blikel\w* .*recommend", r"\bwahrscheinlich.*empfehl", r"\bprobab\w* .*recomend"),
            (r"recommend", r"recomend", r"empfehl", r"recommand", r"raccomand", r"\bnps\b"),
        ),
        phrase_priorities=(0, 2),
        short_words=frozenset({"score", "rating", "nps"}),
        exclude=(r"npsgroup$", r"\bnps group\b", r"\bgroup\b", r"\bsentiment", r"\btopics?\b", r"\bcategory\b"),
    ),
    "submitted_at": _Rule(
        exact=_sets(
            "recordeddate erfassungsdatum",
            "enddate submitdate submitdateutc datesubmitted submittedat submitted submissiondate "
            "responsetimestamp timestamp completedat completeddate completed completiondate createdat "
            "responsedate enddatum zeitstempel marcatemporal fechayhora fechadeenvio",
            "created date datetime surveydate responsecreated datum fecha",
            "startdate startdateutc anfangsdatum startedat",
        ),
        phrases=((r"\bsubmi(t|tted|ssion)\b", r"\btimestamp\b", r"\brecorded\b", r"\bcompleted\b"),),
        short_words=frozenset({"date", "timestamp", "datum", "fecha", "time"}),
        import_ids={"recordeddate": 0, "enddate": 1, "startdate": 3},
        exclude=(r"\bupdated\b", r"\bbirth", r"\bdob\b", r"\bduration\b"),
    ),
    "response_id": _Rule(
        exact=_sets(
            "# responseid respondentid responseidentifier token responsetoken submissionid antwortid "
            "idderantwort iddelarespuesta",
            "id responsenumber",
        ),
        import_ids={"recordid": 0, "responseid": 0},
    ),
    "comment": _Rule(
        exact=_sets(
            "comment comments feedback additionalcomments anycomments othercomments kommentar kommentare "
            "anmerkung anmerkungen comentario comentarios commentaire commentaires verbatim freetext remarks "
            "npscomment reason"
        ),
        phrases=(
            (
                r"\bwhy\b",
                r"\bdo better\b",
                r"\bplease tell us\b",
                r"\btell us\b",
                r"\breason for\b",
                r"\bimprove",
                r"\bcomment",
                r"\bfeedback\b",
                r"\bsuggestion",
                r"\bpor que\b",
                r"\bporque\b",
                r"\bmejorar\b",
                r"\bcomentario",
                r"\bwarum\b",
                r"\bverbesser",
                r"\bkommentar",
                r"\bbegrundung\b",
                r"\bpourquoi\b",
                r"\bameliorer\b",
                r"\bfree text\b",
                r"\bfreitext\b",
                r"\banything else\b",
            ),
            (r"\bopen ended response\b",),
        ),
        exclude=(r"\btopics?\b", r"\bsentiment\b", r"\bpolarity\b", r"\bparent topics\b", r"npsgroup$"),
    ),
    "location": _Rule(
        exact=_sets(
            "clinic site practice location office facility clinicname sitename locationname practicename "
            "officename facilityname cliniclocation clinicsite praxis standort klinik clinica sede centro "
            "branch hospital"
        ),
        phrases=(
            (
                r"\b(which|what) (clinic|location|site|office|practice|facility|hospital)\b",
                r"\b(clinic|location|site|office|practice|facility) (did )?you visit",
                r"\bwelche (praxis|klinik)\b",
                r"\bwelcher standort\b",
                r"\bque (clinica|centro|sede)\b",
            ),
        ),
        short_words=frozenset(
            {"clinic", "site", "practice", "location", "office", "facility", "praxis", "standort", "klinik"}
        ),
        exclude=(
            r"latitude",
            r"longitude",
            r"accuracy",
            r"breitengrad",
            r"langengrad",
            r"\blat\b",
            r"\blng\b",
            r"\bip\b",
            r"website",
            r"\bweb site\b",
        ),
    ),
    "department": _Rule(
        exact=_sets(
            "department dept service specialty speciality unit departmentname servicename serviceline "
            "abteilung fachbereich fachrichtung departamento servicio especialidad ward"
        ),
        phrases=(
            (
                r"\b(which|what) (department|service|specialty|speciality|unit|ward)\b",
                r"\bwelche (abteilung|fachrichtung|station)\b",
                r"\bque (departamento|servicio|especialidad)\b",
            ),
        ),
        short_words=frozenset({"department", "dept", "specialty", "speciality", "unit", "abteilung"}),
    ),
    "provider": _Rule(
        exact=_sets(
            "provider doctor physician clinician providername doctorname physicianname clinicianname arzt "
            "arztin medico doctora dr practitioner therapist dentist attendingphysician"
        ),
        phrases=(
            (
                r"\bwho did you see\b",
                r"\bwho (was|were) your\b",
                r"\b(which|what) (provider|doctor|physician)",
                r"\bseen by\b",
                r"\bwelche[rn]? (arzt|arztin)\b",
                r"\bque medico\b",
            ),
        ),
        short_words=frozenset({"provider", "doctor", "physician", "clinician", "arzt"}),
    ),
    "patient_name": _Rule(
        exact=_sets(
            "name patientname fullname respondentname yourname patient nombre patientenname nombrecompleto contactname"
        ),
    ),
    "email": _Rule(
        exact=_sets(
            "email emailaddress recipientemail mail emailadresse correo correoelectronico patientemail "
            "respondentemail contactemail courriel"
        ),
        short_words=frozenset({"email", "mail"}),
    ),
    "phone": _Rule(
        exact=_sets(
            "phone mobile phonenumber mobilenumber mobilephone cell cellphone telephone telefon telefono "
            "telefonnummer handy contactnumber patientphone tel"
        ),
        short_words=frozenset({"phone", "mobile", "telefon", "telephone"}),
    ),
    "patient_id": _Rule(
        exact=_sets(
            "patientid mrn patientnumber externalreference externaldatareference medicalrecordnumber "
            "chartnumber patientno externalid patid patientennummer"
        ),
        short_words=frozenset({"mrn"}),
        import_ids={"externaldatareference": 0},
    ),
}
_FIRST_NAMES = {"firstname", "recipientfirstname", "patientfirstname", "givenname", "vorname"}
_LAST_NAMES = {"lastname", "recipientlastname", "patientlastname", "surname", "familyname", "nachname", "apellido"}
_STATUS_NAMES = {"status", "responsetype", "antworttyp"}


@dataclass(frozen=True)
class ColumnMapping:
    """Canonical field -> the source column(s) holding it, and how that was decided."""

    columns: dict[str, tuple[str, ...]]  # patient_name may combine a first-name and a last-name column
    sources: dict[str, str]  # "--map" | "header" | "question text"
    status_column: str | None = None

    def public(self) -> dict[str, str]:
        return {field: " + ".join(names) for field, names in self.columns.items()}


@dataclass(frozen=True)
class _Column:
    position: int
    name: str
    texts: tuple[tuple[str, str], ...]  # (normalised text, "header" | "question text")
    compacts: tuple[tuple[str, str], ...]  # (compact text, "header" | "question text")
    import_id: str


def describe_columns(columns: list[str]) -> str:
    """``A, B, C`` for an error message (column names are not patient data), shortened when very long."""
    shown = ", ".join(columns[:_LIST_LIMIT])
    if len(columns) > _LIST_LIMIT:
        shown += f", ... ({len(columns) - _LIST_LIMIT} more)"
    return shown


def map_columns(header: Header, data: pd.DataFrame, overrides: dict[str, str], file_name: str) -> ColumnMapping:
    """Map canonical fields to the columns of ``data`` (named by ``header``)."""
    columns = [_describe(header, position) for position in range(len(header.columns))]
    sample = data.head(_SAMPLE_ROWS)
    mapped: dict[str, tuple[str, ...]] = {}
    sources: dict[str, str] = {}

    for field, target in overrides.items():
        if field not in CANONICAL_FIELDS:
            raise UsageError(
                f"--map {field}={target}: unknown field {field!r}",
                hint=f"map one of: {', '.join(CANONICAL_FIELDS)}",
            )
        names = _resolve_override(header, field, target)
        if names is None:
            raise ColumnError(
                f"{file_name}: --map {field}={target}: no such column (columns: {describe_columns(header.columns)})",
                hint="name a column by its header or its question text, as shown in the file",
            )
        mapped[field] = names
        sources[field] = "--map"

    taken = {name for names in mapped.values() for name in names}
    for field in _CLAIM_ORDER:
        if field in mapped:
            continue
        try:
            found = _best(field, [column for column in columns if column.name not in taken], sample)
        except AmbiguousColumn as twins:
            places = [header.positions[position] + 1 for position in twins.positions]  # the file's column numbers
            where = " and ".join(f"{name!r} (column {place})" for name, place in zip(twins.names, places, strict=True))
            raise ColumnError(
                f"{file_name}: {len(twins.names)} columns are named {_base_name(twins.names[0])!r}: {where}; "
                f"which one is the {field} is a guess",
                hint=f"say which with --map {field}={twins.names[-1]!r} (or --map {field}={twins.names[0]!r})",
            ) from None
        if found is None and field == "patient_name":
            found = _name_pair([column for column in columns if column.name not in taken])
        if found is None:
            continue
        names, source = found
        mapped[field] = names
        sources[field] = source
        taken.update(names)

    status = next(
        (
            column.name
            for column in columns
            if any(text in _STATUS_NAMES for text, _ in column.compacts) or column.import_id == "status"
        ),
        None,
    )
    ordered = {field: mapped[field] for field in CANONICAL_FIELDS if field in mapped}
    return ColumnMapping(columns=ordered, sources={field: sources[field] for field in ordered}, status_column=status)


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


def _best(field: str, columns: list[_Column], sample: pd.DataFrame) -> tuple[tuple[str, ...], str] | None:
    rule = _RULES[field]
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
    if not candidates:
        return None
    if field == "score":
        # A column named exactly like a score is kept whatever it holds (bad cells are rejected row by
        # row); one matched by wording ("...recommend us?") must hold numbers to be the score.
        candidates = [c for c in candidates if _could_be_score(sample[c[2].name], named=c[2].name in exact_names)]
    elif field == "comment":
        candidates = [c for c in candidates if _could_be_comment(sample[c[2].name])]
    if not candidates:
        return None
    if field == "comment":
        lengths = {c[2].name: _mean_length(sample[c[2].name]) for c in candidates}
        best = min(candidates, key=lambda c: (c[0], -lengths[c[2].name], c[2].position))
    else:
        best = min(candidates, key=lambda c: (c[0], c[2].position))
    if field == "score":
        twins = [c[2] for c in candidates if c[0] == best[0] and _base_name(c[2].name) == _base_name(best[2].name)]
        if len(twins) > 1:  # two columns with the same header: which one is the score is a guess
            raise AmbiguousColumn(field, [column.name for column in twins], [column.position for column in twins])
    return (best[2].name,), best[1]


class AmbiguousColumn(Exception):
    """Several columns carry the same header and each could be ``field`` (raised to :func:`map_columns`)."""

    def __init__(self, field: str, names: list[str], positions: list[int]) -> None:
        super().__init__(field)
        self.field, self.names, self.positions = field, names, positions


def _base_name(name: str) -> str:
    """The header as the file has it: "Score (2)" is the second column named "Score"."""
    return re.sub(r" \(\d+\)$", "", name)


def _match(rule: _Rule, column: _Column) -> tuple[int, str, bool] | None:
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
    if rule is _RULES["comment"] and re.fullmatch(r"qid\d+text", column.import_id):
        found.append((base, "header", False))
    if not found:
        return None
    # The strongest match; a field-name match beats a question-text match of the same strength.
    return min(found, key=lambda item: (item[0], item[1] != "header", not item[2]))


def _could_be_score(values: pd.Series, *, named: bool) -> bool:
    text = stripped_text(values)
    filled = text[text != ""]
    if filled.empty:
        return True
    if filled.str.casefold().isin(_NPS_GROUPS).mean() >= 0.5:
        return False
    return named or score_like_share(filled) >= 0.5


def _could_be_comment(values: pd.Series) -> bool:
    text = stripped_text(values)
    filled = text[text != ""]
    if filled.empty:
        return True
    return pd.to_numeric(filled, errors="coerce").notna().mean() < 0.5


def _mean_length(values: pd.Series) -> float:
    text = stripped_text(values)
    filled = text[text != ""]
    return float(filled.str.len().mean()) if not filled.empty else 0.0


def _name_pair(columns: list[_Column]) -> tuple[tuple[str, ...], str] | None:
    first = next((c for c in columns if any(t in _FIRST_NAMES for t, _ in c.compacts)), None)
    last = next((c for c in columns if any(t in _LAST_NAMES for t, _ in c.compacts)), None)
    if first is None or last is None:
        return None
    return (first.name, last.name), "header"
