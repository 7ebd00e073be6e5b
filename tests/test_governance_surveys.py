"""Clarity-of-expectations survey answers: anonymous import, aggregates with suppression, who may see them."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command

from tests.conftest import audit_actions

QUARTER_2 = "2026-06-19"
QUARTER_3 = "2026-09-18"


HEADER = "survey_date,manager_id,question,answer"


def answers_csv(rows: list[tuple[str, ...]], *, header: str = HEADER) -> bytes:
    return (header + "\n" + "".join(",".join(row) + "\n" for row in rows)).encode()


def clarity_rows(day: str, manager_id: str, answers: list[int]) -> list[tuple[str, str, str, str]]:
    return [(day, manager_id, "clarity_of_expectations", str(answer)) for answer in answers]


@pytest.fixture
def surveys_allowed(personas):
    from brightline.policy.services import get_policy, update_policy

    update_policy(actor=personas.pia, reason="the clarity survey is imported",
                  allowed_sources=[*get_policy().allowed_sources, "surveys"])


def page_text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


# ------------------------------------------------------------------------------------ the core maths


def test_the_core_summarises_median_and_distribution_and_withholds_small_groups():
    from brightline.core.fairness import summarise_scale_answers

    published = summarise_scale_answers({("2026 Q2",): [4, 5, 3, 4, 2, 4]}, min_cohort=5)[("2026 Q2",)]
    assert (published.n, published.median, published.distribution) == (6, 4.0, (0, 1, 1, 3, 1))
    assert published.withheld is None
    summaries = summarise_scale_answers({("2026 Q2",): [4, 5, 3, 4, 2, 4], ("2026 Q3",): [5, 5, 4]}, min_cohort=5)
    small, other = summaries[("2026 Q3",)], summaries[("2026 Q2",)]
    assert small.withheld == "below_min_cohort" and (small.n, small.median, small.distribution) == (None, None, None)
    # The table's total counts as public, so publishing the other group would give the small one away.
    assert other.withheld == "complementary"


def test_the_core_gives_the_middle_of_an_even_count_and_refuses_answers_off_the_scale():
    from brightline.core.fairness import ANSWER_OUT_OF_SCALE, FairnessInputError, summarise_scale_answers

    summary = summarise_scale_answers({("a",): [1, 2, 4, 5, 5, 3]}, min_cohort=5)[("a",)]
    assert summary.median == 3.5 and summary.shares == pytest.approx((1 / 6, 1 / 6, 1 / 6, 1 / 6, 2 / 6))
    with pytest.raises(FairnessInputError) as raised:
        summarise_scale_answers({("a",): [1, 6]}, min_cohort=1)
    assert str(raised.value) == ANSWER_OUT_OF_SCALE.format(answer=6, group=("a",), low=1, high=5)


# ------------------------------------------------------------------------------------------- import


@pytest.mark.django_db
def test_a_people_partner_imports_answers_without_any_respondent(personas, surveys_allowed):
    from brightline.audit.models import AuditEntry
    from brightline.governance.models import SurveyResponse
    from brightline.governance.surveys import import_survey_answers

    raw = answers_csv(clarity_rows(QUARTER_2, "E-mo", [4, 4, 3, 5, 2]) + clarity_rows(QUARTER_3, "E-mo", [5, 4]))
    result = import_survey_answers(raw, actor=personas.pia)
    assert (result.rows, result.rounds, result.created, result.unchanged) == (7, 2, 2, 0)
    assert result.by_quarter == {"2026 Q2": 5, "2026 Q3": 2}
    stored = SurveyResponse.objects.filter(manager=personas.mo)
    assert sorted(stored.values_list("answer", flat=True)) == [2, 3, 4, 4, 4, 5, 5]
    # Nothing in the table could say who answered.
    assert {field.name for field in SurveyResponse._meta.concrete_fields} == {
        "id", "survey_date", "question", "manager", "team", "answer", "imported_at"}
    entry = AuditEntry.objects.get(action="fairness.survey_answers.imported")
    assert entry.actor_id == personas.pia.pk
    assert entry.data == {"rows": 7, "rounds": 2, "created": 2, "updated": 0, "unchanged": 0, "blank": 0,
                          "by_quarter": {"2026 Q2": 5, "2026 Q3": 2}}

    again = import_survey_answers(raw, actor=personas.pia)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2) and stored.count() == 7


@pytest.mark.django_db
def test_a_round_in_a_new_file_replaces_the_stored_round(personas, surveys_allowed):
    from brightline.governance.models import SurveyResponse
    from brightline.governance.surveys import import_survey_answers

    import_survey_answers(answers_csv(clarity_rows(QUARTER_2, "E-mo", [2, 2, 2])), actor=personas.pia)
    corrected = import_survey_answers(answers_csv(clarity_rows(QUARTER_2, "E-mo", [3, 4, 4, 5])), actor=personas.pia)
    assert (corrected.created, corrected.updated) == (0, 1)
    assert sorted(SurveyResponse.objects.values_list("answer", flat=True)) == [3, 4, 4, 5]


@pytest.mark.django_db
def test_answers_given_by_team_go_to_the_manager_who_leads_it(personas, surveys_allowed):
    from brightline.governance.models import SurveyResponse
    from brightline.governance.surveys import import_survey_answers

    raw = answers_csv([(QUARTER_2, "payments", "clarity_of_expectations", "4"),
                       (QUARTER_2, "Payments", "clarity_of_expectations", ""),
                       (QUARTER_2, "payments", "clarity_of_expectations", "3")],
                      header="survey_date,team,question,answer")
    result = import_survey_answers(raw, actor=personas.pia)
    assert result.blank == 1
    assert set(SurveyResponse.objects.values_list("manager_id", "team__slug")) == {(personas.mo.pk, "payments")}


@pytest.mark.django_db
def test_a_bad_file_writes_nothing_and_names_every_bad_line(personas, surveys_allowed):
    from brightline.csvio import CsvImportError
    from brightline.governance.models import SurveyResponse
    from brightline.governance.surveys import import_survey_answers

    raw = answers_csv([
        (QUARTER_2, "E-mo", "clarity_of_expectations", "4"),   # line 2: fine
        (QUARTER_2, "E-mo", "clarity_of_expectations", "6"),   # line 3
        ("19/06/2026", "E-mo", "clarity_of_expectations", "3"),  # line 4
        (QUARTER_2, "E-nobody", "clarity_of_expectations", "3"),  # line 5
        (QUARTER_2, "E-mo", "salary_happiness", "3"),  # line 6
        ("2099-01-01", "E-mo", "clarity_of_expectations", "3"),  # line 7
    ])
    with pytest.raises(CsvImportError) as raised:
        import_survey_answers(raw, actor=personas.pia)
    assert [(error.line, error.reason) for error in raised.value.errors] == [
        (3, "answer '6' is not a whole number from 1 to 5"),
        (4, "survey_date '19/06/2026' is not a date in the form YYYY-MM-DD"),
        (5, "manager_id 'E-nobody' is not a person in Brightline; import people first"),
        (6, "question 'salary_happiness' is not one Brightline shows; known: clarity_of_expectations"),
        (7, "survey_date 2099-01-01 is in the future"),
    ]
    assert SurveyResponse.objects.count() == 0
    assert "fairness.survey_answers.imported" not in audit_actions()


@pytest.mark.django_db
def test_a_column_that_would_identify_the_respondent_is_refused(personas, surveys_allowed):
    from brightline.csvio import CsvImportError
    from brightline.governance.surveys import ERR_IDENTIFYING, import_survey_answers

    raw = answers_csv([(QUARTER_2, "E-mo", "clarity_of_expectations", "4", "E-erin")],
                      header="survey_date,manager_id,question,answer,respondent_id")
    with pytest.raises(CsvImportError) as raised:
        import_survey_answers(raw, actor=personas.pia)
    assert [error.reason for error in raised.value.errors] == [ERR_IDENTIFYING.format(columns="respondent_id")]


@pytest.mark.django_db
def test_surveys_are_not_ingested_unless_the_policy_allows_them(personas):
    from brightline.csvio import CsvImportError
    from brightline.governance.models import SurveyResponse
    from brightline.governance.surveys import ERR_SOURCE_OFF, import_survey_answers

    with pytest.raises(CsvImportError) as raised:
        import_survey_answers(answers_csv(clarity_rows(QUARTER_2, "E-mo", [4])), actor=personas.pia)
    assert [error.reason for error in raised.value.errors] == [ERR_SOURCE_OFF]
    assert SurveyResponse.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["erin", "mo", "lee", "oscar"])
def test_only_people_partners_import_survey_answers(personas, surveys_allowed, persona):
    from brightline.governance.surveys import import_survey_answers

    with pytest.raises(PermissionError):
        import_survey_answers(answers_csv(clarity_rows(QUARTER_2, "E-mo", [4])), actor=getattr(personas, persona))


@pytest.mark.django_db
def test_the_command_imports_and_reports_bad_lines(personas, surveys_allowed, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(answers_csv(clarity_rows(QUARTER_2, "E-mo", [4, 5, 3, 4, 4])))
    out = io.StringIO()
    call_command("import", "surveys", str(good), "--json", stdout=out)
    assert json.loads(out.getvalue())["rows"] == 5
    out = io.StringIO()
    call_command("import", "surveys", str(good), stdout=out)
    assert out.getvalue().strip() == "Imported 5 survey answers in 1 rounds: 0 new, 0 replaced, 1 unchanged."

    bad.write_bytes(answers_csv(clarity_rows(QUARTER_3, "E-mo", [4]) + [(QUARTER_3, "E-mo", "clarity_of_expectations",
                                                                          "four")]))
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("import", "surveys", str(bad), stdout=io.StringIO(), stderr=err)
    assert exited.value.code == 1
    assert f"{bad}: line 3: answer 'four' is not a whole number from 1 to 5" in err.getvalue()
    assert "nothing was imported" in err.getvalue()


@pytest.mark.django_db
def test_the_data_page_imports_survey_answers(personas, surveys_allowed, client_for):
    from brightline.governance.models import SurveyResponse

    upload = io.BytesIO(answers_csv(clarity_rows(QUARTER_2, "E-mo", [4, 5, 3])))
    upload.name = "clarity.csv"
    response = client_for(personas.pia).post("/governance/data/", {"kind": "surveys", "file": upload}, follow=True)
    assert "Imported 3 survey answers in 1 rounds: 1 new" in response.content.decode()
    assert SurveyResponse.objects.count() == 3


# ------------------------------------------------------------------------------ pages and suppression


@pytest.mark.django_db
def test_the_manager_page_shows_median_and_distribution_and_withholds_a_small_quarter(personas, surveys_allowed,
                                                                                     client_for):
    from brightline.governance.surveys import import_survey_answers

    import_survey_answers(answers_csv(clarity_rows(QUARTER_2, "E-mo", [4, 4, 3, 5, 2, 4])
                                      + clarity_rows(QUARTER_3, "E-mo", [5, 5, 4, 1])), actor=personas.pia)
    response = client_for(personas.mo).get(f"/governance/managers/{personas.mo.pk}/")
    quarters = {row.quarter: row for row in response.context["quality"].clarity.quarters}
    assert quarters["2026 Q2"].summary.median == 4.0 and quarters["2026 Q2"].summary.distribution == (0, 1, 1, 3, 1)
    assert quarters["2026 Q3"].not_enough_responses and quarters["2026 Q3"].summary.distribution is None
    text = page_text(response)
    assert "2026 Q2 6 4 0 1 1 3 1" in text
    assert "2026 Q3 Not enough responses (fewer than 5)." in text
    assert "not imported" not in text


@pytest.mark.django_db
def test_a_team_next_to_a_small_one_is_withheld_where_the_quarter_total_is_published(personas, surveys_allowed,
                                                                                    client_for):
    from brightline.governance.surveys import import_survey_answers

    olga = personas.oscar.manager
    import_survey_answers(answers_csv(clarity_rows(QUARTER_3, "E-mo", [4, 4, 4, 5, 5, 3])
                                      + clarity_rows(QUARTER_3, olga.employee_id, [1, 2, 1])), actor=personas.pia)
    health = client_for(personas.lee).get("/governance/system-health/")
    (organisation_quarter,) = health.context["clarity"].quarters
    assert organisation_quarter.summary.n == 9
    mo_page = client_for(personas.mo).get(f"/governance/managers/{personas.mo.pk}/")
    (mo_quarter,) = mo_page.context["quality"].clarity.quarters
    # Published, Mo's six answers would give Olga's three by subtraction from the organisation's nine.
    assert mo_quarter.summary.withheld == "complementary" and mo_quarter.summary.median is None
    assert "cannot be worked out by subtraction" in page_text(mo_page)


@pytest.mark.django_db
@pytest.mark.parametrize("persona,allowed", [("mo", True), ("lee", True), ("pia", True), ("erin", False),
                                             ("pat", False), ("oscar", False)])
def test_clarity_answers_follow_the_manager_quality_access_rule(personas, surveys_allowed, client_for, persona,
                                                                allowed):
    from brightline.governance.surveys import import_survey_answers

    import_survey_answers(answers_csv(clarity_rows(QUARTER_2, "E-mo", [4, 4, 3, 5, 2])), actor=personas.pia)
    response = client_for(getattr(personas, persona)).get(f"/governance/managers/{personas.mo.pk}/")
    assert response.status_code == (200 if allowed else 403)
    assert ("Clarity of expectations" in response.content.decode()) is allowed


@pytest.mark.django_db
def test_a_peer_manager_is_refused_without_learning_whose_page_it_is(personas, surveys_allowed, client_for):
    from brightline.governance.surveys import import_survey_answers

    olga = personas.oscar.manager
    import_survey_answers(answers_csv(clarity_rows(QUARTER_2, "E-mo", [4, 4, 3, 5, 2])), actor=personas.pia)
    browser = client_for(olga)
    refused = browser.get(f"/governance/managers/{personas.mo.pk}/")
    assert refused.status_code == 403
    body = refused.content.decode()
    assert personas.mo.name not in body and "E-mo" not in body and "2026 Q2" not in body
    index = browser.get("/governance/").content.decode()
    assert olga.name in index and personas.mo.name not in index
    partner_index = client_for(personas.pia).get("/governance/").content.decode()
    assert olga.name in partner_index and personas.mo.name in partner_index


@pytest.mark.django_db
def test_reading_another_managers_clarity_is_logged_and_reading_ones_own_is_not(personas, surveys_allowed,
                                                                                client_for):
    from brightline.audit.models import AccessLog
    from brightline.governance.surveys import import_survey_answers

    import_survey_answers(answers_csv(clarity_rows(QUARTER_2, "E-mo", [4, 4, 3, 5, 2])), actor=personas.pia)
    for viewer in (personas.pia, personas.lee, personas.mo):
        assert client_for(viewer).get(f"/governance/managers/{personas.mo.pk}/").status_code == 200
    logged = set(AccessLog.objects.filter(subject=personas.mo, record="fairness.manager_quality")
                 .values_list("viewer_id", flat=True))
    assert logged == {personas.pia.pk, personas.lee.pk}


@pytest.mark.django_db
def test_a_team_that_names_no_single_manager_needs_manager_id(personas, surveys_allowed):
    from brightline.csvio import CsvImportError
    from brightline.governance.surveys import ERR_TEAM_MANAGER, ERR_UNKNOWN_TEAM, import_survey_answers
    from brightline.people.models import Person

    # Olga and Oscar join Payments: it now has two managers leading people inside it.
    Person.objects.filter(pk__in=[personas.oscar.pk, personas.oscar.manager_id]).update(team=personas.mo.team)
    raw = answers_csv([(QUARTER_2, "payments", "clarity_of_expectations", "4"),
                       (QUARTER_2, "no-such-team", "clarity_of_expectations", "4")],
                      header="survey_date,team,question,answer")
    with pytest.raises(CsvImportError) as raised:
        import_survey_answers(raw, actor=personas.pia)
    assert [(error.line, error.reason) for error in raised.value.errors] == [
        (2, ERR_TEAM_MANAGER.format(value="payments", count=2)),
        (3, ERR_UNKNOWN_TEAM.format(value="no-such-team")),
    ]
