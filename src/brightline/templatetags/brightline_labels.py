"""Stored keys shown by their human names: what a signal read and what a review cites.

A page never shows ``feedback_response 12``, ``single_layer``, or ``evidence_item:5``;
these filters turn each into words. A key these tables do not know is shown with its underscores as
spaces rather than failing the page.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template
from django.template.defaultfilters import date as date_filter

from brightline.core import periods

register = template.Library()

# What each kind of stored item is called on a page (the kinds a signal or a citation can point at).
KIND_NAMES = {
    "evidence_item": "evidence item", "accomplishment": "accomplishment", "feedback_response": "feedback answer",
    "signal": "AI signal", "manager_commentary": "manager's note", "checkpoint": "check-in", "comment": "comment",
    "dimension_assessment": "assessment", "review": "review", "metric_series": "delivery trend",
}
AGREEMENT_NAMES = {
    "agrees": "feedback and delivery evidence agree",
    "conflicts": "feedback and delivery evidence point different ways",
    "single_layer": "one layer of evidence only",
}


def _words(key: str) -> str:
    return key.replace("_", " ")


@register.filter
def kind_name(value: object) -> str:
    """``feedback_response`` → ``feedback answer``."""
    return KIND_NAMES.get(str(value), _words(str(value)))


# The weekly series a trend break reads (``service:1:lead_time_hours:week``), by what they measure.
SERIES_NAMES = {
    "deployment_frequency_per_week": "deployments per week", "lead_time_hours": "change lead time",
    "change_fail_rate": "change fail rate", "pages": "on-call pages",
}


@register.filter
def item_ref(value: object) -> str:
    """A signal's input ``{"kind": "checkpoint", "id": "3"}`` → ``check-in 3``; a delivery trend by its measure."""
    if isinstance(value, dict):
        if value.get("kind") == "metric_series":
            parts = str(value.get("id", "")).split(":")
            measure = parts[2] if len(parts) > 2 else ""
            return f"{kind_name('metric_series')} of {SERIES_NAMES.get(measure, _words(measure))}, week by week"
        return f"{kind_name(value.get('kind', ''))} {value.get('id', '')}".strip()
    return citation(value)


@register.filter
def generator_in_words(value: object) -> str:
    """Who wrote a feedback draft: the offline templates (``template-v2``) or a language model, without versions."""
    name = str(value or "")
    return "fixed sentence templates" if not name or name.startswith("template-") else "a language model"


_VERSION = re.compile(r"\s*@[0-9a-f]{7,}\b|\s*\(?\b[a-z]+(?:-[a-z]+)*-v\d+\b\)?|\s*\b[0-9a-f]{12,}\b")


@register.filter
def without_versions(value: object) -> str:
    """A model's description without its version hashes and versioned names (kept in the record, shown in a fold)."""
    return _VERSION.sub("", str(value)).strip()


# What each model a signal can come from does, in words (``Signal.model_name``); the version stays in the record.
MODEL_NAMES = {
    "minilm-static": "a small language model that compares sentences by meaning, run inside Brightline",
    "sentiment": "a tone classifier run inside Brightline",
    "ruptures-pelt": "a statistical test for a lasting change in a weekly series",
    "rule": "a fixed rule written by people, no model",
}


@register.filter
def model_in_words(value: object) -> str:
    """``minilm-static`` → what that model does; an unknown name as ``a model``."""
    return MODEL_NAMES.get(str(value), "a model run inside Brightline")


def _plural(count: int, name: str) -> str:
    if count == 1:
        return f"1 {name}"
    irregular = {"evidence item": "evidence items", "check-in": "check-ins", "manager's note": "manager's notes"}
    return f"{count} {irregular.get(name, name + 's')}"


@register.filter
def inputs_in_words(values: object) -> str:
    """A signal's inputs counted by kind: ``3 feedback answers and 1 check-in`` (no stored ids)."""
    counts: dict[str, int] = {}
    for value in values if isinstance(values, (list, tuple)) else []:
        if isinstance(value, dict) and value.get("kind") == "metric_series":
            name = item_ref(value)
            counts[name] = counts.get(name, 0)
            continue
        kind = value.get("kind", "") if isinstance(value, dict) else str(value).partition(":")[0]
        name = kind_name(kind)
        counts[name] = counts.get(name, 0) + 1
    parts = [_plural(count, name) if count else name for name, count in counts.items()]
    if not parts:
        return "no stored items"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


@register.filter
def citation(value: object) -> str:
    """A packet reference ``evidence_item:5`` → ``[E:5]`` (as cited in the text); others by their kind's name."""
    kind, _, object_id = str(value).partition(":")
    if kind == "evidence_item" and object_id:
        return f"[E:{object_id}]"
    return f"{kind_name(kind)} {object_id}".strip()


@register.filter
def agreement(value: object) -> str:
    """How a signal's evidence layers relate, in words."""
    return AGREEMENT_NAMES.get(str(value), _words(str(value)))


@register.filter
def citation_list(values: object) -> str:
    """Several references, each by :func:`citation`, separated by commas."""
    if isinstance(values, (list, tuple)):
        return ", ".join(citation(value) for value in values)
    return citation(values)


_REFERENCE = re.compile(r"\b(" + "|".join(sorted(KIND_NAMES, key=len, reverse=True)) + r"):(\d+)\b")


@register.filter
def references_in_words(text: object) -> str:
    """Text written before references were shown in words (a stored memo line): each ``kind:id`` in it as
    :func:`citation` shows it."""
    return _REFERENCE.sub(lambda match: citation(f"{match[1]}:{match[2]}"), str(text))


@register.filter
def day_in_words(value: object) -> str:
    """A day kept as text (a cycle's schedule holds ``2026-12-14``) as pages show days: ``14 Dec 2026``.

    A date or datetime is formatted the same way; text that is not an ISO day is shown as it is.
    """
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(value, (dt.date, dt.datetime)):
        return date_filter(value, "j M Y")
    return "" if value is None else str(value)


@register.filter
def last_day(end: object) -> str:
    """The last day a window ``[start, end)`` holds, in words: an end at midnight (``8 Dec 2026 00:00``) is the day
    before (``7 Dec 2026``); any other end is its own day."""
    if isinstance(end, dt.datetime):
        return date_filter(end - dt.timedelta(microseconds=1), "j M Y")
    return day_in_words(end)


_ISO_DAY = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


@register.filter
def days_in_words(text: object) -> str:
    """Free text written with ISO days ("labelled on 2026-12-07") as pages show days ("labelled on 7 Dec 2026")."""
    return _ISO_DAY.sub(lambda match: day_in_words(match[1]), "" if text is None else str(text))


# A period as stored (``2026-H2``) as review cycles name it: ``2026 H2``.
register.filter("period_in_words", periods.period_in_words)


@register.filter
def time_zone_in_words(value: object, at: dt.datetime | None = None) -> str:
    """A stored zone key as people say it: "Europe/London" is "London (UTC+0 now)", "Asia/Kolkata" is
    "Kolkata (UTC+5:30 now)"; the offset is today's (``at``: the moment to use instead), so summer time shows."""
    key = str(value or "").strip()
    try:
        zone = ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        return key.rsplit("/", 1)[-1].replace("_", " ") or "—"
    offset = (at or dt.datetime.now(dt.UTC)).astimezone(zone).utcoffset() or dt.timedelta(0)
    hours, minutes = divmod(abs(int(offset.total_seconds())) // 60, 60)
    utc = f"UTC{'−' if offset < dt.timedelta(0) else '+'}{hours}" + (f":{minutes:02d}" if minutes else "")
    if "/" not in key or key.startswith("Etc/"):
        return utc  # "UTC", "Etc/GMT+2": the offset is the name
    return f"{key.rsplit('/', 1)[-1].replace('_', ' ')} ({utc} now)"


@register.filter
def title_without_kind(item: object) -> str:
    """An evidence item's title without the kind's words it starts with ("Review notes: payments ledger v2" of
    design review notes is "payments ledger v2"), for a page that shows the kind beside it."""
    kind = str(item.get_kind_display())
    title = str(getattr(item, "title", ""))
    prefix, colon, rest = title.partition(": ")
    return rest if colon and rest and prefix.strip().lower() in kind.lower() else title


@register.filter
def kind_and_title(item: object) -> str:
    """An evidence item as "Design review notes: payout batching", so a label never reads twice."""
    return f"{item.get_kind_display()}: {title_without_kind(item)}"


@register.filter
def people_count(value: object, cohort: object) -> object:
    """A count of people on an aggregate page: "fewer than N" (the minimum cohort) for 1 to N-1, never the exact
    number, which could point at one person; 0 and counts of the cohort or more as they are. Without a cohort (a
    person's own page) the count as it is."""
    if not isinstance(value, int) or isinstance(value, bool) or not isinstance(cohort, int) or cohort <= 1:
        return value
    return f"fewer than {cohort}" if 0 < value < cohort else value
