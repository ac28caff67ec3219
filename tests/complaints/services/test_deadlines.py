"""Notice deadlines: a chosen deadline must be a working day (the next one is offered), the
calendar that counted the working days is named in the notice and the regulator is warned
past the years it covers, and reminders go out once per notice."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from complaints.errors import DomainError
from complaints.models import Case, Event
from complaints.services import cases as case_services
from complaints.services import deadlines
from tests import clock

pytestmark = pytest.mark.usefixtures("english")

K = Case.Status
TZ = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
# A Thursday a week before Christmas: 15 working days from it end in January 2027.
CHRISTMAS_EVE = clock._at("2026-12-24T10:00")


@pytest.fixture
def case(app, rita):
    return case_services.case_open(
        app=app, categories=["fraud", "unauthorized_charges"], actor=rita, at=MONDAY
    )


def test_a_deadline_on_a_saturday_is_refused_with_the_next_working_day(case, rita):
    with pytest.raises(DomainError) as error:
        case_services.notice_issue(
            case=case, actor=rita, problems="x", deadline_date=datetime.date(2026, 3, 14), at=MONDAY
        )
    assert error.value.message == (
        "2026-03-14 is not a working day (a weekend or a public holiday). The nearest working "
        "day after it is 2026-03-16: choose that date or another working day."
    )
    assert error.value.field == "deadline_date"
    assert not case.notices.exists()
    case.refresh_from_db()
    assert case.status == K.OPEN


def test_a_deadline_on_a_public_holiday_is_refused_in_the_users_language(case, rita):
    with translation.override("zh-hans"), pytest.raises(DomainError) as error:
        case_services.notice_issue(
            case=case, actor=rita, problems="x", deadline_date=datetime.date(2026, 5, 1), at=MONDAY
        )
    assert error.value.message == (
        "2026-05-01 不是工作日（周末或法定节假日）。其后最近的工作日是 2026-05-06，"
        "请选择该日期或其他工作日。"
    )


def test_a_make_up_working_day_is_a_valid_deadline(case, rita):
    # Sunday 20 September 2026 is worked in exchange for the National Day holiday.
    notice = case_services.notice_issue(
        case=case, actor=rita, problems="x", deadline_date=datetime.date(2026, 9, 20), at=MONDAY
    )
    assert notice.deadline_date == datetime.date(2026, 9, 20)


def test_the_notice_names_the_holiday_calendar(case, rita):
    notice = case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    assert "工作日计算依据：国务院办公厅公布的节假日安排（chinesecalendar 1.11.0）。" in notice.text
    assert "周一至周五" not in notice.text
    issued = case.events.get(to_status=K.NOTICE_ISSUED)
    assert issued.data["calendar"] == "statutory"
    assert (
        deadlines.calendar_warning(issued_date=MONDAY.date(), deadline_date=notice.deadline_date)
        == ""
    )


@pytest.mark.parametrize("test_now", [CHRISTMAS_EVE], indirect=True)
def test_a_deadline_in_a_year_the_calendar_does_not_cover(app, rita, test_now):
    case = case_services.case_open(app=app, categories=["data_sharing_leak"], actor=rita)
    notice = case_services.notice_issue(case=case, actor=rita, problems="x")
    # 15 working days from Thursday 24 December, 1 January 2027 counted as one (a Friday).
    assert notice.deadline_date == datetime.date(2027, 1, 14)
    assert (
        "工作日计算依据：国务院办公厅公布的节假日安排（chinesecalendar 1.11.0）；"
        "2027年的节假日安排尚未收录，该年份按周一至周五计算工作日。"
    ) in notice.text
    assert case.events.get(to_status=K.NOTICE_ISSUED).data["calendar"] == "weekdays"
    assert deadlines.calendar_warning(
        issued_date=test_now.date(), deadline_date=notice.deadline_date
    ) == (
        "The holiday calendar does not cover 2027 yet: working days there were counted Monday "
        "to Friday, holidays not known. Check the deadline once the State Council publishes "
        "that year's holidays."
    )


@pytest.mark.parametrize("test_now", [CHRISTMAS_EVE], indirect=True)
def test_an_english_notice_says_the_same(app, rita):
    case = case_services.case_open(app=app, categories=["fraud"], actor=rita, language="en")
    notice = case_services.notice_issue(
        case=case, actor=rita, problems="x", deadline_date=datetime.date(2026, 12, 31)
    )
    assert (
        "Working days are counted on the holiday schedule published by the State Council "
        "(chinesecalendar 1.11.0)."
    ) in notice.text
    later = case_services.case_open(app=app, categories=["other"], actor=rita, language="en")
    notice = case_services.notice_issue(
        case=later, actor=rita, problems="x", deadline_date=datetime.date(2027, 1, 4)
    )
    assert (
        "(chinesecalendar 1.11.0); the holidays of 2027 are not yet on it, so working days in "
        "that year are counted Monday to Friday."
    ) in notice.text


def test_not_rectified_needs_a_new_deadline_or_an_escalation(case, rita, olivia):
    case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)
    case_services.rectification_report_submit(case=case, actor=olivia, text="done")
    with pytest.raises(DomainError) as error:
        case_services.rectification_verify(case=case, actor=rita, rectified=False, notes="No.")
    assert error.value.message == (
        "Not rectified: give a new deadline (a new notice) or an escalation."
    )
    assert error.value.field == "new_deadline_date"
    with pytest.raises(DomainError) as error:
        case_services.rectification_verify(
            case=case,
            actor=rita,
            rectified=False,
            notes="No.",
            new_deadline_date=datetime.date(2026, 3, 21),
            at=MONDAY,
        )
    assert "The nearest working day after it is 2026-03-23" in error.value.message
    assert error.value.field == "new_deadline_date"
    case.refresh_from_db()
    assert case.status == K.RESPONSE_RECEIVED
    assert not Event.objects.filter(case=case, to_status=K.NOT_RECTIFIED).exists()


def test_reminder_once_per_notice(
    case, rita, olivia, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.DEADLINE_REMINDER_WORKING_DAYS = 3
    case_services.notice_issue(case=case, actor=rita, problems="x", at=MONDAY)  # due Monday 9 March
    assert deadlines.notices_remind(today=datetime.date(2026, 3, 3)) == []
    with django_capture_on_commit_callbacks(execute=True):
        reminded = deadlines.notices_remind(today=datetime.date(2026, 3, 4))
    assert [n.number for n in reminded] == ["RC-2026-00001-1"]
    assert any(m.subject.startswith("提醒") for m in mailoutbox if "olivia@example.com" in m.to)
    assert deadlines.notices_remind(today=datetime.date(2026, 3, 5)) == []
