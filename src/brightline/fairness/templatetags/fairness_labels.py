"""Show a stored group key (a team's slug) by its human label on aggregate pages, and rates as percentages.

Rates are stored and served (API, CSV, JSON) as fractions in [0, 1]; people read them as percentages.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import template

register = template.Library()


@register.filter
def group_label(value: object, labels: Mapping[str, str] | None) -> object:
    """``labels[value]`` when the page knows a label for the key, else the value as stored."""
    if not labels or not isinstance(value, str):
        return value
    return labels.get(value, value)


@register.filter
def labels_of(labels: Mapping[str, Mapping[str, str]] | None, columns: object) -> Mapping[str, str] | None:
    """The labels of a one-column cut's stored keys (``{{ cut_labels|labels_of:result.cut.columns }}``); none for
    an intersection or a column without labels."""
    if not labels or not isinstance(columns, list | tuple) or len(columns) != 1:
        return None
    return labels.get(str(columns[0]))


def percent_text(value: object) -> str:
    """A fraction as a percentage with one decimal: 0.125 → "12.5 %"; "–" when there is none."""
    if value is None or isinstance(value, bool):
        return "–"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return f"{number * 100:.1f} %"


@register.filter
def percent(value: object) -> str:
    """A rate (a fraction) as a percentage: ``{{ group.rate|percent }}`` → "12.5 %"."""
    return percent_text(value)


@register.filter
def points(value: object) -> str:
    """A difference of two rates in percentage points: 0.042 → "4.2 percentage points"."""
    text = percent_text(value)
    return text if text == "–" else text.replace(" %", " percentage points")


TEST_NAMES = {"fisher_exact": "Fisher's exact test:", "chi_square": "Chi-square test:"}


@register.filter
def test_name(value: object) -> object:
    """The statistical test behind a p-value, in words."""
    return TEST_NAMES.get(value, value) if isinstance(value, str) else value


@register.filter
def flag_name(value: object) -> object:
    """A narrative check's flag by the name the feedback forms show for it."""
    from brightline.feedback.views import FLAG_LABELS

    return FLAG_LABELS.get(value, value.replace("_", " ").capitalize()) if isinstance(value, str) else value
