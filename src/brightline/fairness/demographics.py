"""Demographic attributes: imported separately, stored apart, read only by people partners, every read logged.

The attributes Brightline accepts are configured by ``settings.BRIGHTLINE_DEMOGRAPHIC_ATTRIBUTES``
(default: sex or gender, race or ethnicity, age band, disability). A column outside that list is
refused rather than stored. An empty cell means the person did not disclose; it is stored as no row
at all and reported as "not disclosed" — never guessed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from brightline import access
from brightline.audit.services import log_action
from brightline.core.fairness import NOT_DISCLOSED, suppress_small_groups
from brightline.csvio import (
    ERR_NOT_EXPECTED_CSV,
    CsvImportError,
    CsvRow,
    RowError,
    max_lengths_of,
    raise_if_refused,
    read_csv_rows,
)
from brightline.fairness.models import DemographicRecord
from brightline.people.models import Person
from brightline.policy.inventory import SOURCE_OFF_HOW
from brightline.policy.services import is_source_allowed

DEFAULT_ATTRIBUTES: tuple[str, ...] = ("sex_or_gender", "race_or_ethnicity", "age_band", "disability")
ATTRIBUTE_LABELS = {
    "sex_or_gender": "Sex or gender",
    "race_or_ethnicity": "Race or ethnicity",
    "age_band": "Age band",
    "disability": "Disability",
}
MAX_VALUE_LENGTH = 100
SOURCE_KEY = "demographics"  # the data inventory entry that must be on the policy's allow-list

ERR_NOT_ALLOWED = "only people partners can import or read demographic attributes"
ERR_SOURCE_OFF = ("demographics are not among the data sources Brightline may ingest: a people partner ticks "
                  "\"Demographic attributes (optional, voluntary)\" first" + SOURCE_OFF_HOW)
ERR_NO_EMPLOYEE_ID = "the header needs an employee_id column; it has: {found}"
ERR_NO_ATTRIBUTES = "the header names no demographic attribute; known attributes: {known}"
ERR_UNKNOWN_COLUMNS = ("column(s) {columns} are not configured demographic attributes (known: {known}); "
                       "Brightline stores only the attributes the organisation has configured")
ERR_EMPLOYEE_ID_EMPTY = "employee_id is empty"
ERR_UNKNOWN_PERSON = "employee_id {value!r} is not a person in Brightline; import people first"
ERR_DUPLICATE_ID = "employee_id {value!r} also appears on line {other}"
ERR_TOO_LONG = "{column} is longer than {limit} characters"
ERR_UNKNOWN_ATTRIBUTE = "unknown demographic attribute(s) {attributes}; known: {known}"
ERR_NO_PURPOSE = "say why the demographic attributes are read (the purpose is logged)"


class DemographicsError(Exception):
    """A demographic read or import Brightline refuses; the message says why."""


def known_attributes() -> tuple[str, ...]:
    """The configured protected attributes, in display order."""
    return tuple(getattr(settings, "BRIGHTLINE_DEMOGRAPHIC_ATTRIBUTES", DEFAULT_ATTRIBUTES))


def attribute_label(attribute: str) -> str:
    return ATTRIBUTE_LABELS.get(attribute, attribute.replace("_", " ").capitalize())


def _check_reader(viewer: Person | None, actor_label: str | None) -> None:
    # The command line runs as the operating-system account (actor_label "cli:…"); on the web and
    # the API the person must be a people partner.
    if viewer is None and (actor_label or "").startswith("cli"):
        return
    if not access.can_view_demographics(viewer):
        raise DemographicsError(ERR_NOT_ALLOWED)


# ------------------------------------------------------------------------------------------- import


@dataclass
class DemographicsImportResult:
    dry_run: bool
    rows: int = 0
    attributes: list[str] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    not_disclosed: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "rows": self.rows, "attributes": self.attributes, "created": self.created,
                "updated": self.updated, "removed": self.removed, "unchanged": self.unchanged,
                "not_disclosed": self.not_disclosed, "errors": []}


def _parse(raw: bytes) -> tuple[list[str], list[CsvRow]]:
    known = known_attributes()
    header, records = read_csv_rows(raw, expected="employee_id," + ",".join(known),
                                    max_lengths=max_lengths_of(Person, {"employee_id": "employee_id"}))
    if "employee_id" not in header and not any(column in known for column in header):
        # Not quoted back: a file with none of the expected columns is most likely some other file.
        raise CsvImportError([RowError(1, ERR_NOT_EXPECTED_CSV.format(columns="employee_id," + ",".join(known)))])
    if "employee_id" not in header:
        raise CsvImportError([RowError(1, ERR_NO_EMPLOYEE_ID.format(found=", ".join(header)))])
    unknown = [column for column in header if column != "employee_id" and column not in known]
    if unknown:
        raise CsvImportError([RowError(1, ERR_UNKNOWN_COLUMNS.format(columns=", ".join(unknown),
                                                                    known=", ".join(known)))])
    attributes = [column for column in header if column in known]
    if not attributes:
        raise CsvImportError([RowError(1, ERR_NO_ATTRIBUTES.format(known=", ".join(known)))])
    errors: list[RowError] = []
    rows: list[CsvRow] = []
    first_line: dict[str, int] = {}
    for record in records:
        if isinstance(record, RowError):
            errors.append(record)
            continue
        employee_id = record.values["employee_id"]
        if not employee_id:
            errors.append(RowError(record.line, ERR_EMPLOYEE_ID_EMPTY))
            continue
        if employee_id in first_line:
            errors.append(RowError(record.line, ERR_DUPLICATE_ID.format(value=employee_id,
                                                                       other=first_line[employee_id])))
            continue
        first_line[employee_id] = record.line
        long_values = [column for column in attributes if len(record.values[column]) > MAX_VALUE_LENGTH]
        errors.extend(RowError(record.line, ERR_TOO_LONG.format(column=column, limit=MAX_VALUE_LENGTH))
                      for column in long_values)
        if not long_values:
            rows.append(record)
    known_ids = set(Person.objects.filter(employee_id__in=first_line).values_list("employee_id", flat=True))
    errors.extend(RowError(row.line, ERR_UNKNOWN_PERSON.format(value=row.values["employee_id"]))
                  for row in rows if row.values["employee_id"] not in known_ids)
    raise_if_refused(errors, any_rows=bool(rows), noun="people")
    return attributes, rows


def import_demographics(raw: bytes, *, actor: Person | None, actor_label: str | None = None,
                        dry_run: bool = False) -> DemographicsImportResult:
    """Import self-reported attributes: every row is checked first; on any problem nothing is written.

    A value replaces the stored one; an empty cell removes it (the person withdrew or did not
    disclose). Importing the same file again changes nothing. One audit entry records the counts,
    never the values.
    """
    _check_reader(actor, actor_label)
    if not is_source_allowed(SOURCE_KEY):  # off by default (principle 6): collecting them is a decision
        raise CsvImportError([RowError(0, ERR_SOURCE_OFF)])  # shown like any refused file, web and CLI
    attributes, rows = _parse(raw)
    result = DemographicsImportResult(dry_run=dry_run, rows=len(rows), attributes=attributes)
    people = dict(Person.objects.filter(employee_id__in=[row.values["employee_id"] for row in rows])
                  .values_list("employee_id", "pk"))
    stored = {(record.person_id, record.attribute): record
              for record in DemographicRecord.objects.filter(person_id__in=people.values(), attribute__in=attributes)}
    missing: Counter[str] = Counter()
    with transaction.atomic():
        for row in rows:
            person_id = people[row.values["employee_id"]]
            for attribute in attributes:
                value = row.values[attribute]
                existing = stored.get((person_id, attribute))
                if not value:
                    missing[attribute] += 1
                    if existing is not None:
                        result.removed += 1
                        if not dry_run:
                            existing.delete()
                elif existing is None:
                    result.created += 1
                    if not dry_run:
                        DemographicRecord.objects.create(person_id=person_id, attribute=attribute, value=value)
                elif existing.value != value:
                    result.updated += 1
                    if not dry_run:
                        existing.value = value
                        existing.save(update_fields=["value", "updated_at"])
                else:
                    result.unchanged += 1
        result.not_disclosed = {attribute: missing[attribute] for attribute in attributes}
        if not dry_run:
            log_action("fairness.demographics.imported", actor, None,
                       {"rows": result.rows, "attributes": attributes, "created": result.created,
                        "updated": result.updated, "removed": result.removed, "unchanged": result.unchanged},
                       actor_label=actor_label)
    return result


# --------------------------------------------------------------------------------------------- read


def read_demographics(viewer: Person | None, *, attributes: Sequence[str], purpose: str,
                      person_ids: Iterable[int] | None = None, via: str = "web",
                      actor_label: str | None = None) -> dict[int, dict[str, str]]:
    """The only way to read the demographic table: ``{person id: {attribute: value}}``.

    Checks that the reader is a people partner (or an operator on the command line), then writes
    one audit entry naming the attributes, the purpose and how many people were covered. A person
    without a value for an attribute is absent from the inner mapping: the caller reports them as
    "not disclosed".
    """
    _check_reader(viewer, actor_label)
    known = known_attributes()
    unknown = [attribute for attribute in attributes if attribute not in known]
    if unknown:
        raise DemographicsError(ERR_UNKNOWN_ATTRIBUTE.format(attributes=", ".join(unknown), known=", ".join(known)))
    if not purpose.strip():
        raise DemographicsError(ERR_NO_PURPOSE)
    records = DemographicRecord.objects.filter(attribute__in=list(attributes))
    ids = None if person_ids is None else sorted(set(person_ids))
    if ids is not None:
        records = records.filter(person_id__in=ids)
    values: dict[int, dict[str, str]] = {}
    for person_id, attribute, value in records.values_list("person_id", "attribute", "value"):
        values.setdefault(person_id, {})[attribute] = value
    log_action("fairness.demographics.read", viewer, None,
               {"attributes": list(attributes), "purpose": purpose, "via": via,
                "people": len(ids) if ids is not None else len(values)},
               actor_label=actor_label)
    return values


@dataclass(frozen=True)
class CoverageRow:
    value: str
    count: int | None  # None: withheld (fewer than the minimum cohort, or to protect one)


@dataclass(frozen=True)
class AttributeCoverage:
    attribute: str
    label: str
    rows: tuple[CoverageRow, ...]
    disclosed_share: float | None


def demographic_coverage(viewer: Person | None, *, min_cohort: int) -> list[AttributeCoverage]:
    """How many active people disclosed each attribute, by value, small groups withheld (a logged read)."""
    people = list(Person.objects.filter(is_active=True).values_list("pk", flat=True))
    attributes = known_attributes()
    values = read_demographics(viewer, attributes=attributes, purpose="coverage summary", person_ids=people)
    coverage = []
    for attribute in attributes:
        counts = Counter(values.get(pk, {}).get(attribute) or NOT_DISCLOSED for pk in people)
        withheld = suppress_small_groups({(value,): n for value, n in counts.items()}, min_cohort=min_cohort)
        rows = tuple(CoverageRow(value, None if (value,) in withheld else n) for value, n in sorted(counts.items()))
        disclosed = sum(n for value, n in counts.items() if value != NOT_DISCLOSED)
        coverage.append(AttributeCoverage(attribute, attribute_label(attribute), rows,
                                          disclosed / len(people) if people and (NOT_DISCLOSED,) not in withheld
                                          else None))
    return coverage


def has_demographics() -> bool:
    """Whether any attribute was imported (a count, not a read of anyone's values)."""
    return DemographicRecord.objects.exists()
