"""Seed realistic gallery data fast, for the gallery benchmark.

1,000,000 images in all: 100,000 for the user "big", 100 for "small", the rest spread over
other users. Prompts come from a vocabulary with common, medium and rare words; thumbnails
are shared from a few hundred real ones made by the pipeline's own thumbnail code from the
stand-in's 1024x1024 images. Rows are made inside PostgreSQL in batches; nothing is done when
the data is already there.

Run with `python -m bench.seed` (bench/gallery.py calls `seed()` itself). The models are
imported inside the functions, so that `main()` can set Django up first.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from gallery import storage
from gallery.images import make_thumbnail
from mka1_standin.pictures import make_picture

Write = Callable[[str], object]

COMMON = [
    "portrait",
    "landscape",
    "light",
    "city",
    "night",
    "forest",
    "mountain",
    "river",
    "ocean",
    "sky",
    "sunset",
    "street",
    "painting",
    "photo",
    "cat",
    "dog",
    "woman",
    "man",
    "garden",
    "house",
    "window",
    "flower",
    "tree",
]
MEDIUM = [
    "lighthouse",
    "harbour",
    "cathedral",
    "desert",
    "glacier",
    "canyon",
    "meadow",
    "orchard",
    "bakery",
    "library",
    "market",
    "station",
    "bridge",
    "castle",
    "village",
    "lantern",
    "violin",
    "kettle",
    "bicycle",
    "umbrella",
    "telescope",
    "compass",
    "balloon",
    "carousel",
    "greenhouse",
    "waterfall",
    "volcano",
    "lagoon",
    "island",
    "monastery",
    "windmill",
    "tram",
    "subway",
    "rooftop",
    "alley",
    "courtyard",
    "fountain",
    "statue",
    "tower",
    "ruins",
    "temple",
    "pagoda",
    "airship",
    "robot",
    "astronaut",
    "dragon",
    "phoenix",
    "unicorn",
    "mermaid",
    "wizard",
    "knight",
    "samurai",
    "pirate",
    "detective",
    "dancer",
    "chef",
    "gardener",
    "fisherman",
    "blacksmith",
    "painter",
    "musician",
    "sailor",
    "pilot",
    "nurse",
    "farmer",
    "scholar",
]
STYLE_WORDS = [
    "watercolor",
    "oil",
    "charcoal",
    "pastel",
    "neon",
    "cinematic",
    "minimalist",
    "baroque",
    "surreal",
    "vintage",
    "isometric",
    "pixel",
    "sketch",
    "ink",
    "gouache",
    "noir",
    "dreamy",
    "moody",
    "vibrant",
    "golden",
    "misty",
    "stormy",
    "snowy",
]
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ren",
    "su",
    "ta",
    "vel",
    "zor",
    "qui",
    "nax",
    "bru",
    "phe",
    "dal",
    "om",
    "tri",
    "yus",
    "gar",
    "fen",
    "wix",
    "lum",
]
MODELS = ["meetkai:z-image-turbo", "meetkai:flux-2-klein"]
SIZES = ["256x256", "512x512", "1024x1024", "1792x1024", "1024x1792"]
QUALITIES = ["standard", "hd"]
STYLES = ["vivid", "natural"]
THUMBNAILS = 300
BATCH = 50_000
SUFFIXES = [
    ", rendered in a vivid, dramatic style with soft light",
    ", in a calm natural style with fine detail",
    ", as a detailed illustration in warm evening colours",
    ", photographed with shallow depth of field",
    ", with dramatic shadows and rich texture",
]


def rare_words(count: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))))
    return sorted(words)


def seed(
    *,
    total: int = 1_000_000,
    big: int = 100_000,
    small: int = 100,
    per_other_user: int = 1000,
    thumbnails: int = THUMBNAILS,
    stdout: Write | None = print,
) -> None:
    """Seed `total` images (users big, small and others) and the teams' libraries, each only
    when it is missing. `stdout` takes each progress line; None keeps quiet."""
    from django.contrib.auth.models import User

    from gallery.models import GeneratedImage

    write: Write = stdout or (lambda line: None)
    if GeneratedImage.objects.count() >= total and User.objects.filter(username="big").exists():
        write("Gallery seed data is already there.")
    else:
        seed_images(total, big, small, per_other_user, thumbnails, write)
    seed_library(shared=2 * big, small=small, write=write)


def seed_library(*, shared: int, small: int, write: Write) -> None:
    """A team with `shared` images in its library (big's and others'), and one with 100."""
    from django.contrib.auth.models import User

    from accounts.models import Membership, Team
    from gallery.models import GeneratedImage

    if Team.objects.filter(slug="big-team").exists():
        write("Library seed data is already there.")
        return
    big_team = Team.objects.create(name="Big team", slug="big-team")
    small_team = Team.objects.create(name="Small team", slug="small-team")
    members = list(User.objects.filter(username__startswith="seed").order_by("username")[:100])
    big_user, small_user = User.objects.get(username="big"), User.objects.get(username="small")
    Membership.objects.bulk_create(
        [Membership(team=big_team, user=user) for user in [big_user, *members]]
        + [Membership(team=small_team, user=small_user)]
    )
    owners = [big_user.pk, *(user.pk for user in members)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {GeneratedImage._meta.db_table}
            SET shared_team_id = %s, shared_at = created_at
            WHERE id IN (
                SELECT id FROM {GeneratedImage._meta.db_table}
                WHERE user_id = ANY(%s) ORDER BY user_id = %s DESC, id LIMIT %s)
            """,
            [big_team.pk, owners, big_user.pk, shared],
        )
        cursor.execute(
            f"UPDATE {GeneratedImage._meta.db_table} SET shared_team_id = %s, "
            "shared_at = created_at WHERE user_id = %s",
            [small_team.pk, small_user.pk],
        )
        cursor.execute(f"VACUUM (ANALYZE) {GeneratedImage._meta.db_table}")
    write(f"Shared {shared} images with {big_team} and {small} with {small_team}.")


def seed_images(
    total: int, big: int, small: int, per_other_user: int, thumbnails: int, write: Write
) -> None:
    from django.contrib.auth.models import User

    from gallery.models import GeneratedImage, Generation, SearchTerm

    started = time.monotonic()
    rng = random.Random(20261125)
    vocabulary = COMMON + MEDIUM + STYLE_WORDS
    rare = rare_words(3000, rng)
    files = make_files(rng, thumbnails)
    users = make_users(total, big, small, per_other_user)
    write(f"Seeding {total} images for {len(users)} users…")
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.42)")
        drop_image_indexes()
        offset = 0
        for user_id, count in users:
            done = 0
            while done < count:
                chunk = min(BATCH, count - done)
                insert(cursor, user_id, chunk, offset, vocabulary, rare, files)
                done += chunk
                offset += chunk
            write(f"  user {user_id}: {count} images")
        write("Building indexes and word lists…")
        add_image_indexes()
        cursor.execute(
            f"""
            INSERT INTO {SearchTerm._meta.db_table} (user_id, word)
            SELECT DISTINCT image.user_id, lower(word)
            FROM {GeneratedImage._meta.db_table} AS image
            JOIN {Generation._meta.db_table} AS generation
              ON generation.id = image.generation_id,
            LATERAL regexp_split_to_table(generation.prompt, '[^[:alnum:]]+') AS word
            WHERE length(word) >= 3
            ON CONFLICT DO NOTHING
            """
        )
        cursor.execute(f"VACUUM (ANALYZE) {GeneratedImage._meta.db_table}")
        cursor.execute(f"VACUUM (ANALYZE) {Generation._meta.db_table}")
        cursor.execute(f"VACUUM (ANALYZE) {SearchTerm._meta.db_table}")
        cursor.execute(f"ANALYZE {User._meta.db_table}")
    write(f"Seeded in {time.monotonic() - started:.0f} s.")


def make_files(rng: random.Random, count: int) -> list[tuple[str, str, int, int]]:
    """A few hundred real originals and thumbnails, shared by the seeded rows."""
    files = []
    for number in range(count):
        original_name = f"seed/{number}-original"
        thumb_name = f"seed/{number}-thumb.webp"
        if storage.default_storage.exists(thumb_name):
            with storage.default_storage.open(thumb_name, "rb") as handle:
                from PIL import Image

                width, height = Image.open(handle).size
        else:
            prompt = " ".join(rng.sample(COMMON + MEDIUM, 4))
            original = make_picture(prompt, number, (1024, 1024))
            thumb = make_thumbnail(original)
            storage.save_bytes(original_name, original)
            storage.save_bytes(thumb_name, thumb.content)
            width, height = thumb.width, thumb.height
        files.append((original_name, thumb_name, width, height))
    return files


def make_users(total: int, big: int, small: int, per_other: int) -> list[tuple[int, int]]:
    from django.contrib.auth.models import User

    rest = total - big - small
    others = max(1, rest // per_other)
    names = ["big", "small"] + [f"seed{number:04d}" for number in range(others)]
    existing = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(username=name, password=make_password(None))
            for name in names
            if name not in existing
        ]
    )
    ids = dict(User.objects.filter(username__in=names).values_list("username", "id"))
    counts = [big, small] + [
        rest // others + (1 if n < rest % others else 0) for n in range(others)
    ]
    return [(ids[name], count) for name, count in zip(names, counts, strict=True)]


def drop_image_indexes() -> None:
    from gallery.models import GeneratedImage

    with connection.schema_editor(atomic=False) as editor:
        for index in GeneratedImage._meta.indexes:
            editor.execute(f'DROP INDEX IF EXISTS "{index.name}"')


def add_image_indexes() -> None:
    from gallery.models import GeneratedImage

    with connection.schema_editor(atomic=False) as editor:
        for index in GeneratedImage._meta.indexes:
            editor.add_index(GeneratedImage, index)


@transaction.atomic
def insert(
    cursor: Any,
    user_id: int,
    count: int,
    offset: int,
    vocabulary: list[str],
    rare: list[str],
    files: list[tuple[str, str, int, int]],
) -> None:
    """One batch made inside PostgreSQL: generations, then one image each."""
    from gallery.models import SEARCH_CONFIG, GeneratedImage, Generation
    from gallery.search import search_vector_sql

    generation_table = Generation._meta.db_table
    image_table = GeneratedImage._meta.db_table
    cursor.execute(
        f"""
        WITH numbered AS (
            SELECT g AS number,
                   now() - make_interval(secs => (%(offset)s + %(count)s - g) * 30.0) AS made,
                   array_to_string(ARRAY(
                       SELECT CASE WHEN random() < 0.8
                           THEN (%(vocabulary)s::text[])[
                               1 + floor(power(random(), 1.6) * %(words)s)::int]
                           ELSE (%(rare)s::text[])[1 + floor(random() * %(rares)s)::int]
                       END
                       FROM generate_series(1, 5 + (g %% 6))
                   ), ' ') AS prompt
            FROM generate_series(1, %(count)s) AS g
        ),
        generations AS (
            INSERT INTO {generation_table} (
                user_id, prompt, model, n, size, quality, style, response_format,
                idempotency_key, status, error_kind, error_message, attempts, claims,
                upstream_status, upstream_request_id, created_at, started_at,
                responded_at, finished_at, api_ms, charged
            )
            SELECT %(user)s, prompt,
                   (%(models)s::text[])[1 + (number %% 2)], 1,
                   (%(sizes)s::text[])[1 + (number * 7 %% 5)],
                   (%(qualities)s::text[])[1 + (number / 3 %% 2)],
                   (%(styles)s::text[])[1 + (number / 5 %% 2)], 'url',
                   gen_random_uuid(), 'succeeded', '', '', 1, 1, 200,
                   'seed-' || number, made, made, made + interval '2 seconds',
                   made + interval '3 seconds', 2000, 1
            FROM numbered
            RETURNING id, prompt, model, size, quality, style, created_at
        )
        INSERT INTO {image_table} (
            generation_id, user_id, model, size, quality, style, index, revised_prompt,
            file, thumbnail, content_type, width, height, byte_size, thumb_width,
            thumb_height, search_vector, created_at
        )
        SELECT id, %(user)s, model, size, quality, style, 0,
               prompt || (%(suffixes)s::text[])[1 + id %% 5],
               (%(originals)s::text[])[1 + id %% %(files)s],
               (%(thumbs)s::text[])[1 + id %% %(files)s],
               'image/png', 1024, 1024, 60000, %(thumb_width)s, %(thumb_height)s,
               {search_vector_sql("prompt", "prompt || (%(suffixes)s::text[])[1 + id %% 5]")},
               created_at
        FROM generations
        """,
        {
            "offset": offset,
            "count": count,
            "vocabulary": vocabulary,
            "words": len(vocabulary),
            "rare": rare,
            "rares": len(rare),
            "suffixes": SUFFIXES,
            "search_config": SEARCH_CONFIG,
            "user": user_id,
            "models": MODELS,
            "sizes": SIZES,
            "qualities": QUALITIES,
            "styles": STYLES,
            "originals": [name for name, _, _, _ in files],
            "thumbs": [name for _, name, _, _ in files],
            "files": len(files),
            "thumb_width": files[0][2],
            "thumb_height": files[0][3],
        },
    )


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mka1web.settings")
    import django

    django.setup()
    parser = argparse.ArgumentParser(
        prog="python -m bench.seed",
        description="Seed 1,000,000 images (users big, small and others) for the gallery "
        "benchmark.",
    )
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--per-other-user", type=int, default=1000)
    parser.add_argument("--thumbnails", type=int, default=THUMBNAILS)
    options = parser.parse_args(argv)
    seed(
        total=options.total,
        big=options.big,
        small=options.small,
        per_other_user=options.per_other_user,
        thumbnails=options.thumbnails,
    )


if __name__ == "__main__":
    main()
