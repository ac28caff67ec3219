"""Early warning's newer forms in headless Chromium. Rita chooses to hear of early warnings as
they come; when a spike alert is raised, the platform's e-mail reaches her (and not ruth, who
keeps the daily digest) and its link opens the alert on her screen. Nine alike complaints about
apps of three companies that embed one SDK are one SDK cluster: rita finds it under "one SDK
across companies", reads which SDK, apps and companies, and opens a case per app in one click;
a consumer reads that regulators took the complaints up together.

  early_warning/mail_settings.html
    POST early_warning:mail_settings          the first journey
  early_warning/cluster_detail.html (an SDK cluster)
    POST early_warning:cluster_open_case      the second journey
"""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.utils import timezone

from complaints.models import Case
from early_warning.clustering import complaints_cluster
from early_warning.models import Cluster, MailSetting
from early_warning.tasks import early_warning_mail
from inspections.models import SdkAttribution
from tests.browser.test_journey_regulator import person, signed_in
from tests.early_warning.conftest import file_sdk_burst, three_apps  # noqa: F401 — a fixture
from tests.early_warning.test_mail import spike

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_regulator_chooses_emails_as_they_come_and_follows_one(open_screen, app, rita):
    ruth = User.objects.create_user("ruth", email="ruth@example.com", password="pw-ruth")
    ruth.groups.add(Group.objects.get(name="regulator"))

    rita_screen = signed_in(open_screen, "rita")
    page = rita_screen.page
    page.get_by_role("link", name="Early warning", exact=True).click()
    page.get_by_role("link", name="E-mail settings", exact=True).click()
    assert page.get_by_label("One digest a day").is_checked()  # never chosen: the default
    rita_screen.step("mail-settings")
    page.get_by_label("As they come (within minutes)").check()
    rita_screen.submit("Save")
    assert page.locator(".messages").inner_text() == (
        "Saved: this is how you will hear of early warnings."
    )
    assert page.get_by_label("As they come (within minutes)").is_checked()
    rita_screen.step("saved")
    assert MailSetting.objects.get(user=rita).mode == "immediate"
    assert not MailSetting.objects.filter(user=ruth).exists()

    day = timezone.localdate() - datetime.timedelta(days=1)
    alert = spike(app, day, at=timezone.now() - datetime.timedelta(minutes=2))
    mail.outbox.clear()
    early_warning_mail.delay("immediate")  # beat's run, every few minutes
    [message] = mail.outbox
    assert message.to == [rita.email]  # ruth waits for her daily digest
    link = re.search(r"http://\S+/early-warning/alerts/\d+/", message.body).group(0)
    page = rita_screen.go("/" + link.split("/", 3)[3])  # the path, on this test's server
    assert page.url == f"{rita_screen.base_url}/early-warning/alerts/{alert.pk}/"
    assert (
        f"12 complaints about {app.name} on {day.isoformat()}" in page.locator("main").inner_text()
    )
    rita_screen.step("alert-from-the-email")
    early_warning_mail.delay("immediate")
    assert len(mail.outbox) == 1  # never twice
    assert rita_screen.errors == []


def test_regulator_opens_cases_from_an_sdk_cluster(open_screen, three_apps, rita):  # noqa: F811
    day = timezone.localdate() - datetime.timedelta(days=1)
    complaints = file_sdk_burst(three_apps, day)
    complaints_cluster(complaint_ids=[c.pk for c in complaints])
    cluster = Cluster.objects.get()
    mine = complaints[4]

    rita_screen = signed_in(open_screen, "rita")
    page = rita_screen.page
    page.get_by_role("link", name="Early warning", exact=True).click()
    page.get_by_role("link", name="Collective complaints", exact=True).click()
    page.get_by_role("link", name="one SDK across companies").click()
    row = page.locator(f"tr[data-cluster='{cluster.pk}']")
    assert "one SDK across companies (3 apps)" in row.inner_text()
    rita_screen.step("sdk-clusters")
    row.get_by_role("link", name="Umeng Push").click()
    assert page.locator("h1").inner_text() == (
        "Collective complaint about the SDK Umeng Push: Collecting personal information unlawfully"
    )
    assert page.locator("#companies").inner_text() == "Companies: 优选电商, 天气科技, 趣读网络"
    assert page.locator("#members tbody tr").count() == 9
    rita_screen.step("sdk-cluster")

    rita_screen.submit("Open a case from these complaints")
    cases = Case.objects.order_by("pk")
    assert cases.count() == 3
    first = Cluster.objects.get().case
    assert page.url == f"{rita_screen.base_url}/cases/{first.pk}/"
    assert sorted(SdkAttribution.objects.values_list("sdk_id", flat=True)) == ["umeng_push"] * 3
    rita_screen.step("case")

    consumer = person(open_screen, "consumer")
    track = consumer.go(f"/track/{mine.tracking_number}/?t={mine.test_token}")
    track.wait_for_url(f"**/track/{mine.tracking_number}/")
    mine.refresh_from_db()
    assert (
        f"Your complaint is one of 9 alike about Umeng Push; regulators took them up together "
        f"in case {mine.case.reference}." in track.locator(".timeline").inner_text()
    )
    consumer.step("status-page")
    assert rita_screen.errors == [] and consumer.errors == []
