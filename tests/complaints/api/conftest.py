"""API clients for the API tests: anonymous, and logged in as a persona, speaking English."""

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def rita_api(api, rita):
    api.force_authenticate(rita)
    return api


@pytest.fixture
def olivia_api(olivia):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(olivia)
    return api


def error(response) -> dict:
    """The body's error, after checking it is the API's JSON error shape."""
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]
