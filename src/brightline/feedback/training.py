"""The manager readiness module (PRODUCT.md E10): content, questions and the pass mark.

The pages are in ``templates/feedback/training.html``; the questions are here so the answers are
checked on the server. Changing the questions in a way that matters means a new
``MODULE_VERSION``: completions of an older version no longer count.
"""

from __future__ import annotations

from dataclasses import dataclass

MODULE_VERSION = "2026.1"
PASS_MARK = 4  # of len(QUESTIONS)


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: tuple[tuple[str, str], ...]
    correct: str
    explanation: str


QUESTIONS: tuple[Question, ...] = (
    Question(
        "strong_narrative",
        "Which sentence is the strongest narrative for a review?",
        (
            ("a", "Erin is a great collaborator and a real team player."),
            ("b", "Erin led the retry redesign for card payments [E:41], which cut failed charges from 2.1% to "
                  "0.6% for all 30 currencies."),
            ("c", "Erin works very hard and is always online."),
        ),
        "b",
        "It names what she did, cites the evidence and states the outcome with its scope.",
    ),
    Question(
        "personality",
        "A manager writes: \"Can be abrasive in design reviews.\" What is the problem?",
        (
            ("a", "Nothing; it is honest."),
            ("b", "It describes temperament instead of behaviour; name what happened and its effect, for example "
                  "\"In the October design review she dismissed two alternatives without discussing them.\""),
            ("c", "It is too short."),
        ),
        "b",
        "Personality words are vague, hard to act on and fall unevenly on women (Correll & Simard, HBR 2016).",
    ),
    Question(
        "recency",
        "You are writing a half-year narrative. Most of what you remember happened in the last six weeks. "
        "What do you do?",
        (
            ("a", "Write from memory; recent work matters most."),
            ("b", "Read the checkpoints, 1:1 notes and evidence from the whole period before writing."),
            ("c", "Ask the engineer to summarise only the last month."),
        ),
        "b",
        "Recency bias over-weights the end of the period; continuous checkpoints exist so nothing is "
        "reconstructed from memory.",
    ),
    Question(
        "halo",
        "An engineer shipped one very visible launch. How should that shape the rest of the assessment?",
        (
            ("a", "Rate every dimension highly; the launch shows they are strong."),
            ("b", "Judge each dimension on its own evidence; one strong result does not speak for the others."),
            ("c", "Ignore the launch to be fair to others."),
        ),
        "b",
        "The halo effect lets one impression colour unrelated judgements.",
    ),
    Question(
        "quiet_roles",
        "A platform engineer has few visible launches but their team's build times halved. What is fair?",
        (
            ("a", "Count their merged changes and compare with product engineers."),
            ("b", "Assess the outcome for the teams they serve, with evidence, against their level's "
                  "expectations."),
            ("c", "Mark them as meeting expectations by default."),
        ),
        "b",
        "Activity counts under-read quiet, platform and deep-focus work; outcomes and evidence do not.",
    ),
)

ERR_UNANSWERED = "Answer every question before submitting ({missing} left)."


@dataclass(frozen=True)
class TrainingResult:
    score: int
    out_of: int
    passed: bool
    wrong: tuple[str, ...]


def score_answers(answers: dict[str, str]) -> TrainingResult:
    """Score answers (question key → option key). Raises ``ValueError`` when any is missing."""
    missing = [q.key for q in QUESTIONS if not answers.get(q.key)]
    if missing:
        raise ValueError(ERR_UNANSWERED.format(missing=len(missing)))
    wrong = tuple(q.key for q in QUESTIONS if answers[q.key] != q.correct)
    score = len(QUESTIONS) - len(wrong)
    return TrainingResult(score, len(QUESTIONS), score >= PASS_MARK, wrong)
