"""Rectification cases over the API for regulators: list and open, one case with its notices,
complaints and status history, and the case actions."""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import workflow
from ..errors import DomainError
from ..models import Case
from ..selectors import cases as sel
from ..services import cases as case_services
from .case_serializers import (
    AssignInput,
    CaseDetailSerializer,
    CaseOpenInput,
    CaseSerializer,
    EscalateInput,
    NoteInput,
    NoticeInput,
    ReasonInput,
    VerifyInput,
    case_payload,
)
from .permissions import IsRegulator
from .query import choice_param, id_param, pattern_param, query_check, text_param
from .triage_serializers import EventSerializer

TAGS = ["cases"]

CASE_LIST_PARAMETERS = [
    choice_param(
        "status", workflow.CaseStatus.values, description="Default: every case not closed."
    ),
    id_param("app"),
    text_param("category", 40, description="Taxonomy code."),
    pattern_param(
        "assignee",
        "^(me|none|[0-9]{1,19})$",
        gettext_noop("Give me, none or a user id."),
        description="me, none or a user id.",
    ),
    text_param("q", 100, description="Case reference or words of its title."),
]


# --- views ----------------------------------------------------------------------------------


class CaseListView(generics.ListAPIView):
    """Active cases (or those in `status`), nearest deadline first; POST opens a case."""

    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    serializer_class = CaseSerializer

    def get_queryset(self):
        return sel.case_list(
            sel.CaseFilters.from_query(self.request.query_params), user=self.request.user
        )

    @extend_schema(
        operation_id="cases_list",
        parameters=CASE_LIST_PARAMETERS,
        tags=TAGS,
    )
    def get(self, request, *args, **kwargs):
        query_check(request.query_params, CASE_LIST_PARAMETERS)
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="cases_open",
        request=CaseOpenInput,
        responses={201: CaseDetailSerializer},
        tags=TAGS,
    )
    def post(self, request):
        serializer = CaseOpenInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        case = case_services.case_open(
            app=data["app"],
            categories=data["categories"],
            actor=request.user,
            title=data["title"],
            summary=data["summary"],
            language=data["language"],
            complaints=data["complaints"],
        )
        return Response(
            case_payload(sel.case_for_regulator(case.pk)), status=status.HTTP_201_CREATED
        )


def _case(pk: int) -> Case:
    try:
        return sel.case_for_regulator(pk)
    except Case.DoesNotExist:
        raise Http404 from None


class CaseDetailView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]

    @extend_schema(operation_id="cases_detail", responses=CaseDetailSerializer, tags=TAGS)
    def get(self, request, pk: int):
        """One case with its notices, reports, complaints and full status history."""
        return Response(case_payload(_case(pk)))


class CaseHistoryView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]

    @extend_schema(operation_id="cases_history", responses=EventSerializer(many=True), tags=TAGS)
    def get(self, request, pk: int):
        """Every recorded event on the case, oldest first."""
        return Response(EventSerializer(sel.case_detail(_case(pk))["timeline"], many=True).data)


class _CaseActionView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    input_serializer: type[serializers.Serializer]
    created = False

    def act(self, request, case: Case, data: dict) -> None:
        raise NotImplementedError

    def post(self, request, pk: int):
        case = _case(pk)
        serializer = self.input_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.act(request, case, serializer.validated_data)
        return Response(
            case_payload(_case(pk)),
            status=status.HTTP_201_CREATED if self.created else status.HTTP_200_OK,
        )


def _action_schema(operation_id: str, input_serializer, summary: str, created: bool = False):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=input_serializer,
        responses={201 if created else 200: CaseDetailSerializer},
        tags=TAGS,
    )


class AssignView(_CaseActionView):
    input_serializer = AssignInput

    @_action_schema("cases_assign", AssignInput, "Assign to a regulator (null to unassign)")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, case, data):
        assignee = None
        if data["assignee"] is not None:
            assignee = get_user_model().objects.filter(pk=data["assignee"]).first()
            if assignee is None:
                raise DomainError(_("Choose a regulator."), field="assignee")
        case_services.case_assign(case=case, assignee=assignee, actor=request.user)


class NoteView(_CaseActionView):
    input_serializer = NoteInput
    created = True

    @_action_schema("cases_note", NoteInput, "Add an internal note", created=True)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, case, data):
        case_services.case_note_add(case=case, actor=request.user, text=data["text"])


class NoticeView(_CaseActionView):
    input_serializer = NoticeInput
    created = True

    @_action_schema("cases_notice", NoticeInput, "Issue a rectification notice", created=True)
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, case, data):
        case_services.notice_issue(
            case=case,
            actor=request.user,
            problems=data["problems"],
            deadline_date=data.get("deadline_date"),
            legal_basis=data.get("legal_basis"),
        )


class VerifyView(_CaseActionView):
    input_serializer = VerifyInput

    @_action_schema("cases_verify", VerifyInput, "Record the verification: rectified or not")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, case, data):
        case_services.rectification_verify(
            case=case,
            actor=request.user,
            rectified=data["rectified"],
            notes=data["notes"],
            new_deadline_date=data.get("new_deadline_date"),
            escalate_measure=data["escalate_measure"],
        )


class EscalateView(_CaseActionView):
    input_serializer = EscalateInput

    @_action_schema("cases_escalate", EscalateInput, "Escalate with a measure")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, case, data):
        case_services.case_escalate(
            case=case, actor=request.user, measure=data["measure"], reason=data["reason"]
        )


class CloseView(_CaseActionView):
    input_serializer = ReasonInput

    @_action_schema("cases_close", ReasonInput, "Close the case")
    def post(self, request, pk: int):
        return super().post(request, pk)

    def act(self, request, case, data):
        case_services.case_close(case=case, actor=request.user, reason=data["reason"])


urlpatterns = [
    path("cases/", CaseListView.as_view(), name="cases"),
    path("cases/<int:pk>/", CaseDetailView.as_view(), name="case"),
    path("cases/<int:pk>/history/", CaseHistoryView.as_view(), name="case-history"),
    path("cases/<int:pk>/assign/", AssignView.as_view(), name="case-assign"),
    path("cases/<int:pk>/notes/", NoteView.as_view(), name="case-notes"),
    path("cases/<int:pk>/notices/", NoticeView.as_view(), name="case-notices"),
    path("cases/<int:pk>/verify/", VerifyView.as_view(), name="case-verify"),
    path("cases/<int:pk>/escalate/", EscalateView.as_view(), name="case-escalate"),
    path("cases/<int:pk>/close/", CloseView.as_view(), name="case-close"),
]
