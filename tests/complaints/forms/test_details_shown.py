"""A complaint's details read as a regulator needs them: labelled rows in the reader's
language, a price comparison as two columns with the difference, never a Python repr."""

import pytest
from django.urls import reverse

from complaints.forms.details_shown import details_shown
from tests.factories import category, make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.django_db

PRICE = {
    "item": "上海到杭州 G7501 二等座",
    "observations": [
        {"price": "98.50", "device_or_account": "iPhone 15, 老会员", "who": "consumer"},
        {"price": "73.00", "device_or_account": "朋友的安卓手机, 新账号", "who": "comparison"},
    ],
    "seen_at": "2026-11-10T20:15:00+08:00",
}
PERMISSION = {"permissions": ["contacts", "location"], "refused_without": "yes"}


def test_a_price_comparison_becomes_two_columns_and_the_difference(english):
    shown = details_shown("price_discrimination", PRICE)
    c = shown.comparison
    assert (c.consumer_price, c.other_price, c.difference) == ("98.50", "73.00", "+25.50")
    assert c.consumer_device == "iPhone 15, 老会员" and c.item == "上海到杭州 G7501 二等座"
    assert shown.rows == [("When did you compare?", "2026-11-10 20:15")]


def test_choices_read_as_words_in_the_readers_language(english):
    assert details_shown("over_permission", PERMISSION).rows == [
        ("Which permissions did the app ask for?", "Contacts\nLocation"),
        ("Did the app refuse to work without them?", "Yes"),
    ]


def test_and_in_chinese():
    rows = dict(details_shown("over_permission", PERMISSION).rows)
    assert any("权限" in label for label in rows)
    assert "通讯录" in "".join(rows.values())


def test_a_key_no_form_asks_any_more_keeps_its_name(english):
    shown = details_shown("account_cancellation", {"steps_tried": "设置里找不到", "legacy": "x"})
    assert ("legacy", "x") in shown.rows
    assert details_shown(None, {"note": "1"}).rows == [("note", "1")]
    assert not details_shown("fraud", {})


@pytest.mark.parametrize(
    ("kind", "details", "expected"),
    [
        ("price_discrimination", PRICE, ["98.50", "73.00", "+25.50", "iPhone 15, 老会员"]),
        ("over_permission", PERMISSION, ["Contacts", "Location", "Yes"]),
    ],
)
def test_the_triage_page_shows_them_as_tables(rita, app, english, kind, details, expected):
    complaint = make_complaint(app=app, category_hint=category(kind), details=details)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    client.force_login(rita)
    page = client.get(reverse("triage:detail", args=[complaint.pk])).content.decode()
    for text in expected:
        assert text in page
    assert "{&#x27;" not in page and "[{" not in page and "{'" not in page  # no Python repr
    assert ('data-details="comparison"' in page) is (kind == "price_discrimination")
