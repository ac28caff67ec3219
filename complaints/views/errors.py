"""Error pages in the site's design and the visitor's language, each saying what to do next.

LocaleMiddleware has already chosen the language when these run. The 400 and 500 pages render
without context processors (the request or the database may be what failed); the 500 page
falls back to a static bilingual page if even that cannot render.
"""

import logging

from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseServerError,
    JsonResponse,
)
from django.shortcuts import render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

STATIC_500 = (
    "<!doctype html><html lang='zh-Hans'><meta charset='utf-8'><title>AppWatch</title>"
    "<h1>出错了 · Something went wrong</h1>"
    "<p>服务器暂时无法处理您的请求。您已提交的内容不会丢失，请稍后再试。</p>"
    "<p>The server could not handle your request just now. Nothing you already submitted is "
    "lost; please try again shortly.</p><p><a href='/'>AppWatch</a></p></html>"
)


API_PREFIX = "/api/"


def _api_error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse | None:
    """The API's one error shape (complaints/api/errors.py) for a path under /api/ that never
    reached a DRF view: an address no route matches, or a failure before the view ran."""
    if not request.path.startswith(API_PREFIX):
        return None
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    api = _api_error(request, 400, "bad_request", _("The request could not be read."))
    if api:
        return api
    # Without the request's context: a bad Host header would fail again in any part of the
    # page that reads it.
    return HttpResponseBadRequest(loader.get_template("400.html").render({}))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    api = _api_error(
        request, 403, "permission_denied", _("You do not have permission to perform this action.")
    )
    if api:
        return api
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    api = _api_error(request, 404, "not_found", _("Not found."))
    if api:
        return api
    return render(request, "404.html", status=404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without a valid security token: usually a page left open across a login,
    a logout or an expired session. Reloading gives the form a fresh token."""
    logger.warning("CSRF failure on %s: %s", request.path, reason)
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = request.path if request.method == "GET" else "/"
    return render(request, "403_csrf.html", {"back_url": back}, status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    api = _api_error(
        request,
        500,
        "server_error",
        _("The server could not handle this request. Nothing already accepted is lost."),
    )
    if api:
        return api
    try:
        html = loader.get_template("500.html").render({})
    except Exception:  # the error page must answer whatever else is broken
        logger.exception("The 500 page itself failed to render")
        html = STATIC_500
    return HttpResponseServerError(html)
