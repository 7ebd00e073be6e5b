from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0011_person_modified_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="rolechange",
            name="effective_on",
            field=models.DateField(blank=True, null=True),
        ),
    ]
