"""One error shape for every API response:

    {"error": {"code": "...", "message": "...", "fields": {"name": ["..."]}}}

Messages are translated by the request's Accept-Language (LocaleMiddleware).
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..errors import DomainError
from .parsers import PayloadTooLarge


def _flatten(detail) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for sub in detail for item in _flatten(sub)]
    if isinstance(detail, dict):
        return [str(item) for sub in detail.values() for item in _flatten(sub)]
    return [str(detail)]


def _render_as_json(context) -> None:
    """Errors are JSON whatever was asked for: a CSV download that fails answers the error
    shape, which a client can read, not a one-row spreadsheet."""
    request = context.get("request")
    if request is not None:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        _render_as_json(context)
        body = {"code": exc.code, "message": exc.message}
        if exc.field:
            body["fields"] = {exc.field: [exc.message]}
        return Response({"error": body}, status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(_("Not found."))
    elif isinstance(exc, RequestDataTooBig):
        # Raised by Django's form parsers past DATA_UPLOAD_MAX_MEMORY_SIZE; left alone, it
        # would become the HTML 400 page.
        exc = PayloadTooLarge()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    _render_as_json(context)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {name: _flatten(messages) for name, messages in detail.items()}
        first = next(iter(fields.values()), [""])[0]
        body = {"code": "invalid", "message": first or _("Invalid input."), "fields": fields}
        response.data = {"error": body}
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    code = getattr(exc, "default_code", "error")
    if isinstance(exc.detail, dict | list):
        message = " ".join(_flatten(exc.detail))
    else:
        message = str(exc.detail)
    response.data = {
        "error": {"code": getattr(exc.detail, "code", code) or code, "message": message}
    }
    return response
