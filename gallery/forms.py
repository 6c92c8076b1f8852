from __future__ import annotations

from django import forms
from django.conf import settings

from .models import PROMPT_MAX_LENGTH, QUALITIES, RESPONSE_FORMATS, SIZES, STYLES
from .services import GenerationParams


def _choices(values: list[str]) -> list[tuple[str, str]]:
    return [(value, value) for value in values]


class GenerationForm(forms.Form):
    """The API's own rules, so that nothing the API would refuse is ever enqueued."""

    prompt = forms.CharField(
        min_length=1,
        max_length=PROMPT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Describe the image…"}),
    )
    model = forms.ChoiceField(choices=())
    n = forms.IntegerField(label="Images", min_value=1, max_value=10, initial=1)
    size = forms.ChoiceField(choices=_choices(SIZES), initial="1024x1024")
    quality = forms.ChoiceField(choices=_choices(QUALITIES), initial="standard")
    style = forms.ChoiceField(choices=_choices(STYLES), initial="vivid")
    response_format = forms.ChoiceField(
        label="Response format", choices=_choices(RESPONSE_FORMATS), initial="url"
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        model_field = self.fields["model"]
        assert isinstance(model_field, forms.ChoiceField)
        model_field.choices = _choices(settings.MKA1_MODELS)
        model_field.initial = settings.MKA1_MODELS[0]

    def params(self) -> GenerationParams:
        data = self.cleaned_data
        return GenerationParams(
            prompt=data["prompt"],
            model=data["model"],
            n=data["n"],
            size=data["size"],
            quality=data["quality"],
            style=data["style"],
            response_format=data["response_format"],
        )


class SearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    page = forms.IntegerField(required=False, min_value=1, max_value=100_000)
