"""Review periods as people read them: stored as ``2026-H2`` (or ``2026-Q3``), shown as ``2026 H2``."""

from __future__ import annotations

import re

_PERIOD = re.compile(r"^(\d{4})-([HQ]\d)$")


def period_in_words(value: object) -> str:
    """``2026-H2`` → ``2026 H2``, as review cycles name their period; other text is returned as it is."""
    text = "" if value is None else str(value)
    return _PERIOD.sub(r"\1 \2", text.strip())
