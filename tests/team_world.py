"""Two teams, their people and their images, as the teams tests share them."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.utils import timezone

from accounts.models import Membership, Team
from gallery.models import GeneratedImage
from tests.factories import GeneratedImageFactory, GenerationFactory, MembershipFactory, TeamFactory


@dataclass
class TeamWorld:
    """Crew: alice (admin, owns the images) and bob (member). Rivals: eve (admin)."""

    crew: Team
    rivals: Team
    owner: User
    teammate: User
    outsider: User
    owner_membership: Membership
    teammate_membership: Membership
    outsider_membership: Membership
    shared: GeneratedImage
    private: GeneratedImage

    def user(self, who: str) -> User:
        return {"owner": self.owner, "teammate": self.teammate, "outsider": self.outsider}[who]


def share(image: GeneratedImage, team: Team) -> GeneratedImage:
    GeneratedImage.objects.filter(pk=image.pk).update(shared_team=team, shared_at=timezone.now())
    image.refresh_from_db()
    return image


def build_world() -> TeamWorld:
    crew = TeamFactory(name="Crew", slug="crew")
    rivals = TeamFactory(name="Rivals", slug="rivals")
    owner_membership = MembershipFactory(
        team=crew, user__username="alice", role=Membership.Role.ADMIN
    )
    teammate_membership = MembershipFactory(team=crew, user__username="bob")
    outsider_membership = MembershipFactory(
        team=rivals, user__username="eve", role=Membership.Role.ADMIN
    )
    owner = owner_membership.user
    shared = GeneratedImageFactory(
        generation=GenerationFactory(user=owner, prompt="a lighthouse in the fog", team=crew)
    )
    private = GeneratedImageFactory(
        generation=GenerationFactory(user=owner, prompt="a private diary page", team=crew)
    )
    return TeamWorld(
        crew=crew,
        rivals=rivals,
        owner=owner,
        teammate=teammate_membership.user,
        outsider=outsider_membership.user,
        owner_membership=owner_membership,
        teammate_membership=teammate_membership,
        outsider_membership=outsider_membership,
        shared=share(shared, crew),
        private=private,
    )
