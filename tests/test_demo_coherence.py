"""The demo is one coherent organisation anchored at the day it is built for: the same seed builds the same records
with the same timestamps, nothing in it happens after its "today", its audit trail verifies, and every
persona can log in and open the pages their role is for. Then what it holds, area by area: delivery history with
a trend break, explained signals, review cycles with a calibration change and an appeal, a support plan, a
promotion case and a growth history.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, time, timedelta
from html import unescape

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models, transaction

from brightline.demo import DEMO_PASSWORD, demo_today, load_demo
from tests.demo_helpers import (
    DEMO_SEED,
    PERSONA_USERNAMES,
    demo_cycle_name,
    demo_objects,
    demo_transaction,
    reset_sequences,
    should_see,
)

# The apps whose tables hold the demo's history (people: the organisation itself).
HISTORY_APPS = ("people", "evidence", "feedback", "reviews", "support", "insights")
# The fairness history the demo builds (demographics, HRIS movements, survey answers): also the same for a seed.
FAIRNESS_HISTORY = ("fairness.DemographicRecord", "governance.HrisEvent", "governance.SurveyResponse")
# Fields that may hold a moment after the demo's "today", and why.
NOT_DEMO_HISTORY = {
    "audit.AuditEntry.created_at": "audit entries record when the demo was really loaded",
    "audit.AccessLog.at": "access-log rows record real reads",
    "auth.User.last_login": "logins are real events",
    "people.SignedInSession.signed_in_at": "sign-ins are real events",
    "people.LogoutTokenSeen.expires_at": "a used logout token is kept until it expires, in the future",
    "sessions.Session.expire_date": "a session expires in the future by design",
    "policy.Policy.updated_at": "the policy row is created on first read, a real event, not demo history",
    "support.SupportPlan.ends_on": "the demo's support plan is in progress: it ends after today by design",
    "goals.Goal.due_on": "the demo's goals are in progress: they are due after today by design",
}


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every history table, all columns, in id order."""
    rows = {}
    for config in (apps.get_app_config(label) for label in HISTORY_APPS):
        for model in config.get_models(include_auto_created=True):
            names = [field.attname for field in model._meta.concrete_fields]
            rows[model._meta.label] = list(model.objects.order_by("pk").values_list(*names))
    for label in FAIRNESS_HISTORY:
        model = apps.get_model(label)
        names = [field.attname for field in model._meta.concrete_fields]
        rows[label] = list(model.objects.order_by("pk").values_list(*names))
    from brightline.policy.services import get_policy

    rows["policy.allowed_sources"] = [tuple(get_policy().allowed_sources)]
    return rows


@pytest.fixture(scope="module")
def demo_loads(django_db_setup, django_db_blocker):
    """Load the demo twice from the same empty state with the same seed; keep the second for the tests."""
    with django_db_blocker.unblock(), transaction.atomic():
        reset_sequences()
        load_demo(seed=DEMO_SEED)
        first = snapshot()
        transaction.set_rollback(True)
    with demo_transaction(django_db_blocker):
        with django_db_blocker.unblock():
            reset_sequences()
            load_demo(seed=DEMO_SEED)
            second = snapshot()
            objects = demo_objects()
        yield first, second, objects


def test_the_same_seed_builds_the_same_records_with_the_same_timestamps(demo_loads):
    first, second, _objects = demo_loads
    assert first.keys() == second.keys()
    for label in first:
        assert first[label] == second[label], f"{label} differs between two loads with the same seed"
    # Not vacuous: the history tables that had the real clock's stamps are full.
    for label in (*FAIRNESS_HISTORY, "policy.allowed_sources", "feedback.FeedbackRequest", "feedback.Checkpoint",
                  "reviews.Review", "reviews.DecisionMemo", "support.SupportPlan", "insights.Signal",
                  "evidence.EvidenceItem"):
        assert first[label], label


def date_fields():
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if isinstance(field, models.DateField):  # DateTimeField is a DateField too
                yield model, field


def test_nothing_in_the_demo_happens_after_its_today(demo_loads, db):
    latest_date = demo_today()
    latest_moment = datetime.combine(latest_date + timedelta(days=1), time(0), tzinfo=UTC)
    late = []
    for model, field in date_fields():
        key = f"{model._meta.label}.{field.name}"
        if key in NOT_DEMO_HISTORY:
            continue
        bound = latest_moment if isinstance(field, models.DateTimeField) else latest_date
        count = model.objects.filter(**{f"{field.name}__gt": bound}).count()
        if count:
            latest = model.objects.order_by(f"-{field.name}").values_list(field.name, flat=True).first()
            late.append(f"{key}: {count} after {bound} (latest {latest})")
    assert late == []


def test_the_history_is_spread_over_the_months_before_today(demo_loads, db):
    from brightline.feedback.models import Accomplishment, Checkpoint, FeedbackRequest
    from brightline.reviews.models import ReviewCycle

    today = demo_today()
    cycles = {c.name: c for c in ReviewCycle.objects.all()}
    older, decided = cycles[demo_cycle_name("older")], cycles[demo_cycle_name("decided")]
    # The first cycle opened 427 days before the demo's "today" (1 September 2025 for 2 November 2026).
    assert older.opened_at.date() == today - timedelta(days=427)
    assert older.closed_at < decided.opened_at
    assert decided.closed_at.date() < today
    for review in decided.reviews.all():
        assert decided.opened_at < review.assessment_submitted_at < decided.closed_at
    for checkpoint in Checkpoint.objects.all():
        assert checkpoint.created_at.date() == checkpoint.held_on
    # Comments about Erin were written on different days over the last months, not all at one moment.
    days = {r.created_at.date() for r in FeedbackRequest.objects.all()}
    days |= {a.created_at.date() for a in Accomplishment.objects.all()}
    assert len(days) >= 4 and min(days) < today - timedelta(days=30)


def test_the_audit_trail_of_the_demo_verifies(demo_loads, db):
    out = io.StringIO()
    call_command("audit", "verify", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["ok"] is True and result["entries"] > 100


@pytest.mark.parametrize("username", PERSONA_USERNAMES)
def test_each_persona_logs_in_and_opens_the_pages_of_their_role(demo_loads, db, client, username):
    _first, _second, objects = demo_loads
    response = client.post("/accounts/login/", {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.content[:500]
    failures = []
    for url in should_see(objects)[username]:
        status = client.get(url).status_code
        if status != 200:
            failures.append(f"{url}: {status}")
    assert failures == []


def test_each_engineer_with_goals_keeps_goals_of_their_own(demo_loads, db):
    from brightline.goals.demo import LEVEL_GOALS, TEAM_GOALS
    from brightline.goals.models import Goal

    titles: dict[object, set[str]] = {}
    for goal in Goal.objects.select_related("owner__level", "owner__team", "owner__user"):
        titles.setdefault(goal.owner, set()).add(goal.title)
    owners = {owner.user.username if owner.user else owner.pk: owner for owner in titles}
    assert len(titles) >= 6 and all(len(owned) == 2 for owned in titles.values())
    # Pat (IC3) shares no goal with Erin (IC2): his are about the refund events he built and helping a newer
    # engineer onto on-call.
    assert titles[owners["erin"]].isdisjoint(titles[owners["pat"]])
    assert "Help a newer engineer take on on-call" in titles[owners["pat"]]
    # No two engineers keep the same goals; the others keep one about their team's work and one for their level.
    assert len({frozenset(owned) for owned in titles.values()}) == len(titles)
    for owner, owned in titles.items():
        if owner.user and owner.user.username in {"erin", "pat"}:
            continue
        assert owned == {TEAM_GOALS[owner.team.slug][0], LEVEL_GOALS[owner.level.code][0]}
    # Each key result rests on evidence of a kind that can show it: a design goal on design work, an on-call goal on
    # incidents, not on whatever item came first.
    from brightline.goals.models import KeyResult

    kinds = {result.description: {item.kind for item in result.evidence.all()}
             for result in KeyResult.objects.filter(goal__owner=owners["erin"]).prefetch_related("evidence")}
    assert kinds["Review four design documents this quarter"] == {"design_review"}
    assert kinds["Write one design document of my own"] == {"design_doc"}
    # Erin has no runbook or drill on record: the runbook result cites nothing rather than an unrelated incident.
    assert kinds["A runbook for stuck retries, tried in a drill"] == set()


def test_each_key_result_rests_on_the_owners_items_that_fit_it_and_reads_what_they_show(demo_loads, db):
    """A key result cites only its owner's items whose kind and subject fit it, and its progress follows them: a
    design-document result rests on design documents the owner wrote, a review result on design reviews, a
    reliability result on incidents, and a result citing nothing reads 0 %. Before, "Write one design document
    of my own" rested on Erin's design review notes at 20 % while she had written two design documents, and the
    idempotency key result rested on a change caching exchange rates."""
    from brightline.goals.models import KeyResult

    reliability = ("runbook", "drill", "incident", "on-call", "alert", "pages")
    checked = {"design document": 0, "review": 0, "reliability": 0, "nothing": 0}
    for result in KeyResult.objects.select_related("goal__owner").prefetch_related("evidence"):
        text, owner, items = result.description.lower(), result.goal.owner, list(result.evidence.all())
        assert all(item.person_id == owner.pk for item in items), (result.description, items)
        if "design document" in text and text.startswith("write"):
            checked["design document"] += 1
            assert {item.kind for item in items} <= {"design_doc"}, (result.description, items)
        elif "design" in text and text.startswith("review"):
            checked["review"] += 1
            assert {item.kind for item in items} <= {"design_review"}, (result.description, items)
        elif any(word in text for word in reliability) and items:
            checked["reliability"] += 1
            assert {item.kind for item in items} <= {"incident_handled", "incident_debrief", "pairing"}, items
        if not items:
            checked["nothing"] += 1
            assert result.progress == 0, result.description
    assert checked["design document"] and checked["review"] and checked["nothing"], checked
    erin = {result.description: result for result in
            KeyResult.objects.filter(goal__owner__user__username="erin").prefetch_related("evidence")}
    # Erin wrote two design documents: one is cited and the result is done; one design review of four is on record.
    written = erin["Write one design document of my own"]
    assert [item.kind for item in written.evidence.all()] == ["design_doc"] and written.progress == 100
    reviewed = erin["Review four design documents this quarter"]
    assert reviewed.progress == 25 * reviewed.evidence.count() and reviewed.evidence.count() == 1
    # The idempotency key rests on her idempotent changes, never on the exchange-rate cache.
    titles = [item.title for item in erin["Every retry path carries an idempotency key"].evidence.all()]
    assert titles and all("idempotent" in title.lower() for title in titles), titles


def test_every_demo_engineers_goals_rest_on_evidence_with_real_titles(demo_loads, db):
    """Every goal of every demo engineer cites at least one item that fits it, and the demo's evidence reads as
    real work: merged changes, releases, incidents and design documents with their own, varied titles. Before, only
    Erin's goals cited anything, since the others' items were placeholders ("Design document by Tomas Urban")."""
    from brightline.evidence.models import EvidenceItem
    from brightline.goals.models import Goal

    goals = list(Goal.objects.select_related("owner__user").prefetch_related("key_results__evidence"))
    uncited = [(goal.owner.name, goal.title) for goal in goals
               if not any(result.evidence.exists() for result in goal.key_results.all())]
    assert len(goals) >= 12 and uncited == [], uncited
    items = list(EvidenceItem.objects.select_related("person"))
    placeholders = [item.title for item in items if item.person is not None
                    and (item.title == f"{item.get_kind_display()} by {item.person.name}"
                         or item.person.name in item.title)]
    assert placeholders == [], placeholders[:5]
    written_up = [item.title for item in items if item.source == "demo-reviews"]
    assert len(set(written_up)) >= 20, sorted(set(written_up))
    others = {goal.owner_id for goal in goals if not (goal.owner.user and goal.owner.user.username in {"erin", "pat"})}
    kinds = {item.kind for item in items if item.person_id in others}
    assert {"merged_change", "incident_handled", "design_doc"} <= kinds, kinds


def test_the_people_partner_is_shown_in_her_own_role_not_an_engineering_level(demo_loads, db, client):
    """Pia is the people partner: her home says so, and never gives her an engineering manager's level."""
    from brightline.people.models import Person

    assert Person.objects.get(user__username="pia").level is None
    client.post("/accounts/login/", {"username": "pia", "password": DEMO_PASSWORD})
    body = client.get("/").content.decode()
    assert "People partner" in body
    assert "Engineering Manager" not in body and "Leads one team of engineers" not in body
    assert "Career ladders" in body


# ---- What the loaded demo holds, area by area. The checks only read the demo (what they write, such as access-log
# rows and sessions, is rolled back with each test's savepoint), so they share this module's load instead of
# loading the demo again each.


def test_the_demo_has_delivery_history_with_a_trend_break_and_citable_items(demo_loads, db):
    from brightline.evidence.demo import TREND_BREAK_SERVICE, TREND_BREAK_WEEKS_AGO
    from brightline.evidence.metrics import service_dora
    from brightline.evidence.models import EvidenceItem, Incident, Service

    assert Service.objects.filter(team__isnull=False).count() >= 8
    assert Incident.objects.exclude(attribution="none").exists()
    today = datetime.combine(demo_today(), datetime.min.time(), tzinfo=UTC)
    service = Service.objects.get(name=TREND_BREAK_SERVICE)
    break_at = today - timedelta(weeks=TREND_BREAK_WEEKS_AGO)
    before = service_dora(service, start=today - timedelta(weeks=20), end=break_at)
    after = service_dora(service, start=break_at, end=today)
    assert after.deployment_frequency_per_week < before.deployment_frequency_per_week / 2
    assert after.lead_time_hours.median > 2 * before.lead_time_hours.median
    kinds = set(EvidenceItem.objects.filter(person__user__username="erin").values_list("kind", flat=True))
    assert {"merged_change", "incident_handled", "design_doc"} <= kinds


def test_the_demo_growth_page_and_team_page_show_explained_signals(demo_loads, db, client):
    from brightline import access
    from brightline.dashboards.inbox import inbox_for
    from brightline.insights.models import Signal
    from brightline.people.models import Person

    erin = Person.objects.get(user__username="erin")
    drift = Signal.objects.get(person=erin, kind="sentiment_drift", is_current=True)
    plotted = [month["month"] for month in drift.detail["months"] if month["shares"] is not None]
    assert len(plotted) >= 2 and drift.enough_data
    summary = Signal.objects.get(person=erin, kind="theme_summary", is_current=True)
    assert summary.statement.startswith("Recurring themes in")
    assert Signal.objects.filter(person=erin, kind="theme", is_current=True).exists()
    team = Signal.objects.get(team=erin.team, kind="theme_summary", is_current=True)
    assert team.enough_data and team.statement.startswith("Recurring themes in")
    # A summary lists its themes, each reviewed on its own: an overview for information, never a finding to review.
    assert summary.lists_findings and team.lists_findings
    assert not summary.is_finding and not team.is_finding and not summary.awaits_review
    # A summary in which no theme recurs finds nothing: information, not something to accept or dismiss.
    quiet = Signal.objects.filter(kind="theme_summary", is_current=True, statement__startswith="No theme recurs yet")
    assert quiet.exists() and not quiet.filter(is_finding=True).exists()

    client.force_login(erin.user)
    page = unescape(client.get("/insights/me/").content.decode())
    assert "Tone of feedback per month" in page and "the self review cites no evidence" in page
    assert "the manager's assessment of leadership" not in page
    client.force_login(Person.objects.get(user__username="mo").user)
    team_page = unescape(client.get(f"/insights/team/{erin.team.slug}/").content.decode())
    assert "Members it is about" in team_page and team.statement.split(":")[0] in team_page
    # H4: no demo signal waits without an owner, and each owner may review it.
    pending = Signal.objects.filter(is_current=True, status=Signal.Status.PENDING).select_related("owner")
    assert pending.exists() and not pending.filter(owner__isnull=True).exists()
    assert all(access.can_review_signal(signal.owner, signal) for signal in pending)
    # The owners find them in "Needs you now" on their home page.
    mo = Person.objects.get(user__username="mo")
    owned = [item for item in inbox_for(mo) if item.kind == "signals"]
    assert owned, "Mo owns the pending signals about his reports"
    client.force_login(mo.user)
    home = unescape(client.get("/").content.decode())
    assert "Needs you now" in home and owned[0].title in home


def test_the_demo_has_two_closed_cycles_where_every_outcome_cites_evidence(demo_loads, db):
    from brightline.reviews.models import DecisionMemo, DimensionAssessment, Phase, ReviewCycle

    cycles = ReviewCycle.objects.filter(phase=Phase.CLOSED).order_by("opened_at")
    assert [(c.name, c.phase) for c in cycles] == [(demo_cycle_name("older"), Phase.CLOSED),
                                                   (demo_cycle_name("decided"), Phase.CLOSED)]
    assert not DimensionAssessment.objects.filter(review__cycle__in=cycles, citations=[]).exists()
    assert DecisionMemo.objects.count() == sum(c.reviews.count() for c in cycles)


def test_every_review_cites_work_done_before_its_cycle_opened(demo_loads, db):
    """A 2025 review never cites 2026 work: each decided review cites items of the half before its cycle
    opened, and the open cycle's assessments cite items done before it opened, named as the sentence names them."""
    from brightline.evidence.models import EvidenceItem
    from brightline.reviews.models import DimensionAssessment, ReviewCycle

    checked = 0
    for cycle in ReviewCycle.objects.order_by("opened_at"):
        cited = {int(ref.split(":")[1]) for refs in DimensionAssessment.objects.filter(review__cycle=cycle)
                 .values_list("citations", flat=True) for ref in refs if ref.startswith("evidence_item:")}
        dates = EvidenceItem.objects.filter(pk__in=cited).values_list("occurred_at", flat=True)
        assert dates and max(dates) < cycle.opened_at, cycle.name
        assert min(dates) >= cycle.opened_at - timedelta(days=200), cycle.name
        checked += len(cited)
    assert checked > 20
    delivery = DimensionAssessment.objects.get(review__cycle__name=demo_cycle_name("draft"),
                                               review__person__user__username="erin", dimension="delivery_results")
    titles = set(EvidenceItem.objects.filter(pk__in=[int(ref.split(":")[1]) for ref in delivery.citations])
                 .values_list("title", flat=True))
    assert titles == {"Idempotent card captures", "Cache FX rates per currency pair"}


def test_the_demo_has_a_draft_packet_whose_uncited_claims_are_flagged(demo_loads, db):
    from brightline.insights.models import Signal
    from brightline.reviews.models import Phase, ReviewCycle

    draft = ReviewCycle.objects.get(name=demo_cycle_name("draft"))
    assert draft.phase == Phase.MANAGER_ASSESSMENT and not draft.reviews.filter(memo__isnull=False).exists()
    review = draft.reviews.get(person__user__username="erin")
    flagged = set(Signal.objects.filter(person=review.person, is_current=True, status="pending",
                                        key__startswith=f"missing_evidence:packet:{review.pk}:")
                  .values_list("key", flat=True))
    prefix = f"missing_evidence:packet:{review.pk}:"
    # The self review, Mo's leadership assessment and his summary cite nothing; the cited ones are not flagged.
    assert flagged == {f"{prefix}self_review:context", f"{prefix}assessment:leadership",
                       f"{prefix}narrative:manager_summary"}
    # The self-review step has closed: Erin's check is information, not a question for her; Mo's are his.
    asked = dict(Signal.objects.filter(key__in=flagged, is_current=True).values_list("key", "is_finding"))
    assert asked == {f"{prefix}self_review:context": False, f"{prefix}assessment:leadership": True,
                     f"{prefix}narrative:manager_summary": True}
    assert not Signal.objects.filter(owner=review.person, status="pending", is_current=True, is_finding=True,
                                     key__startswith="missing_evidence:packet:").exists()


def test_the_demo_records_a_calibration_change_with_its_reason_and_an_appeal(demo_loads, db):
    from brightline.reviews.models import CalibrationChange, DecisionMemo, ReviewCycle

    change = CalibrationChange.objects.filter(source="calibration", assessment__review__person__user__username="erin")
    assert change.exists() and "incident debrief" in change.get().reason and change.get().citations
    decided = demo_cycle_name("decided")
    erin_memo = DecisionMemo.objects.get(review__person__user__username="erin", review__cycle__name=decided)
    assert erin_memo.sections["calibration_changes"] and erin_memo.accountable.user.username == "lee"
    assert ReviewCycle.objects.get(name=decided).reviews.get(person__user__username="pat").appeals.exists()


def test_the_demo_support_plan_is_active_with_check_ins_and_the_employees_voice(demo_loads, db):
    from brightline.support.models import SupportPlan

    plan = SupportPlan.objects.get()
    assert plan.status == "active" and plan.diagnosis == "temporary_overload"
    assert plan.check_ins.count() == 2 and plan.comments.get().author == plan.person


def test_the_demo_has_a_promotion_case_with_cited_evidence_and_a_panel_outside_the_chain(demo_loads, db, client):
    from brightline.people.models import Person
    from brightline.promotions import services
    from brightline.promotions.models import PromotionCase

    case = PromotionCase.objects.select_related("person", "nominated_by").get()
    assert (case.person.name, case.nominated_by.name, case.status) == ("Pat Nguyen", "Mo Haddad", "panel")
    assert case.citations.count() >= 4
    seats = list(case.panelists.select_related("person"))
    assert len(seats) >= services.MIN_PANEL_SIZE and all(seat.conflict == "" for seat in seats)
    chain = {case.person.manager_id, case.person.manager.manager_id}
    assert not chain & {seat.person_id for seat in seats}
    pat = Person.objects.get(name="Pat Nguyen")
    client.force_login(pat.user)
    assert client.get(f"/promotions/{case.pk}/").status_code == 200
    client.force_login(Person.objects.get(name="Erin Okafor").user)
    assert client.get(f"/promotions/{case.pk}/").status_code == 403


def test_the_demo_builds_a_deterministic_growth_history(demo_loads, db, client_for):
    from brightline.feedback import services
    from brightline.feedback.models import Accomplishment, Checkpoint, FeedbackRequest, ImpactDraft
    from brightline.people.models import Person

    erin, mo = Person.objects.get(user__username="erin"), Person.objects.get(user__username="mo")
    assert Accomplishment.objects.filter(person=erin, period="2026-H2").count() == 4
    assert Accomplishment.objects.filter(person=erin, risk_not_worked_out=True).count() == 1
    assert all(item.evidence.exists() for item in Accomplishment.objects.filter(person=erin))
    assert Checkpoint.objects.filter(person=erin).count() == 3
    upward = FeedbackRequest.objects.get(subject=mo, anonymous=True)
    view = services.visible_feedback(upward)
    assert view.total >= 3 and len(view.responses) >= 3 and view.themes is not None
    assert ImpactDraft.objects.filter(person=erin).get().rejected_sentences == []
    assert services.manager_training_complete(mo)
    for path in ("/growth/", "/growth/drafts/", "/growth/inbox/"):
        assert client_for(erin).get(path).status_code == 200
    assert "Upward feedback" in client_for(mo).get(f"/growth/requests/{upward.pk}/").content.decode()
