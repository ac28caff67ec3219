from csp.decorators import csp_update
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from complaints.views.accounts import set_language

# Swagger UI and ReDoc come from this site's static files (drf-spectacular-sidecar); Swagger's
# set-up script is served from here too (the split view), so that page needs no inline script.
# ReDoc draws its styles at run time and reads the schema in a worker: its page alone allows
# inline styles and blob: workers.
swagger_ui = SpectacularSwaggerSplitView.as_view(url_name="schema")
redoc = csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
    SpectacularRedocView.as_view(url_name="schema")
)

urlpatterns = [
    # Django's language switch, which also remembers a signed-in person's choice.
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/schema/swagger/", swagger_ui, name="swagger-ui"),
    path("api/schema/redoc/", redoc, name="redoc"),
    path("api/v1/", include("complaints.api.urls")),
    path("api/v1/", include("inspections.urls")),
    path("api/v1/", include("early_warning.urls")),
    path("", include("inspections.urls_web")),
    path("early-warning/", include("early_warning.urls_web")),
    path("", include("complaints.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Error pages in the site's design and the visitor's language (complaints/views/errors.py).
handler400 = "complaints.views.errors.bad_request"
handler403 = "complaints.views.errors.permission_denied"
handler404 = "complaints.views.errors.page_not_found"
handler500 = "complaints.views.errors.server_error"
