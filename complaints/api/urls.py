from django.urls import path

app_name = "api"

urlpatterns: list = []

# --- open data and statistics ---------------------------------------------------------------
from . import public as public_api  # noqa: E402
from . import stats as stats_api  # noqa: E402

urlpatterns += [
    path("stats/", stats_api.StatsOverviewView.as_view(), name="stats-overview"),
    path("stats/dashboard/", stats_api.DashboardView.as_view(), name="stats-dashboard"),
    path(
        "stats/dashboard/<slug:key>/",
        stats_api.DashboardTableView.as_view(),
        name="stats-dashboard-table",
    ),
    path("stats/<slug:key>/", stats_api.StatsTableView.as_view(), name="stats-table"),
    path("public/board/", public_api.BoardView.as_view(), name="public-board"),
    path("public/apps/<int:pk>/", public_api.AppScorecardView.as_view(), name="public-app"),
    path(
        "public/operators/<int:pk>/",
        public_api.OperatorScorecardView.as_view(),
        name="public-operator",
    ),
    path(
        "public/complaints/", public_api.PublishedComplaintsView.as_view(), name="public-complaints"
    ),
]

# --- rectification loop: triage, cases, operators, consumer replies ---------------------------
from . import cases as cases_api  # noqa: E402
from . import operator as operator_api  # noqa: E402
from . import triage as triage_api  # noqa: E402

urlpatterns += [
    path("triage/", triage_api.TriageQueueView.as_view(), name="triage-queue"),
    path("triage/<int:pk>/", triage_api.TriageComplaintView.as_view(), name="triage-complaint"),
    path("triage/<int:pk>/history/", triage_api.TriageHistoryView.as_view(), name="triage-history"),
    path("triage/<int:pk>/accept/", triage_api.AcceptView.as_view(), name="triage-accept"),
    path("triage/<int:pk>/reject/", triage_api.RejectView.as_view(), name="triage-reject"),
    path("triage/<int:pk>/duplicate/", triage_api.DuplicateView.as_view(), name="triage-duplicate"),
    path(
        "triage/<int:pk>/request-info/",
        triage_api.RequestInfoView.as_view(),
        name="triage-request-info",
    ),
    path("triage/<int:pk>/link/", triage_api.LinkView.as_view(), name="triage-link"),
    path("triage/<int:pk>/close/", triage_api.CloseView.as_view(), name="triage-close"),
    path(
        "triage/<int:pk>/status-link/",
        triage_api.StatusLinkView.as_view(),
        name="triage-status-link",
    ),
    path("cases/", cases_api.CaseListView.as_view(), name="cases"),
    path("cases/<int:pk>/", cases_api.CaseDetailView.as_view(), name="case"),
    path("cases/<int:pk>/history/", cases_api.CaseHistoryView.as_view(), name="case-history"),
    path("cases/<int:pk>/assign/", cases_api.AssignView.as_view(), name="case-assign"),
    path("cases/<int:pk>/notes/", cases_api.NoteView.as_view(), name="case-notes"),
    path("cases/<int:pk>/notices/", cases_api.NoticeView.as_view(), name="case-notices"),
    path("cases/<int:pk>/verify/", cases_api.VerifyView.as_view(), name="case-verify"),
    path("cases/<int:pk>/escalate/", cases_api.EscalateView.as_view(), name="case-escalate"),
    path("cases/<int:pk>/close/", cases_api.CloseView.as_view(), name="case-close"),
    path(
        "operator/complaints/",
        operator_api.OperatorComplaintListView.as_view(),
        name="operator-complaints",
    ),
    path(
        "operator/complaints/<int:pk>/",
        operator_api.OperatorComplaintView.as_view(),
        name="operator-complaint",
    ),
    path(
        "operator/complaints/<int:pk>/answer/",
        operator_api.OperatorAnswerView.as_view(),
        name="operator-answer",
    ),
    path("operator/cases/", operator_api.OperatorCaseListView.as_view(), name="operator-cases"),
    path("operator/cases/<int:pk>/", operator_api.OperatorCaseView.as_view(), name="operator-case"),
    path(
        "operator/cases/<int:pk>/report/",
        operator_api.OperatorReportView.as_view(),
        name="operator-report",
    ),
    path(
        "track/<str:tracking_number>/confirm/",
        operator_api.ConsumerConfirmView.as_view(),
        name="track-confirm",
    ),
    path(
        "track/<str:tracking_number>/dispute/",
        operator_api.ConsumerDisputeView.as_view(),
        name="track-dispute",
    ),
]

# --- consumers: filing and tracking ----------------------------------------------------------
from . import complaints as complaints_api  # noqa: E402

urlpatterns += [
    path("complaints/", complaints_api.ComplaintListCreateView.as_view(), name="complaints"),
    path("track/<str:tracking_number>/", complaints_api.TrackView.as_view(), name="track"),
]
