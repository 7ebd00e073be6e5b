"""Demo delivery history: services for the demo teams and about six months of synthetic
deployments, changes, incidents, pages and citable evidence items. Deterministic (``context.rng``)
and fast: everything is bulk-inserted, no git repository is created.

One trend break is built in for the AI-signals layer to find: ``checkout-web`` slows down
(fewer deployments, longer lead times) from about seven weeks before the demo's "today".

Time off for team health is imported through the real CSV import, with its own seeded generator
so the history the other steps draw from ``context.rng`` is unchanged. Its story: Erin has taken no
time off since spring (the feedback demo has her tired after on-call), and one page reached Pat
on a day off.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import F

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
WEEKS = 26
TREND_BREAK_SERVICE = "checkout-web"
TREND_BREAK_WEEKS_AGO = 7
TIME_OFF_SEED = 2026  # time off draws from its own generator: adding it left the rest of the demo as it was
TIME_OFF_DAYS = 240  # how far back the imported time off reaches (the page looks 180 days back)
TIME_OFF_IMPORTED_DAYS_AGO = 1


def build_demo_history(context: Any) -> None:
    rng = context.rng
    # A demo rebuilt on top of an earlier demo replaces its own services (never anything else).
    demo_names = [name for entries in SERVICES.values() for name, *_ in entries]
    Service.objects.filter(name__in=demo_names, repositories__path__startswith="demo://").delete()
    EvidenceItem.objects.filter(source="demo").delete()
    today = datetime.combine(context.today, time(0), tzinfo=UTC)
    start = today - timedelta(weeks=WEEKS)
    members: dict[int, list[Any]] = {}
    for person in context.people:
        if person.team_id:
            members.setdefault(person.team_id, []).append(person)
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
            _history(service, rng, start=start, today=today, per_week=per_week, people=members.get(team.pk, []))
    update_incident_attribution(services)
    _personal_evidence(context, today)
    # The services were registered the day before the history starts, and each item was recorded when it
    # happened; left alone, ``auto_now_add`` would stamp them with the real clock, after the demo's "today".
    for index, service in enumerate(services):
        Service.objects.filter(pk=service.pk).update(
            created_at=start - timedelta(days=1) + timedelta(hours=9, minutes=index * 7))
    EvidenceItem.objects.filter(source="demo").update(created_at=F("occurred_at") + timedelta(minutes=30))
    _time_off(context)


def _history(service: Service, rng: Any, *, start: datetime, today: datetime, per_week: float,
             people: list[Any]) -> None:
    repository = Repository.objects.create(service=service, path=f"demo://{service.name}", branch="main",
                                           last_synced_head="")
    deployments: list[Deployment] = []
    moment = start
    break_at = today - timedelta(weeks=TREND_BREAK_WEEKS_AGO)
    number = 0
    failed: set[str] = set()
    while True:
        rate = per_week
        if service.name == TREND_BREAK_SERVICE and moment >= break_at:
            rate = per_week / 4  # the trend break: a slower pipeline after a risky migration
        moment += timedelta(hours=rng.expovariate(rate / 168.0))
        if moment >= today:
            break
        # Deploy during working hours, mostly.
        moment = moment.replace(hour=rng.choice((9, 10, 11, 13, 14, 15, 16)), minute=rng.randrange(60))
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
    for index, deployment in enumerate(saved):
        slow = service.name == TREND_BREAK_SERVICE and deployment.deployed_at >= break_at
        for change in range(rng.randint(1, 5)):
            lead_hours = rng.lognormvariate(3.4 if not slow else 4.9, 0.8)
            authored = deployment.deployed_at - timedelta(hours=lead_hours)
            author = rng.choice(people) if people else None
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
            handler = rng.choice(people) if people else None
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
                      opened_at=start + timedelta(hours=rng.randrange(WEEKS * 168)), source="demo",
                      external_id=f"{service.name}-ticket-{n}") for n in range(rng.randint(3, 12))])


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
            ("incident_handled", "Queue backlog on refunds-worker", "Drained safely without data loss.", 8)))):
        if person is None:
            continue
        for index, (kind, title, summary, days_ago) in enumerate(entries):
            items.append(EvidenceItem(kind=kind, title=title, summary=summary,
                                      occurred_at=today - timedelta(days=days_ago), person=person,
                                      team=person.team, service="payments-api", source="demo",
                                      source_ref=f"{person.user.username if person.user else person.pk}-{index}"))
    EvidenceItem.objects.bulk_create(items)


def _time_off_ranges(generator: random.Random, today: date) -> list[tuple[date, date, str]]:
    """Non-overlapping ranges from ``TIME_OFF_DAYS`` ago up to ``today``, walking forward in time."""
    ranges: list[tuple[date, date, str]] = []
    day = today - timedelta(days=TIME_OFF_DAYS) + timedelta(days=generator.randint(0, 40))
    while True:
        kind = generator.choices(("vacation", "sick", "other"), weights=(6, 3, 1))[0]
        length = {"vacation": generator.randint(3, 12), "sick": generator.randint(1, 3), "other": 1}[kind]
        end = day + timedelta(days=length - 1)
        if end > today:
            return ranges
        ranges.append((day, end, kind))
        day = end + timedelta(days=generator.randint(25, 110))


def _time_off(context: Any) -> None:
    """Time off of every team member, imported as a people partner would, dated on the demo's calendar."""
    partner = context.personas.get("pia")
    if partner is None:
        return
    allowed = get_policy().allowed_sources
    if "pto" not in allowed:
        update_policy(actor=partner, reason="Demo: time off from the HR system, for team health only.",
                      allowed_sources=[*allowed, "pto"])
    generator = random.Random(TIME_OFF_SEED)
    today: date = context.today
    erin, pat = context.personas.get("erin"), context.personas.get("pat")
    rows: list[tuple[str, date, date, str]] = []
    for person in context.people:
        if person.team_id is None:
            continue
        ranges = _time_off_ranges(generator, today)
        if person == erin:
            # No rest since spring: the last time off was more than 180 days ago.
            ranges = [(today - timedelta(days=205), today - timedelta(days=196), "vacation")]
        rows.extend((person.employee_id, start, end, kind) for start, end, kind in ranges)
    if pat is not None:
        rows = [row for row in rows if row[0] != pat.employee_id]
        page = Page.objects.filter(person=pat, paged_at__date__lte=today - timedelta(days=10)).order_by(
            "-paged_at").first()
        paged_on = page.paged_at.date() if page else today - timedelta(days=30)
        # Pat's week off, and a page that reached Pat on it: the rota was swapped too late.
        rows.append((pat.email, paged_on - timedelta(days=2), paged_on + timedelta(days=4), "vacation"))
    personas = set(context.personas.values())
    parental = next((person for person in context.people if person.team_id and person not in personas), None)
    if parental is not None:
        rows = [row for row in rows if row[0] != parental.employee_id]
        rows.append((parental.employee_id, today - timedelta(days=150), today - timedelta(days=60), "parental"))
    text = "person,start_date,end_date,kind\n" + "".join(
        f"{key},{start.isoformat()},{end.isoformat()},{kind}\n" for key, start, end, kind in rows)
    import_time_off(text.encode(), actor=partner)
    TimeOff.objects.update(source="demo", imported_at=datetime.combine(
        today - timedelta(days=TIME_OFF_IMPORTED_DAYS_AGO), time(10), tzinfo=UTC))
