"""Public pages, no login: the rectification board, app and operator scorecards, published
complaints and the statistics page."""

import pytest
from django.utils import timezone

from complaints.calendar import next_working_day
from complaints.models import Case
from complaints.services import cases as case_services
from complaints.services.statistics import statistics_refresh
from tests.complaints.selectors.stats.test_summary import days_ago, stats_world
from tests.factories import AppFactory

# Deadlines, clocks and day counts: run at each of the dates in tests/clock.py.
pytestmark = [pytest.mark.django_db, pytest.mark.every_date]


def public_world(*, app, other_app, rita, olivia):
    """stats_world, plus an escalated case past its deadline on other_app and a case still
    being prepared (no notice: internal, never on the board)."""
    w = stats_world(app=app, other_app=other_app, rita=rita, olivia=olivia)
    w.overdue = case_services.case_open(
        app=other_app, categories=["fraud"], actor=rita, at=days_ago(40)
    )
    case_services.notice_issue(
        case=w.overdue,
        actor=rita,
        problems="冒充客服退款诈骗。",
        deadline_date=next_working_day(timezone.localdate(days_ago(20))),
        at=days_ago(39),
    )
    case_services.cases_mark_overdue(today=timezone.localdate())
    w.overdue.refresh_from_db()
    case_services.case_escalate(
        case=w.overdue, actor=rita, measure=Case.Escalation.STORE_REMOVAL, reason="逾期未整改"
    )
    w.internal = case_services.case_open(
        app=app, categories=["fraud"], actor=rita, title="内部核查"
    )
    statistics_refresh()
    return w


@pytest.fixture
def world(app, other_app, rita, olivia):
    return public_world(app=app, other_app=other_app, rita=rita, olivia=olivia)


# --- board -----------------------------------------------------------------------------------


def test_board_lists_noticed_cases_most_urgent_first(client, world):
    response = client.get("/board/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(world.overdue.reference) < html.index(world.case.reference)
    assert world.internal.reference not in html
    assert 'data-status="escalated"' in html and 'data-status="under_rectification"' in html
    assert "removal from app stores recommended" in html
    assert 'data-count="escalated"><a href="?status=escalated">1</a>' in html


def test_board_search_and_filters(client, world, other_company):
    assert world.case.reference not in client.get("/board/", {"q": "云途"}).content.decode()
    assert world.overdue.reference in client.get("/board/", {"q": "云途"}).content.decode()
    assert (
        world.overdue.reference
        in client.get("/board/", {"q": world.overdue.reference}).content.decode()
    )
    only_rectifying = client.get("/board/", {"status": "under_rectification"}).content.decode()
    assert (
        world.case.reference in only_rectifying and world.overdue.reference not in only_rectifying
    )
    by_kind = client.get("/board/", {"category": "unauthorized_charges"}).content.decode()
    assert world.case.reference in by_kind and world.overdue.reference not in by_kind
    by_operator = client.get("/board/", {"operator": other_company.pk}).content.decode()
    assert world.overdue.reference in by_operator and world.case.reference not in by_operator


def test_board_with_nothing_found(client, world):
    response = client.get("/board/", {"q": "没有这个应用"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "No case matches your search." in response.content.decode()


def test_board_bad_status_is_400(client, world):
    response = client.get("/board/", {"status": "lost"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert (
        "Select a valid choice. lost is not one of the available choices."
        in response.content.decode()
    )


def test_board_refuses_post(client, world):
    assert client.post("/board/").status_code == 405


# --- scorecards ------------------------------------------------------------------------------


def test_app_scorecard_figures_cases_and_charts(client, world, app):
    response = client.get(f"/apps/{app.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="received">2<' in html and 'data-figure="accepted">2<' in html
    assert 'data-figure="response_rate">50.0%<' in html
    assert 'data-figure="resolution_rate">100.0%<' in html
    assert world.case.reference in html and world.internal.reference not in html
    assert 'id="warning"' not in html  # nothing overdue for this app
    assert 'data-chart="by_month"' in html and 'data-chart="category_mix"' in html
    assert 'href="/api/v1/stats/by_month/?start_date=' in html and f"app={app.pk}" in html


def test_app_scorecard_warns_about_overdue_and_escalated_cases(client, world, other_app):
    response = client.get(f"/apps/{other_app.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'id="warning"' in html
    assert "This app has 1 rectification case that is overdue or escalated." in html
    assert "removal from app stores recommended" in html


def test_app_without_complaints_has_an_empty_scorecard(client, world):
    quiet = AppFactory(name="安静的应用")
    response = client.get(f"/apps/{quiet.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert 'data-figure="received">0<' in response.content.decode()
    assert "No rectification notice so far." in response.content.decode()


def test_operator_scorecard_covers_its_apps(client, world, other_company, other_app):
    response = client.get(f"/operators/{other_company.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert other_app.name in html and world.overdue.reference in html
    assert "This operator's apps have 1 rectification case that is overdue or escalated." in html
    assert 'data-figure="received">2<' in html


def test_scorecards_unknown_id_and_wrong_method(client, world, app, company):
    assert client.get("/apps/999999/").status_code == 404
    assert client.get("/operators/999999/").status_code == 404
    assert client.post(f"/apps/{app.pk}/").status_code == 405
    assert client.post(f"/operators/{company.pk}/").status_code == 405


# --- published complaints --------------------------------------------------------------------


def test_published_shows_only_consented_accepted_complaints_masked(client, world):
    response = client.get("/published/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-complaint="{world.confirmed.pk}"' in html
    assert "13812345678" not in html and "138****5678" in html
    for hidden in (world.relabelled, world.rejected, world.waiting, world.unmatched):
        assert f'data-complaint="{hidden.pk}"' not in html
    assert "1 published complaint" in html


def test_published_filters_by_app_and_kind(client, world, app, other_app):
    assert (
        f'data-complaint="{world.confirmed.pk}"'
        in client.get("/published/", {"app": app.pk}).content.decode()
    )
    assert (
        f'data-complaint="{world.confirmed.pk}"'
        not in client.get("/published/", {"app": other_app.pk}).content.decode()
    )
    assert (
        f'data-complaint="{world.confirmed.pk}"'
        in client.get("/published/", {"category": "unauthorized_charges"}).content.decode()
    )
    assert (
        f'data-complaint="{world.confirmed.pk}"'
        not in client.get("/published/", {"category": "fraud"}).content.decode()
    )


def test_published_pages_with_a_cursor(client, world, app, rita):
    from complaints.services import triage
    from tests.factories import make_complaint

    for n in range(21):
        c = make_complaint(
            app=app,
            submitted_at=days_ago(3, hour=8 + n % 10),
            consent_publish=True,
            description=f"第{n}条：弹窗关不掉。",
        )
        triage.complaint_accept(complaint=c, actor=rita, category_codes=["misleading_popups"])
    first = client.get("/published/", {"app": app.pk}).content.decode()
    assert first.count('data-complaint="') == 20
    next_link = (
        first.split('rel="next"')[0].rsplit('href="?', 1)[1].split('"')[0].replace("&amp;", "&")
    )
    second = client.get("/published/?" + next_link).content.decode()
    assert second.count('data-complaint="') == 2
    assert f'data-complaint="{world.confirmed.pk}"' in second  # the oldest comes last


def test_published_bad_cursor_is_400(client, world):
    response = client.get("/published/", {"before": "yesterday"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "That page link is not valid." in response.content.decode()


def test_published_refuses_post(client, world):
    assert client.post("/published/").status_code == 405


# --- statistics ------------------------------------------------------------------------------


def test_statistics_page(client, world):
    response = client.get("/statistics/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="received">5<' in html and 'data-figure="accepted">2<' in html
    assert 'data-figure="cases">3<' in html
    for key in ("by_month", "category_mix", "top_apps", "top_operators", "cases_by_status"):
        assert f'data-chart="{key}"' in html
        assert f'href="/api/v1/stats/{key}/?' in html


def test_statistics_bad_dates_and_post(client, world):
    response = client.get("/statistics/", {"start_date": "2026-02-30"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "Enter a valid date." in response.content.decode()
    assert client.post("/statistics/").status_code == 405
