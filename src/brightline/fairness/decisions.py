"""Decision tables: one row per person and decision, the input of every outcome audit.

A table comes from a review cycle (the reviews app's decision records) or from an uploaded CSV —
either a ``brightline cycle export`` file, whose standard columns give the standard measures, or
any HRIS export with an outcome column of the user's choosing. Rows are enriched in memory with
the grouping columns the audit compares (tenure band, region, work modality, manager) and, for
people partners only, with protected attributes read from the separate demographic store (a
logged read). Nothing here is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from brightline.fairness.demographics import attribute_label, known_attributes, read_demographics
from brightline.people.models import Person, WorkModality

MeasureKind = Literal["favourable", "adverse", "neutral"]
YES, NO = "yes", "no"
TENURE_BANDS = ((1, "under 1 year"), (3, "1–3 years"), (5, "3–5 years"))
TENURE_LONG = "5 years or more"
NOT_RECORDED = ""  # an empty value: the core reports it as "not disclosed"


@dataclass(frozen=True)
class Measure:
    """An outcome counted per person: ``column`` holds "yes"/"no" for each row."""

    key: str
    label: str
    kind: MeasureKind
    detail: bool = False  # per-dimension measures: offered, not in the overview

    @property
    def column(self) -> str:
        return f"measure:{self.key}"


@dataclass(frozen=True)
class Cut:
    """A way of grouping people; several columns audit their intersection."""

    key: str
    label: str
    columns: tuple[str, ...]
    protected: bool = False


@dataclass
class DecisionTable:
    source: str
    rows: list[dict[str, str]]
    measures: list[Measure]
    cuts: list[Cut]
    protected_attributes: list[str] = field(default_factory=list)

    def measure(self, key: str) -> Measure | None:
        return next((measure for measure in self.measures if measure.key == key), None)

    def cut(self, key: str) -> Cut | None:
        return next((cut for cut in self.cuts if cut.key == key), None)


STANDARD_CUTS = (
    Cut("team", "Team", ("team",)),
    Cut("level", "Level", ("level",)),
    Cut("workload_class", "Workload class", ("workload_class",)),
    Cut("tenure_band", "Tenure band", ("tenure_band",)),
    Cut("region", "Time zone region", ("region",)),
    Cut("work_modality", "Work modality", ("work_modality",)),
    Cut("manager", "Manager", ("manager",)),
)


def dimensions() -> tuple[str, ...]:
    from brightline.people.models import Dimension

    return tuple(Dimension.values)


def tenure_band(start: dt.date | None, as_of: dt.date) -> str:
    """Whole years of service on ``as_of``, in bands; empty when the start date is not recorded."""
    if start is None:
        return NOT_RECORDED
    years = (as_of - start).days / 365.2425
    return next((label for limit, label in TENURE_BANDS if years < limit), TENURE_LONG)


def region(timezone_name: str) -> str:
    """The IANA area of a time zone (``Europe/Berlin`` → ``Europe``); a person's hours, not their place."""
    return timezone_name.split("/", 1)[0] if timezone_name else NOT_RECORDED


def _flag(value: object) -> str:
    return YES if str(value).strip().lower() in {"true", "yes", "1"} else NO


def standard_measures() -> list[Measure]:
    measures = [
        Measure("exceeds", "Exceeds on at least one dimension", "favourable"),
        Measure("needs_support", "Needs support on at least one dimension", "adverse"),
        Measure("promotion", "Ready for promotion", "favourable"),
        Measure("support_plan", "Support plan opened", "adverse"),
        Measure("calibration_changed", "Outcome changed in calibration", "neutral"),
    ]
    for dimension in dimensions():
        label = dimension.replace("_", " ")
        measures.append(Measure(f"exceeds:{dimension}", f"Exceeds on {label}", "favourable", detail=True))
        measures.append(Measure(f"needs_support:{dimension}", f"Needs support on {label}", "adverse", detail=True))
    return measures


def is_cycle_export(columns: Iterable[str]) -> bool:
    """True for a ``brightline cycle export`` file: the standard measures can be derived from it."""
    present = set(columns)
    return {"employee_id", "promotion_readiness", "support_plan_opened", "calibration_changed"} <= present and any(
        column.startswith("outcome_") for column in present)


def _derive_measures(record: Mapping[str, Any]) -> dict[str, str]:
    outcomes = {dimension: str(record.get(f"outcome_{dimension}", "") or "") for dimension in dimensions()}
    derived = {
        "measure:exceeds": YES if "exceeds" in outcomes.values() else NO,
        "measure:needs_support": YES if "needs_support" in outcomes.values() else NO,
        "measure:promotion": YES if str(record.get("promotion_readiness", "")) == "ready" else NO,
        "measure:support_plan": _flag(record.get("support_plan_opened", "")),
        "measure:calibration_changed": _flag(record.get("calibration_changed", "")),
    }
    for dimension, outcome in outcomes.items():
        derived[f"measure:exceeds:{dimension}"] = YES if outcome == "exceeds" else NO
        derived[f"measure:needs_support:{dimension}"] = YES if outcome == "needs_support" else NO
    return derived


def _people_by_employee_id(employee_ids: Iterable[str]) -> dict[str, Person]:
    return {person.employee_id: person for person in
            Person.objects.filter(employee_id__in=set(employee_ids)).select_related("team", "level", "manager")}


def _enrich(record: Mapping[str, Any], person: Person | None, managers: Mapping[str, str],
            as_of: dt.date) -> dict[str, str]:
    row = {key: "" if value is None else str(value) for key, value in record.items()}
    row.setdefault("team", person.team.slug if person and person.team else "")
    row.setdefault("level", person.level.code if person and person.level else "")
    if not row.get("workload_class"):
        row["workload_class"] = person.team.workload_class if person and person.team else ""
    row["tenure_band"] = tenure_band(person.start_date if person else None, as_of)
    row["region"] = region(person.timezone) if person else NOT_RECORDED
    modality = person.work_modality if person else ""
    row.setdefault("work_modality", "" if modality in ("", WorkModality.UNSPECIFIED) else modality)
    manager_id = row.get("manager_employee_id", "")
    row["manager"] = managers.get(manager_id, manager_id)
    return row


def protected_cuts(attributes: Sequence[str]) -> list[Cut]:
    """Each protected attribute, each pair of them, and each with level (intersections)."""
    cuts = [Cut(attribute, attribute_label(attribute), (attribute,), protected=True) for attribute in attributes]
    for index, first in enumerate(attributes):
        for second in attributes[index + 1:]:
            cuts.append(Cut(f"{first}+{second}", f"{attribute_label(first)} × {attribute_label(second)}",
                            (first, second), protected=True))
    cuts.extend(Cut(f"{attribute}+level", f"{attribute_label(attribute)} × level", (attribute, "level"),
                    protected=True) for attribute in attributes)
    return cuts


def join_protected(rows: list[dict[str, str]], *, viewer: Person | None, purpose: str, via: str = "web",
                   actor_label: str | None = None, attributes: Sequence[str] | None = None) -> list[str]:
    """Add each protected attribute as a column, in memory, from the separate store (a logged read).

    Rows are matched by ``employee_id``; a person with no value gets an empty cell, which the
    audit reports as "not disclosed". Returns the attributes joined.
    """
    chosen = list(attributes if attributes is not None else known_attributes())
    people = dict(Person.objects.filter(employee_id__in={row.get("employee_id", "") for row in rows})
                  .values_list("employee_id", "pk"))
    values = read_demographics(viewer, attributes=chosen, purpose=purpose, person_ids=people.values(), via=via,
                               actor_label=actor_label)
    for row in rows:
        person_values = values.get(people.get(row.get("employee_id", ""), -1), {})
        for attribute in chosen:
            row[attribute] = person_values.get(attribute, "")
    return chosen


def table_from_export(records: Sequence[Mapping[str, Any]], *, source: str, as_of: dt.date,
                      viewer: Person | None = None, include_protected: bool = False, via: str = "web",
                      actor_label: str | None = None) -> DecisionTable:
    """A decision table from cycle-export records (from the database or an uploaded export file)."""
    people = _people_by_employee_id(str(record.get("employee_id", "")) for record in records)
    manager_ids = {str(record.get("manager_employee_id", "")) for record in records}
    managers = dict(Person.objects.filter(employee_id__in=manager_ids).values_list("employee_id", "name"))
    rows = []
    for record in records:
        row = _enrich(record, people.get(str(record.get("employee_id", ""))), managers, as_of)
        row.update(_derive_measures(record))
        rows.append(row)
    table = DecisionTable(source=source, rows=rows, measures=standard_measures(), cuts=list(STANDARD_CUTS))
    if include_protected:
        table.protected_attributes = join_protected(rows, viewer=viewer, purpose=f"outcome audit of {source}",
                                                    via=via, actor_label=actor_label)
        table.cuts.extend(protected_cuts(table.protected_attributes))
    return table


def auditable_cycles() -> list[Any]:
    """Review cycles whose outcomes are decided (decision memo phase or later), newest first."""
    from brightline.reviews.models import Phase, ReviewCycle, phase_index

    decided = phase_index(Phase.DECISION_MEMO)
    return [cycle for cycle in ReviewCycle.objects.all() if phase_index(cycle.phase) >= decided]


def cycle_records(cycle: Any) -> list[dict[str, Any]]:
    """The reviews app's decision records for a cycle (its documented export contract)."""
    from brightline.reviews import services

    return services.decision_records(cycle)


def table_from_cycle(cycle: Any, *, viewer: Person | None, include_protected: bool, via: str = "web",
                     actor_label: str | None = None) -> DecisionTable:
    as_of = cycle.opened_at.date() if getattr(cycle, "opened_at", None) else dt.date.today()
    return table_from_export(cycle_records(cycle), source=f"review cycle {cycle.pk} ({cycle.name})", as_of=as_of,
                             viewer=viewer, include_protected=include_protected, via=via, actor_label=actor_label)
