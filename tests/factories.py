from __future__ import annotations

import factory
from django.contrib.auth.models import User
from django.utils.text import slugify

from accounts.models import Membership, Team
from gallery.models import Favorite, GeneratedImage, Generation, SavedSearch

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password(PASSWORD)


class GenerationFactory(factory.django.DjangoModelFactory[Generation]):
    class Meta:
        model = Generation

    user = factory.SubFactory(UserFactory)
    prompt = factory.Sequence(lambda n: f"a lighthouse on a cliff number {n}")
    model = "meetkai:z-image-turbo"
    n = 1
    size = "256x256"
    status = Generation.Status.SUCCEEDED


class GeneratedImageFactory(factory.django.DjangoModelFactory[GeneratedImage]):
    """An image row with real files in storage, as the pipeline would have left it."""

    class Meta:
        model = GeneratedImage
        skip_postgeneration_save = True

    generation = factory.SubFactory(GenerationFactory)
    user = factory.LazyAttribute(lambda image: image.generation.user)
    model = factory.LazyAttribute(lambda image: image.generation.model)
    size = factory.LazyAttribute(lambda image: image.generation.size)
    quality = factory.LazyAttribute(lambda image: image.generation.quality)
    style = factory.LazyAttribute(lambda image: image.generation.style)
    index = 0
    revised_prompt = factory.LazyAttribute(lambda image: f"{image.generation.prompt}, at dusk")
    content_type = "image/png"
    width = 64
    height = 64
    byte_size = 0
    file = factory.django.ImageField(width=64, height=64, format="PNG", color="teal")
    thumbnail = factory.django.ImageField(width=64, height=64, format="WEBP", color="teal")
    thumb_width = 64
    thumb_height = 64

    @factory.post_generation
    def index_for_search(image, create, extracted, **kwargs):  # type: ignore[no-untyped-def]  # noqa: N805
        if create:
            index_generation(image.generation)


def index_generation(generation: Generation) -> None:
    """What the worker writes with an image: the search vectors of the generation's images, and
    their words among the user's (for the misspelling fallback)."""
    from django.db import connection

    from gallery.models import SEARCH_CONFIG, SearchTerm
    from gallery.search import search_vector_sql
    from gallery.values import WORD

    vector = search_vector_sql("%(prompt)s", "revised_prompt")
    table = GeneratedImage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET search_vector = {vector} WHERE generation_id = %(id)s",  # noqa: S608
            {"search_config": SEARCH_CONFIG, "prompt": generation.prompt, "id": generation.pk},
        )
    texts = [generation.prompt, *generation.images.values_list("revised_prompt", flat=True)]
    words = {word.lower()[:100] for text in texts for word in WORD.findall(text)}
    SearchTerm.objects.bulk_create(
        [SearchTerm(user_id=generation.user_id, word=word) for word in sorted(words)],
        ignore_conflicts=True,
    )


class FavoriteFactory(factory.django.DjangoModelFactory[Favorite]):
    class Meta:
        model = Favorite

    image = factory.SubFactory(GeneratedImageFactory)
    user = factory.LazyAttribute(lambda favorite: favorite.image.user)


class SavedSearchFactory(factory.django.DjangoModelFactory[SavedSearch]):
    class Meta:
        model = SavedSearch

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"search {n}")
    query_string = "q=lighthouse"


class TeamFactory(factory.django.DjangoModelFactory[Team]):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.LazyAttribute(lambda team: slugify(team.name))


class MembershipFactory(factory.django.DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.MEMBER
