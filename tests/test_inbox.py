""""Needs you now": every action waiting for a person, oldest first, with due dates, overdue marking and links,
on the home page and at ``GET /api/me/inbox``; built with a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from html import unescape

from django.db import connection
from django.test.utils import CaptureQueriesContext

from brightline.dashboards.inbox import inbox_for
from brightline.feedback import services as feedback_services
from brightline.reviews import services as review_services
from brightline.reviews.models import Phase
from tests.reviews_helpers import IN_WINDOW, advance_to, cycle_in_calibration, olga, open_payments_cycle, review_of
from tests.test_insights_review import make_signal
from tests.test_reviews_appeals import released  # noqa: F401  (a fixture)

EMPTY = "Nothing needs you right now"


def ask(subject, respondents):
    return feedback_services.request_feedback(actor=subject, subject=subject, context="the ledger migration",
                                              respondents=[(person, "peer") for person in respondents])


def titles(person, **kwargs):
    return [item.title for item in inbox_for(person, **kwargs)]


def test_nothing_waiting_says_so_on_the_home_page(personas, client_for):
    page = unescape(client_for(personas.erin).get("/").content.decode())
    assert "Needs you now" in page and EMPTY in page


def test_a_feedback_request_waits_for_its_respondent_until_answered(personas, client_for):
    request = ask(personas.erin, [personas.pat])
    [item] = inbox_for(personas.pat)
    invitation = request.invitations.get(respondent=personas.pat)
    assert (item.kind, item.title, item.url) == ("feedback_request", "Give feedback about Erin Employee",
                                                 f"/growth/invitations/{invitation.pk}/")
    assert item.due_on is None and not item.overdue
    browser = client_for(personas.pat)
    page = unescape(browser.get("/").content.decode())
    assert "Give feedback about Erin Employee" in page and EMPTY not in page
    assert browser.get(item.url).status_code == 200
    feedback_services.submit_feedback_response(actor=personas.pat, invitation=invitation,
                                               data=feedback_services.ResponseInput(
                                                   "Shipped the ledger migration.", "Three teams moved.",
                                                   "Write the rollback plan earlier."),
                                               send_despite_tone=True)
    assert inbox_for(personas.pat) == []
    assert inbox_for(personas.erin) == []  # the requester has nothing to do


def test_the_manager_assessment_is_due_with_the_phase_and_overdue_after_it(personas):
    from tests.reviews_helpers import train

    train(personas.mo)
    cycle = advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)
    items = [item for item in inbox_for(personas.mo, today=dt.date(2026, 10, 21)) if item.kind == "assessment"]
    assert sorted(item.title for item in items) == ["Assess Erin Employee (2026 H2)", "Assess Pat Peer (2026 H2)"]
    assert {item.due_on for item in items} == {dt.date(2026, 10, 21)} and not any(item.overdue for item in items)
    assert all(item.overdue for item in inbox_for(personas.mo, today=dt.date(2026, 10, 22))
               if item.kind == "assessment")
    assert items[0].url == f"/reviews/r/{review_of(cycle, personas.erin).pk}/"
    assert not [item for item in inbox_for(personas.erin) if item.kind == "assessment"]


def test_panelists_see_the_pre_votes_they_owe_but_not_where_they_are_conflicted(personas):
    cycle = cycle_in_calibration(personas)
    oscar = titles(personas.oscar)
    assert sorted(oscar) == ["Record your pre-vote on Erin Employee (2026 H2)",
                             "Record your pre-vote on Mo Manager (2026 H2)",
                             "Record your pre-vote on Pat Peer (2026 H2)"]
    assert not [t for t in titles(personas.lee) if "pre-vote" in t]  # Lee manages everyone in the cycle
    from tests.reviews_helpers import pre_vote_all

    pre_vote_all(review_of(cycle, personas.erin), [personas.oscar])
    assert "Record your pre-vote on Erin Employee (2026 H2)" not in titles(personas.oscar)


def test_an_appeal_waits_for_a_reviewer_then_for_their_decision(personas, released):  # noqa: F811
    review = review_of(released, personas.erin)
    appeal = review_services.file_appeal(review, actor=personas.erin, today=IN_WINDOW, context="The migration.")
    [assign] = [item for item in inbox_for(personas.pia) if item.kind == "appeal_reviewer"]
    assert assign.title == "Assign a reviewer to the appeal of Erin Employee"
    assert assign.url == f"/reviews/appeals/{appeal.pk}/"
    review_services.assign_appeal_reviewer(appeal, actor=personas.pia, reviewer=olga())
    assert not [item for item in inbox_for(personas.pia) if item.kind == "appeal_reviewer"]
    [decide] = [item for item in inbox_for(olga(), today=appeal.due_on + dt.timedelta(days=1))
                if item.kind == "appeal"]
    assert decide.title == "Decide the appeal of Erin Employee" and decide.due_on == appeal.due_on and decide.overdue


def test_a_support_plan_check_in_is_due_for_the_manager(personas):
    from tests.test_support_plans import START, active_plan

    plan = active_plan(personas)
    [item] = [item for item in inbox_for(personas.mo, today=START + dt.timedelta(days=15)) if item.kind == "check_in"]
    assert item.due_on == START + dt.timedelta(days=14) and item.overdue  # fortnightly
    assert item.url == f"/support/{plan.pk}/"
    assert not [item for item in inbox_for(personas.mo, today=START) if item.kind == "check_in"]
    assert not [item for item in inbox_for(personas.erin, today=START + dt.timedelta(days=15))
                if item.kind == "check_in"]


def test_pending_signals_wait_for_their_owner_grouped_by_subject(personas, client_for):
    from brightline.insights.models import Signal

    for key in ("theme:a", "theme:b"):
        Signal.objects.filter(pk=make_signal(personas.erin, key=key).pk).update(owner=personas.mo)
    Signal.objects.filter(pk=make_signal(personas.pat, key="theme:c").pk).update(owner=personas.pat)
    [item] = inbox_for(personas.mo)
    assert item.title == "2 AI signals about Erin Employee wait for you to accept or dismiss"
    assert item.url == f"/insights/person/{personas.erin.pk}/"
    assert client_for(personas.mo).get(item.url).status_code == 200
    assert titles(personas.pat) == ["1 AI signal about you waits for you to accept or dismiss"]
    assert titles(personas.erin) == []  # about her, but not hers to follow up


def test_items_come_oldest_first_and_the_api_gives_the_same_list(personas, client_for):
    from brightline.feedback.models import FeedbackRequest

    first, second = ask(personas.erin, [personas.pat]), ask(personas.mo, [personas.pat])
    FeedbackRequest.objects.filter(pk=second.pk).update(created_at=first.created_at - dt.timedelta(days=3))
    assert titles(personas.pat) == ["Give feedback about Mo Manager", "Give feedback about Erin Employee"]
    response = client_for(personas.pat).get("/api/me/inbox")
    assert response.status_code == 200
    assert [(row["title"], row["url"], row["overdue"]) for row in response.json()] == [
        (item.title, item.url, item.overdue) for item in inbox_for(personas.pat)]
    schema = client_for(personas.pat).get("/api/openapi.json").json()
    assert "/api/me/inbox" in schema["paths"]


def test_the_list_costs_the_same_queries_for_one_item_or_many(personas):
    from brightline.insights.models import Signal

    ask(personas.erin, [personas.pat])
    Signal.objects.filter(pk=make_signal(personas.erin, key="theme:x").pk).update(owner=personas.pat)
    with CaptureQueriesContext(connection) as one:
        assert len(inbox_for(personas.pat)) == 2
    for subject in (personas.mo, personas.lee, personas.pia):
        ask(subject, [personas.pat])
    for n, subject in enumerate((personas.mo, personas.pia)):
        Signal.objects.filter(pk=make_signal(subject, key=f"theme:{n}").pk).update(owner=personas.pat)
    with CaptureQueriesContext(connection) as many:
        assert len(inbox_for(personas.pat)) == 7
    assert len(many) == len(one)


def test_the_self_review_waits_for_the_person_in_its_phase(personas):
    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    [item] = inbox_for(personas.erin, today=dt.date(2026, 10, 1))
    assert (item.title, item.due_on, item.overdue) == ("Write your self review for 2026 H2", dt.date(2026, 10, 7),
                                                       False)
    assert item.url == f"/reviews/r/{review_of(cycle, personas.erin).pk}/"
