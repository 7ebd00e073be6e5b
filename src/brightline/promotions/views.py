"""Promotion pages: nominate, gather readiness evidence, panel, decision, appeal; open roles and the rates report.

Views parse input, ask ``access`` and call one service; every read of someone else's case is logged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brightline import access
from brightline.core.narrative import find_citations
from brightline.evidence.models import EvidenceItem
from brightline.people.models import Level, Person
from brightline.promotions import services
from brightline.promotions.models import CaseAppeal, CaseDecision, CaseStatus, OpenRoles, PromotionCase

ERR_CANNOT_SEE = "A promotion case is visible to the person, their management chain, people partners and its panel."
ERR_REPORT = "Promotion rates are aggregates for people partners and leaders."


_viewer = access.request_person  # the signed-in person (request.person), or 403


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    reports = list(access.people_managed_by(viewer).filter(is_active=True, level__isnull=False)
                   .select_related("level")) if viewer.is_manager else []
    # Someone with an open case cannot be nominated again: the list says where their case stands instead.
    open_cases = services.open_cases_of([viewer.pk, *(person.pk for person in reports)])
    return render(request, "promotions/index.html", {
        "cases": services.cases_visible_to(viewer), "viewer": viewer, "own_open_case": open_cases.get(viewer.pk),
        "reports": [(person, open_cases.get(person.pk)) for person in reports],
        "can_run": access.can_run_promotions(viewer), "can_report": access.can_view_promotion_report(viewer)})


@require_http_methods(["GET", "POST"])
def nominate(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    person = get_object_or_404(Person.objects.select_related("level"), pk=person_id)
    access.open_person_record(viewer, person, what="promotions.case", denied=services.ERR_CANNOT_NOMINATE,
                              allowed=access.can_nominate_for_promotion(viewer, person))
    error = ""
    if request.method == "POST":
        try:
            case = services.nominate_for_promotion(person, actor=viewer, rationale=request.POST.get("rationale", ""))
        except services.PromotionError as refused:
            error = str(refused)
        else:
            messages.success(request, "Nomination opened. Now cite evidence for each expectation of the next level.")
            return redirect("promotions:case", case_id=case.pk)
    next_level = person.level.next_level() if person.level else None
    return render(request, "promotions/nominate.html", {
        "person": person, "next_level": next_level, "error": error, "posted": request.POST,
        "is_self": access.is_self(viewer, person), "min_citations": services.MIN_CITATIONS_PER_EXPECTATION,
        "min_quarters": services.CONSISTENCY_QUARTERS, "max_per_item": services.MAX_EXPECTATIONS_PER_ITEM,
        # The items "Why now" can cite as [E:id], so the nominator need not guess a number.
        "evidence": EvidenceItem.objects.filter(person=person).order_by("-occurred_at", "-pk")[:30]
        if next_level else []})


def _case(viewer: Person, case_id: int) -> PromotionCase:
    case = get_object_or_404(PromotionCase.objects.select_related(
        "person", "from_level", "to_level", "nominated_by", "accountable", "decided_by"), pk=case_id)
    access.open_person_record(viewer, case.person, what="promotions.case", denied=ERR_CANNOT_SEE,
                              allowed=access.can_view_promotion_case(viewer, case))
    return case


@require_GET
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    viewer = _viewer(request)
    case = _case(viewer, case_id)
    can_cite = access.can_cite_for_promotion(viewer, case) and case.status == CaseStatus.NOMINATED
    can_run = access.can_run_promotions(viewer)
    is_panelist = access.is_promotion_panelist(viewer, case)
    appeals = list(case.appeals.select_related("reviewer", "escalation_reviewer"))
    open_appeal = next((appeal for appeal in appeals if appeal.is_open), None)
    escalable = next((appeal for appeal in appeals if services.can_escalate_promotion_appeal(appeal)), None)
    is_self = access.is_self(viewer, case.person)
    context: dict[str, Any] = {
        "case": case, "readiness": services.readiness(case), "is_self": is_self,
        "memo": services.memo_for(case, viewer) if case.is_decided else {},
        "can_cite": can_cite, "can_run": can_run, "is_panelist": is_panelist,
        "can_see_decision": access.can_view_promotion_decision(viewer, case),
        "panel": list(case.panelists.select_related("person")),
        "pre_votes": services.pre_votes(case, viewer=viewer), "decisions": CaseDecision.choices,
        "appeals": appeals, "open_appeal": open_appeal,
        "can_appeal": is_self and case.is_decided and not appeals
        and timezone.localdate() <= services.appeal_deadline(case),
        "escalable_appeal": escalable if is_self else None,
        "escalation_deadline": services.escalation_deadline(escalable) if escalable else None,
        "appeal_deadline": services.appeal_deadline(case) if case.is_decided else None,
        "appeal_decisions": CaseAppeal.Decision.choices,
    }
    if can_cite:
        context["evidence"] = EvidenceItem.objects.filter(person=case.person).order_by("-occurred_at")[:60]
        # The nomination's reasons may name items as [E:n]; they count only once cited under an expectation.
        context["nomination_cites"] = list(dict.fromkeys(
            citation.evidence_id for citation in find_citations(case.rationale or "")
            if citation.evidence_id.isdigit()))
    if can_run and case.status == CaseStatus.NOMINATED:
        # Each with their level, and those the conflict rules exclude marked, so a panel is chosen knowingly.
        excluded = services.excluded_person_ids(case)
        context["candidates"] = [(person, person.pk in excluded) for person in Person.objects.filter(
            is_active=True).exclude(pk=case.person_id).select_related("level").order_by("name")]
    if can_run and open_appeal is not None and (
            open_appeal.status == CaseAppeal.Status.REQUESTED
            or open_appeal.status == CaseAppeal.Status.ESCALATED and open_appeal.escalation_reviewer_id is None):
        context["reviewers"] = [person for person in Person.objects.filter(is_active=True).order_by("name")
                                if services.appeal_reviewer_refusal(person, case) is None
                                and person.pk != open_appeal.reviewer_id]
    if can_run or is_panelist:
        # Only people the case's conflict rules leave in: not the person, their chain or the nominator.
        context["accountable_choices"] = Person.objects.filter(is_active=True) \
            .exclude(pk__in=services.excluded_person_ids(case)).order_by("name")
    context["next_step"] = services.next_step(case, readiness=context["readiness"], pre_votes=context["pre_votes"],
                                              viewer=viewer)
    return render(request, "promotions/case.html", context)


def _cite(request: HttpRequest, viewer: Person, case: PromotionCase) -> str:
    reference = request.POST.get("reference", "").strip()
    if reference.isdigit():
        reference = f"evidence_item:{reference}"
    services.cite_for_promotion(case, actor=viewer, dimension=request.POST.get("dimension", ""),
                                reference=reference, note=request.POST.get("note", ""))
    return "Evidence cited."


def _panel(request: HttpRequest, viewer: Person, case: PromotionCase) -> str:
    members = Person.objects.filter(pk__in=[pk for pk in request.POST.getlist("members") if pk.isdigit()])
    seats = services.seat_promotion_panel(case, actor=viewer, members=members)
    excluded = [seat for seat in seats if seat.conflict]
    return f"Panel seated: {len(seats) - len(excluded)} members; {len(excluded)} excluded for a conflict of interest."


def _pre_vote(request: HttpRequest, viewer: Person, case: PromotionCase) -> str:
    recorded = services.record_promotion_pre_vote(case, panelist=viewer, vote=request.POST.get("vote", ""),
                                                  note=request.POST.get("note", ""))
    return (f"Pre-vote recorded: you voted {services.vote_in_words(recorded.vote)}. The others stay hidden until "
            "every panelist has voted.")


def _decide(request: HttpRequest, viewer: Person, case: PromotionCase) -> str:
    accountable_id = request.POST.get("accountable", "")
    accountable = Person.objects.filter(pk=accountable_id).first() if accountable_id.isdigit() else None
    if accountable is None:
        raise services.PromotionError(services.ERR_CHOOSE_ACCOUNTABLE)
    services.decide_promotion_case(case, actor=viewer, decision=request.POST.get("decision", ""),
                                   reason=request.POST.get("reason", ""), accountable=accountable,
                                   citations=request.POST.getlist("citations"))
    return "Decision recorded, with its memo."


def _appeal(request: HttpRequest, viewer: Person, case: PromotionCase) -> str:
    services.file_promotion_appeal(case, actor=viewer, context=request.POST.get("context", ""))
    return "Appeal filed. A people partner assigns a second reviewer from outside your management chain."


def _open_appeal(case: PromotionCase) -> CaseAppeal:
    appeal = case.appeals.filter(status__in=CaseAppeal.OPEN_STATES).first()
    if appeal is None:
        raise services.PromotionError(services.ERR_APPEAL_STATE.format(status="not open"))
    return appeal


def _assign(request: HttpRequest, viewer: Person, case: PromotionCase) -> str:
    reviewer = get_object_or_404(Person, pk=request.POST.get("reviewer") or 0)
    services.assign_promotion_appeal_reviewer(_open_appeal(case), actor=viewer, reviewer=reviewer)
    return f"{reviewer.name} reviews the appeal."


def _decide_appeal(request: HttpRequest, viewer: Person, case: PromotionCase) -> str:
    services.decide_promotion_appeal(_open_appeal(case), reviewer=viewer, decision=request.POST.get("decision", ""),
                                     reason=request.POST.get("reason", ""))
    return "Appeal decided."


def _escalate_appeal(request: HttpRequest, viewer: Person, case: PromotionCase) -> str:
    appeal = case.appeals.filter(status=CaseAppeal.Status.DECIDED).first()
    if appeal is None:
        raise services.PromotionError(services.ERR_APPEAL_STATE.format(status="not decided"))
    services.escalate_promotion_appeal(appeal, actor=viewer, reason=request.POST.get("reason", ""))
    return ("Appeal taken one step further. A people partner assigns a different reviewer from outside your "
            "management chain; their decision is final.")


def _withdraw(request: HttpRequest, viewer: Person, case: PromotionCase) -> str:
    services.withdraw_promotion_case(case, actor=viewer, reason=request.POST.get("reason", ""))
    return "Case withdrawn."


ACTIONS: dict[str, Callable[[HttpRequest, Person, PromotionCase], str]] = {
    "cite": _cite, "panel": _panel, "pre-vote": _pre_vote, "decide": _decide, "appeal": _appeal,
    "assign-reviewer": _assign, "decide-appeal": _decide_appeal, "escalate-appeal": _escalate_appeal,
    "withdraw": _withdraw,
}


@require_POST
def case_action(request: HttpRequest, case_id: int, action: str) -> HttpResponse:
    viewer = _viewer(request)
    handler = ACTIONS.get(action)
    if handler is None:
        raise PermissionDenied("There is no such step for a promotion case.")
    case = _case(viewer, case_id)
    try:
        messages.success(request, handler(request, viewer, case))
    except services.PromotionError as refused:
        messages.error(request, f"Nothing was saved: {refused}.")
    return redirect("promotions:case", case_id=case.pk)


def _this_year() -> str:
    return str(timezone.localdate().year)


@require_http_methods(["GET", "POST"])
def open_roles(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not access.can_run_promotions(viewer):
        raise PermissionDenied("Open roles are entered by people partners.")
    period = request.GET.get("period") or request.POST.get("period") or _this_year()
    error = ""
    if request.method == "POST":
        level = Level.objects.filter(code=request.POST.get("level", "")).first()
        try:
            if level is None:
                raise services.PromotionError("choose a level")
            services.set_open_roles(level, actor=viewer, period=period, count=request.POST.get("count", ""),
                                    note=request.POST.get("note", ""))
        except services.PromotionError as refused:
            error = str(refused)
        else:
            messages.success(request, f"Open roles at {level.code} for {period} saved.")
            return redirect(f"{request.path}?period={period}")
    return render(request, "promotions/open_roles.html", {
        "period": period, "levels": Level.objects.select_related("ladder"), "error": error, "posted": request.POST,
        "roles": OpenRoles.objects.filter(period=period).select_related("level", "entered_by")})


@require_GET
def rates(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not access.can_view_promotion_report(viewer):
        raise PermissionDenied(ERR_REPORT)
    period = request.GET.get("period", "")
    if not (len(period) == 4 and period.isdigit()):
        period = _this_year()
    year = int(period)
    return render(request, "promotions/rates.html", {
        "report": services.promotion_rates(period), "period": period,
        "years": [str(y) for y in range(year - 2, year + 2)], "can_run": access.can_run_promotions(viewer),
        "today": dt.date.today(), "period_open": year >= timezone.localdate().year})
