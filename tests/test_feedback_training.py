"""Manager readiness (E10): the module blocks completion until passed; every attempt is audited."""

from __future__ import annotations

import pytest

from brightline.audit.models import AuditEntry
from brightline.feedback import services, training
from brightline.feedback.models import TrainingAttempt

pytestmark = pytest.mark.django_db

RIGHT = {q.key: q.correct for q in training.QUESTIONS}


def wrong(count: int) -> dict[str, str]:
    answers = dict(RIGHT)
    for question in training.QUESTIONS[:count]:
        answers[question.key] = next(key for key, _ in question.options if key != question.correct)
    return answers


def test_the_module_has_a_pass_mark_and_four_to_six_questions():
    assert 4 <= len(training.QUESTIONS) <= 6
    assert 0 < training.PASS_MARK <= len(training.QUESTIONS)


def test_training_is_incomplete_until_a_passing_attempt(personas):
    assert services.manager_training_complete(personas.mo) is False
    failed = services.record_training_attempt(actor=personas.mo, answers=wrong(2))
    assert failed.passed is False and failed.score == len(training.QUESTIONS) - 2
    assert services.manager_training_complete(personas.mo) is False
    attempted = AuditEntry.objects.get(action="feedback.training.attempted")
    assert attempted.actor_id == personas.mo.pk and attempted.data["score"] == failed.score
    passed = services.record_training_attempt(actor=personas.mo, answers=wrong(1))
    assert passed.passed is True and services.manager_training_complete(personas.mo) is True
    entry = AuditEntry.objects.get(action="feedback.training.passed")
    assert entry.data["module_version"] == training.MODULE_VERSION and entry.data["pass_mark"] == training.PASS_MARK
    assert services.manager_training_complete(personas.lee) is False  # completion is per person


def test_a_pass_of_an_older_version_does_not_count(personas):
    TrainingAttempt.objects.create(person=personas.mo, module_version="2025.1", score=5, out_of=5, passed=True)
    assert services.manager_training_complete(personas.mo) is False


def test_unanswered_questions_are_refused_and_nothing_is_recorded(personas):
    with pytest.raises(services.FeedbackError, match="Answer every question"):
        services.record_training_attempt(actor=personas.mo, answers={training.QUESTIONS[0].key: "a"})
    assert not TrainingAttempt.objects.exists()


def test_a_manager_takes_the_module_in_the_browser(personas, client_for):
    mo = client_for(personas.mo)
    page = mo.get("/growth/training/").content.decode()
    assert "Correll" in page and "Weak" in page and "Strong" in page and "Recency" in page
    failed = mo.post("/growth/training/", wrong(3)).content.decode()
    assert "not yet passed" in failed and training.QUESTIONS[0].explanation in failed
    assert services.manager_training_complete(personas.mo) is False
    passed = mo.post("/growth/training/", RIGHT).content.decode()
    assert "Passed: 5 of 5" in passed and services.manager_training_complete(personas.mo) is True


def test_managers_find_the_module_in_the_navigation(personas, client_for):
    labels = [label for label, _url, _current in client_for(personas.mo).get("/").context["nav_items"]]
    assert "Manager training" in labels and "My growth" in labels
    employee = [label for label, _url, _current in client_for(personas.erin).get("/").context["nav_items"]]
    assert "Manager training" not in employee and "Feedback to give" in employee
