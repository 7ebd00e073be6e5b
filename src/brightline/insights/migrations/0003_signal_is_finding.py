from django.db import migrations, models


def mark_non_findings(apps, schema_editor):
    """Existing signals that find nothing: too little data, a sentiment drift with no clear change, or a theme
    summary in which no theme recurs. Later runs set the flag themselves."""
    Signal = apps.get_model("insights", "Signal")
    Signal.objects.filter(enough_data=False).update(is_finding=False)
    nothing_found: list[int] = []
    for pk, kind, detail in Signal.objects.filter(enough_data=True, kind__in=("sentiment_drift", "theme_summary")
                                                  ).values_list("pk", "kind", "detail").iterator(chunk_size=2000):
        detail = detail if isinstance(detail, dict) else {}
        if kind == "sentiment_drift":
            nothing = detail.get("trend") == "flat"
        else:
            nothing = not any(isinstance(row, dict) and row.get("enough_data") for row in detail.get("themes", []))
        if nothing:
            nothing_found.append(pk)
    for start in range(0, len(nothing_found), 2000):  # one statement per thousands of signals, not one per signal
        Signal.objects.filter(pk__in=nothing_found[start:start + 2000]).update(is_finding=False)


class Migration(migrations.Migration):

    dependencies = [
        ('insights', '0002_plain_signal_kind_names'),
    ]

    operations = [
        migrations.AddField(
            model_name='signal',
            name='is_finding',
            field=models.BooleanField(default=True, help_text='False when it finds nothing to follow up: not enough data, no clear change in tone, no recurring theme. Shown as information; never reviewed or cited.'),
        ),
        migrations.RunPython(mark_non_findings, migrations.RunPython.noop),
    ]
