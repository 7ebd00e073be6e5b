from django.db import migrations, models


def mark_theme_summaries(apps, schema_editor):
    """A theme summary lists the recurring themes, each of which is a signal reviewed on its own: the summary is
    shown as information from now on. Only those nobody has reviewed change; a review already written stays."""
    Signal = apps.get_model("insights", "Signal")
    Signal.objects.filter(kind="theme_summary", status="pending", is_finding=True).update(is_finding=False)


class Migration(migrations.Migration):

    dependencies = [
        ('insights', '0003_signal_is_finding'),
    ]

    operations = [
        migrations.AlterField(
            model_name='signal',
            name='is_finding',
            field=models.BooleanField(default=True, help_text='False when it finds nothing to follow up: not enough data, no clear change in tone, no recurring theme; and for every theme summary, whose themes are signals of their own. Shown as information; never reviewed or cited.'),
        ),
        migrations.RunPython(mark_theme_summaries, migrations.RunPython.noop),
    ]
