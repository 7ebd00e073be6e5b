"""Each persona's home page says first what needs them now and by when, where their own review stands, and puts
what the role is for (the team, the organisation, the cycle) before their own cards; nothing it shows contradicts
itself. What a person new to Brightline needs to say, within a minute, what the page tells them and what to do."""

from __future__ import annotations

import datetime as dt
from html import unescape

from django.utils import timezone

from brightline.reviews import services
from brightline.reviews.models import Phase, Review
from tests.reviews_helpers import advance_to, open_payments_cycle, train
from tests.test_engineer_home import make_signal
from tests.test_reviews_appeals import released  # noqa: F401  (a fixture)

ASSESSMENT_DUE = "21 Oct 2026"  # the end of the manager-assessment phase in the helpers' schedule (past)


def home(client_for, person) -> str:
    return unescape(client_for(person).get("/").content.decode())


def summary_of(page: str) -> str:
    start = page.index('id="summary"')
    return page[start:page.index("</div>", start)]


def in_assessment(personas, **overrides):
    train(personas.mo)
    return advance_to(open_payments_cycle(personas, **overrides), Phase.MANAGER_ASSESSMENT, personas.pia)


def future_schedule() -> tuple[dict[str, str], str]:
    """A schedule whose assessment phase ends ten days from today, and that day as the page writes it."""
    today = timezone.localdate()
    days = {"evidence": -20, "self_review": -10, "manager_assessment": 10, "calibration": 20, "decision_memo": 30,
            "release": 40, "acknowledgement": 50}
    schedule = {phase: (today + dt.timedelta(days=offset)).isoformat() for phase, offset in days.items()}
    due = today + dt.timedelta(days=10)
    return schedule, f"{due.day} {due:%b %Y}"


def owned_signal(person, key, statement):
    from brightline.insights.models import Signal

    signal = make_signal(person, key=key, statement=statement, status=Signal.Status.PENDING)
    Signal.objects.filter(pk=signal.pk).update(owner=person)
    return signal


def test_the_manager_reads_the_deadline_first_and_one_line_for_all_assessments_of_a_cycle(personas, client_for):
    schedule, due = future_schedule()
    cycle = in_assessment(personas, schedule=schedule)
    owned_signal(personas.mo, "m", "Coaching comes up in feedback.")
    page = home(client_for, personas.mo)
    summary = summary_of(page)
    assert f"First, by {due}: assess 2 people for the 2026 H2." in summary
    assert "When you have time: 1 AI signal to accept or dismiss (no deadline)." in summary
    assert page.index('id="summary"') < page.index("Needs you now")
    # One line for the batch, each person still a link to their review; the signals come after, marked undated.
    assert page.count("Assess 2 people for the 2026 H2") == 1 and "Assess Erin Employee (2026 H2)" not in page
    for person in (personas.erin, personas.pat):
        review = cycle.reviews.get(person=person)
        assert f'<a href="/reviews/r/{review.pk}/">{person.name}</a>' in page
    card = page[page.index('id="inbox"'):]
    assert card.index("With a deadline") < card.index("Assess 2 people") < card.index("When you have time") \
        < card.index("1 AI signal about you waits for you to accept or dismiss") < card.index("no deadline")


def test_a_single_assessment_keeps_its_own_title(personas, client_for):
    schedule, due = future_schedule()
    cycle = in_assessment(personas, schedule=schedule)
    Review.objects.filter(cycle=cycle, person=personas.pat).update(assessment_submitted_at=timezone.now())
    page = home(client_for, personas.mo)
    assert "Assess Erin Employee (2026 H2)" in page and "people for the" not in page
    assert f"First, by {due}: assess Erin Employee (2026 H2)." in summary_of(page)


def test_an_overdue_deadline_is_said_to_be_overdue_in_the_summary(personas, client_for):
    in_assessment(personas)  # the helpers' schedule ended long before today
    assert f"First, overdue since {ASSESSMENT_DUE}: assess 2 people" in summary_of(home(client_for, personas.mo))


def test_the_engineer_sees_where_their_review_stands_and_that_nothing_is_needed_from_them(personas, client_for):
    cycle = in_assessment(personas)
    Review.objects.filter(cycle=cycle, person=personas.erin).update(
        self_review_submitted_at=dt.datetime(2026, 10, 5, 10, tzinfo=dt.UTC))
    erin = home(client_for, personas.erin)
    review = cycle.reviews.get(person=personas.erin)
    assert "Your 2026 H2" in erin and "Step: Manager assessment" in erin
    assert "Your self review went in on 5 Oct 2026." in erin
    assert (f"Now Mo Manager assesses you, by {ASSESSMENT_DUE}; nothing is needed from you until your outcome is "
            "released after 7 Nov 2026.") in erin
    assert f'href="/reviews/r/{review.pk}/">Open your review' in erin
    assert f"Your 2026 H2: now Mo Manager assesses you, by {ASSESSMENT_DUE}" in summary_of(erin)
    assert "Nothing needs you right now." not in summary_of(erin)
    pat = home(client_for, personas.pat)
    assert "No self review was submitted before the self-review step closed on 7 Oct 2026." in pat
    # Without a self review, her context can still reach the review as a note: the page says so, not "nothing".
    assert ("you can still add your context as a note to your review until calibration ends; then nothing is "
            "needed from you") in pat
    # Nobody else's review, and nothing of the assessment itself, is on an engineer's home page.
    assert "Erin Employee" not in pat and "Assess" not in pat


def test_a_cycle_without_scheduled_days_reads_without_empty_dates(personas, client_for):
    cycle = in_assessment(personas)
    type(cycle).objects.filter(pk=cycle.pk).update(schedule={})
    erin, pat = home(client_for, personas.erin), home(client_for, personas.pat)
    assert ("Now Mo Manager assesses you; you can still add your context as a note to your review until calibration "
            "ends; then nothing is needed from you until your outcome is released.") in erin
    assert "No self review was submitted before the self-review step closed." in pat
    for page in (erin, pat):
        assert "by ;" not in page and "after ." not in page and "on ." not in page


def test_a_person_in_no_open_cycle_has_no_review_card_and_is_told_nothing_needs_them(personas, client_for):
    page = home(client_for, personas.erin)
    assert 'id="own-review"' not in page
    assert "Nothing needs you right now." in summary_of(page)


def test_signals_alone_are_said_to_have_no_deadline(personas, client_for):
    owned_signal(personas.erin, "a", "Design comes up.")
    owned_signal(personas.erin, "b", "Reliability comes up.")
    summary = summary_of(home(client_for, personas.erin))
    assert "Nothing with a deadline waits for you." in summary
    assert "When you have time: 2 AI signals to accept or dismiss (no deadline)." in summary
    page = home(client_for, personas.erin)
    assert "not judgements, and none has a deadline" in page and "weak, emerging or stable" in page


def test_after_release_the_engineer_is_asked_to_acknowledge(personas, client_for, released):  # noqa: F811
    page = home(client_for, personas.erin)
    assert "Your outcome is released: read it and acknowledge it, by 28 Nov 2026 (you may appeal until then)." \
        in page
    # With a signal waiting as well, the summary does not say nothing with a deadline waits above the outcome
    # that waits to be acknowledged by a day (the task walk read both, one above the other).
    owned_signal(personas.erin, "a", "Design comes up.")
    summary = summary_of(home(client_for, personas.erin))
    assert "Nothing with a deadline" not in summary and "acknowledge it, by 28 Nov 2026" in summary
    services.acknowledge_review(Review.objects.get(person=personas.erin, cycle=released), actor=personas.erin)
    assert "Nothing with a deadline waits for you." in summary_of(home(client_for, personas.erin))


def test_managers_and_leaders_see_their_team_and_organisation_before_their_own_cards(personas, client_for):
    mo = home(client_for, personas.mo)
    assert mo.index('id="team"') < mo.index('id="goals-h"')
    lee = home(client_for, personas.lee)
    assert lee.index('id="team"') < lee.index('id="org"') < lee.index('id="goals-h"')
    assert "Your direct reports are listed by name because you manage them" in lee
    erin = home(client_for, personas.erin)
    assert 'id="team"' not in erin and 'id="org"' not in erin


def test_the_leader_is_not_labelled_aggregates_only_next_to_named_reports(personas, client_for):
    page = home(client_for, personas.lee)
    assert "Leader (aggregates only)" not in page and "<p class=\"muted\">Leader ·" in page


def test_the_calendar_link_reads_as_a_setting_not_a_task(personas, client_for):
    page = home(client_for, personas.erin)
    assert "Settings: <a href=\"/me/notifications/\">get these by e-mail, and your deadlines in a calendar</a>" in page


def test_the_people_partner_reads_the_cycle_status_and_missed_self_reviews_first(personas, client_for):
    cycle = in_assessment(personas)
    people = cycle.reviews.count()
    page = home(client_for, personas.pia)
    summary = summary_of(page)
    assert (f"The 2026 H2 is in manager assessment until {ASSESSMENT_DUE}: 0 of {people} assessments in.") in summary
    # The step closed the day the cycle was moved on, not on its scheduled end.
    closed = timezone.localdate()
    assert (f"{people} of {people} self reviews were not submitted before the self-review step closed on "
            f"{closed.day} {closed:%b %Y}.") in summary
    assert "Audit: every check passes." in summary
    # Past the end of the assessment phase: overdue, said once in the summary and listed in the card.
    assert "1 overdue action below." in summary
    assert f"{people} of {people} self reviews were not submitted" in page[page.index("Review cycles across"):]
    assert "Only teams with someone reviewed in this cycle are listed." in page


def test_a_decided_signal_says_who_decided_when_and_why_instead_of_asking_again(personas, client_for):
    signal = owned_signal(personas.erin, "a", "Code quality comes up.")
    erin = client_for(personas.erin)
    response = erin.post(f"/insights/signals/{signal.pk}/review/",
                         {"decision": "dismiss", "reason": "Those comments were about one rushed hotfix."})
    assert response.status_code in (200, 302)
    page = unescape(erin.get("/insights/me/").content.decode())
    card = page[page.index(f'id="signal-{signal.pk}"'):]
    card = card[:card.index("</article>")]
    assert "You follow this up" not in card
    assert "Dismissed by you on" in card and "“Those comments were about one rushed hotfix.”" in card


def test_the_home_counts_the_people_who_opened_the_record_as_the_log_lists_them(personas, client_for):
    assert "Nobody else has opened your record yet." in home(client_for, personas.erin)
    mo = client_for(personas.mo)
    for _ in range(2):  # each visit reads several parts of the record: many rows, one reader
        assert mo.get(f"/people/{personas.erin.pk}/").status_code == 200
    client_for(personas.pia).get(f"/people/{personas.erin.pk}/")
    page = home(client_for, personas.erin)
    assert "2 other people have opened your record so far." in page
    assert " times so far" not in page
