"""Narrative checks: explainable flags for weak review language (PRODUCT.md B4, B5, C5).

Every flag names the words that triggered it, says why in plain language, and suggests a fix.
Two layers decide whether a sentence is vague praise or a judgement of character: a learned model
(:mod:`.specificity`, trained on labelled statements, so it reads any wording) and the reviewed phrase
lists in ``rules/*.json``; either one raises the flag. A listed phrase is not called vague in a sentence
with a number, a citation or an example marker; the model, which reads numbers and concrete-behaviour
markers itself, is silenced by a citation or by strong evidence of something concrete (code or an identifier,
a version, a number with a unit, a measured before/after, a calendar date). Trait and praise lists do not read
inside code, nor a trait word said of a thing ("lazy loading"); a credit line ("Thanks Ada Lovelace.") is not
checked. The evidence, outcome, result and scope checks are rules: a claim that names a measurable result, a
before/after, a named artefact or capability, its purpose, or the failure it fixed is never flagged as lacking
an outcome. Numbers with units, identifiers, file, CamelCase and kebab-case names, measured changes and dates are
read by the general detectors of :mod:`.evidence`, not by phrase lists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from brightline.core.narrative.citations import find_citations, mask_citations
from brightline.core.narrative.evidence import (
    before_after,
    figures_of_speech,
    find_evidence,
    has_evidence,
    measurable_quantities,
)
from brightline.core.narrative.lexicon import PhraseMatch, load_phrase_set, load_rule_value
from brightline.core.narrative.quantities import extract_numbers
from brightline.core.narrative.sentences import split_sentences
from brightline.core.narrative.specificity import SpecificityScore, score_statements
from brightline.core.nlp.tone import STATE_WORDS, tone_lexicon

__all__ = [
    "ERROR_UNKNOWN_KIND",
    "FLAG_IDS",
    "NARRATIVE_KINDS",
    "REASONS",
    "SUGGESTIONS",
    "FlagId",
    "MatchedSpan",
    "NarrativeFlag",
    "NarrativeKind",
    "NarrativeReport",
    "SentenceReport",
    "check_fields",
    "check_text",
]

FlagId = Literal[
    "vague", "personality", "no_evidence", "output_without_outcome", "unquantified_result", "missing_scope"
]
NarrativeKind = Literal["accomplishment", "manager_narrative", "feedback", "support_plan"]

FLAG_IDS: tuple[FlagId, ...] = get_args(FlagId)
NARRATIVE_KINDS: tuple[NarrativeKind, ...] = get_args(NarrativeKind)

ERROR_UNKNOWN_KIND = "kind must be one of {kinds}; got {kind!r}."

REASON_VAGUE = "Vague praise or criticism: it gives a judgement but not the behaviour or result behind it."
REASON_PERSONALITY = (
    "Describes a personality trait instead of an observable behaviour. Trait language like this is "
    "used disproportionately about women (Correll & Simard, Harvard Business Review, 2016)."
)
REASON_NO_EVIDENCE = "Claims an achievement or impact without citing any evidence."
REASON_OUTPUT_WITHOUT_OUTCOME = (
    "Says what was built or shipped, but not what changed for customers, users, the team or the business."
)
REASON_UNQUANTIFIED_RESULT = "Claims a measurable result but gives no number for it."
REASON_MISSING_SCOPE = "Claims impact without saying how far it reached: how many teams, people, services or customers."

SUGGESTION_VAGUE = "Describe one concrete situation: what the person did, when, and what changed as a result; cite it."
SUGGESTION_PERSONALITY = (
    "Replace the trait with the specific behaviour you saw, where and when it happened, and its effect on the work."
)
SUGGESTION_NO_EVIDENCE = (
    "Cite the supporting evidence as [E:<id>] (a merged change, incident, design doc or feedback item)."
)
SUGGESTION_OUTPUT_WITHOUT_OUTCOME = (
    "Add the outcome: what got better, for whom, and how you know (for example 'so that ...', 'which reduced ...')."
)
SUGGESTION_UNQUANTIFIED_RESULT = (
    "Give the before and after values or the size of the change, from the evidence (for example "
    "'p95 latency from 900 ms to 250 ms')."
)
SUGGESTION_MISSING_SCOPE = (
    "Say who and how many were affected or adopted it (for example 'adopted by 4 teams', 'for all 12,000 customers')."
)

REASONS: Mapping[FlagId, str] = {
    "vague": REASON_VAGUE,
    "personality": REASON_PERSONALITY,
    "no_evidence": REASON_NO_EVIDENCE,
    "output_without_outcome": REASON_OUTPUT_WITHOUT_OUTCOME,
    "unquantified_result": REASON_UNQUANTIFIED_RESULT,
    "missing_scope": REASON_MISSING_SCOPE,
}
SUGGESTIONS: Mapping[FlagId, str] = {
    "vague": SUGGESTION_VAGUE,
    "personality": SUGGESTION_PERSONALITY,
    "no_evidence": SUGGESTION_NO_EVIDENCE,
    "output_without_outcome": SUGGESTION_OUTPUT_WITHOUT_OUTCOME,
    "unquantified_result": SUGGESTION_UNQUANTIFIED_RESULT,
    "missing_scope": SUGGESTION_MISSING_SCOPE,
}

# Feedback is itself evidence (B1): a peer's first-hand account is not asked to cite a source.
_KINDS_NEEDING_CITATIONS: frozenset[NarrativeKind] = frozenset({"accomplishment", "manager_narrative", "support_plan"})
# Scope is judged once per accomplishment (B5), not per sentence.
_KINDS_NEEDING_SCOPE: frozenset[NarrativeKind] = frozenset({"accomplishment"})

_YEAR = re.compile(r"^(?:19|20)\d\d$")
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_AFTER = re.compile(rf"^\s*(?:st|nd|rd|th)?\s+(?:{_MONTHS})\b", re.IGNORECASE)
_DATE_BEFORE = re.compile(rf"\b(?:{_MONTHS})\s+$", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_TIME_UNIT_AFTER = re.compile(
    r"^[\s\-]+(?:seconds?|minutes?|hours?|days?|weeks?|months?|percent|per cent|times)\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class MatchedSpan:
    """Words that triggered a flag; ``start``/``end`` are offsets into the checked text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class NarrativeFlag:
    """One finding: which flag, the words behind it, why it matters and what to write instead."""

    flag_id: FlagId
    spans: tuple[MatchedSpan, ...]
    reason: str
    suggestion: str

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready form."""
        return {
            "flag_id": self.flag_id,
            "spans": [{"start": s.start, "end": s.end, "text": s.text} for s in self.spans],
            "reason": self.reason,
            "suggestion": self.suggestion,
        }


@dataclass(frozen=True, slots=True)
class SentenceReport:
    """Flags for one sentence; ``start``/``end`` are offsets into the checked text."""

    index: int
    text: str
    start: int
    end: int
    flags: tuple[NarrativeFlag, ...]

    @property
    def flag_ids(self) -> frozenset[FlagId]:
        """The distinct flag ids raised on this sentence."""
        return frozenset(flag.flag_id for flag in self.flags)


@dataclass(frozen=True, slots=True)
class NarrativeReport:
    """The result of :func:`check_text`: per-sentence flags plus text-level flags (``missing_scope``)."""

    kind: NarrativeKind
    text: str
    sentences: tuple[SentenceReport, ...]
    text_flags: tuple[NarrativeFlag, ...] = field(default=())

    @property
    def flags(self) -> tuple[NarrativeFlag, ...]:
        """Every flag, sentence flags first (in sentence order), then text-level flags."""
        return tuple(flag for sentence in self.sentences for flag in sentence.flags) + self.text_flags

    @property
    def flag_ids(self) -> frozenset[FlagId]:
        """The distinct flag ids raised anywhere in the text."""
        return frozenset(flag.flag_id for flag in self.flags)

    @property
    def summary(self) -> dict[FlagId, int]:
        """How many times each flag was raised (every flag id present, zero when absent)."""
        counts: dict[FlagId, int] = dict.fromkeys(FLAG_IDS, 0)
        for flag in self.flags:
            counts[flag.flag_id] += 1
        return counts

    @property
    def is_clean(self) -> bool:
        """True when nothing was flagged."""
        return not self.flags

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready form."""
        return {
            "kind": self.kind,
            "sentences": [
                {
                    "index": s.index,
                    "text": s.text,
                    "start": s.start,
                    "end": s.end,
                    "flags": [flag.to_dict() for flag in s.flags],
                }
                for s in self.sentences
            ],
            "text_flags": [flag.to_dict() for flag in self.text_flags],
            "summary": {
                "sentences": len(self.sentences),
                "flagged_sentences": sum(1 for s in self.sentences if s.flags),
                "flag_counts": self.summary,
            },
        }

    def to_json(self) -> str:
        """The report as a JSON string (stable key order)."""
        return json.dumps(self.to_dict(), ensure_ascii=False)


def _make_flag(flag_id: FlagId, matches: Iterable[PhraseMatch], offset: int) -> NarrativeFlag:
    spans = tuple(MatchedSpan(m.start + offset, m.end + offset, m.text) for m in matches)
    return NarrativeFlag(flag_id, spans, REASONS[flag_id], SUGGESTIONS[flag_id])


def _words_before(text: str, position: int, count: int) -> list[str]:
    return [word.lower() for word in _WORD.findall(text[:position])][-count:]


def _is_negated(text: str, match: PhraseMatch) -> bool:
    window = int(load_rule_value("context", "negation_window_words"))
    cues = {phrase.phrase for phrase in load_phrase_set("context", "negation_cues").phrases}
    for word in _words_before(text, match.start, window):
        if word in cues or word.endswith("n't"):
            return True
    # Multi-word cues ("failed to") are matched as phrases just before the match.
    preceding = text[max(0, match.start - 20) : match.start]
    return any(m.end >= len(preceding) - 1 for m in load_phrase_set("context", "negation_cues").find(preceding))


def _is_asserted(text: str, match: PhraseMatch) -> bool:
    """A match is asserted unless negated, preceded by a modal or goal word, or the sentence hedges."""
    if load_phrase_set("context", "hedges").search(text):
        return False
    if load_phrase_set("context", "modal_markers").search(text[: match.start]) or _MAY.search(text[: match.start]):
        return False
    return not _is_negated(text, match)


# The modal "may" ("performance may be slower", "some resolutions may resolve slower"): lower-case and followed by a
# verb-like word, so the month ("in May we cut …", "since May") is not read as one.
_MAY = re.compile(r"(?<!\bin )(?<!\bsince )(?<!\buntil )(?<!\bof )(?<!\bby )\bmay\s+(?:not\s+|also\s+|still\s+)?"
                  r"(?:be|have|become|get|take|need|see|resolve|run|fail|cause|result|lead|affect|feel|seem|[a-z]+e)\b")


def _claims(masked: str) -> tuple[list[PhraseMatch], list[PhraseMatch]]:
    outputs = [
        m
        for m in load_phrase_set("claims", "output_verbs").find(masked)
        if _is_asserted(masked, m) and not _is_attributive(masked, m) and not _is_event_of_a_thing(masked, m)
    ]
    others = [m for m in load_phrase_set("claims", "achievement_verbs").find(masked) if _is_asserted(masked, m)]
    return outputs, others


def _is_non_result_number(masked: str, start: int, end: int, raw: str) -> bool:
    before = masked[:start]
    if before and (before[-1].isalpha() or before[-1] in "-#"):
        return True  # identifiers: p95, v2, Q3, IC3, SEV-1
    if _YEAR.match(raw):
        return True
    if _DATE_AFTER.match(masked[end:]) or _DATE_BEFORE.search(before):
        return True
    if re.search(r"\b(?:version|python|node|java|go|sdk|ios|android|postgres|release)\s+$", before, re.I):
        return True
    # "14 services", "3 teams": a number of things reached is scope, not the size of the result.
    following = masked[end:]
    nouns = load_phrase_set("scope", "population_nouns")
    head = re.match(r"^[\s\-]+((?:[A-Za-z'\-]+\s+){0,2}[A-Za-z'\-]+)", following)
    if head:
        for noun in nouns.find(head.group(1)):
            if noun.end == len(head.group(1)) or noun.start == 0:
                return True
    return False


def _has_result_quantity(masked: str) -> bool:
    for number in extract_numbers(masked):
        if not _is_non_result_number(masked, number.start, number.end, number.text.replace(",", "")):
            return True
    if load_phrase_set("results", "quantity_words").search(masked) or before_after(masked):
        return True  # "halved", "by a third", "reduced failed charges by roughly a third"
    for word in load_phrase_set("scope", "number_words").find(masked):
        if _TIME_UNIT_AFTER.match(masked[word.end :]):
            return True
    return False


# "from 900 ms to 250 ms", "instead of", "no longer", "now …": the text states what changed.
_BEFORE_AFTER = re.compile(
    r"\bfrom\b[^.;:]{1,60}?\bto\b|\b(?:instead of|no longer|down from|up from|rather than|compared (?:to|with)|"
    r"against (?:a|an|the)\b|than before|now|previously)\b|^\W*before\b",
    re.IGNORECASE,
)
# A definite or possessive determiner, or a name-like token, right after the claim verb names the thing made.
_NAMED_OBJECT = re.compile(
    r"^\s+(?:(?:up|out|over|on|in|off)\s+)?(?:(?:the|this|that|these|those|our|my|his|her|their|its|your|team's)\s+"
    r"(?!(?:rest|whole|many|most|lots?|bulk|majority)\b)[A-Za-z]|"
    # a capability named by what it is for: "support for async generators", "an option to skip hooks"
    r"(?:(?:a|an|new|the)\s+)?(?:\w+\s+)?(?:support|ability|option|setting|command|flag|hook|endpoint)s?\s+(?:for|to)\s+\w)",
    re.IGNORECASE,
)
# Code and identifiers: `spans`, --flags, dotted or underscored names. Trait and praise lists never read inside
# them ("--quiet", "lazy_loading"), and the model's vague flag yields to them (see _has_strong_evidence).
_CODE = re.compile(r"`[^`]+`|(?<![\w-])--?[a-z][\w-]*|\b[A-Za-z]\w*(?:[_./][A-Za-z]\w*)+\b(?<!e\.g)(?<!i\.e)")
_CLAUSE_END = re.compile(r"[.;:](?=\s|$)|[;:]")
_FAILURE_CONDITION = re.compile(r"\b(?:when|whenever|where|which|that|if|while|causing|caused)\b", re.IGNORECASE)
_PURPOSE = re.compile(r"\b(?:so that|in order to|so as to)\b", re.IGNORECASE)
# A result clause without "that": "so swaps are visible to everyone", "so on-call engineers can see it" ("so" and
# a subject of up to three words, then a finite or modal verb; not "so much", "so far", "so many").
_RESULT_CLAUSE = re.compile(
    r"\bso\s+(?!(?:much|many|far|long|well|that|as|too|very|often|quickly|few|little)\b)(?:[\w'\-]+\s+){1,3}?"
    r"(?:can|could|may|might|are|is|was|were|no\s+longer|now|get|gets|got|stay|stays|do|does|don't|doesn't|"
    r"never|have|has|need|needs|no\s+one|nobody)\b",
    re.IGNORECASE,
)
# The object of a claim anchored to what it acts on (issue 16: a named artefact in any wording): "a prototype of the
# recommendation widget", "an example of defining multiple values", "a search filter by date range", "parentheses
# around long tuples", "a bridge between the two queues". Not a measure of things ("a bunch of features", "a few
# of the bugs"), a beneficiary or a place ("a dashboard for the support team", "dark mode to the customer portal":
# they say who gets it or where it went, not what it is), nor a means ("by hand", "by pairing").
_ANCHORED_OBJECT = re.compile(
    r"^\s+(?:(?:up|out|over|on|in|off)\s+)?(?:(?!(?:and|or|but|then|which|who|that|to|for|in|on|at|with|from)\b)"
    r"[\w'\-]+\s+){1,4}?"
    r"(?P<anchor>of\s+(?:(?:the|this|that|these|those|our|my|his|her|their|its|your)\s+[A-Za-z]|[a-z]+ing\b)|"
    r"(?:around|between|against|about|via|per)\s+(?!(?:it|them|this|that|everything|anything|nothing)\b)[A-Za-z]|"
    r"by\s+(?!(?:hand|myself|himself|herself|themselves|ourselves|yourself|itself|me|him|her|them|us|the|a|an)\b)"
    r"[a-z]+(?<!ing)\b)",
    re.IGNORECASE,
)
# "… for the/our/Chrome's …": what the object was made for, named (read by :func:`_is_anchored`).
_MADE_FOR_A_THING = re.compile(
    r"^\s+(?:(?:up|out|over|on|in|off)\s+)?(?:(?!(?:and|or|but|then|which|who|that|to|for|in|on|at|with|from)\b)"
    r"[\w'\-]+\s+){1,4}?for\s+(?:(?:the|this|that|these|those|our|its|their|his|her|my|your)\s+|[\w\-]+'s\s+)",
    re.IGNORECASE,
)
_NP_BREAKS = frozenset(
    re.findall(r"\S+", "and or but so in on at to with from by that which who when whenever before after during across "
                      "into onto via while because since until if")
)
# The people a thing can be made for: who benefits is not what was made.
_PEOPLE = frozenset(
    re.findall(
        r"\S+",
        "team squad people person user customer client engineer developer staff colleague member hire analyst manager "
        "employee department org organisation organization group partner stakeholder intern reader everyone everybody "
        "leadership newcomer recruit student audience company business",
    )
)
_MEASURE_OF = re.compile(
    r"\b(?:bunch|lot|lots|number|couple|handful|few|some|many|most|all|several|rest|part|parts|set|series|range|"
    r"variety|host|ton|tons|kind|sort|type|pile|plenty|each|one|any)\s+of\s*$",
    re.IGNORECASE,
)
# A repair whose object is followed by the failure it removed, as a participle: "Fixed git revisions being ignored",
# "Fixed settings not being saved".
_FAILURE_PARTICIPLE = re.compile(r"^\s+(?:[\w'\-]+\s+){1,4}?(?:being|getting|not|no\s+longer)\s+[a-z]+", re.IGNORECASE)
_REPAIR_VERB = re.compile(r"(?:fix(?:ed)?|resolved|corrected|repaired|patched)", re.IGNORECASE)
_REPAIR_WORD = re.compile(r"\b(?:fix(?:es|ed)?|resolved?|corrected?|repaired?|patched?)\b", re.IGNORECASE)
_DETERMINERS = frozenset(
    re.findall(
        r"\S+",
        "a an the this that these those its their his her our my your any all some every each multiple several many "
        "newly locally previously already recently",
    )
)
_THANKS = re.compile(
    r"^\W*(?:(?:huge|big|many|special|much)\s+)?(?:thanks|thank you|kudos|credit|props|from)\b"
    r"(?:\s+(?:go(?:es)?\s+)?to\b)?",
    re.IGNORECASE,
)
_CREDIT_GLUE = frozenset(
    {"and", "to", "among", "many", "others", "other", "also", "the", "of", "et", "al"}
    | {"de", "da", "di", "du", "van", "von", "der", "den", "la", "le", "bin", "ibn"}  # name particles
)
_PRESENT_PASSIVE = frozenset({"is", "are", "be", "being", "get", "gets"})
# An object named by its purpose right after the claim verb: up to four words, then "to" and a verb.
_PURPOSE_OBJECT = re.compile(r"^\s+(?:[\w\-]+\s+){1,4}?to\s+([a-z]+)\b")
# A preposition and one lower-case noun right before a participle: "with pip built as …", "with warnings converted".
_REDUCED_RELATIVE = re.compile(r"\b(?:with|of|for|from|about|using|without)\s+[a-z][\w\-]*\s+$")
_EFFORT_VERBS = frozenset({"give", "gives", "gave", "giving", "given", "in", "bring", "brings", "brought", "bringing"})
_EFFORT_STATES = frozenset({"committed", "dedicated", "effort", "focused", "invested", "engaged", "sure", "certain"})
_ENDS_CLAUSE = re.compile(r"\s*(?:[.;:,!?)]|$)")
# A subordinate clause with its own subject right before an intransitive verb: "before the office closed".
_SUBORDINATE_SUBJECT = re.compile(
    r"\b(?:before|after|until|till|when|whenever|while|once|since|because|as)\s+"
    r"(the|a|an|this|that|its|their|his|her|our|my|your|[A-Za-z]+)\b[^,;:]*$",
    re.IGNORECASE,
)
_NOT_NOUNS = frozenset({"was", "is", "has", "does", "as", "this", "its", "his", "hers", "ours", "yours", "theirs",
                        "thus", "always", "perhaps", "us", "yes", "less", "unless", "whereas"})
_PERSON_SUBJECTS = frozenset({"i", "we", "he", "she", "they", "you"})
_VERSION_RANGE_BEFORE = re.compile(r"\d\s+(?:and|or)\s+$")
# Words that may follow a trait word when it is said of a person: function words, people, manner.
_TRAIT_FOLLOWERS = frozenset(
    re.findall(
        r"\S+",
        "and or but nor to about with in at on when of for towards toward around as if than by is was are were be been "
    "being so too enough that because while during under without even yet person people guy man men woman "
    "women girl boy lady colleague colleagues coworker coworkers co-worker co-workers teammate teammates engineer "
    "engineers developer developers manager managers employee employees member members leader leaders worker "
    "workers individual individuals personality character behaviour behavior behaviours behaviors demeanor demeanour "
    "manner tone attitude attitudes nature streak side approach style presence voice one type sort kind",
    )
)
_INTENSIFIERS = frozenset({"super", "very", "ultra", "over", "overly", "self", "hyper", "extra", "really", "too",
                           "not", "un", "non", "ever", "always", "so", "all"})
# "it is", "this was", "which is rather": the subject of the trait word is a thing, not a person.
_THING_SUBJECT = re.compile(
    r"\b(?:it|this|which)\s+(?:is|was|seems|looks|remains|becomes|became)\s+(?:[a-z]+ly\s+|(?:too|very|rather|"
    r"quite|so|not|also)\s+)?$",
    re.IGNORECASE,
)
_NAME_LIKE = re.compile(r"`[^`]+`|\"[^\"]+\"|(?<![\w-])--?[a-z][\w-]+|\b\w+[_./]\w+|\b[A-Z][A-Za-z0-9]+\b|\d")


def _has_strong_evidence(masked: str) -> bool:
    """Evidence strong enough that a sentence is about something concrete whatever its wording (it outweighs the
    learned model's "vague"): a number with a unit (not "110 percent"), code or an identifier, a file name, a
    version, a measured before/after, a calendar date (:func:`.evidence.find_evidence`)."""
    return has_evidence(masked)


def _first_word_end(text: str) -> int:
    first = _WORD.search(text)
    return first.end() if first else 0


def _clause_after(masked: str, end: int) -> str:
    """The rest of the clause after a verb: up to ``.``, ``;`` or ``:`` that ends it (not the dot of ``a.b``)."""
    return _CLAUSE_END.split(masked[end:], maxsplit=1)[0]


def _names_artefact(masked: str, outputs: list[PhraseMatch]) -> bool:
    """Whether the claim names what was made: a definite object, a name, identifier or number in its clause."""
    for output in outputs:
        clause = _clause_after(masked, output.end)
        if _NAMED_OBJECT.match(clause) or _NAME_LIKE.search(clause) or _names_its_purpose(clause):
            return True
        if _is_anchored(clause):
            return True
    return False


def _names_what_was_made(masked: str) -> bool:
    """An asserted claim of having made something that names what it made ("Added support for Google App Engine",
    "Built a prototype of the recommendation widget"): a statement about concrete work, so the learned model's
    vague or character reading of its words yields, as it does to strong evidence."""
    outputs, _ = _claims(masked)
    return bool(outputs) and _names_artefact(masked, outputs)


def _is_anchored(clause: str) -> bool:
    """The object is anchored to what it acts on or belongs to (see ``_ANCHORED_OBJECT``), not a measure of things;
    or it is made for a named thing ("a design doc for the search rewrite", "backups for the reporting database",
    "a workaround for Chrome's cookies"), not for people ("a dashboard for the support team")."""
    found = _ANCHORED_OBJECT.match(clause)
    if found:
        return not _MEASURE_OF.search(clause[: found.start("anchor")] + "of")
    made_for = _MADE_FOR_A_THING.match(clause)
    if not made_for:
        return False
    words: list[str] = []
    for word in re.findall(r"[\w'\-]+|[^\w\s]", clause[made_for.end() :]):
        if not re.match(r"[\w']", word) or word.lower() in _NP_BREAKS or len(words) == 4:
            break
        words.append(word.lower())
    head = re.sub(r"'s$", "", words[-1]) if words else ""
    return bool(head) and head not in _PEOPLE and head.rstrip("s") not in _PEOPLE


def _names_its_purpose(clause: str) -> bool:
    """The object is named by what it is for: "a helper function to expose files", "a way to tell … apart", "an
    automatic check to warn when …" (a verb after "to"; "features to customers" is not one)."""
    found = _PURPOSE_OBJECT.match(clause)
    if not found:
        return False
    verb = found.group(1)
    return verb not in _DETERMINERS and verb not in {"be", "do", "have"} and not re.search(r"[^s]s$", verb)


def _states_purpose_or_repair(masked: str, outputs: list[PhraseMatch]) -> bool:
    """A purpose clause ("so that", "in order to") states the intended change; a repair verb followed by a
    description of the failure it removed ("fixed a crash when the list is empty") states the change itself: that
    failure is gone. "Fixed several bugs" describes no failure and stays flagged."""
    if _PURPOSE.search(masked) or any(_RESULT_CLAUSE.search(masked, output.end) for output in outputs):
        return True
    for output in outputs:
        if not _REPAIR_VERB.fullmatch(output.text):
            continue
        clause = _clause_after(masked, output.end)
        if _FAILURE_PARTICIPLE.match(clause):
            return True
        # The failure may also come first, in the passive: "A crash when the list is empty has been fixed."
        if len(_WORD.findall(clause)) >= 5 or _FAILURE_CONDITION.search(masked):
            return True
    return False


def _is_event_of_a_thing(masked: str, match: PhraseMatch) -> bool:
    """The verb ends a subordinate clause whose subject is a thing ("before the clerk's office closed", "until the
    store opened"): it says what happened to that thing, not that someone made or shipped something."""
    if not _ENDS_CLAUSE.match(masked[match.end :]):
        return False
    clause = re.split(r"[,;:]", masked[: match.start])[-1]
    found = _SUBORDINATE_SUBJECT.search(clause)
    return found is not None and found.group(1).lower() not in _PERSON_SUBJECTS


def _is_attributive(masked: str, match: PhraseMatch) -> bool:
    """A participle used as an adjective ("the published executables", "multiple documented conversations"), or in
    the present passive ("lines are added when ..."): a description, not a claim of having made something."""
    before = _words_before(masked, match.start, 1)
    if before and before[0] in _PRESENT_PASSIVE:
        return True  # "extra lines are added when ...": how the software behaves, not a claim of making
    if _REDUCED_RELATIVE.search(masked[: match.start]) and re.match(r"\s+(?:as|to|into|by|from|with)\b",
                                                                     masked[match.end :]):
        return True  # "run the suite with pip built as a zipapp": the participle describes the noun before it
    after = re.match(r" ([A-Za-z][\w\-]*)", masked[match.end :])
    if not before or not after:
        return False
    # "accidentally added backslashes" (attributive) but not "quickly built a prototype" (a claim).
    return before[0] in _DETERMINERS or (before[0].endswith("ly") and after.group(1).lower() not in _DETERMINERS)


def _has_specificity(sentence: str, masked: str) -> bool:
    if find_citations(sentence) or extract_numbers(masked):
        return True
    return load_phrase_set("vague", "specificity_markers").search(masked)


def _has_scope(masked: str) -> bool:
    if load_phrase_set("scope", "broad_reach").search(masked):
        return True
    nouns = load_phrase_set("scope", "population_nouns").find(masked)
    if not nouns:
        return False
    counters = [
        (m.start, m.end)
        for m in (
            *load_phrase_set("scope", "quantifiers").find(masked),
            *load_phrase_set("scope", "number_words").find(masked),
        )
    ] + [(n.start, n.end) for n in extract_numbers(masked)]
    for noun in nouns:
        for _, counter_end in counters:
            gap = masked[counter_end : noun.start]
            # "all 120,000 new sign-ups", "23 of our 25 services", "22% of weekly active users".
            if counter_end <= noun.start and len(_WORD.findall(gap)) <= 3 and not re.search(r"[.;:]", gap):
                return True
    return False


def _unquantified_result(masked: str) -> list[PhraseMatch]:
    """The result words of a measurable result claimed without a number (empty when none)."""
    results = [
        m
        for m in (
            *load_phrase_set("results", "result_words").find(masked),
            *load_phrase_set("results", "comparatives").find(masked),
        )
        if _is_asserted(masked, m) and not _VERSION_RANGE_BEFORE.search(masked[: m.start])
        and not _describes_a_noun(masked, m)
    ]
    speed = [
        m for m in load_phrase_set("results", "speed_comparatives").find(masked)
        if _is_asserted(masked, m) and not _describes_a_noun(masked, m)
    ]
    is_result_claim = bool(speed) or (bool(results) and load_phrase_set("results", "metrics").search(masked))
    if is_result_claim and not _has_result_quantity(masked):
        return sorted([*results, *speed], key=lambda m: m.start)
    return []


def _describes_a_noun(masked: str, match: PhraseMatch) -> bool:
    """A participle right after the object of a repair or claim and before a preposition ("Fix ``ProtocolError``
    exceptions raised after an incomplete download"): it says which things were fixed or made, not that a result
    changed. "The errors reduced after the fix" (no claim verb before the noun) is still a result claim."""
    if not match.text.lower().endswith("ed") or not re.match(r"\s+(?:after|when|while|during|by|in|from)\b",
                                                              masked[match.end :]):
        return False
    clause = re.split(r"[,;:]", masked[: match.start])[-1]
    noun = re.search(r"\b([a-z]+s)\s+$", clause)
    if not noun or noun.group(1) in _NOT_NOUNS:
        return False
    before_noun = clause[: noun.start()]
    return bool(_REPAIR_WORD.search(before_noun) or load_phrase_set("claims", "output_verbs").find(before_noun))


def _mask_code(masked: str) -> str:
    """``masked`` with code spans and identifiers blanked (same length), for the trait and praise lists."""
    return _CODE.sub(lambda found: " " * len(found.group()), masked)


def _is_acknowledgement(masked: str) -> bool:
    """A credit line ("Thanks Ada Lovelace and Alan Turing."): gratitude to named people, no claim about work."""
    found = _THANKS.match(masked)
    if not found:
        return False
    rest = _WORD.findall(masked[found.end() :])
    return bool(rest) and all(word[0].isupper() or word.lower() in _CREDIT_GLUE for word in rest)


def _describes_a_thing(masked: str, match: PhraseMatch, original: str | None = None) -> bool:
    """A trait word used as an adjective on a thing ("lazy loading", "an insecure index", "soft-keyword"), not on a
    person: the next word is a lower-case content word that names neither a person nor a manner, or code; the word
    ends a compound modifier ("editor-friendly locations"); or it is said of a thing ("as it is insecure").
    ``original`` is the sentence before code was blanked (``masked`` is read for words, ``original`` for code)."""
    if re.match(r"-[A-Za-z]", masked[match.end :]):
        return True  # the first half of a compound modifier: "soft-keyword names", "lazy-loaded images"
    compound = re.search(r"\b([A-Za-z]+)-$", masked[: match.start])
    if compound and compound.group(1).lower() not in _INTENSIFIERS:
        return True  # the second half of a compound modifier: "editor-friendly", "cache-aware" (not "super-friendly")
    if _THING_SUBJECT.search(masked[: match.start]):
        return True  # "its use is discouraged as it is insecure": a trait said of a thing
    after = original[match.end :] if original is not None else ""
    if after.startswith(" ") and _CODE.match(after.lstrip(" ")):
        return True  # "soft keywords/variable names", "quiet `--flag`": the word qualifies code
    following = re.match(r" ([a-z][a-z\-]*)\b", masked[match.end :])
    if not following:
        return False
    word = following.group(1)
    return word not in _TRAIT_FOLLOWERS and not word.endswith("ly")


def _is_statement(masked: str) -> bool:
    """A sentence of three words or more that is not a question: what the model was trained to read."""
    return len(_WORD.findall(masked)) >= 3 and not masked.rstrip().endswith("?")


def _model_matches(sentence: str, score: SpecificityScore) -> list[PhraseMatch]:
    if score.triggers:
        return [PhraseMatch(t.start, t.end, t.text, t.text) for t in score.triggers]
    stripped = sentence.strip()
    start = sentence.find(stripped)
    return [PhraseMatch(start, start + len(stripped), stripped, stripped)]


def _states_change(masked: str, outputs: Iterable[PhraseMatch] = ()) -> bool:
    """Whether a sentence says what changed: an outcome ("so customers can …", "which reduced …"), a measurable
    result or a measured before/after. An output verb that is itself an outcome word ("cut") is not its own
    outcome."""
    made = {(output.start, output.end) for output in outputs}
    outcomes = load_phrase_set("outcomes", "phrases").find(masked)
    if any((m.start, m.end) not in made and _is_asserted(masked, m) for m in outcomes):
        return True
    return (
        _has_result_quantity(masked)
        or bool(_BEFORE_AFTER.search(masked))
        or bool(measurable_quantities(masked) or before_after(masked))
    )


def _is_effort_hyperbole(prose: str, start: int, end: int) -> bool:
    """The share is given as effort ("gives 110 percent", "puts in 100%") or certainty ("100% committed"), not as
    the size of a change ("increased throughput by 150%")."""
    before = _words_before(prose, start, 1)
    after = re.match(r"\s*([A-Za-z]+)", prose[end:])
    return bool(before and before[0] in _EFFORT_VERBS) or bool(after and after.group(1).lower() in _EFFORT_STATES)


def _hyperbole(sentence: str, prose: str) -> tuple[PhraseMatch, ...]:
    """"Gives 110 percent": a share of 100 % or more with nothing concrete beside it is an unsupported superlative."""
    spans = [span for span in figures_of_speech(prose) if _is_effort_hyperbole(prose, span.start, span.end)]
    if not spans or find_citations(sentence):
        return ()
    rest = prose
    for span in spans:
        rest = rest[: span.start] + " " * (span.end - span.start) + rest[span.end :]
    if _has_specificity(rest, rest) or _has_strong_evidence(rest):
        return ()
    return tuple(PhraseMatch(span.start, span.end, span.text, "figure of speech") for span in spans)


# A particular instance: a number, a month or weekday, a quarter or year, "last week", "yesterday".
_PARTICULAR = re.compile(
    r"\d|\b(?:yesterday|last|this past|earlier this|q[1-4]|january|february|march|april|june|july|august|september|"
    r"october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)


def _generic_judgement(sentence: str, masked: str, prose: str, effect_of_named_work: bool) -> tuple[PhraseMatch, ...]:
    """A judgement of work or a worker said as a habit or an ability, with no particular instance behind it ("her
    reports are always accurate and on time", "I can rely on him to do a thorough job"): what the labelling guide
    calls vague, whatever things the sentence names. The judgement and habit words are the flag's triggers."""
    if effect_of_named_work or find_citations(sentence) or _PARTICULAR.search(masked) or _has_strong_evidence(masked):
        return ()
    judgements = load_phrase_set("vague", "generic_judgements").find(prose)
    habits = load_phrase_set("vague", "habits").find(prose)
    if not judgements or not habits or _names_what_was_made(masked):
        return ()
    return tuple(sorted((*habits[:1], *judgements[:2]), key=lambda match: match.start))


# A judgement as the sentence's predicate: a copula or a verb of seeming, up to three degree or manner words, then the
# judged word ("Kotlin demo apps are great", "this looks excellent", "the contents are confusing").
_PREDICATE_JUDGEMENT = re.compile(
    r"\b(?:is|are|was|were|been|be|looks?|looked|seems?|seemed|sounds?|sounded|feels?|felt|remains?|remained|"
    r"'s|’s|'re|’re)\s+(?:(?:[a-z]+ly|very|really|so|quite|pretty|super|just|truly|too|not|also|all|still|always|"
    r"overall|a|an|such|most|more)\s+){0,3}(?P<word>[a-z][a-z\-]+)\b",
    re.IGNORECASE,
)
# A judgement opening the sentence on the work it judges: "Nice work", "Great catch", "Excellent job on this".
_OPENING_JUDGEMENT = re.compile(
    r"^\W*(?:(?:very|really|so|super|truly|such)\s+)?(?:an?\s+)?(?P<word>[a-z]+)\s+(?:work|job|catch|stuff|effort|"
    r"idea|find|contribution|contributions|write-?up)\b",
    re.IGNORECASE,
)
# What gives a judgement its ground or makes it something else than a judgement: a reason, a condition, a request.
_GROUNDED = re.compile(
    r"\b(?:because|since|so that|if|unless|otherwise|when|whenever|would|could|should|might|may|must|will|can|"
    r"shall|need|needs|please|instead|rather|but|although|though|except|however)\b|[?(]",
    re.IGNORECASE,
)
# The judged word ends its clause ("… are great.", "… looks good overall", "Nice work, thanks"); a judgement that goes
# on ("nice to have", "better in small windows", "kind of …") says what or where, and is not read as bare.
_JUDGEMENT_ENDS = re.compile(
    r"\s*(?:$|[.!,;:)…]|(?:and|overall|too|here|so far|to me|indeed|imo|imho|as well|at all|thanks|thank you)\b)",
    re.IGNORECASE,
)
#: The longest sentence read as a bare judgement: longer ones say more than the judgement.
BARE_JUDGEMENT_MAX_WORDS = 12


def _bare_judgement(sentence: str, masked: str, prose: str) -> tuple[PhraseMatch, ...]:
    """A short statement whose point is praise and nothing else: its predicate (or its first words) is a word the VADER
    lexicon's raters put at +1.0 or more (:mod:`brightline.core.nlp.tone`'s lexicon, not a list written for these
    checks), said or denied, with no ground: no number, citation or evidence, no claim naming what was made, no
    reason, condition or request ("Kotlin demo apps are great", "On first review, this looks excellent", "Nice work",
    "These changes are not helpful at all"). What the guide calls vague in any wording; the judged word is the
    trigger."""
    if len(_WORD.findall(masked)) > BARE_JUDGEMENT_MAX_WORDS or _GROUNDED.search(masked):
        return ()
    praise = tone_lexicon().praise
    for pattern in (_PREDICATE_JUDGEMENT, _OPENING_JUDGEMENT):
        for found in pattern.finditer(prose):
            word = found.group("word").lower()
            if word in STATE_WORDS or word.endswith("ed") or word not in praise:
                continue  # a state, a passive ("is supported"), or no praise
            if not _JUDGEMENT_ENDS.match(prose, found.end("word")):
                continue  # "looks like …", "is nice to have", "better in small windows": the clause goes on
            if (
                re.search(r"\d", masked)
                or find_citations(sentence)
                or _has_strong_evidence(masked)
                or _names_what_was_made(masked)
            ):
                return ()
            start, end = found.span("word")
            return (PhraseMatch(start, end, prose[start:end], "judgement"),)
    return ()


def _check_sentence(
    sentence: str, offset: int, kind: NarrativeKind, has_field_citations: bool, score: SpecificityScore | None = None,
    effect_of_named_work: bool = False,
) -> tuple[list[NarrativeFlag], list[PhraseMatch]]:
    masked = mask_citations(sentence)
    flags: list[NarrativeFlag] = []
    # The effect of work the sentence before named ("Added a cache for the pricing API. It is significantly
    # faster."): its intensifier describes that change, not an unsupported judgement, so neither the superlatives
    # nor the model call it vague. An accomplishment is still asked for the number (its writer holds the figures);
    # feedback, a first-hand account like a change log's, is not.
    specific = effect_of_named_work or _has_specificity(sentence, masked)
    unquantified = [] if effect_of_named_work and kind == "feedback" else _unquantified_result(masked)

    if _is_acknowledgement(masked):
        return [], []
    prose = _mask_code(masked)
    vague = load_phrase_set("vague", "phrases").find(prose)
    personality = tuple(
        m for m in load_phrase_set("personality", "phrases").find(prose) if not _describes_a_thing(prose, m, masked)
    )
    model_vague: tuple[PhraseMatch, ...] = ()
    if vague and specific and not personality and not unquantified:
        # A vague phrase beside a specificity marker ("when it comes to work", "for example") is not flagged by the
        # phrase, but neither does the marker make the sentence specific: the model reads it as it reads any other.
        vague = ()
    if not vague and not personality and not unquantified:
        if not specific and not _NAME_LIKE.search(masked, _first_word_end(masked)):
            vague = tuple(m for m in load_phrase_set("vague", "superlatives").find(masked) if _is_asserted(masked, m))
        # The model speaks only where the rules found nothing: one weakness, one flag, the most precise one. It
        # reads numbers and words like "when" or "because" itself (in review prose "is late when others have long
        # finished" is no more specific for its "when"), so only a citation, strong evidence or a claim of output
        # that names what was made silences it.
        if (
            not vague
            and score is not None
            and score.flagged
            and _is_statement(masked)
            and not find_citations(sentence)
            and not _has_strong_evidence(masked)
            and not _names_what_was_made(masked)
            and not effect_of_named_work
        ):
            if score.label == "character":
                personality = tuple(_model_matches(sentence, score))
            else:
                model_vague = tuple(_model_matches(sentence, score))
    if not vague and not model_vague and not personality and not unquantified:
        model_vague = _hyperbole(sentence, prose)
    if not vague and not model_vague and not personality and not unquantified and not specific:
        model_vague = _generic_judgement(sentence, masked, prose, effect_of_named_work)
        if not model_vague and not effect_of_named_work:
            model_vague = _bare_judgement(sentence, masked, prose)
    if vague and not specific:
        flags.append(_make_flag("vague", vague, offset))
    elif model_vague:
        flags.append(_make_flag("vague", model_vague, offset))
    if personality:
        flags.append(_make_flag("personality", personality, offset))

    outputs, achievements = _claims(masked)
    claims = sorted([*outputs, *achievements], key=lambda m: m.start)
    if claims and kind in _KINDS_NEEDING_CITATIONS and not has_field_citations and not find_citations(sentence):
        flags.append(_make_flag("no_evidence", claims, offset))

    # A measurable result, a before/after, a named artefact or a date is never "output without outcome" (issue 16):
    # read by the general detectors of :mod:`.evidence` as well as by the result and artefact rules here.
    if (
        outputs
        and not _states_change(masked, outputs)
        and not find_evidence(masked, names=True)
        and not _names_artefact(masked, outputs)
        and not _states_purpose_or_repair(masked, outputs)
    ):
        flags.append(_make_flag("output_without_outcome", outputs, offset))

    if unquantified:
        flags.append(_make_flag("unquantified_result", unquantified, offset))

    return flags, claims


# A sentence that opens on what the sentence before described: "This …", "It also …", "These changes …".
_REFERS_BACK = re.compile(r"^\W*(?:this|it|these|that)(?:\s+(?:change|changes|fix|rewrite|work))?\s+(?:also\s+)?"
                          r"(?:is|was|can|could|will|would|should|makes?|made|means?|meant|lets?|gives?|keeps?|"
                          r"reduces?|reduced|improves?|improved|cuts?|speeds?|avoids?|removes?|helps?)\b",
                          re.IGNORECASE)


def _is_effect_of_named_work(previous: str, masked: str) -> bool:
    """``masked`` opens by referring back to the sentence before, and that sentence named concrete work: what was
    made, strong evidence (code, a name, a number with its unit) or a change."""
    if not _REFERS_BACK.match(masked):
        return False
    return _names_what_was_made(previous) or _has_strong_evidence(previous) or _states_change(previous)


def check_text(
    text: str,
    *,
    kind: NarrativeKind = "feedback",
    cited_ids: Iterable[str] = (),
    use_model: bool = True,
) -> NarrativeReport:
    """Check a narrative and return per-sentence flags and a summary.

    ``kind`` decides which checks apply: ``no_evidence`` is not raised on feedback (feedback is
    itself evidence) and ``missing_scope`` is raised once per text, on accomplishments only.
    ``cited_ids`` are evidence ids attached to the whole field (outside the prose); when any are
    given, claims count as cited. Empty text gives an empty, clean report. ``use_model=False`` keeps
    to the reviewed phrase rules: for a check whose flag refuses a save rather than advising the writer.
    """
    if kind not in NARRATIVE_KINDS:
        raise ValueError(ERROR_UNKNOWN_KIND.format(kinds=", ".join(NARRATIVE_KINDS), kind=kind))
    has_field_citations = any(str(evidence_id).strip() for evidence_id in cited_ids)
    sentence_reports: list[SentenceReport] = []
    all_claims: list[PhraseMatch] = []
    spans = split_sentences(text)
    scores: list[SpecificityScore | None] = [None] * len(spans)
    if spans and use_model:
        scores = list(score_statements([mask_citations(span.text) for span in spans]))
    for index, span in enumerate(spans):
        effect = index > 0 and not sentence_reports[-1].flags and _is_effect_of_named_work(
            mask_citations(spans[index - 1].text), mask_citations(span.text))
        flags, claims = _check_sentence(span.text, span.start, kind, has_field_citations, scores[index], effect)
        # "Built a cache for the pricing API. It cut p95 latency from 900 ms to 250 ms.": the outcome of what was
        # built may be the next sentence's subject; the statement as a whole says what changed.
        if index + 1 < len(spans) and _states_change(mask_citations(spans[index + 1].text)):
            flags = [flag for flag in flags if flag.flag_id != "output_without_outcome"]
        all_claims.extend(PhraseMatch(m.start + span.start, m.end + span.start, m.text, m.phrase) for m in claims)
        sentence_reports.append(SentenceReport(index, span.text, span.start, span.end, tuple(flags)))
    text_flags: list[NarrativeFlag] = []
    if kind in _KINDS_NEEDING_SCOPE and all_claims and not _has_scope(mask_citations(text)):
        text_flags.append(_make_flag("missing_scope", all_claims[:1], 0))
    return NarrativeReport(kind, text, tuple(sentence_reports), tuple(text_flags))


def check_fields(
    fields: Mapping[str, str],
    *,
    kind: NarrativeKind = "accomplishment",
    cited_ids: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, NarrativeReport]:
    """Check each structured field (for example situation / action / result / impact) on its own.

    ``cited_ids`` maps a field name to the evidence ids attached to that field.
    """
    attached = cited_ids or {}
    return {name: check_text(value, kind=kind, cited_ids=attached.get(name, ())) for name, value in fields.items()}
