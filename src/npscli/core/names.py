"""How text and names are folded for comparison, and a patient's first name: one rule each.

``fold`` (case and accents: "Esperé" is "espere") is what theme keywords and name checks match on.

``fold_name`` is how a name typed by a person (``--location downtown``, a recipient in [[routing.rules]], a
[senders] entry) is matched to a stored or configured one: case-insensitive, surrounding and repeated spaces
ignored, every apostrophe taken for ``'``. ``first_name`` is the name a letter opens with ("Dear Ana,"), for
the outreach variables and the templates' ``first_name`` filter alike.
"""

from __future__ import annotations

import functools
import re
import unicodedata


@functools.cache
def _control() -> re.Pattern[str]:  # compiled on first use, not at import
    return re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


HONORIFICS = frozenset("mr mrs ms mx miss dr prof sr sra srta don dona".split())


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


_FOLDED_CHARS: dict[str, str] = {}  # char -> its fold, as fold_with_offsets folds it (bounded by the alphabet)


def _fold_char(char: str) -> str:
    pieces = unicodedata.normalize("NFKD", char.translate(_APOSTROPHES))
    return "".join(piece.casefold() for piece in pieces if not unicodedata.combining(piece))


def fold(text: str) -> str:
    """Case- and accent-fold ``text`` ("Esperé" -> "espere"): ``fold_with_offsets(text)[0]``, faster.

    Character by character, as ``fold_with_offsets``: ASCII text is only lower-cased (and "`" made "'"),
    other characters' folds are remembered.
    """
    if text.isascii():
        text = text.lower()
        return text.replace("`", "'") if "`" in text else text
    folded = _FOLDED_CHARS
    out = []
    for char in text:
        piece = folded.get(char)
        if piece is None:
            piece = folded[char] = _fold_char(char)
        out.append(piece)
    return "".join(out)


def fold_name(value: str | None) -> str:
    """``"  Down  Town "`` and ``"down town"`` are the same name, and so are ``"O\u2019Hare"`` (a spreadsheet's
    curly apostrophe) and ``"O'Hare"`` (the one a person types). Accents are kept: "Peña" is not "Pena"."""
    return " ".join((value or "").split()).translate(_APOSTROPHES).casefold()


def first_name(full: str | None) -> str:
    """``"Ana Pérez"`` -> ``"Ana"``; ``"Pérez, Ana"`` -> ``"Ana"``; ``"Dr. Ana Pérez"`` -> ``"Ana"``; a lone
    honorific or nothing -> ``""`` only when there is no name at all (``"Dr."`` stays ``"Dr."``)."""
    name = " ".join(_control().sub(" ", full or "").split())
    if "," in name:  # "Pérez, Ana": the given name follows the comma
        family, _, given = name.partition(",")
        name = given.strip() or family.strip()
    words = name.replace(",", " ").split()
    while len(words) > 1 and fold(words[0]).strip(".") in HONORIFICS:
        words = words[1:]
    return words[0] if words else ""


def near_names(value: str, known: list[str]) -> list[str]:
    """The stored names ``value`` is probably a typing of: the same without accents ("saint-jerome" for
    "Saint-Jérôme"), else a near spelling ("Downtwn" for "Downtown"). Only suggested: "Peña" is not "Pena"."""
    from difflib import get_close_matches

    by_fold: dict[str, list[str]] = {}
    for name in known:
        by_fold.setdefault(" ".join(fold(name).split()), []).append(name)
    wanted = " ".join(fold(value).split())
    if wanted in by_fold:
        return by_fold[wanted]
    return [n for near in get_close_matches(wanted, list(by_fold), n=2, cutoff=0.8) for n in by_fold[near]]
