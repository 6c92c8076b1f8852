"""Finishing generations: a few threads at a time, in turn; an image row written again; no
process starts without call and finishing slots."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings
from django.db import connection

from gallery.services import FinishingSlot
from tests.conftest import run_django

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


@pytest.mark.django_db
def test_an_image_written_again_keeps_its_row_and_its_time() -> None:
    """A second run storing the same index updates the row; the image keeps its place in time."""
    import io

    from PIL import Image

    from gallery.services import storing
    from gallery.values import AnswerItem
    from tests.factories import GenerationFactory

    generation = GenerationFactory(n=1)
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(buffer, "PNG")
    storing._store_image(generation, 0, AnswerItem("first"), buffer.getvalue())
    first = generation.images.get()
    storing._store_image(generation, 0, AnswerItem("second"), buffer.getvalue())
    again = generation.images.get()
    assert again.pk == first.pk and again.revised_prompt == "second"
    assert again.created_at == first.created_at


@pytest.mark.parametrize(
    "name", ["MKA1_CALLS_PER_PROCESS", "GENERATION_FINISHING_SLOTS", "WORKER_CONCURRENCY"]
)
def test_a_process_refuses_to_start_with_no_slots(name: str) -> None:
    """Zero call or finishing slots would leave every generation waiting for good."""
    result = run_django("check", **{name: "0"})
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {name} must be 1 or more, not 0." in result.stderr
