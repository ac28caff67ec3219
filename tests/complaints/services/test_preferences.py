"""A signed-in person's language: kept when they switch, set again when they log in on another
browser, and used for the e-mails the platform sends them."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from complaints.models import Event, Preference
from complaints.services import cases as case_services
from complaints.services.notifications import Alert, Kind, alert_raise, notification_send
from tests.otp import VerifiedClient as Client
from tests.otp import authenticator, code_now

pytestmark = pytest.mark.django_db


def switch(client: Client, language: str):
    return client.post(reverse("set_language"), {"language": language, "next": "/"})


def test_switching_keeps_a_signed_in_persons_choice(client, rita):
    client.force_login(rita)
    response = switch(client, "en")
    assert response.status_code == 302 and response.cookies["django_language"].value == "en"
    assert Preference.objects.get(user=rita).language == "en"
    switch(client, "zh-hans")
    assert Preference.objects.get(user=rita).language == "zh-hans"


def test_anonymous_visitors_and_unknown_languages_keep_nothing(client, rita):
    switch(client, "en")
    assert not Preference.objects.exists()
    client.force_login(rita)
    switch(client, "fr")
    assert not Preference.objects.exists()


def test_logging_in_on_another_browser_brings_the_language_back(rita):
    first = Client()
    first.force_login(rita)
    switch(first, "en")
    other = Client()
    response = other.post(reverse("login"), {"username": "rita", "password": "pw-rita"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"
    other.post(reverse("two_factor_verify"), {"code": code_now(authenticator(rita))})
    page = other.get(reverse("triage:queue")).content.decode()
    assert '<html lang="en"' in page


def test_someone_who_never_chose_gets_no_cookie_at_login(rita):
    response = Client().post(reverse("login"), {"username": "rita", "password": "pw-rita"})
    assert response.status_code == 302 and "django_language" not in response.cookies


def test_regulator_alerts_go_out_in_each_regulators_language(app, rita, mailoutbox):
    rosa = User.objects.create_user("rosa", "rosa@example.com", "pw-rosa")
    rosa.groups.add(Group.objects.get(name="regulator"))
    Preference.objects.create(user=rosa, language="en")
    event = alert_raise(alert=Alert.OVERDUE, reason="past the deadline")
    mailoutbox.clear()  # whatever the enqueue sent in-process; the send below is the one checked
    assert notification_send(kind=Kind.REGULATOR_ALERT, event_id=event.pk) == 2
    by_address = {message.to[0]: message for message in mailoutbox}
    assert by_address["rosa@example.com"].subject.startswith("[AppWatch alert]")
    assert by_address["rita@example.com"].subject.startswith("[AppWatch 提醒]")


def test_operator_notices_follow_each_members_choice_and_else_the_case(
    app, company, rita, olivia, mailoutbox
):
    company.contact_email = "compliance@alpha.example"
    company.save(update_fields=["contact_email"])
    Preference.objects.create(user=olivia, language="en")
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita)
    assert case.language == "zh-hans"
    case_services.notice_issue(case=case, actor=rita, problems="冒充客服退款诈骗。")
    event = Event.objects.filter(case=case).latest("pk")
    mailoutbox.clear()
    assert notification_send(kind=Kind.NOTICE_ISSUED, event_id=event.pk) == 2
    by_address = {message.to[0]: message for message in mailoutbox}
    assert by_address["olivia@example.com"].subject.startswith("Rectification notice")
    assert by_address["compliance@alpha.example"].subject.startswith("整改通知")
