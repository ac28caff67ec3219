"""Promises the platform makes, kept in the browser: what the consumer's consent shares with
the operator, regulators reading contact details on purpose (and the log saying so), and the
consumer learning what came of the case their complaint joined.

Forms covered here:
  file/contact.html + review.html     test_consent_decides_what_olivia_sees (consent left off)
  triage/detail.html                  test_contact_details_are_read_on_purpose
    POST triage:action contact        "rita asks for the contact details"
  cases/detail.html                   (same test)
    POST cases:action contacts        "rita shows the case's contact details"
"""

import re

import pytest

from complaints.models import Complaint, Event
from complaints.services import cases as case_services
from complaints.services import triage
from tests.browser.conftest import screenshot_png
from tests.browser.test_journey_consumer import DESCRIPTION, main_text, open_status_link, send
from tests.browser.test_journey_regulator import form, person, regulator, signed_in
from tests.factories import make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("classifier_imported", "evidence_media"),
]

CONTACT = {
    "contact_name": "王小梅",
    "contact_phone": "13912345678",
    "contact_email": "mei@example.com",
}


def test_consent_decides_what_olivia_sees(open_screen, app, rita, olivia, tmp_path):
    consumer = person(open_screen, "consumer", viewport="phone")
    page = consumer.page

    # The consumer files with a screenshot and leaves "share my files" unticked.
    consumer.go("/file/")
    page.get_by_label("Search by name or package name").fill("快送")
    consumer.submit("Search")
    page.get_by_label(re.compile("快送外卖")).check()
    consumer.submit("Continue")
    page.get_by_label("What happened?", exact=True).fill(DESCRIPTION)
    page.locator("input[name=kind][value=over_permission]").check()
    consumer.submit("Continue")
    page.get_by_label("Contacts", exact=True).check()
    page.get_by_role("group", name="Did the app refuse to work without them?").get_by_label(
        "Yes"
    ).check()
    consumer.submit("Continue")
    page.get_by_label("Screenshots, photos, receipts (optional)").set_input_files(
        screenshot_png(tmp_path)
    )
    send(consumer, "Attach")
    consumer.submit("Continue")
    page.get_by_label("Phone (optional)").fill(CONTACT["contact_phone"])
    assert "Your name, phone and e-mail are never shared with the operator." in main_text(consumer)
    consumer.submit("Continue")
    assert (
        page.locator("#operator-sees")
        .inner_text()
        .startswith(
            "The operator sees only your description with personal data masked, not your files"
        )
    )
    consumer.step("review-without-consent")
    send(consumer, "Send the complaint")
    page.get_by_text("We received your complaint").wait_for()
    filed = Complaint.objects.get()
    assert not filed.consent_share_with_operator and filed.evidence.count() == 1

    # olivia, the operator, reads the masked complaint without the file and can still answer.
    triage.complaint_accept(complaint=filed, actor=rita, category_codes=["over_permission"])
    olivia_screen = signed_in(open_screen, "olivia")
    olivia_screen.go(f"/operator/complaints/{filed.pk}/")
    text = main_text(olivia_screen)
    assert "The consumer did not agree to share their files and the amount with you." in text
    assert olivia_screen.page.locator("#consumer-files").count() == 0
    assert "13912345678" not in text and "permission-prompt" not in text
    assert olivia_screen.page.get_by_role("button", name="Send answer").is_visible()
    olivia_screen.step("complaint-without-consent")
    assert consumer.errors == [] and olivia_screen.errors == []


def test_contact_details_are_read_on_purpose(open_screen, app, rita):
    complaint = make_complaint(app=app, language="en", **CONTACT)
    token = complaint.test_token
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
    case = case_services.case_open(
        app=app, categories=["over_permission"], actor=rita, complaints=[complaint]
    )
    notice = case_services.notice_issue(case=case, actor=rita, problems="Contacts at launch.")
    regulator("ruth")

    # rita asks for the contact details: shown on that answer only, and logged with her name.
    rita_screen = signed_in(open_screen, "rita")
    page = rita_screen.go(f"/triage/{complaint.pk}/")
    assert "+8613912345678" not in main_text(rita_screen)
    rita_screen.submit("Show contact details", within=form(page, "contact"))
    details = page.locator("#contact-details").inner_text()
    assert "王小梅" in details and "+8613912345678" in details and "mei@example.com" in details
    rita_screen.step("contact-details-shown")
    (viewing,) = Event.objects.filter(complaint=complaint, data__has_key="contact_viewed")
    assert viewing.actor.username == "rita" and not viewing.public

    # ruth, another regulator, sees in the timeline who looked, not the details themselves.
    ruth = signed_in(open_screen, "ruth")
    ruth.go(f"/triage/{complaint.pk}/")
    timeline = ruth.page.locator(".timeline-note").filter(has_text="Contact details viewed.")
    assert "rita (regulator)" in timeline.inner_text()
    assert "+8613912345678" not in main_text(ruth)
    ruth.step("who-saw-the-contact-details")

    # rita shows the case's contact details: a column for its complaints, each viewing logged.
    page = rita_screen.go(f"/cases/{case.pk}/")
    rita_screen.submit("Show contact details", within=form(page, "contacts"))
    row = page.locator("tr", has=page.get_by_role("link", name=complaint.tracking_number))
    assert "+8613912345678" in row.inner_text()
    rita_screen.step("case-contact-details")
    assert Event.objects.filter(
        complaint=complaint, data__case=case.reference, actor__username="rita"
    ).exists()

    # The consumer's status page, on a phone: the case, its notice and deadline, the app's page.
    complaint.test_token = token
    consumer = person(open_screen, "consumer", viewport="phone")
    page = open_status_link(consumer, complaint)
    section = page.locator("#joined-case")
    assert case.reference in section.inner_text()
    assert page.locator("#case-deadline").inner_text() == f"{notice.deadline_date:%Y-%m-%d}"
    assert page.locator("#case-status").inner_text() == "under rectification"
    consumer.step("case-on-the-status-page")
    with page.expect_navigation():
        page.locator("#case-app-link").click()
    assert page.url == f"{consumer.base_url}/apps/{app.pk}/" and app.name in main_text(consumer)
    assert rita_screen.errors == [] and ruth.errors == [] and consumer.errors == []
