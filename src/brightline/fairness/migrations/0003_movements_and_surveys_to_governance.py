"""HrisEvent and SurveyResponse now belong to the governance app (``governance.0001``): they leave
this app's state only. Their tables stay, with every row, under the names they had."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('fairness', '0002_survey_responses'),
        ('governance', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='HrisEvent'),
                migrations.DeleteModel(name='SurveyResponse'),
            ],
        ),
    ]
