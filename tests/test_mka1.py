"""The API client against the stand-in over real HTTP."""

import base64
import io

import pytest
from PIL import Image

from gallery.mka1 import ImageRequest, MKA1Client, MKA1Error, backoff_delay
from gallery.values import GenerationParams

pytestmark = [pytest.mark.foundation, pytest.mark.api]


def request(**changes: object) -> ImageRequest:
    fields = {
        "prompt": "a brass telescope on a wooden desk",
        "model": "meetkai:z-image-turbo",
        "n": 2,
        "size": "256x256",
        "quality": "standard",
        "style": "vivid",
        "response_format": "b64_json",
        "user_id": "42",
    }
    fields.update(changes)
    user_id = str(fields.pop("user_id"))
    return ImageRequest(GenerationParams.from_mapping(fields), user_id=user_id)


def test_sends_key_user_header_and_only_the_contract_fields(standin, standin_config) -> None:
    MKA1Client(base_url=standin.url).generate(request())
    logged = standin.requests[-1]
    assert logged["headers"]["x-on-behalf-of"] == "42"
    assert logged["headers"]["authorization"].startswith("Bearer ")
    assert "standin-local-key" not in logged["headers"]["authorization"]
    assert logged["body"]["user"] == "42"
    assert set(logged["body"]) == {
        "prompt", "model", "n", "size", "quality", "style", "response_format", "user",
    }  # fmt: skip


def test_b64_json_answer_decodes_to_images_of_the_requested_size(standin) -> None:
    result = MKA1Client(base_url=standin.url).generate(request(response_format="b64_json"))
    assert len(result.items) == 2
    for item in result.items:
        assert item.url is None and item.b64_json
        image = Image.open(io.BytesIO(base64.b64decode(item.b64_json)))
        assert image.size == (256, 256)
        assert item.revised_prompt and "telescope" in item.revised_prompt
    assert result.request_id


def test_url_answer_points_at_downloadable_images(standin) -> None:
    from django.conf import settings

    from gallery.mka1 import download

    result = MKA1Client(base_url=standin.url).generate(request(response_format="url", n=1))
    (item,) = result.items
    assert item.url and item.b64_json is None
    content = download(item.url, max_bytes=settings.MKA1_MAX_IMAGE_BYTES, timeout=10)
    assert Image.open(io.BytesIO(content)).size == (256, 256)


def test_openai_shaped_error_becomes_a_validation_error(standin) -> None:
    with pytest.raises(MKA1Error) as caught:
        MKA1Client(base_url=standin.url).generate_once(request(model="no-such-model"))
    assert caught.value.status == 404
    assert caught.value.code == "model_not_found"
    assert caught.value.kind == "validation"
    assert not caught.value.retryable


def test_plain_error_shape_is_parsed_and_429_is_retryable(standin, standin_config) -> None:
    standin_config.fail_next = [{"status": 429, "retry_after": 2}]
    with pytest.raises(MKA1Error) as caught:
        MKA1Client(base_url=standin.url).generate_once(request())
    assert caught.value.status == 429
    assert caught.value.message == "Rate limit exceeded"
    assert caught.value.kind == "rate_limited"
    assert caught.value.retry_after == 2
    assert caught.value.retryable


def test_wrong_key_is_an_operator_problem(standin) -> None:
    with pytest.raises(MKA1Error) as caught:
        MKA1Client(base_url=standin.url, api_key="wrong").generate_once(request())
    assert caught.value.status == 401
    assert caught.value.kind == "auth"
    assert "administrator" in caught.value.user_message()


def test_content_policy_refusal_is_recognised(standin) -> None:
    with pytest.raises(MKA1Error) as caught:
        MKA1Client(base_url=standin.url).generate_once(request(prompt="something forbidden here"))
    assert caught.value.kind == "content_policy"
    assert not caught.value.retryable


def test_unreachable_service_is_a_retryable_upstream_error() -> None:
    with pytest.raises(MKA1Error) as caught:
        MKA1Client(base_url="http://127.0.0.1:9", connect_timeout=1).generate_once(request())
    assert caught.value.kind == "upstream"
    assert caught.value.retryable


def test_retry_after_beyond_the_cap_gives_up() -> None:
    assert backoff_delay(1, 120.0, base=1.0, cap=60.0) is None
    assert backoff_delay(1, 3.0, base=1.0, cap=60.0) == 3.0
    assert 0 <= (backoff_delay(3, None, base=1.0, cap=60.0) or 0) <= 4.0


def test_retries_honour_retry_after_then_succeed(standin, standin_config) -> None:
    standin_config.fail_next = [{"status": 429, "retry_after": 2}, {"status": 503}]
    waits: list[float] = []
    result = MKA1Client(base_url=standin.url).generate(
        request(n=1), max_attempts=3, backoff_base=0.5, sleep=waits.append
    )
    assert result.attempts == 3
    assert waits[0] == 2
    assert 0 <= waits[1] <= 1.0


def test_never_retries_a_client_error(standin, standin_config) -> None:
    waits: list[float] = []
    with pytest.raises(MKA1Error) as caught:
        MKA1Client(base_url=standin.url).generate(
            request(model="no-such-model"), max_attempts=5, sleep=waits.append
        )
    assert caught.value.attempts == 1
    assert waits == []


def test_retry_after_beyond_the_cap_fails_as_rate_limited(standin, standin_config) -> None:
    standin_config.fail_next = [{"status": 429, "retry_after": 600}]
    with pytest.raises(MKA1Error) as caught:
        MKA1Client(base_url=standin.url).generate(
            request(n=1), max_attempts=3, backoff_cap=60, sleep=lambda _: None
        )
    assert caught.value.kind == "rate_limited"
    assert caught.value.attempts == 1
    assert "600 s" in caught.value.message


def most_at_once(spans: list[tuple[float, float]]) -> int:
    events = sorted([(begun, 1) for begun, _ in spans] + [(ended, -1) for _, ended in spans])
    held = most = 0
    for _, change in events:
        held += change
        most = max(most, held)
    return most


def test_a_process_has_no_more_calls_in_flight_than_its_call_slots(
    standin, standin_config, monkeypatch
) -> None:
    import threading

    from gallery import mka1

    monkeypatch.setattr(mka1, "call_slots", threading.BoundedSemaphore(2))
    standin_config.latency = (0.2, 0.2)
    results = []
    threads = [
        threading.Thread(
            target=lambda: results.append(
                MKA1Client(base_url=standin.url).generate(request(n=1), sleep=lambda _: None)
            )
        )
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 6
    calls = [entry for entry in standin.requests if entry["path"].endswith("/generations")]
    # From a request's arrival to the first byte of its answer: a lower bound of its time.
    assert most_at_once([(entry["received_at"], entry["answered_at"]) for entry in calls]) == 2


def test_a_failed_call_and_a_wait_between_attempts_hold_no_call_slot(
    standin, standin_config, monkeypatch
) -> None:
    import threading

    from gallery import mka1

    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(mka1, "call_slots", slots)
    standin_config.fail_next = [{"status": 503}]
    free_while_waiting: list[bool] = []

    def wait(seconds: float) -> None:
        free_while_waiting.append(slots.acquire(blocking=False))
        slots.release()

    client = MKA1Client(base_url=standin.url)
    assert client.generate(request(n=1), max_attempts=2, sleep=wait).attempts == 2
    assert free_while_waiting == [True]
    with pytest.raises(MKA1Error):
        client.generate(request(model="no-such-model"))
    assert slots.acquire(blocking=False), "a failed call kept its slot"
    slots.release()
