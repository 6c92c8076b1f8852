"""Writes on the submit side: a generation asked for, run again, canceled or given back."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from accounts.models import Team
from telemetry.metrics import generations_ended

from ..models import GeneratedImage, Generation
from ..selectors import allowances, pending_generation_count, submission_hold
from ..values import GenerationParams
from .enqueue import enqueue_generation_on_commit

logger = logging.getLogger(__name__)


class SubmissionRefused(Exception):
    """A submission that cannot be accepted, with the reason in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QuotaExceeded(SubmissionRefused):
    """A submission that would go over a limit, which starts afresh at resets_at."""

    def __init__(self, message: str, resets_at: datetime | None = None) -> None:
        super().__init__(message)
        self.resets_at = resets_at


class TooManyPending(SubmissionRefused):
    """A submission beyond the user's generations queued or running at once."""


def generation_submit(
    *,
    user: User,
    params: GenerationParams,
    idempotency_key: uuid.UUID | None = None,
    team: Team | None = None,
    remixed_from: GeneratedImage | None = None,
) -> Generation:
    """Store the request and enqueue it once committed; a resent form returns the first.

    The user's and the team's rows are locked while the quotas and the user's pending
    generations (GENERATION_MAX_PENDING, each counting once whatever its n) are checked, so
    concurrent submits are counted one after another and none slips past a limit. A suspended
    user, and one whose recent refusals wait for review, cannot submit (SubmissionRefused).
    """
    key = idempotency_key or uuid.uuid4()
    existing = Generation.objects.of(user).filter(idempotency_key=key).first()
    if existing:
        return existing
    held = submission_hold(user.pk)
    if held is not None:
        raise SubmissionRefused(held)
    try:
        with transaction.atomic():
            User.objects.select_for_update().filter(pk=user.pk).first()
            if team is not None:
                Team.objects.select_for_update().filter(pk=team.pk).first()
            for allowance in allowances(user.pk, team):
                if allowance.refuses(params.n):
                    raise QuotaExceeded(allowance.message(params.n), allowance.resets_at)
            pending = pending_generation_count(user.pk)
            if pending >= settings.GENERATION_MAX_PENDING:
                raise TooManyPending(
                    f"You have {pending} generations queued or running, the most at once is "
                    f"{settings.GENERATION_MAX_PENDING}. Submit again once one of them has ended."
                )
            generation = Generation.objects.create(
                user=user,
                team=team,
                remixed_from=remixed_from,
                idempotency_key=key,
                charged=params.n,
                lease_until=timezone.now() + timedelta(seconds=settings.GENERATION_QUEUED_LEASE),
                **params.as_dict(),
            )
            enqueue_generation_on_commit(generation.pk)
    except IntegrityError:
        return Generation.objects.of(user).get(idempotency_key=key)
    return generation


def generation_rerun(*, user: User, source: Generation, team: Team | None = None) -> Generation:
    return generation_submit(user=user, params=GenerationParams.of(source), team=team)


def generation_cancel(*, generation: Generation) -> bool:
    updated = Generation.objects.filter(pk=generation.pk, status=Generation.Status.QUEUED).update(
        status=Generation.Status.CANCELED, finished_at=timezone.now(), lease_until=None, charged=0
    )
    generations_ended(Generation.Status.CANCELED, count=updated)
    return bool(updated)


def generation_release(*, generation_id: int) -> None:
    """Give a running generation back to the queue after this worker lost its database link."""
    try:
        Generation.objects.filter(pk=generation_id, status=Generation.Status.RUNNING).update(
            status=Generation.Status.QUEUED,
            claim_token=None,
            lease_until=timezone.now() + timedelta(seconds=settings.GENERATION_QUEUED_LEASE),
        )
    except DatabaseError:
        logger.exception("Could not release generation %s; its lease will run out", generation_id)
