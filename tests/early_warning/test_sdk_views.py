"""SDK clusters on the regulators' pages and in the clusters API (kind, the SDK, apps and
companies), and the page where a regulator chooses how to hear of early warnings by e-mail."""

import datetime
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from early_warning.clustering import complaints_cluster
from early_warning.models import Cluster, MailSetting
from tests.factories import AppFactory, CompanyFactory

from .conftest import file_burst, file_sdk_burst

pytestmark = pytest.mark.django_db


@pytest.fixture
def both_kinds(three_apps, app, today):
    day = today - datetime.timedelta(days=1)
    complaints_cluster(complaint_ids=[c.pk for c in file_sdk_burst(three_apps, day)])
    complaints_cluster(complaint_ids=[c.pk for c in file_burst(app, day)])
    return Cluster.objects.get(kind="sdk"), Cluster.objects.get(kind="company")


def test_the_sdk_cluster_page_names_the_sdk_apps_and_companies(client, rita, both_kinds, english):
    sdk_cluster, company_cluster = both_kinds
    client.force_login(rita)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("early_warning:cluster", args=[sdk_cluster.pk])).content.decode()
    assert "Collective complaint about the SDK Umeng Push" in page
    assert "made by 友盟同欣（北京）科技有限公司" in page
    for name in ("快看天气", "趣读小说", "省钱优选", "天气科技", "趣读网络", "优选电商"):
        assert name in page
    assert "whose inspections all found the SDK Umeng Push" in page  # why
    assert "each attributed to the SDK" in page  # what opening a case does
    listing = client.get(reverse("early_warning:clusters"), {"kind": "sdk"}).content.decode()
    assert f'data-cluster="{sdk_cluster.pk}"' in listing
    assert f'data-cluster="{company_cluster.pk}"' not in listing
    everything = client.get(reverse("early_warning:clusters"), {"kind": "nonsense"})
    assert f'data-cluster="{company_cluster.pk}"' in everything.content.decode()


def test_the_clusters_api_gives_the_kind_and_filters_by_it(rita, both_kinds, three_apps):
    sdk_cluster, company_cluster = both_kinds
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(rita)
    body = api.get("/api/v1/clusters/", {"kind": "sdk"}).json()
    [listed] = body["results"]
    assert (listed["id"], listed["kind"], listed["company"]) == (sdk_cluster.pk, "sdk", None)
    assert listed["sdk"] == {
        "id": "umeng_push",
        "name": "Umeng Push",
        "vendor": "友盟同欣（北京）科技有限公司",
    }
    assert listed["apps"] == sorted(a.pk for a in three_apps)
    assert listed["companies"] == sorted(a.operator_id for a in three_apps)
    assert len(listed["members"]) == 9
    [company] = api.get("/api/v1/clusters/", {"kind": "company"}).json()["results"]
    assert (company["id"], company["sdk"]) == (company_cluster.pk, None)
    assert api.get("/api/v1/clusters/").json()["count"] == 2
    refused = api.get("/api/v1/clusters/", {"kind": "x" * 5000})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["kind"] == ["Choose app, company or sdk."]


def test_the_schema_documents_the_kind(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/clusters/"]["get"]
    [kind] = [p for p in operation["parameters"] if p["name"] == "kind"]
    assert kind["schema"]["enum"] == ["app", "company", "sdk"]


def test_the_mail_settings_page_saves_the_choice(client, rita, english):
    client.force_login(rita)
    client.cookies["django_language"] = "en"
    url = reverse("early_warning:mail_settings")
    page = client.get(url).content.decode()
    assert re.search(r'value="daily"[^>]* checked', page)  # the default, never chosen
    response = client.post(url, {"mode": "immediate"})
    assert response.status_code == 302 and response["Location"] == url
    assert MailSetting.objects.get(user=rita).mode == "immediate"
    assert "Saved: this is how you will hear of early warnings." in client.get(url).content.decode()
    for bad in ({}, {"mode": "hourly"}, {"mode": "x" * 10000}):
        refused = client.post(url, bad)
        assert refused.status_code == 400
        assert "Choose one of the offered ways." in refused.content.decode()
    assert MailSetting.objects.get(user=rita).mode == "immediate"
    assert client.put(url).status_code == 405


def test_the_mail_settings_page_is_for_regulators(client, alice, olivia):
    url = reverse("early_warning:mail_settings")
    assert client.get(url).status_code == 302  # to the login page
    for person in (alice, olivia):
        client.force_login(person)
        assert client.post(url, {"mode": "off"}).status_code == 403
    assert not MailSetting.objects.exists()


def test_an_unknown_sdk_is_named_by_its_id(today, rita):
    apps = [AppFactory(operator=CompanyFactory()) for _ in range(2)]
    cluster = Cluster.objects.create(
        kind="sdk",
        sdk_id="gone_from_catalogue",
        app=apps[0],
        category_id=1,
        first_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        last_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        created_at=datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC),
        size=3,
        app_ids=[a.pk for a in apps],
        company_ids=[a.operator_id for a in apps],
    )
    assert "gone_from_catalogue" in cluster.why
