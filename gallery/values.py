"""Value types at the bottom of the gallery: what a request asks for, as plain frozen data.

Everything else imports these downward: the models take the parameters' choices from here,
the forms build these values, search and the selectors read them, the API client sends them.
Nothing here queries the database or imports another module of the project.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from typing import Any

from django.http import Http404
from django.utils.dateparse import parse_datetime

# The API's choices for a generation's parameters.
SIZES = ["256x256", "512x512", "1024x1024", "1792x1024", "1024x1792"]
QUALITIES = ["standard", "hd"]
STYLES = ["vivid", "natural"]
RESPONSE_FORMATS = ["url", "b64_json"]
PROMPT_MAX_LENGTH = 1000
MAX_IMAGES = 10
# The image columns a gallery page can be filtered by, one value each.
IMAGE_FILTER_FIELDS = ("model", "size", "quality", "style")

# One letter or digit, as PostgreSQL's text search parser splits words; a searchable word has
# at least three of them.
WORD_CHARS = r"[^\W_]"
WORD = re.compile(WORD_CHARS + "{3,}", re.UNICODE)

# The gallery's orders of rows, as ORM orderings; a cursor names one of them.
ORDERINGS = {
    "newest": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
}

# The lexemes of a tsquery as PostgreSQL prints it: 'red' & 'lighthous'.
LEXEME = re.compile(r"'((?:[^']|'')*)'")


def lexemes_of(tsquery: str) -> list[str]:
    """The lexemes of a tsquery as PostgreSQL prints it."""
    return [match.replace("''", "'") for match in LEXEME.findall(tsquery)]


@dataclass(frozen=True)
class GenerationParams:
    """What a user asks the image API for: the single declaration of the seven parameters.

    The form's fields, the API request's body, an export's metadata and the worker's claim
    read their names from here."""

    prompt: str
    model: str
    n: int
    size: str
    quality: str
    style: str
    response_format: str

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(field.name for field in fields(cls))

    @classmethod
    def of(cls, source: Any) -> GenerationParams:
        """The parameters of anything that has them as attributes (a generation, a claim)."""
        return cls(**{name: getattr(source, name) for name in cls.names()})

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> GenerationParams:
        return cls(**{name: values[name] for name in cls.names()})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GalleryFilters:
    q: str = ""
    model: str = ""
    size: str = ""
    quality: str = ""
    style: str = ""
    status: str = ""
    date_from: date | None = None
    date_to: date | None = None
    favorites: bool = False
    sort: str = "newest"

    @property
    def lists_generations(self) -> bool:
        """Unfinished and failed generations have no images: they are listed as generations."""
        return self.status not in ("", "succeeded")

    @property
    def narrows(self) -> bool:
        """Whether anything but the order is asked for."""
        return bool(
            self.q or self.favorites or self.date_from or self.date_to
            or any(getattr(self, name) for name in IMAGE_FILTER_FIELDS)
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for name in ("date_from", "date_to"):
            data[name] = data[name].isoformat() if data[name] else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> GalleryFilters:
        values: dict[str, Any] = {}
        for field in fields(cls):
            value = (data or {}).get(field.name)
            if value is not None:
                values[field.name] = value
        for name in ("date_from", "date_to"):
            if name in values:
                values[name] = date.fromisoformat(values[name])
        return cls(**values)


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the sort key of the last row shown."""

    sort: str
    key: str
    pk: int

    def encode(self) -> str:
        raw = f"{self.sort}|{self.key}|{self.pk}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor | None:
        """None for anything malformed: a bad cursor shows the first page, never an error."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            sort, key, pk = raw.split("|")
            cursor = cls(sort, key, int(pk))
            cursor.value()
        except (ValueError, UnicodeDecodeError, binascii.Error):
            return None
        return cursor

    def value(self) -> datetime:
        moment = parse_datetime(self.key.split("~")[-1])
        if moment is None:
            raise ValueError("not a time")
        if self.sort == "relevance":
            self.tier()
        return moment

    def tier(self) -> int:
        """Relevance cursors also say which tier (prompt match or not) the page stopped in."""
        tier = int(self.key.split("~")[0])
        if tier not in (0, 1):
            raise ValueError("not a tier")
        return tier


def user_id_of(user: Any) -> int:
    """The id of a logged-in user; 404 for an anonymous one."""
    if getattr(user, "pk", None) is None:
        raise Http404("Log in to see this.")
    return int(user.pk)


@dataclass(frozen=True)
class Scope:
    """Which images a page lists: one user's own, or those shared with a team."""

    # The column that tells the scope's rows apart, and its value.
    column: str
    key: int
    # Whether its images are of several people, so that a card says whose it is.
    shows_owner: bool = False

    @classmethod
    def own(cls, user: Any) -> Scope:
        return cls("user_id", user_id_of(user))

    @classmethod
    def library(cls, team_id: int) -> Scope:
        return cls("shared_team_id", team_id, shows_owner=True)

    @property
    def is_library(self) -> bool:
        return self.column == "shared_team_id"


@dataclass(frozen=True)
class AnswerItem:
    """One image of the API's answer, as recorded before it is stored: the bytes already saved
    (decoded from b64_json), the URL to download them from, or why there is no image.

    Its JSON is the shape kept in `Generation.upstream_response` ({"items": [...]}), so an
    answer recorded by an earlier version of the worker resumes the same way."""

    revised_prompt: str = ""
    stored: str = ""
    url: str = ""
    error_kind: str = ""
    error_reason: str = ""

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"revised_prompt": self.revised_prompt}
        if self.error_kind:
            entry["error"] = {"kind": self.error_kind, "reason": self.error_reason}
        elif self.stored:
            entry["stored"] = self.stored
        elif self.url:
            entry["url"] = self.url
        return entry

    @classmethod
    def from_json(cls, entry: dict[str, Any]) -> AnswerItem:
        error = entry.get("error") or {}
        return cls(
            revised_prompt=entry.get("revised_prompt") or "",
            stored=entry.get("stored") or "",
            url=entry.get("url") or "",
            error_kind=error.get("kind", ""),
            error_reason=error.get("reason", ""),
        )


def answer_to_json(items: list[AnswerItem]) -> dict[str, Any]:
    return {"items": [item.to_json() for item in items]}


def answer_from_json(recorded: dict[str, Any] | None) -> list[AnswerItem]:
    return [AnswerItem.from_json(entry) for entry in (recorded or {}).get("items", [])]
