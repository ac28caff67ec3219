"""A real Celery worker inspects a package uploaded over the API: the web process (this one)
only checks and stores the file; the worker parses it (in its limited child) and writes the
report. Needs PostgreSQL, Redis, aapt and smali."""

import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from complaints.models import App
from complaints.services import cases as case_services
from inspections.models import AppInspection
from tests.inspections import apks
from tests.inspections.conftest import yuntu_31
from tests.integration.test_celery_worker import running_worker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.aapt,
    pytest.mark.slow,
    pytest.mark.real_clock,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
P = "android.permission."


@pytest.fixture
def inspection_worker(tmp_path, settings, monkeypatch):
    store = tmp_path / "store"
    settings.INSPECTION_DIR = store
    monkeypatch.setenv("INSPECTION_DIR", str(store))
    with running_worker("inspections.tasks.inspection_run", tmp_path / "worker-models") as w:
        yield w


def _sent(user, url: str, path) -> AppInspection:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    response = client.post(
        url, {"apk": SimpleUploadedFile("a.apk", path.read_bytes())}, format="multipart"
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    return AppInspection.objects.get(pk=response.json()["id"])


def _wait(inspection: AppInspection, worker) -> None:
    deadline = time.monotonic() + 90
    while inspection.status == "queued" and time.monotonic() < deadline:
        time.sleep(0.2)
        inspection.refresh_from_db()
    assert inspection.status == "done", worker.log


def test_worker_inspects_an_uploaded_package(inspection_worker, tmp_path, other_app, rita):
    other_app.app_type = App.AppType.RIDE_HAILING
    other_app.save(update_fields=["app_type"])
    path = apks.build_apk(
        tmp_path, package="com.yuntu.ride", version_name="3.0", version_code=30,
        permissions=(P + "ACCESS_FINE_LOCATION", P + "READ_CALL_LOG"),
        classes=("cn.jpush.android.api.JPushInterface",),
    )  # fmt: skip
    inspection = _sent(rita, f"/api/v1/apps/{other_app.pk}/inspections/", path)
    _wait(inspection, inspection_worker)
    assert inspection.package == "com.yuntu.ride"
    assert [s["id"] for s in inspection.sdks] == ["jpush"]
    assert inspection.beyond_scope == [{"permission": P + "READ_CALL_LOG", "pi": ["call_log"]}]
    assert "inspections.tasks.inspection_run[" in "\n".join(inspection_worker.lines)


def test_worker_inspects_the_operators_package(inspection_worker, tmp_path, other_app, rita, oscar):
    """The operator's package over its API, attached to its report, inspected by the worker."""
    case = case_services.case_open(app=other_app, categories=["over_permission"], actor=rita)
    case_services.notice_issue(case=case, actor=rita, problems="Contacts and SMS.")
    report = case_services.rectification_report_submit(case=case, actor=oscar, text="Fixed.")
    inspection = _sent(oscar, f"/api/v1/operator/cases/{case.pk}/package/", yuntu_31(tmp_path))
    _wait(inspection, inspection_worker)
    assert (inspection.response, inspection.case, inspection.version_name) == (report, case, "3.1")
    assert sorted(s["id"] for s in inspection.sdks) == ["amap_location", "umeng_analytics"]
