"""The engineer's home page (H1): recent outcomes to cite, the team's delivery, AI signals with accept/dismiss."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

pytestmark = pytest.mark.django_db


def make_signal(person, *, key, statement, status, kind="theme"):
    from brightline.insights.models import Signal

    today = timezone.localdate()
    return Signal.objects.create(kind=kind, key=key, statement=statement, status=status, person=person,
                                 window_start=today - timedelta(days=90), window_end=today, rule="r",
                                 cannot_infer="c", confidence_label="emerging", confidence_agreement="high",
                                 model_name="m", model_version="1", content_hash=key)


def test_home_shows_recent_outcomes_and_the_team_delivery(personas, client_for):
    from brightline.evidence.models import EvidenceItem

    for index in range(7):
        EvidenceItem.objects.create(kind=EvidenceItem.Kind.DESIGN_REVIEW, title=f"Outcome {index}",
                                    person=personas.erin, occurred_at=timezone.now() - timedelta(days=index),
                                    source="manual", source_ref=f"o{index}")
    EvidenceItem.objects.create(kind=EvidenceItem.Kind.DESIGN_REVIEW, title="Pat's outcome", person=personas.pat,
                                occurred_at=timezone.now(), source="manual", source_ref="p")
    html = client_for(personas.erin).get("/").content.decode()
    assert "Your recent work on record" in html and "Outcome 0" in html and "Outcome 4" in html
    assert "Outcome 5" not in html and "Pat's outcome" not in html  # the five newest, and only one's own
    newest = EvidenceItem.objects.get(title="Outcome 0")
    assert 'Outcome 0\n        <span class="muted">· Design review notes · ' in html
    assert f'cite as <span class="tag">[E:{newest.pk}]</span>' in html  # the code to cite it by
    assert 'href="/evidence/teams/payments/"' in html


def test_signals_wait_on_the_home_page_and_are_decided_in_place(personas, client_for):
    from brightline.insights.models import Signal

    waiting = make_signal(personas.erin, key="w", statement="Reliability comes up in feedback.",
                          status=Signal.Status.PENDING)
    make_signal(personas.erin, key="d", statement="A dismissed idea.", status=Signal.Status.DISMISSED)
    make_signal(personas.pat, key="p", statement="About Pat.", status=Signal.Status.PENDING)
    client = client_for(personas.erin)
    html = client.get("/").content.decode()
    assert "Reliability comes up in feedback." in html and "confidence: emerging" in html
    assert "A dismissed idea." not in html and "About Pat." not in html
    assert f'action="/insights/signals/{waiting.pk}/review/"' in html and 'name="next" value="/"' in html
    response = client.post(f"/insights/signals/{waiting.pk}/review/",
                           {"decision": "accept", "reason": "It matches my incidents.", "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    waiting.refresh_from_db()
    assert waiting.status == Signal.Status.ACCEPTED


def test_a_person_without_outcomes_is_told_how_to_add_one(personas, client_for):
    html = client_for(personas.erin).get("/").content.decode()
    assert "No work on record yet" in html and "AI signals about you" not in html


def test_the_team_delivery_card_gives_the_teams_figures_and_never_its_load(personas, client_for):
    """H1: the team's delivery trends in figures (the stored team rollup), not only a link; the on-call load
    outside working hours is the team's health and stays on its own page."""
    import re
    from html import unescape

    from brightline.evidence.models import Deployment, Page, Service
    from brightline.rollups.services import refresh

    service = Service.objects.create(name="payments-api", team=personas.erin.team)
    now = timezone.now()
    for day in range(0, 84, 4):
        Deployment.objects.create(service=service, environment="production", version=f"v{day}", sha=f"{day:04x}",
                                  status=Deployment.Status.SUCCESS, deployed_at=now - timedelta(days=day, hours=1),
                                  source="test", external_id=f"d{day}")
    Page.objects.create(service=service, person=personas.pat, paged_at=now - timedelta(days=2), source="test",
                        external_id="p1")
    before = unescape(client_for(personas.erin).get("/").content.decode())
    assert "Over the last 13 weeks" not in before  # the page computes nothing: the refresh job stores the figures
    refresh(everything=True)
    html = unescape(client_for(personas.erin).get("/").content.decode())
    card = html[html.index('id="delivery-h"'):]
    card = card[:card.index("</section>")]
    assert re.search(r"Over the last 13 weeks: \d+\.\d deployments a week", card), card
    assert "on-call" not in card and "Erin" not in card


def test_the_home_reads_only_the_parts_that_hold_something_and_each_viewer_gets_their_own(personas, client_for):
    # The inbox's one query asks whether the viewer has outcomes, signals and goals; it is compiled once per
    # process for a stand-in and run with each viewer's id, so a second viewer must see their own rows, not none.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from brightline.evidence.models import EvidenceItem
    from brightline.goals.models import Goal
    from brightline.insights.models import Signal

    def tables(person):
        with CaptureQueriesContext(connection) as queries:
            html = client_for(person).get("/").content.decode()
        read = [query["sql"] for query in queries.captured_queries if not query["sql"].startswith("SELECT EXISTS")
                and "EXISTS(" not in query["sql"]]
        return html, {name for name in ("goals_goal", "evidence_evidenceitem", "insights_signal")
                      if any(f'FROM "{name}"' in sql for sql in read)}

    Goal.objects.filter(owner__in=[personas.erin, personas.pat]).delete()
    EvidenceItem.objects.filter(person__in=[personas.erin, personas.pat]).delete()
    Signal.objects.filter(person__in=[personas.erin, personas.pat]).delete()
    html, read = tables(personas.pat)
    assert read == set() and "No goal in progress" in html and "No work on record yet" in html
    EvidenceItem.objects.create(kind=EvidenceItem.Kind.DESIGN_REVIEW, title="Outcome of Erin", person=personas.erin,
                                occurred_at=timezone.now(), source="manual", source_ref="e")
    Goal.objects.create(owner=personas.erin, title="Goal of Erin", status=Goal.Status.IN_PROGRESS,
                        due_on=timezone.localdate() + timedelta(days=30))
    make_signal(personas.erin, key="e", statement="Signal about Erin.", status=Signal.Status.PENDING)
    html, read = tables(personas.erin)
    assert read == {"goals_goal", "evidence_evidenceitem", "insights_signal"}
    assert "Outcome of Erin" in html and "Goal of Erin" in html and "Signal about Erin." in html
    html, read = tables(personas.pat)  # the same compiled query, Pat's id: still nothing of Erin's
    assert read == set() and "of Erin" not in html and "about Erin" not in html


def test_a_leaders_home_leaves_out_the_dimensions_missing_evidence_checks_and_keeps_the_rest(personas, client_for):
    """A leader's home (H3) does not hold a director to an engineer's evidence: the checks that a dimension such as
    delivery results has no merged change, release or incident in the window are left out, about herself or about
    a manager reporting to her, in the cards and in what waits for her; they stay on the AI signals pages. A claim
    of her draft packet without a citation, and a theme in her feedback, are still hers to decide. An engineer's home
    keeps the same checks."""
    from brightline.insights.models import Signal
    from brightline.insights.services import PACKET_CHECK_PREFIX

    pending = Signal.Status.PENDING
    dimension = "No evidence for delivery results between two days: a merged change would count."
    for person in (personas.lee, personas.mo, personas.erin):
        signal = make_signal(person, key=f"missing_evidence:delivery:{person.pk}", statement=dimension,
                             status=pending, kind="missing_evidence")
        Signal.objects.filter(pk=signal.pk).update(owner=person if person != personas.mo else personas.lee)
    packet = make_signal(personas.lee, key=f"{PACKET_CHECK_PREFIX}1:summary:0", status=pending,
                         kind="missing_evidence", statement="Your packet's summary cites no evidence.")
    theme = make_signal(personas.lee, key="theme:communication", status=pending,
                        statement="Clear written updates come up in feedback.")
    Signal.objects.filter(pk__in=[packet.pk, theme.pk]).update(owner=personas.lee)

    html = client_for(personas.lee).get("/").content.decode()
    assert dimension not in html
    assert "Your packet&#x27;s summary cites no evidence." in html or "Your packet's summary cites no evidence." in html
    assert "Clear written updates come up in feedback." in html
    assert "2 AI signals about you wait" in html  # the packet check and the theme, not the dimension's check
    assert "about Mo Manager" not in html  # her report's only waiting signal was a dimension's check
    # Still on her AI signals page, and an engineer's home keeps the same check.
    assert dimension in client_for(personas.lee).get("/insights/me/").content.decode()
    assert dimension in client_for(personas.erin).get("/").content.decode()
