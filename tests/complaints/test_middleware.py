"""No HTML page shows a bidi control character, even in text stored before every door took
them out: the triage queue and page, the consumer's /my/ and the admin."""

import pytest
from django.urls import reverse

from complaints.models import Complaint
from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client

RLO = "\u202e"
# What a RIGHT-TO-LEFT OVERRIDE does: "invoice\u202egpj.exe" shows as "invoiceexe.jpg".
TRICK = f"see invoice{RLO}gpj.exe and call \u2066135\u2069"


@pytest.fixture
def stored_before(alice):
    complaint = make_complaint(app_name="Shop", submitter=alice)
    # Written past the input cleaning, as a row stored before it existed would be.
    Complaint.objects.filter(pk=complaint.pk).update(
        description=TRICK, description_masked=TRICK, app_name=f"Shop{RLO}ppA"
    )
    return complaint


def page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("rita", lambda c: reverse("triage:detail", args=[c.pk])),
        ("rita", lambda c: reverse("triage:queue") + "?status=submitted"),
        ("alice", lambda c: reverse("my_complaints")),
        ("ada", lambda c: reverse("admin:complaints_complaint_change", args=[c.pk])),
        ("ada", lambda c: reverse("admin:complaints_complaint_changelist")),
    ],
)
def test_pages_show_no_bidi_control(request, stored_before, who, url):
    html = page(request.getfixturevalue(who), url(stored_before))
    assert "see invoicegpj.exe" in html or "ShopppA" in html  # the text itself is still there
    for control in (RLO, "\u2066", "\u2069"):
        assert control not in html


def test_the_api_answers_the_text_as_stored(stored_before, rita):
    client = Client()
    client.force_login(rita)
    response = client.get(f"/api/v1/triage/{stored_before.pk}/")
    assert response.status_code == 200
    assert response.json()["description"] == TRICK
