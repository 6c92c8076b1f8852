from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.urls import reverse

from accounts.models import Membership

from .values import (
    IMAGE_FILTER_FIELDS,
    PROMPT_MAX_LENGTH,
    QUALITIES,
    RESPONSE_FORMATS,
    SIZES,
    STYLES,
    Scope,
    user_id_of,
)

__all__ = [
    "IMAGE_FILTER_FIELDS",
    "PROMPT_MAX_LENGTH",
    "QUALITIES",
    "RESPONSE_FORMATS",
    "SIZES",
    "STYLES",
]

SEARCH_CONFIG = "english"

# Every visibility rule, written once: the QuerySet methods below and the partial indexes'
# conditions use these same objects.
ALIVE = Q(deleted_at__isnull=True)
TRASHED = Q(deleted_at__isnull=False)
SHARED = Q(shared_team__isnull=False)
# Shown to people other than its owner: not hidden by a moderator, its owner not suspended.
SHOWN = Q(hidden_at__isnull=True, withheld=False)
IN_LIBRARY = ALIVE & SHARED & SHOWN
PENDING = Q(status__in=["queued", "running"])
# Pending, or ended without images: what the gallery lists above a user's images.
UNFINISHED = Q(status__in=["queued", "running", "failed", "refused"])


@functools.cache
def _url_pattern(name: str) -> str:
    return reverse(name, args=[0])


def url_with_pk(name: str, pk: int) -> str:
    """reverse(name, args=[pk]), reversing each name once."""
    return _url_pattern(name).replace("/0/", f"/{pk}/", 1)


def _user_id(user: Any) -> int:
    return user if isinstance(user, int) else user_id_of(user)


class GenerationQuerySet(models.QuerySet["Generation"]):
    def of(self, user: Any) -> GenerationQuerySet:
        """The user's own generations (a user or a user's id)."""
        return self.filter(user_id=_user_id(user))

    def pending(self) -> GenerationQuerySet:
        return self.filter(PENDING)

    def stuck(self, now: datetime) -> GenerationQuerySet:
        """Pending ones whose lease ran out: their worker died or their message was lost."""
        return self.filter(PENDING, lease_until__lt=now)

    def refused_by_policy(self) -> GenerationQuerySet:
        return self.filter(status="refused", error_kind="content_policy")

    def unfinished_or_failed_since(self, since: datetime) -> GenerationQuerySet:
        """Pending ones, and those that failed or were refused since then."""
        failed = Q(status__in=["failed", "refused"], created_at__gte=since)
        return self.filter(PENDING | failed)


class ImageQuerySet(models.QuerySet["GeneratedImage"]):
    def alive(self) -> ImageQuerySet:
        """Not in the trash."""
        return self.filter(ALIVE)

    def trashed(self) -> ImageQuerySet:
        return self.filter(TRASHED)

    def trashed_before(self, moment: datetime, pk: int | None = None) -> ImageQuerySet:
        """In the trash since before `moment`; with `pk`, also those trashed at that very moment
        with a lower id (the trash's keyset order, newest first)."""
        if pk is None:
            return self.filter(TRASHED, deleted_at__lt=moment)
        # The plain bound lets the index start at the moment; the OR settles ties.
        return self.filter(TRASHED, deleted_at__lte=moment).filter(
            Q(deleted_at__lt=moment) | Q(deleted_at=moment, pk__lt=pk)
        )

    def owned_by(self, user: Any) -> ImageQuerySet:
        """The user's own images, in the trash or not (a user or a user's id)."""
        return self.filter(user_id=_user_id(user))

    def shared(self) -> ImageQuerySet:
        return self.filter(SHARED)

    def shown(self) -> ImageQuerySet:
        """Shown to others: not hidden by a moderator, the owner not suspended."""
        return self.filter(SHOWN)

    def hidden(self) -> ImageQuerySet:
        """Hidden by a moderator."""
        return self.filter(hidden_at__isnull=False)

    def shareable(self) -> ImageQuerySet:
        """What an owner may share: alive, and not hidden by a moderator."""
        return self.alive().filter(hidden_at__isnull=True)

    def in_library(self, team: Any) -> ImageQuerySet:
        """Shown in a team's library (a team or a team's id). Equality on the team implies
        SHARED, so the library's partial indexes serve it; written out as well, SHARED would be
        counted a second time by the planner (a fifth of all rows), which then turns from the
        library's ordered index to sorting the whole library."""
        team_id = team if isinstance(team, int) else team.pk
        return self.filter(ALIVE, SHOWN, shared_team_id=team_id)

    def visible_to(self, viewer: Any) -> ImageQuerySet:
        """What a user may look at: their own, and those shown in the library of a team they
        are in now (so not hidden, and not of a suspended owner)."""
        viewer_id = _user_id(viewer)
        teams = Membership.objects.filter(user_id=viewer_id).values("team_id")
        return self.alive().filter(Q(user_id=viewer_id) | Q(SHOWN, shared_team_id__in=teams))

    def in_libraries_run_by(self, admin: Any) -> ImageQuerySet:
        """Alive and shared with a team the user is a team admin of (hidden or not)."""
        teams = Membership.objects.filter(user_id=_user_id(admin), role=Membership.Role.ADMIN)
        return self.alive().shared().filter(shared_team_id__in=teams.values("team_id"))

    def in_scope(self, scope: Scope) -> ImageQuerySet:
        """The images a gallery page of this scope lists."""
        if scope.is_library:
            return self.in_library(scope.key)
        return self.alive().owned_by(scope.key)


class Generation(models.Model):
    """One request to the image API on behalf of a user: what was asked and what came of it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        REFUSED = "refused", "Refused"
        CANCELED = "canceled", "Canceled"

    class ErrorKind(models.TextChoices):
        VALIDATION = "validation", "Invalid request"
        CONTENT_POLICY = "content_policy", "Content policy"
        AUTH = "auth", "API key"
        RATE_LIMITED = "rate_limited", "Rate limited"
        UPSTREAM = "upstream", "Upstream failure"
        TIMEOUT = "timeout", "Timeout"
        BAD_IMAGE = "bad_image", "Bad image"
        STORAGE = "storage", "Storage"

    PENDING = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.REFUSED, Status.CANCELED)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generations"
    )
    prompt = models.TextField()
    model = models.CharField(max_length=100)
    n = models.PositiveSmallIntegerField(default=1)
    size = models.CharField(max_length=20, default="1024x1024")
    quality = models.CharField(max_length=20, default="standard")
    style = models.CharField(max_length=20, default="vivid")
    response_format = models.CharField(max_length=20, default="url")
    idempotency_key = models.UUIDField(default=uuid.uuid4)
    # The team the user worked for when submitting; its monthly quota is charged.
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The shared image this generation was remixed from, if any.
    remixed_from = models.ForeignKey(
        "GeneratedImage", on_delete=models.SET_NULL, null=True, blank=True, related_name="remixes"
    )
    # Images counted against quotas: n while pending, then the images actually stored.
    charged = models.PositiveSmallIntegerField(default=0)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    error_kind = models.CharField(max_length=20, choices=ErrorKind.choices, blank=True)
    error_message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Which worker holds the row, until when, and how many times it was claimed in all.
    claim_token = models.UUIDField(null=True, blank=True)
    claims = models.PositiveSmallIntegerField(default=0)
    lease_until = models.DateTimeField(null=True, blank=True)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    upstream_request_id = models.CharField(max_length=200, blank=True)
    upstream_created = models.DateTimeField(null=True, blank=True)
    # The API's answer, kept until its images are stored, so a retry downloads rather than
    # generating (and paying) again.
    upstream_response = models.JSONField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    api_ms = models.PositiveIntegerField(null=True, blank=True)

    objects = GenerationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"], name="generation_user_idempotency_key"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="generation_user_created"),
            models.Index(fields=["team", "-created_at"], name="generation_team_created"),
            # The status page's last 24 hours of all users' generations.
            models.Index(fields=["created_at"], name="generation_created"),
            # Content-policy refusals per user over time, for moderators and the hold.
            models.Index(
                fields=["user", "-created_at"],
                name="generation_user_refused",
                condition=Q(status="refused", error_kind="content_policy"),
            ),
            models.Index(
                fields=["status", "lease_until"],
                name="generation_pending",
                condition=PENDING,
            ),
            # The gallery's pending and recently failed generations, found among a user's
            # thousands of finished ones.
            models.Index(
                fields=["user", "-created_at"],
                name="generation_user_unfinished",
                condition=UNFINISHED,
            ),
        ]

    def __str__(self) -> str:
        return f"Generation {self.pk} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING

    @property
    def total_ms(self) -> int | None:
        if self.finished_at is None:
            return None
        return int((self.finished_at - self.created_at).total_seconds() * 1000)


# Usage counters: the sums a submission is checked against, kept by PostgreSQL itself. A
# trigger on the generations' table (migration 0010) moves them with every row inserted,
# deleted or changed in `charged`, `status`, `created_at`, `user` or `team`, whoever writes it:
# the submit, the pipeline, the sweeper, a cancel, a suspension, a cascade, the admin. They
# equal the sums over the generations at all times, without scanning them.


class UsageZone(models.Model):
    """The time zone the counters' days and months are in, one row. Without it nothing is
    counted; `usage_rebuild` counts every generation afresh in the portal's zone and writes it."""

    time_zone = models.CharField(max_length=100)

    def __str__(self) -> str:
        return self.time_zone


class UserUsage(models.Model):
    """A user's generations queued or running. Every change of the user's counters locks this
    row first, so changes of one user's counters never wait on each other in a circle."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    pending = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.pending} pending"


class UserDayUsage(models.Model):
    """Images charged to a user's generations made on one day (in the portal's time zone)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    images = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="usage_user_day")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.day}: {self.images}"


class TeamMonthUsage(models.Model):
    """Images charged to a team's generations made in one month (`month` is its first day)."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    images = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "month"], name="usage_team_month")]

    def __str__(self) -> str:
        return f"{self.team_id} in {self.month:%Y-%m}: {self.images}"


class GeneratedImage(models.Model):
    """One stored image of a generation; the bytes live in storage, never at the upstream URL."""

    generation = models.ForeignKey(Generation, on_delete=models.CASCADE, related_name="images")
    # Copied from the generation so the gallery's queries need one table and one index.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="images"
    )
    model = models.CharField(max_length=100)
    size = models.CharField(max_length=20)
    quality = models.CharField(max_length=20)
    style = models.CharField(max_length=20)
    index = models.PositiveSmallIntegerField()
    revised_prompt = models.TextField(blank=True)
    file = models.FileField(max_length=300)
    thumbnail = models.FileField(max_length=300, blank=True)
    content_type = models.CharField(max_length=50)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    byte_size = models.PositiveIntegerField()
    thumb_width = models.PositiveIntegerField(default=0)
    thumb_height = models.PositiveIntegerField(default=0)
    search_vector = SearchVectorField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the image is in the trash; purged for good after the retention period.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # The team whose library shows this image; the owner shares and unshares it.
    shared_team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    shared_at = models.DateTimeField(null=True, blank=True)
    # Hidden by a moderator: only its owner and moderators see it, and it cannot be shared.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.TextField(blank=True, db_default="")
    # Kept from everyone else while its owner is suspended.
    withheld = models.BooleanField(db_default=False)

    objects = ImageQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["generation", "index"], name="image_generation_index"),
        ]
        indexes = [
            # The gallery, newest or oldest first, and its keyset pages.
            models.Index(
                fields=["user", "-created_at", "-id"],
                name="image_user_created",
                condition=ALIVE,
            ),
            # Search within one user's images (btree_gin), so a small user's search stays small;
            # the filter columns are in it too, so a filtered search fetches only its matches.
            GinIndex(
                fields=["user", "search_vector", *IMAGE_FILTER_FIELDS],
                name="image_user_search",
                condition=ALIVE,
            ),
            models.Index(
                fields=["user", "-deleted_at"],
                name="image_user_trash",
                condition=TRASHED,
            ),
            # A team's shared library, and search within it.
            models.Index(
                fields=["shared_team", "-created_at", "-id"],
                name="image_library_shown",
                condition=IN_LIBRARY,
            ),
            GinIndex(
                fields=["shared_team", "search_vector", *IMAGE_FILTER_FIELDS],
                name="image_library_shown_search",
                condition=IN_LIBRARY,
            ),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Image {self.index + 1} of generation {self.generation_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def extension(self) -> str:
        return {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}.get(
            self.content_type, "bin"
        )

    # Cards show four links each; reversing each of them for 48 cards costs more than the query.
    @property
    def detail_url(self) -> str:
        return url_with_pk("gallery:image", self.pk)

    @property
    def thumbnail_url(self) -> str:
        return url_with_pk("gallery:image-thumbnail", self.pk)

    @property
    def file_url(self) -> str:
        return url_with_pk("gallery:image-file", self.pk)

    @property
    def library_url(self) -> str:
        return url_with_pk("gallery:library-image", self.pk)

    @property
    def favorite_url(self) -> str:
        return url_with_pk("gallery:image-favorite", self.pk)


class Favorite(models.Model):
    """A user's star on an image: their own, or (later) one shared with their team."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favorites"
    )
    image = models.ForeignKey(GeneratedImage, on_delete=models.CASCADE, related_name="favorites")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "image"], name="favorite_user_image"),
        ]
        indexes = [models.Index(fields=["image"], name="favorite_image")]

    def __str__(self) -> str:
        return f"Favorite of image {self.image_id} by {self.user_id}"


class SearchTerm(models.Model):
    """The words of a user's prompts, so a misspelt search word can be matched by trigrams."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    word = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "word"], name="search_term_user_word"),
        ]
        indexes = [
            GinIndex(
                fields=["user", "word"],
                name="search_term_trigram",
                opclasses=["int4_ops", "gin_trgm_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.word


class SavedSearch(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    name = models.CharField(max_length=80)
    query_string = models.CharField(max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_search_user_name"),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


EXPORT_UNFINISHED = Q(status__in=["queued", "running"])


class ExportQuerySet(models.QuerySet["Export"]):
    def of(self, user: Any) -> ExportQuerySet:
        return self.filter(user_id=_user_id(user))

    def unfinished(self) -> ExportQuerySet:
        """Queued or being built: what counts against a user's running exports."""
        return self.filter(EXPORT_UNFINISHED)

    def ready_before(self, moment: datetime) -> ExportQuerySet:
        """Zips finished before a moment (past their retention when it is now minus it)."""
        return self.filter(status="ready", finished_at__lt=moment)

    def unfinished_before(self, moment: datetime) -> ExportQuerySet:
        return self.filter(EXPORT_UNFINISHED, created_at__lt=moment)

    def holding(self, image_ids: list[int]) -> ExportQuerySet:
        """Zips that hold, or are being built with, any of these images."""
        return self.filter(exported_ids__overlap=image_ids).filter(
            EXPORT_UNFINISHED | Q(status="ready")
        )


class Export(models.Model):
    """A zip of originals and metadata.json, built by a worker, then downloaded."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        # The zip was deleted (kept past its retention, or an image in it deleted for good).
        EXPIRED = "expired", "Expired"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    # Either explicit image ids or the gallery filters that find the images (GalleryFilters'
    # JSON), with the query string they came from.
    image_ids = models.JSONField(default=list, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    query_string = models.CharField(max_length=1000, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    # The images the zip holds, recorded before it is written, so that deleting an image for
    # good finds the zips to delete with it.
    exported_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    file = models.FileField(max_length=300, blank=True)
    byte_size = models.PositiveBigIntegerField(default=0)
    # Why it failed, or why its zip is gone.
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["user", "-created_at"], name="export_user_created"),
            GinIndex(fields=["exported_ids"], name="export_exported_ids"),
            models.Index(
                fields=["finished_at"], name="export_ready_finished", condition=Q(status="ready")
            ),
            models.Index(
                fields=["created_at"], name="export_unfinished_created", condition=EXPORT_UNFINISHED
            ),
        ]

    def __str__(self) -> str:
        return f"Export {self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


class MissingImage(models.Model):
    """An image the API was asked for but that could not be stored, with the reason."""

    generation = models.ForeignKey(
        Generation, on_delete=models.CASCADE, related_name="missing_images"
    )
    index = models.PositiveSmallIntegerField()
    error_kind = models.CharField(max_length=20, choices=Generation.ErrorKind.choices)
    reason = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["generation", "index"], name="missing_image_generation_index"
            ),
        ]

    def __str__(self) -> str:
        return f"Missing image {self.index + 1} of generation {self.generation_id}"
