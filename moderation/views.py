"""Moderation pages: the queue, a case, a user's record, refusals and the audit log for
moderators; reporting an image, one's reports, notices and appeals for every user."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_POST

from accounts.selectors import current_user, suspension_of
from audit.selectors import AuditFilters, audit_actions, audit_page, audit_rows_for_export
from gallery.files import file_response, image_original_response, image_thumbnail_response

from . import selectors, services
from .csvsafe import audit_csv_lines
from .decorators import moderator_required
from .forms import ActionForm, AppealForm, AuditFilterForm, ReportForm, UserActionForm
from .services import ModerationError

AUDIT_PAGE_SIZE = 50
CASE_ACTIONS = {
    "dismiss": services.case_dismiss,
    "hide": services.case_hide_image,
    "restore": services.case_restore_image,
    "strike": services.case_strike,
}
USER_ACTIONS = {"suspend": services.user_suspend, "unsuspend": services.user_restore}
DONE = {
    "dismiss": "Case {pk} was dismissed.",
    "hide": "The image of case {pk} is hidden.",
    "restore": "The image of case {pk} is shown again.",
    "strike": "{name} was given a strike (case {pk}).",
    "suspend": "{name} is suspended.",
    "unsuspend": "{name} is restored.",
}


def _sort(value: str | None) -> str:
    return value if value in selectors.SORTS else "oldest"


def _with_sort(url: str, sort: str) -> str:
    return f"{url}?{urlencode({'sort': sort})}"


# -- the queue and its cases --------------------------------------------------------------------


@moderator_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    sort = _sort(request.GET.get("sort"))
    token = request.GET.get("cursor", "")
    cursor = selectors.QueueCursor.decode(token) if token else None
    if token and cursor is None:
        messages.warning(request, "That page link is not valid any more; here is the first page.")
    page = selectors.queue_page(sort, cursor, settings.MODERATION_PAGE_SIZE)
    return render(request, "moderation/queue.html", {"page": page, "sort": sort})


def _render_case(
    request: HttpRequest, case: Any, form: ActionForm, sort: str, status: int = 200
) -> HttpResponse:
    previous, following = selectors.neighbours(case, sort)
    context = {"case": case, "form": form, "sort": sort, "previous": previous,
               "following": following}  # fmt: skip
    return render(request, "moderation/case.html", context, status=status)


@moderator_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.get_case(pk)
    form = ActionForm(initial={"version": case.version})
    return _render_case(request, case, form, _sort(request.GET.get("sort")))


def _act(moderator: Any, case: Any, action: str, reason: str, version: int) -> None:
    if action in USER_ACTIONS:
        if case.subject is None:
            raise ModerationError("The user is gone.")
        USER_ACTIONS[action](
            moderator=moderator, user=case.subject, reason=reason, case_id=case.pk, version=version
        )
    else:
        CASE_ACTIONS[action](moderator=moderator, case_id=case.pk, version=version, reason=reason)


@moderator_required
@require_POST
def case_act(request: HttpRequest, pk: int) -> HttpResponse:
    """One action on a case, refused if the case changed since the moderator loaded it; then
    the next case in the queue's order (or the queue, when the action was taken there)."""
    case = selectors.get_case(pk)
    sort = _sort(request.POST.get("sort"))
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _render_case(request, case, form, sort, status=400)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    try:
        _act(current_user(request), case, action, reason, form.cleaned_data["version"])
    except ModerationError as error:
        messages.error(request, str(error))
        return redirect(_with_sort(reverse("moderation:case", args=[pk]), sort))
    messages.success(request, DONE[action].format(pk=pk, name=case.subject_name))
    _, following = selectors.neighbours(case, sort)
    if following is None or request.POST.get("return_to") == "queue":
        return redirect(_with_sort(reverse("moderation:queue"), sort))
    return redirect(_with_sort(reverse("moderation:case", args=[following]), sort))


@moderator_required
@require_GET
def case_thumbnail(request: HttpRequest, pk: int) -> HttpResponseBase:
    case = selectors.get_case_with_thumbnail(pk)
    name = case.thumbnail.name or ""
    return file_response(name, "image/webp", f"case-{pk}-thumb.webp", attachment=False)


@moderator_required
@require_GET
def image_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    image = selectors.get_moderated_image(pk)
    return image_original_response(image, attachment=request.GET.get("download") == "1")


@moderator_required
@require_GET
def image_thumbnail(request: HttpRequest, pk: int) -> HttpResponseBase:
    image = selectors.get_moderated_image(pk)
    return image_thumbnail_response(image)


# -- users and refusals ---------------------------------------------------------------------------


def _render_user(
    request: HttpRequest, user: Any, form: UserActionForm, status: int = 200
) -> HttpResponse:
    context = {"record": selectors.user_record(user), "suspension": suspension_of(user),
               "form": form}  # fmt: skip
    return render(request, "moderation/user.html", context, status=status)


@moderator_required
@require_GET
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_user(request, selectors.get_user_for_moderation(pk), UserActionForm())


@moderator_required
@require_POST
def user_act(request: HttpRequest, pk: int) -> HttpResponse:
    user = selectors.get_user_for_moderation(pk)
    form = UserActionForm(request.POST)
    if not form.is_valid():
        return _render_user(request, user, form, status=400)
    action = form.cleaned_data["action"]
    try:
        USER_ACTIONS[action](
            moderator=current_user(request), user=user, reason=form.cleaned_data["reason"]
        )
    except ModerationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, DONE[action].format(name=user.get_username(), pk=None))
    return redirect("moderation:user", pk=pk)


@moderator_required
@require_GET
def refusals(request: HttpRequest) -> HttpResponse:
    return render(request, "moderation/refusals.html", {"rows": selectors.refusal_overview()})


# -- the audit log --------------------------------------------------------------------------------


def _audit_filters(form: AuditFilterForm) -> AuditFilters:
    """The valid filters of the form (an invalid one is shown with its error and ignored)."""
    form.is_valid()
    data = form.cleaned_data
    return AuditFilters(
        actor=data.get("actor") or "",
        action=data.get("action") or "",
        target_type=data.get("target_type") or "",
        target_id=data.get("target_id"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


def _encode_after(after: tuple[datetime, int]) -> str:
    return f"{after[0].isoformat()}_{after[1]}"


def _decode_after(token: str) -> tuple[datetime, int] | None:
    moment, _, pk = token.rpartition("_")
    try:
        when = parse_datetime(moment)
    except ValueError:
        return None
    return (when, int(pk)) if when is not None and pk.isdecimal() else None


@moderator_required
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    filters = _audit_filters(form)
    token = form.cleaned_data.get("after") or ""
    after = _decode_after(token) if token else None
    if token and after is None:
        messages.warning(request, "That page link is not valid; here is the first page.")
    page = audit_page(filters, after, AUDIT_PAGE_SIZE)
    pairs = [(key, value) for key, value in request.GET.items() if key != "after" and value]
    following = None
    if page.next_after is not None:
        following = urlencode([*pairs, ("after", _encode_after(page.next_after))])
    context = {"form": form, "actions": audit_actions(), "page": page,
               "query": urlencode(pairs), "following": following}  # fmt: skip
    return render(request, "moderation/audit.html", context)


@moderator_required
@require_GET
def audit_csv(request: HttpRequest) -> StreamingHttpResponse:
    filters = _audit_filters(AuditFilterForm(request.GET))
    lines = audit_csv_lines(audit_rows_for_export(filters))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="mka1-audit.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# -- every user: reports, notices, appeals ------------------------------------------------------


@login_required
@require_POST
def report(request: HttpRequest, pk: int) -> HttpResponse:
    image = selectors.reportable_image(request.user, pk)
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose why you report the image (a note has at most 1,000 "
                       "characters).")  # fmt: skip
    elif services.report_submit(reporter=current_user(request), image=image, **form.cleaned_data):
        messages.success(request, "Thanks, your report was received.")
    else:
        messages.info(request, "You have already reported this image.")
    return redirect("gallery:library-image", pk=pk)


@login_required
@require_GET
def my_reports(request: HttpRequest) -> HttpResponse:
    reports = selectors.reports_of(request.user)
    return render(request, "moderation/my_reports.html", {"reports": reports})


def _appeal_offers(notices: list[Any]) -> set[int]:
    """The notices that offer an appeal: the newest appealable one of each closed case that was
    not appealed yet."""
    offers: dict[int, int] = {}
    for notice in notices:
        case = notice.case
        if notice.appealable and case is not None and not case.is_open and not case.appealed_at:
            offers.setdefault(case.pk, notice.pk)
    return set(offers.values())


@login_required
@require_GET
def notices(request: HttpRequest) -> HttpResponse:
    items = selectors.notices_of(request.user)
    context = {"notices": items, "appeal_offers": _appeal_offers(items)}
    return render(request, "moderation/notices.html", context)


@login_required
@require_POST
def appeal(request: HttpRequest, case_pk: int) -> HttpResponse:
    form = AppealForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write your appeal (at most 2,000 characters).")
        return redirect("moderation:notices")
    try:
        services.case_appeal(
            user=current_user(request), case_id=case_pk, text=form.cleaned_data["text"]
        )
    except ModerationError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Your appeal was sent: a moderator will look at it again.")
    return redirect("moderation:notices")
