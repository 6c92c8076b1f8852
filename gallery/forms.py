from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.forms.renderers import BaseRenderer
from django.forms.utils import flatatt
from django.http import QueryDict
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from .models import Generation
from .values import (
    MAX_IMAGES,
    PROMPT_MAX_LENGTH,
    QUALITIES,
    RESPONSE_FORMATS,
    SIZES,
    STYLES,
    Cursor,
    GalleryFilters,
    GenerationParams,
)

FIRST_DATE, LAST_DATE = date(1900, 1, 1), date(9998, 12, 31)


def _choices(values: list[str]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


class WrittenHere(forms.Widget):
    """A widget whose HTML is written here rather than by the template engine: with a template
    per widget (and an include per option), the gallery's forms cost a fifth of its first
    page's server time."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        return self.html(self.get_context(name, value, attrs)["widget"])

    def html(self, widget: dict[str, Any]) -> SafeString:
        raise NotImplementedError


class Select(forms.Select):
    """A <select> written straight from its choices: Django's context holds a dict of
    attributes per option, and its template an include per option."""

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: BaseRenderer | None = None,
    ) -> SafeString:
        if any(isinstance(label, (list, tuple)) for _value, label in self.choices):
            return super().render(name, value, attrs, renderer)  # option groups
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{escape(str(option))}"'
            f"{' selected' if str(option) in chosen else ''}>{escape(str(label))}</option>"
            for option, label in self.choices
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return mark_safe(f'<select name="{escape(name)}"{attributes}>{options}</select>')  # noqa: S308


class ChoiceField(forms.ChoiceField):
    widget = Select


class Input(WrittenHere, forms.widgets.Input):
    def html(self, widget: dict[str, Any]) -> SafeString:
        shown = "" if widget["value"] is None else format_html(' value="{}"', widget["value"])
        return format_html(
            '<input type="{}" name="{}"{}{}>',
            widget["type"],
            widget["name"],
            shown,
            flatatt(widget["attrs"]),
        )


class NumberInput(Input, forms.NumberInput):
    pass


class HiddenInput(Input, forms.HiddenInput):
    pass


class Textarea(WrittenHere, forms.Textarea):
    def html(self, widget: dict[str, Any]) -> SafeString:
        return format_html(
            '<textarea name="{}"{}>\n{}</textarea>',
            widget["name"],
            flatatt(widget["attrs"]),
            widget["value"] or "",
        )


class GenerationForm(forms.Form):
    """The API's own rules, so that nothing the API would refuse is ever enqueued."""

    prompt = forms.CharField(
        min_length=1,
        max_length=PROMPT_MAX_LENGTH,
        widget=Textarea(attrs={"rows": 3, "placeholder": "Describe the image…"}),
    )
    model = ChoiceField(choices=())
    n = forms.IntegerField(
        label="Images", min_value=1, max_value=MAX_IMAGES, initial=1, widget=NumberInput
    )
    size = ChoiceField(choices=_choices(SIZES), initial="1024x1024")
    quality = ChoiceField(choices=_choices(QUALITIES), initial="standard")
    style = ChoiceField(choices=_choices(STYLES), initial="vivid")
    response_format = ChoiceField(
        label="Response format", choices=_choices(RESPONSE_FORMATS), initial="url"
    )
    idempotency_key = forms.UUIDField(widget=HiddenInput, required=False)
    remixed_from = forms.IntegerField(widget=HiddenInput, required=False, min_value=1)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        model_field = self.fields["model"]
        assert isinstance(model_field, forms.ChoiceField)
        model_field.choices = _choices(settings.MKA1_MODELS)
        model_field.initial = settings.MKA1_MODELS[0]

    def params(self) -> GenerationParams:
        return GenerationParams.from_mapping(self.cleaned_data)


def _plausible_date(value: date | None) -> date | None:
    # A day bound is turned into a time range, which must not run past the calendar's ends.
    if value is not None and not FIRST_DATE <= value <= LAST_DATE:
        raise forms.ValidationError(f"Enter a date between {FIRST_DATE} and {LAST_DATE}.")
    return value


class GalleryFilterForm(forms.Form):
    """The gallery's search and filters, from the URL; a bad value is dropped, never an error."""

    q = forms.CharField(required=False, max_length=200, strip=True, label="Search")
    model = forms.CharField(required=False, max_length=100)
    size = ChoiceField(required=False, choices=[("", "Any size"), *_choices(SIZES)])
    quality = ChoiceField(required=False, choices=[("", "Any quality"), *_choices(QUALITIES)])
    style = ChoiceField(required=False, choices=[("", "Any style"), *_choices(STYLES)])
    status = ChoiceField(required=False, choices=[("", "Images"), *Generation.Status.choices])
    date_from = forms.DateField(required=False, label="From")
    date_to = forms.DateField(required=False, label="To")
    favorites = forms.BooleanField(required=False, label="Favorites only")
    sort = ChoiceField(
        required=False,
        choices=[("newest", "Newest"), ("oldest", "Oldest"), ("relevance", "Relevance")],
    )
    cursor = forms.CharField(required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            # Django's message repeats the value, which a crafted link could fill with any text.
            field.error_messages["invalid_choice"] = "Select a valid choice."

    @classmethod
    def from_query_string(cls, query_string: str) -> GalleryFilterForm:
        return cls(QueryDict(query_string))

    def clean_date_from(self) -> date | None:
        return _plausible_date(self.cleaned_data.get("date_from"))

    def clean_date_to(self) -> date | None:
        return _plausible_date(self.cleaned_data.get("date_to"))

    def problems(self) -> list[str]:
        """What was ignored, in words: the page still shows, without that filter."""
        self.is_valid()
        return [f"{self.fields[name].label or name.title()}: {error}"
                for name, errors in self.errors.items() for error in errors]  # fmt: skip

    def filters(self) -> GalleryFilters:
        self.is_valid()
        data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        return GalleryFilters(
            q=data.get("q") or "",
            model=data.get("model") or "",
            size=data.get("size") or "",
            quality=data.get("quality") or "",
            style=data.get("style") or "",
            status=data.get("status") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            favorites=bool(data.get("favorites")),
            sort=data.get("sort") or ("relevance" if data.get("q") else "newest"),
        )

    def page_cursor(self) -> Cursor | None:
        self.is_valid()
        token = self.cleaned_data.get("cursor") or ""
        return Cursor.decode(token) if token else None

    def bad_cursor(self) -> bool:
        self.is_valid()
        token = self.cleaned_data.get("cursor") or ""
        return bool(token) and Cursor.decode(token) is None


class BulkForm(forms.Form):
    ACTIONS = [
        "trash", "restore", "favorite", "unfavorite", "download", "delete_forever", "share",
        "unshare",
    ]  # fmt: skip

    action = forms.ChoiceField(choices=_choices(ACTIONS))
    ids = forms.CharField(required=False, max_length=20_000)

    def clean_ids(self) -> list[int]:
        raw = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        values = [part for item in raw for part in str(item).split(",") if part.strip()]
        if len(values) > 1000:
            raise forms.ValidationError("Select at most 1,000 images at once.")
        try:
            ids = {int(value) for value in values}
        except ValueError:
            ids = {0}
        if any(pk <= 0 for pk in ids):
            raise forms.ValidationError("The selection is not a list of image numbers.")
        return sorted(ids)


class SavedSearchForm(forms.Form):
    name = forms.CharField(max_length=80)
    query_string = forms.CharField(max_length=1000, required=False)


class ExportSearchForm(forms.Form):
    """The gallery query string whose every image goes into the zip."""

    query_string = forms.CharField(max_length=1000, required=False)


class LibraryRemoveForm(forms.Form):
    reason = forms.CharField(max_length=1000, widget=Textarea(attrs={"rows": 2}))
