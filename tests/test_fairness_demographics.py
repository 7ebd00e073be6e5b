"""Demographic attributes: imported apart, people partners only, every read logged, never imputed."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from tests.conftest import audit_actions

pytestmark = pytest.mark.django_db


pytestmark = pytest.mark.usefixtures("demographics_allowed")


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def stored():
    from brightline.fairness.models import DemographicRecord

    return {(r.person.employee_id, r.attribute): r.value for r in DemographicRecord.objects.select_related("person")}


def test_a_people_partner_imports_attributes_and_the_import_is_audited(personas):
    from brightline.audit.models import AuditEntry
    from brightline.fairness.demographics import import_demographics

    result = import_demographics(csv_bytes("employee_id,sex_or_gender,race_or_ethnicity",
                                           "E-erin,F,White", "E-pat,,Asian"), actor=personas.pia)
    assert stored() == {("E-erin", "sex_or_gender"): "F", ("E-erin", "race_or_ethnicity"): "White",
                        ("E-pat", "race_or_ethnicity"): "Asian"}
    assert (result.created, result.not_disclosed) == (3, {"sex_or_gender": 1, "race_or_ethnicity": 0})
    entry = AuditEntry.objects.get(action="fairness.demographics.imported")
    assert entry.actor_id == personas.pia.pk and entry.data["created"] == 3
    assert "White" not in entry.data_json and "Asian" not in entry.data_json  # counts, never values


def test_re_importing_the_same_file_changes_nothing_and_an_empty_cell_withdraws(personas):
    from brightline.fairness.demographics import import_demographics

    first = csv_bytes("employee_id,sex_or_gender", "E-erin,F")
    import_demographics(first, actor=personas.pia)
    again = import_demographics(first, actor=personas.pia)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    withdrawn = import_demographics(csv_bytes("employee_id,sex_or_gender", "E-erin,"), actor=personas.pia)
    assert withdrawn.removed == 1 and stored() == {}


@pytest.mark.parametrize("content,message", [
    ("employee_id,sex_or_gender\nE-erin,F\nE-nobody,M\n", "'E-nobody' is not a person in Brightline"),
    ("employee_id,religion\nE-erin,x\n", "religion are not configured demographic attributes"),
    ("employee_id,sex_or_gender\nE-erin,F\nE-erin,M\n", "also appears on line 2"),
    ("sex_or_gender\nF\n", "needs an employee_id column"),
    ("", "the file is empty"),
])
def test_a_bad_file_writes_nothing_and_says_why(personas, content, message):
    from brightline.csvio import CsvImportError
    from brightline.fairness.demographics import import_demographics

    with pytest.raises(CsvImportError) as raised:
        import_demographics(content.encode(), actor=personas.pia)
    assert any(message in error.reason for error in raised.value.errors)
    assert stored() == {}
    assert "fairness.demographics.imported" not in audit_actions()


@pytest.mark.parametrize("persona", ["erin", "mo", "pat", "lee", "oscar"])
def test_only_people_partners_may_import_or_read(personas, persona):
    from brightline.fairness.demographics import DemographicsError, import_demographics, read_demographics

    with pytest.raises(DemographicsError):
        import_demographics(csv_bytes("employee_id,sex_or_gender", "E-erin,F"), actor=getattr(personas, persona))
    with pytest.raises(DemographicsError):
        read_demographics(getattr(personas, persona), attributes=["sex_or_gender"], purpose="curiosity")
    assert stored() == {}


def test_every_read_is_logged_with_the_attributes_and_purpose(personas):
    from brightline.audit.models import AuditEntry
    from brightline.fairness.demographics import import_demographics, read_demographics

    import_demographics(csv_bytes("employee_id,sex_or_gender,age_band", "E-erin,F,30-39"), actor=personas.pia)
    values = read_demographics(personas.pia, attributes=["sex_or_gender"], purpose="outcome audit")
    assert values == {personas.erin.pk: {"sex_or_gender": "F"}}
    read_demographics(personas.pia, attributes=["age_band"], purpose="coverage")
    reads = list(AuditEntry.objects.filter(action="fairness.demographics.read").order_by("seq"))
    assert [(r.data["attributes"], r.data["purpose"]) for r in reads] == [
        (["sex_or_gender"], "outcome audit"), (["age_band"], "coverage")]


def test_people_without_a_value_are_not_disclosed_never_imputed(personas, organisation, ladder):
    from brightline.fairness.demographics import demographic_coverage, import_demographics

    import_demographics(csv_bytes("employee_id,sex_or_gender", *[f"E-{name},F" for name in
                                                                 ("erin", "pat", "mo", "lee", "pia")]),
                        actor=personas.pia)
    coverage = {c.attribute: c for c in demographic_coverage(personas.pia, min_cohort=2)}
    rows = {row.value: row.count for row in coverage["sex_or_gender"].rows}
    assert rows == {"F": 5, "not disclosed": 2}  # olga and oscar did not disclose
    assert {row.value: row.count for row in coverage["race_or_ethnicity"].rows} == {"not disclosed": 7}


def test_the_data_page_imports_through_the_browser_and_shows_only_aggregates(personas, client_for, tmp_path):
    from brightline.audit.models import AuditEntry

    path = tmp_path / "demographics.csv"
    path.write_bytes(csv_bytes("employee_id,sex_or_gender", "E-erin,F", "E-pat,M"))
    browser = client_for(personas.pia)
    with path.open("rb") as handle:
        assert browser.post("/governance/data/", {"kind": "demographics", "file": handle}).status_code == 302
    assert len(stored()) == 2
    page = browser.get("/governance/data/").content.decode()
    assert "Erin" not in page.replace(personas.pia.name, "") and "fewer than" in page
    assert AuditEntry.objects.filter(action="fairness.demographics.read", data_json__contains="coverage").exists()


def test_the_command_line_imports_and_reports_json(personas, tmp_path):
    path = tmp_path / "demographics.csv"
    path.write_bytes(csv_bytes("employee_id,disability", "E-erin,no", "E-pat,yes"))
    out = io.StringIO()
    call_command("import", "demographics", str(path), "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 2
    assert len(stored()) == 2


def test_the_command_line_refuses_a_bad_file_and_writes_nothing(personas, tmp_path):
    path = tmp_path / "demographics.csv"
    path.write_bytes(csv_bytes("employee_id,disability", "E-erin,no", "E-ghost,yes"))
    with pytest.raises(SystemExit) as exited:
        call_command("import", "demographics", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    assert exited.value.code == 1 and stored() == {}


def test_nothing_is_imported_while_the_policy_does_not_allow_demographics(personas, tmp_path):
    from brightline.csvio import CsvImportError
    from brightline.fairness.demographics import import_demographics
    from brightline.policy.services import get_policy, update_policy

    update_policy(actor=personas.pia, reason="demographics are no longer collected",
                  allowed_sources=[key for key in get_policy().allowed_sources if key != "demographics"])
    with pytest.raises(CsvImportError) as refused:
        import_demographics(csv_bytes("employee_id,sex_or_gender", "E-erin,F"), actor=personas.pia)
    assert "not among the data sources Brightline may ingest" in refused.value.errors[0].reason
    path = tmp_path / "demographics.csv"
    path.write_bytes(csv_bytes("employee_id,sex_or_gender", "E-erin,F"))
    err = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import", "demographics", str(path), stdout=io.StringIO(), stderr=err)
    assert 'ticks "Demographic attributes (optional, voluntary)"' in err.getvalue()
    assert "brightline role set EMAIL people_partner" in err.getvalue()
    assert stored() == {}
