"""Outcome audits in the browser: uploaded decision tables and decided review cycles."""

from __future__ import annotations

import csv
import io

import pytest
from scipy.stats import chi2_contingency, fisher_exact

from brightline.people.models import Team
from tests.conftest import audit_actions
from tests.fairness_helpers import Member, decided_cycle, demographics_csv, make_people
from tests.research_data import RESEARCH_DATA as SHARED_DATA

pytestmark = pytest.mark.django_db

HR_FILE = SHARED_DATA / "hr_huebner_v14" / "HRDataset_v14.csv"
GO_FILE = SHARED_DATA / "gender_code_review" / "go-dataset1.csv"
WHAMCLOUD_FILE = SHARED_DATA / "gender_code_review" / "whamcloud-dataset1.csv"


def upload(browser, path, **fields):
    with path.open("rb") as handle:
        return browser.post("/fairness/outcomes/", {"file": handle, **fields})


def need(path):
    if not path.exists():
        pytest.skip(f"shared data not present at {path} (it lives beside the repository, not in it)")


def metric_frame(path, *, outcome, favourable, groups):
    pandas = pytest.importorskip("pandas")
    metrics = pytest.importorskip("fairlearn.metrics")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        frame = pandas.DataFrame(list(csv.DictReader(handle)), dtype=str)
    selected = frame[outcome].isin(favourable).astype(int)
    return frame, metrics.MetricFrame(metrics=metrics.selection_rate, y_true=selected, y_pred=selected,
                                      sensitive_features=frame[groups])


def test_an_uploaded_hr_export_matches_fairlearn_and_scipy(personas, client_for):
    need(HR_FILE)
    response = upload(client_for(personas.pia), HR_FILE, outcome_column="PerformanceScore",
                      favourable="Exceeds, Fully Meets", group_columns="Sex")
    assert response.status_code == 200
    audit = response.context["custom"].audit
    _, frame = metric_frame(HR_FILE, outcome="PerformanceScore", favourable={"Exceeds", "Fully Meets"},
                            groups=["Sex"])
    assert {group.group: group.rate for group in audit.groups} == pytest.approx(frame.by_group.to_dict())
    assert audit.impact_ratio == pytest.approx(frame.ratio(method="between_groups"))
    assert audit.rate_difference == pytest.approx(frame.difference(method="between_groups"))
    table = [[group.favourable, group.n - group.favourable] for group in audit.groups]
    assert audit.p_value == pytest.approx(fisher_exact(table).pvalue)
    assert "fairness.outcome_audit.run" in audit_actions()


def test_an_uploaded_race_audit_withholds_small_groups_and_matches_scipy_on_the_rest(personas, client_for):
    need(HR_FILE)
    response = upload(client_for(personas.pia), HR_FILE, outcome_column="PerformanceScore",
                      favourable="Exceeds,Fully Meets", group_columns="RaceDesc")
    audit = response.context["custom"].audit
    assert {"Hispanic", "American Indian or Alaska Native"} <= set(audit.suppressed)
    page = response.content.decode()
    assert "Hispanic" in page and "withheld" in page
    table = [[group.favourable, group.n - group.favourable] for group in audit.groups]
    assert audit.test == "chi_square"
    assert audit.p_value == pytest.approx(chi2_contingency(table).pvalue)
    frame, _ = metric_frame(HR_FILE, outcome="PerformanceScore", favourable={"Exceeds", "Fully Meets"},
                            groups=["RaceDesc"])
    published = {group.group for group in audit.groups}
    _, subset = metric_frame(HR_FILE, outcome="PerformanceScore", favourable={"Exceeds", "Fully Meets"},
                             groups=["RaceDesc"])
    rates = {key: value for key, value in subset.by_group.to_dict().items() if key in published}
    assert {group.group: group.rate for group in audit.groups} == pytest.approx(rates)
    assert audit.impact_ratio == pytest.approx(min(rates.values()) / max(rates.values()))


@pytest.mark.parametrize("path,women_rate,men_rate", [(GO_FILE, 0.859, 0.884), (WHAMCLOUD_FILE, 0.759, 0.751)])
def test_real_code_review_outcomes_by_gender_match_fairlearn(personas, client_for, path, women_rate, men_rate):
    need(path)
    response = upload(client_for(personas.pia), path, outcome_column="isAccepted", favourable="1",
                      group_columns="Gender")
    audit = response.context["custom"].audit
    rates = {group.group: group.rate for group in audit.groups}
    assert rates["1"] == pytest.approx(women_rate, abs=0.001) and rates["0"] == pytest.approx(men_rate, abs=0.001)
    _, frame = metric_frame(path, outcome="isAccepted", favourable={"1"}, groups=["Gender"])
    assert rates == pytest.approx(frame.by_group.to_dict())
    assert audit.impact_ratio == pytest.approx(frame.ratio(method="between_groups"))
    table = [[group.favourable, group.n - group.favourable] for group in audit.groups]
    assert audit.p_value == pytest.approx(fisher_exact(table).pvalue)


def test_a_bad_upload_gets_the_cores_clear_message(personas, client_for, tmp_path):
    path = tmp_path / "decisions.csv"
    path.write_text("outcome,team\nyes,a\nno,b\n")
    response = upload(client_for(personas.pia), path, outcome_column="missing", favourable="yes",
                      group_columns="team")
    assert "Column &#x27;missing&#x27; is not in the uploaded file" in response.content.decode()


def population(organisation, ladder, manager):
    members = ([Member(f"North {i}", "north", outcome="exceeds" if i < 12 else "meets", ready=i < 8,
                       sex="F" if i % 2 else "M", race="A" if i % 3 else "B") for i in range(20)]
               + [Member(f"South {i}", "south", outcome="exceeds" if i < 4 else "meets", ready=i < 2,
                         proposed="meets" if i < 4 else "", sex="F" if i % 2 else "M", race="A")
                  for i in range(20)]
               + [Member(f"East {i}", "east", sex="F" if i % 2 else "M", race="B") for i in range(6)]
               + [Member("Tiny 0", "tiny", outcome="needs_support", proposed="meets", sex="", race="")])
    people = make_people(organisation, ladder, manager, members)
    return people, members, decided_cycle(people, members)


def test_a_decided_cycle_is_audited_on_every_standard_cut(personas, client_for, organisation, ladder):
    people, members, cycle = population(organisation, ladder, personas.mo)
    response = client_for(personas.pia).get("/fairness/outcomes/", {"cycle": cycle.pk})
    assert response.status_code == 200
    results = {(r.measure.key, r.cut.key): r for r in response.context["results"]}
    exceeds_by_team = results[("exceeds", "team")]
    groups = {group.group: group for group in exceeds_by_team.event.groups}
    assert (groups["north"].n, groups["north"].favourable) == (20, 12)
    assert (groups["south"].n, groups["south"].favourable) == (20, 4)
    # "tiny" holds one person: withheld, and so is the next-smallest (the rule stops subtraction).
    assert set(exceeds_by_team.event.suppressed) == {"tiny", "east"}
    assert exceeds_by_team.four_fifths_flag is True
    page = response.content.decode()
    assert "Tiny 0" not in page
    assert {cut.key for cut in response.context["table"].cuts} >= {"team", "level", "workload_class", "tenure_band",
                                                                   "region", "work_modality", "manager"}


def test_the_audit_tables_name_teams_and_classes_in_words_not_stored_keys(personas, client_for, organisation,
                                                                        ladder):
    _, _, cycle = population(organisation, ladder, personas.mo)
    Team.objects.filter(slug="north").update(name="Northern Lights")
    page = client_for(personas.pia).get("/fairness/outcomes/", {"cycle": cycle.pk}).content.decode()
    assert '<th scope="row">Northern Lights</th>' in page and "(highest: Northern Lights)" in page
    assert '<th scope="row">north</th>' not in page and '<th scope="row">tiny</th>' not in page
    assert '<th scope="row">Product</th>' in page and '<th scope="row">product</th>' not in page


def test_the_cycle_audit_downloads_as_csv_with_withheld_groups_listed(personas, client_for, organisation, ladder):
    _, _, cycle = population(organisation, ladder, personas.mo)
    response = client_for(personas.pia).get("/fairness/outcomes/", {"cycle": cycle.pk, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    promotion_by_team = {row["group"]: row for row in rows if row["measure"] == "promotion" and row["cut"] == "team"}
    assert promotion_by_team["north"]["count"] == "8" and promotion_by_team["tiny"]["n"] == "withheld"


@pytest.mark.usefixtures("demographics_allowed")
def test_protected_attributes_are_joined_in_memory_and_the_read_is_logged(personas, client_for, organisation, ladder):
    from brightline.audit.models import AuditEntry
    from brightline.fairness.demographics import import_demographics

    people, members, cycle = population(organisation, ladder, personas.mo)
    import_demographics(demographics_csv(people, members), actor=personas.pia)
    response = client_for(personas.pia).get("/fairness/outcomes/", {"cycle": cycle.pk})
    results = {(r.measure.key, r.cut.key): r for r in response.context["results"]}
    by_sex = results[("promotion", "sex_or_gender")].event
    # One person did not disclose: withheld, with the next-smallest group so it cannot be subtracted out.
    assert "not disclosed" in by_sex.suppressed and len(by_sex.suppressed) == 2
    assert {group.group for group in by_sex.groups} <= {"F", "M"} and by_sex.unknown_count is None
    assert ("sex_or_gender", "race_or_ethnicity") in {cut.columns for cut in response.context["table"].cuts}
    read = AuditEntry.objects.filter(action="fairness.demographics.read").last()
    assert read.actor_id == personas.pia.pk
    assert set(read.data["attributes"]) >= {"sex_or_gender", "race_or_ethnicity"}
    run = AuditEntry.objects.filter(action="fairness.outcome_audit.run").last()
    assert "sex_or_gender" in run.data["protected_attributes"]


def test_an_uploaded_cycle_export_is_audited_like_the_cycle(personas, client_for, organisation, ladder, tmp_path):
    from brightline.reviews.cli import render_export

    _, _, cycle = population(organisation, ladder, personas.mo)
    path = tmp_path / "export.csv"
    path.write_text(render_export(cycle, "csv"))
    uploaded = upload(client_for(personas.pia), path)
    direct = client_for(personas.pia).get("/fairness/outcomes/", {"cycle": cycle.pk})

    def numbers(response):
        return {(r.measure.key, r.cut.key): (r.impact_ratio, r.suppressed) for r in response.context["results"]}

    assert numbers(uploaded) == numbers(direct)


def test_adverse_outcomes_apply_four_fifths_to_avoiding_them(personas, client_for, organisation, ladder):
    _, _, cycle = population(organisation, ladder, personas.mo)
    response = client_for(personas.pia).get("/fairness/outcomes/", {"cycle": cycle.pk})
    needs_support = {(r.measure.key, r.cut.key): r for r in response.context["results"]}[("needs_support", "team")]
    # Only the withheld one-person team has "needs support": nothing published to compare.
    assert needs_support.event is not None
    assert all(group.favourable == 0 for group in needs_support.event.groups)
