"""Outcome and language audits over decision tables, with the pure core doing the statistics.

Every number published here comes from ``brightline.core.fairness``: groups below the minimum
cohort are withheld there (with complementary suppression against subtraction) and listed, never
silently dropped. Each run writes one audit entry naming what was compared.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brightline import csvio
from brightline.audit.services import log_action
from brightline.core.fairness import (
    FairnessInputError,
    LanguageAudit,
    OutcomeAudit,
    audit_language,
    audit_outcomes,
    read_decision_rows,
)
from brightline.core.narrative import check_text
from brightline.fairness.decisions import NO, YES, Cut, DecisionTable, Measure
from brightline.people.models import Person

LANGUAGE_FLAGS = ("vague", "personality", "no_evidence", "output_without_outcome")
ERR_NO_FILE = "choose a CSV file to audit"
ERR_TEXT_COLUMNS = "the language CSV needs the columns text and group; it has: {found}"
ERR_NO_EVENT = "nobody in this table has the outcome “{label}”, so there is no rate to compare"
ERR_EVERYONE = "everybody in this table has the outcome “{label}”, so there is no rate to compare"


@dataclass(frozen=True)
class CutAudit:
    """One measure compared across one cut.

    ``event`` gives the rate of the measure's outcome per group. ``selection`` is the audit the
    four-fifths rule applies to: the outcome itself when it is favourable, *avoiding* it when it is
    adverse (an impact ratio of "needs support" rates would read backwards), none when neutral.
    """

    measure: Measure
    cut: Cut
    event: OutcomeAudit | None
    selection: OutcomeAudit | None
    problem: str = ""

    @property
    def four_fifths_flag(self) -> bool | None:
        return self.selection.four_fifths_flag if self.selection is not None else None

    @property
    def impact_ratio(self) -> float | None:
        return self.selection.impact_ratio if self.selection is not None else None

    @property
    def suppressed(self) -> tuple[str, ...]:
        return self.event.suppressed if self.event is not None else ()

    def to_json(self) -> dict[str, Any]:
        return {"measure": self.measure.key, "measure_label": self.measure.label, "kind": self.measure.kind,
                "cut": self.cut.key, "cut_label": self.cut.label, "columns": list(self.cut.columns),
                "event": self.event.to_json() if self.event else None,
                "selection_impact_ratio": self.impact_ratio, "four_fifths_flag": self.four_fifths_flag,
                "problem": self.problem}


def _audit(rows: Sequence[dict[str, str]], column: str, favourable: str, cut: Cut, min_cohort: int) -> OutcomeAudit:
    return audit_outcomes(rows, outcome_column=column, favourable=favourable, group_columns=list(cut.columns),
                          min_cohort=min_cohort)


def audit_measure(table: DecisionTable, measure: Measure, cut: Cut, *, min_cohort: int) -> CutAudit:
    """Compare one measure across one cut of the table."""
    values = {row[measure.column] for row in table.rows}
    if YES not in values:
        return CutAudit(measure, cut, None, None, ERR_NO_EVENT.format(label=measure.label.lower()))
    event = _audit(table.rows, measure.column, YES, cut, min_cohort)
    if measure.kind == "favourable":
        selection: OutcomeAudit | None = event
    elif measure.kind == "adverse" and NO in values:
        selection = _audit(table.rows, measure.column, NO, cut, min_cohort)
    else:
        selection = None
    return CutAudit(measure, cut, event, selection)


def run_outcome_audits(table: DecisionTable, *, actor: Person | None, min_cohort: int,
                       measures: Iterable[Measure] | None = None, cuts: Iterable[Cut] | None = None,
                       actor_label: str | None = None) -> list[CutAudit]:
    """Every chosen measure across every chosen cut; one audit entry records the run."""
    chosen_measures = list(measures) if measures is not None else [m for m in table.measures if not m.detail]
    chosen_cuts = list(cuts) if cuts is not None else list(table.cuts)
    results = [audit_measure(table, measure, cut, min_cohort=min_cohort)
               for measure in chosen_measures for cut in chosen_cuts]
    log_action("fairness.outcome_audit.run", actor, None, {
        "source": table.source, "people": len(table.rows), "min_cohort": min_cohort,
        "measures": [measure.key for measure in chosen_measures], "cuts": [cut.key for cut in chosen_cuts],
        "protected_attributes": sorted({column for cut in chosen_cuts if cut.protected for column in cut.columns
                                        if column in table.protected_attributes}),
        "four_fifths_flags": sum(1 for result in results if result.four_fifths_flag),
    }, actor_label=actor_label)
    return results


# ------------------------------------------------------------------------------- uploaded CSV files


def read_uploaded_csv(raw: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """Parse an uploaded decision table with the core's reader (exact strings, clear errors)."""
    # The core reads files by path: its checks (encoding, ragged rows, duplicate columns) apply as-is.
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "uploaded.csv"
        path.write_bytes(raw)
        try:
            return read_decision_rows(path)
        except FairnessInputError as error:
            raise FairnessInputError(str(error).replace(str(path), "the uploaded file")) from None


@dataclass(frozen=True)
class CustomAudit:
    audit: OutcomeAudit
    outcome_column: str
    favourable: tuple[str, ...]
    group_columns: tuple[str, ...]
    rows: int


def run_custom_audit(rows: list[dict[str, str]], *, outcome_column: str, favourable: Sequence[str],
                     group_columns: Sequence[str], min_cohort: int, actor: Person | None, source: str,
                     protected_attributes: Sequence[str] = (), actor_label: str | None = None) -> CustomAudit:
    """Audit any decision table exactly as the offline command does (same core, same contract)."""
    audit = audit_outcomes(rows, outcome_column=outcome_column, favourable=list(favourable),
                           group_columns=list(group_columns), min_cohort=min_cohort)
    log_action("fairness.outcome_audit.run", actor, None, {
        "source": source, "people": len(rows), "min_cohort": min_cohort, "outcome_column": outcome_column,
        "group_columns": list(group_columns), "protected_attributes": list(protected_attributes),
        "four_fifths_flags": int(bool(audit.four_fifths_flag)),
    }, actor_label=actor_label)
    return CustomAudit(audit, outcome_column, tuple(favourable), tuple(group_columns), len(rows))


def audit_as_csv(results: Iterable[CutAudit]) -> str:
    """Published numbers only: one line per group per comparison; withheld groups listed as such."""
    buffer = io.StringIO()
    writer = csvio.writer(buffer, lineterminator="\n")
    writer.writerow(["measure", "cut", "group", "n", "count", "rate", "ci_low", "ci_high", "impact_ratio",
                     "four_fifths_flag", "test", "p_value", "small_sample"])
    for result in results:
        if result.event is None:
            writer.writerow([result.measure.key, result.cut.key, "", "", "", "", "", "", "", "", "", "",
                             result.problem])
            continue
        audit = result.event
        for group in audit.groups:
            writer.writerow([result.measure.key, result.cut.key, group.group, group.n, group.favourable,
                             f"{group.rate:.4f}", f"{group.ci_low:.4f}", f"{group.ci_high:.4f}",
                             "" if result.impact_ratio is None else f"{result.impact_ratio:.4f}",
                             "" if result.four_fifths_flag is None else str(result.four_fifths_flag).lower(),
                             audit.test or "", "" if audit.p_value is None else f"{audit.p_value:.6g}",
                             str(audit.small_sample).lower()])
        for label in audit.suppressed:
            writer.writerow([result.measure.key, result.cut.key, label, "withheld", "", "", "", "", "", "", "",
                             "", ""])
    return buffer.getvalue()


# ---------------------------------------------------------------------------------- language audits


@dataclass(frozen=True)
class Narrative:
    """One written text about a person, with the group it is compared in. Never shown on a page."""

    group: str
    text: str
    kind: str  # a narrative-check kind: "manager_narrative" or "feedback"


def flags_of(narrative: Narrative) -> frozenset[str]:
    return frozenset(check_text(narrative.text, kind=narrative.kind).flag_ids)  # type: ignore[arg-type]


def run_language_audit(narratives: Sequence[Narrative], *, min_cohort: int, actor: Person | None, source: str,
                       grouping: str, protected_attributes: Sequence[str] = (),
                       actor_label: str | None = None) -> LanguageAudit:
    """Narrative-check flag rates by group (vague, personality, no evidence, output without outcome)."""
    audit = audit_language(((narrative.group, flags_of(narrative)) for narrative in narratives),
                           flags=list(LANGUAGE_FLAGS), min_cohort=min_cohort)
    log_action("fairness.language_audit.run", actor, None, {
        "source": source, "grouping": grouping, "narratives": len(narratives), "min_cohort": min_cohort,
        "protected_attributes": list(protected_attributes),
    }, actor_label=actor_label)
    return audit


def narratives_from_csv(raw: bytes, *, kind: str) -> list[Narrative]:
    header, rows = read_uploaded_csv(raw)
    if "text" not in header or "group" not in header:
        raise FairnessInputError(ERR_TEXT_COLUMNS.format(found=", ".join(header)))
    return [Narrative(row["group"], row["text"], kind) for row in rows]
