import re

import pytest

from gallery.forms import GenerationForm

pytestmark = pytest.mark.foundation

VALID = {
    "prompt": "a red fox in the snow",
    "model": "meetkai:z-image-turbo",
    "n": 1,
    "size": "1024x1024",
    "quality": "standard",
    "style": "vivid",
    "response_format": "url",
}


def form_errors(**changes: object) -> dict[str, object]:
    form = GenerationForm(data={**VALID, **changes})
    form.is_valid()
    return form.errors


@pytest.mark.parametrize(("length", "valid"), [(0, False), (1, True), (1000, True), (1001, False)])
def test_prompt_length_boundaries(length: int, valid: bool) -> None:
    errors = form_errors(prompt="x" * length)
    assert ("prompt" not in errors) is valid


@pytest.mark.parametrize(("n", "valid"), [(0, False), (1, True), (10, True), (11, False)])
def test_n_boundaries(n: int, valid: bool) -> None:
    errors = form_errors(n=n)
    assert ("n" not in errors) is valid


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("model", ["meetkai:z-image-turbo", "meetkai:flux-2-klein"], ["dall-e-3", ""]),
        ("size", ["256x256", "512x512", "1024x1024", "1792x1024", "1024x1792"], ["1024x1536"]),
        ("quality", ["standard", "hd"], ["high", "auto"]),
        ("style", ["vivid", "natural"], ["noir"]),
        ("response_format", ["url", "b64_json"], ["base64"]),
    ],
)
def test_each_enum_accepts_the_contract_values_only(
    field: str, good: list[str], bad: list[str]
) -> None:
    for value in good:
        assert field not in form_errors(**{field: value}), value
    for value in bad:
        assert field in form_errors(**{field: value}), value


def test_models_offered_come_from_the_setting(settings) -> None:  # type: ignore[no-untyped-def]
    settings.MKA1_MODELS = ["auto"]
    assert "model" not in form_errors(model="auto")
    assert "model" in form_errors(model="meetkai:z-image-turbo")


def test_blank_prompt_is_refused() -> None:
    assert "prompt" in form_errors(prompt="   ")


def test_non_integer_n_is_refused() -> None:
    assert "n" in form_errors(n="two")


def test_selects_are_written_as_django_writes_them() -> None:
    from django import forms as django_forms

    from gallery.forms import Select

    flat = Select(choices=[("", "Any"), ("a&b", "A <b>"), ("c", "C")])
    grouped = Select(choices=[("Group", [("a", "A"), ("c", "C")])])
    for widget, value in ((flat, "a&b"), (flat, None), (grouped, "c")):
        attrs = {"id": "id_pick", "required": True}
        ours = widget.render("pick", value, attrs)
        django = django_forms.Select(choices=widget.choices).render("pick", value, attrs)
        assert tags(ours) == tags(django)
        assert "</option><option" in ours or widget is grouped


def tags(html: str) -> str:
    return re.sub(r">\s+<", "><", html).strip()


def test_the_generation_form_has_a_field_for_each_parameter_and_builds_them() -> None:
    from gallery.values import GenerationParams

    assert set(GenerationParams.names()) <= set(GenerationForm.base_fields)
    data = {
        "prompt": "a red kite",
        "model": "meetkai:z-image-turbo",
        "n": "2",
        "size": "512x512",
        "quality": "hd",
        "style": "natural",
        "response_format": "b64_json",
    }
    form = GenerationForm(data)
    assert form.is_valid(), form.errors
    assert form.params() == GenerationParams("a red kite", "meetkai:z-image-turbo", 2, "512x512",
                                             "hd", "natural", "b64_json")  # fmt: skip
