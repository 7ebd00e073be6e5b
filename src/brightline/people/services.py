"""Domain actions on the organisation, people and ladders. Each one is audited."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from django.db import transaction

from brightline.audit.services import log_action
from brightline.people.models import (
    CareerLadder,
    Competency,
    Level,
    Organisation,
    Person,
    Principle,
    PrincipleBehaviour,
    PrincipleSet,
)

DEFAULT_ORGANISATION_SLUG = "default"


def get_organisation() -> Organisation:
    """The installation's organisation, created on first use."""
    organisation, _ = Organisation.objects.get_or_create(slug=DEFAULT_ORGANISATION_SLUG,
                                                         defaults={"name": "Our organisation"})
    return organisation


@dataclass(frozen=True)
class LadderInstall:
    ladders: int
    levels: int
    principles: int
    already_present: bool


def install_default_ladder(*, actor: Person | None = None, actor_label: str | None = None) -> LadderInstall:
    """Install the ladder and principles shipped in ``people/data/default_ladder.json``, once."""
    document = json.loads(resources.files("brightline.people").joinpath("data/default_ladder.json").read_text())
    organisation = get_organisation()
    slugs = [ladder["slug"] for ladder in document["ladders"]]
    if CareerLadder.objects.filter(slug__in=slugs).exists():
        return LadderInstall(0, 0, 0, already_present=True)
    with transaction.atomic():
        level_count = 0
        levels_by_code: dict[str, Level] = {}
        for ladder_data in document["ladders"]:
            ladder = CareerLadder.objects.create(organisation=organisation, slug=ladder_data["slug"],
                                                 name=ladder_data["name"], track=ladder_data["track"],
                                                 description=ladder_data["description"])
            for level_data in ladder_data["levels"]:
                level = Level.objects.create(
                    ladder=ladder, code=level_data["code"], title=level_data["title"], rank=level_data["rank"],
                    summary=level_data["summary"], expected_impact=level_data["expected_impact"],
                    autonomy=level_data["autonomy"], technical_depth=level_data["technical_depth"],
                    collaboration=level_data["collaboration"], decision_making=level_data["decision_making"],
                    examples="\n".join(level_data["examples"]),
                )
                Competency.objects.bulk_create(
                    Competency(level=level, dimension=dimension, expectation=text["expectation"],
                               examples=text["examples"])
                    for dimension, text in level_data["competencies"].items()
                )
                levels_by_code[level.code] = level
                level_count += 1
        principle_data = document["principle_set"]
        principle_set = PrincipleSet.objects.create(organisation=organisation, name=principle_data["name"],
                                                    description=principle_data["description"])
        # Behaviours are written per level code (D2); an older file maps levels to shared bands.
        bands: dict[str, str] = principle_data.get("level_bands", {code: code for code in levels_by_code})
        for item in principle_data["principles"]:
            principle = Principle.objects.create(principle_set=principle_set, key=item["key"], name=item["name"],
                                                 description=item["description"])
            PrincipleBehaviour.objects.bulk_create(
                PrincipleBehaviour(principle=principle, level=levels_by_code[code], behaviour=item["behaviours"][band])
                for code, band in bands.items() if band in item["behaviours"]
            )
        result = LadderInstall(len(slugs), level_count, len(principle_data["principles"]), already_present=False)
        log_action("people.ladder.installed", actor, None,
                   {"ladders": slugs, "levels": level_count, "principles": result.principles},
                   actor_label=actor_label)
    return result


PERSON_EDITABLE_FIELDS = ("name", "manager", "team", "level", "timezone", "work_modality", "start_date",
                          "access_role", "is_active")


def _display(value: Any) -> Any:
    if hasattr(value, "pk"):
        return str(value)
    return value.isoformat() if hasattr(value, "isoformat") else value


def update_person(person: Person, *, actor: Person | None, reason: str = "", effective_on: dt.date | None = None,
                  **changes: Any) -> dict[str, Any]:
    """Change fields of a person, at once; records from → to for each changed field (and the day the change is
    said to take effect, when given) in the audit trail. Returns the changes."""
    unknown = set(changes) - set(PERSON_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"cannot edit {', '.join(sorted(unknown))} through update_person")
    diff = {name: {"from": _display(getattr(person, name)), "to": _display(value)}
            for name, value in changes.items() if getattr(person, name) != value}
    if not diff:
        return {}
    with transaction.atomic():
        for name in diff:
            setattr(person, name, changes[name])
        person.full_clean()
        person.save()
        data: dict[str, Any] = {"changes": diff, "reason": reason}
        if effective_on is not None:
            data["effective_on"] = effective_on.isoformat()
        log_action("people.person.updated", actor, person, data)
    return diff
