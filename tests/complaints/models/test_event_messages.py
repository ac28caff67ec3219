"""Event texts are stored as a message id and parameters and read in the reader's language:
what a Chinese-speaking regulator did reads in English for an English-speaking consumer and
the other way round; what people type stays as typed; old rows are read back into messages."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from complaints.models import Complaint, Event
from complaints.models.event_messages import MESSAGES, message, message_parse, message_text
from complaints.selectors.consumers import consumer_timeline
from complaints.services import cases, consumers, triage
from tests.factories import make_complaint
from tests.otp import VerifiedClient as Client

pytestmark = pytest.mark.django_db


def test_every_message_has_a_chinese_translation_and_its_parameters():
    for key, template in MESSAGES.items():
        with translation.override("zh-hans"):
            chinese = translation.gettext(template)
        assert chinese != template, f"{key} is not translated"
        for name in ("%(labels)s", "%(number)s", "%(date)s", "%(app)s", "%(reference)s"):
            assert (name in template) == (name in chinese), f"{key}: {name}"


def test_an_unknown_message_id_is_refused():
    with pytest.raises(KeyError):
        message("no_such_message")


def test_a_zh_regulators_rejection_reads_in_english_for_the_consumer(app, rita):
    complaint = make_complaint(app=app)
    with translation.override("zh-hans"):
        triage.complaint_reject(complaint=complaint, actor=rita, reason="spam")
    event = complaint.events.get(to_status=Complaint.Status.REJECTED)
    assert event.reason == ""
    with translation.override("en"):
        entry = next(e for e in consumer_timeline(complaint) if e.status == "rejected")
        assert entry.detail == "Reason: spam or abuse."
    with translation.override("zh-hans"):
        entry = next(e for e in consumer_timeline(complaint) if e.status == "rejected")
        assert entry.detail.startswith("理由：") and "spam" not in entry.detail


def test_an_en_classification_reads_in_chinese_with_category_names(app):
    stored = message("classified", labels=["fraud", "over_permission"], confidence=0.912)
    with translation.override("en"):
        assert message_text(stored) == (
            "Classified automatically as Online fraud, Excessive, forced or repeated"
            " permission requests (confidence 0.91)."
        )
    with translation.override("zh-hans"):
        text = message_text(stored)
    assert "网络诈骗" in text and "强制、频繁、过度索取权限" in text and "fraud" not in text


def test_typed_text_stays_as_typed_beside_the_message(app, rita):
    complaint = make_complaint(app=app)
    with translation.override("zh-hans"):
        triage.complaint_reject(
            complaint=complaint, actor=rita, reason="spam", note="广告内容，与应用无关"
        )
    event = complaint.events.get(to_status=Complaint.Status.REJECTED)
    with translation.override("en"):
        assert event.text == "广告内容，与应用无关"


def test_a_case_closed_in_chinese_tells_an_english_consumer(app, rita):
    complaint = make_complaint(app=app)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    case = cases.case_open(app=app, categories=["fraud"], actor=rita, complaints=[complaint])
    with translation.override("zh-hans"):
        cases.case_close(case=case, actor=rita, reason="整改完成")
    closed = complaint.events.get(to_status=Complaint.Status.CLOSED)
    with translation.override("en"):
        assert closed.text == f"The rectification case {case.reference} was closed."
    with translation.override("zh-hans"):
        assert case.reference in closed.text and "closed" not in closed.text


def test_the_api_gives_the_readers_language(app, rita):
    complaint = make_complaint(app=app)
    with translation.override("zh-hans"):
        triage.complaint_reject(complaint=complaint, actor=rita, reason="spam")
    client = Client()
    client.force_login(rita)
    url = f"/api/v1/triage/{complaint.pk}/history/"
    body = client.get(url, headers={"accept-language": "en"}).json()
    rejected = next(e for e in body if e["to_status"] == "rejected")
    assert rejected["reason"] == "Reason: spam or abuse."
    assert rejected["message"] == {"id": "rejected", "params": {"reject_reason": "spam"}}


CATEGORIES = {
    "fraud": "fraud",
    "Online fraud": "fraud",
    "网络诈骗": "fraud",
    "over_permission": "over_permission",
}


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "en",
            "Classified automatically as fraud, over_permission (confidence 0.87).",
            message("classified", labels=["fraud", "over_permission"], confidence=0.87),
        ),
        (
            "zh-hans",
            "已自动分类为 fraud（置信度 0.55）。",
            message("classified", labels=["fraud"], confidence=0.55),
        ),
        (
            "en",
            "3 accepted complaints about 快送外卖 in “Online fraud” within 30 days.",
            message("trigger_alert", count="3", app="快送外卖", category="fraud", days="30"),
        ),
        (
            "zh-hans",
            "运营者已阅读整改通知 N-2026-0001。",
            message("notice_read", number="N-2026-0001"),
        ),
        ("en", "Withdrawn by the consumer.", message("withdrawn")),
        ("en", "Call me on 13812345678", None),
        ("en", "Classified automatically as nonsense (confidence 0.87).", None),
    ],
)
def test_old_texts_are_read_back_into_messages(language, text, expected):
    with translation.override(language):
        templates = {key: translation.gettext(value) for key, value in MESSAGES.items()}
    assert message_parse(text, templates, CATEGORIES) == expected


def test_the_migration_turns_old_rows_into_messages(app, rita):
    """Rows written before messages (their reason a sentence in either language) are read back;
    people's words are left alone."""
    if connection.vendor == "postgresql":
        # The upgrade ran under 0017's trigger, which let any UPDATE through while
        # appwatch.redaction was on; 0028's lets only redaction's own columns change. Run it
        # as it ran (the ALTER, before any row is written, is undone with the test's
        # transaction).
        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE complaints_event DISABLE TRIGGER complaints_event_refuse_update"
            )
    complaint = make_complaint(app=app)
    with translation.override("zh-hans"):
        zh_overdue = translation.gettext(MESSAGES["deadline_passed"]) % {"date": "2026-03-02"}
    old = [
        Event.objects.create(complaint=complaint, reason="Classified automatically as fraud (confidence 0.91)."),
        Event.objects.create(complaint=complaint, reason=zh_overdue),
        Event.objects.create(complaint=complaint, reason="垃圾信息或恶意投诉", to_status="rejected", data={"reject_reason": "spam"}),
        Event.objects.create(complaint=complaint, reason="请补充截图"),
    ]  # fmt: skip
    module = importlib.import_module("complaints.migrations.0018_event_message")
    state = MigrationExecutor(connection).loader.project_state(("complaints", "0018_event_message"))
    # What RunPython hands over, without a schema editor (SQLite refuses one inside the
    # test's transaction): the connection and a way to run SQL.
    editor = SimpleNamespace(
        connection=connection, execute=lambda sql, params: connection.cursor().execute(sql, params)
    )
    module.messages_from_reasons(state.apps, editor)
    after = [Event.objects.get(pk=event.pk) for event in old]
    assert [e.message.get("id") for e in after] == [
        "classified",
        "deadline_passed",
        "rejected",
        None,
    ]
    assert [e.reason for e in after] == ["", "", "", "请补充截图"]
    with translation.override("en"):
        assert after[1].text == "The deadline 2026-03-02 passed without a rectification report."


def test_erasure_still_tells_the_withdrawal_in_the_readers_language(app, alice):
    complaint = make_complaint(app=app, submitter=alice)
    with translation.override("zh-hans"):
        consumers.complaint_erase(complaint=complaint, actor=alice)
    withdrawn = complaint.events.get(to_status=Complaint.Status.WITHDRAWN)
    with translation.override("en"):
        assert withdrawn.text.startswith("Withdrawn because the consumer asked")
