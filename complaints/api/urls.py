"""The API under /api/v1/, namespace "api": each API module lists its own urlpatterns."""

from django.urls import include, path

from . import cases, complaints, operator, public, stats, triage

app_name = "api"

urlpatterns = [
    path("", include(stats)),
    path("", include(public)),
    path("", include(triage)),
    path("", include(cases)),
    path("", include(operator)),
    path("", include(complaints)),
]
