"""The "help the model" view of the triage queue (issue 15), in headless Chromium: rita opens
it from the queue, finds the complaint the classifier was least sure of at the top, confirms
its right label, and the confirmation is what the next retraining learns from; ruth, opening
the same view next, starts with the complaint that is now least sure.

  triage/queue.html   GET triage:queue?low_confidence=1&sort=confidence  ("Help the model")
                      POST triage:action accept on the detail page (its relabel)
"""

import pytest

from complaints.models import Complaint
from complaints.services.classification import confirmed_examples
from tests.browser.test_journey_regulator import form, regulator, signed_in
from tests.complaints.selectors.stats.test_summary import days_ago, model_labels
from tests.factories import make_complaint

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _rows(page) -> list[str]:
    """Tracking numbers of the queue's rows, top to bottom."""
    return [
        row.locator("a").first.inner_text()
        for row in page.locator(".triage-table tr[data-row]").all()
    ]


def test_regulator_confirms_what_the_model_was_least_sure_of_first(
    open_screen, app, rita, settings
):
    settings.CLASSIFIER_CONFIDENCE_THRESHOLD = 0.6
    sure = make_complaint(
        app=app, submitted_at=days_ago(3), description="不给通讯录权限就闪退，还一直弹窗要定位。"
    )
    model_labels(sure, ["over_permission"], 0.95)
    middling = make_complaint(
        app=app, submitted_at=days_ago(3, hour=15), description="外卖晚到一个小时，客服不理人。"
    )
    model_labels(middling, ["other"], 0.52)
    unsure = make_complaint(
        app=app,
        submitted_at=days_ago(2),
        description="问题项：默认勾选自动续费，扣费前未提醒用户。",
    )
    model_labels(unsure, ["fraud"], 0.31)
    # The usual order puts the surest first: it is also the most urgent.
    for complaint, priority in ((sure, 90), (middling, 50), (unsure, 10)):
        Complaint.objects.filter(pk=complaint.pk).update(priority=priority)
    regulator("ruth")

    rita_screen = signed_in(open_screen, "rita")
    page = rita_screen.go("/triage/")
    assert _rows(page)[:3] == [c.tracking_number for c in (sure, middling, unsure)]
    page.get_by_role("link", name="Help the model", exact=True).click()
    page.wait_for_url("**/triage/?low_confidence=1&sort=confidence")
    # Only what the classifier was unsure of, least sure first.
    assert _rows(page) == [unsure.tracking_number, middling.tracking_number]
    assert "least sure of come first" in page.locator(".help-the-model").inner_text()
    assert page.locator("#f-sort").input_value() == "confidence"
    rita_screen.step("help-the-model")

    # The top one is a notice about an auto-renewal trap, not fraud: rita relabels it.
    page.get_by_role("link", name=unsure.tracking_number, exact=True).click()
    page.wait_for_url(f"**/triage/{unsure.pk}/")
    accept = form(page, "accept")
    accept.locator("input[name=categories][value=fraud]").uncheck()
    accept.locator("input[name=categories][value=unauthorized_charges]").check()
    rita_screen.submit("Accept", within=accept)
    unsure.refresh_from_db()
    assert unsure.status == Complaint.Status.ACCEPTED
    assert unsure.label_source == Complaint.LabelSource.REGULATOR
    assert [c.code for c in unsure.categories.all()] == ["unauthorized_charges"]
    # What the next retraining (model_train_with_confirmed) learns from.
    learned = {e.text: e.labels for e in confirmed_examples()}
    assert learned[unsure.description] == ("unauthorized_charges",)

    # ruth opens the view next: the confirmed complaint has left it.
    ruth_screen = signed_in(open_screen, "ruth")
    page = ruth_screen.go("/triage/")
    page.get_by_role("link", name="Help the model", exact=True).click()
    page.wait_for_url("**sort=confidence")
    assert _rows(page) == [middling.tracking_number]
    page.get_by_role("link", name="Back to the whole queue").click()
    page.wait_for_url("**/triage/")
    assert _rows(page)[:2] == [sure.tracking_number, middling.tracking_number]
