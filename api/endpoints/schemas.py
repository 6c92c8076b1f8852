"""What the API takes and gives, as pydantic types. Input is strict: a number is not a
prompt, "2" is not a count, and a field the API does not know is an error."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Literal, TypeAlias

from django.conf import settings
from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field

from gallery.forms import FIRST_DATE, LAST_DATE
from gallery.values import (
    MAX_IMAGES,
    PROMPT_MAX_LENGTH,
    QUALITIES,
    RESPONSE_FORMATS,
    SIZES,
    STYLES,
)

if TYPE_CHECKING:
    ModelName: TypeAlias = str
    Size: TypeAlias = str
    Quality: TypeAlias = str
    Style: TypeAlias = str
    ResponseFormat: TypeAlias = str
    Status: TypeAlias = str
else:
    ModelName = Literal[tuple(settings.MKA1_MODELS)]
    Size = Literal[tuple(SIZES)]
    Quality = Literal[tuple(QUALITIES)]
    Style = Literal[tuple(STYLES)]
    ResponseFormat = Literal[tuple(RESPONSE_FORMATS)]
    Status = Literal["queued", "running", "succeeded", "failed", "refused", "canceled"]

# Text the database can hold: PostgreSQL refuses NUL characters.
TEXT = r"^[^\x00]*$"
# Some text that is not only white space, as the form asks of a prompt.
PROMPT = r"^[^\x00]*[^\x00\s][^\x00]*$"
SLUG = r"^[-a-zA-Z0-9_]+$"
# Ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1


def _iso_date(value: object) -> object:
    """A day as YYYY-MM-DD only: pydantic would otherwise read "0" as 1970-01-01."""
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("Enter a date as YYYY-MM-DD.")
    return value


def _true_or_false(value: object) -> object:
    """true or false only, not the yes, on and 1 pydantic would take."""
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("Enter true or false.")
    return value


def _plausible(value: date) -> date:
    # A day bound becomes a time range, which must not run past the calendar's ends.
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"Enter a date between {FIRST_DATE} and {LAST_DATE}.")
    return value


Day = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_plausible)]
Flag = Annotated[bool, BeforeValidator(_true_or_false)]


class StrictIn(Schema):
    model_config = ConfigDict(strict=True, extra="forbid")


class GenerationIn(StrictIn):
    prompt: str = Field(min_length=1, max_length=PROMPT_MAX_LENGTH, pattern=PROMPT)
    model: ModelName = Field(default=settings.MKA1_MODELS[0])
    n: int = Field(default=1, ge=1, le=MAX_IMAGES, description="How many images.")
    size: Size = "1024x1024"
    quality: Quality = "standard"
    style: Style = "vivid"
    response_format: ResponseFormat = "url"
    team: str | None = Field(
        max_length=100,
        pattern=SLUG,
        description="The slug of the team whose monthly quota is charged; null only for "
        "someone in no team.",
    )
    remixed_from: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="A visible image this one remixes."
    )


class RerunIn(StrictIn):
    team: str | None = Field(
        default=None,
        max_length=100,
        pattern=SLUG,
        description="The team charged; by default the original's, if you are still in it.",
    )


class StarIn(StrictIn):
    starred: bool


class ShareIn(StrictIn):
    team: str = Field(max_length=100, pattern=SLUG, description="The slug of one of your teams.")


class PageQuery(Schema):
    cursor: str | None = Field(
        default=None,
        max_length=200,
        pattern=r"^[-A-Za-z0-9_]+$",
        description="next_cursor of the previous page.",
    )


class ImageQuery(PageQuery):
    q: str = Field(default="", max_length=200, pattern=TEXT, description="Search words.")
    model: str = Field(default="", max_length=100, pattern=TEXT)
    size: Size | None = None
    quality: Quality | None = None
    style: Style | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    favorites: Flag = Field(default=False, description="Only starred images.")
    sort: Literal["newest", "oldest", "relevance"] | None = Field(
        default=None, description="newest by default; relevance by default with q."
    )


class LibraryQuery(ImageQuery):
    team: str = Field(max_length=100, pattern=SLUG, description="The slug of one of your teams.")


class GenerationQuery(PageQuery):
    status: Status | None = None
    q: str = Field(default="", max_length=200, pattern=TEXT, description="Words of the prompt.")
    model: str = Field(default="", max_length=100, pattern=TEXT)
    size: Size | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    sort: Literal["newest", "oldest"] = "newest"


class AllowanceOut(Schema):
    limit: int
    used: int
    remaining: int
    resets_at: datetime


class TeamOut(Schema):
    id: int
    slug: str
    name: str
    role: str
    monthly_images: AllowanceOut


class MeOut(Schema):
    id: int
    username: str
    email: str
    daily_images: AllowanceOut
    teams: list[TeamOut]


class ErrorReason(Schema):
    kind: str
    message: str


class ImageOut(Schema):
    id: int
    generation_id: int
    index: int
    owner: str
    prompt: str
    revised_prompt: str
    model: str
    size: str
    quality: str
    style: str
    width: int
    height: int
    content_type: str
    byte_size: int
    created_at: datetime
    starred: bool
    shared_team_id: int | None
    hidden: bool
    trashed: bool
    url: str
    download_url: str


class MissingImageOut(Schema):
    index: int
    kind: str
    reason: str


class GenerationOut(Schema):
    id: int
    status: str
    prompt: str
    model: str
    n: int
    size: str
    quality: str
    style: str
    response_format: str
    team_id: int | None
    remixed_from: int | None
    created_at: datetime
    finished_at: datetime | None
    error: ErrorReason | None
    url: str


class GenerationDetailOut(GenerationOut):
    images: list[ImageOut]
    missing: list[MissingImageOut]


class GenerationPage(Schema):
    items: list[GenerationOut]
    next_cursor: str | None


class ImagePage(Schema):
    items: list[ImageOut]
    next_cursor: str | None
    corrected_query: str = Field(
        description="When nothing matched q, the closest words of your own prompts that did."
    )
