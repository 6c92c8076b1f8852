"""One image: its page, its files, its star; and bulk actions on a selection."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.http import local_url
from accounts.selectors import current_membership, current_user

from .. import selectors, services
from ..files import image_original_response, image_thumbnail_response
from ..forms import BulkForm, GalleryFilterForm
from .helpers import gallery_query


@login_required
@require_GET
def image_detail(request: HttpRequest, pk: int) -> HttpResponse:
    filters = GalleryFilterForm(request.GET).filters()
    detail = selectors.image_detail(request.user, pk, filters)
    query = gallery_query(request)
    context = {
        "image": detail.image,
        "siblings": detail.siblings,
        "is_favorite": detail.is_favorite,
        "newer": detail.newer,
        "older": detail.older,
        "query": query,
        "back": f"/?{query}#image-{pk}" if query else f"/#image-{pk}",
    }
    return render(request, "gallery/image_detail.html", context)


@login_required
@require_GET
def image_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    image = selectors.get_visible_image(request.user, pk)
    return image_original_response(image, attachment=request.GET.get("download") == "1")


@login_required
@require_GET
def image_thumbnail(request: HttpRequest, pk: int) -> HttpResponseBase:
    # The trash page shows its own images' thumbnails too; the library shows teammates' ones.
    if request.GET.get("trashed") == "1":
        image = selectors.get_image_for_user(request.user, pk, trashed=True)
    else:
        image = selectors.get_visible_image(request.user, pk)
    return image_thumbnail_response(image)


@login_required
@require_POST
def image_delete(request: HttpRequest, pk: int) -> HttpResponse:
    image = selectors.get_image_for_user(request.user, pk)
    services.images_trash(user=current_user(request), image_ids=[image.pk])
    messages.success(request, "The image was moved to the trash.")
    return redirect("gallery:index")


@login_required
@require_POST
def image_favorite(request: HttpRequest, pk: int) -> HttpResponse:
    image = selectors.get_visible_image(request.user, pk)
    favorite = request.POST.get("favorite") == "1"
    services.favorites_set(user=current_user(request), image_ids=[image.pk], favorite=favorite)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "gallery/_star.html", {"image": image, "is_favorite": favorite})
    return redirect(local_url(request.POST.get("next")))


BULK_DONE = {
    "trash": "Moved {count} image(s) to the trash.",
    "restore": "Restored {count} image(s).",
    "favorite": "Starred {count} image(s).",
    "unfavorite": "Unstarred {count} image(s).",
    "delete_forever": "Deleted {count} image(s) for good.",
    "share": "Shared {count} image(s) with {team}.",
    "unshare": "Stopped sharing {count} image(s).",
}


@login_required
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = local_url(request.POST.get("next"))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    user = current_user(request)
    action, requested = form.cleaned_data["action"], form.cleaned_data["ids"]
    if not requested:
        messages.error(request, "Select at least one image first.")
        return redirect(back)
    trashed = action in ("restore", "delete_forever")
    owned = selectors.owned_image_ids(user, requested, trashed=trashed)
    if len(owned) < len(requested):
        messages.warning(
            request, f"{len(requested) - len(owned)} of the selected images are not yours or are "
            "gone; they were left alone.",
        )  # fmt: skip
    if action == "download":
        if not owned:
            # An empty selection would mean "every image" to the export.
            messages.error(request, "None of the selected images can be downloaded.")
            return redirect(back)
        try:
            export = services.export_start(user=user, image_ids=owned)
        except services.ExportRefused as refused:
            messages.error(request, refused.message)
            return redirect(back)
        return redirect("gallery:export", pk=export.pk)
    membership = current_membership(request)
    if action == "share" and membership is None:
        messages.error(request, "You are not in a team to share with.")
        return redirect(back)
    count = {
        "share": lambda: services.images_share(membership=membership, image_ids=owned),  # type: ignore[arg-type]
        "unshare": lambda: services.images_unshare(user=user, image_ids=owned),
        "trash": lambda: services.images_trash(user=user, image_ids=owned),
        "restore": lambda: services.images_restore(user=user, image_ids=owned),
        "favorite": lambda: services.favorites_set(user=user, image_ids=owned, favorite=True),
        "unfavorite": lambda: services.favorites_set(user=user, image_ids=owned, favorite=False),
        "delete_forever": lambda: services.trash_empty(user=user, image_ids=owned),
    }[action]()
    team = membership.team if membership else None
    messages.success(request, BULK_DONE[action].format(count=count, team=team))
    if action == "share" and count < len(owned):
        messages.warning(
            request, f"{len(owned) - count} of them were hidden by a moderator and cannot be "
            "shared.",
        )  # fmt: skip
    return redirect(back)


@login_required
@require_POST
def image_share(request: HttpRequest, pk: int) -> HttpResponse:
    image = selectors.get_image_for_user(request.user, pk)
    membership = selectors.get_share_target(request.user, request.POST.get("team", ""))
    if not services.images_share(membership=membership, image_ids=[image.pk]):
        messages.error(request, "A moderator hid this image: it cannot be shared.")
        return redirect("gallery:image", pk=pk)
    messages.success(
        request, f"Shared with {membership.team.name}: its members see it in the library."
    )
    return redirect("gallery:image", pk=pk)


@login_required
@require_POST
def image_unshare(request: HttpRequest, pk: int) -> HttpResponse:
    image = selectors.get_image_for_user(request.user, pk)
    services.images_unshare(user=current_user(request), image_ids=[image.pk])
    messages.success(request, "The image is private again.")
    return redirect("gallery:image", pk=pk)
