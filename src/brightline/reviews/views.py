"""Pages for each persona in a review cycle. Views parse the form, call one service, and render."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brightline import access
from brightline.audit.services import record_reads
from brightline.core.narrative import check_text
from brightline.evidence.models import EvidenceItem
from brightline.feedback.models import Accomplishment
from brightline.insights.models import Signal
from brightline.insights.services import run_insights
from brightline.insights.views import packet_evidence_cards
from brightline.people.criteria import level_criteria
from brightline.people.models import Dimension, Person, Team, WorkloadClass
from brightline.people.sso import sso_enabled
from brightline.reviews import packet_items, services
from brightline.reviews.models import (
    PHASE_ORDER,
    Appeal,
    CalibrationChange,
    Outcome,
    PacketAnnotation,
    Phase,
    PromotionReadiness,
    Review,
    ReviewCycle,
    phase_index,
)
from brightline.reviews.packet import build_packet, render_packet_pdf
from brightline.reviews.packet_claims import DRAFT_PACKET_PHASES
from brightline.reviews.services import appeals as appeal_rules
from brightline.reviews.services import assessment as assessment_rules
from brightline.reviews.services import calibration as calibration_rules
from brightline.reviews.services import common as common_rules
from brightline.reviews.services import preview as packet_notes
from brightline.reviews.services import reminders

DENIED_PACKET_CHECK = "Only the person or the manager writing a draft packet can check it."
ERR_PRE_VOTE_UNCHOSEN = "Choose your pre-vote for every dimension ({dimensions} not chosen): nothing was recorded."
ERR_CONFLICT_UNSAID = "Say what the conflict is (a friend, a former report, …): nothing was recorded."
ERR_PACKET_NOT_DRAFT = "This packet is past its draft phases; its claims are no longer checked."


_viewer = access.request_person  # the signed-in person (request.person), or 403


def _review_for(request: HttpRequest, review_id: int) -> tuple[Person, Review]:
    viewer = _viewer(request)
    review = get_object_or_404(Review.objects.select_related("cycle", "person", "manager", "level", "team"),
                               pk=review_id)
    allowed = access.can_view_review(viewer, review)
    # A panelist refused is told why (the step has not started, is over, or they take no part in this decision).
    denied = api_error() if allowed else services.panel_refusal(review, viewer) or api_error()
    access.open_person_record(viewer, review.person, what="reviews.review", denied=denied, allowed=allowed)
    return viewer, review


def api_error() -> str:
    return ("You can see this review only as the person, their management chain, a people partner, an eligible "
            "panelist or the appeal reviewer.")


def _act(request: HttpRequest, action: Callable[[], Any], success: str, target: str) -> HttpResponse:
    try:
        action()
    except services.ReviewError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, success)
    return redirect(target)


def _form_errors_key(review: Review) -> str:
    return f"review-form-errors:{review.pk}"


def _appeal_errors_key(appeal: Appeal) -> str:
    return f"appeal-form-errors:{appeal.pk}"


def _template_pattern(template: str) -> re.Pattern[str]:
    """A service's message template (``"{name} is not on …"``) as a pattern its filled-in messages match."""
    parts = string.Formatter().parse(template)
    return re.compile("".join(re.escape(text) + (".*?" if field is not None else "")
                              for text, field, _, _ in parts), re.S)


def _field_of(message: str, rules: Iterable[tuple[str, str]]) -> str:
    """The form field a refusal is about, by the first of ``rules`` (a message template, a field) it matches."""
    for template, field in rules:
        if _template_pattern(template).fullmatch(message):
            return field
    return ""


# Refusals about a cited item, whichever field named it.
CITATION_REFUSALS = (packet_items.ERR_BAD_REFERENCE, packet_items.ERR_UNKNOWN_KIND, packet_items.ERR_NOT_FOUND,
                     packet_items.ERR_NOT_ABOUT_PERSON, packet_items.ERR_NOT_VISIBLE,
                     packet_items.ERR_SIGNAL_NOT_ACCEPTED)


def _refuse_beside(request: HttpRequest, key: str, form: str, error: Exception, *, fields: Iterable[str] = (),
                   values: Mapping[str, Any] | None = None) -> None:
    """Keep a refusal for the next page, to be shown in the form that caused it: the message, the fields it is
    about (marked on the form) and what the person had typed (put back in the form)."""
    errors = request.session.get(key, {})
    errors[form] = {"message": str(error), "fields": [field for field in fields if field],
                    "values": dict(values or {})}
    request.session[key] = errors


_EVIDENCE_KEY = re.compile(r"\bevidence_item:(\d+)\b")


def _refusal(errors: Mapping[str, Any], form: str) -> dict[str, Any]:
    """The refusal kept for ``form`` (see ``_refuse_beside``), or an empty one: message, fields, values."""
    kept = errors.get(form)
    if isinstance(kept, str):  # kept by a page served before refusals carried their fields
        kept = {"message": kept}
    kept = kept or {}
    # An evidence item as every page cites it ([E:12]), not by its stored key.
    message = _EVIDENCE_KEY.sub(r"[E:\1]", kept.get("message", ""))
    return {"message": _sentence(message) if message else "", "fields": list(kept.get("fields", [])),
            "values": dict(kept.get("values", {}))}


def _act_inline(request: HttpRequest, review: Review, form: str, action: Callable[[], Any], success: str,
                target: str, *, values: Mapping[str, Any] | None = None,
                field_of: Callable[[str], Iterable[str]] | None = None) -> HttpResponse:
    """Like ``_act``, but a refusal is shown beside the form that caused it (and the page scrolls there), with
    the fields it is about marked (``field_of`` the message) and what was typed (``values``) kept."""
    try:
        action()
    except services.ReviewError as error:
        _refuse_beside(request, _form_errors_key(review), form, error,
                       fields=field_of(str(error)) if field_of else (), values=values)
        return redirect(f"{target}#form-{form}")
    messages.success(request, success)
    return redirect(target)


def _lines(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


def _chosen(post: Any, name: str) -> list[str]:
    """References ticked in a list of choices (``accomplishment:4``), or written in an older form's text box."""
    return [line for value in post.getlist(name) for line in _lines(value)]


def _citable(review: Review) -> list[tuple[str, str]]:
    """What an assessor may cite beside the evidence list, by title: the person's accomplishments and the AI
    signals about them that a person accepted."""
    rows = [(f"accomplishment:{a.pk}", f"Accomplishment: {a.title}")
            for a in Accomplishment.objects.filter(person=review.person).order_by("-pk")[:30]]
    accepted = Signal.objects.filter(person=review.person, status=Signal.Status.ACCEPTED).order_by("-pk")[:20]
    rows += [(f"signal:{signal.pk}", f"Accepted AI signal: {signal.statement}") for signal in accepted]
    return rows


# ------------------------------------------------------------------------------------------ index


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    reviews = Review.objects.select_related("cycle", "person")
    panel_reviews = [r for r in reviews.filter(cycle__panel_members__person=viewer,
                                               cycle__phase=Phase.CALIBRATION).distinct()
                     if access.can_decide_in_calibration(viewer, r)]
    # Cycles whose panel the viewer sits on before calibration starts: the page says when the names come and why.
    panel_waiting = ReviewCycle.objects.filter(panel_members__person=viewer,
                                               phase__in=DRAFT_PACKET_PHASES).distinct().order_by("pk")
    context = {
        "panel_waiting": [(cycle, cycle.schedule.get(Phase.MANAGER_ASSESSMENT, "")) for cycle in panel_waiting],
        "own": reviews.filter(person=viewer),
        "to_assess": reviews.filter(manager=viewer).exclude(cycle__phase=Phase.CLOSED),
        "panel_reviews": panel_reviews,
        "appeals": Appeal.objects.filter(reviewer=viewer).select_related("review__person") |
        Appeal.objects.filter(escalation_reviewer=viewer).select_related("review__person"),
        "cycles": ReviewCycle.objects.all() if access.can_run_cycles(viewer) else [],
        "can_run_cycles": access.can_run_cycles(viewer),
        "to_remind": reminders.grouped(reminders.outstanding_for_manager(viewer)),
    }
    return render(request, "reviews/index.html", context)


# ----------------------------------------------------------------------------------------- cycles


# The dates the cycle form suggests, in days from today: a ten-week cycle (each can be changed on the form).
SUGGESTED_PHASE_DAYS = {Phase.EVIDENCE: 14, Phase.SELF_REVIEW: 21, Phase.MANAGER_ASSESSMENT: 35,
                        Phase.CALIBRATION: 42, Phase.DECISION_MEMO: 49, Phase.RELEASE: 56,
                        Phase.ACKNOWLEDGEMENT: 70}


@require_http_methods(["GET", "POST"])
def cycle_new(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not access.can_run_cycles(viewer):
        raise PermissionDenied("Only people partners open review cycles.")
    phases = PHASE_ORDER[:-1]
    errors: dict[str, str] = {}
    error = ""
    if request.method == "POST":
        errors = _cycle_form_errors(request, phases)
        if not errors:
            try:
                teams = list(Team.objects.filter(slug__in=request.POST.getlist("teams")))
                minimum = request.POST.get("min_evidence_per_dimension", "1").strip()
                settings = {"self_review_required": request.POST.get("self_review_required") == "on",
                            "min_evidence_per_dimension": int(minimum) if minimum.isdigit() else minimum}
                cycle = services.open_cycle(actor=viewer, name=request.POST.get("name", ""), teams=teams,
                                            schedule={p: request.POST.get(f"ends_{p}", "") for p in phases},
                                            settings=settings)
            except services.ReviewError as refused:
                # Refusals about a field the form could not check itself: nobody to review in the teams.
                # Or people of those teams already in another open cycle.
                if str(refused) == services.ERR_EMPTY_POPULATION or "one cycle at a time" in str(refused):
                    errors["teams"] = _sentence(str(refused))
                else:
                    error = str(refused)
            else:
                count = cycle.reviews.count()
                messages.success(request, f"Opened '{cycle.name}' for {count} "
                                          f"{'person' if count == 1 else 'people'}.")
                return redirect("reviews:cycle", cycle_id=cycle.pk)
    today = timezone.localdate()
    # What was sent stays on the form after a refusal; a new form suggests every date.
    dates = {p: (request.POST.get(f"ends_{p}", "") if request.method == "POST"
                 else (today + dt.timedelta(days=SUGGESTED_PHASE_DAYS[Phase(p)])).isoformat()) for p in phases}
    labels = {"name": "Name", "teams": "Population", **{f"ends_{p}": f"{Phase(p).label} ends" for p in phases},
              "min_evidence_per_dimension": "Cited evidence per dimension"}
    return render(request, "reviews/cycle_new.html", {
        "phases": [(p, Phase(p).label, dates[p], errors.get(f"ends_{p}", "")) for p in phases],
        "teams": Team.objects.order_by("name"), "chosen_teams": set(request.POST.getlist("teams")),
        "error": error, "errors": errors,
        # The summary lists the problems in the order of the fields, each a link to its field.
        "error_summary": [(field, labels[field], message) for field, message in
                          sorted(errors.items(), key=lambda item: list(labels).index(item[0]))],
        "max_evidence": services.MAX_EVIDENCE_PER_DIMENSION, "posted": request.POST},
        status=400 if error or errors else 200)


def _sentence(message: str) -> str:
    """A service message ("the schedule needs …") as a sentence next to a field."""
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _cycle_form_errors(request: HttpRequest, phases: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Every problem of the cycle form at once, by the id of the field it is about (nothing is opened while
    there is one). The service checks the same rules again; this only finds them all before it is asked."""
    post = request.POST
    errors: dict[str, str] = {}
    if not post.get("name", "").strip():
        errors["name"] = "Give the cycle a name, for example the half-year it reviews."
    schedule = {p: post.get(f"ends_{p}", "").strip() for p in phases}
    for phase, problem in services.schedule_problems(schedule).items():
        errors[f"ends_{phase}"] = _sentence(problem)
    minimum = post.get("min_evidence_per_dimension", "1").strip()
    if not minimum.isdigit() or not 1 <= int(minimum) <= services.MAX_EVIDENCE_PER_DIMENSION:
        errors["min_evidence_per_dimension"] = _sentence(services.ERR_SETTING_MIN_EVIDENCE.format(
            maximum=services.MAX_EVIDENCE_PER_DIMENSION))
    return errors


@require_GET
def cycle_detail(request: HttpRequest, cycle_id: int) -> HttpResponse:
    viewer = _viewer(request)
    if not access.can_run_cycles(viewer):
        raise PermissionDenied("The cycle overview is for people partners.")
    cycle = get_object_or_404(ReviewCycle, pk=cycle_id)
    reviews = cycle.reviews.select_related("person", "manager").prefetch_related("appeals")
    # Names and draft outcomes only for the reviews the viewer has a role in (an administrator has none as such).
    overview = services.cycle_overview(cycle, viewer)
    next_phase = services.next_phase(cycle)
    unfinished = services.unfinished_work(cycle) if next_phase else []
    to_remind = reminders.grouped(reminders.outstanding(cycle, viewer))
    panel = list(cycle.panel_members.select_related("person__user"))
    context = {
        "cycle": cycle, "reviews": reviews, "next_phase": next_phase,
        "next_phase_label": Phase(next_phase).label if next_phase else "",
        "phases": [(p, Phase(p).label, cycle.schedule.get(p, "")) for p in PHASE_ORDER],
        "distribution": [(Dimension(d).label, counts) for d, counts in overview.distribution.items()],
        "overview": overview, "outcomes": Outcome.choices, "flags": overview.flags,
        "panel": panel, "seated_ids": {seat.person_id for seat in panel},
        "cannot_sign_in": _cannot_sign_in([seat.person for seat in panel]),
        "people": Person.objects.filter(is_active=True),
        "appeals": Appeal.objects.filter(review__cycle=cycle).select_related("review__person", "reviewer"),
        "panel_editable": phase_index(cycle.phase) < phase_index(Phase.CALIBRATION),
        "memo_phase": cycle.phase == Phase.DECISION_MEMO,
        "early_end": _early_end(cycle),
        "unfinished": unfinished, "advance_blocked": any(item.blocks for item in unfinished),
        "self_review_closed": phase_index(cycle.phase) > phase_index(Phase.SELF_REVIEW),
        "to_remind": to_remind, "remind_everyone": reminders.remind_everyone_label(to_remind),
    }
    return render(request, "reviews/cycle.html", context)


def _early_end(cycle: ReviewCycle) -> dt.date | None:
    """The day the running phase is scheduled to end, when that is still ahead (advancing now is early)."""
    scheduled = cycle.schedule.get(cycle.phase, "")
    try:
        ends = dt.date.fromisoformat(scheduled) if scheduled else None
    except ValueError:
        return None
    return ends if ends is not None and ends > timezone.localdate() else None


@require_http_methods(["GET", "POST"])
def cycle_advance(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Advance one phase; before its scheduled end, or with work of the phase unfinished, only after a
    confirmation page says what ends early and what is left undone (a cycle never moves back).

    A GET (the confirmation page reloaded, or its address opened again) never advances: it shows the
    confirmation again while one is due, and otherwise sends the person back to the cycle page."""
    viewer = _viewer(request)
    cycle = get_object_or_404(ReviewCycle, pk=cycle_id)
    if not access.can_run_cycles(viewer):
        raise PermissionDenied("Only people partners advance review cycles.")
    early = _early_end(cycle)
    target = services.next_phase(cycle)
    unfinished = services.unfinished_work(cycle) if target is not None else []
    if request.method != "POST" and (target is None or (early is None and not unfinished)):
        return redirect("reviews:cycle", cycle.pk)
    if (early is not None or unfinished) and target is not None and (
            request.method != "POST" or request.POST.get("confirm_early") != "yes"):
        return render(request, "reviews/cycle_advance_confirm.html", {
            "cycle": cycle, "ends": early, "days_left": (early - timezone.localdate()).days if early else 0,
            "next_phase": target, "next_phase_label": Phase(target).label, "unfinished": unfinished,
            "advance_blocked": any(item.blocks for item in unfinished)})
    return _act(request, lambda: services.advance_cycle(cycle, actor=viewer,
                                                        to_phase=request.POST.get("to_phase") or None),
                "The cycle moved to its next phase.", reverse("reviews:cycle", args=[cycle.pk]))


def _cannot_sign_in(people: list[Person]) -> list[Person]:
    """Panelists who could not sign in today to vote: no login, an inactive one, or no password chosen yet while
    single sign-on is off (with it on, the organisation's sign-in creates the login on first use)."""
    if sso_enabled():
        return [person for person in people if person.user is not None and not person.user.is_active]
    return [person for person in people
            if person.user is None or not person.user.is_active or not person.user.has_usable_password()]


@require_POST
def cycle_panel(request: HttpRequest, cycle_id: int) -> HttpResponse:
    viewer = _viewer(request)
    cycle = get_object_or_404(ReviewCycle, pk=cycle_id)
    members = list(Person.objects.filter(pk__in=request.POST.getlist("members")).select_related("user"))
    response = _act(request, lambda: services.set_panel(cycle, actor=viewer, members=members),
                    "Panel seated.", reverse("reviews:cycle", args=[cycle.pk]))
    locked_out = _cannot_sign_in(members) if cycle.panel_members.filter(person__in=members).exists() else []
    if locked_out:
        names = ", ".join(person.name for person in locked_out)
        messages.warning(request, f"{names} cannot sign in yet, so {'they' if len(locked_out) > 1 else 'that person'} "
                                  "could not vote: send an invitation from the panel list below.")
    return response


@require_POST
def cycle_memos(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Generate every memo of the cycle; the accountable person per review defaults to the manager's manager."""
    viewer = _viewer(request)
    cycle = get_object_or_404(ReviewCycle, pk=cycle_id)

    def generate() -> None:
        for review in cycle.reviews.select_related("person", "manager__manager"):
            accountable = (review.manager.manager if review.manager and review.manager.manager else viewer)
            services.generate_decision_memo(review, actor=viewer, accountable=accountable)

    return _act(request, generate, "Decision memos generated from the record.",
                reverse("reviews:cycle", args=[cycle.pk]))


# ----------------------------------------------------------------------------------------- review


def _dimension_rows(viewer: Person, review: Review) -> list[dict[str, Any]]:
    competencies = {c.dimension: c for c in review.level.competencies.all()} if review.level else {}
    next_level = review.level.next_level() if review.level else None
    next_competencies = {c.dimension: c for c in next_level.competencies.all()} if next_level else {}
    criteria = level_criteria(review.level) if review.level else {}
    spread = services.pre_vote_spread(review, viewer=viewer)
    rows = []
    for assessment in review.assessments.all():
        rows.append({
            "assessment": assessment, "competency": competencies.get(assessment.dimension),
            "next_competency": next_competencies.get(assessment.dimension),
            "criteria": criteria.get(assessment.dimension),
            "own_vote": spread.own_votes.get(assessment.dimension, ""),
            "spread": spread.spread.get(assessment.dimension),
            "changes": list(CalibrationChange.objects.filter(assessment=assessment).select_related("actor")),
        })
    return rows


def _memo_display(memo: Any, viewer: Person) -> dict[str, list[dict[str, Any]]]:
    """The memo's changes and dissent with readable names: the memo stores keys, the employee reads labels."""
    if memo is None:
        return {"calibration_changes": [], "dissent": []}
    dimensions, outcomes = dict(Dimension.choices), dict(Outcome.choices)
    sections = services.memo_sections_for(memo.review, memo.sections or {}, viewer)
    changes = [{**change, "dimension": dimensions.get(change.get("dimension"), change.get("dimension")),
                "from": outcomes.get(change.get("from"), change.get("from")),
                "to": outcomes.get(change.get("to"), change.get("to"))}
               for change in sections.get("calibration_changes", [])]
    dissent = [{**row, "dimension": dimensions.get(row.get("dimension"), row.get("dimension")),
                "pre_vote": outcomes.get(row.get("pre_vote"), row.get("pre_vote")),
                "final": outcomes.get(row.get("final"), row.get("final"))}
               for row in sections.get("dissent", [])]
    return {"calibration_changes": changes, "dissent": dissent}


def _packet_evidence(viewer: Person, review: Review) -> list[dict[str, Any]]:
    """The insights layer's checks of this draft packet's claims (C5) that the viewer may see."""
    return packet_evidence_cards(viewer, review.pk, review.person)


@require_POST
def review_check_packet(request: HttpRequest, review_id: int) -> HttpResponse:
    """Recompute the person's signals now, so the author of a draft packet sees which claims still cite nothing."""
    viewer = _viewer(request)
    review = get_object_or_404(Review.objects.select_related("person", "cycle"), pk=review_id)
    if not access.can_check_packet_evidence(viewer, review):
        raise PermissionDenied(DENIED_PACKET_CHECK)
    if review.cycle.phase not in DRAFT_PACKET_PHASES:
        messages.error(request, ERR_PACKET_NOT_DRAFT)
    else:
        run_insights(person=review.person, actor=viewer)
        messages.success(request, "Checked: the notes below list the claims that still cite no evidence.")
    return redirect(reverse("reviews:review", args=[review.pk]) + "#packet-evidence")


@require_GET
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review = _review_for(request, review_id)
    phase = review.cycle.phase
    actions = access.review_actions(viewer, review)
    is_self = actions.is_subject
    # The person's evidence, by the [E:…] number the texts cite: for the person, and for whoever assesses them (a
    # manager asked to "cite as [E:id]" needs the list beside the form; the read is logged in the person's record).
    own_evidence = list(EvidenceItem.objects.filter(person=review.person)[:50]) if is_self or actions.assess else []
    if actions.assess and not is_self and own_evidence:
        record_reads(viewer, [(review.person, "evidence.items")], via="web")
    accomplishments = list(Accomplishment.objects.filter(person=review.person)) if actions.self_review else []
    selected = set(review.packet_items.filter(kind="accomplishment", selected_accomplishment=True)
                   .values_list("object_id", flat=True))
    form_errors = request.session.pop(_form_errors_key(review), {})
    rows = _dimension_rows(viewer, review)
    citable = _citable(review) if actions.assess or any(row["assessment"].citations for row in rows) else []
    titles = dict(citable)
    pre_vote_refused = _refusal(form_errors, "pre-vote")
    narrative_refused = _refusal(form_errors, "narrative")
    for row in rows:
        dimension = row["assessment"].dimension
        row["error"] = _refusal(form_errors, f"dim-{dimension}")["message"]
        row["change_refused"] = _refusal(form_errors, f"change-{dimension}")
        # A refused pre-vote puts back what the panelist chose and wrote, and marks the dimensions left unchosen.
        kept = pre_vote_refused["values"]
        row["vote_value"] = kept.get(f"vote_{dimension}", "") if pre_vote_refused["message"] else row["own_vote"]
        row["vote_note"] = kept.get(f"note_{dimension}", "")
        row["vote_invalid"] = f"vote_{dimension}" in pre_vote_refused["fields"]
        # What the assessment cites, by title where the item has one ([E:12] stays as the texts cite it).
        row["cited"] = [(ref, titles.get(ref, "")) for ref in row["assessment"].citations]
    pending = list(CalibrationChange.objects.filter(assessment__review=review,
                                                    status=CalibrationChange.Status.AWAITING_APPROVAL)
                   .select_related("assessment", "actor")) if actions.approve_changes else []
    for change in pending:
        change.own = change.actor_id == viewer.pk  # the author of a change is never its second approver
    context = {
        "submit_error": _refusal(form_errors, "submit")["message"],
        "narrative_error": narrative_refused["message"], "narrative_refused": narrative_refused,
        # What the form shows: what was typed when the last save was refused, else what is saved.
        "narrative": narrative_refused["values"] if narrative_refused["message"] else {
            "summary": review.manager_summary, "cross_functional_impact": review.cross_functional_impact,
            "scope_growth": review.scope_growth, "promotion_readiness": review.promotion_readiness,
            "promotion_rationale": review.promotion_rationale,
            "promotion_citations": list(review.promotion_citations or [])},
        "calibration_ends": review.cycle.schedule.get(Phase.CALIBRATION, ""),
        "conflict_refused": _refusal(form_errors, "conflict"),
        "pre_vote_refused": pre_vote_refused, "appeal_refused": _refusal(form_errors, "appeal"),
        # The person's own notes on the packet, beside the assessment their manager writes (they were told the
        # manager reads them beside the review).
        "person_notes": ([{**row, "label": "The self review" if row["label"] == packet_notes.ANNOTATION_SECTIONS[
            "self_review"] else row["label"]} for row in packet_notes.packet_annotations(review)]
            if actions.assess and not is_self else []),
        "review": review, "phase": phase, "phase_label": Phase(phase).label, "is_self": is_self,
        "actions": actions, "rows": rows, "outcomes": Outcome.choices,
        "readiness_choices": PromotionReadiness.choices,
        "can_annotate_packet": packet_notes.can_annotate_packet(viewer, review),
        "own_evidence": own_evidence, "accomplishments": accomplishments, "selected": selected,
        "training_complete": services.manager_training_complete(viewer) if actions.assess else None,
        "spread": services.pre_vote_spread(review, viewer=viewer),
        "pending_changes": pending,
        "packet_items": review.packet_items.select_related("included_by"),
        "memo": getattr(review, "memo", None),
        "memo_display": _memo_display(getattr(review, "memo", None), viewer),
        "appeal_deadline": review.cycle.schedule.get(Phase.ACKNOWLEDGEMENT),
        "appeals": [a for a in review.appeals.all() if access.can_view_appeal(viewer, a)],
        "conflicts": review.conflicts.select_related("panelist"),
        # A panelist who may read this review in another role (a manager above the person) but not decide on it.
        "panel_conflict": (services.conflict_reason(review, viewer)
                           if review.cycle.is_open_for("calibrate") and access.is_panelist(viewer, review.cycle)
                           and not actions.pre_vote and not actions.change_outcome else ""),
        "level": review.level, "next_level": review.level.next_level() if review.level else None,
        "citable": citable if actions.assess else [],
        "is_draft": phase_index(phase) < phase_index(Phase.CALIBRATION),
        "packet_evidence": _packet_evidence(viewer, review),
        "packet_next": reverse("reviews:review", args=[review.pk]) + "#packet-evidence",
        "self_review_missed": (is_self and review.self_review_submitted_at is None
                               and phase_index(phase) > phase_index(Phase.SELF_REVIEW)),
        "self_review_ended": review.cycle.schedule.get(Phase.SELF_REVIEW, ""),
        "phase_is_self_review": phase_index(phase) <= phase_index(Phase.SELF_REVIEW),
        "timeline": _timeline(review) if is_self else [],
        # A draft's outcomes are the assessor's until submitted; whoever else may read the review reads that.
        "draft_withheld": (not is_self and review.assessment_submitted_at is None
                           and not access.can_assess(viewer, review)),
        "chosen_accomplishments": _chosen_accomplishments(review, selected) if not is_self else [],
    }
    return render(request, "reviews/review.html", context)


def _chosen_accomplishments(review: Review, selected: set[str]) -> list[Accomplishment]:
    """The accomplishments the person chose for this review, for whoever reads her self review beside it."""
    ids = [int(pk) for pk in selected if pk.isdigit()]
    return list(Accomplishment.objects.filter(person=review.person, pk__in=ids).order_by("pk")) if ids else []


#: What each phase means for the person reviewed, as their review page says it.
PHASE_FOR_THE_PERSON = {
    Phase.EVIDENCE: "evidence about your work is gathered",
    Phase.SELF_REVIEW: "you write your self review and choose accomplishments",
    Phase.MANAGER_ASSESSMENT: "your manager assesses your work against your level's written criteria",
    Phase.CALIBRATION: "a panel compares assessments across teams against the same criteria",
    Phase.DECISION_MEMO: "the decision and its reasons are written up",
    Phase.RELEASE: "you see your outcome, the expectations and the evidence",
    Phase.ACKNOWLEDGEMENT: "you acknowledge your outcome, or appeal it",
}


def _timeline(review: Review) -> list[dict[str, Any]]:
    """The cycle's steps as the person reviewed reads them: what each means for them, when it ends, which is now."""
    current = phase_index(review.cycle.phase)
    closed = services.phases_closed_on(review.cycle) if current > 0 else {}
    today = timezone.localdate().isoformat()
    steps = []
    for phase, means in PHASE_FOR_THE_PERSON.items():
        ends, past = review.cycle.schedule.get(phase, ""), phase_index(phase) < current
        closed_on = closed.get(phase) if past else None
        # A step advanced before its scheduled end closed early: its scheduled day never reads as past.
        # Without an audited advance (an imported cycle), a scheduled day still ahead is enough to tell.
        early = past and bool(ends) and (closed_on.isoformat() if closed_on else today) < ends
        steps.append({"label": Phase(phase).label, "means": means, "ends": ends, "now": phase_index(phase) == current,
                      "past": past, "closed_early": early, "closed_on": closed_on})
    return steps


def _post_review(request: HttpRequest, review_id: int) -> tuple[Person, Review, str]:
    viewer, review = _review_for(request, review_id)
    return viewer, review, reverse("reviews:review", args=[review.pk])


@require_POST
def review_annotate(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    return _act(request, lambda: services.annotate_evidence(
        review, actor=viewer, reference=f"evidence_item:{request.POST.get('evidence_id', '')}",
        note=request.POST.get("note", "")), "Annotation added to your packet.", back)


@require_POST
def review_self_review(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)

    def submit() -> None:
        chosen = request.POST.getlist("accomplishments")
        services.select_accomplishments(review, actor=viewer, accomplishment_ids=chosen)
        services.submit_self_review(review, actor=viewer, context=request.POST.get("context", ""))

    return _act(request, submit, "Self review submitted.", back)


@require_POST
def review_assess(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    dimension = request.POST.get("dimension", "")
    return _act_inline(request, review, f"dim-{dimension}", lambda: services.save_assessment(
        review, actor=viewer, dimension=dimension, outcome=request.POST.get("outcome", ""),
        rationale=request.POST.get("rationale", ""), citations=_chosen(request.POST, "citations")),
        "Assessment saved.", back)


@require_POST
def review_narrative(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    narrative = services.ManagerNarrative(
        summary=request.POST.get("summary", ""),
        cross_functional_impact=request.POST.get("cross_functional_impact", ""),
        scope_growth=request.POST.get("scope_growth", ""),
        promotion_readiness=request.POST.get("promotion_readiness", PromotionReadiness.NOT_ASSESSED),
        promotion_rationale=request.POST.get("promotion_rationale", ""),
        promotion_citations=tuple(_chosen(request.POST, "promotion_citations")))
    typed = {"summary": narrative.summary, "cross_functional_impact": narrative.cross_functional_impact,
             "scope_growth": narrative.scope_growth, "promotion_readiness": narrative.promotion_readiness,
             "promotion_rationale": narrative.promotion_rationale,
             "promotion_citations": list(narrative.promotion_citations)}
    return _act_inline(request, review, "narrative",
                       lambda: services.save_manager_narrative(review, actor=viewer, narrative=narrative),
                       "Narrative saved.", back, values=typed,
                       field_of=lambda message: [_field_of(message, NARRATIVE_FIELDS)])


# Which field of the narrative form each refusal is about.
NARRATIVE_FIELDS = ((assessment_rules.ERR_READINESS_EVIDENCE, "promotion_rationale"),
                    *((template, "promotion_rationale") for template in CITATION_REFUSALS))


@require_POST
def review_submit(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    return _act_inline(request, review, "submit", lambda: services.submit_assessment(review, actor=viewer),
                       "Assessment submitted.", back)


@require_POST
def review_approve_adverse(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    return _act(request, lambda: services.approve_adverse_assessment(review, approver=viewer,
                                                                     reason=request.POST.get("reason", "")),
                "Approved as second approver.", back)


@require_POST
def review_pre_vote(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    # A judgement has no default: every dimension is chosen, or nothing is recorded.
    missing = [dimension for dimension in Dimension.values if not request.POST.get(f"vote_{dimension}")]
    labels = dict(Dimension.choices)

    def vote() -> None:
        if missing:
            raise services.ReviewError(ERR_PRE_VOTE_UNCHOSEN.format(
                dimensions=", ".join(labels[dimension] for dimension in missing)))
        with transaction.atomic():
            for dimension in Dimension.values:
                services.record_pre_vote(review, panelist=viewer, dimension=dimension,
                                         outcome=request.POST.get(f"vote_{dimension}", ""),
                                         note=request.POST.get(f"note_{dimension}", ""))

    typed = {name: request.POST.get(name, "") for dimension in Dimension.values
             for name in (f"vote_{dimension}", f"note_{dimension}")}
    return _act_inline(request, review, "pre-vote", vote,
                       "Pre-vote recorded. Others' votes stay hidden until everyone has voted.", back,
                       values=typed, field_of=lambda message: [f"vote_{dimension}" for dimension in missing])


# Which field of a calibration change each refusal is about.
CHANGE_FIELDS = ((common_rules.ERR_REASON_REQUIRED, "reason"), (calibration_rules.ERR_NO_CHANGE, "to_outcome"),
                 (assessment_rules.ERR_UNKNOWN_OUTCOME, "to_outcome"),
                 *((template, "citations") for template in (
                     *CITATION_REFUSALS, calibration_rules.ERR_CITATION_NOT_IN_PACKET,
                     calibration_rules.ERR_DEPARTURE_NEEDS_EVIDENCE, assessment_rules.ERR_ADVERSE_EVIDENCE)))


@require_POST
def review_change(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    assessment = get_object_or_404(review.assessments, dimension=request.POST.get("dimension", ""))
    try:
        seen = int(request.POST.get("seen_version", "-1"))
    except ValueError:
        seen = -1
    typed = {name: request.POST.get(name, "") for name in ("to_outcome", "reason", "citations")}
    return _act_inline(request, review, f"change-{assessment.dimension}", lambda: services.record_calibration_change(
        assessment, actor=viewer, to_outcome=typed["to_outcome"], reason=typed["reason"], seen_version=seen,
        citations=_lines(typed["citations"])), "Change recorded.", back, values=typed,
        field_of=lambda message: [_field_of(message, CHANGE_FIELDS)])


@require_POST
def review_approve_change(request: HttpRequest, review_id: int, change_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    change = get_object_or_404(CalibrationChange, pk=change_id, assessment__review=review)
    return _act(request, lambda: services.approve_calibration_change(change, approver=viewer),
                "Change approved and applied.", back)


@require_POST
def review_declare_conflict(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    note = request.POST.get("note", "")
    try:
        services.declare_conflict(review, panelist=viewer, note=note)
    except services.ReviewError as error:
        # Said beside the form, on the review page the panelist was reading (not on the list they would land on).
        unsaid = str(error) == common_rules.ERR_REASON_REQUIRED
        _refuse_beside(request, _form_errors_key(review), "conflict",
                       services.ReviewError(ERR_CONFLICT_UNSAID) if unsaid else error,
                       fields=["note"] if unsaid else [], values={"note": note})
        return redirect(f"{back}#form-conflict")
    messages.success(request, "Conflict declared; you take no part in this decision.")
    return redirect("reviews:index")


@require_POST
def review_acknowledge(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    return _act(request, lambda: services.acknowledge_review(review, actor=viewer,
                                                             comment=request.POST.get("comment", "")),
                "Acknowledged. You can still appeal within the window.", back)


@require_POST
def review_appeal(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review, back = _post_review(request, review_id)
    context = request.POST.get("context", "")
    return _act_inline(request, review, "appeal", lambda: services.file_appeal(review, actor=viewer, context=context),
                       "Appeal filed. A reviewer outside your management chain will decide.", back,
                       values={"context": context},
                       field_of=lambda message: [_field_of(message, ((appeal_rules.ERR_CONTEXT_REQUIRED, "context"),))])


@require_GET
def packet_view(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review = _review_for(request, review_id)
    # The person pre-reviews her own packet before release (B6): what her manager cites once the assessment
    # is submitted, and her notes; outcomes (proposed or calibrated) only from release on.
    pre_review = not access.can_view_review_outcome(viewer, review)
    if pre_review and not access.is_self(viewer, review.person):
        raise PermissionDenied("The packet with its outcomes is shown to the employee from release on.")
    manager_submitted = review.assessment_submitted_at is not None
    packet: Any = build_packet(review)
    if pre_review:
        packet = packet_notes.pre_review_packet(packet, manager_submitted=manager_submitted)
    return render(request, "reviews/packet.html", {
        "review": review, "packet": packet, "pre_review": pre_review,
        "manager_submitted": manager_submitted, "is_assessor": access.can_assess(viewer, review),
        "workload_label": dict(WorkloadClass.choices).get(review.workload_class, "not recorded"),
        "annotations": packet_notes.packet_annotations(review),
        "can_annotate_packet": packet_notes.can_annotate_packet(viewer, review),
        "annotation_sections": list(packet_notes.ANNOTATION_SECTIONS.items())})


@require_POST
def packet_annotate(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review = _review_for(request, review_id)
    replaces = None
    if request.POST.get("replaces"):
        replaces = get_object_or_404(PacketAnnotation, pk=request.POST["replaces"], review=review)
    return _act(request, lambda: packet_notes.annotate_packet(
        review, actor=viewer, section=request.POST.get("section", "packet"), body=request.POST.get("body", ""),
        replaces=replaces), "Note kept. Your manager and the panel read it beside your packet.",
        reverse("reviews:packet", args=[review.pk]) + "#notes")


@require_GET
def packet_pdf(request: HttpRequest, review_id: int) -> HttpResponse:
    viewer, review = _review_for(request, review_id)
    if not access.can_view_review_outcome(viewer, review):
        raise PermissionDenied("The packet with its outcomes is shown to the employee from release on.")
    response = HttpResponse(render_packet_pdf(build_packet(review)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="packet-{review.pk}.pdf"'
    return response


# ---------------------------------------------------------------------------------------- appeals


def _appeal_for(request: HttpRequest, appeal_id: int) -> tuple[Person, Appeal]:
    viewer = _viewer(request)
    appeal = get_object_or_404(Appeal.objects.select_related("review__person", "review__cycle", "reviewer"),
                               pk=appeal_id)
    access.open_person_record(viewer, appeal.review.person, what="reviews.appeal",
                              denied=services.ERR_CANNOT_SEE_APPEAL, allowed=access.can_view_appeal(viewer, appeal))
    return viewer, appeal


@require_GET
def appeal_detail(request: HttpRequest, appeal_id: int) -> HttpResponse:
    viewer, appeal = _appeal_for(request, appeal_id)
    expected = appeal.escalation_reviewer_id if appeal.status == Appeal.Status.ESCALATED else appeal.reviewer_id
    candidates = services.appeal_reviewer_candidates(appeal.review)
    kept = request.session.pop(_appeal_errors_key(appeal), {})
    return render(request, "reviews/appeal.html", {
        "refused": {form: _refusal(kept, form) for form in INLINE_APPEAL_FORMS},
        "appeal": appeal, "review": appeal.review, "messages_thread": appeal.messages.select_related("author"),
        "is_self": access.is_self(viewer, appeal.review.person), "can_assign": access.can_run_cycles(viewer),
        "candidates": candidates, "can_decide": expected == viewer.pk, "outcomes": Outcome.choices,
        "dimensions": Dimension.choices, "overdue": services.appeal_is_overdue(appeal),
    })


# Which field of an appeal's forms each refusal is about (the dimension an outcome would be lowered on is found
# from the message).
APPEAL_FIELDS = ((common_rules.ERR_REASON_REQUIRED, "reason"), (appeal_rules.ERR_CONTEXT_REQUIRED, "reason"),
                 (appeal_rules.ERR_APPEAL_NO_CHANGES, "new_outcomes"),
                 (appeal_rules.ERR_APPEAL_CANNOT_WORSEN, "new_outcomes"),
                 *((template, "citations") for template in CITATION_REFUSALS))
# The appeal page's forms that show their own refusals.
INLINE_APPEAL_FORMS = ("message", "assign", "decide", "escalate")


@require_POST
def appeal_action(request: HttpRequest, appeal_id: int, action: str) -> HttpResponse:
    viewer, appeal = _appeal_for(request, appeal_id)
    back = reverse("reviews:appeal", args=[appeal.pk])
    post = request.POST
    actions: dict[str, tuple[Callable[[], Any], str]] = {
        "message": (lambda: services.add_appeal_message(appeal, author=viewer, body=post.get("body", "")),
                    "Message added."),
        "assign": (lambda: services.assign_appeal_reviewer(
            appeal, actor=viewer, reviewer=get_object_or_404(Person, pk=post.get("reviewer") or 0)),
            "Reviewer assigned."),
        "decide": (lambda: services.decide_appeal(
            appeal, reviewer=viewer, decision=post.get("decision", ""), reason=post.get("reason", ""),
            new_outcomes={d: post[f"new_{d}"] for d in Dimension.values if post.get(f"new_{d}")},
            citations=_lines(post.get("citations", ""))), "Decision recorded."),
        "escalate": (lambda: services.escalate_appeal(appeal, actor=viewer, reason=post.get("reason", "")),
                     "Escalated."),
        "close": (lambda: services.close_appeal(appeal, actor=viewer), "Appeal closed."),
    }
    if action not in actions:
        raise PermissionDenied("Unknown appeal action.")
    function, success = actions[action]
    if action not in INLINE_APPEAL_FORMS:
        return _act(request, function, success, back)
    try:
        function()
    except services.ReviewError as error:
        # Beside the form that was sent, with the field it is about marked and what was typed kept.
        field = _field_of(str(error), APPEAL_FIELDS)
        if field == "reason" and action == "message":
            field = "body"
        elif action == "assign":
            field = "reviewer"
        if field == "new_outcomes":  # "lower it: Leadership would go …": the dimension it names
            field = next((f"new_{key}" for key, label in Dimension.choices
                          if f": {label} would go" in str(error)), field)
        _refuse_beside(request, _appeal_errors_key(appeal), action, error, fields=[field],
                       values={key: value for key, value in post.items() if key != "csrfmiddlewaretoken"})
        return redirect(f"{back}#form-{action}")
    messages.success(request, success)
    return redirect(back)


# ------------------------------------------------------------------------------- narrative checks


@require_POST
def narrative_check(request: HttpRequest) -> HttpResponse:
    """htmx: flags on the text as the manager writes (C5); advice, never a block."""
    _viewer(request)
    # htmx posts the whole enclosing form; the field being written is the one that triggered the request.
    field = request.headers.get("HX-Trigger-Name", "")
    if field and field in request.POST:
        text = request.POST[field]
    else:
        text = next((value for key, value in request.POST.items() if key not in {"csrfmiddlewaretoken", "kind"}), "")
    kind = request.POST.get("kind", "manager_narrative")
    if kind not in {"manager_narrative", "support_plan"}:
        kind = "manager_narrative"
    report = check_text(text, kind=kind)  # type: ignore[arg-type]
    return render(request, "reviews/_narrative_flags.html", {"report": report, "flags": report.flags})
