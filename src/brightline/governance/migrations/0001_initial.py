"""HrisEvent and SurveyResponse move here from the fairness app: Django's state only.

Their tables stay as the fairness app created them (``fairness_hrisevent``,
``fairness_surveyresponse``, named by ``db_table``), so no row is copied and none is lost;
``fairness.0003`` removes the two models from the fairness app's state after this one.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('fairness', '0002_survey_responses'),
        ('people', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='HrisEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('employee_id', models.CharField(max_length=64)),
                        ('event', models.CharField(choices=[('left', 'Left the organisation'), ('transferred', 'Transferred internally'), ('promoted', 'Promoted')], max_length=16)),
                        ('date', models.DateField()),
                        ('regretted', models.BooleanField(blank=True, help_text='Leavers only: would we have kept them?', null=True)),
                        ('from_team', models.CharField(blank=True, max_length=200)),
                        ('to_team', models.CharField(blank=True, max_length=200)),
                        ('from_level', models.CharField(blank=True, max_length=16)),
                        ('to_level', models.CharField(blank=True, max_length=16)),
                        ('imported_at', models.DateTimeField(auto_now_add=True)),
                        ('person', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='people.person')),
                    ],
                    options={
                        'db_table': 'fairness_hrisevent',
                        'ordering': ['date', 'employee_id', 'event'],
                        'constraints': [models.UniqueConstraint(fields=('employee_id', 'event', 'date'), name='one_hris_event_per_day')],
                    },
                ),
                migrations.CreateModel(
                    name='SurveyResponse',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('survey_date', models.DateField(help_text='The day the survey round closed')),
                        ('question', models.CharField(max_length=64)),
                        ('answer', models.PositiveSmallIntegerField(help_text='1 (strongly disagree) to 5 (strongly agree)')),
                        ('imported_at', models.DateTimeField(auto_now_add=True)),
                        ('manager', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='people.person')),
                        ('team', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='people.team')),
                    ],
                    options={
                        'db_table': 'fairness_surveyresponse',
                        'ordering': ['survey_date', 'question', 'manager_id', 'answer'],
                        'indexes': [models.Index(fields=['question', 'manager', 'survey_date'], name='survey_round')],
                    },
                ),
            ],
        ),
    ]
