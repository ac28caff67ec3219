"""The one-page filing form (/file/quick/): every step's fields as the step pages label them,
rendered once a period per language and shared, with nothing personal in the shared part,
and the way to the step pages for browsers without JavaScript. Anonymous visitors get the
whole page shared, with their own CSRF token and address filled in. Its browser journey is
tests/browser/test_journey_one_page_filing.py."""

import json
import re

import pytest
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from complaints.services.statistics import statistics_refresh
from complaints.views import intake
from complaints.views.shared_pages import templates_version
from tests.clock import stopped_at as at
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db

URL = "/file/quick/"
FRESH = 5


@pytest.fixture(autouse=True)
def sharing(settings):
    settings.STATS_SHARED_SECONDS = FRESH


def page(client, language: str = "en") -> str:
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def strings(html: str) -> dict:
    found = re.search(r'<script id="filing-strings" type="application/json">(.*?)</script>', html)
    return json.loads(found.group(1))


def test_every_step_is_a_section_with_the_step_pages_labels(client):
    html = page(client)
    for step in ("app", "what", "evidence", "contact", "review"):
        assert f'data-step="{step}"' in html
    # A details section for each kind that has details, its fields named apart by a prefix.
    for kind in (
        "over_permission",
        "price_discrimination",
        "fraud",
        "unauthorized_charges",
        "account_cancellation",
    ):
        assert f'data-step="details" data-kind="{kind}"' in html
    assert 'name="details-over_permission-permissions" value="contacts"' in html
    assert 'name="details-fraud-amount_lost"' in html
    # The same labels as the step pages.
    for label in (
        '<label for="id_app_name">App name</label>',
        '<label for="id_description">What happened?</label>',
        "Did the app refuse to work without them?",
        '<label for="id_files">Screenshots, photos, receipts (optional)</label>',
        '<label for="id_contact_email">Email (optional)</label>',
        "Share my files and the amount involved with the app&#x27;s operator",
    ):
        assert label in html, label
    # Without a list to choose from, the typed name is what the browser asks for; the
    # registry's apps are offered as it is typed.
    app_name = re.search(r'<input type="text" name="app_name"[^>]*>', html).group()
    assert " required" in app_name and 'list="app-suggestions"' in app_name
    assert '<datalist id="app-suggestions"></datalist>' in html
    assert 'data-app-search="/api/v1/public/apps/"' in html
    assert 'data-api="/api/v1/complaints/"' in html
    assert '<script src="/static/js/filing.js" defer></script>' in html


def test_without_javascript_the_form_stays_hidden_and_the_step_pages_are_offered(client):
    html = page(client)
    assert re.search(r'<form class="one-page-form" [^>]*\bhidden>', html)
    noscript = re.search(r"<noscript>(.*?)</noscript>", html, re.S).group(1)
    assert 'href="/file/"' in noscript and "Use the step-by-step form" in noscript


def test_the_home_page_leads_to_it(client):
    home = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<a class="button primary" href="{URL}">File a complaint</a>' in home


def test_the_scripts_words_come_from_the_page_in_its_language(client):
    english, chinese = strings(page(client, "en")), strings(page(client, "zh-hans"))
    assert english.keys() == chinese.keys()
    assert english["progress"] == "Step {n} of {count}"
    assert chinese["progress"] == "第 {n} 步，共 {count} 步"
    for key in english:
        assert english[key] != chinese[key], key


def test_the_apps_named_most_are_offered_as_the_search_answers(client, app, other_app):
    """Offered before anything is typed (filing.js), in the shape of the app search's answer,
    the same in every language; counted as the last statistics refresh left them."""
    make_complaint(app=other_app)
    make_complaint(app=other_app)
    make_complaint(app=app)
    started = timezone.now()

    def offered(language: str, period: int) -> list[dict]:
        with at(started, FRESH * period):  # rendered again each period
            html = page(client, language)
        found = re.search(
            r'<script id="apps-named-most" type="application/json">(.*?)</script>', html
        )
        return json.loads(found.group(1))

    assert offered("en", 0) == []  # not counted yet
    statistics_refresh()
    expected = [
        {"id": other_app.pk, "name": "云途出行", "package_name": "com.yuntu.ride"},
        {"id": app.pk, "name": "快送外卖", "package_name": "com.kuaisong.food"},
    ]
    assert offered("en", 0) == []  # shared for the period
    assert offered("en", 1) == offered("zh-hans", 1) == expected
    search = client.get("/api/v1/public/apps/", {"q": "云途出行"}, HTTP_ACCEPT="application/json")
    assert search.json()["results"][0] == expected[0]


def rendered(response) -> set[str]:
    return {t.name for t in response.templates}


def csrf_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_an_anonymous_visitors_page_is_rendered_once_a_period(client):
    started = timezone.now()
    with at(started):
        first = client.get(URL)
    with at(started, FRESH - 0.5):
        second = client.get(URL)
    with at(started, FRESH + 1):
        third = client.get(URL)
    page = {"base.html", "complaints/file/one_page.html", "complaints/file/_one_page.html"}
    assert page <= rendered(first)
    assert rendered(second) == set()
    assert page <= rendered(third)


def test_a_signed_in_visitors_page_around_the_sections_is_their_own(client, alice):
    client.force_login(alice)
    started = timezone.now()
    with at(started):
        first = client.get(URL)
    with at(started, FRESH - 0.5):
        second = client.get(URL)
    assert "complaints/file/_one_page.html" in rendered(first)
    assert "complaints/file/_one_page.html" not in rendered(second)
    assert "base.html" in rendered(second)


def test_the_shared_page_is_what_the_visitor_would_get_rendered_for_them(client):
    """The page rendered once, its slots filled in, against the same page rendered for this
    request with the context processors, the address with a query string to escape."""
    path = URL + '?from=home&note="<b>'
    with at(timezone.now()):
        client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
        response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    shared = response.content.decode()
    assert rendered(response) == set()  # from the shared copy
    with translation.override("en"):
        sections = render_to_string(intake.ONE_PAGE_SECTIONS, intake._one_page_context())
        own = render(response.wsgi_request, intake.ONE_PAGE, {"content": sections})
    own = own.content.decode()
    assert 'name="next" type="hidden" value="/file/quick/?from=home&amp;note=%22%3Cb%3E"' in own
    assert csrf_token(shared) != csrf_token(own)  # each masked anew
    assert shared.replace(csrf_token(shared), "token") == own.replace(csrf_token(own), "token")


def test_the_shared_page_is_cleared_of_bidi_controls_where_it_is_rendered(client, monkeypatch):
    """Cleared once, when rendered, not by the middleware on each request: a control in what
    the page is made of is gone, and one in the visitor's own address stays percent-encoded."""
    made = intake._one_page_context

    def with_an_override():
        context = made()
        first, *others = context["steps"]
        context["steps"] = (intake.Step(first.name, "Which\u202e app\u2066?"), *others)
        return context

    monkeypatch.setattr(intake, "_one_page_context", with_an_override)
    with at(timezone.now()):
        response = client.get(URL + "?note=%E2%80%AEexe.jpg", HTTP_ACCEPT_LANGUAGE="en")
    shared = response.content.decode()
    assert rendered(response)  # rendered now, for the copy
    assert "Which app?" in shared
    assert not re.search("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]", shared)
    assert 'value="/file/quick/?note=%E2%80%AEexe.jpg"' in shared


def test_two_anonymous_visitors_get_their_own_token_each_good_for_their_own_cookie():
    mei, lei = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)

    def switch(visitor, token: str) -> int:
        data = {"language": "zh-hans", "next": URL, "csrfmiddlewaretoken": token}
        return visitor.post("/i18n/setlang/", data).status_code

    with at(timezone.now()):
        mei_page = mei.get(URL, HTTP_ACCEPT_LANGUAGE="en")
        lei_page = lei.get(URL, HTTP_ACCEPT_LANGUAGE="en")
        assert rendered(lei_page) == set()  # the copy Mei's visit rendered
        mei_token = csrf_token(mei_page.content.decode())
        lei_token = csrf_token(lei_page.content.decode())
        assert mei_token != lei_token
        assert mei.cookies["csrftoken"].value != lei.cookies["csrftoken"].value
        # The other's token is refused with one's own cookie; one's own is taken.
        assert switch(mei, lei_token) == 403 and switch(lei, mei_token) == 403
        assert switch(mei, mei_token) == 302 and switch(lei, lei_token) == 302
        for visitor in (mei, lei):
            chinese = visitor.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
            assert '<html lang="zh-Hans">' in chinese and "发生了什么" in chinese


def test_the_shared_page_keeps_the_headers_and_sets_the_csrf_cookie(client, alice):
    with at(timezone.now()):
        client.get(URL)
        anonymous = client.get(URL)
        client.force_login(alice)
        hers = client.get(URL)
    assert rendered(anonymous) == set()
    assert "default-src 'self'" in anonymous["Content-Security-Policy"]
    assert anonymous["Content-Security-Policy"] == hers["Content-Security-Policy"]
    assert anonymous["X-Frame-Options"] == "DENY"
    assert anonymous["Content-Type"] == "text/html; charset=utf-8"
    assert {v.strip() for v in anonymous["Vary"].split(",")} == {"Accept-Language", "Cookie"}
    assert "csrftoken" in anonymous.cookies


def test_a_visitor_with_a_message_waiting_gets_it_on_a_page_of_their_own(client):
    waiting = [Message(constants.SUCCESS, "Files saved. Add more or continue.")]
    with at(timezone.now()):
        client.get(URL, HTTP_ACCEPT_LANGUAGE="en")  # the shared copy exists
        client.cookies["messages"] = CookieStorage(HttpRequest())._encode(waiting)
        response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
        after = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert "base.html" in rendered(response)
    assert "Files saved. Add more or continue." in response.content.decode()
    assert rendered(after) == set()  # shown once, then the shared page again
    assert "Files saved" not in after.content.decode()


def test_a_deploy_with_other_templates_reads_other_keys(settings):
    versions = []
    for source in ("<p>{% csrf_token %}</p>", "<p>{% csrf_token %} </p>"):
        settings.TEMPLATES = [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "OPTIONS": {
                    "loaders": [("django.template.loaders.locmem.Loader", {"page.html": source})]
                },
            }
        ]
        templates_version.cache_clear()
        versions.append(templates_version("page.html"))
    templates_version.cache_clear()
    assert versions[0] != versions[1]


def test_each_language_gets_its_own_sections(client):
    with at(timezone.now()):
        chinese = page(client, "zh-hans")
        english = page(client, "en")
        chinese_again = page(client, "zh-hans")
    assert "发生了什么" in chinese and "What happened?" not in chinese
    assert "What happened?" in english
    assert "What happened?" not in chinese_again


def test_nothing_personal_is_shared(client, alice):
    """Alice's visit renders the shared part first; an anonymous visitor then gets the same
    sections but no CSRF token for the script and nothing of Alice's."""
    with at(timezone.now()):
        client.force_login(alice)
        hers = page(client)
        client.logout()
        anonymous = page(client)
    assert re.search(r'data-one-page-filing data-csrf-token="[^"]+"', hers)
    assert "data-csrf-token" not in anonymous
    assert alice.username in hers and alice.username not in anonymous
    assert "data-done-signup" in anonymous and "data-done-signup" not in hers
    shared = re.compile(r'<form class="one-page-form".*?<script id="filing-strings"', re.S)
    assert shared.search(hers).group() == shared.search(anonymous).group()


def test_the_shared_page_is_never_served_to_a_signed_in_visitor(client, alice):
    with at(timezone.now()):
        anonymous = page(client)
        client.force_login(alice)
        hers = page(client)
    assert "data-done-signup" in anonymous and "data-csrf-token" not in anonymous
    assert alice.username in hers and "data-done-signup" not in hers
    assert re.search(r'data-one-page-filing data-csrf-token="[^"]+"', hers)


def test_wrong_method(client):
    assert client.post(URL).status_code == 405
