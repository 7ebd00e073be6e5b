"""The cycle's free JSON ``config`` becomes typed settings that the review rules read.

No code read ``config``. A value it held under the new names (a boolean ``self_review_required``, a
whole ``min_evidence_per_dimension`` from 1 to 5) is carried over; every other key had no effect and
is dropped with the column.
"""

from django.db import migrations, models


def carry_over(apps, schema_editor):
    ReviewCycle = apps.get_model("reviews", "ReviewCycle")
    for cycle in ReviewCycle.objects.all():
        config = cycle.config if isinstance(cycle.config, dict) else {}
        required = config.get("self_review_required")
        minimum = config.get("min_evidence_per_dimension")
        if isinstance(required, bool):
            cycle.self_review_required = required
        if isinstance(minimum, int) and not isinstance(minimum, bool) and 1 <= minimum <= 5:
            cycle.min_evidence_per_dimension = minimum
        cycle.save(update_fields=["self_review_required", "min_evidence_per_dimension"])


def carry_back(apps, schema_editor):
    ReviewCycle = apps.get_model("reviews", "ReviewCycle")
    for cycle in ReviewCycle.objects.all():
        cycle.config = {"self_review_required": cycle.self_review_required,
                        "min_evidence_per_dimension": cycle.min_evidence_per_dimension}
        cycle.save(update_fields=["config"])


class Migration(migrations.Migration):

    dependencies = [
        ("reviews", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="reviewcycle",
            name="self_review_required",
            field=models.BooleanField(
                default=False, help_text="Manager assessment starts only when every self review is submitted."),
        ),
        migrations.AddField(
            model_name="reviewcycle",
            name="min_evidence_per_dimension",
            field=models.PositiveSmallIntegerField(
                default=1, help_text="Cited evidence items each dimension needs before the assessment is submitted."),
        ),
        migrations.RunPython(carry_over, carry_back),
        migrations.RemoveField(model_name="reviewcycle", name="config"),
    ]
