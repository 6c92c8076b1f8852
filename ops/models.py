"""The one thing the operators' pages keep: which Celery workers said they were up, and when."""

from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by every worker process every WORKER_HEARTBEAT_SECONDS while it runs."""

    name = models.CharField(max_length=255, unique=True)
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()
    # Set by a warm shutdown; a worker killed outright just stops being seen.
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
