"""Request validation with the real API's error codes and messages (OpenAI error shape)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

DEFAULT_MODEL = "meetkai:z-image-turbo"
SERVED_MODELS = ("meetkai:z-image-turbo", "meetkai:flux-2-klein", "auto")
# The documented values first, then the newer superset the official SDK sends.
QUALITIES = ("standard", "hd", "low", "medium", "high", "auto")
RESPONSE_FORMATS = ("url", "b64_json")
SIZES = (
    "256x256",
    "512x512",
    "1024x1024",
    "1792x1024",
    "1024x1792",
    "1024x1536",
    "1536x1024",
    "auto",
)
STYLES = ("vivid", "natural")
OUTPUT_FORMATS = ("png", "webp", "jpeg")
PROMPT_MAX_LENGTH = 1000
N_MAX = 10
ON_BEHALF_OF_MAX_LENGTH = 150


class ApiError(Exception):
    """An error answer; `body()` is the OpenAI error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
        type: str = "invalid_request_error",  # noqa: A002 - the field's name in the API
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.type = type

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }


@dataclass(frozen=True)
class GenerationRequest:
    prompt: str
    model: str
    n: int
    quality: str
    response_format: str
    size: tuple[int, int]
    style: str
    output_format: str
    user: str | None


def parse_generation(body: Any, served_models: Collection[str]) -> GenerationRequest:
    """Check a decoded JSON body field by field; raise ApiError for the first problem."""
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.", code="invalid_type")
    prompt = _prompt(body)
    model = _string(body, "model")
    n = _integer(body, "n", default=1, minimum=1, maximum=N_MAX)
    quality = _choice(body, "quality", QUALITIES, default="standard")
    response_format = _choice(body, "response_format", RESPONSE_FORMATS, default="url")
    size = _choice(body, "size", SIZES, default="1024x1024")
    style = _choice(body, "style", STYLES, default="vivid")
    user = _string(body, "user")
    output_format = _choice(body, "output_format", OUTPUT_FORMATS, default="png")
    if model is None:
        model = DEFAULT_MODEL
    elif model not in served_models:
        raise ApiError(
            404,
            f"The model '{model}' does not exist or you do not have access to it.",
            param="model",
            code="model_not_found",
        )
    width, height = (1024, 1024) if size == "auto" else map(int, size.split("x"))
    return GenerationRequest(
        prompt=prompt,
        model=model,
        n=n,
        quality=quality,
        response_format=response_format,
        size=(width, height),
        style=style,
        output_format=output_format,
        user=user,
    )


def check_on_behalf_of(value: str | None) -> None:
    if value is None:
        return
    printable = all(" " <= char <= "~" for char in value)
    if not printable or not 1 <= len(value) <= ON_BEHALF_OF_MAX_LENGTH:
        raise ApiError(
            400,
            "Invalid 'X-On-Behalf-Of' header: expected 1 to "
            f"{ON_BEHALF_OF_MAX_LENGTH} printable ASCII characters.",
            param="X-On-Behalf-Of",
            code="invalid_value",
        )


def violates_policy(prompt: str, policy_word: str) -> bool:
    """True when the prompt holds the policy word as a whole word, in any case."""
    if not policy_word:
        return False
    return re.search(rf"\b{re.escape(policy_word)}\b", prompt, re.IGNORECASE) is not None


def policy_error() -> ApiError:
    return ApiError(
        400,
        "Your request was rejected as a result of our safety system. Your prompt may contain "
        "text that is not allowed by our safety system.",
        param="prompt",
        code="content_policy_violation",
    )


def _prompt(body: dict[str, Any]) -> str:
    if "prompt" not in body:
        raise ApiError(
            400,
            "Missing required parameter: 'prompt'.",
            param="prompt",
            code="missing_required_parameter",
        )
    prompt = body["prompt"]
    if not isinstance(prompt, str):
        raise _invalid_type("prompt", "a string", prompt)
    if not prompt:
        raise ApiError(
            400,
            "Invalid 'prompt': string too short. Expected a string with minimum length 1, "
            "but got an empty string instead.",
            param="prompt",
            code="string_below_min_length",
        )
    if len(prompt) > PROMPT_MAX_LENGTH:
        raise ApiError(
            400,
            "Invalid 'prompt': string too long. Expected a string with maximum length "
            f"{PROMPT_MAX_LENGTH}, but got a string with length {len(prompt)} instead.",
            param="prompt",
            code="string_above_max_length",
        )
    return prompt


def _string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise _invalid_type(name, "a string", value)
    return value


def _integer(body: dict[str, Any], name: str, *, default: int, minimum: int, maximum: int) -> int:
    value = body.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid_type(name, "an integer", value)
    if value < minimum:
        raise ApiError(
            400,
            f"Invalid '{name}': integer below minimum value. Expected a value >= {minimum}, "
            f"but got {value} instead.",
            param=name,
            code="integer_below_min_value",
        )
    if value > maximum:
        raise ApiError(
            400,
            f"Invalid '{name}': integer above maximum value. Expected a value <= {maximum}, "
            f"but got {value} instead.",
            param=name,
            code="integer_above_max_value",
        )
    return value


def _choice(body: dict[str, Any], name: str, choices: tuple[str, ...], *, default: str) -> str:
    value = _string(body, name)
    if value is None:
        return default
    if value not in choices:
        supported = ", ".join(f"'{choice}'" for choice in choices[:-1])
        raise ApiError(
            400,
            f"Invalid value: '{value}'. Supported values are: {supported} and '{choices[-1]}'.",
            param=name,
            code="invalid_value",
        )
    return value


def _invalid_type(name: str, expected: str, value: Any) -> ApiError:
    return ApiError(
        400,
        f"Invalid type for '{name}': expected {expected}, but got {_describe(value)} instead.",
        param=name,
        code="invalid_type",
    )


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
