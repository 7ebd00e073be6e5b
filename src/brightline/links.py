"""``reverse`` for the links a page builds many times over (a menu on every page, a link per row of a team).

Django's ``reverse`` matches the name against the URL configuration on every call; the address of a name and
its arguments never changes while a process runs with one URL configuration and script prefix, so it is
worked out once per process for each (an upper bound keeps the memory small).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from django.urls import get_script_prefix, get_urlconf
from django.urls import reverse as django_reverse


def reverse(viewname: str, args: Sequence[Any] | None = None, kwargs: Mapping[str, Any] | None = None) -> str:
    """``django.urls.reverse(viewname, args=…, kwargs=…)``, remembered (arguments must be ids, slugs or text)."""
    return _reversed(get_urlconf(), get_script_prefix(), viewname, tuple(args or ()),
                     tuple(sorted((kwargs or {}).items())))


@lru_cache(maxsize=16_384)
def _reversed(urlconf: Any, prefix: str, viewname: str, args: tuple[Any, ...],
              kwargs: tuple[tuple[str, Any], ...]) -> str:
    return django_reverse(viewname, urlconf=urlconf, args=args or None, kwargs=dict(kwargs) or None)
