"""Contradictions (C4) and missing evidence (C5): checks of feedback and claims against evidence.

* **Delivery vs concerns**: strong delivery evidence in the window *and* the same concern theme
  raised by at least :data:`MIN_CONCERN_AUTHORS` different people. Neither layer overrides the
  other; the signal asks a human to look at both.
* **Unsupported numbers**: a number in an accomplishment's result (or its before/after measure)
  that none of the evidence it cites contains, compared as the narrative checks compare numbers
  ("1,200" = "1200", "12 %" = "12%").
* **Missing evidence**: a ladder dimension with no evidence item of a related kind and no
  evidence-backed claim in the window; a claim that cites no evidence at all; and a claim written
  into a *draft* review packet (the self review, a chosen accomplishment, the manager's assessment
  of a dimension, the manager's narrative) that cites no evidence — or only AI signals, which can
  never be the basis of an assessment on their own (C10).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from brightline.core.insights.confidence import (
    EVIDENCE_CHECK_RULE,
    QUALITATIVE_RULE,
    count_distinct_authors,
    label_confidence,
    span_in_days,
)
from brightline.core.insights.signals import Comment, ItemRef, SignalDraft, Subject
from brightline.core.insights.themes import CommentThemes, Taxonomy, deduplicate_comments
from brightline.core.narrative.citations import mask_citations
from brightline.core.narrative.quantities import extract_numbers, numbers_match
from brightline.core.narrative.references import describe_references

__all__ = [
    "CONTRADICTION_CANNOT_INFER",
    "DELIVERY_EVIDENCE_KINDS",
    "DIMENSION_EVIDENCE_KINDS",
    "MIN_CONCERN_AUTHORS",
    "MISSING_CANNOT_INFER",
    "STRONG_DELIVERY_ITEMS",
    "Claim",
    "EvidenceRef",
    "PacketClaim",
    "PacketPart",
    "delivery_concern_contradictions",
    "missing_evidence_reason",
    "missing_evidence_signals",
    "packet_missing_evidence_signals",
    "in_review",
    "unsupported_claim_signals",
    "unsupported_numbers",
]

#: Evidence kinds that show delivery; "strong" means at least this many in the window.
DELIVERY_EVIDENCE_KINDS = frozenset({"merged_change", "release", "deployment", "incident_handled"})
STRONG_DELIVERY_ITEMS = 5
MIN_CONCERN_AUTHORS = 3
#: Which evidence kinds speak to which evaluation dimension (PRODUCT.md D3).
DIMENSION_EVIDENCE_KINDS: Mapping[str, frozenset[str]] = {
    "technical_excellence": frozenset({"merged_change", "code_review", "design_doc"}),
    "delivery_results": frozenset({"merged_change", "release", "deployment", "incident_handled"}),
    "judgment_communication": frozenset({"design_doc", "design_review", "incident_debrief"}),
    # Pairing on a colleague's change (a ``Co-authored-by:`` line naming the person) is where mentoring shows.
    "leadership": frozenset({"incident_debrief", "design_review", "pairing"}),
}
#: Each kind as it is named in a sentence saying what would count as evidence ("a design document would count").
EVIDENCE_KIND_PHRASES: Mapping[str, str] = {
    "merged_change": "a merged change", "release": "a release", "deployment": "a deployment",
    "incident_handled": "an incident handled", "incident_debrief": "an incident debrief",
    "design_doc": "a design document", "design_review": "design review notes", "code_review": "a code review given",
    "pairing": "pairing on a colleague's change",
}
CONTRADICTION_CANNOT_INFER = (
    "Which layer is right. Strong delivery can coexist with real concerns, and concerns can be mistaken; "
    "the signal only says the two layers disagree and shows both."
)
MISSING_CANNOT_INFER = (
    "That the work was not done. Evidence may live in a source Brightline does not read, or may not have been "
    "linked yet; add or cite it, or explain in an annotation."
)


@dataclass(frozen=True, slots=True)
class EvidenceRef:
    """One operational evidence item: its ref, kind (``merged_change`` …), date and citable text."""

    ref: ItemRef
    kind: str
    occurred_at: date
    text: str = ""


@dataclass(frozen=True, slots=True)
class Claim:
    """A claim a person makes (an accomplishment, a packet sentence) and the evidence it cites.

    ``checked_text`` holds the outcome the numbers are checked in (e.g. the result field);
    ``claimed_numbers`` adds structured numbers (a before/after measure) as text.
    ``dimensions`` are the evaluation dimensions the claim speaks to. ``cited`` includes the items its
    text names in words (a pull-request link, ``#123``, a commit hash, a ticket key) that were found;
    ``unfound`` holds the kind of each reference it names that was not (``"pull_request"``, ``"ticket"``).
    """

    ref: ItemRef
    title: str
    checked_text: str
    cited: tuple[EvidenceRef, ...]
    claimed_numbers: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    made_on: date | None = None
    unfound: tuple[str, ...] = ()


#: Where in a review packet a claim is written; the first two are the person's, the others the manager's.
PacketPart = Literal["self_review", "accomplishment", "assessment", "narrative"]


@dataclass(frozen=True, slots=True)
class PacketClaim:
    """A claim written into a draft review packet, and what it cites.

    ``packet`` identifies the packet (a review id) and ``packet_name`` names it ("2026 H2 review");
    ``slot`` says which claim of the part it is (``"context"``, a dimension id, ``"summary"``, an
    accomplishment id). ``label`` is how a reader calls the claim ("the leadership assessment").
    ``cited`` are the items of human evidence it cites; ``ai_cited`` the AI signals it cites.
    ``written_by`` is whose draft it is: the person's or the manager's. ``cited`` includes the evidence its
    text names in words and that was found; ``unfound`` the kinds of references named but not found.
    ``closed``: the step in which its author may edit it has closed, so nobody can act on a check of it.
    """

    ref: ItemRef
    packet: str
    packet_name: str
    part: PacketPart
    slot: str
    label: str
    written_by: Literal["person", "manager"]
    cited: tuple[ItemRef, ...] = ()
    ai_cited: tuple[ItemRef, ...] = ()
    detail: Mapping[str, Any] = field(default_factory=dict)
    unfound: tuple[str, ...] = ()
    closed: bool = False


def delivery_concern_contradictions(
    subject: Subject, comments: Sequence[Comment], themes: Sequence[CommentThemes], *, taxonomy: Taxonomy,
    sentiments: Mapping[str, str], evidence: Sequence[EvidenceRef], window_start: date, window_end: date,
) -> list[SignalDraft]:
    """``contradiction`` signals: strong delivery evidence and a concern theme from 3+ people."""
    delivery = [e for e in evidence
                if e.kind in DELIVERY_EVIDENCE_KINDS and window_start <= e.occurred_at <= window_end]
    if len(delivery) < STRONG_DELIVERY_ITEMS:
        return []
    themes_by_comment = {entry.comment_id: entry for entry in themes}
    concerns = [c for c in deduplicate_comments(comments)
                if window_start <= c.written_at.date() <= window_end
                and (c.prompt == "growth" or sentiments.get(c.id) == "negative")]
    signals = []
    for theme in taxonomy.themes:
        raising = [c for c in concerns if c.id in themes_by_comment and theme.id in themes_by_comment[c.id].theme_ids]
        authors = count_distinct_authors(raising)
        if authors < MIN_CONCERN_AUTHORS:
            continue
        refs = tuple(dict.fromkeys([*(c.ref for c in raising), *(e.ref for e in delivery)]))
        confidence = label_confidence(items=len({c.ref for c in raising}), authors=authors,
                                      span_days=span_in_days(c.written_at for c in raising), agreement="conflicts",
                                      rule=QUALITATIVE_RULE)
        quotes = []
        for comment in raising:
            match = next(m for m in themes_by_comment[comment.id].matches if m.theme_id == theme.id)
            quotes.append({"ref": comment.ref.to_json(), "text": match.sentence if comment.quotable else "",
                           "withheld": not comment.quotable, "anonymous": comment.anonymous,
                           "seed_phrase": match.seed_phrase, "score": match.score})
        signals.append(SignalDraft(
            kind="contradiction", key=f"contradiction:delivery_vs_{theme.id}", subject=subject,
            window_start=window_start, window_end=window_end,
            statement=(f"The layers disagree: {len(delivery)} delivery evidence items in the window, while {authors} "
                       f"people raise {theme.label.lower()} as something to work on. Worth a conversation; "
                       f"neither layer settles it."),
            rule=(f"{STRONG_DELIVERY_ITEMS}+ delivery evidence items and a concern theme (growth prompt or negative "
                  f"sentiment) from {MIN_CONCERN_AUTHORS}+ different people in the same window."),
            confidence=confidence, item_refs=refs, cannot_infer=CONTRADICTION_CANNOT_INFER,
            detail={"theme": theme.id, "label": theme.label, "delivery_items": len(delivery),
                    "concern_authors": authors, "quotes": quotes,
                    "delivery_refs": [e.ref.to_json() for e in delivery]},
        ))
    return signals


def unsupported_numbers(claim: Claim) -> list[str]:
    """Numbers of the claim that no cited evidence text contains (as written in the claim)."""
    available = [number for item in claim.cited for number in extract_numbers(item.text)]
    missing: list[str] = []
    texts = [mask_citations(claim.checked_text), *claim.claimed_numbers]
    for text in texts:
        for number in extract_numbers(text):
            if not any(numbers_match(number, candidate) for candidate in available) and number.text not in missing:
                missing.append(number.text)
    return missing


def unsupported_claim_signals(subject: Subject, claims: Sequence[Claim], *, window_start: date,
                              window_end: date) -> list[SignalDraft]:
    """``unsupported_claim`` signals for claims that cite evidence but whose numbers it does not hold."""
    signals = []
    for claim in claims:
        if not claim.cited:
            continue
        missing = unsupported_numbers(claim)
        if not missing:
            continue
        confidence = label_confidence(items=len(claim.cited), authors=1, span_days=0, agreement="conflicts",
                                      rule=EVIDENCE_CHECK_RULE)
        signals.append(SignalDraft(
            kind="unsupported_claim", key=f"unsupported_claim:{claim.ref.kind}:{claim.ref.id}", subject=subject,
            window_start=window_start, window_end=window_end,
            statement=(f"“{claim.title}” states {', '.join(missing)}, which none of the {len(claim.cited)} cited "
                       f"evidence items contain. Cite the evidence that holds the number, or correct it."),
            rule="Every number in the result and the before/after measure must appear in a cited evidence item.",
            confidence=confidence, item_refs=(claim.ref, *(item.ref for item in claim.cited)),
            cannot_infer=("That the number is wrong: it may be correct and recorded somewhere Brightline does not "
                          "read."),
            detail={"claim": claim.ref.to_json(), "title": claim.title, "numbers": missing,
                    "cited": [item.ref.to_json() for item in claim.cited]},
        ))
    return signals


def _day(day: date) -> str:
    """A date as people read it: "8 Jun 2026"."""
    return f"{day.day} {day:%b %Y}"


def missing_evidence_reason(dimensions: Sequence[str]) -> str:
    """Why ``dimensions`` (ladder ids) show no evidence, and what would count, in plain words: the one wording of the
    missing-evidence signal's statement and of the manager's coaching prompt built from such signals."""
    them = "it" if len(dimensions) == 1 else "them"
    kinds = sorted({kind for dimension in dimensions for kind in DIMENSION_EVIDENCE_KINDS.get(dimension, ())},
                   key=list(EVIDENCE_KIND_PHRASES).index)
    phrases = [EVIDENCE_KIND_PHRASES[kind] for kind in kinds]
    counts = ""
    if phrases:
        listed = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " or " + phrases[-1]
        counts = f"; {listed} would count"
    return f"nothing recorded speaks to {them} and no accomplishment about {them} cites evidence{counts}"


def missing_evidence_signals(subject: Subject, *, dimensions: Sequence[tuple[str, str]],
                             evidence: Sequence[EvidenceRef], claims: Sequence[Claim], window_start: date,
                             window_end: date) -> list[SignalDraft]:
    """``missing_evidence`` signals: dimensions without evidence, and claims that cite nothing.

    ``dimensions`` are ``(id, label)`` pairs of the ladder (people.Dimension). Dimensions are
    checked only when the person has at least one evidence item or claim in the window: with no
    evidence at all, the likely cause is an unconnected source, which is not a per-dimension gap.
    """
    in_window = [e for e in evidence if window_start <= e.occurred_at <= window_end]
    span = (window_end - window_start).days
    confidence = label_confidence(items=len(in_window), authors=1, span_days=span, agreement="single_layer",
                                  rule=EVIDENCE_CHECK_RULE)
    signals = []
    for dimension, label in dimensions if (in_window or claims) else ():
        kinds = DIMENSION_EVIDENCE_KINDS.get(dimension, frozenset())
        items = [e for e in in_window if e.kind in kinds]
        backed = [c for c in claims if dimension in c.dimensions and c.cited]
        if items or backed:
            continue
        detail: dict[str, Any] = {"dimension": dimension, "label": label, "related_kinds": sorted(kinds),
                                  "evidence_in_window": len(in_window)}
        signals.append(SignalDraft(
            kind="missing_evidence", key=f"missing_evidence:dimension:{dimension}", subject=subject,
            window_start=window_start, window_end=window_end,
            statement=(f"No evidence for {label.lower()} between {_day(window_start)} and {_day(window_end)}: "
                       f"{missing_evidence_reason([dimension])}."),
            rule="A dimension needs at least one evidence item of a kind that speaks to it (the kinds named), "
                 "or an accomplishment about it citing evidence.",
            confidence=confidence, item_refs=tuple(e.ref for e in in_window), cannot_infer=MISSING_CANNOT_INFER,
            detail=detail,
        ))
    for claim in claims:
        if claim.cited:
            continue
        statement = f"“{claim.title}” cites no evidence. Link the items that show it, or say why there are none."
        if claim.unfound:
            statement = f"“{claim.title}” {unfound_evidence_sentence(claim.unfound)}"
        signals.append(SignalDraft(
            kind="missing_evidence", key=f"missing_evidence:claim:{claim.ref.kind}:{claim.ref.id}", subject=subject,
            window_start=window_start, window_end=window_end,
            statement=statement,
            rule="A claim needs at least one cited evidence item.",
            confidence=label_confidence(items=1, authors=1, span_days=0, agreement="single_layer",
                                        rule=EVIDENCE_CHECK_RULE),
            item_refs=(claim.ref,), cannot_infer=MISSING_CANNOT_INFER,
            detail={"claim": claim.ref.to_json(), "title": claim.title,
                    **({"unfound": list(claim.unfound)} if claim.unfound else {})},
        ))
    return signals


def unfound_evidence_sentence(kinds: Sequence[str]) -> str:
    """What to say of a claim that names evidence in words none of which Brightline holds (never the
    reference itself: the reader knows what they wrote)."""
    return (f"names {describe_references(kinds)} that Brightline could not find among the evidence it holds. "
            f"Cite the item by the number shown beside it in the evidence list, or, if its source is "
            f"not connected yet, ask an administrator to connect it.")


def in_review(name: str) -> str:
    """The review a check is about, in the pages' words: "the 2026 H2 review" for a cycle named "2026 H2 review"
    or "2026 H2". (Checks once said "the 2026 H2 review packet"; the pages no longer use the word.)"""
    name = name.strip()
    return f"the {name}" if name.lower().endswith("review") else f"the {name} review"


#: What a packet check says once its author can no longer change the claim, by whose draft it is: a fact, with no
#: advice to cite (nobody can act on the claim any more) and nothing asked of anyone.
PACKET_STEP_CLOSED = {
    "person": "The self-review step has closed, so the self review stays as written.",
    "manager": "The manager-assessment step has closed, so the assessment stays as written.",
}
#: How to fix a claim that cites nothing while its author can still change it.
PACKET_CITE_ADVICE = ("Cite the items that show it (by the number shown beside each item in the evidence list, "
                      "or a link), or say in the text why there are none.")


def packet_missing_evidence_signals(subject: Subject, claims: Sequence[PacketClaim], *, window_start: date,
                                    window_end: date) -> list[SignalDraft]:
    """``missing_evidence`` signals for the claims of draft review packets that cite no human evidence.

    One signal per claim, keyed by packet, part and field, so a claim that gains a citation retires
    its signal at the next run. A claim citing only AI signals is reported too: an AI signal is a
    hypothesis a human accepted, not evidence of the work (principle 3, C10). The check of a ``closed``
    claim asks nobody for a decision: it is information (not a finding) that says the step has closed.
    """
    signals = []
    for claim in claims:
        if claim.cited:
            continue
        only_ai = bool(claim.ai_cited)
        what = "cites only AI signals" if only_ai else "cites no evidence"
        advice = ("An AI signal is a hypothesis, never the basis of an assessment on its own: cite the evidence "
                  "it rests on." if only_ai else PACKET_CITE_ADVICE)
        if claim.closed:
            # Said once, as a fact: advice to cite would ask for what can no longer be done.
            found = "names evidence Brightline could not find" if claim.unfound else what
            statement = (f"In {in_review(claim.packet_name)}, {claim.label} {found}. "
                         f"{PACKET_STEP_CLOSED[claim.written_by]}")
        elif claim.unfound:
            statement = f"In {in_review(claim.packet_name)}, {claim.label} {unfound_evidence_sentence(claim.unfound)}"
        else:
            statement = f"In {in_review(claim.packet_name)}, {claim.label} {what}. {advice}"
        signals.append(SignalDraft(
            kind="missing_evidence", key=f"missing_evidence:packet:{claim.packet}:{claim.part}:{claim.slot}",
            subject=subject, window_start=window_start, window_end=window_end,
            statement=statement,
            rule=("Every claim in a review being written — self review, chosen accomplishments, the manager's "
                  "assessment of each dimension and narrative — needs at least one cited item of human evidence."),
            confidence=label_confidence(items=1, authors=1, span_days=0, agreement="single_layer",
                                        rule=EVIDENCE_CHECK_RULE),
            item_refs=(claim.ref, *claim.ai_cited), cannot_infer=MISSING_CANNOT_INFER, is_finding=not claim.closed,
            detail={"packet": {"review": claim.packet, "name": claim.packet_name, "part": claim.part,
                               "slot": claim.slot, "written_by": claim.written_by},
                    **({"closed": True} if claim.closed else {}),
                    "claim": claim.ref.to_json(), "label": claim.label, "only_ai": only_ai,
                    "ai_cited": [ref.to_json() for ref in claim.ai_cited],
                    **({"unfound": list(claim.unfound)} if claim.unfound else {}), **claim.detail},
        ))
    return signals
