"""The regulator dashboard (figures, a table and chart data for every chart, CSV downloads,
filters) and the operator dashboard, with the permission checklist for each."""

import csv
import io
import json
import re

import pytest
from django.utils import timezone

from complaints.selectors.stats import DASHBOARD_TABLES
from complaints.services import triage
from complaints.services.statistics import statistics_refresh
from tests.complaints.selectors.stats.test_summary import days_ago, model_labels, stats_world
from tests.factories import AppFactory, make_complaint

# Deadlines, clocks and day counts: run at each of the dates in tests/clock.py.
pytestmark = [pytest.mark.django_db, pytest.mark.every_date]


@pytest.fixture
def world(app, other_app, rita, olivia):
    w = stats_world(app=app, other_app=other_app, rita=rita, olivia=olivia)
    statistics_refresh()
    return w


def figure(response, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', response.content.decode())
    assert match, name
    return match.group(1)


def chart_data(response, key: str) -> dict:
    match = re.search(
        rf'<script id="data-{key}" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert match, key
    return json.loads(match.group(1))


# --- regulator dashboard ---------------------------------------------------------------------


def test_dashboard_shows_figures_and_every_chart_with_its_table(client, rita, world):
    client.force_login(rita)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert figure(response, "received") == "5"
    assert figure(response, "accepted") == "2"
    assert (
        figure(response, "backlog") == "2"
    )  # the one waiting past its deadline and the unmatched one
    assert figure(response, "decision_overdue") == "1"
    assert figure(response, "open_cases") == "1"
    assert figure(response, "operator_response_rate") == "50.0%"  # one of two sent was answered
    assert figure(response, "operator_on_time_rate") == "100.0%"
    assert figure(response, "auto_routed_share") == "33.3%"  # 0.92 of 0.92, 0.41, 0.55
    html = response.content.decode()
    for key in DASHBOARD_TABLES:
        assert f'data-chart="{key}"' in html
        assert f'<table data-table="{key}">' in html
        assert f'href="/dashboard/csv/{key}/?' in html
    assert 'src="/static/vendor/echarts/echarts.min.js"' in html
    funnel = {row[0]: row[2] for row in chart_data(response, "funnel")["rows"]}
    assert funnel == {
        "received": 5,
        "accepted": 2,
        "cases": 1,
        "noticed": 1,
        "rectified": 0,
        "overdue": 0,
        "escalated": 0,
    }


def test_relabel_rate_and_category_mix_tables(client, rita, world):
    client.force_login(rita)
    response = client.get("/dashboard/")
    relabel = {row[0]: row[2:] for row in chart_data(response, "relabel_rate")["rows"]}
    assert relabel["fraud"] == [1, 1, 1.0]
    assert relabel["unauthorized_charges"] == [1, 1, 1.0]
    mix = {row[0]: row[2] for row in chart_data(response, "category_mix")["rows"]}
    assert mix == {"unauthorized_charges": 2, "fraud": 2, "": 2}  # "" = not labelled yet


def test_a_filter_changes_the_numbers(client, rita, world, app, company):
    client.force_login(rita)
    fraud = client.get("/dashboard/", {"category": "fraud"})
    assert figure(fraud, "received") == "2"
    assert '<option value="fraud" selected>' in fraud.content.decode()
    assert figure(client.get("/dashboard/", {"app": app.pk}), "received") == "2"
    assert figure(client.get("/dashboard/", {"operator": company.pk}), "received") == "2"
    week = timezone.localdate(days_ago(2)).isoformat()
    assert figure(client.get("/dashboard/", {"start_date": week}), "received") == "0"


def test_filters_show_the_dates_in_use(client, rita, world):
    client.force_login(rita)
    html = client.get("/dashboard/").content.decode()
    assert f'name="end_date" value="{timezone.localdate().isoformat()}"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"start_date": "2026-05-02", "end_date": "2026-05-01"},
            "The start date must not be after the end date.",
        ),
        (
            {"start_date": "2020-01-01", "end_date": "2026-01-01"},
            "Choose a range of at most 1098 days.",
        ),
        (
            {"category": "nonsense"},
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        ({"start_date": "yesterday"}, "Enter a valid date."),
    ],
)
def test_bad_filters_answer_400_with_the_message(client, rita, world, query, message):
    client.force_login(rita)
    response = client.get("/dashboard/", query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "data-chart=" not in response.content.decode()


def test_app_of_another_operator_is_refused(client, rita, world, app, other_company):
    client.force_login(rita)
    response = client.get(
        "/dashboard/", {"app": app.pk, "operator": other_company.pk}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "That app is not run by that operator." in response.content.decode()


def test_dashboard_permissions(client, world, alice, olivia):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith(
        "/accounts/login/?next=/dashboard/"
    )
    for person in (alice, olivia):
        client.force_login(person)
        assert client.get("/dashboard/").status_code == 403
        assert client.get("/dashboard/csv/funnel/").status_code == 403


def test_dashboard_refuses_post(client, rita, world):
    client.force_login(rita)
    assert client.post("/dashboard/").status_code == 405
    assert client.post("/dashboard/csv/funnel/").status_code == 405


def test_csv_download_matches_the_table(client, rita, world):
    client.force_login(rita)
    response = client.get("/dashboard/csv/top_apps/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment;" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["App id", "App", "Operator", "Complaints"]
    assert [r[1:] for r in rows[1:]] == [
        ["快送外卖", "甲科技有限公司", "2"],
        ["云途出行", "乙网络有限公司", "2"],
    ]


def test_csv_follows_the_filter_and_checks_it(client, rita, world):
    client.force_login(rita)
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/dashboard/csv/category_mix/", {"category": "fraud"}).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert [r[0] for r in rows[1:]] == ["fraud"]
    response = client.get("/dashboard/csv/funnel/", {"end_date": "bad"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and response.content.decode() == "Enter a valid date."


def test_csv_of_an_unknown_table_is_404(client, rita, world):
    client.force_login(rita)
    assert client.get("/dashboard/csv/nonsense/").status_code == 404


def test_dashboard_query_count_does_not_grow_with_complaints(
    client, rita, world, django_assert_max_num_queries, app
):
    client.force_login(rita)
    client.get("/dashboard/")
    with django_assert_max_num_queries(45) as small:
        client.get("/dashboard/")
    for _ in range(15):
        c = make_complaint(app=AppFactory(), submitted_at=days_ago(3))
        model_labels(c, ["fraud"], 0.7)
        triage.complaint_accept(complaint=c, actor=rita)
    statistics_refresh()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/dashboard/")


# --- operator dashboard ----------------------------------------------------------------------


def test_operator_dashboard_shows_own_clocks_and_notices(client, olivia, world, app, rita):
    waiting = make_complaint(app=app, submitted_at=days_ago(4))
    model_labels(waiting, ["fraud"], 0.9)
    triage.complaint_accept(complaint=waiting, actor=rita, at=days_ago(3))
    statistics_refresh()
    client.force_login(olivia)
    response = client.get("/operator/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert waiting.tracking_number in html
    assert world.confirmed.tracking_number not in html  # answered: no clock any more
    assert world.case.reference in html
    assert world.relabelled.tracking_number in html  # accepted, not answered yet
    assert figure(response, "waiting") == "2"
    assert 'data-row="response_rate"' in html
    assert 'href="/operator/"' in html


def test_operator_dashboard_hides_other_operators_complaints(client, oscar, world, app, rita):
    waiting = make_complaint(app=app, submitted_at=days_ago(4))
    model_labels(waiting, ["fraud"], 0.9)
    triage.complaint_accept(complaint=waiting, actor=rita, at=days_ago(3))
    client.force_login(oscar)
    html = client.get("/operator/dashboard/").content.decode()
    assert waiting.tracking_number not in html and world.case.reference not in html


def test_operator_dashboard_permissions(client, world, alice, rita):
    assert client.get("/operator/dashboard/").status_code == 302
    for person in (alice, rita):
        client.force_login(person)
        assert client.get("/operator/dashboard/").status_code == 403


def test_operator_dashboard_refuses_post(client, olivia, world):
    client.force_login(olivia)
    assert client.post("/operator/dashboard/").status_code == 405
