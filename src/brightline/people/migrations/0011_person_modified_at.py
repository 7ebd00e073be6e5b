import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0010_scim_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="modified_at",
            field=models.DateTimeField(auto_now=True, db_index=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
    ]
