"""The notification jobs and their schedules: right away (hourly), daily and weekly digests."""

from __future__ import annotations

from typing import Any

from brightline.jobs.schedules import register_schedule
from brightline.jobs.services import Progress, job
from brightline.notifications.models import Frequency
from brightline.notifications.services import NotificationError, send_notifications


@job("notifications.send", shown_errors=(NotificationError,))
def send(progress: Progress, *, frequency: str = Frequency.IMMEDIATE,
         person_ids: list[int] | None = None) -> dict[str, Any]:
    """E-mail the waiting notices of everyone who chose ``frequency``. Safe to repeat: a notice is sent once."""
    report = send_notifications(frequency, person_ids=person_ids)
    people = f"{report.people} {'person' if report.people == 1 else 'people'}"
    message = f"{report.sent_messages} e-mail{'s' if report.sent_messages != 1 else ''} sent ({people} checked)"
    if report.failed:
        message += f"; {report.failed} notice{'s' if report.failed != 1 else ''} not sent, tried again at the next run"
    progress.update(report.people, total=report.people, message=message)
    return report.to_json()


register_schedule(
    "notifications-immediate", job="notifications.send", cadence="hourly at :05", frequency="immediate",
    description="E-mail new actions and events to people who want each one right away, and retry failed e-mails")
register_schedule(
    "notifications-daily", job="notifications.send", cadence="daily at 06:00", frequency="daily",
    description="E-mail the daily digest of what needs each person (the default choice)")
register_schedule(
    "notifications-weekly", job="notifications.send", cadence="weekly on monday at 06:00",
    frequency="weekly", description="E-mail the weekly digest to people who chose it")
