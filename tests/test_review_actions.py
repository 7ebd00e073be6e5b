"""``access.review_actions`` offers a step on a review exactly when the review services would not refuse it.

Every persona of a cycle (the person, a peer, the manager, the skip-level who sits on the panel, a people
partner, two eligible panelists) is asked in every phase and in the states a step depends on (an assessment
not yet submitted, a proposed *needs support*, every pre-vote in, a change waiting for approval, an appeal
open, the window closed). For each step the service is really called (and rolled back): a refusal of who
or when (``ActionRefused``) must match a flag that is off, and the review page must show a step's form
exactly when its flag is on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from brightline import access
from brightline.people.models import AccessRole, Dimension, Person
from brightline.reviews import services
from brightline.reviews.models import (
    PHASE_ORDER,
    STEP_PHASES,
    Appeal,
    CalibrationChange,
    Outcome,
    Phase,
    Review,
    ReviewCycle,
)
from tests.reviews_helpers import AFTER_WINDOW, IN_WINDOW, cycle_in_calibration, make_evidence, olga, pre_vote_all

# The steps a service performs, and the form on the review page that offers each.
FORMS = {
    "annotate": "reviews:review-annotate", "self_review": "reviews:review-self-review",
    "assess": "reviews:review-assess", "approve_adverse": "reviews:review-approve-adverse",
    "pre_vote": "reviews:review-pre-vote", "change_outcome": "reviews:review-change",
    "acknowledge": "reviews:review-acknowledge", "appeal": "reviews:review-appeal",
    "check_packet": "reviews:review-check-packet",
}


class _RolledBack(Exception):
    pass


def refused(call: Callable[[], object]) -> bool:
    """Run a service call and undo it; True when the service refused who or when (not what was sent)."""
    try:
        with transaction.atomic():
            call()
            raise _RolledBack
    except _RolledBack:
        return False
    except services.ActionRefused:
        return True
    except services.ReviewError:
        return False


def service_calls(review: Review, person: Person, *, today) -> dict[str, Callable[[], object]]:
    """One call per step, with input the rules accept, so only who or when can refuse it."""
    item = make_evidence(review.person, 1)[0]
    assessment = review.assessments.get(dimension=Dimension.values[0])
    cited = [packet_item.reference for packet_item in review.packet_items.all()[:2]]
    pending = CalibrationChange.objects.filter(assessment__review=review,
                                               status=CalibrationChange.Status.AWAITING_APPROVAL).first()
    calls = {
        "annotate": lambda: services.annotate_evidence(review, actor=person, reference=f"evidence_item:{item.pk}",
                                                       note="Shows the rollout."),
        "self_review": lambda: services.submit_self_review(review, actor=person, context="A good half."),
        "assess": lambda: services.save_assessment(review, actor=person, dimension=assessment.dimension,
                                                   outcome=Outcome.MEETS, rationale=f"Led it {item.citation}."),
        "approve_adverse": lambda: services.approve_adverse_assessment(review, approver=person,
                                                                       reason="Read both items."),
        "pre_vote": lambda: services.record_pre_vote(review, panelist=person, dimension=assessment.dimension,
                                                     outcome=Outcome.MEETS),
        "change_outcome": lambda: services.record_calibration_change(
            assessment, actor=person, to_outcome=Outcome.EXCEEDS, reason="The packet shows more.",
            seen_version=assessment.version, citations=cited),
        "acknowledge": lambda: services.acknowledge_review(review, actor=person),
        "appeal": lambda: services.file_appeal(review, actor=person, context="Context.", today=today),
    }
    if pending is not None:
        calls["approve_changes"] = lambda: services.approve_calibration_change(pending, approver=person)
    return calls


@contextmanager
def in_phase(cycle: ReviewCycle, phase: str) -> Iterator[None]:
    ReviewCycle.objects.filter(pk=cycle.pk).update(phase=phase)
    yield


@pytest.fixture
def setting(personas):
    cycle = cycle_in_calibration(personas)
    cast = {"erin": personas.erin, "pat": personas.pat, "mo": personas.mo, "lee": personas.lee,
            "pia": personas.pia, "oscar": personas.oscar, "olga": olga()}
    return cycle, cast


def erins_review(cycle: ReviewCycle, personas) -> Review:
    return Review.objects.select_related("cycle", "person", "manager", "level").get(cycle=cycle,
                                                                                    person=personas.erin)


def check_state(cycle, personas, cast, client_for, *, state: str, today=IN_WINDOW) -> int:
    """Compare flags, services and the page for every persona; returns how many steps were offered."""
    offered = 0
    mismatches = []
    for name, person in cast.items():
        person = Person.objects.get(pk=person.pk)  # roles may change between states
        review = erins_review(cycle, personas)
        actions = access.review_actions(person, review, today=today)
        for step, call in service_calls(review, person, today=today).items():
            review = erins_review(cycle, personas)
            flag = getattr(actions, step)
            offered += flag
            if flag == refused(call):
                mismatches.append(f"{state}: {name} {step} offered={flag} but the service "
                                  f"{'refused' if flag else 'did not refuse'}")
        page = client_for(person).get(f"/reviews/r/{review.pk}/")
        if page.status_code == 403:
            assert not any(getattr(actions, step) for step in FORMS), (state, name)
            continue
        html = page.content.decode()
        shown = access.review_actions(person, erins_review(cycle, personas))
        for step, url_name in FORMS.items():
            on_page = f'action="{reverse(url_name, args=[review.pk])}"' in html
            if on_page != getattr(shown, step):
                mismatches.append(f"{state}: {name} page shows {step}={on_page}, flag {getattr(shown, step)}")
        # The review's own approval forms (the menu now links the pending changes of roles at /people/changes/).
        approve_forms = html.count(f"/reviews/r/{review.pk}/changes/")
        if approve_forms and not shown.approve_changes:
            mismatches.append(f"{state}: {name} page offers approving a change without the flag")
    assert not mismatches, "\n".join(mismatches)
    return offered


def test_every_persona_in_every_phase_sees_exactly_the_steps_the_services_allow(setting, personas, client_for):
    cycle, cast = setting
    offered = 0
    for phase in PHASE_ORDER:
        with in_phase(cycle, phase):
            offered += check_state(cycle, personas, cast, client_for, state=phase)
    assert offered > 0


def test_the_states_a_step_depends_on_agree_too(setting, personas, client_for):
    cycle, cast = setting
    review = erins_review(cycle, personas)
    # Manager assessment, not yet submitted: the manager may write it; with a proposed *needs support*,
    # the skip-level and the people partner may approve it as second approvers.
    Review.objects.filter(pk=review.pk).update(assessment_submitted_at=None)
    with in_phase(cycle, Phase.MANAGER_ASSESSMENT):
        assert check_state(cycle, personas, cast, client_for, state="assessment open") > 0
        review.assessments.filter(dimension=Dimension.values[0]).update(proposed_outcome=Outcome.NEEDS_SUPPORT)
        check_state(cycle, personas, cast, client_for, state="adverse proposed")
        assert access.review_actions(personas.lee, erins_review(cycle, personas)).approve_adverse
        review.assessments.filter(dimension=Dimension.values[0]).update(proposed_outcome=Outcome.MEETS)
    # Calibration with every pre-vote in, a change waiting for its second approver, and a people partner in
    # the person's chain (conflicted: not an approver, though a people partner).
    with in_phase(cycle, Phase.CALIBRATION):
        pre_vote_all(review, services.eligible_panelists(review))
        assessment = review.assessments.get(dimension=Dimension.values[1])
        CalibrationChange.objects.create(
            assessment=assessment, actor=personas.oscar, from_outcome=Outcome.MEETS,
            to_outcome=Outcome.NEEDS_SUPPORT, reason="Two incidents.", seen_version=assessment.version,
            status=CalibrationChange.Status.AWAITING_APPROVAL)
        Person.objects.filter(pk=personas.lee.pk).update(access_role=AccessRole.PEOPLE_PARTNER)
        check_state(cycle, personas, cast, client_for, state="votes in, change pending")
        lee = Person.objects.get(pk=personas.lee.pk)
        assert not access.review_actions(lee, erins_review(cycle, personas)).approve_changes
        assert access.review_actions(olga(), erins_review(cycle, personas)).change_outcome
    # Acknowledgement: after acknowledging and with an appeal open, neither is offered again; after the
    # window, no appeal.
    with in_phase(cycle, Phase.ACKNOWLEDGEMENT):
        check_state(cycle, personas, cast, client_for, state="window open", today=IN_WINDOW)
        check_state(cycle, personas, cast, client_for, state="window closed", today=AFTER_WINDOW)
        Review.objects.filter(pk=review.pk).update(acknowledged_at=timezone.now())
        Appeal.objects.create(review=review, context="Context.", due_on=AFTER_WINDOW)
        check_state(cycle, personas, cast, client_for, state="acknowledged, appeal open")
        assert not access.review_actions(personas.erin, erins_review(cycle, personas), today=IN_WINDOW).appeal


def test_the_step_table_names_only_steps_of_review_actions():
    fields = set(access.ReviewActions.__dataclass_fields__)
    assert set(STEP_PHASES) - {"calibrate"} <= fields
    assert set(FORMS) <= fields


def test_the_api_answers_a_review_with_the_callers_actions(setting, personas, client_for):
    cycle, _cast = setting
    review = erins_review(cycle, personas)
    body = client_for(olga()).get(f"/api/reviews/reviews/{review.pk}").json()
    assert body["actions"]["pre_vote"] is True and body["actions"]["assess"] is False
    body = client_for(personas.erin).get(f"/api/reviews/reviews/{review.pk}").json()
    assert not any(body["actions"][step] for step in FORMS)
