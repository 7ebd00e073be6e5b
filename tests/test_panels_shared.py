"""Review calibration and promotion cases share one panel module (code, not tables): the same rule for when
hidden pre-votes are complete and the same labels of who voted, as the person concerned reads them."""

from __future__ import annotations

import pytest

from brightline.policy.services import update_policy
from brightline.promotions import services as promotions
from brightline.reviews import panels
from brightline.reviews import services as reviews
from tests.reviews_helpers import cycle_in_calibration, olga, pre_vote_all, review_of
from tests.test_promotions import decided

pytestmark = pytest.mark.django_db


def test_pre_votes_are_complete_only_when_every_eligible_panelist_voted():
    assert panels.votes_complete(eligible=2, voted=2)
    assert not panels.votes_complete(eligible=2, voted=1)
    assert not panels.votes_complete(eligible=0, voted=0)


def test_both_label_panelists_by_the_same_rule_for_the_person_and_by_name_for_everyone_else(personas):
    case, _ = decided(personas)
    cycle = cycle_in_calibration(personas)
    review = review_of(cycle, personas.erin)
    pre_vote_all(review, [personas.oscar, olga()])

    promotion_labels = {row["panelist"] for row in promotions.pre_votes(case, viewer=personas.erin).votes}
    review_labels = reviews.panelist_labels(review, personas.erin)
    expected = panels.label_panelists(case.pre_votes.values_list("panelist_id", "panelist__name"),
                                      subject_person_id=personas.erin.pk, viewer=personas.erin,
                                      salt=f"promotion:{case.pk}")
    assert promotion_labels == set(expected.by_id.values()) == {"Panelist 1", "Panelist 2"}
    assert review_labels.anonymised and set(review_labels.by_id.values()) == {"Panelist 1", "Panelist 2"}
    assert {row["panelist"] for row in promotions.pre_votes(case, viewer=personas.pia).votes} == {
        "Oscar Outsider", "Olga Othermanager"}
    assert not reviews.panelist_labels(review, personas.pia).anonymised

    update_policy(actor=personas.pia, reason="The panel agreed to be named.", prevote_names="named")
    assert {row["panelist"] for row in promotions.pre_votes(case, viewer=personas.erin).votes} == {
        "Oscar Outsider", "Olga Othermanager"}
    assert not reviews.panelist_labels(review, personas.erin).anonymised
