"""Store each person's reporting line ("/12/45/103/") so chain questions are one indexed query."""

from django.db import migrations, models


def fill_chain_paths(apps, schema_editor):
    Person = apps.get_model("people", "Person")
    manager_of = dict(Person.objects.values_list("pk", "manager_id"))
    paths: dict[int, str] = {}

    def path_of(pk: int) -> str:
        # Walk up iteratively; a loop (an old admin edit) makes the person who closes it a top of line.
        line: list[int] = []
        current: int | None = pk
        while current is not None and current not in paths and current not in line:
            line.append(current)
            current = manager_of.get(current)
        prefix = paths.get(current, "/") if current is not None and current in paths else "/"
        for person in reversed(line):
            prefix = f"{prefix}{person}/"
            paths[person] = prefix
        return paths[pk]

    people = list(Person.objects.only("pk", "chain_path"))
    for person in people:
        person.chain_path = path_of(person.pk)
    Person.objects.bulk_update(people, ["chain_path"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0005_person_left_on"),
    ]

    operations = [
        migrations.AddField(
            model_name="person",
            name="chain_path",
            field=models.CharField(blank=True, db_index=True, default="", editable=False, max_length=2000),
        ),
        migrations.RunPython(fill_chain_paths, migrations.RunPython.noop),
    ]
