from django.db import migrations, models


def mark_non_findings(apps, schema_editor):
    """Existing signals that find nothing: too little data, a sentiment drift with no clear change, or a theme
    summary in which no theme recurs. Later runs set the flag themselves."""
    Signal = apps.get_model("insights", "Signal")
    Signal.objects.filter(enough_data=False).update(is_finding=False)
    for signal in Signal.objects.filter(enough_data=True, kind__in=("sentiment_drift", "theme_summary")).only(
            "kind", "detail"):
        detail = signal.detail if isinstance(signal.detail, dict) else {}
        if signal.kind == "sentiment_drift":
            nothing = detail.get("trend") == "flat"
        else:
            nothing = not any(isinstance(row, dict) and row.get("enough_data") for row in detail.get("themes", []))
        if nothing:
            Signal.objects.filter(pk=signal.pk).update(is_finding=False)


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
