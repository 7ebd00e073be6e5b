"""Promotion cases: every transition checks its precondition inside the transaction, changes the case under a
row lock, and writes its audit entry (D4, E5, E7, E8).

Readiness (D4) is read from the ladder: each expectation of the next level (one per evaluation dimension)
needs ``min_citations`` distinct cited items, spread over at least ``CONSISTENCY_QUARTERS`` calendar
quarters, so one busy month does not count as "consistently". One item counts towards at most
``MAX_EXPECTATIONS_PER_ITEM`` expectations (so the same two items cannot stand for all four), and each
expectation needs a note of its own saying what the work shows at the next level (a note copied from another
expectation does not count). No quota exists anywhere: open roles are reported beside the rates for
information, never used to cap a decision (principle 2).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from django.db import transaction
from django.utils import timezone

from brightline import access
from brightline.audit.services import log_action
from brightline.people.models import AccessRole, Competency, Dimension, Level, Person
from brightline.policy import services as policy_services
from brightline.promotions.models import (
    CaseAppeal,
    CaseCitation,
    CaseDecision,
    CasePanelist,
    CasePreVote,
    CaseStatus,
    OpenRoles,
    PromotionCase,
)
from brightline.reviews.appeal_rules import contested_feedback_writer_ids
from brightline.reviews.packet_items import CitationError, model_for, parse_reference, references_in, resolve
from brightline.reviews.panels import PanelistLabels, label_panelists, votes_complete


class PromotionError(Exception):
    """A promotion step the rules do not allow; the message says why."""


MIN_CITATIONS_PER_EXPECTATION = 2
CONSISTENCY_QUARTERS = 2
MAX_EXPECTATIONS_PER_ITEM = 2
MIN_PANEL_SIZE = 2
APPEAL_WINDOW_DAYS = 30
APPEAL_DECISION_DAYS = 14

ERR_CANNOT_NOMINATE = "only the person or someone in their management chain can nominate them"
ERR_NO_LEVEL = "{name} has no level on a ladder, so there is no next level to nominate them for"
ERR_TOP_LEVEL = "{level} is the top of its ladder; there is no next level"
ERR_CASE_OPEN = "{name} already has an open promotion case"
ERR_RATIONALE = "write why now: what the person already does at the next level"
ERR_CANNOT_CITE = "only the person, their management chain and the nominator can cite evidence for this case"
ERR_NOT_GATHERING = "evidence can be added only while the case is gathering evidence"
ERR_DIMENSION = "{dimension!r} is not an expectation of the next level; choose one of: {choices}"
ERR_ALREADY_CITED = "{reference} is already cited for this expectation"
ERR_ITEM_OVERUSED = ("this item is already cited for {expectations}; one item counts towards at most {maximum} "
                     "expectations, so cite other work for this one")
ERR_NOT_PEOPLE_PARTNER = "only people partners can {action}"
ERR_WRONG_STATUS = "this can be done only while the case is {expected}; it is {current}"
ERR_PANEL_TOO_SMALL = ("a promotion panel needs at least {minimum} members without a conflict of interest; "
                       "this one has {count}")
ERR_NOT_PANELIST = "{name} is not on this case's panel without a conflict of interest"
ERR_VOTE = "{vote!r} is not a vote; use promoted or not_yet"
ERR_CHOOSE_VOTE = "choose your pre-vote: promote or not yet"
ERR_CHOOSE_DECISION = "choose the decision: promoted or not yet"
ERR_VOTES_REVEALED = "every pre-vote is in and the spread is shown; pre-votes can no longer change"
ERR_PRE_VOTES_OPEN = "the panel decides once every panelist has recorded a pre-vote ({voted} of {eligible})"
ERR_CANNOT_DECIDE = ("only a people partner or a panelist, either without a conflict of interest, can record the "
                     "decision")
ERR_REASON = "write the reasons: a decision says why, citing the case's evidence"
ERR_DECISION_CITES = "a decision cites at least one item of the case's evidence, as [E:id] or a reference"
ERR_CITATION_NOT_IN_CASE = "{reference} is not cited in this case; a panel decides on the case's evidence"
ERR_ACCOUNTABLE = "the person finally accountable must be an active person other than {name}"
ERR_CHOOSE_ACCOUNTABLE = "choose the person finally accountable for this decision"
ERR_ACCOUNTABLE_CONFLICT = ("{name} cannot be finally accountable: {why}, so excluded from this case; choose someone "
                            "without a conflict of interest")
ERR_NOT_SELF = "only the person the case is about can do this"
ERR_APPEAL_WINDOW = "the appeal window closed on {date}"
ERR_APPEAL_OPEN = "an appeal for this case is already open"
ERR_CONTEXT = "add the context the second reviewer should weigh"
ERR_REVIEWER = ("{name} cannot review this appeal: a second review comes from outside the person's management "
                "chain, off the panel that decided, and from no one who wrote the feedback the case cites")
ERR_NOT_APPEAL_REVIEWER = "only the reviewer assigned to this appeal can decide it"
ERR_APPEAL_STATE = "this appeal is {status}; that step is not possible now"
ERR_APPEAL_DECISION = "{decision!r} is not an appeal decision; use upheld or changed"
ERR_APPEAL_ALREADY_PROMOTED = "the case already ended in a promotion; an appeal can only uphold it"
ERR_APPEALED_BEFORE = ("this decision has been appealed already; once that appeal is decided you can take it one "
                       "step further")
ERR_ESCALATION_REASON = "say why the appeal's decision should be looked at once more"
ERR_ESCALATION_WINDOW = "an appeal can be taken one step further until {date}, {days} days after it was decided"
ERR_NOTHING_TO_ESCALATE = "the appeal changed the decision to a promotion; there is nothing left to contest"
ERR_ESCALATION_SAME_REVIEWER = "{name} reviewed this appeal already; one step further goes to someone else"
ERR_PERIOD = "{period!r} is not a year such as 2026"
ERR_COUNT = "open roles must be a whole number from 0 to 999"


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PromotionError(message)


def _locked(case: PromotionCase) -> PromotionCase:
    """Re-read the case under a row lock: the precondition is checked on what no one else can change now."""
    return PromotionCase.objects.select_for_update().select_related("person", "to_level", "from_level").get(
        pk=case.pk)


def _require_status(case: PromotionCase, expected: str) -> None:
    _require(case.status == expected, ERR_WRONG_STATUS.format(
        expected=CaseStatus(expected).label.lower(), current=case.get_status_display().lower()))


# --- Readiness (D4) ---


@dataclass(frozen=True)
class CitedItem:
    reference: str
    label: str
    occurred_on: dt.date
    note: str
    added_by: str
    counts: bool = True  # False: the item already counts towards MAX_EXPECTATIONS_PER_ITEM other expectations
    note_copied: bool = False  # the same note stands under another expectation


@dataclass(frozen=True)
class ExpectationReadiness:
    dimension: str
    label: str
    expectation: str
    examples: str
    cited: list[CitedItem]
    quarters: int
    enough_citations: bool
    consistent: bool
    own_note: bool = True

    @property
    def counted(self) -> int:
        return sum(item.counts for item in self.cited)

    @property
    def met(self) -> bool:
        return self.enough_citations and self.consistent and self.own_note

    def missing(self, min_citations: int, min_quarters: int) -> list[str]:
        """Why this expectation does not have enough evidence yet, in words, one reason a line."""
        reasons = []
        if not self.enough_citations:
            reused = len(self.cited) - self.counted
            reasons.append(f"needs {min_citations} cited items, has {self.counted}" + (
                f" (and {reused} already counted towards {MAX_EXPECTATIONS_PER_ITEM} other expectations)"
                if reused else ""))
        if self.counted and not self.consistent:
            reasons.append(f"shown in {self.quarters} quarter{'s' if self.quarters != 1 else ''} only; "
                           f"needs {min_quarters}")
        if self.cited and not self.own_note:
            reasons.append("needs a note of its own on what the work shows at the next level"
                           + (" (the note is copied from another expectation)"
                              if any(item.note_copied for item in self.cited) else ""))
        return reasons


@dataclass(frozen=True)
class Readiness:
    min_citations: int
    min_quarters: int
    expectations: list[ExpectationReadiness] = field(default_factory=list)
    max_expectations_per_item: int = MAX_EXPECTATIONS_PER_ITEM

    @property
    def ready(self) -> bool:
        return bool(self.expectations) and all(row.met for row in self.expectations)

    @property
    def met_count(self) -> int:
        return sum(row.met for row in self.expectations)

    @property
    def distinct_items(self) -> int:
        return len({item.reference for row in self.expectations for item in row.cited})

    def missing(self) -> list[tuple[str, list[str]]]:
        """(expectation, reasons) for every expectation that does not have enough evidence yet."""
        return [(row.label, row.missing(self.min_citations, self.min_quarters) or ["nothing cited yet"])
                for row in self.expectations if not row.met]

    def to_json(self) -> dict[str, Any]:
        return {"ready": self.ready, "min_citations": self.min_citations, "min_quarters": self.min_quarters,
                "max_expectations_per_item": self.max_expectations_per_item, "distinct_items": self.distinct_items,
                "expectations": [{"dimension": row.dimension, "label": row.label, "expectation": row.expectation,
                                  "citations": [item.reference for item in row.cited],
                                  "counted": [item.reference for item in row.cited if item.counts],
                                  "quarters": row.quarters, "enough_citations": row.enough_citations,
                                  "consistent": row.consistent, "own_note": row.own_note, "met": row.met,
                                  "missing": row.missing(self.min_citations, self.min_quarters)}
                                 for row in self.expectations]}


def evidence_label(reference: str) -> str:
    """What a person reads for a cited item: its title and kind, never the stored reference."""
    try:
        parsed = parse_reference(reference)
        model = model_for(parsed.kind)
    except CitationError:
        return "an item that can no longer be cited"
    obj = model._default_manager.filter(pk=parsed.object_id).first() if parsed.object_id.isdigit() else None
    if obj is None:
        return "an item that no longer exists"
    title = getattr(obj, "title", None) or getattr(obj, "summary", None) or getattr(obj, "body", None) or str(obj)
    kind = obj.get_kind_display() if hasattr(obj, "get_kind_display") else model._meta.verbose_name
    return f"{str(title)[:120]} ({str(kind).lower()}, [E:{parsed.object_id}])" if parsed.kind == "evidence_item" \
        else f"{str(title)[:120]} ({str(kind).lower()})"


def _quarter(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3


def _note_key(note: str) -> str:
    """A note as compared for copies: case, spacing and punctuation do not make it a different note."""
    return " ".join("".join(ch if ch.isalnum() else " " for ch in note.casefold()).split())


def readiness(case: PromotionCase) -> Readiness:
    """Which expectations of the next level have enough cited evidence, over enough quarters, each with a note of
    its own, and which do not.

    An item counts towards the first ``MAX_EXPECTATIONS_PER_ITEM`` expectations it was cited for (in the order of
    citing); cited for more, it is listed but does not count there. A note counts for an expectation only when
    the same note is not written under another expectation."""
    competencies = {c.dimension: c for c in Competency.objects.filter(level=case.to_level_id)}
    rows_of_case = [c for c in case.citations.select_related("added_by").order_by("pk")
                    if c.dimension in competencies]
    uses: dict[str, list[str]] = {}
    notes: dict[str, set[str]] = {}
    for citation in rows_of_case:
        dimensions = uses.setdefault(citation.reference, [])
        if citation.dimension not in dimensions:
            dimensions.append(citation.dimension)
        if _note_key(citation.note):
            notes.setdefault(_note_key(citation.note), set()).add(citation.dimension)
    citations: dict[str, list[CitedItem]] = {}
    for c in rows_of_case:
        key = _note_key(c.note)
        citations.setdefault(c.dimension, []).append(CitedItem(
            c.reference, evidence_label(c.reference), c.occurred_on, c.note, c.added_by.name,
            counts=c.dimension in uses[c.reference][:MAX_EXPECTATIONS_PER_ITEM],
            note_copied=bool(key) and len(notes[key]) > 1))
    rows = []
    for dimension, label in Dimension.choices:
        competency = competencies.get(dimension)
        if competency is None:
            continue
        cited = citations.get(dimension, [])
        counted = [item for item in cited if item.counts]
        quarters = len({_quarter(item.occurred_on) for item in counted})
        rows.append(ExpectationReadiness(
            dimension=dimension, label=str(label), expectation=competency.expectation, examples=competency.examples,
            cited=cited, quarters=quarters, enough_citations=len(counted) >= case.min_citations,
            consistent=quarters >= CONSISTENCY_QUARTERS,
            own_note=any(item.counts and item.note.strip() and not item.note_copied for item in cited)))
    return Readiness(case.min_citations, CONSISTENCY_QUARTERS, rows)


# --- Nomination and evidence ---


def nominate_for_promotion(person: Person, *, actor: Person, rationale: str) -> PromotionCase:
    """Open a case for the next level of ``person``'s ladder; one open case per person at a time."""
    _require(access.can_nominate_for_promotion(actor, person), ERR_CANNOT_NOMINATE)
    _require(person.level_id is not None, ERR_NO_LEVEL.format(name=person.name))
    level: Level = person.level  # type: ignore[assignment]
    to_level = level.next_level()
    _require(to_level is not None, ERR_TOP_LEVEL.format(level=level.code))
    _require(bool(rationale.strip()), ERR_RATIONALE)
    with transaction.atomic():
        # Lock the person row: two nominations at once must not both open a case.
        Person.objects.select_for_update().filter(pk=person.pk).get()
        _require(not PromotionCase.objects.filter(
            person=person, status__in=(CaseStatus.NOMINATED, CaseStatus.PANEL)).exists(),
            ERR_CASE_OPEN.format(name=person.name))
        case = PromotionCase.objects.create(
            person=person, from_level=level, to_level=to_level, manager_id=person.manager_id, nominated_by=actor,
            rationale=rationale.strip(), min_citations=MIN_CITATIONS_PER_EXPECTATION)
        log_action("promotions.case.nominated", actor, case, {
            "person": person.pk, "from_level": level.code, "to_level": to_level.code,  # type: ignore[union-attr]
            "rationale": case.rationale})
    return case


def _occurred_on(obj: Any) -> dt.date:
    for attribute in ("occurred_at", "submitted_at", "created_at"):
        value = getattr(obj, attribute, None)
        if isinstance(value, dt.datetime):
            return timezone.localdate(value) if timezone.is_aware(value) else value.date()
        if isinstance(value, dt.date):
            return value
    return timezone.localdate()


def cite_for_promotion(case: PromotionCase, *, actor: Person, dimension: str, reference: str,
                       note: str = "") -> CaseCitation:
    """Cite one item (``evidence_item:12``, an accomplishment, released feedback…) against one expectation."""
    _require(access.can_cite_for_promotion(actor, case), ERR_CANNOT_CITE)
    choices = list(Competency.objects.filter(level=case.to_level_id).values_list("dimension", flat=True))
    _require(dimension in choices, ERR_DIMENSION.format(dimension=dimension, choices=", ".join(choices)))
    try:
        parsed = parse_reference(reference)
        obj = resolve(parsed, person=case.person, viewer=actor)
    except CitationError as error:
        raise PromotionError(str(error)) from error
    _require(not parsed.is_ai, "an AI signal is a hypothesis, not readiness evidence; cite what it points to")
    with transaction.atomic():
        case = _locked(case)
        _require_status(case, CaseStatus.NOMINATED)
        _require(not case.citations.filter(dimension=dimension, kind=parsed.kind, object_id=parsed.object_id).exists(),
                 ERR_ALREADY_CITED.format(reference=parsed))
        elsewhere = sorted(set(case.citations.filter(kind=parsed.kind, object_id=parsed.object_id)
                               .values_list("dimension", flat=True)))
        _require(len(elsewhere) < MAX_EXPECTATIONS_PER_ITEM, ERR_ITEM_OVERUSED.format(
            expectations=" and ".join(str(Dimension(d).label).lower() for d in elsewhere),
            maximum=MAX_EXPECTATIONS_PER_ITEM))
        citation = CaseCitation.objects.create(case=case, dimension=dimension, kind=parsed.kind,
                                               object_id=parsed.object_id, note=note.strip(), added_by=actor,
                                               occurred_on=_occurred_on(obj))
        log_action("promotions.case.evidence_cited", actor, citation, {
            "case": case.pk, "dimension": dimension, "reference": str(parsed), "note": citation.note})
    return citation


# --- Panel, conflicts and hidden pre-votes (E8) ---


def _conflict_of(case: PromotionCase, member: Person) -> str:
    if member.pk == case.person_id:
        return CasePanelist.Conflict.SELF
    if member.pk == case.manager_id or access.manages(member, case.person):
        return CasePanelist.Conflict.MANAGEMENT_CHAIN
    if member.pk == case.nominated_by_id:
        return CasePanelist.Conflict.NOMINATOR
    return CasePanelist.Conflict.NONE


_CONFLICT_WHY = {
    CasePanelist.Conflict.SELF: "the case is about them",
    CasePanelist.Conflict.MANAGEMENT_CHAIN: "they are in the person's management chain",
    CasePanelist.Conflict.NOMINATOR: "they nominated the person",
    CasePanelist.Conflict.DECLARED: "they declared a conflict of interest",
}


def excluded_person_ids(case: PromotionCase) -> set[int]:
    """Everyone the case's conflict rules exclude, as one set (two queries): the person, their management chain
    now and at nomination, the nominator, and anyone seated with a declared conflict."""
    path = Person.objects.filter(pk=case.person_id).values_list("chain_path", flat=True).first() or ""
    excluded = {int(part) for part in path.strip("/").split("/") if part.isdigit()}
    excluded |= set(case.panelists.exclude(conflict="").values_list("person_id", flat=True))
    excluded |= {pk for pk in (case.person_id, case.manager_id, case.nominated_by_id) if pk is not None}
    return excluded


def accountable_refusal(person: Person, case: PromotionCase) -> str | None:
    """Why ``person`` may not be finally accountable for ``case``'s decision, or ``None``: the same conflict rules
    that keep someone off the panel keep them from answering for its decision."""
    if not person.is_active:
        return ERR_ACCOUNTABLE.format(name=case.person.name)
    conflict = _conflict_of(case, person) or (
        CasePanelist.Conflict.DECLARED if case.panelists.filter(person=person).exclude(conflict="").exists()
        else CasePanelist.Conflict.NONE)
    if conflict == CasePanelist.Conflict.SELF:
        return ERR_ACCOUNTABLE.format(name=case.person.name)
    if conflict:
        return ERR_ACCOUNTABLE_CONFLICT.format(name=person.name, why=_CONFLICT_WHY[CasePanelist.Conflict(conflict)])
    return None


def seat_promotion_panel(case: PromotionCase, *, actor: Person, members: Iterable[Person]) -> list[CasePanelist]:
    """Seat the panel and send the case to it. Conflicted members keep a marked seat and take no part."""
    _require(access.can_run_promotions(actor), ERR_NOT_PEOPLE_PARTNER.format(action="seat promotion panels"))
    people = list({person.pk: person for person in members}.values())
    conflicts = {person.pk: _conflict_of(case, person) for person in people}
    eligible = [person for person in people if not conflicts[person.pk] and person.is_active]
    _require(len(eligible) >= MIN_PANEL_SIZE, ERR_PANEL_TOO_SMALL.format(minimum=MIN_PANEL_SIZE, count=len(eligible)))
    with transaction.atomic():
        case = _locked(case)
        _require_status(case, CaseStatus.NOMINATED)
        seats = [CasePanelist.objects.create(case=case, person=person, conflict=conflicts[person.pk], added_by=actor)
                 for person in people]
        case.status = CaseStatus.PANEL
        case.version += 1
        case.save(update_fields=["status", "version"])
        log_action("promotions.case.panel_seated", actor, case, {
            "members": sorted(person.pk for person in people),
            "conflicts": {str(pk): reason for pk, reason in sorted(conflicts.items()) if reason},
            "readiness": readiness(case).to_json()})
    return seats


def eligible_panelists(case: PromotionCase) -> list[Person]:
    return [seat.person for seat in case.panelists.filter(conflict="", person__is_active=True).select_related("person")]


@dataclass(frozen=True)
class PreVotes:
    """What a viewer may see: their own vote always; everyone's only once every eligible panelist has voted."""

    eligible: int
    voted: int
    own: str
    votes: list[dict[str, str]]

    @property
    def complete(self) -> bool:
        return votes_complete(eligible=self.eligible, voted=self.voted)

    def to_json(self) -> dict[str, Any]:
        return {"eligible": self.eligible, "voted": self.voted, "complete": self.complete, "own": self.own,
                "votes": self.votes}


def _panelist_labels(case: PromotionCase, viewer: Person | None) -> PanelistLabels:
    """Who cast each pre-vote as ``viewer`` reads it: the person sees "Panelist 1, 2…" unless the policy shows
    names (the same rule as for review pre-votes)."""
    return label_panelists(case.pre_votes.values_list("panelist_id", "panelist__name"),
                           subject_person_id=case.person_id, viewer=viewer, salt=f"promotion:{case.pk}")


def pre_votes(case: PromotionCase, *, viewer: Person | None) -> PreVotes:
    eligible = eligible_panelists(case)
    cast = list(case.pre_votes.filter(panelist__in=eligible).select_related("panelist"))
    own = next((vote.vote for vote in cast if viewer is not None and vote.panelist_id == viewer.pk), "")
    complete = votes_complete(eligible=len(eligible), voted=len(cast))
    shown: list[dict[str, str]] = []
    if complete:
        labels = _panelist_labels(case, viewer)
        shown = sorted(({"panelist": labels.of(vote.panelist), "vote": vote.vote, "note": vote.note}
                        for vote in cast), key=lambda row: row["panelist"])
    return PreVotes(len(eligible), len(cast), own, shown)


def memo_for(case: PromotionCase, viewer: Person | None) -> dict[str, Any]:
    """The stored memo as ``viewer`` may read it: panelist names follow the policy for the person."""
    labels = _panelist_labels(case, viewer)
    memo = dict(case.memo)
    for key in ("pre_votes", "dissent"):
        memo[key] = sorted(({**row, "panelist": labels.of_name(str(row.get("panelist", "")))}
                            for row in memo.get(key, [])), key=lambda row: row["panelist"])
    return memo


def record_promotion_pre_vote(case: PromotionCase, *, panelist: Person, vote: str, note: str = "") -> CasePreVote:
    """An independent vote before discussion; the others stay hidden until everyone has voted."""
    _require(bool(vote), ERR_CHOOSE_VOTE)
    _require(vote in CaseDecision.values, ERR_VOTE.format(vote=vote))
    with transaction.atomic():
        case = _locked(case)
        _require_status(case, CaseStatus.PANEL)
        _require(access.is_promotion_panelist(panelist, case), ERR_NOT_PANELIST.format(name=panelist.name))
        _require(not pre_votes(case, viewer=None).complete, ERR_VOTES_REVEALED)
        recorded, _ = CasePreVote.objects.update_or_create(case=case, panelist=panelist,
                                                           defaults={"vote": vote, "note": note.strip()})
        # The vote itself is not in the audit data: the trail must not reveal the spread early.
        log_action("promotions.prevote.recorded", panelist, recorded, {"case": case.pk})
    return recorded


# --- Decision and memo (E5) ---


def _case_references(case: PromotionCase, reason: str, citations: Iterable[str]) -> list[str]:
    try:
        references = references_in(reason, list(citations))
    except CitationError as error:
        raise PromotionError(str(error)) from error
    in_case = {citation.reference for citation in case.citations.all()}
    for reference in references:
        _require(str(reference) in in_case, ERR_CITATION_NOT_IN_CASE.format(reference=reference))
    _require(bool(references), ERR_DECISION_CITES)
    return [str(reference) for reference in references]


def build_promotion_memo(case: PromotionCase, *, decision: str, reason: str, cited: list[str],
                         accountable: Person, decided_by: Person) -> dict[str, Any]:
    """The memo from the record: readiness, the panel's votes and dissent, the reasons and who is accountable."""
    state = readiness(case)
    votes = pre_votes(case, viewer=None)
    return {
        "decision": decision,
        "from_level": case.from_level.code,
        "to_level": case.to_level.code,
        "nomination": {"by": case.nominated_by.name, "rationale": case.rationale},
        "readiness": state.to_json(),
        "departs_from_readiness": (decision == CaseDecision.PROMOTED) != state.ready,
        "pre_votes": votes.votes,
        "dissent": [vote for vote in votes.votes if vote["vote"] != decision],
        "reasons": reason,
        "main_signals": [evidence_label(reference) for reference in cited],
        "citations": cited,
        "decided_by": decided_by.name,
        "accountable": accountable.name,
    }


def _set_level(case: PromotionCase, *, actor: Person, source: str) -> None:
    person = Person.objects.select_for_update().get(pk=case.person_id)
    before = person.level.code if person.level else ""
    person.level = case.to_level
    person.save(update_fields=["level"])
    log_action("people.person.level_changed", actor, person, {
        "level": {"from": before, "to": case.to_level.code}, "promotion_case": case.pk, "source": source})


def decide_promotion_case(case: PromotionCase, *, actor: Person, decision: str, reason: str,
                          accountable: Person, citations: Iterable[str] = ()) -> PromotionCase:
    """Record the panel's decision with reasons citing the case's evidence and the person finally accountable.

    A promotion moves the person to the next level in the same transaction. A decision that departs from
    readiness is allowed (the panel judges) but the memo says so next to the written reasons (E3)."""
    _require(bool(decision), ERR_CHOOSE_DECISION)
    _require(decision in CaseDecision.values, ERR_VOTE.format(vote=decision))
    _require(bool(reason.strip()), ERR_REASON)
    refusal = accountable_refusal(accountable, case)
    _require(refusal is None, refusal or "")
    with transaction.atomic():
        case = _locked(case)
        _require_status(case, CaseStatus.PANEL)
        _require((access.can_run_promotions(actor) or access.is_promotion_panelist(actor, case))
                 and not access.has_promotion_conflict(actor, case), ERR_CANNOT_DECIDE)
        votes = pre_votes(case, viewer=None)
        _require(votes.complete, ERR_PRE_VOTES_OPEN.format(voted=votes.voted, eligible=votes.eligible))
        cited = _case_references(case, reason, citations)
        state = readiness(case)
        case.memo = build_promotion_memo(case, decision=decision, reason=reason.strip(), cited=cited,
                                         accountable=accountable, decided_by=actor)
        case.decision, case.decision_reason, case.decision_citations = decision, reason.strip(), cited
        case.ready_at_decision = state.ready
        case.accountable, case.decided_by, case.decided_at = accountable, actor, timezone.now()
        case.status = CaseStatus.DECIDED
        case.version += 1
        case.save()
        log_action("promotions.case.decided", actor, case, {
            "decision": decision, "reason": case.decision_reason, "citations": cited,
            "accountable": accountable.pk, "ready": state.ready})
        if decision == CaseDecision.PROMOTED:
            _set_level(case, actor=actor, source="decision")
    return case


def withdraw_promotion_case(case: PromotionCase, *, actor: Person, reason: str) -> PromotionCase:
    """The nominator, the person or a people partner withdraws an undecided case, saying why."""
    _require(bool(reason.strip()), ERR_REASON)
    with transaction.atomic():
        case = _locked(case)
        _require(actor.pk in {case.nominated_by_id, case.person_id} or access.can_run_promotions(actor),
                 ERR_CANNOT_NOMINATE)
        _require(case.status in (CaseStatus.NOMINATED, CaseStatus.PANEL), ERR_WRONG_STATUS.format(
            expected="undecided", current=case.get_status_display().lower()))
        case.status = CaseStatus.WITHDRAWN
        case.version += 1
        case.save(update_fields=["status", "version"])
        log_action("promotions.case.withdrawn", actor, case, {"reason": reason.strip()})
    return case


# --- Appeals (E7): the guarantees of a review appeal ---


def appeal_deadline(case: PromotionCase) -> dt.date:
    decided = timezone.localdate(case.decided_at) if case.decided_at else timezone.localdate()
    return decided + dt.timedelta(days=APPEAL_WINDOW_DAYS)


def file_promotion_appeal(case: PromotionCase, *, actor: Person, context: str,
                          today: dt.date | None = None) -> CaseAppeal:
    """Within the window, the person adds context and asks for a second review."""
    today = today or timezone.localdate()
    _require(access.is_self(actor, case.person), ERR_NOT_SELF)
    _require(bool(context.strip()), ERR_CONTEXT)
    with transaction.atomic():
        case = _locked(case)
        _require_status(case, CaseStatus.DECIDED)
        deadline = appeal_deadline(case)
        _require(today <= deadline, ERR_APPEAL_WINDOW.format(date=deadline))
        _require(not case.appeals.filter(status__in=CaseAppeal.OPEN_STATES).exists(), ERR_APPEAL_OPEN)
        _require(not case.appeals.exists(), ERR_APPEALED_BEFORE)
        appeal = CaseAppeal.objects.create(case=case, context=context.strip(),
                                           due_on=today + dt.timedelta(days=APPEAL_DECISION_DAYS))
        log_action("promotions.appeal.filed", actor, appeal, {"case": case.pk, "due_on": appeal.due_on})
    return appeal


def _feedback_writers(case: PromotionCase) -> set[int]:
    # The reviews app's rule reads a packet's items by kind and id; a case's citations have the same shape.
    return contested_feedback_writer_ids(SimpleNamespace(packet_items=case.citations))


def appeal_reviewer_refusal(person: Person, case: PromotionCase) -> str | None:
    """Why ``person`` may not review an appeal on ``case``, or ``None``."""
    refused = (not person.is_active or access.has_promotion_conflict(person, case)
               or case.panelists.filter(person=person).exists() or person.pk in _feedback_writers(case))
    if not refused and policy_services.appeal_reviewers() == "people_partner":
        refused = not access.is_people_partner(person)
    return ERR_REVIEWER.format(name=person.name) if refused else None


def assign_promotion_appeal_reviewer(appeal: CaseAppeal, *, actor: Person, reviewer: Person) -> CaseAppeal:
    """A people partner names the second reviewer, or, once the appeal is taken further, a different one."""
    _require(access.can_run_promotions(actor), ERR_NOT_PEOPLE_PARTNER.format(action="assign appeal reviewers"))
    refusal = appeal_reviewer_refusal(reviewer, appeal.case)
    _require(refusal is None, refusal or "")
    with transaction.atomic():
        appeal = CaseAppeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status == CaseAppeal.Status.REQUESTED:
            appeal.reviewer, appeal.status = reviewer, CaseAppeal.Status.IN_REVIEW
            appeal.save(update_fields=["reviewer", "status"])
            stage = "second_review"
        elif appeal.status == CaseAppeal.Status.ESCALATED and appeal.escalation_reviewer_id is None:
            _require(reviewer.pk != appeal.reviewer_id, ERR_ESCALATION_SAME_REVIEWER.format(name=reviewer.name))
            appeal.escalation_reviewer = reviewer
            appeal.save(update_fields=["escalation_reviewer"])
            stage = "escalation"
        else:
            raise PromotionError(ERR_APPEAL_STATE.format(status=appeal.get_status_display().lower()))
        log_action("promotions.appeal.reviewer_assigned", actor, appeal, {"reviewer": reviewer.pk, "stage": stage})
    return appeal


def decide_promotion_appeal(appeal: CaseAppeal, *, reviewer: Person, decision: str, reason: str) -> CaseAppeal:
    """The reviewer of the appeal's current step upholds the decision or changes it to a promotion, never the other
    way round. A decision taken one step further is final."""
    _require(decision in CaseAppeal.Decision.values, ERR_APPEAL_DECISION.format(decision=decision))
    _require(bool(reason.strip()), ERR_REASON)
    with transaction.atomic():
        appeal = CaseAppeal.objects.select_for_update().select_related("case").get(pk=appeal.pk)
        escalated = appeal.status == CaseAppeal.Status.ESCALATED
        decidable = appeal.status == CaseAppeal.Status.IN_REVIEW or (escalated and appeal.escalation_reviewer_id)
        _require(bool(decidable), ERR_APPEAL_STATE.format(status=appeal.get_status_display().lower()))
        _require(appeal.current_reviewer_id == reviewer.pk, ERR_NOT_APPEAL_REVIEWER)
        case = _locked(appeal.case)
        if decision == CaseAppeal.Decision.CHANGED:
            _require(case.decision != CaseDecision.PROMOTED, ERR_APPEAL_ALREADY_PROMOTED)
            before = case.decision
            case.decision = CaseDecision.PROMOTED
            case.memo = {**case.memo, "appeal": {"reviewer": reviewer.name, "decision": decision,
                                                 "reason": reason.strip(), "from": before,
                                                 "stage": "escalation" if escalated else "second_review"}}
            case.version += 1
            case.save(update_fields=["decision", "memo", "version"])
            _set_level(case, actor=reviewer, source="appeal")
        now = timezone.now()
        if escalated:
            appeal.escalation_decision, appeal.escalation_decision_reason = decision, reason.strip()
            appeal.escalation_decided_at, appeal.status = now, CaseAppeal.Status.CLOSED
            fields = ["escalation_decision", "escalation_decision_reason", "escalation_decided_at", "status"]
        else:
            appeal.decision, appeal.decision_reason = decision, reason.strip()
            appeal.decided_at, appeal.status = now, CaseAppeal.Status.DECIDED
            fields = ["decision", "decision_reason", "decided_at", "status"]
        appeal.save(update_fields=fields)
        log_action("promotions.appeal.decided", reviewer, appeal, {
            "case": case.pk, "stage": "escalation" if escalated else "second_review", "decision": decision,
            "reason": reason.strip()})
    return appeal


def escalation_deadline(appeal: CaseAppeal) -> dt.date | None:
    """The last day the person can take a decided appeal one step further."""
    if appeal.decided_at is None:
        return None
    return timezone.localdate(appeal.decided_at) + dt.timedelta(days=APPEAL_WINDOW_DAYS)


def can_escalate_promotion_appeal(appeal: CaseAppeal, *, today: dt.date | None = None) -> bool:
    deadline = escalation_deadline(appeal)
    return (appeal.status == CaseAppeal.Status.DECIDED and appeal.decision == CaseAppeal.Decision.UPHELD
            and deadline is not None and (today or timezone.localdate()) <= deadline)


def escalate_promotion_appeal(appeal: CaseAppeal, *, actor: Person, reason: str,
                              today: dt.date | None = None) -> CaseAppeal:
    """The person takes an upheld appeal one step further, once: a people partner assigns a different reviewer
    from outside the chain, whose decision is final."""
    today = today or timezone.localdate()
    _require(access.is_self(actor, appeal.case.person), ERR_NOT_SELF)
    _require(bool(reason.strip()), ERR_ESCALATION_REASON)
    with transaction.atomic():
        appeal = CaseAppeal.objects.select_for_update().select_related("case").get(pk=appeal.pk)
        _require(appeal.status == CaseAppeal.Status.DECIDED,
                 ERR_APPEAL_STATE.format(status=appeal.get_status_display().lower()))
        _require(appeal.decision == CaseAppeal.Decision.UPHELD, ERR_NOTHING_TO_ESCALATE)
        deadline = escalation_deadline(appeal)
        _require(deadline is not None and today <= deadline,
                 ERR_ESCALATION_WINDOW.format(date=deadline, days=APPEAL_WINDOW_DAYS))
        appeal.status, appeal.escalation_reason = CaseAppeal.Status.ESCALATED, reason.strip()
        appeal.escalated_at = timezone.now()
        appeal.escalation_due_on = today + dt.timedelta(days=APPEAL_DECISION_DAYS)
        appeal.save(update_fields=["status", "escalation_reason", "escalated_at", "escalation_due_on"])
        log_action("promotions.appeal.escalated", actor, appeal, {
            "case": appeal.case_id, "reason": appeal.escalation_reason, "due_on": appeal.escalation_due_on})
    return appeal


# --- Business need and the rates report ---


def set_open_roles(level: Level, *, actor: Person, period: str, count: Any, note: str = "") -> OpenRoles:
    """Enter (or correct) how many roles are open at ``level`` in the year ``period``."""
    _require(access.can_run_promotions(actor), ERR_NOT_PEOPLE_PARTNER.format(action="enter open roles"))
    period = str(period).strip()
    _require(len(period) == 4 and period.isdigit() and 2000 <= int(period) <= 2100, ERR_PERIOD.format(period=period))
    try:
        number = int(str(count).strip())
    except ValueError:
        number = -1
    _require(0 <= number <= 999 and not isinstance(count, bool), ERR_COUNT)
    with transaction.atomic():
        existing = OpenRoles.objects.select_for_update().filter(level=level, period=period).first()
        before = existing.count if existing else None
        roles, _ = OpenRoles.objects.update_or_create(level=level, period=period, defaults={
            "count": number, "note": note.strip(), "entered_by": actor})
        log_action("promotions.open_roles.set", actor, roles, {
            "level": level.code, "period": period, "count": {"from": before, "to": number}, "note": roles.note})
    return roles


@dataclass(frozen=True)
class LevelRates:
    level: str
    title: str
    open_roles: int | None
    withheld: bool
    nominated: int | None
    ready: int | None
    promoted: int | None

    def rate(self, numerator: int | None, denominator: int | None) -> float | None:
        if numerator is None or not denominator:
            return None
        return round(numerator / denominator, 2)

    @property
    def promoted_of_ready(self) -> float | None:
        return self.rate(self.promoted, self.ready)

    @property
    def promoted_of_open_roles(self) -> float | None:
        return self.rate(self.promoted, self.open_roles)

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "title": self.title, "open_roles": self.open_roles, "withheld": self.withheld,
                "nominated": self.nominated, "ready": self.ready, "promoted": self.promoted,
                "promoted_of_ready": self.promoted_of_ready, "promoted_of_open_roles": self.promoted_of_open_roles}


@dataclass(frozen=True)
class PromotionRates:
    period: str
    min_cohort: int
    levels: list[LevelRates]

    def to_json(self) -> dict[str, Any]:
        return {"period": self.period, "min_cohort": self.min_cohort, "levels": [r.to_json() for r in self.levels]}


def promotion_rates(period: str) -> PromotionRates:
    """Per target level in the year: cases nominated, ready at decision, promoted, and the open roles entered.

    Counts about people are withheld for a level with fewer nominations than the minimum cohort (G2);
    the open roles are not about people and are always shown."""
    minimum = policy_services.min_cohort_size()
    year = int(period)
    cases = (PromotionCase.objects.filter(nominated_at__year=year).exclude(status=CaseStatus.WITHDRAWN)
             .values_list("to_level_id", "status", "decision", "ready_at_decision"))
    counts: dict[int, list[int]] = {}
    for level_id, status, decision, ready in cases:
        row = counts.setdefault(level_id, [0, 0, 0])
        row[0] += 1
        row[1] += 1 if status == CaseStatus.DECIDED and ready else 0
        row[2] += 1 if decision == CaseDecision.PROMOTED else 0
    roles = dict(OpenRoles.objects.filter(period=period).values_list("level_id", "count"))
    rows = []
    for level in Level.objects.filter(pk__in=set(counts) | set(roles)).select_related("ladder"):
        nominated, ready, promoted = counts.get(level.pk, [0, 0, 0])
        withheld = 0 < nominated < minimum
        rows.append(LevelRates(level.code, level.title, roles.get(level.pk), withheld,
                               None if withheld else nominated, None if withheld else ready,
                               None if withheld else promoted))
    return PromotionRates(period, minimum, rows)


def open_cases_of(person_ids: Iterable[int]) -> dict[int, PromotionCase]:
    """The open (undecided, not withdrawn) case of each of these people who has one: one query."""
    return {case.person_id: case for case in PromotionCase.objects.filter(
        person_id__in=list(person_ids), status__in=(CaseStatus.NOMINATED, CaseStatus.PANEL))}


def vote_in_words(vote: str) -> str:
    return "promote" if vote == CaseDecision.PROMOTED else "not yet"


def _people_partners_in_words() -> str:
    names = list(Person.objects.filter(is_active=True, access_role=AccessRole.PEOPLE_PARTNER)
                 .order_by("name").values_list("name", flat=True)[:3])
    return f"a people partner ({', '.join(names)})" if names else "a people partner"


def next_step(case: PromotionCase, *, readiness: Readiness, pre_votes: PreVotes, viewer: Person) -> str:
    """What happens next on the case and who takes that step, for everyone who can open it."""
    if case.status == CaseStatus.NOMINATED:
        step = (f"Next: {_people_partners_in_words()} seats a panel from outside {case.person.name}'s management "
                "chain and sends the case to it.")
        if access.can_run_promotions(viewer):
            step += " You can do that below."
        if not readiness.ready:
            step += (" Until then the person, their management chain and the nominator can cite more evidence; "
                     "the readiness below says what is missing.")
        return step
    if case.status == CaseStatus.PANEL:
        if not pre_votes.complete:
            return (f"Next: each panelist records an independent pre-vote ({pre_votes.voted} of "
                    f"{pre_votes.eligible} so far); then a people partner or a panelist without a conflict records "
                    "the decision.")
        return ("Next: a people partner or a panelist without a conflict records the decision, with reasons citing "
                "the case's evidence and the person finally accountable.")
    if case.status == CaseStatus.DECIDED:
        open_appeal = case.appeals.filter(status__in=CaseAppeal.OPEN_STATES).first()
        if open_appeal is not None:
            return "Next: the appeal's reviewer decides it; a people partner assigns one if none is named yet."
        deadline = appeal_deadline(case)
        if not case.appeals.exists() and timezone.localdate() <= deadline:
            return f"{case.person.name} can appeal the decision until {deadline.day} {deadline:%b %Y}."
    return ""


def cases_visible_to(viewer: Person | None) -> list[PromotionCase]:
    """The cases the viewer may open, newest first (people partners: all)."""
    if viewer is None:
        return []
    cases = PromotionCase.objects.select_related("person", "to_level", "from_level", "nominated_by")
    if not access.is_people_partner(viewer):
        managed = access.people_managed_by(viewer).values("pk")
        cases = (cases.filter(person__in=managed) | cases.filter(person=viewer) | cases.filter(nominated_by=viewer)
                 | cases.filter(manager=viewer) | cases.filter(panelists__person=viewer, panelists__conflict="")
                 | cases.filter(appeals__reviewer=viewer))
    return list(cases.distinct())
