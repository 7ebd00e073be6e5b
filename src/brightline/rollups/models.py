"""One precomputed aggregate per kind and key (a team, a service, a cycle, a period), with its age."""

from __future__ import annotations

from django.db import models


class Rollup(models.Model):
    """An aggregate a page reads instead of raw rows. ``value`` is JSON text written by ``rollups.codec``;
    ``stale`` is set when a change that affects it commits, until the refresh job recomputes it."""

    kind = models.CharField(max_length=64)
    key = models.CharField(max_length=128, blank=True, default="")
    value = models.TextField()
    computed_at = models.DateTimeField()
    seconds = models.FloatField(default=0.0)  # how long the computation took
    stale = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="rollup_kind_key_unique")]
        indexes = [models.Index(fields=["stale", "kind"], name="rollup_stale_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
