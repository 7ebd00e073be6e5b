"""How the system itself is governed: the recommendation that ends the leadership brief (pure, no Django)."""

from brightline.core.governance.recommendation import (
    BriefFigures,
    CitedFigure,
    FlaggedComparison,
    Recommendation,
    RecommendationRule,
    recommend_next_quarter,
)

__all__ = [
    "BriefFigures",
    "CitedFigure",
    "FlaggedComparison",
    "Recommendation",
    "RecommendationRule",
    "recommend_next_quarter",
]
