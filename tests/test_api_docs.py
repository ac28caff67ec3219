"""The API's own documentation works with no internet: Swagger UI and ReDoc come from this
site's static files (drf-spectacular-sidecar, pinned), never from a CDN."""

import re

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/schema/swagger/", "/api/schema/redoc/"])
def test_api_browsers_load_only_this_sites_files(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "loads from another host"
    assets = re.findall(r"(?:src|href)=\"/static/([^\"]+)\"", page)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert finders.find(asset), asset
