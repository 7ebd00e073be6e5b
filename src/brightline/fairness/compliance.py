"""Compliance reports generated from the live data and configuration.

* A bias-audit report in the shape New York City Local Law 144 of 2021 and the DCWP rules ask for,
  applied to promotion decisions: selection rates and impact ratios by sex, by race/ethnicity and
  by their intersection, with the number of people in an unknown category.
* An AI-system record for the EU AI Act's high-risk category of systems used to evaluate the
  performance of workers (Regulation (EU) 2024/1689, Annex III point 4(b)): transparency report,
  human-oversight points, log retention and the notice to workers — each read from the running
  installation (policy, data inventory, installed apps), never typed in by hand.
"""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command, get_commands
from django.utils import timezone

import brightline
from brightline import access, csvio
from brightline.audit.models import AuditEntry
from brightline.audit.services import verify_chain
from brightline.core.fairness import (
    GROUP_LABEL_SEPARATOR,
    NOT_DISCLOSED,
    FairnessInputError,
    OutcomeAudit,
    audit_outcomes,
)
from brightline.fairness.decisions import DecisionTable
from brightline.fairness.demographics import attribute_label
from brightline.feedback.llm import llm_config
from brightline.feedback.training import PASS_MARK, QUESTIONS
from brightline.policy.inventory import NEVER_COLLECTED, RETENTION_LABELS, SOURCES
from brightline.policy.services import MIN_AUDIT_RETENTION_DAYS, get_policy
from brightline.reviews.models import PacketItem
from brightline.reviews.services import APPEAL_DECISION_DAYS, MIN_ADVERSE_EVIDENCE, MIN_PANEL_SIZE

SEX = "sex_or_gender"
RACE = "race_or_ethnicity"
SIX_MONTHS_DAYS = 183
ERR_ATTRIBUTES_MISSING = ("the LL144-shaped report needs the protected attributes {attributes}; configure and "
                          "import them first")
LEGAL_SOURCES_LL144 = ("New York City Local Law 144 of 2021 (automated employment decision tools) and the "
                       "Department of Consumer and Worker Protection rules (6 RCNY §5-300 ff.)",
                       "Uniform Guidelines on Employee Selection Procedures, 29 CFR 1607.4(D) (four-fifths rule)")
NOBODY_SELECTED = "Nobody was selected, so there are no impact ratios to compare."
LEGAL_SOURCE_AI_ACT = "Regulation (EU) 2024/1689 (the AI Act), Annex III point 4(b)"


# ------------------------------------------------------------------------------------------- LL144


@dataclass(frozen=True)
class SelectionRow:
    category: str
    n: int
    selected: int
    selection_rate: float
    impact_ratio: float | None


@dataclass(frozen=True)
class SelectionTable:
    title: str
    rows: tuple[SelectionRow, ...]
    withheld: tuple[str, ...]
    unknown_count: int | None  # None: withheld (fewer than the minimum cohort)
    notes: tuple[str, ...]


@dataclass
class LL144Report:
    source: str
    generated_at: Any
    selection_label: str
    assessed: int
    selected: int
    min_cohort: int
    tables: list[SelectionTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "generated_at": self.generated_at.isoformat(), "selection": self.selection_label,
            "assessed": self.assessed, "selected": self.selected, "min_cohort": self.min_cohort,
            "tables": [{"title": table.title, "unknown_count": table.unknown_count, "withheld": list(table.withheld),
                        "notes": list(table.notes),
                        "rows": [row.__dict__ for row in table.rows]} for table in self.tables],
            "notes": self.notes,
        }


def _is_unknown(label: str) -> bool:
    return NOT_DISCLOSED in label.split(GROUP_LABEL_SEPARATOR)


def _selection_table(rows: Sequence[dict[str, str]], column: str, columns: Sequence[str], title: str,
                     min_cohort: int) -> SelectionTable:
    def audit(favourable: str) -> OutcomeAudit:
        return audit_outcomes(rows, outcome_column=column, favourable=favourable, group_columns=list(columns),
                              min_cohort=min_cohort)

    nobody_selected = False
    try:
        selection = audit("yes")
    except FairnessInputError:
        # Counting those not selected gives the same categories, sizes and withheld groups, so who was
        # assessed (and how many did not say) is still reported.
        try:
            selection = audit("no")
        except FairnessInputError:
            return SelectionTable(title, (), (), None, (NOBODY_SELECTED,))
        nobody_selected = True
    # DCWP rules: impact ratios compare known categories; the unknown category is counted, not rated.
    known = [group for group in selection.groups if not _is_unknown(group.group)]
    if nobody_selected:
        return SelectionTable(title, tuple(SelectionRow(group.group, group.n, 0, 0.0, None) for group in known),
                              selection.suppressed, selection.unknown_count, (NOBODY_SELECTED,))
    best = max((group.rate for group in known), default=0.0)
    table_rows = tuple(SelectionRow(group.group, group.n, group.favourable, group.rate,
                                    group.rate / best if best > 0 else None) for group in known)
    notes = [note for note in selection.notes if not note.startswith("Small sample")]
    if selection.small_sample:
        notes.append("Small sample: the rates rest on few people and cannot tell a real gap from chance.")
    return SelectionTable(title, table_rows, selection.suppressed, selection.unknown_count, tuple(notes))


def build_ll144_report(table: DecisionTable, *, min_cohort: int, measure_key: str = "promotion") -> LL144Report:
    """Selection rates and impact ratios by sex, race/ethnicity and both, from a table with them joined."""
    missing = [attribute for attribute in (SEX, RACE) if attribute not in table.protected_attributes]
    if missing:
        raise FairnessInputError(ERR_ATTRIBUTES_MISSING.format(attributes=", ".join(missing)))
    measure = table.measure(measure_key)
    column = measure.column if measure else f"measure:{measure_key}"
    label = measure.label if measure else measure_key
    selected = sum(1 for row in table.rows if row.get(column) == "yes")
    report = LL144Report(source=table.source, generated_at=timezone.now(), selection_label=label,
                         assessed=len(table.rows), selected=selected, min_cohort=min_cohort)
    for columns, title in (((SEX,), f"By {attribute_label(SEX).lower()}"),
                           ((RACE,), f"By {attribute_label(RACE).lower()}"),
                           ((SEX, RACE), f"By {attribute_label(SEX).lower()} and {attribute_label(RACE).lower()}")):
        report.tables.append(_selection_table(table.rows, column, columns, title, min_cohort))
    report.notes.extend([
        "Selection rate = people selected ÷ people assessed in the category. Impact ratio = a category's "
        "selection rate ÷ the highest selection rate among the categories shown.",
        "People who did not disclose a category are counted as unknown and left out of the impact ratios.",
        f"Categories with fewer than {min_cohort} people are withheld, together with any category that would "
        "let them be worked out by subtraction; they are listed, not dropped.",
        "Brightline does not use AI to make or substantially assist promotion decisions; this report follows "
        "the LL144 format voluntarily so that counsel can compare it with other audits.",
    ])
    return report


def ll144_csv(report: LL144Report) -> str:
    buffer = io.StringIO()
    writer = csvio.writer(buffer, lineterminator="\n")
    writer.writerow(["table", "category", "assessed", "selected", "selection_rate", "impact_ratio"])
    for table in report.tables:
        for row in table.rows:
            writer.writerow([table.title, row.category, row.n, row.selected, f"{row.selection_rate:.4f}",
                             "" if row.impact_ratio is None else f"{row.impact_ratio:.4f}"])
        for label in table.withheld:
            writer.writerow([table.title, label, "withheld", "", "", ""])
        writer.writerow([table.title, "unknown (not disclosed)",
                         f"fewer than {report.min_cohort}" if table.unknown_count is None else table.unknown_count,
                         "", "", ""])
    return buffer.getvalue()


# ------------------------------------------------------------------------------ AI-system record


@dataclass(frozen=True)
class RecordSection:
    title: str
    intro: str
    items: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()  # first row is the header


@dataclass
class AiSystemRecord:
    generated_at: Any
    sections: list[RecordSection]
    retention_days: dict[str, int]
    retention_ok: bool

    def to_json(self) -> dict[str, Any]:
        return {"generated_at": self.generated_at.isoformat(), "retention_days": self.retention_days,
                "retention_ok": self.retention_ok,
                "sections": [{"title": s.title, "intro": s.intro, "items": list(s.items),
                              "table": [list(row) for row in s.table]} for s in self.sections]}


def transparency_report() -> dict[str, Any] | None:
    """The insights app's transparency report (``brightline report transparency --json``), if it has one."""
    if "report" not in get_commands():
        return None
    from brightline.commands import discover

    if "transparency" not in discover("report"):
        return None
    out = io.StringIO()
    call_command("report", "transparency", "--json", stdout=out)
    return json.loads(out.getvalue())


def _transparency_section() -> RecordSection:
    report = transparency_report()
    if report is None:
        return RecordSection("Transparency report",
                             "Not available: this installation has no AI-signal transparency report yet (the "
                             "insights app does not provide 'brightline report transparency'). No AI signal is "
                             "produced without one.")
    items = []
    for signal_type in report.get("signal_types", []):
        accuracy = "; ".join(f"{entry['metric']} {entry['value']} on {entry['dataset']} (n={entry['n']})"
                             for entry in signal_type.get("accuracy", [])[:3]) or "not measured"
        items.append(f"{signal_type['title']} — detects: {signal_type['detects']} Cannot infer: "
                     f"{signal_type['cannot_infer']} Measured: {accuracy}. Human review: "
                     f"{signal_type['human_review']}")
    return RecordSection("Transparency report",
                         "Generated by 'brightline report transparency': the data each model uses, its time "
                         "window, what it detects, what it cannot infer and its measured accuracy.", tuple(items))


def _oversight_items(policy: Any) -> list[str]:
    items: list[str] = [
        "AI can never assign a rating or decide an outcome: the policy refuses any setting that would allow it.",
    ]
    # Sorted: PostgreSQL's jsonb does not keep the order keys were written in.
    boundaries = sorted(policy.ai_boundaries.items())
    enabled = [key.removesuffix("_enabled").replace("_", " ") for key, on in boundaries if on]
    disabled = [key.removesuffix("_enabled").replace("_", " ") for key, on in boundaries if not on]
    items.append(f"AI features switched on by the policy: {', '.join(enabled) or 'none'}; switched off: "
                 f"{', '.join(disabled) or 'none'}.")
    # Read from the constants the services enforce: renaming one breaks this import, never drops a line.
    items.append("An AI signal reaches a calibration packet only when a person explicitly includes it "
                 f"(packet item kind: “{PacketItem.Kind.SIGNAL.label}”); every inclusion is logged.")
    items.append(f"A “needs support” outcome needs at least {MIN_ADVERSE_EVIDENCE} cited evidence items that are not "
                 "AI signals, and a second approver who is neither the proposer nor the person.")
    items.append(f"Calibration is decided by a panel of at least {MIN_PANEL_SIZE} people, who record independent "
                 "pre-votes; panelists in the person's management chain are excluded (conflict of "
                 "interest), and every change records who, when, from → to and why.")
    items.append(f"Appeals are decided by a reviewer outside the person's management chain within "
                 f"{APPEAL_DECISION_DAYS} days, with escalation to a named accountable person.")
    items.append(f"Managers submit assessments only after the readiness training (pass mark {PASS_MARK} of "
                 f"{len(QUESTIONS)}): strong and weak narrative examples and bias awareness.")
    try:
        endpoint = llm_config()
    except ImproperlyConfigured:  # a misconfigured endpoint is reported in the record, not raised
        endpoint = None
    items.append("Drafts from a language model are proposals a person edits and approves; endpoint configured: "
                 f"{'yes (' + endpoint.model + ')' if endpoint else 'no (drafting runs offline)'}.")
    items.append(f"Appeal path shown to employees: {policy.appeal_path}")
    return items


def build_ai_system_record() -> AiSystemRecord:
    """The record, generated from the running installation's configuration and data inventory."""
    policy = get_policy()
    installed = [config for config in apps.get_app_configs() if config.name.startswith("brightline.")]
    retention = dict(policy.retention_days)
    log_days = {key: retention.get(key, 0) for key in ("audit", "access_logs")}
    retention_ok = all(days >= SIX_MONTHS_DAYS for days in log_days.values())
    chain = verify_chain()
    audits_run = AuditEntry.objects.filter(action__startswith="fairness.").filter(action__endswith=".run")
    last_audit = audits_run.order_by("-seq").first()
    sections = [
        RecordSection(
            "System and intended purpose",
            f"Brightline {brightline.__version__}, self-hosted. It supports evidence-based performance reviews of "
            "engineers: it gathers evidence, checks the language of narratives, and runs calibration and "
            f"appeals. Systems used to evaluate the performance of workers are high-risk under "
            f"{LEGAL_SOURCE_AI_ACT}. People decide every outcome.",
            tuple(f"{config.verbose_name} ({config.label})" for config in installed)),
        _transparency_section(),
        RecordSection("Human oversight in the workflow",
                      "Where a person must act before anything affects a worker, read from this installation's "
                      "policy and the installed workflow.", tuple(_oversight_items(policy))),
        RecordSection(
            "Logs and their retention",
            f"Every state change is written to a hash-chained audit trail, and every read of another person's "
            f"record to an access log the person can see. Deployers must keep such logs for at least six months; "
            f"the policy refuses less than {MIN_AUDIT_RETENTION_DAYS} days.",
            (f"Audit trail kept for {log_days['audit']} days.",
             f"Access log kept for {log_days['access_logs']} days.",
             "Both at least six months: " + ("yes." if retention_ok else "NO — raise the retention in the policy."),
             f"Audit chain verified now: {'intact' if chain.ok else 'BROKEN at entry ' + str(chain.first_bad_entry)}, "
             f"{chain.entries} entries."),
            (("Data category", "Kept for (days)"),
             *((RETENTION_LABELS.get(key, key).capitalize(), str(days)) for key, days in sorted(retention.items()))),
        ),
        RecordSection(
            "Notice to workers",
            "The same content every employee sees on “How Brightline uses data about you” (/data-use/).",
            (f"Who sees a record: {access.RECORD_READERS}",
             f"Aggregates never show a group smaller than {policy.min_cohort_size} people.",
             "Never collected: " + "; ".join(NEVER_COLLECTED) + ".",
             f"If you disagree with an outcome: {policy.appeal_path}"),
            (("Source", "Fields", "Purpose", "Kept for (days)", "Collected"),
             *((source.name, ", ".join(source.fields), source.purpose,
                str(retention.get(source.retention_category, "")),
                "yes" if source.key in policy.allowed_sources else "no") for source in SOURCES)),
        ),
        RecordSection(
            "Monitoring for bias",
            "Outcome and language audits compare rates across teams, levels, tenure, region, modality and — for "
            "people partners only — self-reported demographic groups, with small groups withheld.",
            (f"Audit runs recorded: {audits_run.count()}; last: "
             f"{last_audit.created_at.date().isoformat() if last_audit else 'none yet'}.",)),
    ]
    return AiSystemRecord(generated_at=timezone.now(), sections=sections, retention_days=log_days,
                          retention_ok=retention_ok)
