"""Right-away e-mails without waiting for the hourly run: a change that may concern someone starts the
notification job for the people it concerns, once the change is committed.

The handlers only note what changed (no query while the change is being made); after the commit,
:func:`flush` finds whom it concerns, keeps those who want some kind of notice right away and starts the
``notifications.send`` job for them alone. The job is the same one the hourly schedule runs, so an
event it sends here is not sent again there. A failure here is logged and never undoes or breaks the
change that caused it: the hourly run sends what was missed.

AI signals are left to the hourly run: the nightly run stores them subject by subject, and one job per
subject at 02:00 would gain nothing over the run at :05.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from brightline.feedback.models import FeedbackInvitation, FeedbackRequest
from brightline.notifications.models import Frequency, NotificationSettings
from brightline.people.models import AccessRole
from brightline.promotions.models import CaseAppeal
from brightline.reviews.models import Appeal, PanelMember, Phase, Review, ReviewCycle

logger = logging.getLogger(__name__)

_changes = threading.local()


def _note(kind: str, pk: int | None) -> None:
    if pk is None:
        return
    marks: set[tuple[str, int]] = getattr(_changes, "marks", set())
    _changes.marks = marks
    marks.add((kind, pk))
    # Each change registers a callback; the first to run after the commit takes every note, the
    # others find none. Notes of a rolled-back change are taken by the next commit: harmless, since
    # the job only sends what is true then.
    transaction.on_commit(flush)


def discard_pending() -> None:
    """Forget what this thread noted since its last flush, so its commit starts no e-mails: for bulk loads
    such as the generated demo organisation, whose history concerns nobody right now."""
    _changes.marks = set()


def concerned(marks: set[tuple[str, int]]) -> set[int]:
    """The people a set of notes may concern."""
    people = {pk for kind, pk in marks if kind == "person"}
    requests = [pk for kind, pk in marks if kind == "feedback_request"]
    if requests:
        people.update(FeedbackInvitation.objects.filter(request__in=requests).values_list("respondent_id", flat=True))
    cycles = [pk for kind, pk in marks if kind == "cycle"]
    if cycles:
        for person_id, manager_id in Review.objects.filter(cycle__in=cycles).values_list("person_id", "manager_id"):
            people.update(pk for pk in (person_id, manager_id) if pk is not None)
        people.update(PanelMember.objects.filter(cycle__in=cycles).values_list("person_id", flat=True))
    # An appeal concerns the person, its reviewers and the people partners who assign them, for reviews and
    # promotions alike.
    for kind, model, person_field in (("appeal", Appeal, "review__person_id"),
                                      ("promotion_appeal", CaseAppeal, "case__person_id")):
        appeals = [pk for mark, pk in marks if mark == kind]
        if not appeals:
            continue
        for row in model.objects.filter(pk__in=appeals).values_list(  # type: ignore[attr-defined]
                person_field, "reviewer_id", "escalation_reviewer_id"):
            people.update(pk for pk in row if pk is not None)
        people.update(NotificationSettings.objects.filter(
            person__access_role__in=[AccessRole.PEOPLE_PARTNER, AccessRole.ADMIN]).values_list("person_id", flat=True))
    return people


def flush() -> None:
    marks: set[tuple[str, int]] = getattr(_changes, "marks", set())
    _changes.marks = set()
    if not marks:
        return
    try:
        _announce_calibrations(marks)
    except Exception:
        logger.exception("the start of calibration could not be announced; the hourly run tells the panel")
    try:
        from brightline.jobs.services import enqueue
        from brightline.notifications.services import wanting

        people = concerned(marks)
        # Anyone who wants some kind of notice right away: the run sends only those kinds.
        now = sorted(wanting(Frequency.IMMEDIATE, NotificationSettings.objects.filter(
            person__in=people, person__is_active=True).only("person_id", "frequency", "digest", "deliveries")))
        if now:
            enqueue("notifications.send", frequency=Frequency.IMMEDIATE.value, person_ids=now)
    except Exception:
        logger.exception("right-away notifications could not be started; the hourly run sends them")


def _announce_calibrations(marks: set[tuple[str, int]]) -> None:
    """A cycle that is in calibration tells each panelist at once that it has begun (a notice on their notices page,
    e-mailed as they chose); a panelist told before is not told again."""
    from brightline.notifications.services import announce

    cycles = [pk for kind, pk in marks if kind == "cycle"]
    if cycles:
        announce(set(PanelMember.objects.filter(cycle__in=cycles, cycle__phase=Phase.CALIBRATION)
                     .values_list("person_id", flat=True)), "calibration_started")


def _request_saved(sender: Any, instance: FeedbackRequest, created: bool, **kwargs: Any) -> None:
    # Its invitations are made in bulk (no signal of their own) in the same transaction: found at commit.
    if created:
        _note("feedback_request", instance.pk)


def _invitation_saved(sender: Any, instance: FeedbackInvitation, created: bool, **kwargs: Any) -> None:
    if created:
        _note("person", instance.respondent_id)


def _cycle_saved(sender: Any, instance: ReviewCycle, **kwargs: Any) -> None:
    _note("cycle", instance.pk)


def _appeal_saved(sender: Any, instance: Appeal, **kwargs: Any) -> None:
    _note("appeal", instance.pk)


def _promotion_appeal_saved(sender: Any, instance: CaseAppeal, **kwargs: Any) -> None:
    _note("promotion_appeal", instance.pk)


def connect() -> None:
    post_save.connect(_request_saved, sender=FeedbackRequest, dispatch_uid="notifications.feedback_request")
    post_save.connect(_invitation_saved, sender=FeedbackInvitation, dispatch_uid="notifications.invitation")
    post_save.connect(_cycle_saved, sender=ReviewCycle, dispatch_uid="notifications.cycle")
    post_save.connect(_appeal_saved, sender=Appeal, dispatch_uid="notifications.appeal")
    post_save.connect(_promotion_appeal_saved, sender=CaseAppeal, dispatch_uid="notifications.promotion_appeal")
