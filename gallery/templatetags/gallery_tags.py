import re
from html import escape as _escape
from typing import Any

from django import template
from django.template import Context
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..selectors import MARK_END, MARK_START

register = template.Library()

MARKED_WORD = re.compile(f"{MARK_START}([^{MARK_START}{MARK_END}]*){MARK_END}")


@register.filter
def marked(text: str) -> SafeString:
    """Escape everything, then turn the search's match marks into <mark> elements."""
    escaped = MARKED_WORD.sub(r"<mark>\1</mark>", escape(text or ""))
    # A mark character that came with the text itself pairs with nothing: drop it.
    return mark_safe(  # noqa: S308 - the text was escaped above; only our own tags are added
        escaped.replace(MARK_START, "").replace(MARK_END, "")
    )


# Cards are built here rather than with {% include %}: a page shows 48 of them, and the
# template engine's per-card cost was most of the page's server time.
STAR = (
    '<form class="star" method="post" action="{url}" hx-post="{url}" hx-swap="outerHTML">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<input type="hidden" name="next" value="{next}">'
    '<input type="hidden" name="favorite" value="{value}">'
    '<button type="submit" class="star-button{on}" aria-pressed="{pressed}" title="{title}">'
    '<span aria-hidden="true">{glyph}</span><span class="visually-hidden">{label}</span>'
    "</button></form>"
)
CARD = (
    '<li class="tile" id="image-{pk}">{select}{star}<a href="{link}">'
    '<img src="{thumbnail}" width="{width}" height="{height}" loading="lazy" decoding="async" '
    'alt="{alt}"><p class="prompt">{prompt}</p>{revised}{credit}</a></li>'
)
SELECT = (
    '<label class="select"><input type="checkbox" name="ids" value="{pk}" form="bulk">'
    '<span class="visually-hidden">Select image {pk}</span></label>'
)


def _star(image: Any, is_favorite: bool, csrf: str, next_path: str) -> str:
    """The star form's HTML; every value is escaped here (the callers mark the result safe)."""
    return STAR.format(
        url=image.favorite_url,
        csrf=_escape(csrf),
        next=_escape(next_path),
        value="0" if is_favorite else "1",
        on=" on" if is_favorite else "",
        pressed="true" if is_favorite else "false",
        title="Remove the star" if is_favorite else "Star this image",
        glyph="★" if is_favorite else "☆",
        label="Unstar" if is_favorite else "Star",
    )


def _request_bits(context: Context) -> tuple[str, str]:
    request = context.get("request")
    return str(context.get("csrf_token", "")), request.get_full_path() if request else "/"


def _alt(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@register.simple_tag(takes_context=True)
def star_form(context: Context, image: Any, is_favorite: bool) -> SafeString:
    csrf, next_path = _request_bits(context)
    return mark_safe(_star(image, bool(is_favorite), csrf, next_path))  # noqa: S308 - escaped


@register.simple_tag(takes_context=True)
def image_card(
    context: Context, image: Any, is_favorite: bool, *, library: bool = False, query: str = ""
) -> SafeString:
    """One card of the grid: thumbnail, highlighted prompts, star, and a box to select it."""
    csrf, next_path = _request_bits(context)
    html = _card(image, bool(is_favorite), csrf, next_path, library=library, query=query)
    return mark_safe(html)  # noqa: S308 - _card escapes every value it takes


@register.simple_tag(takes_context=True)
def image_cards(
    context: Context, page: Any, *, library: bool = False, query: str = ""
) -> SafeString:
    """Every card of a gallery page, in one call rather than an include per card."""
    csrf, next_path = _request_bits(context)
    html = "".join(
        _card(image, image.pk in page.favorite_ids, csrf, next_path, library=library, query=query)
        for image in page.images
    )
    return mark_safe(html)  # noqa: S308 - _card escapes every value it takes


def _card(
    image: Any, is_favorite: bool, csrf: str, next_path: str, *, library: bool, query: str
) -> str:
    """A card's HTML, from a row of selectors.with_card_fields.

    Plain str.format with every value escaped: format_html's per-argument machinery cost more
    than the rest of the card.
    """
    marked_prompt = getattr(image, "prompt_marked", "")
    marked_revised = getattr(image, "revised_marked", "")
    revised = credit = ""
    if image.revised_prompt:
        text = marked(marked_revised) if marked_revised else _escape(image.revised_prompt)
        revised = f'<p class="revised">{text}</p>'
    if library:
        credit = f'<p class="credit">by {_escape(image.card_owner)}</p>'
    else:
        badges = "".join(
            f'<span class="badge">{name}</span>'
            for name, on in (
                ("Shared", image.shared_team_id),
                ("Remix", image.card_remixed),
            )
            if on
        )
        credit = f'<p class="credit">{badges}</p>' if badges else ""
    link = image.library_url if library else image.detail_url
    return CARD.format(
        pk=image.pk,
        select="" if library else SELECT.format(pk=image.pk),
        star=_star(image, is_favorite, csrf, next_path),
        link=_escape(f"{link}?{query}" if query else link),
        thumbnail=image.thumbnail_url,
        width=int(image.thumb_width),
        height=int(image.thumb_height),
        alt=_escape(_alt(image.card_prompt)),
        prompt=marked(marked_prompt) if marked_prompt else _escape(image.card_prompt),
        revised=revised,
        credit=credit,
    )
