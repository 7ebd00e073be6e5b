"""Read what other apps store into the pure core's plain dataclasses.

The feedback and evidence apps are feature-detected: when a model is not installed, its adapter
returns nothing and the signals it would feed are simply not computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.apps import apps

from brightline.core.insights import Claim, Comment, EvidenceRef, ItemRef, PacketClaim
from brightline.core.narrative import find_citations
from brightline.evidence.models import EvidenceItem
from brightline.people.models import Dimension

# Which prompt each stored field answers; "growth" fields are read as concerns.
RESPONSE_FIELDS = (("what_they_did", "strength"), ("impact", "strength"), ("one_thing_to_grow", "growth"))
CHECKPOINT_FIELDS = (("wins", "strength"), ("misses", "growth"), ("impact", "strength"), ("next_steps", "general"))
COMMENTARY_FIELDS = (("owned", "general"), ("ambiguity", "general"), ("coaching", "general"), ("growth", "general"))

def model_or_none(app_label: str, model_name: str) -> Any:
    if not apps.is_installed(f"brightline.{app_label}"):
        return None
    try:
        return apps.get_model(app_label, model_name)
    except LookupError:
        return None


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
    response_model = model_or_none("feedback", "FeedbackResponse")
    if response_model is not None:
        from brightline.feedback.services import released_responses  # the one anonymity rule

        responses = list(response_model.objects.filter(request__subject_id__in=ids)
                         .select_related("request", "invitation").order_by("request_id", "sequence"))
        by_request: dict[int, list[Any]] = {}
        for response in responses:
            by_request.setdefault(response.request_id, []).append(response)
        for request_responses in by_request.values():
            request = request_responses[0].request
            request_responses = released_responses(request_responses, anonymous=request.anonymous)
            for response in request_responses:
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
    checkpoint_model = model_or_none("feedback", "Checkpoint")
    if checkpoint_model is not None:
        for checkpoint in checkpoint_model.objects.filter(person_id__in=ids, held_on__gte=start):
            if checkpoint.author_id is None or checkpoint.author_id == checkpoint.person_id:
                continue
            found += _comments(f"checkpoint:{checkpoint.pk}", CHECKPOINT_FIELDS, checkpoint,
                               author_id=str(checkpoint.author_id), subject_id=str(checkpoint.person_id),
                               written_at=_moment(checkpoint.held_on), source=ItemRef("checkpoint", str(checkpoint.pk)))
    commentary_model = model_or_none("feedback", "ManagerCommentary")
    if commentary_model is not None:
        for commentary in commentary_model.objects.filter(person_id__in=ids):
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
    items = EvidenceItem.objects.filter(person_id=person_id, occurred_at__date__gte=start, occurred_at__date__lte=end)
    return [evidence_ref(item) for item in items]


def team_evidence_counts(team: Any, *, start: date, end: date) -> dict[str, int]:
    """Evidence items of each kind about the team's active members or the team itself, in the window."""
    from django.db.models import Count, Q

    items = EvidenceItem.objects.filter(Q(person__team=team, person__is_active=True) | Q(team=team),
                                        occurred_at__date__gte=start, occurred_at__date__lte=end)
    return dict(items.values_list("kind").annotate(n=Count("id")).order_by("kind").values_list("kind", "n"))


def _decimal_text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    return format(value.normalize(), "f")


def claims_of(person_id: int, *, start: date) -> tuple[list[Claim], dict[str, str]]:
    """Accomplishments as claims (cited = linked evidence plus ``[E:id]`` citations in the text),
    and each claim's narrative text by claim id (for theme matching)."""
    model = model_or_none("feedback", "Accomplishment")
    if model is None:
        return [], {}
    claims, texts = [], {}
    for accomplishment in model.objects.filter(person_id=person_id, created_at__date__gte=start).prefetch_related(
            "evidence"):
        narrative = accomplishment.narrative_text()
        cited = [evidence_ref(item) for item in EvidenceItem.objects.filter(pk__in=_accomplishment_evidence_ids(
            accomplishment))]
        numbers = tuple(text for text in (_decimal_text(accomplishment.measure_before),
                                          _decimal_text(accomplishment.measure_after)) if text)
        ref = ItemRef("accomplishment", str(accomplishment.pk))
        claims.append(Claim(ref=ref, title=accomplishment.title, checked_text=accomplishment.result,
                            cited=tuple(cited), claimed_numbers=numbers,
                            made_on=accomplishment.created_at.date()))
        texts[ref.id] = narrative
    return claims, texts


def _accomplishment_evidence_ids(accomplishment: Any) -> set[int]:
    """Linked evidence plus ``[E:id]`` citations in the narrative."""
    cited_ids = {item.pk for item in accomplishment.evidence.all()}
    return cited_ids | {int(c.evidence_id) for c in find_citations(accomplishment.narrative_text())
                        if c.evidence_id.isdigit()}


# A packet is a draft until calibration starts (the reviews app's phase names).
DRAFT_PACKET_PHASES = ("evidence", "self_review", "manager_assessment")
# The manager's narrative fields (reviews.Review) and how a reader calls them.
NARRATIVE_FIELDS = (("manager_summary", "summary"), ("cross_functional_impact", "cross-functional impact"),
                    ("scope_growth", "scope growth"))
AI_REFERENCE_KINDS = frozenset({"signal"})


def _packet_citations(text: str, references: Iterable[str] = ()) -> tuple[tuple[ItemRef, ...], tuple[ItemRef, ...]]:
    """What a packet claim cites — ``[E:id]`` in its text and stored ``kind:id`` references — as
    (human evidence, AI signals)."""
    found = [ItemRef("evidence_item", c.evidence_id) for c in find_citations(text or "")
             if c.syntax in {"canonical", "evidence"} and c.evidence_id.isdigit()]
    for reference in references:
        kind, _, object_id = str(reference).partition(":")
        if kind and object_id:
            found.append(ItemRef(kind.strip(), object_id.strip()))
    unique = list(dict.fromkeys(found))
    return (tuple(ref for ref in unique if ref.kind not in AI_REFERENCE_KINDS),
            tuple(ref for ref in unique if ref.kind in AI_REFERENCE_KINDS))


def draft_packets(*, review_id: int | None = None, accomplishment_id: int | None = None) -> dict[int, int]:
    """Person id by review id of the draft review packets (before calibration): the one review, or those that
    chose the accomplishment (its packet item outlives a deleted accomplishment, so this answers right after
    a deletion too)."""
    review_model = model_or_none("reviews", "Review")
    if review_model is None:
        return {}
    reviews = review_model.objects.filter(cycle__phase__in=DRAFT_PACKET_PHASES)
    if review_id is not None:
        reviews = reviews.filter(pk=review_id)
    if accomplishment_id is not None:
        reviews = reviews.filter(packet_items__kind="accomplishment", packet_items__selected_accomplishment=True,
                                 packet_items__object_id=str(accomplishment_id))
    return dict(sorted(set(reviews.values_list("pk", "person_id"))))


def review_managers(review_ids: Iterable[int]) -> dict[int, int | None]:
    """The manager assessing each review, by review id: the author of the manager's part of its packet."""
    review_model = model_or_none("reviews", "Review")
    if review_model is None:
        return {}
    return dict(review_model.objects.filter(pk__in=list(review_ids)).values_list("pk", "manager_id"))


def packet_claims_of(person_id: int, *, review_ids: Iterable[int] | None = None) -> list[PacketClaim]:
    """The claims written into the person's draft review packets (before calibration), with what each cites;
    with ``review_ids``, of those packets only.

    The self review and the chosen accomplishments are the person's; the assessment of each dimension
    (once it has an outcome or a rationale) and the narrative fields (once written) are the manager's.
    """
    review_model = model_or_none("reviews", "Review")
    if review_model is None:
        return []
    accomplishment_model = model_or_none("feedback", "Accomplishment")
    dimensions = dict(Dimension.choices)
    claims: list[PacketClaim] = []
    reviews = (review_model.objects.filter(person_id=person_id, cycle__phase__in=DRAFT_PACKET_PHASES)
               .select_related("cycle").prefetch_related("assessments").order_by("pk"))
    if review_ids is not None:
        reviews = reviews.filter(pk__in=list(review_ids))
    for review in reviews:
        common: dict[str, Any] = {"packet": str(review.pk), "packet_name": review.cycle.name}
        review_ref = ItemRef("review", str(review.pk))
        if review.self_review_context.strip():
            human, ai = _packet_citations(review.self_review_context)
            claims.append(PacketClaim(ref=review_ref, part="self_review", slot="context", label="the self review",
                                      written_by="person", cited=human, ai_cited=ai, **common))
        chosen = review.packet_items.filter(kind="accomplishment", selected_accomplishment=True).values_list(
            "object_id", flat=True)
        if accomplishment_model is not None:
            for accomplishment in accomplishment_model.objects.filter(pk__in=list(chosen)).prefetch_related(
                    "evidence").order_by("pk"):
                cited = tuple(ItemRef("evidence_item", str(pk)) for pk in sorted(
                    _accomplishment_evidence_ids(accomplishment)))
                claims.append(PacketClaim(
                    ref=ItemRef("accomplishment", str(accomplishment.pk)), part="accomplishment",
                    slot=str(accomplishment.pk), label=f"“{accomplishment.title}”, one of the chosen accomplishments,",
                    written_by="person", cited=cited, **common))
        for assessment in sorted(review.assessments.all(), key=lambda a: a.dimension):
            if not (assessment.proposed_outcome or assessment.rationale.strip()):
                continue
            human, ai = _packet_citations(assessment.rationale, assessment.citations)
            label = dimensions.get(assessment.dimension, assessment.dimension).lower()
            claims.append(PacketClaim(
                ref=ItemRef("dimension_assessment", str(assessment.pk)), part="assessment", slot=assessment.dimension,
                label=f"the manager's assessment of {label}", written_by="manager", cited=human, ai_cited=ai,
                detail={"dimension": assessment.dimension}, **common))
        for field_name, label in NARRATIVE_FIELDS:
            text = getattr(review, field_name).strip()
            if text:
                human, ai = _packet_citations(text)
                claims.append(PacketClaim(ref=review_ref, part="narrative", slot=field_name,
                                          label=f"the manager's {label}", written_by="manager", cited=human,
                                          ai_cited=ai, **common))
        if review.promotion_readiness != "not_assessed" or review.promotion_rationale.strip():
            human, ai = _packet_citations(review.promotion_rationale, review.promotion_citations)
            claims.append(PacketClaim(ref=review_ref, part="narrative", slot="promotion_readiness",
                                      label="the manager's promotion readiness", written_by="manager", cited=human,
                                      ai_cited=ai, **common))
    return claims


# (key in DoraMetrics.to_json(), label, unit, higher is better)
DORA_SERIES = (
    ("deployment_frequency_per_week", "Deployments per week", "deployments per week", True),
    ("lead_time_hours", "Change lead time (median)", "hours", False),
    ("change_fail_rate", "Change fail rate", "share of deployments", False),
)


def team_series(team: Any, *, start: datetime, end: datetime, subject: Any) -> list[Any]:
    """Weekly delivery series of each service the team owns, and its pages per week (health)."""
    from brightline.core.insights import MetricSeries

    service_model = model_or_none("evidence", "Service")
    if service_model is None:
        return []
    try:
        from brightline.evidence.metrics import service_dora_by_period
    except ImportError:
        return []
    series: list[MetricSeries] = []
    for service in service_model.objects.filter(team=team).order_by("name"):
        periods = service_dora_by_period(service, start=start, end=end, period="week")
        # The first and last weeks are clipped to the window; only whole weeks are searched.
        periods = [p for p in periods if (p.period_end - p.period_start).days == 7]
        for key, label, unit, higher_is_better in DORA_SERIES:
            points = []
            for period in periods:
                value = period.to_json()[key]
                if isinstance(value, dict):
                    value = value.get("median")
                if value is not None:
                    points.append((period.period_start.date(), float(value)))
            series.append(MetricSeries(name=f"{service.name}:{key}", unit=unit, subject=subject, points=tuple(points),
                                       higher_is_better=higher_is_better, label=f"{label} of {service.name}",
                                       ref=ItemRef("metric_series", f"service:{service.pk}:{key}:week")))
    page_model = model_or_none("evidence", "Page")
    if page_model is not None:
        weeks: dict[date, int] = {}
        # Whole Monday-to-Sunday weeks inside the window, so every point counts seven days.
        cursor = start.date() + timedelta(days=(7 - start.date().weekday()) % 7)
        while cursor + timedelta(days=7) <= end.date():
            weeks[cursor] = 0
            cursor += timedelta(days=7)
        for paged_at in page_model.objects.filter(service__team=team, paged_at__gte=start,
                                                  paged_at__lt=end).values_list("paged_at", flat=True):
            day = paged_at.date()
            monday = day - timedelta(days=day.weekday())
            if monday in weeks:
                weeks[monday] += 1
        if weeks and any(weeks.values()):
            series.append(MetricSeries(name=f"team:{team.slug}:pages", unit="pages per week", subject=subject,
                                       points=tuple(sorted((day, float(n)) for day, n in weeks.items())),
                                       higher_is_better=False, label=f"On-call pages of {team.name}",
                                       ref=ItemRef("metric_series", f"team:{team.pk}:pages:week")))
    return series
