"""The LL144-shaped bias audit of promotion decisions and the EU AI Act AI-system record."""

from __future__ import annotations

import csv
import io

import pytest

from tests.fairness_helpers import Member, decided_cycle, demographics_csv, make_people, pdf_text

pytestmark = pytest.mark.django_db


def promotion_population(organisation, ladder, manager):
    """Women 20 (6 ready), men 20 (10 ready), 6 not disclosed (1 ready); races split across both."""
    members = ([Member(f"W{i}", "north", ready=i < 6, sex="Female", race="White" if i < 10 else "Black")
                for i in range(20)]
               + [Member(f"M{i}", "south", ready=i < 10, sex="Male", race="White" if i < 10 else "Black")
                  for i in range(20)]
               + [Member(f"U{i}", "east", ready=i < 1, sex="", race="") for i in range(6)])
    people = make_people(organisation, ladder, manager, members)
    cycle = decided_cycle(people, members)
    from brightline.fairness.demographics import import_demographics

    import_demographics(demographics_csv(people, members), actor=None, actor_label="cli:test")
    return cycle


@pytest.mark.usefixtures("demographics_allowed")
def test_ll144_selection_rates_impact_ratios_and_unknowns(personas, client_for, organisation, ladder):
    cycle = promotion_population(organisation, ladder, personas.mo)
    response = client_for(personas.pia).get("/fairness/compliance/ll144/", {"cycle": cycle.pk})
    report = response.context["report"]
    by_sex = {row.category: row for row in report.tables[0].rows}
    assert (by_sex["Female"].n, by_sex["Female"].selected) == (20, 6)
    assert by_sex["Female"].selection_rate == pytest.approx(0.3)
    assert by_sex["Male"].impact_ratio == pytest.approx(1.0)
    assert by_sex["Female"].impact_ratio == pytest.approx(0.3 / 0.5)
    assert "not disclosed" not in by_sex and report.tables[0].unknown_count == 6
    by_race = {row.category: row for row in report.tables[1].rows}
    assert by_race["White"].selection_rate == pytest.approx(16 / 20)
    assert by_race["Black"].impact_ratio == pytest.approx((0 / 20) / (16 / 20))
    both = {row.category: row for row in report.tables[2].rows}
    assert both["Female | White"].selection_rate == pytest.approx(0.6)
    assert both["Male | White"].impact_ratio == pytest.approx(1.0)
    assert report.assessed == 46 and report.selected == 17
    page = response.content.decode()
    assert "Local Law 144" in page and "29 CFR 1607.4(D)" in page
    # Rates read as percentages next to their counts; the impact ratio stays a ratio.
    assert '<td>20</td><td>6</td><td class="num">30.0 %</td><td>0.600</td>' in page
    assert "0.300" not in page


@pytest.mark.usefixtures("demographics_allowed")
def test_ll144_downloads_as_csv_and_as_a_pdf_that_renders(personas, client_for, organisation, ladder):
    cycle = promotion_population(organisation, ladder, personas.mo)
    browser = client_for(personas.pia)
    rows = list(csv.DictReader(io.StringIO(browser.get("/fairness/compliance/ll144/",
                                                       {"cycle": cycle.pk, "format": "csv"}).content.decode())))
    female = next(row for row in rows if row["category"] == "Female")
    assert (female["assessed"], female["selected"], female["impact_ratio"]) == ("20", "6", "0.6000")
    assert any(row["category"] == "unknown (not disclosed)" and row["assessed"] == "6" for row in rows)
    response = browser.get("/fairness/compliance/ll144/", {"cycle": cycle.pk, "format": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Bias audit of promotion decisions" in text
    assert "Female" in text and "0.600" in text and "Unknown (not disclosed)" in text


@pytest.mark.usefixtures("demographics_allowed")
def test_ll144_is_generated_from_an_uploaded_export(personas, client_for, organisation, ladder, tmp_path):
    from brightline.reviews.cli import render_export

    cycle = promotion_population(organisation, ladder, personas.mo)
    path = tmp_path / "export.csv"
    path.write_text(render_export(cycle, "csv"))
    with path.open("rb") as handle:
        response = client_for(personas.pia).post("/fairness/compliance/ll144/", {"file": handle})
    assert {row.category: row.selected for row in response.context["report"].tables[0].rows} == {
        "Female": 6, "Male": 10}


def test_the_ai_system_record_is_generated_from_the_live_policy(personas, client_for):
    from brightline.policy.services import update_policy

    browser = client_for(personas.pia)
    record = browser.get("/fairness/compliance/ai-system/").context["record"]
    assert record.retention_days["audit"] == 2555 and record.retention_ok
    update_policy(actor=personas.pia, reason="test", retention_days={"audit": 400, "access_logs": 200})
    response = browser.get("/fairness/compliance/ai-system/")
    record = response.context["record"]
    assert record.retention_days == {"audit": 400, "access_logs": 200}
    page = response.content.decode()
    assert "Audit trail kept for 400 days." in page and "Access log kept for 200 days." in page
    assert "Annex III point 4(b)" in page
    assert "How Brightline uses data about you" in page


def test_the_ai_system_record_lists_oversight_points_and_the_notice_from_configuration(personas, client_for):
    from brightline.policy.services import update_policy

    update_policy(actor=personas.pia, reason="test", appeal_reviewers="people_partner",
                  ai_boundaries={"sentiment_enabled": False})
    page = client_for(personas.pia).get("/fairness/compliance/ai-system/").content.decode()
    assert "Who reviews it: a people partner outside your management chain." in page
    assert "switched off: llm drafting, sentiment" in page
    assert "needs at least 2 cited evidence items" in page  # from the reviews app's live constant
    # The insights app is installed, so its transparency report (with measured accuracy) is part of the record.
    assert "Generated by" in page and "Senti4SD" in page


def test_the_ai_system_record_pdf_renders_with_the_retention(personas, client_for):
    response = client_for(personas.pia).get("/fairness/compliance/ai-system/", {"format": "pdf"})
    text = pdf_text(response.content)
    assert "AI-system record" in text and "Audit trail kept for 2555 days." in text


@pytest.mark.usefixtures("demographics_allowed")
def test_the_api_serves_the_ll144_report_and_outcome_audit_to_people_partners_only(personas, client_for,
                                                                                  organisation, ladder):
    cycle = promotion_population(organisation, ladder, personas.mo)
    report = client_for(personas.pia).get(f"/api/fairness/cycles/{cycle.pk}/ll144").json()
    assert {row["category"]: row["selected"] for row in report["tables"][0]["rows"]} == {"Female": 6, "Male": 10}
    audit = client_for(personas.pia).get(f"/api/fairness/cycles/{cycle.pk}/outcome-audit").json()
    assert audit["people"] == 46
    for persona in ("lee", "mo", "erin"):
        assert client_for(getattr(personas, persona)).get(f"/api/fairness/cycles/{cycle.pk}/ll144").status_code == 403
