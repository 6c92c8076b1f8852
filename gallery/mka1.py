"""The MKA1 image API client: one place that knows the wire format, its errors and its retries."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import logging
import random
import ssl
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings

from telemetry.metrics import API_CALL_SECONDS, API_RETRIES

from .addresses import AddressRefused, CheckedTransport, is_public_address, may_be_private
from .values import GenerationParams

logger = logging.getLogger(__name__)

GENERATIONS_PATH = "/api/v1/llm/images/generations"
RETRYABLE_STATUSES = {408, 409, 429, 500, 502, 503, 504}
MAX_ITEMS = 10
MAX_REDIRECTS = 5
# A pooled client per thread and purpose, all sharing one TLS context (building one costs more
# than a call's overhead). Per thread rather than per process: with a hundred threads on one
# pool, handing each request a connection costs more than the request.
_local = threading.local()
_tls_lock = threading.Lock()
_tls_context: ssl.SSLContext | None = None


def _tls() -> ssl.SSLContext:
    global _tls_context
    with _tls_lock:
        if _tls_context is None:
            _tls_context = httpx.create_ssl_context()
        return _tls_context


LIMITS = httpx.Limits(max_connections=4, max_keepalive_connections=4)

# The API calls this process has in flight at once: its share of the API's concurrency. A
# worker has more threads than this, so that while some threads finish answers (download,
# thumbnail, rows) others already wait with a claimed generation to take each call slot freed.
call_slots = threading.BoundedSemaphore(settings.MKA1_CALLS_PER_PROCESS)


def download_client(*, verify: ssl.SSLContext | None = None) -> httpx.Client:
    """A client for image URLs: each of its connections resolves its host once, checks every
    address (gallery.addresses) and connects to one of them, with TLS for the host name."""
    transport = CheckedTransport(verify=verify or _tls(), limits=LIMITS)
    return httpx.Client(transport=transport, follow_redirects=False)


def shared_client(name: str) -> httpx.Client:
    """This thread's keep-alive client for `name` ("api" or "download")."""
    clients: dict[str, httpx.Client] = _local.__dict__.setdefault("clients", {})
    client = clients.get(name)
    if client is None:
        if name == "download":
            client = clients[name] = download_client()
        else:
            client = clients[name] = httpx.Client(
                verify=_tls(), limits=LIMITS, follow_redirects=False
            )
    return client


def _read_capped(response: httpx.Response, *, max_bytes: int, deadline: float) -> bytes:
    """The raw body, refused past max_bytes or past the deadline however slowly it trickles."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ImageFetchError("The image is larger than the size limit.")
    chunks: list[bytes] = []
    received = 0
    for chunk in response.iter_raw():
        received += len(chunk)
        if received > max_bytes:
            raise ImageFetchError("The answer is larger than the size limit.")
        if time.monotonic() > deadline:
            raise ImageFetchError("The transfer took too long.", kind="timeout")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class ImageRequest:
    params: GenerationParams
    user_id: str

    @property
    def n(self) -> int:
        return self.params.n

    def body(self) -> dict[str, Any]:
        # Only the fields of the reference page; the end user's id goes in `user` as well.
        return {**self.params.as_dict(), "user": self.user_id}


@dataclass(frozen=True)
class ResultItem:
    url: str | None
    b64_json: str | None
    revised_prompt: str | None


@dataclass
class ImageResult:
    created: int | None
    items: list[ResultItem]
    request_id: str
    status: int = 200
    elapsed_ms: int = 0
    attempts: int = 1


class MKA1Error(Exception):
    """A failed call, classified so the pipeline can decide to retry and explain it to the user."""

    def __init__(
        self,
        message: str,
        *,
        kind: str,
        status: int | None = None,
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
        request_id: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.status = status
        self.code = code
        self.param = param
        self.retry_after = retry_after
        self.request_id = request_id
        self.attempts = 1

    def __str__(self) -> str:
        return f"{self.kind} ({self.status or 'no status'}): {self.message}"

    @property
    def retryable(self) -> bool:
        if self.kind == "timeout":
            return True
        if self.status is None:
            return self.kind == "upstream"
        return self.status in RETRYABLE_STATUSES

    def user_message(self) -> str:
        if self.kind == "auth":
            return (
                "The portal's MKA1 API key was refused. This is not something you did: "
                "please tell an administrator."
            )
        if self.kind == "content_policy":
            return f"The prompt was refused by the content policy: {self.message}"
        if self.kind == "rate_limited":
            return f"The image service is rate limiting requests ({self.message}). Try again later."
        if self.kind == "timeout":
            return "The image service did not answer in time."
        if self.kind == "validation":
            return f"The image service rejected the request: {self.message}"
        if self.kind == "bad_image":
            return self.message
        return f"The image service failed: {self.message}"


def _retry_after(response: httpx.Response) -> float | None:
    milliseconds = response.headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    seconds = response.headers.get("retry-after")
    if seconds:
        try:
            return max(0.0, float(seconds))
        except ValueError:
            return None
    return None


def error_from_response(response: httpx.Response, body: bytes) -> MKA1Error:
    """Both error shapes: {"error": {"message", "type", "param", "code"}} and {"error": "text"}."""
    status = response.status_code
    message, code, param = "", None, None
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or "")
        code = error.get("code") if isinstance(error.get("code"), str) else None
        param = error.get("param") if isinstance(error.get("param"), str) else None
    elif isinstance(error, str):
        message = error
    if not message:
        message = f"HTTP {status} {response.reason_phrase}".strip()
    message = message[:2000]

    if code == "content_policy_violation":
        kind = "content_policy"
    elif status in (401, 403):
        kind = "auth"
    elif status == 429:
        kind = "rate_limited"
    elif status in (408, 504):
        kind = "timeout"
    elif status in RETRYABLE_STATUSES or status >= 500:
        kind = "upstream"
    else:
        kind = "validation"
    return MKA1Error(
        message,
        kind=kind,
        status=status,
        code=code,
        param=param,
        retry_after=_retry_after(response),
        request_id=response.headers.get("x-request-id", ""),
    )


def parse_success(response: httpx.Response, body: bytes) -> ImageResult:
    request_id = response.headers.get("x-request-id", "")
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise MKA1Error(
            "The image service answered with a body that is not JSON.",
            kind="upstream",
            status=response.status_code,
            request_id=request_id,
        ) from exc
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, list):
        raise MKA1Error(
            "The image service answered without any images.",
            kind="upstream",
            status=response.status_code,
            request_id=request_id,
        )
    items = []
    for entry in data[:MAX_ITEMS]:
        entry = entry if isinstance(entry, dict) else {}
        url, b64, revised = entry.get("url"), entry.get("b64_json"), entry.get("revised_prompt")
        items.append(
            ResultItem(
                url=url if isinstance(url, str) else None,
                b64_json=b64 if isinstance(b64, str) else None,
                revised_prompt=revised if isinstance(revised, str) else None,
            )
        )
    created = payload.get("created")
    return ImageResult(
        created=int(created) if isinstance(created, int | float) else None,
        items=items,
        request_id=request_id,
        status=response.status_code,
    )


class _BearerKey(httpx.Auth):
    """The API key, added to each request as it is sent. No frame of ours or of httpx then holds
    it in a plain dict (error pages and reports print frames' variables), and its repr hides it."""

    def __init__(self, key: str) -> None:
        self._key = key

    def __repr__(self) -> str:
        return "<MKA1 API key>"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._key}"
        yield request


class MKA1Client:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        deadline: float | None = None,
        http: httpx.Client | None = None,
    ) -> None:
        self.base_url = (base_url or settings.MKA1_API_URL).rstrip("/")
        self.auth = _BearerKey(api_key if api_key is not None else settings.MKA1_API_KEY)
        connect = connect_timeout if connect_timeout is not None else settings.MKA1_CONNECT_TIMEOUT
        read = read_timeout if read_timeout is not None else settings.MKA1_READ_TIMEOUT
        self.timeout = httpx.Timeout(read, connect=connect)
        self.deadline = deadline if deadline is not None else settings.MKA1_CALL_DEADLINE
        self.http = http or shared_client("api")

    def generate_once(self, request: ImageRequest) -> ImageResult:
        headers = {"X-On-Behalf-Of": request.user_id, "Accept": "application/json"}
        started = time.monotonic()
        # Ten images of b64 at the per-image cap, and room for the JSON around them.
        max_body = request.n * (settings.MKA1_MAX_IMAGE_BYTES * 4 // 3 + 8192) + 65536
        try:
            with self.http.stream(
                "POST",
                self.base_url + GENERATIONS_PATH,
                json=request.body(),
                headers=headers,
                auth=self.auth,
                timeout=self.timeout,
            ) as response:
                body = _read_capped(response, max_bytes=max_body, deadline=started + self.deadline)
        except ImageFetchError as exc:
            # Too slow is worth another try; too large is not.
            if exc.kind == "timeout":
                raise MKA1Error(f"The answer took too long: {exc}", kind="timeout") from exc
            raise MKA1Error(
                "The image service's answer is larger than the portal accepts.",
                kind="bad_image",
                status=response.status_code,
            ) from exc
        except httpx.TimeoutException as exc:
            raise MKA1Error(
                f"No answer within the time limit ({type(exc).__name__}).", kind="timeout"
            ) from exc
        except httpx.HTTPError as exc:
            raise MKA1Error(
                f"Could not reach the image service ({type(exc).__name__}).", kind="upstream"
            ) from exc
        if response.status_code != 200:
            raise error_from_response(response, body)
        result = parse_success(response, body)
        result.elapsed_ms = int((time.monotonic() - started) * 1000)
        return result

    def generate(
        self,
        request: ImageRequest,
        *,
        max_attempts: int | None = None,
        backoff_base: float | None = None,
        backoff_cap: float | None = None,
        before_attempt: Callable[[float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> ImageResult:
        """Call the API, retrying only what the contract says is worth retrying.

        Each attempt holds one of this process's call slots. before_attempt(seconds) is told
        how long the next step (an attempt, once it holds its slot, or a wait) may take, so the
        caller can extend its lease first.
        """
        attempts = max_attempts or settings.MKA1_MAX_ATTEMPTS
        base = backoff_base if backoff_base is not None else settings.MKA1_BACKOFF_BASE
        cap = backoff_cap if backoff_cap is not None else settings.MKA1_BACKOFF_CAP
        attempt = 0
        while True:
            attempt += 1
            try:
                with call_slots:
                    if before_attempt:
                        before_attempt(self.deadline + self.timeout.connect)  # type: ignore[operator]
                    started = time.monotonic()
                    result = self.generate_once(request)
            except MKA1Error as error:
                API_CALL_SECONDS.labels(outcome=error.kind).observe(time.monotonic() - started)
                error.attempts = attempt
                if not error.retryable or attempt >= attempts:
                    raise
                delay = backoff_delay(attempt, error.retry_after, base, cap)
                if delay is None:
                    error.message = (
                        f"The image service asked to wait {error.retry_after:.0f} s, "
                        f"longer than the {cap:.0f} s the portal waits."
                    )
                    raise
                logger.info("MKA1 attempt %s failed (%s); retrying in %.2fs", attempt, error, delay)
                API_RETRIES.labels(error_kind=error.kind).inc()
                if before_attempt:
                    before_attempt(delay)
                sleep(delay)
                continue
            API_CALL_SECONDS.labels(outcome="ok").observe(time.monotonic() - started)
            result.attempts = attempt
            return result


def backoff_delay(attempt: int, retry_after: float | None, base: float, cap: float) -> float | None:
    """Jittered exponential backoff; a Retry-After beyond the cap means give up (None)."""
    if retry_after is not None:
        return None if retry_after > cap else retry_after
    return random.uniform(0, min(cap, base * 2 ** (attempt - 1)))


class ImageFetchError(Exception):
    def __init__(self, message: str, *, kind: str = "bad_image") -> None:
        super().__init__(message)
        self.kind = kind


def decode_b64(payload: str, *, max_bytes: int) -> bytes:
    # base64 grows data by 4/3: reject before decoding anything too large.
    if len(payload) > max_bytes * 4 // 3 + 4:
        raise ImageFetchError("The image is larger than the size limit.")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageFetchError("The image data is not valid base64.") from exc


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_download_url(url: str) -> None:
    """Refuse URLs that are not https to an allowed host, or that name a private address.

    A host name's addresses are checked when connecting, by the download client's transport,
    which then connects to an address it checked."""
    try:
        parts = urlsplit(url)
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError as exc:
        raise ImageFetchError("The image URL is not an http(s) URL.", kind="upstream") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise ImageFetchError("The image URL is not an http(s) URL.", kind="upstream")
    port = port or (443 if parts.scheme == "https" else 80)
    allowed_hosts = settings.MKA1_DOWNLOAD_HOSTS
    if allowed_hosts and host not in allowed_hosts:
        raise ImageFetchError(f"Images from {host} are not allowed.", kind="upstream")
    if may_be_private(host, port):
        return
    if _is_address(host) and not is_public_address(host):
        raise ImageFetchError(
            f"The image URL points at a private address ({host}); it was not fetched.",
            kind="upstream",
        )
    if parts.scheme != "https":
        raise ImageFetchError("The image URL is not https.", kind="upstream")


def _redirects(url: str, http: httpx.Client, timeout: httpx.Timeout) -> Iterator[httpx.Response]:
    for _ in range(MAX_REDIRECTS + 1):
        check_download_url(url)
        with http.stream("GET", url, timeout=timeout) as response:
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            yield response
            return
    raise ImageFetchError("The image URL redirected too many times.", kind="upstream")


def download(
    url: str,
    *,
    max_bytes: int,
    timeout: float,
    http: httpx.Client | None = None,
) -> bytes:
    """Stream an image from a temporary upstream URL with a size cap and a total deadline."""
    deadline = time.monotonic() + timeout
    http = http or shared_client("download")
    request_timeout = httpx.Timeout(timeout, connect=min(10.0, timeout))
    try:
        for response in _redirects(url, http, request_timeout):
            if response.status_code != 200:
                raise ImageFetchError(
                    f"The image could not be downloaded (HTTP {response.status_code}).",
                    kind="upstream",
                )
            return _read_capped(response, max_bytes=max_bytes, deadline=deadline)
    except AddressRefused as exc:
        raise ImageFetchError(exc.message, kind="upstream") from exc
    except httpx.TimeoutException as exc:
        raise ImageFetchError("The image download took too long.", kind="timeout") from exc
    except httpx.HTTPError as exc:
        raise ImageFetchError(
            f"The image could not be downloaded ({type(exc).__name__}).", kind="upstream"
        ) from exc
    raise ImageFetchError("The image could not be downloaded.", kind="upstream")
