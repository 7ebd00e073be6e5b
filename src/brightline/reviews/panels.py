"""Panel shapes shared by review calibration and promotion cases (E8): code only, each keeps its own tables.

Both seat a panel whose conflicted members take no part, collect hidden pre-votes that are revealed only once
every eligible panelist has voted, and show who voted how to the person concerned as "Panelist 1, 2…" unless
the policy shows names. The numbering follows a hash of the case and the panelist, not the panel's order, so it
says nothing about who sat where.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from brightline.people.models import Person

ANONYMOUS_PANELIST = "A panelist"


@dataclass(frozen=True)
class PanelistLabels:
    """How the viewer sees who cast each pre-vote: names, or "Panelist 1, 2, 3" for the person concerned when
    the policy hides names. The numbers follow a per-case hash, not the panelists' order."""

    anonymised: bool
    by_id: dict[int, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)

    def of(self, panelist: Person) -> str:
        return self.by_id.get(panelist.pk, ANONYMOUS_PANELIST) if self.anonymised else panelist.name

    def of_name(self, name: str) -> str:
        return self.by_name.get(name, ANONYMOUS_PANELIST) if self.anonymised else name


def label_panelists(voters: Iterable[tuple[int, str]], *, subject_person_id: int, viewer: Person | None,
                    salt: str) -> PanelistLabels:
    """Labels of the ``voters`` (id, name) as ``viewer`` reads them; ``salt`` names the case (a review's id, a
    promotion case's "promotion:<id>"). ``voters`` is read only when the labels are anonymised."""
    from brightline.policy.services import employee_sees_prevote_names

    if viewer is None or viewer.pk != subject_person_id or employee_sees_prevote_names():
        return PanelistLabels(anonymised=False)
    ordered = sorted(set(voters), key=lambda row: hashlib.sha256(f"{salt}:{row[0]}".encode()).hexdigest())
    by_id = {pk: f"Panelist {number}" for number, (pk, _name) in enumerate(ordered, start=1)}
    return PanelistLabels(True, by_id, {name: by_id[pk] for pk, name in ordered})


def votes_complete(*, eligible: int, voted: int) -> bool:
    """Every eligible panelist has voted (and there is at least one): the hidden votes may be revealed."""
    return eligible > 0 and voted == eligible
