# The read mark on notices, cheap on a large table and reversible.
#
# The column is added with false for the rows already there (the notices made before the mark existed were
# e-mailed or listed in the inbox already: nobody should find a year of them "unread" after the upgrade); on
# PostgreSQL 11 and later a column with a constant default is recorded in the catalogue, no row is rewritten.
# New notices are unread from then on: the model's default, which Django applies when it writes a row, so the
# second step changes no column. The partial index holds the unread rows only (none at first); on PostgreSQL it
# is built without locking writes (CONCURRENTLY, outside a transaction), elsewhere as usual.

from django.db import migrations, models


class AddIndexWithoutLocking(migrations.AddIndex):
    """``AddIndexConcurrently`` on PostgreSQL, a plain ``AddIndex`` on the other databases."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.add_index(model, self.index, concurrently=True)
        else:
            schema_editor.add_index(model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(model, self.index, concurrently=True)
        else:
            schema_editor.remove_index(model, self.index)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ('notifications', '0004_digest_day_of_the_last_fixed_run'),
        ('people', '0011_person_modified_at'),
    ]

    operations = [
        migrations.AddField(
            model_name='notice',
            name='unread',
            field=models.BooleanField(default=False),
        ),
        # Django writes the default itself and keeps none in the database: a change of the state alone.
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.AlterField(
                model_name='notice',
                name='unread',
                field=models.BooleanField(default=True),
            ),
        ]),
        AddIndexWithoutLocking(
            model_name='notice',
            index=models.Index(condition=models.Q(('unread', True)), fields=['person'], name='notice_unread_person'),
        ),
    ]
