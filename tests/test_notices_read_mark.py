"""A person's notices and their read mark (issue 19): unread first, opened means read, "Mark all as read", and the
unread count in the header of every page, counted by one query on the partial index of unread notices."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from brightline.notifications.models import Notice


def notice(person, key, title, *, unread=True, minutes_ago=0, status=Notice.Status.SENT, path="/reviews/"):
    row = Notice.objects.create(person=person, key=key, kind="feedback_request", title=title, path=path,
                                status=status, unread=unread)
    Notice.objects.filter(pk=row.pk).update(created_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return row


def header_count(page: str) -> str | None:
    start = page.index('class="notices-link"')
    link = page[start:page.index("</a>", start)]
    return link.split('class="count">')[1].split("<")[0] if 'class="count"' in link else None


def test_unread_notices_come_first_and_opening_one_marks_it_read(personas, client_for):
    old = notice(personas.erin, "a", "Give feedback about Pat Peer", minutes_ago=90, unread=False)
    newer = notice(personas.erin, "b", "Give feedback about Mo Manager", minutes_ago=30)
    oldest_unread = notice(personas.erin, "c", "Give feedback about Lee Leader", minutes_ago=300,
                           path="/growth/inbox/")
    notice(personas.erin, "d", "Something already done", status=Notice.Status.DROPPED, unread=False)
    notice(personas.pat, "e", "Not Erin's")
    erin = client_for(personas.erin)
    page = unescape(erin.get("/me/notices/").content.decode())
    order = [page.index(title) for title in (newer.title, oldest_unread.title, old.title)]
    assert order == sorted(order)  # unread (newest first), then read
    assert "Something already done" not in page and "Not Erin's" not in page
    assert page.count('<span class="tag">New</span>') == 2 and "Mark all as read" in page
    assert header_count(page) == "2"

    opened = erin.get(f"/me/notices/{oldest_unread.pk}/")
    assert opened.status_code == 302 and opened["Location"] == "/growth/inbox/"
    oldest_unread.refresh_from_db()
    assert not oldest_unread.unread
    assert header_count(unescape(erin.get("/me/notifications/").content.decode())) == "1"
    # Someone else's notice is not there for her: not found, and left unread.
    pats = Notice.objects.get(person=personas.pat)
    assert erin.get(f"/me/notices/{pats.pk}/").status_code == 404
    pats.refresh_from_db()
    assert pats.unread


def test_mark_all_as_read_needs_the_form_token_and_marks_only_the_persons_own(personas, client_for):
    notice(personas.erin, "a", "One")
    notice(personas.erin, "b", "Two")
    notice(personas.pat, "c", "Pat's")
    guarded = client_for(personas.erin, enforce_csrf_checks=True)
    assert guarded.post("/me/notices/read/").status_code == 403
    assert Notice.objects.filter(person=personas.erin, unread=True).count() == 2
    erin = client_for(personas.erin)
    response = erin.post("/me/notices/read/", follow=True)
    page = unescape(response.content.decode())
    assert "Marked 2 notices as read." in page and "Mark all as read" not in page and header_count(page) is None
    assert not Notice.objects.filter(person=personas.erin, unread=True).exists()
    assert Notice.objects.get(person=personas.pat).unread
    assert erin.get("/me/notices/read/").status_code == 405


def test_the_unread_count_is_one_query_on_every_page(personas, client_for):
    for index in range(3):
        notice(personas.mo, f"k{index}", f"Notice {index}")
    mo = client_for(personas.mo)
    with CaptureQueriesContext(connection) as queries:
        page = unescape(mo.get("/me/notifications/").content.decode())
    counting = [query["sql"] for query in queries.captured_queries if "notifications_notice" in query["sql"]]
    assert len(counting) == 1 and "COUNT(" in counting[0].upper() and header_count(page) == "3"
    # A person without notices reads no count at all.
    assert header_count(unescape(client_for(personas.pat).get("/").content.decode())) is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan is PostgreSQL's")
def test_the_count_reads_the_partial_index_of_unread_notices(personas):
    for index in range(20):
        notice(personas.mo, f"k{index}", f"Notice {index}", unread=index < 2)
    query = Notice.objects.filter(person=personas.mo, unread=True)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "notice_unread_person" in plan


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_earlier_notices_read_and_goes_back(personas):
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    old = executor.migrate([("notifications", "0004_digest_day_of_the_last_fixed_run")]).apps
    old.get_model("notifications", "Notice").objects.create(person_id=personas.erin.pk, key="before", kind="x",
                                                            title="Made before the read mark", path="/")
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert not Notice.objects.get(key="before").unread
    assert notice(personas.erin, "after", "Made after it").unread
    # And back: the column and its index go, the rows stay.
    executor = MigrationExecutor(connection)
    back = executor.migrate([("notifications", "0004_digest_day_of_the_last_fixed_run")]).apps
    assert back.get_model("notifications", "Notice").objects.count() == 2
    with connection.cursor() as cursor:
        columns = [column.name for column in connection.introspection.get_table_description(
            cursor, "notifications_notice")]
    assert "unread" not in columns
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
