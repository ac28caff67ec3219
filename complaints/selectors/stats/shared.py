"""Figures that are the same for every reader of a page for a few seconds, computed once and
shared by every web process through the cache (Redis when CACHE_URL is set, files otherwise).

Only aggregates go here, keyed by the audience (public or regulator), the filter and the
language: never anything per person, and never a staff figure under a public key. A reader
finds the last value; when it is older than STATS_SHARED_SECONDS, one reader (the one that
takes the lock) computes the next while the others go on serving the previous one, so a busy
page never sets every process counting at once. With nothing cached yet the others wait for
the first one briefly, then count for themselves. (Redis takes the lock atomically; the file
cache of a one-machine install can, rarely, let two processes count at the same moment.)
"""

import datetime
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone, translation

logger = logging.getLogger(__name__)

T = TypeVar("T")

PUBLIC = "public"
REGULATOR = "regulator"
AUDIENCES = (PUBLIC, REGULATOR)
# A stale value is served at most this many freshness periods after it was computed; past
# that a reader waits for (or makes) a fresh one.
KEEP_PERIODS = 12
# How long the first readers wait for the one computing before counting themselves.
WAIT_SECONDS = 5.0
WAIT_STEP_SECONDS = 0.05
_VERSION = 1


@dataclass(frozen=True)
class Shared(Generic[T]):
    """A value and when it was computed (the page shows readers how fresh it is)."""

    value: T
    computed_at: datetime.datetime


def cache_key(audience: str, name: str, parts: tuple) -> str:
    """The key for one page's figures: audience, page, its filter and the active language."""
    if audience not in AUDIENCES:
        raise ValueError(f"unknown audience {audience!r}")
    scope = repr((parts, translation.get_language()))
    digest = hashlib.sha256(scope.encode()).hexdigest()[:24]
    return f"appwatch:shared-figures:v{_VERSION}:{audience}:{name}:{digest}"


def _get(key: str):
    try:
        return cache.get(key)
    except Exception:  # a cache that is down: count as if nothing were cached
        logger.warning("shared figures: cache unavailable", exc_info=True)
        return None


def _store(key: str, shared: Shared, keep: float) -> None:
    try:
        cache.set(key, shared, timeout=keep)
    except Exception:
        logger.warning("shared figures: cache unavailable", exc_info=True)


def _lock(key: str, seconds: float) -> bool:
    try:
        return cache.add(f"{key}:lock", 1, timeout=max(1, round(seconds)))
    except Exception:
        return True  # nobody can share: count for this reader


def _unlock(key: str) -> None:
    try:
        cache.delete(f"{key}:lock")
    except Exception:
        logger.warning("shared figures: cache unavailable", exc_info=True)


def shared_figures(audience: str, name: str, parts: tuple, compute: Callable[[], T]) -> Shared[T]:
    """`compute()`'s value for this audience, page and filter (`parts`, plain values), at most
    STATS_SHARED_SECONDS old (plus one computation); 0 turns sharing off."""
    fresh = settings.STATS_SHARED_SECONDS
    if fresh <= 0:
        return Shared(compute(), timezone.now())
    key = cache_key(audience, name, parts)
    keep = fresh * KEEP_PERIODS
    found = _get(key)
    now = timezone.now()
    if found is not None and (now - found.computed_at).total_seconds() < fresh:
        return found
    if not _lock(key, WAIT_SECONDS * 2):
        if found is not None:
            return found  # another process is computing the next one
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(WAIT_STEP_SECONDS)
            found = _get(key)
            if found is not None:
                return found
        started = timezone.now()
        return Shared(compute(), started)
    try:
        started = timezone.now()  # the figures are at least this fresh
        shared = Shared(compute(), started)
        _store(key, shared, keep)
    finally:
        _unlock(key)
    return shared


# The last fresh value of each key `held_figures` read, in this process.
_held: dict[str, Shared] = {}


def held_figures(audience: str, name: str, parts: tuple, compute: Callable[[], T]) -> Shared[T]:
    """`shared_figures`, the value also held in this process for as long as it is fresh: for
    a value with few keys that every request of a busy page reads (the one-page filing form),
    where reading the cache (a file or a Redis round trip, then unpickling) costs as much as
    the rest of the answer. Nothing is served older than `shared_figures` would serve it."""
    fresh = settings.STATS_SHARED_SECONDS
    if fresh <= 0:
        return shared_figures(audience, name, parts, compute)
    key = cache_key(audience, name, parts)
    held = _held.get(key)
    if held is not None and (timezone.now() - held.computed_at).total_seconds() < fresh:
        return held
    shared = shared_figures(audience, name, parts, compute)
    if (timezone.now() - shared.computed_at).total_seconds() < fresh:
        _held[key] = shared
    return shared


def forget_held() -> None:
    """Drop what this process holds (the tests start each from an empty cache)."""
    _held.clear()
