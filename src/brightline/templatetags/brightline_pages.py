"""``{% query_with "param" value %}``: the current query string with one parameter set, for links between pages."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context: Any, name: str, value: Any) -> str:
    request = context.get("request")
    query = request.GET.copy() if request is not None else None
    if query is None:
        from django.http import QueryDict

        query = QueryDict(mutable=True)
    query[name] = str(value)
    return str(query.urlencode())
