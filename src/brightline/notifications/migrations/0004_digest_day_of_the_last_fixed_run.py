# Before 0003 every digest went at 06:00 UTC (daily, and on Mondays for the weekly one), and nothing recorded it;
# after 0003 the hourly run sends one digest a local day and records that day (DigestDay). Upgraded after an
# 06:00 UTC run, a person who had that run's digest had no day recorded, so the hourly run sent them a second
# digest the same local day at their new hour. This records the local day of the last 06:00 UTC run for each
# person who was e-mailed since it and has no digest day yet: their next digest is the next local day's. Someone
# who was e-mailed since then only right away waits one day for the digest too (the notices are kept, not lost).

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import migrations
from django.utils import timezone

OLD_DIGEST_HOUR_UTC = 6


def _zone(*names):
    # The zone rule of notifications.services.zone_of, kept here: a migration must not change when the app does.
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def last_fixed_run(now: datetime) -> datetime:
    """The last 06:00 UTC at or before ``now``: when the old schedule last sent the digests."""
    moment = now.astimezone(ZoneInfo("UTC")).replace(hour=OLD_DIGEST_HOUR_UTC, minute=0, second=0, microsecond=0)
    return moment if moment <= now else moment - timedelta(days=1)


def record_days(apps, now: datetime) -> int:
    """Record the local day of the last fixed run for the people e-mailed since it; how many were recorded."""
    notice = apps.get_model("notifications", "Notice")
    digest_day = apps.get_model("notifications", "DigestDay")
    person = apps.get_model("people", "Person")
    moment = last_fixed_run(now)
    mailed = set(notice.objects.filter(status="sent", sent_at__gte=moment).values_list("person_id", flat=True))
    mailed -= set(digest_day.objects.filter(person_id__in=mailed, day__isnull=False)
                  .values_list("person_id", flat=True))
    rows = person.objects.filter(pk__in=mailed).values_list("pk", "timezone", "notification_settings__digest_timezone")
    recorded = 0
    for pk, recorded_zone, chosen_zone in rows.order_by("pk"):
        day = moment.astimezone(_zone(chosen_zone, recorded_zone)).date()
        row, _ = digest_day.objects.get_or_create(person_id=pk)
        if row.day is None:
            row.day = day
            row.save(update_fields=["day"])
            recorded += 1
    return recorded


def forwards(apps, schema_editor):
    record_days(apps, timezone.now())


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0003_digest_hour_and_zone"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
