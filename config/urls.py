from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)

from complaints.views.accounts import set_language

urlpatterns = [
    # Django's language switch, which also remembers a signed-in person's choice.
    path("i18n/setlang/", set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/schema/swagger/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"
    ),
    path("api/schema/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include("complaints.api.urls")),
    path("", include("complaints.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Error pages in the site's design and the visitor's language (complaints/views/errors.py).
handler400 = "complaints.views.errors.bad_request"
handler403 = "complaints.views.errors.permission_denied"
handler404 = "complaints.views.errors.page_not_found"
handler500 = "complaints.views.errors.server_error"
