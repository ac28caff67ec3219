"""The printable notice is a formal document (issue 13, item 12): letterhead of the issuing
authority (a setting), number, addressee with its unified social credit code, the problems
(categories, complaint counts, masked examples), legal basis, rectification required,
deadline in working days, how to respond, seal block and date; in the case's language."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.calendar import working_days_between
from complaints.services import cases as case_services
from complaints.services import triage
from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def noticed(app, rita, settings):
    settings.NOTICE_AUTHORITY = "北京市示例区市场监督管理局"
    settings.NOTICE_AUTHORITY_EN = "Example District Market Regulation Bureau"
    complaints = [
        make_complaint(app=app, description="不给通讯录权限就闪退，客服电话 13812345678 也不接。"),
        make_complaint(app=app, description="每次打开都反复弹出定位权限申请。"),
        make_complaint(app=app, description="后台偷偷读取剪贴板。"),
    ]
    for complaint, codes in zip(
        complaints, [["over_permission"], ["over_permission"], ["illegal_collection"]], strict=True
    ):
        triage.complaint_accept(complaint=complaint, actor=rita, category_codes=codes)

    def issue(language: str):
        case = case_services.case_open(
            app=app,
            categories=["over_permission", "illegal_collection"],
            actor=rita,
            complaints=complaints,
            language=language,
        )
        notice = case_services.notice_issue(
            case=case, actor=rita, problems="启动即索取通讯录权限，拒绝后无法使用。"
        )
        return case, notice

    return issue


def _page(rita, case, notice) -> str:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the reader's language does not matter
    client.force_login(rita)
    response = client.get(reverse("cases:notice", args=[case.pk, notice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_chinese_notice_has_every_part_of_the_formal_document(noticed, rita, company):
    case, notice = noticed("zh-hans")
    html = _page(rita, case, notice)
    issued = timezone.localdate(notice.issued_at)
    days = working_days_between(issued, notice.deadline_date)
    for part in (
        "北京市示例区市场监督管理局",
        "责令整改通知书",
        f"编号：{notice.number}",
        company.name,
        f"统一社会信用代码：{company.credit_code}",
        "一、发现的问题",
        "强制、频繁、过度索取权限",
        "违规收集个人信息",
        "二、法律依据",
        notice.legal_basis.splitlines()[0],
        "三、整改要求",
        f"请于 {notice.deadline_date:%Y-%m-%d} 前完成整改（自本通知书发出之日起 {days} 个工作日内）",
        "五、回复方式",
        f"/operator/cases/{case.pk}/",
        "（盖章）",
        f'<p id="notice-date">{issued:%Y-%m-%d}</p>',
        "启动即索取通讯录权限",
    ):
        assert part in html, part
    # Complaint counts per category, and examples with personal data masked.
    assert '<td class="num">2</td>' in html and '<td class="num">1</td>' in html
    assert "138****5678" in html and "13812345678" not in html
    assert "notice-print.css" in html


def test_an_english_case_prints_in_english_for_anyone(noticed, rita, company):
    case, notice = noticed("en")
    html = _page(rita, case, notice)
    for part in (
        "Example District Market Regulation Bureau",
        "Rectification notice",
        f"No. {notice.number}",
        company.name_en,
        f"Unified social credit code: {company.credit_code}",
        "Excessive, forced or repeated permission requests",
        "(seal)",
    ):
        assert part in html, part
    assert "责令整改通知书" not in html


def test_a_deadline_in_a_year_the_calendar_lacks_says_so(app, rita, settings):
    case = case_services.case_open(app=app, categories=["over_permission"], actor=rita)
    notice = case_services.notice_issue(
        case=case,
        actor=rita,
        problems="x",
        deadline_date=datetime.date(2099, 1, 5),
        at=timezone.make_aware(datetime.datetime(2098, 12, 1, 10)),
    )
    html = _page(rita, case, notice)
    assert "2098, 2099年的节假日安排尚未收录" in html or "2099年的节假日安排尚未收录" in html
