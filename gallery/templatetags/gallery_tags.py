import re

from django import template
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
