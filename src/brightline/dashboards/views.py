"""Server-rendered pages. Each view asks ``brightline.access`` and logs reads of others' records."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brightline import access
from brightline.audit import trail
from brightline.audit.models import AccessLog, action_label, subject_label, subject_words
from brightline.audit.reads import grouped_reads
from brightline.audit.services import refused_reads as find_refused_reads
from brightline.audit.services import verify_access_log, verify_chain
from brightline.dashboards.glance import organisation_glance
from brightline.dashboards.home import group_inbox, own_review, summary_sentences
from brightline.dashboards.inbox import inbox_for, open_reviews
from brightline.dashboards.partner import open_appeals, open_plans, partner_home
from brightline.dashboards.team import (
    ENGINEER_HOME_SOURCES,
    OUTSIDE_HOURS_STEPS,
    PAGE_SHARE_STEPS,
    PAGES_OUTSIDE_STEPS,
    PromptGone,
    assessment_due,
    decide_prompt,
    engineer_home,
    record_links,
    reports_team_anomalies,
    team_anomalies,
    team_at_a_glance,
)
from brightline.evidence.timeoff import own_time_off
from brightline.operations.retention import last_purge
from brightline.people.criteria import CALIBRATION_PRINCIPLES, PROMOTION_RULE, ladder_criteria
from brightline.people.models import CareerLadder, Person, Team
from brightline.people.queries import direct_reports, workload_class_headcounts
from brightline.people.rolechanges import changes_affecting
from brightline.people.search import matching_people
from brightline.policy.changelog import AI_FEATURES, change_log
from brightline.policy.forms import PolicyForm
from brightline.policy.inventory import DEFAULT_RETENTION_DAYS, NEVER_COLLECTED, SOURCES
from brightline.policy.services import PolicyError, get_policy, update_policy
from brightline.rollups import services as rollups
from brightline.rollups import teams as team_sizes

OWN_TIME_OFF_DAYS = 180  # the longest team-health window
TEAMS_PER_PAGE = 50  # the organisation page's headcount table
ERR_NOBODY_NAMED = "Nobody in Brightline has that name: check its spelling, or leave the field empty."
ERR_TOO_MANY_NAMED = "More than {limit} people match that name: give more of it."


_viewer = access.request_person  # the signed-in person (request.person), or 403


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    level = viewer.level
    is_partner = access.is_people_partner(viewer)
    # Rows more than one part of the page needs are read once: the viewer's open reviews (the inbox and their own
    # review) and, for the people partner, the open appeals and support plans (the inbox and her overdue list).
    reviews = open_reviews(viewer)
    appeals, plans = (open_appeals(), open_plans()) if is_partner else (None, None)
    # The page's own parts are asked in the inbox's query which hold any row: those holding none are not read.
    also = {**ENGINEER_HOME_SOURCES, "home_team_changes": reports_team_anomalies}
    holding: dict[str, bool] = {}
    inbox = group_inbox(inbox_for(viewer, reviews=reviews, open_appeals=appeals, open_plans=plans, also=also,
                                  held=holding))
    review = own_review(viewer, reviews=reviews)
    reports = direct_reports(viewer)
    viewer.__dict__["is_manager"] = bool(reports)  # the menus ask it too: the list just read answers it
    context = {
        "person": viewer,
        "level": level,
        "next_level": level.next_level() if level else None,
        "reports": reports,
        # The changes in the reports' teams' delivery trends, with who follows each up (one query; H2, H4).
        "team_changes": team_anomalies(viewer, sorted({r.team for r in reports if r.team is not None},
                                                      key=lambda team: team.name))
        if reports and holding["home_team_changes"] else [],
        # A report's level is named only when the reports' levels differ: beside every name, one title says nothing.
        "reports_levels_differ": len({report.level_id for report in reports}) > 1,
        "can_view_aggregates": access.can_view_aggregates(viewer),
        "can_view_leadership": access.can_view_leadership_view(viewer),
        "is_people_partner": is_partner,
        # How many people, as "who viewed my record" lists them (one line per reader and day): a count of raw reads
        # (one per part of the record a page shows) read as a number of visits the log never adds up to.
        "recent_readers": AccessLog.objects.filter(subject=viewer).values("viewer_label").distinct().count(),
        "inbox": inbox,
        "own_review": review,
        **engineer_home(viewer, holding=holding),
    }
    if context["can_view_aggregates"]:
        # The people partner's page shows the open cycles in full above: her card leaves them out.
        context["organisation_figures"] = organisation_glance(with_cycle=not context["is_people_partner"])
    partner_lines: list[str] = []
    if is_partner:
        partner = partner_home(viewer, appeals=appeals, plans=plans)
        context.update(partner)
        partner_lines = partner["partner_summary"]
    context["summary"] = summary_sentences(inbox, review, partner_lines)
    return render(request, "dashboards/home.html", context)


@require_GET
def person_detail(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    subject = get_object_or_404(Person.objects.select_related("team", "level", "manager"), pk=person_id)
    access.open_person_record(viewer, subject, what="people.profile",
                              denied="You can see this person's record only if you are in their management chain.")
    context = {"subject": subject, "level": subject.level,
               "next_level": subject.level.next_level() if subject.level else None,
               "is_self": viewer.pk == subject.pk, "record_links": record_links(viewer, subject),
               "assessment_due": None if viewer.pk == subject.pk else assessment_due(viewer, subject)}
    if access.is_self(viewer, subject):
        # One's own time off, kind included, is shown to oneself only: not to managers or people partners.
        context["own_time_off"] = own_time_off(subject, since=timezone.localdate() - timedelta(days=OWN_TIME_OFF_DAYS))
        context["own_time_off_days"] = OWN_TIME_OFF_DAYS
    return render(request, "dashboards/person.html", context)


@require_GET
def my_team(request: HttpRequest) -> HttpResponse:
    """The manager's team at a glance: load per direct report, coaching prompts, review-cycle progress."""
    viewer = _viewer(request)
    glance = team_at_a_glance(viewer)
    return render(request, "dashboards/my_team.html", {
        "glance": glance, "last_day": glance.end - timedelta(days=1),
        "steps": {"outside": [round(step * 100) for step in OUTSIDE_HOURS_STEPS],
                  "pages_outside": PAGES_OUTSIDE_STEPS, "share": PAGE_SHARE_STEPS}})


def _posted_id(request: HttpRequest, name: str) -> int | None:
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() else None


@require_POST
def decide_coaching_prompt(request: HttpRequest) -> HttpResponse:
    """Mark one coaching prompt of the team at a glance done or not now: in place with htmx (the card comes back
    without it, and the sentence above the cards with the new count), or as a plain form that returns to the page."""
    viewer = _viewer(request)
    outcome = request.POST.get("outcome", "")
    try:
        glance, prompt, about = decide_prompt(viewer, key=request.POST.get("prompt", ""), outcome=outcome,
                                       person_id=_posted_id(request, "person"), team_id=_posted_id(request, "team"))
        marked = f"Marked done for {about}" if outcome == "done" else f"Set aside for now, for {about}"
        status, error = f"{marked}: {prompt.text} It comes back only if something new shows.", False
    except PromptGone as gone:
        glance, status, error = None, str(gone), True
    if request.headers.get("HX-Request"):
        return render(request, "dashboards/_coaching_swap.html", {
            "glance": glance or team_at_a_glance(viewer), "coaching_status": status, "coaching_error": error})
    (messages.error if error else messages.success)(request, status)
    return redirect(reverse("my-team") + "#coaching")


@require_GET
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _viewer(request)
    team = get_object_or_404(Team, slug=slug)
    if not access.can_view_team(viewer, team):
        raise PermissionDenied("Team pages are visible to the team, its management chain and people partners.")
    size = team.members.filter(is_active=True).count()
    return render(request, "dashboards/team.html", {"team": team, "size": size,
                                                     "min_cohort": get_policy().min_cohort_size})


@require_GET
def organisation(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not access.can_view_aggregates(viewer):
        raise PermissionDenied("Organisation aggregates are for leaders and people partners.")
    min_cohort = get_policy().min_cohort_size
    # The headcounts of every team come from their rollup; a large organisation's thousand teams, a page at a time.
    sizes = rollups.read_one(team_sizes.KIND, str(min_cohort))
    return render(request, "dashboards/organisation.html", {
        "teams": Paginator(sizes.value.headcounts, TEAMS_PER_PAGE).get_page(request.GET.get("teams")),
        "as_of": sizes.as_of, "stale": sizes.stale,
        "workload_classes": workload_class_headcounts(min_cohort=min_cohort),
        "min_cohort": min_cohort, "can_view_leadership": access.can_view_leadership_view(viewer),
    })


@require_GET
def ladder(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    ladders = list(CareerLadder.objects.prefetch_related("levels__competencies",
                                                         "levels__principle_behaviours__principle"))
    for each in ladders:
        levels = list(each.levels.all())
        criteria = ladder_criteria(levels)
        for level in levels:
            level.outcome_criteria = list(criteria.get(level.pk, {}).values())  # type: ignore[attr-defined]
    return render(request, "dashboards/ladder.html", {"ladders": ladders, "own_level": viewer.level_id})


@require_GET
def how_outcomes_are_decided(request: HttpRequest) -> HttpResponse:
    """Calibration principles and promotion examples, for every employee (D5)."""
    _viewer(request)
    ladders = CareerLadder.objects.prefetch_related("levels")
    steps = [{"ladder": each, "moves": [(lower, upper) for lower, upper in zip(levels, levels[1:], strict=False)]}
             for each in ladders for levels in [list(each.levels.all())]]
    return render(request, "dashboards/how_decided.html", {
        "principles": CALIBRATION_PRINCIPLES, "promotion_rule": PROMOTION_RULE, "steps": steps})


def roles_in_the_process(subject: Person) -> dict[int, str]:
    """Who held a seat in ``subject``'s reviews or promotion cases, by person id, in words for the person: the
    reason a reader outside the chain opened the record (four queries, however many reads)."""
    from brightline.promotions.models import CaseAppeal, CasePanelist
    from brightline.reviews.models import Appeal, PanelMember

    roles: dict[int, str] = {}
    for pk in CasePanelist.objects.filter(case__person=subject).values_list("person_id", flat=True):
        roles[pk] = "a promotion panelist"
    for pk in PanelMember.objects.filter(cycle__reviews__person=subject).values_list("person_id", flat=True):
        roles[pk] = "a calibration panelist"
    appeal_reviewers = [*Appeal.objects.filter(review__person=subject).values_list("reviewer_id",
                                                                                   "escalation_reviewer_id"),
                        *CaseAppeal.objects.filter(case__person=subject).values_list("reviewer_id",
                                                                                     "escalation_reviewer_id")]
    for pk in {pk for pair in appeal_reviewers for pk in pair if pk}:
        roles[pk] = "an appeal reviewer"
    return roles


@require_GET
def my_access_log(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    return render(request, "dashboards/access_log.html", {
        "groups": grouped_reads(viewer, own=True, roles=roles_in_the_process(viewer)), "own": True, "subject": viewer,
        "refused": find_refused_reads(subject_id=viewer.pk, limit=100),
        "role_changes": changes_affecting(viewer)[:100]})


@require_http_methods(["GET", "POST"])
def my_data(request: HttpRequest) -> HttpResponse:
    """Data rights: what Brightline holds about you, and (POST) the download of all of it as JSON."""
    from brightline.operations.data_rights import (
        NOT_EXPORTED,
        export_for_download,
        export_personal_data,
        render_export_pdf,
    )

    viewer = _viewer(request)
    if request.method == "POST":
        file_format = "pdf" if request.POST.get("format") == "pdf" else "json"
        data = export_for_download(viewer, via="web", file_format=file_format)
        if file_format == "pdf":
            response = HttpResponse(render_export_pdf(data), content_type="application/pdf")
        else:
            response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = (f'attachment; filename="brightline-my-data-{timezone.localdate()}'
                                           f'.{file_format}"')
        response["Cache-Control"] = "private, no-store"
        return response
    preview = export_personal_data(viewer)
    counts = [(key.replace("_", " ").capitalize(), len(value)) for key, value in preview.items()
              if isinstance(value, list) and key != "not_included"]
    response = render(request, "dashboards/my_data.html", {"counts": counts, "not_included": NOT_EXPORTED})
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def person_access_log(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    subject = get_object_or_404(Person, pk=person_id)
    access.open_person_record(viewer, subject, what="audit.access_log",
                              denied="Only the person and people partners can see who read a record.")
    return render(request, "dashboards/access_log.html", {
        "groups": grouped_reads(subject, own=subject.pk == viewer.pk, roles=roles_in_the_process(subject)),
        "own": subject.pk == viewer.pk,
        "subject": subject, "refused": find_refused_reads(subject_id=subject.pk, limit=100),
        "role_changes": changes_affecting(subject)[:100], "can_decide_changes": access.is_people_partner(viewer)})


REFUSED_READS_DAYS = 30


@require_GET
def refused_reads(request: HttpRequest) -> HttpResponse:
    """Refused attempts to open someone's record, newest first: for people partners, who follow them up."""
    viewer = _viewer(request)
    if not access.can_view_audit_trail(viewer):
        raise PermissionDenied("Refused attempts to open a record are for people partners.")
    attempts = find_refused_reads(since=timezone.now() - timedelta(days=REFUSED_READS_DAYS), limit=500)
    people = Person.objects.in_bulk({attempt.subject_id for attempt in attempts if attempt.subject_id})
    rows = [(attempt, people.get(attempt.subject_id or 0)) for attempt in attempts]
    return render(request, "dashboards/refused_reads.html", {"rows": rows, "days": REFUSED_READS_DAYS})


@require_GET
def data_use(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    policy = get_policy()
    sources = [(source, source.key in policy.allowed_sources) for source in SOURCES]
    # A category added after the policy was saved is kept for its default period until someone changes it.
    retention_days = {**DEFAULT_RETENTION_DAYS, **policy.retention_days}
    # Each AI feature by its name in words, never by the key the policy stores it under.
    ai_features = [(AI_FEATURES.get(key, key.removesuffix("_enabled").replace("_", " ")), bool(enabled))
                   for key, enabled in policy.ai_boundaries.items()]
    return render(request, "dashboards/data_use.html", {"policy": policy, "sources": sources,
                                                         "ai_features": ai_features,
                                                         "record_readers": access.RECORD_READERS,
                                                         "retention_days": retention_days,
                                                         "never_collected": NEVER_COLLECTED,
                                                         "last_purge": last_purge()})


@require_GET
def changes(request: HttpRequest) -> HttpResponse:
    """The change log every employee reads: policy, ladder, rubric and model changes with reason and date."""
    _viewer(request)
    return render(request, "dashboards/changes.html", {"changes": change_log()})


@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not access.can_edit_policy(viewer):
        raise PermissionDenied("Only people partners can change the policy.")
    policy = get_policy()
    form = PolicyForm(request.POST or None, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            changes = update_policy(actor=viewer, reason=form.cleaned_data["reason"], **form.policy_changes())
        except PolicyError as error:
            form.add_error(None, str(error))
        else:
            # A grouped setting (retention periods, AI boundaries) counts once for each value that changed in it.
            count = sum(max(1, sum(diff["from"].get(key) != diff["to"].get(key)
                                   for key in {*diff["from"], *diff["to"]}))
                        if isinstance(diff["from"], dict) and isinstance(diff["to"], dict) else 1
                        for diff in changes.values())
            messages.success(request, f"Policy saved ({count} setting{'' if count == 1 else 's'} changed)." if changes
                             else "Nothing changed.")
            return redirect("policy-edit")
    return render(request, "dashboards/policy_edit.html", {"form": form})


@require_GET
def audit_trail(request: HttpRequest) -> HttpResponse:
    """The audit trail, newest first, 25 entries a page, filtered by who acted, whose record, the kind of action
    and the days (a plain GET form). Choosing whose record opens that person's record, so the read is logged."""
    viewer = _viewer(request)
    if not access.can_view_audit_trail(viewer):
        raise PermissionDenied("The audit trail is for people partners.")
    chosen = trail.read_filter(request.GET)
    about, choices = _about_person(chosen)
    if about is not None:
        # The entries about one person are a part of their record: they see this read in "who viewed my record".
        access.open_person_record(viewer, about, what="audit.trail")
    page = Paginator(trail.entries(chosen), trail.ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    names = dict(Person.objects.filter(pk__in={entry.subject_person_id for entry in entries if entry.subject_person_id})
                 .values_list("pk", "name"))
    rows = [(entry, action_label(entry.action),
             subject_words(entry.subject_type, names.get(entry.subject_person_id or 0)),
             subject_label(entry.subject_type, entry.subject_id, names.get(entry.subject_person_id or 0)))
            for entry in entries]
    # The "About" column links the record of whoever the viewer may open (a people partner: anyone).
    linkable = set(names) if access.is_people_partner(viewer) else set(
        access.people_visible_to(viewer).filter(pk__in=names).values_list("pk", flat=True))
    return render(request, "dashboards/audit_trail.html", {
        "rows": rows, "page": page, "linkable": linkable,
        "filter": chosen, "about": about, "choices": choices, "kinds": trail.kinds(),
        "verification": verify_chain(), "access_verification": verify_access_log()},
        status=400 if chosen.errors else 200)


def _about_person(chosen: trail.TrailFilter) -> tuple[Person | None, list[Person]]:
    """Whose record the filter names: the person (by ``about_id``, or a name only one person has), or the people a
    name matches for the reader to choose from. A name nobody has is said as a mistake."""
    if chosen.about_id is not None:
        person = Person.objects.filter(pk=chosen.about_id).first()
        if person is None:
            chosen.errors["about"] = ERR_NOBODY_NAMED
            chosen.about_id = None
        return person, []
    if not chosen.about:
        return None, []
    matches = list(matching_people(Person.objects.all(), chosen.about).order_by("name")[:trail.MAX_NAME_CHOICES + 1])
    if not matches:
        chosen.errors["about"] = ERR_NOBODY_NAMED
    elif len(matches) == 1:
        chosen.about_id = matches[0].pk
        return matches[0], []
    elif len(matches) > trail.MAX_NAME_CHOICES:
        chosen.errors["about"] = ERR_TOO_MANY_NAMED.format(limit=trail.MAX_NAME_CHOICES)
        return None, []
    return None, matches
