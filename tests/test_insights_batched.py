"""``insights run --all`` reads, analyses and stores people and teams in batches: what it stores is what a run of
one person or one team at a time stores, and its number of queries does not grow with the number of people."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from brightline.insights import services
from brightline.insights.models import InputFingerprint, Signal
from brightline.people.models import Person, Team


@pytest.fixture
def demo(db, demo_snapshot):
    from tests.demo_helpers import demo_from

    result = demo_from(demo_snapshot)
    # Start every run below from nothing, as a first run on an organisation does.
    Signal.objects.all().delete()
    InputFingerprint.objects.all().delete()
    return result


def stored() -> dict[tuple[str, str], tuple[object, ...]]:
    """Every current signal as a reader sees it, by subject and key (database ids of the signals left out)."""
    return {(signal.subject_key, signal.key): (
        signal.kind, signal.statement, signal.rule, signal.cannot_infer, signal.enough_data, signal.confidence_label,
        signal.confidence_items, signal.confidence_authors, signal.confidence_span_days, signal.confidence_agreement,
        signal.confidence_reasons, signal.item_refs, signal.detail, signal.model_name, signal.model_version,
        signal.owner_id, signal.window_start, signal.window_end, signal.content_hash, signal.status)
        for signal in Signal.objects.filter(is_current=True)}


def clear() -> None:
    Signal.objects.all().delete()
    InputFingerprint.objects.all().delete()


def test_a_batched_run_of_everyone_stores_what_runs_of_one_person_and_one_team_at_a_time_store(demo, monkeypatch):
    today = demo.today
    # Small batches, so the demo's people and teams span several of them.
    monkeypatch.setattr(services, "PEOPLE_PER_BATCH", 7)
    monkeypatch.setattr(services, "TEAMS_PER_BATCH", 2)
    seen: list[tuple[str, int, int]] = []
    summary = services.run_insights(all_subjects=True, today=today,
                                    progress=lambda stage, done, total: seen.append((stage, done, total)))
    batched = stored()
    people = Person.objects.filter(is_active=True).count()
    teams = Team.objects.count()
    assert seen[0] == ("people", 7, people) and ("people", people, people) in seen and seen[-1] == (
        "teams", teams, teams)
    assert summary.subjects_computed == people + teams + 1 and summary.created == len(batched)
    kinds = {signal[0] for signal in batched.values()}
    assert {"theme", "theme_summary", "sentiment_drift", "missing_evidence", "trend_break"} <= kinds

    clear()
    for person in Person.objects.filter(is_active=True).order_by("pk"):
        services.run_insights(person=person, today=today)
    for team in Team.objects.order_by("pk"):
        services.run_insights(team=team, today=today)
    one_at_a_time = stored()
    without_organisation = {key: value for key, value in batched.items() if key[0] != "organisation"}
    assert len(one_at_a_time) > 50
    assert one_at_a_time == without_organisation

    # A run of everyone now finds every person and team unchanged: only the organisation (whose signals only a
    # run of everyone computes, and which the runs above did not) is computed, as in the batched run.
    again = services.run_insights(all_subjects=True, today=today)
    assert again.updated == again.retired == 0 and again.created == len(batched) - len(without_organisation)
    assert again.subjects_unchanged == people + teams and again.subjects_computed == 1
    assert stored() == batched


def test_a_run_of_everyone_reads_each_kind_of_input_once_per_batch_not_once_per_person(demo):
    people = Person.objects.filter(is_active=True).count()
    assert people >= 50
    with CaptureQueriesContext(connection) as queries:
        services.run_insights(all_subjects=True, today=demo.today)
    # One batch of people and one of teams: a fixed number of reads and writes (a run that read one person at a
    # time made about 30 queries per person).
    assert len(queries) < 120, len(queries)
