"""Following a gallery's pages from the first to the last, as the tests of its order do."""

from __future__ import annotations

import pytest

from gallery import selectors
from gallery.values import Cursor, GalleryFilters, Scope


def every_page(user, filters: GalleryFilters, scope: Scope | None = None) -> list[int]:  # type: ignore[no-untyped-def]
    """Every id, following next_cursor from the first page to the last."""
    scope = scope or Scope.own(user)
    seen: list[int] = []
    cursor = None
    for _ in range(100):
        page = selectors.gallery_page(user, scope, filters, cursor)
        seen += [image.pk for image in page.images]
        if page.next_cursor is None:
            return seen
        cursor = Cursor.decode(page.next_cursor)
        assert cursor is not None
    pytest.fail(f"Still paging after 100 pages: {seen[:50]}…")
