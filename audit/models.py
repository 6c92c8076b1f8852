"""The audit log: one row per change of who may do what, and per moderation action.

Rows hold plain ids and snapshots of the actor and the target, never foreign keys, so they
outlive the deletion of users and the purge of images. The table is append-only: a database
trigger (migration 0002) rejects UPDATE and DELETE."""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    class Source(models.TextChoices):
        PORTAL = "portal", "Portal"
        ADMIN = "admin", "Django admin"
        COMMAND = "command", "Management command"
        SYSTEM = "system", "Automatic"

    created_at = models.DateTimeField(auto_now_add=True)
    # Who: a user's id and name as they were; empty for the portal itself.
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_name = models.CharField(max_length=150, blank=True)
    # What, e.g. "image.hide", "user.suspend", "membership.role".
    action = models.CharField(max_length=50)
    # On which object: its kind, id and a short description as it was.
    target_type = models.CharField(max_length=30)
    target_id = models.BigIntegerField(null=True, blank=True)
    target_name = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    # The values changed (before and after) and anything else worth keeping.
    details = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PORTAL)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit log"
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="audit_created"),
            models.Index(fields=["actor_id", "-created_at", "-id"], name="audit_actor"),
            models.Index(fields=["action", "-created_at", "-id"], name="audit_action"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]

    def __str__(self) -> str:
        return f"{self.action} on {self.target_type} {self.target_id} by {self.actor_name or '-'}"
