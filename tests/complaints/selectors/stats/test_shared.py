"""Figures shared by every reader for a few seconds: a new complaint shows within the bound,
no audience, filter or language reads another's figures, and one reader counts while the
others serve the last value or wait for the first."""

import datetime
import json
import re
import threading
import time

import pytest
from django.core.cache import cache
from django.utils import timezone

from complaints.selectors.stats import shared
from complaints.selectors.stats.shared import (
    PUBLIC,
    REGULATOR,
    Shared,
    held_figures,
    shared_figures,
)
from complaints.services import cases as case_services
from complaints.services.statistics import statistics_refresh
from tests.clock import stopped_at as at
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db

FRESH = 5


@pytest.fixture(autouse=True)
def sharing(settings):
    settings.STATS_SHARED_SECONDS = FRESH


def figure(response, name: str) -> str:
    match = re.search(rf'data-figure="{name}">([^<]*)<', response.content.decode())
    assert match, name
    return match.group(1)


def later(seconds: float):
    return at(timezone.now(), seconds)


def keys() -> list[str]:
    return [k for k in cache._cache if ":shared-figures:" in k]  # the test's LocMemCache


def test_a_new_complaint_shows_on_the_dashboard_within_the_freshness_bound(client, rita, app):
    make_complaint(app=app)
    statistics_refresh()
    client.force_login(rita)
    counted_at = timezone.now()
    with at(counted_at):
        assert figure(client.get("/dashboard/"), "received") == "1"
        answer = client.get("/api/v1/stats/dashboard/").json()
    assert answer["figures"]["received"] == 1
    assert datetime.datetime.fromisoformat(answer["computed_at"]) == counted_at

    make_complaint(app=app)
    statistics_refresh()
    with at(counted_at, FRESH - 0.5):
        # Inside the bound every regulator reads the figures counted before it came.
        assert figure(client.get("/dashboard/"), "received") == "1"
        assert client.get("/api/v1/stats/dashboard/").json()["figures"]["received"] == 1
    with at(counted_at, FRESH + 0.1):
        response = client.get("/dashboard/")
        assert figure(response, "received") == "2"
        funnel = re.search(
            r'<script id="data-funnel" type="application/json">(.*?)</script>',
            response.content.decode(),
            re.S,
        )
        assert {row[0]: row[2] for row in json.loads(funnel.group(1))["rows"]}["received"] == 2
        assert client.get("/api/v1/stats/dashboard/").json()["figures"]["received"] == 2
        counted = timezone.localtime(timezone.now()).strftime("%H:%M:%S")
        assert f"数据截至 {counted}。" in response.content.decode()


def test_each_filter_has_its_own_figures(client, rita, app, other_app):
    make_complaint(app=app)
    make_complaint(app=app)
    make_complaint(app=other_app)
    statistics_refresh()
    client.force_login(rita)
    assert figure(client.get(f"/dashboard/?app={app.pk}"), "received") == "2"
    assert figure(client.get(f"/dashboard/?app={other_app.pk}"), "received") == "1"
    assert figure(client.get("/dashboard/"), "received") == "3"
    answer = client.get(f"/api/v1/stats/dashboard/?app={other_app.pk}").json()
    assert answer["figures"]["received"] == 1


def test_each_language_has_its_own_page(client, rita, app):
    make_complaint(app=app)
    statistics_refresh()
    client.force_login(rita)
    with at(timezone.now()):  # both counted at the same instant: only the language tells
        chinese = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        english = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "数据截至" in chinese and "Rectification funnel" not in chinese
    assert "Figures as of" in english and "Rectification funnel" in english


def test_staff_figures_are_kept_apart_from_public_ones(client, rita, app):
    make_complaint(app=app)
    statistics_refresh()
    client.force_login(rita)
    client.get("/dashboard/")
    client.get("/api/v1/stats/dashboard/")
    staff = keys()
    assert staff and all(f":{REGULATOR}:" in k for k in staff), staff

    client.logout()
    # An anonymous reader gets no dashboard, filled cache or not.
    assert client.get("/dashboard/").status_code == 302
    assert client.get("/api/v1/stats/dashboard/").status_code in (401, 403)
    assert client.get("/board/").status_code == 200
    assert client.get("/api/v1/public/board/").status_code == 200
    assert client.get(f"/apps/{app.pk}/").status_code == 200
    public = [k for k in keys() if k not in staff]
    assert public and all(f":{PUBLIC}:" in k for k in public), public


def test_a_case_on_the_board_shows_within_the_bound(client, app, rita):
    counted_at = timezone.now()
    with at(counted_at):
        assert client.get("/api/v1/public/board/").json()["count"] == 0
        html = client.get("/board/").content.decode()
    shown = timezone.localtime(counted_at).strftime("%H:%M:%S")
    assert f"数据截至 {shown}。" in html
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita)
    case_services.notice_issue(case=case, actor=rita, problems="Fake refunds.")
    with at(counted_at, FRESH - 0.5):
        assert client.get("/api/v1/public/board/").json()["count"] == 0
        assert case.reference not in client.get("/board/").content.decode()
    with at(counted_at, FRESH + 0.1):
        answer = client.get("/api/v1/public/board/").json()
        assert answer["count"] == 1 and answer["results"][0]["reference"] == case.reference
        assert case.reference in client.get("/board/").content.decode()


def test_shared_board_pages_match_the_live_board(
    client, app, other_app, rita, settings, monkeypatch
):
    monkeypatch.setattr("complaints.views.public.BOARD_PAGE_SIZE", 1)
    references = []
    for target in (app, other_app):
        case = case_services.case_open(app=target, categories=["fraud"], actor=rita)
        case_services.notice_issue(case=case, actor=rita, problems="Fake refunds.")
        references.append(case.reference)

    def shown(page: str) -> list[str]:
        html = client.get(f"/board/?page={page}").content.decode()
        return [r for r in references if r in html] + re.findall(r"Page \d+ of \d+|第.*?页", html)

    pages = ("1", "2", "3", "x")
    settings.STATS_SHARED_SECONDS = 0
    live = [shown(page) for page in pages]
    settings.STATS_SHARED_SECONDS = FRESH
    assert [shown(page) for page in pages] == live
    assert live[0][:1] != live[1][:1] and live[2] == live[1] and live[3] == live[0]


def test_one_reader_counts_while_the_others_serve_the_last_value():
    calls = []
    first = shared_figures(PUBLIC, "sums", (1,), lambda: calls.append(1) or "first")
    assert first.value == "first" and calls == [1]
    key = shared.cache_key(PUBLIC, "sums", (1,))
    with later(FRESH + 1):
        assert cache.add(f"{key}:lock", 1)  # another process is counting
        again = shared_figures(PUBLIC, "sums", (1,), lambda: calls.append(2) or "second")
        assert again == first and calls == [1]
        cache.delete(f"{key}:lock")
        again = shared_figures(PUBLIC, "sums", (1,), lambda: calls.append(2) or "second")
        assert again.value == "second" and calls == [1, 2]


def test_the_first_readers_wait_for_the_one_counting(monkeypatch):
    key = shared.cache_key(PUBLIC, "sums", ())
    assert cache.add(f"{key}:lock", 1)  # another process is counting, nothing cached yet
    counted = Shared("theirs", timezone.now())
    threading.Timer(0.2, lambda: cache.set(key, counted)).start()
    started = time.monotonic()
    found = shared_figures(PUBLIC, "sums", (), lambda: "mine")
    assert found == counted and time.monotonic() - started < shared.WAIT_SECONDS


def test_many_readers_at_once_count_once():
    calls = []
    results = []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return "figures"

    def read():
        results.append(shared_figures(REGULATOR, "sums", (), compute).value)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == ["figures"] * 8


def test_a_held_value_is_served_without_the_cache_while_fresh_and_no_longer(monkeypatch):
    started = timezone.now()
    with at(started):
        assert held_figures(PUBLIC, "page", (), lambda: "first").value == "first"
    reads = []
    read = shared._get
    monkeypatch.setattr(shared, "_get", lambda key: reads.append(key) or read(key))
    with at(started, FRESH - 0.5):
        assert held_figures(PUBLIC, "page", (), lambda: "second").value == "first"
    assert reads == []
    with at(started, FRESH + 1):
        assert held_figures(PUBLIC, "page", (), lambda: "second").value == "second"
    assert len(reads) == 1


def test_a_stale_value_served_while_another_process_counts_is_not_held():
    started = timezone.now()
    with at(started):
        first = held_figures(PUBLIC, "page", (), lambda: "first")
    key = shared.cache_key(PUBLIC, "page", ())
    with at(started, FRESH + 1):
        assert cache.add(f"{key}:lock", 1)  # another process is counting
        assert held_figures(PUBLIC, "page", (), lambda: "mine") == first
        theirs = Shared("theirs", timezone.now())
        cache.set(key, theirs)
        assert held_figures(PUBLIC, "page", (), lambda: "mine") == theirs


def test_unknown_audience_is_refused():
    with pytest.raises(ValueError):
        shared.cache_key("operator", "sums", ())
