"""Regulator triage over the API: the queue, one complaint with its status history, and one
POST per decision. Inputs and outputs are separate serializers; rules stay in services."""

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import workflow
from ..models import Complaint
from ..selectors import triage as sel
from ..services import consumers, triage
from .permissions import IsRegulator
from .query import choice_param, flag_param, id_param, query_check, text_param
from .triage_serializers import (
    AcceptInput,
    CloseInput,
    ComplaintRegulatorSerializer,
    DuplicateInput,
    EventSerializer,
    LinkInput,
    QueueItemSerializer,
    RejectInput,
    RequestInfoInput,
    StatusLinkInput,
    StatusLinkSerializer,
)

TAGS = ["triage"]


# --- views ----------------------------------------------------------------------------------

QUEUE_PARAMETERS = [
    choice_param(
        "status", workflow.TRIAGE_QUEUE, description="Default: every status awaiting a decision."
    ),
    id_param("app"),
    text_param("category", 40, description="Taxonomy code."),
    choice_param("channel", Complaint.Channel.values),
    text_param("q", 100, description="Tracking number, app name or words."),
    flag_param("money", description="true: money involved only."),
    flag_param("breached", description="true: past the decision deadline only."),
    flag_param("low_confidence", description="true: classifier unsure or not run."),
    choice_param("sort", sel.QUEUE_SORTS, description="Default: priority."),
]


class QueuePagination(PageNumberPagination):
    """Fifty a page unless the reader asks for fewer (or up to a hundred) with page_size: a
    client that shows ten need not have fifty serialized."""

    page_size_query_param = "page_size"
    max_page_size = 100


class TriageQueueView(generics.ListAPIView):
    """Complaints that need a regulator, most urgent first (severity, then age)."""

    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    serializer_class = QueueItemSerializer
    pagination_class = QueuePagination

    def get_queryset(self):
        return sel.triage_queue(sel.QueueFilters.from_query(self.request.query_params))

    @extend_schema(operation_id="triage_queue", parameters=QUEUE_PARAMETERS, tags=TAGS)
    def get(self, request, *args, **kwargs):
        query_check(request.query_params, QUEUE_PARAMETERS)
        return super().get(request, *args, **kwargs)


def _complaint(pk: int) -> Complaint:
    try:
        return sel.complaint_for_regulator(pk)
    except Complaint.DoesNotExist:
        raise Http404 from None


def _detail(request, complaint: Complaint) -> Response:
    complaint = _complaint(complaint.pk)
    return Response(ComplaintRegulatorSerializer(complaint, context={"request": request}).data)


class TriageComplaintView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]

    @extend_schema(
        operation_id="triage_complaint", responses=ComplaintRegulatorSerializer, tags=TAGS
    )
    def get(self, request, pk: int):
        """One complaint as the regulator sees it, with its full status history."""
        return _detail(request, _complaint(pk))


class TriageHistoryView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]

    @extend_schema(
        operation_id="triage_complaint_history", responses=EventSerializer(many=True), tags=TAGS
    )
    def get(self, request, pk: int):
        """Every recorded event on the complaint, oldest first."""
        return Response(EventSerializer(sel.complaint_timeline(_complaint(pk)), many=True).data)


class _DecisionView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    input_serializer: type[serializers.Serializer]

    def decide(self, request, complaint: Complaint, data: dict) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        complaint = _complaint(pk)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.decide(request, complaint, serializer.validated_data)
        return _detail(request, complaint)


def _decision_schema(operation_id: str, input_serializer, summary: str):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=input_serializer,
        responses=ComplaintRegulatorSerializer,
        tags=TAGS,
    )


class AcceptView(_DecisionView):
    input_serializer = AcceptInput

    @_decision_schema("triage_accept", AcceptInput, "Accept, confirming or correcting the labels")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        triage.complaint_accept(
            complaint=complaint,
            actor=request.user,
            category_codes=data.get("categories"),
            note=data["note"],
            relabel_reason=data["relabel_reason"],
            app=data.get("app"),
        )


class RejectView(_DecisionView):
    input_serializer = RejectInput

    @_decision_schema("triage_reject", RejectInput, "Reject with a reason")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        triage.complaint_reject(
            complaint=complaint, actor=request.user, reason=data["reason"], note=data["note"]
        )


class DuplicateView(_DecisionView):
    input_serializer = DuplicateInput

    @_decision_schema(
        "triage_duplicate", DuplicateInput, "Mark as a duplicate of another complaint"
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        triage.complaint_mark_duplicate(
            complaint=complaint, original=data["original"], actor=request.user, note=data["note"]
        )


class RequestInfoView(_DecisionView):
    input_serializer = RequestInfoInput

    @_decision_schema(
        "triage_request_info", RequestInfoInput, "Ask the consumer for more information"
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        triage.complaint_request_info(
            complaint=complaint, actor=request.user, question=data["question"]
        )


class LinkView(_DecisionView):
    input_serializer = LinkInput

    @_decision_schema("triage_link_case", LinkInput, "Link to a rectification case")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        triage.complaint_link_case(complaint=complaint, case=data["case"], actor=request.user)


class CloseView(_DecisionView):
    input_serializer = CloseInput

    @_decision_schema(
        "triage_close", CloseInput, "Close (typically a dispute needing nothing more)"
    )
    def post(self, request, pk: int):
        return super().post(request, pk)

    def decide(self, request, complaint, data):
        triage.complaint_close(complaint=complaint, actor=request.user, reason=data["reason"])


class StatusLinkView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]

    @extend_schema(
        operation_id="triage_status_link",
        summary="Issue a new status link for the consumer (earlier links stop working)",
        request=StatusLinkInput,
        responses={201: StatusLinkSerializer},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        """For a consumer who lost their link or filed through a hotline: a new access token,
        returned once (and e-mailed to the consumer if asked)."""
        complaint = _complaint(pk)
        serializer = StatusLinkInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        emailed = serializer.validated_data["email"]
        token = consumers.complaint_status_link_issue(
            complaint=complaint, actor=request.user, email=emailed
        )
        response = Response(
            {
                "tracking_number": complaint.tracking_number,
                "access_token": token,
                "status_url": request.build_absolute_uri(
                    consumers.status_link_path(complaint, token)
                ),
                "emailed": emailed,
            },
            status=201,
        )
        response["Cache-Control"] = "no-store"
        return response


urlpatterns = [
    path("triage/", TriageQueueView.as_view(), name="triage-queue"),
    path("triage/<int:pk>/", TriageComplaintView.as_view(), name="triage-complaint"),
    path("triage/<int:pk>/history/", TriageHistoryView.as_view(), name="triage-history"),
    path("triage/<int:pk>/accept/", AcceptView.as_view(), name="triage-accept"),
    path("triage/<int:pk>/reject/", RejectView.as_view(), name="triage-reject"),
    path("triage/<int:pk>/duplicate/", DuplicateView.as_view(), name="triage-duplicate"),
    path("triage/<int:pk>/request-info/", RequestInfoView.as_view(), name="triage-request-info"),
    path("triage/<int:pk>/link/", LinkView.as_view(), name="triage-link"),
    path("triage/<int:pk>/close/", CloseView.as_view(), name="triage-close"),
    path("triage/<int:pk>/status-link/", StatusLinkView.as_view(), name="triage-status-link"),
]
