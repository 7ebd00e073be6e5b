"""Fairness audits (G4) and manager-quality / system-health measures (G5, G6).

Pure functions over plain data – no Django. The definitions, the four-fifths rule,
suppression and the limits of these audits are documented in ``docs/metrics/fairness.md``.

Outcome audits::

    audit = audit_outcomes_csv(
        "decisions.csv", outcome_column="rating", favourable={"exceeds", "meets"},
        group_columns=["Sex", "RaceDesc"],
    )
    audit.to_json()["impact_ratio"]
"""

from brightline.core.fairness._rates import (
    MIN_EXPECTED_CELL_COUNT,
    MIN_TOTAL_FOR_SIGNIFICANCE,
    SIGNIFICANCE_LEVEL,
    SignificanceTest,
)
from brightline.core.fairness.calibration import (
    CalibrationHealth,
    CalibrationMovementReport,
    CalibrationRecord,
    ManagerCalibrationMovement,
    NetDirection,
    RatingLean,
    measure_calibration_health,
    measure_calibration_movement,
)
from brightline.core.fairness.csv_input import audit_outcomes_csv, read_decision_rows
from brightline.core.fairness.errors import (
    DUPLICATE_COLUMN,
    EMPTY_FILE,
    FAVOURABLE_VALUE_ABSENT,
    GROUP_LABEL_COLLISION,
    HEADER_ONLY,
    INVALID_MIN_COHORT,
    MISSING_COLUMN,
    NO_FAVOURABLE_VALUES,
    NO_GROUP_COLUMNS,
    NO_ROWS,
    NOT_UTF8,
    RAGGED_ROW,
    FairnessInputError,
    format_values,
)
from brightline.core.fairness.improvement import (
    COUNTS_INCONSISTENT,
    DUPLICATE_MANAGER_CYCLE,
    ComparisonStatus,
    CycleImprovementSummary,
    FeedbackComparison,
    ImprovementDirection,
    ManagerCycleFeedback,
    RateDirection,
    compare_after_feedback,
    summarise_improvement,
)
from brightline.core.fairness.intervals import wilson_interval
from brightline.core.fairness.language import FlagAudit, FlagGroupRate, LanguageAudit, audit_language
from brightline.core.fairness.outcomes import (
    DEFAULT_MIN_COHORT,
    FOUR_FIFTHS_THRESHOLD,
    GROUP_LABEL_SEPARATOR,
    NOT_DISCLOSED,
    GroupOutcome,
    OutcomeAudit,
    audit_outcome_counts,
    audit_outcomes,
    group_label,
)
from brightline.core.fairness.promotion import (
    DAYS_PER_MONTH,
    LevelStart,
    LevelVelocity,
    PromotionVelocityReport,
    measure_promotion_velocity,
)
from brightline.core.fairness.suppression import (
    SMALL_CELL,
    SuppressionPlan,
    SuppressionReason,
    SuppressionRule,
    is_small_cell,
    plan_suppression,
    suppress_small_groups,
)
from brightline.core.fairness.surveys import (
    ANSWER_OUT_OF_SCALE,
    SCALE_MAX,
    SCALE_MIN,
    ScaleSummary,
    summarise_scale_answers,
)

__all__ = [
    # outcome audits
    "audit_outcomes",
    "audit_outcomes_csv",
    "audit_outcome_counts",
    "read_decision_rows",
    "OutcomeAudit",
    "GroupOutcome",
    "SignificanceTest",
    "group_label",
    # language audits
    "audit_language",
    "LanguageAudit",
    "FlagAudit",
    "FlagGroupRate",
    # suppression and intervals
    "suppress_small_groups",
    "plan_suppression",
    "SMALL_CELL",
    "is_small_cell",
    "SuppressionPlan",
    "SuppressionRule",
    "SuppressionReason",
    "wilson_interval",
    # manager quality and system health
    "CalibrationRecord",
    "ManagerCalibrationMovement",
    "CalibrationMovementReport",
    "CalibrationHealth",
    "NetDirection",
    "RatingLean",
    "measure_calibration_movement",
    "measure_calibration_health",
    "ManagerCycleFeedback",
    "FeedbackComparison",
    "CycleImprovementSummary",
    "ComparisonStatus",
    "ImprovementDirection",
    "RateDirection",
    "compare_after_feedback",
    "summarise_improvement",
    "LevelStart",
    "LevelVelocity",
    "PromotionVelocityReport",
    "measure_promotion_velocity",
    "ScaleSummary",
    "summarise_scale_answers",
    # constants
    "DEFAULT_MIN_COHORT",
    "FOUR_FIFTHS_THRESHOLD",
    "GROUP_LABEL_SEPARATOR",
    "NOT_DISCLOSED",
    "MIN_TOTAL_FOR_SIGNIFICANCE",
    "MIN_EXPECTED_CELL_COUNT",
    "SIGNIFICANCE_LEVEL",
    "DAYS_PER_MONTH",
    "SCALE_MIN",
    "SCALE_MAX",
    # errors and their messages
    "FairnessInputError",
    "format_values",
    "MISSING_COLUMN",
    "FAVOURABLE_VALUE_ABSENT",
    "NO_FAVOURABLE_VALUES",
    "NO_GROUP_COLUMNS",
    "NO_ROWS",
    "EMPTY_FILE",
    "HEADER_ONLY",
    "NOT_UTF8",
    "RAGGED_ROW",
    "DUPLICATE_COLUMN",
    "INVALID_MIN_COHORT",
    "GROUP_LABEL_COLLISION",
    "ANSWER_OUT_OF_SCALE",
    "COUNTS_INCONSISTENT",
    "DUPLICATE_MANAGER_CYCLE",
]
