"""The free-text review rights and appeal path become settings the product reads.

``appeal_path`` was text that no code read: appeals were always routed to a reviewer outside the
person's management chain. Each policy therefore maps to that choice, except a text that named the
calibration panel as the second reviewer, which maps to the panel choice (still outside the chain),
so the routing now does what the employees were told. ``review_rights`` described the access rules
the code enforces; it is removed and the page now states those rules from the code.
"""

from django.db import migrations, models


def map_appeal_path(apps, schema_editor):
    Policy = apps.get_model("policy", "Policy")
    for policy in Policy.objects.all():
        text = (policy.appeal_path or "").lower()
        policy.appeal_reviewers = "panel_outside_chain" if "panel" in text else "outside_chain"
        policy.save(update_fields=["appeal_reviewers"])


def unmap_appeal_path(apps, schema_editor):
    Policy = apps.get_model("policy", "Policy")
    texts = {
        "outside_chain": "Within the appeal window, add context and request a second review by a reviewer outside "
                         "your management chain.",
        "panel_outside_chain": "Within the appeal window, add context and request a second review by a member of "
                               "the calibration panel outside your management chain.",
        "people_partner": "Within the appeal window, add context and request a second review by a people partner "
                          "outside your management chain.",
    }
    for policy in Policy.objects.all():
        policy.appeal_path = texts.get(policy.appeal_reviewers, texts["outside_chain"])
        policy.save(update_fields=["appeal_path"])


class Migration(migrations.Migration):

    dependencies = [
        ("policy", "0003_signal_owners"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="appeal_reviewers",
            field=models.CharField(
                choices=[
                    ("outside_chain", "Any colleague outside your management chain, chosen by a people partner"),
                    ("panel_outside_chain", "A member of the cycle's calibration panel outside your management "
                                            "chain, without a declared conflict, chosen by a people partner"),
                    ("people_partner", "A people partner outside your management chain"),
                ],
                default="outside_chain", help_text="Who may be assigned to decide an appeal and its escalation",
                max_length=24),
        ),
        migrations.RunPython(map_appeal_path, unmap_appeal_path),
        migrations.RemoveField(model_name="policy", name="appeal_path"),
        migrations.RemoveField(model_name="policy", name="review_rights"),
    ]
