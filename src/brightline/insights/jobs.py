"""``insights.run``: recompute signals in the background (schedule nightly, or after an ingest)."""

from __future__ import annotations

from typing import Any

from brightline.jobs.services import Progress, job
from brightline.people.models import Person, Team


@job("insights.run")
def run(progress: Progress, *, person_id: int | None = None, team_slug: str | None = None) -> dict[str, Any]:
    from brightline.insights.services import run_insights

    person = Person.objects.get(pk=person_id) if person_id is not None else None
    team = Team.objects.get(slug=team_slug) if team_slug else None
    progress.update(0, total=1, message="computing signals")
    summary = run_insights(person=person, team=team, all_subjects=person is None and team is None,
                           actor_label="job:insights.run")
    progress.update(1, total=1, message="done")
    return summary.to_json()
