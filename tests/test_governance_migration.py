"""HRIS movements and survey answers moved from the fairness app to the governance app without losing a row:
the migration pair changes Django's state only and both models keep their tables."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE_THE_MOVE = [("fairness", "0002_survey_responses"), ("governance", None)]


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_by_the_governance_models_after_it(personas):
    executor = MigrationExecutor(connection)
    old = executor.migrate(BEFORE_THE_MOVE).apps
    assert "governance" not in {config.label for config in old.get_app_configs()}
    old.get_model("fairness", "HrisEvent").objects.create(
        employee_id="E-erin", person_id=personas.erin.pk, event="left", date=dt.date(2026, 3, 2), regretted=True)
    old.get_model("fairness", "SurveyResponse").objects.create(
        survey_date=dt.date(2026, 3, 20), question="clarity_of_expectations", manager_id=personas.mo.pk, answer=4)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from brightline.governance.models import HrisEvent, SurveyResponse

    event = HrisEvent.objects.get()
    assert (event.employee_id, event.person, event.event, event.regretted) == ("E-erin", personas.erin, "left", True)
    answer = SurveyResponse.objects.get()
    assert (answer.manager, answer.answer, answer.survey_date) == (personas.mo, 4, dt.date(2026, 3, 20))
    # New rows go to the same tables, with ids after the old ones.
    later = HrisEvent.objects.create(employee_id="E-pat", event="transferred", date=dt.date(2026, 4, 1),
                                     to_team="Platform")
    assert later.pk > event.pk and HrisEvent._meta.db_table == "fairness_hrisevent"
