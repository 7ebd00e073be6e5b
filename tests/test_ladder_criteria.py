"""The ladder says what each level expects (D1, D2), how each outcome is decided (D4), and how calibration
and promotion work (D5), in words every employee can read."""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from brightline.people.criteria import level_criteria
from brightline.people.models import Level, Principle, PrincipleBehaviour
from brightline.reviews import services
from tests.reviews_helpers import open_payments_cycle, review_of

pytestmark = pytest.mark.django_db
SPEC_ID = re.compile(r"\b[A-I]\d{1,2}\b(?![\w-])")


def test_no_two_levels_share_a_principle_behaviour(ladder):
    texts: dict[str, list[str]] = defaultdict(list)
    for behaviour in PrincipleBehaviour.objects.select_related("level"):
        texts[behaviour.behaviour].append(behaviour.level.code)
    shared = {text: codes for text, codes in texts.items() if len(codes) > 1}
    assert shared == {}
    # Every level, manager levels included, says something for every principle.
    assert PrincipleBehaviour.objects.count() == Level.objects.count() * Principle.objects.count() == 60
    managers = {b.level.code: b.behaviour for b in PrincipleBehaviour.objects.filter(principle__key="evidence",
                                                                                     level__code__startswith="M")}
    assert len(set(managers.values())) == 4


def test_each_level_has_written_criteria_for_every_outcome_not_citation_counts(ladder):
    ic2, ic3 = level_criteria(ladder["IC2"]), level_criteria(ladder["IC3"])
    assert set(ic2) == {"technical_excellence", "delivery_results", "judgment_communication", "leadership"}
    delivery = ic2["delivery_results"]
    ic2_expectation = ladder["IC2"].competencies.get(dimension="delivery_results").expectation.rstrip(".")
    ic3_expectation = ladder["IC3"].competencies.get(dimension="delivery_results").expectation.rstrip(".")
    assert ic2_expectation[1:] in delivery.meets and ic3_expectation[1:] in delivery.exceeds
    assert "the IC1 expectation" in delivery.needs_support
    assert delivery.meets != ic3["delivery_results"].meets
    # The top of a ladder and its bottom have criteria too.
    assert "beyond what this level describes" in level_criteria(ladder["IC6"])["leadership"].exceeds
    assert "closer guidance" in level_criteria(ladder["M1"])["leadership"].needs_support


def test_the_employee_reads_her_levels_criteria_and_how_outcomes_are_decided(personas, client_for):
    erin = client_for(personas.erin)
    home = erin.get("/").content.decode()
    assert 'href="/ladder/how-outcomes-are-decided/"' in home and "How your level is assessed" in home
    ladder_page = erin.get("/ladder/").content.decode()
    code = personas.erin.level.code
    assert f'<details id="{code}" open>' in ladder_page and f'id="criteria-{code}"' in ladder_page
    assert "Needs support" in ladder_page and 'href="/ladder/how-outcomes-are-decided/"' in ladder_page
    page = erin.get("/ladder/how-outcomes-are-decided/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Standards, not quotas" in text and "A change needs a written reason" in text
    assert "From IC2 Engineer II to IC3 Senior Engineer" in text and "From M3" in text
    body = re.sub(r"<[^>]+>", " ", text[text.index("<main"):] if "<main" in text else text)
    assert not SPEC_ID.findall(body.replace("IC", "").replace("M1", "").replace("M2", "").replace("M3", "")
                               .replace("M4", "")), "no requirement id is shown to employees"


def test_the_assessment_form_shows_the_written_criteria(personas, client_for):
    cycle = open_payments_cycle(personas)
    for _ in range(2):
        cycle = services.advance_cycle(cycle, actor=personas.pia)
    review = review_of(cycle, personas.erin)
    page = client_for(personas.mo).get(f"/reviews/r/{review.pk}/").content.decode()
    criteria = level_criteria(review.level)["leadership"]
    assert "Written criteria for each outcome" in page
    assert criteria.exceeds.replace("'", "&#x27;") in page
