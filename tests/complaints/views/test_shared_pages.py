"""Pages rendered once and shared for STATS_SHARED_SECONDS (views/shared_pages.py): each reader
still gets their own language, menu and CSRF token, the "as of" time is the figures', a new
rendering comes once the period has passed, and shared API answers carry an ETag."""

import datetime
import re

import pytest
from django.utils import timezone

from complaints.api import public as public_api
from complaints.services import cases as case_services
from tests.clock import stopped_at as at
from tests.factories import AppFactory

pytestmark = pytest.mark.django_db

FRESH = 5


@pytest.fixture(autouse=True)
def sharing(settings):
    settings.STATS_SHARED_SECONDS = FRESH


def as_of(html: str) -> str:
    match = re.search(r'id="computed-at">[^<]*?(\d\d:\d\d:\d\d)', html)
    assert match, "no 'as of' time"
    return match.group(1)


def clock_time(moment: datetime.datetime) -> str:
    return timezone.localtime(moment).strftime("%H:%M:%S")


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def rendered(response) -> set[str]:
    return {t.name for t in response.templates}


def noticed_case(app, rita):
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita)
    case_services.notice_issue(case=case, actor=rita, problems="Fake refunds.")
    return case


def test_board_is_rendered_once_a_period_and_says_when(client, app, rita):
    started = timezone.now()
    with at(started):
        first = client.get("/board/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert as_of(first) == clock_time(started)
    case = noticed_case(app, rita)
    with at(started, FRESH - 0.5):
        same = client.get("/board/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert case.reference not in same and as_of(same) == clock_time(started)
    with at(started, FRESH + 1):
        later = client.get("/board/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert case.reference in later
    assert as_of(later) == clock_time(started + datetime.timedelta(seconds=FRESH + 1))


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("/board/", "complaints/public/_board.html"),
        ("/apps/{app}/", "complaints/public/_scorecard.html"),
    ],
)
def test_the_shared_part_is_rendered_once_a_period(client, app, path, fragment):
    url = path.format(app=app.pk)
    started = timezone.now()
    with at(started):
        first = client.get(url)
    with at(started, FRESH - 0.5):
        second = client.get(url)
    with at(started, FRESH + 1):
        third = client.get(url)
    assert fragment in rendered(first)
    assert fragment not in rendered(second) and "base.html" in rendered(second)
    assert fragment in rendered(third)
    assert second.content.decode().count(as_of(first.content.decode())) == 1


def test_app_page_is_rendered_once_a_period_and_says_when(client, app, rita):
    started = timezone.now()
    with at(started):
        first = client.get(f"/apps/{app.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'id="warning"' not in first and as_of(first) == clock_time(started)
    case = noticed_case(app, rita)
    with at(started, FRESH - 0.5):
        same = client.get(f"/apps/{app.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert case.reference not in same
    with at(started, FRESH + 1):
        later = client.get(f"/apps/{app.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert case.reference in later
    assert as_of(later) == clock_time(started + datetime.timedelta(seconds=FRESH + 1))


@pytest.mark.parametrize("path", ["/board/", "/apps/{app}/"])
def test_each_language_gets_its_own_page(client, app, rita, path):
    noticed_case(app, rita)
    url = path.format(app=app.pk)
    with at(timezone.now()):
        chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        english = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        chinese_again = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "数据截至" in chinese and "Figures as of" not in chinese
    assert "Figures as of" in english and "数据截至" not in english
    assert "数据截至" in chinese_again and "Figures as of" not in chinese_again


@pytest.mark.parametrize("path", ["/board/", "/apps/{app}/"])
def test_nothing_personal_is_shared(client, app, rita, path):
    """A regulator renders the shared part first; an anonymous reader then gets the same
    figures but their own menu and CSRF token, and nothing of the regulator's."""
    noticed_case(app, rita)
    url = path.format(app=app.pk)
    with at(timezone.now()):
        client.force_login(rita)
        regulator = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        client.logout()
        public = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert rita.username in regulator and 'href="/triage/"' in regulator
    assert rita.username not in public and 'href="/triage/"' not in public
    assert "Log in" in public
    assert csrf_token(public) != csrf_token(regulator)
    assert as_of(public) == as_of(regulator)


@pytest.mark.parametrize("path", ["/board/", "/apps/{app}/"])
def test_shared_pages_keep_their_headers(client, app, path):
    url = path.format(app=app.pk)
    with at(timezone.now()):
        client.get(url)
        response = client.get(url)
    assert "default-src" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert "Accept-Language" in response["Vary"]


def test_board_filters_and_pages_are_kept_apart(client, app, other_app, rita):
    fraud = noticed_case(app, rita)
    charges = case_services.case_open(
        app=other_app, categories=["unauthorized_charges"], actor=rita
    )
    case_services.notice_issue(case=charges, actor=rita, problems="Hidden renewals.")
    with at(timezone.now()):
        everything = client.get("/board/").content.decode()
        only_fraud = client.get("/board/", {"category": "fraud"}).content.decode()
        # A spelling of the same filter reads the same shared page, shown as the filter.
        spelled = client.get("/board/", {"category": "fraud", "q": "  "}).content.decode()
    assert fraud.reference in everything and charges.reference in everything
    assert fraud.reference in only_fraud and charges.reference not in only_fraud
    assert charges.reference not in spelled
    assert '<option value="fraud" selected>' in spelled


def test_board_api_answers_if_none_match_with_304(client, app, rita):
    started = timezone.now()
    with at(started):
        first = client.get("/api/v1/public/board/", HTTP_ACCEPT_LANGUAGE="en")
        etag = first["ETag"]
        again = client.get(
            "/api/v1/public/board/", HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_NONE_MATCH=etag
        )
        other_language = client.get(
            "/api/v1/public/board/", HTTP_ACCEPT_LANGUAGE="zh-hans", HTTP_IF_NONE_MATCH=etag
        )
        other_filter = client.get(
            "/api/v1/public/board/?status=overdue", HTTP_ACCEPT_LANGUAGE="en",
            HTTP_IF_NONE_MATCH=etag,
        )  # fmt: skip
    assert first.status_code == 200 and first.json()["count"] == 0
    assert again.status_code == 304 and again["ETag"] == etag and again.content == b""
    assert other_language.status_code == 200 and other_language["ETag"] != etag
    assert other_filter.status_code == 200
    noticed_case(app, rita)
    with at(started, FRESH + 1):
        recounted = client.get(
            "/api/v1/public/board/", HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_NONE_MATCH=etag
        )
    assert recounted.status_code == 200 and recounted.json()["count"] == 1
    assert recounted["ETag"] != etag


def test_board_api_next_link_is_made_from_the_filter(client, app, other_app, rita, monkeypatch):
    monkeypatch.setattr(public_api, "BOARD_PAGE_SIZE", 1)
    noticed_case(app, rita)
    noticed_case(other_app, rita)
    with at(timezone.now()):
        answer = client.get("/api/v1/public/board/?category=fraud&utm=x").json()
    assert answer["next"] == "http://testserver/api/v1/public/board/?category=fraud&page=2"


def test_dashboard_api_answers_if_none_match_with_304(client, rita):
    client.force_login(rita)
    started = timezone.now()
    with at(started):
        first = client.get("/api/v1/stats/dashboard/")
        again = client.get("/api/v1/stats/dashboard/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert first.status_code == 200 and again.status_code == 304
    with at(started, FRESH + 1):
        recounted = client.get("/api/v1/stats/dashboard/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert recounted.status_code == 200 and recounted["ETag"] != first["ETag"]
    client.logout()
    # The tag opens nothing to the public.
    with at(started):
        anonymous = client.get("/api/v1/stats/dashboard/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert anonymous.status_code in (401, 403)


def test_dashboard_filters_are_rendered_once_a_period_for_what_was_typed(client, rita, app):
    client.force_login(rita)
    started = timezone.now()
    with at(started):
        first = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
        chosen = client.get(f"/dashboard/?app={app.pk}", HTTP_ACCEPT_LANGUAGE="en")
        chinese = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    newcomer = AppFactory(name="新来的应用")
    with at(started, FRESH - 0.5):
        second = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
    with at(started, FRESH + 1):
        third = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
    assert "complaints/dashboard/_filters.html" in rendered(first)
    assert "complaints/dashboard/_filters.html" not in rendered(second)
    assert f'<option value="{app.pk}" selected>' in chosen.content.decode()
    assert f'<option value="{app.pk}" selected>' not in second.content.decode()
    assert (
        "Apply filters" in first.content.decode()
        and "Apply filters" not in chinese.content.decode()
    )
    assert newcomer.name not in second.content.decode()
    assert f'<option value="{newcomer.pk}">' in third.content.decode()
    assert 'class="button" href="/dashboard/"' in third.content.decode()


def summary_age(html: str) -> int:
    match = re.search(r'id="summary-age">Figures updated (\d+) s ago', html)
    assert match, "no summary age"
    return int(match.group(1))


def test_dashboard_body_is_rendered_once_a_period_and_its_summary_age_each_time(client, rita):
    client.force_login(rita)
    started = timezone.now()
    with at(started):
        first = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
        chinese = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    with at(started, FRESH - 0.5):
        second = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
    with at(started, FRESH + 1):
        third = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en")
    body = "complaints/dashboard/_body.html"
    assert body in rendered(first) and body in rendered(chinese)
    assert body not in rendered(second) and body in rendered(third)
    first, second, third = (r.content.decode() for r in (first, second, third))
    assert "At a glance" in second and "At a glance" not in chinese.content.decode()
    assert as_of(second) == clock_time(started)
    assert as_of(third) == clock_time(started + datetime.timedelta(seconds=FRESH + 1))
    # The summary's age is the reader's own: it grows while the shared rendering stands.
    assert summary_age(second) - summary_age(first) in {4, 5}
