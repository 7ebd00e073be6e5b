"""The Celery application for ``BRIGHTLINE_JOBS=celery``: ``celery -A brightline.celery worker``."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "brightline.settings")

app = Celery("brightline")
app.config_from_object("django.conf:settings", namespace="CELERY")


@app.task(name="brightline.run_job", acks_late=True)
def run_job(run_id: int) -> str:
    import django

    django.setup()
    from brightline.jobs.services import execute

    return execute(run_id).status
