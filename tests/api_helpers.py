"""Calling the JSON API from tests: a user's token, and a client that sends it."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from api.services import token_create

BASE = "/api/v1"


def token_for(user: User, *, name: str = "tests", expires_at: datetime | None = None) -> str:
    _token, secret = token_create(user=user, name=name, expires_at=expires_at)
    return secret


class ApiClient:
    """Django's test client with a bearer token and JSON bodies."""

    def __init__(self, token: str | None, client: Client | None = None) -> None:
        self.client = client or Client()
        self.token = token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(f"{BASE}{path}", params or {}, headers=self.headers(headers))

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        data = "" if body is None else json.dumps(body)
        return self.client.post(
            f"{BASE}{path}", data, content_type="application/json", headers=self.headers(headers)
        )


def error_of(response: Any) -> dict[str, Any]:
    """The error of an answer, checked to have the API's one shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "field"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return dict(body["error"])
