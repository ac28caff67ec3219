"""GET /api/v1/public/apps/?q=: the registry's apps by name, what the one-page filing form
offers as the consumer types (static/js/filing.js)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories import AppFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/public/apps/"


def results(api, **params) -> list[dict]:
    response = api.get(URL, params)
    assert response.status_code == 200
    return response.json()["results"]


def test_apps_by_name_alias_or_package_best_first(api, app, other_app):
    AppFactory(name="快送跑腿", package_name="com.kuaisong.errand")
    found = results(api, q="快送外卖")
    assert found[0] == {"id": app.pk, "name": "快送外卖", "package_name": "com.kuaisong.food"}
    assert results(api, q="KuaiSong")[0]["id"] == app.pk  # an alias
    assert results(api, q="com.kuaisong.food")[0]["id"] == app.pk
    assert results(api, q="快送外賣")[0]["id"] == app.pk  # traditional characters


def test_anyone_may_search_without_a_session(api, app, alice):
    api.force_authenticate(None)
    assert results(api, q="快送")[0]["id"] == app.pk


def test_no_query_no_apps(api, app):
    assert results(api) == [] and results(api, q="  ") == []


def test_bad_queries_are_refused_with_the_message(api, db):
    too_long = api.get(URL, {"q": "x" * 101})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["fields"] == {"q": ["Use at most 100 characters."]}
    twice = api.get(URL + "?q=a&q=b")
    assert twice.status_code == 400
    assert twice.json()["error"]["fields"] == {"q": ["Give this parameter once."]}


def test_wrong_method(api, db):
    assert api.post(URL, {"q": "x"}, format="json").status_code == 405


def test_documented(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"][URL]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["q"]
    assert {} in operation["security"]
