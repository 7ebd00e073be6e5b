"""Who an audit entry or a read of a record names, in words, for the pages that list them."""

from __future__ import annotations

from django import template

from brightline.audit.models import actor_in_words

register = template.Library()


@register.filter
def actor_words(value: object) -> str:
    """A stored actor or viewer label ("demo:insights", "job:insights.run") in words; a person's label as it is."""
    return actor_in_words("" if value is None else str(value))


@register.filter
def actor_name(value: object) -> str:
    """Who did it, as a name: a person's stored "Name <email>" reads "Name" (the address stays one click away);
    the system's own labels read as :func:`actor_words` says."""
    label = "" if value is None else str(value).strip()
    name, bracket, rest = label.partition(" <")
    return name if bracket and rest.endswith(">") and "@" in rest else actor_in_words(label)
