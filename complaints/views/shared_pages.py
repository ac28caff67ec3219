"""The rendered part of a page that every reader of one audience sees alike (the board, an app's
scorecard), shared through the cache for STATS_SHARED_SECONDS like the figures in it.

A fragment is rendered without the request, so nothing personal (the user menu, a CSRF token,
messages) can enter it; the page around it is rendered for each request. Its key is the
figures' key (audience, page, filter, language), so one language or audience never reads
another's. JSON answers shared the same way carry an ETag for conditional GETs.
"""

import hashlib
from collections.abc import Callable

from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, quote_etag
from django.utils.safestring import SafeString

from ..selectors.stats.shared import Shared, cache_key, shared_figures


def shared_fragment(
    audience: str, name: str, parts: tuple, template: str, context: Callable[[], dict]
) -> Shared[SafeString]:
    """`template` rendered with `context()`, once per freshness period for this audience,
    page (`name`), filter (`parts`, plain values) and language."""
    return shared_figures(
        audience, f"{name}:html", parts, lambda: render_to_string(template, context())
    )


def shared_etag(audience: str, name: str, parts: tuple, shared: Shared) -> str:
    """An entity tag for a shared answer: it changes with the key and with each recount."""
    scope = f"{cache_key(audience, name, parts)}|{shared.computed_at.isoformat()}"
    return quote_etag(hashlib.sha256(scope.encode()).hexdigest()[:32])


def not_modified(request, etag: str):
    """A 304 (with the tag) when the reader already holds this answer (If-None-Match), else
    None."""
    response = get_conditional_response(request, etag=etag)
    if response is not None:
        response["ETag"] = etag
    return response
