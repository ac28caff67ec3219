"""Operators' response quality: boilerplate across 20 complaints is flagged, closes without
substance and silence past the clock break their rules, and the rates reach the scorecard."""

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from complaints.models import Complaint
from complaints.services import operators, triage
from early_warning.models import Alert, ResponseQuality
from early_warning.response_quality import response_quality_measure
from tests.factories import make_complaint

pytestmark = pytest.mark.django_db

FORM_LETTER = "您好，您反映的问题我们已收到，将尽快核实处理，感谢您对{app}的支持！（工单{n}）"
SUBSTANTIVE = [
    "已关闭后台定位采集，版本 5.{n}.0 起不再读取位置，请更新后重试。",
    "核实后确认重复扣费 {n} 元，已原路退回，预计三个工作日到账。",
    "通讯录权限改为可选，拒绝后不影响点餐，已在 6.{n} 版上线。",
    "您的账号已按要求注销，相关个人信息已删除，注销凭证编号 Z{n}。",
]


def accepted(app, rita, n: int) -> list[Complaint]:
    complaints = []
    for i in range(n):
        complaint = make_complaint(
            app=app, description=f"第{i}个投诉：应用强制索取权限。", classify=False
        )
        triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["over_permission"])
        complaints.append(complaint)
    return complaints


def test_boilerplate_answers_across_20_complaints_are_flagged(app, olivia, rita, today):
    for n, complaint in enumerate(accepted(app, rita, 20)):
        text = FORM_LETTER.format(app=app.name, n=1000 + n)
        operators.complaint_answer(
            complaint=complaint, actor=olivia, text=text, closure_code="explained"
        )
    [alert] = response_quality_measure(day=today)
    assert (alert.kind, alert.company, alert.figures) == (
        "response_quality",
        app.operator,
        {"rule": "boilerplate"},
    )
    assert alert.complaints.count() == 20
    quality = ResponseQuality.objects.get(company=app.operator)
    assert (quality.replies, quality.boilerplate_replies, quality.boilerplate_rate) == (20, 20, 1.0)
    with translation.override("en"):
        assert alert.why == (
            "甲科技有限公司: 100% of its 20 replies in the last 90 days repeat the same text, or "
            "nearly (rule: at most 50%)."
        )
    # The same month: measured again, not raised again.
    assert response_quality_measure(day=today) == []


def test_substantive_answers_are_not_boilerplate(app, olivia, rita, today):
    for n, complaint in enumerate(accepted(app, rita, 20)):
        text = SUBSTANTIVE[n % 4].format(n=n)
        operators.complaint_answer(
            complaint=complaint, actor=olivia, text=text, closure_code="fixed"
        )
    assert response_quality_measure(day=today) == []
    quality = ResponseQuality.objects.get(company=app.operator)
    assert (quality.replies, quality.boilerplate_replies) == (20, 0)


def test_nine_form_letters_stay_under_the_group_size(app, olivia, rita, today, settings):
    complaints = accepted(app, rita, 12)
    for n, complaint in enumerate(complaints[:9]):
        operators.complaint_answer(
            complaint=complaint,
            actor=olivia,
            text=FORM_LETTER.format(app=app.name, n=n),
            closure_code="explained",
        )
    for n, complaint in enumerate(complaints[9:]):
        operators.complaint_answer(
            complaint=complaint, actor=olivia, text=SUBSTANTIVE[n], closure_code="fixed"
        )
    assert response_quality_measure(day=today) == []
    assert ResponseQuality.objects.get().boilerplate_replies == 0


def test_silence_past_the_clock_is_flagged(app, olivia, rita, today):
    complaints = accepted(app, rita, 12)
    Complaint.objects.filter(pk__in=[c.pk for c in complaints]).update(
        operator_due_date=today - datetime.timedelta(days=3)
    )
    for complaint in complaints[:2]:
        operators.complaint_answer(
            complaint=complaint, actor=olivia, text=SUBSTANTIVE[0], closure_code="fixed"
        )
    [alert] = response_quality_measure(day=today)
    assert alert.figures == {"rule": "zero_reply"}
    assert set(alert.complaints.values_list("pk", flat=True)) == {c.pk for c in complaints[2:]}
    quality = ResponseQuality.objects.get()
    assert (quality.due, quality.zero_replies) == (12, 10)


def test_closes_without_substance_are_flagged(app, olivia, rita, today):
    complaints = accepted(app, rita, 5)
    for complaint in complaints[:3]:
        operators.complaint_answer(
            complaint=complaint, actor=olivia, text="这不是我们的应用。", closure_code="not_our_app"
        )
    for complaint in complaints[3:]:
        operators.complaint_answer(
            complaint=complaint, actor=olivia, text="已修复。", closure_code="fixed"
        )
        operators.complaint_dispute(complaint=complaint, reason="根本没修，还是闪退。")
    assert response_quality_measure(day=today) == []  # at most five
    assert ResponseQuality.objects.get().hollow_closes == 5
    [extra] = accepted(app, rita, 1)
    operators.complaint_answer(
        complaint=extra, actor=olivia, text="不是我们的。", closure_code="not_our_app"
    )
    [alert] = response_quality_measure(day=today)
    assert alert.figures == {"rule": "hollow_close"} and alert.complaints.count() == 6


def test_the_scorecard_shows_zero_reply_and_boilerplate_rates(
    client, app, olivia, rita, today, english
):
    complaints = accepted(app, rita, 4)
    Complaint.objects.filter(pk__in=[c.pk for c in complaints]).update(
        operator_due_date=today - datetime.timedelta(days=1)
    )
    operators.complaint_answer(
        complaint=complaints[0], actor=olivia, text=SUBSTANTIVE[1], closure_code="refunded"
    )
    response_quality_measure(day=today)
    page = client.get(reverse("operator-scorecard", args=[app.operator_id])).content.decode()
    assert '<dd data-figure="zero_reply_rate">75.0%</dd>' in page
    assert '<dd data-figure="boilerplate_rate">0.0%</dd>' in page
    assert Alert.objects.count() == 0


def test_not_our_app_is_hollow_only_for_an_app_the_operator_runs(
    app, olivia, rita, today, other_company
):
    complaints = accepted(app, rita, 6)
    for complaint in complaints:
        operators.complaint_answer(
            complaint=complaint, actor=olivia, text="不是我们的。", closure_code="not_our_app"
        )
    # The registry was wrong: the app belongs to another company, so the answers were true.
    app.operator = other_company
    app.save(update_fields=["operator"])
    assert response_quality_measure(day=today) == []
    assert ResponseQuality.objects.get(company=olivia.memberships.get().company).hollow_closes == 0
