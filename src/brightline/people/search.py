"""Finding people by what someone types: one rule for every page that searches names.

The colleague chooser, the people directory, the manager suggestions of "Add a person" and "Change manager or
team", and the audit trail's "about" filter all call :func:`matching_people`, so the same words find the same
people everywhere: every word typed must appear (ignoring case) in the person's name or work e-mail, or, where
the page asks for it, in their team's name. The order of the words does not matter ("Haddad Mo" finds Mo
Haddad), and a part of a word is enough ("had" finds him too).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from brightline.people.models import Person

# Words read from what is typed; more narrow nothing a person would notice, and each costs the database a test.
MAX_WORDS = 5
# Characters read from what is typed (a pasted paragraph is not a name).
MAX_TEXT = 200


def search_words(text: str) -> list[str]:
    """The words of ``text`` that a search uses: at most ``MAX_WORDS``, from its first ``MAX_TEXT`` characters."""
    return text[:MAX_TEXT].split()[:MAX_WORDS]


def matching_people(people: QuerySet[Person], text: str, *, team: bool = False) -> QuerySet[Person]:
    """``people`` narrowed to those whose name or e-mail (and team name, with ``team``) holds every word of
    ``text``; ``people`` unchanged when nothing was typed. One condition per word, added to the caller's query:
    no query of its own."""
    for word in search_words(text):
        condition = Q(name__icontains=word) | Q(email__icontains=word)
        if team:
            condition |= Q(team__name__icontains=word)
        people = people.filter(condition)
    return people
