"""A cap on each user's generations queued or running at once (GENERATION_MAX_PENDING).

Each generation counts once whatever its n: it is one task on one worker thread. One more is
refused with the form kept as typed, through every path that submits (the form, a remix, a
re-run), and submissions sent at once cannot pass the cap together.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.urls import reverse

from gallery.models import Generation
from tests.factories import GeneratedImageFactory, GenerationFactory, UserFactory
from tests.parallel import post_at_once, unconsumed_queue

pytestmark = [pytest.mark.security, pytest.mark.django_db]

REFUSED = "You have 2 generations queued or running, the most at once is 2."


def form(**changes: object) -> dict[str, Any]:
    data: dict[str, Any] = {
        "prompt": "a paper boat on a puddle",
        "model": "meetkai:z-image-turbo",
        "n": 1,
        "size": "256x256",
        "quality": "standard",
        "style": "vivid",
        "response_format": "b64_json",
        "idempotency_key": str(uuid.uuid4()),
    }
    data.update(changes)
    return data


@pytest.fixture
def owner(client, settings):  # type: ignore[no-untyped-def]
    settings.GENERATION_MAX_PENDING = 2
    user = UserFactory(username="owner")
    client.force_login(user)
    return user


def generate(client, **changes: object):  # type: ignore[no-untyped-def]
    return client.post(reverse("gallery:generate"), form(**changes))


def test_one_generation_past_the_cap_is_refused_and_the_form_kept(client, owner) -> None:  # type: ignore[no-untyped-def]
    # Ten images in one generation are one pending generation.
    assert generate(client, n=10).status_code == 302
    assert generate(client, n=10).status_code == 302

    typed = "a lighthouse the user typed with care"
    refused = generate(client, prompt=typed, n=3, size="512x512")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert 'role="alert"' in page and REFUSED in page
    assert typed in page
    assert '<option value="512x512" selected>' in page
    assert Generation.objects.filter(user=owner).count() == 2

    # A generation that ended frees its place; another user's count for them alone.
    ended = Generation.objects.filter(user=owner).earliest("pk")
    Generation.objects.filter(pk=ended.pk).update(status=Generation.Status.SUCCEEDED)
    assert generate(client, prompt=typed).status_code == 302
    client.force_login(UserFactory(username="other"))
    assert generate(client).status_code == 302


def test_a_resent_form_is_not_refused_as_one_more(client, owner) -> None:  # type: ignore[no-untyped-def]
    first = form()
    assert client.post(reverse("gallery:generate"), first).status_code == 302
    assert generate(client).status_code == 302
    # The same form again is the same generation, already counted.
    assert client.post(reverse("gallery:generate"), first).status_code == 302
    assert Generation.objects.filter(user=owner).count() == 2


def test_a_rerun_and_a_remix_past_the_cap_are_refused(client, owner) -> None:  # type: ignore[no-untyped-def]
    source = GenerationFactory(user=owner, prompt="a red bicycle")
    image = GeneratedImageFactory(generation=source)
    for _ in range(2):
        assert generate(client).status_code == 302

    rerun = client.post(reverse("gallery:generation-rerun", args=[source.pk]), follow=True)
    assert rerun.redirect_chain == [(reverse("gallery:generation", args=[source.pk]), 302)]
    assert REFUSED in rerun.content.decode()

    remix = generate(client, prompt="a red bicycle, in watercolour", remixed_from=image.pk)
    assert remix.status_code == 400
    assert REFUSED in remix.content.decode()
    assert "a red bicycle, in watercolour" in remix.content.decode()
    assert Generation.objects.filter(user=owner).pending().count() == 2


@pytest.mark.django_db(transaction=True)
def test_submissions_sent_at_once_stop_exactly_at_the_cap(settings) -> None:  # type: ignore[no-untyped-def]
    settings.GENERATION_MAX_PENDING = 3
    with unconsumed_queue("generations") as queue:
        settings.CELERY_TASK_DEFAULT_QUEUE = queue
        # A few rounds, each user's submissions at once: each a fresh chance to interleave.
        for attempt in range(4):
            user = UserFactory(username=f"hurried{attempt}")
            forms = [form(prompt=f"a kite {number}") for number in range(16)]
            answers = post_at_once(user, reverse("gallery:generate"), forms)
            statuses = sorted(answer.status_code for answer in answers)
            assert statuses == [302] * 3 + [400] * 13
            refused = [answer for answer in answers if answer.status_code == 400]
            assert all(
                "generations queued or running, the most at once is 3" in answer.content.decode()
                for answer in refused
            )
            assert Generation.objects.filter(user=user).pending().count() == 3
