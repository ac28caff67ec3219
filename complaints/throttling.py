"""How often one client may file, upload and look complaints up: the same counters for the web
pages and the API, kept in the shared throttle cache (Redis, or a file cache on one machine) so
every web process counts together, and keyed by the client's address as `client_ip` finds it.

`X-Forwarded-For` is believed only as far as it was written by a proxy of ours: from the
right, each hop is taken while the address before it is in TRUSTED_PROXIES; the first address
that is not ours is the client. With no proxies configured the header is ignored, so a client
cannot pick a new address per request.

A Redis cache that does not answer lets requests through (and is left alone until it answers
again, complaints/breakers.py): filing must not stop because its counter is unreachable.
"""

import ipaddress
import math
from functools import lru_cache, wraps

import redis.exceptions
from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle

from .breakers import Breaker

# What a Redis cache raises when it cannot be reached in time (a file cache raises none).
CACHE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
cache_breaker = Breaker(
    "The throttles' cache",
    lambda: caches["throttle"].get("appwatch:probe"),
    lambda: settings.CACHE_TIMEOUT * 4,
)


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _is_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, unless that is one of our proxies, in which case
    the rightmost forwarded address that is not one of ours."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not _is_proxy(remote):
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not _valid(hop):
            return remote  # a proxy of ours wrote nonsense: count the proxy, not the nonsense
        if not _is_proxy(hop):
            return hop
    return hops[0] if hops else remote


class ClientThrottle(SimpleRateThrottle):
    """Requests per client address for one scope; the rate is read at request time from
    REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope], so tests and settings can change it."""

    scope = ""

    def __init__(self):
        self.cache = caches["throttle"]
        super().__init__()

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)

    def allow_request(self, request, view) -> bool:
        """Counted in the shared throttle cache; while that cache is down (Redis stopped)
        requests pass uncounted, and after a failure no request touches it until the
        breaker's probe gets an answer: an outage costs one short timeout, never a refusal
        or an error."""
        if cache_breaker.is_open:
            return True
        try:
            return super().allow_request(request, view)
        except CACHE_DOWN:
            cache_breaker.trip()
            return True

    def get_ident(self, request) -> str:
        return client_ip(request)

    def get_cache_key(self, request, view) -> str | None:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AnonymousSubmitThrottle(ClientThrottle):
    """Anonymous filings per client (ANON_SUBMIT_RATE): the API and the web form share it."""

    scope = "anon_submit"

    def get_cache_key(self, request, view) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class TrackThrottle(ClientThrottle):
    """Status look-ups per client (TRACK_RATE): tokens are unguessable, this keeps scrapers
    and guessers off both the API and the web look-up form."""

    scope = "track"


class EvidenceUploadThrottle(ClientThrottle):
    """Evidence uploads per client (EVIDENCE_UPLOAD_RATE): every file costs a decode."""

    scope = "evidence_upload"


def refused(request, throttle_class: type[ClientThrottle]):
    """None while the client is within the limit (the request is counted); over it, a page
    in the visitor's language saying when to come back (429 with Retry-After). The session
    keeps whatever it already holds: a draft complaint, uploaded files."""
    throttle = throttle_class()
    if throttle.allow_request(request, None):
        return None
    seconds = math.ceil(throttle.wait() or 60)
    response = render(request, "429.html", {"minutes": max(1, math.ceil(seconds / 60))}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def web_throttle(throttle_class: type[ClientThrottle]):
    """Count a web view's POSTs against a throttle (see `refused`)."""

    def decorate(view):
        @wraps(view)
        def throttled(request, *args, **kwargs):
            if request.method == "POST" and (answer := refused(request, throttle_class)):
                return answer
            return view(request, *args, **kwargs)

        return throttled

    return decorate
