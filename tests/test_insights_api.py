"""The AI-signals JSON API: every persona on every endpoint (allowed and refused, refusals name nobody),
logged reads, accept/dismiss with a reason under the API's CSRF and token rules, the OpenAPI schema."""

from __future__ import annotations

import json

import pytest

from brightline.audit.models import AccessLog, AuditEntry
from brightline.people.models import AccessRole, Person
from brightline.people.tokens import create_api_token
from tests.test_insights_review import make_signal
from tests.test_insights_team_themes import make_person

PERSONAS = ("erin", "mo", "pat", "lee", "pia", "oscar", "olga")


def persona(personas, name):
    return Person.objects.get(user__username="olga") if name == "olga" else getattr(personas, name)


@pytest.fixture
def signals(personas):
    from brightline.insights.models import Signal

    erin = make_signal(personas.erin)
    Signal.objects.filter(pk=erin.pk).update(detail={"quotes": [
        {"text": "Her reviews catch real bugs.", "author_id": str(personas.pat.pk), "anonymous": False}]})
    team_break = make_signal(team=personas.erin.team, kind="trend_break", key="trend_break:payments:lead_time")
    Signal.objects.filter(pk=team_break.pk).update(owner=personas.mo)
    summary = make_signal(team=personas.erin.team, kind="theme_summary", key="theme_summary")
    Signal.objects.filter(pk=summary.pk).update(
        statement="Recurring themes in 6 comments from 4 people: Code quality.", detail={
            "themes": [{"theme": "code_quality", "label": "Code quality", "comments": 6, "authors": 4,
                        "concern_authors": 3, "trend": "flat", "enough_data": True, "members": 2}],
            "comments": 6, "authors": 4, "members": 2})
    return {"erin": Signal.objects.get(pk=erin.pk), "team": team_break, "summary": summary}


def others_named(body: str, viewer) -> list[str]:
    return [p.name for p in Person.objects.exclude(pk=viewer.pk) if p.name in body]


def post(client, url, payload):
    return client.post(url, data=json.dumps(payload), content_type="application/json")


ALLOWED_GETS = {
    "person": {"erin", "mo", "lee"},
    "signal": {"erin", "mo", "lee"},
    "team": {"mo", "lee", "pia"},
    "themes": {"mo", "lee", "pia"},
    "transparency": set(PERSONAS),
}


def get_url(kind: str, personas, signals) -> str:
    return {
        "person": f"/api/insights/people/{personas.erin.pk}/signals",
        "signal": f"/api/insights/signals/{signals['erin'].pk}",
        "team": "/api/insights/teams/payments/signals",
        "themes": "/api/insights/teams/payments/themes",
        "transparency": "/api/insights/transparency",
    }[kind]


@pytest.mark.parametrize("kind", list(ALLOWED_GETS))
@pytest.mark.parametrize("who", PERSONAS)
def test_every_persona_on_every_read(personas, signals, client_for, kind, who):
    viewer = persona(personas, who)
    response = client_for(viewer).get(get_url(kind, personas, signals))
    if who in ALLOWED_GETS[kind]:
        assert response.status_code == 200, response.content
    else:
        assert response.status_code == 403
        assert others_named(response.content.decode(), viewer) == []
        assert not AccessLog.objects.filter(viewer=viewer).exists()


def test_a_persons_signals_carry_kind_statement_confidence_window_status_items_and_model(personas, signals,
                                                                                         client_for):
    [signal] = client_for(personas.erin).get(f"/api/insights/people/{personas.erin.pk}/signals").json()
    assert signal["kind"] == "theme" and signal["statement"].startswith("Code quality comes up")
    assert signal["confidence"] == {"label": "emerging", "items": 6, "authors": 4, "span_days": 80,
                                    "agreement": "single_layer", "reasons": []}
    assert signal["window"] == {"start": "2026-05-01", "end": "2026-10-31"}
    assert signal["status"] == "pending" and signal["citable"] is False and signal["review"] is None
    assert signal["item_refs"] == [{"kind": "feedback_response", "id": "1"}]
    assert signal["model"] == {"name": "minilm-static", "version": "minilm-static@abc"}
    # The page says "named writer"; the API does not say which colleague wrote a quoted sentence either.
    assert signal["detail"]["quotes"] == [{"text": "Her reviews catch real bugs.", "anonymous": False}]


@pytest.mark.parametrize("who", ["mo", "lee"])
def test_the_chain_reading_a_persons_signals_is_logged_and_own_reads_are_not(personas, signals, client_for, who):
    viewer = getattr(personas, who)
    client_for(viewer).get(f"/api/insights/people/{personas.erin.pk}/signals")
    client_for(viewer).get(f"/api/insights/signals/{signals['erin'].pk}")
    logged = AccessLog.objects.filter(viewer=viewer, subject=personas.erin, record="insights.signals", via="api")
    assert logged.count() == 2
    client_for(personas.erin).get(f"/api/insights/people/{personas.erin.pk}/signals")
    assert not AccessLog.objects.filter(viewer=personas.erin).exists()


def test_a_teams_signals_list_its_breaks_with_their_owner(personas, signals, client_for):
    found = client_for(personas.pia).get("/api/insights/teams/payments/signals").json()
    by_kind = {s["kind"]: s for s in found}
    assert set(by_kind) == {"trend_break", "theme_summary"}
    assert by_kind["trend_break"]["owner_id"] == personas.mo.pk and by_kind["trend_break"]["team"] == "payments"


def test_a_leader_outside_the_line_gets_team_theme_counts_only(personas, signals, client_for):
    lena = make_person("lena", "Lena Otherleader", role=AccessRole.LEADER)
    for username in ("sam", "kim"):
        make_person(username, f"{username.title()} Member", manager=personas.mo, team=personas.erin.team)
    assert client_for(lena).get("/api/insights/teams/payments/signals").status_code == 403
    themes = client_for(lena).get("/api/insights/teams/payments/themes").json()
    assert themes["aggregates_only"] is True and themes["withheld"] is False
    assert themes["themes"] == [{"theme": "code_quality", "label": "Code quality", "comments": 6, "authors": 4,
                                 "concern_authors": 3, "trend": "flat", "enough_data": True, "members": None}]
    full = client_for(personas.mo).get("/api/insights/teams/payments/themes").json()
    assert full["aggregates_only"] is False and full["themes"][0]["members"] == 2


def test_a_leader_gets_nothing_of_a_team_below_the_minimum_cohort(personas, signals, client_for):
    lena = make_person("lena", "Lena Otherleader", role=AccessRole.LEADER)
    themes = client_for(lena).get("/api/insights/teams/payments/themes").json()
    assert themes["withheld"] is True and themes["themes"] == [] and themes["statement"] == ""


def test_a_team_without_a_summary_yet_is_not_found(personas, client_for):
    response = client_for(personas.mo).get("/api/insights/teams/payments/themes")
    assert response.status_code == 404 and "after the next insights run" in response.json()["detail"]


@pytest.mark.parametrize("decision", ["accept", "dismiss"])
@pytest.mark.parametrize("who", PERSONAS)
def test_every_persona_accepting_or_dismissing_a_persons_signal(personas, signals, client_for, decision, who):
    viewer = persona(personas, who)
    signal = signals["erin"]
    response = post(client_for(viewer), f"/api/insights/signals/{signal.pk}/{decision}",
                    {"reason": "Checked against the retro notes."})
    signal.refresh_from_db()
    if who in {"erin", "mo", "lee"}:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == signal.status == ("accepted" if decision == "accept" else "dismissed")
        assert response.json()["review"]["reason"] == "Checked against the retro notes."
        entry = AuditEntry.objects.get(action=f"insights.signal.{decision}ed")
        assert entry.actor_id == viewer.pk and entry.data["reason"] == "Checked against the retro notes."
    else:
        assert response.status_code == 403
        assert others_named(response.content.decode(), viewer) == []
        assert signal.status == "pending"
        assert not AuditEntry.objects.filter(action__startswith="insights.signal.").exists()


@pytest.mark.parametrize("who", PERSONAS)
def test_every_persona_accepting_a_team_signal(personas, signals, client_for, who):
    viewer = persona(personas, who)
    response = post(client_for(viewer), f"/api/insights/signals/{signals['team'].pk}/accept",
                    {"reason": "The lead time did jump after the freeze."})
    # People partners see team signals but only the team's managers review them.
    assert response.status_code == (200 if who in {"mo", "lee"} else 403)
    if response.status_code == 403:
        assert others_named(response.content.decode(), viewer) == []


def test_a_review_without_a_reason_or_twice_is_refused(personas, signals, client_for):
    url = f"/api/insights/signals/{signals['erin'].pk}"
    empty = post(client_for(personas.mo), f"{url}/dismiss", {"reason": "  "})
    assert empty.status_code == 400 and empty.json()["detail"].startswith("Say why")
    assert post(client_for(personas.mo), f"{url}/accept", {"reason": "Fits."}).status_code == 200
    again = post(client_for(personas.erin), f"{url}/dismiss", {"reason": "Disagree."})
    assert again.status_code == 400 and "already accepted" in again.json()["detail"]


def test_a_session_post_needs_the_csrf_token_and_a_token_does_not(client, personas, signals, client_for):
    url = f"/api/insights/signals/{signals['erin'].pk}/dismiss"
    refused = post(client_for(personas.mo, enforce_csrf_checks=True), url, {"reason": "Not what happened."})
    assert refused.status_code == 403
    key = create_api_token(personas.mo, name="script", actor=personas.mo, scope="write")
    accepted = client.post(url, data=json.dumps({"reason": "Not what happened."}), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {key}")
    assert accepted.status_code == 200 and accepted.json()["status"] == "dismissed"
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.erin, via="api").exists()


def test_anonymous_callers_are_refused(client, signals, personas):
    assert client.get(f"/api/insights/people/{personas.erin.pk}/signals").status_code == 401
    assert post(client, f"/api/insights/signals/{signals['erin'].pk}/accept", {"reason": "x"}).status_code == 401


def test_the_transparency_report_names_its_datasets_and_measured_numbers(personas, client_for):
    report = {entry["kind"]: entry for entry in client_for(personas.oscar).get("/api/insights/transparency").json()}
    assert {"theme", "sentiment_drift", "trend_break", "missing_evidence"} <= set(report)
    datasets = {figure["dataset"] for figure in report["sentiment_drift"]["accuracy"]}
    assert "Senti4SD test split" in datasets
    assert all(entry["cannot_infer"] and entry["human_review"] for entry in report.values())
    for kind in ("theme", "sentiment_drift", "trend_break", "contradiction", "tone_check", "narrative_check"):
        assert report[kind]["accuracy"] and all(figure["built"] for figure in report[kind]["accuracy"]), kind
    assert {"unsupported_claim", "missing_evidence", "narrative_check"} <= set(report)


def test_the_signal_endpoints_are_in_the_openapi_schema(personas, client_for):
    paths = client_for(personas.erin).get("/api/openapi.json").json()["paths"]
    for path, method in (("/api/insights/people/{person_id}/signals", "get"),
                         ("/api/insights/teams/{slug}/signals", "get"),
                         ("/api/insights/teams/{slug}/themes", "get"),
                         ("/api/insights/signals/{signal_id}", "get"),
                         ("/api/insights/signals/{signal_id}/accept", "post"),
                         ("/api/insights/signals/{signal_id}/dismiss", "post"),
                         ("/api/insights/transparency", "get")):
        assert method in paths[path], path
    schema = paths["/api/insights/signals/{signal_id}/accept"]["post"]
    assert "reason" in json.dumps(schema["requestBody"]) or "ReviewIn" in json.dumps(schema["requestBody"])


def test_a_signal_that_does_not_exist_is_not_found(personas, client_for):
    response = client_for(personas.mo).get("/api/insights/signals/999999")
    assert response.status_code == 404 and others_named(response.content.decode(), personas.mo) == []
