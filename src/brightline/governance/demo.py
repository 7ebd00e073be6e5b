"""Demo history for the fairness pages: demographics, HRIS movements and clarity survey answers.

Everything here is synthetic: demographic values are drawn at random, independently of names,
teams and outcomes, with a realistic share of people who did not disclose. They go in through
the real imports (as a people partner would load them), after the policy's allow-list is
extended the way a people partner would extend it. Deterministic: drawn from a generator
seeded from the demo's (``context.rng``), which this step never draws from, so the steps after
it see the same numbers whether or not it runs.

Time: the imports stamp rows with the real clock; afterwards each row is moved to when it would
have been imported (on or before the demo's "today"). Dates below are written on the demo's
reference calendar and moved onto the calendar of the day the demo is built for; the survey rounds
instead close in each of the four calendar quarters before the current one, since the pages group
them by quarter.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from typing import Any

from brightline.core.demo_calendar import previous_quarter_days
from brightline.fairness.demographics import import_demographics
from brightline.fairness.models import DemographicRecord
from brightline.governance.hris import import_hris_events
from brightline.governance.models import HrisEvent, SurveyResponse
from brightline.governance.surveys import CLARITY, import_survey_answers
from brightline.people.models import Person
from brightline.policy.services import get_policy, update_policy

NOT_DISCLOSED = ""  # an empty cell: the person did not say
# (value, weight) per attribute; weights are rough shares of a European/US software organisation.
DEMOGRAPHICS: dict[str, tuple[tuple[str, int], ...]] = {
    "sex_or_gender": (("Woman", 36), ("Man", 52), ("Non-binary", 2), (NOT_DISCLOSED, 10)),
    "race_or_ethnicity": (("White", 40), ("Asian", 24), ("Black or African American", 9),
                          ("Hispanic or Latino", 10), ("Two or more races", 4), (NOT_DISCLOSED, 13)),
    "age_band": (("Under 30", 28), ("30–39", 40), ("40–49", 19), ("50 and over", 7), (NOT_DISCLOSED, 6)),
    "disability": (("No", 68), ("Yes", 7), (NOT_DISCLOSED, 25)),
}
DEMOGRAPHICS_IMPORTED = dt.date(2025, 8, 18)  # a voluntary self-identification campaign before the first cycle

# Survey rounds: each quarterly pulse closed this many days before the end of its quarter, oldest first;
# the four rounds fall in the four quarters before the demo's current one.
SURVEY_ROUND_DAYS_BEFORE_QUARTER_END = (19, 11, 11, 12)


def survey_rounds(today: dt.date) -> tuple[dt.date, ...]:
    """The day each of the demo's quarterly pulses closed, oldest first, for a demo built for ``today``."""
    return previous_quarter_days(today, SURVEY_ROUND_DAYS_BEFORE_QUARTER_END)


# People who moved out of engineering or left: not in Brightline any more, so their ids are their own.
MOVEMENTS = (
    # employee id, event, date, regretted, from team, to team
    ("NW0901", "transferred", dt.date(2025, 12, 1), "", "search", "Data science"),
    ("NW0902", "transferred", dt.date(2026, 4, 6), "", "mobile", "Product management"),
    ("NW0903", "transferred", dt.date(2026, 8, 3), "", "sre", "Solutions engineering"),
    ("NW0911", "left", dt.date(2025, 12, 19), "no", "billing-legacy", ""),
    ("NW0912", "left", dt.date(2026, 2, 27), "no", "checkout", ""),
    ("NW0913", "left", dt.date(2026, 7, 24), "yes", "search", ""),
)
# Promotions before the first review cycle, so every review in the demo was written at the person's
# current level.
PROMOTIONS_BEFORE = dt.date(2025, 8, 1)


def _moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def _csv(header: str, rows: Iterable[Sequence[str]]) -> bytes:
    return (header + "\n" + "".join(",".join(row) + "\n" for row in rows)).encode()


def _allow_sources(partner: Person) -> None:
    allowed = get_policy().allowed_sources
    update_policy(actor=partner, reason="Demo: voluntary self-identification and the quarterly clarity pulse "
                                        "are imported for fairness audits and manager quality.",
                  allowed_sources=[*allowed, *(key for key in ("demographics", "surveys") if key not in allowed)])


def _demographics(rng: random.Random, people: Sequence[Person], partner: Person, context: Any) -> None:
    attributes = list(DEMOGRAPHICS)
    rows = []
    for person in people:
        values = [rng.choices([v for v, _ in DEMOGRAPHICS[a]], [w for _, w in DEMOGRAPHICS[a]])[0]
                  for a in attributes]
        rows.append([person.employee_id, *values])
    import_demographics(_csv("employee_id," + ",".join(attributes), rows), actor=partner)
    imported = _moment(context.date(DEMOGRAPHICS_IMPORTED))
    DemographicRecord.objects.update(imported_at=imported, updated_at=imported)


def _promotions(rng: random.Random, people: Sequence[Person], promotions_before: dt.date) -> list[tuple[str, ...]]:
    """Some IC2–IC4 engineers reached their level by promotion, a year or more after joining."""
    rows = []
    for person in people:
        code = person.level.code if person.level else ""
        if code not in {"IC2", "IC3", "IC4"} or person.start_date is None:
            continue
        earliest = person.start_date + dt.timedelta(days=365)
        if earliest >= promotions_before - dt.timedelta(days=60) or rng.random() > 0.4:
            continue
        day = earliest + dt.timedelta(days=rng.randrange((promotions_before - earliest).days))
        rows.append((person.employee_id, "promoted", day.isoformat(), "", "", "", f"IC{int(code[2]) - 1}", code))
    return rows


def _hris_events(rng: random.Random, people: Sequence[Person], partner: Person, context: Any) -> None:
    rows = _promotions(rng, people, context.date(PROMOTIONS_BEFORE))
    rows += [(employee_id, event, context.date(day).isoformat(), regretted, from_team, to_team, "", "")
             for employee_id, event, day, regretted, from_team, to_team in MOVEMENTS]
    import_hris_events(_csv("employee_id,event,date,regretted,from_team,to_team,from_level,to_level", rows),
                       actor=partner)
    # The HR system's monthly export: each event reaches Brightline a few days after it happened.
    for event in HrisEvent.objects.all():
        HrisEvent.objects.filter(pk=event.pk).update(imported_at=_moment(event.date + dt.timedelta(days=3)))


# Mo's team finds its footing after a rough patch (expectations written down after the 2025 H2 review);
# in the summer round only four of the six answered, so that quarter is "not enough responses".
MO_CLARITY = ((2.8, 5), (3.3, 6), (3.7, 4), (4.2, 6))  # (mean answer, responses) per survey round


def _clarity_answers(rng: random.Random, managers: Sequence[Person], mo: Person,
                     rounds_closed: Sequence[dt.date]) -> list[tuple[str, ...]]:
    rows = []
    for manager in managers:
        reports = manager.reports.filter(is_active=True).count()
        if manager == mo:
            rounds = MO_CLARITY
        else:  # the others drift a little either way; a few people skip each round
            start, trend = rng.uniform(3.0, 4.3), rng.uniform(-0.15, 0.2)
            rounds = tuple((start + trend * index, max(0, reports - rng.choice([0, 0, 1, 1, 2])))
                           for index in range(len(rounds_closed)))
        for day, (mean, responses) in zip(rounds_closed, rounds, strict=True):
            answers = [min(5, max(1, round(rng.gauss(mean, 0.7)))) for _ in range(responses)]
            rows.extend((day.isoformat(), manager.employee_id, CLARITY, str(answer)) for answer in answers)
    return rows


def _surveys(rng: random.Random, people: Sequence[Person], context: Any) -> None:
    managers = [person for person in people if person.reports.filter(is_active=True).exists()]
    rounds_closed = survey_rounds(context.today)
    rows = _clarity_answers(rng, managers, context.personas["mo"], rounds_closed)
    import_survey_answers(_csv("survey_date,manager_id,question,answer", rows), actor=context.personas["pia"],
                          today=context.today)
    for day in rounds_closed:
        SurveyResponse.objects.filter(survey_date=day).update(imported_at=_moment(day + dt.timedelta(days=3)))


def build_demo_history(context: Any) -> None:
    rng = random.Random(f"fairness:{context.rng.getstate()!r}")
    people = sorted(context.people, key=lambda person: person.employee_id)
    partner = context.personas["pia"]
    _allow_sources(partner)
    _demographics(rng, people, partner, context)
    _hris_events(rng, people, partner, context)
    _surveys(rng, people, context)
