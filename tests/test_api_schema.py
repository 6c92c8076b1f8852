"""The OpenAPI document against the API itself: schemathesis sends what the schema allows and
what it does not (its negative tests), with a valid token, and checks every answer with its
default checks: no server error, only documented statuses, content types and headers, bodies
that match the schema, and schema-breaking requests refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from accounts.models import Membership
from tests.api_helpers import token_for
from tests.factories import GeneratedImageFactory, GenerationFactory, MembershipFactory, TeamFactory

pytestmark = [pytest.mark.restapi, pytest.mark.django_db]

# Answers a schema-valid request may get for reasons the schema cannot state: a cursor the API
# never gave out, a team one is not in named in a body, a rerun whose team must be named.
BUSINESS_RULE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


@pytest.fixture(autouse=True)
def _requests_in_the_test_transaction(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """As Django's test client does: requests run inside the test's transaction, whose
    connection must outlive each of them."""
    settings.API_RATE_LIMIT = "100000/minute"
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db) -> str:  # type: ignore[no-untyped-def]
    """A member of a team, with a few images (one shared, one starred) and generations."""
    membership = MembershipFactory(
        team=TeamFactory(name="Crew", slug="crew"), role=Membership.Role.ADMIN
    )
    user = membership.user
    for _ in range(3):
        GeneratedImageFactory(generation=GenerationFactory(user=user, team=membership.team))
    GenerationFactory(user=user, status="queued", team=membership.team)
    GenerationFactory(user=user, status="failed", error_kind="timeout", error_message="slow")
    return token_for(user)


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
schema.config.generation.update(max_examples=12, deterministic=True, database="none")
schema.config.checks.positive_data_acceptance.expected_statuses = BUSINESS_RULE_STATUSES


@schema.parametrize()
# The token's user and rows are made once per operation; what the examples add accumulates.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_api_keeps_to_its_openapi_document(case, token) -> None:  # type: ignore[no-untyped-def]
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
