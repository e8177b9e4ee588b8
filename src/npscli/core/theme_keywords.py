"""The taxonomy's keyword syntax and its themes as compiled patterns (see ``npscli.core.themes`` for the syntax
and how the patterns are matched in context)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from npscli.core.errors import ConfigError
from npscli.core.names import fold

KEYWORD_KINDS = ("keywords", "problems", "if_negative")
_THEME_KEYS = ("label", "root_cause", *KEYWORD_KINDS, "exclude")
_CODE = re.compile(r"[a-z][a-z0-9_]*\Z")


def keyword_regex(keyword: str, where: str) -> str:
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


def compile_keywords(keywords: Sequence[str], where: str) -> re.Pattern[str] | None:
    if not keywords:
        return None
    # Longest first, so "front desk staff" wins over "front desk" where both start.
    alternatives = sorted({keyword_regex(k, where) for k in keywords}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def string_list(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings", hint='write it as ["word", "a phrase", "prefix*"]')
    return tuple(value)


def check_keys(table: Any, allowed: Sequence[str], where: str) -> Mapping[str, Any]:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where} must be a table")
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{where}: unknown key {key!r}", hint=f"the keys allowed here are: {', '.join(allowed)}")
    return table


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
    # The folded first word of each of its keywords, problems and if_negative ("wait*"); None: unknown.
    first_words: tuple[str, ...] | None = None


@dataclass(frozen=True)
class ContextCues:
    """Compiled negation, praise and complaint words (the taxonomy's ``[context]`` table)."""

    negation: re.Pattern[str] | None
    praise: re.Pattern[str] | None
    complaint: re.Pattern[str] | None
    # kind -> the folded first word of each of its words ("not", "wait*"); None: unknown.
    first_words: Mapping[str, tuple[str, ...]] | None = None


def build_theme(code: Any, table: Any, where: str, root_causes: tuple[str, ...]) -> Theme:
    if not isinstance(code, str) or not _CODE.match(code):
        raise ConfigError(f"{where}: a theme code must be lower_snake_case", hint='for example "wait_time"')
    check_keys(table, _THEME_KEYS, where)
    label = table.get("label")
    if not isinstance(label, str) or not label.strip():
        raise ConfigError(f"{where}.label is missing or empty", hint='add label = "A short human name"')
    cause = table.get("root_cause")
    if cause not in root_causes:
        raise ConfigError(
            f"{where}.root_cause: {cause!r} is not a root-cause code",
            hint=f"use one of: {', '.join(root_causes)}",
        )
    lists = {key: string_list(table.get(key, []), f"{where}.{key}") for key in (*KEYWORD_KINDS, "exclude")}
    if not any(lists[kind] for kind in KEYWORD_KINDS):
        raise ConfigError(f"{where} has no keywords", hint="give it keywords, problems or if_negative")
    compiled = {key: compile_keywords(words, f"{where}.{key}") for key, words in lists.items()}
    first_words = tuple(fold(word).split()[0] for kind in KEYWORD_KINDS for word in lists[kind])
    return Theme(code=code, label=label.strip(), root_cause=cause, **compiled, first_words=first_words)
