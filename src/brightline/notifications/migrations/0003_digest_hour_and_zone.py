# Each person chooses the hour and zone of their digest: everyone starts at 08:00 in the zone on their record
# (it was 06:00 UTC for all); ``DigestDay`` lets the hourly run send one digest per local day.

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_per_kind_deliveries'),
        ('people', '0010_scim_groups'),
    ]

    operations = [
        migrations.AddField(
            model_name='notificationsettings',
            name='digest_hour',
            field=models.PositiveSmallIntegerField(default=8, validators=[django.core.validators.MaxValueValidator(23)]),
        ),
        migrations.AddField(
            model_name='notificationsettings',
            name='digest_timezone',
            field=models.CharField(blank=True, default='', max_length=64),
        ),
        migrations.AlterField(
            model_name='notificationsettings',
            name='digest',
            field=models.CharField(choices=[('daily', 'Daily'), ('weekly', 'Weekly, on Mondays')], default='daily', max_length=16),
        ),
        migrations.CreateModel(
            name='DigestDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField(blank=True, null=True)),
                ('person', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='digest_day', to='people.person')),
            ],
        ),
    ]
