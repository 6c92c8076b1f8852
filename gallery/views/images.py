"""One image: its page, its files, its star; and bulk actions on a selection."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_team, get_membership

from .. import selectors, services, storage
from ..forms import BulkForm, GalleryFilterForm
from .common import current_user, gallery_query, local_url


def file_response(
    name: str, content_type: str, filename: str, *, attachment: bool
) -> HttpResponseBase:
    """Access was checked by the caller; stream the file or hand out a short-lived URL."""
    url = storage.temporary_url(
        name, content_type=content_type, filename=filename, attachment=attachment
    )
    if url:
        response: HttpResponseBase = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    response = FileResponse(
        default_storage.open(name, "rb"),
        content_type=content_type,
        as_attachment=attachment,
        filename=filename,
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def image_detail(request: HttpRequest, pk: int) -> HttpResponse:
    image = selectors.get_image_for_user(request.user, pk)
    filters = GalleryFilterForm(request.GET).filters()
    newer, older = selectors.image_neighbors(request.user, image, filters)
    query = gallery_query(request)
    context = {
        "image": image,
        "siblings": image.generation.images.filter(deleted_at__isnull=True).exclude(pk=image.pk),
        "is_favorite": image.favorites.filter(user=current_user(request)).exists(),
        "newer": newer,
        "older": older,
        "query": query,
        "back": f"/?{query}#image-{image.pk}" if query else f"/#image-{image.pk}",
    }
    return render(request, "gallery/image_detail.html", context)


@login_required
@require_GET
def image_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    image = selectors.get_visible_image(request.user, pk)
    filename = f"mka1-{image.generation_id}-{image.index + 1}.{image.extension}"
    download = request.GET.get("download") == "1"
    return file_response(image.file.name or "", image.content_type, filename, attachment=download)


@login_required
@require_GET
def image_thumbnail(request: HttpRequest, pk: int) -> HttpResponseBase:
    # The trash page shows its own images' thumbnails too; the library shows teammates' ones.
    if request.GET.get("trashed") == "1":
        image = selectors.get_image_for_user(request.user, pk, trashed=True)
    else:
        image = selectors.get_visible_image(request.user, pk)
    filename = f"mka1-{image.generation_id}-{image.index + 1}-thumb.webp"
    return file_response(image.thumbnail.name or "", "image/webp", filename, attachment=False)


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
        export = services.export_start(user=user, image_ids=owned)
        return redirect("gallery:export", pk=export.pk)
    team = current_team(request)
    if action == "share" and team is None:
        messages.error(request, "You are not in a team to share with.")
        return redirect(back)
    count = {
        "share": lambda: services.images_share(user=user, image_ids=owned, team=team),  # type: ignore[arg-type]
        "unshare": lambda: services.images_unshare(user=user, image_ids=owned),
        "trash": lambda: services.images_trash(user=user, image_ids=owned),
        "restore": lambda: services.images_restore(user=user, image_ids=owned),
        "favorite": lambda: services.favorites_set(user=user, image_ids=owned, favorite=True),
        "unfavorite": lambda: services.favorites_set(user=user, image_ids=owned, favorite=False),
        "delete_forever": lambda: services.trash_empty(user=user, image_ids=owned),
    }[action]()
    messages.success(request, BULK_DONE[action].format(count=count, team=team))
    return redirect(back)


@login_required
@require_POST
def image_share(request: HttpRequest, pk: int) -> HttpResponse:
    image = selectors.get_image_for_user(request.user, pk)
    membership = get_membership(request.user, request.POST.get("team", ""))
    services.images_share(user=current_user(request), image_ids=[image.pk], team=membership.team)
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
