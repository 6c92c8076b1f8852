"""Reports, the cases they make, and what moderators do about them.

A case is about one image (made by its reports) or about one user (made by content-policy
refusals). It keeps a snapshot of the image's prompts and thumbnail, and neither cases nor
reports cascade from images, so a case outlives the owner trashing or deleting the image."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

OPEN = Q(status="open")


class Case(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        USER = "user", "User"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DISMISSED = "dismissed", "Dismissed"
        ACTIONED = "actioned", "Action taken"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    image = models.ForeignKey(
        "gallery.GeneratedImage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The image's creator, or the user the case is about.
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    subject_name = models.CharField(max_length=150)
    # What the image was when the case opened.
    prompt = models.TextField(blank=True)
    revised_prompt = models.TextField(blank=True)
    thumbnail = models.FileField(max_length=300, blank=True)
    report_count = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(auto_now_add=True)
    # When it was last reopened (by a report or an appeal), for the queue's order.
    reopened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Raised by every change, so an action on a case that changed since its page was loaded
    # is refused.
    version = models.PositiveIntegerField(default=1)
    # What the reporters are told of the outcome.
    outcome = models.TextField(blank=True)
    # The owner's one appeal.
    appeal_text = models.TextField(blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        permissions = [("moderate", "Can moderate reports, images and users")]
        constraints = [
            models.UniqueConstraint(
                fields=["image"], condition=Q(kind="image"), name="case_one_per_image"
            ),
            models.UniqueConstraint(
                fields=["subject"], condition=Q(kind="user", status="open"),
                name="case_one_open_per_user",
            ),
        ]  # fmt: skip
        indexes = [
            # The queue, oldest first or most reported first.
            models.Index(fields=["reopened_at", "id"], name="case_queue_oldest", condition=OPEN),
            models.Index(
                fields=["-report_count", "reopened_at", "id"],
                name="case_queue_reported",
                condition=OPEN,
            ),
            models.Index(fields=["subject", "-opened_at"], name="case_subject"),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.get_kind_display()}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class Report(models.Model):
    class Reason(models.TextChoices):
        SEXUAL = "sexual", "Sexual content"
        VIOLENCE = "violence", "Violence"
        HARASSMENT = "harassment", "Harassment"
        COPYRIGHT = "copyright", "Copyright"
        SPAM = "spam", "Spam"
        OTHER = "other", "Other"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports"
    )
    # The image's id, not a key to it: a report outlives the image.
    image_id = models.BigIntegerField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = models.TextField(blank=True, max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reporter", "image_id"], name="report_once"),
        ]
        indexes = [
            models.Index(fields=["case", "created_at"], name="report_case"),
            models.Index(fields=["reporter", "-created_at"], name="report_reporter"),
        ]

    def __str__(self) -> str:
        return f"Report of image {self.image_id} ({self.reason})"


class Strike(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="strikes"
    )
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, related_name="strikes")
    reason = models.TextField()
    moderator_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="strike_user")]

    def __str__(self) -> str:
        return f"Strike for user {self.user_id}"


class Notice(models.Model):
    """What a user is told of a moderator's action on their content or account."""

    class Kind(models.TextChoices):
        HIDDEN = "hidden", "Image hidden"
        RESTORED = "restored", "Image restored"
        STRIKE = "strike", "Strike"
        SUSPENDED = "suspended", "Account suspended"
        UNSUSPENDED = "unsuspended", "Account restored"
        UNSHARED = "unshared", "Removed from a library"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="notice_user")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for user {self.user_id}"

    @property
    def appealable(self) -> bool:
        return self.kind in (self.Kind.HIDDEN, self.Kind.STRIKE, self.Kind.SUSPENDED)
