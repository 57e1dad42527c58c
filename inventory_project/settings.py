"""Stockroom settings: one module, every deploy-specific value read from the environment.

Defaults suit a developer's laptop (DEBUG on, SQLite file next to manage.py). Production sets
DJANGO_DEBUG=0, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and DATABASE_URL.
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from inventory_project.replicas.config import ALIAS_PREFIX as REPLICA_ALIAS_PREFIX
from inventory_project.replicas.config import replica_databases

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def envlist(name: str, default: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(",") if part.strip()]


DEBUG = envbool("DJANGO_DEBUG", "1")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "dev-only-key-never-used-in-production"

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    # Django's admin and auth, and axes below, under the names people read (and the admin
    # site's plain titles): inventory_project/apps.py.
    "inventory_project.apps.BackOfficeAdminConfig",
    "inventory_project.apps.PeopleAndAccessConfig",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "inventory_project.apps.SignInsConfig",
    "csp",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served by us, not from a CDN
    "locations",
    "inventory",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # First, so an oversized body is refused before anything reads it, and a NUL in the
    # query string before anything filters by it.
    "inventory.api.middleware.BodyLimitMiddleware",
    "inventory.api.middleware.NulInQueryMiddleware",
    "inventory.api.middleware.ApiNotFoundMiddleware",
    "inventory.api.middleware.RateLimitHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out login attempt.
    "axes.middleware.AxesMiddleware",
]

# The benchmark's server adds its floor views (inventory/management/benchmark/urls.py).
ROOT_URLCONF = os.environ.get("DJANGO_ROOT_URLCONF", "inventory_project.urls")
WSGI_APPLICATION = "inventory_project.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite has no row locks: IMMEDIATE takes the database write lock when a transaction
    # starts, so two batches can never interleave their read-check-write steps.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable database (a dropped network path, a host that accepts but never answers)
    # should fail a request fast with a 503, not hold the worker for psycopg's default of 130 s.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["connect_timeout"] = int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "5"))
    # No JIT compilation: every statement a page or the API runs reads few rows, but on large
    # tables the planner's estimates (a range bounded by a subquery, say) can pass
    # jit_above_cost, and compiling a statement then costs tens of milliseconds more than
    # running it. JIT pays off for long analytical queries, which no request runs.
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()

# Read replicas (inventory_project/replicas): optional, one or more comma-separated PostgreSQL
# URLs of streaming replicas of DATABASE_URL, as aliases replica_1..n. History, exports,
# dashboards and API list reads go to a replica that has replayed the reader's own last write
# (else to the primary); everything else to the primary. Without it nothing is installed.
DATABASES.update(
    replica_databases(os.environ.get("DATABASE_REPLICA_URL", ""), DATABASES["default"])
)
DATABASE_REPLICAS = [alias for alias in DATABASES if alias.startswith(REPLICA_ALIAS_PREFIX)]
# A replica that has WAL it has not replayed, or has lost the primary, serves reads only while
# its last replayed transaction is at most this old.
DATABASE_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("DATABASE_REPLICA_MAX_LAG_SECONDS", "30"))
# A replica that failed to answer is left out this long before it is tried again.
DATABASE_REPLICA_RETRY_SECONDS = float(os.environ.get("DATABASE_REPLICA_RETRY_SECONDS", "10"))
# How long a client's last write position is kept: past it, any replica within the lag bound
# has replayed that write.
DATABASE_REPLICA_STICKY_SECONDS = int(os.environ.get("DATABASE_REPLICA_STICKY_SECONDS", "120"))
if DATABASE_REPLICA_STICKY_SECONDS <= DATABASE_REPLICA_MAX_LAG_SECONDS:
    raise ImproperlyConfigured(
        "DATABASE_REPLICA_STICKY_SECONDS must be longer than DATABASE_REPLICA_MAX_LAG_SECONDS."
    )
if DATABASE_REPLICAS:
    DATABASE_ROUTERS = ["inventory_project.replicas.router.ReplicaRouter"]
    # After the session middleware: a signed-in user is the client whose writes it remembers.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "inventory_project.replicas.middleware.ReplicaReadsMiddleware",
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# Dates as people read them, one way everywhere: "3 Dec 2026, 14:05" (formats/en/formats.py).
FORMAT_MODULE_PATH = ["inventory_project.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders when collectstatic has not been run (dev, tests).
WHITENOISE_USE_FINDERS = not STATIC_ROOT.exists()

LOGIN_URL = "admin:login"

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is locked out (429, even with the right password) for
# AXES_COOLOFF_TIME, or until an Inventory manager deletes the "access attempt" in the admin.
# Its backend comes first, so every login (the admin's form, the stocktake pages') goes past
# it; it needs the request: `authenticate(request, username=…, password=…)`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every manage.py command; failures are still logged
AXES_LOCKOUT_CALLABLE = "inventory.admin.lockout.locked_out"

# Stocktakes: staff may apply a count whose every line differs from the expected on-hand by at
# most this many units; larger variances wait for an Inventory manager (per-location override).
STOCKTAKE_VARIANCE_THRESHOLD = int(os.environ.get("STOCKTAKE_VARIANCE_THRESHOLD", "5"))


def cache_from_url(url: str) -> dict[str, str]:
    """`CACHE_URL` as a CACHES entry: `locmem://` (one process only), `redis://host:port/db`
    (shared by every process: use it whenever more than one process serves the API, or each
    keeps its own rate-limit counts), `db://tablename` (after `manage.py createcachetable`)."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ImproperlyConfigured(f"CACHE_URL must look like scheme://…, not {url!r}.")
    if scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": rest}
    if scheme in {"redis", "rediss", "unix"}:
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if scheme == "db" and rest:
        return {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": rest}
    raise ImproperlyConfigured(
        f"CACHE_URL {url!r}: expected locmem://, redis://host:port/db or db://tablename."
    )


CACHES = {"default": cache_from_url(os.environ.get("CACHE_URL", "locmem://"))}

EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "stockroom@localhost")
# SMTP, when DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend.
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("DJANGO_EMAIL_USE_TLS", "0")
EMAIL_TIMEOUT = int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "10"))

# Low-stock alerts are emailed to a location's own recipients or, when it has none, to these
# (comma-separated). In development they go to the console backend.
STOCK_ALERT_EMAILS = envlist("STOCK_ALERT_EMAILS", "stock-alerts@localhost" if DEBUG else "")
# Where links in alert emails point (the back office's address as its users reach it).
STOCK_ALERT_SITE_URL = os.environ.get("STOCK_ALERT_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# BigCommerce's store hash: the API also answers under /stores/{STORE_HASH}/v3/ (the prefix
# BigCommerce's client libraries build), and webhook envelopes name it (`stores/{hash}`).
# WEBHOOK_STORE_HASH is its former name, still read so that envelopes keep their producer.
STORE_HASH = os.environ.get("STORE_HASH") or os.environ.get("WEBHOOK_STORE_HASH", "stockroom")
if not re.fullmatch(r"[A-Za-z0-9_-]+", STORE_HASH):
    raise ImproperlyConfigured(f"STORE_HASH {STORE_HASH!r}: use letters, digits, - and _ only.")

# The store's name as partners' clients show it (Ecwid's store profile: settings.storeName).
STORE_NAME = os.environ.get("STORE_NAME", "Stockroom")

# Webhooks (inventory/webhooks): BigCommerce's envelope names the store; delivery policy.
WEBHOOK_STORE_ID = os.environ.get("WEBHOOK_STORE_ID", "1")
# Endpoints on this machine (localhost, 127.0.0.1, ::1), plain http included, for trying
# webhooks on one machine. Otherwise only https to public internet addresses.
WEBHOOK_ALLOW_HTTP_LOCALHOST = envbool("WEBHOOK_ALLOW_HTTP_LOCALHOST", "1" if DEBUG else "0")
# The longest one delivery may take, connecting and answering included (Shopify's is 5 s).
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "5"))
# Deliveries a worker makes at once (threads). Never more than one at a time to an endpoint, so
# an endpoint that hangs holds one thread while the others deliver to everyone else.
WEBHOOK_WORKER_THREADS = int(os.environ.get("WEBHOOK_WORKER_THREADS", "4"))
# An endpoint whose deliveries fail this many times in a row is paused (shown in the admin,
# where a manager resumes it); its events wait meanwhile.
WEBHOOK_PAUSE_AFTER_FAILURES = int(os.environ.get("WEBHOOK_PAUSE_AFTER_FAILURES", "20"))
# How long a worker holds a claimed event before another may take it (a killed worker's
# events come back after this): longer than the timeout, so a live worker never loses one.
WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "12"))
# Retry n waits about BASE * 2**(n-1) seconds (with jitter), at most CAP: 12 attempts span
# about half a day with the defaults.
WEBHOOK_BACKOFF_BASE_SECONDS = float(os.environ.get("WEBHOOK_BACKOFF_BASE_SECONDS", "30"))
WEBHOOK_BACKOFF_CAP_SECONDS = float(os.environ.get("WEBHOOK_BACKOFF_CAP_SECONDS", "21600"))

# Retention (inventory/management/retention.py; `manage.py purge`, and the webhook worker every hour).
# Idempotency records answer a retried write instead of applying it twice: a client may retry
# for a day, so they are kept at least that long.
IDEMPOTENCY_KEY_RETENTION_HOURS = float(os.environ.get("IDEMPOTENCY_KEY_RETENTION_HOURS", "24"))
if IDEMPOTENCY_KEY_RETENTION_HOURS < 24:
    raise ImproperlyConfigured("IDEMPOTENCY_KEY_RETENTION_HOURS must be at least 24.")
# Delivered webhook events and their attempts (failed and pending ones are kept).
WEBHOOK_EVENT_RETENTION_DAYS = float(os.environ.get("WEBHOOK_EVENT_RETENTION_DAYS", "30"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["inventory.api.auth.ApiClientAuthentication"],
    # Deny by default: every view names the scope it needs.
    "DEFAULT_PERMISSION_CLASSES": ["inventory.api.auth.InventoryScope"],
    "DEFAULT_PARSER_CLASSES": ["inventory.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["inventory.api.renderers.ModelJSONRenderer"],
    "EXCEPTION_HANDLER": "inventory.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # BigCommerce has no `format` parameter and ignores query parameters it does not know; DRF
    # would pick a renderer by it and answer 404 to `?format=anything-else`.
    "URL_FORMAT_OVERRIDE": None,
    # Nor does it answer 406 to an Accept header it cannot satisfy: it answers JSON.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "inventory.api.negotiation.JsonUnlessAcceptable",
}
# Per API client (and per address for bad tokens), a fixed window like BigCommerce's (450
# requests per 30 s on its standard plans). Counted in the authentication (inventory/api/auth.py).
API_RATE_LIMIT_REQUESTS = int(os.environ.get("API_RATE_LIMIT_REQUESTS", "450"))
API_RATE_LIMIT_WINDOW_SECONDS = int(os.environ.get("API_RATE_LIMIT_WINDOW_SECONDS", "30"))
# Where the counts live, shared by every process: `cache` when CACHE_URL is Redis, else
# `database` (one atomic upsert per request). `cache` over locmem counts per process: check
# --deploy warns (inventory/checks.py).
API_RATE_LIMIT_STORE = os.environ.get(
    "API_RATE_LIMIT_STORE",
    "cache" if CACHES["default"]["BACKEND"].endswith("RedisCache") else "database",
)
if API_RATE_LIMIT_STORE not in {"database", "cache"}:
    raise ImproperlyConfigured(
        f"API_RATE_LIMIT_STORE {API_RATE_LIMIT_STORE!r}: expected database or cache."
    )
# Request bodies, refused (413) from their Content-Length before anything reads them
# (inventory.api.middleware.BodyLimitMiddleware). Each limit is above what its form needs.
# The API: a 2000-line batch is about 200 kB.
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(5 * 1024 * 1024)))
# Every page outside the API, unless named below: the largest form is a long adjustment or a
# pasted list of items to count, well under 1 MB.
FORM_MAX_BODY_BYTES = int(os.environ.get("FORM_MAX_BODY_BYTES", str(1024 * 1024)))
# Pages that need less or more, by URL name. The stocktake upload takes a CSV file of up to
# 4 MB (stocktake_forms.MAX_UPLOAD_BYTES) in a multipart form; its confirm names the file kept
# at the preview, it does not send it again.
MAX_BODY_BYTES_BY_VIEW = {
    "admin:login": 16 * 1024,  # a user name and a password
    "stocktakes:upload": int(
        os.environ.get("STOCKTAKE_UPLOAD_MAX_BODY_BYTES", str(5 * 1024 * 1024))
    ),
}
# Django's own limit for bodies read through request.body / request.POST, kept the same.
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
SPECTACULAR_SETTINGS = {
    "TITLE": "Stockroom API",
    "DESCRIPTION": (
        "Multi-location stock, wire-compatible with BigCommerce's V3 Inventory API under "
        "/api/v3: point a BigCommerce client at <host>/api/v3 and give it a Stockroom token. "
        "Every /api/v3 operation also answers under BigCommerce's own prefix "
        f"/stores/{{store_hash}}/v3 (this store's hash: `{STORE_HASH}`), the one its client "
        "libraries build: give such a client this host, the store hash and the token."
    ),
    # Each operation once, in its /api/v3 form: the /stores/ routes are the same views.
    "PREPROCESSING_HOOKS": ["inventory.api.openapi.without_store_prefix"],
    "VERSION": "3.0.0",
    "OAS_VERSION": "3.1.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # Tags every operation by its path (the groups and their order: inventory/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "inventory.api.schema.group_operations",
    ],
}

# Content-Security-Policy (django-csp) on every response: scripts, styles, images, fonts and
# requests from our own origin only, so an injected <script> or on* handler does not run. Inline
# styles stay allowed: the admin's widgets, the SVG charts and Swagger UI set them, and a style
# runs no code. data: images are Swagger UI's and the admin's icons. No plugins, no framing,
# forms post only to us. tests/browser/test_csp_browser.py loads every kind of page under it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Production hardening: on whenever DEBUG is off, so `check --deploy` is clean by default.
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", "1")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Ecwid's older clients send their token as `?token=`: the development server logs request
    # lines, so its logger is Django's own (DEFAULT_LOGGING) with the token's value redacted.
    "filters": {"redact_query_token": {"()": "inventory.api.query_token.RedactQueryToken"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_query_token"],
        },
    },
    "loggers": {
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
}
