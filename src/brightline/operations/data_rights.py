"""A person's copy of everything Brightline holds about them (data rights, G1/I5).

:func:`export_personal_data` gathers, for one person, what they may see of their own record, by
the same access rules as the pages: their person record and identities, evidence, feedback they
asked for or that was asked about them (anonymous answers only in released groups, never with a
writer), feedback they gave under their name, checkpoints, 1:1 notes, accomplishments, drafts,
reviews (outcomes, memo and appeals only once released to them), goals, support plans, promotion cases (the
decision and memo once decided), AI signals about
them, their manager's decisions on coaching prompts about them (done or not now) and, for a manager, the ones
they made, and the log of who read their record. It downloads as JSON or as a printable PDF
(:func:`render_export_pdf`, the same content); every download is written to the audit trail.

Not in the export, because the person may not see it: anonymous answers they gave (by design
they are linked to nobody, not even their writer), panel pre-votes and other people's records.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.utils import timezone

from brightline import access
from brightline.audit.models import AccessLog
from brightline.audit.services import log_action, refused_reads
from brightline.evidence.models import EvidenceItem
from brightline.feedback.models import Accomplishment, Checkpoint, ImpactDraft
from brightline.feedback.services import (
    invitations_for,
    one_on_one_notes_for,
    requests_about,
    visible_feedback_many,
)
from brightline.goals.models import Goal
from brightline.insights.services import signals_for_person
from brightline.people.models import ApiToken, Identity, Person, RoleChange, SignedInSession, SsoLink
from brightline.promotions.models import PromotionCase
from brightline.reviews.models import Review
from brightline.support.models import SupportPlan

EXPORT_ACTION: Final = "people.data.exported"
FORMAT_VERSION: Final = 1
NOT_EXPORTED: Final = (
    "Anonymous feedback you gave is not linked to you anywhere, so it cannot be included.",
    "Anonymous feedback about you is included only in the released groups of at least three answers.",
    "Review outcomes, decision memos and appeals are included once the cycle has been released to you.",
    "Panel pre-votes and other people's records are not part of your data.",
)


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value)
    return value


def _row(instance: models.Model, fields: tuple[str, ...]) -> dict[str, Any]:
    """The named fields of a row; a choice field shows its label, a related person their name."""
    row: dict[str, Any] = {}
    for name in fields:
        display = getattr(instance, f"get_{name}_display", None)
        row[name] = display() if callable(display) and getattr(instance, name) else _value(getattr(instance, name))
    return row


# Every field of a person's row is in the download, under its own name or as named here, or is left out for the
# reason given (tests/test_data_rights.py checks that each field is one or the other).
PERSON_FIELDS: Final = ("name", "email", "employee_id", "team", "level", "manager", "timezone", "work_modality",
                        "start_date", "left_on", "access_role", "is_active", "modified_at")
PERSON_FIELDS_SHOWN_OTHERWISE: Final = {
    "user": "the login, as 'login'",
    "chain_path": "the reporting line it encodes, as names in 'reporting_line'",
    "id": "the record's own number, which says nothing about the person",
    "organisation": "one organisation per installation",
}
ROLE_CHANGE_FIELDS: Final = ("field", "from_label", "to_label", "reason", "effective_on", "source", "status",
                             "proposed_label", "proposed_at", "approved_by", "approved_at")
TOKEN_FIELDS: Final = ("name", "scope", "created_at", "last_used_at", "revoked")


def _login(person: Person) -> dict[str, Any] | None:
    user = person.user
    if user is None:
        return None
    return {"username": user.get_username(), "is_active": user.is_active,
            "has_a_password": user.has_usable_password(), "joined_at": _value(user.date_joined),
            "last_sign_in_at": _value(user.last_login)}


def _person(person: Person) -> dict[str, Any]:
    record = _row(person, PERSON_FIELDS)
    record["login"] = _login(person)
    record["reporting_line"] = [manager.name for manager in reversed(person.management_chain())]
    record["identities"] = [_row(identity, ("kind", "value"))
                            for identity in Identity.objects.filter(person=person).order_by("kind", "value")]
    record["single_sign_on"] = [_row(link, ("issuer", "subject", "linked_at", "last_sign_in_at"))
                                for link in SsoLink.objects.filter(person=person)]
    record["identity_provider_groups"] = sorted(person.scim_groups.values_list("display_name", flat=True))
    return record


def _feedback_about(person: Person) -> list[dict[str, Any]]:
    requests = []
    shown = [item for item in requests_about(person).order_by("created_at", "pk")
             if access.can_view_feedback_request(person, item)]
    for feedback_request, view in zip(shown, visible_feedback_many(shown), strict=True):
        requests.append({
            **_row(feedback_request, ("context", "anonymous", "requested_by", "created_at", "closed_at")),
            "answers": [{"what_they_did": shown.what_they_did, "impact": shown.impact,
                         "one_thing_to_grow": shown.one_thing_to_grow, "respondent": shown.respondent,
                         "relationship": shown.relationship, "submitted_at": _value(shown.submitted_at)}
                        for shown in view.responses],
            "answers_not_yet_released": view.held_back,
        })
    return requests


def _feedback_given(person: Person) -> list[dict[str, Any]]:
    given = []
    for invitation in invitations_for(person).order_by("pk"):
        feedback_request = invitation.request
        entry = {"about": feedback_request.subject.name, "anonymous": feedback_request.anonymous,
                 "relationship": invitation.get_relationship_display(), "status": invitation.get_status_display()}
        response = getattr(invitation, "response", None)
        if response is not None:  # attributed answers only: an anonymous one is linked to no invitation
            entry["answer"] = _row(response, ("what_they_did", "impact", "one_thing_to_grow", "submitted_at"))
        given.append(entry)
    return given


def _reviews(person: Person) -> list[dict[str, Any]]:
    reviews = []
    for review in Review.objects.filter(person=person).select_related("cycle", "manager").order_by("cycle_id"):
        if not access.can_view_review(person, review):
            continue
        entry = {"cycle": str(review.cycle), **_row(review, ("self_review_context", "self_review_submitted_at",
                                                             "acknowledged_at", "acknowledgement_comment"))}
        entry["packet_notes"] = [_row(note, ("section", "body", "created_at"))
                                 for note in review.annotations.order_by("created_at", "pk")]
        if access.can_view_review_outcome(person, review):
            entry.update(_row(review, ("manager", "manager_summary", "cross_functional_impact", "scope_growth",
                                       "promotion_readiness", "promotion_rationale")))
            entry["dimensions"] = [_row(assessment, ("dimension", "outcome", "rationale", "citations"))
                                   for assessment in review.assessments.order_by("pk")]
            memo = getattr(review, "memo", None)
            entry["decision_memo"] = memo.sections if memo is not None else None
            entry["appeals"] = [
                {**_row(appeal, ("context", "status", "filed_at", "decision", "decision_reason", "decided_at",
                                 "escalation_reason", "escalation_decision", "escalation_decision_reason")),
                 "messages": [_row(message, ("author", "body", "written_at")) for message in appeal.messages.all()]}
                for appeal in review.appeals.order_by("filed_at")]
        reviews.append(entry)
    return reviews


def _support_plans(person: Person) -> list[dict[str, Any]]:
    plans = []
    for plan in SupportPlan.objects.filter(person=person).order_by("opened_at"):
        if not access.can_view_support_plan(person, plan):
            continue
        plans.append({
            **_row(plan, ("status", "opened_by", "opened_at", "diagnosis", "diagnosis_notes", "citations", "cadence",
                          "support_offered", "starts_on", "ends_on", "approved_by", "approved_at",
                          "redeployment_offer", "extensions", "outcome", "outcome_reason", "closed_at")),
            "goals": [{key: _value(value) for key, value in goal.items() if not key.endswith("id")}
                      for goal in plan.goals.values()],
            "check_ins": [{key: _value(value) for key, value in check_in.items() if not key.endswith("id")}
                          for check_in in plan.check_ins.values()],
        })
    return plans


def _goals(person: Person) -> list[dict[str, Any]]:
    return [{**_row(goal, ("title", "success", "due_on", "status", "created_at", "updated_at")),
             "key_results": [{"description": result.description, "progress": result.progress,
                              "evidence": [{"title": item.title, "occurred_at": _value(item.occurred_at)}
                                           for item in result.evidence.all()]}
                             for result in goal.key_results.all()]}
            for goal in Goal.objects.filter(owner=person).prefetch_related("key_results__evidence").order_by("pk")]


def _promotion_cases(person: Person) -> list[dict[str, Any]]:
    from brightline.promotions.services import memo_for, readiness

    cases = []
    for case in PromotionCase.objects.filter(person=person).select_related("from_level", "to_level").order_by("pk"):
        entry = {"from_level": case.from_level.code, "to_level": case.to_level.code,
                 **_row(case, ("status", "nominated_by", "nominated_at", "rationale")),
                 "readiness": readiness(case).to_json()}
        if access.can_view_promotion_decision(person, case) and case.is_decided:
            entry.update(_row(case, ("decision", "decision_reason", "accountable", "decided_at")))
            entry["memo"] = memo_for(case, person)
            entry["appeals"] = [_row(appeal, ("context", "status", "filed_at", "decision", "decision_reason",
                                              "decided_at")) for appeal in case.appeals.order_by("filed_at")]
        cases.append(entry)
    return cases


def _notification_choices(person: Person) -> dict[str, Any]:
    """How the person chose to be e-mailed (read through the relation: the notifications app sits above this one)."""
    try:
        last_digest = person.digest_day.day  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        last_digest = None
    try:
        row = person.notification_settings  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        described: dict[str, Any] = {
            "choices": "None made: every notice goes in a daily digest at 08:00, in the time zone on your record."}
    else:
        described = row.described()
    if last_digest is not None:
        described["last_digest_for_the_day"] = last_digest.isoformat()
    return described


def _coaching_prompt_decisions(person: Person, relation: str) -> list[dict[str, Any]]:
    """What a manager decided about a coaching prompt (done or not now), in words: those about ``person`` (marked by
    their manager) or those ``person`` marked as a manager. Read through the relation and the row's own method: the
    dashboards app, which keeps them, sits above this one."""
    rows = getattr(person, relation).select_related("manager", "person", "team").order_by("decided_at", "pk")
    return [row.described() for row in rows]


def export_personal_data(person: Person) -> dict[str, Any]:
    """Everything Brightline holds about ``person`` that ``person`` may see, as JSON-ready data."""
    evidence = [item for item in EvidenceItem.objects.filter(person=person).order_by("occurred_at", "pk")
                if access.can_view_evidence_item(person, item)]
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "not_included": list(NOT_EXPORTED),
        "person": _person(person),
        "evidence": [_row(item, ("kind", "title", "summary", "url", "occurred_at", "service", "source", "metrics"))
                     for item in evidence],
        "feedback_about_you": _feedback_about(person),
        "feedback_you_gave": _feedback_given(person),
        "checkpoints": [_row(checkpoint, ("label", "cadence", "held_on", "manager", "author", "wins", "misses",
                                          "impact", "next_steps"))
                        for checkpoint in Checkpoint.objects.filter(person=person).order_by("held_on", "pk")],
        "one_on_one_notes": [_row(note, ("held_on", "manager", "author", "body"))
                             for note in one_on_one_notes_for(person, person).order_by("held_on", "pk")],
        "accomplishments": [_row(item, ("period", "title", "situation", "action", "result", "impact",
                                        "impact_level", "created_at"))
                            for item in Accomplishment.objects.filter(person=person).order_by("pk")],
        "impact_drafts": [{**_row(draft, ("status", "window_start", "window_end", "generator", "sentences",
                                          "approved_text", "approved_at", "created_at")),
                           "sentence_decisions": [
                               _row(decision, ("sentence_index", "side", "action", "text_before", "text_after",
                                               "reason", "decided_by", "decided_at"))
                               for decision in draft.sentence_decisions.select_related("decided_by").order_by("pk")]}
                          for draft in ImpactDraft.objects.filter(person=person).order_by("pk")],
        "reviews": _reviews(person),
        "goals": _goals(person),
        "support_plans": _support_plans(person),
        "promotion_cases": _promotion_cases(person),
        # The status in the cards' words: a note is for information, not "waiting for review".
        "signals": [{**_row(signal, ("kind", "window_start", "window_end", "statement", "rule", "cannot_infer",
                                     "confidence_label", "status", "review_reason", "model_name", "model_version")),
                     "status": signal.status_in_words}
                    for signal in signals_for_person(person) if access.can_view_signal(person, signal)],
        "coaching_prompts_about_you": _coaching_prompt_decisions(person, "coaching_prompts_about"),
        "coaching_prompts_you_marked": _coaching_prompt_decisions(person, "coaching_prompts_marked"),
        "notification_choices": _notification_choices(person),
        # Changes of one's manager, access role or permissions, as the person's record page shows them.
        "role_changes": [_row(change, ROLE_CHANGE_FIELDS)
                         for change in RoleChange.objects.filter(person=person).select_related("approved_by")
                         .order_by("proposed_at", "pk")],
        # Open sessions: when each began and whether through single sign-on; the session keys, which would let
        # anyone holding the file act as the person, are never written out.
        "sessions": [{"signed_in_at": _value(session.signed_in_at), "through_single_sign_on": bool(session.sid)}
                     for session in SignedInSession.objects.filter(user_id=person.user_id).order_by("signed_in_at",
                                                                                                   "pk")]
        if person.user_id else [],
        # API tokens by name and use; only a digest of each key is stored, and it is left out.
        "api_tokens": [_row(token, TOKEN_FIELDS) for token in ApiToken.objects.filter(person=person).order_by("pk")],
        "access_log": [_row(entry, ("at", "viewer_label", "record", "via", "reason"))
                       for entry in AccessLog.objects.filter(subject=person).order_by("at", "pk")],
        "refused_attempts": [{"at": attempt.at.isoformat(), "viewer_label": attempt.viewer_label,
                              "record": attempt.record_label, "via": attempt.via_label}
                             for attempt in reversed(refused_reads(subject_id=person.pk, limit=10_000))],
    }


def export_for_download(person: Person, *, via: str, file_format: str = "json") -> dict[str, Any]:
    """The export, written to the audit trail as the person's own action (``via``: web or api)."""
    data = export_personal_data(person)
    counts = {key: len(value) for key, value in data.items() if isinstance(value, list) and key != "not_included"}
    with transaction.atomic():
        log_action(EXPORT_ACTION, person, person, {"via": via, "format": file_format, "counts": counts})
    return data


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def render_export_pdf(data: dict[str, Any]) -> bytes:
    """The export as a printable A4 document: one section per part of the record, one block per entry."""
    from io import BytesIO
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    styles = getSampleStyleSheet()
    story: list[Any] = []

    def line(text: str, *, indent: int = 0) -> None:
        style = styles["BodyText"].clone("indented", leftIndent=12 * indent)
        story.append(Paragraph(escape(text), style))

    def entry(value: Any, *, indent: int = 0) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, list | dict) and item:
                    line(f"{_label(key)}:", indent=indent)
                    entry(item, indent=indent + 1)
                else:
                    line(f"{_label(key)}: {'' if item is None or item == [] else item}", indent=indent)
        elif isinstance(value, list):
            for item in value:
                entry(item, indent=indent)
                story.append(Spacer(1, 4))
        else:
            line(str(value), indent=indent)

    story.append(Paragraph(escape(f"Everything Brightline holds about {data['person']['name']}"), styles["Title"]))
    line(f"Exported at {data['exported_at']} (UTC).")
    for key, value in data.items():
        if key in {"format_version", "exported_at"}:
            continue
        story.append(Spacer(1, 8))
        story.append(Paragraph(escape(_label(key)), styles["Heading2"]))
        if value in ([], {}):
            line("Nothing.")
        else:
            entry(value)
    buffer = BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title="Your data in Brightline").build(story)
    return buffer.getvalue()
