"""Regulators see the consumer's name, phone and e-mail after a deliberate "Show contact
details", and each viewing is in the audit log; operators, consumers and the public never see
them."""

import pytest
from django.urls import reverse

from complaints.errors import PermissionDenied
from complaints.models import Event
from complaints.services import cases as case_services
from complaints.services import consumers, triage
from complaints.services.contact_details import contact_details_reveal
from tests.factories import make_complaint

CONTACT = {
    "contact_name": "王小梅",
    "contact_phone": "13912345678",
    "contact_email": "mei@example.com",
}
SHOWN = ("王小梅", "+8613912345678", "mei@example.com")


@pytest.fixture
def complaint(app):
    return make_complaint(app=app, **CONTACT)


def viewings(complaint):
    return list(
        Event.objects.filter(complaint=complaint, data__has_key="contact_viewed").order_by("id")
    )


def test_triage_page_hides_them_until_asked_and_logs_each_viewing(client, complaint, rita):
    client.force_login(rita)
    client.cookies["django_language"] = "en"
    detail = reverse("triage:detail", args=[complaint.pk])
    page = client.get(detail).content.decode()
    assert "Show contact details" in page
    assert not any(value in page for value in SHOWN) and viewings(complaint) == []

    response = client.post(reverse("triage:action", args=[complaint.pk, "contact"]))
    page = response.content.decode()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert all(value in page for value in SHOWN) and 'href="tel:+8613912345678"' in page
    (event,) = viewings(complaint)
    assert (event.actor, event.actor_role, event.kind, event.public) == (
        rita,
        "regulator",
        Event.Kind.NOTE,
        False,
    )
    assert event.data == {"contact_viewed": ["name", "phone", "email"]}
    # The timeline says who looked; the next load shows the details no more.
    page = client.get(detail).content.decode()
    assert "Contact details viewed." in page and not any(value in page for value in SHOWN)
    client.post(reverse("triage:action", args=[complaint.pk, "contact"]))
    assert len(viewings(complaint)) == 2


def test_case_page_shows_the_column_for_its_complaints(client, app, complaint, rita):
    quiet = make_complaint(app=app)
    for filed in (complaint, quiet):
        triage.complaint_accept(complaint=filed, actor=rita, category_codes=["fraud"])
    case = case_services.case_open(
        app=app, categories=["fraud"], actor=rita, complaints=[complaint, quiet]
    )
    client.force_login(rita)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Show contact details" in page and not any(value in page for value in SHOWN)
    response = client.post(reverse("cases:action", args=[case.pk, "contacts"]))
    page = response.content.decode()
    assert response.status_code == 200 and all(value in page for value in SHOWN)
    assert response["Cache-Control"] == "no-store"
    (event,) = viewings(complaint)
    assert event.actor == rita and event.data["case"] == case.reference
    assert viewings(quiet) == []  # nothing to see, nothing logged


def test_only_regulators_may_read_them(complaint, olivia, alice):
    for someone in (olivia, alice, None):
        with pytest.raises(PermissionDenied):
            contact_details_reveal(complaints=[complaint], actor=someone)
    assert viewings(complaint) == []


def test_erased_complaint_has_none_to_show(complaint, rita):
    consumers.complaint_erase(complaint=complaint, actor=None)
    complaint.refresh_from_db()
    shown = contact_details_reveal(complaints=[complaint], actor=rita)
    assert shown == {complaint.pk: {"name": "", "phone": "", "email": ""}}
    assert viewings(complaint) == []


def test_the_consumer_sees_them_masked_and_the_public_never(client, app, complaint, rita):
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    client.get(
        reverse("track_detail", args=[complaint.tracking_number]) + f"?t={complaint.test_token}"
    )
    page = client.get(reverse("track_detail", args=[complaint.tracking_number])).content.decode()
    assert "139****5678" in page and not any(value in page for value in SHOWN[1:])
    for url in (reverse("board"), reverse("app-scorecard", args=[app.pk])):
        public = client.get(url).content.decode()
        assert not any(value in public for value in SHOWN)
