"""Error reports (the DEBUG page, the admins' error mails) that never show a secret."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter

# Settings whose values are hidden wherever they turn up in a traceback's variables.
SECRET_SETTINGS = ("MKA1_API_KEY", "SECRET_KEY")


def _shows(value: Any, secrets: list[str]) -> bool:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a repr that fails shows nothing
        return False
    return any(secret in text for secret in secrets)


class SecretValuesFilter(SafeExceptionReporterFilter):
    """Django's filter hides settings and request data by name; this one also hides any frame
    variable whose value shows a secret setting's value, whatever the variable is called (a
    library's dict of headers, a bytes buffer)."""

    def get_traceback_frame_variables(self, request: HttpRequest | None, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        secrets = [
            value
            for value in (getattr(settings, name, "") for name in SECRET_SETTINGS)
            if isinstance(value, str) and value
        ]
        return [
            (name, self.cleansed_substitute if _shows(value, secrets) else value)
            for name, value in variables
        ]
