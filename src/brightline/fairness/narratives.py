"""Narratives for the language audit, read from the apps that hold them.

Manager narratives are the reviews app's manager summaries and per-dimension rationales and the
feedback app's manager commentary; peer feedback is the feedback app's responses from peers and
stakeholders (anonymous responses included: they carry no writer). The texts are only passed
through the narrative checks; no text leaves this module and none is shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Literal

from brightline.fairness.audits import Narrative
from brightline.fairness.decisions import region, tenure_band
from brightline.fairness.demographics import known_attributes, read_demographics
from brightline.feedback.models import FeedbackResponse, ManagerCommentary
from brightline.people.models import Person
from brightline.reviews.models import DimensionAssessment, Review

Source = Literal["manager", "peer"]
STANDARD_GROUPINGS = {
    "team": "Team", "level": "Level", "work_modality": "Work modality", "tenure_band": "Tenure band",
    "region": "Time zone region",
}


def texts_about_people(source: Source) -> list[tuple[int, str, str]]:
    """``(subject person id, text, narrative kind)`` for every non-empty narrative of ``source``."""
    found: list[tuple[int, str, str]] = []
    if source == "manager":
        for person_id, summary in Review.objects.exclude(manager_summary="").values_list(
                "person_id", "manager_summary"):
            found.append((person_id, summary, "manager_narrative"))
        for person_id, rationale in DimensionAssessment.objects.exclude(rationale="").values_list(
                "review__person_id", "rationale"):
            found.append((person_id, rationale, "manager_narrative"))
        for person_id, *parts in ManagerCommentary.objects.values_list(
                "person_id", "owned", "ambiguity", "coaching", "growth"):
            text = " ".join(part for part in parts if part)
            if text.strip():
                found.append((person_id, text, "manager_narrative"))
    else:
        responses = FeedbackResponse.objects.exclude(relationship__in=["manager", "report"])
        for person_id, *parts in responses.values_list("request__subject_id", "what_they_did", "impact",
                                                        "one_thing_to_grow"):
            text = " ".join(part for part in parts if part)
            if text.strip():
                found.append((person_id, text, "feedback"))
    return found


def _standard_grouper(grouping: str) -> Callable[[Person], str]:
    today = dt.date.today()
    return {
        "team": lambda person: person.team.slug if person.team else "",
        "level": lambda person: person.level.code if person.level else "",
        "work_modality": lambda person: "" if person.work_modality == "unspecified" else person.work_modality,
        "tenure_band": lambda person: tenure_band(person.start_date, today),
        "region": lambda person: region(person.timezone),
    }[grouping]


def narratives_for(source: Source, grouping: str, *, viewer: Person | None, via: str = "web",
                   actor_label: str | None = None) -> list[Narrative]:
    """The narratives of ``source``, each labelled with its subject's group under ``grouping``.

    ``grouping`` is a standard grouping or a protected attribute (then a logged demographic read).
    """
    texts = texts_about_people(source)
    people = {person.pk: person for person in
              Person.objects.filter(pk__in={pk for pk, _, _ in texts}).select_related("team", "level")}
    if grouping in known_attributes():
        values = read_demographics(viewer, attributes=[grouping], purpose=f"language audit of {source} narratives",
                                   person_ids=people, via=via, actor_label=actor_label)
        return [Narrative(values.get(pk, {}).get(grouping, ""), text, kind) for pk, text, kind in texts]
    grouper = _standard_grouper(grouping)
    return [Narrative(grouper(people[pk]) if pk in people else "", text, kind) for pk, text, kind in texts]
