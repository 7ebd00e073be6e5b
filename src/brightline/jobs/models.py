from __future__ import annotations

from django.db import models


class JobRun(models.Model):
    """One run of a long task, with progress a page can poll (htmx) and a result or error."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=120, db_index=True)
    arguments = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey("people.Person", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def percent(self) -> int | None:
        if not self.total:
            return None
        return min(100, round(100 * self.progress / self.total))


class ScheduleState(models.Model):
    """Where one schedule stands: the slot it last ran for, its last run, and its lock.

    ``last_slot`` only moves forward, by a conditional update that exactly one process can win
    (see ``brightline.jobs.scheduler``), and ``busy_until`` is set while a run holds the
    schedule, so the same schedule never runs twice at once, whichever schedulers are running.
    """

    name = models.CharField(max_length=120, unique=True)
    last_slot = models.DateTimeField(help_text="The scheduled moment the last run was started for.")
    busy_until = models.DateTimeField(null=True, blank=True,
                                      help_text="Set while a run holds the schedule; given up after it.")
    run = models.ForeignKey(JobRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                            help_text="The last run started for this schedule.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
