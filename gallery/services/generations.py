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
from ..selectors import SubmissionCheck, submission_check
from ..values import GenerationParams
from .enqueue import enqueue_generation_on_commit
from .usage import usage_rebuild

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


class _CountersStale(Exception):
    """The usage counters are not built, or not in the portal's time zone."""


# A rebuild and a second try; a third stale answer means processes disagree on TIME_ZONE.
SUBMIT_TRIES = 3


def generation_submit(
    *,
    user: User,
    params: GenerationParams,
    idempotency_key: uuid.UUID | None = None,
    team: Team | None = None,
    remixed_from: GeneratedImage | None = None,
) -> Generation:
    """Store the request and enqueue it once committed; a resent form returns the first.

    See generation_submit_once for what is checked, and how."""
    generation, _ = generation_submit_once(
        user=user,
        params=params,
        idempotency_key=idempotency_key,
        team=team,
        remixed_from=remixed_from,
    )
    return generation


def generation_submit_once(
    *,
    user: User,
    params: GenerationParams,
    idempotency_key: uuid.UUID | None = None,
    team: Team | None = None,
    remixed_from: GeneratedImage | None = None,
) -> tuple[Generation, bool]:
    """(the generation, True) when stored now and enqueued once committed; (the first one,
    False) when the user already has one with this idempotency key.

    The row is inserted first: the usage counters' trigger counts it in, locking the user's
    counters and the team's month until the transaction ends, so concurrent submits are
    counted one after another. Then one query reads the counters and the user's profile; over
    a quota or the user's pending generations (GENERATION_MAX_PENDING, each counting once
    whatever its n), and for a suspended user or one whose recent refusals wait for review,
    the transaction is rolled back and SubmissionRefused raised: nothing is stored or sent.
    """
    key = idempotency_key or uuid.uuid4()
    for _ in range(SUBMIT_TRIES):
        try:
            with transaction.atomic():
                generation = Generation.objects.create(
                    user=user,
                    team=team,
                    remixed_from=remixed_from,
                    idempotency_key=key,
                    charged=params.n,
                    lease_until=timezone.now()
                    + timedelta(seconds=settings.GENERATION_QUEUED_LEASE),
                    **params.as_dict(),
                )
                _refuse_over_limits(submission_check(generation, team))
                enqueue_generation_on_commit(generation.pk)
            return generation, True
        except IntegrityError:
            return Generation.objects.of(user).get(idempotency_key=key), False
        except _CountersStale:
            usage_rebuild(time_zone=settings.TIME_ZONE)
    raise RuntimeError(
        "The usage counters' time zone keeps changing: run every process with one TIME_ZONE."
    )


def _refuse_over_limits(check: SubmissionCheck | None) -> None:
    if check is None or check.time_zone != settings.TIME_ZONE:
        raise _CountersStale
    held = check.hold()
    if held is not None:
        raise SubmissionRefused(held)
    for allowance in check.allowances():
        if allowance.refuses(check.n):
            raise QuotaExceeded(allowance.message(check.n), allowance.resets_at)
    if check.pending_before >= settings.GENERATION_MAX_PENDING:
        raise TooManyPending(
            f"You have {check.pending_before} generations queued or running, the most at once "
            f"is {settings.GENERATION_MAX_PENDING}. Submit again once one of them has ended."
        )


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
