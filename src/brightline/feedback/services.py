"""Domain actions of the growth space. Each checks its precondition, changes state inside a
transaction and writes one audit entry (``feedback.<thing>.<verb>``).

Nothing here rates anyone: these records reach a review only through an explicit, logged
inclusion in a review packet (principle 7).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action
from brightline.core.narrative import EvidenceItem as CoreEvidenceItem
from brightline.core.narrative import (
    NarrativeFlag,
    NarrativeReport,
    check_text,
    context_items,
    draft_impact_statements,
    find_citations,
    render_evidence_text,
    split_sentences,
    validate_draft,
)
from brightline.core.periods import period_in_words
from brightline.evidence.models import EvidenceItem, Incident
from brightline.feedback import llm, training
from brightline.feedback.models import (
    Accomplishment,
    Annotation,
    Checkpoint,
    DraftEdit,
    FeedbackInvitation,
    FeedbackRequest,
    FeedbackResponse,
    ImpactDraft,
    ImpactLevel,
    ManagerCommentary,
    OneOnOneNote,
    Relationship,
    ToneLabel,
    TrainingAttempt,
)
from brightline.feedback.signals import packet_claims_changed
from brightline.feedback.themes import Theme, count_themes
from brightline.people.models import Person, Principle
from brightline.policy.services import get_policy


class FeedbackError(ValueError):
    """An action the growth space refuses; the message says why."""


class NotAllowed(FeedbackError):
    """The actor may not do this to this person or record."""


ERR_NOT_ALLOWED = "you are not allowed to do this"
ERR_CHECKPOINT_NOT_ALLOWED = "a checkpoint is recorded by the person or their direct manager"
ERR_CHECKPOINT_EMPTY = "write at least one of wins, misses, impact or next steps"
ERR_NOTE_NOT_ALLOWED = "1:1 notes are written by a person who has a manager, or by that manager"
ERR_NOTE_EMPTY = "the note is empty"
ERR_REQUEST_NOT_ALLOWED = "feedback about someone is requested by them or by someone in their management chain"
ERR_NO_RESPONDENTS = "invite at least one person to answer"
ERR_SELF_RESPONDENT = "the person the feedback is about cannot answer their own request"
ERR_INACTIVE_RESPONDENT = "{name} is not an active person"
ERR_ANONYMOUS_TOO_FEW = ("an anonymous request needs at least {minimum} people invited, otherwise the answers "
                         "could never be shown without revealing who wrote them")
ERR_UNKNOWN_RELATIONSHIP = "unknown relationship {value!r}"
ERR_NOT_RESPONDENT = "this request is addressed to someone else"
ERR_ALREADY_ANSWERED = "you have already answered this request"
ERR_REQUEST_CLOSED = "this request is closed and takes no more answers"
ERR_RESPONSE_EMPTY = "answer all three prompts: what they did, the impact, and one thing to grow"
ERR_ALREADY_CLOSED = "this request is already closed"
ERR_COMMENTARY_NOT_ALLOWED = "manager commentary is written by someone in the person's management chain"
ERR_COMMENTARY_EMPTY = "write at least one of the four commentary fields"
ERR_ACCOMPLISHMENT_NOT_ALLOWED = "accomplishments are written by the person themself"
ERR_TOO_MANY_ACCOMPLISHMENTS = ("{period} already has {limit} accomplishments, the most a review packet takes; "
                                "merge two or remove the weakest before adding another")
ERR_ACCOMPLISHMENT_INCOMPLETE = "fill in the title, situation, action, result and impact"
ERR_UNKNOWN_IMPACT_LEVEL = "impact level must be one of: execution, process_improvement, business_outcome"
ERR_EVIDENCE_NOT_VISIBLE = "evidence item {evidence_id} does not exist or you cannot see it"
ERR_MEASURE_INCOMPLETE = "a measured change needs what was measured, and both the before and the after value"
ERR_ANNOTATION_EMPTY = "the annotation is empty"
ERR_NO_EVIDENCE_IN_WINDOW = "no evidence about {name} between {start} and {end} to draft from"
ERR_WINDOW = "the window must start on or before its end"
ERR_LLM_OFF = ("drafting with a language model is off: set BRIGHTLINE_LLM_URL and BRIGHTLINE_LLM_MODEL and turn "
               "on 'llm drafting enabled' in the policy")
ERR_DRAFT_NOT_OPEN = "this draft is already {status}"
ERR_DRAFT_INVALID = "the draft cannot be approved until every sentence passes the evidence check: {issues}"
ERR_DRAFT_EMPTY = "the draft is empty"

ACCOMPLISHMENTS_MIN = 3
ACCOMPLISHMENTS_MAX = 5
# Anonymous answers are released in groups of this size, so each shown text could be any of at
# least this many writers, even to someone who compares the page before and after an answer.
ANONYMITY_GROUP = 3
TEMPLATE_GENERATOR = "template-v2"  # v2: outcomes only, never activity counts
DEFAULT_DRAFT_WINDOW_DAYS = 14


# --- tone check ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToneCheck:
    """The tone check's verdict on a set of fields: toxic if any field is.

    ``triggers`` pairs each flagged field with the words that triggered its flag. ``kind`` is
    ``"attack"`` when a field may attack the person, ``"wording"`` when the flags are only
    profanity aimed at no one.
    """

    label: str
    confidence: float
    flagged_fields: tuple[str, ...] = ()
    triggers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    kind: str = ""

    @property
    def message(self) -> str:
        return TONE_WORDING_MESSAGE if self.kind == "wording" else TONE_FLAG_MESSAGE

    @property
    def confidence_text(self) -> str:
        """How sure the tone model is, for a person: "The tone model is quite sure (98 %)"."""
        return sureness("The tone model", self.confidence)

    @property
    def is_flagged(self) -> bool:
        return self.label == ToneLabel.TOXIC

    @property
    def trigger_words(self) -> list[str]:
        """Every word behind the flag, each once, in field order."""
        seen: dict[str, None] = {}
        for _field, words in self.triggers:
            seen.update(dict.fromkeys(words))
        return list(seen)


# How sure a model is, in words: at or above each share, the first word that applies.
SURENESS_WORDS = ((0.9, "quite sure"), (0.7, "fairly sure"), (0.0, "unsure"))


def sureness(model: str, confidence: float) -> str:
    """A model's confidence in a check's verdict as a person reads it, the number as a whole percentage after it:
    ``sureness("The tone model", 0.98)`` → "The tone model is quite sure (98 %)"."""
    share = min(max(float(confidence), 0.0), 1.0)
    word = next(word for floor, word in SURENESS_WORDS if share >= floor)
    return f"{model} is {word} ({share * 100:.0f} %)"


class ToneFlagged(FeedbackError):
    """The text may read as hostile. Nothing was saved; the writer may revise or send it as written."""

    def __init__(self, tone: ToneCheck):
        self.tone = tone
        super().__init__(TONE_FLAG_MESSAGE)


TONE_FLAG_MESSAGE = ("This may read as hostile or demeaning to the person receiving it. You can revise it, or "
                     "send it exactly as written. Brightline never changes your words.")
TONE_WORDING_MESSAGE = ("This uses swearing or crude words. It does not read as an attack on the person, but you "
                        "may want to reword it. You can revise it, or send it exactly as written. Brightline never "
                        "changes your words.")


def check_tone(fields: dict[str, str]) -> ToneCheck:
    """Run the offline tone classifier on each non-empty field; the texts are never changed."""
    from brightline.core.nlp import classify_tone

    names = [name for name, text in fields.items() if text.strip()]
    if not names:
        return ToneCheck(ToneLabel.OK, 1.0)
    predictions = classify_tone([fields[name] for name in names])
    flagged = [(name, p) for name, p in zip(names, predictions, strict=True) if p.label == ToneLabel.TOXIC]
    if flagged:
        kind = "wording" if all(p.kind == "wording" for _, p in flagged) else "attack"
        return ToneCheck(ToneLabel.TOXIC, max(p.confidence for _, p in flagged), tuple(n for n, _ in flagged),
                         tuple((n, _all_triggers(fields[n], p)) for n, p in flagged), kind)
    # For an ok verdict, report the least certain field: the honest confidence for the whole text.
    return ToneCheck(ToneLabel.OK, min(p.confidence for p in predictions))


_CLAUSE_BREAK = re.compile(r"[.;:,!?\n]+|\s+(?:and|but|or|so)\s+", re.IGNORECASE)


def _all_triggers(text: str, prediction: Any) -> tuple[str, ...]:
    """Every part of a flagged text that triggered the tone check, not only the strongest: the classifier names
    one trigger per text ("lazy" in "you are lazy and your code is garbage"), so each clause is read on its own and
    the triggers of the clauses it flags are added, in reading order. The verdict on the whole text is unchanged;
    this only explains it, and runs only for a text already flagged."""
    from brightline.core.nlp import classify_tone

    found = {trigger.text.lower(): trigger.text for trigger in prediction.triggers}
    clauses = [clause.strip() for clause in _CLAUSE_BREAK.split(text) if clause.strip()]
    if len(clauses) > 1:
        for clause_prediction in classify_tone(clauses):
            if clause_prediction.label == ToneLabel.TOXIC:
                for trigger in clause_prediction.triggers:
                    found.setdefault(trigger.text.lower(), trigger.text)
    return tuple(sorted(found.values(), key=lambda word: (text.lower().find(word.lower()), word)))


def _tone_gate(fields: dict[str, str], send_despite_tone: bool) -> ToneCheck:
    tone = check_tone(fields)
    if tone.is_flagged and not send_despite_tone:
        raise ToneFlagged(tone)
    return tone


def _tone_data(tone: ToneCheck) -> dict[str, Any]:
    return {"tone_label": tone.label, "tone_confidence": round(tone.confidence, 4),
            "tone_flagged_fields": list(tone.flagged_fields), "tone_triggers": dict(tone.triggers)}


# --- checkpoints and 1:1 notes (B3) ----------------------------------------------------------


@dataclass(frozen=True)
class CheckpointInput:
    cadence: str
    label: str
    held_on: date
    wins: str = ""
    misses: str = ""
    impact: str = ""
    next_steps: str = ""

    def texts(self) -> dict[str, str]:
        return {"wins": self.wins, "misses": self.misses, "impact": self.impact, "next_steps": self.next_steps}


def record_checkpoint(*, actor: Person, person: Person, data: CheckpointInput,
                      send_despite_tone: bool = False) -> Checkpoint:
    """Record a checkpoint; raises ``ToneFlagged`` (nothing saved) when the text may read as hostile."""
    if not access.can_write_checkpoint(actor, person):
        raise NotAllowed(ERR_CHECKPOINT_NOT_ALLOWED)
    if not any(text.strip() for text in data.texts().values()):
        raise FeedbackError(ERR_CHECKPOINT_EMPTY)
    if data.cadence not in Checkpoint.Cadence.values:
        raise FeedbackError(f"unknown cadence {data.cadence!r}")
    tone = _tone_gate(data.texts(), send_despite_tone)
    with transaction.atomic():
        checkpoint = Checkpoint.objects.create(
            person=person, manager=person.manager, author=actor, cadence=data.cadence, label=data.label.strip(),
            held_on=data.held_on, **data.texts(), tone_label=tone.label, tone_confidence=tone.confidence,
            tone_flag_acknowledged=tone.is_flagged)
        log_action("feedback.checkpoint.recorded", actor, checkpoint,
                   {"cadence": data.cadence, "label": checkpoint.label, "held_on": data.held_on, **_tone_data(tone)})
    return checkpoint


def record_one_on_one_note(*, actor: Person, person: Person, held_on: date, body: str) -> OneOnOneNote:
    """A 1:1 note between ``person`` and their manager; only the two of them can read it."""
    if not access.can_write_one_on_one_note(actor, person):
        raise NotAllowed(ERR_NOTE_NOT_ALLOWED)
    if not body.strip():
        raise FeedbackError(ERR_NOTE_EMPTY)
    with transaction.atomic():
        note = OneOnOneNote.objects.create(person=person, manager=person.manager, author=actor, held_on=held_on,
                                           body=body)
        # The audit entry says a note exists, never what it says: the trail is read by people partners.
        log_action("feedback.one_on_one_note.recorded", actor, note, {"held_on": held_on})
    return note


def one_on_one_notes_for(viewer: Person, person: Person) -> QuerySet[OneOnOneNote]:
    """The notes about ``person`` that ``viewer`` may read (the pair only)."""
    if viewer.pk == person.pk:
        return OneOnOneNote.objects.filter(person=person)
    return OneOnOneNote.objects.filter(person=person, manager=viewer)


# --- feedback requests and 360 (B1) -----------------------------------------------------------


def request_feedback(*, actor: Person, subject: Person, respondents: Sequence[tuple[Person, str]], context: str = "",
                     anonymous: bool = False) -> FeedbackRequest:
    """Ask ``respondents`` (person, relationship) for feedback about ``subject``."""
    if not access.can_request_feedback(actor, subject):
        raise NotAllowed(ERR_REQUEST_NOT_ALLOWED)
    unique: dict[int, tuple[Person, str]] = {}
    for person, relationship in respondents:
        if relationship not in Relationship.values:
            raise FeedbackError(ERR_UNKNOWN_RELATIONSHIP.format(value=relationship))
        if person.pk == subject.pk:
            raise FeedbackError(ERR_SELF_RESPONDENT)
        if not person.is_active:
            raise FeedbackError(ERR_INACTIVE_RESPONDENT.format(name=person.name))
        unique.setdefault(person.pk, (person, relationship))
    if not unique:
        raise FeedbackError(ERR_NO_RESPONDENTS)
    if anonymous and len(unique) < ANONYMITY_GROUP:
        raise FeedbackError(ERR_ANONYMOUS_TOO_FEW.format(minimum=ANONYMITY_GROUP))
    with transaction.atomic():
        feedback_request = FeedbackRequest.objects.create(subject=subject, requested_by=actor, context=context,
                                                          anonymous=anonymous)
        FeedbackInvitation.objects.bulk_create(
            FeedbackInvitation(request=feedback_request, respondent=person, relationship=relationship)
            for person, relationship in unique.values())
        log_action("feedback.request.created", actor, feedback_request,
                   {"anonymous": anonymous, "respondents": sorted(unique), "context": context[:200]})
    return feedback_request


@dataclass(frozen=True)
class ResponseInput:
    what_they_did: str
    impact: str
    one_thing_to_grow: str

    def texts(self) -> dict[str, str]:
        return {"what_they_did": self.what_they_did, "impact": self.impact,
                "one_thing_to_grow": self.one_thing_to_grow}


def submit_feedback_response(*, actor: Person, invitation: FeedbackInvitation, data: ResponseInput,
                             send_despite_tone: bool = False) -> FeedbackResponse:
    """Answer an invitation. Raises ``ToneFlagged`` (nothing saved) unless the writer chose to send as written."""
    if not access.can_answer_feedback_invitation(actor, invitation):
        raise NotAllowed(ERR_NOT_RESPONDENT)
    if invitation.status != FeedbackInvitation.Status.PENDING:
        raise FeedbackError(ERR_ALREADY_ANSWERED)
    feedback_request = invitation.request
    if not feedback_request.is_open:
        raise FeedbackError(ERR_REQUEST_CLOSED)
    if not all(text.strip() for text in data.texts().values()):
        raise FeedbackError(ERR_RESPONSE_EMPTY)
    tone = _tone_gate(data.texts(), send_despite_tone)
    with transaction.atomic():
        locked = FeedbackInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.status != FeedbackInvitation.Status.PENDING:
            raise FeedbackError(ERR_ALREADY_ANSWERED)
        sequence = (FeedbackResponse.objects.filter(request=feedback_request)
                    .aggregate(top=Max("sequence"))["top"] or 0) + 1
        anonymous = feedback_request.anonymous
        response = FeedbackResponse.objects.create(
            request=feedback_request, invitation=None if anonymous else locked,
            relationship="" if anonymous else locked.relationship, sequence=sequence,
            submitted_at=None if anonymous else timezone.now(), **data.texts(),
            tone_label=tone.label, tone_confidence=tone.confidence, tone_flag_acknowledged=tone.is_flagged)
        locked.status = FeedbackInvitation.Status.SUBMITTED
        locked.save(update_fields=["status"])
        invitation.status = locked.status
        # For an anonymous request the audit entry names the request, not the response: the trail
        # must not join a writer to a text either.
        log_action("feedback.response.submitted", actor, feedback_request if anonymous else response,
                   {"request": feedback_request.pk, "anonymous": anonymous, **_tone_data(tone)})
    return response


def decline_feedback_invitation(*, actor: Person, invitation: FeedbackInvitation) -> FeedbackInvitation:
    if not access.can_answer_feedback_invitation(actor, invitation):
        raise NotAllowed(ERR_NOT_RESPONDENT)
    if invitation.status != FeedbackInvitation.Status.PENDING:
        raise FeedbackError(ERR_ALREADY_ANSWERED)
    with transaction.atomic():
        invitation.status = FeedbackInvitation.Status.DECLINED
        invitation.save(update_fields=["status"])
        log_action("feedback.invitation.declined", actor, invitation.request, {"request": invitation.request_id})
    return invitation


def close_feedback_request(*, actor: Person, feedback_request: FeedbackRequest) -> FeedbackRequest:
    may_close = actor.pk == feedback_request.requested_by_id or access.can_request_feedback(
        actor, feedback_request.subject)
    if not may_close:
        raise NotAllowed(ERR_NOT_ALLOWED)
    if not feedback_request.is_open:
        raise FeedbackError(ERR_ALREADY_CLOSED)
    with transaction.atomic():
        feedback_request.closed_at = timezone.now()
        feedback_request.save(update_fields=["closed_at"])
        log_action("feedback.request.closed", actor, feedback_request, {})
    return feedback_request


# --- feedback given without a request (B1, B3) ------------------------------------------------

ERR_GIVE_NOT_ALLOWED = "feedback is given to an active colleague, never to yourself"
ERR_GIVE_DUPLICATE = "you have just sent this feedback to {name}"


def relationship_between(writer: Person, recipient: Person) -> str:
    """How ``writer`` stands to ``recipient``, as an invitation records it: their direct manager, one of their
    reports, a peer (same team or same manager), or otherwise a stakeholder."""
    if recipient.manager_id == writer.pk:
        return Relationship.MANAGER
    if writer.manager_id == recipient.pk:
        return Relationship.REPORT
    same_team = writer.team_id is not None and writer.team_id == recipient.team_id
    same_manager = writer.manager_id is not None and writer.manager_id == recipient.manager_id
    return Relationship.PEER if same_team or same_manager else Relationship.STAKEHOLDER


def give_feedback(*, actor: Person, recipient: Person, data: ResponseInput, context: str = "",
                  send_despite_tone: bool = False) -> FeedbackResponse:
    """Feedback written unasked, on the same three prompts as an answer to a request.

    It is stored as an answered request (``FeedbackRequest.given``): closed at once, one attributed answer,
    so the recipient and their management chain read it, its writer reads it back in "What you sent", it can
    be cited in a review packet only by an explicit inclusion, and it counts in themes as any named answer
    does. Raises ``ToneFlagged`` (nothing saved) unless the writer chose to send as written. Never anonymous:
    a single answer could not be shown without naming its writer (answers are released in groups of three).
    """
    if not access.can_give_feedback(actor, recipient):
        raise NotAllowed(ERR_GIVE_NOT_ALLOWED)
    if not all(text.strip() for text in data.texts().values()):
        raise FeedbackError(ERR_RESPONSE_EMPTY)
    tone = _tone_gate(data.texts(), send_despite_tone)
    relationship = relationship_between(actor, recipient)
    with transaction.atomic():
        # Lock the writer's row: a double click sends the same text once.
        Person.objects.select_for_update().get(pk=actor.pk)
        if FeedbackResponse.objects.filter(request__given=True, request__subject=recipient,
                                           request__requested_by=actor, **data.texts()).exists():
            raise FeedbackError(ERR_GIVE_DUPLICATE.format(name=recipient.name))
        now = timezone.now()
        given = FeedbackRequest.objects.create(subject=recipient, requested_by=actor, context=context.strip(),
                                               anonymous=False, given=True, closed_at=now)
        invitation = FeedbackInvitation.objects.create(request=given, respondent=actor, relationship=relationship,
                                                       status=FeedbackInvitation.Status.SUBMITTED)
        response = FeedbackResponse.objects.create(
            request=given, invitation=invitation, relationship=relationship, sequence=1, submitted_at=now,
            **data.texts(), tone_label=tone.label, tone_confidence=tone.confidence,
            tone_flag_acknowledged=tone.is_flagged)
        log_action("feedback.unasked_feedback.given", actor, response,
                   {"request": given.pk, "relationship": relationship, "context": given.context[:200],
                    **_tone_data(tone)})
    return response


@dataclass(frozen=True)
class ShownResponse:
    """A response as the subject and their chain may see it."""

    what_they_did: str
    impact: str
    one_thing_to_grow: str
    respondent: str = ""  # empty for anonymous responses
    relationship: str = ""
    submitted_at: datetime | None = None


@dataclass(frozen=True)
class FeedbackView:
    """What the subject and their chain may see of a request's responses."""

    request: FeedbackRequest
    responses: list[ShownResponse]
    total: int
    held_back: int
    invited: int
    themes: list[Theme] | None
    themes_need: int
    invitations: list[FeedbackInvitation] = field(default_factory=list)  # empty for anonymous requests

    @property
    def anonymous(self) -> bool:
        return self.request.anonymous

    @property
    def more_needed_for_text(self) -> int:
        """How many more answers until the next group of anonymous answers is shown."""
        if not self.anonymous:
            return 0
        return ANONYMITY_GROUP - self.held_back if self.held_back or not self.responses else 0


def _response_texts(response: FeedbackResponse) -> str:
    return " ".join((response.what_they_did, response.impact, response.one_thing_to_grow))


_Answer = TypeVar("_Answer")


def released_responses(responses: Sequence[_Answer], *, anonymous: bool) -> list[_Answer]:
    """The answers that may be read or cited, from ``responses`` in arrival (``sequence``) order.

    An attributed request releases every answer. An anonymous one releases answers only in whole groups of
    ``ANONYMITY_GROUP``, the earliest first, so fewer than three release nothing and a newly arrived answer
    is never readable on its own. The feedback pages and API, citations and the insights signals read answers
    through here.
    """
    if not anonymous:
        return list(responses)
    return list(responses[: (len(responses) // ANONYMITY_GROUP) * ANONYMITY_GROUP])


def is_response_released(response: FeedbackResponse) -> bool:
    """Whether this answer is shown (and so may be cited): see :func:`released_responses`."""
    request = response.request
    if not request.anonymous:
        return True
    in_order = list(request.responses.order_by("sequence").values_list("pk", flat=True))
    return response.pk in released_responses(in_order, anonymous=True)


def visible_feedback(feedback_request: FeedbackRequest) -> FeedbackView:
    """Apply the anonymity rules; call only after ``access.can_view_feedback_request``.

    Attributed requests show every answer with its writer. Anonymous requests show no writer, no
    relationship and no time, and release texts only in whole groups of ``ANONYMITY_GROUP`` (the
    earliest answers first), so fewer than three answers show nothing and a newly arrived answer
    never appears on its own. Shown anonymous answers are sorted by their text, not by arrival.
    Themes are counted over shown answers only, once they reach the policy's minimum cohort.
    """
    return visible_feedback_many([feedback_request])[0]


def visible_feedback_many(feedback_requests: Sequence[FeedbackRequest]) -> list[FeedbackView]:
    """:func:`visible_feedback` of each request, in order, in three queries however many requests there are
    (their answers, their invitations and the policy): a person's growth page lists every request about them."""
    ids = [item.pk for item in feedback_requests]
    answers: dict[int, list[FeedbackResponse]] = {pk: [] for pk in ids}
    for response in (FeedbackResponse.objects.filter(request_id__in=ids)
                     .select_related("invitation__respondent").order_by("request_id", "sequence")):
        answers[response.request_id].append(response)
    invited: dict[int, list[FeedbackInvitation]] = {pk: [] for pk in ids}
    for invitation in (FeedbackInvitation.objects.filter(request_id__in=ids).select_related("respondent")
                       .order_by("request_id", "id")):
        invited[invitation.request_id].append(invitation)
    policy = get_policy() if ids else None
    return [_visible(item, answers[item.pk], invited[item.pk], policy) for item in feedback_requests]


def _visible(feedback_request: FeedbackRequest, responses: list[FeedbackResponse],
             invitations_made: list[FeedbackInvitation], policy: Any) -> FeedbackView:
    total = len(responses)
    invited = len(invitations_made)
    released = released_responses(responses, anonymous=feedback_request.anonymous)
    if feedback_request.anonymous:
        shown = sorted((ShownResponse(r.what_they_did, r.impact, r.one_thing_to_grow) for r in released),
                       key=lambda s: (s.what_they_did.casefold(), s.impact.casefold(), s.one_thing_to_grow.casefold()))
        invitations: list[FeedbackInvitation] = []
    else:
        shown = [ShownResponse(r.what_they_did, r.impact, r.one_thing_to_grow,
                               respondent=r.invitation.respondent.name if r.invitation else "",
                               relationship=r.get_relationship_display(), submitted_at=r.submitted_at)
                 for r in released]
        invitations = invitations_made
    cohort = policy.min_cohort_size
    themes = None
    if len(released) >= cohort and policy.ai_boundaries.get("themes_enabled", True):
        themes = count_themes(_response_texts(r) for r in released)
    return FeedbackView(feedback_request, shown, total, total - len(released), invited, themes, cohort, invitations)


def requests_about(person: Person) -> QuerySet[FeedbackRequest]:
    return FeedbackRequest.objects.filter(subject=person).select_related("requested_by", "subject")


def invitations_for(person: Person) -> QuerySet[FeedbackInvitation]:
    """The invitations addressed to ``person``: a respondent sees only these."""
    return (FeedbackInvitation.objects.filter(respondent=person)
            .select_related("request__subject", "request__requested_by").order_by("status", "-request__created_at"))


# --- manager commentary (B2) ------------------------------------------------------------------


@dataclass(frozen=True)
class CommentaryInput:
    period: str
    owned: str = ""
    ambiguity: str = ""
    coaching: str = ""
    growth: str = ""

    def texts(self) -> dict[str, str]:
        return {"owned": self.owned, "ambiguity": self.ambiguity, "coaching": self.coaching, "growth": self.growth}


def save_manager_commentary(*, actor: Person, person: Person, data: CommentaryInput) -> ManagerCommentary:
    """Create or update the commentary about ``person`` for ``data.period``; records from → to."""
    if not access.can_write_manager_commentary(actor, person):
        raise NotAllowed(ERR_COMMENTARY_NOT_ALLOWED)
    if not any(text.strip() for text in data.texts().values()):
        raise FeedbackError(ERR_COMMENTARY_EMPTY)
    with transaction.atomic():
        commentary, created = ManagerCommentary.objects.get_or_create(
            person=person, period=data.period.strip(), defaults={"author": actor, **data.texts()})
        if created:
            log_action("feedback.commentary.created", actor, commentary, {"period": commentary.period})
            return commentary
        changes = {name: {"from": getattr(commentary, name), "to": value} for name, value in data.texts().items()
                   if getattr(commentary, name) != value}
        if changes:
            for name, change in changes.items():
                setattr(commentary, name, change["to"])
            commentary.author = actor
            commentary.save()
            log_action("feedback.commentary.updated", actor, commentary,
                       {"period": commentary.period, "changes": changes})
    return commentary


# --- accomplishments and annotations (B4, B5, B6) ---------------------------------------------


@dataclass(frozen=True)
class AccomplishmentInput:
    period: str
    title: str
    situation: str
    action: str
    result: str
    impact: str
    impact_level: str
    teams_affected: int | None = None
    people_affected: int | None = None
    adoption: str = ""
    measure: str = ""
    measure_unit: str = ""
    measure_before: Decimal | None = None
    measure_after: Decimal | None = None
    risk_not_worked_out: bool = False
    principle_ids: tuple[int, ...] = ()
    evidence_ids: tuple[int, ...] = ()

    def model_fields(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in (
            "period", "title", "situation", "action", "result", "impact", "impact_level", "teams_affected",
            "people_affected", "adoption", "measure", "measure_unit", "measure_before", "measure_after",
            "risk_not_worked_out")}


def _validated_accomplishment(actor: Person, data: AccomplishmentInput) -> tuple[list[Principle], list[EvidenceItem]]:
    required = (data.period, data.title, data.situation, data.action, data.result, data.impact)
    if not all(value.strip() for value in required):
        raise FeedbackError(ERR_ACCOMPLISHMENT_INCOMPLETE)
    if data.impact_level not in ImpactLevel.values:
        raise FeedbackError(ERR_UNKNOWN_IMPACT_LEVEL)
    measured = (data.measure.strip(), data.measure_before is not None, data.measure_after is not None)
    if any(measured) and not all(measured):
        raise FeedbackError(ERR_MEASURE_INCOMPLETE)
    items = {item.pk: item for item in EvidenceItem.objects.filter(pk__in=data.evidence_ids)
             .select_related("person", "team")}
    for evidence_id in data.evidence_ids:
        item = items.get(evidence_id)
        if item is None or not access.can_view_evidence_item(actor, item):
            raise FeedbackError(ERR_EVIDENCE_NOT_VISIBLE.format(evidence_id=evidence_id))
    principles = list(Principle.objects.filter(pk__in=data.principle_ids))
    return principles, list(items.values())


def _check_packets_choosing(accomplishment_id: int, *, actor: Person) -> None:
    """Tell the apps that check packets (insights: missing evidence, C5) that the draft review packets that
    chose this accomplishment changed, inside the caller's transaction so a failed save leaves no new check."""
    packet_claims_changed.send(sender=Accomplishment, accomplishment_id=accomplishment_id, actor=actor)


def create_accomplishment(*, actor: Person, person: Person, data: AccomplishmentInput) -> Accomplishment:
    """Add an accomplishment; a sixth in one period is refused (a packet takes at most five)."""
    if not access.can_edit_accomplishments(actor, person):
        raise NotAllowed(ERR_ACCOMPLISHMENT_NOT_ALLOWED)
    principles, items = _validated_accomplishment(actor, data)
    period = data.period.strip()
    with transaction.atomic():
        # Lock the person's row so two tabs cannot both add the fifth.
        Person.objects.select_for_update().get(pk=person.pk)
        if Accomplishment.objects.filter(person=person, period=period).count() >= ACCOMPLISHMENTS_MAX:
            raise FeedbackError(ERR_TOO_MANY_ACCOMPLISHMENTS.format(period=period_in_words(period),
                                                                    limit=ACCOMPLISHMENTS_MAX))
        accomplishment = Accomplishment.objects.create(person=person, **{**data.model_fields(), "period": period})
        accomplishment.principles.set(principles)
        accomplishment.evidence.set(items)
        log_action("feedback.accomplishment.created", actor, accomplishment,
                   {"period": period, "title": accomplishment.title, "impact_level": accomplishment.impact_level,
                    "risk_not_worked_out": accomplishment.risk_not_worked_out,
                    "evidence": sorted(item.pk for item in items)})
    return accomplishment


def update_accomplishment(*, actor: Person, accomplishment: Accomplishment,
                          data: AccomplishmentInput) -> Accomplishment:
    if not access.can_edit_accomplishments(actor, accomplishment.person):
        raise NotAllowed(ERR_ACCOMPLISHMENT_NOT_ALLOWED)
    principles, items = _validated_accomplishment(actor, data)
    new_values = {**data.model_fields(), "period": data.period.strip()}
    with transaction.atomic():
        if new_values["period"] != accomplishment.period and Accomplishment.objects.filter(
                person=accomplishment.person, period=new_values["period"]).count() >= ACCOMPLISHMENTS_MAX:
            raise FeedbackError(ERR_TOO_MANY_ACCOMPLISHMENTS.format(period=period_in_words(new_values["period"]),
                                                                    limit=ACCOMPLISHMENTS_MAX))
        changes = {name: {"from": getattr(accomplishment, name), "to": value} for name, value in new_values.items()
                   if getattr(accomplishment, name) != value}
        old_evidence = sorted(accomplishment.evidence.values_list("pk", flat=True))
        new_evidence = sorted(item.pk for item in items)
        if old_evidence != new_evidence:
            changes["evidence"] = {"from": old_evidence, "to": new_evidence}
        old_principles = sorted(accomplishment.principles.values_list("pk", flat=True))
        if old_principles != sorted(p.pk for p in principles):
            changes["principles"] = {"from": old_principles, "to": sorted(p.pk for p in principles)}
        for name, value in new_values.items():
            setattr(accomplishment, name, value)
        accomplishment.save()
        accomplishment.principles.set(principles)
        accomplishment.evidence.set(items)
        if changes:
            log_action("feedback.accomplishment.updated", actor, accomplishment, {"changes": changes})
            _check_packets_choosing(accomplishment.pk, actor=actor)
    return accomplishment


def delete_accomplishment(*, actor: Person, accomplishment: Accomplishment) -> None:
    if not access.can_edit_accomplishments(actor, accomplishment.person):
        raise NotAllowed(ERR_ACCOMPLISHMENT_NOT_ALLOWED)
    with transaction.atomic():
        log_action("feedback.accomplishment.deleted", actor, accomplishment,
                   {"period": accomplishment.period, "title": accomplishment.title})
        accomplishment_id = accomplishment.pk
        accomplishment.delete()
        _check_packets_choosing(accomplishment_id, actor=actor)


@dataclass(frozen=True)
class PeriodSummary:
    period: str
    count: int

    @property
    def below_minimum(self) -> bool:
        return self.count < ACCOMPLISHMENTS_MIN

    @property
    def at_limit(self) -> bool:
        return self.count >= ACCOMPLISHMENTS_MAX


def accomplishment_periods(person: Person) -> list[PeriodSummary]:
    counts: dict[str, int] = {}
    for period in Accomplishment.objects.filter(person=person).values_list("period", flat=True):
        counts[period] = counts.get(period, 0) + 1
    return [PeriodSummary(period, counts[period]) for period in sorted(counts, reverse=True)]


def accomplishment_flags(accomplishment: Accomplishment) -> list[NarrativeFlag]:
    """Narrative flags on the accomplishment's whole text, with its attached evidence counted as cited.

    ``missing_scope`` is dropped when teams or people affected are recorded in their own fields.
    """
    cited = tuple(str(item.pk) for item in accomplishment.evidence.all())  # prefetched by the pages that list them
    has_scope = bool(accomplishment.teams_affected or accomplishment.people_affected)
    return [flag for flag in _accomplishment_check(accomplishment.narrative_text(), cited).flags
            if not (flag.flag_id == "missing_scope" and has_scope)]


@lru_cache(maxsize=4096)
def _accomplishment_check(text: str, cited_ids: tuple[str, ...]) -> NarrativeReport:
    """The narrative check of an accomplishment's text, kept per process by the text and the evidence cited: the
    check depends on nothing else (its rules and model are shipped with the code) and its report cannot be
    changed, while the growth page checks each accomplishment it lists on every request (a third of its CPU)."""
    return check_text(text, kind="accomplishment", cited_ids=cited_ids)


def field_flags(text: str, *, kind: str, cited_ids: Sequence[str] = (), whole_text: str | None = None,
                has_structured_scope: bool = False) -> list[NarrativeFlag]:
    """Flags for one form field as the person types.

    Scope belongs to a whole accomplishment, not to one field, so ``missing_scope`` is checked on
    ``whole_text`` (all four fields) when it is given and dropped otherwise.
    """
    flags = [flag for flag in check_text(text, kind=kind, cited_ids=cited_ids).flags  # type: ignore[arg-type]
             if flag.flag_id != "missing_scope"]
    if whole_text is not None and not has_structured_scope:
        whole = check_text(whole_text, kind=kind, cited_ids=cited_ids)  # type: ignore[arg-type]
        flags.extend(flag for flag in whole.text_flags if flag.flag_id == "missing_scope")
    return flags


def annotate(*, actor: Person, person: Person, body: str, accomplishment: Accomplishment | None = None,
             period: str = "") -> Annotation:
    """The employee's own note on their dashboard or one accomplishment, before a review (B6)."""
    if not access.can_edit_accomplishments(actor, person):
        raise NotAllowed(ERR_ACCOMPLISHMENT_NOT_ALLOWED)
    if accomplishment is not None and accomplishment.person_id != person.pk:
        raise NotAllowed(ERR_ACCOMPLISHMENT_NOT_ALLOWED)
    if not body.strip():
        raise FeedbackError(ERR_ANNOTATION_EMPTY)
    with transaction.atomic():
        annotation = Annotation.objects.create(person=person, accomplishment=accomplishment, body=body,
                                               period=period or (accomplishment.period if accomplishment else ""))
        log_action("feedback.annotation.added", actor, annotation,
                   {"accomplishment": accomplishment.pk if accomplishment else None, "period": annotation.period})
    return annotation


# --- drafts from evidence (C6) ----------------------------------------------------------------

# Brightline's evidence kinds → the drafter's templates. Kinds without a fitting template
# (a release, a deployment) are left to the person or to the language model.
_DRAFT_KINDS = {
    EvidenceItem.Kind.MERGED_CHANGE: "merged_change",
    EvidenceItem.Kind.INCIDENT_HANDLED: "incident",
    EvidenceItem.Kind.INCIDENT_DEBRIEF: "incident",
    EvidenceItem.Kind.DESIGN_DOC: "design_doc",
}


def _finite_metrics(metrics: Any) -> dict[str, float | int]:
    if not isinstance(metrics, dict):
        return {}
    return {str(name): value for name, value in metrics.items()
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)}


def to_core_evidence(item: EvidenceItem, outcomes: Sequence[str] = ()) -> CoreEvidenceItem:
    return CoreEvidenceItem(evidence_id=str(item.pk), kind=_DRAFT_KINDS.get(item.kind, "accomplishment"),  # type: ignore[arg-type]
                            title=item.title, summary=item.summary, occurred_at=item.occurred_at.date(),
                            metrics=_finite_metrics(item.metrics), outcomes=tuple(outcomes))


def _plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _first_sentence(text: str) -> str:
    spans = split_sentences(" ".join(text.split()))
    return spans[0].text.rstrip(".") if spans else ""


def linked_outcomes(items: Sequence[EvidenceItem]) -> dict[int, list[str]]:
    """What other records say each item achieved (C6): never a count of what one person did.

    The result and measured change of an accomplishment that cites the item, how long the
    incident took to close, and released feedback about the person that names the item's title.
    """
    found: dict[int, list[str]] = {item.pk: [] for item in items}
    if not items:
        return found
    by_pk = {item.pk: item for item in items}
    accomplishments = Accomplishment.objects.filter(evidence__in=list(by_pk)).prefetch_related("evidence").distinct()
    for accomplishment in accomplishments.order_by("id"):
        result = _first_sentence(accomplishment.result)
        measured = ""
        if accomplishment.measure and accomplishment.measure_before is not None \
                and accomplishment.measure_after is not None:
            unit = f" {accomplishment.measure_unit}" if accomplishment.measure_unit else ""
            measured = (f"{accomplishment.measure} went from {_plain_number(accomplishment.measure_before)}{unit} "
                        f"to {_plain_number(accomplishment.measure_after)}{unit}")
        for evidence in accomplishment.evidence.all():
            if evidence.pk in found and evidence.person_id == accomplishment.person_id:
                found[evidence.pk].extend(text for text in (result, measured) if text)
    incident_refs = {item.source_ref.removeprefix("incident:"): item for item in items
                     if item.kind == EvidenceItem.Kind.INCIDENT_HANDLED and item.source_ref.startswith("incident:")}
    if incident_refs:
        for incident in Incident.objects.filter(external_id__in=list(incident_refs), resolved_at__isnull=False):
            item = incident_refs.get(incident.external_id)
            if item is None or incident.source != item.source or incident.resolved_at is None:
                continue
            minutes = max(1, round((incident.resolved_at - incident.opened_at).total_seconds() / 60))
            found[item.pk].append(f"service restored {minutes} minutes after it was opened")
    people = {item.person_id for item in items if item.person_id is not None}
    for request in FeedbackRequest.objects.filter(subject_id__in=people).order_by("id"):
        shown = visible_feedback(request).responses
        for item in items:
            # "Handled incident: Refund queue stalled" is named as "refund queue stalled".
            title = " ".join(item.title.split()).split(": ", 1)[-1].casefold()
            if item.person_id != request.subject_id or len(title) < 8:
                continue
            for response in shown:
                if title in f"{response.what_they_did} {response.impact}".casefold():
                    impact = _first_sentence(response.impact)
                    if impact:
                        found[item.pk].append(f"feedback named it: {impact}")
    return {pk: list(dict.fromkeys(texts)) for pk, texts in found.items()}


def core_evidence_items(items: Sequence[EvidenceItem]) -> list[CoreEvidenceItem]:
    """The drafter's view of ``items``, each with what linked records say it achieved."""
    outcomes = linked_outcomes(items)
    return [to_core_evidence(item, outcomes.get(item.pk, ())) for item in items]


def evidence_in_window(person: Person, start: date, end: date) -> list[EvidenceItem]:
    tz = timezone.get_current_timezone()
    start_at = timezone.make_aware(datetime.combine(start, time.min), tz)
    end_at = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), tz)
    return list(EvidenceItem.objects.filter(person=person, occurred_at__gte=start_at, occurred_at__lt=end_at)
                .order_by("occurred_at", "id"))


def validated_sentences(sentences: Iterable[str], evidence_texts: dict[str, str]) -> list[dict[str, Any]]:
    """Each sentence as a draft stores it: its text, the ids it cites, accepted or rejected and why."""
    checked = []
    for sentence in sentences:
        sentence = sentence.strip().lstrip("-*• ").strip()
        if not sentence:
            continue
        validation = validate_draft([sentence], evidence=evidence_texts)
        result = (validation.accepted or validation.rejected)[0]
        checked.append({"text": result.text, "cited_ids": list(result.cited_ids),
                        "status": "rejected" if result.issues else "accepted",
                        "issues": [{"code": issue.code, "message": issue.message} for issue in result.issues]})
    return checked


def llm_drafting_available() -> bool:
    return llm.llm_config() is not None and bool(get_policy().ai_boundaries.get("llm_drafting_enabled"))


def generate_impact_draft(*, person: Person, window_start: date, window_end: date, requested_by: Person | None,
                          use_llm: bool = False, actor_label: str | None = None) -> ImpactDraft:
    """Draft impact statements for ``person`` from their evidence in the window (C6).

    Offline by default (``template-v2``). With ``use_llm`` the configured endpoint drafts; either
    way every sentence is validated: uncited sentences and numbers not in the cited evidence are
    kept and shown as rejected, never silently dropped and never offered for approval.
    """
    if requested_by is not None and not access.can_edit_accomplishments(requested_by, person):
        raise NotAllowed(ERR_ACCOMPLISHMENT_NOT_ALLOWED)
    if window_start > window_end:
        raise FeedbackError(ERR_WINDOW)
    items = evidence_in_window(person, window_start, window_end)
    if not items:
        raise FeedbackError(ERR_NO_EVIDENCE_IN_WINDOW.format(name=person.name, start=window_start, end=window_end))
    core_items = core_evidence_items(items)
    evidence_texts = {core.evidence_id: render_evidence_text(core) for core in core_items}
    if use_llm:
        config = llm.llm_config()
        if config is None or not get_policy().ai_boundaries.get("llm_drafting_enabled"):
            raise FeedbackError(ERR_LLM_OFF)
        output = llm.complete(config, llm.build_messages(list(evidence_texts.items()), person_name=person.name))
        # One sentence per line is asked for; the splitter also copes with a paragraph.
        sentences = [span.text for line in output.splitlines() for span in split_sentences(line)]
        generator = config.model
    else:
        # Any item that states an outcome is drafted; the rest are listed as context on the draft.
        sentences = list(draft_impact_statements(core_items, person_name=person.name))
        generator = TEMPLATE_GENERATOR
    checked = validated_sentences(sentences, evidence_texts)
    with transaction.atomic():
        draft = ImpactDraft.objects.create(person=person, window_start=window_start, window_end=window_end,
                                           generator=generator, sentences=checked, requested_by=requested_by)
        draft.evidence.set(items)
        log_action("feedback.draft.generated", requested_by, draft, {
            "generator": generator, "window": [window_start, window_end],
            "evidence": [item.pk for item in items],
            "accepted": sum(1 for s in checked if s["status"] == "accepted"),
            "rejected": sum(1 for s in checked if s["status"] == "rejected"),
            "context": [int(pk) for pk in context_items(core_items)],
        }, actor_label=actor_label)
    return draft


def _evidence_texts_for(person: Person) -> dict[str, str]:
    return {core.evidence_id: render_evidence_text(core)
            for core in core_evidence_items(list(EvidenceItem.objects.filter(person=person)))}


def check_draft_text(person: Person, text: str) -> list[dict[str, Any]]:
    """Validate edited draft text against all of the person's evidence; sentence by sentence."""
    return validated_sentences([span.text for span in split_sentences(text)], _evidence_texts_for(person))


def _require_open_draft(actor: Person, draft: ImpactDraft) -> None:
    if not access.can_edit_accomplishments(actor, draft.person):
        raise NotAllowed(ERR_ACCOMPLISHMENT_NOT_ALLOWED)
    if draft.status != ImpactDraft.Status.DRAFT:
        raise FeedbackError(ERR_DRAFT_NOT_OPEN.format(status=draft.get_status_display().lower()))


def edit_impact_draft(*, actor: Person, draft: ImpactDraft, text: str) -> DraftEdit:
    """Keep an edit of the draft's text (every edit is kept, in order)."""
    _require_open_draft(actor, draft)
    if not text.strip():
        raise FeedbackError(ERR_DRAFT_EMPTY)
    with transaction.atomic():
        edit = DraftEdit.objects.create(draft=draft, author=actor, text=text)
        log_action("feedback.draft.edited", actor, draft, {"edit": edit.pk, "length": len(text)})
    return edit


def approve_impact_draft(*, actor: Person, draft: ImpactDraft, text: str | None = None) -> ImpactDraft:
    """Approve the draft's current text (or ``text``, kept as a final edit); every sentence must cite evidence."""
    _require_open_draft(actor, draft)
    final = (text if text is not None else draft.current_text()).strip()
    if not final:
        raise FeedbackError(ERR_DRAFT_EMPTY)
    checked = check_draft_text(draft.person, final)
    problems = [issue["message"] for sentence in checked for issue in sentence["issues"]]
    if problems:
        raise FeedbackError(ERR_DRAFT_INVALID.format(issues="; ".join(problems)))
    with transaction.atomic():
        if text is not None and text.strip() != draft.current_text().strip():
            DraftEdit.objects.create(draft=draft, author=actor, text=final)
        draft.status = ImpactDraft.Status.APPROVED
        draft.approved_text, draft.approved_by, draft.approved_at = final, actor, timezone.now()
        draft.save(update_fields=["status", "approved_text", "approved_by", "approved_at"])
        cited = sorted({cid for sentence in checked for cid in sentence["cited_ids"]})
        log_action("feedback.draft.approved", actor, draft,
                   {"generator": draft.generator, "cited_evidence": cited, "edits": draft.edits.count()})
    return draft


def discard_impact_draft(*, actor: Person, draft: ImpactDraft) -> ImpactDraft:
    _require_open_draft(actor, draft)
    with transaction.atomic():
        draft.status = ImpactDraft.Status.DISCARDED
        draft.save(update_fields=["status"])
        log_action("feedback.draft.discarded", actor, draft, {"generator": draft.generator})
    return draft


def cited_ids_in(text: str) -> list[str]:
    return [citation.evidence_id for citation in find_citations(text)]


# --- manager readiness (E10) ------------------------------------------------------------------


def record_training_attempt(*, actor: Person, answers: dict[str, str]) -> TrainingAttempt:
    """Score an attempt at the training module and keep it; a pass completes the module."""
    try:
        result = training.score_answers(answers)
    except ValueError as error:
        raise FeedbackError(str(error)) from error
    with transaction.atomic():
        attempt = TrainingAttempt.objects.create(
            person=actor, module_version=training.MODULE_VERSION, score=result.score, out_of=result.out_of,
            passed=result.passed, answers={q.key: answers[q.key] for q in training.QUESTIONS})
        log_action("feedback.training.passed" if result.passed else "feedback.training.attempted", actor, attempt,
                   {"module_version": training.MODULE_VERSION, "score": result.score, "out_of": result.out_of,
                    "pass_mark": training.PASS_MARK})
    return attempt


def manager_training_complete(person: Person) -> bool:
    """True once ``person`` has passed the current version of the manager readiness module.

    The reviews app asks this before accepting a manager's assessment (E10).
    """
    return TrainingAttempt.objects.filter(person=person, module_version=training.MODULE_VERSION,
                                          passed=True).exists()
