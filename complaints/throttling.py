"""How often one client may file, upload and look complaints up: the same counters for the web
pages and the API, kept in the shared throttle cache (Redis, or a file cache on one machine) so
every web process counts together, and keyed by the client's address as `client_ip` finds it.

`X-Forwarded-For` is believed only as far as it was written by a proxy of ours: from the
right, each hop is taken while the address before it is in TRUSTED_PROXIES; the first address
that is not ours is the client. With no proxies configured the header is ignored, so a client
cannot pick a new address per request.

A Redis cache that does not answer lets requests through (and is left alone until it answers
again, complaints/breakers.py): filing must not stop because its counter is unreachable.

With Redis a check is one round trip: a small Lua script, run on a connection each thread of
the process keeps, prunes, counts and records the client's request times (a sorted set per
client and limit) at once: the sliding window DRF's throttles keep in the other caches, where
a check costs two round trips (and through Django's Redis cache, a client built per call).
"""

import hashlib
import ipaddress
import math
import os
import secrets
import threading
from functools import lru_cache, wraps

import redis
import redis.exceptions
from django.conf import settings
from django.core.cache import caches
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle

from .breakers import Breaker

# What a Redis cache raises when it cannot be reached in time (a file cache raises none).
CACHE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"

# KEYS[1]: the client's request times; ARGV: now, window (s), limit, a unique member. Returns
# {1, count} when the request is let through (and recorded), {0, oldest time} when not.
SLIDING_WINDOW = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then
    return {0, redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2]}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(window))
return {1, count + 1}
"""


class SlidingWindowScript:
    """SLIDING_WINDOW, called as redis-py's registered scripts are (keys=, args=), but run on a
    connection each thread keeps for itself: one EVALSHA written and one reply read. Taking a
    connection from the pool polls it for stray data and wraps the call in retries and metrics,
    as much CPU again as the round trip; here a failed call drops the connection and raises,
    and the throttle's breaker does what retries would."""

    def __init__(self, client: redis.Redis):
        self.client = client
        # Redis names a script by the SHA-1 of its text (no security rests on it).
        self.sha = hashlib.sha1(SLIDING_WINDOW.encode(), usedforsecurity=False).hexdigest()
        self.local = threading.local()

    def __call__(self, keys: list, args: list):
        connection = self._connection()
        try:
            connection.send_command("EVALSHA", self.sha, len(keys), *keys, *args)
            return connection.read_response()
        except redis.exceptions.NoScriptError:
            # A Redis restarted or flushed: EVAL runs the script and keeps it for EVALSHA.
            connection.send_command("EVAL", SLIDING_WINDOW, len(keys), *keys, *args)
            return connection.read_response()
        except redis.exceptions.ResponseError:
            raise  # an answer was read whole: the connection is fine
        except BaseException:
            connection.disconnect()
            raise

    def _connection(self):
        # Keyed by process too: a connection must not cross a fork (gunicorn preloads).
        held = getattr(self.local, "held", None)
        if held is None or held[0] != os.getpid():
            held = self.local.held = (os.getpid(), self.client.connection_pool.make_connection())
        return held[1]


@lru_cache(maxsize=4)
def _redis_counter(location: str, connect_timeout: float, timeout: float):
    """The process's client for one Redis (its pool serves the probe and tests) and the
    sliding-window script on it, built once; the script runs by its hash after the first
    call."""
    client = redis.Redis.from_url(
        location, socket_connect_timeout=connect_timeout, socket_timeout=timeout
    )
    return client, SlidingWindowScript(client)


def redis_counter():
    """(client, script) when the throttle cache is Redis, else None (Django's cache counts)."""
    config = settings.CACHES["throttle"]
    if config["BACKEND"] != REDIS_CACHE:
        return None
    options = config.get("OPTIONS", {})
    return _redis_counter(
        config["LOCATION"],
        options.get("socket_connect_timeout", settings.CACHE_TIMEOUT),
        options.get("socket_timeout", settings.CACHE_TIMEOUT),
    )


def _probe() -> None:
    counter = redis_counter()
    if counter is None:
        caches["throttle"].get("appwatch:probe")
    else:
        counter[0].ping()


cache_breaker = Breaker("The throttles' cache", _probe, lambda: settings.CACHE_TIMEOUT * 4)


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


NOT_AN_ADDRESS, CLIENT, PROXY = 0, 1, 2


@lru_cache(maxsize=4096)
def _kind(address: str, proxies: tuple[str, ...]) -> int:
    """What `address` is to us; kept per process for the addresses seen last (our proxies'
    are among them), since parsing one costs as much as the rest of client_ip."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return NOT_AN_ADDRESS
    return PROXY if any(ip in network for network in _networks(proxies)) else CLIENT


def _is_proxy(address: str) -> bool:
    return _kind(address, tuple(settings.TRUSTED_PROXIES)) == PROXY


def _valid(address: str) -> bool:
    return _kind(address, tuple(settings.TRUSTED_PROXIES)) != NOT_AN_ADDRESS


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, unless that is one of our proxies, in which case
    the rightmost forwarded address that is not one of ours."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.TRUSTED_PROXIES or not _is_proxy(remote):
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
    retry_after: float | None = None

    def __init__(self):
        self.cache = caches["throttle"]
        # (client, script) when the throttle cache is Redis: counted in one round trip.
        self.counter = redis_counter()
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
            if self.counter is None:
                return super().allow_request(request, view)
            return self._allow_in_redis(request, view, self.counter[1])
        except CACHE_DOWN:
            cache_breaker.trip()
            return True

    def _allow_in_redis(self, request, view, script) -> bool:
        if self.rate is None or (key := self.get_cache_key(request, view)) is None:
            return True
        now = self.timer()
        prefix = settings.CACHES["throttle"].get("KEY_PREFIX", "")
        allowed, value = script(
            keys=[f"{prefix}:{key}"],
            args=[repr(now), self.duration, self.num_requests, f"{now!r}:{secrets.token_hex(4)}"],
        )
        if allowed:
            return True
        # As DRF's wait(): until the oldest request counted leaves the window.
        self.retry_after = max(0.0, self.duration - (now - float(value)))
        return False

    def wait(self):
        if self.retry_after is not None:
            return self.retry_after
        return super().wait()

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


class AppSearchThrottle(ClientThrottle):
    """App searches per client (APP_SEARCH_RATE): open to anyone and matched against the
    whole registry, so a script cannot make every search the server does its own."""

    scope = "app_search"


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
