"""Read what other apps store into the pure core's plain dataclasses.

Evidence and feedback sit below insights and are read directly; the draft review packets belong to
the reviews app above, which answers the ``draft_packet_claims`` signal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from brightline.core.insights import Claim, Comment, EvidenceRef, ItemRef, PacketClaim
from brightline.core.narrative import find_citations
from brightline.evidence.metrics import MetricsError
from brightline.evidence.models import EvidenceItem, Page, Service
from brightline.evidence.references import NamedEvidence, resolve_named_evidence
from brightline.feedback.models import Accomplishment, Checkpoint, FeedbackResponse, ManagerCommentary
from brightline.feedback.services import released_responses
from brightline.insights.signals import draft_packet_claims
from brightline.insights.signals import review_managers as review_managers_signal

# Which prompt each stored field answers; "growth" fields are read as concerns.
RESPONSE_FIELDS = (("what_they_did", "strength"), ("impact", "strength"), ("one_thing_to_grow", "growth"))
CHECKPOINT_FIELDS = (("wins", "strength"), ("misses", "growth"), ("impact", "strength"), ("next_steps", "general"))
COMMENTARY_FIELDS = (("owned", "general"), ("ambiguity", "general"), ("coaching", "general"), ("growth", "general"))


def _moment(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(12), tzinfo=UTC)


def _comments(base_id: str, fields: Sequence[tuple[str, str]], record: Any, **common: Any) -> list[Comment]:
    found = []
    for field_name, prompt in fields:
        text = (getattr(record, field_name, "") or "").strip()
        if text:
            found.append(Comment(id=f"{base_id}:{field_name}", text=text, prompt=prompt, **common))
    return found


def comments_about(person_ids: Iterable[int], *, start: date, end: date) -> list[Comment]:
    """Feedback responses, checkpoints and manager commentary written by others about these people.

    Only ``start`` bounds the texts: nothing real is written after today, and a demo anchored to a
    fixed date may stamp its feedback with the real clock. ``end`` is accepted for symmetry.
    """
    del end
    ids = list(person_ids)
    found: list[Comment] = []
    responses = list(FeedbackResponse.objects.filter(request__subject_id__in=ids)
                     .select_related("request", "invitation").order_by("request_id", "sequence"))
    by_request: dict[int, list[FeedbackResponse]] = {}
    for response in responses:
        by_request.setdefault(response.request_id, []).append(response)
    for request_responses in by_request.values():
        request = request_responses[0].request
        # Unreleased anonymous answers are not read at all.
        for response in released_responses(request_responses, anonymous=request.anonymous):
            written = response.submitted_at or request.closed_at or request.created_at
            author = None if request.anonymous or response.invitation is None else response.invitation.respondent_id
            if author == request.subject_id or written.date() < start:
                continue
            found += _comments(
                f"feedback_response:{response.pk}", RESPONSE_FIELDS, response,
                author_id=None if author is None else str(author), subject_id=str(request.subject_id),
                written_at=written, anonymous=request.anonymous,
                source=ItemRef("feedback_response", str(response.pk)),
                anonymous_group=f"request:{request.pk}" if request.anonymous else None, quotable=True)
    for checkpoint in Checkpoint.objects.filter(person_id__in=ids, held_on__gte=start):
        if checkpoint.author_id is None or checkpoint.author_id == checkpoint.person_id:
            continue
        found += _comments(f"checkpoint:{checkpoint.pk}", CHECKPOINT_FIELDS, checkpoint,
                           author_id=str(checkpoint.author_id), subject_id=str(checkpoint.person_id),
                           written_at=_moment(checkpoint.held_on), source=ItemRef("checkpoint", str(checkpoint.pk)))
    for commentary in ManagerCommentary.objects.filter(person_id__in=ids):
        written = commentary.created_at
        if commentary.author_id is None or commentary.author_id == commentary.person_id:
            continue
        if written.date() < start:
            continue
        found += _comments(f"manager_commentary:{commentary.pk}", COMMENTARY_FIELDS, commentary,
                           author_id=str(commentary.author_id), subject_id=str(commentary.person_id),
                           written_at=written, source=ItemRef("manager_commentary", str(commentary.pk)))
    return found


def evidence_text(item: EvidenceItem) -> str:
    """Title, summary and metric values: everything a claimed number may be found in."""
    metrics = item.metrics if isinstance(item.metrics, dict) else {}
    values = " ".join(f"{name.replace('_', ' ')} {value}" for name, value in metrics.items())
    return f"{item.title}. {item.summary} {values}".strip()


def evidence_ref(item: EvidenceItem) -> EvidenceRef:
    return EvidenceRef(ItemRef("evidence_item", str(item.pk)), item.kind, item.occurred_at.date(), evidence_text(item))


def evidence_about(person_id: int, *, start: date, end: date) -> list[EvidenceRef]:
    return evidence_about_many([person_id], start=start, end=end)[person_id]


#: Ids per ``IN (...)`` list, well inside SQLite's limit on query parameters.
IN_CHUNK = 2000


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for first in range(0, len(ids), IN_CHUNK):
        yield list(ids[first:first + IN_CHUNK])


def evidence_about_many(person_ids: Iterable[int], *, start: date, end: date) -> dict[int, list[EvidenceRef]]:
    """Each person's evidence items in the window, newest first (as ``evidence_about`` reads one person's)."""
    found: dict[int, list[EvidenceRef]] = {pk: [] for pk in person_ids}
    for chunk in _chunks(list(found)):
        for item in EvidenceItem.objects.filter(person_id__in=chunk, occurred_at__date__gte=start,
                                                occurred_at__date__lte=end):
            found[item.person_id].append(evidence_ref(item))
    return found


def team_evidence_counts(team: Any, *, start: date, end: date) -> dict[str, int]:
    """Evidence items of each kind about the team's active members or the team itself, in the window."""
    from django.db.models import Count, Q

    items = EvidenceItem.objects.filter(Q(person__team=team, person__is_active=True) | Q(team=team),
                                        occurred_at__date__gte=start, occurred_at__date__lte=end)
    return dict(items.values_list("kind").annotate(n=Count("id")).order_by("kind").values_list("kind", "n"))


def teams_evidence_counts(teams: Sequence[Any], *, start: date, end: date) -> dict[int, dict[str, int]]:
    """``team_evidence_counts`` of many teams in one grouped query, by team id."""
    from django.db.models import Case, Count, F, IntegerField, Q, When

    ids = [team.pk for team in teams]
    found: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    wanted = set(ids)
    member_team = Case(When(person__is_active=True, then=F("person__team_id")), default=None,
                       output_field=IntegerField())
    rows = (EvidenceItem.objects.filter(Q(person__team_id__in=ids, person__is_active=True) | Q(team_id__in=ids),
                                        occurred_at__date__gte=start, occurred_at__date__lte=end)
            .annotate(member_team=member_team).values_list("member_team", "team_id", "kind")
            .annotate(n=Count("id")).order_by())
    for member_team_id, team_id, kind, n in rows:
        # An item about a member of the team and about the team itself counts once, as the OR query counts it.
        for pk in {member_team_id, team_id} & wanted:
            found[pk][kind] = found[pk].get(kind, 0) + n
    return {pk: dict(sorted(counts.items())) for pk, counts in found.items()}


def _decimal_text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def claims_of(person_id: int, *, start: date) -> tuple[list[Claim], dict[str, str]]:
    """Accomplishments as claims (cited = linked evidence plus ``[E:id]`` citations in the text),
    and each claim's narrative text by claim id (for theme matching)."""
    return claims_of_many([person_id], start=start)[person_id]


def claims_of_many(person_ids: Iterable[int], *, start: date) -> dict[int, tuple[list[Claim], dict[str, str]]]:
    """``claims_of`` for many people in a fixed number of queries per chunk of people, by person id."""
    found: dict[int, tuple[list[Claim], dict[str, str]]] = {pk: ([], {}) for pk in person_ids}
    for chunk in _chunks(list(found)):
        accomplishments = list(Accomplishment.objects.filter(person_id__in=chunk, created_at__date__gte=start)
                               .prefetch_related("evidence"))
        named = accomplishments_named_evidence(accomplishments)
        cited_ids = {one.pk: accomplishment_evidence_ids(one) | set(named[one.pk].found) for one in accomplishments}
        wanted = sorted(set().union(*cited_ids.values())) if cited_ids else []
        # In the model's order (newest first), as one query per accomplishment read them.
        items: dict[int, EvidenceRef] = {}
        rank: dict[int, tuple[Any, ...]] = {}
        for part in _chunks(wanted):
            for item in EvidenceItem.objects.filter(pk__in=part):
                items[item.pk] = evidence_ref(item)
                rank[item.pk] = (-item.occurred_at.timestamp(), -item.pk)
        for accomplishment in accomplishments:
            narrative = accomplishment.narrative_text()
            cited = [items[pk] for pk in sorted(cited_ids[accomplishment.pk] & items.keys(), key=rank.__getitem__)]
            numbers = tuple(text for text in (_decimal_text(accomplishment.measure_before),
                                              _decimal_text(accomplishment.measure_after)) if text)
            ref = ItemRef("accomplishment", str(accomplishment.pk))
            claims, texts = found[accomplishment.person_id]
            claims.append(Claim(ref=ref, title=accomplishment.title, checked_text=accomplishment.result,
                                cited=tuple(cited), claimed_numbers=numbers,
                                made_on=accomplishment.created_at.date(), unfound=named[accomplishment.pk].missing))
            texts[ref.id] = narrative
    return found


def accomplishments_named_evidence(accomplishments: Iterable[Accomplishment]) -> dict[int, NamedEvidence]:
    """The evidence each accomplishment's title and narrative name in words (a pull-request link, ``#123``,
    a commit hash, a ticket key), resolved among the person's evidence items, by accomplishment id."""
    return resolve_named_evidence({accomplishment.pk: (accomplishment.person_id,
                                                       f"{accomplishment.title}\n\n{accomplishment.narrative_text()}")
                                   for accomplishment in accomplishments})


def accomplishment_evidence_ids(accomplishment: Accomplishment) -> set[int]:
    """Linked evidence plus ``[E:id]`` citations in the narrative."""
    cited_ids = {item.pk for item in accomplishment.evidence.all()}
    return cited_ids | {int(c.evidence_id) for c in find_citations(accomplishment.narrative_text())
                        if c.evidence_id.isdigit()}


def draft_packets(*, person_id: int | None = None, review_id: int | None = None,
                  accomplishment_id: int | None = None) -> dict[int, tuple[int, list[PacketClaim]]]:
    """``{review id: (person id, claims)}`` of the draft review packets in scope (one of the three), as the
    reviews app answers ``draft_packet_claims``; empty when there is none."""
    packets: dict[int, tuple[int, list[PacketClaim]]] = {}
    for _receiver, answer in draft_packet_claims.send(sender=None, person_id=person_id, review_id=review_id,
                                                      accomplishment_id=accomplishment_id):
        packets.update(answer)
    return dict(sorted(packets.items()))


def packet_claims_of(person_id: int) -> list[PacketClaim]:
    """The claims written into the person's draft review packets, with what each cites, packet by packet."""
    return [claim for _person, claims in draft_packets(person_id=person_id).values() for claim in claims]


def packet_claims_of_many(person_ids: Iterable[int]) -> dict[int, list[PacketClaim]]:
    """``packet_claims_of`` for many people (one answer of the reviews app per chunk), by person id."""
    found: dict[int, list[PacketClaim]] = {pk: [] for pk in person_ids}
    for chunk in _chunks(list(found)):
        for _receiver, answer in draft_packet_claims.send(sender=None, person_ids=chunk):
            for _review, (person_id, claims) in sorted(answer.items()):
                found[person_id].extend(claims)
    return found


def review_managers(review_ids: Iterable[int]) -> dict[int, int | None]:
    """The manager assessing each review, by review id (the author of the manager's part of its packet), as
    the reviews app answers ``review_managers``."""
    managers: dict[int, int | None] = {}
    wanted = list(review_ids)
    for _receiver, answer in review_managers_signal.send(sender=None, review_ids=wanted):
        managers.update(answer)
    return managers


# (key in DoraMetrics.to_json(), label, unit, higher is better)
DORA_SERIES = (
    ("deployment_frequency_per_week", "Deployments per week", "deployments per week", True),
    ("lead_time_hours", "Change lead time (median)", "hours", False),
    ("change_fail_rate", "Change fail rate", "share of deployments", False),
)


def team_series(team: Any, *, start: datetime, end: datetime, subject: Any) -> list[Any]:
    """Weekly delivery series of each service the team owns, and its pages per week (health)."""
    return teams_series([(team, subject)], start=start, end=end)[team.pk]


def teams_series(teams: Sequence[tuple[Any, Any]], *, start: datetime, end: datetime) -> dict[int, list[Any]]:
    """``team_series`` of many ``(team, subject)`` pairs, by team id: the delivery data of all their services
    is read once (a service's figures depend on its own rows only), the pages in one query."""
    from brightline.core.delivery import compute_dora_metrics_by_period
    from brightline.core.insights import MetricSeries
    from brightline.evidence.metrics import check_window
    from brightline.evidence.tables import build_delivery_data

    subjects = {team.pk: subject for team, subject in teams}
    series: dict[int, list[MetricSeries]] = {pk: [] for pk in subjects}
    services = list(Service.objects.filter(team_id__in=list(subjects)).select_related("team").order_by("name"))
    by_period: dict[str, list[Any]] = {}
    try:
        check_window(start, end, "week")
    except MetricsError:  # a window too long to chart: no service series, as one service at a time found
        services_charted = []
    else:
        services_charted = services
    if services_charted:
        data = build_delivery_data(services_charted, window=(start, end))
        by_period = compute_dora_metrics_by_period(data, start=start, end=end, period="week")
    for service in services_charted:
        periods = by_period.get(service.name)
        if periods is None:  # no production deployment yet
            continue
        # Only whole weeks inside the window are searched: the periods are calendar weeks, so the first one
        # may start before the window and the last (the running week) end after it, holding part of a week.
        periods = [p for p in periods if (p.period_end - p.period_start).days == 7
                   and p.period_start >= start and p.period_end <= end]
        # The series starts with the service's first week of deployments: the weeks before it are not weeks in
        # which deployments fell to none (the service had not shipped yet, or its history was not ingested).
        while periods and not periods[0].deployments:
            periods.pop(0)
        subject = subjects[service.team_id]
        for key, label, unit, higher_is_better in DORA_SERIES:
            points = []
            for period in periods:
                value = period.to_json()[key]
                if isinstance(value, dict):
                    value = value.get("median")
                if value is not None:
                    points.append((period.period_start.date(), float(value)))
            series[service.team_id].append(MetricSeries(
                name=f"{service.name}:{key}", unit=unit, subject=subject, points=tuple(points),
                higher_is_better=higher_is_better, label=f"{label} of {service.name}",
                ref=ItemRef("metric_series", f"service:{service.pk}:{key}:week")))
    # Whole Monday-to-Sunday weeks inside the window, so every point counts seven days.
    mondays: list[date] = []
    cursor = start.date() + timedelta(days=(7 - start.date().weekday()) % 7)
    while cursor + timedelta(days=7) <= end.date():
        mondays.append(cursor)
        cursor += timedelta(days=7)
    weeks: dict[int, dict[date, int]] = {pk: dict.fromkeys(mondays, 0) for pk in subjects}
    for team_id, paged_at in Page.objects.filter(service__team_id__in=list(subjects), paged_at__gte=start,
                                                 paged_at__lt=end).values_list("service__team_id", "paged_at"):
        day = paged_at.date()
        monday = day - timedelta(days=day.weekday())
        if monday in weeks[team_id]:
            weeks[team_id][monday] += 1
    for team, subject in teams:
        counts = weeks[team.pk]
        if counts and any(counts.values()):
            series[team.pk].append(MetricSeries(
                name=f"team:{team.slug}:pages", unit="pages per week", subject=subject,
                points=tuple(sorted((day, float(n)) for day, n in counts.items())), higher_is_better=False,
                label=f"On-call pages of {team.name}", ref=ItemRef("metric_series", f"team:{team.pk}:pages:week")))
    return series
