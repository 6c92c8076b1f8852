"""Moderation benchmark: the review queue's page with 10,000 open cases and with 10.

Run with `make bench-moderation`. Seeds its own database (mka1_moderation_bench) once: 400
users, 10,000 image cases with their images, 1 to 5 reports each, strikes and content-policy
refusals for the cases' creators, and a moderator in the group "Moderators". The small queue is
the same database with all but 10 of the cases dismissed in one UPDATE: as on a real site, the
closed cases and their reports stay in the tables, and only the queue's partial indexes shrink.
Times are the server's own: each request goes through Django's full middleware stack in this
process. The two queues take turns by rounds (big, small, small, big, ...), each change of
queue followed by VACUUM (ANALYZE), so that the machine's drifts fall on both alike. Times are
printed for the record (machines differ); the targets are the ratio of the medians and the
number of queries.
"""

from __future__ import annotations

import os
import platform
import random
import re
import signal
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    DEFAULT_DATABASE_URL,
    PROJECT_DIR,
    Database,
    Figure,
    machine_busy_share,
    percentile,
)

CASES = 10_000
SMALL_CASES = 10
CREATORS = 200
REPORTERS = 200
# Per sort and queue: ROUNDS rounds of ROUND_REQUESTS timed requests, after WARM_UP untimed ones.
ROUNDS = 10
ROUND_REQUESTS = 20
WARM_UP = 3
# After each round's pages, the selector alone, to tell the queries' share from the rest.
SELECTOR_CALLS = 5
# The queue's orders, written here rather than taken from the selector, so that the check of a
# page's rows does not share a mistake with the code it checks.
ORDERS = {"oldest": ("reopened_at", "id"), "reported": ("-report_count", "reopened_at", "id")}
# Every seeded prompt starts with its case's number, so a page's rows can be told apart.
MARKER = re.compile(r"\bqc(\d{5})\b")
REASONS = ["sexual", "violence", "harassment", "copyright", "spam", "other"]
NOTES = ["", "", "", "Not for a team library.", "This is someone else's artwork.", "Gore."]
THUMBNAIL = "moderation/bench-case-thumb.webp"
DATABASE = Database.beside(
    os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL), "mka1_moderation_bench"
)
MEDIA_ROOT = PROJECT_DIR / "var" / "bench-moderation-media"
QUEUE = f"mka1-bench-moderation-{uuid.uuid4().hex[:6]}"


def configure_django() -> None:
    if DATABASE.create_if_missing():
        print(f"created database {DATABASE.name}")
    os.environ["DATABASE_URL"] = DATABASE.url()
    os.environ["MEDIA_ROOT"] = str(MEDIA_ROOT)
    os.environ["CELERY_QUEUE"] = QUEUE
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mka1web.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    seed()


# -- the data -------------------------------------------------------------------------------


def seed() -> None:
    """Users, images, cases, reports, strikes and refusals, made once (in one transaction)."""
    from django.contrib.auth.models import User
    from django.db import connection, transaction

    from moderation.models import Case

    if Case.objects.count() >= CASES and User.objects.filter(username="moderator").exists():
        return
    started = time.monotonic()
    print(f"Seeding {CASES} cases…")
    with transaction.atomic():
        seed_rows(random.Random(20261201))
    with connection.cursor() as cursor:
        for table in (
            "auth_user", "gallery_generation", "gallery_generatedimage", "moderation_case",
            "moderation_report", "moderation_strike",
        ):  # fmt: skip
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    print(f"Seeded in {time.monotonic() - started:.0f} s.")


def seed_rows(rng: random.Random) -> None:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission, User
    from django.db import connection

    from bench.seed import COMMON, MEDIUM
    from gallery.models import GeneratedImage, Generation
    from moderation.models import Case, Report, Strike

    words = COMMON + MEDIUM
    password = make_password("bench")
    moderator = User.objects.create(username="moderator", password=password)
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(
        Permission.objects.get(codename="moderate", content_type__app_label="moderation")
    )
    moderator.groups.add(group)
    creators = User.objects.bulk_create(
        User(username=f"creator{number:03d}", password=password) for number in range(CREATORS)
    )
    reporters = User.objects.bulk_create(
        User(username=f"reporter{number:03d}", password=password) for number in range(REPORTERS)
    )

    prompts = [
        f"qc{number:05d} {' '.join(rng.choices(words, k=rng.randint(5, 10)))}"
        for number in range(1, CASES + 1)
    ]
    owners = [creators[number % CREATORS] for number in range(1, CASES + 1)]
    generations = Generation.objects.bulk_create(
        (
            Generation(
                user=owner, prompt=prompt, model="mka1-image-1", status="succeeded",
                charged=1, attempts=1, claims=1, upstream_status=200, api_ms=2000,
            )
            for owner, prompt in zip(owners, prompts, strict=True)
        ),
        batch_size=2000,
    )  # fmt: skip
    images = GeneratedImage.objects.bulk_create(
        (
            GeneratedImage(
                generation=generation, user=generation.user, model=generation.model,
                size=generation.size, quality=generation.quality, style=generation.style,
                index=0, revised_prompt=f"{generation.prompt}, in soft light",
                file="bench/moderation.png", thumbnail="bench/moderation-thumb.webp",
                content_type="image/png", width=1024, height=1024, byte_size=60000,
                thumb_width=256, thumb_height=256,
            )
            for generation in generations
        ),
        batch_size=2000,
    )  # fmt: skip
    # Few cases have many reports: 1 to 5, the lower counts the more common.
    counts = [1 + int(rng.random() ** 2 * 5) for _ in images]
    cases = Case.objects.bulk_create(
        (
            Case(
                kind="image", status="open", image=image, subject=image.user,
                subject_name=image.user.username, prompt=image.generation.prompt,
                revised_prompt=image.revised_prompt, thumbnail=THUMBNAIL, report_count=count,
            )
            for image, count in zip(images, counts, strict=True)
        ),
        batch_size=2000,
    )  # fmt: skip
    Report.objects.bulk_create(
        (
            Report(
                case=case, reporter=reporters[(number * 13 + turn * 37) % REPORTERS],
                image_id=image.pk, reason=REASONS[(number + turn) % len(REASONS)],
                note=rng.choice(NOTES),
            )
            for number, (case, image) in enumerate(zip(cases, images, strict=True))
            for turn in range(1, case.report_count + 1)
        ),
        batch_size=5000,
    )  # fmt: skip
    # A quarter of the creators have 1 to 3 strikes; five in six were refused 1 to 5 times.
    cases_of = {case.subject_id: case for case in cases}
    Strike.objects.bulk_create(
        Strike(user=user, case=cases_of[user.pk], reason="Violence in a team library.",
               moderator_id=moderator.pk)
        for number, user in enumerate(creators) if number % 4 == 0
        for _ in range(1 + number % 3)
    )  # fmt: skip
    Generation.objects.bulk_create(
        Generation(
            user=user, prompt=f"{' '.join(rng.choices(words, k=6))} gore", model="mka1-image-1",
            status="refused", error_kind="content_policy", attempts=1, claims=1,
            upstream_status=400, error_message="The request was refused by the content policy.",
        )
        for number, user in enumerate(creators)
        for _ in range(number % 6)
    )  # fmt: skip

    # The times the models fill in on insert, spread back in time: cases over four weeks (one
    # in ten reopened two days later), reports three hours apart, refusals and strikes over
    # six weeks.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE moderation_case AS c
            SET opened_at = o.at,
                reopened_at = LEAST(o.at + CASE WHEN o.n %% 10 = 0 THEN interval '2 days'
                                                ELSE interval '0' END, now())
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n,
                         now() - interval '1 hour'
                         - make_interval(mins => (%(cases)s - row_number() OVER (ORDER BY id))::int
                                                 * 4) AS at
                  FROM moderation_case) AS o
            WHERE c.id = o.id
            """,
            {"cases": CASES},
        )
        cursor.execute(
            """
            UPDATE gallery_generation AS g
            SET created_at = c.opened_at - interval '1 day',
                started_at = c.opened_at - interval '1 day',
                finished_at = c.opened_at - interval '1 day' + interval '3 seconds'
            FROM gallery_generatedimage AS i JOIN moderation_case AS c ON c.image_id = i.id
            WHERE i.generation_id = g.id
            """
        )
        cursor.execute(
            """
            UPDATE gallery_generatedimage AS i
            SET created_at = g.finished_at
            FROM gallery_generation AS g WHERE i.generation_id = g.id
            """
        )
        cursor.execute(
            """
            UPDATE moderation_report AS r
            SET created_at = LEAST(c.opened_at + (o.turn - 1) * interval '3 hours', now())
            FROM (SELECT id, row_number() OVER (PARTITION BY case_id ORDER BY id) AS turn
                  FROM moderation_report) AS o,
                 moderation_case AS c
            WHERE r.id = o.id AND c.id = r.case_id
            """
        )
        cursor.execute(
            """
            UPDATE gallery_generation
            SET created_at = now() - (id * 7919 % (42 * 24)) * interval '1 hour',
                finished_at = now() - (id * 7919 % (42 * 24)) * interval '1 hour'
            WHERE status = 'refused'
            """
        )
        cursor.execute(
            """
            UPDATE moderation_strike
            SET created_at = now() - (id * 7919 % (42 * 24)) * interval '1 hour'
            """
        )


def small_queue() -> list[int]:
    """The 10 cases left open in the small queue: spread over the whole queue."""
    from moderation.models import Case

    ids = list(Case.objects.order_by("id").values_list("id", flat=True))
    step = len(ids) // SMALL_CASES
    return ids[step // 2 :: step][:SMALL_CASES]


def change_queue(side: str, small_ids: list[int]) -> None:
    """Every case open (big), or all but the small queue's dismissed (small), in one UPDATE;
    then VACUUM (ANALYZE), so neither side scans the other's dead rows or plans with its
    statistics."""
    from django.db import connection
    from django.utils import timezone

    from moderation.models import Case

    if side == "big":
        Case.objects.exclude(status="open").update(status="open", closed_at=None)
    else:
        Case.objects.filter(status="open").exclude(pk__in=small_ids).update(
            status="dismissed", closed_at=timezone.now()
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) moderation_case")


def expected_rows(sort: str, size: int) -> set[str]:
    """The numbers of the cases the queue's first page must show."""
    from moderation.models import Case

    prompts = (
        Case.objects.filter(status="open")
        .order_by(*ORDERS[sort])
        .values_list("prompt", flat=True)[:size]
    )
    return {MARKER.match(prompt).group(1) for prompt in prompts}  # type: ignore[union-attr]


def check_rows(response, url: str, expected: set[str]) -> None:  # type: ignore[no-untyped-def]
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}")
    shown = set(MARKER.findall(response.content.decode()))
    if shown != expected:
        raise RuntimeError(
            f"{url} listed {len(shown)} cases, not the {len(expected)} expected "
            f"(missing {sorted(expected - shown)[:5]}, extra {sorted(shown - expected)[:5]})"
        )


# -- the measurement ------------------------------------------------------------------------


def query_count(client, url: str, expected: set[str]) -> int:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    check_rows(response, url, expected)
    return len(queries)


@dataclass
class Rounds:
    """Per queue: each page's milliseconds, each call of the selector alone (its queries and
    models, without the template or the middleware), and one page's query count."""

    page: dict[str, list[float]] = field(default_factory=lambda: {"big": [], "small": []})
    selector: dict[str, list[float]] = field(default_factory=lambda: {"big": [], "small": []})
    queries: dict[str, int] = field(default_factory=dict)


def timed_rounds(client, sort: str, small_ids: list[int]) -> Rounds:  # type: ignore[no-untyped-def]
    """The queues take turns by rounds, big, small, small, big, big, ..., so that a steady
    drift of the machine's speed weighs on both alike."""
    from django.conf import settings
    from django.urls import reverse

    from moderation import selectors

    url = f"{reverse('moderation:queue')}?sort={sort}"
    size = settings.MODERATION_PAGE_SIZE
    rounds = Rounds()
    current = "big"
    for number in range(2 * ROUNDS):
        side = ("big", "small")[(number + 1) // 2 % 2]
        if side != current:
            change_queue(side, small_ids)
            current = side
        expected = expected_rows(sort, size)
        for _ in range(WARM_UP):
            check_rows(client.get(url), url, expected)
        if side not in rounds.queries:
            rounds.queries[side] = query_count(client, url, expected)
        for _ in range(ROUND_REQUESTS):
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            check_rows(response, url, expected)
            rounds.page[side].append(elapsed)
        for _ in range(SELECTOR_CALLS):
            started = time.perf_counter()
            selectors.queue_page(sort, None, size)
            rounds.selector[side].append((time.perf_counter() - started) * 1000)
    return rounds


def header() -> None:
    from django.contrib.auth.models import User

    from gallery.models import Generation
    from moderation.models import Case, Report, Strike

    print("MKA1 Studio moderation benchmark (make bench-moderation)")
    print(
        f"date: {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; machine: {os.cpu_count()} CPUs, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )
    print(f"load: the CPUs were {machine_busy_share():.0%} busy in the 2 s before the run")
    refusals = Generation.objects.filter(status="refused", error_kind="content_policy")
    print(
        f"data: database {DATABASE.name}; {Case.objects.count()} image cases, "
        f"{Report.objects.count()} reports by {REPORTERS} reporters, {Strike.objects.count()} "
        f"strikes and {refusals.count()} content-policy refusals of {CREATORS} creators; "
        f"{User.objects.count()} users"
    )
    print(
        f"requests: /moderation/?sort=oldest and ?sort=reported, as a member of Moderators; per "
        f"sort {ROUNDS * ROUND_REQUESTS} to the queue of {CASES} open cases and as many to the "
        f"queue of {SMALL_CASES}, in rounds of {ROUND_REQUESTS} ({WARM_UP} untimed first), big "
        "small small big ...; between rounds the other cases are dismissed or reopened in one "
        "UPDATE, then VACUUM (ANALYZE)"
    )


def main() -> int:
    # A terminated bench still reopens the cases it dismissed (the finally block runs).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    configure_django()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client

    header()
    small_ids = small_queue()
    client = Client()
    client.force_login(User.objects.get(username="moderator"))
    change_queue("big", small_ids)  # a run stopped midway may have left the small queue
    figures: list[Figure] = []
    for sort in ORDERS:
        try:
            rounds = timed_rounds(client, sort, small_ids)
        finally:
            change_queue("big", small_ids)
        medians = {side: percentile(rounds.page[side], 0.5) for side in rounds.page}
        for side, times in rounds.page.items():
            # Printed for the record: machines differ, so times have no target.
            for name, share in (("p50", 0.5), ("p95", 0.95)):
                value = percentile(times, share)
                figures.append(Figure.record(f"queue_{sort}_{side}_{name}", value, "ms"))
        ratio = medians["big"] / medians["small"]
        figures.append(Figure(f"queue_{sort}_ratio_big_small", ratio, "x", "<=", 1.5, 2))
        queries = max(rounds.queries.values())
        figures.append(Figure(f"queue_{sort}_queries", queries, "queries", "<=", 8, 0))
        selector = {side: percentile(rounds.selector[side], 0.5) for side in rounds.selector}
        print(
            f"{sort}: {settings.MODERATION_PAGE_SIZE} rows a page for the big queue, "
            f"{SMALL_CASES} for the small; queries big {rounds.queries['big']}, small "
            f"{rounds.queries['small']}; medians of the selector alone (queries and models) "
            f"big {selector['big']:.1f} ms, small {selector['small']:.1f} ms; of the rest "
            f"(template, middleware) big {medians['big'] - selector['big']:.1f} ms, small "
            f"{medians['small'] - selector['small']:.1f} ms"
        )

    for figure in figures:
        print(figure.line())
    return 0 if all(figure.ok for figure in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
