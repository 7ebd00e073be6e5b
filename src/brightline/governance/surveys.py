"""Clarity-of-expectations survey answers: imported from a CSV, stored without respondents, shown as aggregates.

One row per answer: ``survey_date,question,answer`` plus the respondent's ``manager_id`` (the
manager's employee id) and/or ``team``. A column that would say who answered (``employee_id``,
``respondent_id``, ``email``, ``name``) is refused: Brightline does not store it. Answers are
shown per quarter as a median and a distribution, only for groups of at least the policy's
minimum cohort (the core's suppression, complementary suppression included).

A file carries whole survey rounds: importing answers for a round (survey date × question ×
manager) replaces what was stored for that round, so importing the same file again changes
nothing. Every row is checked first; on any problem nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action
from brightline.core.fairness import SCALE_MAX, SCALE_MIN, ScaleSummary, summarise_scale_answers
from brightline.csvio import (
    CsvImportError,
    CsvRow,
    CsvSource,
    RowError,
    check_columns,
    max_lengths_of,
    raise_if_refused,
    read_csv_rows,
)
from brightline.governance.models import SurveyResponse
from brightline.people.models import Person, Team
from brightline.policy.inventory import SOURCE_OFF_HOW
from brightline.policy.services import is_source_allowed

SOURCE_KEY = "surveys"  # the data inventory entry that must be on the policy's allow-list
CLARITY = "clarity_of_expectations"
# Only questions a page shows are accepted (least data): storing answers nobody reads is not a purpose.
QUESTIONS = {CLARITY: "I know what is expected of me in my role."}
REQUIRED_COLUMNS = ("survey_date", "question", "answer")
OPTIONAL_COLUMNS = ("manager_id", "team")
IDENTIFYING_COLUMNS = frozenset({"employee_id", "respondent", "respondent_id", "email", "name", "person"})

ERR_NOT_ALLOWED = "only people partners can import survey answers"
ERR_SOURCE_OFF = ("survey answers are not among the data sources Brightline may ingest: a people partner ticks "
                  "\"Clarity-of-expectations survey answers (imported)\" first" + SOURCE_OFF_HOW)
ERR_NO_ATTRIBUTION = "the header needs manager_id or team (or both), so answers can be attributed to a manager"
ERR_IDENTIFYING = ("column(s) {columns} would identify who answered; survey answers are anonymous in Brightline, "
                   "remove them from the export")
ERR_REQUIRED = "{column} is empty"
ERR_BAD_DATE = "survey_date {value!r} is not a date in the form YYYY-MM-DD"
ERR_FUTURE_DATE = "survey_date {value} is in the future"
ERR_UNKNOWN_QUESTION = "question {value!r} is not one Brightline shows; known: {known}"
ERR_BAD_ANSWER = "answer {value!r} is not a whole number from {low} to {high}"
ERR_NO_MANAGER = "give manager_id or team"
ERR_UNKNOWN_MANAGER = "manager_id {value!r} is not a person in Brightline; import people first"
ERR_UNKNOWN_TEAM = "team {value!r} is not a team in Brightline (give its slug or name)"
ERR_TEAM_MANAGER = ("team {value!r} has {count} managers in Brightline, so the answer cannot be attributed; "
                    "give manager_id")


def quarter(day: dt.date) -> str:
    """The calendar quarter a survey round belongs to, e.g. ``2026 Q3``: answers are reported per quarter."""
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


# ------------------------------------------------------------------------------------------- import


@dataclass(frozen=True)
class AnswerRow:
    line: int
    survey_date: dt.date
    question: str
    answer: int
    manager_id: int
    team_id: int | None

    @property
    def round(self) -> tuple[dt.date, str, int]:
        return self.survey_date, self.question, self.manager_id


@dataclass
class SurveyImportResult:
    dry_run: bool
    rows: int = 0
    rounds: int = 0
    created: int = 0  # rounds new to Brightline
    updated: int = 0  # rounds whose stored answers the file replaced
    unchanged: int = 0  # rounds stored with exactly these answers
    blank: int = 0  # rows without an answer (the respondent skipped the question)
    by_quarter: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "rows": self.rows, "rounds": self.rounds, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "blank": self.blank,
                "by_quarter": self.by_quarter, "errors": []}

    def describe(self) -> str:
        verb = "Would import" if self.dry_run else "Imported"
        text = (f"{verb} {self.rows} survey answers in {self.rounds} rounds: {self.created} new, "
                f"{self.updated} replaced, {self.unchanged} unchanged.")
        return text + (f" {self.blank} blank answers skipped." if self.blank else "")


class _Resolver:
    """Employee ids and team names to ids, read once per file."""

    def __init__(self, records: list[CsvRow]):
        ids = {record.values.get("manager_id", "") for record in records} - {""}
        self.people = dict(Person.objects.filter(employee_id__in=ids).values_list("employee_id", "pk"))
        self.teams: dict[str, int] = {}
        for team_id, slug, name in Team.objects.values_list("pk", "slug", "name"):
            self.teams[slug.lower()] = team_id
            self.teams.setdefault(name.lower(), team_id)
        self._team_managers: dict[int, set[int]] | None = None

    def team_managers(self, team_id: int) -> set[int]:
        # A team's manager is whoever manages its active members from inside the team: the manager who
        # leads it, not the director above several teams.
        if self._team_managers is None:
            self._team_managers = defaultdict(set)
            for member_team, manager_id, manager_team in Person.objects.filter(
                    is_active=True, manager__isnull=False, team__isnull=False).values_list(
                    "team_id", "manager_id", "manager__team_id"):
                if manager_team == member_team:
                    self._team_managers[member_team].add(manager_id)
        return self._team_managers.get(team_id, set())


def _parse_row(record: CsvRow, resolver: _Resolver, today: dt.date) -> tuple[AnswerRow | None, list[str]]:
    values = record.values
    problems = [ERR_REQUIRED.format(column=column) for column in ("survey_date", "question") if not values[column]]
    day: dt.date | None = None
    if values["survey_date"]:
        try:
            day = dt.date.fromisoformat(values["survey_date"])
        except ValueError:
            problems.append(ERR_BAD_DATE.format(value=values["survey_date"]))
        else:
            if day > today:
                problems.append(ERR_FUTURE_DATE.format(value=day.isoformat()))
    question = values["question"].lower()
    if question and question not in QUESTIONS:
        problems.append(ERR_UNKNOWN_QUESTION.format(value=values["question"], known=", ".join(QUESTIONS)))
    answer: int | None = None
    raw_answer = values["answer"]
    if raw_answer.isdigit() and SCALE_MIN <= int(raw_answer) <= SCALE_MAX:
        answer = int(raw_answer)
    else:
        problems.append(ERR_BAD_ANSWER.format(value=raw_answer, low=SCALE_MIN, high=SCALE_MAX))
    manager_key, team_key = values.get("manager_id", ""), values.get("team", "")
    manager_id = resolver.people.get(manager_key) if manager_key else None
    team_id = resolver.teams.get(team_key.lower()) if team_key else None
    if manager_key and manager_id is None:
        problems.append(ERR_UNKNOWN_MANAGER.format(value=manager_key))
    if team_key and team_id is None:
        problems.append(ERR_UNKNOWN_TEAM.format(value=team_key))
    if not manager_key and not team_key:
        problems.append(ERR_NO_MANAGER)
    if not manager_key and team_id is not None:
        managers = resolver.team_managers(team_id)
        if len(managers) == 1:
            manager_id = next(iter(managers))
        else:
            problems.append(ERR_TEAM_MANAGER.format(value=team_key, count=len(managers)))
    if problems or day is None or answer is None or manager_id is None:
        return None, problems
    return AnswerRow(record.line, day, question, answer, manager_id, team_id), []


def parse_survey_answers(raw: CsvSource, *, today: dt.date | None = None) -> tuple[list[AnswerRow], int]:
    """Every answer in the file, checked; returns the answers and the number of blank answers skipped.

    Raises :class:`CsvImportError` listing every problem with its line.
    """
    today = today or timezone.localdate()
    limits = {**max_lengths_of(SurveyResponse, {"question": "question"}),
              **max_lengths_of(Person, {"manager_id": "employee_id"}), **max_lengths_of(Team, {"team": "name"})}
    header, records = read_csv_rows(raw, expected=",".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS), max_lengths=limits)
    identifying = [column for column in header if column in IDENTIFYING_COLUMNS]
    if identifying:
        raise CsvImportError([RowError(1, ERR_IDENTIFYING.format(columns=", ".join(identifying)))])
    check_columns(header, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    if not any(column in header for column in OPTIONAL_COLUMNS):
        raise CsvImportError([RowError(1, ERR_NO_ATTRIBUTION)])
    errors: list[RowError] = []
    checked: list[CsvRow] = []
    blank = 0
    for record in records:
        if isinstance(record, RowError):
            errors.append(record)
        elif not record.values["answer"]:
            blank += 1  # the respondent skipped the question: nothing to store
        else:
            checked.append(record)
    resolver = _Resolver(checked)
    rows: list[AnswerRow] = []
    for record in checked:
        row, problems = _parse_row(record, resolver, today)
        errors.extend(RowError(record.line, problem) for problem in problems)
        if row is not None:
            rows.append(row)
    raise_if_refused(errors, any_rows=bool(rows), noun="answers")
    return rows, blank


def import_survey_answers(raw: CsvSource, *, actor: Person | None, actor_label: str | None = None,
                          dry_run: bool = False, today: dt.date | None = None) -> SurveyImportResult:
    """Import anonymous survey answers: all rows or none; each round in the file replaces the stored one.

    One audit entry records the counts, never an answer.
    """
    if not (actor is None and (actor_label or "").startswith("cli")) and not access.can_manage_people(actor):
        raise PermissionError(ERR_NOT_ALLOWED)
    if not is_source_allowed(SOURCE_KEY):
        raise CsvImportError([RowError(0, ERR_SOURCE_OFF)])
    rows, blank = parse_survey_answers(raw, today=today)
    rounds: dict[tuple[dt.date, str, int], list[AnswerRow]] = defaultdict(list)
    for row in rows:
        rounds[row.round].append(row)
    result = SurveyImportResult(dry_run=dry_run, rows=len(rows), rounds=len(rounds), blank=blank,
                                by_quarter=dict(sorted(Counter(quarter(row.survey_date) for row in rows).items())))
    stored: dict[tuple[dt.date, str, int], list[tuple[int, int | None]]] = defaultdict(list)
    stored_ids: dict[tuple[dt.date, str, int], list[int]] = defaultdict(list)
    for pk, day, question, manager_id, answer, team_id in SurveyResponse.objects.filter(
            survey_date__in={key[0] for key in rounds}, manager_id__in={key[2] for key in rounds}).values_list(
            "pk", "survey_date", "question", "manager_id", "answer", "team_id"):
        stored[(day, question, manager_id)].append((answer, team_id))
        stored_ids[(day, question, manager_id)].append(pk)
    replaced: list[int] = []
    fresh: list[SurveyResponse] = []
    with transaction.atomic():
        for key, answers in rounds.items():
            before = Counter(stored.get(key, []))
            if before == Counter((row.answer, row.team_id) for row in answers):
                result.unchanged += 1
                continue
            if before:
                result.updated += 1
            else:
                result.created += 1
            day, question, manager_id = key
            replaced.extend(stored_ids.get(key, []))
            fresh.extend(SurveyResponse(survey_date=day, question=question, manager_id=manager_id,
                                        team_id=row.team_id, answer=row.answer) for row in answers)
        if not dry_run:  # in bulk: the replaced rounds' answers by id, the new answers in batches
            for start in range(0, len(replaced), 900):
                SurveyResponse.objects.filter(pk__in=replaced[start:start + 900]).delete()
            SurveyResponse.objects.bulk_create(fresh, batch_size=1000)
        if not dry_run:
            log_action("fairness.survey_answers.imported", actor, None,
                       {"rows": result.rows, "rounds": result.rounds, "created": result.created,
                        "updated": result.updated, "unchanged": result.unchanged, "blank": result.blank,
                        "by_quarter": result.by_quarter}, actor_label=actor_label)
    return result


# --------------------------------------------------------------------------------------------- read


@dataclass(frozen=True)
class QuarterClarity:
    """One quarter of clarity answers: the summary, or why it is withheld."""

    quarter: str
    summary: ScaleSummary

    @property
    def not_enough_responses(self) -> bool:
        return self.summary.withheld == "below_min_cohort"


@dataclass(frozen=True)
class ClarityReport:
    """Clarity-of-expectations answers per quarter, oldest first; ``quarters`` is empty when none were imported."""

    question: str
    wording: str
    min_cohort: int
    quarters: list[QuarterClarity]


def _answers_by_quarter() -> dict[str, dict[str, list[int]]]:
    """``{quarter: {manager id: answers}}`` for the clarity question."""
    answers: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for day, manager_id, answer in SurveyResponse.objects.filter(question=CLARITY).values_list(
            "survey_date", "manager_id", "answer"):
        answers[quarter(day)][str(manager_id)].append(answer)
    return answers


def clarity_for_manager(manager: Person, *, min_cohort: int) -> ClarityReport:
    """The clarity answers of ``manager``'s reports per quarter.

    Suppression is decided over all managers of the quarter, not this manager alone: the
    organisation's figure for the quarter is published on the system-health page, so a small team
    next to published ones could otherwise be worked out by subtraction. Nothing publishes a
    manager's answers summed over quarters, so each quarter is its own table.
    """
    quarters = []
    for label, by_manager in sorted(_answers_by_quarter().items()):
        if str(manager.pk) not in by_manager:
            continue
        summaries = summarise_scale_answers({(key,): values for key, values in by_manager.items()},
                                            min_cohort=min_cohort)
        quarters.append(QuarterClarity(label, summaries[(str(manager.pk),)]))
    return ClarityReport(CLARITY, QUESTIONS[CLARITY], min_cohort, quarters)


def clarity_for_organisation(*, min_cohort: int) -> ClarityReport:
    """The clarity answers of everyone per quarter (G6 "employee clarity"); small quarters withheld."""
    totals = {(label,): [answer for values in by_manager.values() for answer in values]
              for label, by_manager in _answers_by_quarter().items()}
    summaries = summarise_scale_answers(totals, min_cohort=min_cohort)
    return ClarityReport(CLARITY, QUESTIONS[CLARITY], min_cohort,
                         [QuarterClarity(group[0], summary) for group, summary in summaries.items()])
