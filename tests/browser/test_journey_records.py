"""Records that cannot drift, in headless Chromium: the forms that guard them refuse what
would make a record lie, say why on the page, and what they accept reaches the next person.

  triage/detail.html  POST triage:action duplicate   "Merge across apps" (refused without a
                                                      reason, then merged with one)
  cases/detail.html   POST cases:action verify       "Not rectified" (refused without a next
                                                      step, refused on a Saturday, then a new
                                                      notice on the working day offered)
                      POST cases:action notice       "A deadline past the calendar" (warned)
"""

import datetime

import pytest
from django.utils import timezone

from complaints.calendar import is_working_day, next_working_day
from complaints.models import Case, Complaint, Event, Notice
from complaints.services import cases as case_services
from tests import clock
from tests.browser.test_journey_regulator import (
    board_row,
    consumer_status,
    flash,
    form,
    person,
    portal_case_row,
    signed_in,
)
from tests.factories import make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

S = Complaint.Status
K = Case.Status


def refused(screen, page) -> str:
    """The error on a page the server answered 400; that 400 is taken off the error list."""
    message = page.locator("[role=alert]").first.inner_text()
    expected = ("400 ", "Failed to load resource: the server responded with a status of 400")
    assert [e for e in screen.errors if not e.startswith(expected)] == []
    screen.errors.clear()
    return message


def test_regulator_merges_across_apps_only_with_a_reason(open_screen, app, other_app, rita):
    original = make_complaint(
        app=other_app, description="云途出行的司机扫码收款后又在App里扣了一次车费。"
    )
    duplicate = make_complaint(app=app, description="打车付了两次钱，同一单号 YT-20261117-88。")
    alice = person(open_screen, "alice")
    rita_screen = signed_in(open_screen, "rita")

    # Merge across apps: the page says it needs a reason, and refuses it without one.
    page = rita_screen.go(f"/triage/{duplicate.pk}/")
    merge = form(page, "duplicate")
    assert "Merge only with a complaint about 快送外卖." in merge.inner_text()
    merge.locator("input[name=original]").fill(original.tracking_number)
    rita_screen.submit("Mark duplicate", within=merge)
    assert refused(rita_screen, page) == (
        f"{original.tracking_number} is about 云途出行 and this complaint about 快送外卖. To "
        "merge complaints about different apps, give the reason: this one will then count on "
        "云途出行's record only."
    )
    rita_screen.step("merge-across-apps-refused")
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of) == (S.SUBMITTED, None)
    assert "joined to an earlier complaint" not in consumer_status(alice, duplicate)

    # With the reason: merged, and the reason is in the event beside both apps.
    reason = "Same order YT-20261117-88: the consumer named the wrong app."
    merge = form(page, "duplicate")
    merge.locator("input[name=original]").fill(original.tracking_number)
    merge.locator("textarea[name=note]").fill(reason)
    rita_screen.step("merge-across-apps-reason")
    rita_screen.submit("Mark duplicate", within=merge)
    assert f"Marked as a duplicate of {original.tracking_number}." in flash(page)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of) == (S.DUPLICATE, original)
    merged = Event.objects.get(complaint=duplicate, to_status=S.DUPLICATE)
    assert (merged.actor, merged.reason, merged.data["original_app"]) == (rita, reason, "云途出行")
    assert "joined to an earlier complaint" in consumer_status(alice, duplicate)
    alice.step("merged")

    for screen in (rita_screen, alice):
        assert screen.errors == []


def test_not_rectified_takes_a_new_notice_on_a_working_day(open_screen, app, rita, olivia):
    today = timezone.localdate()
    case = case_services.case_open(
        app=app,
        categories=["illegal_collection"],
        actor=rita,
        title="KuaiSong: clipboard",
        language="en",
    )
    first = case_services.notice_issue(case=case, actor=rita, problems="Reads the clipboard.")
    case_services.rectification_report_submit(case=case, actor=olivia, text="SDK removed.")
    alice = person(open_screen, "alice")
    olivia_screen = signed_in(open_screen, "olivia")
    rita_screen = signed_in(open_screen, "rita")
    row = board_row(alice, case)
    assert row.locator("[data-status]").get_attribute("data-status") == "awaiting_verification"

    # Not rectified, with nothing next: refused.
    page = rita_screen.go(f"/cases/{case.pk}/")
    verify = form(page, "verify")
    assert "Not rectified takes its next step now" in verify.inner_text()
    verify.locator("input[name=rectified][value=no]").check()
    verify.locator("textarea[name=notes]").fill("Version 5.3 still reads the clipboard.")
    rita_screen.submit("Record verification", within=verify)
    assert refused(rita_screen, page) == (
        "Not rectified: give a new deadline (a new notice) or an escalation."
    )

    # A new deadline on a Saturday: refused, with the next working day offered.
    saturday = today + datetime.timedelta(days=3)
    while saturday.weekday() != 5 or is_working_day(saturday):  # a make-up Saturday is worked
        saturday += datetime.timedelta(days=1)
    offered = next_working_day(saturday)
    verify = form(page, "verify")
    verify.locator("input[name=rectified][value=no]").check()
    verify.locator("textarea[name=notes]").fill("Version 5.3 still reads the clipboard.")
    verify.locator("input[name=new_deadline_date]").fill(saturday.isoformat())
    rita_screen.submit("Record verification", within=verify)
    assert refused(rita_screen, page) == (
        f"{saturday.isoformat()} is not a working day (a weekend or a public holiday). The "
        f"nearest working day after it is {offered.isoformat()}: choose that date or another "
        "working day."
    )
    rita_screen.step("verify-saturday-refused")
    case.refresh_from_db()
    assert case.status == K.RESPONSE_RECEIVED

    # The day offered: verified not rectified, and a second notice runs to it.
    verify = form(page, "verify")
    verify.locator("input[name=rectified][value=no]").check()
    verify.locator("textarea[name=notes]").fill("Version 5.3 still reads the clipboard.")
    verify.locator("input[name=new_deadline_date]").fill(offered.isoformat())
    rita_screen.submit("Record verification", within=verify)
    assert "Verification recorded." in flash(page)
    rita_screen.step("verify-new-notice")
    case.refresh_from_db()
    assert (case.status, case.deadline_date) == (K.NOTICE_ISSUED, offered)
    second = Notice.objects.exclude(pk=first.pk).get(case=case)
    assert second.deadline_date == offered
    row = portal_case_row(olivia_screen, case)
    assert row.locator("td").nth(2).inner_text() == "notice issued"
    assert row.locator("td").nth(3).inner_text() == offered.isoformat()
    olivia_screen.step("portal-second-notice")
    row = board_row(alice, case)
    assert row.locator("[data-status]").get_attribute("data-status") == "under_rectification"
    assert offered.isoformat() in row.inner_text()
    alice.step("board-second-notice")

    for screen in (rita_screen, olivia_screen, alice):
        assert screen.errors == []


@pytest.mark.parametrize(
    "test_now", [clock._at("2026-12-24T10:00")], ids=["christmas_eve"], indirect=True
)
def test_a_deadline_past_the_calendar_warns_the_regulator(open_screen, app, rita, olivia):
    case = case_services.case_open(
        app=app, categories=["data_sharing_leak"], actor=rita, title="KuaiSong: ad SDK"
    )
    olivia_screen = signed_in(open_screen, "olivia")
    rita_screen = signed_in(open_screen, "rita")
    warning = (
        "The holiday calendar does not cover 2027 yet: working days there were counted Monday "
        "to Friday, holidays not known. Check the deadline once the State Council publishes "
        "that year's holidays."
    )

    page = rita_screen.go(f"/cases/{case.pk}/")
    notice_form = form(page, "notice")
    assert notice_form.locator("input[name=deadline_date]").input_value() == "2027-01-14"
    assert warning in notice_form.inner_text()
    notice_form.locator("textarea[name=problems]").fill("Shares the contact list with an ad SDK.")
    rita_screen.step("notice-past-the-calendar")
    rita_screen.submit("Issue notice", within=notice_form)
    assert warning in flash(page)
    assert warning in page.locator("#deadline-warning").inner_text()
    rita_screen.step("notice-warned")
    notice = Notice.objects.get(case=case)
    assert notice.deadline_date == datetime.date(2027, 1, 14)

    page = olivia_screen.go(f"/operator/cases/{case.pk}/notices/{notice.pk}/")
    assert (
        "2027年的节假日安排尚未收录，该年份按周一至周五计算工作日"
        in page.locator("#notice-document").inner_text()
    )
    olivia_screen.step("notice-says-which-calendar")

    for screen in (rita_screen, olivia_screen):
        assert screen.errors == []
