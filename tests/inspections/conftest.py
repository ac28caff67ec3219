import pytest

from complaints.models import App
from complaints.services import cases as case_services
from tests.inspections import apks

P = "android.permission."


@pytest.fixture(autouse=True)
def _store(settings, tmp_path):
    """Each test stores packages in its own directory."""
    settings.INSPECTION_DIR = tmp_path / "store"
    return settings.INSPECTION_DIR


@pytest.fixture
def ride_app(other_app):
    """云途出行, declared as ride hailing."""
    other_app.app_type = App.AppType.RIDE_HAILING
    other_app.save(update_fields=["app_type"])
    return other_app


@pytest.fixture
def ride_case(ride_app, rita):
    return case_services.case_open(app=ride_app, categories=["over_permission"], actor=rita)


@pytest.fixture
def noticed_case(ride_case, rita):
    """The case under a notice about contacts and SMS."""
    case_services.notice_issue(case=ride_case, actor=rita, problems="Contacts and SMS.")
    ride_case.refresh_from_db()
    return ride_case


@pytest.fixture
def reported_case(noticed_case, oscar):
    """The case with oscar's rectification report awaiting verification."""
    case_services.rectification_report_submit(
        case=noticed_case, actor=oscar, text="Contacts and SMS removed in 3.1."
    )
    noticed_case.refresh_from_db()
    return noticed_case


def yuntu_30(directory):
    """云途出行 3.0: location (necessary), contacts and SMS (beyond scope), Getui by its
    manifest service and Umeng by its classes."""
    return apks.build_apk(
        directory,
        package="com.yuntu.ride",
        version_code=30,
        version_name="3.0",
        permissions=(
            P + "ACCESS_FINE_LOCATION",
            P + "READ_CONTACTS",
            P + "READ_SMS",
            P + "INTERNET",
        ),
        components=(("service", "com.igexin.sdk.PushService", True),),
        classes=("com.umeng.analytics.MobclickAgent",),
        name="ride-3.0.apk",
    )


def yuntu_31(directory):
    """云途出行 3.1, after rectification: no contacts, no SMS, no Getui; adds AMap location."""
    return apks.build_apk(
        directory,
        package="com.yuntu.ride",
        version_code=31,
        version_name="3.1",
        permissions=(P + "ACCESS_FINE_LOCATION", P + "INTERNET"),
        classes=("com.umeng.analytics.MobclickAgent", "com.amap.api.location.AMapLocationClient"),
        name="ride-3.1.apk",
    )


@pytest.fixture
def ride_apk(tmp_path):
    return yuntu_30(tmp_path)


@pytest.fixture
def ride_apk_fixed(tmp_path):
    return yuntu_31(tmp_path)
