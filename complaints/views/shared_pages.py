"""The rendered part of a page that every reader of one audience sees alike (the board, an app's
scorecard), shared through the cache for STATS_SHARED_SECONDS like the figures in it.

A fragment is rendered without the request, so nothing personal (the user menu, a CSRF token,
messages) can enter it; the page around it is rendered for each request. Its key is the
figures' key (audience, page, filter, language), so one language or audience never reads
another's. JSON answers shared the same way carry an ETag for conditional GETs.

A page that anonymous visitors all see alike (the one-page filing form) can be shared whole
(`shared_anonymous_page`): rendered without the request too, as an anonymous visitor with no
message sees it, with slots for the two things that are each visitor's own, the CSRF token of
the language switch and the address it returns to, filled in for each request.
"""

import functools
import hashlib
from collections.abc import Callable

from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template, render_to_string
from django.utils.cache import get_conditional_response, quote_etag
from django.utils.html import escape
from django.utils.safestring import SafeString

from ..selectors.stats.shared import PUBLIC, Shared, cache_key, held_figures, shared_figures
from ..text import BIDI_CONTROLS, BIDI_CONTROLS_CLEARED


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


# What a shared page leaves to each request: plain ASCII that HTML escaping keeps as it is, and
# that no template of a shared page contains.
CSRF_TOKEN_SLOT = "shared-page-csrf-token-slot"
NEXT_PATH_SLOT = "/shared-page-next-path-slot/"


class _RequestSlots:
    """What base.html reads of the request (the language switch's `next`), as a slot."""

    def get_full_path(self) -> str:
        return NEXT_PATH_SLOT


def _anonymous_context() -> dict:
    """What the context processors give base.html for an anonymous visitor with no message
    waiting, with slots for the request's own values (tests/complaints/views/
    test_file_one_page.py compares the result with a page rendered for a request)."""
    return {
        "user": AnonymousUser(),
        "is_regulator": False,
        "is_operator": False,
        "messages": (),
        "csrf_token": CSRF_TOKEN_SLOT,
        "request": _RequestSlots(),
    }


def shares_anonymous_page(request: HttpRequest) -> bool:
    """Whether this visitor sees what every anonymous visitor sees: not signed in, and no
    message waiting (counted without reading them, so they stay for the page that shows them)."""
    return not request.user.is_authenticated and not len(get_messages(request))


@functools.cache
def templates_version(*names: str) -> str:
    """A digest of the templates this process renders a shared page from, for its key: a
    deploy that changes them starts new keys instead of reading the pages the previous code
    rendered (those expire on their own too)."""
    sources = "\0".join(get_template(name).template.source for name in names)
    return hashlib.sha256(sources.encode()).hexdigest()[:16]


def shared_anonymous_page(
    request: HttpRequest, name: str, parts: tuple, template: str, context: Callable[[], dict]
) -> HttpResponse:
    """`template` as an anonymous visitor sees it, rendered with `context()` once per
    freshness period for this page (`name`), `parts` and language, with this request's own CSRF
    token (which sets its CSRF cookie, as `{% csrf_token %}` does) and address filled in. Only
    for requests `shares_anonymous_page` accepts.

    The page is cleared of bidi controls once, when it is rendered, instead of by the
    middleware on every request (a tenth of the page's CPU): what each request adds is ASCII,
    the token and the address as `get_full_path()` gives it, its path and query percent-encoded
    (tests/complaints/views/test_file_one_page.py)."""
    page = held_figures(
        PUBLIC,
        f"{name}:page",
        parts,
        lambda: BIDI_CONTROLS.sub(
            "", render_to_string(template, {**context(), **_anonymous_context()})
        ),
    ).value
    # The token first: the address is the visitor's to write, so a slot in it stays text.
    html = page.replace(CSRF_TOKEN_SLOT, get_token(request)).replace(
        NEXT_PATH_SLOT, escape(request.get_full_path())
    )
    response = HttpResponse(html)
    setattr(response, BIDI_CONTROLS_CLEARED, True)
    return response
