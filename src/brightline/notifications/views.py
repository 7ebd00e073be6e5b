"""The person's notification settings page, their notices and calendar feed, and the reminders a manager or a
people partner sends."""

from __future__ import annotations

from functools import lru_cache

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from brightline import access
from brightline.notifications import calendar, reminders
from brightline.notifications.models import NOTICE_GROUPS, NOTICE_KINDS, Delivery, Digest, Notice, NotificationSettings
from brightline.notifications.services import NotificationError, absolute_url, digest_zones, set_choices
from brightline.people.models import Person
from brightline.reviews.models import ReviewCycle

_viewer = access.request_person  # the signed-in person (request.person), or 403


def zone_label(zone: str) -> str:
    """A zone as people read it in a list: "Europe/Berlin" is "Berlin (Europe)", "America/Argentina/Buenos_Aires"
    is "Buenos Aires (America, Argentina)"."""
    *regions, place = zone.split("/")
    return f"{place.replace('_', ' ')} ({', '.join(regions)})" if regions else place


@lru_cache(maxsize=1)
def _zone_options() -> tuple[tuple[str, str], ...]:
    # About 400 zones: their options are escaped once per process, not rendered by the template on each request
    # (the loop was half of this page's CPU).
    return tuple((zone, f'<option value="{escape(zone)}">{escape(zone_label(zone))}</option>')
                 for zone in digest_zones())


def zone_options(selected: str) -> SafeString:
    """The digest zone's ``<option>`` elements, ``selected`` marked."""
    return mark_safe("".join(html.replace('">', '" selected>', 1) if zone == selected else html  # noqa: S308
                             for zone, html in _zone_options()))


def _form(viewer: Person, row: NotificationSettings, posted: dict[str, str] | None = None,
          errors: dict[str, str] | None = None) -> dict[str, object]:
    """The page's context: the e-mail choices grouped as the page shows them, with any refused field's reason."""
    errors = errors or {}
    chosen = {**row.all_deliveries(), **(posted or {})}
    groups = []
    for group, heading in NOTICE_GROUPS:
        rows = [{"key": entry.key, "label": entry.label, "value": chosen.get(entry.key, ""),
                 "always_mailed": entry.always_mailed, "error": errors.get(entry.key, ""),
                 "options": [(value, label) for value, label in Delivery.choices
                             if not (entry.always_mailed and value == Delivery.OFF)]}
                for entry in NOTICE_KINDS if entry.group == group]
        groups.append({"key": group, "heading": heading, "kinds": rows})
    labels = {entry.key: entry.label for entry in NOTICE_KINDS} | {
        "digest": "When your digest goes", "digest_hour": "At what time", "digest_timezone": "In which time zone"}
    path = calendar.feed_path(row)
    hour = str((posted or {}).get("digest_hour", row.digest_hour))
    return {"person": viewer, "digest": (posted or {}).get("digest", row.digest), "digest_choices": Digest.choices,
            "digest_hour": hour, "hours": [(str(value), f"{value:02d}:00") for value in range(24)],
            "digest_timezone": (posted or {}).get("digest_timezone", row.digest_timezone),
            "zone_options": zone_options(str((posted or {}).get("digest_timezone", row.digest_timezone))),
            "recorded_zone": viewer.timezone or "UTC",
            "groups": groups, "errors": errors,
            "error_summary": [(key, labels.get(key, key), message) for key, message in errors.items()],
            "feed_url": absolute_url(path) if path else None, "email": viewer.email,
            "deadlines": calendar.deadlines_for(viewer)}


@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    if request.method == "POST":
        digest = request.POST.get("digest", "")
        when = {"digest_hour": request.POST.get("digest_hour", ""),
                "digest_timezone": request.POST.get("digest_timezone", "")}
        deliveries = {entry.key: request.POST.get(f"kind-{entry.key}", "") for entry in NOTICE_KINDS}
        try:
            set_choices(viewer, digest=digest, deliveries=deliveries, **when)
        except NotificationError as error:
            context = _form(viewer, calendar.current_settings(viewer), {"digest": digest, **when, **deliveries},
                            error.errors)
            return render(request, "notifications/settings.html", context, status=400)
        messages.success(request, "Saved: your e-mail choices are changed.")
        return redirect("notifications:settings")
    return render(request, "notifications/settings.html", _form(viewer, calendar.current_settings(viewer)))


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


# ------------------------------------------------------------------------------------------- notices

# The notices page lists this many, the unread ones first.
NOTICES_SHOWN = 100


@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    rows = list(Notice.objects.filter(person=viewer).exclude(status=Notice.Status.DROPPED)
                .order_by("-unread", "-created_at", "-pk")
                .only("pk", "title", "kind", "due_on", "created_at", "unread")[:NOTICES_SHOWN])
    return render(request, "notifications/notices.html", {
        "notices": rows, "any_unread": any(notice.unread for notice in rows), "shown": NOTICES_SHOWN})


@require_GET
def notice_open(request: HttpRequest, notice_id: int) -> HttpResponse:
    """Open a notice: marked read, then on to the page it is about. Only the person's own."""
    viewer = _viewer(request)
    notice = get_object_or_404(Notice, pk=notice_id, person=viewer)
    if notice.unread:
        Notice.objects.filter(pk=notice.pk).update(unread=False)
    target = notice.path if url_has_allowed_host_and_scheme(notice.path, allowed_hosts=None) \
        and notice.path.startswith("/") else reverse("notifications:notices")
    return redirect(target)


@require_POST
def notices_read(request: HttpRequest) -> HttpResponse:
    viewer = _viewer(request)
    marked = Notice.objects.filter(person=viewer, unread=True).update(unread=False)
    if marked:
        messages.success(request, f"Marked {marked} notice{'s' if marked != 1 else ''} as read.")
    return redirect("notifications:notices")


# ----------------------------------------------------------------------------------------- reminders


def _back(request: HttpRequest, cycle: ReviewCycle) -> str:
    """Where the reminder's form came from: the cycle page, or the manager's list of reviews."""
    wanted = request.POST.get("next", "")
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}):
        return wanted
    return reverse("reviews:cycle", args=[cycle.pk])


@require_POST
def remind(request: HttpRequest, cycle_id: int) -> HttpResponse:
    """Remind one person (``recipient``) of their open step, or everyone late or due soon (``everyone``)."""
    viewer = _viewer(request)
    if not (access.can_run_cycles(viewer) or viewer.is_manager):
        raise PermissionDenied(reminders.ERR_NOT_YOURS)
    cycle = get_object_or_404(ReviewCycle, pk=cycle_id)
    back = _back(request, cycle)
    if request.POST.get("everyone"):
        sent, already = reminders.remind_everyone(viewer, cycle)
        if not sent and not already:
            messages.info(request, "Nobody you can remind is late or due soon in this cycle.")
        else:
            # One reminder per person and step: a manager late with assessments and with their own self review
            # gets two, so the count is of reminders, not of people.
            text = f"Sent {sent} reminder{'' if sent == 1 else 's'}."
            if already:
                text += f" {already} had been sent today already."
            messages.success(request, text)
        return redirect(back)
    recipient = get_object_or_404(Person, pk=request.POST.get("recipient") or 0)
    try:
        reminders.remind(viewer, cycle, recipient, request.POST.get("step", ""))
    except reminders.ReminderError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Reminded {recipient.name}: they get a notice saying what is due and by when.")
    return redirect(back)
