"""Gallery benchmark: search and page times at 1,000,000 images, page weight, export memory.

Run with `make bench-gallery`. Seeds its own database (mka1_gallery_bench) once: 100,000
images for "big", 100 for "small", the rest for other users. Times are the server's own: each
request goes through Django's full middleware stack in this process, with no cache of results
or pages. Each phase also times a bare logged-in page (bench/floor.py, mounted only by the
bench's URLconf): session, user, one indexed query of 48 images, a minimal template. Targets are
ratios of medians: to the bare page (first pages <= 2x, searches and other pages <= 2.5x) and
big against small; times are printed for the record, since machines differ. Big's, small's and
the bare page's requests take turns, so that the machine's drifts fall on all alike.
"""

from __future__ import annotations

import os
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import seed  # noqa: E402
from bench.common import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    PROJECT_DIR,
    Database,
    Figure,
    WorkerProcess,
    percentile,
    process_tree_kb,
)

REQUESTS = 200
BARE_URL = "/bench/bare/"
# Targets on medians, as multiples of the bare page's median in the same turns.
FIRST_PAGE_TO_BARE = 2.0
SEARCH_TO_BARE = 2.5
NEXT_CURSOR = re.compile(r'cursor=([A-Za-z0-9_-]+)" rel="next"')
THUMBNAIL = re.compile(r"/images/(\d+)/thumbnail\.webp")
DATABASE = Database.beside(
    os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL), "mka1_gallery_bench"
)
MEDIA_ROOT = PROJECT_DIR / "var" / "bench-gallery-media"
QUEUE = f"mka1-bench-gallery-{uuid.uuid4().hex[:6]}"
EXPORT_QUEUE = f"{QUEUE}-exports"


def configure_django() -> None:
    DATABASE.create_if_missing()
    os.environ["DATABASE_URL"] = DATABASE.url()
    os.environ["MEDIA_ROOT"] = str(MEDIA_ROOT)
    os.environ["CELERY_QUEUE"] = QUEUE
    os.environ["EXPORT_QUEUE"] = EXPORT_QUEUE
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    # The portal's settings with the bench's URLconf: its URLs and the bare page.
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed.seed()


def timed_turns(runs: dict[str, tuple[Any, list[str]]]) -> dict[str, list[float]]:
    """Milliseconds of each request of each run (a client and the URLs it cycles through), the
    runs taking turns in alternating order, so that the machine's drifts fall on all alike."""
    times: dict[str, list[float]] = {who: [] for who in runs}
    order = list(runs)
    for number in range(REQUESTS):
        for who in order if number % 2 else reversed(order):
            client, urls = runs[who]
            url = urls[number % len(urls)]
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code} to {who}")
            times[who].append(elapsed)
    return times


def query_count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries)


def words(kind: str, count: int) -> list[str]:
    from django.contrib.auth.models import User

    from gallery.models import SearchTerm

    if kind == "common":
        return seed.COMMON[:count]
    if kind == "medium":
        return seed.MEDIUM[:count]
    # Rare: invented words that both users' prompts hold.
    big, small = (User.objects.get(username=name) for name in ("big", "small"))
    small_words = set(SearchTerm.objects.filter(user=small).values_list("word", flat=True))
    rare = [
        word
        for word in SearchTerm.objects.filter(user=big, word__in=small_words)
        .exclude(word__in=seed.COMMON + seed.MEDIUM + seed.STYLE_WORDS)
        .values_list("word", flat=True)[:count]
    ]
    return rare or seed.MEDIUM[-count:]


def interleave(*lists: list[str]) -> list[str]:
    mixed: list[str] = []
    for group in zip(*lists, strict=False):
        mixed.extend(group)
    return mixed


def export_peak_mb(user, count: int) -> float:  # type: ignore[no-untyped-def]
    """Peak RSS of a fresh worker process while it builds an export of `count` images."""
    from gallery import services
    from gallery.models import Export, GeneratedImage

    ids = list(
        GeneratedImage.objects.filter(user=user)
        .order_by("-created_at")
        .values_list("pk", flat=True)[:count]
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_DIR),
        "DATABASE_URL": DATABASE.url(),
        "CELERY_QUEUE": QUEUE,
        "MEDIA_ROOT": str(MEDIA_ROOT),
    }
    log = PROJECT_DIR / "var" / f"bench-export-worker-{count}.log"
    worker = WorkerProcess(env=env, queue=f"{QUEUE},{EXPORT_QUEUE}", log_path=log, concurrency=2)
    worker.start()
    try:
        export = services.export_start(user=user, image_ids=ids)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            export.refresh_from_db()
            if export.status in (Export.Status.READY, Export.Status.FAILED):
                break
            time.sleep(0.2)
        if export.status != Export.Status.READY:
            raise RuntimeError(f"export of {count} ended {export.status}: {export.error_message}")
        peak_kb = process_tree_kb(worker.pid, "VmHWM")
    finally:
        worker.stop()
    return peak_kb / 1024


def main() -> int:
    print("MKA1 Studio gallery benchmark (make bench-gallery)")
    configure_django()
    from django.contrib.auth.models import User
    from django.core.files.storage import default_storage
    from django.test import Client

    from gallery.models import GeneratedImage

    big, small = User.objects.get(username="big"), User.objects.get(username="small")
    print(
        f"data: {GeneratedImage.objects.count()} images; big has "
        f"{GeneratedImage.objects.filter(user=big).count()}, small has "
        f"{GeneratedImage.objects.filter(user=small).count()}"
    )
    clients = {}
    for user in (big, small):
        client = Client()
        client.force_login(user)
        clients[user.username] = client

    one_word = interleave(words("common", 8), words("medium", 8), words("rare", 8))
    three_words = [
        f"{first} {second} {third}"
        for first, second, third in zip(
            words("common", 8),
            words("common", 9)[1:] + words("common", 1),
            words("medium", 8),
            strict=False,
        )
    ]
    cases = {
        "first_page": ["/"],
        "search_one_word": [f"/?q={word}&sort=newest" for word in one_word],
        "search_three_words": [
            f"/?q={phrase.replace(' ', '+')}&sort=newest" for phrase in three_words
        ],
        "search_filtered": [
            f"/?q={word}&sort=newest&style=natural&size=1024x1024" for word in one_word
        ],
    }
    bare = (clients["small"], [BARE_URL])
    figures: list[Figure] = []
    medians: dict[tuple[str, str], float] = {}
    floors: dict[str, float] = {}

    def to_floor(name: str, times: list[float], floor: float, limit: float) -> None:
        """A page's median against the bare page's in the same turns; its times for the record."""
        figures.append(Figure.record(f"{name}_p50", percentile(times, 0.5), "ms"))
        figures.append(Figure.record(f"{name}_p95", percentile(times, 0.95), "ms"))
        figures.append(Figure(f"{name}_to_bare", percentile(times, 0.5) / floor, "x", "<=",
                              limit, 2))  # fmt: skip

    for name, urls in cases.items():
        for client in clients.values():
            client.get(urls[0])  # warm up imports and templates
        turns = timed_turns({"big": (clients["big"], urls), "small": (clients["small"], urls),
                             "bare": bare})  # fmt: skip
        floors[name] = percentile(turns["bare"], 0.5)
        limit = FIRST_PAGE_TO_BARE if name == "first_page" else SEARCH_TO_BARE
        for who in ("big", "small"):
            medians[(name, who)] = percentile(turns[who], 0.5)
            to_floor(f"{name}_{who}", turns[who], floors[name], limit)
            figures.append(
                Figure(f"{name}_{who}_queries", query_count(clients[who], urls[0]), "queries",
                       "<=", 8, 0)
            )  # fmt: skip
        ratio = medians[(name, "big")] / medians[(name, "small")]
        figures.append(Figure(f"{name}_ratio_big_small", ratio, "x", "<=", 1.5, 2))

    # A team's library with 200,000 shared images against a team with 100.
    library_cases = {
        "library_first_page": ["/library/"],
        "library_search_one_word": [f"/library/?q={word}&sort=newest" for word in one_word],
    }
    for name, urls in library_cases.items():
        for client in clients.values():
            client.get(urls[0])
        turns = timed_turns({"big": (clients["big"], urls), "small": (clients["small"], urls),
                             "bare": bare})  # fmt: skip
        floors[name] = percentile(turns["bare"], 0.5)
        for who in ("big", "small"):
            to_floor(f"{name}_{who}_team", turns[who], floors[name], SEARCH_TO_BARE)
            figures.append(
                Figure(f"{name}_{who}_team_queries", query_count(clients[who], urls[0]),
                       "queries", "<=", 8, 0)
            )  # fmt: skip
        p95s = {who: percentile(turns[who], 0.95) for who in ("big", "small")}
        figures.append(
            Figure(f"{name}_p95_ratio_big_small", p95s["big"] / p95s["small"], "x", "<=", 1.5, 2)
        )

    # Page 50 of the big user, reached by following the cursor from page 1.
    client = clients["big"]
    url = "/"
    for _ in range(49):
        found = NEXT_CURSOR.search(client.get(url).content.decode())
        assert found, "a full page links to the next one"
        url = f"/?cursor={found.group(1)}"
    turns = timed_turns({"page50": (client, [url]), "page1": (client, ["/"]), "bare": bare})
    floors["page50"] = percentile(turns["bare"], 0.5)
    to_floor("page50_big", turns["page50"], floors["page50"], SEARCH_TO_BARE)
    figures.append(
        Figure("page50_ratio_to_page1",
               percentile(turns["page50"], 0.5) / percentile(turns["page1"], 0.5), "x", "<=",
               1.5, 2)
    )  # fmt: skip
    figures.append(Figure("page50_big_queries", query_count(client, url), "queries", "<=", 8, 0))

    relevance_urls = [f"/?q={word}&sort=relevance" for word in one_word]
    turns = timed_turns({"relevance": (client, relevance_urls), "bare": bare})
    floors["relevance"] = percentile(turns["bare"], 0.5)
    to_floor("relevance_big", turns["relevance"], floors["relevance"], SEARCH_TO_BARE)
    figures.append(
        Figure("relevance_big_queries", query_count(client, f"/?q={one_word[0]}&sort=relevance"),
               "queries", "<=", 8, 0)
    )  # fmt: skip
    all_floors = sorted(floors.values())
    print(
        "bare page (the floor) medians in ms, per phase: "
        + ", ".join(f"{name} {value:.1f}" for name, value in floors.items())
    )
    figures.append(Figure.record("bare_page_p50_median_of_phases", percentile(all_floors, 0.5),
                                 "ms"))  # fmt: skip
    figures.append(Figure("bare_page_queries", query_count(clients["small"], BARE_URL),
                          "queries", "<=", 4, 0))  # fmt: skip

    # What a browser downloads for one full page of 48 thumbnails.
    response = client.get("/")
    html = response.content.decode()
    weight = len(response.content)
    from django.contrib.staticfiles import finders

    for static in ("css/app.css", "js/gallery.js", "favicon.svg"):
        path = finders.find(static)
        weight += os.path.getsize(str(path)) if path else 0
    import django_htmx

    htmx = Path(django_htmx.__file__).parent / "static" / "django_htmx"
    weight += sum(path.stat().st_size for path in htmx.rglob("htmx.min.js"))
    thumbnail_ids = [int(pk) for pk in THUMBNAIL.findall(html)]
    assert len(thumbnail_ids) == 48, len(thumbnail_ids)
    thumbnails = GeneratedImage.objects.filter(pk__in=thumbnail_ids).values_list(
        "thumbnail", flat=True
    )
    weight += sum(default_storage.size(name) for name in thumbnails)
    figures.append(Figure("page_weight_48_thumbnails", weight / 1024, "KiB", "<=", 1024))

    small_export = export_peak_mb(big, 500)
    large_export = export_peak_mb(big, 5000)
    figures.append(Figure("export_500_worker_peak_rss", small_export, "MB", "<=", 400))
    figures.append(Figure("export_5000_worker_peak_rss", large_export, "MB", "<=", 400))
    figures.append(
        Figure("export_rss_ratio_5000_500", large_export / small_export, "x", "<=", 1.2, 2)
    )

    for figure in figures:
        print(figure.line())
    return 0 if all(figure.ok for figure in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
