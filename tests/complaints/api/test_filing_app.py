"""The registry app a filing names by id (`app`): read from the database with one prepared
statement (selectors.intake.app_for_filing), taken as a JSON number or its digits, anything
else refused on the field in the client's language, and nothing stored for a refused filing."""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from complaints.models import App, Complaint
from complaints.selectors.intake import app_for_filing, app_search

URL = "/api/v1/complaints/"


def _file(client, app_value):
    return client.post(URL, {"app": app_value, "description": "闪退还扣费"}, format="json")


@pytest.mark.parametrize("shape", [int, str, lambda pk: f" {pk} ", float, lambda pk: f"+{pk}"])
def test_the_app_may_be_named_by_its_id_as_a_number_or_its_digits(api, app, shape):
    response = _file(api, shape(app.pk))

    assert response.status_code == 201, response.json()
    filed = Complaint.objects.get(tracking_number=response.json()["tracking_number"])
    assert (filed.app, filed.app_name) == (app, app.name)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "Give the app's id as a number."),
        (12.5, "Give the app's id as a number."),
        ("12a", "Give the app's id as a number."),
        ("1 2", "Give the app's id as a number."),
        ([1], "Give the app's id as a number."),
        ({"id": 1}, "Give the app's id as a number."),
        (0, "No app with id 0."),
        (-3, "No app with id -3."),
        (2**70, f"No app with id {2**70}."),  # past bigint: no query, no overflow
        ("9" * 400, f"No app with id {'9' * 400}."),
        ("9" * 5000, f"No app with id {'9' * 5000}."),  # past what int() will read
    ],
)
def test_what_is_not_a_registry_apps_id_is_refused_on_the_field(api, app, value, message):
    response = _file(api, value)

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["app"] == [message]
    assert not Complaint.objects.exists()


def test_a_json_number_past_what_python_reads_is_malformed_json(api, app):
    response = api.post(
        URL, '{"app": ' + "9" * 5000 + ', "description": "闪退"}', content_type="application/json"
    )

    assert response.status_code == 400 and "error" in response.json()
    assert not Complaint.objects.exists()


def test_the_refusal_is_in_the_clients_language(db):
    chinese = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert chinese.post(URL, {"app": 424242, "description": "闪退"}, format="json").json()["error"][
        "fields"
    ]["app"] == ["没有编号为 424242 的应用。"]
    assert _file(chinese, "abc").json()["error"]["fields"]["app"] == ["应用编号须为数字。"]


def test_an_app_deleted_elsewhere_is_refused_though_the_search_still_offers_it(api, app):
    """Another process's delete (a queryset delete, as the admin's bulk action does) reaches the
    search's copy of the registry only within APP_SEARCH_REGISTRY_SECONDS; the filing reads
    the database, so the complaint never names an app that is gone."""
    assert [m.app.pk for m in app_search(app.name)] == [app.pk]
    App.objects.filter(pk=app.pk).delete()
    assert [m.app.pk for m in app_search(app.name)] == [app.pk]  # the copy, not yet made again

    response = _file(api, app.pk)

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["app"] == [f"No app with id {app.pk}."]
    assert not Complaint.objects.exists()


def test_the_app_is_read_as_filing_reads_it_its_id_and_name(app):
    found = app_for_filing(app.pk)

    assert (found.pk, found.name) == (app.pk, app.name)
    assert found.get_deferred_fields() == (
        App.objects.only("id", "name").get(pk=app.pk).get_deferred_fields()
    )
    assert found._state.adding is False and found._state.db == "default"
    assert app_for_filing(app.pk + 1000) is None


@pytest.mark.postgres
def test_on_postgresql_the_look_up_is_prepared_once_per_connection(app, company):
    other = App.objects.create(name="另一个应用", operator=company)

    assert app_for_filing(app.pk).name == app.name
    assert app_for_filing(other.pk).name == other.name

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ['SELECT "id", "name" FROM "complaints_app"%'],
        )
        (statement,) = [row[0] for row in cursor.fetchall()]
    assert statement.endswith('WHERE "id" = $1')
