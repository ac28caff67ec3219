"""Logs carry no personal data: a whole journey (filing with contact details and an ID number in
the text, triage with the contact details revealed, a new status link, the operator's answer,
the consumer's reply, e-mails that fail to go out) with every project logger at DEBUG, and each
record (message, arguments, traceback) searched for what the consumer sent."""

import copy
import logging
import logging.config
import smtplib
import sys

import pytest
from django.conf import settings as django_settings
from django.core.mail.backends.base import BaseEmailBackend
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from complaints.models import Complaint
from tests.otp import VerifiedClient

pytestmark = pytest.mark.django_db

NAME = "王小明"
PHONE = "13812345678"
EMAIL = "wang.xiaoming@example.com"
ID_NUMBER = "11010519491231002X"
TEXT = (
    f"我叫{NAME}，身份证 {ID_NUMBER}，手机 {PHONE}。凌晨三点自动续费扣了我两百元，客服电话打不通。"
)
# What must appear in no log record, in any of the forms the platform stores or shows.
SECRETS = [
    NAME,
    PHONE,
    "+8613812345678",
    "138 1234 5678",
    EMAIL,
    "wang.xiaoming",
    ID_NUMBER,
    "19491231",
    "凌晨三点自动续费",
    "客服电话打不通",
]


class RefusingBackend(BaseEmailBackend):
    """An SMTP server that refuses the consumer's address, naming it in its error, as real
    servers do."""

    def send_messages(self, messages):
        for message in messages:
            if EMAIL in message.to:
                raise smtplib.SMTPRecipientsRefused({EMAIL: (550, f"No mailbox {EMAIL}".encode())})
        return len(messages)


class Collect(logging.Handler):
    records: list[logging.LogRecord] = []

    def emit(self, record):
        Collect.records.append(record)


@pytest.fixture
def captured():
    """The production logging configuration (config/settings.py) at LOG_LEVEL=DEBUG, every
    record collected; the suite's quiet configuration is put back afterwards."""
    production = copy.deepcopy(sys.modules["config.settings"].LOGGING)
    production["handlers"] = {"collect": {"class": f"{__name__}.Collect"}}
    production["root"] = {"handlers": ["collect"], "level": "DEBUG"}
    named = list(production.get("loggers", {}))
    saved = {name: logging.getLogger(name).level for name in named}
    Collect.records = []
    logging.config.dictConfig(production)
    yield Collect.records
    logging.config.dictConfig(django_settings.LOGGING)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def rendered(record: logging.LogRecord) -> str:
    formatter = logging.Formatter()
    text = record.getMessage()
    if record.exc_info:
        text += "\n" + formatter.formatException(record.exc_info)
    return " ".join([text, repr(record.args), record.stack_info or ""])


@override_settings(
    EMAIL_BACKEND="tests.integration.test_logs_without_personal_data.RefusingBackend"
)
def test_a_whole_journey_logs_nothing_the_consumer_sent(
    captured, app, rita, olivia, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _journey(app, rita, olivia)
    assert captured, "the journey logged nothing at all: is capture working?"
    leaks = [
        (record.name, secret, rendered(record)[:300])
        for record in captured
        for secret in SECRETS
        if secret in rendered(record)
    ]
    assert leaks == [], "\n".join(f"{name}: {secret}" for name, secret, _text in leaks)


def _journey(app, rita, olivia):
    consumer = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    filed = consumer.post(
        "/api/v1/complaints/",
        {
            "app": app.pk,
            "description": TEXT,
            "contact_name": NAME,
            "contact_phone": PHONE,
            "contact_email": EMAIL,
            "consent_share_with_operator": True,
        },
        format="json",
    )
    assert filed.status_code == 201, filed.content
    number, token = filed.json()["tracking_number"], filed.json()["access_token"]
    complaint = Complaint.objects.get(tracking_number=number)
    # A wrong look-up and a malformed filing log their warnings too.
    consumer.get(f"/api/v1/track/{number}/", headers={"X-Tracking-Token": "wrong"})
    consumer.post(
        "/api/v1/complaints/", {"description": TEXT, "contact_phone": "12"}, format="json"
    )

    regulator = VerifiedClient(HTTP_ACCEPT_LANGUAGE="en")
    regulator.force_login(rita)
    assert regulator.get("/triage/").status_code == 200
    assert regulator.get(reverse("triage:detail", args=[complaint.pk])).status_code == 200
    shown = regulator.post(reverse("triage:action", args=[complaint.pk, "contact"]))
    assert PHONE in shown.content.decode() or "+8613812345678" in shown.content.decode()
    accepted = regulator.post(
        reverse("triage:action", args=[complaint.pk, "accept"]),
        {"categories": ["unauthorized_charges"]},
    )
    assert accepted.status_code == 302
    link = regulator.post(reverse("triage:action", args=[complaint.pk, "status-link"]))
    assert link.status_code == 200

    operator = VerifiedClient(HTTP_ACCEPT_LANGUAGE="en")
    operator.force_login(olivia)
    assert operator.get(reverse("operator:complaint", args=[complaint.pk])).status_code == 200
    answered = operator.post(
        reverse("operator:complaint_answer", args=[complaint.pk]),
        {"text": "We refunded the charge.", "closure_code": "refunded"},
    )
    assert answered.status_code == 302

    complaint.refresh_from_db()
    assert complaint.status == "answered"
    # The consumer's link was renewed by the regulator: the consumer uses the new one by e-mail
    # in real life; here the regulator's page showed it.
    new_token = link.context["token"] if link.context and "token" in link.context else token
    status = consumer.get(f"/api/v1/track/{number}/", headers={"X-Tracking-Token": new_token})
    assert status.status_code in (200, 404)


@override_settings(EMAIL_BACKEND=f"{__name__}.RefusingBackend")
def test_a_refused_notification_names_neither_address_nor_answer(app, rita):
    from complaints.models import Event
    from complaints.services import triage
    from complaints.services.notifications import MailNotSent, notification_send
    from tests.factories import make_complaint

    complaint = make_complaint(app=app, contact_email=EMAIL)
    triage.complaint_accept(complaint=complaint, actor=rita, category_codes=["fraud"])
    event = complaint.events.filter(to_status="accepted").get()
    with pytest.raises(MailNotSent) as raised:
        notification_send(kind="complaint_status", event_id=event.pk)
    assert isinstance(raised.value, OSError)  # the task's autoretry still applies
    assert EMAIL not in str(raised.value) and raised.value.__suppress_context__
    assert Event.objects.filter(pk=event.pk).exists()
