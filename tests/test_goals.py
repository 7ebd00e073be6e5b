"""Goals (I3, H1): the engineer owns them, their management chain reads them (logged), progress cites evidence."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from brightline.audit.models import AccessLog
from brightline.goals import services
from brightline.goals.models import Goal, KeyResult
from brightline.goals.services import GoalDraft, GoalError, KeyResultDraft, end_of_quarter
from tests.conftest import audit_actions
from tests.reviews_helpers import make_evidence

DUE = dt.date(2027, 3, 31)


def goal_for(person, *, evidence=None, progress=40):
    items = evidence if evidence is not None else make_evidence(person, 2)
    return services.save_goal(person, actor=person, draft=GoalDraft(
        "Make retries safe", "No customer is charged twice.", DUE,
        key_results=[KeyResultDraft("Idempotency keys everywhere", progress, [item.pk for item in items]),
                     KeyResultDraft("Runbook tried in a drill", 10)]))


def test_the_owner_sets_a_goal_whose_progress_cites_their_evidence(personas):
    items = make_evidence(personas.erin, 2)
    goal = goal_for(personas.erin, evidence=items, progress=60)
    first, second = goal.key_results.all()
    assert sorted(first.evidence.values_list("pk", flat=True)) == sorted(item.pk for item in items)
    assert (first.progress, second.progress, goal.progress) == (60, 10, 35)
    assert audit_actions()[-1] == "goals.goal.created"


def test_citing_evidence_the_owner_may_not_see_is_refused_and_nothing_is_written(personas):
    foreign = make_evidence(personas.oscar, 1)
    with pytest.raises(GoalError, match="Key result 1: cite only evidence you can see"):
        goal_for(personas.erin, evidence=foreign)
    assert not Goal.objects.exists() and not KeyResult.objects.exists()


@pytest.mark.parametrize("progress", [101, -1, "half"])
def test_progress_outside_zero_to_hundred_is_refused(personas, progress):
    with pytest.raises(GoalError, match="progress is a whole number from 0 to 100"):
        goal_for(personas.erin, progress=progress)


def test_an_update_that_is_refused_keeps_the_goal_as_it_was(personas):
    goal = goal_for(personas.erin)
    with pytest.raises(GoalError):
        services.save_goal(personas.erin, actor=personas.erin, goal=goal, draft=GoalDraft(
            "Changed", "Changed", DUE, key_results=[KeyResultDraft("x", 500)]))
    goal.refresh_from_db()
    assert goal.title == "Make retries safe" and goal.key_results.count() == 2


def test_only_the_owner_writes_their_goals(personas):
    goal = goal_for(personas.erin)
    with pytest.raises(GoalError, match="Only the owner"):
        services.save_goal(personas.erin, actor=personas.mo, goal=goal,
                           draft=GoalDraft("Mine now", "x", DUE))


def test_a_new_goal_is_due_at_the_end_of_the_running_quarter():
    assert end_of_quarter(dt.date(2026, 12, 6)) == dt.date(2026, 12, 31)
    assert end_of_quarter(dt.date(2027, 2, 1)) == dt.date(2027, 3, 31)
    assert end_of_quarter(dt.date(2027, 9, 30)) == dt.date(2027, 9, 30)


@pytest.mark.parametrize("persona,status", [("mo", 200), ("lee", 200), ("pat", 403), ("oscar", 403),
                                            ("pia", 403)])
def test_the_management_chain_reads_goals_and_each_read_is_logged(personas, client_for, persona, status):
    goal_for(personas.erin)
    response = client_for(getattr(personas, persona)).get(f"/goals/people/{personas.erin.pk}/")
    assert response.status_code == status
    logged = AccessLog.objects.filter(subject=personas.erin, record="goals.goals").count()
    assert logged == (1 if status == 200 else 0)
    if status == 200:
        assert "Make retries safe" in response.content.decode() and "Update progress" not in response.content.decode()
        # Erin reads what was read in words, never the stored key.
        log = client_for(personas.erin).get("/me/access-log/").content.decode()
        assert "<td>Goals</td>" in log and "goals.goals" not in log


def test_the_owner_sets_a_goal_in_the_browser_and_a_manager_may_not_edit_it(personas, client_for):
    items = make_evidence(personas.erin, 1)
    erin = client_for(personas.erin)
    page = erin.get("/goals/new/").content.decode()
    assert f'value="{end_of_quarter(dt.date.today()).isoformat()}"' in page and items[0].title in page
    response = erin.post("/goals/new/", {"title": "Ship the ledger", "success": "Ledger live", "due_on": "2027-03-31",
                                         "status": "in_progress", "kr-0-description": "Migrate 3 services",
                                         "kr-0-progress": "30", "kr-0-evidence": [str(items[0].pk)]})
    assert response.status_code == 302
    goal = Goal.objects.get(owner=personas.erin)
    assert list(goal.key_results.get().evidence.all()) == items
    assert "Ship the ledger" in erin.get("/").content.decode()
    assert client_for(personas.mo).get(f"/goals/{goal.pk}/edit/").status_code == 403
    assert client_for(personas.mo).post(f"/goals/{goal.pk}/delete/").status_code == 403
    refused = erin.post(f"/goals/{goal.pk}/edit/", {"title": "", "success": "x", "due_on": "2027-03-31"})
    assert refused.status_code == 400 and "Give the goal a title" in refused.content.decode()
    unreadable = erin.post(f"/goals/{goal.pk}/edit/",
                           {"title": "Ship the ledger", "success": "x", "due_on": "31/03/2027"})
    assert unreadable.status_code == 400 and "Due date: “31/03/2027” is not a date" in unreadable.content.decode()
    goal.refresh_from_db()
    assert goal.due_on == dt.date(2027, 3, 31)
    assert erin.post(f"/goals/{goal.pk}/delete/").status_code == 302 and not Goal.objects.exists()


def test_the_api_pages_goals_and_logs_a_managers_read(personas, client_for):
    for _ in range(3):
        goal_for(personas.erin)
    erin = client_for(personas.erin)
    body = {"title": "Via API", "success": "Done", "due_on": "2027-01-31",
            "key_results": [{"description": "One", "progress": 100}]}
    created = erin.post("/api/goals", json.dumps(body), content_type="application/json")
    assert created.status_code == 201 and created.json()["progress"] == 100
    assert len(erin.get("/api/goals?limit=2").json()) == 2
    assert len(erin.get("/api/goals?limit=2&offset=2").json()) == 2
    mo = client_for(personas.mo)
    assert len(mo.get(f"/api/goals?person_id={personas.erin.pk}").json()) == 4
    assert AccessLog.objects.filter(subject=personas.erin, record="goals.goals", via="api").count() == 1
    assert client_for(personas.oscar).get(f"/api/goals?person_id={personas.erin.pk}").status_code == 403
    goal_id = created.json()["id"]
    assert mo.put(f"/api/goals/{goal_id}", json.dumps(body), content_type="application/json").status_code == 403
    bad = erin.put(f"/api/goals/{goal_id}", json.dumps({**body, "key_results": [{"description": "x",
                                                                                    "progress": 140}]}),
                   content_type="application/json")
    assert bad.status_code == 400 and "0 to 100" in bad.json()["detail"]


def test_the_openapi_schema_documents_paged_goals(client_for, personas):
    schema = client_for(personas.erin).get("/api/openapi.json").json()
    parameters = {p["name"] for p in schema["paths"]["/api/goals"]["get"]["parameters"]}
    assert {"limit", "offset", "person_id"} <= parameters


def test_the_data_download_holds_the_goals(personas):
    from brightline.operations.data_rights import export_personal_data

    goal_for(personas.erin)
    goals = export_personal_data(personas.erin)["goals"]
    assert goals[0]["title"] == "Make retries safe" and goals[0]["status"] == "In progress"
    assert goals[0]["key_results"][0]["evidence"][0]["title"].startswith("Change ")
    assert export_personal_data(personas.mo)["goals"] == []


def test_a_managers_record_links_lead_to_the_goals(personas):
    from brightline.dashboards.team import record_links

    links = {label: url for label, url, _holds in record_links(personas.mo, personas.erin)}
    assert links["Goals"] == f"/goals/people/{personas.erin.pk}/"
    assert "Goals" not in {label for label, _url, _holds in record_links(personas.pat, personas.erin)}
