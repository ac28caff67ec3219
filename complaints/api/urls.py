"""The API under /api/v1/, namespace "api": each API module lists its own urlpatterns."""

from django.urls import include, path

from . import cases, complaints, operator, public, stats, triage

app_name = "api"

# Filing first: Django tries the patterns in order, and filing is the API's busiest call. No
# two modules share a route, so the order decides nothing else.
urlpatterns = [
    path("", include(complaints)),
    path("", include(stats)),
    path("", include(public)),
    path("", include(triage)),
    path("", include(cases)),
    path("", include(operator)),
]
