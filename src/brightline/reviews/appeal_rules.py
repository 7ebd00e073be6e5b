"""Who may review an appeal: outside the person's management chain, none of the writers of the feedback the
contested packet cites, and nobody who changed or approved a change to the contested outcome in calibration."""

from __future__ import annotations

from typing import Any

from brightline import access
from brightline.feedback.models import FeedbackInvitation, FeedbackResponse, ManagerCommentary
from brightline.people.models import Person


def contested_feedback_writer_ids(review: Any) -> set[int]:
    """The people who may have written feedback the review's packet cites (and so an appeal contests).

    A named response or manager commentary excludes its author. An anonymous response excludes everyone
    invited to give it, so the exclusion reveals no single writer.
    """
    items = review.packet_items.filter(kind__in=("feedback_response", "manager_commentary"))
    ids: dict[str, set[int]] = {"feedback_response": set(), "manager_commentary": set()}
    for kind, object_id in items.values_list("kind", "object_id"):
        if str(object_id).isdigit():
            ids[kind].add(int(object_id))
    writers: set[int] = set()
    whole_requests: set[int] = set()
    for response in FeedbackResponse.objects.filter(pk__in=ids["feedback_response"]).select_related("invitation"):
        if response.invitation is not None:
            writers.add(response.invitation.respondent_id)
        else:
            whole_requests.add(response.request_id)
    writers.update(FeedbackInvitation.objects.filter(request_id__in=whole_requests)
                   .values_list("respondent_id", flat=True))
    writers.update(pk for pk in ManagerCommentary.objects.filter(pk__in=ids["manager_commentary"])
                   .values_list("author_id", flat=True) if pk is not None)
    return writers


def calibration_decider_ids(review: Any) -> set[int]:
    """The people who decided ``review``'s contested outcomes in calibration: who recorded or approved a
    calibration change to one of its dimensions (one query). An appeal asks for a second review, so neither can
    give it. Panelists who only pre-voted are not excluded: a policy may route appeals to the panel itself."""
    from brightline.reviews.models import CalibrationChange

    deciders: set[int] = set()
    for actor_id, approver_id in CalibrationChange.objects.filter(
            assessment__review=review, source=CalibrationChange.Source.CALIBRATION).values_list(
            "actor_id", "approved_by_id"):
        deciders.update(pk for pk in (actor_id, approver_id) if pk is not None)
    return deciders


def may_review_appeal(person: Person | None, review: Any) -> bool:
    """Whether ``person`` may be assigned to review an appeal against ``review``."""
    return access.can_review_appeal(
        person, review, excluded=contested_feedback_writer_ids(review) | calibration_decider_ids(review))
