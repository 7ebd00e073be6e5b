"""Governance pages: the leadership view and system health for leaders and people partners, manager
quality for the manager and their chain, and the imports they rest on (HRIS movements, survey
answers; demographics too, on the same page for people partners). Each view asks
``brightline.access``, parses its input, calls one service and renders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brightline import access
from brightline.core.fairness import FairnessInputError
from brightline.csvio import CsvImportError, describe_import
from brightline.fairness import decisions
from brightline.fairness.demographics import demographic_coverage, import_demographics, known_attributes
from brightline.fairness.views import uploaded_csv
from brightline.governance import leadership, manager_quality, system_health
from brightline.governance.hris import import_hris_events
from brightline.governance.surveys import QUESTIONS, import_survey_answers
from brightline.people.models import Person, Team
from brightline.policy import recommendations
from brightline.policy.services import min_cohort_size
from brightline.rollups import services as rollups

DENIED_DEMOGRAPHICS = "Demographic attributes are for people partners only."
DENIED_MANAGER = "A manager's quality page is for the manager, their management chain and people partners."
DENIED_AGGREGATES = "Organisation aggregates are for leaders and people partners."
DENIED_DRILL_DOWN = "Drill-down is for people partners running an authorised review."
ERR_NO_REASON = "Name the authorised review this drill-down is for."
TEAMS_PER_PAGE = 50
# System health shows each team's quarters (a dozen rows a team over three years): fewer teams a page.
HEALTH_TEAMS_PER_PAGE = 20


_viewer = access.request_person  # the signed-in person (request.person), or 403


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    managers = manager_quality.managers_visible_to(access.managers_quality_visible_to(viewer))
    context = {"can_audit": access.can_run_fairness_audits(viewer),
               "can_lead": access.can_view_leadership_view(viewer), "managers": managers}
    if not (context["can_lead"] or managers):
        raise PermissionDenied(DENIED_AGGREGATES)
    return render(request, "governance/index.html", context)


# ----------------------------------------------------------------------------- demographics and HRIS


@require_http_methods(["GET", "POST"])
def data(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require(access.can_view_demographics(viewer), DENIED_DEMOGRAPHICS)
    errors: list[Any] = []
    if request.method == "POST":
        try:
            raw = uploaded_csv(request)
        except FairnessInputError as error:
            raw, refused = None, str(error)
        else:
            refused = "Choose a CSV file to import."
        importer = {"demographics": import_demographics, "surveys": import_survey_answers}.get(
            request.POST.get("kind", ""), import_hris_events)
        if raw is None:
            messages.error(request, refused)
        else:
            try:
                result = importer(raw, actor=viewer, dry_run=request.POST.get("dry_run") == "on")
            except CsvImportError as error:
                errors = error.errors
            else:
                messages.success(request, describe_import(result, "rows"))
                return redirect("governance:data")
    min_cohort = min_cohort_size()
    return render(request, "governance/data.html", {
        "coverage": demographic_coverage(viewer, min_cohort=min_cohort), "min_cohort": min_cohort,
        "errors": errors, "attributes": known_attributes(), "survey_questions": QUESTIONS})


# ------------------------------------------------------------------------- manager quality and health


@require_GET
def manager_quality_page(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    manager = get_object_or_404(Person, pk=person_id)
    access.open_person_record(viewer, manager, what="fairness.manager_quality", denied=DENIED_MANAGER)
    quality = manager_quality.measure_manager_quality(manager, min_cohort=min_cohort_size())
    return render(request, "governance/manager_quality.html", {"quality": quality})


@require_GET
def system_health_page(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require(access.can_view_aggregates(viewer), DENIED_AGGREGATES)
    min_cohort = min_cohort_size()
    cycles = decisions.auditable_cycles()
    # Precomputed figures (rollups): the latest decided cycle's calibration and the organisation's figures.
    figures = leadership.cycle_rollup(cycles[0].pk if cycles else 0, min_cohort)
    organisation = leadership.organisation_rollup(min_cohort)
    next_to_delivery = rollups.read_one(system_health.HEALTH_NEXT_TO_DELIVERY_ROLLUP, str(min_cohort))
    return render(request, "governance/system_health.html", {
        "min_cohort": min_cohort, "velocity": organisation.value.velocity,
        "calibration": figures.value.calibration, "calibration_withheld": figures.value.calibration_withheld,
        "cycle": cycles[0] if cycles else None,
        "attrition": organisation.value.attrition, "as_of": rollups.oldest([figures, organisation, next_to_delivery]),
        "health_and_delivery": next_to_delivery.value,
        "health_teams": Paginator(next_to_delivery.value.teams, HEALTH_TEAMS_PER_PAGE).get_page(
            request.GET.get("teams")),
        "attrition_teams": Paginator(organisation.value.attrition.audit.groups if organisation.value.attrition.audit
                                     else [], TEAMS_PER_PAGE).get_page(request.GET.get("attrition")),
        "clarity": organisation.value.clarity})


# --------------------------------------------------------------------------------- leadership view


@require_http_methods(["GET", "POST"])
def leadership_view(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require(access.can_view_leadership_view(viewer), DENIED_AGGREGATES)
    try:
        view = leadership.build_leadership_view(min_cohort=min_cohort_size(),
                                                cycle=request.POST.get("cycle") or request.GET.get("cycle"))
    except leadership.UnknownCycle as error:
        raise Http404(str(error)) from None
    recommendation_error = ""
    if request.method == "POST" and view.recommendation is not None:
        try:  # the recommendation decided is the one computed now, never text sent by the browser
            recommendations.decide_recommendation(actor=viewer, shown=view.recommendation,
                                                  decision=request.POST.get("decision", ""),
                                                  reason=request.POST.get("reason", ""))
        except recommendations.RecommendationError as error:
            recommendation_error = str(error)
        else:
            messages.success(request, "Your decision on the recommendation is kept with your name and reason.")
            return redirect(f"{request.path}?cycle={view.cycle_id or ''}#recommendation")
    # A large organisation has a thousand teams: both team tables show one page of them at a time.
    team_rows = Paginator(view.teams, TEAMS_PER_PAGE).get_page(request.GET.get("teams"))
    follow_ups = _delivery_follow_ups(viewer, [row.label for row in team_rows.object_list if row.headcount is not None])
    theme_teams = Paginator(access.teams_with_theme_aggregates_visible_to(viewer).order_by("name"),
                            TEAMS_PER_PAGE).get_page(request.GET.get("themes"))
    can_drill_down = access.can_drill_down(viewer)
    themes = leadership.feedback_themes_of(list(theme_teams.object_list))
    titles = leadership.level_titles()
    return render(request, "governance/leadership.html", {"recommendation_error": recommendation_error,
        "view": view, "chart": leadership.promotion_chart_spec(view.promotion_by_level, titles=titles),
        "can_drill_down": can_drill_down, "teams": Team.objects.order_by("name") if can_drill_down else [],
        "team_rows": team_rows, "team_table": [(row, follow_ups.get(row.label)) for row in team_rows.object_list],
        "teams_summary": _teams_summary(view, follow_ups, delivery_weeks=leadership.DELIVERY_WINDOW_DAYS // 7),
        "themes_pending_count": len([row for row in themes if row.themes is None]),
        # A cycle withheld from the improvement table is a sentence; the table holds the cycles with figures.
        "improvement_shown": [row for row in view.improvement if not row.summary.withheld],
        "theme_teams": theme_teams,
        "audit_tables": _audit_tables(view),
        "delivery_weeks": leadership.DELIVERY_WINDOW_DAYS // 7, "level_titles": titles,
        # Teams with a summary get a row each; the ones still waiting for one are named together in a sentence.
        "feedback_themes": [row for row in themes if row.themes is not None],
        "themes_pending": [row for row in themes if row.themes is None]},
        status=400 if recommendation_error else 200)


@dataclass(frozen=True)
class DeliveryFollowUp:
    """A shown team's open changes in its delivery trends (AI signals nobody dismissed), who follows them up, and its
    delivery page when the viewer may open it."""

    changes: int
    owned: bool  # every one has an owner (the team's manager, named on the team's own pages, never here)
    waiting: bool  # one of them is still waiting for its owner to look at it
    slug: str | None


def _delivery_follow_ups(viewer: Person, names: list[str]) -> dict[str, DeliveryFollowUp]:
    """For the team rows on the page (by name), their open delivery-trend changes and whether their owner has looked
    at them, naming nobody (the leadership view shows patterns, not people): two queries whatever the number of
    teams (the teams, then their signals), and the viewer's right to open each team's delivery page (none more for a
    leader or a people partner, who may open every team's)."""
    from brightline.insights.models import Signal
    from brightline.insights.services import open_trend_breaks

    teams = list(Team.objects.filter(name__in=names).only("pk", "name", "slug"))
    viewable = access.team_ids_viewable_by(viewer, teams)
    found: dict[int, list[tuple[bool, str]]] = {}
    for team_id, owner_id, status in open_trend_breaks(teams).values_list("team_id", "owner_id", "status"):
        found.setdefault(team_id, []).append((owner_id is not None, status))
    return {team.name: DeliveryFollowUp(
        len(found.get(team.pk, ())), all(owned for owned, _ in found.get(team.pk, ())),
        any(status == Signal.Status.PENDING for _, status in found.get(team.pk, ())),
        team.slug if team.pk in viewable else None) for team in teams}


NAMED_IN_SUMMARY = 5  # teams named in a sentence of the teams' summary; more are counted


def _named(names: list[str]) -> str:
    """Team names in a sentence: at most ``NAMED_IN_SUMMARY``, then how many more."""
    shown = names[:NAMED_IN_SUMMARY]
    more = len(names) - len(shown)
    listed = ", ".join(shown[:-1]) + (" and " if len(shown) > 1 and not more else ", " if more else "") + shown[-1]
    return listed + (f" and {more} more" if more else "")


def _teams_summary(view: leadership.LeadershipView, follow_ups: dict[str, DeliveryFollowUp], *,
                   delivery_weeks: int) -> list[str]:
    """What stands out in the teams' table, in one or two sentences naming teams, never a person: the teams that
    deploy less often than before, and those with open changes in their delivery trends (of the table's page)."""
    slower = [row.label for row in view.teams if row.headcount is not None and row.deployments_trend == "down"]
    open_changes = [(name, follow) for name, follow in follow_ups.items() if follow.changes]
    sentences = []
    if slower:
        sentences.append(f"Deploying less often than in the {delivery_weeks} weeks before: {_named(slower)}.")
    if open_changes:
        waiting = [name for name, follow in open_changes if follow.waiting or not follow.owned]
        counted = sorted(f"{name} ({follow.changes})" for name, follow in open_changes)
        sentences.append(f"Open changes in delivery trends: {_named(counted)}"
                         + (f"; waiting for the team's manager to look: {_named(sorted(waiting))}." if waiting
                            else "; each team's manager follows them up."))
    if not sentences:
        sentences.append(f"No team deploys less often than in the {delivery_weeks} weeks before, and no change in a "
                         "team's delivery trends is open.")
    return sentences


def _audit_tables(view: leadership.LeadershipView) -> dict[str, str]:
    """The promotion and calibration audits as the page shows them. The calibration audit lists every team (a
    thousand rows in a large organisation, most of the page's rendering), so the HTML is kept per process for
    each version of the rollups it comes from; it depends on nothing about the viewer."""
    def render_tables() -> dict[str, str]:
        labels = {"promotion": leadership.level_titles(), "calibration": view.team_labels}
        # On a phone the promotion rates by level fold under the audit's sentence (the calibration's are folded
        # whole by the page).
        folds = {"promotion": "The rates by level", "calibration": ""}
        return {name: render_to_string("fairness/_audit.html", {
                    "audit": cut.event, "measure": cut.measure, "source": view.cycle_name,
                    "group_labels": labels[name], "fold": folds[name]})
                if cut is not None and cut.event is not None else ""
                for name, cut in (("promotion", view.promotion_by_level), ("calibration", view.calibration_by_team))}

    if view.sources is None:
        return render_tables()
    tables: dict[str, str] = rollups.derived(("leadership.audit_tables", *view.sources), render_tables)
    return tables


@require_POST
def drill_down(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    _require(access.can_drill_down(viewer), DENIED_DRILL_DOWN)
    team = get_object_or_404(Team, slug=request.POST.get("team", ""))
    reason = request.POST.get("reason", "").strip()
    if not reason:
        messages.error(request, ERR_NO_REASON)
        return redirect("governance:leadership")
    detail = leadership.drill_down(team, viewer=viewer, reason=reason)
    return render(request, "governance/drill_down.html", {"detail": detail, "reason": reason})
