"""Settings for mlbilling, driven entirely by environment variables.

Without any variable the service runs on SQLite in the project folder (the embedded
default). Production sets DEBUG=false, SECRET_KEY, ALLOWED_HOSTS and DATABASE_URL.
See .env.example for every variable.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

_DEV_SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105 (used only when DEBUG is on)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DEBUG=false) refuses to start without one; "
            "set DEBUG=true for local development."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # its widget templates, for FORM_RENDERER below
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "accounts.apps.EmailAddressesConfig",  # allauth.account, named for the admin
    "django_q",
    "django_prometheus",
    "accounts",
    "billing",
    "predictions",
    "analytics",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "mlbilling.request_id.RequestIdMiddleware",
    "mlbilling.request_limits.RequestBodyLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "accounts.middleware.LoginLanguageCookieMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "mlbilling.security.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "mlbilling.faults.DatabaseUnavailableMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "mlbilling.urls"

# Widgets render through TEMPLATES, so templates/admin/widgets/ can label Django's split date-time.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
                "billing.context_processors.wallet",
            ],
        },
    },
]

WSGI_APPLICATION = "mlbilling.wsgi.application"

# --- Database -------------------------------------------------------------------------
# Persistent connections matter: a new connection per request cut a billed endpoint
# from ~800 to ~155 req/s on this kind of machine (architecture.md, speed notes).
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait for the writer lock instead of failing at once; the worker and the
    # web server share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Authentication -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# An API token read from the database is remembered this long by each process (0: never),
# so most paid calls skip that read; a revocation elsewhere takes effect within it
# (accounts/token_cache.py).
API_TOKEN_CACHE_SECONDS = env.float("API_TOKEN_CACHE_SECONDS", default=5.0)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
MEDIA_URL = "media/"

# Datasets of the six ML cases: read-only, never committed.
DATASETS_DIR = Path(env.str("DATASETS_DIR", default=str(BASE_DIR.parent / "shared" / "datasets")))

# --- Email ----------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="mlbilling <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security (production) ------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts and styles only from our own static files: no inline code, no other origin.
# Swagger UI (the API docs page) ships an inline <style> and sets style attributes; its
# script stays external (SpectacularSwaggerSplitView), so only styles are relaxed there.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
CONTENT_SECURITY_POLICY_BY_PATH = {
    "/api/docs/": CONTENT_SECURITY_POLICY.replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'"
    ),
}

# --- django-allauth -------------------------------------------------------------------
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")
ACCOUNT_UNIQUE_EMAIL = True
# Sign-up says plainly that an email address is taken (the issue asks for a form error)
# rather than pretending to succeed; sign-ups and failed logins are rate-limited instead.
ACCOUNT_PREVENT_ENUMERATION = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[mlbilling] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else "https"
# Brute force: allauth counts failed logins per account and per IP in the cache.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env.str("LOGIN_FAILED_RATE", default="10/m/ip,5/5m/key"),
}

# --- Django REST Framework ------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "mlbilling.json_parser.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "mlbilling.pagination.StrictPageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "EXCEPTION_HANDLER": "mlbilling.api_errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="6000/min"),
        "auth_token": env.str("THROTTLE_AUTH_TOKEN", default="10/min"),
        "predict": env.str("THROTTLE_PREDICT", default="1200/min"),
    },
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )

# Tokens from POST /api/v1/auth/token expire after this many days; a user keeps at most
# API_TOKENS_PER_USER active tokens (creating one more revokes the oldest).
API_TOKEN_TTL_DAYS = env.int("API_TOKEN_TTL_DAYS", default=90)
API_TOKENS_PER_USER = env.int("API_TOKENS_PER_USER", default=20)

# Rows one prediction request may carry (API and website); bigger jobs go to CSV batches.
PREDICT_MAX_ROWS = env.int("PREDICT_MAX_ROWS", default=1000)
# A body (files aside) over this many bytes is refused with 413 before it is read. 16 MiB
# holds PREDICT_MAX_ROWS rows of the widest case (android-malware with every permission
# both listed and as a 0/1 field: 12.9 MB; docs/api.md).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=16 * 1024 * 1024)
# Arrays and objects may nest this deep in a JSON body (a prediction needs 4).
API_JSON_MAX_DEPTH = env.int("API_JSON_MAX_DEPTH", default=32)

SPECTACULAR_SETTINGS = {
    "TITLE": "mlbilling API",
    "DESCRIPTION": "Pay-per-prediction machine learning: six models, credits charged only "
    "for predictions that succeed.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status`: name each choice set explicitly.
    "ENUM_NAME_OVERRIDES": {
        "BatchStatusEnum": "predictions.models.BatchJob.Status",
        "PredictionStatusEnum": "predictions.models.Prediction.Status",
    },
    # Generated clients: request bodies as their own components (files as `binary`).
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "predictions.api.schema.publish_predict_per_model",
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mlbilling.api_schema.document_error_statuses",
    ],
}

# --- Billing --------------------------------------------------------------------------
# Amounts in hundredths of a credit. Top-up packages are shown on the top-up page.
BILLING_TOPUP_MIN = env.int("BILLING_TOPUP_MIN", default=500)
BILLING_TOPUP_MAX = env.int("BILLING_TOPUP_MAX", default=100_000)
BILLING_TOPUP_PACKAGES = env.list("BILLING_TOPUP_PACKAGES", cast=int, default=[1000, 2500, 5000])
BILLING_TOPUP_TTL_MINUTES = env.int("BILLING_TOPUP_TTL_MINUTES", default=60)
# What a credit costs: an ISO 4217 code and the price in that currency's minor units
# (cents), shown on the top-up and checkout pages.
BILLING_CURRENCY = env.str("BILLING_CURRENCY", default="EUR")
BILLING_CREDIT_PRICE_MINOR = env.int("BILLING_CREDIT_PRICE_MINOR", default=100)
# Unpaid top-ups a user may have open at once (each expires after the TTL above).
BILLING_TOPUP_MAX_PENDING = env.int("BILLING_TOPUP_MAX_PENDING", default=5)
# The sandbox pays without money: on only in development unless BILLING_SANDBOX says so
# (tests and demos). Production lists its real providers here.
BILLING_PAYMENT_PROVIDERS = (
    {"sandbox": "billing.providers.sandbox.SandboxProvider"}
    if env.bool("BILLING_SANDBOX", default=DEBUG)
    else {}
)
# The sandbox signs its callbacks with this; derived from SECRET_KEY unless set.
PAYMENTS_SANDBOX_SECRET = env.str("PAYMENTS_SANDBOX_SECRET", default="") or (
    hashlib.sha256(f"payments-sandbox:{SECRET_KEY}".encode()).hexdigest()
)

# --- django-q2 ------------------------------------------------------------------------
# ORM broker by default (the same database, no extra service); Redis when Q_REDIS_URL is
# set. `retry` must exceed `timeout` or a long task is handed out twice.
Q_CLUSTER = {
    "name": "mlbilling",
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=3600),
    "retry": env.int("Q_RETRY", default=3700),
    "max_attempts": env.int("Q_MAX_ATTEMPTS", default=5),
    "queue_limit": 50,
    "catch_up": False,
    "orm": "default",
}
if env.str("Q_REDIS_URL", default=""):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = env.str("Q_REDIS_URL")

# --- Batch predictions ----------------------------------------------------------------
BATCH_MAX_UPLOAD_BYTES = env.int("BATCH_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024)
BATCH_MAX_ROWS = env.int("BATCH_MAX_ROWS", default=1_000_000)
# A physical line longer than this is refused at upload (a binary or one-line file).
BATCH_MAX_LINE_BYTES = env.int("BATCH_MAX_LINE_BYTES", default=256 * 1024)
BATCH_CHUNK_ROWS = env.int("BATCH_CHUNK_ROWS", default=5000)
# Progress and heartbeat are written at most this often; a running job whose heartbeat
# is older than BATCH_STALE_SECONDS is taken to have lost its worker and is re-queued.
BATCH_PROGRESS_SECONDS = env.float("BATCH_PROGRESS_SECONDS", default=2.0)
BATCH_STALE_SECONDS = env.int("BATCH_STALE_SECONDS", default=120)
BATCH_REQUEUE_SECONDS = env.int("BATCH_REQUEUE_SECONDS", default=900)
BATCH_MAX_ATTEMPTS = env.int("BATCH_MAX_ATTEMPTS", default=5)
# The hold must outlive every attempt of the job (each at most Q_CLUSTER timeout) plus the
# re-queue delays, or billing's expiry schedule would release it under a running job.
BATCH_HOLD_SECONDS = env.int("BATCH_HOLD_SECONDS", default=48 * 3600)
# Tests only: slows each chunk so a worker can be killed in the middle of a job.
BATCH_CHUNK_DELAY_SECONDS = env.float("BATCH_CHUNK_DELAY_SECONDS", default=0.0)

# --- Logging --------------------------------------------------------------------------
# Every line carries the request id (X-Request-ID, or generated), "-" outside requests.
# LOG_FORMAT=json writes one JSON object per line for a log shipper.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "mlbilling.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
        "json": {"()": "mlbilling.request_id.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("LOG_FORMAT", default="plain"),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Monitoring -----------------------------------------------------------------------
# /metrics answers the bearer token METRICS_TOKEN; an address in METRICS_ALLOWED_IPS
# (addresses or networks, e.g. "10.0.0.0/8") only when that list is set. X-Forwarded-For
# counts only from a peer in METRICS_TRUSTED_PROXIES (analytics/scrape_access.py).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_NETWORKS = [
    ipaddress.ip_network(item, strict=False) for item in env.list("METRICS_ALLOWED_IPS", default=[])
]
METRICS_TRUSTED_PROXIES = [
    ipaddress.ip_network(item, strict=False)
    for item in env.list("METRICS_TRUSTED_PROXIES", default=[])
]
# Several gunicorn workers: prometheus_client writes each process's samples to files in
# this directory (read from the environment by prometheus_client itself; gunicorn.conf.py
# empties it at start and drops dead workers' gauges).
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
else:
    # prometheus_client switches to files on the variable's mere presence: an empty value
    # (a copied .env) would make it write to the working directory.
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
# /readyz fails when a task has waited this long without a worker taking it.
READYZ_WORKER_STALE_SECONDS = env.int("READYZ_WORKER_STALE_SECONDS", default=300)
# /readyz runs these after the database and worker checks: callables returning a list of
# mlbilling.health.Check (the project package imports no app, so apps plug theirs in here).
READINESS_CHECKS = ["predictions.registry.health.model_checks"]
# Load balancers and Prometheus probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
