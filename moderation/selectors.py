"""Reads of moderation: who moderates, the review queue, a case, a user's record, what a
reporter and an owner are told."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Permission, User
from django.core.cache import caches
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncDate
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from gallery.models import GeneratedImage, Generation
from gallery.values import user_id_of

from .models import OPEN, Case, Notice, Report, Strike

Viewer = AbstractBaseUser | AnonymousUser
PERMISSION = "moderation.moderate"
# How long the header's answer to "is this user a moderator?" is kept in the session.
MODERATOR_CHECK_SECONDS = 300
REFUSAL_DAYS = 30


def is_moderator(user: Viewer) -> bool:
    """Has moderation.moderate, through the group "Moderators", directly, or as a superuser;
    one query (Django's has_perm reads the user's and the groups' permissions in two)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return (
        Permission.objects.filter(codename="moderate", content_type__app_label="moderation")
        .filter(Q(user=user) | Q(group__user=user))
        .exists()
    )


def is_moderator_cached(request: HttpRequest) -> bool:
    """is_moderator for the header, asked of the database at most every few minutes per user
    and process (a page that checked it for access has set it on the request already)."""
    known = getattr(request, "is_moderator", None)
    if known is not None:
        return bool(known)
    key = f"moderation:is-moderator:{request.user.pk}"
    cache = caches["local"]
    answer = cache.get(key)
    if answer is None:
        answer = is_moderator(request.user)
        cache.set(key, answer, MODERATOR_CHECK_SECONDS)
    return bool(answer)


# -- the queue ---------------------------------------------------------------------------------

SORTS = {"oldest": ("reopened_at", "id"), "reported": ("-report_count", "reopened_at", "id")}


@dataclass(frozen=True)
class QueueCursor:
    sort: str
    report_count: int
    reopened_at: datetime
    pk: int

    def encode(self) -> str:
        raw = f"{self.sort}|{self.report_count}|{self.reopened_at.isoformat()}|{self.pk}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> QueueCursor | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            sort, count, moment, pk = raw.split("|")
            when = parse_datetime(moment)
            if sort not in SORTS or when is None:
                return None
            return cls(sort, int(count), when, int(pk))
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return None


@dataclass
class QueuePage:
    cases: list[Case]
    next_cursor: str | None
    open_count: int | None = None


def _strikes_of_subject() -> Coalesce:
    strikes = (
        Strike.objects.filter(user_id=OuterRef("subject_id"))
        .order_by()
        .values("user_id")
        .annotate(total=Count("id"))
        .values("total")
    )
    return Coalesce(Subquery(strikes, output_field=IntegerField()), 0)


def _refusals_of_subject(since: datetime) -> Coalesce:
    refusals = (
        Generation.objects.refused_by_policy()
        .filter(user_id=OuterRef("subject_id"), created_at__gte=since)
        .order_by()
        .values("user_id")
        .annotate(total=Count("id"))
        .values("total")
    )
    return Coalesce(Subquery(refusals, output_field=IntegerField()), 0)


def with_subject_record(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Each case with its subject's strikes and content-policy refusals of the last 30 days,
    counted in the same query."""
    since = timezone.now() - timedelta(days=REFUSAL_DAYS)
    return cases.annotate(
        subject_strikes=_strikes_of_subject(), subject_refusals=_refusals_of_subject(since)
    )


def queue_page(
    sort: str = "oldest", cursor: QueueCursor | None = None, size: int = 25
) -> QueuePage:
    """Open cases, oldest first or most reported first, with a summary of their reports and
    their creators' strikes and refusals: three queries whatever the queue's length."""
    sort = sort if sort in SORTS else "oldest"
    cases = Case.objects.filter(OPEN)
    if cursor is not None and cursor.sort == sort:
        after = Q(reopened_at__gt=cursor.reopened_at) | Q(
            reopened_at=cursor.reopened_at, id__gt=cursor.pk
        )
        if sort == "reported":
            after = (
                Q(report_count__lt=cursor.report_count)
                | Q(report_count=cursor.report_count) & after
            )
        cases = cases.filter(after)
    rows = list(with_subject_record(cases).order_by(*SORTS[sort])[: size + 1])
    following = None
    if len(rows) > size:
        last = rows[size - 1]
        following = QueueCursor(sort, last.report_count, last.reopened_at, last.pk).encode()
    rows = rows[:size]
    _attach_report_summaries(rows)
    return QueuePage(rows, following)


# A queue card lists a case's latest reports; the case's page lists them all.
RECENT_REPORTS = 3


@dataclass(frozen=True)
class RecentReport:
    reason: str
    reporter: str
    created_at: datetime
    note: str


def _attach_report_summaries(cases: list[Case]) -> None:
    """Each case's count of reports per reason, and its latest few reports with their
    reporters: two queries for a page, however many reports its cases hold."""
    ids = [case.pk for case in cases]
    counts: dict[int, list[tuple[str, int]]] = {pk: [] for pk in ids}
    labels = dict(Report.Reason.choices)
    by_reason = (
        Report.objects.filter(case_id__in=ids)
        .values("case_id", "reason")
        .annotate(total=Count("id"))
        .order_by("case_id", "-total", "reason")
    )
    for row in by_reason:
        counts[row["case_id"]].append((labels.get(row["reason"], row["reason"]), row["total"]))
    latest = Window(RowNumber(), partition_by=F("case_id"), order_by=F("created_at").desc())
    recent: dict[int, list[RecentReport]] = {pk: [] for pk in ids}
    rows = (
        Report.objects.filter(case_id__in=ids)
        .annotate(rank=latest)
        .filter(rank__lte=RECENT_REPORTS)
        .order_by("case_id", "rank")
        .values_list("case_id", "reason", "note", "created_at", "reporter__username")
    )
    for case_id, reason, note, created_at, reporter in rows:
        label = labels.get(reason, reason)
        recent[case_id].append(RecentReport(label, reporter, created_at, note))
    for case in cases:
        case.reason_counts = counts[case.pk]  # type: ignore[attr-defined]
        case.recent_reports = recent[case.pk]  # type: ignore[attr-defined]


def neighbours(case: Case, sort: str = "oldest") -> tuple[int | None, int | None]:
    """The open cases just before and after this one in the queue's order, for paging with
    the keyboard."""
    sort = sort if sort in SORTS else "oldest"
    open_cases = Case.objects.filter(OPEN).exclude(pk=case.pk)
    if sort == "reported":
        same = Q(report_count=case.report_count)
        later_in_tie = Q(reopened_at__gt=case.reopened_at) | Q(
            reopened_at=case.reopened_at, id__gt=case.pk
        )
        after = Q(report_count__lt=case.report_count) | same & later_in_tie
    else:
        after = Q(reopened_at__gt=case.reopened_at) | Q(
            reopened_at=case.reopened_at, id__gt=case.pk
        )
    order = SORTS[sort]
    reverse = tuple(name[1:] if name.startswith("-") else f"-{name}" for name in order)
    following = open_cases.filter(after).order_by(*order).values_list("pk", flat=True).first()
    previous = open_cases.exclude(after).order_by(*reverse).values_list("pk", flat=True).first()
    return previous, following


# -- one case, one user ---------------------------------------------------------------------------


def get_case(pk: int) -> Case:
    reports = Report.objects.select_related("reporter").order_by("created_at")
    cases = with_subject_record(Case.objects.select_related("subject", "image")).prefetch_related(
        Prefetch("reports", queryset=reports)
    )
    return get_object_or_404(cases, pk=pk)


def get_user_for_moderation(pk: int) -> User:
    return get_object_or_404(User.objects.select_related("profile"), pk=pk)


@dataclass
class UserRecord:
    user: User
    strikes: list[Strike]
    cases: list[Case]
    # Content-policy refusals per day over the last 30 days, and the latest refused prompts.
    refusals_by_day: list[tuple[Any, int]]
    refused: list[Generation]


def user_record(user: User) -> UserRecord:
    since = timezone.now() - timedelta(days=REFUSAL_DAYS)
    refusals = Generation.objects.of(user).refused_by_policy()
    by_day = (
        refusals.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Count("id"))
        .order_by("day")
    )
    return UserRecord(
        user=user,
        strikes=list(Strike.objects.filter(user=user).order_by("-created_at")),
        cases=list(Case.objects.filter(subject=user).order_by("-opened_at")[:50]),
        refusals_by_day=[(row["day"], row["total"]) for row in by_day],
        refused=list(refusals.order_by("-created_at")[:50]),
    )


@dataclass
class RefusalRow:
    user_id: int
    username: str
    last_day: int
    last_week: int


def refusal_overview(limit: int = 100) -> list[RefusalRow]:
    """The users with the most content-policy refusals over the last week."""
    now = timezone.now()
    day, week = now - timedelta(days=1), now - timedelta(days=7)
    rows = (
        Generation.objects.refused_by_policy()
        .filter(created_at__gte=week)
        .values("user_id", "user__username")
        .annotate(last_week=Count("id"), last_day=Count("id", filter=Q(created_at__gte=day)))
        .order_by("-last_week", "user__username")[:limit]
    )
    return [
        RefusalRow(row["user_id"], row["user__username"], row["last_day"], row["last_week"])
        for row in rows
    ]


def get_moderated_image(pk: int) -> GeneratedImage:
    """An image a moderator may look at: shared with a team, or reported (it has a case). A
    private image nobody reported is a 404 here too."""
    image = get_object_or_404(GeneratedImage.objects.select_related("generation"), pk=pk)
    reported = Case.objects.filter(kind=Case.Kind.IMAGE, image_id=pk).exists()
    if image.shared_team_id is None and not reported:
        raise Http404("No such image.")
    return image


def get_case_with_thumbnail(pk: int) -> Case:
    case = get_object_or_404(Case.objects.only("id", "thumbnail"), pk=pk)
    if not case.thumbnail:
        raise Http404("This case has no picture.")
    return case


# -- what reporters and owners see ------------------------------------------------------------


def reports_of(user: Viewer) -> list[Report]:
    """The user's reports, newest first, with their case's outcome (never who else reported)."""
    return list(
        Report.objects.filter(reporter_id=user_id_of(user))
        .select_related("case")
        .only(
            "id", "reason", "note", "created_at", "image_id", "case__status", "case__outcome",
            "case__prompt", "case__closed_at",
        )
        .order_by("-created_at")[:200]
    )  # fmt: skip


def notices_of(user: Viewer) -> list[Notice]:
    return list(
        Notice.objects.filter(user_id=user_id_of(user))
        .select_related("case")
        .order_by("-created_at")[:200]
    )


def reportable_image(user: Viewer, pk: int) -> GeneratedImage:
    """An image the user may report: one shown to them in a library (not their own)."""
    images = GeneratedImage.objects.visible_to(user).shared().exclude(user_id=user_id_of(user))
    return get_object_or_404(images.select_related("generation", "user"), pk=pk)


def has_reported(user: Viewer, image: GeneratedImage) -> bool:
    return Report.objects.filter(reporter_id=user_id_of(user), image_id=image.pk).exists()
