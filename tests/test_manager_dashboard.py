"""The manager's team at a glance: load per direct report as a printed-number heatmap, coaching prompts,
review-cycle progress, and a report's record linking to everything the manager may open."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from brightline.dashboards.team import shade, team_at_a_glance

pytestmark = pytest.mark.django_db


def at_berlin_hour(hour: int, days_ago: int) -> datetime:
    """A weekday ``days_ago`` (or a little earlier) at ``hour`` o'clock in Berlin (UTC+1 in winter, +2 in summer)."""
    day = timezone.now().astimezone(UTC).date() - timedelta(days=days_ago)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    from zoneinfo import ZoneInfo

    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def pages(personas):
    """Erin answers four pages at 23:00 her time; Pat one at 11:00."""
    from brightline.evidence.models import Page, Service

    service = Service.objects.create(name="payments-api", team=personas.erin.team)
    for index in range(4):
        Page.objects.create(service=service, person=personas.erin, paged_at=at_berlin_hour(23, 10 + index),
                            source="test", external_id=f"erin-{index}")
    Page.objects.create(service=service, person=personas.pat, paged_at=at_berlin_hour(11, 12), source="test",
                        external_id="pat-0")
    return service


def test_shades_step_up_at_each_threshold():
    steps = (0.1, 0.2, 0.35)
    assert [shade(value, steps) for value in (None, 0.0, 0.1, 0.19, 0.2, 0.5)] == [0, 0, 1, 1, 2, 3]


def test_each_report_gets_a_row_with_load_and_no_activity_count(personas, pages):
    glance = team_at_a_glance(personas.mo)
    rows = {row.person.name: row for row in glance.rows}
    erin, pat = rows["Erin Employee"], rows["Pat Peer"]
    assert erin.pages.text == "4" and erin.pages_outside.text == "4" and erin.outside_hours.text == "100 %"
    # Payments has three active people (Mo, Erin, Pat): an even share is a third; Erin carries 80 %.
    assert erin.page_share.text == "80 %" and erin.page_share.note == "even share 33 % (1 in 3)"
    assert erin.page_share.shade == 2
    assert pat.outside_hours.text == "0 %" and pat.outside_hours.shade == 0
    assert [row.person.name for row in glance.rows] == ["Erin Employee", "Pat Peer"]  # by name, never by a figure


def test_an_even_share_the_same_for_everyone_is_said_once_in_the_column_head(personas, pages, client_for):
    """One team: "even share 33 % (1 in 3)" heads the share column instead of repeating under every figure (a
    phone's row is a line shorter); with reports in teams of other sizes each figure keeps its own."""
    assert team_at_a_glance(personas.mo).even_share == "even share 33 % (1 in 3)"
    html = client_for(personas.mo).get("/team/").content.decode()
    table = html[html.index('class="heatmap"'):html.index("</table>", html.index('class="heatmap"'))]
    head, body = table.split("<tbody>")
    assert "even share 33 % (1 in 3)" in head and "even share" not in body and "80 %" in body
    # The same way, their one team's health and the support plans are linked once above the people, not in every
    # person's line.
    records = html[html.index('id="records-h"'):]
    assert records.count("Team health of Payments") == 1 and "For everyone here: <a" in records
    assert records.count(">Support plans</a>") == 1
    glance = team_at_a_glance(personas.mo)
    assert [label for label, _url, _holds in glance.shared_links] == ["Team health of Payments", "Support plans"]
    glance.rows[1].page_share = glance.rows[1].page_share.__class__("50 %", 1, "even share 25 % (1 in 4)")
    assert glance.even_share == ""


def test_prompts_name_load_above_the_team_and_work_that_is_hard_to_see(personas, pages):
    from brightline.evidence.models import EvidenceItem

    glance = team_at_a_glance(personas.mo)
    erin = next(row for row in glance.rows if row.person == personas.erin)
    pat = next(row for row in glance.rows if row.person == personas.pat)
    texts = " ".join(prompt.text for prompt in erin.prompts)
    assert "100 % of Erin's recorded work (4 items) falls outside their own working hours (the team: 80 %)" in texts
    assert "Erin answered 4 pages" in texts and "easy to miss" in texts
    assert [prompt.text for prompt in pat.prompts if "outside" in prompt.text] == []
    assert not any("easy to miss" in prompt.text for prompt in pat.prompts)  # one page is not yet a pattern
    assert [team.name for team, _prompt in glance.team_prompts] == ["Payments"]
    EvidenceItem.objects.create(kind=EvidenceItem.Kind.INCIDENT_DEBRIEF, title="Debrief", person=personas.erin,
                                occurred_at=timezone.now() - timedelta(days=3), source="manual", source_ref="d1")
    erin = next(row for row in team_at_a_glance(personas.mo).rows if row.person == personas.erin)
    assert not any("easy to miss" in prompt.text for prompt in erin.prompts)


def test_a_share_of_a_handful_of_items_is_not_a_prompt(personas, pages):
    """Two pages at night are "100 %" of a team's recorded work: too few items to ask anyone about."""
    from brightline.evidence.models import Page

    Page.objects.filter(person=personas.pat).delete()
    Page.objects.filter(person=personas.erin, external_id__in=["erin-2", "erin-3"]).delete()
    glance = team_at_a_glance(personas.mo)
    erin = next(row for row in glance.rows if row.person == personas.erin)
    assert erin.outside_hours.text == "100 %"  # the figure is still shown in the table
    assert glance.team_prompts == [] and not any("outside" in prompt.text for prompt in erin.prompts)


def test_an_accepted_signal_becomes_a_coaching_prompt(personas, pages):
    from brightline.insights.models import Signal, SignalKind

    today = timezone.localdate()
    common = {"person": personas.pat, "window_start": today - timedelta(days=90), "window_end": today,
              "rule": "r", "cannot_infer": "c", "confidence_label": "stable", "confidence_agreement": "high",
              "model_name": "m", "model_version": "1", "content_hash": "h"}
    Signal.objects.create(kind=SignalKind.THEME, key="a", statement="Peers value Pat's careful reviews.",
                          status=Signal.Status.ACCEPTED, **common)
    Signal.objects.create(kind=SignalKind.THEME, key="b", statement="Dismissed idea.",
                          status=Signal.Status.DISMISSED, **common)
    pat = next(row for row in team_at_a_glance(personas.mo).rows if row.person == personas.pat)
    texts = [prompt.text for prompt in pat.prompts]
    assert any("Peers value Pat's careful reviews." in text for text in texts)
    assert not any("Dismissed idea." in text for text in texts)


def test_the_page_prints_every_number_logs_the_reads_and_links_only_to_open_pages(personas, pages, client_for):
    from brightline.audit.models import AccessLog
    from brightline.audit.services import record_access, verify_access_log

    record_access(personas.pia, personas.erin, "people.profile", via="web")  # a read before: the chain continues
    client = client_for(personas.mo)
    response = client.get("/team/")
    html = response.content.decode()
    assert response.status_code == 200
    cells = re.findall(r'<td class="num heat-(\d)">([^<]*)<', html)
    assert cells and all(text.strip() for _shade, text in cells), "every shaded cell prints its number"
    for word in ("commits per", "lines", "underperform", "low performer", "risk"):
        assert word not in html.lower().replace("never counts commits, lines", "")
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.erin, record="evidence.health_detail").exists()
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.pat, record="evidence.health_detail").exists()
    assert verify_access_log().ok, "the reads written together still form one unbroken chain"
    main = html[html.index('<main id="content">'):]
    links = set(re.findall(r'href="(/[^"]*)"', main))
    assert links
    refused = {url: client.get(url).status_code for url in links if client.get(url).status_code != 200}
    assert not refused


def test_a_report_record_links_to_everything_the_manager_may_see(personas, pages, client_for):
    client = client_for(personas.mo)
    html = client.get(f"/people/{personas.erin.pk}/").content.decode()
    facts = " ".join(re.sub(r"<[^>]+>", " ", html[:html.index("What you may open about")]).split())
    # The level by its title alone, the zone as a city with its offset: no code, no stored zone key.
    level = personas.erin.level
    assert f"Level {level.title} " in facts and level.code not in facts
    assert re.search(r"Time zone Berlin \(UTC\+[12] now\)", facts) and "Europe/" not in facts
    section = html[html.index("What you may open about"):]
    links = re.findall(r'<li><a href="([^"]+)">([^<]+)</a>', section)
    assert '<a href="/growth/' in section and "— accomplishments, feedback received" in section  # what each holds
    labels = [label for _url, label in links]
    assert "Growth page" in labels and "AI signals" in labels and "Team health of Payments" in labels
    assert all(client.get(url).status_code == 200 for url, _label in links)
    # The step that waits for the manager comes first: the assessment, with its deadline, and the review linked.
    assert "Your assessment of Erin" not in html  # no open cycle yet
    from brightline.reviews.models import Phase
    from tests.reviews_helpers import advance_to, open_payments_cycle

    cycle = advance_to(open_payments_cycle(personas), Phase.MANAGER_ASSESSMENT, personas.pia)
    html = client.get(f"/people/{personas.erin.pk}/").content.decode()
    review = cycle.reviews.get(person=personas.erin)
    due = re.search(r"Your assessment of Erin for the .+? waits for you, by (\d+ \w+ \d{4})\.", html)
    assert due and f'href="/reviews/r/{review.pk}/">Open the review</a>' in html, html[:3000]
    assert "Your assessment of" not in client_for(personas.erin).get(f"/people/{personas.erin.pk}/").content.decode()
    # A colleague who is not in the chain sees no such links on a record they cannot open anyway.
    assert client_for(personas.oscar).get(f"/people/{personas.erin.pk}/").status_code == 403


def test_someone_without_reports_sees_an_empty_team_page(personas, client_for):
    html = client_for(personas.erin).get("/team/").content.decode()
    assert "You have no direct reports" in html


def test_a_report_whose_self_review_step_closed_is_not_said_to_be_awaited(personas, client_for):
    """Once the self-review step has closed, the team page does not say it waits for a self review that can no
    longer come: the manager's assessment is what is next."""
    from brightline.reviews.models import Phase
    from tests.reviews_helpers import advance_to, open_payments_cycle

    cycle = advance_to(open_payments_cycle(personas), Phase.SELF_REVIEW, personas.pia)
    page = client_for(personas.mo).get("/team/").content.decode()
    assert "Waiting for the self review" in page
    advance_to(cycle, Phase.MANAGER_ASSESSMENT, personas.pia)
    page = client_for(personas.mo).get("/team/").content.decode()
    assert "Waiting for the self review" not in page
    assert "No self review (the step closed); assessment to write" in page


def test_postgresql_judges_working_hours_on_each_persons_clock_as_python_does(personas):
    """The team page's counts come from the database on PostgreSQL: at the edges of the working day, around the
    weekend and across daylight-saving changes they equal the core's classification, event for event."""
    from zoneinfo import ZoneInfo

    from django.db import connection

    from brightline.core.delivery import WorkEvent, WorkSchedule, summarise_person_health, summarise_team_health
    from brightline.core.delivery.health import person_health_from_tallies, team_health_from_tallies
    from brightline.evidence.metrics import work_time_tallies
    from brightline.evidence.models import CommitRecord, Page, Repository, Service

    if connection.vendor != "postgresql":
        pytest.skip("only PostgreSQL counts working hours in the database; elsewhere Python does, as compared here")
    zones = {personas.erin: "Europe/Berlin", personas.pat: "America/Los_Angeles", personas.mo: "",
             personas.lee: "Asia/Kolkata"}
    service = Service.objects.create(name="clock-api", team=personas.erin.team)
    repository = Repository.objects.create(service=service, path="/tmp/clock")
    commits, pages, events = [], [], []
    for person, zone in zones.items():
        person.timezone = zone
        person.save(update_fields=["timezone"])
        local = ZoneInfo(zone or "UTC")
        moments = [datetime(2026, month, day, hour, minute, second, micro, tzinfo=local)
                   for month, day in ((3, 6), (3, 7), (3, 8), (3, 9), (3, 29), (10, 25), (10, 30), (11, 1))
                   for hour, minute, second, micro in ((0, 0, 0, 0), (1, 30, 0, 0), (2, 30, 0, 0), (8, 59, 59, 999999),
                                                       (9, 0, 0, 0), (17, 59, 59, 999999), (18, 0, 0, 0),
                                                       (23, 59, 59, 0))]
        # Every half hour across two daylight-saving changes, in UTC.
        moments += [datetime(2026, 3, 28, 18, tzinfo=UTC) + timedelta(minutes=30 * n) for n in range(80)]
        moments += [datetime(2026, 10, 24, 18, tzinfo=UTC) + timedelta(minutes=30 * n) for n in range(80)]
        for index, moment in enumerate(moments):
            if index % 3:
                commits.append(CommitRecord(repository=repository, sha=f"{person.pk}-{index}", author_name="a",
                                            author_email="a@example.org", authored_at=moment, committer_name="a",
                                            committer_email="a@example.org", committed_at=moment, subject="s",
                                            person=person))
                events.append(WorkEvent(str(person.pk), moment.astimezone(UTC), "commit"))
            else:
                pages.append(Page(service=service, person=person, paged_at=moment, source="test",
                                  external_id=f"{person.pk}-{index}"))
                events.append(WorkEvent(str(person.pk), moment.astimezone(UTC), "page"))
    CommitRecord.objects.bulk_create(commits)
    Page.objects.bulk_create(pages)
    schedules = {str(person.pk): WorkSchedule(person_id=str(person.pk), team=f"team-{index % 2}",
                                              time_zone=zone or "UTC")
                 for index, (person, zone) in enumerate(zones.items())}
    start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    tallies = work_time_tallies([person.pk for person in zones], start=start, end=end)
    assert sum(tally[0] for tally in tallies.values()) == len(events)
    assert person_health_from_tallies(tallies, schedules) == summarise_person_health(events, schedules.values())
    assert team_health_from_tallies(tallies, schedules) == summarise_team_health(events, schedules.values())
    assert any(tally[1] for tally in tallies.values()) and any(tally[2] for tally in tallies.values())


def _trend_break(team, owner, *, key: str, direction: str, status: str = "pending", is_finding: bool = True):
    from brightline.insights.models import Signal, SignalKind

    today = timezone.localdate()
    return Signal.objects.create(
        kind=SignalKind.TREND_BREAK, key=key, team=team, window_start=today - timedelta(days=140), window_end=today,
        statement=f"Change lead time (median) of payments-api changed ({key}). Owner to look into it: {owner.name}.",
        rule="r", cannot_infer="c", confidence_label="stable", confidence_agreement="single_layer",
        model_name="m", model_version="1", content_hash=key, owner=owner, status=status, is_finding=is_finding,
        detail={"direction": direction, "higher_is_better": False, "owner_name": owner.name})


def test_each_change_in_a_delivery_trend_has_its_owner_and_a_next_step(personas, pages, client_for):
    """H2: each anomaly in the team's delivery trends, worse ones first, with who follows it up and what to do next;
    a dismissed change and a note that is not a finding are left out."""
    team = personas.erin.team
    better = _trend_break(team, personas.mo, key="a", direction="lower")
    worse = _trend_break(team, personas.mo, key="b", direction="higher")
    _trend_break(team, personas.mo, key="c", direction="higher", status="dismissed")
    _trend_break(team, personas.mo, key="d", direction="higher", is_finding=False)
    glance = team_at_a_glance(personas.mo)
    assert [(anomaly.worse, anomaly.owner) for anomaly in glance.anomalies] == [(True, "You"), (False, "You")]
    first = glance.anomalies[0]
    assert first.text == "Change lead time (median) of payments-api changed (b)."  # the owner is said apart
    assert first.url.endswith(f"#signal-{worse.pk}") and "accept or dismiss it with a reason" in first.next_step
    assert "2 changes in a delivery trend (1 for the worse), all yours to follow up" in glance.summary
    better.status, better.reviewed_by = "accepted", personas.mo
    better.save()
    accepted = team_at_a_glance(personas.mo).anomalies[1]
    assert accepted.next_step.startswith("Accepted by Mo Manager: agree a follow-up with the team")
    html = client_for(personas.mo).get("/team/").content.decode()
    section = html[html.index('id="reliability-h"'):html.index('id="unseen-h"')]
    assert "for the worse" in section and "Follows it up: You." in section and f"#signal-{worse.pk}" in section
    # The manager's home names them too, with who follows each up, and links to them.
    home = client_for(personas.mo).get("/").content.decode()
    assert ">2 changes in a delivery trend</a> to look into: Payments, for the worse (you follow it up); Payments, " \
           "for the better (you follow it up)." in home
    assert "changes in a delivery trend" not in client_for(personas.erin).get("/").content.decode()


def test_work_that_is_easy_to_miss_is_named_never_counted_and_its_read_logged(personas, pages, client_for):
    from brightline.audit.models import AccessLog
    from brightline.evidence.models import EvidenceItem

    now = timezone.now()
    for days, kind, title in ((3, "code_review", "Careful review of the ledger change"),
                              (5, "code_review", "An older review"),
                              (9, "incident_handled", "Led the response to the 502s"),
                              (400, "design_doc", "A design from last year"),
                              (2, "merged_change", "A merged change")):
        EvidenceItem.objects.create(kind=kind, title=title, person=personas.erin, source="manual", source_ref=title,
                                    occurred_at=now - timedelta(days=days))
    glance = team_at_a_glance(personas.mo)
    erin = next(row for row in glance.rows if row.person == personas.erin)
    # The latest item of each kind in the window, newest first: no count, no merged change, nothing out of the window.
    assert [(title, kind) for title, kind, _day in erin.easy_to_miss] == [
        ("Careful review of the ledger change", "code review given"),
        ("Led the response to the 502s", "incident handled")]
    assert [row.person for row in glance.people_with_easy_to_miss_work] == [personas.erin]
    html = client_for(personas.mo).get("/team/").content.decode()
    section = html[html.index('id="unseen-h"'):html.index('id="records-h"')]
    assert "Careful review of the ledger change" in section and "An older review" not in section
    # A person a line: the name and the kinds in a <summary>, the titles folded behind it (a short page on a phone).
    [summary] = re.findall(r"<summary>(.*?)</summary>", section, re.S)
    assert personas.erin.name in summary and "code review given, incident handled" in summary
    assert "Careful review" not in summary
    assert AccessLog.objects.filter(viewer=personas.mo, subject=personas.erin, record="evidence.items").exists()
    assert not AccessLog.objects.filter(viewer=personas.mo, subject=personas.pat, record="evidence.items").exists()


def test_the_team_reliability_figures_are_the_stored_rollup_in_words(personas, pages, client_for):
    from brightline.dashboards.team import teams_reliability
    from brightline.evidence.models import Deployment

    now = timezone.now()
    for day in range(0, 84, 3):  # one production deployment every three days over the last twelve weeks
        Deployment.objects.create(service=pages, environment="production", version=f"v{day}", sha=f"{day:04x}",
                                  status=Deployment.Status.SUCCESS, deployed_at=now - timedelta(days=day, hours=1),
                                  source="test", external_id=f"d{day}")
    from brightline.rollups.services import refresh

    assert not teams_reliability([personas.erin.team])  # nothing is computed by the page: the refresh job stores it
    refresh(everything=True)
    [payments] = teams_reliability([personas.erin.team])
    assert payments.weeks == 13 and payments.url == f"/evidence/teams/{personas.erin.team.slug}/#reliability"
    assert any(re.fullmatch(r"\d+\.\d deployments a week.*", line) for line in payments.lines), payments.lines
    assert any(line.endswith("on-call pages outside people's working hours") for line in payments.lines)
    html = client_for(personas.mo).get("/team/").content.decode()
    assert "Payments</strong>, over the last 13 weeks (" in html
    assert client_for(personas.mo).get(payments.url.split("#")[0]).status_code == 200
    assert 'id="reliability"' in client_for(personas.mo).get(payments.url.split("#")[0]).content.decode()


def test_the_reliability_card_says_what_it_shows_with_or_without_figures_and_changes(personas, pages, client_for):
    """The card's sentences agree with each other in all four cases: changes found but the figures not summed up
    yet (it once said "No delivery figures yet" above two changes), neither, figures alone, and both."""
    from brightline.evidence.models import Deployment
    from brightline.rollups.services import refresh

    def card() -> str:
        html = client_for(personas.mo).get("/team/").content.decode()
        return re.sub(r"\s+", " ", html[html.index('id="reliability-h"'):html.index('id="unseen-h"')])

    no_figures, not_summed = "Payments: no delivery figures yet.", "Payments: its figures for the last 13 weeks are"
    none_found = "found no change that needs following up"
    # Neither figures nor changes: one sentence says so, and nothing claims a search of trends that are not there.
    text = card()
    assert no_figures in text and not_summed not in text and none_found not in text and "Follows it up" not in text
    # A change found before the refresh job summed the figures up: the history is there, the change is listed.
    _trend_break(personas.erin.team, personas.mo, key="a", direction="higher")
    text = card()
    assert "no delivery figures yet" not in text.lower() and not_summed in text and "listed below" in text
    assert "Follows it up: You." in text and none_found not in text
    # Figures and the change: the figures in words, the change under them, no sentence about missing figures.
    now = timezone.now()
    for day in range(0, 84, 7):
        Deployment.objects.create(service=pages, environment="production", version=f"v{day}", sha=f"{day:04x}",
                                  status=Deployment.Status.SUCCESS, deployed_at=now - timedelta(days=day, hours=1),
                                  source="test", external_id=f"d{day}")
    refresh(everything=True)
    text = card()
    assert "Payments</strong>, over the last 13 weeks (" in text and "Follows it up: You." in text
    assert not_summed not in text and "no delivery figures yet" not in text.lower() and none_found not in text
    # Figures alone: they are shown, and the card says no change was found in them.
    from brightline.insights.models import Signal

    Signal.objects.filter(team=personas.erin.team).update(status=Signal.Status.DISMISSED)
    text = card()
    assert "Payments</strong>, over the last 13 weeks (" in text and none_found in text
    assert "Follows it up" not in text and "no delivery figures yet" not in text.lower()


def test_missing_evidence_becomes_a_few_prompts_each_with_the_step_of_whoever_can_take_it(personas):
    """Ladder gaps are one line; a packet's parts the report wrote ask the report; the manager's own parts ask the
    manager to cite evidence in their draft, on the review page."""
    from datetime import date

    from brightline.dashboards.team import missing_evidence_prompts
    from brightline.insights.models import Signal

    def missing(detail, owner):
        return Signal(kind="missing_evidence", detail=detail, owner=owner, window_start=date(2026, 6, 8),
                      window_end=date(2026, 12, 7))

    packet = {"name": "2026 H2 review", "written_by": "manager"}
    found = [missing({"dimension": "delivery_results", "label": "Delivery results"}, personas.erin),
             missing({"dimension": "leadership", "label": "Leadership"}, personas.erin),
             missing({"label": "the self review", "packet": {**packet, "written_by": "person"}}, personas.erin),
             missing({"label": "the manager's assessment of leadership", "packet": packet}, personas.mo),
             missing({"label": "the manager's summary", "packet": packet}, personas.mo)]
    prompts = missing_evidence_prompts(personas.mo, "Erin", found, "/signals/", "/review/")
    # What would count is folded under the line (the signal's own sentence: one wording).
    assert prompts[0].why == ("Nothing recorded speaks to them and no accomplishment about them cites evidence; a "
                              "merged change, a release, a deployment, an incident handled, an incident debrief, "
                              "design review notes or pairing on a colleague's change would count.")
    assert [(prompt.text, prompt.action, prompt.url) for prompt in prompts] == [
        ("Evidence is thin: nothing shows delivery results or leadership between 8 Jun 2026 and 7 Dec 2026.",
         "Ask for the missing evidence or record it together", "/signals/"),
        ("Evidence is thin: in the 2026 H2 review, the self review cites no evidence.",
         "Ask Erin to cite the items behind it", "/signals/"),
        ("Evidence is thin: in the 2026 H2 review, your assessment of leadership and your summary cite no "
         "evidence.", "Cite the evidence in your draft", "/review/")]
    # Once the self-review step has closed the report can no longer cite anything in their packet: the manager is
    # not told to ask for it, but to find the items with them and cite them in the assessment, on the review page.
    closed = missing_evidence_prompts(personas.mo, "Erin", found, "/signals/", "/review/", report_can_cite=False)
    assert (closed[1].action, closed[1].url) == ("Ask Erin which items are behind it, and cite them in your "
                                                 "assessment", "/review/")
    assert closed[1].key == prompts[1].key and closed[1].facts == prompts[1].facts  # a decision on it still holds


def _missing(person, dimension: str, label: str):
    from brightline.insights.models import Signal

    today = timezone.localdate()
    return Signal.objects.create(
        kind="missing_evidence", key=f"missing:{dimension}", person=person, owner=person.manager,
        statement=f"No evidence for {label}.", detail={"dimension": dimension, "label": label},
        window_start=today - timedelta(days=180), window_end=today, rule="r", cannot_infer="c",
        confidence_label="stable", confidence_agreement="high", model_name="m", model_version="1",
        content_hash=dimension)


def _prompt_keys(manager, person) -> list[str]:
    row = next(row for row in team_at_a_glance(manager).rows if row.person == person)
    return [prompt.key for prompt in row.prompts]


def test_a_prompt_marked_done_in_place_leaves_the_list_with_who_and_when_audited(personas, pages, client_for):
    from brightline.audit.models import AuditEntry, action_label
    from brightline.audit.services import verify_chain
    from brightline.dashboards.models import CoachingPromptDecision

    assert "on_call_uncited" in _prompt_keys(personas.mo, personas.erin)
    client = client_for(personas.mo, enforce_csrf_checks=True)
    page = client.get("/team/").content.decode()
    assert 'name="prompt" value="on_call_uncited"' in page and ">Not now</button>" in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    posted = {"person": personas.erin.pk, "prompt": "on_call_uncited", "outcome": "done"}
    assert client.post("/team/coaching-prompts/", posted, headers={"HX-Request": "true"}).status_code == 403
    response = client.post("/team/coaching-prompts/", {**posted, "csrfmiddlewaretoken": token},
                           headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section class="card" id="coaching"')
    assert "Marked done for Erin Employee: Erin answered 4 pages" in html
    assert "Erin answered 4 pages" not in html.split("</p>", 2)[-1]  # the status line names it; the list does not
    assert 'id="summary" hx-swap-oob="true"' in html and "1 prompt you marked done or not now is off the list" in html
    decision = CoachingPromptDecision.objects.get()
    assert (decision.manager, decision.person, decision.outcome) == (personas.mo, personas.erin, "done")
    assert decision.facts == ["pages>=1", "pages>=3"] and timezone.now() - decision.decided_at < timedelta(minutes=5)
    entry = AuditEntry.objects.get(action="dashboards.coaching_prompt.decided")
    assert (entry.actor_id, entry.subject_person_id) == (personas.mo.pk, personas.erin.pk) and verify_chain().ok
    assert action_label(entry.action) == "Team at a glance: coaching prompt decided"  # the trail says it in words
    assert "on_call_uncited" not in _prompt_keys(personas.mo, personas.erin)
    # Marking it again, or a prompt that is not on one's list, records nothing.
    again = client.post("/team/coaching-prompts/", {**posted, "csrfmiddlewaretoken": token},
                        headers={"HX-Request": "true"})
    assert "no longer on your list" in again.content.decode() and CoachingPromptDecision.objects.count() == 1
    other = client_for(personas.oscar).post("/team/coaching-prompts/", {**posted, "prompt": "outside_hours"})
    assert other.status_code == 302 and CoachingPromptDecision.objects.count() == 1


def test_a_marked_prompt_comes_back_only_when_something_new_is_true(personas, pages):
    from brightline.dashboards.team import decide_prompt
    from brightline.evidence.models import Page

    decide_prompt(personas.mo, key="on_call_uncited", outcome="not_now", person_id=personas.erin.pk)
    assert "on_call_uncited" not in _prompt_keys(personas.mo, personas.erin)
    Page.objects.create(service=pages, person=personas.erin, paged_at=at_berlin_hour(23, 20), source="test",
                        external_id="erin-5")  # five pages: no threshold newly reached
    assert "on_call_uncited" not in _prompt_keys(personas.mo, personas.erin)
    Page.objects.create(service=pages, person=personas.erin, paged_at=at_berlin_hour(23, 21), source="test",
                        external_id="erin-6")  # six: a darker shade than when it was set aside
    assert "on_call_uncited" in _prompt_keys(personas.mo, personas.erin)

    leadership = _missing(personas.pat, "leadership", "Leadership")
    assert "thin_evidence" in _prompt_keys(personas.mo, personas.pat)
    decide_prompt(personas.mo, key="thin_evidence", outcome="done", person_id=personas.pat.pk)
    assert "thin_evidence" not in _prompt_keys(personas.mo, personas.pat)
    delivery = _missing(personas.pat, "delivery_results", "Delivery results")  # new missing evidence
    assert "thin_evidence" in _prompt_keys(personas.mo, personas.pat)
    decide_prompt(personas.mo, key="thin_evidence", outcome="done", person_id=personas.pat.pk)
    leadership.delete()  # evidence for one of them arrived: what is left was covered when it was marked
    assert "thin_evidence" not in _prompt_keys(personas.mo, personas.pat)
    delivery.delete()
    # A decision is the manager's own: another manager of Pat (none here) would still see it; Mo's team prompt too.
    assert [team.name for team, _prompt in team_at_a_glance(personas.mo).team_prompts] == ["Payments"]


def test_a_prompt_marked_without_javascript_returns_to_the_page(personas, pages, client_for):
    from brightline.dashboards.models import CoachingPromptDecision

    client = client_for(personas.mo)
    response = client.post("/team/coaching-prompts/", {"team": personas.erin.team.pk, "prompt": "team_outside_hours",
                                                       "outcome": "not_now"})
    assert response.status_code == 302 and response["Location"] == "/team/#coaching"
    decision = CoachingPromptDecision.objects.get()
    assert (decision.team, decision.person, decision.outcome) == (personas.erin.team, None, "not_now")
    html = client.get("/team/").content.decode()
    assert "Set aside for now, for Payments:" in html and 'value="team_outside_hours"' not in html
    assert "It comes back only if something new shows." in html
