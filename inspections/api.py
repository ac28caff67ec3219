"""Inspections over the API: regulators upload an app's package and list its inspections."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.api.permissions import IsRegulator
from complaints.models import App, Case

from . import selectors, services
from .serializers import InspectionSerializer, InspectionUploadInput

TAGS = ["inspections"]


class AppInspectionsView(APIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="app_inspections",
        summary="An app's package inspections, newest first",
        responses=InspectionSerializer(many=True),
        tags=TAGS,
    )
    def get(self, request, pk: int):
        app = get_object_or_404(App, pk=pk)
        rows = selectors.inspections_for_app(app)
        return Response(InspectionSerializer(rows, many=True).data)

    @extend_schema(
        operation_id="app_inspection_upload",
        summary="Upload an Android package (APK) for inspection",
        description="The package is checked (size, zip bomb, path traversal, manifest) before "
        "it is stored; a worker parses it. Answers 202 with the queued inspection.",
        request={"multipart/form-data": InspectionUploadInput},
        responses={202: InspectionSerializer},
        tags=TAGS,
    )
    def post(self, request, pk: int):
        app = get_object_or_404(App, pk=pk)
        serializer = InspectionUploadInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        case_id = serializer.validated_data.get("case")
        case = get_object_or_404(Case, pk=case_id) if case_id else None
        inspection = services.inspection_upload(
            app=app, actor=request.user, upload=serializer.validated_data["apk"], case=case
        )
        inspection.refresh_from_db()
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_202_ACCEPTED)
