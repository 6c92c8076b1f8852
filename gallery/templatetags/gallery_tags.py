from html import escape as _escape
from typing import Any

from django import template
from django.template import Context
from django.utils.safestring import SafeString, mark_safe

from ..highlight import marked

register = template.Library()


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


def _star_forms(csrf: str, next_path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The star form's HTML for an unstarred and a starred image, in the pieces that go around
    the image's URL (it appears twice); every value is escaped here."""
    forms = []
    for is_favorite in (False, True):
        form = STAR.format(
            url="\0",  # a request's path cannot hold NUL, nor can the token
            csrf=_escape(csrf),
            next=_escape(next_path),
            value="0" if is_favorite else "1",
            on=" on" if is_favorite else "",
            pressed="true" if is_favorite else "false",
            title="Remove the star" if is_favorite else "Star this image",
            glyph="★" if is_favorite else "☆",
            label="Unstar" if is_favorite else "Star",
        )
        forms.append(tuple(form.split("\0")))
    return forms[0], forms[1]


def _star(pieces: tuple[str, ...], url: str) -> str:
    return url.join(pieces)


def _request_bits(context: Context) -> tuple[str, str]:
    request = context.get("request")
    return str(context.get("csrf_token", "")), request.get_full_path() if request else "/"


def _alt(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@register.simple_tag(takes_context=True)
def star_form(context: Context, image: Any, is_favorite: bool) -> SafeString:
    forms = _star_forms(*_request_bits(context))
    html = _star(forms[bool(is_favorite)], image.favorite_url)
    return mark_safe(html)  # noqa: S308 - _star_forms escapes every value


@register.simple_tag(takes_context=True)
def image_card(
    context: Context, image: Any, is_favorite: bool, *, library: bool = False, query: str = ""
) -> SafeString:
    """One card of the grid: thumbnail, prompts, star, and a box to select it."""
    cards = _Cards(*_request_bits(context), library=library, query=query, marks=frozenset())
    return mark_safe(cards.card(image, bool(is_favorite)))  # noqa: S308 - every value escaped


@register.simple_tag(takes_context=True)
def image_cards(
    context: Context, page: Any, *, library: bool = False, query: str = ""
) -> SafeString:
    """Every card of a gallery page, with the search's words marked, in one call rather than
    an include per card."""
    cards = _Cards(*_request_bits(context), library=library, query=query, marks=page.marks)
    html = "".join(cards.card(image, image.pk in page.favorite_ids) for image in page.images)
    return mark_safe(html)  # noqa: S308 - every value escaped


class _Cards:
    """Cards' HTML, from rows of `selectors.with_card_fields`: what is the same for every card of
    a page is escaped once. Plain str.format with every value escaped: format_html's
    per-argument machinery cost more than the rest of the card."""

    def __init__(
        self, csrf: str, next_path: str, *, library: bool, query: str, marks: frozenset[str]
    ) -> None:
        self.stars = _star_forms(csrf, next_path)
        self.library = library
        self.link_query = _escape(f"?{query}") if query else ""
        self.marks = marks

    def card(self, image: Any, is_favorite: bool) -> str:
        revised = credit = ""
        if image.revised_prompt:
            revised = f'<p class="revised">{marked(image.revised_prompt, self.marks)}</p>'
        if self.library:
            credit = f'<p class="credit">by {_escape(image.card_owner)}</p>'
        elif image.shared_team_id or image.card_remixed or image.hidden_at:
            badges = (
                ('<span class="badge hidden">Hidden</span>' if image.hidden_at else "")
                + ('<span class="badge">Shared</span>' if image.shared_team_id else "")
                + ('<span class="badge">Remix</span>' if image.card_remixed else "")
            )
            credit = f'<p class="credit">{badges}</p>'
        prompt = image.card_prompt
        return CARD.format(
            pk=image.pk,
            select="" if self.library else SELECT.format(pk=image.pk),
            star=_star(self.stars[is_favorite], image.favorite_url),
            link=(image.library_url if self.library else image.detail_url) + self.link_query,
            thumbnail=image.thumbnail_url,
            width=int(image.thumb_width),
            height=int(image.thumb_height),
            alt=_escape(_alt(prompt)),
            prompt=marked(prompt, self.marks),
            revised=revised,
            credit=credit,
        )
