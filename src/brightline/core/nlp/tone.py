"""What the tone check reads beyond the learned model: a lexicon and a rule about who is judged.

The lexicon (``models/tone_lexicon/``, rebuilt by ``tools/nlp/build_tone_lexicon.py``; sources,
versions and licences in ``LICENSES.md`` there) has two parts, neither typed by hand:

* **insults**: the English entries of the ``cuss`` package (npm, MIT) with its sureness rating,
  1 (maybe profane) or 2 (surely profane, an insult or a slur): "idiot", "moron", "crap";
* **judgements**: the words of the VADER lexicon (``vaderSentiment``, PyPI, MIT) rated at most
  -1.0 by its human raters: "lazy", "incompetent", "hopeless", but also "crash", "dead", "kill".

A judgement word says nothing about its target: "dead code" and "kill the worker" are about the
work. So the **person rule** only fires when the judgement is predicated of a person: "you are /
you're / he is / she is (a, so, really, …) <judgement>", the question "are you <judgement>",
"you <insult>" ("you idiot"), or a sentence made of nothing but judgements ("Lazy and useless.").
"this code is <judgement>" or "your code will crash" never fire it. Words that describe a state
or a claim rather than a character ("you are wrong", "she is busy", "he is stuck") are not
judgements of the person (:data:`STATE_WORDS`).

:func:`lexicon_features` turns both parts and the rule into a few numbers that the tone model
weighs next to its sub-word features (weights learned on the ToxiCR training rows); the rule also
flags on its own. :func:`trigger_spans` names the words behind a flag.

The **contempt rule** (:mod:`.tone_contempt`, :attr:`LexiconReading.contempt`) also flags on its own: contempt
addressed to a person in words neither list holds ("are you even trying", "you clearly never read the docs", "people
like you", "learn to read"); :func:`contempt_spans` names the form. It is no feature of the model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from brightline.core.nlp.tone_contempt import contempt_found, contempt_matches

LEXICON_PATH = Path(__file__).resolve().parent / "models" / "tone_lexicon"

#: The lexicon features, in the order of the model's ``lexicon_weights`` rows.
LEXICON_FEATURES = (
    "insult_sure",  # words the insult list rates 2, at most 2 counted
    "insult_maybe",  # words it rates 1, at most 2 counted
    "strongest_judgement",  # -(lowest VADER valence among the words) / 3
    "judgements",  # words rated -1.5 or lower, at most 3 counted, / 3
    "person_judged",  # hits of the person rule, at most 2 counted
    "masked_word",  # a word with letters masked by "*" ("c*ap")
    "insult_in_identifier",  # a sure insult inside a camelCase or snake_case identifier
)

# Who can be attacked: the reader or a third person. "they" is left out: in review comments it
# is as often the tests or the files as it is people.
_PERSONS = frozenset({"you", "u", "ya", "he", "she", "yourself", "himself", "herself"})
_COPULAS = frozenset({"are", "is", "were", "was", "be", "been", "being", "seem", "seems", "look", "looks",
                      "sound", "sounds", "act", "acts", "remain", "remains", "r"})
# Words that may stand between the person (or the copula) and the judgement.
_FILLERS = frozenset({"a", "an", "the", "so", "such", "very", "really", "just", "totally", "completely", "utterly",
                      "truly", "too", "quite", "pretty", "extremely", "absolutely", "incredibly", "most", "bit",
                      "kind", "sort", "of", "little", "always", "never", "still", "simply", "plain", "clearly",
                      "obviously", "damn", "fucking", "bloody", "being", "be", "must", "guys", "people", "all",
                      "and", "or", "but", "also", "not", "only", "even", "actually"})
_CONJUNCTIONS = frozenset({"and", "or", "but", "also", "so", "very", "really", "just", "totally", "too", "utterly",
                           "completely", "plain", "simply", "quite", "a", "an", "such", "absolutely"})
#: Words the judgement list rates negative that describe a state, a feeling or a claim, not a
#: person's character: "you are wrong", "she is busy", "he is stuck" are not attacks.
STATE_WORDS = frozenset({
    "wrong", "mistaken", "incorrect", "missing", "sorry", "sad", "tired", "sick", "ill", "busy", "late", "stuck",
    "lost", "alone", "worried", "afraid", "scared", "confused", "unsure", "doubt", "doubtful", "upset", "unhappy",
    "hurt", "injured", "disappointed", "frustrated", "annoyed", "concerned", "nervous", "anxious", "stressed",
    "exhausted", "blocked", "gone", "absent", "away", "out", "down", "dead", "dying", "killed", "no", "not",
})
_WORDS = re.compile(r"[A-Za-z][A-Za-z'*]*[A-Za-z*]|[A-Za-z]")
_SENTENCES = re.compile(r"[^.!?;\n]+")
_MASKED = re.compile(r"[A-Za-z]\*+[A-Za-z]")
_IDENTIFIER_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_IDENTIFIER_HINT = re.compile(r"[a-z][A-Z]")  # camelCase; snake_case words are separate words already
_PERSON_FORMS = _PERSONS | {"you're", "youre", "he's", "she's", "ur"}
_MENTIONS = _PERSON_FORMS | {"your", "yours", "his", "her", "him", "ur", "guys"}
_SELF = frozenset({"i", "i'm", "im", "me", "myself", "my", "i've", "i'd"})
_CONTRACTIONS = {"you're": ("you", "are"), "youre": ("you", "are"), "he's": ("he", "is"), "she's": ("she", "is"),
                 "ur": ("you", "are")}


@dataclass(frozen=True, slots=True)
class ToneTrigger:
    """One word or phrase behind a tone flag: where it is in the text and why it counts."""

    start: int
    end: int
    text: str
    reason: str  # "attack on the person", "insult or profanity", or "the model weighs it as hostile"


@dataclass(frozen=True)
class ToneLexicon:
    insults: dict[str, int]
    judgements: dict[str, float]
    name_calling: frozenset[str] = frozenset()
    praise: frozenset[str] = frozenset()
    character: frozenset[str] = frozenset()


@cache
def tone_lexicon() -> ToneLexicon:
    """The lexicon shipped in ``models/tone_lexicon/`` (read once per process)."""
    insults = {word: int(value) for word, value in _read_table(LEXICON_PATH / "insults.tsv")}
    judgements = {word: float(value) for word, value in _read_table(LEXICON_PATH / "judgements.tsv")}
    names = frozenset(word for word, _kind in _read_table(LEXICON_PATH / "name_calling.tsv"))
    praise = frozenset(word for word, _value in _read_table(LEXICON_PATH / "praise.tsv"))
    character = frozenset(word for word, _kind in _read_table(LEXICON_PATH / "character.tsv"))
    return ToneLexicon(insults, judgements, names, praise, character)


def _read_table(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, value = line.split("\t")
            rows.append((word, value))
    return rows


def _expanded(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        out.extend(_CONTRACTIONS.get(word, (word,)))
    return out


def _is_judgement(word: str, lexicon: ToneLexicon) -> bool:
    if word in STATE_WORDS:
        return False
    return lexicon.judgements.get(word, 0.0) <= -1.0 or lexicon.insults.get(word, 0) >= 1


def person_judgements(words: Sequence[str], lexicon: ToneLexicon | None = None) -> list[int]:
    """Indexes (into ``words``, lower-cased, contractions expanded) of judgements the person rule fires on."""
    lexicon = lexicon or tone_lexicon()
    hits: list[int] = []
    for index, word in enumerate(words):
        if not _is_judgement(word, lexicon):
            continue
        position = index - 1
        while position >= 0 and index - position <= 4 and (
                words[position] in _FILLERS or _is_judgement(words[position], lexicon)):
            position -= 1
        between = words[position + 1:index]
        if position < 0 or (not {"not", "never", "hardly", "no"}.isdisjoint(between) and "only" not in between):
            continue  # no person named, or the judgement denied: "she is not lazy at all"
        before = words[position]
        if before in _COPULAS and position >= 1:
            subject = words[position - 1]
            addressed = subject in {"guys", "people"} and position >= 2 and words[position - 2] == "you"
            if subject in _PERSONS or addressed or _role_subject(words[:position]):
                hits.append(index)
            elif position >= 2 and words[position - 2] in _COPULAS and subject in _PERSONS:
                hits.append(index)  # "are you stupid"
        elif before in _PERSONS and position >= 1 and words[position - 1] in _COPULAS:
            hits.append(index)  # "are you (really) that lazy"
        elif before in {"you", "u", "ya"} and (lexicon.insults.get(word, 0) >= 2 or _ends_clause(words, index)):
            hits.append(index)  # "you idiot", "you lazy bum"
    return hits


#: Nouns that name a person by their role: "whoever wrote this is clueless", "the new hire is lazy", "our tech
#: lead is hopeless" judge a person as surely as "he is" does.
ROLE_NOUNS = frozenset({
    "whoever", "guy", "guys", "person", "people", "author", "authors", "intern", "interns", "hire", "hires", "lead",
    "reviewer", "reviewers", "developer", "developers", "dev", "devs", "engineer", "engineers", "programmer",
    "programmers", "contractor", "contractors", "manager", "committer", "maintainer", "maintainers", "coder",
    "coders", "colleague", "colleagues", "teammate", "teammates", "team", "boss", "newbie", "junior", "senior",
    "everyone", "anyone", "someone", "somebody", "nobody", "man", "woman", "dude", "folks", "owner", "submitter",
})
_DETERMINERS = frozenset({"the", "a", "an", "our", "this", "that", "your", "their", "his", "her", "my", "some", "new",
                          "whole", "tech", "same", "other", "honestly", "frankly", "seriously", "typical", "these",
                          "those", "any", "every", "of", "like", "you"})


def _role_subject(before: Sequence[str]) -> bool:
    """Whether the clause before a copula starts with a person named by role ("whoever wrote this", "the guy
    who reviewed this", "our tech lead", "people like you"): the first noun after determiners is a role noun."""
    start = 0
    for position, word in enumerate(before):
        if word in {"and", "but", "so", "because", "that", "which"} and position + 1 < len(before):
            start = position + 1  # the last clause: "it broke and the new guy is lazy"
    for word in before[start:start + 4]:
        if word in ROLE_NOUNS:
            return True
        if word not in _DETERMINERS:
            return False
    return False


def _ends_clause(words: Sequence[str], index: int) -> bool:
    return index == len(words) - 1


def _only_judgements(words: Sequence[str], lexicon: ToneLexicon) -> list[int]:
    """A sentence of nothing but two or more judgements and joining words ("Lazy and useless.")."""
    judged = [index for index, word in enumerate(words) if _is_judgement(word, lexicon)]
    if len(judged) >= 2 and all(_is_judgement(word, lexicon) or word in _CONJUNCTIONS for word in words):
        return judged
    return []


@dataclass(frozen=True)
class LexiconReading:
    """What :func:`read_texts` found: the model's lexicon features and what the rules need."""

    features: NDArray[np.float32]
    name_called: NDArray[np.bool_]  # a name-calling word not aimed at the writer ("you moron", "a moron move")
    mentions_person: NDArray[np.bool_]  # "you", "your", "he", "she", … anywhere in the text
    contempt: NDArray[np.bool_]  # a contempt form aimed at the person (:mod:`.tone_contempt`): "are you even trying"

    @property
    def about_the_work_only(self) -> NDArray[np.bool_]:
        """Neither a person nor an insult, profanity or masked word: a judgement can only be of the work."""
        columns = [LEXICON_FEATURES.index(name) for name in ("insult_sure", "insult_maybe", "person_judged",
                                                              "masked_word")]
        return np.asarray(~self.mentions_person & ~self.name_called & (self.features[:, columns].sum(axis=1) == 0))

    @property
    def attacks(self) -> NDArray[np.bool_]:
        """Texts the person rule or the contempt rule flags on its own."""
        return np.asarray((self.features[:, LEXICON_FEATURES.index("person_judged")] > 0) | self.name_called
                          | self.contempt)


def lexicon_features(texts: Sequence[str]) -> NDArray[np.float32]:
    """One row of :data:`LEXICON_FEATURES` per text."""
    return read_texts(texts, contempt=False).features


def read_texts(texts: Sequence[str], *, contempt: bool = True) -> LexiconReading:
    """The lexicon features of each text and the rules' findings.

    Most texts hold no lexicon word at all; they cost one regex pass and two set tests. ``contempt=False`` skips the
    contempt rule (its column is all ``False``): for readers of the features only, which never ask what the rules
    flag.
    """
    lexicon = tone_lexicon()
    insults, judgements, known = lexicon.insults, lexicon.judgements, _known_words()
    rows = np.zeros((len(texts), len(LEXICON_FEATURES)), dtype=np.float32)
    name_called = np.zeros(len(texts), dtype=bool)
    mentions_person = np.zeros(len(texts), dtype=bool)
    for row, text in enumerate(texts):
        lowered = text.lower()
        words = _WORDS.findall(lowered)
        mentions_person[row] = not _MENTIONS.isdisjoint(words)
        masked = "*" in text and _MASKED.search(text) is not None
        in_identifier = (lowered[1:] != text[1:] and _IDENTIFIER_HINT.search(text) is not None
                         and _insult_in_identifier(text, insults))
        if known.isdisjoint(words):
            if masked or in_identifier:
                rows[row, 5:] = (float(masked), float(in_identifier))
            continue
        if not lexicon.name_calling.isdisjoint(words):
            name_called[row] = bool(name_calling(text))
        sure = maybe = strong = judged = 0
        lowest = 0.0
        for word in words:
            rating = insults.get(word, 0)
            if rating == 2:
                sure += 1
            elif rating == 1:
                maybe += 1
            valence = judgements.get(word, 0.0)
            if valence < lowest:
                lowest = valence
            if valence <= -1.5:
                strong += 1
            if rating or valence <= -1.0:
                judged += 1
        person = 0
        if not _PERSON_FORMS.isdisjoint(words):
            person += len(person_judgements(_expanded(words), lexicon))
        if judged >= 2:
            person += sum(len(_only_judgements(_expanded(_WORDS.findall(part)), lexicon))
                          for part in _SENTENCES.findall(lowered))
        rows[row] = (min(sure, 2), min(maybe, 2), -lowest / 3.0, min(strong, 3) / 3.0, min(person, 2),
                     float(masked), float(in_identifier))
    contempt_found_in = np.zeros(len(texts), dtype=np.bool_)
    if contempt and contempt_rule_on():
        is_judged = partial(_is_judgement, lexicon=lexicon)
        contempt_found_in[:] = contempt_found(texts, is_judged, lexicon.praise.__contains__)
    return LexiconReading(rows, name_called, mentions_person, contempt_found_in)


def name_calling(text: str) -> list[ToneTrigger]:
    """Name-calling words ("idiot", "moron"), wherever they stand, unless the writer calls themself one."""
    names = tone_lexicon().name_calling
    triggers = []
    for sentence in _SENTENCES.finditer(text):
        matches = list(_WORDS.finditer(sentence.group()))
        lowered = [match.group().lower() for match in matches]
        for index, word in enumerate(lowered):
            if word in names and _SELF.isdisjoint(lowered[max(0, index - 5):index]):
                start = sentence.start() + matches[index].start()
                triggers.append(ToneTrigger(start, start + len(word), matches[index].group(), "insult or name-calling"))
    return triggers


@cache
def _known_words() -> frozenset[str]:
    lexicon = tone_lexicon()
    return frozenset(lexicon.insults) | frozenset(lexicon.judgements)


def _insult_in_identifier(text: str, insults: dict[str, int]) -> bool:
    for word in _WORDS.findall(text):
        if not word[1:].islower():
            parts = [part.lower() for part in _IDENTIFIER_PARTS.findall(word)]
            if len(parts) > 1 and any(insults.get(part, 0) == 2 for part in parts):
                return True
    return False


def person_attacks(text: str) -> list[ToneTrigger]:
    """The judgements of a person in ``text`` the person rule fires on, with their places."""
    lexicon = tone_lexicon()
    triggers: list[ToneTrigger] = []
    for sentence in _SENTENCES.finditer(text):
        matches = list(_WORDS.finditer(sentence.group()))
        words: list[str] = []
        owners: list[int] = []
        for number, match in enumerate(matches):
            expanded = _CONTRACTIONS.get(match.group().lower(), (match.group().lower(),))
            words.extend(expanded)
            owners.extend([number] * len(expanded))
        hit_words = sorted(set(person_judgements(words, lexicon)) | set(_only_judgements(words, lexicon)))
        for index in hit_words:
            match = matches[owners[index]]
            start = sentence.start() + match.start()
            triggers.append(ToneTrigger(start, start + len(match.group()), match.group(), "attack on the person"))
    return triggers


#: The reason a contempt form gives for a flag.
CONTEMPT_REASON = "contempt aimed at the person"
#: ``0`` turns the contempt rule off (the check as it was before it, for measuring what the rule adds).
CONTEMPT_RULE_ENVIRONMENT_VARIABLE = "BRIGHTLINE_TONE_CONTEMPT_RULE"


def contempt_rule_on() -> bool:
    """Whether the contempt rule runs (it does unless :data:`CONTEMPT_RULE_ENVIRONMENT_VARIABLE` is ``0``)."""
    return os.environ.get(CONTEMPT_RULE_ENVIRONMENT_VARIABLE, "1") != "0"


def contempt_spans(text: str) -> list[ToneTrigger]:
    """The contempt forms of ``text`` (:mod:`.tone_contempt`: "you clearly never read", "people like you", "learn to
    read"), each with its place: the words behind the contempt rule's flag."""
    if not contempt_rule_on():
        return []
    lexicon = tone_lexicon()
    found = contempt_matches(text, partial(_is_judgement, lexicon=lexicon), lexicon.praise.__contains__)
    return [ToneTrigger(start, end, text[start:end], CONTEMPT_REASON) for start, end in found]


def insult_words(text: str) -> list[ToneTrigger]:
    """Words the insult list rates as surely profane or insulting, with their places."""
    insults = tone_lexicon().insults
    return [ToneTrigger(match.start(), match.end(), match.group(), "insult or profanity")
            for match in _WORDS.finditer(text) if insults.get(match.group().lower(), 0) == 2]


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where the words of ``text`` are (the unit a model trigger is reported in)."""
    return [(match.start(), match.end()) for match in _WORDS.finditer(text)]


# --- who or what is judged: features of the second stage --------------------------------------------------------

#: The features :func:`target_features` gives the second stage, in the order of its ``rule_weights`` rows.
TARGET_FEATURES = (
    "person_subject",  # a sentence is about a person: "he/she/you/they …", "his/her/your …", "Tom (Smith) has …"
    "person_judged",  # such a sentence holds a judgement word ("careless", "poor", "lacks", "rude")
    "work_judged",  # a judgement word in a sentence about the work only ("this hack is ugly", "dead code")
    "insult_profane",  # a word the insult list rates surely profane or insulting ("crap", "wtf", "idiot")
    "negated_judgement",  # a judgement denied: "never fails", "no lack of", "nor does he lack", "not useless"
    "nearest_subject_person",  # a judgement whose nearest subject before it is a person or a role noun
    "nearest_subject_work",  # a judgement whose nearest subject is the work ("your test is useless", "this code")
    "person_predicate",  # a person (pronoun or role noun) + copula + a word that is neither a state nor praise
    "sarcasm",  # praise opening a sentence about a failure ("nice job breaking everything again, genius")
)
#: Nouns that name the work, not a person: the nearest subject of "your regex is hopeless" is the regex.
WORK_NOUNS = frozenset({
    "this", "that", "it", "these", "those", "code", "patch", "patches", "change", "changes", "function", "method",
    "class", "test", "tests", "design", "approach", "hack", "name", "naming", "file", "files", "line", "lines",
    "implementation", "api", "interface", "logic", "version", "commit", "diff", "pr", "regex", "script", "module",
    "build", "parser", "query", "loop", "variable", "comment", "comments", "docs", "documentation", "error",
    "message", "config", "default", "workaround", "migration", "fix", "idea", "solution", "review", "branch",
    "pipeline", "service", "system", "bug", "feature", "library", "architecture", "schema", "output", "log", "logs",
    "benchmark", "benchmarks", "performance", "process", "worker", "thread", "job", "cache", "plan",
    "proposal", "decision", "argument", "explanation", "description", "wording", "structure", "one", "thing",
    "stuff", "part", "section", "step", "check", "flag", "option", "field", "type", "value", "result", "results",
    "macro", "string", "list", "array", "map", "handler", "callback", "endpoint", "request", "response",
})
_SARCASM_OPENERS = (("nice", "job"), ("nice", "work"), ("nice", "going"), ("great", "job"), ("great", "work"),
                    ("good", "job"), ("well", "done"), ("way", "to"), ("thanks", "a"), ("thanks", "for"),
                    ("keep", "it"), ("smart", "move"), ("congratulations",), ("congrats",), ("bravo",),
                    ("brilliant",), ("impressive",), ("amazing",), ("wow",), ("oh", "great"), ("oh", "look"),
                    ("what", "a"), ("another", "masterpiece"), ("another", "brilliant"))
_SARCASM_VOCATIVES = frozenset({"genius", "einstein", "sherlock", "hero", "professor", "rockstar", "wizard",
                                "expert", "champ", "smartass", "buddy", "pal", "mastermind", "superstar"})
_FAILURE_WORDS = frozenset({"again", "broke", "break", "breaking", "broken", "breaks", "down", "deleted", "forgot",
                            "nothing", "outage", "wrong", "doesn't", "didn't", "never", "another", "yet", "crash",
                            "crashed", "failed", "fails", "half-baked", "usual"})


def _nearest_subject(words: Sequence[str], index: int) -> str:
    """``"person"``, ``"work"`` or ``""``: the nearest subject-like word before ``words[index]``."""
    for position in range(index - 1, max(-1, index - 9), -1):
        word = words[position]
        if word in _COPULAS and position > 0 and _role_subject(words[:position]):
            return "person"  # "whoever wrote this is clueless": the subject is whoever, not "this"
        if word in WORK_NOUNS:
            return "work"
        if word in _PERSONS or word in ROLE_NOUNS or word in {"they", "them", "him"}:
            return "person"
        if word in {"your", "his", "her", "their"}:
            return "work"  # "your <noun>": the judgement is of the thing owned
    return ""


def _person_predicate(words: Sequence[str], lexicon: ToneLexicon) -> int:
    """A person subject, a copula and a predicate that is neither a state nor praise ("he is a liability"; not
    "she is a brilliant debugger": :attr:`ToneLexicon.praise`, VADER's words rated +1.0 or more)."""
    for index, word in enumerate(words[:-1]):
        if word not in _COPULAS or index == 0:
            continue
        subject = words[index - 1]
        if not (subject in _PERSONS or _role_subject(words[:index])):
            continue
        position = index + 1
        while position < len(words) and words[position] in _FILLERS and words[position] not in {"not", "never"}:
            position += 1
        if position < len(words) and words[position] not in STATE_WORDS and words[position] not in {
                "not", "never", "right", "welcome", "on", "in", "at", "the", "new", "here", "there", "back",
                "going", "working", "done", "ok", "okay", "fine", "sure", "correct"} and (
                lexicon.praise.isdisjoint(words[position:position + 4])):
            return 1
    return 0


def _sarcasm(words: Sequence[str]) -> int:
    """Praise that opens a sentence about a failure, or praise used as a name ("…, genius")."""
    opening = any(tuple(words[:len(opener)]) == opener for opener in _SARCASM_OPENERS)
    failure = not _FAILURE_WORDS.isdisjoint(words)
    vocative = bool(words) and words[-1] in _SARCASM_VOCATIVES
    return int((opening and failure) or (vocative and (opening or failure)))
_NEGATIONS = frozenset({"never", "not", "no", "nor", "without", "isn't", "wasn't", "doesn't", "don't", "didn't",
                        "hardly", "neither", "cannot", "can't", "won't"})
_PERSON_SUBJECTS = frozenset({"he", "she", "you", "they", "u", "his", "her", "your", "their", "he's", "she's",
                              "you're", "they're", "him", "them", "himself", "herself", "yourself"})
# Words after a named subject that make it a person ("Katherine has …", "Rogers lacks …").
_PERSON_VERBS = frozenset({"is", "was", "has", "had", "does", "did", "doesn't", "didn't", "lacks", "lacked", "seems",
                           "shows", "showed", "needs", "never", "always", "often", "fails", "failed", "makes", "made",
                           "can", "cannot", "can't", "will", "would", "should", "could", "tends", "struggles",
                           "works", "consistently", "constantly", "rarely", "gets", "isn't", "wasn't", "hasn't",
                           "continues", "appears", "refuses", "keeps", "has't", "displays", "demonstrates"})
# Sentence openings that are not names ("This is …", "It has …").
_NOT_NAMES = frozenset({"this", "that", "it", "the", "there", "these", "those", "we", "i", "our", "my", "a", "an",
                        "what", "which", "who", "why", "how", "where", "when", "if", "nothing", "everything",
                        "something", "someone", "everyone", "nobody", "code", "patch", "change", "test", "tests",
                        "overall", "however", "also", "but", "and", "unfortunately", "still", "yes", "no", "ok",
                        "please", "thanks", "done", "nit", "here", "now", "then", "so", "otherwise", "sadly",
                        "gerrit", "git", "jenkins", "python", "java", "windows", "linux"})
_LEAD_INS = frozenset({"however", "also", "but", "and", "unfortunately", "overall", "sadly", "still", "although",
                       "though", "honestly", "frankly", "again", "so", "sometimes", "generally", "currently"})
_WORK_SUBJECTS = frozenset({"this", "that", "it", "it's", "its", "that's", "code", "patch", "change", "function",
                            "method", "class", "test", "tests", "design", "approach", "hack", "name", "file", "line",
                            "lines", "implementation", "api", "interface", "logic", "version", "one", "thing"})
_NAME = re.compile(r"[A-Z][a-z]{1,}$")


def _judged(word: str, lexicon: ToneLexicon) -> bool:
    if word in STATE_WORDS:
        return False
    if _is_judgement(word, lexicon):
        return True
    stem = word[:-1] if word.endswith("s") else word
    return stem != word and _is_judgement(stem, lexicon)


def _about_a_person(tokens: Sequence[str]) -> bool:
    lowered = [token.lower() for token in tokens]
    if not _PERSON_SUBJECTS.isdisjoint(lowered):
        return True
    position = 0
    while position < len(tokens) and lowered[position] in _LEAD_INS:
        position += 1
    names = 0
    while position + names < len(tokens) and names < 3 and _NAME.match(tokens[position + names]) and (
            lowered[position + names] not in _NOT_NAMES):
        names += 1
    return names > 0 and position + names < len(tokens) and lowered[position + names] in _PERSON_VERBS


def target_features(texts: Sequence[str]) -> NDArray[np.float32]:
    """One row of :data:`TARGET_FEATURES` per text: is a person judged, or only the work?

    Counts are capped at 2 (``insult_profane`` at 2 as well); most texts cost one regex pass.
    """
    lexicon = tone_lexicon()
    known = _known_words()
    rows = np.zeros((len(texts), len(TARGET_FEATURES)), dtype=np.float32)
    for row, text in enumerate(texts):
        person_subject = person_judged = work_judged = profane = negated = 0
        nearest_person = nearest_work = predicate = sarcasm = 0
        for sentence in _SENTENCES.findall(text):
            tokens = _WORDS.findall(sentence)
            if not tokens:
                continue
            lowered = [token.lower() for token in tokens]
            about_person = _about_a_person(tokens)
            person_subject += about_person
            profane += sum(lexicon.insults.get(word, 0) == 2 for word in lowered)
            judged = [index for index, word in enumerate(lowered)
                      if (word in known or word.endswith("s")) and _judged(word, lexicon)]
            denied = [index for index in judged if not _NEGATIONS.isdisjoint(lowered[max(0, index - 3):index])]
            negated += len(denied)
            sarcasm += _sarcasm(lowered)
            if not _COPULAS.isdisjoint(lowered):
                predicate += _person_predicate(_expanded(lowered), lexicon)
            for index in judged:
                if index not in denied:
                    nearest = _nearest_subject(lowered, index)
                    nearest_person += nearest == "person"
                    nearest_work += nearest == "work"
            if len(denied) == len(judged):
                continue
            if about_person:
                person_judged += 1
            elif not _WORK_SUBJECTS.isdisjoint(lowered) or len(lowered) <= 4:
                work_judged += 1
        rows[row] = (min(person_subject, 2), min(person_judged, 2), min(work_judged, 2), min(profane, 2),
                     min(negated, 2), min(nearest_person, 2), min(nearest_work, 2), min(predicate, 2),
                     min(sarcasm, 2))
    return rows


#: Words the insult list rates surely profane that judge rather than swear: by the labelling guide they are an
#: attack when aimed at a person (the person rule and the second stage see to that) and critique when aimed at
#: the work ("this is a stupid name"), so they never make a wording note on their own.
JUDGING_INSULTS = frozenset({"stupid", "dumb"})


def swearing(texts: Sequence[str]) -> NDArray[np.bool_]:
    """Whether each text swears: a word the insult list rates surely profane ("crap", "fucking", "wtf")
    that is neither name-calling ("idiot", an attack when aimed at someone) nor in :data:`JUDGING_INSULTS`."""
    lexicon = tone_lexicon()
    found = np.zeros(len(texts), dtype=bool)
    for row, text in enumerate(texts):
        for match in _WORDS.finditer(text):
            word = match.group().lower()
            if text.startswith("::", match.end()):
                continue  # a namespace in code ("WTF::HashMap"), not a word
            if lexicon.insults.get(word, 0) == 2 and word not in lexicon.name_calling and word not in JUDGING_INSULTS:
                found[row] = True
                break
    return found


def person_judgement_words(text: str) -> list[ToneTrigger]:
    """The judgement words of sentences about a person ("Sam is careless", "he lacks focus"), unless denied
    ("she never fails"): the words behind most flags of the second stage."""
    lexicon = tone_lexicon()
    known = _known_words()
    return _undenied_words_about_a_person(
        text, lambda word: (word in known or word.endswith("s")) and _judged(word, lexicon))


def _undenied_words_about_a_person(text: str, chosen: Callable[[str], bool]) -> list[ToneTrigger]:
    """The words ``chosen`` picks in the sentences about a person, unless a "not"/"never" in the three words
    before denies them."""
    triggers = []
    for sentence in _SENTENCES.finditer(text):
        matches = list(_WORDS.finditer(sentence.group()))
        tokens = [match.group() for match in matches]
        if not tokens or not _about_a_person(tokens):
            continue
        lowered = [token.lower() for token in tokens]
        for index, word in enumerate(lowered):
            if chosen(word) and _NEGATIONS.isdisjoint(lowered[max(0, index - 3):index]):
                start = sentence.start() + matches[index].start()
                triggers.append(ToneTrigger(start, start + len(word), matches[index].group(),
                                            "judgement of the person"))
    return triggers


def sarcasm_words(text: str) -> list[ToneTrigger]:
    """The praise words of sarcastic sentences: a praise used as a name ("…, genius"), else the opener
    ("Nice job")."""
    triggers = []
    for sentence in _SENTENCES.finditer(text):
        matches = list(_WORDS.finditer(sentence.group()))
        lowered = [match.group().lower() for match in matches]
        if not lowered or not _sarcasm(lowered):
            continue
        opener = next((len(words) for words in _SARCASM_OPENERS if tuple(lowered[:len(words)]) == words), 0)
        vocatives = [index for index, word in enumerate(lowered) if word in _SARCASM_VOCATIVES]
        picked = vocatives or list(range(opener))
        for index in picked:
            start = sentence.start() + matches[index].start()
            triggers.append(ToneTrigger(start, start + len(lowered[index]), matches[index].group(),
                                        "sarcasm aimed at the person"))
    return triggers


def hostile_wording(reading: LexiconReading, targets: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Whether a text holds any hostile word: an insult or profanity, a judgement word, a masked word, a
    judgement in a sentence about a person or the work, a person as the subject of a predicate that is neither
    a state nor praise ("he is a liability"), or sarcasm (:func:`target_features`). The second stage's attack
    flag needs one: feedback about a person with no hostile word ("he is patient and generous") is never an
    attack, however much it reads like the review prose the stage was trained on."""
    lexicon_columns = [LEXICON_FEATURES.index(name) for name in ("insult_sure", "insult_maybe", "strongest_judgement",
                                                                 "judgements", "person_judged", "masked_word")]
    target_columns = [TARGET_FEATURES.index(name) for name in ("person_judged", "work_judged", "insult_profane",
                                                               "nearest_subject_person", "person_predicate",
                                                               "sarcasm")]
    return np.asarray((reading.features[:, lexicon_columns].sum(axis=1) > 0)
                      | (targets[:, target_columns].sum(axis=1) > 0))


@dataclass(frozen=True, slots=True)
class PersonDirected:
    """Who a text is aimed at, for the second stage's hostile-word gate (:func:`person_directed`)."""

    character_judged: NDArray[np.bool_]  # a sentence about a person holds a character adjective ("sloppy")
    person_without_praise: NDArray[np.bool_]  # a sentence is about a person and no praise word stands undenied


def person_directed(texts: Sequence[str]) -> PersonDirected:
    """For each text: does a sentence about a person (a pronoun, "his/her/your", or a capitalised name followed
    by a verb such as "is", "has", "lacks": :func:`_about_a_person`) hold a character adjective of
    :attr:`ToneLexicon.character` that no "not"/"never" denies ("Addison is consistently sloppy"); and is the text
    about a person with no praise word (:attr:`ToneLexicon.praise`) left undenied ("has never been a good worker"
    denies its praise; "she is patient and generous" does not)?

    The second stage weighs neither: they only open its gate (:func:`hostile_wording` finds no hostile word in
    "Addison is consistently sloppy in her work"), so a person judged in words the lexicon lacks can still be
    flagged when the model is sure."""
    lexicon = tone_lexicon()
    character = np.zeros(len(texts), dtype=bool)
    person = np.zeros(len(texts), dtype=bool)
    praised = np.zeros(len(texts), dtype=bool)
    for row, text in enumerate(texts):
        for sentence in _SENTENCES.findall(text):
            tokens = _WORDS.findall(sentence)
            if not tokens:
                continue
            lowered = [token.lower() for token in tokens]
            about = _about_a_person(tokens)
            person[row] |= about
            for index, word in enumerate(lowered):
                if word not in lexicon.character and word not in lexicon.praise:
                    continue
                if not _NEGATIONS.isdisjoint(lowered[max(0, index - 3):index]):
                    continue
                if word in lexicon.praise:
                    praised[row] = True
                elif about:
                    character[row] = True
    return PersonDirected(character, person & ~praised)


def character_words(text: str) -> list[ToneTrigger]:
    """The character adjectives of sentences about a person ("Addison is consistently sloppy"), unless denied."""
    character = tone_lexicon().character
    return _undenied_words_about_a_person(text, lambda word: word in character)


def person_reference_starts(text: str) -> frozenset[int]:
    """Where the words that say *who* is judged begin: pronouns and possessives ("you", "his") and a name that
    opens a sentence about a person ("Kenji has …"). They are never named as a flag's trigger words: leaving
    one out hides who is judged rather than the judgement."""
    starts: set[int] = set()
    for sentence in _SENTENCES.finditer(text):
        matches = list(_WORDS.finditer(sentence.group()))
        lowered = [match.group().lower() for match in matches]
        starts.update(sentence.start() + match.start() for match, word in zip(matches, lowered, strict=True)
                      if word in _PERSON_SUBJECTS or word in _MENTIONS)
        position = 0
        while position < len(lowered) and lowered[position] in _LEAD_INS:
            position += 1
        names = 0
        while position + names < len(matches) and names < 3 and _NAME.match(matches[position + names].group()) and (
                lowered[position + names] not in _NOT_NAMES):
            names += 1
        if names and position + names < len(matches) and lowered[position + names] in _PERSON_VERBS:
            starts.update(sentence.start() + matches[index].start() for index in range(position, position + names))
    return frozenset(starts)


#: Put before each word that says who is judged when a model reads the text with the person marked
#: (:func:`mark_person_references`): one sub-word of the contextual model's vocabulary that review text hardly uses.
PERSON_MARK = "»"


def mark_person_references(text: str) -> str:
    """``text`` with :data:`PERSON_MARK` and a space before every word of :func:`person_reference_starts` ("» you
    keep breaking the build"), so a model that reads the sentence sees whom the rules take it to be aimed at."""
    for start in sorted(person_reference_starts(text), reverse=True):
        text = text[:start] + PERSON_MARK + " " + text[start:]
    return text


# --- words read with their subject: a sparse block of the second stage ------------------------------------------

#: The words that stand for the person judged, read as one word (:func:`subject_words`): "you obviously" and "he
#: obviously" are the same pair.
_PERSON_STAND_INS = _PERSON_SUBJECTS | _PERSON_FORMS | {"ur", "yours", "u"}
#: The subject marks of :func:`subject_words`: a word's nearest subject is a person, the work, or none is found.
SUBJECT_MARKS = ("p", "w", "n")


def subject_words(text: str) -> list[str]:
    """The words and adjacent word pairs of ``text``, each marked with who or what its sentence judges, for a linear
    model that can weigh "you obviously didn't test this" apart from "this obviously didn't get tested".

    A word is marked ``p:`` when its nearest subject before it is a person (:func:`_nearest_subject`: a pronoun or a
    role noun; "your <noun>" judges the thing owned, so it is the work), ``w:`` when it is the work, ``n:`` when no
    subject stands before it ("stop wasting everyone's time"). A pair takes the mark of its sentence: ``p`` when the
    sentence is about a person (:func:`_about_a_person`), else ``w`` when it names the work, else ``n``. Pronouns
    and person forms read as ``<p>``, so "you never" and "he never" are one pair. Each key is given once."""
    keys: dict[str, None] = {}
    for sentence in _SENTENCES.findall(text):
        tokens = _WORDS.findall(sentence)
        if not tokens:
            continue
        lowered = [token.lower() for token in tokens]
        if _about_a_person(tokens):
            mark = "p"
        elif not WORK_NOUNS.isdisjoint(lowered):
            mark = "w"
        else:
            mark = "n"
        words = ["<p>" if word in _PERSON_STAND_INS else word for word in lowered]
        for index, word in enumerate(words):
            if word == "<p>":
                continue
            nearest = _nearest_subject(lowered, index)
            keys[("p" if nearest == "person" else "w" if nearest == "work" else "n") + ":" + word] = None
        for first, second in zip(words, words[1:], strict=False):
            keys[mark + ":" + first + " " + second] = None
    return list(keys)
