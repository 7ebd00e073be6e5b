"""``PhraseSet.find`` scans a text once for the whole list and gives the same matches as one scan per phrase.

The reference, ``PhraseSet.find_phrase_by_phrase``, is the way every list was matched before: each phrase's own
pattern run over the text with ``finditer``, matches excluded by their ``not_before``/``not_after`` words dropped,
the first phrase kept for a span two phrases match. The texts are built from the lists themselves (inflected, in any
case, run together, split by hyphens, next to their exclusion words and to letters that fold to ASCII under
case-insensitive matching), so most of them hold several overlapping matches.
"""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from brightline.core.narrative.lexicon import _irregular_verbs as irregular_verbs
from brightline.core.narrative.lexicon import inflect_word, load_phrase_set, load_rule_value, rule_lists

LISTS = rule_lists()
# Lists with a wildcard phrase ("in the ** review"): only such a phrase can match again inside its own match.
WILDCARD_LISTS = [(file, name) for file, name in LISTS
                  if any("*" in compiled.phrase for compiled in load_phrase_set(file, name).phrases)]


@cache
def vocabulary(file: str, name: str) -> tuple[str, ...]:
    """Every word of the list with its inflections, and its exclusion words."""
    words: set[str] = set()
    for compiled in load_phrase_set(file, name).phrases:
        for word in compiled.phrase.lower().replace("-", " ").split():
            words |= inflect_word(word, "all", {}) if word.isalpha() else {word}
        words |= compiled.not_before | compiled.not_after
    return tuple(sorted(words))


FILLER = ("the", "a", "and", "of", "team", "release", "not", "very", "more", "x", "2", "we", "it's", "k")
SEPARATORS = (" ", "  ", "-", " - ", ", ", ". ", "\n", "'", "’", "_", "(", ")", "/", "")
ODD_LETTERS = ("\u212a", "\u017f", "\u0130", "\u0131", "é", "ß")  # Kelvin sign, long s, dotted/dotless i


def restyle(word: str, style: int) -> str:
    return (word, word.upper(), word.title(), word.swapcase())[style % 4]


@st.composite
def phrase_instance(draw: st.DrawFn, file: str, name: str) -> str:
    """One phrase of the list as a writer might put it: a word inflected, wildcards filled with one to five words
    (one more than ``**`` takes; they may start another phrase: "in the in the design review"), an exclusion word
    next to it. Phrases with wildcards are drawn half the time: only they can match again inside their own match."""
    words = vocabulary(file, name)
    phrases = load_phrase_set(file, name).phrases
    wild = [compiled for compiled in phrases if "*" in compiled.phrase]
    compiled = draw(st.sampled_from(wild if wild and draw(st.booleans()) else phrases))
    mode = load_rule_value(file, name).get("inflect", "none")
    out: list[str] = []
    literal_start: list[str] = []  # the words before the first wildcard
    for position, token in enumerate(compiled.phrase.lower().replace("-", " ").split()):
        if token in ("*", "**"):
            if not literal_start:
                literal_start = list(out)
            count = draw(st.integers(1, 1 if token == "*" else draw(st.sampled_from((2, 5)))))
            out += [draw(st.sampled_from(words + FILLER)) for _ in range(count)]
        else:
            inflected = mode == "all" or (mode == "past" and position == 0)
            forms = inflect_word(token, mode, irregular_verbs()) if inflected else {token}
            out.append(draw(st.sampled_from(sorted(forms))))
    if literal_start and draw(st.booleans()):  # "in the in the design review"
        out = literal_start + out
    if compiled.not_after and draw(st.booleans()):
        out.insert(0, draw(st.sampled_from(sorted(compiled.not_after))))
    if compiled.not_before and draw(st.booleans()):
        out.append(draw(st.sampled_from(sorted(compiled.not_before))))
    return " ".join(out)


@st.composite
def texts_from(draw: st.DrawFn, file: str, name: str) -> str:
    words = vocabulary(file, name)
    pieces: list[str] = []
    for _ in range(draw(st.integers(1, 16))):
        source = draw(st.sampled_from(("phrase", "phrase", "word", "word", "again", "filler", "odd")))
        if source == "phrase":
            piece = draw(phrase_instance(file, name))
        elif source == "again" and pieces:
            piece = draw(st.sampled_from(pieces))
        else:
            piece = draw(st.sampled_from(words if source == "word" else ODD_LETTERS if source == "odd" else FILLER))
        pieces.append(restyle(piece, draw(st.integers(0, 3))))
    separators = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(pieces), max_size=len(pieces)))
    return "".join(piece + separator for piece, separator in zip(pieces, separators, strict=True))


def same_matches_on_a_text_of(data: st.DataObject, lists: list[tuple[str, str]]) -> None:
    file, name = data.draw(st.sampled_from(lists))
    phrases = load_phrase_set(file, name)
    text = data.draw(texts_from(file, name))
    assert phrases.find(text) == phrases.find_phrase_by_phrase(text)
    assert phrases.search(text) is bool(phrases.find_phrase_by_phrase(text))


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_one_scan_for_the_list_finds_what_one_scan_per_phrase_finds(data):
    same_matches_on_a_text_of(data, LISTS)


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_a_wildcard_phrase_matching_inside_its_own_match_is_found_once(data):
    same_matches_on_a_text_of(data, WILDCARD_LISTS)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=80))
def test_any_text_at_all_gives_the_same_matches(text):
    for file, name in LISTS:
        phrases = load_phrase_set(file, name)
        assert phrases.find(text) == phrases.find_phrase_by_phrase(text)


def test_every_list_is_covered_and_overlapping_matches_are_all_kept():
    assert len(LISTS) >= 15
    vague = load_phrase_set("vague", "phrases")
    text = "A great team player. A Great Team-Player!"
    found = vague.find(text)
    assert found == vague.find_phrase_by_phrase(text)
    # Both spellings found, and a phrase inside a longer one is still reported at its own span.
    assert len({match.start for match in found}) >= 2
