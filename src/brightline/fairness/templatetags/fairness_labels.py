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
