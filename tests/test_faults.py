"""Every fault ends in succeeded or failed with the right kind; nothing stays queued or running.

Real processes throughout: Celery workers on the real broker, the stand-in over HTTP, PostgreSQL.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection

from gallery import services
from gallery.models import Generation, MissingImage
from gallery.values import GenerationParams
from mka1_standin.server import StandinServer
from tests.conftest import WORKER_APPLICATION, WorkerProcess, wait_for, worker_env
from tests.factories import GenerationFactory, UserFactory

pytestmark = [pytest.mark.pipeline, pytest.mark.django_db(transaction=True)]

MAX_IMAGE_BYTES = 2 * 1024 * 1024
FAULT_ENV = {"MKA1_MAX_IMAGE_BYTES": str(MAX_IMAGE_BYTES), "MKA1_MAX_ATTEMPTS": "3"}


@pytest.fixture(scope="module")
def fault_worker(
    django_db_setup, django_db_blocker, standin: StandinServer, media_root: Path
) -> Iterator[WorkerProcess]:
    queue = f"mka1-test-faults-{uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        env = worker_env(standin, media_root, CELERY_QUEUE=queue, **FAULT_ENV)
    worker = WorkerProcess(env, concurrency=8, queue=queue)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def on_fault_queue(settings, fault_worker: WorkerProcess) -> WorkerProcess:  # type: ignore[no-untyped-def]
    settings.CELERY_TASK_DEFAULT_QUEUE = fault_worker.queue
    return fault_worker


def submit(prompt: str, *, n: int = 1, response_format: str = "b64_json", user=None) -> Generation:  # type: ignore[no-untyped-def]
    return services.generation_submit(
        user=user or UserFactory(),
        params=GenerationParams(
            prompt=prompt,
            model="meetkai:z-image-turbo",
            n=n,
            size="256x256",
            quality="standard",
            style="vivid",
            response_format=response_format,
        ),
    )


def settled(*generations: Generation, timeout: float = 60) -> list[Generation]:
    ids = [generation.pk for generation in generations]

    def all_finished() -> list[Generation] | None:
        """every generation to finish"""
        rows = list(Generation.objects.filter(pk__in=ids).order_by("pk"))
        return None if any(row.is_pending for row in rows) else rows

    return wait_for(all_finished, timeout=timeout)


def api_calls(standin: StandinServer, prompt: str) -> list[dict]:  # type: ignore[type-arg]
    return [
        entry
        for entry in standin.requests
        if entry["path"].endswith("/images/generations")
        and (entry.get("body") or {}).get("prompt") == prompt
    ]


@pytest.mark.parametrize(
    ("fault", "response_format", "kind", "reason"),
    [
        ("not_image", "b64_json", "bad_image", "not a usable image"),
        ("not_image", "url", "bad_image", "not a usable image"),
        ("bad_b64", "b64_json", "bad_image", "not valid base64"),
        ("huge", "b64_json", "bad_image", "larger than the portal accepts"),
        ("huge", "url", "bad_image", "larger than the size limit"),
        ("bomb", "b64_json", "bad_image", "too large to process"),
        ("bomb", "url", "bad_image", "too large to process"),
        ("redirect_private", "url", "upstream", "private address"),
        ("malformed_json", "b64_json", "upstream", "not JSON"),
        ("missing_data", "url", "upstream", "without any images"),
        ("expired", "url", "upstream", "could not be downloaded"),
        ("trickle", "url", "timeout", "took too long"),
    ],
)
def test_hostile_answer_fails_the_generation_with_its_kind(
    on_fault_queue,
    standin,
    standin_config,
    fault: str,
    response_format: str,
    kind: str,
    reason: str,
) -> None:
    standin_config.huge_bytes = MAX_IMAGE_BYTES + 1024 * 1024
    prompt = f"a quiet pond @fault:{fault}"
    (done,) = settled(submit(prompt, response_format=response_format))
    assert done.status == Generation.Status.FAILED
    assert done.error_kind == kind
    assert reason in done.error_message
    assert not done.images.exists()
    # An answer that arrived but was unusable is never paid for twice.
    assert len(api_calls(standin, prompt)) == 1
    assert on_fault_queue.process.poll() is None


def test_short_answer_keeps_what_arrived_and_records_what_is_missing(
    on_fault_queue, standin
) -> None:
    (done,) = settled(submit("three boats @fault:short_data", n=3))
    assert done.status == Generation.Status.SUCCEEDED
    assert sorted(done.images.values_list("index", flat=True)) == [0, 1]
    missing = MissingImage.objects.get(generation=done)
    assert missing.index == 2
    assert "fewer images" in missing.reason


@pytest.mark.parametrize("fault", ["no_revised", "nul_revised"])
def test_untrusted_revised_prompt_is_stored_safely(on_fault_queue, fault: str) -> None:
    (done,) = settled(submit(f"a paper crane @fault:{fault}"))
    assert done.status == Generation.Status.SUCCEEDED, done.error_message
    revised = done.images.get().revised_prompt
    assert "\x00" not in revised
    if fault == "nul_revised":
        assert revised.endswith("[…]")
        assert len(revised) <= services.REVISED_PROMPT_LIMIT


def test_a_hang_is_cut_by_the_clients_own_timeouts(on_fault_queue, standin) -> None:
    prompt = "a frozen clock @fault:hang"
    (done,) = settled(submit(prompt), timeout=90)
    assert done.status == Generation.Status.FAILED
    assert done.error_kind == "timeout"
    assert done.attempts == 3
    assert len(api_calls(standin, prompt)) == 3


def test_429_storm_honours_retry_after_then_fails_as_rate_limited(
    on_fault_queue, standin, standin_config
) -> None:
    standin_config.error_rate = 1.0
    standin_config.error_statuses = (429,)
    standin_config.retry_after = 1
    prompts = [f"storm picture {number}" for number in range(5)]
    done = settled(*[submit(prompt) for prompt in prompts], timeout=90)
    assert {(g.status, g.error_kind, g.attempts, g.upstream_status) for g in done} == {
        ("failed", "rate_limited", 3, 429)
    }
    for prompt in prompts:
        times = [entry["received_at"] for entry in api_calls(standin, prompt)]
        assert len(times) == 3
        assert all(
            later - earlier >= 0.95 for earlier, later in zip(times, times[1:], strict=False)
        )


def test_a_retry_after_beyond_the_cap_fails_at_once(
    on_fault_queue, standin, standin_config
) -> None:
    standin_config.fail_next = [{"status": 429, "retry_after": 3600}]
    prompt = "a patient snail"
    (done,) = settled(submit(prompt))
    assert (done.status, done.error_kind, done.attempts) == ("failed", "rate_limited", 1)
    assert "3600 s" in done.error_message


def test_500_and_503_bursts_are_retried_to_success(on_fault_queue, standin, standin_config) -> None:
    standin_config.fail_next = [{"status": 500}, {"status": 503}]
    prompts = [f"burst picture {number}" for number in range(3)]
    done = settled(*[submit(prompt) for prompt in prompts])
    assert {g.status for g in done} == {"succeeded"}
    assert sum(g.attempts for g in done) == 5
    assert sum(len(api_calls(standin, prompt)) for prompt in prompts) == 5


def test_content_policy_is_terminal_and_never_retried(on_fault_queue, standin) -> None:
    prompt = "a forbidden door"
    (done,) = settled(submit(prompt))
    assert (done.status, done.error_kind, done.attempts) == ("refused", "content_policy", 1)
    assert len(api_calls(standin, prompt)) == 1


def test_recorded_answer_is_downloaded_again_not_generated_again(standin, media_root) -> None:
    """After a crash between the answer and the downloads, a new run pays nothing more."""
    from gallery.mka1 import MKA1Client

    generation = GenerationFactory(status=Generation.Status.QUEUED, response_format="url", n=2)
    claim = services.generation_claim(generation_id=generation.pk)
    assert claim is not None
    with services.FinishingSlot() as slot:
        client = MKA1Client(base_url=standin.url)
        assert services.generation_call_api(claim=claim, slot=slot, client=client)
    calls_before = len(api_calls(standin, generation.prompt))
    # The worker dies here; its lease runs out and another one claims the row.
    Generation.objects.filter(pk=generation.pk).update(lease_until="2000-01-01T00:00:00Z")
    services.generation_run(generation_id=generation.pk)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED
    assert generation.images.count() == 2
    assert generation.claims == 2
    assert len(api_calls(standin, generation.prompt)) == calls_before == 1


def test_a_call_slot_long_coming_extends_the_lease_before_the_call(standin, media_root) -> None:
    """A thread that waited for one of its process's call slots past what its claim's lease
    covers extends the lease before calling, so no other worker claims the row mid-call."""
    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from gallery.mka1 import ImageRequest, ImageResult, MKA1Client

    generation = GenerationFactory(status=Generation.Status.QUEUED, response_format="url")
    claim = services.generation_claim(generation_id=generation.pk)
    assert claim is not None
    # As if the slot came 170 s after the claim: 10 s of the lease are left.
    claim.update(lease_until=timezone.now() + timedelta(seconds=10))
    claim.lease_until = timezone.now() + timedelta(seconds=10)
    leases_at_call = []

    class Watching(MKA1Client):
        def generate_once(self, request: ImageRequest) -> ImageResult:
            leases_at_call.append(Generation.objects.get(pk=generation.pk).lease_until)
            return super().generate_once(request)

    with services.FinishingSlot() as slot:
        assert services.generation_call_api(
            claim=claim, slot=slot, client=Watching(base_url=standin.url)
        )
    (lease,) = leases_at_call
    assert lease > timezone.now() + timedelta(seconds=settings.MKA1_CALL_DEADLINE)


def test_an_answer_recorded_before_an_upgrade_is_stored_by_the_new_worker(
    standin, media_root
) -> None:
    """A generation in flight across an upgrade: its answer, recorded as the JSON the worker
    has always written (a URL, bytes already stored, an error), resumes without a new call."""
    import io

    from PIL import Image

    from gallery import storage
    from gallery.mka1 import ImageRequest, MKA1Client

    prompt = "a kite above a wheat field"
    params = GenerationParams(
        prompt, "meetkai:z-image-turbo", 1, "256x256", "standard", "vivid", "url"
    )
    url = MKA1Client(base_url=standin.url).generate(ImageRequest(params, "1")).items[0].url
    generation = GenerationFactory(
        prompt=prompt,
        n=3,
        status=Generation.Status.RUNNING,
        claims=1,
        lease_until="2000-01-01T00:00:00Z",
    )
    picture = io.BytesIO()
    Image.new("RGB", (48, 48), "olive").save(picture, "PNG")
    stored = storage.save_bytes(
        storage.original_name(user_id=generation.user_id, generation_id=generation.pk, index=1),
        picture.getvalue(),
    )
    no_image = {"kind": "bad_image", "reason": "The answer held no image."}
    Generation.objects.filter(pk=generation.pk).update(
        upstream_response={
            "items": [
                {"revised_prompt": "a kite, downloaded", "url": url},
                {"revised_prompt": "a kite, decoded", "stored": stored},
                {"revised_prompt": "", "error": no_image},
            ]
        }
    )
    calls_before = len(api_calls(standin, prompt))

    services.generation_run(generation_id=generation.pk)

    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED
    assert generation.upstream_response is None and generation.charged == 2
    revised = dict(generation.images.values_list("index", "revised_prompt"))
    assert revised == {0: "a kite, downloaded", 1: "a kite, decoded"}
    missing = generation.missing_images.get()
    assert (missing.index, missing.error_kind) == (2, "bad_image")
    assert missing.reason == no_image["reason"]
    assert len(api_calls(standin, prompt)) == calls_before


# -- killed workers, a restarted broker, dropped database connections -------------------------


def test_worker_killed_mid_call_finishes_once_after_redelivery(
    start_worker, standin, standin_config
) -> None:
    standin_config.latency = (2.0, 2.0)
    env = {
        "CELERY_VISIBILITY_TIMEOUT": "6",
        "CELERY_RESTORE_INTERVAL": "1",
        "CELERY_RESTORE_THROTTLE": "1",
    }
    for round_number in range(3):
        worker = start_worker(**env)
        prompt = f"a fragile vase, round {round_number}"
        generation = submit(prompt, n=2)
        wait_for(lambda: api_calls(standin, prompt), timeout=30)  # noqa: B023
        worker.kill()
        replacement = start_worker(**env)
        (done,) = settled(generation, timeout=90)
        assert done.status == Generation.Status.SUCCEEDED, done.error_message
        assert sorted(done.images.values_list("index", flat=True)) == [0, 1]
        assert done.claims == 2
        assert replacement.process.poll() is None
        replacement.kill()


def test_worker_killed_mid_call_is_recovered_by_the_sweeper(
    start_worker, standin, standin_config
) -> None:
    standin_config.latency = (2.0, 2.0)
    # Redelivery by the broker would take an hour here: only the sweeper can bring it back.
    env = {"CELERY_VISIBILITY_TIMEOUT": "3600", "SWEEP_INTERVAL": "1"}
    worker = start_worker(**env)
    prompt = "a lost kite"
    generation = submit(prompt)
    wait_for(lambda: api_calls(standin, prompt), timeout=30)
    worker.kill()
    start_worker(**env)
    (done,) = settled(generation, timeout=90)
    assert done.status == Generation.Status.SUCCEEDED, done.error_message
    assert done.images.count() == 1


def test_sweeper_gives_up_after_the_claim_limit() -> None:
    generation = GenerationFactory(
        status=Generation.Status.RUNNING, claims=4, lease_until="2000-01-01T00:00:00Z"
    )
    assert services.generations_sweep()["failed"] == 1
    generation.refresh_from_db()
    assert generation.status == Generation.Status.FAILED
    assert "interrupted too many times" in generation.error_message


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[str, int]]:
    from tests.test_storage_s3 import free_port

    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    wait_for(lambda: subprocess.run(["redis-cli", "-p", str(port), "ping"],
                                    capture_output=True).returncode == 0)  # fmt: skip
    yield f"redis://127.0.0.1:{port}/0", port
    process.kill()
    subprocess.run(["pkill", "-f", f"redis-server 127.0.0.1:{port}"], check=False)


def send(broker_url: str, queue: str, generations: list[Generation]) -> None:
    sender = Celery("sender", broker=broker_url, set_as_current=False)
    with sender.connection_for_write() as conn:
        for generation in generations:
            sender.send_task(
                "gallery.tasks.run_generation", args=[generation.pk], queue=queue, connection=conn
            )


def queued_generations(count: int, prompt: str) -> list[Generation]:
    from datetime import timedelta

    from django.utils import timezone

    user = UserFactory()
    lease = timezone.now() + timedelta(seconds=10)
    return [
        GenerationFactory(
            user=user, prompt=f"{prompt} {number}", status=Generation.Status.QUEUED,
            lease_until=lease, response_format="b64_json",
        )
        for number in range(count)
    ]  # fmt: skip


def test_broker_restart_while_work_is_queued(
    start_worker, private_redis, standin_config, settings
) -> None:
    broker_url, port = private_redis
    standin_config.latency = (0.5, 0.5)
    worker = start_worker(concurrency=2, CELERY_BROKER_URL=broker_url, SWEEP_INTERVAL="1")
    generations = queued_generations(12, "a harbour at night")
    send(broker_url, worker.queue, generations)
    time.sleep(1.0)
    subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], check=False)
    time.sleep(2.0)
    subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"], stdout=subprocess.DEVNULL,
    )  # fmt: skip
    done = settled(*generations, timeout=120)
    assert {g.status for g in done} == {"succeeded"}
    assert worker.process.poll() is None


def test_database_connections_terminated_under_load(start_worker, standin_config) -> None:
    standin_config.latency = (0.3, 0.6)
    worker = start_worker(concurrency=10, SWEEP_INTERVAL="1")
    generations = [submit(f"a busy street {number}") for number in range(20)]
    until = time.monotonic() + 4
    terminated = 0
    with connection.cursor() as cursor:
        while time.monotonic() < until:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = %s",
                [WORKER_APPLICATION],
            )
            terminated += cursor.fetchone()[0]
            time.sleep(0.2)
    assert terminated > 0
    done = settled(*generations, timeout=120)
    assert {g.status for g in done} == {"succeeded"}
    assert worker.process.poll() is None


# -- RabbitMQ --------------------------------------------------------------------------------

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"


@pytest.fixture
def rabbitmq() -> str:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=2).close()
    except OSError:
        pytest.fail("RabbitMQ is not running on 127.0.0.1:5672; `make setup` starts it.")
    return AMQP_URL


def test_rabbitmq_basic_path(start_worker, rabbitmq) -> None:
    worker = start_worker(CELERY_BROKER_URL=rabbitmq)
    generations = queued_generations(3, "a rabbit in a meadow")
    send(rabbitmq, worker.queue, generations)
    assert {g.status for g in settled(*generations)} == {"succeeded"}


def test_rabbitmq_worker_killed_mid_call_finishes_once(
    start_worker, rabbitmq, standin, standin_config
) -> None:
    standin_config.latency = (2.0, 2.0)
    worker = start_worker(CELERY_BROKER_URL=rabbitmq)
    (generation,) = queued_generations(1, "a rabbit under the moon")
    send(rabbitmq, worker.queue, [generation])
    wait_for(lambda: api_calls(standin, generation.prompt), timeout=30)
    worker.kill()
    start_worker(CELERY_BROKER_URL=rabbitmq)
    (done,) = settled(generation, timeout=90)
    assert done.status == Generation.Status.SUCCEEDED, done.error_message
    assert done.claims == 2
    assert done.images.count() == 1


def test_no_database_connection_is_held_during_slow_calls(
    start_worker, standin, standin_config
) -> None:
    standin_config.latency = (3.0, 3.0)
    standin.reset_stats()
    # Twenty threads share a pool of two connections: were a connection held across the API
    # call, the other calls could not start until it came back.
    # Its connections are told apart from those of the other test workers by their name.
    # All twenty are queued before the worker starts, so that they are taken together.
    name = "mka1-test-pool-of-two"
    generations = [submit(f"a slow sunrise {number}") for number in range(20)]
    start_worker(concurrency=20, application_name=name, DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="2")
    wait_for(lambda: standin.stats()["in_flight"] >= 10, timeout=30)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [name])
        (held,) = cursor.fetchone()
    assert held <= 2
    assert {g.status for g in settled(*generations)} == {"succeeded"}


def test_a_queued_generation_can_be_canceled_and_is_never_run(
    client, start_worker, standin
) -> None:
    user = UserFactory()
    generation = submit("a canceled picnic", user=user)
    client.force_login(user)
    response = client.post(f"/generations/{generation.pk}/cancel/")
    assert response.status_code == 302
    start_worker()
    time.sleep(1.5)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.CANCELED
    assert api_calls(standin, "a canceled picnic") == []
