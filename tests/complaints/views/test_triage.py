"""The triage web pages: queue, filters, saved filters, bulk actions, detail and decisions."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from complaints.models import Complaint, Event, SavedFilter
from complaints.services import cases as case_services
from complaints.services import consumers, priority, triage
from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.usefixtures("english")

S = Complaint.Status


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def rita_client(client, rita):
    client.force_login(rita)
    return client


def test_queue_orders_by_priority_then_age(rita_client, app):
    low = make_complaint(app=app, description="弹窗太多")
    high = make_complaint(app=app, description="被扣了钱", amount=Decimal("999"))
    priority.complaint_prioritise(complaint=low)
    priority.complaint_prioritise(complaint=high)
    response = rita_client.get(reverse("triage:queue"))
    assert response.status_code == 200
    numbers = [row["tracking_number"] for row in response.context["rows"]]
    assert numbers == [high.tracking_number, low.tracking_number]
    assert response.context["counts"]["waiting"] == 2
    body = response.content.decode()
    assert f'<a href="/triage/{high.pk}/">{high.tracking_number}</a>' in body
    assert "¥999.00" in body and "working days left" in body


def test_queue_rows_show_the_start_of_the_text(rita_client, app):
    long_text = "这个应用在安装后立即索取通讯录、定位和相机权限，" * 8
    make_complaint(app=app, description=long_text)
    make_complaint(app=app, description="弹窗\n太多")
    rows = rita_client.get(reverse("triage:queue")).context["rows"]
    snippets = sorted((row["snippet"] for row in rows), key=len)
    assert snippets[0] == "弹窗 太多"  # on one line
    assert len(snippets[1]) == 80 and snippets[1].endswith("…")
    assert snippets[1][:20] == long_text[:20]


def test_queue_shows_breaches(rita_client, app):
    make_complaint(app=app, submitted_at=datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC))
    response = rita_client.get(reverse("triage:queue"))
    assert response.context["counts"]["breached"] == 1
    assert response.context["rows"][0]["sla"]["breached"] is True
    assert "breached" in response.content.decode() or "超时" in response.content.decode()


def test_queue_filters(rita_client, app, other_app):
    mine = make_complaint(app=app, description="通讯录权限")
    make_complaint(app=other_app, description="价格歧视")
    response = rita_client.get(reverse("triage:queue"), {"app": app.pk})
    assert [r["pk"] for r in response.context["rows"]] == [mine.pk]
    response = rita_client.get(reverse("triage:queue"), {"q": "价格"})
    assert [r["app_id"] for r in response.context["rows"]] == [other_app.pk]
    response = rita_client.get(reverse("triage:queue"), {"q": mine.tracking_number})
    assert [r["pk"] for r in response.context["rows"]] == [mine.pk]
    response = rita_client.get(reverse("triage:queue"), {"status": "bogus", "sort": "bogus"})
    assert response.status_code == 200 and len(response.context["rows"]) == 2


def test_help_the_model_puts_what_the_classifier_was_least_sure_of_first(
    rita_client, app, settings
):
    settings.CLASSIFIER_CONFIDENCE_THRESHOLD = 0.6
    made = {}
    for name, confidence, urgency in (
        ("sure", 0.95, 90),
        ("middling", 0.52, 50),
        ("unsure", 0.31, 10),
        ("unclassified", None, 70),
    ):
        made[name] = make_complaint(app=app, description=name)
        Complaint.objects.filter(pk=made[name].pk).update(confidence=confidence, priority=urgency)
    response = rita_client.get(reverse("triage:queue"))
    assert [r["pk"] for r in response.context["rows"]] == [
        made[n].pk for n in ("sure", "unclassified", "middling", "unsure")
    ]
    assert "?low_confidence=1&amp;sort=confidence" in response.content.decode()
    response = rita_client.get(
        reverse("triage:queue"), {"low_confidence": "1", "sort": "confidence"}
    )
    # Unsure first; complaints the classifier has not seen yet come last.
    assert [r["pk"] for r in response.context["rows"]] == [
        made[n].pk for n in ("unsure", "middling", "unclassified")
    ]
    assert response.context["help_the_model"] is True
    assert "least sure of come first" in response.content.decode()


def test_save_and_delete_a_filter(rita_client, rita):
    response = rita_client.post(
        reverse("triage:filter_save"), {"name": "Money", "query": "money=1"}
    )
    assert response.status_code == 302
    saved = SavedFilter.objects.get(user=rita)
    assert (saved.name, saved.query) == ("Money", "money=1")
    page = rita_client.get(reverse("triage:queue"))
    assert "Money" in page.content.decode()
    rita_client.post(reverse("triage:filter_delete", args=[saved.pk]))
    assert not SavedFilter.objects.exists()


def test_save_filter_needs_a_name(rita_client):
    response = rita_client.post(
        reverse("triage:filter_save"), {"name": "", "query": "money=1"}, follow=True
    )
    assert "Name the filter." in [str(m) for m in response.context["messages"]]


def test_cannot_delete_someone_elses_filter(client, rita, ada):
    saved = SavedFilter.objects.create(user=ada, name="mine", query="")
    client.force_login(rita)
    assert client.post(reverse("triage:filter_delete", args=[saved.pk])).status_code == 404
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


def test_bulk_reject(rita_client, app):
    a, b = make_complaint(app=app), make_complaint(app=app)
    response = rita_client.post(
        reverse("triage:queue"),
        {"action": "reject", "ids": [a.pk, b.pk], "reason": "spam"},
        follow=True,
    )
    assert response.status_code == 200
    assert set(Complaint.objects.values_list("status", flat=True)) == {S.REJECTED}


def test_bulk_accept_reports_failures(rita_client, app):
    labelled = make_complaint(app=app)
    labelled.categories.set([])
    response = rita_client.post(
        reverse("triage:queue"), {"action": "accept", "ids": [labelled.pk]}, follow=True
    )
    texts = [str(m) for m in response.context["messages"]]
    assert f"{labelled.tracking_number}: Choose at least one category." in texts


def test_bulk_needs_a_selection(rita_client):
    response = rita_client.post(reverse("triage:queue"), {"action": "reject"}, follow=True)
    assert "Select at least one complaint." in [str(m) for m in response.context["messages"]]


def test_bulk_link_unknown_case(rita_client, app):
    c = make_complaint(app=app)
    response = rita_client.post(
        reverse("triage:queue"),
        {"action": "link_case", "ids": [c.pk], "case": "RC-1999-00001"},
        follow=True,
    )
    assert "No case with reference “RC-1999-00001”." in [
        str(m) for m in response.context["messages"]
    ]


def test_detail_shows_original_masked_similar_and_history(rita_client, app):
    original = make_complaint(
        app=app, description="APP强制索取通讯录权限，不给就闪退，我的电话13812345678"
    )
    twin = make_complaint(app=app, description="APP强制索取通讯录权限，不给就闪退，电话13812345678")
    response = rita_client.get(reverse("triage:detail", args=[twin.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "13812345678" in body  # the regulator sees the original
    assert twin.description_masked in body
    assert [s.complaint for s in response.context["similar"]] == [original]
    assert response.context["similar"][0].near_duplicate
    assert response.context["history"]["total"] == 2


def test_accept_from_the_page(rita_client, app):
    c = make_complaint(app=app)
    response = rita_client.post(
        reverse("triage:action", args=[c.pk, "accept"]),
        {"categories": ["over_permission"], "note": "clear"},
    )
    assert response.status_code == 302 and response.url == reverse("triage:detail", args=[c.pk])
    c.refresh_from_db()
    assert c.status == S.ACCEPTED and c.label_source == "regulator"


def test_accept_and_go_to_next(rita_client, app):
    first = make_complaint(app=app, amount=Decimal("10"))
    second = make_complaint(app=app)
    priority.complaint_prioritise(complaint=first)
    response = rita_client.post(
        reverse("triage:action", args=[first.pk, "accept"]),
        {"categories": ["fraud"], "then": "next"},
    )
    assert response.url == reverse("triage:detail", args=[second.pk])


def test_accept_without_categories_shows_the_error(rita_client, app):
    c = make_complaint(app=app)
    response = rita_client.post(reverse("triage:action", args=[c.pk, "accept"]), {})
    assert response.status_code == 400
    assert response.context["error"] == "Choose at least one category."
    assert "Choose at least one category." in response.content.decode()


def test_reject_bad_reason(rita_client, app):
    c = make_complaint(app=app)
    response = rita_client.post(reverse("triage:action", args=[c.pk, "reject"]), {"reason": "meh"})
    assert (
        response.status_code == 400
        and response.context["error"] == "Choose a reason for the rejection."
    )


def test_duplicate_unknown_original(rita_client, app):
    c = make_complaint(app=app)
    response = rita_client.post(
        reverse("triage:action", args=[c.pk, "duplicate"]), {"original": "AW-000000-XXXXXX"}
    )
    assert response.status_code == 400
    assert response.context["error"] == "No complaint with tracking number “AW-000000-XXXXXX”."


def test_duplicate_form_says_merging_across_apps_needs_a_reason(rita_client, app, other_app):
    original, complaint = make_complaint(app=other_app), make_complaint(app=app)
    page = rita_client.get(reverse("triage:detail", args=[complaint.pk])).content.decode()
    assert (
        "Merge only with a complaint about 快送外卖. To merge it with a complaint about another "
        "app, give the reason: it will then count on that app's record only, no longer on "
        "快送外卖's."
    ) in page
    assert 'name="note"' in page
    url = reverse("triage:action", args=[complaint.pk, "duplicate"])
    refused = rita_client.post(url, {"original": original.tracking_number})
    assert refused.status_code == 400
    assert refused.context["error"].startswith(
        f"{original.tracking_number} is about 云途出行 and this complaint about 快送外卖."
    )
    rita_client.post(url, {"original": original.tracking_number, "note": "Wrong app named."})
    complaint.refresh_from_db()
    assert (complaint.status, complaint.duplicate_of) == (S.DUPLICATE, original)


def test_duplicate_and_request_info_and_link(rita_client, rita, app):
    a, b, c = make_complaint(app=app), make_complaint(app=app), make_complaint(app=app)
    rita_client.post(
        reverse("triage:action", args=[b.pk, "duplicate"]), {"original": a.tracking_number}
    )
    b.refresh_from_db()
    assert b.duplicate_of == a
    rita_client.post(
        reverse("triage:action", args=[a.pk, "request-info"]), {"question": "Which phone?"}
    )
    a.refresh_from_db()
    assert a.status == S.INFO_REQUESTED
    triage.complaint_accept(complaint=c, actor=rita, category_codes=["fraud"])
    case = case_services.case_open(app=app, categories=["over_permission"], actor=rita)
    rita_client.post(
        reverse("triage:action", args=[c.pk, "link"]), {"case": case.reference.lower()}
    )
    c.refresh_from_db()
    assert c.case == case


def test_transition_error_is_shown(rita_client, rita, app):
    c = make_complaint(app=app)
    triage.complaint_reject(complaint=c, actor=rita, reason="spam")
    response = rita_client.post(
        reverse("triage:action", args=[c.pk, "accept"]), {"categories": ["fraud"]}
    )
    assert response.status_code == 400
    assert response.context["error"] == "A complaint cannot go from “rejected” to “accepted”."


def test_unknown_action_and_unknown_complaint(rita_client, app):
    c = make_complaint(app=app)
    assert rita_client.post(reverse("triage:action", args=[c.pk, "explode"])).status_code == 404
    assert rita_client.get(reverse("triage:detail", args=[999999])).status_code == 404
    assert rita_client.post(reverse("triage:action", args=[999999, "accept"])).status_code == 404


def test_wrong_methods(rita_client, app):
    c = make_complaint(app=app)
    assert rita_client.get(reverse("triage:action", args=[c.pk, "accept"])).status_code == 405
    assert rita_client.post(reverse("triage:detail", args=[c.pk])).status_code == 405
    assert rita_client.delete(reverse("triage:queue")).status_code == 405


def test_keyboard_shortcuts_are_on_the_pages(rita_client, app):
    c = make_complaint(app=app)
    queue = rita_client.get(reverse("triage:queue")).content.decode()
    detail = rita_client.get(reverse("triage:detail", args=[c.pk])).content.decode()
    assert "js/triage.js" in queue and "data-keyboard-list" in queue
    assert 'data-shortcut="a"' in detail and 'data-shortcut-focus="r"' in detail


def test_actions_write_events_with_the_regulator(rita_client, rita, app):
    c = make_complaint(app=app)
    rita_client.post(
        reverse("triage:action", args=[c.pk, "reject"]),
        {"reason": "insufficient", "note": "Need more."},
    )
    event = Event.objects.get(complaint=c, to_status=S.REJECTED)
    assert (event.actor, event.reason) == (rita, "Need more.")


def test_detail_shows_the_classification_and_its_reasons(rita_client, app):
    from classifier.models import ModelVersion
    from complaints.models import Classification

    c = make_complaint(app=app)
    version = ModelVersion.objects.create(version="test-1")
    Classification.objects.create(
        complaint=c,
        model_version=version,
        labels=["over_permission"],
        probabilities={"over_permission": 0.91, "fraud": 0.12},
        confidence=0.91,
        explanation={
            "over_permission": [{"term": "通讯录", "weight": 0.8}, {"term": "闪退", "weight": 0.5}]
        },
    )
    response = rita_client.get(reverse("triage:detail", args=[c.pk]))
    rows = response.context["explanation"]
    assert [(r["label"], r["predicted"], r["terms"]) for r in rows] == [
        ("over_permission", True, ["通讯录", "闪退"]),
        ("fraud", False, []),
    ]
    body = response.content.decode()
    assert "Excessive, forced or repeated permission requests" in body and "通讯录、闪退" in body
    assert "test-1" in body


def test_timeline_and_record_use_status_names(rita_client, rita, app):
    c = make_complaint(app=app)
    triage.complaint_reject(complaint=c, actor=rita, reason="spam")
    other = make_complaint(app=app)
    body = rita_client.get(reverse("triage:detail", args=[other.pk])).content.decode()
    assert "rejected: 1" in body  # the app's record, by status name
    body = rita_client.get(reverse("triage:detail", args=[c.pk])).content.decode()
    assert "submitted → rejected" in body


def test_not_our_app_lets_the_regulator_pick_another_app(rita_client, rita, olivia, app, other_app):
    from complaints.services import operators

    c = make_complaint(app=app)
    triage.complaint_accept(complaint=c, actor=rita, category_codes=["fraud"])
    operators.complaint_answer(
        complaint=c, actor=olivia, text="A clone of ours.", closure_code="not_our_app"
    )
    page = rita_client.get(reverse("triage:detail", args=[c.pk]))
    assert other_app in page.context["app_choices"]
    rita_client.post(
        reverse("triage:action", args=[c.pk, "accept"]),
        {"categories": ["fraud"], "app": other_app.pk},
    )
    c.refresh_from_db()
    assert (c.status, c.app) == (S.ACCEPTED, other_app)


def test_no_app_list_when_the_app_is_settled(rita_client, app):
    c = make_complaint(app=app)
    assert rita_client.get(reverse("triage:detail", args=[c.pk])).context["app_choices"] == []
    unmatched = make_complaint(app_name="某个应用")
    assert (
        app in rita_client.get(reverse("triage:detail", args=[unmatched.pk])).context["app_choices"]
    )


def test_detail_shows_the_consumers_rating_and_comment(rita_client, app, rita):
    complaint = make_complaint(app=app)
    triage.complaint_reject(complaint=complaint, actor=rita, reason="out_of_remit")

    consumers.complaint_rate(complaint=complaint, rating=2, comment="没有说明理由")
    html = rita_client.get(reverse("triage:detail", args=[complaint.pk])).content.decode()
    assert 'data-rating="2"' in html and "2 out of 5" in html and "没有说明理由" in html


def test_detail_queries_do_not_grow_with_what_the_complaint_holds(
    rita_client, rita, app, django_assert_max_num_queries
):
    """A regulator opens hundreds of these: the page reads each panel (similar complaints, the
    app's history, timeline, files, open cases, the next in the queue) in a fixed number of
    queries, not one per row it shows."""
    from tests.complaints.services.test_evidence import clean, image_bytes

    bare = make_complaint(app=app, description="闪退")
    rita_client.get(reverse("triage:detail", args=[bare.pk]))  # what every page loads once
    with django_assert_max_num_queries(40) as few:
        assert rita_client.get(reverse("triage:detail", args=[bare.pk])).status_code == 200

    text = "APP强制索取通讯录权限，不给就闪退，还偷偷上传联系人"
    (kind,) = triage.categories_from_codes(["over_permission"])
    for n in range(6):
        make_complaint(app=app, description=f"{text} {n}", category_hint=kind)
    full = make_complaint(
        app=app,
        description=text,
        evidence=[clean(image_bytes()), clean(image_bytes(size=(32, 32)), "second.jpg")],
        category_hint=kind,
    )
    for n in range(3):
        triage.complaint_request_info(complaint=full, actor=rita, question=f"哪个版本？{n}")
        full = consumers.complaint_info_add(complaint=full, text=f"版本 {n}")
    case_services.case_open(app=app, categories=["over_permission"], actor=rita)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = rita_client.get(reverse("triage:detail", args=[full.pk]))
    assert len(response.context["timeline"]) >= 7 and len(response.context["evidence"]) == 2
    assert len(response.context["similar"]) >= 5 and response.context["open_cases"]
