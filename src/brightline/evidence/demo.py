"""Demo delivery history: services for the demo teams and about six months of synthetic
deployments, changes, incidents, pages and citable evidence items. Deterministic (its own seeded
generator) and fast: everything is bulk-inserted, no git repository is created.

The history is a working week's: deployments fall on weekdays in the owning team's working hours, and
each change is written in its author's own working hours, except a few late evenings. Incidents happen
when they happen; outside the team's hours they page whoever is on call. Two people carry clearly more
of that load: Erin in Payments (two on-call weeks in a row, in the feedback demo's story) and one site
reliability engineer. They work late more often and take most of their team's pages outside working
hours, so a manager's team at a glance shows a calm team with one person worth a check-in.

It is written on whole weeks ending the Monday on or before the demo's "today" (see
``brightline.core.demo_calendar``), so the weekdays, hours and durations are the same whatever day the
demo is loaded on; the running week has no deliveries yet.

One trend break is built in for the AI-signals layer to find: ``checkout-web`` slows down
(fewer deployments, longer lead times) from seven weeks before that Monday.

Time off for team health is imported through the real CSV import, with its own seeded generator.
Its story: Erin has taken no time off since spring (the feedback demo has her tired after on-call),
one page reached Pat on a day off, and one of Mo's reports was on parental leave (and wrote no
changes and answered no pages meanwhile).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F

from brightline.core.demo_calendar import HISTORY_WEEKS, history_anchor
from brightline.evidence.metrics import update_incident_attribution
from brightline.evidence.models import (
    CommitRecord,
    Criticality,
    Deployment,
    EvidenceItem,
    Incident,
    Maturity,
    Page,
    Remediation,
    Repository,
    Service,
    SupportTicket,
    TimeOff,
)
from brightline.evidence.timeoff import import_time_off
from brightline.policy.services import get_policy, update_policy

# team slug -> services: (name, criticality, maturity, deployments per week)
SERVICES: dict[str, tuple[tuple[str, str, str, float], ...]] = {
    "payments": (("payments-api", Criticality.CRITICAL, Maturity.MATURE, 6.0),
                 ("refunds-worker", Criticality.HIGH, Maturity.GROWING, 2.0)),
    "checkout": (("checkout-web", Criticality.CRITICAL, Maturity.MATURE, 8.0),),
    "search": (("search-ranking", Criticality.HIGH, Maturity.GROWING, 4.0),),
    "mobile": (("mobile-apps", Criticality.HIGH, Maturity.MATURE, 0.7),),
    "platform": (("deploy-pipeline", Criticality.HIGH, Maturity.MATURE, 5.0),),
    "devex": (("build-cache", Criticality.MEDIUM, Maturity.NEW, 3.0),),
    "sre": (("observability-stack", Criticality.HIGH, Maturity.MATURE, 2.5),),
    "billing-legacy": (("billing-core", Criticality.CRITICAL, Maturity.SUNSET, 0.5),),
}
WEEKS = HISTORY_WEEKS
TREND_BREAK_SERVICE = "checkout-web"
TREND_BREAK_WEEKS_AGO = 7  # before the Monday the history ends on
DELIVERY_SEED = 2027  # the delivery history draws from its own generator, apart from the other demo steps
TIME_OFF_SEED = 2026  # time off draws from its own generator: adding it left the rest of the demo as it was
TIME_OFF_DAYS = 240  # how far back the imported time off reaches (the page looks 180 days back)
TIME_OFF_IMPORTED_DAYS_AGO = 1
TIME_OFF_WINDOWS = (90, 180)  # the team-health page's time-off windows, in days up to its "as of" day

# A working day, in each person's standard time: 09:00–17:00. Summer time moves it to 10:00–18:00 on the
# clock, still inside the 09:00–18:00 that team health counts as working hours.
WORKDAY_START = 9
WORKDAY_HOURS = 8
WEEK_HOURS = 5 * WORKDAY_HOURS
# The share of a person's changes written on a late evening or a weekend instead of in working hours.
LATE_SHARE = 0.03
# People who carry more: their late share, and the share of their team's out-of-hours pages they answer.
HEAVY_LATE_SHARE = 0.5
HEAVY_ON_CALL_SHARE = 0.7


def build_demo_history(context: Any) -> None:
    rng = random.Random(DELIVERY_SEED)
    # A demo rebuilt on top of an earlier demo replaces its own services (never anything else).
    demo_names = [name for entries in SERVICES.values() for name, *_ in entries]
    Service.objects.filter(name__in=demo_names, repositories__path__startswith="demo://").delete()
    EvidenceItem.objects.filter(source="demo").delete()
    today = datetime.combine(context.today, time(0), tzinfo=UTC)
    anchor = datetime.combine(history_anchor(context.today), time(0), tzinfo=UTC)
    start = anchor - timedelta(weeks=WEEKS)
    members: dict[int, list[Any]] = {}
    for person in context.people:
        if person.team_id:
            members.setdefault(person.team_id, []).append(person)
    heavy = _heavy_load(context, members)
    leave = _parental_leave(context)
    away = {} if leave is None else {leave[0].pk: (datetime.combine(leave[1], time(0), tzinfo=UTC),
                                                  datetime.combine(leave[2] + timedelta(days=1), time(0), tzinfo=UTC))}
    services: list[Service] = []
    for slug, entries in SERVICES.items():
        team = context.teams.get(slug)
        if team is None:
            continue
        for name, criticality, maturity, per_week in entries:
            service = Service.objects.create(name=name, team=team, criticality=criticality,
                                             workload_class=team.workload_class, maturity=maturity,
                                             description=f"Demo service of {team.name}.")
            services.append(service)
            _history(service, rng, start=start, anchor=anchor, per_week=per_week, people=members.get(team.pk, []),
                     on_call=heavy.get(team.pk), away=away)
    update_incident_attribution(services)
    _personal_evidence(context, today)
    # The services were registered the day before the history starts, and each item was recorded when it
    # happened; left alone, ``auto_now_add`` would stamp them with the real clock, after the demo's "today".
    for index, service in enumerate(services):
        Service.objects.filter(pk=service.pk).update(
            created_at=start - timedelta(days=1) + timedelta(hours=9, minutes=index * 7))
    EvidenceItem.objects.filter(source="demo").update(created_at=F("occurred_at") + timedelta(minutes=30))
    _time_off(context, leave)


def _heavy_load(context: Any, members: dict[int, list[Any]]) -> dict[int, Any]:
    """Team id -> the one person of that team who carries clearly more after-hours and on-call load."""
    heavy: dict[int, Any] = {}
    erin = context.personas.get("erin")
    if erin is not None and erin.team_id:
        heavy[erin.team_id] = erin
    sre = context.teams.get("sre")
    if sre is not None:
        engineer = next((p for p in members.get(sre.pk, []) if p.level.code.startswith("IC")), None)
        if engineer is not None:
            heavy[sre.pk] = engineer
    return heavy


def _parental_leave(context: Any) -> tuple[Any, date, date] | None:
    """The first team member who is not a persona, and their parental leave (on the anchor's calendar)."""
    personas = set(context.personas.values())
    person = next((p for p in context.people if p.team_id and p not in personas), None)
    if person is None:
        return None
    anchor = history_anchor(context.today)
    return person, anchor - timedelta(days=150), anchor - timedelta(days=60)


def _standard_offset(zone: str | None) -> timedelta:
    """The zone's UTC offset outside summer time (the smaller of January's and July's)."""
    info = ZoneInfo(zone or "UTC")
    offsets = [datetime(2026, month, 15, tzinfo=info).utcoffset() or timedelta(0) for month in (1, 7)]
    return min(offsets)


def _working_moment(monday: date, offset: timedelta, hours: float) -> datetime:
    """The moment ``hours`` working hours into the working weeks that start on ``monday``, local standard time."""
    week, rest = divmod(hours, WEEK_HOURS)
    day, hour = divmod(rest, WORKDAY_HOURS)
    local = datetime.combine(monday, time(WORKDAY_START)) + timedelta(weeks=week, days=day, hours=hour)
    return (local - offset).replace(tzinfo=UTC)


def _in_working_hours(moment: datetime, offset: timedelta, rng: Any) -> datetime:
    """``moment``, or if it falls outside the person's working hours, an earlier moment inside them."""
    local = moment.astimezone(UTC).replace(tzinfo=None) + offset
    if local.weekday() >= 5:
        day = local.date() - timedelta(days=local.weekday() - 4)
    elif local.hour < WORKDAY_START:
        day = local.date() - timedelta(days=3 if local.weekday() == 0 else 1)
    elif local.hour < WORKDAY_START + WORKDAY_HOURS:
        return moment
    else:
        day = local.date()
    at = datetime.combine(day, time(WORKDAY_START)) + timedelta(minutes=rng.randrange(WORKDAY_HOURS * 60))
    return (at - offset).replace(tzinfo=UTC)


def _is_working_time(moment: datetime, offset: timedelta) -> bool:
    local = moment.astimezone(UTC).replace(tzinfo=None) + offset
    return local.weekday() < 5 and WORKDAY_START <= local.hour < WORKDAY_START + WORKDAY_HOURS


def _history(service: Service, rng: Any, *, start: datetime, anchor: datetime, per_week: float,
             people: list[Any], on_call: Any | None, away: dict[int, tuple[datetime, datetime]]) -> None:
    repository = Repository.objects.create(service=service, path=f"demo://{service.name}", branch="main",
                                           last_synced_head="")
    team_offset = _standard_offset(people[0].timezone if people else None)
    offsets = {person.pk: _standard_offset(person.timezone) for person in people}

    def present(moment: datetime) -> list[Any]:
        return [p for p in people if not (p.pk in away and away[p.pk][0] <= moment < away[p.pk][1])]

    deployments: list[Deployment] = []
    hours = 0.0
    break_at = anchor - timedelta(weeks=TREND_BREAK_WEEKS_AGO)
    number = 0
    failed: set[str] = set()
    while True:
        rate = per_week
        if service.name == TREND_BREAK_SERVICE and _working_moment(start.date(), team_offset, hours) >= break_at:
            rate = per_week / 4  # the trend break: a slower pipeline after a risky migration
        # Deployments arrive at random in working hours only: a clock that runs Monday to Friday, 09:00–17:00.
        # A quiet spell lasts at most three times the usual gap, so no busy service stops shipping for weeks.
        hours += min(rng.expovariate(rate / WEEK_HOURS), 3 * WEEK_HOURS / rate)
        if hours >= WEEKS * WEEK_HOURS:
            break
        moment = _working_moment(start.date(), team_offset, hours)
        number += 1
        if rng.random() < (0.25 if service.maturity == Maturity.SUNSET else 0.08):
            failed.add(f"{service.name}@{number}")
        deployments.append(Deployment(service=service, environment="production", version=f"2026.{number}",
                                      sha=f"{service.pk:04x}{number:036x}", status=Deployment.Status.SUCCESS,
                                      deployed_at=moment, source="demo", external_id=f"{service.name}@{number}"))
    Deployment.objects.bulk_create(deployments)
    saved = list(Deployment.objects.filter(service=service).order_by("deployed_at"))
    commits: list[CommitRecord] = []
    incidents: list[Incident] = []
    remediations: list[Remediation] = []
    pages: list[Page] = []
    # Nothing is written before the history starts (the day before, at most: a change a deployment shipped).
    earliest = start - timedelta(days=1)
    for index, deployment in enumerate(saved):
        slow = service.name == TREND_BREAK_SERVICE and deployment.deployed_at >= break_at
        for change in range(rng.randint(1, 5)):
            lead_hours = rng.lognormvariate(3.4 if not slow else 4.9, 0.8)
            authored = deployment.deployed_at - timedelta(hours=lead_hours)
            available = present(authored) or people
            author = rng.choice(available) if available else None
            if author is not None:
                late = HEAVY_LATE_SHARE if on_call is not None and author.pk == on_call.pk else LATE_SHARE
                if rng.random() >= late:
                    authored = _in_working_hours(authored, offsets[author.pk], rng)
            if authored < earliest:
                authored = deployment.deployed_at - timedelta(minutes=rng.randint(5, 90))
            commits.append(CommitRecord(
                repository=repository, sha=f"{deployment.sha[:4]}{index:026x}{change:010x}", parents="",
                author_name=author.name if author else "Demo", author_email=author.email if author else "demo@example",
                authored_at=authored, committer_name=author.name if author else "Demo",
                committer_email=author.email if author else "demo@example", committed_at=authored,
                subject=rng.choice(("Tidy error handling", "Add metrics", "Fix flaky test", "Speed up query",
                                    "Handle timeouts", "Update dependencies", "Improve logging")),
                lines_added=rng.randint(2, 300), lines_deleted=rng.randint(0, 120), files_changed=rng.randint(1, 8),
                person=author, first_release=deployment))
        if deployment.external_id in failed:
            opened = deployment.deployed_at + timedelta(minutes=rng.randint(10, 600))
            resolved = opened + timedelta(minutes=rng.randint(20, 900))
            available = present(opened) or people
            handler = rng.choice(available) if available else None
            if (on_call is not None and on_call in available and not _is_working_time(opened, team_offset)
                    and rng.random() < HEAVY_ON_CALL_SHARE):
                handler = on_call  # outside the team's hours the page goes to whoever is on call
            incidents.append(Incident(service=service, title=rng.choice(("Error rate above SLO", "Latency spike",
                                                                          "Queue backlog", "Failed payments")),
                                      severity=rng.choice(("sev1", "sev2", "sev2", "sev3")), opened_at=opened,
                                      resolved_at=resolved, handled_by=handler, source="demo",
                                      external_id=f"{service.name}-inc-{index}"))
            if handler is not None:
                pages.append(Page(service=service, person=handler, responder=handler.email, paged_at=opened,
                                  acknowledged_at=opened + timedelta(minutes=4), resolved_at=resolved,
                                  urgency="high", source="demo", external_id=f"{service.name}-page-{index}"))
            if rng.random() < 0.5 and index + 1 < len(saved):
                remediations.append(Remediation(service=service, kind=Remediation.Kind.ROLLBACK,
                                                occurred_at=saved[index + 1].deployed_at, failed_deployment=deployment,
                                                remediation_deployment=saved[index + 1], source="demo",
                                                external_id=f"{service.name}-rb-{index}"))
    CommitRecord.objects.bulk_create(commits, batch_size=1000)
    Incident.objects.bulk_create(incidents)
    Page.objects.bulk_create(pages)
    Remediation.objects.bulk_create(remediations)
    SupportTicket.objects.bulk_create([
        SupportTicket(service=service, title="Customer question", priority=rng.choice(("low", "normal", "high")),
                      opened_at=_working_moment(start.date(), team_offset, rng.uniform(0, WEEKS * WEEK_HOURS)),
                      source="demo", external_id=f"{service.name}-ticket-{n}") for n in range(rng.randint(3, 12))])


def _personal_evidence(context: Any, today: datetime) -> None:
    """Citable items for the demo personas (never counted or ranked anywhere)."""
    erin, pat = context.personas.get("erin"), context.personas.get("pat")
    items = []
    for person, entries in ((erin, (
            ("merged_change", "Idempotent card captures",
             "Retries no longer double-charge; 0 duplicate captures since.", 40),
            ("incident_handled", "Led the response to the capture 502s",
             "Restored service in 55 minutes; wrote the debrief.", 31),
            ("design_doc", "Design: refunds as an event stream",
             "Reviewed by platform and SRE; adopted by two teams.", 60),
            ("code_review", "Careful review of the currency rounding change",
             "Caught an off-by-one in minor units.", 12))),
            (pat, (
            ("merged_change", "Refund webhooks", "Partners receive refund events within seconds.", 50),
            ("design_review", "Review notes: payments ledger v2", "Raised the reconciliation risk early.", 20),
            ("incident_handled", "Queue backlog on refunds-worker", "Drained safely without data loss.", 8),
            # As git records it: a commit of Erin's whose "Co-authored-by:" line names Pat (the git import's form).
            ("pairing", "Paired on: Retry budget for the capture client",
             f"Co-author of a commit in payments-api, made with {erin.name if erin else 'a colleague'}.", 16)))):
        if person is None:
            continue
        for index, (kind, title, summary, days_ago) in enumerate(entries):
            items.append(EvidenceItem(kind=kind, title=title, summary=summary,
                                      occurred_at=today - timedelta(days=days_ago), person=person,
                                      team=person.team, service="payments-api", source="demo",
                                      source_ref=f"{person.user.username if person.user else person.pk}-{index}"))
    EvidenceItem.objects.bulk_create(items)


def _time_off_ranges(generator: random.Random, anchor: date) -> list[tuple[date, date, str]]:
    """Non-overlapping ranges from ``TIME_OFF_DAYS`` before ``anchor`` up to it, walking forward in time.

    A range that ends where one of the page's windows (:data:`TIME_OFF_WINDOWS`) would start on one day of
    the anchor's week but not on another is left out, so the page's figures do not depend on the weekday.
    """
    ranges: list[tuple[date, date, str]] = []
    day = anchor - timedelta(days=TIME_OFF_DAYS) + timedelta(days=generator.randint(0, 40))
    while True:
        kind = generator.choices(("vacation", "sick", "other"), weights=(6, 3, 1))[0]
        length = {"vacation": generator.randint(3, 12), "sick": generator.randint(1, 3), "other": 1}[kind]
        end = day + timedelta(days=length - 1)
        if end >= anchor:
            return ranges
        if not any(0 <= (end - (anchor - timedelta(days=window - 1))).days < 7 for window in TIME_OFF_WINDOWS):
            ranges.append((day, end, kind))
        day = end + timedelta(days=generator.randint(25, 110))


def _time_off(context: Any, leave: tuple[Any, date, date] | None) -> None:
    """Time off of every team member, imported as a people partner would, dated on the demo's calendar.

    Like the delivery history it is placed relative to the Monday on or before the demo's "today", so the
    pages that reached someone on a day off are the same whatever day the demo is loaded on.
    """
    partner = context.personas.get("pia")
    if partner is None:
        return
    allowed = get_policy().allowed_sources
    if "pto" not in allowed:
        update_policy(actor=partner, reason="Demo: time off from the HR system, for team health only.",
                      allowed_sources=[*allowed, "pto"])
    generator = random.Random(TIME_OFF_SEED)
    today: date = context.today
    anchor = history_anchor(today)
    erin, pat = context.personas.get("erin"), context.personas.get("pat")
    rows: list[tuple[str, date, date, str]] = []
    for person in context.people:
        if person.team_id is None:
            continue
        ranges = _time_off_ranges(generator, anchor)
        if person == erin:
            # No rest since spring: the last time off was more than 180 days ago.
            ranges = [(anchor - timedelta(days=205), anchor - timedelta(days=196), "vacation")]
        rows.extend((person.employee_id, start, end, kind) for start, end, kind in ranges)
    if pat is not None:
        rows = [row for row in rows if row[0] != pat.employee_id]
        page = Page.objects.filter(person=pat, paged_at__date__lte=anchor - timedelta(days=10),
                                   paged_at__date__gte=anchor - timedelta(days=80)).order_by("-paged_at").first()
        paged_on = page.paged_at.date() if page else anchor - timedelta(days=30)
        # Pat's week off, and a page that reached Pat on it: the rota was swapped too late.
        rows.append((pat.email, paged_on - timedelta(days=2), paged_on + timedelta(days=4), "vacation"))
    if leave is not None:
        parental, leave_start, leave_end = leave
        rows = [row for row in rows if row[0] != parental.employee_id]
        rows.append((parental.employee_id, leave_start, leave_end, "parental"))
    text = "person,start_date,end_date,kind\n" + "".join(
        f"{key},{start.isoformat()},{end.isoformat()},{kind}\n" for key, start, end, kind in rows)
    import_time_off(text.encode(), actor=partner)
    TimeOff.objects.update(source="demo", imported_at=datetime.combine(
        today - timedelta(days=TIME_OFF_IMPORTED_DAYS_AGO), time(10), tzinfo=UTC))
