"""Show a stored group key (a team's slug) by its human label on aggregate pages."""

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
