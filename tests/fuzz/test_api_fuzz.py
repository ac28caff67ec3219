"""Schema-driven fuzzing of the API (schemathesis): every operation in /api/schema/, as each
role, with generated valid and invalid requests.

Each response must be no server error and match its documented status codes, content type,
headers and body schema; an invalid request must be refused, and a request the schema calls
valid must be accepted unless the only fields refused are ones whose validity the schema
cannot state (below). The example count is small here (FUZZ_EXAMPLES, default 4) so CI stays
quick; `make fuzz` runs the same tests with many more.
"""

import base64
import json
import os

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.http import HttpRequest
from django.middleware.csrf import get_token
from hypothesis import HealthCheck, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance

from tests.factories import make_complaint
from tests.otp import VerifiedClient

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

ROLES = ["anonymous", "alice", "olivia", "rita"]

# What a schema cannot promise: that a referenced object exists and this account may see it
# (ids, taxonomy codes, which admins edit), that a date falls in the window the rules allow
# around today, that an opaque paging cursor came from a previous page, that a kind's details
# fit the kind named beside them, that a phone number exists in its country's numbering plan
# (phonenumbers decides), that an uploaded file is a well-formed Android package (apk) or a
# real image or PDF (a complaint's evidence: the schema can only say "binary"). A
# schema-valid request refused with 400 passes only when
# every field named in the error is one of these.
BEYOND_THE_SCHEMA = {
    "app",
    "app_name",
    "operator",
    "case",
    "complaints",
    "category",
    "category_hint",
    "categories",
    "duplicate_of",
    "assignee",
    "occurred_date",
    "start_date",
    "end_date",
    "deadline",
    "new_deadline",
    "before",
    "details",
    "contact_phone",
    "apk",
    "evidence",
}


@schemathesis.check
def valid_requests_accepted(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        fields = json.loads(response.content)["error"].get("fields", {})
    except (ValueError, KeyError, TypeError):
        fields = {"<body>": []}
    outside = sorted(set(fields) - BEYOND_THE_SCHEMA) or (["<no field>"] if not fields else [])
    if outside:
        raise AssertionError(
            f"Schema-valid request refused for fields the schema could describe: {outside}"
        )
    return None


@pytest.fixture(autouse=True)
def _test_connection_kept():
    """The WSGI handler closes database connections when a request ends; in a test that would
    close the test's own transaction (PostgreSQL). Django's test client does the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=ROLES)
def role(request, app, other_app, olivia, rita, alice):
    """The role's credentials, and a little data for the ids to land on. Consumers and
    operators use HTTP Basic; staff cannot (no second factor there), so the regulator goes
    with a session that passed both steps, and its CSRF token as a browser sends it."""
    make_complaint(app=app, submitter=alice, consent_share_with_operator=True)
    make_complaint(app=other_app)
    if request.param == "anonymous":
        return request.param, {}
    if request.param == "rita":
        client = VerifiedClient()
        client.force_login(rita)
        csrf = HttpRequest()
        token = get_token(csrf)
        session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        return request.param, {
            "Cookie": f"{django_settings.SESSION_COOKIE_NAME}={session}; "
            f"{django_settings.CSRF_COOKIE_NAME}={csrf.META['CSRF_COOKIE']}",
            "X-CSRFToken": token,
        }
    credentials = base64.b64encode(f"{request.param}:pw-{request.param}".encode()).decode()
    return request.param, {"Authorization": f"Basic {credentials}"}


@pytest.mark.django_db
@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_answers_as_documented(case, role):
    name, headers = role
    excluded = [positive_data_acceptance]
    if name != "anonymous":
        # The role's own credentials go with every request, so a generated bad cookie is
        # rightly ignored; the anonymous run keeps this check.
        excluded.append(ignored_auth)
    case.call_and_validate(
        headers=headers, excluded_checks=excluded, additional_checks=[valid_requests_accepted]
    )
