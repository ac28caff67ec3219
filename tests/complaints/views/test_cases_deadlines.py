"""The case page's deadlines: a deadline on a day off is refused with the next working day
offered, in the regulator's language; "not rectified" takes its next step at once; and a
deadline in a year the holiday calendar does not cover warns the regulator."""

import datetime

import pytest
from django.urls import reverse
from django.utils.html import escape

from complaints.models import Case, Notice
from complaints.services import cases as case_services
from tests import clock
from tests.otp import VerifiedClient as Client

K = Case.Status
# Default clock: Wednesday 18 November 2026. Saturday 21 November, Monday 23 November.
SATURDAY = datetime.date(2026, 11, 21)
CHRISTMAS_EVE = clock._at("2026-12-24T10:00")
WARNING = (
    "The holiday calendar does not cover 2027 yet: working days there were counted Monday to "
    "Friday, holidays not known. Check the deadline once the State Council publishes that "
    "year's holidays."
)


def signed_in(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def case(app, rita):
    return case_services.case_open(app=app, categories=["data_sharing_leak"], actor=rita)


def notice_post(client, case, deadline: datetime.date):
    return client.post(
        reverse("cases:action", args=[case.pk, "notice"]),
        {"problems": "Shares contacts with an ad SDK.", "deadline_date": deadline.isoformat()},
    )


@pytest.mark.parametrize(
    ("language", "message"),
    [
        (
            "en",
            "2026-11-21 is not a working day (a weekend or a public holiday). The nearest "
            "working day after it is 2026-11-23: choose that date or another working day.",
        ),
        (
            "zh-hans",
            "2026-11-21 不是工作日（周末或法定节假日）。其后最近的工作日是 2026-11-23，"
            "请选择该日期或其他工作日。",
        ),
    ],
)
def test_a_notice_deadline_on_a_saturday_is_refused(case, rita, language, message):
    response = notice_post(signed_in(rita, language), case, SATURDAY)
    assert response.status_code == 400
    assert response.context["error"] == message
    assert message in response.content.decode()
    assert not Notice.objects.exists()


def test_not_rectified_without_a_next_step_is_refused(case, rita, olivia):
    case_services.notice_issue(case=case, actor=rita, problems="x")
    case_services.rectification_report_submit(case=case, actor=olivia, text="Done.")
    client = signed_in(rita)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Not rectified takes its next step now" in page
    url = reverse("cases:action", args=[case.pk, "verify"])
    response = client.post(url, {"rectified": "no", "notes": "Still shares."})
    assert response.status_code == 400
    assert response.context["error"] == (
        "Not rectified: give a new deadline (a new notice) or an escalation."
    )
    response = client.post(
        url, {"rectified": "no", "notes": "Still shares.", "new_deadline_date": SATURDAY}
    )
    assert "The nearest working day after it is 2026-11-23" in response.context["error"]
    case.refresh_from_db()
    assert case.status == K.RESPONSE_RECEIVED
    client.post(
        url, {"rectified": "no", "notes": "Still shares.", "new_deadline_date": "2026-11-23"}
    )
    case.refresh_from_db()
    assert (case.status, case.deadline_date) == (K.NOTICE_ISSUED, datetime.date(2026, 11, 23))
    assert case.notices.count() == 2


def test_no_calendar_warning_within_the_calendar(case, rita):
    client = signed_in(rita)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.context["default_deadline_warning"] == ""
    response = notice_post(client, case, datetime.date(2026, 12, 9))
    assert [m.message for m in response.wsgi_request._messages] == [
        f"Notice {case.reference}-1 issued; the operator has been told."
    ]


@pytest.mark.parametrize("test_now", [CHRISTMAS_EVE], indirect=True)
def test_a_deadline_past_the_calendar_warns_the_regulator(case, rita):
    client = signed_in(rita)
    page = client.get(reverse("cases:detail", args=[case.pk]))
    # The default deadline (15 working days) already reaches January 2027.
    assert page.context["default_deadline"] == datetime.date(2027, 1, 14)
    assert escape(WARNING) in page.content.decode()
    response = notice_post(client, case, datetime.date(2027, 1, 8))
    messages = [m.message for m in response.wsgi_request._messages]
    assert messages == [WARNING, f"Notice {case.reference}-1 issued; the operator has been told."]
    page = client.get(reverse("cases:detail", args=[case.pk]))
    assert page.context["deadline_warning"] == WARNING
    assert "该年份按周一至周五计算工作日" in Notice.objects.get().text
