"""Settings for the test suite: the real settings, made fast and quiet."""

from .settings import *  # noqa: F403
from .settings import DATABASES, REST_FRAMEWORK, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]},
}
AXES_ENABLED = True
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
# Tasks run in-process in tests even when CELERY_BROKER_URL is set; the integration tests
# that need a real worker switch this off for themselves.
CELERY_TASK_ALWAYS_EAGER = True
# The suite runs at a fixed date (tests/clock.py) while Chromium keeps the real one: cookies
# set in the browser tests must not have expired by the browser's clock.
SESSION_COOKIE_AGE = 10 * 366 * 24 * 3600
CSRF_COOKIE_AGE = SESSION_COOKIE_AGE
# Each test process keeps its own counters (parallel test workers must not clear each
# other's); tests/integration/test_shared_throttle.py runs web processes on the real default.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "throttle",
    },
}
# Pages count their figures on every request, so a test sees what it just changed; the tests
# of sharing (tests/complaints/selectors/test_shared_figures.py) turn it on.
STATS_SHARED_SECONDS = 0
# Runs of classify_waiting start at once (tests/complaints/services/test_enqueue.py waits).
CLASSIFY_GATHER_SECONDS = 0
# Fixed keys, so the suite never depends on (or writes) a checkout's var/ keys.
FIELD_ENCRYPTION_KEYS = ["dGVzdC1maWVsZC1lbmNyeXB0aW9uLWtleS0wMDAwMDA="]
CONTACT_INDEX_KEY = "test-contact-index-key"
CONTACT_KEYS_FROM_ENVIRONMENT = True
AUDIT_CHAIN_KEY = "test-audit-chain-key"
# pytest-django empties the tables between transactional tests with TRUNCATE, which the events
# table refuses on PostgreSQL unless the session allows it (migration 0026): these do.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c appwatch.allow_truncate=on"
AUDIT_CHAIN_KEY_FROM_ENVIRONMENT = True
