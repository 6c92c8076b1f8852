"""The report form on a library image's page, and a case's action form (on the queue and on
the case's page)."""

from __future__ import annotations

from html import escape
from typing import Any

from django import template
from django.template import Context
from django.template.defaultfilters import pluralize
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from gallery.models import url_with_pk

from ..forms import ActionForm, ReportForm
from ..selectors import has_reported

register = template.Library()

# Actions on the image itself, offered only where a case has an image.
IMAGE_ACTIONS = {"hide", "restore"}
# The keys that choose each action (static/js/moderation.js reads them from the page).
ACTION_KEYS = {"dismiss": "d", "hide": "h", "restore": "r", "strike": "s", "suspend": "u"}


@register.inclusion_tag("moderation/_report_form.html", takes_context=True)
def report_form(context: Context, image: Any) -> dict[str, Any]:
    """The "Report this image" form for a viewer who is not the owner, or a note that they
    reported it already."""
    user = context["request"].user
    is_owner = image.user_id == user.pk
    return {
        "image": image,
        "show": user.is_authenticated and not is_owner,
        "reported": not is_owner and has_reported(user, image),
        "form": ReportForm(auto_id="id_report_%s"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("moderation/_action_form.html", takes_context=True)
def action_form(
    context: Context, case: Any, form: ActionForm | None = None, return_to: str = "case"
) -> dict[str, Any]:
    """The one form that acts on a case: the action (radio buttons), the reason, and the
    case's version when the page was made; a bound form brings back its values and errors."""
    posted = form.data if form is not None and form.is_bound else {}
    choices = [
        {"value": value, "label": label, "key": ACTION_KEYS.get(value, ""),
         "checked": value == posted.get("action")}
        for value, label in ActionForm.ACTIONS
        if case.image_id or value not in IMAGE_ACTIONS
    ]  # fmt: skip
    return {
        "case": case,
        "choices": choices,
        "errors": form.errors if form is not None and posted else {},
        "reason": posted.get("reason", ""),
        "version": posted.get("version", case.version),
        "sort": context.get("sort", "oldest"),
        "return_to": return_to,
        "csrf_token": context.get("csrf_token"),
    }


# The queue's cards are written here rather than with an include per card (and an inclusion
# tag per action form): with 25 cards the template engine's per-card cost was most of the page,
# so a queue of 10,000 cases took half again as long as a queue of 10.
CARD = (
    '<li class="case card" id="case-{pk}" data-case tabindex="-1">'
    '<h2><a href="{case_url}?sort={sort}">Case {pk}</a> <span class="muted">· {kind}</span>'
    "{appealed}</h2>"
    '<div class="case-row"><div class="case-body">{thumbnail}<div class="case-facts">'
    '<dl class="params"><dt>Creator</dt><dd>{creator} · {strikes} strike{strikes_s} · {refusals}'
    " refusal{refusals_s} in 30 days</dd><dt>{prompt_label}</dt>"
    '<dd class="prompt-full">{prompt}</dd>{revised}<dt>Waiting</dt><dd>{waiting}{appeal_note}'
    "</dd></dl>{reports}</div></div>{form}</div></li>"
)
THUMBNAIL = (
    '<img class="case-thumb" src="{url}" width="160" height="160" loading="lazy" '
    'alt="Case {pk}: the image as it was when reported">'
)
NO_THUMBNAIL = '<div class="case-thumb placeholder" role="img" aria-label="No picture"></div>'
REPORT = '<li><span class="badge">{reason}</span> by {reporter}, {when}{note}</li>'
FORM = (
    '<form method="post" action="{act_url}" class="action-form" data-action-form>'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<input type="hidden" name="version" value="{version}">'
    '<input type="hidden" name="sort" value="{sort}">'
    '<input type="hidden" name="return_to" value="queue">'
    '<fieldset class="choices"><legend>Action on case {pk}</legend>{choices}</fieldset>'
    '<label for="reason-{pk}">Reason</label>'
    '<textarea name="reason" id="reason-{pk}" rows="2" maxlength="1000" required></textarea>'
    '<p class="muted small">Recorded in the audit log; the creator is told the reason of a hide,'
    " a strike or a suspension.</p>"
    '<button type="submit" class="primary">Apply</button></form>'
)
CHOICE = (
    '<label class="choice"><input type="radio" name="action" value="{value}" required> {label}'
    "{key}</label>"
)


def _choices(with_image: bool) -> str:
    return "".join(
        CHOICE.format(
            value=value,
            label=escape(label),
            key=f' <kbd aria-hidden="true">{ACTION_KEYS[value]}</kbd>'
            if value in ACTION_KEYS
            else "",
        )
        for value, label in ActionForm.ACTIONS
        if with_image or value not in IMAGE_ACTIONS
    )


def _when(moment: Any) -> str:
    return dateformat.format(timezone.localtime(moment), "j M Y H:i")


def queue_card(case: Any, *, sort: str, csrf: str, choices: dict[bool, str]) -> str:
    image_case = case.kind == "image"
    thumbnail = (
        THUMBNAIL.format(url=url_with_pk("moderation:case-thumbnail", case.pk), pk=case.pk)
        if case.thumbnail
        else NO_THUMBNAIL
    )
    name = escape(case.subject_name)
    creator = (
        f'<a href="{url_with_pk("moderation:user", case.subject_id)}">{name}</a>'
        if case.subject_id
        else f"{name} (account deleted)"
    )
    if image_case:
        count = case.report_count
        reasons = " · ".join(f"{escape(label)} ×{total}" for label, total in case.reason_counts)
        reports = "".join(
            REPORT.format(
                reason=escape(report.reason),
                reporter=escape(report.reporter),
                when=_when(report.created_at),
                note=f": <q>{escape(report.note)}</q>" if report.note else "",
            )
            for report in case.recent_reports
        )
        more = count - len(case.recent_reports)
        if more > 0:
            reports += f'<li class="muted">and {more} more on the case\'s page</li>'
        reports = (
            f'<p class="reports-head"><strong>{count} report{pluralize(count)}</strong>: '
            f'{reasons}</p><ul class="reports">{reports}</ul>'
        )
        revised = escape(case.revised_prompt) or "(none returned)"
        revised = f'<dt>Revised prompt</dt><dd class="prompt-full">{revised}</dd>'
    else:
        reports = (
            f'<p class="muted small">Opened because {name}\'s prompts were refused by the '
            "content policy again and again.</p>"
        )
        revised = ""
    form = FORM.format(
        act_url=url_with_pk("moderation:case-act", case.pk),
        csrf=escape(csrf),
        version=int(case.version),
        sort=escape(sort),
        pk=case.pk,
        choices=choices[bool(case.image_id)],
    )
    return CARD.format(
        pk=case.pk,
        case_url=url_with_pk("moderation:case", case.pk),
        sort=escape(sort),
        kind=(
            f"image, {case.report_count} report{pluralize(case.report_count)}"
            if image_case
            else "user, refusals"
        ),
        appealed=' <span class="badge">Appealed</span>' if case.appealed_at else "",
        thumbnail=thumbnail,
        creator=creator,
        strikes=int(case.subject_strikes),
        strikes_s=pluralize(case.subject_strikes),
        refusals=int(case.subject_refusals),
        refusals_s=pluralize(case.subject_refusals),
        prompt_label="Prompt" if image_case else "Last refused prompt",
        prompt=escape(case.prompt) or "—",
        revised=revised,
        waiting=escape(timesince(case.reopened_at)),
        appeal_note=" (appealed)" if case.appealed_at else "",
        reports=reports,
        form=form,
    )


@register.simple_tag(takes_context=True)
def queue_cards(context: Context, page: Any, sort: str) -> SafeString:
    """Every card of a page of the queue, each with its action form, in one call."""
    csrf = str(context.get("csrf_token", ""))
    choices = {True: _choices(True), False: _choices(False)}
    html = "".join(queue_card(case, sort=sort, csrf=csrf, choices=choices) for case in page.cases)
    return mark_safe(html)  # noqa: S308 - every value is escaped above
