import pytest
from django.urls import reverse

from tests.factories import GeneratedImageFactory, GenerationFactory, UserFactory

pytestmark = [pytest.mark.foundation, pytest.mark.django_db]


@pytest.fixture
def owner():  # type: ignore[no-untyped-def]
    return UserFactory(username="owner")


@pytest.fixture
def image(owner):  # type: ignore[no-untyped-def]
    generation = GenerationFactory(user=owner, prompt="a copper kettle on a stove")
    return GeneratedImageFactory(
        generation=generation, revised_prompt="a shiny copper kettle steaming on a gas stove"
    )


def urls_for(image) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        reverse("gallery:image", args=[image.pk]),
        reverse("gallery:image-file", args=[image.pk]),
        reverse("gallery:image-thumbnail", args=[image.pk]),
        reverse("gallery:generation", args=[image.generation_id]),
    ]


def test_every_gallery_page_requires_login(client, image) -> None:
    for url in [reverse("gallery:index"), *urls_for(image)]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_owner_sees_each_page(client, owner, image) -> None:
    client.force_login(owner)
    for url in urls_for(image):
        assert client.get(url).status_code == 200, url


def test_another_user_gets_404_for_each_page(client, image) -> None:
    client.force_login(UserFactory(username="outsider"))
    for url in urls_for(image):
        assert client.get(url).status_code == 404, url
    delete = client.post(reverse("gallery:image-delete", args=[image.pk]))
    assert delete.status_code == 404
    image.refresh_from_db()


def test_search_finds_words_of_the_prompt_and_of_the_revised_prompt(client, owner, image) -> None:
    other = GeneratedImageFactory(
        generation=GenerationFactory(user=owner, prompt="a violin in the rain"),
        revised_prompt="a violin under heavy rain",
    )
    client.force_login(owner)
    by_prompt = client.get(reverse("gallery:index"), {"q": "kettle"}).context["page"]
    assert [i.pk for i in by_prompt.images] == [image.pk]
    by_revised = client.get(reverse("gallery:index"), {"q": "steaming"}).context["page"]
    assert [i.pk for i in by_revised.images] == [image.pk]
    stemmed = client.get(reverse("gallery:index"), {"q": "violins"}).context["page"]
    assert [i.pk for i in stemmed.images] == [other.pk]


@pytest.mark.parametrize("query", ['"unclosed', "a & b | !c", "'); drop table x; --", "<>:*"])
def test_hostile_queries_never_fail(client, owner, image, query: str) -> None:
    client.force_login(owner)
    assert client.get(reverse("gallery:index"), {"q": query}).status_code == 200


def test_search_never_shows_another_users_images(client, owner, image) -> None:
    client.force_login(UserFactory(username="outsider"))
    page = client.get(reverse("gallery:index"), {"q": "kettle"}).context["page"]
    assert page.images == []


def test_gallery_query_count_does_not_grow_with_images(
    client, owner, django_assert_max_num_queries
) -> None:
    for number in range(30):
        GeneratedImageFactory(generation=GenerationFactory(user=owner, prompt=f"tower {number}"))
    client.force_login(owner)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("gallery:index"))
    assert len(response.context["page"].images) == 30


def test_owner_can_delete_an_image(client, owner, image) -> None:
    client.force_login(owner)
    response = client.post(reverse("gallery:image-delete", args=[image.pk]))
    assert response.status_code == 302
    assert client.get(reverse("gallery:image", args=[image.pk])).status_code == 404


def test_download_is_an_attachment_with_a_useful_name(client, owner, image) -> None:
    client.force_login(owner)
    response = client.get(reverse("gallery:image-file", args=[image.pk]), {"download": "1"})
    assert "attachment" in response["Content-Disposition"]
    assert f"mka1-{image.generation_id}-1.png" in response["Content-Disposition"]
