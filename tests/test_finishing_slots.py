"""Finishing slots: a worker's threads finish generations a few at a time, in turn."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from gallery.services import FinishingSlot

pytestmark = [pytest.mark.pipeline]


def test_no_more_threads_than_slots_finish_at_once() -> None:
    inside = 0
    most = 0
    lock = threading.Lock()

    def finish() -> None:
        nonlocal inside, most
        with FinishingSlot() as slot:
            slot.take()
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.02)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=finish) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert most == settings.GENERATION_FINISHING_SLOTS


def test_a_slot_is_given_back_once_and_on_errors() -> None:
    slots = settings.GENERATION_FINISHING_SLOTS
    with pytest.raises(RuntimeError), FinishingSlot() as slot:
        slot.take()
        slot.take()  # taking twice holds one slot
        raise RuntimeError("a crash while finishing")
    slot.give_back()  # giving back twice returns nothing twice
    held = [FinishingSlot() for _ in range(slots)]
    for each in held:
        each.take()  # all the slots are free again
    for each in held:
        each.give_back()


@pytest.mark.django_db(transaction=True)
def test_waiting_for_a_slot_holds_no_database_connection() -> None:
    connection.ensure_connection()
    with FinishingSlot() as slot:
        slot.take()
        assert connection.connection is None
