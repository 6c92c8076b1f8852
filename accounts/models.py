"""Teams, who belongs to them, and the limits that apply to people and teams."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    # Images per calendar month for the whole team; empty means the portal's default.
    monthly_image_limit = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def image_limit(self) -> int:
        if self.monthly_image_limit is not None:
            return self.monthly_image_limit
        return int(settings.QUOTA_TEAM_MONTHLY_IMAGES)


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        ADMIN = "admin", "Team admin"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)
    # Who added the user, and whether the user has yet to dismiss the notice that tells them.
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notice_pending = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_team_user"),
        ]
        indexes = [models.Index(fields=["user", "team"], name="membership_user_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Profile(models.Model):
    """Per-user state kept by administrators and moderators: a personal limit override, and
    whether the account is suspended. Read with the user on every request (see backends)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # Images per day for this user; empty means the portal's default.
    daily_image_limit = models.PositiveIntegerField(null=True, blank=True)
    # Set while the account is suspended, with the reason the user is shown.
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_reason = models.TextField(blank=True)
    # Refusals before this moment were reviewed by a moderator: they no longer hold submissions.
    refusals_reviewed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"

    @property
    def image_limit(self) -> int:
        if self.daily_image_limit is not None:
            return self.daily_image_limit
        return int(settings.QUOTA_USER_DAILY_IMAGES)

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None
