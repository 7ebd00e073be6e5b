"""``brightline demo load --size large``: a generated organisation, tried here at a tiny size.

The full size (10,000 people, three years) is a benchmark input (bench/bench_dashboards.py), never
part of the test run; these tests pin what every size has: the hierarchy's spans, determinism for a
seed, a login per role, and an audit chain that verifies after the bulk writes.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import models, transaction

from brightline.demo import DEMO_PASSWORD
from brightline.demo_large import SPAN_MAX, SPAN_MIN
from brightline.evidence.models import CommitRecord, EvidenceItem, PullRequest, Remediation, TimeOff
from brightline.fairness.models import DemographicRecord
from brightline.feedback.models import (
    Accomplishment,
    Checkpoint,
    FeedbackResponse,
    ImpactDraft,
    OneOnOneNote,
)
from brightline.governance.models import HrisEvent, SurveyResponse
from brightline.people.models import AccessRole, Person, Team
from brightline.reviews.models import Appeal, CalibrationChange, DecisionMemo, Phase, PreVote, ReviewCycle

pytestmark = pytest.mark.django_db

PEOPLE = 60


def load(*args: str) -> dict:
    out = io.StringIO()
    call_command("demo", "load", "--size", "large", "--people", str(PEOPLE), "--years", "1", "--json", *args,
                 stdout=out)
    return json.loads(out.getvalue())


def fingerprint() -> list[tuple]:
    people = sorted(Person.objects.values_list("employee_id", "name", "manager__employee_id", "team__slug",
                                                "level__code", "start_date"))
    feedback = sorted(FeedbackResponse.objects.values_list("request__subject__employee_id", "what_they_did"))
    commits = sorted(CommitRecord.objects.values_list("sha", "person__employee_id", "authored_at"))
    # Ids differ from one build to the next on PostgreSQL (its sequences are not rolled back): texts without them.
    remediations = sorted(Remediation.objects.values_list("external_id", "kind", "failed_deployment__external_id",
                                                          "remediation_deployment__external_id"))
    memos = sorted((employee_id, cycle, accountable, json.dumps([(row["dimension"], row["final"], digitless(
        row["rationale"])) for row in sections["outcomes"]]), len(sections["dissent"]))
        for employee_id, cycle, accountable, sections in DecisionMemo.objects.values_list(
            "review__person__employee_id", "review__cycle__name", "accountable__employee_id", "sections"))
    changes = sorted((employee_id, dimension, source, outcome, digitless(reason))
                     for employee_id, dimension, source, outcome, reason in CalibrationChange.objects.values_list(
                         "assessment__review__person__employee_id", "assessment__dimension", "source", "to_outcome",
                         "reason"))
    votes = sorted(PreVote.objects.values_list("review__person__employee_id", "panelist__employee_id", "dimension",
                                               "outcome"))
    growth = sorted(OneOnOneNote.objects.values_list("person__employee_id", "held_on", "author__employee_id", "body"))
    checkpoints = sorted((employee_id, label, digitless(wins)) for employee_id, label, wins in
                         Checkpoint.objects.values_list("person__employee_id", "label", "wins"))
    drafts = sorted((employee_id, status, digitless(json.dumps(sentences))) for employee_id, status, sentences in
                    ImpactDraft.objects.values_list("person__employee_id", "status", "sentences"))
    appeals = sorted(Appeal.objects.values_list("review__person__employee_id", "decision", "status"))
    levels = sorted(Person.objects.values_list("employee_id", "level__code"))
    return [*people, *feedback, *commits, *remediations, *memos, *changes, *votes, *growth, *checkpoints, *drafts,
            *appeals, *levels]


def digitless(text: str) -> str:
    return re.sub(r"\d+", "#", text)


def test_it_builds_a_hierarchy_with_realistic_spans_and_a_login_per_role(client):
    result = load()
    assert result["created"] is True and result["people"] == PEOPLE == Person.objects.count()
    ceo = Person.objects.get(manager__isnull=True, access_role=AccessRole.LEADER)
    reports = Counter(Person.objects.exclude(manager=None).values_list("manager_id", flat=True))
    for team in Team.objects.all():
        managers = {p.manager_id for p in team.members.all()} - {None}
        # One manager per team, who leads 5 to 12 engineers in it.
        team_manager = Person.objects.get(pk=max(managers, key=lambda pk: reports[pk]))
        assert SPAN_MIN <= reports[team_manager.pk] <= SPAN_MAX, team
    # Everyone's reporting line leads to the chief executive, and is stored as data.
    for person in Person.objects.exclude(pk=ceo.pk):
        assert person.chain_path.startswith(f"/{ceo.pk}/") and person.chain_path.endswith(f"/{person.pk}/")
    roles = {account["role"] for account in result["accounts"]}
    assert {"leader", "director", "manager", "employee", "peer", "people_partner", "admin"} <= roles
    for account in result["accounts"]:
        assert client.login(username=account["username"], password=DEMO_PASSWORD), account
    manager = Person.objects.get(user__username="manager")
    engineer = Person.objects.get(user__username="engineer")
    director = Person.objects.get(user__username="director")
    assert engineer.manager == manager == Person.objects.get(user__username="peer").manager
    assert manager.manager == director
    # The history is there: delivery, feedback, accomplishments, cycles, fairness inputs, time off.
    assert CommitRecord.objects.count() == PullRequest.objects.count() > PEOPLE
    assert EvidenceItem.objects.filter(person=engineer).exists()
    texts = set(FeedbackResponse.objects.values_list("what_they_did", flat=True))
    assert len(texts) > 20
    assert Accomplishment.objects.exists() and TimeOff.objects.exists() and HrisEvent.objects.exists()
    assert SurveyResponse.objects.exists() and DemographicRecord.objects.exists()
    from brightline.goals.models import KeyResult

    assert KeyResult.objects.filter(evidence__isnull=False, goal__owner__manager__isnull=False).exists()
    phases = Counter(ReviewCycle.objects.values_list("phase", flat=True))
    assert phases[Phase.CLOSED] == 2 and phases[Phase.MANAGER_ASSESSMENT] == 1


def test_the_same_seed_builds_the_same_organisation_and_a_second_load_changes_nothing():
    def build(seed: str) -> list[tuple]:
        with transaction.atomic():  # built, read, then rolled back: the next build starts from empty
            load("--seed", seed)
            again = load("--seed", seed)
            assert again["created"] is False
            built = fingerprint()
            transaction.set_rollback(True)
        assert not Person.objects.exists()
        return built

    first = build("11")
    assert build("11") == first
    assert build("12") != first


def test_the_audit_chain_verifies_after_the_bulk_writes():
    load()
    out = io.StringIO()
    call_command("audit", "verify", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["ok"] is True and result["entries"] > PEOPLE


def test_the_history_written_past_the_orm_reads_back_through_it():
    load()
    item = EvidenceItem.objects.filter(kind=EvidenceItem.Kind.MERGED_CHANGE).select_related("person").first()
    assert item.metrics == {} and item.created_at is not None and item.occurred_at.tzinfo is not None
    assert item.person.team_id == item.team_id and item.summary.startswith("Merged into ")
    assert CommitRecord.objects.filter(first_release__isnull=False, is_merge=False).count() == \
        CommitRecord.objects.count() == PullRequest.objects.count()
    off = TimeOff.objects.first()
    assert off.end_date >= off.start_date and off.source == "demo"
    assert set(TimeOff.objects.values_list("kind", flat=True)) <= set(TimeOff.Kind.values)
    assert FeedbackResponse.objects.filter(invitation__request_id=models.F("request_id")).count() == \
        FeedbackResponse.objects.count() > 0


def test_it_has_promotion_cases_decided_by_panels_outside_the_chain_and_notification_choices(
        client, django_capture_on_commit_callbacks, mailoutbox):
    from django.utils import timezone

    from brightline.notifications.models import Frequency, NotificationSettings
    from brightline.promotions.models import CaseStatus, PromotionCase

    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", "load", "--size", "large", "--people", "120", "--years", "2", "--json", stdout=out)
    # Managers who chose right-away e-mails have assessments waiting in the open cycle, and yet are not sent the
    # generated history when it commits.
    from brightline.reviews.models import Review

    waiting = Review.objects.filter(cycle__phase=Phase.MANAGER_ASSESSMENT).values_list("manager_id", flat=True)
    assert NotificationSettings.objects.filter(frequency=Frequency.IMMEDIATE, person_id__in=waiting).exists()
    assert mailoutbox == [] and json.loads(out.getvalue())["created"] is True
    cases = list(PromotionCase.objects.select_related("person", "to_level", "from_level"))
    statuses = Counter(case.status for case in cases)
    assert statuses[CaseStatus.DECIDED] and statuses[CaseStatus.NOMINATED] + statuses[CaseStatus.PANEL]
    assert len({case.person_id for case in cases}) == len(cases)  # one case a person
    for case in cases:
        assert case.to_level == case.from_level.next_level() and case.nominated_at < timezone.now()
        assert case.citations.count() > 0
        chain = set(case.person.chain_path.strip("/").split("/"))
        seats = list(case.panelists.values_list("person_id", flat=True))
        assert not chain & {str(pk) for pk in seats}
        if case.status == CaseStatus.DECIDED:
            assert len(seats) == 3 and case.pre_votes.count() == 3
            assert case.decided_at > case.nominated_at and case.memo["decision"] == case.decision
            assert case.memo["accountable"] and case.decision_reason and case.ready_at_decision is not None
            # Never someone the case's conflict rules exclude: not the person, their chain or the nominator.
            assert str(case.accountable_id) not in chain and case.accountable_id != case.nominated_by_id
    assert NotificationSettings.objects.exists()
    partner = Person.objects.get(user__username="partner")
    client.force_login(partner.user)
    decided = next(case for case in cases if case.status == CaseStatus.DECIDED)
    page = client.get(f"/promotions/{decided.pk}/")
    assert page.status_code == 200 and decided.decision_reason.split(" [E:")[0] in html.unescape(page.content.decode())
    rates = client.get("/promotions/rates/")
    assert rates.status_code == 200


def test_it_has_the_notices_the_runs_would_have_left_and_the_processes_of_finished_cycles():
    from django.utils import timezone

    from brightline.evidence.models import Incident
    from brightline.notifications.models import Notice
    from brightline.notifications.services import KEEP_DAYS, collect
    from brightline.promotions.models import CaseAppeal, CaseStatus, PromotionCase
    from brightline.reviews.models import Appeal, CalibrationChange, Outcome, PanelMember
    from brightline.support.models import CheckIn, SupportPlan

    load_at = timezone.now()
    call_command("demo", "load", "--size", "large", "--people", "120", "--years", "2", "--json", stdout=io.StringIO())
    # Incidents are attributed as an import would leave them.
    assert not Incident.objects.filter(attribution="none").exists() and Incident.objects.exists()
    # Customers' tickets, most handled by an engineer of the service.
    from brightline.evidence.models import SupportTicket

    assert SupportTicket.objects.filter(handled_by__isnull=False, resolved_at__gt=models.F("opened_at")).exists()
    assert SupportTicket.objects.filter(handled_by__isnull=True).count() < SupportTicket.objects.count() / 2
    # Notices of the last year for most people, most of them sent, the open cycle's digests still waiting.
    notices = Counter(Notice.objects.values_list("person_id", flat=True))
    assert len(notices) > 100 and sum(notices.values()) / len(notices) > 5
    statuses = Counter(Notice.objects.values_list("status", flat=True))
    assert statuses[Notice.Status.SENT] > statuses[Notice.Status.PENDING] > 0
    assert not Notice.objects.filter(created_at__lt=load_at - timezone.timedelta(days=KEEP_DAYS + 1)).exists()
    assert not Notice.objects.filter(status=Notice.Status.SENT, sent_at__lt=models.F("created_at")).exists()
    kinds = set(Notice.objects.values_list("kind", flat=True))
    assert {"feedback_request", "self_review", "assessment", "released"} <= kinds
    # The last week's are unread on the person's notices page, the older ones read.
    unread = Notice.objects.filter(unread=True)
    assert unread.exists() and Notice.objects.filter(unread=False).exists()
    assert not unread.filter(created_at__lt=load_at - timezone.timedelta(days=9)).exists()
    # They are keyed as the runs key them: a run today finds every event it would tell someone about already told.
    for person in Person.objects.filter(pk__in=Notice.objects.filter(status=Notice.Status.PENDING)
                                        .values("person_id"))[:10]:
        assert collect(person, today=timezone.localdate()) == (0, 0), person
    # Calibration by a panel, appeals upheld, support plans with check-ins, withdrawn and appealed promotion cases.
    assert PanelMember.objects.exists()
    for change in CalibrationChange.objects.select_related("assessment"):
        assert change.assessment.outcome == change.to_outcome != change.from_outcome
        assert (change.approved_by_id is not None) == (change.to_outcome == Outcome.NEEDS_SUPPORT)
    assert Appeal.objects.exists()
    assert SupportPlan.objects.filter(status=SupportPlan.Status.ACTIVE).exists()
    assert CheckIn.objects.filter(plan__status=SupportPlan.Status.CLOSED).exists()
    assert PromotionCase.objects.filter(status=CaseStatus.WITHDRAWN).exists() or PromotionCase.objects.count() < 20
    # Only a "not yet" is appealed: upheld it stays one, changed it became a promotion (see the next test).
    for appeal in CaseAppeal.objects.select_related("case"):
        assert appeal.case.decision == ("promoted" if appeal.decision == CaseAppeal.Decision.CHANGED else "not_yet")


def test_failed_deployments_are_remediated_on_their_own_service_and_the_delivery_pages_see_them():
    from django.utils import timezone

    from brightline.evidence.metrics import MetricsError, team_dora
    from brightline.evidence.models import Deployment, Incident

    load()
    remediations = list(Remediation.objects.select_related("failed_deployment", "remediation_deployment"))
    assert {r.kind for r in remediations} == set(Remediation.Kind.values)
    for remediation in remediations:
        failed, fix = remediation.failed_deployment, remediation.remediation_deployment
        assert failed.service_id == fix.service_id == remediation.service_id
        assert failed.status == fix.status == Deployment.Status.SUCCESS and failed.deployed_at < fix.deployed_at
        assert remediation.occurred_at == fix.deployed_at
        # A rollback ships nothing new; a revert or a hotfix ships its one change.
        assert fix.first_commits.count() == (0 if remediation.kind == "rollback" else 1)
    for incident in Incident.objects.select_related("linked_deployment"):
        assert incident.linked_deployment.service_id == incident.service_id
        assert incident.opened_at > incident.linked_deployment.deployed_at
    # A few pipeline runs failed before going live: no change shipped in them.
    attempts = Deployment.objects.filter(status=Deployment.Status.FAILURE)
    assert not CommitRecord.objects.filter(first_release__in=attempts).exists()
    now, rates = timezone.now(), []
    for team in Team.objects.all():
        try:
            rates.append(team_dora(team, start=now - timezone.timedelta(days=365), end=now).change_fail_rate)
        except MetricsError:
            continue  # a team that owns no service
    assert rates and 0 < sum(rates) / len(rates) < 0.25


def test_finished_cycles_have_packets_pre_votes_conflicts_memos_and_appeals_that_move_outcomes():
    from brightline.reviews.models import (
        OUTCOME_SCALE,
        ConflictOfInterest,
        DimensionAssessment,
        Outcome,
        PacketItem,
        Review,
    )

    call_command("demo", "load", "--size", "large", "--people", "120", "--years", "2", "--json", stdout=io.StringIO())
    closed = Review.objects.filter(cycle__phase=Phase.CLOSED)
    assert closed.count() == DecisionMemo.objects.count() == DecisionMemo.objects.filter(review__in=closed).count()
    people = dict(Person.objects.values_list("pk", "chain_path"))
    for review in closed.select_related("memo", "person").prefetch_related("assessments", "packet_items",
                                                                           "conflicts", "pre_votes"):
        packet = {item.reference for item in review.packet_items.all()}
        owners = dict(EvidenceItem.objects.filter(pk__in=[int(ref.split(":")[1]) for ref in packet])
                      .values_list("pk", "person_id"))
        assert set(owners.values()) <= {review.person_id}  # a packet cites its own person's evidence only
        assessments = list(review.assessments.all())
        assert len(assessments) == 4 and all(set(a.citations) <= packet for a in assessments)
        memo = review.memo
        assert memo.accountable_id != review.person_id and memo.sections["accountable"]
        # The memo is the record at the memo phase: the calibrated outcomes, with the changes and their reasons.
        calibrated = {c.assessment.dimension: c for c in CalibrationChange.objects.filter(
            assessment__review=review, source=CalibrationChange.Source.CALIBRATION).select_related("assessment")}
        assert {row["dimension"] for row in memo.sections["calibration_changes"]} == set(calibrated)
        for row in memo.sections["calibration_changes"]:
            assert row["reason"] == calibrated[row["dimension"]].reason and row["citations"]
        conflicted = {c.panelist_id for c in review.conflicts.all()}

        def line(pk: int) -> set[int]:
            return {int(part) for part in people[pk].strip("/").split("/")}

        # The person's chain above them, and below: nobody decides on their own manager.
        shares_a_chain = {pk for pk in people if pk in line(review.person_id) or review.person_id in line(pk)}
        for conflict in review.conflicts.all():
            assert (conflict.panelist_id in shares_a_chain) == (conflict.reason != ConflictOfInterest.Reason.DECLARED)
            assert conflict.reason != ConflictOfInterest.Reason.DECLARED or conflict.note
        assert not {vote.panelist_id for vote in review.pre_votes.all()} & conflicted
        if calibrated:  # outcomes change only after every eligible panelist voted
            assert review.pre_votes_complete()
    assert ConflictOfInterest.objects.filter(reason=ConflictOfInterest.Reason.MANAGEMENT_CHAIN).exists()
    assert PreVote.objects.exists() and PacketItem.objects.exists()
    # Appeals: a changed one raised an outcome, recorded as a change from the appeal; an upheld one changed nothing.
    appeals = list(Appeal.objects.select_related("review"))
    assert {appeal.decision for appeal in appeals} == {Appeal.Decision.UPHELD, Appeal.Decision.CHANGED}
    for appeal in appeals:
        from_appeal = list(CalibrationChange.objects.filter(assessment__review=appeal.review,
                                                            source=CalibrationChange.Source.APPEAL))
        assert len(from_appeal) == (appeal.decision == Appeal.Decision.CHANGED)
        for change in from_appeal:
            assert OUTCOME_SCALE[change.to_outcome] > OUTCOME_SCALE[change.from_outcome]
            assert DimensionAssessment.objects.get(pk=change.assessment_id).outcome == change.to_outcome
            assert change.actor_id == appeal.reviewer_id and change.reason == appeal.decision_reason
    # Outcomes rest on evidence: a rationale cites what its assessment lists, and texts are not one sentence.
    rationales = list(DimensionAssessment.objects.exclude(outcome="").values_list("rationale", flat=True))
    assert len(set(rationales)) > len(rationales) / 2
    adverse = Review.objects.filter(assessments__proposed_outcome=Outcome.NEEDS_SUPPORT).distinct()
    assert not adverse.filter(adverse_approved_by__isnull=True).exists()


def test_the_growth_space_has_training_notes_checkpoints_and_drafts_and_promotions_moved_levels():
    from django.utils import timezone

    from brightline.feedback.models import TrainingAttempt
    from brightline.feedback.services import manager_training_complete
    from brightline.promotions.models import CaseAppeal, CaseDecision, PromotionCase

    call_command("demo", "load", "--size", "large", "--people", "120", "--years", "2", "--json", stdout=io.StringIO())
    today = timezone.localdate()
    # Everyone who assesses someone passed the readiness module before assessing: the open cycle can proceed.
    assessors = Person.objects.filter(pk__in=Person.objects.values("manager_id"))
    assert all(manager_training_complete(person) for person in assessors)
    assert TrainingAttempt.objects.filter(passed=False).count() < assessors.count()
    notes = list(OneOnOneNote.objects.select_related("person"))
    assert notes and all(note.manager_id == note.person.manager_id and note.held_on < today for note in notes)
    assert {note.author_id for note in notes} - {note.manager_id for note in notes}  # some written by the report
    assert len({note.body for note in notes}) > 0.9 * len(notes)
    checkpoints = list(Checkpoint.objects.select_related("person"))
    assert checkpoints and all(c.manager_id == c.person.manager_id and c.wins for c in checkpoints)
    drafts = list(ImpactDraft.objects.prefetch_related("evidence"))
    assert drafts
    for draft in drafts:
        evidence = {str(item.pk) for item in draft.evidence.all()}
        assert {item.person_id for item in draft.evidence.all()} == {draft.person_id}
        assert draft.accepted_sentences and all(set(s["cited_ids"]) <= evidence for s in draft.accepted_sentences)
        if draft.status == ImpactDraft.Status.APPROVED:
            assert draft.approved_text and draft.approved_by_id == draft.person.manager_id
    # A promotion, by the panel or on appeal, moved the person to the level the case was for.
    for case in PromotionCase.objects.filter(decision=CaseDecision.PROMOTED).select_related("person"):
        assert case.person.level_id == case.to_level_id
    for appeal in CaseAppeal.objects.filter(decision=CaseAppeal.Decision.CHANGED).select_related("case"):
        assert appeal.case.memo["appeal"]["from"] == CaseDecision.NOT_YET


SCHEMA = """
SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated, condeferrable, condeferred
FROM pg_constraint WHERE connamespace = current_schema()::regnamespace
UNION ALL
SELECT indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid), indisvalid, NULL, NULL
FROM pg_index JOIN pg_class ON pg_class.oid = indrelid WHERE relnamespace = current_schema()::regnamespace"""


def schema() -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(SCHEMA)
        return sorted(cursor.fetchall(), key=repr)


def postgresql_only() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the keys and indexes are put aside during the load on PostgreSQL only")


def test_the_load_leaves_every_key_and_index_as_the_migrations_made_them():
    postgresql_only()
    before = schema()
    assert any(row[2].startswith("FOREIGN KEY") for row in before)
    result = load("--timings")
    # The phases, in the order they ran, each with its wall time.
    assert {"people", "delivery", "history indexes", "feedback", "foreign keys"} <= set(result["timings"])
    assert all(seconds >= 0 for seconds in result["timings"].values())
    assert schema() == before


def test_a_key_or_unique_row_broken_while_they_are_aside_fails_the_load():
    from django.db import IntegrityError

    from brightline.audit.services import insert_objects
    from brightline.demo_large import _indexed_afterwards, _keys_checked_at_the_end
    from brightline.people.models import Identity

    postgresql_only()
    load()
    before = schema()
    nobody = Person.objects.order_by("-pk").first().pk + 1
    with pytest.raises(IntegrityError, match="foreign key"), transaction.atomic(), \
            _keys_checked_at_the_end({}, lambda *_: None):
        insert_objects(Identity, [Identity(person_id=nobody, kind="email", value="nobody@example.org")])
    again = CommitRecord.objects.first()
    again.pk = None
    with pytest.raises(IntegrityError, match="evidence_commit_unique"), transaction.atomic(), \
            _indexed_afterwards((CommitRecord,), {}, lambda *_: None):
        insert_objects(CommitRecord, [again])  # the same commit of the same repository again
    # Both were rolled back with their savepoint: the keys and indexes are all there.
    assert CommitRecord.objects.filter(sha=again.sha).count() == 1
    assert schema() == before


def test_the_load_leaves_every_dashboard_rollup_computed():
    """A leader opening the leadership view right after the load reads stored figures: at ten thousand people
    computing them on that first request would take longer than a web worker may."""
    from brightline.rollups.models import Rollup
    from brightline.rollups.registry import sources

    result = load("--timings")
    assert "rollups" in result["timings"]
    for kind, source in sources().items():
        expected = {str(key) for key in source.every_key()}
        stored = set(Rollup.objects.filter(kind=kind, stale=False).values_list("key", flat=True))
        assert expected <= stored, kind
    assert Rollup.objects.filter(kind="leadership.organisation").exists()
