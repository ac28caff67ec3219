"""The web pages: consumers, regulators (triage, cases, dashboards), operators and the public."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import accounts as account_views
from .views import cases as case_views
from .views import dashboard as dashboard_views
from .views import home
from .views import intake as intake_views
from .views import operator as operator_views
from .views import passwords as password_views
from .views import public as public_views
from .views import tracking as tracking_views
from .views import triage as triage_views
from .views import two_factor as two_factor_views
from .views.accounts import EmailLoginView

urlpatterns = [
    path("", home.home, name="home"),
    path("accounts/login/", EmailLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", two_factor_views.verify, name="two_factor_verify"),
    path("accounts/two-factor/setup/", two_factor_views.setup, name="two_factor_setup"),
    path(
        "accounts/two-factor/recovery-codes/",
        two_factor_views.recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("", include(password_views)),
]

# --- rectification loop: regulator triage, cases, operator portal ---------------------------


triage_patterns = (
    [
        path("", triage_views.queue, name="queue"),
        path("filters/", triage_views.filter_save, name="filter_save"),
        path("filters/<int:pk>/delete/", triage_views.filter_delete, name="filter_delete"),
        path("evidence/<int:pk>/", triage_views.evidence_file, name="evidence"),
        path("<int:pk>/", triage_views.detail, name="detail"),
        path(
            "<int:pk>/<str:name>/",
            triage_views.action,
            name="action",
        ),
    ],
    "triage",
)
case_patterns = (
    [
        path("", case_views.case_list, name="list"),
        path("new/", case_views.case_new, name="new"),
        path("<int:pk>/", case_views.case_detail, name="detail"),
        path("<int:pk>/notices/<int:notice_pk>/", case_views.notice_document, name="notice"),
        path("<int:pk>/<str:name>/", case_views.case_action, name="action"),
    ],
    "cases",
)
operator_patterns = (
    [
        path("", operator_views.portal, name="portal"),
        path("complaints/<int:pk>/", operator_views.complaint_detail, name="complaint"),
        path(
            "complaints/<int:pk>/answer/", operator_views.complaint_answer, name="complaint_answer"
        ),
        path("cases/<int:pk>/", operator_views.case_detail, name="case"),
        path("cases/<int:pk>/report/", operator_views.case_report, name="case_report"),
        path(
            "cases/<int:pk>/notices/<int:notice_pk>/", operator_views.notice_document, name="notice"
        ),
        path(
            "cases/<int:pk>/notices/<int:notice_pk>/acknowledge/",
            operator_views.notice_acknowledge,
            name="notice_acknowledge",
        ),
        path("evidence/<int:pk>/", operator_views.evidence_file, name="evidence"),
    ],
    "operator",
)
urlpatterns += [
    path("triage/", include(triage_patterns)),
    path("cases/", include(case_patterns)),
    path("operator/", include(operator_patterns)),
]

# --- dashboards, public pages ---------------------------------------------------------------

urlpatterns += [
    path("dashboard/", dashboard_views.regulator_dashboard, name="dashboard"),
    path(
        "dashboard/csv/<slug:key>/", dashboard_views.regulator_dashboard_csv, name="dashboard-csv"
    ),
    path("operator/dashboard/", dashboard_views.operator_dashboard, name="operator-dashboard"),
    path("board/", public_views.board, name="board"),
    path("apps/<int:pk>/", public_views.app_scorecard, name="app-scorecard"),
    path("operators/<int:pk>/", public_views.operator_scorecard, name="operator-scorecard"),
    path("published/", public_views.published, name="published"),
    path("statistics/", public_views.statistics_page, name="statistics"),
]

# --- consumers: filing, tracking, accounts ---------------------------------------------------

urlpatterns += [
    path("file/", intake_views.file_start, name="file"),
    path("file/quick/", intake_views.file_one_page, name="file_one_page"),
    path("file/done/<str:tracking_number>/", intake_views.file_done, name="file_done"),
    path("file/<slug:step>/", intake_views.file_step, name="file_step"),
    path("track/", tracking_views.track_lookup, name="track"),
    path("track/lost-link/", tracking_views.track_lost_link, name="track_lost_link"),
    path("track/<str:tracking_number>/", tracking_views.track_detail, name="track_detail"),
    path("track/<str:tracking_number>/info/", tracking_views.track_info, name="track_info"),
    path(
        "track/<str:tracking_number>/withdraw/",
        tracking_views.track_withdraw,
        name="track_withdraw",
    ),
    path(
        "track/<str:tracking_number>/confirm/", tracking_views.track_confirm, name="track_confirm"
    ),
    path(
        "track/<str:tracking_number>/dispute/", tracking_views.track_dispute, name="track_dispute"
    ),
    path("track/<str:tracking_number>/rate/", tracking_views.track_rate, name="track_rate"),
    path("track/<str:tracking_number>/erase/", tracking_views.track_erase, name="track_erase"),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/verify/send/", account_views.email_verification_resend, name="email_resend"),
    path("accounts/verify/<str:token>/", account_views.email_verify, name="email_verify"),
    path("my/", account_views.my_complaints, name="my_complaints"),
    path("my/claim/", account_views.complaints_claim, name="complaints_claim"),
]
