"""The OpenAPI schema says what the API does, failures included.

drf-spectacular documents the answers a view declares (200, 201); this class adds the error
answers every operation can give, all in the one error shape of `errors.py`, from what the
view itself is: authentication refused (403), a path id that does not exist (404), a bad
query or body (400), a body too large (413) or of a type it does not read (415), a throttle
(429). `tests/fuzz/` holds every response to the schema, so a new failure mode that is not
listed here fails there.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import inline_serializer
from rest_framework import permissions, serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(help_text=_("Stable, machine-readable reason.")),
                "message": serializers.CharField(
                    help_text=_("What went wrong, in the request's language.")
                ),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()),
                    required=False,
                    help_text=_("Messages per field, for invalid input."),
                ),
            },
        )
    },
)

ERROR_DESCRIPTIONS = {
    400: _("Invalid input: `error.fields` names each field and what is wrong with it."),
    403: _("Not logged in, or this role may not do this."),
    404: _("No such object, or not one this account may see; or a page past the end."),
    409: _("The request conflicts with the object's current state."),
    413: _("The request body is too large."),
    415: _("The request body is of a type this endpoint does not read."),
    429: _("Too many requests; the Retry-After header says when to try again."),
}

_BODY_METHODS = {"POST", "PUT", "PATCH"}


class AppWatchAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation) | self._declared_errors(responses):
            response = responses.setdefault(
                str(code), {"description": str(ERROR_DESCRIPTIONS.get(code, ""))}
            )
            # A view may give its own description of an error; the body is always the shape.
            response["content"] = {"application/json": {"schema": self._error_ref()}}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def get_auth(self) -> list[dict]:
        auths = super().get_auth()
        # A permission may let anyone make some requests (filing a complaint): the operation
        # then takes no credentials too, as drf-spectacular says of AllowAny.
        anyone = all(
            isinstance(permission, permissions.AllowAny)
            or self.method in getattr(permission, "anonymous_methods", ())
            for permission in self.view.get_permissions()
        )
        if anyone and {} not in auths:
            auths.append({})
        return auths

    @staticmethod
    def _declared_errors(responses: dict) -> set[int]:
        return {int(code) for code in responses if code.isdigit() and int(code) >= 400}

    def _error_ref(self) -> dict:
        return self.resolve_serializer(ErrorSerializer, "response").ref

    def _error_codes(self, operation: dict) -> set[int]:
        codes: set[int] = set()
        parameters = operation.get("parameters", [])
        has_body = self.method in _BODY_METHODS
        if has_body or any(p.get("in") == "query" for p in parameters):
            codes.add(400)
        if has_body:
            codes |= {413, 415}
        if not self._open_to_anyone():
            codes.add(403)
        has_path = any(p.get("in") == "path" for p in parameters)
        if has_path or self._is_paginated():
            codes.add(404)
        if has_body and has_path:
            # An action on an existing object (accept, close, verify ...) can find it in a
            # state that no longer allows it: the services answer 409 then.
            codes.add(409)
        if self.view.get_throttles():
            codes.add(429)
        return codes

    def _open_to_anyone(self) -> bool:
        return all(
            isinstance(permission, permissions.AllowAny)
            for permission in self.view.get_permissions()
        )

    def _is_paginated(self) -> bool:
        return self.method == "GET" and getattr(self.view, "pagination_class", None) is not None
