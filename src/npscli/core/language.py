"""Which language a patient wrote their comment in: English or Spanish (the clinics' two languages).

Outreach answers a patient in the language they wrote in. ``guess_language`` counts the function words
of each language ("the", "was", "nobody" against "el", "fue", "nadie") plus the marks only Spanish has
(ñ, accented vowels, ¿ ¡, words in -ción). It is right on every comment of tests/data/comments_labelled.csv.
A comment with nothing to go on (a single word, only names) is English, the default.
"""

from __future__ import annotations

import re

ENGLISH, SPANISH = "en", "es"

_SPANISH_WORDS = frozenset(
    """al algo ante antes aqui así asi aun aún cada casi como cómo con contra cual cuando cuándo de del desde
    donde dónde dos durante el él ella ellas ellos en entre era eran es esa ese eso esta está estaba estaban
    estan están este esto estoy fue fueron fui gracias había habia han hasta hay hice hizo hola la las le les lo
    los mas más mi mis mucho muchos muy nada nadie ni ningún ninguna nos nosotros nuestra nuestro nunca otra
    otro para pero poco por porque pude puedo que qué quien quién se sin sobre son soy su sus también tambien
    te tengo tiene todo todos tuve tres un una uno unos usted ustedes vez ya yo""".split()
)
_ENGLISH_WORDS = frozenset(
    """about after all also am an and any are as at be because been before but by can could did didn't do
    does doesn't don't even ever for from got had has have he her here him his how i i'm if in into is isn't
    it it's its just more my never nobody not of on once one only or our out over she so some still than that
    the their them then there they this those to too two us very was wasn't we were what when where which
    while who why will with would you your""".split()
)
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_SPANISH_MARK = re.compile(r"[ñáéíóú]")
_SPANISH_ENDING = re.compile(r"\w{2,}(?:ción|ciones)$")


def guess_language(text: str | None) -> str:
    """``"es"`` for a comment in Spanish, ``"en"`` otherwise (also for an empty one)."""
    if not text or not text.strip():
        return ENGLISH
    words = [w.lower() for w in _WORD.findall(text)]
    spanish = sum(1 for w in words if w in _SPANISH_WORDS)
    spanish += sum(1 for w in words if _SPANISH_MARK.search(w) or _SPANISH_ENDING.search(w))
    spanish += text.count("¿") + text.count("¡")
    english = sum(1 for w in words if w in _ENGLISH_WORDS)
    return SPANISH if spanish > english else ENGLISH
