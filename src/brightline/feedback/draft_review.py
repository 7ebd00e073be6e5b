"""Impact drafts reviewed together (C6): the person and their manager each accept, edit or reject every sentence.

Each decision is a new ``DraftSentenceDecision`` row (who, when, the text before and after), so the history is
never rewritten. A sentence's text is the latest edit of either side, or what the drafter wrote; a side's
decision counts while it was taken on that text, so an edit by one side asks the other to decide again. An
accepted or edited sentence must cite its evidence and pass the drafter's validator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from django.db import transaction

from brightline import access
from brightline.audit.services import log_action
from brightline.feedback.models import DraftSentenceDecision, ImpactDraft
from brightline.feedback.services import (
    ERR_DRAFT_NOT_OPEN,
    FeedbackError,
    NotAllowed,
    check_draft_text,
    edit_impact_draft,
)
from brightline.people.models import Person

ERR_REVIEW_NOT_ALLOWED = "a draft is reviewed by the person it is about and their management chain only"
ERR_NO_SUCH_SENTENCE = "the draft has no sentence {number}"
ERR_UNKNOWN_ACTION = "choose accept, edit or reject"
ERR_EDIT_EMPTY = "write the sentence, or reject it"
ERR_EDIT_UNCHANGED = "the edit is the same as the sentence: accept it instead"
ERR_SENTENCE_INVALID = "the sentence cannot be kept until it passes the evidence check: {issues}"
ERR_REASON_TOO_LONG = "the reason is longer than 500 characters"
ERR_NOTHING_AGREED = "no sentence is agreed by both of you yet"
ERR_STILL_WAITING = "{count} sentence(s) still wait for a decision"

Action = Literal["accept", "edit", "reject"]
SentenceStatus = Literal["agreed", "rejected", "waiting"]
SIDE_PERSON = DraftSentenceDecision.Side.PERSON.value
SIDE_MANAGER = DraftSentenceDecision.Side.MANAGER.value


@dataclass(frozen=True)
class SentenceReview:
    """Where one sentence stands: its text now, each side's decision on that text, and the validator's issues."""

    index: int
    generated_text: str
    text: str
    cited_ids: list[str]
    issues: list[dict[str, Any]]
    person_decision: DraftSentenceDecision | None
    manager_decision: DraftSentenceDecision | None
    status: SentenceStatus
    waiting_for: list[str]

    @property
    def number(self) -> int:
        return self.index + 1


def side_of(viewer: Person, person: Person) -> str:
    return SIDE_PERSON if viewer.pk == person.pk else SIDE_MANAGER


def _check_text(person: Person, text: str) -> tuple[list[str], list[dict[str, Any]]]:
    checked = check_draft_text(person, text)
    cited = sorted({cid for sentence in checked for cid in sentence["cited_ids"]}, key=lambda c: (len(c), c))
    return cited, [issue for sentence in checked for issue in sentence["issues"]]


def sentence_reviews(draft: ImpactDraft, decisions: list[DraftSentenceDecision] | None = None,
                     *, validate: bool = True) -> list[SentenceReview]:
    """Every sentence of ``draft`` with its current text and both sides' standing decisions."""
    if decisions is None:
        decisions = list(draft.sentence_decisions.select_related("decided_by").order_by("id"))
    reviews = []
    for index, generated in enumerate(draft.sentences):
        mine = [d for d in decisions if d.sentence_index == index]
        edits = [d for d in mine if d.action == DraftSentenceDecision.Action.EDIT]
        text = edits[-1].text_after if edits else generated["text"]
        standing: dict[str, DraftSentenceDecision | None] = {SIDE_PERSON: None, SIDE_MANAGER: None}
        for decision in mine:
            standing[decision.side] = decision if decision.text_after == text else None
        if edits:
            cited, issues = _check_text(draft.person, text) if validate else (list(edits[-1].cited_ids), [])
        else:
            cited, issues = list(generated["cited_ids"]), list(generated["issues"])
        actions = {side: d.action for side, d in standing.items() if d is not None}
        if DraftSentenceDecision.Action.REJECT in actions.values():
            status: SentenceStatus = "rejected"
        elif len(actions) == 2:
            status = "agreed"
        else:
            status = "waiting"
        waiting = [side for side, d in standing.items() if d is None] if status == "waiting" else []
        reviews.append(SentenceReview(index=index, generated_text=generated["text"], text=text, cited_ids=cited,
                                      issues=issues, person_decision=standing[SIDE_PERSON],
                                      manager_decision=standing[SIDE_MANAGER], status=status, waiting_for=waiting))
    return reviews


def agreed_text(reviews: list[SentenceReview]) -> str:
    """The sentences both sides kept, one per line, in the drafter's order."""
    return "\n".join(review.text for review in reviews if review.status == "agreed")


def decide_sentence(*, actor: Person, draft: ImpactDraft, index: int, action: str, text: str = "",
                    reason: str = "") -> DraftSentenceDecision:
    """Accept, edit or reject sentence ``index`` (from 0) of an open draft, on the actor's side of the review."""
    person = draft.person
    if not access.can_review_impact_draft(actor, person):
        raise NotAllowed(ERR_REVIEW_NOT_ALLOWED)
    if action not in DraftSentenceDecision.Action.values:
        raise FeedbackError(ERR_UNKNOWN_ACTION)
    if len(reason) > 500:
        raise FeedbackError(ERR_REASON_TOO_LONG)
    with transaction.atomic():
        # One decision at a time per draft: the text a decision is taken on is read under the lock.
        locked = ImpactDraft.objects.select_for_update().select_related("person").get(pk=draft.pk)
        if locked.status != ImpactDraft.Status.DRAFT:
            raise FeedbackError(ERR_DRAFT_NOT_OPEN.format(status=locked.get_status_display().lower()))
        if not 0 <= index < len(locked.sentences):
            raise FeedbackError(ERR_NO_SUCH_SENTENCE.format(number=index + 1))
        current = sentence_reviews(locked, validate=False)[index]
        after = current.text
        if action == DraftSentenceDecision.Action.EDIT:
            after = " ".join(text.split())
            if not after:
                raise FeedbackError(ERR_EDIT_EMPTY)
            if after == current.text:
                raise FeedbackError(ERR_EDIT_UNCHANGED)
        cited: list[str] = []
        if action != DraftSentenceDecision.Action.REJECT:
            cited, issues = _check_text(person, after)
            if issues:
                raise FeedbackError(ERR_SENTENCE_INVALID.format(issues="; ".join(i["message"] for i in issues)))
        decision = DraftSentenceDecision.objects.create(
            draft=locked, sentence_index=index, side=side_of(actor, person), action=action,
            text_before=current.text, text_after=after, cited_ids=cited, reason=reason.strip(), decided_by=actor)
        log_action("feedback.draft.sentence_decided", actor, locked, {
            "sentence": index + 1, "side": decision.side, "action": action, "decision": decision.pk,
            "cited_evidence": cited, "changed": after != current.text})
    return decision


def adopt_agreed_text(*, actor: Person, draft: ImpactDraft) -> None:
    """The person takes the sentences both sides kept as the draft's text (an edit, kept like any other)."""
    if not access.can_edit_accomplishments(actor, draft.person):
        raise NotAllowed(ERR_REVIEW_NOT_ALLOWED)
    reviews = sentence_reviews(draft)
    waiting = sum(1 for review in reviews if review.status == "waiting")
    if waiting:
        raise FeedbackError(ERR_STILL_WAITING.format(count=waiting))
    text = agreed_text(reviews)
    if not text:
        raise FeedbackError(ERR_NOTHING_AGREED)
    edit_impact_draft(actor=actor, draft=draft, text=text)
