"""Show a stored group key (a team's slug) by its human label on aggregate pages, and rates as percentages.

Rates are stored and served (API, CSV, JSON) as fractions in [0, 1]; people read them as percentages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from brightline.core.fairness import SMALL_CELL, is_small_cell

register = template.Library()


@register.filter
def small_cell(value: object) -> bool:
    """True for a count of 1 or 2 people with an outcome: the page says "fewer than 3", never the count or a rate
    (``{% if group.favourable|small_cell %}``)."""
    return isinstance(value, int) and not isinstance(value, bool) and is_small_cell(value)


@register.filter
def cell_count(value: object) -> object:
    """A count of people with an outcome as an aggregate page shows it: "fewer than 3" for 1 or 2."""
    return f"fewer than {SMALL_CELL}" if small_cell(value) else value


@register.filter
def any_small_cell(groups: object, field: str) -> bool:
    """True when any group's ``field`` (a count with the outcome) is a small cell."""
    return any(small_cell(getattr(group, field, None)) for group in (groups or ()))  # type: ignore[attr-defined]


def compares_small_cell(audit: Any) -> bool:
    """True when the lowest or the highest group of an audit's comparison is a small cell: its ratio and rate
    difference would give the withheld count back, so the page says only which side of the guideline it is."""
    groups = {group.group: group for group in getattr(audit, "groups", ())}
    return any(small_cell(getattr(groups.get(key), "favourable", None))
               for key in (getattr(audit, "lowest_group", None), getattr(audit, "reference_group", None)))


register.filter("compares_small_cell", compares_small_cell)


@register.filter
def group_label(value: object, labels: Mapping[str, str] | None) -> object:
    """``labels[value]`` when the page knows a label for the key, else the value as stored."""
    if not labels or not isinstance(value, str):
        return value
    return labels.get(value, value)


@register.filter
def labels_of(labels: Mapping[str, Mapping[str, str]] | None, columns: object) -> Mapping[str, str] | None:
    """The labels of a one-column cut's stored keys (``{{ cut_labels|labels_of:result.cut.columns }}``); none for
    an intersection or a column without labels."""
    if not labels or not isinstance(columns, list | tuple) or len(columns) != 1:
        return None
    return labels.get(str(columns[0]))


def percent_text(value: object) -> str:
    """A fraction as a percentage with one decimal: 0.125 → "12.5 %"; "–" when there is none."""
    if value is None or isinstance(value, bool):
        return "–"
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "–"
    return f"{number * 100:.1f} %"


@register.filter
def percent(value: object) -> str:
    """A rate (a fraction) as a percentage: ``{{ group.rate|percent }}`` → "12.5 %"."""
    return percent_text(value)


@register.filter
def points(value: object) -> str:
    """A difference of two rates in percentage points: 0.042 → "4.2 percentage points"."""
    text = percent_text(value)
    return text if text == "–" else text.replace(" %", " percentage points")


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


def _share(group: object, labels: Mapping[str, str] | None) -> str:
    """One published group in words: "IC3: 25.0 %, 3 of 12" (a no-break space before the sign)."""
    name = group_label(getattr(group, "group", ""), labels)
    if small_cell(getattr(group, "favourable", None)):  # 1 or 2: "Payments: fewer than 3 of 7", no rate
        return f"{name}: fewer than {SMALL_CELL} of {getattr(group, 'n', 0)}"
    rate = percent_text(getattr(group, "rate", None)).replace(" %", "\u00a0%")  # "0.0 %" never breaks
    return f"{name}: {rate}, {getattr(group, 'favourable', 0)} of " \
           f"{getattr(group, 'n', 0)}"


def ratio_text(ratio: float, flagged: bool | None) -> str:
    """The lowest ÷ highest ratio with two decimals, or three when two would round a flagged ratio up to 0.80
    (0.795 is below the guideline; "0.80" would say it is not)."""
    text = f"{ratio:.2f}"
    return f"{ratio:.3f}" if flagged and text == "0.80" else text


def _chance(audit: Any) -> str:
    """What the p-value says, in words; a difference is a question to look into, never a verdict."""
    if getattr(audit, "p_value", None) is None:
        return ""
    p = "p < 0.01" if audit.p_value < 0.005 else f"p = {audit.p_value:.2f}"
    if audit.small_sample:
        return (f" With groups this small the test cannot tell a real gap from chance ({p}): a gap this large "
                "could be chance, and a real one could be missed.")
    if audit.significant:
        return f" A gap this large would rarely come from chance alone ({p}), though that does not say why."
    return f" With these group sizes a gap this large could be chance ({p})."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


@register.simple_tag
def audit_sentence(audit: Any, group_labels: Mapping[str, str] | None = None, measure: Any = None,
                   source: object = "") -> str:
    """One outcome audit in a plain sentence, read before its table and formula.

    ``measure`` (a ``Measure``) names the outcome and says whether the four-fifths guideline applies: it is
    read for favourable outcomes only (an adverse one applies it to avoiding the outcome, said below the table).
    ``source`` names the review cycle. Withheld groups are said, never dropped."""
    outcome = getattr(measure, "label", "")
    kind = getattr(measure, "kind", "favourable")
    named = ", ".join(part for part in (str(source) if source else "", f"“{outcome}”" if outcome else "") if part)
    lead = f"{named}: " if named else ""
    withheld = ""
    if audit.suppressed:
        count = len(audit.suppressed)
        withheld = (f" Withheld: {count} group{'s' if count != 1 else ''} below the minimum of {audit.min_cohort} "
                    "people (or protecting a smaller one), not in this comparison.")
    groups = {group.group: group for group in audit.groups}
    if len(groups) < 2:
        if audit.suppressed:
            return _capital(f"{lead}nothing to compare. Withheld: groups below the minimum of {audit.min_cohort} "
                            "people, or protecting a smaller one.")
        return _capital(f"{lead}there is only one group, so nothing to compare.")
    low, high = groups.get(audit.lowest_group), groups.get(audit.reference_group)
    if audit.impact_ratio is None or low is None or high is None:
        return _capital(f"{lead}nobody in the groups compared has this outcome, so there is no gap to measure.") \
            + withheld
    if compares_small_cell(audit):  # the exact ratio would give a small cell's count back
        side = "less than four fifths of" if audit.four_fifths_flag else "at least four fifths of"
        text = (f"{lead}the lowest rate of the groups compared ({_share(low, group_labels)}) is {side} the highest "
                f"({_share(high, group_labels)}).")
    else:
        text = (f"{lead}the lowest rate of the groups compared ({_share(low, group_labels)}) is "
                f"{ratio_text(audit.impact_ratio, audit.four_fifths_flag)} times the highest "
                f"({_share(high, group_labels)}).")
    text = _capital(text)
    if kind == "favourable":
        if audit.four_fifths_flag:
            text += (" That is below the four-fifths guideline (0.8 times): a prompt to look closer at how this "
                     "outcome is decided, not a verdict.")
        else:
            text += " That is within the four-fifths guideline (at least 0.8 times)."
    return text + _chance(audit) + withheld
