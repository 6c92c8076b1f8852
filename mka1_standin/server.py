"""The MKA1 stand-in server: the image API contract over real HTTP, with fault injection.

Usage (tests, `make run` through the management command):

    server = StandinServer(port=0, config=StandinConfig(api_key="k"))
    server.start()
    ...  # point the client at server.url; inspect server.requests / server.stats()
    server.stop()

A prompt containing `@fault:NAME` (see PROMPT_FAULTS) or a scripted `config.fail_next` entry
makes the answer hostile; `config.error_rate` fails a share of requests at random.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import random
import re
import secrets
import select
import socket
import socketserver
import sys
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, fields
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from . import pictures
from .validation import (
    SERVED_MODELS,
    ApiError,
    GenerationRequest,
    check_on_behalf_of,
    parse_generation,
    policy_error,
    violates_policy,
)

GENERATIONS_PATH = "/api/v1/llm/images/generations"
FILES_PREFIX = "/files/"
CONTROL_PREFIX = "/_standin/"
PRIVATE_REDIRECT = "http://10.0.0.1/x.png"
STATUS_FAULTS = {"429": 429, "500": 500, "503": 503}
DATA_FAULTS = frozenset(
    {"not_image", "bad_b64", "huge", "bomb", "redirect_private", "malformed_json"}
    | {"short_data", "missing_data", "no_revised", "nul_revised", "trickle", "expired"}
)
PROMPT_FAULTS = frozenset(STATUS_FAULTS) | DATA_FAULTS | {"hang"}
FAULT_TOKEN = re.compile(r"@fault:([a-z0-9_]+)")
MAX_BODY_BYTES = 1 << 20
REQUEST_LOG_LIMIT = 10_000
CLIENT_CLOSED = 499  # logged (never sent) when the client left before the answer was complete
_STATUS_MESSAGES = {
    401: "Incorrect API key provided.",
    500: "The server had an error while processing your request. Sorry about that!",
    502: "Bad gateway.",
    503: "The engine is currently overloaded, please try again later.",
    504: "Gateway timeout.",
}


def parse_latency(value: Any) -> tuple[float, float]:
    """Latency from a number, "1.5", "0.5,2" or [0.5, 2] as (min, max) seconds."""
    if isinstance(value, str):
        parts = [float(part) for part in value.split(",")]
        value = parts[0] if len(parts) == 1 else parts
    if isinstance(value, int | float):
        return float(value), float(value)
    low, high = (float(part) for part in value)
    if not 0 <= low <= high:
        raise ValueError(f"latency needs 0 <= min <= max, got {low}, {high}")
    return low, high


@dataclass
class StandinConfig:
    """How the stand-in behaves; mutable, read afresh by every request."""

    api_key: str = "standin-local-key"
    latency: tuple[float, float] = (0.0, 0.0)
    url_lifetime: float = 3600.0
    extra_models: tuple[str, ...] = ()
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (429, 500, 503)
    retry_after: float | None = 1
    retry_after_ms: int | None = None
    # Scripted answers, one per generation request: {"status": 429, "retry_after": 2},
    # {"status": 503}, {"fault": "hang"} or any other prompt fault name.
    fail_next: list[dict[str, Any]] = field(default_factory=list)
    policy_word: str = "forbidden"
    hang_seconds: float = 3600.0
    huge_bytes: int = 30 * 1024 * 1024
    trickle_interval: float = 0.5

    def served_models(self) -> tuple[str, ...]:
        return SERVED_MODELS + tuple(self.extra_models)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a JSON object of field changes (the control endpoint's body)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ValueError(f"Unknown config fields: {', '.join(sorted(unknown))}.")
        for name, value in changes.items():
            if name == "latency":
                value = parse_latency(value)
            elif name in ("extra_models", "error_statuses"):
                value = tuple(value)
            elif name == "fail_next":
                value = list(value)
            setattr(self, name, value)

    def public(self) -> dict[str, Any]:
        return {**asdict(self), "api_key": _mask(self.api_key)}


class StandinServer:
    """A ThreadingHTTPServer in a background thread, plus its request log and counters."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        config: StandinConfig | None = None,
        on_request: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config or StandinConfig()
        self.on_request = on_request  # gets one line per request: method, path, status, ms
        self.files = _FileStore()
        self.stopping = threading.Event()
        # A descriptor readable once stop() begins: handlers that sleep wait on it and on their
        # client's socket in one poll, rather than waking up to look.
        self.stop_signal, self._stop_write = os.pipe()
        weakref.finalize(self, _close_fds, self.stop_signal, self._stop_write)
        self._lock = threading.Lock()
        self._log: deque[dict[str, Any]] = deque(maxlen=REQUEST_LOG_LIMIT)
        self._stats = {"in_flight": 0, "max_in_flight": 0, "total": 0}
        self._httpd = _HTTPServer((host, port), _Handler)  # bound and listening from here on
        self._httpd.standin = self
        self.host, self.port = host, self._httpd.server_port
        self.url = f"http://{self.host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name=f"mka1-standin-{self.port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        with suppress(OSError):
            os.write(self._stop_write, b"x")  # wakes handlers that sleep (latency, hang, trickle)
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        self._httpd.close_connections()
        self._httpd.server_close()

    def __enter__(self) -> StandinServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._log]

    def clear_requests(self) -> None:
        with self._lock:
            self._log.clear()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return dict(self._stats)

    def reset_stats(self) -> None:
        with self._lock:
            self._stats.update(max_in_flight=self._stats["in_flight"], total=0)

    def log_request(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._log.append(entry)

    def take_scripted(self) -> dict[str, Any] | None:
        with self._lock:
            return self.config.fail_next.pop(0) if self.config.fail_next else None

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        with self._lock:
            self._stats["total"] += 1
            self._stats["in_flight"] += 1
            self._stats["max_in_flight"] = max(
                self._stats["max_in_flight"], self._stats["in_flight"]
            )
        try:
            yield
        finally:
            with self._lock:
                self._stats["in_flight"] -= 1


@dataclass
class _StoredFile:
    content: bytes
    content_type: str
    expires_at: float
    delivery: str = "whole"  # whole | trickle | stream (chunked, padded to size) | redirect
    size: int = 0


class _FileStore:
    """Image bytes behind the returned URLs, kept in memory until they expire."""

    def __init__(self) -> None:
        self._files: dict[str, _StoredFile] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def put(self, stored: _StoredFile, extension: str) -> str:
        token = secrets.token_urlsafe(18)
        now = time.time()
        with self._lock:
            if now >= self._next_sweep:
                self._files = {t: f for t, f in self._files.items() if f.expires_at > now}
                self._next_sweep = now + 1.0
            self._files[token] = stored
        return f"{token}.{extension}"

    def get(self, name: str) -> _StoredFile | None:
        with self._lock:
            stored = self._files.get(name.partition(".")[0])
        return stored if stored and stored.expires_at > time.time() else None


def _close_fds(*fds: int) -> None:
    for fd in fds:
        with suppress(OSError):
            os.close(fd)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    standin: StandinServer

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind would resolve the host name (getfqdn); nothing here needs it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = (
            str(self.server_address[0]),
            self.socket.getsockname()[1],
        )

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End kept-alive connections so that no handler serves after stop()."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class _ClientGone(Exception):
    """The client closed the connection (or the server is stopping) while we waited."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mka1-standin/1.0"
    # Headers and body go out in separate writes: without TCP_NODELAY the body can wait 40 ms
    # for the client's delayed ACK on a kept-alive connection.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Silenced: requests are logged through StandinServer.on_request instead."""

    @property
    def standin(self) -> StandinServer:
        return self.server.standin

    # -- plumbing -------------------------------------------------------------------------

    def _dispatch(self) -> None:
        started = time.monotonic()
        path = urlsplit(self.path).path
        self._request_id = f"req_{uuid.uuid4().hex}"
        self._status = 0
        self._entry: dict[str, Any] | None = None
        try:
            raw = self._read_body()
            if not path.startswith(CONTROL_PREFIX):
                self._entry = self._log_entry(path, raw)
            self._route(path, raw)
        except ApiError as error:
            self._send_json(error.status, error.body())
        except _ClientGone:
            self.close_connection = True
            self._set_status(CLIENT_CLOSED)
        finally:
            if self.standin.on_request:
                elapsed = (time.monotonic() - started) * 1000
                self.standin.on_request(f"{self.command} {path} {self._status} {elapsed:.0f}ms")

    def _route(self, path: str, raw: bytes) -> None:
        if path == GENERATIONS_PATH:
            if self.command != "POST":
                raise ApiError(405, f"Use POST, not {self.command}.", code="method_not_allowed")
            with self.standin.in_flight():  # left only once the answer is sent
                try:
                    self._generation(raw)
                except ApiError as error:
                    self._send_json(error.status, error.body())
        elif path.startswith(FILES_PREFIX) and self.command == "GET":
            self._file(path[len(FILES_PREFIX) :])
        elif path.startswith(CONTROL_PREFIX):
            self._control(path[len(CONTROL_PREFIX) :], raw)
        else:
            raise ApiError(404, f"Unknown request URL: {self.command} {path}.", code="unknown_url")

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            raise ApiError(400, "Invalid Content-Length header.", code="invalid_request") from None
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise ApiError(413, "Request body too large.", code="request_too_large")
        return self.rfile.read(length) if length > 0 else b""

    def _log_entry(self, path: str, raw: bytes) -> dict[str, Any]:
        headers = {name.lower(): value for name, value in self.headers.items()}
        if "authorization" in headers:
            headers["authorization"] = _mask_authorization(headers["authorization"])
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        entry = {
            "id": self._request_id,
            "method": self.command,
            "path": path,
            "headers": headers,
            "body": body,
            "status": None,
            "received_at": time.time(),
            "fault": None,
        }
        self.standin.log_request(entry)
        return entry

    def _set_status(self, status: int) -> None:
        self._status = status
        if self._entry is not None:
            self._entry["status"] = status

    def _start(self, status: int, headers: dict[str, str]) -> None:
        self._set_status(status)
        if self._entry is not None:
            # Before the first byte goes out: the client cannot have the answer any earlier.
            self._entry["answered_at"] = time.time()
        self.send_response(status)
        self.send_header("x-request-id", self._request_id)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self._start(status, {"Content-Type": content_type, "Content-Length": str(len(body))})
        self.wfile.write(body)

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        sizing = {"Content-Type": "application/json", "Content-Length": str(len(body))}
        self._start(status, {**sizing, **(headers or {})})
        self.wfile.write(body)

    def _wait(self, seconds: float) -> None:
        """Sleep, but give up (raise _ClientGone) when the client leaves or the server stops.

        One poll on the client's socket and the server's stop pipe: a client that closes its
        end makes the socket readable (at its end of file), as does one that sends early."""
        deadline = time.monotonic() + seconds
        poller = select.poll()
        poller.register(self.standin.stop_signal, select.POLLIN)
        poller.register(self.connection, select.POLLIN)
        while (left := deadline - time.monotonic()) > 0 and not self.standin.stopping.is_set():
            ready = {fd for fd, _ in poller.poll(left * 1000)}
            if self.connection.fileno() in ready:
                if self._client_gone():
                    raise _ClientGone
                # Bytes the client sent ahead: its socket stays readable, so only the stop
                # pipe can end the wait early from here on.
                poller.unregister(self.connection)
        if self.standin.stopping.is_set():
            raise _ClientGone

    def _client_gone(self) -> bool:
        """Whether the client's readable socket is at its end (or broken), not holding bytes."""
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _check_auth(self) -> None:
        header = self.headers.get("Authorization")
        if not header:
            raise ApiError(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                code="invalid_api_key",
            )
        scheme, _, token = header.partition(" ")
        expected = self.standin.config.api_key.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode("utf-8", "replace"), expected
        ):
            raise ApiError(401, _STATUS_MESSAGES[401], code="invalid_api_key")

    # -- the generation endpoint ----------------------------------------------------------

    def _generation(self, raw: bytes) -> None:
        config = self.standin.config
        fault: str | None = None
        scripted = self.standin.take_scripted()
        if scripted is not None:
            fault = str(scripted.get("status") or scripted.get("fault"))
            self._note_fault(f"fail_next:{fault}")
            if "status" in scripted:
                return self._send_status_fault(int(scripted["status"]), scripted)
            if fault == "hang":
                self._wait(config.hang_seconds)
        self._check_auth()
        try:
            body = json.loads(raw)
        except ValueError:
            raise ApiError(
                400, "We could not parse the JSON body of your request.", code="invalid_json"
            ) from None
        check_on_behalf_of(self.headers.get("X-On-Behalf-Of"))
        request = parse_generation(body, config.served_models())
        if violates_policy(request.prompt, config.policy_word):
            self._note_fault("policy_word")
            raise policy_error()
        if fault is None and config.error_rate > 0 and random.random() < config.error_rate:
            status = random.choice(config.error_statuses)
            self._note_fault(f"error_rate:{status}")
            return self._send_status_fault(status, {})
        # The answer comes `latency` seconds after the request, the pictures' drawing included.
        answer_at = time.monotonic() + random.uniform(*parse_latency(config.latency))
        if fault is None:
            fault = _prompt_fault(request.prompt)
            if fault is not None:
                self._note_fault(f"prompt:{fault}")
        if fault in STATUS_FAULTS or (fault == "hang" and scripted is None):
            self._wait(answer_at - time.monotonic())
            if fault == "hang":
                self._wait(config.hang_seconds)
            else:
                return self._send_status_fault(STATUS_FAULTS[str(fault)], {})
        body = self._images_body(request, fault)
        self._wait(answer_at - time.monotonic())
        self._send(200, body, "application/json")

    def _note_fault(self, fault: str) -> None:
        if self._entry is not None:
            self._entry["fault"] = fault

    def _send_status_fault(self, status: int, script: dict[str, Any]) -> None:
        config = self.standin.config
        if status != 429:
            kind = "server_error" if status >= 500 else "invalid_request_error"
            code = "invalid_api_key" if status == 401 else None
            message = _STATUS_MESSAGES.get(status) or HTTPStatus(status).phrase
            raise ApiError(status, message, code=code, type=kind)
        headers = {}
        retry_after = script.get("retry_after", config.retry_after)
        retry_after_ms = script.get("retry_after_ms", config.retry_after_ms)
        if retry_after is not None:
            headers["Retry-After"] = f"{retry_after:g}"
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(int(retry_after_ms))
        self._send_json(429, {"error": "Rate limit exceeded"}, headers)

    def _images_body(self, request: GenerationRequest, fault: str | None) -> bytes:
        created = int(time.time())
        if fault == "malformed_json":
            return b'{"created": %d, "data": [{"url": "http://' % created
        if fault == "missing_data":
            return json.dumps({"created": created}).encode()
        revised: str | None = pictures.revise_prompt(request.prompt, request.style, request.quality)
        if fault == "no_revised":
            revised = None
        elif fault == "nul_revised":
            revised = f"{revised}\u0000{'x' * 20_000}"
        count = max(request.n - 1, 0) if fault == "short_data" else request.n
        items = []
        for index in range(count):
            item: dict[str, Any] = {"revised_prompt": revised}
            if request.response_format == "b64_json":
                item["b64_json"] = self._b64_json(request, index, fault)
            else:
                item["url"] = self._store(request, index, fault)
            items.append(item)
        return json.dumps({"created": created, "data": items}).encode()

    def _b64_json(self, request: GenerationRequest, index: int, fault: str | None) -> str:
        if fault == "bad_b64":
            return "%%%not base64%%%"
        if fault == "not_image":
            content = pictures.NOT_AN_IMAGE
        elif fault == "bomb":
            content = pictures.bomb_png()
        else:
            content = self._picture(request, index)
            if fault == "huge":
                total = self.standin.config.huge_bytes + 1
                content = b"".join(pictures.padded_chunks(content, total))
        return base64.b64encode(content).decode("ascii")

    def _store(self, request: GenerationRequest, index: int, fault: str | None) -> str:
        config = self.standin.config
        content_type = pictures.CONTENT_TYPES[request.output_format]
        expires_at = time.time() + (-1.0 if fault == "expired" else config.url_lifetime)
        stored = _StoredFile(b"", content_type, expires_at)
        if fault == "not_image":
            stored.content = pictures.NOT_AN_IMAGE
        elif fault == "bomb":
            stored.content, stored.content_type = pictures.bomb_png(), "image/png"
        elif fault == "redirect_private":
            stored.delivery = "redirect"
        else:
            stored.content = self._picture(request, index)
            if fault == "huge":
                stored.delivery, stored.size = "stream", config.huge_bytes + 1
            elif fault == "trickle":
                stored.delivery = "trickle"
        name = self.standin.files.put(stored, pictures.EXTENSIONS[request.output_format])
        return f"{self.standin.url}{FILES_PREFIX}{name}"

    def _picture(self, request: GenerationRequest, index: int) -> bytes:
        return pictures.make_picture(request.prompt, index, request.size, request.output_format)

    # -- image URLs (no auth, like a signed CDN URL) --------------------------------------

    def _file(self, name: str) -> None:
        stored = self.standin.files.get(name)
        if stored is None:
            raise ApiError(404, "This URL has expired or does not exist.", code="not_found")
        if stored.delivery == "redirect":
            self._start(302, {"Location": PRIVATE_REDIRECT, "Content-Length": "0"})
        elif stored.delivery == "stream":
            self._start(200, {"Content-Type": stored.content_type, "Transfer-Encoding": "chunked"})
            for chunk in pictures.padded_chunks(stored.content, stored.size):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        elif stored.delivery == "trickle":
            length = str(len(stored.content))
            self._start(200, {"Content-Type": stored.content_type, "Content-Length": length})
            for offset in range(len(stored.content)):
                self.wfile.write(stored.content[offset : offset + 1])
                self._wait(self.standin.config.trickle_interval)
        else:
            self._send(200, stored.content, stored.content_type)

    # -- control endpoints (same key) -----------------------------------------------------

    def _control(self, name: str, raw: bytes) -> None:
        self._check_auth()
        standin = self.standin
        if name == "requests" and self.command == "GET":
            self._send_json(200, standin.requests)
        elif name == "requests" and self.command == "DELETE":
            standin.clear_requests()
            self._send_json(200, {"cleared": True})
        elif name == "stats" and self.command == "GET":
            self._send_json(200, standin.stats())
        elif name == "config" and self.command in ("GET", "POST"):
            if self.command == "POST":
                try:
                    changes = json.loads(raw)
                    if not isinstance(changes, dict):
                        raise ValueError("The body must be a JSON object of config fields.")
                    standin.config.update(changes)
                except (ValueError, TypeError) as error:
                    raise ApiError(400, str(error), code="invalid_config") from None
            self._send_json(200, standin.config.public())
        else:
            raise ApiError(404, f"Unknown control URL: {self.command} {self.path}.")


def _prompt_fault(prompt: str) -> str | None:
    for name in FAULT_TOKEN.findall(prompt):
        if name in PROMPT_FAULTS:
            return name
    return None


def _mask(secret: str) -> str:
    return f"***{secret[-1:]}"


def _mask_authorization(value: str) -> str:
    scheme, _, token = value.partition(" ")
    return f"{scheme} {_mask(token.strip())}" if token else _mask(value)
