"""The notification job and its schedule: hourly, right-away notices and each person's digest at their hour."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from brightline.jobs.schedules import register_schedule
from brightline.jobs.services import Progress, job
from brightline.notifications.models import Frequency
from brightline.notifications.services import NotificationError, send_notifications


@job("notifications.send", shown_errors=(NotificationError,))
def send(progress: Progress, *, frequency: str = Frequency.IMMEDIATE, person_ids: list[int] | None = None,
         digests: bool = False) -> dict[str, Any]:
    """E-mail the waiting notices of everyone who chose ``frequency``; with ``digests`` (the hourly run), also the
    digests due now in each person's zone. Safe to repeat: a notice is sent once, a digest once a local day."""
    report = send_notifications(frequency, person_ids=person_ids, digests_at=timezone.now() if digests else None)
    people = f"{report.people} {'person' if report.people == 1 else 'people'}"
    message = f"{report.sent_messages} e-mail{'s' if report.sent_messages != 1 else ''} sent ({people} checked)"
    if report.failed:
        message += f"; {report.failed} notice{'s' if report.failed != 1 else ''} not sent, tried again at the next run"
    progress.update(report.people, total=report.people, message=message)
    return report.to_json()


register_schedule(
    "notifications-immediate", job="notifications.send", cadence="hourly at :05", frequency="immediate",
    digests=True, description="E-mail new actions and events to people who want each one right away, each "
                              "person's digest once their chosen hour has come in their time zone, and retry "
                              "failed e-mails")
