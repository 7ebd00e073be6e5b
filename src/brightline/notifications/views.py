"""The person's notification settings page and their calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brightline import access
from brightline.notifications import calendar
from brightline.notifications.models import Frequency
from brightline.notifications.services import NotificationError, absolute_url, frequency_of, set_frequency

_viewer = access.request_person  # the signed-in person (request.person), or 403


@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if request.method == "POST":
        try:
            set_frequency(viewer, request.POST.get("frequency", ""))
        except NotificationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "Saved: " + Frequency(frequency_of(viewer)).label.lower() + ".")
        return redirect("notifications:settings")
    row = calendar.current_settings(viewer)
    path = calendar.feed_path(row)
    return render(request, "notifications/settings.html", {
        "person": viewer, "frequency": row.frequency, "choices": Frequency.choices,
        "feed_url": absolute_url(path) if path else None, "email": viewer.email,
        "deadlines": calendar.deadlines_for(viewer),
    })


@require_POST
def calendar_link(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if request.POST.get("action") == "revoke":
        calendar.revoke_token(viewer)
        messages.success(request, "Your calendar address is switched off; calendars using it stop updating.")
    else:
        replaced = bool(calendar.current_settings(viewer).calendar_token)
        calendar.regenerate_token(viewer)
        messages.success(request, "A new calendar address is ready; the previous one no longer works."
                         if replaced else "Your calendar address is ready: add it to your calendar app.")
    return redirect("notifications:settings")


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    person = calendar.person_for_token(token)
    if person is None:
        raise Http404("No calendar at this address.")
    response = HttpResponse(calendar.render_ics(person), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="brightline.ics"'
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
