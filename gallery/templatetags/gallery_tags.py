from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ..selectors import MARK_END, MARK_START

register = template.Library()


@register.filter
def marked(text: str) -> SafeString:
    """Escape everything, then turn the search's match marks into <mark> elements."""
    escaped = escape(text or "")
    return mark_safe(  # noqa: S308 - the text was escaped above; only our own tags are added
        escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    )
