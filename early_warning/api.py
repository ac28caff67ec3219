"""Collective complaints over the API, for regulators."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions
from rest_framework.exceptions import ValidationError

from complaints.api.permissions import IsRegulator

from . import selectors
from .models import Cluster
from .serializers import ClusterSerializer


class ClusterListView(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    serializer_class = ClusterSerializer
    filter_backends: list = []

    def get_queryset(self):
        kind = self.request.query_params.get("kind", "")
        if kind and kind not in Cluster.Kind.values:
            raise ValidationError({"kind": [_("Choose app, company or sdk.")]})
        return selectors.clusters_queryset(kind=kind)

    @extend_schema(
        operation_id="clusters",
        summary="Collective complaints: clusters of alike complaints, newest activity first",
        description="Each cluster with its kind (one app, one company's apps, or one SDK "
        "across companies, naming the SDK), its members, its complaints per day over the last week "
        "and why the platform grouped them.",
        tags=["early warning"],
        parameters=[
            OpenApiParameter(
                "kind",
                str,
                enum=["app", "company", "sdk"],
                description="Only clusters grouped by one app, one company's apps, or one SDK "
                "across companies.",
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        views = selectors.cluster_views_with_members(page)
        return self.get_paginated_response(ClusterSerializer(views, many=True).data)
