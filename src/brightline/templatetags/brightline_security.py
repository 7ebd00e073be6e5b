"""``{% csp_allow_eval %}``: the page that renders it lets Vega compile chart expressions (see brightline.security)."""

from __future__ import annotations

from typing import Any

from django import template

from brightline.security import allow_eval_on_this_page

register = template.Library()


@register.simple_tag(takes_context=True)
def csp_allow_eval(context: Any) -> str:
    allow_eval_on_this_page(context.get("request"))
    return ""
