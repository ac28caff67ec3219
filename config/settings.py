"""AppWatch settings, read from the environment.

Nothing set gives the embedded default: a SQLite file under var/ and eager Celery tasks, so
one command runs the platform on a laptop. DATABASE_URL and CELERY_BROKER_URL switch to
PostgreSQL and Redis with nothing else changed.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from cryptography.fernet import Fernet
from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("APPWATCH_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name: str, default: str = "False") -> bool:
    return os.environ.get(name, default).strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def envfloat(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _local_secret_key() -> str:
    """A per-checkout key kept in var/, so a laptop run needs no configuration.

    Production sets SECRET_KEY in the environment; this file never leaves the machine.
    """
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


def _local_key(name: str) -> str:
    """A Fernet-shaped key of this checkout in var/ (development only, like the secret key)."""
    path = VAR_DIR / name
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _local_secret_key()
DEBUG = envbool("DEBUG")

# Consumers' contact details are encrypted at rest (complaints/encryption.py) with the Fernet
# keys of FIELD_ENCRYPTION_KEYS (comma-separated; the first encrypts, all decrypt), and an
# e-mail address is found again by its HMAC under CONTACT_INDEX_KEY. Production (SECURE_COOKIES)
# refuses to start without both; elsewhere a per-checkout pair in var/ stands in, with a
# warning from `manage.py check` (and so from migrate and runserver) unless DEBUG is on.
FIELD_ENCRYPTION_KEYS = envlist("FIELD_ENCRYPTION_KEYS")
CONTACT_INDEX_KEY = os.environ.get("CONTACT_INDEX_KEY", "")
CONTACT_KEYS_FROM_ENVIRONMENT = bool(FIELD_ENCRYPTION_KEYS and CONTACT_INDEX_KEY)
if not CONTACT_KEYS_FROM_ENVIRONMENT:
    if envbool("SECURE_COOKIES"):
        raise ImproperlyConfigured(
            "Set FIELD_ENCRYPTION_KEYS and CONTACT_INDEX_KEY: production settings "
            "(SECURE_COOKIES=true) keep no contact details under a key stored beside the data."
        )
    FIELD_ENCRYPTION_KEYS = FIELD_ENCRYPTION_KEYS or [_local_key("field_encryption_key")]
    CONTACT_INDEX_KEY = CONTACT_INDEX_KEY or _local_key("contact_index_key")
# The audit chain's head (complaints/models/audit_chain.py) is sealed with an HMAC under
# AUDIT_CHAIN_KEY, so rows cut off the end of the log cannot be hidden by rewriting the head
# in the database. Production (SECURE_COOKIES) refuses to start without it; elsewhere a
# per-checkout key in var/ stands in. Every AUDIT_CHECKPOINT_EVERY events the head is logged.
AUDIT_CHAIN_KEY = os.environ.get("AUDIT_CHAIN_KEY", "")
AUDIT_CHAIN_KEY_FROM_ENVIRONMENT = bool(AUDIT_CHAIN_KEY)
if not AUDIT_CHAIN_KEY:
    if envbool("SECURE_COOKIES"):
        raise ImproperlyConfigured(
            "Set AUDIT_CHAIN_KEY: production settings (SECURE_COOKIES=true) keep no key that "
            "seals the audit log beside the data."
        )
    AUDIT_CHAIN_KEY = _local_key("audit_chain_key")
AUDIT_CHECKPOINT_EVERY = envint("AUDIT_CHECKPOINT_EVERY", 1000)
# Events are written unchained and linked by the sealer (beat, every AUDIT_SEAL_SECONDS, up to
# AUDIT_SEAL_BATCH rows a transaction); `audit_verify` reports a row still unchained
# AUDIT_SEALING_BOUND_SECONDS after it was written.
AUDIT_SEAL_SECONDS = envfloat("AUDIT_SEAL_SECONDS", 1.0)
AUDIT_SEAL_BATCH = envint("AUDIT_SEAL_BATCH", 2000)
AUDIT_SEALING_BOUND_SECONDS = envint("AUDIT_SEALING_BOUND_SECONDS", 300)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
# Addresses or networks of our own reverse proxies (e.g. "127.0.0.1,10.0.0.0/8"). Only a
# request from one of them has its X-Forwarded-For believed (complaints/throttling.py).
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
# The address links in e-mails start with. Unset, it is the one `make run` serves on: the
# Makefile exports PORT (default 8000) to gunicorn, and this process reads it back.
SITE_URL = (os.environ.get("SITE_URL") or f"http://127.0.0.1:{envint('PORT', 8000)}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and ReDoc served from our own static files
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "classifier",
    "complaints",
    "inspections",
    "early_warning",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Requests under /api/v1/ leave here for API_MIDDLEWARE, below.
    "complaints.middleware.ApiMiddlewareSplit",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Inside CommonMiddleware, which sets Content-Length after it rewrites a page.
    "complaints.middleware.BidiControlsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.user.is_verified(): whether this session has shown a second factor.
    "django_otp.middleware.OTPMiddleware",
    "complaints.middleware.StaffIdleTimeoutMiddleware",
    "complaints.middleware.StaffTwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it locks out brute-forced logins.
    "axes.middleware.AxesMiddleware",
]
# The API's chain (after SecurityMiddleware, for paths under /api/v1/): sessions, language,
# CSRF, the user, the second factor and the staff idle timeout as for pages; no static files,
# no staff two-factor redirect (the API's authentication refuses an unverified staff session);
# the Content-Security-Policy, X-Frame-Options and the bidi clean-up on HTML answers only.
API_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "complaints.middleware.HtmlAnswersOnly",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The idle timeout's notice, shown on the next page.
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "complaints.middleware.StaffIdleTimeoutMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "complaints.context_processors.roles",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DB_CONN_MAX_AGE", 60))
    }
    # psycopg prepares a statement only where it is asked to (complaints.prepared: a filing's
    # rows and the app it names), never by counting: Django's cursors bind on the client and
    # cannot prepare, and the threshold counts only for server-binding cursors, which
    # complaints.prepared alone makes. DB_PREPARED_STATEMENTS=false for a connection pooler
    # in transaction mode that cannot keep prepared statements (psycopg then prepares nothing).
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        2**31 - 1 if envbool("DB_PREPARED_STATEMENTS", "true") else None
    )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "appwatch.sqlite3",
            # WAL lets the web workers read while a task writes; IMMEDIATE transactions take the
            # write lock up front instead of failing half-way with "database is locked".
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envfloat("AXES_COOLOFF_HOURS", 1.0)
# One account from one address: a wrong password typed at a shared office or campus address
# locks that account there, not every account behind the address (nor the account everywhere).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The address as the throttles see it: forwarded headers believed only from TRUSTED_PROXIES.
AXES_CLIENT_IP_CALLABLE = "complaints.throttling.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The lockout page is a normal page of the site (status 429), in the visitor's language.
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"

# Regulators and admins log in with a password and a code from an authenticator app or a
# recovery code (django-otp; complaints/services/two_factor.py). Off only for a throwaway demo.
OTP_REQUIRED_FOR_STAFF = envbool("OTP_REQUIRED_FOR_STAFF", "true")
OTP_TOTP_ISSUER = "AppWatch"
# A staff session with no request for this long is logged out.
STAFF_SESSION_IDLE_SECONDS = envint("STAFF_SESSION_IDLE_SECONDS", 30 * 60)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# Chart libraries are installed from the npm registry by `make setup` into node_modules/;
# only their built files are served, under /static/vendor/<package>/.
NODE_MODULES_DIR = BASE_DIR / "node_modules"
VENDOR_STATIC = {"echarts": NODE_MODULES_DIR / "echarts" / "dist"}
STATICFILES_DIRS += [
    (f"vendor/{name}", path) for name, path in VENDOR_STATIC.items() if path.exists()
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Served over HTTPS (SECURE_COOKIES=true): plain-HTTP requests are redirected, and browsers are
# told to use HTTPS only for a year (HSTS), subdomains included. Each can be set on its own;
# start HSTS with a short SECURE_HSTS_SECONDS, since browsers remember it.
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", str(SESSION_COOKIE_SECURE))
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if SESSION_COOKIE_SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", str(SESSION_COOKIE_SECURE)
)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", str(SESSION_COOKIE_SECURE))
# Behind a proxy that ends TLS, Django sees plain HTTP; the proxy's X-Forwarded-Proto is
# believed only when it says it sets (and strips) that header.
if envbool("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
# Full Referer within the site, nothing to other sites. Status links carry their token only
# in the first request, which redirects to an address without it, so no page a visitor sees
# has the token in its URL. Stricter policies ("no-referrer") make Chromium send
# `Origin: null` with same-site forms, which Django's CSRF check rightly refuses.
SECURE_REFERRER_POLICY = "same-origin"
CSRF_FAILURE_VIEW = "complaints.views.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, images, fonts and requests from this
# site only, and no inline script or style anywhere, so an injected tag or attribute does
# nothing even if escaping ever failed. Pages that need more say so with csp_update (the
# Swagger UI); evidence files carry their own stricter policy.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF],
        # data: for the images Django's admin and ECharts draw from data URLs.
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_NONE],
        "form-action": [CSP_SELF],
        "frame-ancestors": [CSP_NONE],
    }
}

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "AppWatch <noreply@appwatch.localhost>")

# Short-lived shared state (daily mail counters, the statistics refresh flag). Every web
# process must see the same values: Redis when CACHE_URL is set, else files under VAR_DIR (one
# machine, any number of processes); never a per-process memory cache.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}
# A Redis cache answers within CACHE_TIMEOUT seconds or the request goes on without it (the
# throttles let it through while the cache is down: complaints/breakers.py).
CACHE_TIMEOUT = envfloat("CACHE_TIMEOUT", 0.5)
if os.environ.get("CACHE_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["CACHE_URL"],
        "OPTIONS": {"socket_connect_timeout": CACHE_TIMEOUT, "socket_timeout": CACHE_TIMEOUT},
    }
# The throttles' counters, one per client address and limit. Redis when CACHE_URL or the broker
# names it: one round trip per count, nothing forgotten. Django's file and database caches drop
# entries at random past MAX_ENTRIES, so with many clients they stop refusing anyone, and the
# file cache lists its folder on every write (benchmarks/filing_cost.py measures the three;
# benchmarks/RESULTS.md): without Redis (the embedded default, one machine) files, with room
# for many clients. Short timeouts: a Redis that is down lets requests through uncounted
# (complaints/throttling.py), it never holds a filing up or fails it.
THROTTLE_CACHE_URL = os.environ.get("CACHE_URL", "")
if not THROTTLE_CACHE_URL and os.environ.get("CELERY_BROKER_URL", "").startswith("redis"):
    THROTTLE_CACHE_URL = os.environ["CELERY_BROKER_URL"]
CACHES["throttle"] = {
    "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
    "LOCATION": str(VAR_DIR / "throttle"),
    "OPTIONS": {"MAX_ENTRIES": envint("THROTTLE_FILE_CACHE_MAX_ENTRIES", 20000)},
}
if THROTTLE_CACHE_URL:
    CACHES["throttle"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": THROTTLE_CACHE_URL,
        "KEY_PREFIX": "appwatch-throttle",
        "OPTIONS": {
            "socket_connect_timeout": envfloat("THROTTLE_CACHE_TIMEOUT", 0.2),
            "socket_timeout": envfloat("THROTTLE_CACHE_TIMEOUT", 0.2),
        },
    }

# --- Celery -------------------------------------------------------------------------------
# No broker configured: run tasks in-process, so the embedded default needs no Redis.
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Celery closes a worker's database connection before and after every task unless this is
# set; a new PostgreSQL backend per task (a receipt, a sealing, a batch) cost the server more
# than the task's statements. Set, it closes one every this many tasks, and config/celery.py
# treats tasks as Django treats requests: DB_CONN_MAX_AGE and broken connections decide.
CELERY_DB_REUSE_MAX = 1000
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Late acknowledgement keeps a message in Redis' unacked set until its task ends; a worker
# killed mid-task leaves it there, and Redis hands it out again once it is older than the
# visibility timeout. So the timeout must exceed the longest late-acked task (a full
# statistics rebuild, minutes) and every retry countdown (capped at 60 s below), or a slow
# task runs twice; and it bounds how late a lost worker's message comes back. Lost
# classifications do not wait for it: the sweep reclaims them after CLASSIFY_LEASE_SECONDS.
CELERY_VISIBILITY_TIMEOUT = envint("CELERY_VISIBILITY_TIMEOUT", 600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Look for such messages every 10 s (kombu's default is every 100 s).
    "unacked_restore_interval": envint("CELERY_UNACKED_RESTORE_SECONDS", 10),
    "unacked_restore_throttle": 1,
    # Workers and beat: one quick retry, then the caller's own logic (beat retries the entry).
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "socket_connect_timeout": 2,
}
# A web request publishes after commit over its own connection with these limits and no
# retry; what does not go out at once waits for the dispatcher in beat: in the outbox, or (a
# filing's classification) in the complaint row, which says it waits.
OUTBOX_PUBLISH_TIMEOUT = envfloat("OUTBOX_PUBLISH_TIMEOUT", 0.2)
# After a failed publish a process's requests leave the broker alone (the outbox waits for the
# dispatcher) until a probe thread reaches it again, trying this often: an outage costs one
# failed connection per process, not one per request (complaints/breakers.py).
OUTBOX_PAUSE_AFTER_FAILURE_SECONDS = envfloat("OUTBOX_PAUSE_AFTER_FAILURE_SECONDS", 2.0)
# Beat drains the outbox this often (and at once after scheduling an entry), and sends a run of
# classify_waiting when filed complaints wait unclaimed with no run pending.
OUTBOX_DISPATCH_SECONDS = envfloat("OUTBOX_DISPATCH_SECONDS", 1.0)
# Beat writes due entries to the outbox too, so one that falls due during an outage is sent
# when Redis returns instead of being dropped; the dispatcher runs inside beat, on no tick.
CELERY_BEAT_SCHEDULER = "config.beat:OutboxScheduler"
# Two queues, both consumed by a plain `celery worker`: the default one for classification and
# notifications, and `maintenance` for the periodic jobs, so a sweep or a statistics refresh
# never waits behind a backlog of classifications (kombu takes the queues in turn).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = {"celery": {}, "maintenance": {}}
CELERY_TASK_ROUTES = {
    f"complaints.tasks.{name}": {"queue": "maintenance"}
    for name in (
        "sweep_unclassified",
        "purge_evidence_drafts",
        "mark_overdue_cases",
        "send_deadline_reminders",
        "auto_close_answered",
        "refresh_statistics",
        "retrain_classifier",
        "purge_expired_personal_data",
        "seal_audit_chain",
    )
} | {
    f"early_warning.tasks.{name}": {"queue": "maintenance"}
    for name in ("early_warning_daily", "early_warning_mail")
}
CELERY_BEAT_SCHEDULE = {
    "seal-audit-chain": {
        "task": "complaints.tasks.seal_audit_chain",
        "schedule": AUDIT_SEAL_SECONDS,
    },
    "purge-evidence-drafts": {
        "task": "complaints.tasks.purge_evidence_drafts",
        "schedule": crontab(hour=4, minute=30),
    },
    "purge-expired-personal-data": {
        "task": "complaints.tasks.purge_expired_personal_data",
        "schedule": crontab(hour=4, minute=45),
    },
    "classify-sweep": {
        "task": "complaints.tasks.sweep_unclassified",
        "schedule": envfloat("CLASSIFY_SWEEP_SECONDS", 15.0),
    },
    "mark-overdue-cases": {
        "task": "complaints.tasks.mark_overdue_cases",
        "schedule": envfloat("OVERDUE_CHECK_SECONDS", 600.0),
    },
    "deadline-reminders": {
        "task": "complaints.tasks.send_deadline_reminders",
        "schedule": crontab(hour=9, minute=0),
    },
    "auto-close-answered": {
        "task": "complaints.tasks.auto_close_answered",
        "schedule": crontab(minute=15),
    },
    "refresh-statistics": {
        "task": "complaints.tasks.refresh_statistics",
        # Half the freshness limit, so a refresh that takes a while still lands in time.
        "schedule": envfloat("STATISTICS_REFRESH_SECONDS", 30.0),
    },
    "early-warning-daily": {
        "task": "early_warning.tasks.early_warning_daily",
        "schedule": crontab(hour=envint("EARLY_WARNING_HOUR", 6), minute=5),
    },
    "early-warning-mail-immediate": {
        "task": "early_warning.tasks.early_warning_mail",
        "schedule": envfloat("EARLY_WARNING_MAIL_SECONDS", 300.0),
        "args": ("immediate",),
    },
    "early-warning-mail-digest": {
        "task": "early_warning.tasks.early_warning_mail",
        "schedule": crontab(hour=envint("EARLY_WARNING_DIGEST_HOUR", 7), minute=0),
        "args": ("daily",),
    },
    "retrain-classifier": {
        "task": "complaints.tasks.retrain_classifier",
        "schedule": crontab(
            day_of_week=os.environ.get("RETRAIN_DAY_OF_WEEK", "sun"),
            hour=envint("RETRAIN_HOUR", 3),
            minute=0,
        ),
    },
}

# --- REST framework -----------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "complaints.api.schema.AppWatchAutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # DRF's, holding regulators and admins to their second factor.
        "complaints.api.authentication.SessionAuthentication",
        "complaints.api.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # A JSON parser with a depth limit; forms and files as DRF parses them.
    "DEFAULT_PARSER_CLASSES": [
        "complaints.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "complaints.api.errors.exception_handler",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "complaints.api.query.ContentNegotiation",
    "DEFAULT_THROTTLE_RATES": {
        "anon_submit": os.environ.get("ANON_SUBMIT_RATE", "20/hour"),
        "track": os.environ.get("TRACK_RATE", "120/hour"),
        "evidence_upload": os.environ.get("EVIDENCE_UPLOAD_RATE", "60/hour"),
        # The filing form asks once per name typed (a pause of 250 ms): a few per complaint.
        "app_search": os.environ.get("APP_SEARCH_RATE", "600/hour"),
    },
}
SPECTACULAR_SETTINGS = {
    # The API browsers come from the drf-spectacular-sidecar package, pinned: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "TITLE": "AppWatch API",
    "DESCRIPTION": "File and track complaints about mobile apps; triage, rectification cases and open data.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status` or `kind`: name each choice set after its model.
    "ENUM_NAME_OVERRIDES": {
        "ComplaintStatusEnum": "complaints.models.Complaint.Status",
        "CaseStatusEnum": "complaints.models.Case.Status",
        "EventKindEnum": "complaints.models.Event.Kind",
        "ResponseKindEnum": "complaints.models.OperatorResponse.Kind",
        "RejectReasonEnum": "complaints.models.Complaint.RejectReason",
        "ChannelEnum": "complaints.models.Complaint.Channel",
        "FilingChannelEnum": "complaints.api.complaint_serializers.FILING_CHANNELS",
    },
}

# --- AppWatch rules -----------------------------------------------------------------------
# Classification below this confidence goes to a human (needs_review).
CLASSIFIER_CONFIDENCE_THRESHOLD = envfloat("CLASSIFIER_CONFIDENCE_THRESHOLD", 0.6)
# Failed classifications (the task raised) before a complaint goes to a person instead; and,
# counted apart, runs lost with their worker (killed, out of memory) before the same.
CLASSIFIER_MAX_ATTEMPTS = envint("CLASSIFIER_MAX_ATTEMPTS", 3)
# Who issues rectification notices: the letterhead and signature of the printed notice
# (Chinese, and English for cases conducted in English).
NOTICE_AUTHORITY = os.environ.get("NOTICE_AUTHORITY", "AppWatch 个人信息保护监管部门（演示）")
NOTICE_AUTHORITY_EN = os.environ.get(
    "NOTICE_AUTHORITY_EN", "AppWatch personal information protection authority (demo)"
)
# A regulator's new label counts as backed by the text when a keyword of it occurs there or
# the classifier gave it at least this probability; otherwise they confirm it with a reason.
RELABEL_SUPPORT_MIN_PROBABILITY = envfloat("RELABEL_SUPPORT_MIN_PROBABILITY", 0.1)
CLASSIFIER_MAX_INTERRUPTIONS = envint("CLASSIFIER_MAX_INTERRUPTIONS", 5)
# The sweep, for faults only: complaints never claimed for longer than this (their message
# lost with Redis' data), and runs begun longer than the lease ago (their worker died).
CLASSIFY_SWEEP_AFTER_SECONDS = envint("CLASSIFY_SWEEP_AFTER_SECONDS", 60)
CLASSIFY_LEASE_SECONDS = envint("CLASSIFY_LEASE_SECONDS", 15)
# Complaints classified together: one model call and one set of bulk writes per batch.
CLASSIFY_BATCH_SIZE = envint("CLASSIFY_BATCH_SIZE", 200)
# A run of classify_waiting waits this long before it takes what waits, so that the filings of
# that moment share its first batch instead of starting a run each (a batch costs the worker
# about 10 ms of CPU whatever its size; benchmarks/RESULTS.md, branch `pgw`). It bounds the
# delay it adds to a classification.
CLASSIFY_GATHER_SECONDS = envfloat("CLASSIFY_GATHER_SECONDS", 0.2)
# How old the app search's copy of the registry may be (selectors/intake.py): an app added or
# renamed through another process is offered here within this; through this process, at once.
APP_SEARCH_REGISTRY_SECONDS = envfloat("APP_SEARCH_REGISTRY_SECONDS", 60)
CLASSIFIER_ARTIFACT_DIR = Path(os.environ.get("CLASSIFIER_ARTIFACT_DIR", VAR_DIR / "models"))
# The labelled corpus (JSON Lines) and its recorded test split, test_split.txt.
CLASSIFIER_CORPUS_DIR = Path(
    os.environ.get("CLASSIFIER_CORPUS_DIR", BASE_DIR / "classifier" / "corpus")
)
# The promotion gate's floor: a candidate scoring less test-split macro-F1 is never activated
# without --force, even when no version is active (the shipped recipe scores about 0.92).
CLASSIFIER_MIN_MACRO_F1 = envfloat("CLASSIFIER_MIN_MACRO_F1", 0.80)
# How long a process trusts its loaded model before checking which version is active.
CLASSIFIER_ACTIVE_CHECK_SECONDS = envfloat("CLASSIFIER_ACTIVE_CHECK_SECONDS", 5.0)
# Retraining adds regulator-confirmed complaints; the classifier app reaches them (and the
# task that retrains) through these names, so it never imports the complaints app.
CLASSIFIER_CONFIRMED_EXAMPLES = "complaints.services.classification.confirmed_examples"
CLASSIFIER_RETRAIN_TASK = "complaints.tasks.retrain_classifier"
# Working days a complaint may wait for a decision (12315 service level).
TRIAGE_SLA_WORKING_DAYS = envint("TRIAGE_SLA_WORKING_DAYS", 7)
# Days an operator has for a first substantive answer.
OPERATOR_RESPONSE_DAYS = envint("OPERATOR_RESPONSE_DAYS", 15)
# Days a consumer has to confirm or dispute an operator's answer before it closes itself.
CONSUMER_REPLY_DAYS = envint("CONSUMER_REPLY_DAYS", 15)
# A newly accepted complaint within this many days of a case closing reopens it.
RECURRENCE_WINDOW_DAYS = envint("RECURRENCE_WINDOW_DAYS", 180)
# Reminder this many working days before a notice deadline.
DEADLINE_REMINDER_WORKING_DAYS = envint("DEADLINE_REMINDER_WORKING_DAYS", 3)
# Collective-complaint hint: this many complaints about one app and kind in 30 days.
COLLECTIVE_HINT_THRESHOLD = envint("COLLECTIVE_HINT_THRESHOLD", 10)
# --- Early warning (early_warning/) ---
# Work to do once a batch of complaints is classified, by task name (the task gets the ids),
# so complaints never imports the apps that build on it; with "linked_only", only the ids of
# complaints naming a registry app, and no task for a batch without one (clustering compares
# complaints about an app: a batch of app names alone cost it a run that found nothing).
COMPLAINTS_CLASSIFIED_TASKS = {"early_warning.tasks.cluster_complaints": {"linked_only": True}}
# The consumer's "many people report this" hint reads clusters through this function
# (app, category, description, now) -> complaints in the live cluster the text would join;
# empty: count the app's complaints of that kind instead.
COLLECTIVE_HINT_SOURCE = "early_warning.selectors.collective_hint_count"
# The operator scorecard's response quality (company) -> dict or None; empty: not shown.
SCORECARD_RESPONSE_QUALITY = "early_warning.selectors.response_quality_figures"
# Clusters: complaints about one company's apps (or one app without a company) in one
# category join when their words are this alike (rapidfuzz token_set_ratio, 0-100) and each
# comes within the window of the cluster's latest; a cluster is found at this many.
CLUSTER_SIMILARITY = envint("CLUSTER_SIMILARITY", 70)
CLUSTER_WINDOW_DAYS = envint("CLUSTER_WINDOW_DAYS", 14)
CLUSTER_MIN_SIZE = envint("CLUSTER_MIN_SIZE", 3)
# Bounds on the work per new complaint: unclustered recent complaints compared, and the
# member texts a cluster keeps to compare newcomers with.
CLUSTER_CANDIDATES = envint("CLUSTER_CANDIDATES", 200)
CLUSTER_EXEMPLARS = envint("CLUSTER_EXEMPLARS", 5)
# SDK clusters: alike complaints in these kinds of problem about apps of at least
# CLUSTER_SDK_MIN_COMPANIES companies whose inspections found one SDK are grouped by that SDK.
CLUSTER_SDK_CATEGORIES = envlist(
    "CLUSTER_SDK_CATEGORIES", "illegal_collection,data_sharing_leak,over_permission"
)
CLUSTER_SDK_MIN_COMPANIES = envint("CLUSTER_SDK_MIN_COMPANIES", 2)
# Spikes: a day's complaints about an app (or in a category) against the mean of the days
# before; an alert when the Poisson chance of that many is below SPIKE_ALPHA and there are
# at least SPIKE_MIN_COUNT. A quiet baseline counts as SPIKE_BASELINE_FLOOR a day.
SPIKE_BASELINE_DAYS = envint("SPIKE_BASELINE_DAYS", 28)
SPIKE_ALPHA = envfloat("SPIKE_ALPHA", 1e-4)
SPIKE_MIN_COUNT = envint("SPIKE_MIN_COUNT", 8)
SPIKE_BASELINE_FLOOR = envfloat("SPIKE_BASELINE_FLOOR", 0.5)
# New vocabulary among "other" complaints: words in at least VOCABULARY_MIN_COMPLAINTS of the
# last VOCABULARY_RECENT_DAYS' ones, VOCABULARY_RATIO times more often than before.
VOCABULARY_RECENT_DAYS = envint("VOCABULARY_RECENT_DAYS", 7)
VOCABULARY_BASELINE_DAYS = envint("VOCABULARY_BASELINE_DAYS", 60)
VOCABULARY_MIN_COMPLAINTS = envint("VOCABULARY_MIN_COMPLAINTS", 5)
VOCABULARY_RATIO = envfloat("VOCABULARY_RATIO", 5.0)
# Operator response quality over the last RESPONSE_QUALITY_DAYS: replies this alike
# (rapidfuzz ratio) across BOILERPLATE_MIN_COMPLAINTS complaints are boilerplate; a rule
# breached (with at least RESPONSE_QUALITY_MIN_SAMPLE replies or answers due) alerts the
# regulators, once a month per operator and rule.
RESPONSE_QUALITY_DAYS = envint("RESPONSE_QUALITY_DAYS", 90)
BOILERPLATE_SIMILARITY = envint("BOILERPLATE_SIMILARITY", 90)
BOILERPLATE_MIN_COMPLAINTS = envint("BOILERPLATE_MIN_COMPLAINTS", 10)
RESPONSE_QUALITY_MIN_SAMPLE = envint("RESPONSE_QUALITY_MIN_SAMPLE", 10)
# Early-warning e-mails to regulators (each chooses off / immediate / daily on
# /early-warning/settings/; EARLY_WARNING_MAIL_DEFAULT for one who never chose): new alerts and
# clusters of at least EARLY_WARNING_MAIL_CLUSTER_SIZE complaints, found or grown in the last
# EARLY_WARNING_MAIL_LOOKBACK_HOURS, not dismissed, and never twice to one person. "immediate"
# mails go out every EARLY_WARNING_MAIL_SECONDS, the digest at EARLY_WARNING_DIGEST_HOUR.
EARLY_WARNING_MAIL_DEFAULT = os.environ.get("EARLY_WARNING_MAIL_DEFAULT", "daily")
EARLY_WARNING_MAIL_CLUSTER_SIZE = envint("EARLY_WARNING_MAIL_CLUSTER_SIZE", 10)
EARLY_WARNING_MAIL_LOOKBACK_HOURS = envint("EARLY_WARNING_MAIL_LOOKBACK_HOURS", 48)
EARLY_WARNING_MAIL_SECONDS = envfloat("EARLY_WARNING_MAIL_SECONDS", 300.0)
EARLY_WARNING_DIGEST_HOUR = envint("EARLY_WARNING_DIGEST_HOUR", 7)
RESPONSE_QUALITY_RULES = {
    "boilerplate": envfloat("RULE_MAX_BOILERPLATE_RATE", 0.5),
    "zero_reply": envfloat("RULE_MAX_ZERO_REPLY_RATE", 0.3),
    "hollow_close": envint("RULE_MAX_HOLLOW_CLOSES", 5),
}
# Dashboards and open data read summary tables at most this many seconds old.
STATISTICS_MAX_AGE_SECONDS = envint("STATISTICS_MAX_AGE_SECONDS", 60)
# The dashboards', board's and scorecards' figures are counted once and shared by every reader
# for this many seconds (complaints/selectors/stats/shared.py); 0 counts on every request.
STATS_SHARED_SECONDS = envfloat("STATS_SHARED_SECONDS", 5.0)
# Personal data of a complaint is erased this many years after it closed (retention job).
RETENTION_YEARS = envint("RETENTION_YEARS", 5)
EVIDENCE_MAX_FILES = envint("EVIDENCE_MAX_FILES", 5)
EVIDENCE_MAX_BYTES = envint("EVIDENCE_MAX_BYTES", 10 * 1024 * 1024)
# Uploaded Android packages (inspections/): kept here, outside the web root and MEDIA_ROOT,
# never served back. Limits on the file, on its zip directory, and on the parsing process.
INSPECTION_DIR = Path(os.environ.get("INSPECTION_DIR", VAR_DIR / "inspections"))
INSPECTION_MAX_BYTES = envint("INSPECTION_MAX_BYTES", 200 * 1024 * 1024)
INSPECTION_MAX_ENTRIES = envint("INSPECTION_MAX_ENTRIES", 20000)
INSPECTION_MAX_UNCOMPRESSED_BYTES = envint("INSPECTION_MAX_UNCOMPRESSED_BYTES", 1024 * 1024 * 1024)
INSPECTION_MAX_RATIO = envint("INSPECTION_MAX_RATIO", 100)
INSPECTION_TIME_LIMIT_SECONDS = envint("INSPECTION_TIME_LIMIT_SECONDS", 120)
INSPECTION_MEMORY_LIMIT_MB = envint("INSPECTION_MEMORY_LIMIT_MB", 1536)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "jieba": {"level": "WARNING"},
        # No personal data in logs, even at LOG_LEVEL=DEBUG: Django's template and SQL debug
        # records quote whole template contexts and every value written.
        "django.template": {"level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # In-process (eager) tasks would log a line per task; workers keep their own logging.
        "celery.app.trace": {"level": "WARNING" if CELERY_TASK_ALWAYS_EAGER else "INFO"},
    },
}
