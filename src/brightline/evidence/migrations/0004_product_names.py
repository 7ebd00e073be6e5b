"""The product's words: a commit row is a ``CommitRecord`` (the core has the ``Commit`` it is read from)
and a review on a pull request is a ``CodeReview`` (a performance review is ``reviews.Review``)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('evidence', '0003_time_off'),
        ('people', '0001_initial'),
    ]

    operations = [
        migrations.RenameModel(old_name='Commit', new_name='CommitRecord'),
        migrations.RenameModel(old_name='Review', new_name='CodeReview'),
    ]
