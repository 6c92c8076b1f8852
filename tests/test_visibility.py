"""The visibility rules as QuerySet methods, and the access helpers built on them: who sees
which image, generation, export and saved search, in which state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from gallery import models, selectors
from gallery.models import GeneratedImage, Generation
from gallery.values import Scope
from tests.factories import (
    GeneratedImageFactory,
    GenerationFactory,
    SavedSearchFactory,
    UserFactory,
)
from tests.team_world import TeamWorld, build_world, share

pytestmark = [pytest.mark.gallery, pytest.mark.django_db]


@pytest.fixture
def world() -> TeamWorld:
    return build_world()


def ids(images) -> set[int]:  # type: ignore[no-untyped-def]
    return set(images.values_list("pk", flat=True))


def trashed_shared(world: TeamWorld) -> GeneratedImage:
    image = share(GeneratedImageFactory(generation__user=world.owner), world.crew)
    GeneratedImage.objects.filter(pk=image.pk).update(deleted_at=timezone.now())
    return image


def test_alive_trashed_and_owned_by_split_a_users_images(world: TeamWorld) -> None:
    gone = trashed_shared(world)
    mine = {world.shared.pk, world.private.pk, gone.pk}
    assert ids(GeneratedImage.objects.owned_by(world.owner)) == mine
    assert ids(GeneratedImage.objects.owned_by(world.owner.pk)) == mine
    assert ids(GeneratedImage.objects.owned_by(world.owner).alive()) == mine - {gone.pk}
    assert ids(GeneratedImage.objects.owned_by(world.owner).trashed()) == {gone.pk}
    assert not GeneratedImage.objects.owned_by(world.teammate).exists()


def test_trashed_before_pages_the_trash_newest_first_without_gaps(world: TeamWorld) -> None:
    moment = timezone.now()
    first = GeneratedImageFactory(generation__user=world.owner)
    second = GeneratedImageFactory(generation__user=world.owner)
    earlier = GeneratedImageFactory(generation__user=world.owner)
    GeneratedImage.objects.filter(pk__in=[first.pk, second.pk]).update(deleted_at=moment)
    GeneratedImage.objects.filter(pk=earlier.pk).update(deleted_at=moment - timedelta(hours=1))
    trash = GeneratedImage.objects.owned_by(world.owner)
    assert ids(trash.trashed_before(moment)) == {earlier.pk}
    # A tie on the moment is settled by the id: the lower one comes after.
    assert ids(trash.trashed_before(moment, second.pk)) == {first.pk, earlier.pk}
    assert ids(trash.trashed_before(moment + timedelta(seconds=1))) == {
        first.pk,
        second.pk,
        earlier.pk,
    }


def test_visible_to_is_own_and_shared_with_a_team_one_is_in_now(world: TeamWorld) -> None:
    gone = trashed_shared(world)
    assert ids(GeneratedImage.objects.visible_to(world.owner)) == {
        world.shared.pk,
        world.private.pk,
    }
    assert ids(GeneratedImage.objects.visible_to(world.teammate)) == {world.shared.pk}
    assert not GeneratedImage.objects.visible_to(world.outsider).exists()
    assert gone.pk not in ids(GeneratedImage.objects.visible_to(world.teammate))
    world.teammate_membership.delete()
    assert not GeneratedImage.objects.visible_to(world.teammate).exists()


def test_in_library_and_in_scope_list_what_a_page_of_that_scope_lists(world: TeamWorld) -> None:
    trashed_shared(world)
    assert ids(GeneratedImage.objects.in_library(world.crew)) == {world.shared.pk}
    assert ids(GeneratedImage.objects.in_library(world.crew.pk)) == {world.shared.pk}
    assert not GeneratedImage.objects.in_library(world.rivals).exists()
    assert ids(GeneratedImage.objects.in_scope(Scope.library(world.crew.pk))) == {world.shared.pk}
    assert ids(GeneratedImage.objects.in_scope(Scope.own(world.owner))) == {
        world.shared.pk,
        world.private.pk,
    }
    assert ids(GeneratedImage.objects.shared()) == ids(
        GeneratedImage.objects.filter(shared_team__isnull=False)
    )


def test_the_partial_indexes_are_written_with_the_querysets_own_conditions() -> None:
    conditions = {index.name: index.condition for index in GeneratedImage._meta.indexes}
    assert conditions["image_user_created"] == models.ALIVE
    assert conditions["image_user_search"] == models.ALIVE
    assert conditions["image_user_trash"] == models.TRASHED
    assert conditions["image_library_shown"] == models.IN_LIBRARY
    assert conditions["image_library_shown_search"] == models.IN_LIBRARY
    generation_conditions = {index.name: index.condition for index in Generation._meta.indexes}
    assert generation_conditions["generation_pending"] == models.PENDING
    assert generation_conditions["generation_user_unfinished"] == models.UNFINISHED


def test_generation_querysets_of_pending_stuck_and_recent_failures() -> None:
    user, other = UserFactory(), UserFactory()
    now = timezone.now()
    queued = GenerationFactory(user=user, status=Generation.Status.QUEUED, lease_until=now)
    running = GenerationFactory(
        user=user, status=Generation.Status.RUNNING, lease_until=now + timedelta(minutes=5)
    )
    failed = GenerationFactory(user=user, status=Generation.Status.FAILED)
    old_failure = GenerationFactory(user=user, status=Generation.Status.REFUSED)
    Generation.objects.filter(pk=old_failure.pk).update(created_at=now - timedelta(days=2))
    done = GenerationFactory(user=user)
    theirs = GenerationFactory(user=other, status=Generation.Status.QUEUED, lease_until=now)

    mine = {queued.pk, running.pk, failed.pk, old_failure.pk, done.pk}
    assert ids(Generation.objects.of(user)) == mine
    assert ids(Generation.objects.of(user).pending()) == {queued.pk, running.pk}
    later = now + timedelta(seconds=1)
    assert ids(Generation.objects.stuck(later)) == {queued.pk, theirs.pk}
    since = now - timedelta(days=1)
    assert ids(Generation.objects.of(user).unfinished_or_failed_since(since)) == {
        queued.pk,
        running.pk,
        failed.pk,
    }


def test_access_helpers_give_the_owner_their_objects_and_others_a_404(world: TeamWorld) -> None:
    generation = world.private.generation
    assert selectors.get_generation_for_user(world.owner, generation.pk) == generation
    assert selectors.get_image_for_user(world.owner, world.private.pk) == world.private
    saved = SavedSearchFactory(user=world.owner)
    assert selectors.get_saved_search_for_user(world.owner, saved.pk) == saved
    for stranger in (world.teammate, world.outsider):
        with pytest.raises(Http404):
            selectors.get_generation_for_user(stranger, generation.pk)
        with pytest.raises(Http404):
            selectors.get_image_for_user(stranger, world.shared.pk)
        with pytest.raises(Http404):
            selectors.get_saved_search_for_user(stranger, saved.pk)


def test_a_trashed_image_is_reached_only_as_trash_and_only_by_its_owner(world: TeamWorld) -> None:
    gone = trashed_shared(world)
    assert selectors.get_image_for_user(world.owner, gone.pk, trashed=True) == gone
    with pytest.raises(Http404):
        selectors.get_image_for_user(world.owner, gone.pk)
    with pytest.raises(Http404):
        selectors.get_image_for_user(world.owner, world.private.pk, trashed=True)
    for viewer in (world.owner, world.teammate):
        with pytest.raises(Http404):
            selectors.get_visible_image(viewer, gone.pk)
    assert selectors.owned_image_ids(world.owner, [gone.pk, world.private.pk]) == [world.private.pk]
    assert selectors.owned_image_ids(world.owner, [gone.pk, world.private.pk], trashed=True) == [
        gone.pk
    ]
    assert sorted(
        selectors.owned_image_ids(world.owner, [gone.pk, world.private.pk], trashed=None)
    ) == sorted([gone.pk, world.private.pk])


def test_teammates_see_and_remix_shared_images_outsiders_get_nothing(world: TeamWorld) -> None:
    for viewer in (world.owner, world.teammate):
        assert selectors.get_visible_image(viewer, world.shared.pk) == world.shared
        assert selectors.get_library_image(viewer, world.shared.pk) == world.shared
        assert selectors.remix_source(viewer, world.shared.pk) == world.shared
    assert selectors.remix_source(world.teammate, world.private.pk) is None
    assert selectors.remix_source(world.outsider, world.shared.pk) is None
    for pk in (world.shared.pk, world.private.pk):
        with pytest.raises(Http404):
            selectors.get_visible_image(world.outsider, pk)
        with pytest.raises(Http404):
            selectors.get_library_image(world.outsider, pk)
    with pytest.raises(Http404):
        selectors.get_library_image(world.teammate, world.private.pk)


def test_a_share_target_is_a_team_one_is_in(world: TeamWorld) -> None:
    assert selectors.get_share_target(world.owner, "crew") == world.owner_membership
    with pytest.raises(Http404):
        selectors.get_share_target(world.owner, "rivals")
    with pytest.raises(Http404):
        selectors.get_share_target(world.outsider, "crew")


def test_an_export_is_its_owners_alone(world: TeamWorld) -> None:
    from gallery import services

    export = services.export_start(user=world.owner, image_ids=[world.private.pk])
    assert selectors.get_export_for_user(world.owner, export.pk) == export
    for stranger in (world.teammate, world.outsider):
        with pytest.raises(Http404):
            selectors.get_export_for_user(stranger, export.pk)
    # An export holds only its owner's images that are still alive.
    assert selectors.export_image_ids(export) == [world.private.pk]
    GeneratedImage.objects.filter(pk=world.private.pk).update(deleted_at=timezone.now())
    assert selectors.export_image_ids(export) == []


def test_an_anonymous_visitor_has_no_id_to_look_anything_up_by(world: TeamWorld) -> None:
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(Http404):
        selectors.get_visible_image(AnonymousUser(), world.shared.pk)
    with pytest.raises(Http404):
        selectors.get_generation_for_user(AnonymousUser(), world.shared.generation_id)
