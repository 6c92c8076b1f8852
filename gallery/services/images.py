"""Writes on images: trash, restore, delete for good, favorites, shares, saved searches."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Membership
from audit.services import audit_record

from .. import storage
from ..models import Favorite, GeneratedImage, SavedSearch
from ..selectors import visible_images
from .exports import exports_expire_holding


def images_trash(*, user: User, image_ids: list[int]) -> int:
    """Move the user's images to the trash; ids that are not theirs change nothing."""
    images = GeneratedImage.objects.owned_by(user).alive().filter(pk__in=image_ids)
    return images.update(deleted_at=timezone.now())


def images_restore(*, user: User, image_ids: list[int]) -> int:
    images = GeneratedImage.objects.owned_by(user).trashed().filter(pk__in=image_ids)
    return images.update(deleted_at=None)


def images_delete_forever(*, images: QuerySet[GeneratedImage]) -> int:
    """Delete rows and then their files, once the deletion is committed, and with them the
    export zips that hold any of the images (their exports stay, marked expired)."""
    with transaction.atomic():
        # Locked in id order, as an export being finished locks them, before its export.
        doomed = list(
            images.select_for_update().order_by("pk").values_list("pk", "file", "thumbnail")
        )
        ids = [pk for pk, _, _ in doomed]
        names = [name for _, *pair in doomed for name in pair if name]
        count, _ = GeneratedImage.objects.filter(pk__in=ids).delete()
        exports_expire_holding(image_ids=ids)
        transaction.on_commit(lambda: storage.delete_quietly(*names))
    return int(count)


def trash_empty(*, user: User, image_ids: list[int] | None = None) -> int:
    images = GeneratedImage.objects.owned_by(user).trashed()
    if image_ids is not None:
        images = images.filter(pk__in=image_ids)
    return images_delete_forever(images=images)


def trash_purge(*, older_than_days: float | None = None) -> int:
    """Delete for good what has been in the trash longer than the retention period."""
    days = settings.TRASH_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = timezone.now() - timedelta(days=days)
    purged = 0
    while True:
        expired = GeneratedImage.objects.trashed_before(cutoff)
        batch = list(expired.values_list("pk", flat=True)[:500])
        if not batch:
            return purged
        with transaction.atomic():
            purged += images_delete_forever(images=GeneratedImage.objects.filter(pk__in=batch))


def favorites_set(*, user: User, image_ids: list[int], favorite: bool) -> int:
    """Star or unstar images the user may see (own, or shared with their team); others stay."""
    visible = visible_images(user).filter(pk__in=image_ids)
    if not favorite:
        deleted, _ = Favorite.objects.filter(user=user, image__in=visible).delete()
        return int(deleted)
    created = Favorite.objects.bulk_create(
        [Favorite(user=user, image_id=pk) for pk in visible.values_list("pk", flat=True)],
        ignore_conflicts=True,
    )
    return len(created)


def saved_search_save(*, user: User, name: str, query_string: str) -> SavedSearch:
    saved, _ = SavedSearch.objects.update_or_create(
        user=user, name=name, defaults={"query_string": query_string[:1000]}
    )
    return saved


def saved_search_delete(*, saved_search: SavedSearch) -> None:
    saved_search.delete()


def images_share(*, membership: Membership, image_ids: list[int]) -> int:
    """Show the member's own images in their team's library (a membership, so that only a
    member ever shares with a team). Images a moderator hid are never shared again."""
    images = GeneratedImage.objects.owned_by(membership.user_id).shareable()
    images = images.filter(pk__in=image_ids)
    return images.update(shared_team_id=membership.team_id, shared_at=timezone.now())


def images_unshare(*, user: User, image_ids: list[int]) -> int:
    images = GeneratedImage.objects.owned_by(user).shared().filter(pk__in=image_ids)
    return images.update(shared_team=None, shared_at=None)


def library_image_remove(*, admin: User, image: GeneratedImage, reason: str) -> None:
    """A team admin takes an image out of their team's library (the caller checked the role
    with selectors.get_library_image_for_admin); audited like a moderator's action."""
    with transaction.atomic():
        team_name = image.shared_team.name if image.shared_team else ""
        GeneratedImage.objects.shared().filter(pk=image.pk).update(shared_team=None, shared_at=None)
        audit_record(
            actor=admin,
            action="library.remove",
            target_type="image",
            target_id=image.pk,
            target_name=f"image {image.pk} by {image.user.get_username()}",
            reason=reason,
            details={"team": team_name, "team_id": image.shared_team_id},
        )
