"""The pipeline benchmark's floor: the least a generation's round trip through the broker and a
worker can cost on this machine, in this run.

Loaded only into the benchmark's workers (`celery worker --include bench.baretask`); the portal
never imports or routes it. The bench stores a queued generation row and sends this task; the
task claims the row with one `UPDATE ... RETURNING` and finishes it with one `UPDATE`, so
`finished_at - created_at` is the cost of the commit, the publish, the broker, the worker's
dispatch and two statements, with nothing of the pipeline's own work.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from celery import shared_task
from django.db import connection
from django.utils import timezone

CLAIM = """
    UPDATE gallery_generation
    SET status = 'running', claim_token = %s, claims = claims + 1, lease_until = %s,
        started_at = %s
    WHERE id = %s AND status = 'queued'
    RETURNING id, user_id, prompt, upstream_response
"""
FINISH = """
    UPDATE gallery_generation SET status = 'succeeded', finished_at = %s, responded_at = %s
    WHERE id = %s AND status = 'running' AND claim_token = %s
"""


@shared_task(name="bench.bare_round_trip", acks_late=True, ignore_result=True)
def bare_round_trip(generation_id: int) -> None:
    token, now = uuid.uuid4(), timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(CLAIM, [token, now + timedelta(minutes=5), now, generation_id])
        if cursor.fetchone() is None:
            return
        finished = timezone.now()
        cursor.execute(FINISH, [finished, finished, generation_id, token])
