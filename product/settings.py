"""Keel's one settings module, driven by the environment (12-factor).

Development needs no variables at all: SQLite under var/, an embedded broker that needs no server,
the console email backend and the offline dev model server. Production differs only by environment
variables; `.env.example` lists every one. With DEBUG off, a missing required variable stops the
process at start with a message naming it.
"""

from __future__ import annotations

import os
import re
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KEEL_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
if (BASE_DIR / ".env").exists():
    env.read_env(BASE_DIR / ".env")

DEBUG: bool = env.bool("DEBUG", default=False)
TESTING = "pytest" in sys.modules or env.bool("KEEL_TESTING", default=False)


class MissingSettingError(RuntimeError):
    pass


def required(name: str, dev_default: str) -> str:
    """A variable production must set; development falls back to a harmless default."""
    value: str = env.str(name, default="")
    if value:
        return value
    if DEBUG or TESTING:
        return dev_default
    raise MissingSettingError(
        f"The environment variable {name} is required when DEBUG is off. "
        f"Set it (see .env.example) or set DEBUG=true for local development."
    )


SECRET_KEY = required("SECRET_KEY", "dev-only-secret-key-not-for-production-0123456789abcdef")
ALLOWED_HOSTS: list[str] = env.list(
    "ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG or TESTING else [],
)
if not ALLOWED_HOSTS:
    raise MissingSettingError(
        "The environment variable ALLOWED_HOSTS is required when DEBUG is off."
    )
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL: str = env.str("SITE_URL", default="http://localhost:8000")
# The product's name wherever a person reads it: page titles and the header brand, e-mails (their
# subject prefix and the sender's display name), the TOTP issuer and the API docs. A fork renames
# the product here and nowhere else (the `keel_live_` API key prefix is a format, not a name).
PRODUCT_NAME: str = env.str("PRODUCT_NAME", default="Keel")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "ninja",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "product.core",
    "product.accounts",
    "product.apikeys",
    "product.llm",
    "product.jobs",
    "product.observability",
    "product.devmodel",
]
# Feature apps: each one mounted at /<label>/ with its API router and a sidebar link
# (product/core/features.py). `manage.py startfeature NAME` adds its line here.
FEATURE_APPS = [
    "product.chat",
    "product.ask",
    "product.knowledge",
    "product.evals",
]
INSTALLED_APPS += FEATURE_APPS

MIDDLEWARE = [
    "product.core.middleware.RequestIdMiddleware",
    "product.core.middleware.TracingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "product.core.middleware.StaticFilesMiddleware",  # WhiteNoise, async-capable
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "product.core.middleware.HtmxMessagesMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "product.core.middleware.ContentSecurityPolicyMiddleware",
    "product.core.middleware.DebugNotFoundMiddleware",  # DEBUG only: the product's 404 page
]

ROOT_URLCONF = "product.urls"
WSGI_APPLICATION = "product.wsgi.application"
ASGI_APPLICATION = "product.asgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "product.core.context_processors.keel",
                "product.core.features.features_context",
                "product.accounts.context_processors.workspaces",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
# An empty value means the default, as for REDIS_URL: `DATABASE_URL= REDIS_URL=` is the embedded
# setup even when a .env file names real servers (make pytest-embedded relies on it).
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{VAR_DIR / 'keel.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool; Django requires CONN_MAX_AGE = 0 with it. Each process has its own pool.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=20),
        "timeout": 10,
    }
    if TESTING:
        # Several developers (or CI and a developer) may share one server: keep test DBs apart.
        DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_keel")}
else:
    # synchronous=NORMAL (SQLite's advice for WAL): a commit no longer waits for an fsync, which
    # cost ~4 ms per write transaction here, under the one write lock every process shares (each
    # streamed chat entry is one). Still never corrupt; only a power loss (not a crash of Keel)
    # can undo the last commits.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    if TESTING:
        # A file, as in `make dev`, not Django's in-memory default: memory with a shared cache
        # locks whole tables and fails a second writer at once, so a test with a worker thread
        # failed now and then where the product waits out the busy timeout.
        DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test_keel.sqlite3")}
DATABASE_IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and broker ----------------------------------------------------------------
REDIS_URL: str = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "keel",
            # One connection pool per process, not one per request (product/core/cache.py).
            "OPTIONS": {"pool_class": "product.core.cache.ProcessConnectionPool"},
        }
    }
else:
    # The embedded default: a cache every process shares without a server.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "keel_cache",
        }
    }

# Celery reads these through worker/celery.py (namespace CELERY_).
CELERY_BROKER_URL: str = REDIS_URL or "filesystem://"
# kombu's filesystem transport has no blocking read: a worker lists its folder, and sleeps
# polling_interval (kombu's default: 1 s) when it is empty, so every reply waited up to a second
# before its first token. A tenth of a second costs ten directory listings a second.
EMBEDDED_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = {
    "data_folder_in": str(VAR_DIR / "broker" / "out"),
    "data_folder_out": str(VAR_DIR / "broker" / "out"),
    "processed_folder": str(VAR_DIR / "broker" / "processed"),
    "control_folder": str(VAR_DIR / "broker" / "control"),
    "store_processed": False,
    "polling_interval": 0.1,
}
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any] = (
    {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=600)}
    if REDIS_URL
    else EMBEDDED_BROKER_TRANSPORT_OPTIONS
)
if not REDIS_URL:
    for _folder in ("out", "processed", "control"):
        (VAR_DIR / "broker" / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER: bool = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Auth (django-allauth) ------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
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
if TESTING:
    # A deliberately fast hasher: the suite creates hundreds of users; production keeps PBKDF2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "core:dashboard-page"
ACCOUNT_LOGOUT_REDIRECT_URL = "core:landing-page"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {"login_failed": env.str("LOGIN_FAILED_RATE", default="5/m/ip,5/5m/key")}
ACCOUNT_ADAPTER = "product.accounts.adapter.AccountAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = PRODUCT_NAME

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL: str = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
elif TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif DEBUG:
    EMAIL_BACKEND = "product.core.mail.DevEmailBackend"
else:
    raise MissingSettingError("The environment variable EMAIL_URL is required when DEBUG is off.")
# In dev and e2e, mails are also written under var/outbox so a person or a browser test can read
# the verification link (the console backend only prints them).
EMAIL_OUTBOX_DIR: str = env.str("EMAIL_OUTBOX_DIR", default=str(VAR_DIR / "outbox"))
DEFAULT_FROM_EMAIL: str = env.str(
    "DEFAULT_FROM_EMAIL", default=f"{PRODUCT_NAME} <noreply@keel.localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation, static files -----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default="") or VAR_DIR / "media")
MEDIA_URL = "media/"  # never served: uploaded files are read by the workers, not by browsers
# Uploaded documents: local files by default; any S3-compatible store when a bucket is named
# (django-storages; AWS_* variables as django-storages documents them: endpoint, keys, region).
STORAGE_S3_BUCKET: str = env.str("STORAGE_S3_BUCKET", default="")
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if not STORAGE_S3_BUCKET
    else {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": STORAGE_S3_BUCKET,
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "default_acl": None,
            "file_overwrite": False,
        },
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# --- Security -------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG and not TESTING:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Strict CSP on every page: no inline script, no remote images (the exfiltration channel).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL: str = env.str("LOG_LEVEL", default="INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "product.core.middleware.RequestIdLogFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "plain": {"format": "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if DEBUG else "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "httpx": {"level": "WARNING"},
        # The openai SDK's own HTTP client (its fork of httpx): a line per model call otherwise.
        "httpx2": {"level": "WARNING"},
        "openai": {"level": "WARNING"},
    },
}

SENTRY_DSN: str = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(dsn=SENTRY_DSN, send_default_pii=False, traces_sample_rate=0.0)

# --- The model gateway ----------------------------------------------------------------------
DEVMODEL_HOST: str = env.str("DEVMODEL_HOST", default="127.0.0.1")
DEVMODEL_PORT: int = env.int("DEVMODEL_PORT", default=8765)
LLM_API_KEY: str = env.str("LLM_API_KEY", default="")
# No key: the offline dev model server stands in for the provider (the UI shows a banner).
LLM_USES_DEVMODEL: bool = not LLM_API_KEY
# An empty value means "the default", so a copied .env.example never points dev at a paid provider.
LLM_BASE_URL: str = env.str("LLM_BASE_URL", default="") or (
    f"http://{DEVMODEL_HOST}:{DEVMODEL_PORT}/v1"
)
LLM_MODEL: str = env.str("LLM_MODEL", default="") or (
    "keel-dev-small" if LLM_USES_DEVMODEL else "gpt-4o-mini"
)
LLM_FALLBACK_MODEL: str = env.str("LLM_FALLBACK_MODEL", default="")
LLM_TIMEOUT_S: float = env.float("LLM_TIMEOUT_S", default=60.0)
LLM_CONNECT_TIMEOUT_S: float = env.float("LLM_CONNECT_TIMEOUT_S", default=5.0)
LLM_MAX_RETRIES: int = env.int("LLM_MAX_RETRIES", default=2)
LLM_MAX_OUTPUT_TOKENS: int = env.int("LLM_MAX_OUTPUT_TOKENS", default=1024)
LLM_MAX_INPUT_TOKENS: int = env.int("LLM_MAX_INPUT_TOKENS", default=16000)
# Catalog: name -> context window and USD prices per million tokens, and whether the model takes
# `response_format` json_schema with strict=True (`structured_outputs`; an entry without it gets
# LLM_STRUCTURED_OUTPUTS_DEFAULT). Override with LLM_CATALOG_JSON.
LLM_CATALOG: dict[str, dict[str, Any]] = {
    "keel-dev-small": {
        "context_window": 32000,
        "input": "0.15",
        "cached_input": "0.075",
        "output": "0.60",
        "structured_outputs": True,
    },
    "keel-dev-large": {
        "context_window": 128000,
        "input": "2.50",
        "cached_input": "1.25",
        "output": "10.00",
        "structured_outputs": True,
    },
    "gpt-4o-mini": {
        "context_window": 128000,
        "input": "0.15",
        "cached_input": "0.075",
        "output": "0.60",
        "structured_outputs": True,
    },
    "gpt-4o": {
        "context_window": 128000,
        "input": "2.50",
        "cached_input": "1.25",
        "output": "10.00",
        "structured_outputs": True,
    },
    "keel-dev-embed": {"context_window": 8192, "input": "0.02", "output": "0"},
    "keel-dev-embed-large": {"context_window": 8192, "input": "0.13", "output": "0"},
    "text-embedding-3-small": {"context_window": 8192, "input": "0.02", "output": "0"},
}
LLM_CATALOG.update(env.json("LLM_CATALOG_JSON", default={}))
# JSON mode (`json_object`, the schema in the system prompt) is what most OpenAI-compatible servers
# offer; strict json_schema only where the catalog says so.
LLM_STRUCTURED_OUTPUTS_DEFAULT: bool = env.bool("LLM_STRUCTURED_OUTPUTS_DEFAULT", default=False)
# Tool-using replies (product/llm/tool_loop.py): rounds of tool calls one reply may make before the
# model is asked to answer with what it has; a tool's default time limit; the most of one tool
# result the model reads (a longer one is cut with a note saying so, never silently).
LLM_TOOL_MAX_STEPS: int = env.int("LLM_TOOL_MAX_STEPS", default=4)
LLM_TOOL_TIMEOUT_S: float = env.float("LLM_TOOL_TIMEOUT_S", default=10.0)
LLM_TOOL_RESULT_MAX_CHARS: int = env.int("LLM_TOOL_RESULT_MAX_CHARS", default=8000)
# Calls one step may run at once (each on its own thread); more are answered with an error.
LLM_TOOL_MAX_CALLS_PER_STEP: int = env.int("LLM_TOOL_MAX_CALLS_PER_STEP", default=8)
# An empty value (as in .env.example) means the default, like an unset one.
LLM_EMBEDDING_MODEL: str = env.str("LLM_EMBEDDING_MODEL", default="") or (
    "keel-dev-embed" if LLM_USES_DEVMODEL else "text-embedding-3-small"
)
# In-process retry waits: a provider's Retry-After above the cap becomes a Celery retry instead.
LLM_RETRY_BACKOFF_S: float = env.float("LLM_RETRY_BACKOFF_S", default=0.5)
LLM_RETRY_MAX_WAIT_S: float = env.float("LLM_RETRY_MAX_WAIT_S", default=20.0)
# Quotas.
LLM_USER_REQUESTS_PER_MINUTE: int = env.int("LLM_USER_REQUESTS_PER_MINUTE", default=30)
LLM_WORKSPACE_MONTHLY_BUDGET_USD: Decimal = Decimal(
    env.str("LLM_WORKSPACE_MONTHLY_BUDGET_USD", default="25.00")
)

# --- Observability (docs/observability.md) --------------------------------------------------
# Keep the messages sent and the text received with each ledger row, for the trace view. A
# workspace may turn it off (Workspace.store_model_bodies); sizes and token counts stay either way.
LLM_STORE_BODIES: bool = env.bool("LLM_STORE_BODIES", default=True)
# Retention, pruned on the beat: bodies after N days (the ledger's numbers are kept forever),
# idempotency records and the embedded backend's stream entries after N hours.
LLM_BODY_RETENTION_DAYS: int = env.int("LLM_BODY_RETENTION_DAYS", default=30)
IDEMPOTENCY_RETENTION_HOURS: int = env.int("IDEMPOTENCY_RETENTION_HOURS", default=24)
STREAM_ENTRY_RETENTION_HOURS: int = env.int("STREAM_ENTRY_RETENTION_HOURS", default=24)
# Usage charts read hourly rollups for hours that ended this long ago, the ledger after that.
USAGE_ROLLUP_LAG_MINUTES: int = env.int("USAGE_ROLLUP_LAG_MINUTES", default=15)
# /metrics (Prometheus) answers only `Authorization: Bearer <METRICS_TOKEN>`; empty = disabled.
METRICS_TOKEN: str = env.str("METRICS_TOKEN", default="")
# A directory shared by web and worker processes on one machine, so /metrics sums all of them
# (prometheus_client's multiprocess mode). Empty: each process counts only itself.
PROMETHEUS_MULTIPROC_DIR: str = env.str("PROMETHEUS_MULTIPROC_DIR", default="")
# prometheus_client picks its mode from the environment when first imported, which is after
# this (product/core/metrics.py checks): export the value from .env too, and drop an empty one,
# which it would take for "on, in the current directory".
if PROMETHEUS_MULTIPROC_DIR:
    Path(PROMETHEUS_MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = PROMETHEUS_MULTIPROC_DIR
else:
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    os.environ.pop("prometheus_multiproc_dir", None)
# A worker serves its own /metrics on this port (same METRICS_TOKEN), for a scrape per pod where
# workers share no directory with a web process (Kubernetes). 0 = off.
WORKER_METRICS_PORT: int = env.int("WORKER_METRICS_PORT", default=0)
# OpenTelemetry export (OTLP over HTTP), off unless an endpoint is set.
OTEL_EXPORTER_OTLP_ENDPOINT: str = env.str("OTEL_EXPORTER_OTLP_ENDPOINT", default="")
OTEL_SERVICE_NAME: str = env.str("OTEL_SERVICE_NAME", default="keel")

# --- Jobs -----------------------------------------------------------------------------------
# Timeout ordering: provider read timeout < task limit < broker visibility timeout < reaper.
JOB_TIME_LIMIT_S: int = env.int(
    "JOB_TIME_LIMIT_S", default=int(LLM_TIMEOUT_S * (LLM_MAX_RETRIES + 1) + 30)
)
JOB_STALE_AFTER_S: int = env.int("JOB_STALE_AFTER_S", default=900)
JOB_HEARTBEAT_EVERY_S: float = env.float("JOB_HEARTBEAT_EVERY_S", default=5.0)
JOB_MAX_ATTEMPTS: int = env.int("JOB_MAX_ATTEMPTS", default=3)
REAPER_EVERY_S: float = env.float("REAPER_EVERY_S", default=30.0)
# --- Evaluations ----------------------------------------------------------------------------
# Cases of one run in flight at once on a worker (each waits on a model, not on the CPU), unless
# the run asks for another number; never more than the cap. SQLite serialises writers: fewer.
EVAL_DEFAULT_CONCURRENCY: int = env.int(
    "EVAL_DEFAULT_CONCURRENCY", default=32 if DATABASE_IS_POSTGRES else 8
)
EVAL_MAX_CONCURRENCY: int = env.int("EVAL_MAX_CONCURRENCY", default=256)
# A fault point for the chaos test only: pause this long inside the transaction that ends a job,
# right after its model call is ledgered, so the test can kill a worker there. Refused unless
# DEBUG is on: a production environment cannot switch it on by accident.
JOB_FAULT_PAUSE_IN_ENDING_S: float = env.float("KEEL_FAULT_PAUSE_IN_JOB_ENDING_S", default=0.0)
if JOB_FAULT_PAUSE_IN_ENDING_S and not DEBUG:
    raise MissingSettingError(
        "KEEL_FAULT_PAUSE_IN_JOB_ENDING_S is a fault point for the chaos test; it is refused "
        "when DEBUG is off. Unset it."
    )

# --- API ------------------------------------------------------------------------------------
API_MAX_BODY_BYTES: int = env.int("API_MAX_BODY_BYTES", default=256 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
API_RATE_LIMIT_PER_MINUTE: int = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
# How long a verified API key is recognised from the cache without a query. Revoking a key, or any
# change to its maker, membership or workspace made through the ORM, marks it stale at once; this
# only bounds a change made behind the ORM's back (product/apikeys/cache.py). 0 turns caching off.
API_KEY_CACHE_SECONDS: int = env.int("API_KEY_CACHE_SECONDS", default=300)
# The typed start of every new API key (`<prefix><8-char lookup>_<secret>`): what secret scanners
# match. Each key row keeps the prefix it was made with, so keys made before a change still work.
API_KEY_PREFIX: str = env.str("API_KEY_PREFIX", default="keel_live_")
if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,31}", API_KEY_PREFIX):
    raise ImproperlyConfigured(
        f"API_KEY_PREFIX={API_KEY_PREFIX!r}: use 1-32 letters, digits or '_', starting with a letter."
    )

# --- Knowledge (documents, retrieval) -------------------------------------------------------
# Uploads are checked before parsing; parsing runs under these limits so a hostile file cannot
# stall a worker (product/knowledge/parsing.py).
KNOWLEDGE_MAX_UPLOAD_BYTES: int = env.int("KNOWLEDGE_MAX_UPLOAD_BYTES", default=25 * 1024 * 1024)
KNOWLEDGE_MAX_PAGES: int = env.int("KNOWLEDGE_MAX_PAGES", default=2000)
KNOWLEDGE_MAX_CHARS: int = env.int("KNOWLEDGE_MAX_CHARS", default=5_000_000)
KNOWLEDGE_PARSE_TIMEOUT_S: float = env.float("KNOWLEDGE_PARSE_TIMEOUT_S", default=60.0)
# Chunks: token-sized, with overlap (product/knowledge/chunking.py).
KNOWLEDGE_CHUNK_TOKENS: int = env.int("KNOWLEDGE_CHUNK_TOKENS", default=350)
KNOWLEDGE_CHUNK_OVERLAP_TOKENS: int = env.int("KNOWLEDGE_CHUNK_OVERLAP_TOKENS", default=50)
# Texts per embeddings request.
KNOWLEDGE_EMBED_BATCH: int = env.int("KNOWLEDGE_EMBED_BATCH", default=64)
# Embedding models a workspace may pick, with their vector size (sent as `dimensions` when the
# model takes it). Override with KNOWLEDGE_EMBEDDING_MODELS_JSON.
KNOWLEDGE_EMBEDDING_MODELS: dict[str, dict[str, Any]] = {
    "keel-dev-embed": {"dimensions": 256},
    "keel-dev-embed-large": {"dimensions": 512},
    "text-embedding-3-small": {"dimensions": 1536},
    "text-embedding-3-large": {"dimensions": 3072},
}
KNOWLEDGE_EMBEDDING_MODELS.update(env.json("KNOWLEDGE_EMBEDDING_MODELS_JSON", default={}))
# The model a workspace's first index uses.
KNOWLEDGE_EMBEDDING_MODEL: str = env.str("KNOWLEDGE_EMBEDDING_MODEL", default="") or (
    LLM_EMBEDDING_MODEL
)
# A passage counts as relevant to a question when the keyword leg found it or its cosine
# similarity reaches this (grounded chat says "nothing found" below it).
KNOWLEDGE_MIN_SIMILARITY: float = env.float("KNOWLEDGE_MIN_SIMILARITY", default=0.25)
# Passages a grounded chat reply retrieves (the relevant ones go into its prompt, numbered).
KNOWLEDGE_CHAT_PASSAGES: int = env.int("KNOWLEDGE_CHAT_PASSAGES", default=6)
# Postgres: collections holding fewer chunks than this are searched exactly, larger ones with the
# HNSW index (pgvector filters after its HNSW scan, so a selective filter would lose recall).
KNOWLEDGE_EXACT_SEARCH_BELOW: int = env.int("KNOWLEDGE_EXACT_SEARCH_BELOW", default=20_000)
# Weights of the keyword and vector legs in the fused ranking (reciprocal rank fusion). Keyword
# weighs more: with embeddings that are not semantic (the dev model's), equal weights ranked worse
# than keyword search alone. The dev model's default, 0.1, is the best of 0-1 on the Python docs
# set (bench/knowledge_quality.py, docs/knowledge.md); 0.5 for real models is not measured here:
# raise it with a semantic embedding model, and measure (`manage.py knowledge evaluate --sweep`).
KNOWLEDGE_KEYWORD_WEIGHT: float = env.float("KNOWLEDGE_KEYWORD_WEIGHT", default=1.0)
KNOWLEDGE_VECTOR_WEIGHT: float = env.float(
    "KNOWLEDGE_VECTOR_WEIGHT",
    default=0.1 if KNOWLEDGE_EMBEDDING_MODEL.startswith("keel-dev-") else 0.5,
)
