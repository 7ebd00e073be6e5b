"""Resolve packet references (``"evidence_item:12"``) to objects and check they may be cited.

Each kind maps to the model of the app below reviews that stores it (evidence, feedback,
insights). A reference may be cited in a person's packet only when the object is about that
person (or their team) and the citer may see it; an AI signal only once a human has accepted it
(principle 3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import models

from brightline import access
from brightline.core.narrative import find_citations
from brightline.evidence.models import EvidenceItem
from brightline.feedback.models import Accomplishment, FeedbackResponse, ManagerCommentary
from brightline.insights.models import Signal
from brightline.templatetags import brightline_labels

if TYPE_CHECKING:
    from brightline.people.models import Person

KIND_MODELS: dict[str, type[models.Model]] = {
    "evidence_item": EvidenceItem,
    "accomplishment": Accomplishment,
    "feedback_response": FeedbackResponse,
    "signal": Signal,
    "manager_commentary": ManagerCommentary,
}
AI_KINDS = frozenset({"signal"})
SIGNAL_ACCEPTED = "accepted"

ERR_BAD_REFERENCE = ("{reference!r} is not a citation; write the number shown beside the item in the packet's "
                     "evidence list, e.g. [E:12]")
ERR_UNKNOWN_KIND = "{kind!r} cannot be cited; the kinds are: {kinds}"
ERR_NOT_FOUND = "{reference} does not exist"
ERR_NOT_ABOUT_PERSON = "{reference} is not about {person}; a packet cites only evidence about its own person"
ERR_NOT_VISIBLE = "you cannot see {reference}, so you cannot cite it"
ERR_SIGNAL_NOT_ACCEPTED = ("{reference} is an AI signal that no human has accepted (status {status!r}); "
                           "only accepted signals may be cited")


class CitationError(ValueError):
    """A reference that cannot be cited in this packet."""


@dataclass(frozen=True)
class Reference:
    kind: str
    object_id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"

    @property
    def is_ai(self) -> bool:
        return self.kind in AI_KINDS


# "[E:12]" and "E:12", as every page shows evidence, cite evidence item 12.
_EVIDENCE_NUMBER = re.compile(r"\[?\s*E\s*:\s*(\d+)\s*\]?", re.IGNORECASE)


def parse_reference(text: str) -> Reference:
    shown = _EVIDENCE_NUMBER.fullmatch(text.strip())
    if shown:
        return Reference("evidence_item", shown.group(1))
    kind, sep, object_id = text.strip().partition(":")
    if not sep or not kind.strip() or not object_id.strip():
        raise CitationError(ERR_BAD_REFERENCE.format(reference=text))
    kind, object_id = kind.strip(), object_id.strip()
    if kind not in KIND_MODELS:
        raise CitationError(ERR_UNKNOWN_KIND.format(kind=kind, kinds=", ".join(KIND_MODELS)))
    return Reference(kind, object_id)


def references_in(text: str, extra: list[str] | tuple[str, ...] = ()) -> list[Reference]:
    """Citations written in prose as ``[E:<id>]`` plus explicit references; duplicates dropped, order kept."""
    found: list[Reference] = []
    for citation in find_citations(text or ""):
        if citation.syntax in {"canonical", "evidence"} and citation.evidence_id.isdigit():
            found.append(Reference("evidence_item", citation.evidence_id))
    found.extend(parse_reference(item) for item in extra if item.strip())
    unique: list[Reference] = []
    for reference in found:
        if reference not in unique:
            unique.append(reference)
    return unique


def model_for(kind: str) -> type[models.Model]:
    if kind not in KIND_MODELS:
        raise CitationError(ERR_UNKNOWN_KIND.format(kind=kind, kinds=", ".join(KIND_MODELS)))
    return KIND_MODELS[kind]


def _person_id_of(obj: Any) -> int | None:
    for attribute in ("audit_subject_person_id", "person_id", "subject_id", "about_id"):
        value = getattr(obj, attribute, None)
        if value is not None:
            return int(value)
    return None


def _released(response: Any) -> bool:
    from brightline.feedback.services import is_response_released

    return is_response_released(response)


def resolve(reference: Reference, *, person: Person, viewer: Person | None) -> Any:
    """The object behind ``reference`` after checking it may be cited in ``person``'s packet by ``viewer``."""
    model = model_for(reference.kind)
    obj = model._default_manager.filter(pk=reference.object_id).first() if reference.object_id.isdigit() else None
    if obj is None or (reference.kind == "feedback_response" and not _released(obj)):
        # A withheld anonymous answer is refused exactly like a missing one: the citer must not
        # learn that it exists.
        raise CitationError(ERR_NOT_FOUND.format(reference=reference))
    owner = _person_id_of(obj)
    team_id = getattr(obj, "team_id", None)
    if owner is None and reference.kind == "evidence_item" and team_id is not None:
        # A team-level item (a release) is about everyone on the team.
        if team_id != person.team_id:
            raise CitationError(ERR_NOT_ABOUT_PERSON.format(reference=reference, person=person.name))
    elif owner != person.pk:
        raise CitationError(ERR_NOT_ABOUT_PERSON.format(reference=reference, person=person.name))
    if reference.kind == "evidence_item":
        visible = access.can_view_evidence_item(viewer, obj)
    elif reference.kind == "feedback_response":
        visible = access.can_view_feedback(viewer, person) or access.is_people_partner(viewer)
    else:
        visible = access.can_view_person_record(viewer, person)
    if not visible:
        raise CitationError(ERR_NOT_VISIBLE.format(reference=reference))
    if reference.kind == "signal":
        status = getattr(obj, "status", None)
        if status != SIGNAL_ACCEPTED:
            raise CitationError(ERR_SIGNAL_NOT_ACCEPTED.format(reference=reference, status=status))
    return obj


def describe(reference: Reference) -> str:
    """A short human label for a reference; falls back to the reference itself."""
    try:
        model = model_for(reference.kind)
    except CitationError:
        return str(reference)
    obj = model._default_manager.filter(pk=reference.object_id).first() if reference.object_id.isdigit() else None
    label = brightline_labels.citation(str(reference))
    if obj is None:
        return f"{label} (no longer exists)"
    title = getattr(obj, "title", None) or getattr(obj, "summary", None) or str(obj)
    return f"{label}: {str(title)[:120]}"
