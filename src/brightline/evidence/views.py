"""Delivery pages: services and teams as trends with their DORA level, definitions, team health,
and the people-partner tools (catalogue, git ingest with progress, unmatched identities)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brightline import access
from brightline.core.delivery import (
    DEFAULT_RELEASE_TAG_PATTERN,
    DEFINITIONS,
    DORA_LEVELS_SOURCE,
    DORA_TEAMS_NOT_INDIVIDUALS,
    LEAD_TIME_BASIS,
    QUALITY_DEFINITIONS,
    TIME_OFF_DEFINITIONS,
    TIME_OFF_LIMITS,
    GitRepositoryError,
)
from brightline.evidence import charts, page_figures, reading
from brightline.evidence.forms import DismissIdentityForm, IngestGitForm, MapIdentityForm, ServiceForm
from brightline.evidence.metrics import (
    NORMALISATION_PEERS,
    NORMALISATION_SAME_SERVICE,
    NORMALISATION_SAME_TEAM,
    default_window,
    team_health,
)
from brightline.evidence.models import Criticality, Service, UnmatchedIdentity
from brightline.evidence.services import (
    EvidenceError,
    create_service,
    dismiss_identity,
    ensure_service,
    map_identity,
    register_repository,
    update_service,
)
from brightline.evidence.sources.base import SourceError
from brightline.evidence.sources.git.sync import POLICY_KEYS as GIT_POLICY_KEYS
from brightline.evidence.timeoff import team_time_off
from brightline.jobs.models import JobRun
from brightline.jobs.services import enqueue
from brightline.people.models import Person, Team
from brightline.policy.services import is_source_allowed, min_cohort_size

LEVEL_TABLE = (
    ("Elite", "On demand, multiple per day (> 7 per week)", "Less than one day", "≤ 5 %", "Less than one hour"),
    ("High", "Between once per day and once per week", "One day to one week", "≤ 10 %", "Less than one day"),
    ("Medium", "Between once per week and once per month", "One week to one month", "≤ 15 %", "One day to one week"),
    ("Low", "Less than once per month", "More than one month", "above 15 % (typical 64 %)", "More than one week"),
)


_viewer = access.request_person  # the signed-in person (request.person), or 403


def _require_partner(viewer: Person) -> None:
    if not access.can_manage_evidence_sources(viewer):
        raise PermissionDenied("Only people partners manage evidence sources.")


def _summary(metrics: Any) -> dict[str, Any]:
    data = metrics.to_json()
    return {"json": data, "levels": data["levels"], "lead_time_basis": LEAD_TIME_BASIS[data["lead_time_basis"]]}


@require_GET
def service_list(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    services = list(Service.objects.select_related("team"))
    teams = {service.team for service in services if service.team is not None}
    return render(request, "evidence/service_list.html", {
        "services": services, "can_manage": access.can_manage_evidence_sources(viewer),
        "viewable_teams": access.team_ids_viewable_by(viewer, teams)})


@require_GET
def service_detail(request: HttpRequest, name: str) -> HttpResponse:
    viewer = _viewer(request)
    service = get_object_or_404(Service.objects.select_related("team"), name=name)
    figures, as_of, stale = page_figures.read(page_figures.SERVICE_PAGE, str(service.pk))  # a rollup
    start, end, empty = figures.start, figures.end, figures.empty
    current = _summary(figures.current) if figures.current is not None else None
    peer_normalisation = NORMALISATION_PEERS.format(workload=service.get_workload_class_display(),
                                                    criticality=Criticality(service.criticality).label)
    peer_figures, peers_as_of, peers_stale = page_figures.read(page_figures.SERVICE_PEERS,
                                                               page_figures.peer_key(service))
    peers = peer_figures.by_name
    specs = charts.trend_specs(figures.periods, subject=service.name, normalisation=NORMALISATION_SAME_SERVICE,
                               now=figures.computed_for, window_start=start)
    return render(request, "evidence/service_detail.html", {
        "service": service, "start": start, "end": end, "current": current, "empty": empty,
        "own_tag_rule": service.release_tag_pattern not in ("", DEFAULT_RELEASE_TAG_PATTERN),
        "can_view_team": service.team is not None and access.can_view_team(viewer, service.team),
        "specs": specs, "shared_note": charts.shared_note(specs, NORMALISATION_SAME_SERVICE),
        "as_of": as_of, "as_of_stale": stale,
        "normalisation": NORMALISATION_SAME_SERVICE, "peer_normalisation": peer_normalisation,
        "peer_specs": [charts.peer_spec(peers, metric=key, highlight=service.name,
                                        normalisation=peer_normalisation)
                       for key in ("deployment_frequency_per_week", "lead_time_hours")]
        if len(peers) > 1 and not empty else [],
        "peers_as_of": peers_as_of, "peers_stale": peers_stale,
        "reliability": figures.reliability, "incidents_by_severity": figures.incidents_by_severity,
        "can_manage": access.can_manage_evidence_sources(viewer),
    })


@require_GET
def team_delivery(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _viewer(request)
    team = get_object_or_404(Team, slug=slug)
    if not access.can_view_team(viewer, team):
        raise PermissionDenied("Team pages are visible to the team, its management chain and people partners.")
    services = list(Service.objects.filter(team=team).select_related("team"))
    # Precomputed (a rollup) for a team with services; a team without any has nothing to read.
    figures, as_of, stale = (page_figures.read(page_figures.TEAM_PAGE, str(team.pk)) if services
                             else (page_figures.team_page(team, timezone.now()), None, False))
    context: dict[str, Any] = {"team": team, "services": services, "start": figures.start, "end": figures.end,
                               "normalisation": NORMALISATION_SAME_TEAM, "as_of": as_of, "as_of_stale": stale,
                               "can_view_health": access.can_view_team_health(viewer, team)}
    if figures.empty:
        context["empty"] = figures.empty
    else:
        context["current"] = _summary(figures.current)
        context["specs"] = charts.trend_specs(figures.periods, subject=team.name,
                                              normalisation=NORMALISATION_SAME_TEAM, now=figures.computed_for,
                                              window_start=figures.start)
        context["shared_note"] = charts.shared_note(context["specs"], NORMALISATION_SAME_TEAM)
        context["reliability"] = figures.reliability
    return render(request, "evidence/team_delivery.html", context)


@require_GET
def team_health_view(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _viewer(request)
    team = get_object_or_404(Team, slug=slug)
    if not access.can_view_team_health(viewer, team):
        raise PermissionDenied("Team health is visible to the team, its managers and people partners.")
    start, end = default_window(timezone.now())
    report = team_health(team, start=start, end=end)
    people = {person.pk: person for person in Person.objects.filter(pk__in=list(report.people))}
    visible = []
    # In name order, as on the team at a glance: never sorted by a figure.
    for person_id, detail in sorted(report.people.items(), key=lambda pair: (people[pair[0]].name, pair[0])):
        person = people[person_id]
        if access.can_view_health_detail(viewer, person):
            access.open_person_record(viewer, person, what="evidence.health_detail")
            visible.append((person, detail))
    # Time off is aggregated for the team only: it never joins the per-person rows above.
    as_of = (end - timedelta(days=1)).date()
    return render(request, "evidence/team_health.html", {
        "team": team, "health": report.team, "visible": visible, "start": start, "end": end,
        "time_off": team_time_off(team, as_of=as_of, min_cohort=min_cohort_size()), "as_of": as_of,
        "time_off_definitions": TIME_OFF_DEFINITIONS, "time_off_limits": TIME_OFF_LIMITS})


# The name each definition goes by on the pages (the charts' titles where a chart shows it).
DEFINITION_TITLES = {
    **{key: title for key, title, _axis, _reading in charts.TREND_METRICS},
    "deployments": "Deployments", "levels": "Performance levels", "escaped_defects": "Escaped defects",
    "escaped_defect_rate": "Escaped defect rate", "rollback_rate": "Rollback rate",
    "recurrent_incidents": "Recurrent incidents", "incidents_by_severity": "Incidents by severity",
}


def _titled(definitions: dict[str, str]) -> list[tuple[str, str, str]]:
    """Each definition as (anchor, title, text): the delivery pages link each measure to its anchor."""
    return [(key, DEFINITION_TITLES.get(key, key.replace("_", " ").capitalize()), text)
            for key, text in definitions.items()]


@require_GET
def definitions(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    return render(request, "evidence/definitions.html", {
        "definitions": _titled(DEFINITIONS), "quality_definitions": _titled(QUALITY_DEFINITIONS),
        "levels_source": DORA_LEVELS_SOURCE,
        "teams_not_individuals": DORA_TEAMS_NOT_INDIVIDUALS, "level_table": LEVEL_TABLE,
        "lead_time_bases": list(LEAD_TIME_BASIS.values()),
        "normalisations": (NORMALISATION_SAME_SERVICE, NORMALISATION_SAME_TEAM,
                           NORMALISATION_PEERS.format(workload="…", criticality="…"))})


@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, name: str | None = None) -> HttpResponse:
    viewer = _viewer(request)
    _require_partner(viewer)
    service = get_object_or_404(Service, name=name) if name else None
    initial = None
    if service is not None:
        initial = {"name": service.name, "team": service.team.slug if service.team_id else None,
                   "description": service.description, "criticality": service.criticality,
                   "workload_class": service.workload_class, "maturity": service.maturity,
                   "production_environments": ", ".join(service.production_environments),
                   "release_tag_pattern": service.release_tag_pattern}
    form = ServiceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if service is None:
                service = create_service(actor=viewer, name=form.cleaned_data["name"], **form.fields_for_service())
            else:
                update_service(service, actor=viewer, **form.fields_for_service())
        except EvidenceError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Saved {service.name}.")
            return redirect("evidence:service", name=service.name)
    return render(request, "evidence/service_edit.html", {"form": form, "service": service})


@require_http_methods(["GET", "POST"])
def ingest_git_view(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require_partner(viewer)
    form = IngestGitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service = ensure_service(name=data["service"], team_slug=data["team"].slug if data["team"] else None,
                                     release_tags=data["release_tags"] or None, actor=viewer)
            repository = register_repository(service, path=data["path"], branch=data["branch"] or "HEAD",
                                              actor=viewer)
            run = enqueue("evidence.ingest_git", requested_by=viewer, repository_id=repository.pk, actor_id=viewer.pk)
        except EvidenceError as error:
            form.add_error(None, str(error))
        except (GitRepositoryError, SourceError) as error:
            # An inline job's failure is recorded on its run (with the message); show the run.
            run = JobRun.objects.filter(requested_by=viewer, name="evidence.ingest_git").first()
            if run is None:
                form.add_error(None, str(error))
            else:
                return redirect("evidence:job", run_id=run.pk)
        else:
            return redirect("evidence:job", run_id=run.pk)
    return render(request, "evidence/ingest.html", {
        "form": form, "runs": reading.recent_runs(), "services": reading.service_reads(),
        "git_allowed": is_source_allowed(GIT_POLICY_KEYS[0]),
        "default_tag_pattern": DEFAULT_RELEASE_TAG_PATTERN})


def _job_for(request: HttpRequest, run_id: int) -> JobRun:
    viewer = _viewer(request)
    _require_partner(viewer)
    return get_object_or_404(JobRun, pk=run_id, name="evidence.ingest_git")


@require_GET
def job_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = _job_for(request, run_id)
    return render(request, "evidence/job.html", {"run": run, "line": reading.run_lines([run])[0]})


@require_GET
def job_progress(request: HttpRequest, run_id: int) -> HttpResponse:
    return render(request, "evidence/_job_progress.html", {"run": _job_for(request, run_id)})


@require_GET
def identity_queue(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require_partner(viewer)
    open_items = UnmatchedIdentity.objects.filter(resolved_to__isnull=True, dismissed=False)
    return render(request, "evidence/identities.html", {
        "identities": open_items[:200], "people": list(Person.objects.filter(is_active=True))})


@require_POST
def identity_map(request: HttpRequest, identity_id: int) -> HttpResponse:
    viewer = _viewer(request)
    _require_partner(viewer)
    unmatched = get_object_or_404(UnmatchedIdentity, pk=identity_id)
    form = MapIdentityForm(request.POST)
    if form.is_valid():
        try:
            count = map_identity(unmatched, person=form.cleaned_data["person"], actor=viewer)
        except EvidenceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{unmatched.kind} {unmatched.value} now belongs to "
                                      f"{form.cleaned_data['person'].name}; {count} record(s) attributed.")
    else:
        messages.error(request, "Choose a person.")
    return redirect("evidence:identities")


@require_POST
def identity_dismiss(request: HttpRequest, identity_id: int) -> HttpResponse:
    viewer = _viewer(request)
    _require_partner(viewer)
    unmatched = get_object_or_404(UnmatchedIdentity, pk=identity_id)
    form = DismissIdentityForm(request.POST)
    if form.is_valid():
        try:
            dismiss_identity(unmatched, actor=viewer, reason=form.cleaned_data["reason"])
        except EvidenceError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"Dismissed {unmatched.value}.")
    else:
        messages.error(request, "Say why this identity is not a person here.")
    return redirect("evidence:identities")
