"""Pages of the growth space. Thin: parse, ask ``brightline.access``, call one service, render.

Reads of someone else's growth records are logged with ``record_access``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brightline import access
from brightline.core.narrative import NARRATIVE_KINDS
from brightline.core.periods import period_in_words
from brightline.evidence import services as evidence_services
from brightline.evidence.models import EvidenceItem
from brightline.feedback import colleagues, services, training
from brightline.feedback import draft_review as review
from brightline.feedback.forms import (
    AccomplishmentForm,
    AnnotationForm,
    CheckpointForm,
    CommentaryForm,
    DraftEditForm,
    DraftRequestForm,
    FeedbackRequestForm,
    GiveFeedbackForm,
    OneOnOneNoteForm,
    ResponseForm,
    TrainingForm,
)
from brightline.feedback.models import (
    Accomplishment,
    Checkpoint,
    FeedbackInvitation,
    FeedbackRequest,
    ImpactDraft,
    ManagerCommentary,
)
from brightline.people.models import Person

FLAG_LABELS = {
    "vague": "Vague",
    "personality": "About personality, not behaviour",
    "no_evidence": "Claim without evidence",
    "output_without_outcome": "Output without outcome",
    "unquantified_result": "Result without a number",
    "missing_scope": "Scope missing",
}
# Scope is a property of the whole accomplishment; its flag is shown under this field.
SCOPE_CHECKED_FIELD = "impact"
DENIED_GROWTH = "A growth page is visible to the person and their management chain only."
DENIED_NOTES = "1:1 notes are private to the person and their manager."


_viewer = access.request_person  # the signed-in person (request.person), or 403


def _person(person_id: int) -> Person:
    return get_object_or_404(Person.objects.select_related("manager", "team", "level"), pk=person_id)


# --- the growth page ---------------------------------------------------------------------------


@require_GET
def my_growth(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    return _growth_page(request, viewer, viewer)


@require_GET
def growth(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    subject = _person(person_id)
    access.open_person_record(viewer, subject, what="feedback.growth", denied=DENIED_GROWTH)
    return _growth_page(request, viewer, subject)


# The growth page shows this many of each list in full; the rest wait behind "Show all".
GROWTH_SHOWN = 5
# A manager is reminded to record a checkpoint when the last one is older than this.
CHECKPOINT_DUE_AFTER = timedelta(days=35)


def _growth_page(request: HttpRequest, viewer: Person, subject: Person) -> HttpResponse:
    accomplishments = list(Accomplishment.objects.filter(person=subject).prefetch_related(
        "principles", "evidence", "annotations").order_by("-period", "id"))
    feedback_requests = list(services.requests_about(subject))
    checkpoints = list(Checkpoint.objects.filter(person=subject).select_related("author")[:24])
    commentaries = list(ManagerCommentary.objects.filter(person=subject).select_related("author"))
    periods = services.accomplishment_periods(subject)
    feedback = services.visible_feedback_many(feedback_requests)
    is_self = viewer.pk == subject.pk
    can = {"checkpoint": access.can_write_checkpoint(viewer, subject),
           "commentary": access.can_write_manager_commentary(viewer, subject),
           "edit": access.can_edit_accomplishments(viewer, subject)}
    context = {
        "subject": subject,
        "is_self": is_self,
        "checkpoints": checkpoints,
        "commentaries": commentaries,
        "feedback": feedback,
        "periods": periods,
        "shown": GROWTH_SHOWN,
        "summary": _growth_summary(periods, checkpoints, feedback, commentaries, {**can, "checkpoint": (
            can["checkpoint"] and not is_self)}),  # one's own page does not ask for a checkpoint with oneself
        "accomplishments": [(item, services.accomplishment_flags(item)) for item in accomplishments],
        "annotations": subject.annotations.filter(accomplishment__isnull=True)[:20],
        "drafts": ImpactDraft.objects.filter(person=subject)[:10],
        "can_write_checkpoint": can["checkpoint"],
        "can_see_notes": access.can_write_one_on_one_note(viewer, subject),
        "can_request_feedback": access.can_request_feedback(viewer, subject),
        "can_give_feedback": access.can_give_feedback(viewer, subject),
        "can_write_commentary": can["commentary"],
        "can_edit": can["edit"],
        "written_kinds": [(kind.value, kind.label) for kind in evidence_services.WRITTEN_KINDS],
        "written_evidence": (EvidenceItem.objects.filter(person=subject, kind__in=evidence_services.WRITTEN_KINDS)
                             .order_by("-occurred_at")[:10] if is_self else []),
        "flag_labels": FLAG_LABELS,
        "accomplishments_min": services.ACCOMPLISHMENTS_MIN,
        "accomplishments_max": services.ACCOMPLISHMENTS_MAX,
        "annotation_form": AnnotationForm(),
        "manager_training_complete": services.manager_training_complete(viewer),
    }
    return render(request, "feedback/growth.html", context)


def _growth_summary(periods: list[Any], checkpoints: list[Checkpoint], feedback: list[Any],
                    commentaries: list[ManagerCommentary], can: dict[str, bool]) -> dict[str, Any]:
    """What the top of the growth page says: the latest period's count, the latest checkpoint, the requests
    still waiting for answers, and the next steps the viewer may take here (the template words them)."""
    latest = periods[0] if periods else None
    last_checkpoint = checkpoints[0] if checkpoints else None
    commented = {commentary.period for commentary in commentaries}
    steps = []
    if can["edit"] and (latest is None or latest.below_minimum):
        steps.append("accomplishment")
    if can["checkpoint"] and (last_checkpoint is None
                              or timezone.localdate() - last_checkpoint.held_on > CHECKPOINT_DUE_AFTER):
        steps.append("checkpoint")
    if can["commentary"] and latest is not None and latest.period not in commented:
        steps.append("commentary")
    given = sum(1 for view in feedback if view.request.given)
    return {"latest": latest, "last_checkpoint": last_checkpoint, "steps": steps,
            "given": given, "asked": len(feedback) - given,
            "open_requests": sum(1 for view in feedback if view.request.is_open and view.total < view.invited)}


# --- live narrative checks (htmx) --------------------------------------------------------------


@require_POST
def check_narrative(request: HttpRequest) -> HttpResponse:
    """The flags for one text field, as an HTML fragment; called by htmx as the person types."""
    _viewer(request)
    kind = request.POST.get("kind", "feedback")
    if kind not in NARRATIVE_KINDS:
        kind = "feedback"
    field = request.POST.get("field", "text")
    text = request.POST.get(field, "")
    cited = [value for value in request.POST.getlist("evidence") if value.strip()]
    whole_text = None
    if kind == "accomplishment" and field == SCOPE_CHECKED_FIELD:
        whole_text = "\n\n".join(request.POST.get(name, "") for name in ("situation", "action", "result", "impact"))
    has_scope = any(request.POST.get(name, "").strip() not in {"", "0"} for name in ("teams_affected",
                                                                                      "people_affected"))
    flags = services.field_flags(text, kind=kind, cited_ids=cited, whole_text=whole_text,
                                 has_structured_scope=has_scope)
    tone = services.check_tone({field: text})
    return render(request, "feedback/_flags.html", {"flags": flags, "text": text, "flag_labels": FLAG_LABELS,
                                                    "live_tone": tone if tone.is_flagged else None})


# --- checkpoints and 1:1 notes -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def new_checkpoint(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    subject = _person(person_id)
    if not access.can_write_checkpoint(viewer, subject):
        raise PermissionDenied(services.ERR_CHECKPOINT_NOT_ALLOWED)
    form = CheckpointForm(request.POST or None)
    tone = None
    if request.method == "POST" and form.is_valid():
        sent, tone = _send_checked(form, lambda despite: services.record_checkpoint(
            actor=viewer, person=subject, data=form.to_input(), send_despite_tone=despite))
        if sent:
            messages.success(request, "Checkpoint recorded.")
            return redirect(_growth_url(viewer, subject))
    return render(request, "feedback/checkpoint_form.html",
                  {"form": form, "subject": subject, "tone": tone, "tone_message": services.TONE_FLAG_MESSAGE,
                   "tone_fields": _tone_fields(form, tone)})


@require_http_methods(["GET", "POST"])
def one_on_one_notes(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    subject = _person(person_id)
    notes = services.one_on_one_notes_for(viewer, subject).select_related("author", "manager")
    access.open_person_record(viewer, subject, what="feedback.one_on_one_notes", denied=DENIED_NOTES,
                              allowed=access.can_write_one_on_one_note(viewer, subject) or notes.exists())
    visible = [note for note in notes if access.can_view_one_on_one_note(viewer, note)]
    form = OneOnOneNoteForm(request.POST or None)
    if request.method == "POST":
        if not access.can_write_one_on_one_note(viewer, subject):
            raise PermissionDenied(DENIED_NOTES)
        if form.is_valid():
            try:
                services.record_one_on_one_note(actor=viewer, person=subject, held_on=form.cleaned_data["held_on"],
                                                body=form.cleaned_data["body"])
            except services.FeedbackError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, "Note saved. Only you and the other person in this 1:1 can read it.")
                return redirect("feedback:notes", person_id=subject.pk)
    return render(request, "feedback/notes.html", {"subject": subject, "notes": visible, "form": form,
                                                   "can_write": access.can_write_one_on_one_note(viewer, subject)})


# --- feedback requests -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def new_feedback_request(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    subject = _person(person_id)
    if not access.can_request_feedback(viewer, subject):
        raise PermissionDenied(services.ERR_REQUEST_NOT_ALLOWED)
    # A search without JavaScript sends the form to this address by GET: what was written and ticked stays.
    searched = request.GET if "q" in request.GET else None
    form = FeedbackRequestForm(request.POST or None, subject=subject,
                               initial={"context": searched.get("context", "")} if searched else None)
    chosen = request.POST.getlist("people") if request.method == "POST" else request.GET.getlist("people")
    chooser = _chooser(viewer, subject, mode="ask", chosen=chosen, query=request.GET.get("q", ""))
    if request.method == "POST" and form.is_valid():
        try:
            created = services.request_feedback(actor=viewer, subject=subject, respondents=form.respondents(),
                                                context=form.cleaned_data["context"],
                                                anonymous=form.cleaned_data["anonymous"])
        except services.FeedbackError as error:
            form.add_error(None, str(error))
        else:
            count = created.invitations.count()
            messages.success(request, f"Feedback requested from {count} {'person' if count == 1 else 'people'}.")
            return redirect("feedback:request", pk=created.pk)
    return render(request, "feedback/request_form.html", {"form": form, "subject": subject, "chooser": chooser})


# --- choosing colleagues, and feedback given without a request ----------------------------------

CHOOSER_MODES = ("ask", "give")


def _chooser(viewer: Person, about: Person, *, mode: str, chosen: list[str], query: str) -> dict[str, Any]:
    """What the colleague chooser shows: the people who work with ``about`` first, those ticked earlier that
    a search found, and the matches of ``query`` over everyone (at most ``colleagues.SEARCH_SHOWN``)."""
    chosen_ids = {int(value) for value in chosen if str(value).isdigit()}
    exclude = {viewer.pk} if mode == "give" else set()
    # Asking: the person's manager and reports have their own boxes on the form, so they are not offered twice.
    dedicated: set[int] = set()
    if mode == "ask":
        dedicated = set(about.reports.filter(is_active=True).values_list("pk", flat=True))
        dedicated |= {about.manager_id} if about.manager_id else set()
    offered = colleagues.suggestions(about, viewer=viewer, exclude=exclude | dedicated)
    offered_ids = {item.person.pk for item in offered}
    earlier = list(Person.objects.filter(pk__in=chosen_ids - offered_ids - exclude, is_active=True)
                   .exclude(pk=about.pk).select_related("team").order_by("name"))
    results, total = colleagues.search(query, exclude=exclude | {about.pk}) if query.strip() else ([], 0)
    return {"mode": mode, "about": about, "is_self": about.pk == viewer.pk, "suggestions": offered,
            "chosen": chosen_ids, "earlier": earlier, "query": query.strip(), "results": results, "total": total,
            "offered": offered_ids | {p.pk for p in earlier}, "shown": colleagues.SEARCH_SHOWN}


@require_GET
def people_search(request: HttpRequest) -> HttpResponse:
    """The chooser's search results as an HTML fragment; htmx asks for it as the person types."""
    viewer = _viewer(request)
    mode = request.GET.get("mode", "ask")
    if mode not in CHOOSER_MODES:
        raise Http404("unknown chooser")
    about_id = request.GET.get("about", "")
    about = _person(int(about_id)) if mode == "ask" and about_id.isdigit() else viewer
    if mode == "ask" and not access.can_request_feedback(viewer, about):
        raise PermissionDenied(services.ERR_REQUEST_NOT_ALLOWED)
    chooser = _chooser(viewer, about, mode=mode, chosen=request.GET.getlist("people"),
                       query=request.GET.get("q", ""))
    return render(request, "feedback/_people_results.html", {"chooser": chooser})


@require_GET
def give_feedback_start(request: HttpRequest) -> HttpResponse:
    """Whom to give feedback to: the people the viewer works with first, then a search over everyone."""
    viewer = _viewer(request)
    chooser = _chooser(viewer, viewer, mode="give", chosen=[], query=request.GET.get("q", ""))
    return render(request, "feedback/give_start.html", {"chooser": chooser})


@require_http_methods(["GET", "POST"])
def give_feedback(request: HttpRequest, person_id: int) -> HttpResponse:
    """Feedback to one colleague without a request: the three prompts, the live checks and the tone check of
    an answer to a request, and the same readers once sent (the recipient and their management chain)."""
    viewer = _viewer(request)
    recipient = _person(person_id)
    if not access.can_give_feedback(viewer, recipient):
        raise PermissionDenied(services.ERR_GIVE_NOT_ALLOWED)
    form = GiveFeedbackForm(request.POST or None)
    tone = None
    held: list[tuple[str, list[str]]] = []
    if request.method == "POST" and form.is_valid() and not (held := _narrative_hold(form)):
        sent, tone = _send_checked(form, lambda despite: services.give_feedback(
            actor=viewer, recipient=recipient, data=form.to_input(), context=form.cleaned_data["context"],
            send_despite_tone=despite))
        if sent:
            messages.success(request, f"Thank you. Your feedback was sent to {recipient.name}.")
            return redirect(reverse("feedback:inbox") + "#what-you-sent")
    if held:
        tone = _flagged_tone(form)
    readers = ("their manager" if recipient.manager_id and recipient.manager_id != viewer.pk else "")
    return render(request, "feedback/give_form.html", {
        "recipient": recipient, "form": form, "tone": tone, "tone_message": services.TONE_FLAG_MESSAGE,
        "tone_fields": _tone_fields(form, tone), "readers": readers, "narrative_held": held,
        "relationship": services.relationship_between(viewer, recipient)})


@require_GET
def feedback_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    feedback_request = get_object_or_404(FeedbackRequest.objects.select_related("subject", "requested_by"), pk=pk)
    access.open_person_record(
        viewer, feedback_request.subject, what="feedback.request",
        allowed=access.can_view_feedback_request(viewer, feedback_request),
        denied="Feedback about a person is visible to them and their management chain only.")
    return render(request, "feedback/request_detail.html", {
        "view": services.visible_feedback(feedback_request), "anonymity_group": services.ANONYMITY_GROUP,
        "can_close": feedback_request.is_open and (viewer.pk == feedback_request.requested_by_id
                                                   or access.can_request_feedback(viewer, feedback_request.subject)),
    })


@require_POST
def close_feedback_request(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    feedback_request = get_object_or_404(FeedbackRequest, pk=pk)
    try:
        services.close_feedback_request(actor=viewer, feedback_request=feedback_request)
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    except services.FeedbackError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Request closed; it takes no more answers.")
    return redirect("feedback:request", pk=pk)


@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    invitations = list(services.invitations_for(viewer).select_related("response"))
    # A named answer stays linked to its writer, who can read what they sent; an anonymous one is not kept
    # with the writer's name, so nobody (the writer included) can list it again.
    answered = [inv for inv in invitations if getattr(inv, "response", None) is not None]
    # Feedback the viewer gave unasked is listed with what they sent, not as a request to them.
    asked = [inv for inv in invitations if not inv.request.given]
    waiting = [inv for inv in asked if inv.status == FeedbackInvitation.Status.PENDING and inv.request.is_open]
    answered.sort(key=lambda inv: inv.request.created_at, reverse=True)
    return render(request, "feedback/inbox.html", {"invitations": asked, "answered": answered,
                                                   "waiting": waiting})


@require_http_methods(["GET", "POST"])
def answer_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    invitation = get_object_or_404(FeedbackInvitation.objects.select_related("request__subject"), pk=pk)
    if not access.can_answer_feedback_invitation(viewer, invitation):
        # 404, not 403: nobody learns that a request addressed to someone else exists.
        raise Http404(services.ERR_NOT_RESPONDENT)
    form = ResponseForm(request.POST or None)
    tone = None
    if request.method == "POST" and request.POST.get("decline"):
        try:
            services.decline_feedback_invitation(actor=viewer, invitation=invitation)
        except services.FeedbackError as error:
            messages.error(request, str(error))
        return redirect("feedback:inbox")
    held: list[tuple[str, list[str]]] = []
    if request.method == "POST" and form.is_valid() and not (held := _narrative_hold(form)):
        sent, tone = _send_checked(form, lambda despite: services.submit_feedback_response(
            actor=viewer, invitation=invitation, data=form.to_input(), send_despite_tone=despite))
        if sent:
            messages.success(request, "Thank you. Your feedback was sent.")
            return redirect("feedback:inbox")
    if held:
        tone = _flagged_tone(form)
    return render(request, "feedback/answer.html", {"invitation": invitation, "form": form, "tone": tone,
                                                    "tone_message": services.TONE_FLAG_MESSAGE,
                                                    "tone_fields": _tone_fields(form, tone),
                                                    "narrative_held": held})


def _narrative_hold(form: Any) -> list[tuple[str, list[str]]]:
    """The narrative flags of a feedback form's answers, shown once before it is sent: (the field's label, the
    flags' names) for each flagged answer. Empty when nothing is flagged or the writer chose to send as written:
    these flags advise and never block, so a second submit with "Send as written" always goes through."""
    if form.cleaned_data.get("send_despite_tone"):
        return []
    held = []
    for name, field in form.fields.items():
        if field.widget.attrs.get("data-narrative-kind") != "feedback":
            continue
        flags = services.field_flags(form.cleaned_data.get(name) or "", kind="feedback")
        names = list(dict.fromkeys(FLAG_LABELS.get(flag.flag_id, flag.flag_id) for flag in flags))
        if names:
            held.append((str(field.label), names))
    return held


def _flagged_tone(form: Any) -> services.ToneCheck | None:
    """The tone check of a form held for its narrative flags, so one "Send as written" never skips a tone flag
    the writer has not seen."""
    tone = services.check_tone(form.to_input().texts())
    return tone if tone.is_flagged else None


def _send_checked(form: Any, send: Callable[[bool], object]) -> tuple[bool, services.ToneCheck | None]:
    """Save a valid tone-checked form with ``send(send_despite_tone)``: (True, None) once saved, (False, the tone)
    when the tone check flagged the text (nothing saved), (False, None) with the refusal written on the form."""
    try:
        send(form.cleaned_data["send_despite_tone"])
    except services.ToneFlagged as flagged:
        return False, flagged.tone
    except services.FeedbackError as error:
        form.add_error(None, str(error))
        return False, None
    return True, None


def _tone_fields(form: Any, tone: services.ToneCheck | None) -> list[str]:
    """The fields the tone check flagged, by the labels the writer sees on the form (never their keys)."""
    if tone is None:
        return []
    return [str(form.fields[name].label) if name in form.fields else name for name in tone.flagged_fields]


# --- manager commentary ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def manager_commentary(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    subject = _person(person_id)
    access.open_person_record(viewer, subject, what="feedback.commentary", denied=services.ERR_COMMENTARY_NOT_ALLOWED)
    period = request.GET.get("period", "")
    existing = ManagerCommentary.objects.filter(person=subject, period=period).first() if period else None
    initial: dict[str, Any] = {"period": period}
    if existing is not None:
        initial.update(owned=existing.owned, ambiguity=existing.ambiguity, coaching=existing.coaching,
                       growth=existing.growth)
    form = CommentaryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_manager_commentary(actor=viewer, person=subject, data=form.to_input())
        except services.FeedbackError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Commentary saved.")
            return redirect("feedback:growth", person_id=subject.pk)
    return render(request, "feedback/commentary_form.html", {"form": form, "subject": subject})


# --- accomplishments and annotations -----------------------------------------------------------


@require_http_methods(["GET", "POST"])
def new_accomplishment(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    latest = services.accomplishment_periods(viewer)
    form = AccomplishmentForm(request.POST or None, person=viewer,
                              initial={"period": latest[0].period if latest else ""})
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_accomplishment(actor=viewer, person=viewer, data=form.to_input())
        except services.FeedbackError as error:
            form.add_error(None, str(error))
        else:
            count = Accomplishment.objects.filter(person=viewer, period=created.period).count()
            messages.success(request, _count_message(created.period, count))
            # Written from a self review ("?back=" its address): back to it, to choose the new one. Only a review
            # page of this site is followed.
            back = request.GET.get("back", "")
            try:
                match = resolve(back) if url_has_allowed_host_and_scheme(back, allowed_hosts=None) else None
            except Resolver404:
                match = None
            if match is not None and match.view_name == "reviews:review":
                return redirect(reverse("reviews:review", kwargs=match.kwargs) + "#self-h")
            return redirect("feedback:my-growth")
    return render(request, "feedback/accomplishment_form.html", {"form": form, "editing": None})


@require_POST
def record_evidence(request: HttpRequest) -> HttpResponse:
    """An incident debrief or design-review notes about the viewer's own work."""
    viewer = _viewer(request)
    post = request.POST
    try:
        item = evidence_services.record_written_evidence(
            actor=viewer, kind=post.get("kind", ""), title=post.get("title", ""), summary=post.get("summary", ""),
            occurred_on=post.get("occurred_on", ""), url=post.get("url", ""), service=post.get("service", ""))
    except evidence_services.EvidenceError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Recorded. Cite it as {item.citation}.")
    return redirect(reverse("feedback:my-growth") + "#written-evidence")


@require_http_methods(["GET", "POST"])
def edit_accomplishment(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    accomplishment = get_object_or_404(Accomplishment, pk=pk)
    if not access.can_edit_accomplishments(viewer, accomplishment.person):
        raise PermissionDenied(services.ERR_ACCOMPLISHMENT_NOT_ALLOWED)
    form = AccomplishmentForm(request.POST or None, person=viewer,
                              initial=AccomplishmentForm.initial_from(accomplishment))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_accomplishment(actor=viewer, accomplishment=accomplishment, data=form.to_input())
        except services.FeedbackError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Accomplishment saved.")
            return redirect("feedback:my-growth")
    return render(request, "feedback/accomplishment_form.html", {"form": form, "editing": accomplishment})


@require_POST
def delete_accomplishment(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    accomplishment = get_object_or_404(Accomplishment, pk=pk)
    try:
        services.delete_accomplishment(actor=viewer, accomplishment=accomplishment)
    except services.NotAllowed as error:
        raise PermissionDenied(str(error)) from error
    messages.success(request, "Accomplishment removed.")
    return redirect("feedback:my-growth")


def _count_message(stored_period: str, count: int) -> str:
    period = period_in_words(stored_period)
    if count < services.ACCOMPLISHMENTS_MIN:
        return (f"Saved. {period} has {count} accomplishment{'s' if count != 1 else ''}; a self review "
                f"chooses {services.ACCOMPLISHMENTS_MIN} to {services.ACCOMPLISHMENTS_MAX}.")
    return f"Saved. {period} has {count} accomplishments."


@require_POST
def add_annotation(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    form = AnnotationForm(request.POST)
    if form.is_valid():
        accomplishment = None
        if form.cleaned_data["accomplishment"]:
            accomplishment = get_object_or_404(Accomplishment, pk=form.cleaned_data["accomplishment"])
        try:
            services.annotate(actor=viewer, person=viewer, body=form.cleaned_data["body"],
                              accomplishment=accomplishment, period=form.cleaned_data["period"])
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except services.FeedbackError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Note added.")
    else:
        messages.error(request, services.ERR_ANNOTATION_EMPTY)
    return redirect("feedback:my-growth")


# --- drafts from evidence ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def drafts(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    today = timezone.localdate()
    form = DraftRequestForm(request.POST or None, initial={
        "window_start": today - timedelta(days=services.DEFAULT_DRAFT_WINDOW_DAYS), "window_end": today})
    llm_available = services.llm_drafting_available()
    if not llm_available:
        del form.fields["use_llm"]
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.generate_impact_draft(
                person=viewer, window_start=form.cleaned_data["window_start"],
                window_end=form.cleaned_data["window_end"], requested_by=viewer,
                use_llm=bool(form.cleaned_data.get("use_llm")))
        except (services.FeedbackError, services.llm.LlmError) as error:
            form.add_error(None, str(error))
        else:
            return redirect("feedback:draft", pk=draft.pk)
    return render(request, "feedback/drafts.html", {
        "form": form, "drafts": ImpactDraft.objects.filter(person=viewer), "llm_available": llm_available})


@require_http_methods(["GET", "POST"])
def draft_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    draft = get_object_or_404(ImpactDraft.objects.select_related("person", "approved_by"), pk=pk)
    access.open_person_record(viewer, draft.person, what="feedback.draft", denied=DENIED_GROWTH)
    evidence = list(draft.evidence.all())
    cited = {evidence_id for sentence in draft.sentences for evidence_id in sentence["cited_ids"]}
    form = DraftEditForm(request.POST or None, initial={"text": draft.current_text()})
    checked = None
    if request.method == "POST":
        action = request.POST.get("action", "save")
        try:
            if action == "discard":
                services.discard_impact_draft(actor=viewer, draft=draft)
                messages.success(request, "Draft discarded.")
                return redirect("feedback:drafts")
            if form.is_valid():
                text = form.cleaned_data["text"]
                if action == "approve":
                    services.approve_impact_draft(actor=viewer, draft=draft, text=text)
                    messages.success(request, "Approved. The statements are kept with their evidence and your name.")
                    return redirect("feedback:draft", pk=draft.pk)
                services.edit_impact_draft(actor=viewer, draft=draft, text=text)
                messages.success(request, "Edit saved.")
                return redirect("feedback:draft", pk=draft.pk)
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except services.FeedbackError as error:
            form.add_error(None, str(error))
            if form.is_valid():
                checked = services.check_draft_text(draft.person, form.cleaned_data["text"])
    return render(request, "feedback/draft_detail.html", {
        "draft": draft, "form": form, "checked": checked, "edits": draft.edits.select_related("author"),
        "can_edit": access.can_edit_accomplishments(viewer, draft.person) and draft.status == "draft",
        "evidence": [e for e in evidence if str(e.pk) in cited],
        "context": [e for e in evidence if str(e.pk) not in cited]})


# --- manager readiness -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def manager_training(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    form = TrainingForm(request.POST or None)
    attempt = None
    if request.method == "POST" and form.is_valid():
        try:
            attempt = services.record_training_attempt(actor=viewer, answers=form.answers())
        except services.FeedbackError as error:
            form.add_error(None, str(error))
    wrong = {key for key, value in attempt.answers.items()
             if value != next(q.correct for q in training.QUESTIONS if q.key == key)} if attempt else set()
    return render(request, "feedback/training.html", {
        "form": form, "attempt": attempt, "questions": training.QUESTIONS, "wrong": wrong,
        "pass_mark": training.PASS_MARK, "complete": services.manager_training_complete(viewer),
        "module_version": training.MODULE_VERSION})


def _growth_url(viewer: Person, subject: Person) -> str:
    if viewer.pk == subject.pk:
        return reverse("feedback:my-growth")
    return reverse("feedback:growth", kwargs={"person_id": subject.pk})


# --- drafts reviewed together -------------------------------------------------------------------

DRAFT_HISTORY_PAGE = 50


@require_http_methods(["GET", "POST"])
def draft_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The person and their manager accept, edit or reject each drafted sentence; every decision is kept."""
    viewer = _viewer(request)
    draft = get_object_or_404(ImpactDraft.objects.select_related("person"), pk=pk)
    access.open_person_record(viewer, draft.person, what="feedback.draft", denied=DENIED_GROWTH)
    errors: dict[int, str] = {}
    if request.method == "POST":
        action = request.POST.get("action", "")
        number = request.POST.get("sentence", "")
        index = int(number) - 1 if number.isdigit() else -1
        try:
            if action == "adopt":
                review.adopt_agreed_text(actor=viewer, draft=draft)
                messages.success(request, "The agreed sentences are now the draft's text.")
                return redirect("feedback:draft", pk=draft.pk)
            review.decide_sentence(actor=viewer, draft=draft, index=index, action=action,
                                   text=request.POST.get("text", ""), reason=request.POST.get("reason", ""))
        except services.NotAllowed as error:
            raise PermissionDenied(str(error)) from error
        except services.FeedbackError as error:
            errors[index + 1] = str(error)
        else:
            messages.success(request, "Decision kept.")
            return redirect("feedback:draft-review", pk=draft.pk)
    decisions = list(draft.sentence_decisions.select_related("decided_by").order_by("id"))
    reviews = review.sentence_reviews(draft, decisions)
    history = Paginator(list(reversed(decisions)), DRAFT_HISTORY_PAGE).get_page(request.GET.get("page"))
    can_review = access.can_review_impact_draft(viewer, draft.person) and draft.status == ImpactDraft.Status.DRAFT
    return render(request, "feedback/draft_review.html", {
        "draft": draft, "reviews": reviews, "history": history, "errors": errors,
        "side": review.side_of(viewer, draft.person), "can_review": can_review,
        "is_person": viewer.pk == draft.person_id,
        "agreed": review.agreed_text(reviews),
        "waiting": sum(1 for item in reviews if item.status == "waiting")},
        status=400 if errors else 200)
