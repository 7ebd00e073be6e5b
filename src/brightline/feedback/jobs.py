"""``feedback.draft_impact_statements``: the fortnightly drafts from evidence (PRODUCT.md C6).

The ``narrative-drafts`` schedule (``brightline.jobs.schedules``) runs it every other Monday;
``brightline narrative draft`` runs it now. See docs/feedback.md. Drafting is offline
(``template-v2``); a draft waits for the person to edit and approve it, and is never a rating.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from brightline.evidence.models import EvidenceItem
from brightline.jobs.services import Progress, job
from brightline.people.models import Person


@job("feedback.draft_impact_statements")
def draft_impact_statements(progress: Progress, *, person_id: int | None = None,
                            window_days: int = 14) -> dict[str, Any]:
    from brightline.feedback.services import evidence_in_window, generate_impact_draft

    window_end = timezone.localdate()
    window_start = window_end - timedelta(days=window_days)
    people = Person.objects.filter(is_active=True).order_by("pk")
    if person_id is not None:
        people = people.filter(pk=person_id)
    else:
        # Only people with evidence at all; the window check below is exact.
        people = people.filter(pk__in=EvidenceItem.objects.filter(person__isnull=False).values("person"))
    people_list = list(people)
    drafts, skipped = [], 0
    for done, person in enumerate(people_list, start=1):
        if evidence_in_window(person, window_start, window_end):
            draft = generate_impact_draft(person=person, window_start=window_start, window_end=window_end,
                                          requested_by=None, actor_label="job:feedback.draft_impact_statements")
            drafts.append(draft.pk)
        else:
            skipped += 1
        progress.update(done, total=len(people_list), message=f"{person.name}")
    return {"drafts": len(drafts), "draft_ids": drafts, "skipped": skipped,
            "window": [window_start.isoformat(), window_end.isoformat()]}
