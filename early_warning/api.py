"""Collective complaints over the API, for regulators."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions

from complaints.api.permissions import IsRegulator

from . import selectors
from .serializers import ClusterSerializer


class ClusterListView(generics.ListAPIView):
    permission_classes = [permissions.IsAuthenticated, IsRegulator]
    serializer_class = ClusterSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.clusters_queryset()

    @extend_schema(
        operation_id="clusters",
        summary="Collective complaints: clusters of alike complaints, newest activity first",
        description="Each cluster with its members, its complaints per day over the last week "
        "and why the platform grouped them.",
        tags=["early warning"],
    )
    def get(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        views = selectors.cluster_views_with_members(page)
        return self.get_paginated_response(ClusterSerializer(views, many=True).data)
