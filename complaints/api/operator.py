"""The operator's side of the loop over the API (complaints about its own apps, masked, with
answers; cases from the first notice on, with rectification reports) and the consumer's
confirmation or dispute of an operator's answer.

Another company's complaint or case answers 404, as if it did not exist.
"""

from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import workflow
from ..errors import PermissionDenied
from ..models import Case, Complaint, OperatorResponse
from ..selectors import cases, triage
from ..selectors import operators as sel
from ..selectors.consumers import complaint_by_token
from ..services import cases as case_services
from ..services import operators as operator_services
from .case_serializers import NoticeSerializer, ReportSerializer
from .operator_serializers import (
    AnswerInput,
    ConfirmInput,
    ConsumerStatusSerializer,
    DisputeInput,
    OperatorCaseDetailSerializer,
    OperatorCaseSerializer,
    OperatorComplaintDetailSerializer,
    OperatorComplaintSerializer,
    OperatorFileSerializer,
    PublicEventSerializer,
    ReportInput,
)
from .parsers import JSONParser
from .permissions import IsOperator
from .query import choice_param, query_check

TAGS = ["operator"]


# --- operator views -------------------------------------------------------------------------


class OperatorAPIView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsOperator]


OPERATOR_LIST_PARAMETERS = [
    choice_param(
        "status", workflow.CONFIRMED, description="Default: every status from acceptance on."
    )
]


class OperatorComplaintListView(generics.ListAPIView):
    """Complaints about the operator's apps from acceptance on, answer due first."""

    permission_classes = [permissions.IsAuthenticated, IsOperator]
    serializer_class = OperatorComplaintSerializer

    def get_queryset(self):
        qs = sel.operator_complaints(self.request.user)
        wanted = self.request.query_params.get("status", "")
        if wanted in workflow.CONFIRMED:
            qs = qs.filter(status=wanted)
        return (
            qs.select_related("app")
            .prefetch_related("categories")
            .order_by("operator_due_date", "submitted_at", "id")
        )

    @extend_schema(
        operation_id="operator_complaints",
        parameters=OPERATOR_LIST_PARAMETERS,
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        query_check(request.query_params, OPERATOR_LIST_PARAMETERS)
        return super().get(request, *args, **kwargs)


def _operator_complaint(request, pk: int) -> Complaint:
    try:
        return sel.operator_complaint(request.user, pk)
    except Complaint.DoesNotExist:
        raise Http404 from None


def _complaint_payload(complaint: Complaint) -> dict:
    data = OperatorComplaintSerializer(complaint).data
    data["answers"] = ReportSerializer(
        OperatorResponse.objects.filter(complaint=complaint)
        .prefetch_related("evidence")
        .order_by("created_at", "id"),
        many=True,
    ).data
    data["history"] = PublicEventSerializer(
        triage.complaint_timeline(complaint, public_only=True), many=True
    ).data
    data["files"] = OperatorFileSerializer(sel.operator_complaint_files(complaint), many=True).data
    return data


class OperatorComplaintView(OperatorAPIView):
    @extend_schema(
        operation_id="operator_complaint", responses=OperatorComplaintDetailSerializer, tags=TAGS
    )
    def get(self, request, pk: int):
        """One complaint (masked) with the answers given and its public status history."""
        return Response(_complaint_payload(_operator_complaint(request, pk)))


class OperatorAnswerView(OperatorAPIView):
    @extend_schema(
        operation_id="operator_answer",
        summary="Answer the consumer",
        description="The consumer sees the answer. closure_code not_our_app sends the complaint back to the regulator.",
        request=AnswerInput,
        responses={201: OperatorComplaintDetailSerializer},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        complaint = _operator_complaint(request, pk)
        serializer = AnswerInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        operator_services.complaint_answer(
            complaint=complaint,
            actor=request.user,
            text=serializer.validated_data["text"],
            closure_code=serializer.validated_data["closure_code"],
        )
        complaint = (
            Complaint.objects.select_related("app")
            .prefetch_related("categories")
            .get(pk=complaint.pk)
        )
        return Response(_complaint_payload(complaint), status=status.HTTP_201_CREATED)


class OperatorCaseListView(generics.ListAPIView):
    """The operator's cases under notice (or after), nearest deadline first."""

    permission_classes = [permissions.IsAuthenticated, IsOperator]
    serializer_class = OperatorCaseSerializer

    def get_queryset(self):
        return (
            sel.operator_cases(self.request.user)
            .select_related("app")
            .prefetch_related("categories")
            .order_by("deadline_date", "id")
        )

    @extend_schema(operation_id="operator_cases", tags=TAGS)
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _operator_case(request, pk: int) -> Case:
    try:
        return sel.operator_case(request.user, pk)
    except Case.DoesNotExist:
        raise Http404 from None


def _case_payload(case: Case) -> dict:
    detail = cases.case_detail(case, for_operator=True)
    data = OperatorCaseSerializer(case).data
    data["notices"] = NoticeSerializer(detail["notices"], many=True).data
    data["reports"] = ReportSerializer(detail["responses"], many=True).data
    return data


class OperatorCaseView(OperatorAPIView):
    @extend_schema(operation_id="operator_case", responses=OperatorCaseDetailSerializer, tags=TAGS)
    def get(self, request, pk: int):
        """One case with its notices (deadline, legal basis, text) and the reports submitted."""
        return Response(_case_payload(_operator_case(request, pk)))


class OperatorReportView(OperatorAPIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        operation_id="operator_report",
        summary="Submit a rectification report with evidence",
        request={"multipart/form-data": ReportInput, "application/json": ReportInput},
        responses={201: OperatorCaseDetailSerializer},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        case = _operator_case(request, pk)
        serializer = ReportInput(
            data={"text": request.data.get("text", ""), "files": request.FILES.getlist("files")}
        )
        serializer.is_valid(raise_exception=True)
        case_services.rectification_report_submit(
            case=case,
            actor=request.user,
            text=serializer.validated_data["text"],
            files=serializer.validated_data["files"],
        )
        return Response(_case_payload(_operator_case(request, pk)), status=status.HTTP_201_CREATED)


# --- the consumer's reply to an answer ------------------------------------------------------


TOKEN_PARAMETER = OpenApiParameter(
    "X-Tracking-Token", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="The access token given at filing; not needed when signed in as the complaint's owner.",
)  # fmt: skip


def _own_complaint(request, tracking_number: str) -> Complaint:
    """The consumer's complaint, by status-link token or as its signed-in submitter."""
    token = request.headers.get("X-Tracking-Token", "")
    complaint = complaint_by_token(tracking_number=tracking_number, token=token) if token else None
    if complaint is None and request.user.is_authenticated:
        complaint = Complaint.objects.filter(
            tracking_number=tracking_number.strip().upper(), submitter=request.user
        ).first()
    if complaint is None:
        raise Http404
    if complaint.is_erased:
        raise PermissionDenied(_("This complaint's personal data was erased."))
    return complaint


class ConsumerConfirmView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="track_confirm",
        summary="Accept the operator's answer (closes the complaint)",
        parameters=[TOKEN_PARAMETER],
        request=ConfirmInput,
        responses=ConsumerStatusSerializer,
        tags=["tracking"],
    )
    def post(self, request, tracking_number: str):
        complaint = _own_complaint(request, tracking_number)
        serializer = ConfirmInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        operator_services.complaint_confirm(
            complaint=complaint, actor=request.user, rating=serializer.validated_data.get("rating")
        )
        return Response({"tracking_number": complaint.tracking_number, "status": complaint.status})


class ConsumerDisputeView(APIView):
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="track_dispute",
        summary="Dispute the operator's answer (back to the regulator)",
        parameters=[TOKEN_PARAMETER],
        request=DisputeInput,
        responses=ConsumerStatusSerializer,
        tags=["tracking"],
    )
    def post(self, request, tracking_number: str):
        complaint = _own_complaint(request, tracking_number)
        serializer = DisputeInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        operator_services.complaint_dispute(
            complaint=complaint, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response({"tracking_number": complaint.tracking_number, "status": complaint.status})


urlpatterns = [
    path("operator/complaints/", OperatorComplaintListView.as_view(), name="operator-complaints"),
    path(
        "operator/complaints/<int:pk>/", OperatorComplaintView.as_view(), name="operator-complaint"
    ),
    path(
        "operator/complaints/<int:pk>/answer/", OperatorAnswerView.as_view(), name="operator-answer"
    ),
    path("operator/cases/", OperatorCaseListView.as_view(), name="operator-cases"),
    path("operator/cases/<int:pk>/", OperatorCaseView.as_view(), name="operator-case"),
    path("operator/cases/<int:pk>/report/", OperatorReportView.as_view(), name="operator-report"),
    path(
        "track/<str:tracking_number>/confirm/", ConsumerConfirmView.as_view(), name="track-confirm"
    ),
    path(
        "track/<str:tracking_number>/dispute/", ConsumerDisputeView.as_view(), name="track-dispute"
    ),
]
