"""Every triage, case and operator page and endpoint, for every persona.

anonymous, alice (the consumer who filed), bob (another consumer), olivia (operator of the
app), oscar (operator of another company), rita (regulator), ada (admin). Regulators see
everything; an operator only its own company's apps (anything else is a 404); a consumer only
their own complaints. Allowed requests must also succeed, so the table checks both sides.

The consumer's consent to share with the operator decides what the operator gets: "accepted"
was filed without it, "shared" with it; both carry contact details, an amount and a file.
"""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from complaints.models import Evidence
from complaints.services import cases as case_services
from complaints.services import operators, triage
from complaints.services.evidence import evidence_clean
from early_warning.clustering import complaints_cluster
from early_warning.reasons import reason
from early_warning.services import alert_raise
from tests.factories import category, make_complaint
from tests.inspections.rows import found

PERSONAS = ["anonymous", "alice", "bob", "olivia", "oscar", "rita", "ada"]

OK = "ok"  # 200 for GET, 302 for a web form POST, 200/201 for an API POST

REGULATOR_WEB = {
    "anonymous": 302,
    "alice": 403,
    "bob": 403,
    "olivia": 403,
    "oscar": 403,
    "rita": OK,
    "ada": OK,
}
OPERATOR_WEB_LIST = {
    "anonymous": 302,
    "alice": 403,
    "bob": 403,
    "olivia": OK,
    "oscar": OK,
    "rita": 403,
    "ada": 403,
}
OPERATOR_WEB_OWN = {**OPERATOR_WEB_LIST, "oscar": 404}
# A consumer's file on a complaint filed without consent: no operator may open it.
OPERATOR_WEB_NONE = {**OPERATOR_WEB_LIST, "olivia": 404, "oscar": 404}
REGULATOR_API = {
    "anonymous": 403,
    "alice": 403,
    "bob": 403,
    "olivia": 403,
    "oscar": 403,
    "rita": OK,
    "ada": OK,
}
OPERATOR_API_LIST = {
    "anonymous": 403,
    "alice": 403,
    "bob": 403,
    "olivia": OK,
    "oscar": OK,
    "rita": 403,
    "ada": 403,
}
OPERATOR_API_OWN = {**OPERATOR_API_LIST, "oscar": 404}
CONSUMER_API = {
    "anonymous": 404,
    "alice": OK,
    "bob": 404,
    "olivia": 404,
    "oscar": 404,
    "rita": 404,
    "ada": 404,
}

# The second step of staff log-in (tests/complaints/views/test_two_factor.py has its flows):
# only accounts that need it have these pages.
TWO_FACTOR_WEB = {
    "anonymous": 302,
    "alice": 404,
    "bob": 404,
    "olivia": 404,
    "oscar": 404,
    "rita": OK,
    "ada": OK,
}


def png(name="proof.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "green").save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def screenshot(name="订单截图.png"):
    data = png(name).read()
    return evidence_clean(name=name, stream=io.BytesIO(data), size=len(data))


def filed_with_contact() -> dict:
    return {
        "description": "自动续费扣了我 30 元，我的手机号 13912345678 收到了扣款短信。",
        "amount": Decimal("30"),
        "contact_name": "Alice Wang",
        "contact_phone": "13912345678",
        "contact_email": "alice.wang@example.com",
        "evidence": [screenshot()],
    }


@pytest.fixture
def world(app, alice, bob, olivia, oscar, rita, ada):
    """Objects in the states each endpoint needs, all about olivia's app."""
    fresh = make_complaint(app=app, submitter=alice)
    accepted = make_complaint(**filed_with_contact(), app=app, submitter=alice)
    triage.complaint_accept(complaint=accepted, actor=rita, category_codes=["unauthorized_charges"])
    shared = make_complaint(
        **filed_with_contact(), app=app, submitter=alice, consent_share_with_operator=True
    )
    triage.complaint_accept(complaint=shared, actor=rita, category_codes=["unauthorized_charges"])
    answered = make_complaint(app=app, submitter=alice)
    triage.complaint_accept(complaint=answered, actor=rita, category_codes=["unauthorized_charges"])
    operators.complaint_answer(
        complaint=answered, actor=olivia, text="Refunded.", closure_code="refunded"
    )
    under_notice = case_services.case_open(app=app, categories=["over_permission"], actor=rita)
    notice = case_services.notice_issue(
        case=under_notice, actor=rita, problems="Contacts at launch."
    )
    reported = case_services.case_open(app=app, categories=["fraud"], actor=rita)
    case_services.notice_issue(case=reported, actor=rita, problems="Fake refunds.")
    case_services.rectification_report_submit(
        case=reported, actor=olivia, text="Removed.", files=[png()]
    )
    evidence = Evidence.objects.get(response__isnull=False)
    open_case = case_services.case_open(app=app, categories=["misleading_popups"], actor=rita)
    overdue = case_services.case_open(app=app, categories=["data_sharing_leak"], actor=rita)
    case_services.notice_issue(
        case=overdue,
        actor=rita,
        problems="Sold data.",
        at=timezone.now() - datetime.timedelta(days=60),
    )
    case_services.cases_mark_overdue(today=timezone.localdate())
    versions = (found(app, version="1.0"), found(app, version="1.1"))
    alike = [
        make_complaint(
            app=app,
            description=f"冒充客服说要退款，骗走验证码，第{n}次。",
            category_hint=category("fraud"),
        )
        for n in range(3)
    ]
    [cluster] = complaints_cluster(complaint_ids=[c.pk for c in alike])
    alert = alert_raise(
        kind="spike",
        key="spike:matrix",
        day=timezone.localdate(),
        reason=reason("spike_app", app=app.name, observed=9, expected="0.50", date="2026-11-17",
                      days=28, chance="1.0e-07", alpha="1e-04"),
        figures={},
        complaint_ids=[c.pk for c in alike],
        app=app,
    )  # fmt: skip
    return {
        "versions": versions,
        "cluster": cluster,
        "alert": alert,
        "open_case": open_case,
        "overdue": overdue,
        "fresh": fresh,
        "accepted": accepted,
        "shared": shared,
        "unshared_file": accepted.evidence.get(),
        "shared_file": shared.evidence.get(),
        "answered": answered,
        "case": under_notice,
        "notice": notice,
        "reported": reported,
        "evidence": evidence,
        "users": {
            "alice": alice,
            "bob": bob,
            "olivia": olivia,
            "oscar": oscar,
            "rita": rita,
            "ada": ada,
        },
    }


# (name, kind, method, url(world), data(world), expectations)
ENDPOINTS = [
    # regulator web pages
    ("triage queue", "web", "get", lambda w: reverse("triage:queue"), None, REGULATOR_WEB),
    ("triage bulk", "web", "post", lambda w: reverse("triage:queue"), lambda w: {"action": "reject", "ids": [w["fresh"].pk], "reason": "spam"}, REGULATOR_WEB),
    ("triage detail", "web", "get", lambda w: reverse("triage:detail", args=[w["fresh"].pk]), None, REGULATOR_WEB),
    ("triage accept", "web", "post", lambda w: reverse("triage:action", args=[w["fresh"].pk, "accept"]), lambda w: {"categories": ["fraud"]}, REGULATOR_WEB),
    ("triage request info", "web", "post", lambda w: reverse("triage:action", args=[w["fresh"].pk, "request-info"]), lambda w: {"question": "?"}, REGULATOR_WEB),
    ("triage status link", "web", "post", lambda w: reverse("triage:action", args=[w["accepted"].pk, "status-link"]), lambda w: {}, REGULATOR_WEB),
    ("triage save filter", "web", "post", lambda w: reverse("triage:filter_save"), lambda w: {"name": "f", "query": "money=1"}, REGULATOR_WEB),
    ("triage contact", "web", "post", lambda w: reverse("triage:action", args=[w["accepted"].pk, "contact"]), lambda w: {}, REGULATOR_WEB),
    ("triage evidence", "web", "get", lambda w: reverse("triage:evidence", args=[w["evidence"].pk]), None, REGULATOR_WEB),
    ("case list", "web", "get", lambda w: reverse("cases:list"), None, REGULATOR_WEB),
    ("case new form", "web", "get", lambda w: reverse("cases:new"), None, REGULATOR_WEB),
    ("case open", "web", "post", lambda w: reverse("cases:new"), lambda w: {"app": w["case"].app_id, "categories": ["account_cancellation"], "language": "en"}, REGULATOR_WEB),
    ("case detail", "web", "get", lambda w: reverse("cases:detail", args=[w["case"].pk]), None, REGULATOR_WEB),
    ("case note", "web", "post", lambda w: reverse("cases:action", args=[w["case"].pk, "note"]), lambda w: {"text": "n"}, REGULATOR_WEB),
    ("case contacts", "web", "post", lambda w: reverse("cases:action", args=[w["case"].pk, "contacts"]), lambda w: {}, REGULATOR_WEB),
    ("case notice document", "web", "get", lambda w: reverse("cases:notice", args=[w["case"].pk, w["notice"].pk]), None, REGULATOR_WEB),
    ("case sdk attribution", "web", "post", lambda w: reverse("inspections:case_attribution", args=[w["case"].pk]), lambda w: {"sdk": ""}, REGULATOR_WEB),
    ("complaint sdk attribution", "web", "post", lambda w: reverse("inspections:complaint_attribution", args=[w["accepted"].pk]), lambda w: {"sdk": ""}, REGULATOR_WEB),
    ("case inspection upload", "web", "post", lambda w: reverse("inspections:case_upload", args=[w["case"].pk]), lambda w: {}, REGULATOR_WEB),
    ("early warning alerts", "web", "get", lambda w: reverse("early_warning:alerts"), None, REGULATOR_WEB),
    ("early warning alert", "web", "get", lambda w: reverse("early_warning:alert", args=[w["alert"].pk]), None, REGULATOR_WEB),
    ("early warning alert dismiss", "web", "post", lambda w: reverse("early_warning:alert_dismiss", args=[w["alert"].pk]), lambda w: {"reason": "r"}, REGULATOR_WEB),
    ("early warning clusters", "web", "get", lambda w: reverse("early_warning:clusters"), None, REGULATOR_WEB),
    ("early warning cluster", "web", "get", lambda w: reverse("early_warning:cluster", args=[w["cluster"].pk]), None, REGULATOR_WEB),
    ("early warning cluster case", "web", "post", lambda w: reverse("early_warning:cluster_open_case", args=[w["cluster"].pk]), lambda w: {}, REGULATOR_WEB),
    ("early warning cluster dismiss", "web", "post", lambda w: reverse("early_warning:cluster_dismiss", args=[w["cluster"].pk]), lambda w: {"reason": "r"}, REGULATOR_WEB),
    ("early warning mail settings", "web", "get", lambda w: reverse("early_warning:mail_settings"), None, REGULATOR_WEB),
    ("early warning mail settings save", "web", "post", lambda w: reverse("early_warning:mail_settings"), lambda w: {"mode": "daily"}, REGULATOR_WEB),
    # operator web pages
    ("operator portal", "web", "get", lambda w: reverse("operator:portal"), None, OPERATOR_WEB_LIST),
    ("operator complaint", "web", "get", lambda w: reverse("operator:complaint", args=[w["accepted"].pk]), None, OPERATOR_WEB_OWN),
    ("operator answer", "web", "post", lambda w: reverse("operator:complaint_answer", args=[w["accepted"].pk]), lambda w: {"text": "t", "closure_code": "fixed"}, OPERATOR_WEB_OWN),
    ("operator case", "web", "get", lambda w: reverse("operator:case", args=[w["case"].pk]), None, OPERATOR_WEB_OWN),
    ("operator report", "web", "post", lambda w: reverse("operator:case_report", args=[w["case"].pk]), lambda w: {"text": "done"}, OPERATOR_WEB_OWN),
    ("operator notice", "web", "get", lambda w: reverse("operator:notice", args=[w["case"].pk, w["notice"].pk]), None, OPERATOR_WEB_OWN),
    ("operator notice acknowledge", "web", "post", lambda w: reverse("operator:notice_acknowledge", args=[w["case"].pk, w["notice"].pk]), None, OPERATOR_WEB_OWN),
    ("operator package", "web", "post", lambda w: reverse("inspections:operator_package", args=[w["reported"].pk]), lambda w: {}, OPERATOR_WEB_OWN),
    ("operator evidence", "web", "get", lambda w: reverse("operator:evidence", args=[w["evidence"].pk]), None, OPERATOR_WEB_OWN),
    ("operator complaint shared", "web", "get", lambda w: reverse("operator:complaint", args=[w["shared"].pk]), None, OPERATOR_WEB_OWN),
    ("operator consumer file shared", "web", "get", lambda w: reverse("operator:evidence", args=[w["shared_file"].pk]), None, OPERATOR_WEB_OWN),
    ("operator consumer file not shared", "web", "get", lambda w: reverse("operator:evidence", args=[w["unshared_file"].pk]), None, OPERATOR_WEB_NONE),
    ("triage consumer file not shared", "web", "get", lambda w: reverse("triage:evidence", args=[w["unshared_file"].pk]), None, REGULATOR_WEB),
    # staff log-in's second step
    ("two-factor setup", "web", "get", lambda w: reverse("two_factor_setup"), None, TWO_FACTOR_WEB),
    ("two-factor recovery codes", "web", "get", lambda w: reverse("two_factor_recovery_codes"), None, TWO_FACTOR_WEB),
    ("two-factor new recovery codes", "web", "post", lambda w: reverse("two_factor_recovery_codes"), lambda w: {}, TWO_FACTOR_WEB),
    # regulator API
    ("api triage queue", "api", "get", lambda w: "/api/v1/triage/", None, REGULATOR_API),
    ("api triage complaint", "api", "get", lambda w: f"/api/v1/triage/{w['fresh'].pk}/", None, REGULATOR_API),
    ("api triage history", "api", "get", lambda w: f"/api/v1/triage/{w['fresh'].pk}/history/", None, REGULATOR_API),
    ("api triage accept", "api", "post", lambda w: f"/api/v1/triage/{w['fresh'].pk}/accept/", lambda w: {"categories": ["fraud"]}, REGULATOR_API),
    ("api triage reject", "api", "post", lambda w: f"/api/v1/triage/{w['fresh'].pk}/reject/", lambda w: {"reason": "spam"}, REGULATOR_API),
    ("api triage duplicate", "api", "post", lambda w: f"/api/v1/triage/{w['fresh'].pk}/duplicate/", lambda w: {"original": w["accepted"].tracking_number}, REGULATOR_API),
    ("api triage request info", "api", "post", lambda w: f"/api/v1/triage/{w['fresh'].pk}/request-info/", lambda w: {"question": "?"}, REGULATOR_API),
    ("api triage link", "api", "post", lambda w: f"/api/v1/triage/{w['accepted'].pk}/link/", lambda w: {"case": w["case"].reference}, REGULATOR_API),
    ("api triage status link", "api", "post", lambda w: f"/api/v1/triage/{w['accepted'].pk}/status-link/", lambda w: {}, REGULATOR_API),
    ("api triage close", "api", "post", lambda w: f"/api/v1/triage/{w['accepted'].pk}/close/", lambda w: {"reason": "r"}, REGULATOR_API),
    ("api case list", "api", "get", lambda w: "/api/v1/cases/", None, REGULATOR_API),
    ("api case open", "api", "post", lambda w: "/api/v1/cases/", lambda w: {"app": w["case"].app_id, "categories": ["account_cancellation"]}, REGULATOR_API),
    ("api case detail", "api", "get", lambda w: f"/api/v1/cases/{w['case'].pk}/", None, REGULATOR_API),
    ("api case history", "api", "get", lambda w: f"/api/v1/cases/{w['case'].pk}/history/", None, REGULATOR_API),
    ("api case assign", "api", "post", lambda w: f"/api/v1/cases/{w['case'].pk}/assign/", lambda w: {"assignee": w["users"]["rita"].pk}, REGULATOR_API),
    ("api case note", "api", "post", lambda w: f"/api/v1/cases/{w['case'].pk}/notes/", lambda w: {"text": "n"}, REGULATOR_API),
    ("api case notice", "api", "post", lambda w: f"/api/v1/cases/{w['open_case'].pk}/notices/", lambda w: {"problems": "Unclosable pop-ups."}, REGULATOR_API),
    ("api case verify", "api", "post", lambda w: f"/api/v1/cases/{w['reported'].pk}/verify/", lambda w: {"rectified": True, "notes": "ok"}, REGULATOR_API),
    ("api case escalate", "api", "post", lambda w: f"/api/v1/cases/{w['overdue'].pk}/escalate/", lambda w: {"measure": "public_notice", "reason": "Ignored."}, REGULATOR_API),
    ("api case close", "api", "post", lambda w: f"/api/v1/cases/{w['case'].pk}/close/", lambda w: {"reason": "r"}, REGULATOR_API),
    ("api clusters", "api", "get", lambda w: "/api/v1/clusters/", None, REGULATOR_API),
    ("api clusters by sdk", "api", "get", lambda w: "/api/v1/clusters/?kind=sdk", None, REGULATOR_API),
    ("api app inspections", "api", "get", lambda w: f"/api/v1/apps/{w['case'].app_id}/inspections/", None, REGULATOR_API),
    ("api app inspection compare", "api", "get", lambda w: f"/api/v1/apps/{w['case'].app_id}/inspections/compare/?from={w['versions'][0].pk}&to={w['versions'][1].pk}", None, REGULATOR_API),
    ("api case sdk attribution", "api", "get", lambda w: f"/api/v1/cases/{w['case'].pk}/sdk-attribution/", None, REGULATOR_API),
    ("api complaint sdk attribution", "api", "get", lambda w: f"/api/v1/complaints/{w['accepted'].pk}/sdk-attribution/", None, REGULATOR_API),
    ("api case versions", "api", "get", lambda w: f"/api/v1/cases/{w['case'].pk}/versions/", None, REGULATOR_API),
    ("api complaint version inspection", "api", "get", lambda w: f"/api/v1/complaints/{w['accepted'].pk}/version-inspection/", None, REGULATOR_API),
    ("api sdk ranking", "api", "get", lambda w: "/api/v1/sdks/ranking/", None, REGULATOR_API),
    ("api inspection requests", "api", "get", lambda w: "/api/v1/inspections/requests/", None, REGULATOR_API),
    # operator API
    ("api operator complaints", "api", "get", lambda w: "/api/v1/operator/complaints/", None, OPERATOR_API_LIST),
    ("api operator complaint", "api", "get", lambda w: f"/api/v1/operator/complaints/{w['accepted'].pk}/", None, OPERATOR_API_OWN),
    ("api operator complaint shared", "api", "get", lambda w: f"/api/v1/operator/complaints/{w['shared'].pk}/", None, OPERATOR_API_OWN),
    ("api operator answer", "api", "post", lambda w: f"/api/v1/operator/complaints/{w['accepted'].pk}/answer/", lambda w: {"text": "t", "closure_code": "explained"}, OPERATOR_API_OWN),
    ("api operator cases", "api", "get", lambda w: "/api/v1/operator/cases/", None, OPERATOR_API_LIST),
    ("api operator case", "api", "get", lambda w: f"/api/v1/operator/cases/{w['case'].pk}/", None, OPERATOR_API_OWN),
    ("api operator report", "api", "post", lambda w: f"/api/v1/operator/cases/{w['case'].pk}/report/", lambda w: {"text": "done"}, OPERATOR_API_OWN),
    # the consumer's reply (signed in; the token path is in test_api_rectification.py)
    ("api consumer confirm", "api", "post", lambda w: f"/api/v1/track/{w['answered'].tracking_number}/confirm/", lambda w: {}, CONSUMER_API),
    ("api consumer dispute", "api", "post", lambda w: f"/api/v1/track/{w['answered'].tracking_number}/dispute/", lambda w: {"reason": "no"}, CONSUMER_API),
]  # fmt: skip


# Web forms whose answer is a page shown once (a new secret), not a redirect.
SHOWN_ONCE = {"triage status link", "triage contact", "case contacts"}


def _ok_codes(kind: str, method: str, name: str) -> set[int]:
    if method == "get" or name in SHOWN_ONCE:
        return {200}
    return {302} if kind == "web" else {200, 201}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "kind", "method", "url", "data", "expected"), ENDPOINTS, ids=[e[0] for e in ENDPOINTS]
)
def test_matrix(world, client, persona, name, kind, method, url, data, expected):
    user = world["users"].get(persona)
    payload = data(world) if data else None
    if kind == "web":
        if user is not None:
            client.force_login(user)
        response = (
            getattr(client, method)(url(world), payload)
            if payload is not None
            else getattr(client, method)(url(world))
        )
    else:
        api = APIClient()
        if user is not None:
            api.force_authenticate(user)
        response = (
            getattr(api, method)(url(world), payload, format="json")
            if method == "post"
            else api.get(url(world))
        )
    if response.get("Content-Type", "").startswith("text/html"):
        # Every page, the API's few HTML answers included (complaints/middleware.py).
        assert "script-src 'self'" in response["Content-Security-Policy"], (name, persona)
        assert response["X-Frame-Options"] == "DENY", (name, persona)
    want = expected[persona]
    if want == OK:
        assert response.status_code in _ok_codes(kind, method, name), (
            name,
            persona,
            response.status_code,
            getattr(response, "content", b"")[:300],
        )
    else:
        assert response.status_code == want, (name, persona, response.status_code)
        if want == 302:
            assert response.url.startswith(reverse("login"))


CONTACT = ("Alice Wang", "13912345678", "+8613912345678", "alice.wang@example.com")


def test_consent_decides_what_the_operator_sees(world, client):
    """Without consent: the masked text, app, categories, dates and status, and an answer form.
    With it: the amount and the consumer's files too. Contact details: never."""
    olivia = world["users"]["olivia"]
    client.force_login(olivia)
    client.cookies["django_language"] = "en"
    api = APIClient()
    api.force_authenticate(olivia)
    pages, bodies = {}, {}
    for name in ("accepted", "shared"):
        complaint = world[name]
        pages[name] = client.get(
            reverse("operator:complaint", args=[complaint.pk])
        ).content.decode()
        bodies[name] = api.get(f"/api/v1/operator/complaints/{complaint.pk}/").json()
        for shown in (pages[name], str(bodies[name])):
            assert "自动续费扣了我 30 元" in shown and "139****5678" in shown
            assert not any(detail in shown for detail in CONTACT), name
            assert "订单截图" not in shown  # a file's own name may be the consumer's
        assert (
            'action="{}"'.format(reverse("operator:complaint_answer", args=[complaint.pk]))
            in (pages[name])
        )
    unshared, shared = world["unshared_file"], world["shared_file"]
    assert "Amount involved" not in pages["accepted"] and "did not agree" in pages["accepted"]
    assert reverse("operator:evidence", args=[unshared.pk]) not in pages["accepted"]
    assert "Amount involved" in pages["shared"] and "did not agree" not in pages["shared"]
    assert reverse("operator:evidence", args=[shared.pk]) in pages["shared"]
    assert (bodies["accepted"]["files_shared"], bodies["accepted"]["amount"]) == (False, None)
    assert bodies["accepted"]["files"] == []
    assert (bodies["shared"]["files_shared"], bodies["shared"]["amount"]) == (True, "30.00")
    assert [f["id"] for f in bodies["shared"]["files"]] == [shared.pk]
    listed = {
        row["tracking_number"]: row
        for row in api.get("/api/v1/operator/complaints/").json()["results"]
    }
    assert listed[world["accepted"].tracking_number]["amount"] is None
    assert listed[world["shared"].tracking_number]["amount"] == "30.00"
    assert not any(detail in str(listed) for detail in CONTACT)
    portal = client.get(reverse("operator:portal")).content.decode()
    assert not any(detail in portal for detail in CONTACT)


COVERED_WEB = {
    "triage": {"queue", "detail", "action", "filter_save", "filter_delete", "evidence"},
    "cases": {"list", "new", "detail", "action", "notice"},
    "early_warning": {
        "alerts",
        "alert",
        "alert_dismiss",
        "clusters",
        "cluster",
        "cluster_open_case",
        "cluster_dismiss",
        "mail_settings",
    },
    "operator": {
        "portal",
        "complaint",
        "complaint_answer",
        "case",
        "case_report",
        "notice",
        "notice_acknowledge",
        "evidence",
    },
}
COVERED_API = {
    "triage-queue", "triage-complaint", "triage-history", "triage-accept", "triage-reject", "triage-duplicate",
    "triage-request-info", "triage-link", "triage-close", "triage-status-link", "cases", "case", "case-history", "case-assign",
    "case-notes", "case-notices", "case-verify", "case-escalate", "case-close", "operator-complaints",
    "operator-complaint", "operator-answer", "operator-cases", "operator-case", "operator-report",
    "track-confirm", "track-dispute",
}  # fmt: skip
LOOP_API_PREFIXES = ("triage-", "case", "operator-", "track-confirm", "track-dispute")


def test_every_loop_url_is_in_the_matrix():
    """A new page or endpoint of the loop must be added to the matrix above (and here)."""
    resolver = get_resolver()
    for namespace, covered in COVERED_WEB.items():
        names = {
            key
            for key in resolver.namespace_dict[namespace][1].reverse_dict
            if isinstance(key, str)
        }
        assert names == covered, (namespace, names ^ covered)
    api_names = {
        key for key in resolver.namespace_dict["api"][1].reverse_dict if isinstance(key, str)
    }
    assert {n for n in api_names if n.startswith(LOOP_API_PREFIXES)} == COVERED_API
