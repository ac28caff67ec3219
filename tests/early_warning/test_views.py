"""Regulators' early-warning pages and the clusters API: who may see them, why each alert and
cluster fired in the reader's language, dismissing with a reason, a case from a cluster."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.models import Case
from early_warning.clustering import complaints_cluster
from early_warning.daily import early_warning_run
from early_warning.models import Alert, Cluster, Dismissal
from tests.factories import AppFactory

from .conftest import BURST_TEXTS, file_burst

pytestmark = pytest.mark.django_db


@pytest.fixture
def burst(app, today):
    day = today - datetime.timedelta(days=1)
    complaints = file_burst(app, day)
    complaints_cluster(complaint_ids=[c.pk for c in complaints])
    early_warning_run(day=day)
    return complaints


def _as(client, user, language="en"):
    client.force_login(user)
    client.cookies["django_language"] = language
    return client


PAGES = [
    ("early_warning:alerts", False),
    ("early_warning:clusters", False),
    ("early_warning:alert", True),
    ("early_warning:cluster", True),
]


@pytest.mark.parametrize(("name", "with_id"), PAGES)
def test_pages_are_for_regulators(client, burst, alice, olivia, name, with_id):
    pk = (
        (Alert.objects.get().pk if "alert" in name else Cluster.objects.get().pk)
        if with_id
        else None
    )
    url = reverse(name, args=[pk] if pk else [])
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    for person in (alice, olivia):
        client.force_login(person)
        assert client.get(url).status_code == 403


def test_unknown_ids_and_wrong_methods(client, rita, burst):
    _as(client, rita)
    assert client.get(reverse("early_warning:alert", args=[999999])).status_code == 404
    assert client.get(reverse("early_warning:cluster", args=[999999])).status_code == 404
    assert (
        client.post(
            reverse("early_warning:alert_dismiss", args=[999999]), {"reason": "x"}
        ).status_code
        == 404
    )
    cluster = Cluster.objects.get()
    assert (
        client.get(reverse("early_warning:cluster_open_case", args=[cluster.pk])).status_code == 405
    )
    assert (
        client.get(reverse("early_warning:cluster_dismiss", args=[cluster.pk])).status_code == 405
    )


def test_alerts_say_why_in_the_readers_language(client, rita, burst, app):
    page = _as(client, rita, "en").get(reverse("early_warning:alerts")).content.decode()
    assert "12 complaints about 快送外卖 on" in page and "Poisson test" in page
    assert 'href="/early-warning/"' in page  # in the regulator's navigation
    page = _as(client, rita, "zh-hans").get(reverse("early_warning:alerts")).content.decode()
    assert "快送外卖收到 12 条投诉" in page and "泊松检验" in page


def test_the_regulator_nav_only(client, alice, rita):
    assert 'href="/early-warning/"' not in _as(client, alice).get("/").content.decode()
    assert 'href="/early-warning/"' in _as(client, rita).get("/").content.decode()


def test_dismissing_an_alert_needs_a_reason(client, rita, burst, english):
    alert = Alert.objects.get()
    _as(client, rita)
    page = client.get(reverse("early_warning:alert", args=[alert.pk])).content.decode()
    assert all(c.tracking_number in page for c in burst)
    response = client.post(reverse("early_warning:alert_dismiss", args=[alert.pk]), {"reason": " "})
    assert response.status_code == 400 and "Say why you dismiss it." in response.content.decode()
    assert Dismissal.objects.count() == 0
    response = client.post(
        reverse("early_warning:alert_dismiss", args=[alert.pk]), {"reason": "A promotion day."}
    )
    assert response.status_code == 302 and response.url == reverse("early_warning:alerts")
    assert Dismissal.objects.get().reason == "A promotion day."
    assert "No open alerts." in client.get(reverse("early_warning:alerts")).content.decode()
    shown = client.get(reverse("early_warning:alerts") + "?all=1").content.decode()
    assert "dismissed" in shown


def test_a_cluster_page_opens_a_case_in_one_action(client, rita, burst, app, english):
    cluster = Cluster.objects.get()
    _as(client, rita)
    page = client.get(reverse("early_warning:cluster", args=[cluster.pk])).content.decode()
    assert "whose texts are alike" in page and 'data-figure="size">12<' in page
    assert BURST_TEXTS[0] in page or BURST_TEXTS[1] in page
    response = client.post(reverse("early_warning:cluster_open_case", args=[cluster.pk]))
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[case.pk])
    assert case.complaints.count() == 12
    response = client.post(reverse("early_warning:cluster_open_case", args=[cluster.pk]))
    assert response.status_code == 302 and Case.objects.count() == 1
    page = client.get(response.url).content.decode()
    assert "A case was already opened from this collective complaint." in page


def test_dismissing_a_cluster(client, rita, burst, english):
    cluster = Cluster.objects.get()
    _as(client, rita)
    response = client.post(
        reverse("early_warning:cluster_dismiss", args=[cluster.pk]), {"reason": ""}
    )
    assert response.status_code == 400 and Dismissal.objects.count() == 0
    response = client.post(
        reverse("early_warning:cluster_dismiss", args=[cluster.pk]),
        {"reason": "Duplicates of one person."},
    )
    assert response.status_code == 302
    cluster.refresh_from_db()
    assert cluster.dismissed_at is not None
    assert (
        "No collective complaints."
        in client.get(reverse("early_warning:clusters")).content.decode()
    )


# --- the API -------------------------------------------------------------------------------


def test_clusters_api_lists_members_and_growth(rita, burst, app, today):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(rita)
    body = api.get("/api/v1/clusters/").json()
    assert body["count"] == 1
    [cluster] = body["results"]
    assert {m["tracking_number"] for m in cluster["members"]} == {c.tracking_number for c in burst}
    assert {m["id"] for m in cluster["members"]} == {c.pk for c in burst}
    assert cluster["size"] == 12 and cluster["growth_per_day"] == round(12 / 7, 2)
    assert cluster["daily"][-2] == {
        "date": (today - datetime.timedelta(days=1)).isoformat(),
        "complaints": 12,
    }
    assert (cluster["app"], cluster["category"], cluster["case"], cluster["dismissed"]) == (
        app.pk,
        "over_permission",
        None,
        False,
    )
    assert cluster["why"].startswith("12 complaints about 快送外卖")


def test_clusters_api_is_for_regulators(alice, olivia, burst):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    assert api.get("/api/v1/clusters/").status_code == 403
    for person in (alice, olivia):
        api.force_authenticate(person)
        assert api.get("/api/v1/clusters/").status_code == 403


def test_clusters_api_refuses_writes(rita):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(rita)
    response = api.post("/api/v1/clusters/", {}, format="json")
    assert response.status_code == 405 and response.json()["error"]


def test_clusters_api_queries_do_not_grow_with_clusters(rita, today):
    api = APIClient()
    api.force_authenticate(rita)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get("/api/v1/clusters/").status_code == 200
        return len(captured)

    def one_more_cluster():
        complaints = file_burst(AppFactory(), today, BURST_TEXTS[:3])
        complaints_cluster(complaint_ids=[c.pk for c in complaints])

    one_more_cluster()
    queries()  # the first request also reads the user's groups
    with_one = queries()
    for _ in range(4):
        one_more_cluster()
    assert Cluster.objects.count() == 5
    assert queries() == with_one


def test_the_schema_documents_clusters(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/clusters/"]["get"]
    assert operation["operationId"] == "clusters"
