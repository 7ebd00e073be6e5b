"""Pages of the AI-signals layer. Thin: parse, ask ``brightline.access``, call one service, render.

Reading someone else's signals is logged with ``record_access``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from brightline import access
from brightline.insights import charts, services
from brightline.insights.models import Signal, SignalKind
from brightline.people.models import Person, Team
from brightline.policy.services import get_policy

DENIED_SIGNALS = "AI signals about a person are visible to that person and their management chain only."
DENIED_TEAM = ("Team signals are visible to the team's managers and people partners; leaders see their theme "
               "counts.")
DENIED_ORGANISATION = "Organisation-wide signals and the bias check are for people partners."
ARROWS = {"up": "↑", "down": "↓", "flat": "→", "unknown": ""}


_viewer = access.request_person  # the signed-in person (request.person), or 403


def _cards(viewer: Person, signals: list[Signal], *, min_cohort: int | None = None) -> list[dict[str, object]]:
    """Each signal with what the viewer may do with it. ``min_cohort`` (a team's page, an aggregate page): a count
    of people below it in a statement reads "fewer than N"."""
    return [{"signal": s, "can_review": s.awaits_review and access.can_review_signal(viewer, s),
             "arrow": ARROWS.get(str(s.detail.get("trend", "unknown")), ""), "citable": services.is_citable(s),
             "statement": (services.aggregate_wording(s.shown_statement, min_cohort) if min_cohort
                           else s.shown_statement)}
            for s in signals]


def _sentiment_charts(signals: list[Signal], *, subject: str) -> list[dict[str, object]]:
    """The monthly tone chart and its table for each sentiment drift signal (the evidence behind it)."""
    return [{"spec": spec, "months": charts.sentiment_months(signal)} for signal in signals
            if (spec := charts.sentiment_chart_spec(signal, subject=subject)) is not None]


def _person_page(request: HttpRequest, viewer: Person, person: Person) -> HttpResponse:
    signals = [s for s in services.signals_for_person(person) if access.can_view_signal(viewer, s)]
    summary = next((s for s in signals if s.kind == "theme_summary"), None)
    sentiment = [s for s in signals if s.kind == "sentiment_drift"]
    is_self = viewer.pk == person.pk
    sections = (
        ("Themes in feedback", [s for s in signals if s.kind == "theme"], []),
        ("Tone of feedback over time", sentiment,
         _sentiment_charts(sentiment, subject="you" if is_self else person.name)),
        ("Feedback and evidence side by side",
         [s for s in signals if s.kind in {"contradiction", "unsupported_claim", "missing_evidence"}], []),
    )
    return render(request, "insights/person.html", {
        "person": person, "is_self": is_self, "summary": summary,
        "summary_card": _cards(viewer, [summary])[0] if summary else None,
        "theme_counts": summary.detail.get("themes", []) if summary else [], "arrows": ARROWS,
        "sections": [(title, _cards(viewer, items), chart_list) for title, items, chart_list in sections],
        "dismissed": services.dismissal_count(person=person, include_manager_drafts=not is_self),
    })


@require_GET
def my_signals(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    return _person_page(request, viewer, viewer)


@require_GET
def person_signals(request: HttpRequest, person_id: int) -> HttpResponse:
    viewer = _viewer(request)
    person = get_object_or_404(Person, pk=person_id)
    access.open_person_record(viewer, person, what="insights.signals", denied=DENIED_SIGNALS)
    return _person_page(request, viewer, person)


@require_GET
def team_signals(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = _viewer(request)
    team = get_object_or_404(Team, slug=slug)
    if not access.can_view_team_theme_aggregates(viewer, team):
        raise PermissionDenied(DENIED_TEAM)
    if not access.can_view_team_signals(viewer, team):
        # A leader outside the team's chain: theme counts only, with the minimum cohort (H3, G2).
        return render(request, "insights/team.html", {
            "team": team, "aggregates_only": True, "show_members": False,
            "themes": services.team_themes(team, aggregates_only=True)})
    signals = services.signals_for_team(team)
    summary = next((s for s in signals if s.kind == "theme_summary"), None)
    sentiment = [s for s in signals if s.kind == "sentiment_drift"]
    themes = services.team_themes(team, aggregates_only=False)
    cohort = get_policy().min_cohort_size  # a team page is an aggregate page: small counts of people are not said
    return render(request, "insights/team.html", {
        "team": team, "owner": services.team_manager(team), "aggregates_only": False, "show_members": True,
        "themes": themes,
        "summary_card": _cards(viewer, [summary], min_cohort=cohort)[0] if summary else None,
        "theme_cards": _cards(viewer, [s for s in signals if s.kind == "theme"], min_cohort=cohort),
        "breaks": _cards(viewer, [s for s in signals if s.kind == "trend_break"]),
        "others": _cards(viewer, [s for s in signals if s.kind not in {"trend_break", "theme", "theme_summary"}]),
        "sentiment_charts": _sentiment_charts(sentiment, subject=team.name),
        "dismissed": services.dismissal_count(team=team),
    })


@require_POST
def review_signal(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    signal = get_object_or_404(Signal.objects.select_related("person", "team"), pk=pk)
    if not access.can_review_signal(viewer, signal):
        raise PermissionDenied(DENIED_SIGNALS)
    decision = request.POST.get("decision", "")
    reason = request.POST.get("reason", "")
    error = ""
    try:
        if decision == "accept":
            signal = services.accept_signal(actor=viewer, signal=signal, reason=reason)
        elif decision == "dismiss":
            signal = services.dismiss_signal(actor=viewer, signal=signal, reason=reason)
        else:
            error = "Choose accept or dismiss."
    except services.InsightsError as refused:
        error = str(refused)
    if request.headers.get("HX-Request"):
        card = _cards(viewer, [signal])[0]
        return render(request, "insights/_signal.html", {"card": card, "error": error},
                      status=400 if error else 200)
    if error:
        messages.error(request, error)
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                                 require_https=request.is_secure()):
        return redirect(back)
    if signal.person_id:
        return redirect("insights:person", person_id=signal.person_id)
    if signal.team_id:
        return redirect("insights:team", slug=signal.team.slug)
    return redirect("insights:organisation")


def packet_evidence_cards(viewer: Person, review_id: int, person: Person) -> list[dict[str, object]]:
    """The missing-evidence checks of one draft packet that ``viewer`` may see, as signal cards (the reviews
    app shows them where the packet is edited)."""
    return _cards(viewer, [s for s in services.packet_signals(review_id, person) if access.can_view_signal(viewer, s)])


@require_GET
def transparency(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    return render(request, "insights/transparency.html", {"report": services.transparency_report()})


@require_GET
def organisation(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if not access.can_view_organisation_signals(viewer):
        raise PermissionDenied(DENIED_ORGANISATION)
    emergent = Signal.objects.filter(person=None, team=None, is_current=True)
    bias = services.signal_bias_report()
    return render(request, "insights/organisation.html", {
        "emergent": _cards(viewer, list(emergent)), "bias": bias, "bias_rows": _bias_rows(bias.findings),
    })


BIAS_GROUPING_NAMES = {"workload_class": "Workload class", "tenure_band": "Tenure band",
                       "comment_volume": "Comments written (quartile)"}


def _bias_rows(findings: Any) -> list[dict[str, Any]]:
    """The bias check's findings with every stored key (signal kind, grouping, group) in words."""
    kinds = dict(SignalKind.choices)
    return [{"kind": kinds.get(finding.signal_kind, finding.signal_kind),
             "grouping": BIAS_GROUPING_NAMES.get(finding.grouping, finding.grouping),
             "groups": [{**group, "group": services.BIAS_GROUP_NAMES.get(group["group"], group["group"])}
                        for group in finding.audit.get("groups", [])],
             "flagged": finding.flagged, "summary": finding.summary} for finding in findings]
