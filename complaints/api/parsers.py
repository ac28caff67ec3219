"""The API's JSON parser: DRF's, with a limit on nesting and no lone surrogates.

Python's json module recurses once per level, so a body nested a thousand deep raises
RecursionError (a 500) before any serializer sees it; a lone surrogate ("\\ud800") parses but
can be neither stored in PostgreSQL nor encoded in a response. Both answer 400 here, in the
one error shape, on every endpoint (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]).
"""

import json
import re
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import parsers, status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.settings import api_settings

from ..text import text_first_surrogate

# Far above the deepest body the API takes (a complaint's details: object, list, object).
MAX_DEPTH = 32

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request is too large.")
    default_code = "too_large"


def _too_deep(text: str, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit`, counted without parsing (brackets
    inside strings do not count)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        if match.group(0) in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def json_loads_checked(text: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """`text` parsed as JSON; ValueError with a message for people when it is not JSON, nests
    deeper than `max_depth` or holds a lone surrogate."""
    if _too_deep(text, max_depth):
        raise ValueError(
            _("The JSON is nested more than %(limit)s levels deep.") % {"limit": max_depth}
        )
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as error:
        raise ValueError(_("The body is not valid JSON: %(error)s") % {"error": error}) from None
    surrogate = text_first_surrogate(value)
    if surrogate:
        raise ValueError(
            _("The JSON holds %(code)s, half of a character pair, which is not text.")
            % {"code": surrogate}
        )
    return value


def _refuse_constant(name: str):
    # NaN and Infinity are not JSON; DRF refuses them too unless STRICT_JSON is off.
    if api_settings.STRICT_JSON:
        raise ValueError(f"{name} is not a JSON value")
    return float(name)


class JSONParser(parsers.JSONParser):
    max_depth = MAX_DEPTH

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        # DRF reads the body from the request's stream, where Django's size limit (checked
        # only by request.body and the form parsers) does not apply.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(body) > limit:
            raise PayloadTooLarge()
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            raise ParseError(
                _("The body is not %(encoding)s text.") % {"encoding": encoding}
            ) from None
        try:
            return json_loads_checked(text, max_depth=self.max_depth)
        except ValueError as error:
            raise ParseError(str(error)) from None
