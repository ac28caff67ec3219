"""The one-page filing form (/file/quick/): every step's fields as the step pages label them,
rendered once a period per language and shared, with nothing personal in the shared part,
and the way to the step pages for browsers without JavaScript. Its browser journey is
tests/browser/test_journey_one_page_filing.py."""

import json
import re

import pytest
from django.utils import timezone

from tests.clock import stopped_at as at

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


def test_the_sections_are_rendered_once_a_period(client):
    started = timezone.now()
    with at(started):
        first = client.get(URL)
    with at(started, FRESH - 0.5):
        second = client.get(URL)
    with at(started, FRESH + 1):
        third = client.get(URL)
    names = [{t.name for t in response.templates} for response in (first, second, third)]
    assert "complaints/file/_one_page.html" in names[0]
    assert "complaints/file/_one_page.html" not in names[1] and "base.html" in names[1]
    assert "complaints/file/_one_page.html" in names[2]


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


def test_wrong_method(client):
    assert client.post(URL).status_code == 405
