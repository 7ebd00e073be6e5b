"""The demo's fairness history: synthetic demographics, HRIS movements and clarity answers that fill the pages; and
manager quality's kept reviewer-flag counts, read on the demo."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from brightline.core.narrative import check_text
from brightline.core.narrative.version import checks_version
from brightline.demo import demo_today
from tests.demo_helpers import demo_cycle_name, demo_from, demo_transaction, reset_sequences


@pytest.fixture(scope="module")
def demo_twice(django_db_setup, django_db_blocker, demo_snapshot):
    """One demo for the module (its determinism is checked with the rest of the history in
    ``test_demo_coherence``), rolled back at the end."""
    with demo_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            reset_sequences()
            demo_from(demo_snapshot)
        yield


@pytest.fixture
def people(demo_twice, db):
    from brightline.people.models import Person

    return {person.user.username: person for person in Person.objects.select_related("user")
            .filter(user__username__in=["erin", "mo", "pat", "lee", "pia", "ada"])}


def visible_text(response) -> str:
    html = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_demo_holds_demographics_with_a_realistic_share_not_disclosed(demo_twice, db):
    from brightline.fairness.models import DemographicRecord
    from brightline.people.models import Person

    people = Person.objects.count()
    not_disclosed = {attribute: people - DemographicRecord.objects.filter(attribute=attribute).count()
                     for attribute in ("sex_or_gender", "race_or_ethnicity", "age_band", "disability")}
    assert all(count >= 1 for count in not_disclosed.values()), not_disclosed
    assert 0.05 <= sum(not_disclosed.values()) / (4 * people) <= 0.3
    assert DemographicRecord.objects.order_by("-imported_at").first().imported_at.date() < demo_today()


def test_the_demo_has_transfers_one_regretted_leaver_and_promotions_before_the_first_cycle(demo_twice, db):

    from brightline.governance.models import HrisEvent

    events = Counter(HrisEvent.objects.values_list("event", flat=True))
    assert events["transferred"] >= 3 and events["promoted"] >= 5
    assert HrisEvent.objects.filter(event="left", regretted=True).count() == 1
    from brightline.reviews.models import ReviewCycle

    first_cycle_opened = ReviewCycle.objects.get(name=demo_cycle_name("older")).opened_at.date()
    assert not HrisEvent.objects.filter(event="promoted", date__gte=first_cycle_opened).exists()
    assert not HrisEvent.objects.filter(date__gt=demo_today()).exists()


def test_the_people_partner_audits_the_last_cycle_by_protected_attribute(demo_twice, people, client):
    from brightline.reviews.models import ReviewCycle

    client.force_login(people["pia"].user)
    cycle = ReviewCycle.objects.get(name=demo_cycle_name("decided"))
    response = client.get(f"/fairness/outcomes/?cycle={cycle.pk}")
    assert response.status_code == 200
    published = {group.group for result in response.context["results"] if result.cut.key == "sex_or_gender"
                 and result.event is not None for group in result.event.groups}
    assert {"Man", "Woman"} <= published


def test_the_people_partner_sees_which_way_calibration_moved_each_outcome(demo_twice, people, client):
    """Fairness of calibration needs its direction (session 12 first-use task 3b): the cycle's audit lists each
    applied calibration change with raised or lowered, matching the stored changes, and names nobody."""
    from brightline.reviews.models import OUTCOME_SCALE, CalibrationChange, ReviewCycle

    client.force_login(people["pia"].user)
    cycle = ReviewCycle.objects.get(name=demo_cycle_name("decided"))
    changes = list(CalibrationChange.objects.filter(
        assessment__review__cycle=cycle, status=CalibrationChange.Status.APPLIED,
        source=CalibrationChange.Source.CALIBRATION).select_related("assessment__review__person"))
    assert changes, "the demo's decided cycle has a calibration change"
    raised = sum(1 for c in changes if OUTCOME_SCALE[c.to_outcome] > OUTCOME_SCALE.get(c.from_outcome, 99))
    lowered = sum(1 for c in changes if OUTCOME_SCALE[c.to_outcome] < OUTCOME_SCALE.get(c.from_outcome, 0))
    text = visible_text(client.get(f"/fairness/outcomes/?cycle={cycle.pk}"))
    section = text[text.index("Which way calibration moved outcomes"):text.index("Details")]
    assert f"calibration changed {len(changes)} outcome" in section
    assert f"{raised} raised, {lowered} lowered" in section
    assert section.count("Raised") == raised and section.count("Lowered") == lowered
    assert not [c for c in changes if c.assessment.review.person.name in section]


def test_the_ll144_report_counts_everyone_assessed_by_category_and_the_unknowns(demo_twice, people, client):
    from brightline.fairness.models import DemographicRecord
    from brightline.reviews.models import ReviewCycle

    client.force_login(people["pia"].user)
    cycle = ReviewCycle.objects.get(name=demo_cycle_name("decided"))
    report = client.get(f"/fairness/compliance/ll144/?cycle={cycle.pk}").context["report"]
    by_sex = report.tables[0]
    assessed = {row.category: row.n for row in by_sex.rows}
    assert {"Man", "Woman"} <= set(assessed) and all(n >= report.min_cohort for n in assessed.values())
    reviewed_sexes = Counter(
        DemographicRecord.objects.filter(attribute="sex_or_gender", person_id__in=cycle.reviews.values(
            "person_id")).values_list("value", flat=True))
    assert assessed["Woman"] == reviewed_sexes["Woman"] and assessed["Man"] == reviewed_sexes["Man"]
    unknown = report.assessed - sum(reviewed_sexes.values())
    assert by_sex.unknown_count == (unknown if unknown >= report.min_cohort else None)
    # The demo marks people ready for promotion on evidence, so the report has selections to compare.
    ready = cycle.reviews.filter(promotion_readiness="ready").count()
    assert report.selected == ready > 0
    assert max(row.impact_ratio for row in by_sex.rows if row.impact_ratio is not None) == 1.0


def test_the_manager_quality_page_shows_clarity_per_quarter(demo_twice, people, client):
    mo = people["mo"]
    client.force_login(people["pia"].user)
    response = client.get(f"/governance/managers/{mo.pk}/")
    from brightline.governance.demo import survey_rounds

    quarters = {row.quarter: row for row in response.context["quality"].clarity.quarters}
    # The four quarters before the demo's own, whatever day the demo was built for.
    expected = [f"{day.year} Q{(day.month - 1) // 3 + 1}" for day in survey_rounds(demo_today())]
    assert list(quarters) == expected
    assert quarters[expected[2]].not_enough_responses
    published = [row.summary.median for row in quarters.values() if row.summary.median is not None]
    assert len(published) == 3 and published[-1] > published[0]  # the team's clarity improved
    assert response.context["quality"].movement is not None
    assert "Not enough responses (fewer than 5)." in visible_text(response)


def test_improvement_after_feedback_compares_the_two_closed_cycles(demo_twice, people, client):
    client.force_login(people["mo"].user)
    response = client.get(f"/governance/managers/{people['mo'].pk}/")
    first, second = response.context["quality"].improvement.rows
    older, decided = demo_cycle_name("older"), demo_cycle_name("decided")
    assert (first.cycle_name, second.cycle_name, second.baseline_name) == (older, decided, older)
    assert second.comparison.status == "compared" and second.comparison.direction == "stayed"
    assert "Needs two cycles" not in visible_text(response)
    client.force_login(people["lee"].user)
    (row,) = client.get("/governance/leadership/").context["view"].improvement
    assert row.summary.withheld  # only Mo had feedback in the older cycle: one compared


def test_system_health_shows_organisation_clarity_and_movements(demo_twice, people, client):
    client.force_login(people["lee"].user)
    response = client.get("/governance/system-health/")
    assert [row.summary.n for row in response.context["clarity"].quarters if row.summary.n] != []
    attrition = response.context["attrition"]
    # Three leavers, one regretted: neither the total nor a team's count may say whose departure it was.
    assert (attrition.transfers, attrition.leavers, attrition.audit) == (3, 3, None)
    assert "Regretted leavers" not in visible_text(response)
    assert response.context["velocity"].levels


@pytest.mark.parametrize("url", ["/governance/leadership/", "/governance/system-health/"])
def test_the_leaders_pages_show_no_one_by_name_with_the_fairness_history_loaded(demo_twice, people, client, url):
    from brightline.people.models import Person

    lee = people["lee"]
    client.force_login(lee.user)
    text = visible_text(client.get(url)).replace(lee.name, "")
    for name, employee_id in Person.objects.values_list("name", "employee_id"):
        assert name not in text and employee_id not in text
    for employee_id in ("NW0901", "NW0911", "NW0913"):
        assert employee_id not in text


def test_the_leaderships_fairness_cards_open_on_a_plain_sentence_with_the_exact_figures_below(people, client):
    client.force_login(people["lee"].user)
    response = client.get("/governance/leadership/")
    view = response.context["view"]
    promotion = view.promotion_by_level.event
    html = response.content.decode()
    card = html[html.index("<h2>Promotion bottlenecks</h2>"):]
    card = card[:card.index("</section>")]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card)).strip()
    # The card opens on the sentence, not on the formula or the table.
    sentence = (f"Promotion bottlenecks {view.cycle_name}, “Ready for promotion”: "
                "the lowest rate of the groups compared (")
    assert text.startswith(sentence)
    assert f"is {promotion.impact_ratio:.2f} times the highest (" in text
    assert "below the four-fifths guideline (0.8 times)" in text and "not a verdict" in text
    assert f"cannot tell a real gap from chance (p = {promotion.p_value:.2f})" in text
    assert text.index("(p = ") < text.index("Lowest ÷ highest rate")
    # The exact figures are kept, below, for those who want them.
    assert "<summary>The formula and exact figures</summary>" in card
    assert f"Lowest ÷ highest rate: {promotion.impact_ratio:.3f}" in text
    assert f"p = {promotion.p_value:.4f}" in text


# Improvement after feedback keeps each review's reviewer-flag count instead of re-checking its texts on every read.
# On the demo: the figures read from the stored counts equal those computed by checking every text (the way they
# were computed before the counts were kept), for every manager and for the organisation; a stored count is what is
# read while its texts and the narrative checks are unchanged, and is counted again when either changes.

REVIEWER_FLAGS = {"vague", "personality", "no_evidence"}


def checked_now() -> Counter[tuple[str, str]]:
    """Reviewer flags per (manager, cycle), every text checked now: the figures as computed before counts were kept."""
    from brightline.governance.manager_quality import calibrated_cycles
    from brightline.reviews.models import Review

    flags: Counter[tuple[str, str]] = Counter()
    for review in Review.objects.filter(cycle_id__in=[int(cycle.key) for cycle in calibrated_cycles()],
                                        manager__isnull=False, assessment_submitted_at__isnull=False
                                        ).prefetch_related("assessments"):
        texts = [(review.manager_summary, ()), (review.cross_functional_impact, ()), (review.scope_growth, ())]
        texts += [(a.rationale, tuple(str(c) for c in a.citations)) for a in review.assessments.all()]
        flags[(str(review.manager_id), str(review.cycle_id))] += sum(
            flag.flag_id in REVIEWER_FLAGS for text, cited in texts if text
            for flag in check_text(text, kind="manager_narrative", cited_ids=cited).flags)
    return flags


def rewrite_some_rationales() -> None:
    """The demo's managers write clean, cited rationales: give some reviews of each cycle the language and the
    uncited claims the reviewer flags are about, so the figures compared have flags to count."""
    from brightline.governance.manager_quality import calibrated_cycles
    from brightline.reviews.models import DimensionAssessment

    for cycle in calibrated_cycles():
        assessments = list(DimensionAssessment.objects.filter(review__cycle_id=int(cycle.key)).exclude(rationale="")
                           .order_by("review__manager_id", "pk"))
        for vague in assessments[::7]:
            DimensionAssessment.objects.filter(pk=vague.pk).update(rationale="A great team player, always positive.")
        for uncited in assessments[3::5]:
            DimensionAssessment.objects.filter(pk=uncited.pk).update(citations=[])


def test_the_figures_from_stored_counts_equal_those_from_checking_every_text(demo_twice, db):
    from brightline.governance.manager_quality import (
        feedback_records,
        improvement_across_managers,
        improvement_after_feedback,
    )
    from brightline.governance.models import ReviewFlagCount
    from brightline.people.models import Person

    assert not ReviewFlagCount.objects.exists()
    rewrite_some_rationales()
    managers = list(Person.objects.filter(pk__in={int(r.manager) for r in feedback_records()}).order_by("pk"))
    assert len(managers) >= 2
    # Before: nothing stored, every text checked (as on every read before the counts were kept).
    before = {}
    for manager in managers:
        ReviewFlagCount.objects.all().delete()
        before[manager.pk] = improvement_after_feedback(manager, min_cohort=2)
    ReviewFlagCount.objects.all().delete()
    organisation_before = improvement_across_managers(min_cohort=1)
    stored = ReviewFlagCount.objects.count()
    # After: every count read from the table.
    records = feedback_records()
    assert stored == ReviewFlagCount.objects.count() == sum(r.reviews for r in records) > 0
    assert {manager.pk: improvement_after_feedback(manager, min_cohort=2) for manager in managers} == before
    assert improvement_across_managers(min_cohort=1) == organisation_before
    assert any(row.comparison.status == "compared" for rows in before.values() for row in rows.rows)
    # And the counts are the narrative checks' own, text by text.
    expected = checked_now()
    assert {(r.manager, r.cycle): r.flags for r in records} == dict(expected)
    assert len([count for count in expected.values() if count]) >= 3  # the comparison is not of zeros alone


def test_a_stored_count_is_read_until_its_texts_or_the_checks_change(demo_twice, db):
    from brightline.governance.manager_quality import feedback_records
    from brightline.governance.models import ReviewFlagCount
    from brightline.reviews.models import DimensionAssessment

    records = {(r.manager, r.cycle): r for r in feedback_records()}
    row = ReviewFlagCount.objects.select_related("review").order_by("review_id").first()
    key = (str(row.review.manager_id), str(row.review.cycle_id))
    true_count = records[key].flags
    # Read, not re-checked: a count changed in the table is what the figures show.
    ReviewFlagCount.objects.filter(pk=row.pk).update(flags=row.flags + 7)
    assert {(r.manager, r.cycle): r.flags for r in feedback_records()}[key] == true_count + 7
    # Counted under other checks (another version's digest): counted again, and stored again.
    ReviewFlagCount.objects.filter(pk=row.pk).update(digest="0" * 64)
    assert {(r.manager, r.cycle): r.flags for r in feedback_records()}[key] == true_count
    assert ReviewFlagCount.objects.get(pk=row.pk).flags == row.flags
    # A rationale rewritten (even without saving the model): counted again.
    DimensionAssessment.objects.filter(review_id=row.review_id).update(
        rationale="A great team player with a good attitude.", citations=[])
    assert {(r.manager, r.cycle): r.flags for r in feedback_records()}[key] > true_count
    assert ReviewFlagCount.objects.get(pk=row.pk).flags > row.flags


def test_the_checks_version_covers_the_rules_the_model_and_the_embedding():
    from brightline.core.narrative import version

    assert re.fullmatch(r"narrative@[0-9a-f]{16}", checks_version())
    names = {path.relative_to(version._NARRATIVE.parent).as_posix() for path in version._inputs()}
    assert {"narrative/checks.py", "narrative/lexicon.py", "narrative/rules/vague.json",
            "narrative/models/specificity/model.json", "nlp/tokens.py",
            "nlp/models/minilm-static/model.safetensors"} <= names
    rules = version._NARRATIVE / "rules"
    assert {f"narrative/rules/{path.name}" for path in rules.glob("*.json")} <= names
