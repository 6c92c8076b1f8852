"""Quotas under concurrent submits: a real gunicorn server, many parallel clients, one user.

The user's row is locked while the quota is checked, so however the requests interleave
exactly the limit's worth is accepted and every other submit gets the over-quota message.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from django.db.models import Sum
from django.test import Client

from accounts.models import Membership, Team
from gallery.models import Generation
from mka1_standin.server import StandinServer
from mka1web.celery import app
from tests.conftest import PROJECT_DIR, worker_env
from tests.factories import UserFactory

pytestmark = [pytest.mark.teams, pytest.mark.django_db(transaction=True)]

LIMIT = 10
SUBMITS = 200
CLIENTS = 50
OVER_QUOTA = f"This would go over your daily limit: {LIMIT} of {LIMIT} images are used"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Portal:
    url: str
    queue: str
    log: Path


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{url}/accounts/login/", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start:\n" + log.read_text()[-4000:])


@pytest.fixture
def portal(
    transactional_db: None, standin: StandinServer, media_root: Path, tmp_path: Path
) -> Iterator[Portal]:
    """gunicorn on the test database, sending its tasks to a queue nobody consumes."""
    queue = f"mka1-unconsumed-{uuid.uuid4().hex[:8]}"
    env = worker_env(
        standin,
        media_root,
        CELERY_QUEUE=queue,
        ALLOWED_HOSTS="127.0.0.1",
        QUOTA_USER_DAILY_IMAGES=str(LIMIT),
        STATIC_ROOT=str(tmp_path / "static"),
        DEBUG="false",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=PROJECT_DIR, env=env, check=True,
    )  # fmt: skip
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "mka1web.wsgi", "-b", f"127.0.0.1:{port}",
             "--workers", "4", "--threads", "8", "--error-logfile", "-"],
            cwd=PROJECT_DIR, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, url, log)
        yield Portal(url, queue, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        with app.connection_for_write() as connection:
            connection.default_channel.queue_purge(queue)


def form(csrf: str) -> dict[str, str]:
    return {
        "csrfmiddlewaretoken": csrf,
        "prompt": "a crowd of identical umbrellas",
        "model": "meetkai:z-image-turbo",
        "n": "1",
        "size": "256x256",
        "quality": "standard",
        "style": "vivid",
        "response_format": "url",
        "idempotency_key": str(uuid.uuid4()),
    }


def test_parallel_submits_of_one_user_stop_exactly_at_the_daily_limit(portal: Portal) -> None:
    user = UserFactory()
    Membership.objects.create(team=Team.objects.create(name="Crew", slug="crew"), user=user)
    login = Client()
    login.force_login(user)
    session = login.cookies["sessionid"].value
    with httpx.Client(base_url=portal.url, cookies={"sessionid": session}) as probe:
        assert probe.get("/").status_code == 200
        csrf = probe.cookies["csrftoken"]

    cookies = {"sessionid": session, "csrftoken": csrf}
    clients = [
        httpx.Client(base_url=portal.url, cookies=cookies, timeout=60) for _ in range(CLIENTS)
    ]
    start = threading.Barrier(CLIENTS)
    answers: list[tuple[int, str, str]] = []
    lock = threading.Lock()

    def submit_several(index: int) -> None:
        client = clients[index]
        start.wait()
        for _ in range(SUBMITS // CLIENTS):
            try:
                response = client.post("/generate/", data=form(csrf))
                answer = (response.status_code, response.headers.get("location", ""), response.text)
            except httpx.HTTPError as error:
                answer = (0, "", repr(error))
            with lock:
                answers.append(answer)

    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(submit_several, range(CLIENTS)))
    finally:
        for client in clients:
            client.close()

    statuses = Counter(status for status, _location, _text in answers)
    problems = [text[:300] for status, _location, text in answers if status not in (302, 400)]
    assert not problems, f"{statuses}: {problems[:3]}\n{portal.log.read_text()[-3000:]}"
    assert statuses == {302: LIMIT, 400: SUBMITS - LIMIT}
    assert all(location == "/" for status, location, _ in answers if status == 302)
    assert all(OVER_QUOTA in text for status, _, text in answers if status == 400)

    generations = Generation.objects.filter(user=user)
    assert generations.count() == LIMIT
    assert generations.aggregate(total=Sum("charged"))["total"] == LIMIT
    assert set(generations.values_list("status", flat=True)) == {Generation.Status.QUEUED}
