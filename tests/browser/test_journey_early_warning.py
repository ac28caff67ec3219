"""Early warning in headless Chromium. Twelve alike complaints about one app become a
collective complaint: rita finds it from her navigation, reads why, and opens a case from it in
one click; alice, who filed one of them, reads on her status page that regulators took them up
together. A spike alert: rita tries to dismiss it without a reason (refused, nothing recorded),
then with one; ruth, another regulator, sees who dismissed it and why.

  early_warning/cluster_detail.html
    POST early_warning:cluster_open_case      the first journey
  early_warning/alert_detail.html (_dismiss.html)
    POST early_warning:alert_dismiss          the second journey
"""

import datetime

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from complaints.models import Case, Complaint
from early_warning.clustering import complaints_cluster
from early_warning.daily import early_warning_run
from early_warning.models import Alert, Cluster, Dismissal
from tests.browser.test_journey_regulator import person, signed_in
from tests.early_warning.conftest import file_burst

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def burst(app):
    day = timezone.localdate() - datetime.timedelta(days=1)
    complaints = file_burst(app, day)
    complaints_cluster(complaint_ids=[c.pk for c in complaints])
    return day, complaints


def test_regulator_opens_a_case_from_a_collective_complaint(open_screen, app, rita):
    _day, complaints = burst(app)
    cluster = Cluster.objects.get()
    mine = complaints[3]

    rita_screen = signed_in(open_screen, "rita")
    page = rita_screen.page
    page.get_by_role("link", name="Early warning", exact=True).click()
    page.get_by_role("link", name="Collective complaints", exact=True).click()
    row = page.locator(f"tr[data-cluster='{cluster.pk}']")
    assert row.locator("td").nth(3).inner_text() == "12"  # after app, grouping and kind
    rita_screen.step("clusters")
    row.get_by_role("link", name=app.name).click()
    assert (
        page.locator("#why")
        .inner_text()
        .startswith(
            "12 complaints about 快送外卖 in “Excessive, forced or repeated permission requests”"
        )
    )
    assert page.locator("#members tbody tr").count() == 12
    rita_screen.step("cluster")

    rita_screen.submit("Open a case from these complaints")
    case = Case.objects.get()
    assert page.url == f"{rita_screen.base_url}/cases/{case.pk}/"
    assert page.locator(".messages").inner_text() == (
        f"Case {case.reference} holds the collective complaint; its consumers were told."
    )
    rita_screen.step("case")
    assert case.complaints.count() == 12 and Cluster.objects.get().case == case
    # The cluster is no longer live: no second case from it.
    page = rita_screen.go(f"/early-warning/clusters/{cluster.pk}/")
    assert page.get_by_role("button", name="Open a case from these complaints").count() == 0

    # Alice, who filed one of them, reads it on her status page.
    alice = person(open_screen, "alice")
    track = alice.go(f"/track/{mine.tracking_number}/?t={mine.test_token}")
    track.wait_for_url(f"**/track/{mine.tracking_number}/")
    assert (
        f"Your complaint is one of 12 alike about 快送外卖; regulators took them up together in "
        f"case {case.reference}." in track.locator(".timeline").inner_text()
    )
    alice.step("status-page")
    assert Complaint.objects.get(pk=mine.pk).case == case


def test_regulator_dismisses_an_alert_with_a_reason(open_screen, app, rita):
    day, complaints = burst(app)
    [alert] = early_warning_run(day=day)
    ruth = User.objects.create_user("ruth", password="pw-ruth", is_staff=True)
    ruth.groups.add(Group.objects.get(name="regulator"))

    rita_screen = signed_in(open_screen, "rita")
    page = rita_screen.page
    page.get_by_role("link", name="Early warning", exact=True).click()
    row = page.locator(f"tr[data-alert='{alert.pk}']")
    assert "12 complaints about 快送外卖" in row.inner_text()
    rita_screen.step("alerts")
    row.get_by_role("link").first.click()
    assert page.locator("#alert-complaints tbody tr").count() == 12
    rita_screen.step("alert")

    # No reason: refused with the reason why, nothing recorded.
    rita_screen.submit("Dismiss with this reason")
    assert "Say why you dismiss it." in page.locator("main").inner_text()
    assert Dismissal.objects.count() == 0 and Alert.objects.get().dismissed_at is None
    rita_screen.errors.clear()  # the refusal is a 400, as it should be
    rita_screen.step("refused")

    page.fill("textarea[name=reason]", "A promotion that day: one-off sign-ups, fixed since.")
    rita_screen.submit("Dismiss with this reason")
    assert (
        page.locator(".messages").inner_text()
        == "The alert was dismissed; your reason is recorded."
    )
    assert "No open alerts." in page.locator("#alerts").inner_text()
    rita_screen.step("dismissed")
    dismissal = Dismissal.objects.get()
    assert (dismissal.alert_id, dismissal.dismissed_by, dismissal.reason) == (
        alert.pk,
        User.objects.get(username="rita"),
        "A promotion that day: one-off sign-ups, fixed since.",
    )

    ruth_screen = signed_in(open_screen, "ruth")
    page = ruth_screen.go("/early-warning/?all=1")
    page.locator(f"tr[data-alert='{alert.pk}']").get_by_role("link").first.click()
    assert (
        "by rita: A promotion that day: one-off sign-ups, fixed since."
        in page.locator("main").inner_text()
    )
    assert page.get_by_role("button", name="Dismiss with this reason").count() == 0
    ruth_screen.step("seen-by-another-regulator")
    assert rita_screen.errors == [] and ruth_screen.errors == []
