"""A change someone proposed and the viewer must approve (a new manager, a support plan) is listed under "Needs you
now" as waiting for their approval, with how long it has waited, never among what can wait "when you have time"."""

from __future__ import annotations

import datetime as dt
from html import unescape

from django.utils import timezone

from brightline.dashboards.home import group_inbox, waited
from brightline.dashboards.inbox import InboxItem
from brightline.people.models import AccessRole, Person, RoleChange
from brightline.people.rolechanges import propose_change


def _home(client_for, person) -> str:
    return unescape(client_for(person).get("/").content.decode())


def test_a_manager_change_waiting_for_approval_says_how_long_it_has_waited(personas, client_for):
    olga = Person.objects.get(user__username="olga")
    olga.access_role = AccessRole.ADMIN
    olga.save(update_fields=["access_role"])
    change = propose_change(personas.erin, RoleChange.Field.MANAGER, str(personas.lee.pk), proposed_by=olga)
    RoleChange.objects.filter(pk=change.pk).update(proposed_at=timezone.now() - dt.timedelta(days=3))
    page = _home(client_for, personas.pia)
    summary = page[page.index('id="summary"'):page.index("</div>", page.index('id="summary"'))]
    assert ("Waiting for your approval for 3 days: approve or reject the change of manager of Erin Employee "
            "(to Lee Leader).") in summary
    card = page[page.index('id="inbox"'):page.index("</section>", page.index('id="inbox"'))]
    assert "Waiting for your approval" in card and "waiting for 3 days" in card
    approvals = card[card.index("Waiting for your approval"):]
    assert "Approve or reject the change of manager of Erin Employee (to Lee Leader)" in approvals
    # Not filed under what has no deadline, and not called "nothing with a deadline".
    assert "When you have time" not in card.split("Approve or reject the change")[0]
    assert "Nothing with a deadline waits for you." not in summary
    # The one who proposed it waits for someone else: it is not in her own list.
    assert "Approve or reject the change" not in _home(client_for, olga)


def test_approvals_come_after_deadlines_and_before_what_has_no_deadline():
    today = dt.date(2026, 12, 8)
    since = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)
    items = [InboxItem("signals", "2 AI signals about you wait", "/s", since, None, False, count=2),
             InboxItem("role_changes", "Approve or reject the change of manager of Sam", "/c", since, None, False),
             InboxItem("assessment", "Assess Erin", "/r", since, dt.date(2026, 12, 20), False)]
    inbox = group_inbox(items, today=today)
    assert [entry.kind for entry in inbox.dated] == ["assessment"]
    assert [(entry.kind, entry.waited) for entry in inbox.approvals] == [("role_changes", "for 7 days")]
    assert [entry.kind for entry in inbox.undated] == ["signals"]
    assert waited(dt.datetime(2026, 12, 8, 1, tzinfo=dt.UTC), today) == "since today"
    assert waited(dt.datetime(2026, 12, 7, 1, tzinfo=dt.UTC), today) == "for 1 day"
