"""The public-reply guard: a reply to an online review must not disclose that the reviewer is a patient."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from npscli.core.errors import TemplateError
from npscli.core.names import HONORIFICS
from npscli.core.themes import fold
from npscli.services.outreach.constants import KIND_PUBLIC

if TYPE_CHECKING:
    from npscli.services.outreach.drafts import Draft


# ---------------------------------------------------------------------------------------------- the guard


class PublicReplyError(TemplateError):
    """A public reply that would disclose who the patient is or what their care was (exit 8)."""


# Words that carry no detail on their own: two of them in a row say nothing about a patient's care.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did didn do does doesn doing don down during each even ever every few for
    from further get got had hadn has hasn have haven having he her here hers herself him himself his how i if
    in into is isn it its itself just let ll m me more most much my myself no nor not now of off on once only
    or other our ours ourselves out over own re really s same she should so some still such t than that the
    their theirs them themselves then there these they this those through to too under until up us ve very
    was wasn we were weren what when where which while who whom why will with won would wouldn couldn you
    your yours yourself yourselves d please thank thanks thankyou sorry hear hearing glad dear hello hi yes ok
    okay also anyone someone something anything everyone everything nobody nothing always never
    a al algo algunas algunos ante antes como con contra cual cuando de del desde donde durante e el ella
    ellas ellos en entre era es esa esas ese eso esos esta estaba estas este esto estos estuvo fue ha había
    habia han hasta hay he la las le les lo los mas me mi mis mucho muchos muy nada ni no nos nosotros o os
    otra otras otro otros para pero poco por porque que quien quienes se sin sobre son su sus tambien te ti
    todo todos tu tus un una uno unos usted ustedes y ya yo gracias hola""".split()
)

# Clinical vocabulary (folded): a term the patient used that reappears in a public reply confirms their care.
CLINICAL_TERMS = frozenset(
    """pain ache aches chest heart cardiac lung lungs breath breathing cough fever rash headache migraine nausea
    vomiting dizzy dizziness bleeding blood bruise swelling knee hip shoulder ankle wrist spine stomach abdomen
    abdominal bowel bladder kidney liver skin eye eyes ear ears throat tooth teeth dental gum gums
    diabetes diabetic cancer tumor tumour asthma copd hypertension cholesterol thyroid depression depressed
    anxiety anxious panic bipolar schizophrenia suicidal pregnant pregnancy prenatal postpartum miscarriage
    abortion fertility ivf infection infected covid flu std sti hiv hepatitis herpes fracture injury wound
    stroke seizure epilepsy dementia alzheimer adhd autism addiction alcohol opioid opioids overdose arthritis
    allergy allergic asthma obesity weight
    surgery surgical operation biopsy mri ct xray ultrasound mammogram colonoscopy endoscopy bloodwork
    lab labs vaccine vaccination vaccinated shot shots injection iv stitches ekg ecg scan screening exam
    diagnosis diagnosed misdiagnosed prognosis treatment therapy physical physiotherapy prescription
    prescribed medication medications meds medicine refill pharmacy antibiotic antibiotics insulin dose dosage
    referral specialist results psychiatric psychiatrist psychologist therapist counseling counselling rehab
    cardiology oncology dermatology pediatric pediatrics gynecology gynecologist obgyn urology orthopedic
    neurology psychiatry radiology chemo chemotherapy dialysis transplant
    dolor pecho corazon sangre embarazo embarazada cirugia operacion receta medicamento medicamentos medicina
    diagnostico tratamiento analisis vacuna inyeccion diabetes cancer presion infeccion fiebre tos alergia
    ansiedad depresion""".split()
)

_MONTHS = {
    1: ("january", "jan", "enero", "ene"),
    2: ("february", "feb", "febrero"),
    3: ("march", "mar", "marzo"),
    4: ("april", "apr", "abril", "abr"),
    5: ("may", "mayo"),
    6: ("june", "jun", "junio"),
    7: ("july", "jul", "julio"),
    8: ("august", "aug", "agosto", "ago"),
    9: ("september", "sept", "sep", "septiembre", "setiembre"),
    10: ("october", "oct", "octubre"),
    11: ("november", "nov", "noviembre"),
    12: ("december", "dec", "diciembre", "dic"),
}
_NAME_NOISE = HONORIFICS | frozenset(
    "de del la las los da das do dos di du van von der den le el y e st jr ii iii iv".split()
)
_TOKEN = re.compile(r"[^\W_]+")


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _tokens(folded: str) -> list[str]:
    return [_stem(t) for t in _TOKEN.findall(folded)]


def _is_content(word: str) -> bool:
    return word not in STOPWORDS and (len(word) >= 3 or word.isdigit())


def _content_pairs(folded: str) -> set[tuple[str, str]]:
    tokens = _tokens(folded)
    return {(a, b) for a, b in zip(tokens, tokens[1:], strict=False) if _is_content(a) and _is_content(b)}


def _without(folded: str, phrases: Iterable[str]) -> str:
    """``folded`` with each allowed phrase (the clinic's name, the sender's signature, ...) blanked out."""
    for phrase in sorted({fold(p).strip() for p in phrases if p and fold(p).strip()}, key=len, reverse=True):
        folded = re.sub(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", " ", folded)
    return folded


def _date_pattern(day: date) -> re.Pattern[str]:
    d, m = rf"0?{day.day}", rf"0?{day.month}"
    y = rf"(?:{day.year}|{day.year % 100:02d})"
    sep = r"[/.\-]"
    months = "|".join(_MONTHS[day.month])
    ordinal = r"(?:st|nd|rd|th|o|º)?"
    forms = [
        rf"{day.year}{sep}{m}{sep}{d}",  # 2025-11-03
        rf"{m}{sep}{d}(?:{sep}{y})?",  # 11/03/2025, 11/3
        rf"{d}{sep}{m}(?:{sep}{y})?",  # 03/11/2025, 3.11.25
        rf"(?:{months})\.?\s+{d}{ordinal}",  # November 3, Nov. 3rd
        rf"{d}{ordinal}\s+(?:of\s+|de\s+)?(?:{months})\b",  # 3 November, 3rd of Nov, 3 de noviembre
    ]
    return re.compile(r"(?<![\w/.\-])(?:" + "|".join(forms) + r")(?![\w/]|[.\-]\d)")


def _digits(text: str) -> list[str]:
    return ["".join(ch for ch in run if ch.isdigit()) for run in re.findall(r"\+?\d[\d\s().\-]*\d", text)]


def public_reply_problems(text: str, context: dict[str, Any]) -> list[str]:
    """What a public reply would disclose about the patient (empty when it is safe to post).

    Checked, case- and accent-insensitively, after blanking out what the clinic may say about itself (its
    name and phone, the location and its phone, the sender's name, title, e-mail and phone):

    * the patient's name: any part of two letters or more (honorifics and particles such as "de" aside);
    * their e-mail address, or their phone number (its last seven digits, however it is punctuated);
    * the visit date: 2025-11-03, 11/3, 11/03/2025, 3.11.25, November 3, Nov. 3rd, 3 de noviembre, ...;
    * clinical detail from the comment: two or more content words in a row that the comment also has
      (a shared pair of words that are not stop words: "chest pain", "blood test", "waited 3 hours"), or a
      word of a clinical vocabulary (``CLINICAL_TERMS``) that both the comment and the reply use.
    """
    allowed = [
        context.get(k) or ""
        for k in (
            "clinic_name",
            "clinic_phone",
            "location",
            "location_phone",
            "sender_name",
            "sender_title",
            "sender_email",
            "sender_phone",
        )
    ]
    reply = _without(fold(text), allowed)
    problems: list[str] = []

    names = [
        p
        for p in re.split(r"[^\w]+|_", fold(context.get("patient_name") or ""))
        if len(p) >= 2 and p not in _NAME_NOISE and not p.isdigit()
    ]
    if any(re.search(rf"(?<!\w){re.escape(p)}(?!\w)", reply) for p in names):
        problems.append("the patient's name")

    email = fold(context.get("patient_email") or "").strip()
    if email and email in reply:
        problems.append("the patient's e-mail address")
    phone = "".join(ch for ch in context.get("patient_phone") or "" if ch.isdigit())
    if len(phone) >= 7 and any(phone[-7:] in run for run in _digits(reply)):
        problems.append("the patient's phone number")

    visit = context.get("visit_date")
    if isinstance(visit, date) and _date_pattern(visit).search(reply):
        problems.append("the visit date")

    comment = _without(fold(context.get("comment") or ""), allowed)
    if comment.strip():
        if _content_pairs(comment) & _content_pairs(reply):
            problems.append("words from the patient's comment (two or more in a row)")
        terms = set(_tokens(comment)) & set(_tokens(reply)) & {_stem(t) for t in CLINICAL_TERMS}
        if terms:
            problems.append("a clinical term the patient used")
    return problems


def refuse_abusive_public_reply(draft: Draft, taxonomy: Any) -> None:
    """A review with abusive language is not answered in public (the taxonomy's abusive-language list): the
    reply would put the thread back on top. PublicReplyError (exit 8) before anything is written."""
    if draft.kind == KIND_PUBLIC and taxonomy.is_abusive(draft.ticket.get("comment")):
        raise PublicReplyError(
            f"public reply for {draft.ticket_id} refused: the comment uses abusive language and is not answered "
            "in public",
            hint=f"reach the patient privately instead: npscli draft-outreach --ticket {draft.ticket_id}",
        )


def check_public_reply(text: str, context: dict[str, Any], *, ticket_id: str, template: str) -> None:
    """Raise PublicReplyError when ``public_reply_problems`` finds anything (the message quotes nothing)."""
    problems = public_reply_problems(text, context)
    if problems:
        raise PublicReplyError(
            f"public reply for {ticket_id} refused: it would show {', '.join(problems)}",
            hint=f"a public reply must not say who the patient is or what their care was: edit {template} "
            "(keep it short, thank them, and invite them to call or write to you)",
        )
