"""The regulator's journey in headless Chromium: every form rita submits on the triage queue,
a complaint's page and the rectification cases, each followed by the new state in the database
and by what the next person sees (the consumer's status page, olivia's operator portal, the
public board, another regulator's case list).

Every <form> in complaints/templates/complaints/triage/ and cases/ (served by
complaints/views/triage.py and cases.py), and the step (the comment that opens it) covering it:

  triage/queue.html                  test_regulator_triages_complaints
    GET  triage:queue (filters)       "Save a filter" (read-only, but clicked too)
    POST triage:filter_save           "Save a filter"
    POST triage:filter_delete (×)     "Delete the filter"
    POST triage:queue (#bulk-form)    "A bulk acceptance from the phone" (its accept action;
                                      the same form's reject is posted in
                                      tests/complaints/views/test_triage.py; its "ask" and
                                      "link to case" are not clicked in a browser)
  triage/detail.html                 test_regulator_triages_complaints
    POST triage:action accept         "Accept with the model's labels", "Relabel"
    POST triage:action reject         "Reject"
    POST triage:action duplicate      "Merge"
    POST triage:action request-info   "Ask the consumer"
    POST triage:action link           "Link to a case"
    POST triage:action close          "Close the complaint"
    POST triage:action status-link    "A new status link"
  cases/list.html                    test_regulator_runs_rectification_cases
    GET  cases:list (filters)         "Assign it to ruth" (read-only: ruth's "to me")
  cases/new.html                     (same test)
    POST cases:new                    "Open a case"
  cases/detail.html                  (same test)
    POST cases:action assign          "Assign it to ruth"
    POST cases:action note            "Assign it to ruth, with a note"
    POST cases:action notice          "Issue a notice"
    POST cases:action verify          "rita verifies it rectified", "A second case" (not, with
                                      a new deadline; its refusals: test_journey_records.py)
    POST cases:action escalate        "A second case": escalated once overdue
    POST cases:action close           "Close it"
triage/_shortcuts.html, _sla.html, cases/_status.html, _timeline.html and notice.html have no
form; base.html's language switch and log-out are every role's, not the regulator's.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from complaints.calendar import add_working_days, next_working_day
from complaints.models import Case, CaseNote, Complaint, Event, Notice, SavedFilter
from complaints.services import cases as case_services
from complaints.services import triage
from tests.complaints.selectors.stats.test_summary import days_ago, model_labels
from tests.factories import make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

S = Complaint.Status
K = Case.Status


# --- people and what they see ------------------------------------------------------------------


def person(open_screen, name: str, *, viewport: str = "desktop"):
    """A browser of their own, in English (the site's default language is zh-Hans)."""
    screen = open_screen(name, viewport=viewport)
    screen.page.context.add_cookies(
        [{"name": "django_language", "value": "en", "url": screen.base_url}]
    )
    return screen


def signed_in(open_screen, username: str, *, viewport: str = "desktop", name: str = ""):
    screen = person(open_screen, name or username, viewport=viewport)
    screen.login(username, f"pw-{username}")
    screen.page.wait_for_url(lambda url: "/accounts/login/" not in url)
    assert screen.page.locator("html").get_attribute("lang") == "en"
    return screen


def form(page, action: str):
    """The form posting to the URL ending in `action` (one per decision on these pages)."""
    return page.locator(f"form[action$='/{action}/']")


def flash(page) -> str:
    return page.locator(".messages").inner_text()


def consumer_status(screen, complaint: Complaint) -> str:
    """The status line on the consumer's page, opened from her private link: the status and
    what it means."""
    page = screen.go(f"/track/{complaint.tracking_number}/?t={complaint.test_token}")
    page.wait_for_url(f"**/track/{complaint.tracking_number}/")
    return page.locator(".status-now").inner_text()


def portal_complaint_row(screen, complaint: Complaint):
    page = screen.go("/operator/")
    link = page.get_by_role("link", name=complaint.tracking_number, exact=True)
    return page.locator("tr", has=link)


def portal_case_row(screen, case: Case):
    page = screen.go("/operator/")
    return page.locator("tr", has=page.get_by_role("link", name=case.reference, exact=True))


def portal_case_status(screen, case: Case) -> str:
    """The status olivia's portal shows for the case (columns: case, app, status, …)."""
    return portal_case_row(screen, case).locator("td").nth(2).inner_text()


def board_row(screen, case: Case):
    page = screen.go("/board/")
    return page.locator(f"#board tr[data-case='{case.reference}']")


def regulator(username: str):
    """Another regulator, signing in with the same kind of password as the fixtures' people."""
    user = get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=f"pw-{username}"
    )
    user.groups.add(Group.objects.get(name="regulator"))
    return user


def assert_not_found(screen, path: str) -> None:
    """The page answers 404 as it should; that 404 is taken off the screen's error list."""
    before = len(screen.errors)
    response = screen.page.goto(screen.base_url + path)
    assert response.status == 404
    unexpected = [e for e in screen.errors[before:] if "404" not in e]
    del screen.errors[before:]
    assert unexpected == []


# --- triage ------------------------------------------------------------------------------------


def test_regulator_triages_complaints(open_screen, app, rita, olivia):
    """Accept, relabel, reject, merge, ask, bulk-accept from the phone, and a new status link."""
    to_accept = make_complaint(app=app, submitted_at=days_ago(4))
    model_labels(to_accept, ["over_permission"], 0.91)
    to_relabel = make_complaint(
        app=app,
        submitted_at=days_ago(4, hour=11),
        description="开通会员后每月自动扣费，找不到取消入口。",
    )
    model_labels(to_relabel, ["fraud"], 0.52)
    to_reject = make_complaint(
        app=app, submitted_at=days_ago(3), description="外卖送晚了半小时，饭菜都凉了。"
    )
    model_labels(to_reject, ["other"], 0.6)
    original = make_complaint(app=app, submitted_at=days_ago(6))
    model_labels(original, ["over_permission"], 0.9)
    triage.complaint_accept(complaint=original, actor=rita, at=days_ago(5))
    duplicate = make_complaint(app=app, submitted_at=days_ago(2))
    model_labels(duplicate, ["over_permission"], 0.88)
    to_ask = make_complaint(
        app=app, submitted_at=days_ago(2, hour=15), description="这个应用偷偷读取我的剪贴板。"
    )
    model_labels(to_ask, ["illegal_collection"], 0.4)
    bulk = [
        model_labels(
            make_complaint(app=app, submitted_at=days_ago(1, hour=h)), ["over_permission"], 0.8
        )
        for h in (9, 10)
    ]

    # The consumer kept the private link of each complaint; olivia runs the operator portal.
    alice = person(open_screen, "alice")
    olivia_screen = signed_in(open_screen, "olivia")
    rita_screen = signed_in(open_screen, "rita")

    # The queue, and a complaint opened from it.
    page = rita_screen.go("/triage/")
    assert page.locator(".triage-table tr[data-row]").count() == 7
    rita_screen.step("queue")
    page.get_by_role("link", name=to_accept.tracking_number, exact=True).click()
    page.wait_for_url(f"**/triage/{to_accept.pk}/")
    rita_screen.step("complaint")

    # Accept with the model's labels.
    rita_screen.submit("Accept", within=form(page, "accept"))
    assert "Accepted." in flash(page)
    to_accept.refresh_from_db()
    assert to_accept.status == S.ACCEPTED
    assert to_accept.label_source == Complaint.LabelSource.REGULATOR
    assert to_accept.operator_due_date is not None
    assert "Your complaint was accepted." in consumer_status(alice, to_accept)
    status = portal_complaint_row(olivia_screen, to_accept).locator("td").nth(3)
    assert status.inner_text() == "accepted"

    # Relabel: the model said fraud; it is an auto-renewal trap.
    page = rita_screen.go(f"/triage/{to_relabel.pk}/")
    accept = form(page, "accept")
    accept.locator("input[name=categories][value=fraud]").uncheck()
    accept.locator("input[name=categories][value=unauthorized_charges]").check()
    accept.locator("input[name=note]").fill("自动续费陷阱，不是诈骗。")
    rita_screen.step("relabel")
    rita_screen.submit("Accept", within=accept)
    to_relabel.refresh_from_db()
    assert to_relabel.status == S.ACCEPTED
    assert [c.code for c in to_relabel.categories.all()] == ["unauthorized_charges"]
    labels = Event.objects.get(complaint=to_relabel, kind=Event.Kind.LABELS)
    assert labels.data == {"from": ["fraud"], "to": ["unauthorized_charges"]}
    assert labels.actor == rita
    consumer_status(alice, to_relabel)
    assert "Unauthorised charges and auto-renewal traps" in alice.page.content()
    assert "Online fraud" not in alice.page.content()
    row = portal_complaint_row(olivia_screen, to_relabel)
    assert row.locator(".badge").first.inner_text() == "Unauthorised charges and auto-renewal traps"

    # Reject, with a reason the consumer reads.
    page = rita_screen.go(f"/triage/{to_reject.pk}/")
    reject = form(page, "reject")
    reject.locator("select[name=reason]").select_option("out_of_remit")
    rita_screen.submit("Reject", within=reject)
    assert "Rejected." in flash(page)
    to_reject.refresh_from_db()
    assert (to_reject.status, to_reject.reject_reason) == (S.REJECTED, "out_of_remit")
    assert "was not accepted" in consumer_status(alice, to_reject)
    assert "outside our remit" in alice.page.locator(".timeline").inner_text()

    # Merge into the earlier complaint about the same thing.
    page = rita_screen.go(f"/triage/{duplicate.pk}/")
    merge = form(page, "duplicate")
    merge.locator("input[name=original]").fill(original.tracking_number)
    rita_screen.submit("Mark duplicate", within=merge)
    assert f"Marked as a duplicate of {original.tracking_number}." in flash(page)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.duplicate_of) == (S.DUPLICATE, original)
    assert "joined to an earlier complaint" in consumer_status(alice, duplicate)

    # Ask the consumer: the question reaches her page and the decision clock stops.
    question = "请问是哪个版本？在什么页面读取了剪贴板？"
    page = rita_screen.go(f"/triage/{to_ask.pk}/")
    ask = form(page, "request-info")
    ask.locator("textarea[name=question]").fill(question)
    rita_screen.submit("Send question", within=ask)
    assert "the clock is paused" in flash(page)
    to_ask.refresh_from_db()
    assert to_ask.status == S.INFO_REQUESTED
    assert "A regulator asked you a question." in consumer_status(alice, to_ask)
    assert alice.page.locator("blockquote.question").inner_text() == question
    alice.step("question")
    page = rita_screen.go("/triage/")
    assert page.locator(".triage-figures dd").nth(2).inner_text() == "1"  # waiting for the consumer

    # Save a filter: the permission complaints, kept under a name of her own.
    page = rita_screen.go("/triage/")
    page.locator("details.triage-filters summary").click()
    filters = page.locator("form.filter-form")
    filters.locator("select[name=category]").select_option("over_permission")
    rita_screen.submit("Apply", within=filters)
    assert "category=over_permission" in page.url
    assert page.locator(".triage-table tr[data-row]").count() == len(bulk)
    save = form(page, "filters")
    save.locator("input[name=name]").fill("Permission grabs")
    rita_screen.step("filter-save")
    rita_screen.submit("Save", within=save)
    assert "Filter saved." in flash(page)
    saved = SavedFilter.objects.get()
    assert (saved.user, saved.scope, saved.name, saved.query) == (
        rita,
        SavedFilter.Scope.TRIAGE,
        "Permission grabs",
        "category=over_permission",
    )

    # A bulk acceptance from the phone, from the saved filter: the queue is a different page
    # there, and the filter went with her.
    phone = signed_in(open_screen, "rita", viewport="phone", name="rita-phone")
    page = phone.go("/triage/")
    page.locator("nav.saved-filters").get_by_role("link", name="Permission grabs").click()
    page.wait_for_url("**/triage/?category=over_permission")
    assert page.locator(".triage-table tr[data-row]").count() == len(bulk)
    for complaint in bulk:
        page.get_by_label(f"Select {complaint.tracking_number}").check()
    page.select_option("#bulk-action", "accept")
    phone.step("queue-bulk")
    phone.submit("Apply to selection")
    assert "Done for 2 complaint(s)." in flash(page)
    assert page.url.endswith("/triage/?category=over_permission")  # still the saved filter
    phone.step("queue-after-bulk")
    assert page.locator(".triage-table tr[data-row]").count() == 0
    for complaint in bulk:
        complaint.refresh_from_db()
        assert complaint.status == S.ACCEPTED
        assert complaint.decided_at is not None
    page = olivia_screen.go("/operator/")
    for complaint in (to_accept, to_relabel, original, *bulk):
        link = page.get_by_role("link", name=complaint.tracking_number, exact=True)
        assert "left" in page.locator("tr", has=link).inner_text()  # the answer clock runs
    for complaint in (to_reject, duplicate, to_ask):  # not for the operator to answer
        assert complaint.tracking_number not in page.content()
    olivia_screen.step("portal")

    # Delete the filter: gone from the database and from her queue on every device.
    page = phone.page
    phone.submit("Delete filter Permission grabs")
    assert "Filter deleted." in flash(page)
    assert not SavedFilter.objects.exists()
    assert page.locator("nav.saved-filters").count() == 0
    page = rita_screen.go("/triage/")
    assert page.locator("nav.saved-filters").count() == 0

    # Link to a case a colleague opened meanwhile about the auto-renewal trap.
    case = case_services.case_open(
        app=app,
        categories=["unauthorized_charges"],
        actor=rita,
        title="KuaiSong: auto-renewal with no way out",
        language="en",
    )
    page = rita_screen.go(f"/triage/{to_relabel.pk}/")
    link = form(page, "link")
    link.locator("input[name=case]").fill(case.reference)
    rita_screen.step("link-case")
    rita_screen.submit("Link", within=link)
    assert f"Linked to {case.reference}." in flash(page)
    facts = page.locator(".facts").first
    assert facts.get_by_role("link", name=case.reference, exact=True).count() == 1
    to_relabel.refresh_from_db()
    assert (to_relabel.status, to_relabel.case) == (S.LINKED, case)
    assert Event.objects.filter(
        complaint=to_relabel, to_status=S.LINKED, actor=rita, data__case=case.reference
    ).exists()
    assert "part of a rectification case" in consumer_status(alice, to_relabel)
    row = portal_complaint_row(olivia_screen, to_relabel)
    assert row.locator("td").nth(3).inner_text() == "linked to a case"
    assert "left" in row.inner_text()  # the operator still has to answer it
    assert portal_case_row(olivia_screen, case).count() == 0  # no notice yet

    # Close the complaint: the consumer reads why; it leaves the operator's to-do list.
    reason = "The consumer confirmed by phone that version 5.2 starts without contacts."
    page = rita_screen.go(f"/triage/{original.pk}/")
    close = form(page, "close")
    close.locator("input[name=reason]").fill(reason)
    rita_screen.submit("Close the complaint", within=close)
    assert "Closed." in flash(page)
    rita_screen.step("complaint-closed")
    original.refresh_from_db()
    assert original.status == S.CLOSED
    closed = Event.objects.get(complaint=original, to_status=S.CLOSED)
    assert (closed.actor, closed.reason) == (rita, reason)
    assert "Your complaint is closed." in consumer_status(alice, original)
    assert reason in alice.page.locator(".timeline").inner_text()
    alice.step("complaint-closed")
    row = portal_complaint_row(olivia_screen, original)  # now under "recently answered or closed"
    assert row.locator("td").nth(2).inner_text() == "closed"
    assert "left" not in row.inner_text()

    # A new status link: the old one and the access it gave stop working.
    page = rita_screen.go(f"/triage/{to_accept.pk}/")
    rita_screen.submit("Issue a new status link", within=form(page, "status-link"))
    new_link = page.locator("#new-status-link").get_attribute("href")
    rita_screen.step("new-status-link")
    assert new_link.startswith(f"{rita_screen.base_url}/track/{to_accept.tracking_number}/?t=")
    assert to_accept.test_token not in new_link
    old_hash = to_accept.access_token_hash
    to_accept.refresh_from_db()
    assert to_accept.access_token_hash != old_hash
    assert Event.objects.filter(
        complaint=to_accept, kind=Event.Kind.NOTE, data__status_link="issued"
    ).exists()
    assert_not_found(alice, f"/track/{to_accept.tracking_number}/")
    assert_not_found(alice, f"/track/{to_accept.tracking_number}/?t={to_accept.test_token}")
    alice.page.goto(new_link)
    alice.page.wait_for_url(f"**/track/{to_accept.tracking_number}/")
    assert "Your complaint was accepted." in alice.page.locator(".status-now").inner_text()
    alice.step("new-link")

    for screen in (rita_screen, phone, alice, olivia_screen):
        assert screen.errors == []


# --- rectification cases -----------------------------------------------------------------------


def test_regulator_runs_rectification_cases(open_screen, app, rita, olivia):
    """Open a case, assign it to a colleague with a note, issue a notice, verify it rectified
    and close it; on a second case, verify it not rectified with a new deadline, and escalate
    once that passes."""
    today = timezone.localdate()
    ruth = regulator("ruth")
    complaints = []
    for days in (9, 8):
        complaint = make_complaint(app=app, submitted_at=days_ago(days))
        model_labels(complaint, ["over_permission"], 0.9)
        triage.complaint_accept(complaint=complaint, actor=rita, at=days_ago(days - 1))
        complaints.append(complaint)
    first = complaints[0]

    alice = person(open_screen, "alice")
    olivia_screen = signed_in(open_screen, "olivia")
    rita_screen = signed_in(open_screen, "rita")

    # Open a case with the two complaints.
    page = rita_screen.go("/cases/")
    rita_screen.step("cases")
    page.get_by_role("link", name="Open a case", exact=True).click()
    page.wait_for_url("**/cases/new/")
    page.select_option("select[name=app]", str(app.pk))
    page.locator("input[name=categories][value=over_permission]").check()
    page.fill("input[name=title]", "KuaiSong: contacts permission forced")
    page.fill("textarea[name=summary]", "Refuses to start without the contacts permission.")
    page.select_option("select[name=language]", "en")
    page.fill("textarea[name=complaints]", " ".join(c.tracking_number for c in complaints))
    rita_screen.step("case-new")
    rita_screen.submit("Open the case")
    case = Case.objects.get()
    assert f"Case {case.reference} opened." in flash(page)
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert (case.status, case.app, case.language) == (K.OPEN, app, "en")
    assert [c.code for c in case.categories.all()] == ["over_permission"]
    for complaint in complaints:
        complaint.refresh_from_db()
        assert (complaint.status, complaint.case) == (S.LINKED, case)
    assert "part of a rectification case" in consumer_status(alice, first)
    assert board_row(alice, case).count() == 0  # no notice yet: not public
    assert portal_case_row(olivia_screen, case).count() == 0

    # Assign it to ruth, with a note for her: both stay among regulators.
    note = "Ruth: the operator's compliance desk asked to hear from us by e-mail only."
    assign = form(page, "assign")
    assign.locator("select[name=assignee]").select_option(label="ruth")
    rita_screen.submit("Assign", within=assign)
    assert "Assignment saved." in flash(page)
    case.refresh_from_db()
    assert case.assignee == ruth
    assigned = Event.objects.get(case=case, kind=Event.Kind.ASSIGNMENT)
    assert (assigned.actor, assigned.data) == (rita, {"from": "", "to": "ruth"})
    add_note = form(page, "note")
    add_note.locator("textarea[name=text]").fill(note)
    rita_screen.step("assign-and-note")
    rita_screen.submit("Add note", within=add_note)
    assert "Note added." in flash(page)
    saved_note = CaseNote.objects.get(case=case)
    assert (saved_note.author, saved_note.text) == (rita, note)
    assert not Event.objects.get(case=case, kind=Event.Kind.NOTE).public
    ruth_screen = signed_in(open_screen, "ruth")
    page = ruth_screen.go("/cases/")
    filters = page.locator("form.filter-form")
    filters.locator("select[name=assignee]").select_option("me")
    ruth_screen.submit("Apply", within=filters)
    assert page.locator("tbody tr").count() == 1
    page.get_by_role("link", name=case.reference, exact=True).click()
    page.wait_for_url(f"**/cases/{case.pk}/")
    assert "ruth" in page.locator(".facts").inner_text()
    assert note in page.locator(".triage-main").inner_text()
    ruth_screen.step("assigned-to-me")

    # Issue a notice with a deadline of our own.
    deadline = next_working_day(today + datetime.timedelta(days=20))
    page = rita_screen.go(f"/cases/{case.pk}/")
    notice_form = form(page, "notice")
    notice_form.locator("textarea[name=problems]").fill(
        "The app refuses to start unless the contacts permission is granted."
    )
    notice_form.locator("input[name=deadline_date]").fill(deadline.isoformat())
    rita_screen.step("notice")
    rita_screen.submit("Issue notice", within=notice_form)
    notice = Notice.objects.get(case=case)
    assert f"Notice {notice.number} issued" in flash(page)
    case.refresh_from_db()
    assert (case.status, case.deadline_date, notice.deadline_date) == (
        K.NOTICE_ISSUED,
        deadline,
        deadline,
    )
    assert notice.issued_by == rita
    row = portal_case_row(olivia_screen, case)
    assert row.locator("td").nth(2).inner_text() == "notice issued"
    assert row.locator("td").nth(3).inner_text() == deadline.isoformat()
    olivia_screen.step("portal-notice")
    olivia_screen.go(f"/operator/cases/{case.pk}/")
    assert note not in olivia_screen.page.content()  # the internal note is not the operator's
    row = board_row(alice, case)
    assert row.locator("[data-status]").get_attribute("data-status") == "under_rectification"
    assert deadline.isoformat() in row.inner_text()
    assert note not in alice.page.content()
    alice.step("board-notice")

    # The operator reports its fix; rita verifies it rectified.
    report = "Version 5.2 asks for contacts only when sharing an address book entry."
    case_services.rectification_report_submit(case=case, actor=olivia, text=report)
    page = rita_screen.go(f"/cases/{case.pk}/")
    assert report in page.content()
    verify = form(page, "verify")
    verify.locator("input[name=rectified][value=yes]").check()
    verify.locator("textarea[name=notes]").fill("Checked 5.2 on two phones: starts without it.")
    rita_screen.step("verify-rectified")
    rita_screen.submit("Record verification", within=verify)
    assert "Verification recorded." in flash(page)
    case.refresh_from_db()
    assert case.status == K.RECTIFIED
    assert case.rectified_at is not None
    assert case.verification_notes.startswith("Checked 5.2")
    row = board_row(alice, case)
    assert row.locator("[data-status]").get_attribute("data-status") == "rectified"
    assert portal_case_status(olivia_screen, case) == "rectified"

    # Close it: the complaints waiting on it close too.
    page = rita_screen.go(f"/cases/{case.pk}/")
    close = form(page, "close")
    close.locator("input[name=reason]").fill("Rectified and verified.")
    rita_screen.submit("Close", within=close)
    assert "Case closed." in flash(page)
    rita_screen.step("case-closed")
    case.refresh_from_db()
    assert case.status == K.CLOSED
    for complaint in complaints:
        complaint.refresh_from_db()
        assert complaint.status == S.CLOSED
    assert "Your complaint is closed." in consumer_status(alice, first)
    assert f"The rectification case {case.reference} was closed." in alice.page.content()
    alice.step("complaint-closed")
    row = board_row(alice, case)
    assert row.locator("[data-status]").get_attribute("data-status") == "rectified"
    assert portal_case_status(olivia_screen, case) == "closed"

    # A second case, set up to the operator's report: not rectified with a new deadline, then
    # escalated when that passes.
    second = case_services.case_open(
        app=app,
        categories=["illegal_collection"],
        actor=rita,
        title="KuaiSong: reads the clipboard",
        language="en",
    )
    case_services.notice_issue(
        case=second,
        actor=rita,
        problems="Reads the clipboard in the background.",
        deadline_date=next_working_day(today + datetime.timedelta(days=15)),
    )
    case_services.rectification_report_submit(
        case=second, actor=olivia, text="We removed the clipboard SDK."
    )
    page = rita_screen.go("/cases/")
    page.get_by_role("link", name=second.reference, exact=True).click()
    page.wait_for_url(f"**/cases/{second.pk}/")
    verify = form(page, "verify")
    verify.locator("input[name=rectified][value=no]").check()
    verify.locator("textarea[name=notes]").fill("Version 5.2 still reads the clipboard at start.")
    new_deadline = add_working_days(today, 5)
    verify.locator("input[name=new_deadline_date]").fill(new_deadline.isoformat())
    rita_screen.step("verify-not-rectified")
    rita_screen.submit("Record verification", within=verify)
    assert "Verification recorded." in flash(page)
    second.refresh_from_db()
    # Not rectified, and in the same step a second notice with the new deadline.
    assert (second.status, second.rectified_at, second.deadline_date) == (
        K.NOTICE_ISSUED,
        None,
        new_deadline,
    )
    assert second.notices.count() == 2
    assert portal_case_status(olivia_screen, second) == "notice issued"
    row = board_row(alice, second)
    assert row.locator("[data-status]").get_attribute("data-status") == "under_rectification"
    assert new_deadline.isoformat() in row.inner_text()

    # The second deadline passes without a report: tonight's sweep marks it overdue.
    case_services.cases_mark_overdue(today=new_deadline + datetime.timedelta(days=1))
    page = rita_screen.go(f"/cases/{second.pk}/")
    escalate = form(page, "escalate")
    escalate.locator("select[name=measure]").select_option("public_notice")
    escalate.locator("textarea[name=reason]").fill("Not fixed after the notice.")
    rita_screen.submit("Escalate", within=escalate)
    assert "Escalation recorded." in flash(page)
    rita_screen.step("escalated")
    second.refresh_from_db()
    assert (second.status, second.escalation) == (K.ESCALATED, Case.Escalation.PUBLIC_NOTICE)
    assert portal_case_status(olivia_screen, second) == "escalated"
    olivia_screen.go(f"/operator/cases/{second.pk}/")
    assert "public notice" in olivia_screen.page.locator(".facts").inner_text()
    olivia_screen.step("case-escalated")
    row = board_row(alice, second)
    assert row.locator("[data-status]").get_attribute("data-status") == "escalated"
    assert "public notice" in row.inner_text()
    alice.step("board-escalated")

    for screen in (rita_screen, ruth_screen, alice, olivia_screen):
        assert screen.errors == []
