"""Evidence a claim names in words, resolved to the evidence items Brightline holds (C5).

:func:`brightline.core.narrative.references.find_references` finds the pull requests, merge requests,
commits, tickets and links a text mentions; :func:`resolve_named_evidence` looks each one up among the
items of the person the claim is about, and counts it only when it is found:

* a **link** matches an item with the same address (scheme and host in any case, no fragment, no
  trailing slash); a pull-request or merge-request page also matches that change by its repository and
  number, a commit page that commit by its hash;
* a **pull request** number (``#12``, "PR 12") matches an item whose source id ends in ``#12``, a
  **merge request** (``!12``, "MR 12") one ending in ``!12``: pull and merge requests as the GitHub and
  GitLab sources store them;
* a **commit** hash matches the item of the commit it begins (7 to 40 characters);
* a **ticket** key matches an item whose source id ends in the key (an incident ``PAY-512``) or whose
  title carries it ("PAY-512: retry card payments").

Items are looked up among the person's own items and the items of their services — the services their
own items belong to, those their team owns, and their team's own items (a release). The person's own
items are preferred; when a number matches items in two of their repositories and neither is theirs,
both count. A fixed number of queries answers many claims at once; a text naming nothing costs none.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Q

from brightline.core.narrative.references import Reference, find_references, normalise_url
from brightline.evidence.models import EvidenceItem, Service
from brightline.people.models import Person

__all__ = ["NamedEvidence", "resolve_named_evidence"]

K = TypeVar("K", bound=Hashable)
#: Conditions per candidate query, well inside SQLite's expression depth.
CONDITIONS_PER_QUERY = 200
_HEX = re.compile(r"^[0-9a-f]{7,64}$")


@dataclass(frozen=True, slots=True)
class NamedEvidence:
    """What one text names: the ids of the evidence items found, and the kinds of the references that
    were not found (``"pull_request"``, ``"ticket"`` …), one entry per reference."""

    found: tuple[int, ...] = ()
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Item:
    pk: int
    person_id: int | None
    team_id: int | None
    service: str
    url: str
    source_ref: str
    title: str


def _conditions(reference: Reference) -> list[Q]:
    found: list[Q] = []
    if reference.url:
        raw = reference.url.strip()
        normal = normalise_url(raw)
        found.append(Q(url__in=sorted({raw, raw.rstrip("/"), normal, normal + "/"})))
    if reference.kind == "pull_request":
        found.append(Q(source_ref__endswith=f"#{reference.value}"))
    elif reference.kind == "merge_request":
        found.append(Q(source_ref__endswith=f"!{reference.value}"))
    elif reference.kind == "commit":
        found.append(Q(source_ref__startswith=reference.value))
    elif reference.kind == "ticket":
        found.append(Q(source_ref__iendswith=reference.value) | Q(title__icontains=reference.value))
    return found


def _matches(reference: Reference, item: _Item) -> bool:
    if reference.url and item.url and normalise_url(item.url) == normalise_url(reference.url):
        return True
    ref = item.source_ref
    if reference.kind in {"pull_request", "merge_request"}:
        mark = "#" if reference.kind == "pull_request" else "!"
        if not ref.endswith(f"{mark}{reference.value}"):
            return False
        repo = ref[: -len(mark + reference.value)].rsplit(":", 1)[-1]
        return not reference.repo or repo.casefold() == reference.repo.casefold()
    if reference.kind == "commit":
        return bool(_HEX.match(ref.lower())) and ref.lower().startswith(reference.value)
    if reference.kind == "ticket":
        key = re.escape(reference.value)
        return bool(re.search(rf"(?:^|[:/\s]){key}$", ref, re.IGNORECASE)
                    or re.search(rf"(?<![\w-]){key}(?![\w-])", item.title, re.IGNORECASE))
    return False


def _scopes(people: set[int]) -> dict[int, tuple[set[str], int | None]]:
    """Each person's services (of their own items and of their team) and team, in three queries."""
    teams = dict(Person.objects.filter(pk__in=sorted(people)).values_list("pk", "team_id"))
    services: dict[int, set[str]] = {pk: set() for pk in people}
    for person_id, service in (EvidenceItem.objects.filter(person_id__in=sorted(people)).exclude(service="")
                               .values_list("person_id", "service").distinct().order_by()):
        services[person_id].add(service)
    owned: dict[int, set[str]] = {}
    for team_id, name in Service.objects.filter(team_id__in=sorted({t for t in teams.values() if t})) \
            .values_list("team_id", "name"):
        owned.setdefault(team_id, set()).add(name)
    return {pk: (services[pk] | owned.get(teams.get(pk) or 0, set()), teams.get(pk)) for pk in people}


def _candidates(scopes: Mapping[int, tuple[set[str], int | None]], references: Iterable[Reference]) -> list[_Item]:
    conditions = [q for reference in dict.fromkeys(references) for q in _conditions(reference)]
    people = sorted(scopes)
    services = sorted({service for found, _team in scopes.values() for service in found})
    teams = sorted({team for _found, team in scopes.values() if team})
    scope = Q(person_id__in=people) | Q(service__in=services) | Q(team_id__in=teams)
    items: dict[int, _Item] = {}
    for first in range(0, len(conditions), CONDITIONS_PER_QUERY):
        wanted = Q()
        for condition in conditions[first:first + CONDITIONS_PER_QUERY]:
            wanted |= condition
        for row in EvidenceItem.objects.filter(scope, wanted).values_list(
                "pk", "person_id", "team_id", "service", "url", "source_ref", "title").order_by("pk"):
            items[row[0]] = _Item(*row)
    return list(items.values())


def resolve_named_evidence(texts: Mapping[K, tuple[int, str]]) -> dict[K, NamedEvidence]:
    """For each ``key: (person id, text)``, the evidence items the text names that exist, and what it names
    that was not found. Keys whose text names nothing get an empty answer without a query."""
    parsed = {key: (person_id, find_references(text)) for key, (person_id, text) in texts.items()}
    answers: dict[K, NamedEvidence] = {key: NamedEvidence() for key in texts}
    people = {person_id for person_id, references in parsed.values() if references}
    if not people:
        return answers
    scopes = _scopes(people)
    items = _candidates(scopes, [r for _person, references in parsed.values() for r in references])
    for key, (person_id, references) in parsed.items():
        if not references:
            continue
        services, team = scopes[person_id]
        in_scope = [item for item in items if item.person_id == person_id or item.service in services
                    or (team is not None and item.team_id == team)]
        found: set[int] = set()
        missing: list[str] = []
        for reference in references:
            matched = [item for item in in_scope if _matches(reference, item)]
            own = [item for item in matched if item.person_id == person_id]
            chosen = own or matched
            if chosen:
                found.update(item.pk for item in chosen)
            else:
                missing.append(reference.kind)
        answers[key] = NamedEvidence(found=tuple(sorted(found)), missing=tuple(missing))
    return answers
