"""Builders for the fairness tests: a population of people, a decided review cycle, demographic files.

The cycle rows are created directly (a cycle already through calibration), so the audits can be
tested on populations of any size without walking each review through every phase.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from brightline.people.models import Dimension, Person, Team, WorkloadClass


@dataclass(frozen=True)
class Member:
    """One generated person with their decided outcomes."""

    name: str
    team: str
    level: str = "IC2"
    outcome: str = "meets"  # on every dimension
    proposed: str = ""  # the manager's proposal, when calibration changed it
    ready: bool = False
    sex: str = ""
    race: str = ""


def make_people(organisation, ladder, manager: Person, members: Sequence[Member]) -> list[Person]:
    people = []
    for index, member in enumerate(members):
        team, _ = Team.objects.get_or_create(slug=member.team, defaults={
            "organisation": organisation, "name": member.team.title(), "workload_class": WorkloadClass.PRODUCT})
        people.append(Person.objects.create(
            organisation=organisation, employee_id=f"G-{index:04d}", name=member.name,
            email=f"g{index}@example.org", manager=manager, team=team, level=ladder[member.level],
            timezone="Europe/Berlin" if index % 2 else "America/New_York", start_date=dt.date(2020, 1, 1)))
    return people


def decided_cycle(people: Sequence[Person], members: Sequence[Member], *, name: str = "2026 H1"):
    """A cycle in the decision memo phase with the members' outcomes recorded."""
    from brightline.reviews.models import DimensionAssessment, Phase, PromotionReadiness, Review, ReviewCycle

    cycle = ReviewCycle.objects.create(name=name, phase=Phase.DECISION_MEMO,
                                       schedule={"manager_assessment": "2026-05-01"})
    for person, member in zip(people, members, strict=True):
        review = Review.objects.create(
            cycle=cycle, person=person, manager=person.manager, team=person.team, level=person.level,
            workload_class=person.team.workload_class, manager_summary="",
            promotion_readiness=PromotionReadiness.READY if member.ready else PromotionReadiness.NOT_YET,
            assessment_submitted_at=timezone.make_aware(dt.datetime(2026, 4, 20)))
        for dimension in Dimension.values:
            DimensionAssessment.objects.create(review=review, dimension=dimension,
                                               proposed_outcome=member.proposed or member.outcome,
                                               outcome=member.outcome)
    return cycle


def demographics_csv(people: Sequence[Person], members: Sequence[Member]) -> bytes:
    lines = ["employee_id,sex_or_gender,race_or_ethnicity"]
    lines += [f"{person.employee_id},{member.sex},{member.race}" for person, member in zip(people, members,
                                                                                          strict=True)]
    return ("\n".join(lines) + "\n").encode()


def pdf_text(content: bytes) -> str:
    """The literal strings drawn in a PDF's content streams (reportlab, standard fonts)."""
    assert content.startswith(b"%PDF-") and content.rstrip().endswith(b"%%EOF")
    texts = []
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", content, re.DOTALL):
        data = match.group(1).strip()
        if data.endswith(b"~>"):  # reportlab's /ASCII85Decode before /FlateDecode
            data = base64.a85decode(re.sub(rb"\s", b"", data[:-2]))
        with contextlib.suppress(zlib.error):
            data = zlib.decompress(data)
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", data):
            texts.append(re.sub(rb"\\(.)", rb"\1", literal).decode("latin-1"))
    return " ".join(texts)
