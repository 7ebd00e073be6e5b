"""Contempt aimed at a person, in words no insult list holds: the tone check's contempt rule.

"You clearly never read the docs", "are you even trying", "people like you", "learn to read", "stop wasting my
time": none holds an insult or a judgement word, yet each is aimed at the reader, not at the work. The rule looks
for a small set of grammatical forms of contempt addressed to a person, each tied to "you" (or to a group the
reader is put in):

* **a rhetorical question at the person**: "are you even / seriously …", "did you even / actually read …", "do you
  even know …", "what is wrong with you", "who hired you";
* **an accusation of not even trying**: "you clearly / obviously … don't …", "you don't even …", "you have no idea",
  "you keep ignoring …", "you failed to grasp …";
* **an imperative of dismissal**: "learn to read", "stop wasting my time", "get a clue", "grow up", "shut up",
  "do your homework", "go away";
* **a person put in a group**: "people like you", "you people", "your kind";
* **the person's character named as the fault**: "your arrogance", "your ignorance", "your attitude is …".

Critique of the work never takes these forms: "this will crash if the list is empty", "I disagree with this
design", "did you test this on ARM?" (no "even" / "actually"), "you don't need this lock" (no "even", no
contempt adverb). A denied or hypothetical form is still contempt when it is a rhetorical question ("don't you
even read…"), so the rule does not look for negation; it looks for the contempt words themselves, which are the
trigger words it names.

The forms were written from the labelling guide's definition of an attack (``tools/nlp/eval/GUIDE.md``: contempt,
mocking the reader, a judgement of the person) and checked on the development texts only; their figures are in
the tone model card.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

_YOU = r"(?:you|u|ya|y'all|yall)"
_NOT = r"(?:don't|dont|do\s+not|didn't|didnt|did\s+not|can't|cant|cannot|can\s+not|never|won't|wouldn't)"
# What a person is accused of not even doing: reading, understanding, trying, testing, caring.
_MENTAL = (r"(?:read|reading|understand|understood|know\s+(?:how|what|the\s+basics|anything)|grasp|grasped|bother"
           r"|bothered|care|cared|listen|listened|learn|learned|learnt|think|thought|look|looked|check|checked|try|tried"
           r"|test|tested|run|ran|compile|compiled|comprehend|pay\s+attention|begin)")
# The same after "really", "seriously", "honestly", where a genuine question is common ("did you really test this with
# a thousand entries?"): only what no genuine question asks that way.
_MENTAL_SOFT = r"(?:read|understand|understood|care|listen|bother|comprehend|pay\s+attention)"
# Cue words are read split at apostrophes: "you're" holds "you", "y'all" holds "y".
_YOU_WORDS = frozenset({"you", "u", "ya", "y", "yall", "your", "yourself"})
_CONTEMPT_ADVERB = r"(?:clearly|obviously|evidently|apparently|plainly)"
# Where an imperative can stand: the start of the text, of a sentence or of a clause, maybe after a softener or a
# name ("@maintainers, get your act together", "Just learn to read", "… and grow up").
_IMPERATIVE = (r"(?:^|(?<=[.!?;:,(\n])|(?<=\.\.)|\b(?:and|so|then|now|please|seriously|guys|honestly)\s+)"
               r"\s*(?:(?:just|please|seriously|honestly|now|then|so)\s+)?")

#: The forms of contempt, by the words one of which a text must hold for them to be looked for (most texts hold none
#: and skip the patterns). Each pattern's whole match is named as the trigger words.
CONTEMPT_FORMS: dict[frozenset[str], tuple[str, ...]] = {
    _YOU_WORDS: (
        # Rhetorical questions at the person.
        rf"\b(?:are|were)\s+{_YOU}\s+(?:even|seriously|actually|really|just|ever)\s+(?:trying|serious|reading"
        r"|listening|kidding|joking|thinking|paying\s+attention|capable|for\s+real|a\s+\w+)\b",
        rf"\b(?:are|were)\s+{_YOU}\s+(?:kidding|joking|serious|blind|trolling|high|drunk|insane|crazy|dense"
        r"|illiterate|for\s+real|out\s+of\s+your\s+mind|even\s+a)\b",
        rf"\b(?:do|did|have|has|can|could|does)\s+{_YOU}\s+(?:even|actually)\s+{_MENTAL}\b",
        rf"\b(?:do|did|have|has|can|could|does)\s+{_YOU}\s+(?:seriously|really|honestly)\s+{_MENTAL_SOFT}\b",
        rf"\b(?:do|did|have)\s+{_YOU}\s+not\s+(?:even\s+{_MENTAL}|{_MENTAL_SOFT})\b",
        rf"\b(?:don't|didn't|can't|cannot|haven't)\s+{_YOU}\s+(?:even\s+)?(?:read|see|understand|get\s+it|listen"
        r"|follow|comprehend)\b",
        rf"\bwhat(?:'s|\s+is|\s+the\s+hell\s+is|\s+the\s+heck\s+is)\s+wrong\s+with\s+{_YOU}\b",
        rf"\bwhat\s+(?:were|are)\s+{_YOU}\s+(?:even\s+)?(?:thinking|smoking|on)\b",
        rf"\bwho\s+(?:hired|let|allowed|taught|gave)\s+{_YOU}\b",
        r"\b(?:did|does|has)\s+(?:anyone|anybody|nobody|no\s+one)\s+(?:ever\s+)?(?:teach|taught|tell|told|show"
        rf"|showed)\s+{_YOU}\b",
        rf"\b{_YOU}\s+(?:must|gotta|have\s+to)\s+be\s+(?:kidding|joking|new|trolling|blind|out\s+of\s+your\s+mind)\b",
        rf"\b{_YOU}\s+(?:can't|cannot|can\s+not)\s+be\s+serious\b",
        # Accusations of not even trying, of ignorance.
        rf"\b{_YOU}(?:'ve|\s+have)?\s+(?:{_CONTEMPT_ADVERB}\s+){{1,2}}(?:{_NOT}|have\s+no|had\s+no|lack|failed\s+to"
        r"|fail\s+to|refuse\s+to|refused\s+to)(?:\s+even)?(?:\s+[a-z']+)?\b",
        rf"\b{_YOU}\s+(?:{_NOT}|have\s+not|haven't)\s+even\s+{_MENTAL}\b",
        rf"\b{_YOU}\s+(?:have|had|got)\s+(?:absolutely\s+)?(?:no|zero)\s+(?:idea|clue|understanding|knowledge"
        r"|experience|sense|respect|shame|business)\b(?!\s+how\s+(?:much|many|grateful|happy|glad|thankful|helpful"
        r"|long|great|good|excited|relieved|useful))",
        rf"\b{_YOU}\s+(?:clearly\s+|obviously\s+)?know\s+(?:nothing|absolutely\s+nothing)\b",
        rf"\b{_YOU}\s+(?:failed|fail)\s+to\s+(?:grasp|understand|read|notice|comprehend|see|realise|realize)\b",
        rf"\b{_YOU}\s+(?:didn't|did\s+not|never)\s+(?:even\s+)?bother(?:ed)?\b",
        rf"\b{_YOU}\s+never\s+(?:read|listen|learn|bother|care|test|answer|respond|admit)\w*\b",
        rf"\b{_YOU}\s+(?:just\s+)?keep\s+(?:on\s+)?(?:ignoring|bringing|breaking|failing|repeating|pushing|insisting"
        r"|complaining|whining|spamming|trolling|refusing|arguing|reopening|derailing|moving\s+the\s+goalposts"
        r"|making\s+the\s+same)\b",
        rf"\b{_YOU}(?:'re|\s+are)\s+(?:just\s+)?(?:trolling|whining|wasting|too\s+lazy|too\s+stupid|clueless"
        r"|delusional|embarrassing\s+yourself|making\s+a\s+fool)\b",
        rf"\b{_YOU}\s+(?:troll|trolls|trolled)\b",
        # The reader's words called senseless ("your comment makes zero sense"), where "this makes no sense" judges
        # the work.
        r"\byour\s+(?:own\s+)?(?:comments?|explanations?|arguments?|words|repl(?:y|ies)|posts?|logic|reasoning"
        r"|answers?|claims?|opinions?|statements?|rants?)\s+(?:still\s+|just\s+|really\s+)?(?:makes?|made)\s+"
        r"(?:absolutely\s+)?(?:zero|no)\s+sense\b",
        # A person put in a group.
        rf"\b(?:people|guys|folks|someone|somebody|persons?|developers|devs|users)\s+like\s+{_YOU}\b",
        rf"\bthe\s+likes\s+of\s+{_YOU}\b",
        rf"\b{_YOU}\s+people\b",
        r"\byour\s+kind\b",
        # The person's character named as the fault.
        r"\byour\s+(?:own\s+)?(?:arrogance|ignorance|incompetence|stupidity|laziness|entitlement|rudeness|hostility"
        r"|sloppiness|carelessness|hypocrisy|condescension|attitude\s+problem|ego|lack\s+of\s+(?:understanding"
        r"|knowledge|respect|skill|competence|effort|basic))\b",
        # Sarcasm at the person that needs no failure word.
        r"\bbless\s+your\s+(?:heart|soul)\b",
    ),
    frozenset({"hard", "difficult"}): (
        r"\bhow\s+(?:hard|difficult)\s+(?:is\s+it|can\s+it\s+be|could\s+it\s+be)\s+to\b",
        r"\bis\s+it\s+(?:that|so|really\s+that)\s+(?:hard|difficult)\s+to\b",
    ),
    # Imperatives of dismissal, where an imperative stands: opening a sentence or a clause ("Grow up.", "just learn
    # to read", "…, get a clue"), never inside one ("some chars get lost here", "I'll learn how to spell").
    frozenset({"learn"}): (
        rf"{_IMPERATIVE}learn\s+(?:how\s+)?to\s+(?:read|code|program|write|use|google|search|test|think|spell|behave"
        r"|listen)\b",
    ),
    frozenset({"stop"}): (
        rf"{_IMPERATIVE}stop\s+(?:wasting\s+(?:my|our|everyone's|everybody's|people's|other\s+people's)\s+time"
        r"|whining|crying|complaining|trolling|spamming|being\s+(?:so\s+)?(?:lazy|stupid|dense|arrogant|childish"
        r"|rude|an?\s+\w+))\b",
    ),
    frozenset({"get", "grow", "shut", "go", "piss", "bugger", "suck", "cry", "educate", "use", "do", "rtfm", "read"}): (
        rf"{_IMPERATIVE}(?:get\s+(?:a\s+clue|a\s+life|a\s+grip|lost|over\s+yourself|your\s+(?:shit|act|head)"
        r"\s+together)|grow\s+up|shut\s+up|go\s+away|piss\s+off|bugger\s+off|get\s+off\s+your\s+high\s+horse"
        r"|suck\s+it\s+up|cry\s+me\s+a\s+river|educate\s+yourself|use\s+your\s+(?:brain|head)|do\s+your\s+(?:homework"
        r"|research)|rtfm|read\s+the\s+(?:fucking\s+|damn\s+|bloody\s+)?(?:manual|docs|documentation|thread"
        r"|instructions)\s+(?:first|before))\b",
        rf"{_IMPERATIVE}(?:don't|do\s+not)\s+cry\b",
    ),
    # Third persons written off: "he should be fired", "I would never work with him again", "not worth the time".
    frozenset({"fired", "sacked", "banned", "let", "kicked", "thrown"}): (
        r"\b(?:he|she|they|you|him|her|them)\s+(?:should|ought\s+to|needs?\s+to|must)\s+be\s+(?:fired|sacked|banned"
        r"|let\s+go|kicked\s+out|thrown\s+out)\b",
    ),
    frozenset({"would"}): (
        r"\bwould\s+(?:never|not)\s+(?:re-?hire|hire|recommend\s+(?:re-?)?hiring|work\s+with|want\s+to\s+work"
        r"\s+with)\b",
    ),
    frozenset({"nobody", "one"}): (
        r"\b(?:nobody|no\s+one)\s+(?:wants|likes|enjoys)\s+(?:to\s+)?work(?:ing)?\s+with\b",
    ),
    frozenset({"worth"}): (
        r"\b(?:he|she|they|you)(?:\s+is|\s+are|'s|'re)\s+not\s+(?:[\w']+\s+){0,3}?worth\s+(?:the|my|our|anyone's"
        r"|anybody's|his|her)\s+(?:time|effort|salary|money|trouble)\b",
    ),
    # Sarcasm at the person that needs no failure word.
    frozenset({"nothing"}): (r"\b(?:thanks|thank\s+you)\s+for\s+nothing\b",),
    frozenset({"luck"}): (r"\bgood\s+luck\s+with\s+that\b",),
    # A mock title as a form of address, closing the sentence ("Nice one, genius.", "No kidding, Sherlock").
    frozenset({"genius", "einstein", "sherlock", "mastermind", "smartass", "smarty", "wise", "smart"}): (
        r",\s*(?:mr\.?\s+)?(?:genius|einstein|sherlock|mastermind|smartass|smarty\s*pants|wise\s+guy|smart\s+guy)"
        r"(?=\s*(?:[.!?:;)]|$))",
    ),
}
#: Every pattern, compiled; and one pattern per group of :data:`CONTEMPT_FORMS`, for a yes or no.
CONTEMPT_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(pattern, re.IGNORECASE) for patterns in CONTEMPT_FORMS.values() for pattern in patterns)
_GROUPS: tuple[tuple[frozenset[str], re.Pattern[str]], ...] = tuple(
    (cues, re.compile("|".join(f"(?:{pattern})" for pattern in patterns)))
    for cues, patterns in CONTEMPT_FORMS.items())
_CUE_WORDS = re.compile(r"[a-z]+")


#: Nouns that stand for the person's character or conduct ("your attitude", "your tone"): a judgement of one of them
#: is a judgement of the person, where "your code is a mess" judges the work.
PERSON_ATTRIBUTES = frozenset({
    "attitude", "behaviour", "behavior", "conduct", "tone", "manners", "mentality", "mindset", "demeanour", "demeanor",
    "temper", "ego", "character", "personality", "intelligence", "competence", "stubbornness",
})
#: Nouns for what the person said: mocked ("your comment makes zero sense", "your words look so ridiculous"), where
#: "this makes no sense" judges the work.
PERSON_UTTERANCES = frozenset({
    "comment", "comments", "explanation", "explanations", "argument", "arguments", "words", "reply", "replies", "post",
    "posts", "logic", "reasoning", "answer", "answers", "claim", "claims", "opinion", "opinions",
    "statement", "statements", "rant", "rants", "remark", "remarks", "understanding",
})
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'-]*")
_DENIALS = frozenset({"not", "never", "no", "isn't", "wasn't", "aren't", "hardly", "nor", "without"})
_LINKING = frozenset({"is", "are", "was", "were", "seems", "seem", "seemed", "looks", "look", "looked", "sounds",
                      "sound", "appears", "appear", "appeared", "has", "have", "been", "be", "to", "become", "becomes",
                      "feels", "feel", "comes", "come", "across", "as"})
_DEGREE = frozenset({"still", "just", "really", "so", "very", "extremely", "utterly", "totally", "quite", "pretty",
                     "absolutely", "completely", "simply", "rather", "more", "like", "a", "an", "bit", "little",
                     "somewhat", "frankly", "honestly", "downright", "plain", "incredibly", "deeply", "truly"})
_CLAUSE_BREAK = re.compile(r"[,.;:!?()\"\n]|\s-\s")


def contempt_matches(text: str, judged: Callable[[str], bool], praised: Callable[[str], bool]
                     ) -> list[tuple[int, int]]:
    """Where the contempt forms of ``text`` are (start, end), in text order, overlaps kept once. ``judged`` says
    whether a lower-cased word is a judgement (the tone lexicon's: VADER's words rated -1.0 or lower, the insult
    list), for the person's attribute or words judged ("your attitude is appalling", "your reply is ridiculous"), and
    ``praised`` whether it is praise (a sentence that praises is not judged: "your comments were savage in the best
    way")."""
    lowered = text.lower()
    words = set(_CUE_WORDS.findall(lowered))
    spans = [match.span() for (cues, patterns), (_cues, group) in zip(CONTEMPT_FORMS.items(), _GROUPS, strict=True)
             if not cues.isdisjoint(words) and group.search(lowered) is not None
             for pattern in patterns for match in re.finditer(pattern, text, re.IGNORECASE)]
    spans.extend(_attribute_judged(text, judged, praised))
    found: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        start += len(text[start:end]) - len(text[start:end].lstrip(" \t\n,"))
        if not any(start < other_end and other_start < end for other_start, other_end in found):
            found.append((start, end))
    return found


def _attribute_judged(text: str, judged: Callable[[str], bool], praised: Callable[[str], bool]
                      ) -> list[tuple[int, int]]:
    """"your <attribute or words>" judged in the same clause: by an adjective before the noun ("your irrational
    stubbornness", "your dismissive tone") or a linking verb and a judgement after it ("your behaviour appears to be
    unethical", "your words look so ridiculous"), unless denied ("your tone is not rude") or the sentence praises."""
    if "your" not in text.lower():
        return []
    tokens = list(_TOKEN.finditer(text))
    words = [token.group().lower() for token in tokens]
    spans = []
    for index, word in enumerate(words):
        if word != "your":
            continue
        for offset in range(1, 5):
            position = index + offset
            if position >= len(words) or _broken(text, tokens, position):
                break
            if words[position] not in PERSON_ATTRIBUTES and words[position] not in PERSON_UTTERANCES:
                continue
            if any(judged(before) for before in words[index + 1:position]):
                spans.append((tokens[index].start(), tokens[position].end()))
                break
            linked = False
            for after in range(position + 1, min(len(words), position + 7)):
                if _broken(text, tokens, after) or words[after] in _DENIALS:
                    break
                if words[after] in _LINKING:
                    linked = True
                elif linked and judged(words[after]):
                    spans.append((tokens[index].start(), tokens[after].end()))
                    break
                elif words[after] not in _DEGREE:
                    break
            break
    return [span for span in spans if not any(praised(word) for word in _sentence_words(text, span))]


def _sentence_words(text: str, span: tuple[int, int]) -> list[str]:
    """The lower-cased words of the sentence around ``span``."""
    start = max(text.rfind(mark, 0, span[0]) for mark in ".!?;\n") + 1
    ends = [found for found in (text.find(mark, span[1]) for mark in ".!?;\n") if found >= 0]
    return [match.group().lower() for match in _TOKEN.finditer(text, start, min(ends, default=len(text)))]


def _broken(text: str, tokens: list[re.Match[str]], position: int) -> bool:
    """Whether a clause ends between the word before ``position`` and the word there."""
    return _CLAUSE_BREAK.search(text, tokens[position - 1].end(), tokens[position].start()) is not None


def contempt_found(texts: Sequence[str], judged: Callable[[str], bool], praised: Callable[[str], bool]) -> list[bool]:
    """Whether each text holds a contempt form."""
    found = []
    for text in texts:
        lowered = text.lower()  # the patterns are lower-case; matching the lowered text is faster than ignoring case
        words = set(_CUE_WORDS.findall(lowered))
        formed = any(not cues.isdisjoint(words) and pattern.search(lowered) is not None for cues, pattern in _GROUPS)
        found.append(formed or ("your" in words and bool(_attribute_judged(text, judged, praised))))
    return found
