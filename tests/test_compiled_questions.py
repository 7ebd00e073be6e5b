"""The questions every page's menus and header ask, compiled once per process (``people.compiled``) and links
worked out once (``links.reverse``), give the answers the query sets and ``django.urls.reverse`` give, for
every person, after the data changes too."""

from __future__ import annotations

from django.urls import reverse as django_reverse


def _everyone():
    from brightline.people.models import Person, Team

    return list(Person.objects.select_related("team")), list(Team.objects.all())


def test_the_compiled_questions_answer_as_the_query_sets_do(personas):
    from brightline import access
    from brightline.notifications.context import _unread
    from brightline.notifications.models import Notice
    from brightline.people import compiled
    from brightline.people.models import Person

    def check() -> None:
        people, teams = _everyone()
        for person in people:
            fresh = Person.objects.get(pk=person.pk)
            assert fresh.is_manager == fresh.reports.filter(is_active=True).exists(), person.name
            assert compiled.first_value("notifications.unread", _unread, person.pk, default=0) == \
                Notice.objects.filter(person=person, unread=True).count()
            for team in teams:
                members = Person.objects.filter(team=team, is_active=True).exclude(pk=person.pk)
                expected = person.is_active and bool(person.chain_path) and any(
                    member.chain_path.startswith(person.chain_path) for member in members)
                assert access.manages_a_member(person, team) == expected, (person.name, team.name)

    check()
    assert Person.objects.get(pk=personas.mo.pk).is_manager and not Person.objects.get(pk=personas.erin.pk).is_manager
    assert access.manages_a_member(personas.lee, personas.mo.team)
    # The data changes: the answers follow (nothing but the SQL is kept).
    for person in (personas.erin, personas.pat):
        Person.objects.filter(pk=person.pk).update(is_active=False)
    for key in ("step-1", "step-2"):
        Notice.objects.create(person=personas.erin, key=key, kind="review_step", title="A step", path="/", unread=True)
    check()
    assert not Person.objects.get(pk=personas.mo.pk).is_manager


def test_a_remembered_link_is_the_one_django_gives():
    from brightline.links import reverse

    for name, kwargs in (("home", None), ("feedback:growth", {"person_id": 7}), ("feedback:growth", {"person_id": 8}),
                         ("evidence:team", {"slug": "payments"}), ("reviews:review", {"review_id": 12})):
        for _ in range(2):
            assert reverse(name, kwargs=kwargs) == django_reverse(name, kwargs=kwargs)
    assert reverse("reviews:cycle", args=[3]) == django_reverse("reviews:cycle", args=[3])
