"""Whether a user may submit at all: not while suspended, nor while their recent content-policy
refusals wait for a moderator's review."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Profile

from ..models import Generation


def _unreviewed_refusals(user_id: int, profile: Profile | None) -> int:
    since = refusals_window_start()
    if profile is not None and profile.refusals_reviewed_at is not None:
        since = max(since, profile.refusals_reviewed_at)
    return Generation.objects.of(user_id).refused_by_policy().filter(created_at__gte=since).count()


def _profile(user_id: int) -> Profile | None:
    return (
        Profile.objects.filter(user_id=user_id).only("suspended_at", "refusals_reviewed_at").first()
    )


def refusals_since_review(user_id: int) -> int:
    """Content-policy refusals in the window that no moderator has reviewed yet."""
    return _unreviewed_refusals(user_id, _profile(user_id))


def hold_message(*, suspended: bool, refused: int) -> str | None:
    """Why a user with this state may not submit now, in words; None when they may."""
    if suspended:
        return "Your account is suspended; nothing can be submitted."
    if refused >= settings.MODERATION_REFUSALS_THRESHOLD:
        return (
            f"{refused} of your recent prompts were refused by the content policy. "
            "A moderator reviews them before you can submit again; nothing was submitted."
        )
    return None


def refusals_window_start() -> datetime:
    return timezone.now() - timedelta(hours=settings.MODERATION_REFUSALS_WINDOW_HOURS)
