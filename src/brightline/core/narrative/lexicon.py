"""Phrase lists for the narrative checks, compiled once from the JSON files in ``rules/``.

The lists are data, reviewed like code (see ``rules/README.md``). Matching is case-insensitive,
on word boundaries, with light regular inflection so a list can say ``reduce`` and match
``reduced``, ``reduces`` and ``reducing``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

__all__ = [
    "ERROR_BAD_INFLECTION",
    "ERROR_UNKNOWN_RULE_LIST",
    "InflectionMode",
    "PhraseMatch",
    "PhraseSet",
    "inflect_word",
    "load_phrase_set",
    "load_rule_value",
    "rule_lists",
]

InflectionMode = Literal["none", "all", "past"]

ERROR_UNKNOWN_RULE_LIST = "rules/{file}.json has no list named {name!r}."
ERROR_BAD_INFLECTION = "rules/{file}.json list {name!r} has an unknown inflect mode {mode!r}."

_RULES_PACKAGE = "brightline.core.narrative.rules"
_WORD_CHARS = "A-Za-z0-9_"
_LEFT_BOUNDARY = rf"(?<![{_WORD_CHARS}])"
_ONE_WORD = r"[A-Za-z0-9][A-Za-z0-9'’\-]*"
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """One match of a phrase list in a text; ``start``/``end`` are character offsets."""

    start: int
    end: int
    text: str
    phrase: str


@dataclass(frozen=True, slots=True)
class _CompiledPhrase:
    phrase: str
    pattern: re.Pattern[str]
    not_before: frozenset[str]
    not_after: frozenset[str]


@dataclass(frozen=True, slots=True)
class PhraseSet:
    """A compiled phrase list. ``find`` returns every match, sorted by position.

    ``starts`` is one pattern for the whole list (:func:`_starts_pattern`) that matches, with no width, exactly
    where at least one phrase matches: one scan of the text finds the few places worth trying each phrase at,
    instead of one scan per phrase.
    """

    name: str
    phrases: tuple[_CompiledPhrase, ...]
    starts: re.Pattern[str]

    def find(self, text: str) -> tuple[PhraseMatch, ...]:
        """Return all matches in ``text``, longest first at equal starts, without exact duplicates.

        The same matches as scanning the text with each phrase's pattern in turn (``finditer``): a phrase's next
        match is looked for from the end of its previous one, whether or not that one was excluded by its
        ``not_before``/``not_after`` words, and a position where two phrases match the same span keeps the
        phrase listed first.
        """
        found: dict[tuple[int, int], PhraseMatch] = {}
        resume = [0] * len(self.phrases)  # where each phrase's own scan would continue
        for start in self.starts.finditer(text):
            position = start.start()
            for index, compiled in enumerate(self.phrases):
                if position < resume[index]:
                    continue
                match = compiled.pattern.match(text, position)
                if match is None:
                    continue
                resume[index] = match.end()
                if _is_excluded(text, match.start(), match.end(), compiled):
                    continue
                key = (match.start(), match.end())
                if key not in found:
                    found[key] = PhraseMatch(match.start(), match.end(), match.group(0), compiled.phrase)
        return tuple(sorted(found.values(), key=lambda m: (m.start, -(m.end - m.start))))

    def find_phrase_by_phrase(self, text: str) -> tuple[PhraseMatch, ...]:
        """What :meth:`find` returns, by one scan of ``text`` per phrase: slower, kept as the reference that ``find``
        is tested and benchmarked against."""
        found: dict[tuple[int, int], PhraseMatch] = {}
        for compiled in self.phrases:
            for match in compiled.pattern.finditer(text):
                if not _is_excluded(text, match.start(), match.end(), compiled):
                    found.setdefault((match.start(), match.end()),
                                     PhraseMatch(match.start(), match.end(), match.group(0), compiled.phrase))
        return tuple(sorted(found.values(), key=lambda m: (m.start, -(m.end - m.start))))

    def search(self, text: str) -> bool:
        """True when any phrase of the list occurs in ``text``."""
        return bool(self.find(text))


def _is_excluded(text: str, start: int, end: int, compiled: _CompiledPhrase) -> bool:
    if compiled.not_before:
        following = re.match(r"[\s\-]*([A-Za-z0-9']+)", text[end:])
        if following and following.group(1).lower() in compiled.not_before:
            return True
    if compiled.not_after:
        preceding = re.search(r"([A-Za-z0-9']+)[\s\-]*$", text[:start])
        if preceding and preceding.group(1).lower() in compiled.not_after:
            return True
    return False


def _syllables(word: str) -> int:
    return len(_VOWEL_GROUPS.findall(word))


def _past_forms(word: str, irregular: Mapping[str, tuple[str, ...]]) -> set[str]:
    forms = set(irregular.get(word, ()))
    if word.endswith("e"):
        forms.add(word + "d")
    elif re.search(r"[^aeiou]y$", word):
        forms.add(word[:-1] + "ied")
    elif re.search(r"[^aeiou][aeiou][bdgklmnprt]$", word) and _syllables(word) == 1:
        # One-syllable consonant-vowel-consonant verbs double the final consonant: ship → shipped.
        forms.add(word + word[-1] + "ed")
    else:
        forms.add(word + "ed")
    return forms


def inflect_word(word: str, mode: InflectionMode, irregular: Mapping[str, tuple[str, ...]]) -> set[str]:
    """Regular inflections of one lower-case word for ``mode`` (single letters and non-words are kept as is)."""
    if mode == "none" or len(word) < 2 or not word.isalpha():
        return {word}
    if mode == "past":
        return _past_forms(word, irregular)
    forms = {word} | _past_forms(word, irregular)
    if word.endswith("e"):
        forms |= {word + "s", word[:-1] + "ing"}
    elif re.search(r"[^aeiou]y$", word):
        forms |= {word[:-1] + "ies", word + "ing"}
    elif re.search(r"(s|x|z|ch|sh)$", word):
        forms |= {word + "es", word + "ing"}
    else:
        forms |= {word + "s", word + "ing"}
        if re.search(r"[^aeiou][aeiou][bdgklmnprt]$", word) and _syllables(word) == 1:
            forms.add(word + word[-1] + "ing")
    return forms


def _word_pattern(forms: set[str]) -> str:
    alternatives = sorted((re.escape(form) for form in forms), key=len, reverse=True)
    return "(?:" + "|".join(alternatives) + ")"


def _phrase_source(phrase: str, mode: InflectionMode, irregular: Mapping[str, tuple[str, ...]]) -> str:
    """The regular expression of one phrase (matched case-insensitively)."""
    lowered = phrase.lower()
    tokens = [token for token in re.split(r"[\s\-]+", lowered) if token]
    parts: list[str] = []
    for position, token in enumerate(tokens):
        if token == "*":
            parts.append(_ONE_WORD)
        elif token == "**":
            parts.append(rf"(?:{_ONE_WORD}(?:[\s\-]+{_ONE_WORD}){{0,3}})")
        elif mode == "past":
            forms = inflect_word(token, "past", irregular) if position == 0 else {token}
            parts.append(_word_pattern(forms))
        else:
            parts.append(_word_pattern(inflect_word(token, mode, irregular)))
    body = r"[\s\-]+".join(parts)
    left = _LEFT_BOUNDARY if re.match(rf"[{_WORD_CHARS}]", lowered) else ""
    right = rf"(?![{_WORD_CHARS}])" if re.search(rf"[{_WORD_CHARS}]$", lowered) else ""
    return left + body + right


def _starts_pattern(sources: list[str]) -> re.Pattern[str]:
    """A zero-width pattern that matches at every position where one of ``sources`` matches: a lookahead over their
    alternation, with the left word boundary most phrases begin with tested once for all of them."""
    bounded = [source[len(_LEFT_BOUNDARY):] for source in sources if source.startswith(_LEFT_BOUNDARY)]
    alternatives = [f"(?:{source})" for source in sources if not source.startswith(_LEFT_BOUNDARY)]
    if bounded:
        alternatives.insert(0, _LEFT_BOUNDARY + "(?:" + "|".join(f"(?:{source})" for source in bounded) + ")")
    # An empty list matches nowhere.
    return re.compile("(?=" + "|".join(alternatives) + ")" if alternatives else "(?!)", re.IGNORECASE)


@cache
def _load_file(file: str) -> Mapping[str, Any]:
    text = resources.files(_RULES_PACKAGE).joinpath(f"{file}.json").read_text(encoding="utf-8")
    return cast(Mapping[str, Any], json.loads(text))


@cache
def _irregular_verbs() -> Mapping[str, tuple[str, ...]]:
    forms = _load_file("irregular_verbs")["forms"]
    return {verb: tuple(past) for verb, past in forms.items()}


def load_rule_value(file: str, name: str) -> Any:
    """Return a scalar setting (for example ``negation_window_words``) from ``rules/<file>.json``."""
    data = _load_file(file)
    if name not in data:
        raise KeyError(ERROR_UNKNOWN_RULE_LIST.format(file=file, name=name))
    return data[name]


def rule_lists() -> list[tuple[str, str]]:
    """Every phrase list of ``rules/*.json`` as (file, name), in file and list order."""
    lists: list[tuple[str, str]] = []
    for entry in sorted(resources.files(_RULES_PACKAGE).iterdir(), key=lambda path: path.name):
        if entry.name.endswith(".json"):
            file = entry.name.removesuffix(".json")
            lists += [(file, name) for name, value in _load_file(file).items()
                      if isinstance(value, Mapping) and "phrases" in value]
    return lists


@cache
def load_phrase_set(file: str, name: str) -> PhraseSet:
    """Compile the list ``name`` of ``rules/<file>.json``; cached, so each list is compiled once."""
    entry = load_rule_value(file, name)
    mode = entry.get("inflect", "none")
    if mode not in ("none", "all", "past"):
        raise ValueError(ERROR_BAD_INFLECTION.format(file=file, name=name, mode=mode))
    irregular = _irregular_verbs()
    compiled: list[_CompiledPhrase] = []
    sources: list[str] = []
    for item in entry["phrases"]:
        spec: Mapping[str, Any] = {"phrase": item} if isinstance(item, str) else item
        phrase = str(spec["phrase"])
        sources.append(_phrase_source(phrase, cast(InflectionMode, mode), irregular))
        compiled.append(
            _CompiledPhrase(
                phrase=phrase,
                pattern=re.compile(sources[-1], re.IGNORECASE),
                not_before=frozenset(word.lower() for word in spec.get("not_before", ())),
                not_after=frozenset(word.lower() for word in spec.get("not_after", ())),
            )
        )
    return PhraseSet(name=f"{file}.{name}", phrases=tuple(compiled), starts=_starts_pattern(sources))
