"""Every error of the API in one JSON shape: {"error": {"code", "message", "field"}}.

Ninja's own answers (validation, authentication, 404) are replaced here, and so are the 404 of
a path the API does not have and the 405 of a method it does not take."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.http.response import HttpResponseBase
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError

logger = logging.getLogger("django.request")

# The codes of the generic answers, by status.
CODES = {
    400: "bad_request",
    401: "invalid_token",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
}


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorDetail


class ApiError(Exception):
    """An answer other than success, with its code for programs and message for people."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers or {}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    body = {"error": {"code": code, "message": message, "field": field}}
    response = JsonResponse(body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = f'Bearer error="{code}"'
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_of(location: list[Any]) -> str | None:
    """The name of the field at a pydantic error's location, without where it came from
    (body, query...) and the name of the schema."""
    parts = [str(part) for part in location]
    if parts and parts[0] == "body":
        parts = parts[2:]
    elif parts:
        parts = parts[1:]
    return ".".join(parts) or None


def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    message = str(first.get("msg", "The request is not valid."))
    field = _field_of(list(first.get("loc", [])))
    return error_response(422, "invalid", message, field=field)


def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.message, field=exc.field, headers=exc.headers)


def _authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "invalid_token", "Send an API token: Authorization: Bearer <token>.")


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = CODES.get(exc.status_code, "error")
    return error_response(exc.status_code, code, str(exc.message))


def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404, "not_found", "There is nothing here, or it is not yours to see.")


def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error(
        "Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500}
    )
    return error_response(500, "server_error", "Something went wrong on our side.")


HANDLERS: dict[type[Exception], Callable[..., HttpResponse]] = {
    Exception: _server_error,
    Http404: _not_found,
    HttpError: _http_error,
    AuthenticationError: _authentication,
    ValidationError: _validation,
    ApiError: _api_error,
}


def install(api: NinjaAPI) -> None:
    for exception, handler in HANDLERS.items():
        api.add_exception_handler(exception, handler)


def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any path under the API that it does not have."""
    return error_response(404, "not_found", "The API has no such path.")


unknown_path.csrf_exempt = True  # type: ignore[attr-defined]


def json_method_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A view of the API whose 405 (a method it does not take) comes in the error shape."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return error_response(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed here; use {allowed}.",
                headers={"Allow": allowed},
            )
        return response

    return wrapped
