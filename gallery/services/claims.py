"""A worker's hold on a generation: the claim (a conditional UPDATE with a token and a lease),
the writes made under it, and the finishing slots that pace a process's CPU-bound work."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.db.models import Field
from django.utils import timezone

from ..models import Generation
from ..values import GenerationParams


class LeaseLost(Exception):
    """Another worker has claimed the generation: this one must stop touching it."""


def lease_expiry(seconds: float, now: datetime | None = None) -> datetime:
    """The lease expiry that covers `seconds` more of work, with the margin."""
    return (now or timezone.now()) + timedelta(seconds=seconds + settings.GENERATION_LEASE_MARGIN)


@dataclass(frozen=True)
class Added:
    """An UPDATE value that adds to the column's own: `attempts=Added(2)`."""

    amount: int


@dataclass
class Claim:
    """A worker's hold on one generation; every write under it checks the token."""

    generation: Generation
    token: uuid.UUID
    lease_until: datetime

    def extend(self, seconds: float) -> None:
        if not self.update(lease_until=lease_expiry(seconds)):
            raise LeaseLost(self.generation.pk)

    def ensure(self, seconds: float) -> bool:
        """Extend the lease only when what is left of it does not cover `seconds` of work;
        whether it was extended."""
        if self.lease_until < timezone.now() + timedelta(seconds=seconds):
            self.extend(seconds)
            return True
        return False

    def update(self, **fields: Any) -> bool:
        """Write these fields if the row is still this claim's; False when it is not.

        One UPDATE in SQL, each value prepared by its model field: these writes run twice for
        every generation, and the ORM's UPDATE cost the worker more CPU than the statement.
        """
        assignments, params = [], []
        for name, value in fields.items():
            field = cast("Field[Any, Any]", Generation._meta.get_field(name))
            column = connection.ops.quote_name(field.column or field.attname)
            if isinstance(value, Added):
                assignments.append(f"{column} = {column} + %s")
                params.append(value.amount)
            else:
                assignments.append(f"{column} = %s")
                params.append(field.get_db_prep_save(value, connection))
        statement = CLAIM_UPDATE_SQL.format(
            table=Generation._meta.db_table, assignments=", ".join(assignments)
        )
        with connection.cursor() as cursor:
            cursor.execute(
                statement, [*params, self.generation.pk, Generation.Status.RUNNING, self.token]
            )
            updated = cursor.rowcount == 1
        if updated and fields.get("lease_until"):
            self.lease_until = fields["lease_until"]
        return updated


CLAIM_UPDATE_SQL = """
    UPDATE {table} SET {assignments}
    WHERE id = %s AND status = %s AND claim_token = %s
"""


# One statement takes the row and reads back what the run needs: a queued row, or a running
# one whose lease has run out, and never one claimed too often. The names come from the model
# and the parameters' declaration; every value is a parameter.
CLAIM_TEMPLATE = """
    UPDATE {table}
    SET status = %(running)s, claim_token = %(token)s, claims = claims + 1,
        lease_until = %(lease)s, started_at = %(now)s
    WHERE id = %(pk)s AND claims < %(max_claims)s
      AND (status = %(queued)s OR (status = %(running)s AND lease_until < %(now)s))
    RETURNING id, user_id, {parameters}, upstream_response
"""
CLAIM_SQL = CLAIM_TEMPLATE.format(
    table=Generation._meta.db_table,
    parameters=", ".join(f'"{name}"' for name in GenerationParams.names()),
)


def generation_claim(*, generation_id: int) -> Claim | None:
    """Take the row for this worker: a queued row, or a running one whose lease has run out."""
    now = timezone.now()
    token = uuid.uuid4()
    lease = lease_expiry(settings.MKA1_CALL_DEADLINE, now)
    params = {
        "running": Generation.Status.RUNNING,
        "queued": Generation.Status.QUEUED,
        "token": token,
        "lease": lease,
        "now": now,
        "pk": generation_id,
        "max_claims": settings.GENERATION_MAX_CLAIMS,
    }
    claimed = list(Generation.objects.raw(CLAIM_SQL, params))
    if not claimed:
        return None
    return Claim(claimed[0], token, lease)


class FinishingSlot:
    """One of a few slots of this process for the CPU-bound part of finishing a generation.

    A worker's threads share one interpreter: when a wave of answers arrives, threads that all
    work at once share the CPU fairly and all finish at the end of the wave, so no thread is
    freed for new work until then. Through a few slots the answers are finished one after
    another and each frees its thread at once. A slot is given back for every download, and is
    never waited for while holding a database connection (the pool would run dry while the
    slot holders wait for one).
    """

    def __init__(self) -> None:
        self.held = False

    def take(self) -> None:
        if not self.held:
            connection.close()
            _finishing_slots.acquire()
            self.held = True

    def give_back(self) -> None:
        if self.held:
            _finishing_slots.release()
            self.held = False

    def __enter__(self) -> FinishingSlot:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.give_back()


_finishing_slots = threading.BoundedSemaphore(settings.GENERATION_FINISHING_SLOTS)
