"""Where rollups come from: each kind is declared once, with the keys it covers, how one key is computed,
and which audited changes make it stale.

An app declares its kinds in ``<app>/rollup_sources.py`` (found the way jobs are), so the apps that read
rollups keep their own computations and this app never imports them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils.module_loading import module_has_submodule

MODULE = "rollup_sources"


@dataclass(frozen=True)
class Source:
    """``compute(key)`` returns the value (see ``rollups.codec``); ``every_key()`` the keys a full refresh covers;
    an audited action starting with one of ``triggers`` marks every stored rollup of this kind stale."""

    kind: str
    description: str
    every_key: Callable[[], Iterable[str]]
    compute: Callable[[str], Any]
    triggers: tuple[str, ...] = ()
    # Optional: many keys at once, cheaper than one by one (the same values as ``compute``).
    compute_many: Callable[[list[str]], dict[str, Any]] | None = None
    # One key can take minutes on a large organisation with years of history: a page that finds it missing does
    # not compute it (see ``rollups.services.read``) but queues its computation and says the figures are coming.
    slow: bool = False


_SOURCES: dict[str, Source] = {}
_DISCOVERED = False


def register(source: Source) -> Source:
    _SOURCES[source.kind] = source
    return source


def sources() -> dict[str, Source]:
    """Every declared kind; imports each installed app's ``rollup_sources`` module once."""
    global _DISCOVERED
    if not _DISCOVERED:
        for app_config in apps.get_app_configs():
            if module_has_submodule(app_config.module, MODULE):
                importlib.import_module(f"{app_config.name}.{MODULE}")
        _DISCOVERED = True
    return _SOURCES


def kinds_triggered_by(actions: Iterable[str]) -> set[str]:
    """The kinds an audited change to ``actions`` makes stale."""
    actions = set(actions)
    return {source.kind for source in sources().values()
            if any(action.startswith(prefix) for action in actions for prefix in source.triggers)}
