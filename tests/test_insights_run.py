"""``insights run``: reads feedback and evidence, stores signals with provenance, is incremental;
``report transparency --json`` carries the measured numbers of the committed metrics files."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from brightline.audit.models import AuditEntry

CONCERNS = ("Her code reviews are rushed and miss obvious bugs.",
            "Reviews approve pull requests without reading them carefully.",
            "Tests were missing for the edge cases in her last change.")


@pytest.fixture
def feedback(personas, organisation):
    """Three colleagues answer a named request about Erin; two of them twice (two requests)."""
    from brightline.feedback import services as feedback_services
    from brightline.people.models import Person

    colleagues = [personas.pat, personas.mo, Person.objects.get(user__username="olga")]
    for round_number in range(2):
        request = feedback_services.request_feedback(
            actor=personas.erin, subject=personas.erin, context=f"round {round_number}",
            respondents=[(p, "peer" if p != personas.mo else "manager") for p in colleagues])
        for n, person in enumerate(colleagues):
            if round_number == 1 and n == 2:
                continue
            invitation = request.invitations.get(respondent=person)
            feedback_services.submit_feedback_response(
                actor=person, invitation=invitation, data=feedback_services.ResponseInput(
                    "Erin shipped the ledger migration on time.", "Three teams moved to the new ledger.",
                    CONCERNS[(n + round_number) % 3]))


@pytest.fixture
def delivery_evidence(personas):
    from brightline.evidence.models import EvidenceItem

    for n in range(6):
        EvidenceItem.objects.create(kind="merged_change", title=f"Change {n}", summary="Merged.",
                                    occurred_at=timezone.now() - timedelta(days=10 + n), person=personas.erin,
                                    source="test", source_ref=f"c{n}")


def run(**options):
    from brightline.insights.services import run_insights

    return run_insights(**options)


def test_a_run_stores_theme_signals_with_refs_model_version_and_pending_status(personas, feedback):
    from brightline.insights.models import Signal

    summary = run(person=personas.erin)
    assert summary.created >= 2
    theme = Signal.objects.get(person=personas.erin, key="theme:code_quality")
    assert theme.status == "pending" and theme.confidence_authors == 3 and theme.confidence_items == 5
    assert {ref["kind"] for ref in theme.item_refs} == {"feedback_response"}
    assert theme.model_version.startswith("minilm-static@")
    assert AuditEntry.objects.filter(action="insights.run.completed").exists()


def test_a_second_run_on_unchanged_inputs_recomputes_nothing(personas, feedback):
    first = run(person=personas.erin)
    second = run(person=personas.erin)
    assert second.created == second.updated == 0
    assert second.unchanged == first.created and second.subjects_unchanged == 1


def test_new_feedback_makes_the_next_run_recompute(personas, feedback):
    from brightline.feedback import services as feedback_services

    run(person=personas.erin)
    request = feedback_services.request_feedback(actor=personas.erin, subject=personas.erin,
                                                 respondents=[(personas.pat, "peer")])
    feedback_services.submit_feedback_response(
        actor=personas.pat, invitation=request.invitations.get(),
        data=feedback_services.ResponseInput("Paired on the flaky tests.", "Builds are green.", "Write more docs."))
    assert run(person=personas.erin).subjects_computed == 1


def test_strong_delivery_and_a_review_concern_from_three_people_is_a_contradiction(personas, feedback,
                                                                                   delivery_evidence):
    from brightline.insights.models import Signal

    run(person=personas.erin)
    signal = Signal.objects.get(person=personas.erin, kind="contradiction")
    assert signal.confidence_agreement == "conflicts"
    assert {"evidence_item", "feedback_response"} <= {ref["kind"] for ref in signal.item_refs}


def test_unreleased_anonymous_answers_are_not_read(personas):
    from brightline.feedback import services as feedback_services
    from brightline.insights.adapters import comments_about

    request = feedback_services.request_feedback(actor=personas.mo, subject=personas.mo, anonymous=True,
                                                 respondents=[(personas.erin, "report"), (personas.pat, "report"),
                                                              (personas.oscar, "stakeholder")])
    for invitation in request.invitations.exclude(respondent=personas.oscar):
        feedback_services.submit_feedback_response(
            actor=invitation.respondent, invitation=invitation,
            data=feedback_services.ResponseInput("Protects focus time.", "I finished on time.", "Explain priorities."))
    start = (datetime.now(UTC) - timedelta(days=30)).date()
    # Two answers are below the release group of three: neither may shape a signal.
    assert comments_about([personas.mo.pk], start=start, end=datetime.now(UTC).date()) == []


def test_the_insights_run_command_says_when_themes_fall_back_to_the_static_model(personas, feedback, monkeypatch,
                                                                                  tmp_path):
    from brightline.core.nlp.contextual import CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE

    monkeypatch.setenv(CONTEXTUAL_MODEL_ENVIRONMENT_VARIABLE, str(tmp_path))  # a folder without the weights
    out = StringIO()
    call_command("insights", "run", "--person", str(personas.erin.pk), stdout=out)
    text = out.getvalue()
    assert "signals:" in text
    assert "contextual language model" in text and "not installed" in text
    assert str(tmp_path) not in text and "setup.sh" not in text


def test_the_insights_run_command_reports_counts_as_json(personas, feedback):
    out = StringIO()
    call_command("insights", "run", "--person", str(personas.erin.pk), "--json", stdout=out)
    counts = json.loads(out.getvalue())
    assert counts["created"] >= 2 and counts["unchanged"] == 0
    out = StringIO()
    call_command("insights", "run", "--person", personas.erin.employee_id, "--json", stdout=out)
    assert json.loads(out.getvalue())["subjects_unchanged"] == 1


def test_report_transparency_json_carries_the_measured_numbers(db):
    from brightline.core.insights import THEME_METRICS_PATH
    from brightline.core.insights.pipeline import NLP_MODELS_PATH
    from brightline.core.insights.themes import CONTEXTUAL_CLASSIFIER_PATH, theme_classifier_in_use

    out = StringIO()
    call_command("report", "transparency", "--json", stdout=out)
    report = {entry["kind"]: entry for entry in json.loads(out.getvalue())["signal_types"]}
    sentiment = json.loads((NLP_MODELS_PATH / "sentiment" / "metrics.json").read_text())
    figures = {(f["dataset"], f["metric"]): f["value"] for f in report["sentiment_drift"]["accuracy"]}
    assert figures[("Senti4SD test split", "macro-F1")] == sentiment["test"]["senti4sd_test"]["macro_f1"]
    premo = ("PREMO test rows (sha256(id) mod 5 == 0)", "macro-F1")
    assert figures[premo] == sentiment["test"]["premo_test"]["macro_f1"]
    themes = json.loads(THEME_METRICS_PATH.read_text())
    theme = {(f["dataset"], f["metric"]): f for f in report["theme"]["accuracy"]}
    independent = theme[("crowd-written performance-review sentences, labelled independently", "micro F1")]
    # The figures of the theme classifier in use (the contextual one's when the contextual model is installed).
    in_use = themes["independent_contextual"] if theme_classifier_in_use() == CONTEXTUAL_CLASSIFIER_PATH else {
        **themes["independent"], "test": themes["test"]}
    assert independent["value"] == in_use["after"]["micro_f1"] and independent["built"]
    assert [f["value"] for (dataset, metric), f in theme.items() if metric == "micro F1"
            and dataset.startswith("sentences written by the Brightline team")] == [in_use["test"]["micro_f1"]]
    for entry in report.values():
        assert {"data_used", "time_window", "detects", "cannot_infer", "accuracy", "failure_modes",
                "human_review"} <= entry.keys()


def test_the_insights_run_job_runs_inline(personas, feedback):
    from brightline.jobs.services import enqueue

    job_run = enqueue("insights.run", person_id=personas.erin.pk)
    assert job_run.status == "succeeded" and job_run.result["created"] >= 2


def test_signal_bias_report_runs_over_the_organisation(personas, feedback):
    out = StringIO()
    run(all_subjects=True)
    call_command("report", "signal-bias", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["people"] == 5 and all(not f["flagged"] for f in report["findings"])


def two_cohorts_of_three(personas) -> None:
    """Six more people in the two teams and a minimum cohort of three, so both workload classes are compared;
    then a run over everyone."""
    from brightline.people.models import Person
    from brightline.policy.services import update_policy

    for n in range(6):
        team = personas.erin.team if n < 3 else personas.oscar.team
        Person.objects.create(organisation=personas.erin.organisation, employee_id=f"X{n}", name=f"Extra {n}",
                              email=f"x{n}@example.org", team=team, level=personas.erin.level, timezone="UTC")
    update_policy(actor=personas.pia, reason="a small organisation", min_cohort_size=3)
    run(all_subjects=True)


def test_the_bias_check_counts_only_findings_as_fired(personas, feedback):
    """A sentiment drift with no clear change (enough data, nothing found) is information, not a signal fired: it
    is not counted in the comparison of signal rates; a drift that found a change is."""
    from brightline.insights.models import Signal
    from brightline.insights.services import signal_bias_report

    two_cohorts_of_three(personas)
    Signal.objects.filter(kind="sentiment_drift").delete()
    today = timezone.localdate()
    for person, is_finding in ((personas.erin, False), (personas.pat, True)):
        Signal.objects.create(kind="sentiment_drift", key="sentiment_drift", person=person, statement="drift",
                              window_start=today - timedelta(days=180), window_end=today, rule="r",
                              cannot_infer="c", enough_data=True, is_finding=is_finding,
                              confidence_label="emerging", confidence_agreement="single_layer",
                              model_name="m", model_version="1", content_hash=str(person.pk))

    def fired(kind: str) -> int:
        finding = next(f for f in signal_bias_report().findings
                       if f.signal_kind == kind and f.grouping == "workload_class")
        return sum(int(group["favourable"]) for group in finding.audit["groups"] if group.get("favourable") is not None)

    assert fired("sentiment_drift") == 1
    Signal.objects.filter(kind="sentiment_drift", person=personas.pat).update(is_finding=False)
    assert fired("sentiment_drift") == 0


def test_the_bias_check_page_shows_rates_as_percentages_with_their_counts(personas, feedback, client_for):
    two_cohorts_of_three(personas)
    page = client_for(personas.pia).get("/insights/organisation/").content.decode()
    table = page[page.index("Do signals fire more often"):]
    cells = re.findall(r"<td>([^<]*: [^<]*)</td>", table)
    groups = [group for cell in cells for group in cell.split("; ")]
    assert groups, "the bias check shows no group"
    for group in groups:
        # "Product: 40.0 % (3 of 5)": a percentage, then how many of how many; a count of 1 or 2 is a small cell, said
        # as "fewer than 3 of 6" with no rate, so no reader can tell one person's signal from it.
        assert re.fullmatch(r".+: (\d{1,3}\.\d % \(\d+ of \d+\)|fewer than 3 of \d+)", group), group
        counted = re.fullmatch(r".+: \d{1,3}\.\d % \((\d+) of \d+\)", group)
        assert counted is None or int(counted[1]) == 0 or int(counted[1]) >= 3, group
    assert "(n=" not in table
    # The report itself keeps its numbers as fractions.
    from brightline.insights.services import signal_bias_report

    finding = signal_bias_report().findings[0]
    assert all(0 <= group["rate"] <= 1 for group in finding.audit["groups"])


def test_a_delivery_trend_searches_only_whole_weeks_inside_its_window(personas):
    """A running week with two days of deployments is not read as a week in which deployments fell, nor are the
    weeks before a service's first deployment read as weeks with none."""
    from datetime import date, time

    from brightline.core.insights import Subject
    from brightline.evidence.models import Deployment, Service
    from brightline.insights.adapters import team_series

    service = Service.objects.create(name="payments-api", team=personas.erin.team)
    start = datetime.combine(date(2026, 6, 3), time(0), tzinfo=UTC)  # a Wednesday
    end = datetime.combine(date(2026, 9, 2), time(0), tzinfo=UTC)  # a Wednesday: Monday and Tuesday have run
    day = datetime.combine(date(2026, 6, 22), time(0), tzinfo=UTC)  # the service ships from this Monday on
    while day < end:
        if day.weekday() < 5:
            Deployment.objects.create(service=service, environment="production", version=day.date().isoformat(),
                                      sha=day.strftime("%Y%m%d"), status=Deployment.Status.SUCCESS,
                                      deployed_at=day + timedelta(hours=11), source="test",
                                      external_id=day.date().isoformat())
        day += timedelta(days=1)
    series = team_series(personas.erin.team, start=start, end=end, subject=Subject("team", "1"))
    deployments = next(one for one in series if one.name == "payments-api:deployment_frequency_per_week")
    weeks = [week for week, _value in deployments.points]
    assert weeks[0] == date(2026, 6, 22) and weeks[-1] == date(2026, 8, 24)
    assert {value for _week, value in deployments.points} == {5.0}


def test_a_theme_summary_naming_recurring_themes_is_an_overview_with_nothing_to_review(personas, feedback,
                                                                                       client_for):
    """Each recurring theme is a signal reviewed on its own; the summary listing them asks for no second decision:
    it is shown for information, refused a review, and left out of the inbox. Stored pending summaries are marked
    by the migration; a review already written stays."""
    import importlib

    from django.apps import apps

    from brightline.dashboards.inbox import inbox_for
    from brightline.insights.models import Signal
    from brightline.insights.services import InsightsError, accept_signal

    run(person=personas.erin)
    summary = Signal.objects.get(person=personas.erin, kind="theme_summary", is_current=True)
    themes = Signal.objects.filter(person=personas.erin, kind="theme", is_current=True)
    assert summary.statement.startswith("Recurring themes in") and themes.exists()
    assert summary.lists_findings and not summary.is_finding and not summary.awaits_review
    assert all(theme.awaits_review for theme in themes)
    with pytest.raises(InsightsError, match="nothing to accept or dismiss"):
        accept_signal(actor=personas.erin, signal=summary, reason="Fair.")
    waiting = Signal.objects.filter(owner=personas.erin, is_current=True, status=Signal.Status.PENDING,
                                    is_finding=True).count()
    asked = [item.title for item in inbox_for(personas.erin) if item.kind == "signals"]
    assert asked == [f"{waiting} AI signal{'s' if waiting != 1 else ''} about you "
                     f"{'waits' if waiting == 1 else 'wait'} for you to accept or dismiss"]
    page = client_for(personas.erin).get("/insights/me/").content.decode()
    card = page[page.index(f'id="signal-{summary.pk}"'):]
    card = card[:card.index("</article>")]
    assert "for information: an overview" in card and "each recurring theme has a card of its own" in card
    assert "<form" not in card and "Not decided yet" not in card and "nothing found" not in card
    # The migration: a pending summary stored as a finding becomes an overview; an accepted one keeps its review.
    accepted = Signal.objects.create(
        kind="theme_summary", key="theme_summary:old", person=personas.erin, statement=summary.statement,
        window_start=summary.window_start, window_end=summary.window_end, rule="r", cannot_infer="c",
        confidence_label="stable", confidence_agreement="single_layer", model_name="m", model_version="1",
        content_hash="old", status=Signal.Status.ACCEPTED, reviewed_by=personas.erin, review_reason="Fair.")
    Signal.objects.filter(pk=summary.pk).update(is_finding=True)
    migration = importlib.import_module("brightline.insights.migrations.0004_theme_summaries_are_not_findings")
    migration.mark_theme_summaries(apps, None)
    assert not Signal.objects.get(pk=summary.pk).is_finding
    accepted.refresh_from_db()
    assert accepted.is_finding and accepted.status == Signal.Status.ACCEPTED


def test_a_plainer_wording_of_a_reviewed_signal_keeps_its_review(personas, delivery_evidence, monkeypatch):
    """A run after a rewording (the algorithm version changed, so every subject is recomputed) rewrites the
    statement of a reviewed signal whose finding is the same, instead of asking for its review again."""
    from brightline.core.insights import evidence_checks
    from brightline.insights.models import InputFingerprint, Signal
    from brightline.insights.services import accept_signal

    monkeypatch.setattr(evidence_checks, "missing_evidence_reason",
                        lambda dimensions: "no item of a related kind and no accomplishment about it that cites "
                                           "evidence")
    run(person=personas.erin)
    gap = Signal.objects.get(person=personas.erin, key="missing_evidence:dimension:leadership", is_current=True)
    assert "related kind" in gap.statement
    accept_signal(actor=personas.erin, signal=gap, reason="Fair: the debriefs are not linked yet.")
    pending = Signal.objects.get(person=personas.erin, key="missing_evidence:dimension:judgment_communication",
                                 is_current=True)
    monkeypatch.undo()
    InputFingerprint.objects.all().delete()
    run(person=personas.erin)
    kept = Signal.objects.get(person=personas.erin, key="missing_evidence:dimension:leadership", is_current=True)
    assert kept.pk == gap.pk and kept.status == Signal.Status.ACCEPTED and kept.reviewed_by == personas.erin
    assert "related kind" not in kept.statement and "pairing on a colleague's change would count" in kept.statement
    assert Signal.objects.filter(key=gap.key, person=personas.erin).count() == 1
    reworded = Signal.objects.get(pk=pending.pk)
    assert reworded.is_current and "a design document or design review notes would count" in reworded.statement
    # The next run finds nothing to change.
    InputFingerprint.objects.all().delete()
    assert run(person=personas.erin).created == 0
