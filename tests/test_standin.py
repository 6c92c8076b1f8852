"""The MKA1 stand-in server against the API contract, and the official clients against it."""

from __future__ import annotations

import base64
import io
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from mka1 import SDK
from mka1 import errors as mka1_errors
from mka1.utils import BackoffStrategy, RetryConfig
from PIL import Image

from mka1_standin.server import StandinConfig, StandinServer, parse_latency

pytestmark = pytest.mark.api

KEY = "test-standin-key"
GENERATIONS = "/api/v1/llm/images/generations"
PROJECT_DIR = Path(__file__).resolve().parent.parent
NO_RETRIES = RetryConfig("none", BackoffStrategy(1, 1, 1.0, 1), False)


@pytest.fixture(scope="module")
def standin() -> Iterator[StandinServer]:
    server = StandinServer(host="127.0.0.1", port=0, config=StandinConfig(api_key=KEY))
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_standin(standin: StandinServer) -> None:
    """Each test starts from the default config, an empty log and zeroed counters."""
    standin.config = StandinConfig(api_key=KEY)
    standin.clear_requests()
    standin.reset_stats()


@pytest.fixture
def api(standin: StandinServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=standin.url, headers=headers, timeout=30) as client:
        yield client


def generate(api: httpx.Client, **body: Any) -> httpx.Response:
    body.setdefault("prompt", "a lighthouse at dawn")
    body.setdefault("size", "256x256")
    return api.post(GENERATIONS, json=body)


def picture(content: bytes) -> Image.Image:
    return Image.open(io.BytesIO(content))


def b64_picture(item: dict[str, Any]) -> Image.Image:
    return picture(base64.b64decode(item["b64_json"], validate=True))


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# -- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": KEY}])
def test_missing_or_wrong_key_is_401_in_openai_shape(standin: StandinServer, headers: dict) -> None:
    response = httpx.post(standin.url + GENERATIONS, json={"prompt": "a cat"}, headers=headers)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "invalid_api_key"
    assert error["type"] == "invalid_request_error"
    assert error["param"] is None
    assert error["message"]


# -- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "param", "code"),
    [
        ({"prompt": ""}, "prompt", "string_below_min_length"),
        ({"prompt": "a" * 1001}, "prompt", "string_above_max_length"),
        ({"prompt": 7}, "prompt", "invalid_type"),
        ({"n": 0}, "n", "integer_below_min_value"),
        ({"n": 11}, "n", "integer_above_max_value"),
        ({"n": "3"}, "n", "invalid_type"),
        ({"n": True}, "n", "invalid_type"),
        ({"n": 2.5}, "n", "invalid_type"),
        ({"quality": "ultra"}, "quality", "invalid_value"),
        ({"response_format": "jpeg"}, "response_format", "invalid_value"),
        ({"size": "100x100"}, "size", "invalid_value"),
        ({"style": "moody"}, "style", "invalid_value"),
        ({"output_format": "gif"}, "output_format", "invalid_value"),
        ({"user": 42}, "user", "invalid_type"),
        ({"model": ["auto"]}, "model", "invalid_type"),
    ],
)
def test_invalid_field_is_400_naming_the_field(
    api: httpx.Client, changes: dict, param: str, code: str
) -> None:
    response = generate(api, **changes)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["param"], error["code"], error["type"]) == (param, code, "invalid_request_error")
    assert param in error["message"] or "Invalid value" in error["message"]


def test_missing_prompt_is_400(api: httpx.Client) -> None:
    response = api.post(GENERATIONS, json={"n": 1})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "missing_required_parameter"
    assert response.json()["error"]["param"] == "prompt"


@pytest.mark.parametrize("content", [b"{not json", b"", b'["a list"]'])
def test_body_that_is_not_a_json_object_is_400(api: httpx.Client, content: bytes) -> None:
    response = api.post(GENERATIONS, content=content, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(("prompt", "n"), [("a", 1), ("a" * 1000, 10)])
def test_boundary_values_are_accepted(api: httpx.Client, prompt: str, n: int) -> None:
    response = generate(api, prompt=prompt, n=n, response_format="b64_json")
    assert response.status_code == 200
    assert len(response.json()["data"]) == n


def test_newer_values_the_sdk_sends_and_unknown_fields_are_accepted(api: httpx.Client) -> None:
    response = generate(
        api, model="auto", quality="auto", size="auto", output_format="webp",
        response_format="b64_json", background="transparent", moderation="low",
    )  # fmt: skip
    assert response.status_code == 200
    image = b64_picture(response.json()["data"][0])
    assert (image.format, image.size) == ("WEBP", (1024, 1024))


@pytest.mark.parametrize("value", [b"", b"x" * 151, "caf\u00e9".encode("latin-1")])
def test_bad_on_behalf_of_header_is_400(api: httpx.Client, value: bytes) -> None:
    headers = [(b"X-On-Behalf-Of", value)]
    response = api.post(GENERATIONS, json={"prompt": "a cat"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "X-On-Behalf-Of"


def test_on_behalf_of_of_150_printable_characters_is_accepted(api: httpx.Client) -> None:
    headers = {"X-On-Behalf-Of": "user-" + "~" * 145}
    response = api.post(GENERATIONS, json={"prompt": "a cat", "size": "256x256"}, headers=headers)
    assert response.status_code == 200


def test_unknown_model_is_404_model_not_found(api: httpx.Client) -> None:
    response = generate(api, model="meetkai:nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


def test_extra_models_are_served(standin: StandinServer, api: httpx.Client) -> None:
    standin.config.extra_models = ("acme:test-model",)
    assert generate(api, model="acme:test-model").status_code == 200
    for model in ("meetkai:z-image-turbo", "meetkai:flux-2-klein", "auto"):
        assert generate(api, model=model).status_code == 200


# -- images --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"),
    [("256x256", (256, 256)), ("1792x1024", (1792, 1024)), ("1024x1536", (1024, 1536))],
)
def test_b64_json_returns_n_images_of_the_exact_size(
    api: httpx.Client, size: str, expected: tuple[int, int]
) -> None:
    response = generate(api, size=size, n=3, response_format="b64_json")
    assert response.status_code == 200
    assert response.headers["x-request-id"]
    payload = response.json()
    assert isinstance(payload["created"], int) and abs(payload["created"] - time.time()) < 60
    assert len(payload["data"]) == 3
    for item in payload["data"]:
        image = b64_picture(item)
        assert (image.format, image.size) == ("PNG", expected)
        assert "url" not in item
        assert "lighthouse at dawn" in item["revised_prompt"]
        assert len(item["revised_prompt"]) > len("a lighthouse at dawn")


@pytest.mark.parametrize(("output_format", "pil_format"), [("png", "PNG"), ("jpeg", "JPEG")])
def test_url_format_returns_downloadable_images(
    standin: StandinServer, api: httpx.Client, output_format: str, pil_format: str
) -> None:
    response = generate(api, n=2, size="512x512", output_format=output_format)
    items = response.json()["data"]
    assert len(items) == 2
    for item in items:
        assert item["url"].startswith(f"{standin.url}/files/")
        download = httpx.get(item["url"])  # no key: the URL itself is the credential
        assert download.status_code == 200
        assert download.headers["content-type"] == f"image/{output_format}"
        image = picture(download.content)
        assert (image.format, image.size) == (pil_format, (512, 512))


def test_pictures_differ_by_prompt_and_by_index(api: httpx.Client) -> None:
    def images(prompt: str) -> list[bytes]:
        data = generate(api, prompt=prompt, n=2, response_format="b64_json").json()["data"]
        return [base64.b64decode(item["b64_json"]) for item in data]

    first, second = images("a red fox"), images("a blue whale")
    assert len({*first, *second}) == 4
    assert images("a red fox") == first  # made afresh, but deterministic


def test_urls_expire_after_their_lifetime(standin: StandinServer, api: httpx.Client) -> None:
    standin.config.url_lifetime = 0.5
    url = generate(api).json()["data"][0]["url"]
    assert httpx.get(url).status_code == 200
    time.sleep(0.6)
    assert httpx.get(url).status_code == 404


# -- the request log -------------------------------------------------------------------------


def test_request_log_records_header_user_and_masks_the_key(
    standin: StandinServer, api: httpx.Client
) -> None:
    response = api.post(
        GENERATIONS,
        json={"prompt": "a kite", "user": "42", "size": "256x256"},
        headers={"X-On-Behalf-Of": "42"},
    )
    (logged,) = standin.requests
    assert logged["id"] == response.headers["x-request-id"]
    assert (logged["method"], logged["path"], logged["status"]) == ("POST", GENERATIONS, 200)
    assert logged["headers"]["x-on-behalf-of"] == "42"
    assert logged["headers"]["authorization"] == f"Bearer ***{KEY[-1]}"
    assert logged["body"] == {"prompt": "a kite", "user": "42", "size": "256x256"}
    assert logged["fault"] is None
    assert abs(logged["received_at"] - time.time()) < 60
    # The count drops just after the last byte is sent, so the client may see the answer first.
    deadline = time.monotonic() + 5
    while standin.stats()["in_flight"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert standin.stats() == {"in_flight": 0, "max_in_flight": 1, "total": 1}


# -- faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prompt", ["Something FORBIDDEN here", "forbidden: a cat"])
def test_policy_word_is_a_content_policy_violation(api: httpx.Client, prompt: str) -> None:
    response = generate(api, prompt=prompt)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["param"]) == ("content_policy_violation", "prompt")
    assert "safety system" in error["message"]


def test_policy_word_must_be_a_whole_word(api: httpx.Client) -> None:
    assert generate(api, prompt="the unforbiddenness of cats").status_code == 200


def test_error_rate_gives_the_plain_429_with_retry_after(
    standin: StandinServer, api: httpx.Client
) -> None:
    standin.config.error_rate = 1.0
    standin.config.error_statuses = (429,)
    response = generate(api)
    assert response.status_code == 429
    assert response.json() == {"error": "Rate limit exceeded"}
    assert response.headers["retry-after"] == "1"
    assert standin.requests[-1]["fault"] == "error_rate:429"
    standin.config.retry_after, standin.config.retry_after_ms = None, 250
    response = generate(api)
    assert "retry-after" not in response.headers
    assert response.headers["retry-after-ms"] == "250"


def test_error_rate_5xx_uses_the_openai_shape(standin: StandinServer, api: httpx.Client) -> None:
    standin.config.error_rate = 1.0
    standin.config.error_statuses = (503,)
    response = generate(api)
    assert response.status_code == 503
    assert response.json()["error"]["type"] == "server_error"


def test_fail_next_scripts_answers_then_succeeds(standin: StandinServer, api: httpx.Client) -> None:
    standin.config.fail_next = [{"status": 429, "retry_after": 2}, {"status": 503}]
    first, second, third = (generate(api) for _ in range(3))
    assert (first.status_code, first.headers["retry-after"]) == (429, "2")
    assert second.status_code == 503
    assert third.status_code == 200
    faults = [entry["fault"] for entry in standin.requests]
    assert faults == ["fail_next:429", "fail_next:503", None]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_status_fault_tokens(api: httpx.Client, status: int) -> None:
    assert generate(api, prompt=f"a cat @fault:{status}").status_code == status


@pytest.mark.parametrize("fail_next", [False, True])
def test_hang_holds_the_answer_until_the_client_gives_up(
    standin: StandinServer, api: httpx.Client, fail_next: bool
) -> None:
    prompt = "a cat @fault:hang"
    if fail_next:
        standin.config.fail_next = [{"fault": "hang"}]
        prompt = "a cat"
    with pytest.raises(httpx.ReadTimeout):
        api.post(GENERATIONS, json={"prompt": prompt}, timeout=0.5)
    assert standin.stats()["max_in_flight"] == 1
    # The stand-in notices the client left and stops counting the request as in flight.
    assert wait_until(lambda: standin.stats()["in_flight"] == 0)
    assert standin.requests[-1]["status"] == 499


def test_stopping_ends_a_request_that_sleeps() -> None:
    """stop() wakes a handler in the middle of an hour's latency: the client's connection ends
    and stop() returns, rather than either waiting out the hour."""
    server = StandinServer(config=StandinConfig(api_key=KEY, latency=(3600.0, 3600.0)))
    server.start()
    outcome: list[BaseException | int] = []

    def call() -> None:
        headers = {"Authorization": f"Bearer {KEY}"}
        try:
            response = httpx.post(
                server.url + GENERATIONS, json={"prompt": "a cat"}, headers=headers, timeout=60
            )
            outcome.append(response.status_code)
        except httpx.HTTPError as error:
            outcome.append(error)

    caller = threading.Thread(target=call)
    caller.start()
    assert wait_until(lambda: server.stats()["in_flight"] == 1)
    stopper = threading.Thread(target=server.stop)
    stopper.start()
    stopper.join(30)
    caller.join(30)
    assert not stopper.is_alive() and not caller.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], httpx.HTTPError)


def test_hang_answers_after_hang_seconds(standin: StandinServer, api: httpx.Client) -> None:
    standin.config.hang_seconds = 0.2
    assert generate(api, prompt="a cat @fault:hang").status_code == 200


def test_not_image_and_bad_b64_faults(standin: StandinServer, api: httpx.Client) -> None:
    item = generate(api, prompt="@fault:not_image", response_format="b64_json").json()["data"][0]
    assert base64.b64decode(item["b64_json"]) == b"hello, not an image"
    url = generate(api, prompt="@fault:not_image").json()["data"][0]["url"]
    assert httpx.get(url).content == b"hello, not an image"
    item = generate(api, prompt="@fault:bad_b64", response_format="b64_json").json()["data"][0]
    assert item["b64_json"] == "%%%not base64%%%"
    assert standin.requests[-1]["fault"] == "prompt:bad_b64"


def test_huge_fault_exceeds_huge_bytes(standin: StandinServer, api: httpx.Client) -> None:
    standin.config.huge_bytes = 3_000_000
    item = generate(api, prompt="@fault:huge", response_format="b64_json").json()["data"][0]
    assert len(base64.b64decode(item["b64_json"])) > 3_000_000
    url = generate(api, prompt="@fault:huge").json()["data"][0]["url"]
    with httpx.stream("GET", url) as download:
        assert "content-length" not in download.headers  # streamed: only counting catches it
        assert sum(len(chunk) for chunk in download.iter_bytes()) > 3_000_000


def test_bomb_fault_declares_a_giant_png(api: httpx.Client) -> None:
    item = generate(api, prompt="@fault:bomb", response_format="b64_json").json()["data"][0]
    content = base64.b64decode(item["b64_json"])
    assert len(content) < 1_000_000
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", content[16:24]) == (30_000, 30_000)
    url = generate(api, prompt="@fault:bomb").json()["data"][0]["url"]
    assert httpx.get(url).content == content


def test_redirect_private_points_at_a_private_address(api: httpx.Client) -> None:
    url = generate(api, prompt="@fault:redirect_private").json()["data"][0]["url"]
    response = httpx.get(url, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "http://10.0.0.1/x.png"


def test_malformed_and_missing_data_faults(api: httpx.Client) -> None:
    response = generate(api, prompt="@fault:malformed_json")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert set(generate(api, prompt="@fault:missing_data").json()) == {"created"}
    assert len(generate(api, prompt="@fault:short_data", n=3).json()["data"]) == 2
    assert generate(api, prompt="@fault:short_data", n=1).json()["data"] == []


def test_revised_prompt_faults(api: httpx.Client) -> None:
    item = generate(api, prompt="@fault:no_revised").json()["data"][0]
    assert item["revised_prompt"] is None
    revised = generate(api, prompt="@fault:nul_revised").json()["data"][0]["revised_prompt"]
    assert "\x00" in revised and len(revised) > 20_000


def test_trickle_and_expired_url_faults(standin: StandinServer, api: httpx.Client) -> None:
    url = generate(api, prompt="@fault:trickle").json()["data"][0]["url"]
    with httpx.stream("GET", url, timeout=5) as download:
        assert download.status_code == 200
        assert int(download.headers["content-length"]) > 100
        assert next(download.iter_raw(1)) == b"\x89"  # and the rest one byte at a time
    url = generate(api, prompt="@fault:expired").json()["data"][0]["url"]
    assert httpx.get(url).status_code == 404


# -- control endpoints ----------------------------------------------------------------------


def test_control_endpoints(standin: StandinServer, api: httpx.Client) -> None:
    generate(api, prompt="a cat")
    assert httpx.get(f"{standin.url}/_standin/requests").status_code == 401
    logged = api.get("/_standin/requests").json()
    assert [entry["body"]["prompt"] for entry in logged] == ["a cat"]
    assert api.get("/_standin/stats").json()["total"] == 1
    assert api.delete("/_standin/requests").status_code == 200
    assert api.get("/_standin/requests").json() == []

    changes = {"latency": [0.0, 0.01], "fail_next": [{"status": 500}], "extra_models": ["x:y"]}
    config = api.post("/_standin/config", json=changes).json()
    assert config["latency"] == [0.0, 0.01] and config["api_key"] == f"***{KEY[-1]}"
    assert standin.config.latency == (0.0, 0.01)
    assert generate(api).status_code == 500
    assert generate(api, model="x:y").status_code == 200
    api.post("/_standin/config", json={"latency": 0})
    assert standin.config.latency == (0.0, 0.0)
    assert api.post("/_standin/config", json={"no_such_field": 1}).status_code == 400


# -- load --------------------------------------------------------------------------------------


def test_200_requests_are_in_flight_at_once(standin: StandinServer) -> None:
    # Long enough that the first answers are not sent before the last of 200 clients connects.
    standin.config.latency = (3.0, 3.0)
    clients = 200
    start = threading.Barrier(clients)
    limits = httpx.Limits(max_connections=clients + 10)
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=standin.url, headers=headers, limits=limits, timeout=60) as api:

        def one(index: int) -> int:
            start.wait()
            return generate(api, prompt=f"crowd {index}", response_format="b64_json").status_code

        with ThreadPoolExecutor(max_workers=clients) as pool:
            statuses = list(pool.map(one, range(clients)))
    assert statuses == [200] * clients
    stats = standin.stats()
    assert stats["max_in_flight"] >= clients
    assert stats["total"] == clients and stats["in_flight"] == 0


# -- the management command ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_management_command_serves_until_sigterm() -> None:
    port = free_port()
    command = [
        sys.executable, "manage.py", "mka1_standin", "--port", str(port),
        "--api-key", "cmd-key", "--latency", "0,0.01", "--model", "acme:extra",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=PROJECT_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first_line
        response = httpx.post(
            f"http://127.0.0.1:{port}{GENERATIONS}",
            json={"prompt": "a cat", "model": "acme:extra", "size": "256x256"},
            headers={"Authorization": "Bearer cmd-key"},
        )
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert re.search(rf"POST {GENERATIONS} 200 \d+ms", output)
    assert "stopped" in output


# -- the official clients, unchanged --------------------------------------------------------------


@pytest.fixture
def openai_client(standin: StandinServer) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=f"{standin.url}/api/v1/llm", max_retries=0)


def test_openai_client_b64_json(openai_client: openai.OpenAI) -> None:
    result = openai_client.images.generate(
        prompt="a paper boat", n=2, size="256x256", response_format="b64_json"
    )
    assert result.data is not None and len(result.data) == 2
    for image in result.data:
        assert image.b64_json is not None
        assert picture(base64.b64decode(image.b64_json)).size == (256, 256)
        assert image.revised_prompt and "paper boat" in image.revised_prompt


def test_openai_client_url(openai_client: openai.OpenAI) -> None:
    result = openai_client.images.generate(prompt="a paper boat", n=2, size="256x256")
    assert result.data is not None and len(result.data) == 2
    for image in result.data:
        assert image.url is not None
        assert picture(httpx.get(image.url).content).size == (256, 256)


def test_openai_client_errors(standin: StandinServer, openai_client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        openai_client.images.generate(prompt="a paper boat", n=11)
    assert "integer above maximum value" in str(caught.value)
    assert caught.value.code == "integer_above_max_value"
    wrong = openai.OpenAI(api_key="wrong", base_url=f"{standin.url}/api/v1/llm", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        wrong.images.generate(prompt="a paper boat")


def test_mka1_sdk_with_its_defaults(standin: StandinServer) -> None:
    sdk = SDK(bearer_auth=KEY, server_url=standin.url)
    result = sdk.llm.images.create(prompt="a paper boat", x_on_behalf_of="42")
    (image,) = result.data
    assert image.url is not None
    assert picture(httpx.get(image.url).content).size == (1024, 1024)
    logged = next(entry for entry in standin.requests if entry["path"] == GENERATIONS)
    assert logged["headers"]["x-on-behalf-of"] == "42"
    assert logged["body"]["model"] == "auto" and logged["body"]["quality"] == "auto"

    result = sdk.llm.images.create(prompt="a paper boat", response_format="b64_json", n=2)
    assert [b64_picture(item.model_dump()).size for item in result.data] == [(1024, 1024)] * 2


def test_mka1_sdk_errors(standin: StandinServer) -> None:
    sdk = SDK(bearer_auth=KEY, server_url=standin.url, retry_config=NO_RETRIES)
    with pytest.raises(mka1_errors.SDKDefaultError) as caught:
        sdk.llm.images.create(prompt="a" * 1001)
    assert caught.value.status_code == 400
    assert "string too long" in str(caught.value)
    wrong = SDK(bearer_auth="wrong", server_url=standin.url, retry_config=NO_RETRIES)
    with pytest.raises(mka1_errors.SDKDefaultError) as caught:
        wrong.llm.images.create(prompt="a paper boat")
    assert caught.value.status_code == 401
    assert "Incorrect API key" in str(caught.value)


@pytest.mark.parametrize(
    ("given", "expected"), [("2", (2.0, 2.0)), ("0.5,2", (0.5, 2.0)), (1.5, (1.5, 1.5))]
)
def test_latency_is_a_number_or_a_range(given: object, expected: tuple[float, float]) -> None:
    assert parse_latency(given) == expected
