"""The baseline views `make bench` measures filing against: each answers as API filing does,
the ORM and SQL ones store the row, the ceiling stores nothing, and none of them is reachable
from the production URLs."""

import json

import pytest
from django.test import Client

from benchmarks.baselines import naive_dashboard_aggregate
from complaints.models import Complaint
from complaints.services.intake import access_token_hash

pytestmark = pytest.mark.django_db
BODY = {"app_name": "快送外卖", "description": "不给通讯录权限就闪退，还一直弹窗。"}


def post(client, path, body=BODY):
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.mark.urls("benchmarks.baselines")
@pytest.mark.parametrize("path", ["/bench/orm/", "/bench/sql/"])
def test_the_storing_views_store_the_complaint_and_answer_its_number_and_token(path):
    response = post(Client(), path)
    assert response.status_code == 201
    answer = response.json()
    complaint = Complaint.objects.get()
    assert answer["tracking_number"] == complaint.tracking_number
    assert access_token_hash(answer["access_token"]) == complaint.access_token_hash
    assert (complaint.app_name, complaint.description) == (BODY["app_name"], BODY["description"])
    assert complaint.channel == "api" and complaint.status == "submitted"


@pytest.mark.urls("benchmarks.baselines")
def test_the_ceiling_answers_the_same_and_stores_nothing():
    response = post(Client(), "/bench/ceiling/")
    assert response.status_code == 201
    assert set(response.json()) == {"tracking_number", "access_token"}
    assert not Complaint.objects.exists()


@pytest.mark.urls("benchmarks.baselines")
@pytest.mark.parametrize("path", ["/bench/orm/", "/bench/sql/", "/bench/ceiling/"])
def test_bad_bodies_and_wrong_methods_are_refused(path):
    client = Client()
    assert post(client, path, {"app_name": "快送外卖"}).status_code == 400
    assert post(client, path, ["not", "an", "object"]).status_code == 400
    bad = client.post(path, "{", content_type="application/json")
    assert bad.status_code == 400
    assert bad.json() == {"detail": "app_name and description are required"}
    assert client.get(path).status_code == 405
    assert not Complaint.objects.exists()


@pytest.mark.urls("benchmarks.baselines")
def test_the_platform_itself_is_served_beside_them():
    assert post(Client(), "/api/v1/complaints/").status_code == 201


@pytest.mark.parametrize("path", ["/bench/orm/", "/bench/sql/", "/bench/ceiling/"])
def test_production_urls_have_no_baseline_view(path):
    assert post(Client(), path).status_code == 404
    assert not Complaint.objects.exists()


def test_the_naive_aggregate_times_five_runs():
    post(Client(), "/api/v1/complaints/")
    timed = naive_dashboard_aggregate(repetitions=5)
    assert len(timed["runs_ms"]) == 5 and all(t > 0 for t in timed["runs_ms"])
    assert min(timed["runs_ms"]) <= timed["median_ms"] <= max(timed["runs_ms"])
