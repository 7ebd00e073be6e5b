"""Choosing colleagues: whom to ask for feedback about a person, or whom to give feedback to.

The people who work with the person come first (their team, the people who review their changes or whose
changes they review, their manager's other reports, and for oneself one's manager and reports); anyone else
is found by a search that reads at most ``SEARCH_SHOWN`` rows, so the chooser works the same for ten people
or ten thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from brightline.evidence.models import CodeReview
from brightline.people.models import Person
from brightline.people.search import matching_people, search_words

# The most people offered before any search, and the most a search lists (typing more narrows it).
SUGGESTED_MAX = 24
SEARCH_SHOWN = 20
# Code reviews older than this no longer say who someone works with.
REVIEWS_WINDOW = timedelta(days=365)
REVIEWERS_MAX = 8


@dataclass(frozen=True)
class Suggestion:
    person: Person
    reason: str  # why they are offered, in words: "same team", "reviewed 4 of your changes"


def _active() -> QuerySet[Person]:
    return Person.objects.filter(is_active=True).select_related("team")


def _possessive(person: Person, viewer: Person) -> tuple[str, str]:
    """("you", "your") for the viewer themself, else the person's name and its possessive."""
    if person.pk == viewer.pk:
        return "you", "your"
    return person.name, f"{person.name}'s"


def _review_partners(person: Person) -> list[tuple[int, int]]:
    """(person id, reviews) of the people who reviewed ``person``'s changes or whose changes they reviewed in
    the last year, most reviews first; empty when no code-review evidence is recorded."""
    since = timezone.now() - REVIEWS_WINDOW
    counts: dict[int, int] = {}
    recent = CodeReview.objects.filter(submitted_at__gte=since)
    for partner, n in (recent.filter(pull_request__person=person, person__isnull=False).exclude(person=person)
                       .values_list("person").annotate(n=Count("id"))):
        counts[partner] = counts.get(partner, 0) + n
    for partner, n in (recent.filter(person=person, pull_request__person__isnull=False)
                       .exclude(pull_request__person=person).values_list("pull_request__person")
                       .annotate(n=Count("id"))):
        counts[partner] = counts.get(partner, 0) + n
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:REVIEWERS_MAX]


def suggestions(person: Person, *, viewer: Person,
                exclude: set[int] | frozenset[int] = frozenset()) -> list[Suggestion]:
    """The people who work with ``person``, in this order: on one's own chooser one's reports; their team; the
    people they review code with; their manager's other reports; and, on one's own chooser, one's manager. Never
    ``person`` themself, never anyone in ``exclude``, each once (by the first reason), at most ``SUGGESTED_MAX``."""
    who, whose = _possessive(person, viewer)
    seen = {person.pk, *exclude}
    found: list[Suggestion] = []

    def offer(people: list[Person], reason: str | None = None, reasons: dict[int, str] | None = None) -> None:
        for colleague in people:
            if colleague.pk in seen or len(found) >= SUGGESTED_MAX:
                continue
            seen.add(colleague.pk)
            found.append(Suggestion(colleague, reasons[colleague.pk] if reasons else reason or ""))

    if person.pk == viewer.pk:
        offer(list(_active().filter(manager=person).order_by("name")[:SUGGESTED_MAX + 1]), "reports to you")
    if person.team_id is not None:
        offer(list(_active().filter(team_id=person.team_id).order_by("name")[:SUGGESTED_MAX + 1]),
              f"{whose} team" if person.pk == viewer.pk else f"on {whose} team")
    partners = _review_partners(person)
    if partners:
        by_id = _active().in_bulk([pk for pk, _ in partners])
        offer([by_id[pk] for pk, _ in partners if pk in by_id],
              reasons={pk: f"reviews code with {who} ({n} review{'s' if n != 1 else ''} this year)"
                       for pk, n in partners})
    if person.manager_id is not None:
        manager = person.manager
        offer(list(_active().filter(manager_id=person.manager_id).order_by("name")[:SUGGESTED_MAX + 1]),
              f"also reports to {manager.name}" if manager else "same manager")
        if person.pk == viewer.pk and manager is not None and manager.is_active:
            offer([manager], "your manager")
    return found


def search(query: str, *, exclude: set[int] | frozenset[int] = frozenset()) -> tuple[list[Person], int]:
    """Active people whose name, e-mail or team name contains every word of ``query`` (the people app's one
    name search, with teams): the first ``SEARCH_SHOWN`` by name, and how many match in all."""
    if not search_words(query):
        return [], 0
    matching = matching_people(_active().exclude(pk__in=exclude), query, team=True)
    return list(matching.order_by("name", "pk")[:SEARCH_SHOWN]), matching.count()
