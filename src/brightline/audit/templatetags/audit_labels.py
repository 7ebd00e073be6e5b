"""Who an audit entry or a read of a record names, in words, for the pages that list them."""

from __future__ import annotations

from django import template

from brightline.audit.models import actor_in_words

register = template.Library()


@register.filter
def actor_words(value: object) -> str:
    """A stored actor or viewer label ("demo:insights", "job:insights.run") in words; a person's label as it is."""
    return actor_in_words("" if value is None else str(value))
