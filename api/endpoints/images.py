"""Images: your own and your team's library with the gallery's filters, one image, its file;
trash, restore, star, share and unshare."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from ninja import Path, Query, Router

from accounts.selectors import get_membership
from gallery import selectors, services
from gallery.files import image_original_response
from gallery.models import GeneratedImage
from gallery.selectors import GalleryPage
from gallery.values import Scope

from .common import caller, errors, image_filters, page_cursor
from .errors import ApiError
from .output import image_out
from .schemas import MAX_ID, ImageOut, ImagePage, ImageQuery, LibraryQuery, ShareIn, StarIn

router = Router(tags=["images"])
ID = Path(..., ge=1, le=MAX_ID)

FILE_RESPONSES = {
    200: {
        "description": "The image's original file.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in ("image/png", "image/jpeg", "image/webp")
        },
    },
    302: {"description": "Where to download it from, for a minute (S3 storage)."},
}


def _image(request: HttpRequest, user: User, pk: int) -> dict[str, Any]:
    """An image the user may see (their own, in the trash or not, or a teammate's shared one)
    as JSON; 404 for anyone else's."""
    try:
        image = selectors.get_visible_image(user, pk)
    except Http404:
        image = selectors.get_image_for_user(user, pk, trashed=True)
    owner = user.get_username() if image.user_id == user.pk else image.user.get_username()
    return image_out(
        request,
        image,
        prompt=image.generation.prompt,
        owner=owner,
        starred=selectors.is_favorite(user, image),
    )


def _page(request: HttpRequest, page: GalleryPage) -> dict[str, Any]:
    rows = selectors.images_in_order([image.pk for image in page.images])
    return {
        "items": [
            image_out(
                request,
                row,
                prompt=getattr(row, "prompt", ""),
                owner=row.user.get_username(),
                starred=row.pk in page.favorite_ids,
            )
            for row in rows
        ],  # fmt: skip
        "next_cursor": page.next_cursor,
        "corrected_query": page.corrected_query,
    }


@router.get(
    "/images",
    response={200: ImagePage, **errors()},
    url_name="images",
    summary="List and search your images",
)
def image_list(request: HttpRequest, query: Query[ImageQuery]) -> dict[str, Any]:
    """Your images not in the trash, with the gallery's search and filters."""
    user = caller(request)
    page = selectors.gallery_page(
        user, Scope.own(user), image_filters(query), page_cursor(query.cursor)
    )
    return _page(request, page)


@router.get(
    "/library",
    response={200: ImagePage, **errors(404)},
    url_name="library",
    summary="List and search a team's library",
)
def library_list(request: HttpRequest, query: Query[LibraryQuery]) -> dict[str, Any]:
    """What members shared with the team; 404 for a team you are not in."""
    user = caller(request)
    team = get_membership(user, query.team).team
    page = selectors.gallery_page(
        user, Scope.library(team.pk), image_filters(query), page_cursor(query.cursor)
    )
    return _page(request, page)


@router.get(
    "/images/{image_id}",
    response={200: ImageOut, **errors(404)},
    url_name="image",
    summary="Get an image",
)
def image_get(request: HttpRequest, image_id: int = ID) -> dict[str, Any]:
    return _image(request, caller(request), image_id)


@router.get(
    "/images/{image_id}/download",
    response={frozenset({200, 302}): None, **errors(404)},
    url_name="image-download",
    summary="Download an image's file",
    openapi_extra={"responses": FILE_RESPONSES},
)
def image_download(request: HttpRequest, image_id: int = ID) -> HttpResponseBase:
    image = selectors.get_visible_image(caller(request), image_id)
    return image_original_response(image, attachment=True)


@router.post(
    "/images/{image_id}/trash",
    response={200: ImageOut, **errors(404)},
    url_name="image-trash",
    summary="Move an image to the trash",
)
def image_trash(request: HttpRequest, image_id: int = ID) -> dict[str, Any]:
    user = caller(request)
    image = selectors.get_image_for_user(user, image_id)
    services.images_trash(user=user, image_ids=[image.pk])
    return _image(request, user, image_id)


@router.post(
    "/images/{image_id}/restore",
    response={200: ImageOut, **errors(404)},
    url_name="image-restore",
    summary="Take an image out of the trash",
)
def image_restore(request: HttpRequest, image_id: int = ID) -> dict[str, Any]:
    user = caller(request)
    image = selectors.get_image_for_user(user, image_id, trashed=True)
    services.images_restore(user=user, image_ids=[image.pk])
    return _image(request, user, image_id)


@router.post(
    "/images/{image_id}/star",
    response={200: ImageOut, **errors(400, 404)},
    url_name="image-star",
    summary="Star or unstar an image",
)
def image_star(request: HttpRequest, payload: StarIn, image_id: int = ID) -> dict[str, Any]:
    """{"starred": true} stars it, {"starred": false} takes the star away."""
    user = caller(request)
    image: GeneratedImage = selectors.get_visible_image(user, image_id)
    services.favorites_set(user=user, image_ids=[image.pk], favorite=payload.starred)
    return _image(request, user, image_id)


@router.post(
    "/images/{image_id}/share",
    response={200: ImageOut, **errors(400, 404, 409)},
    url_name="image-share",
    summary="Share an image with one of your teams",
)
def image_share(request: HttpRequest, payload: ShareIn, image_id: int = ID) -> dict[str, Any]:
    """It appears in the team's library; 409 for an image a moderator hid."""
    user = caller(request)
    image = selectors.get_image_for_user(user, image_id)
    membership = selectors.get_share_target(user, payload.team)
    if not services.images_share(membership=membership, image_ids=[image.pk]):
        raise ApiError(409, "image_hidden", "A moderator hid this image: it cannot be shared.")
    return _image(request, user, image_id)


@router.post(
    "/images/{image_id}/unshare",
    response={200: ImageOut, **errors(404)},
    url_name="image-unshare",
    summary="Stop sharing an image",
)
def image_unshare(request: HttpRequest, image_id: int = ID) -> dict[str, Any]:
    user = caller(request)
    image = selectors.get_image_for_user(user, image_id)
    services.images_unshare(user=user, image_ids=[image.pk])
    return _image(request, user, image_id)
