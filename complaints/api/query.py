"""Query-string parameters, declared once: the schema documents them and `query_check`
enforces them, so what /api/schema/ promises is what the endpoint accepts.

Each helper returns an `OpenApiParameter` whose type is a plain JSON schema (drf-spectacular
copies it into the document); `query_check` reads the same schema back and refuses, with 400
in the API's one error shape, any declared parameter whose value breaks it (an empty value
too, unless the parameter is free text); undeclared parameters are ignored.
"""

import datetime
import re

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation

from ..lookups import ID_MAX


def id_param(name: str, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(
        name, {"type": "integer", "minimum": 1, "maximum": ID_MAX}, description=description
    )


def choice_param(name: str, values, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(
        name, {"type": "string", "enum": sorted(values)}, description=description
    )


def flag_param(name: str, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(name, {"type": "boolean"}, description=description)


def date_param(name: str, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(name, {"type": "string", "format": "date"}, description=description)


def text_param(name: str, max_length: int, description: str = "") -> OpenApiParameter:
    return OpenApiParameter(
        name, {"type": "string", "maxLength": max_length}, description=description
    )


class PatternParameter(OpenApiParameter):
    """A string of a given form, carrying the message (marked for translation) that says what
    form, for `query_check` to give when a value breaks it."""

    def __init__(self, name: str, pattern: str, message: str, description: str = ""):
        super().__init__(name, {"type": "string", "pattern": pattern}, description=description)
        self.message = message


def pattern_param(name: str, pattern: str, message: str, description: str = "") -> OpenApiParameter:
    """A string of a given form; `message` (marked for translation) says what form."""
    return PatternParameter(name, pattern, message, description)


FLAG_VALUES = {"true": True, "1": True, "false": False, "0": False}


def query_check(params, declared: list[OpenApiParameter]) -> None:
    """Raise ValidationError naming every declared query parameter that breaks its schema."""
    errors: dict[str, list[str]] = {}
    for parameter in declared:
        if parameter.location != OpenApiParameter.QUERY or not isinstance(parameter.type, dict):
            continue
        values = params.getlist(parameter.name)
        if len(values) > 1:
            errors[parameter.name] = [_("Give this parameter once.")]
            continue
        if values:
            problem = _problem(values[0].strip(), parameter)
            if problem:
                errors[parameter.name] = [problem]
    if errors:
        raise ValidationError(errors)


def _problem(value: str, parameter: OpenApiParameter) -> str | None:
    schema = parameter.type
    kind = schema["type"]
    if kind == "integer":
        if not (value.isascii() and value.isdigit()):
            return _("Give a whole number.")
        if not schema["minimum"] <= int(value) <= schema["maximum"]:
            return _("Give a number between %(low)s and %(high)s.") % {
                "low": schema["minimum"],
                "high": schema["maximum"],
            }
    elif kind == "boolean":
        if value.lower() not in FLAG_VALUES:
            return _("Give true or false.")
    elif "enum" in schema:
        if value not in schema["enum"]:
            return _("Choose one of: %(values)s.") % {"values": ", ".join(schema["enum"])}
    elif schema.get("format") == "date":
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            return _("Give a date as YYYY-MM-DD.")
    elif "maxLength" in schema and len(value) > schema["maxLength"]:
        return _("Use at most %(count)s characters.") % {"count": schema["maxLength"]}
    elif "pattern" in schema and not re.fullmatch(schema["pattern"], value):
        return _(parameter.message)
    return None


# Accept headers that take anything: none at all (DRF reads it as */*) or */* itself, as
# scripts and HTTP libraries send it.
ACCEPT_ANYTHING = {None, "*/*"}


class ContentNegotiation(DefaultContentNegotiation):
    """`?format=` names a representation; one this endpoint does not offer is a bad query
    (400 naming the choices), not a missing page as DRF has it (404).

    A request that takes anything, or exactly the endpoint's first representation (the web
    form's script asks for application/json), and names no format gets the first renderer, as
    DRF's negotiation would give it, without parsing the Accept header against each renderer
    (most API calls, filing's and the app search's included)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT")
        if (
            renderers
            and (accept in ACCEPT_ANYTHING or accept == renderers[0].media_type)
            and not format_suffix
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        if request.query_params.get(self.settings.URL_FORMAT_OVERRIDE) == "" and not format_suffix:
            # DRF reads an empty ?format= as none given; it names no representation we offer.
            raise _unknown_format(renderers)
        return super().select_renderer(request, renderers, format_suffix)

    def filter_renderers(self, renderers, format):
        try:
            return super().filter_renderers(renderers, format)
        except Http404:
            raise _unknown_format(renderers) from None


def _unknown_format(renderers) -> ValidationError:
    offered = ", ".join(sorted({renderer.format for renderer in renderers}))
    return ValidationError({"format": [_("Choose one of: %(values)s.") % {"values": offered}]})
