"""Reads of API tokens: the one lookup every API request makes, and a user's list."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.shortcuts import get_object_or_404

from gallery.values import user_id_of

from .models import ApiToken
from .tokens import digest_of, looks_like_token


def token_for(token: str) -> ApiToken | None:
    """The token row with its user and their profile (suspension), in one query by digest;
    None for anything that is not a token of ours. Revoked and expired ones are returned too,
    so the answer can say which."""
    if not looks_like_token(token):
        return None
    tokens = ApiToken.objects.select_related("user__profile")
    try:
        return tokens.get(digest=digest_of(token))
    except ApiToken.DoesNotExist:
        return None


def tokens_of(user: AbstractBaseUser | AnonymousUser) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user_id=user_id_of(user)).order_by("-created_at", "-pk"))


def get_token_for_user(user: AbstractBaseUser | AnonymousUser, pk: int) -> ApiToken:
    """The user's own token, or 404."""
    return get_object_or_404(ApiToken.objects.filter(user_id=user_id_of(user)), pk=pk)
