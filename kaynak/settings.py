"""Kaynak's one settings module: everything that differs between machines comes from the
environment (see README "Configuration")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from kaynak.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    env_path,
    env_str,
)
from kaynak.security import check_production_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("KAYNAK_DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY", "" if DEBUG else None)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when KAYNAK_DEBUG is off.")
    # Only reachable with KAYNAK_DEBUG=1 on a developer machine.
    SECRET_KEY = "kaynak-insecure-development-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "archive",
    "annotations",
    "search",
    "web",
    # After archive: its `db_worker` command (which first requeues the tasks of dead workers)
    # takes the place of django-tasks-db's own.
    "django_tasks",
    "django_tasks_db",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files before anything that would touch a session or the database for them.
    "kaynak.static.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kaynak.urls"
WSGI_APPLICATION = "kaynak.wsgi.application"

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
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'kaynak.sqlite3'}")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("KAYNAK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_path("KAYNAK_STATIC_ROOT", BASE_DIR / "var" / "static")
# `collectstatic` writes each file also under a name with its content hash (and gzip and
# Brotli copies), and pages link to those names, which WhiteNoise serves as cacheable for
# ever. Pages then need the collected manifest, so it is on where collectstatic runs first
# (production, `make serve`), off for tests and `make run`, which serve the apps' folders.
KAYNAK_STATIC_MANIFEST = env_bool("KAYNAK_STATIC_MANIFEST", env_bool("KAYNAK_PRODUCTION", False))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if KAYNAK_STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "pages:search"
LOGOUT_REDIRECT_URL = "login"

# Where stored originals (content-addressed, never modified) and the search index live.
KAYNAK_DATA_DIR = env_path("KAYNAK_DATA_DIR", BASE_DIR / "var" / "data")
# Where the search index lives: "whoosh" (files under KAYNAK_DATA_DIR/index, one machine;
# the default for `make run`) or "postgres" (tables in the PostgreSQL database, shared by any
# number of app servers; see README "Search backends").
KAYNAK_SEARCH_BACKEND = env_str("KAYNAK_SEARCH_BACKEND", "whoosh")
if KAYNAK_SEARCH_BACKEND not in ("whoosh", "postgres"):
    raise ImproperlyConfigured(
        f'KAYNAK_SEARCH_BACKEND must be "whoosh" or "postgres", not {KAYNAK_SEARCH_BACKEND!r}.'
    )
# Where stored files (originals, facsimiles, derivatives) live: "local" (content-addressed
# folders under KAYNAK_DATA_DIR) or "s3" (an S3-compatible bucket shared by every app server;
# see README "Storage"). The S3 credentials come from boto3's usual sources (AWS_ACCESS_KEY_ID
# and AWS_SECRET_ACCESS_KEY, a profile, an instance role), never from this repository.
KAYNAK_STORAGE = env_str("KAYNAK_STORAGE", "local")
if KAYNAK_STORAGE not in ("local", "s3"):
    raise ImproperlyConfigured(f'KAYNAK_STORAGE must be "local" or "s3", not {KAYNAK_STORAGE!r}.')
KAYNAK_S3_BUCKET = env_str("KAYNAK_S3_BUCKET", "")
if KAYNAK_STORAGE == "s3" and not KAYNAK_S3_BUCKET:
    raise ImproperlyConfigured("KAYNAK_S3_BUCKET must be set when KAYNAK_STORAGE is s3.")
# Every key starts with this ("kaynak/originals/ab/<sha256>"), so one bucket can hold more.
KAYNAK_S3_PREFIX = env_str("KAYNAK_S3_PREFIX", "")
# For stores other than AWS (MinIO, Ceph, Garage...): their URL; empty means AWS itself.
KAYNAK_S3_ENDPOINT_URL = env_str("KAYNAK_S3_ENDPOINT_URL", "")
KAYNAK_S3_REGION = env_str("KAYNAK_S3_REGION", "us-east-1")
# Downloads of originals redirect to a presigned URL valid this many seconds (after the
# permission check); 0 streams them through the app, as with local storage.
KAYNAK_S3_PRESIGNED_SECONDS = env_int("KAYNAK_S3_PRESIGNED_SECONDS", 0, minimum=0)
# Who holds the archive: bag-info.txt's Source-Organization in exported bags.
KAYNAK_ORGANIZATION = env_str("KAYNAK_ORGANIZATION", "Kaynak archive")
# The official PREMIS 3.0 schema (Library of Congress), kept in the repository: bags are
# verified against it without the network.
KAYNAK_PREMIS_SCHEMA = env_path(
    "KAYNAK_PREMIS_SCHEMA", BASE_DIR / "tests" / "data" / "premis-v3-0.xsd"
)
# Background work (index updates, facsimile derivatives) is a task row written in the same
# transaction as the change that causes it, run by `manage.py db_worker` (README "The
# background worker"). A failed task is tried again after 2, 4, 8… seconds, this many times
# in all; a task claimed by a worker that has been running it this long is taken to be
# abandoned (its worker died on another machine) and runs again.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
KAYNAK_TASK_ATTEMPTS = env_int("KAYNAK_TASK_ATTEMPTS", 5, minimum=1)
KAYNAK_TASK_ABANDONED_AFTER = env_int("KAYNAK_TASK_ABANDONED_AFTER", 1800, minimum=60)
# How often an idle worker looks for new tasks, in seconds: the commit-to-searchable lag is
# about half of it plus the index write (README "The background worker").
KAYNAK_WORKER_INTERVAL = env_float("KAYNAK_WORKER_INTERVAL", 0.2, minimum=0.0)
# "Similar documents" lists only documents at least this similar (0 to 1: a document's score
# against another's key terms as a fraction of the other's own score). Over the samples, other
# reprints of one story score 0.38 to 0.42 and a note about it 0.2 to 0.3; unrelated stories
# sharing a few words at most 0.12.
KAYNAK_SIMILAR_MIN_SIMILARITY = env_float("KAYNAK_SIMILAR_MIN_SIMILARITY", 0.15, minimum=0.0)
# `GET /healthz` answers 503 when the oldest task that is due has waited longer than this
# many seconds (no worker running, or one far behind).
KAYNAK_HEALTH_MAX_QUEUE_LAG = env_float("KAYNAK_HEALTH_MAX_QUEUE_LAG", 300.0, minimum=1.0)
# Largest single document accepted by ingest, in bytes (20 MiB by default).
KAYNAK_MAX_UPLOAD_BYTES = env_int("KAYNAK_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1)
# Facsimiles (scans and photos of printed reprints): the largest file accepted, in bytes
# (50 MiB), and the most pixels an image's header may claim (100 megapixels), checked before
# any pixel is decoded so a small file cannot make the server allocate gigabytes.
KAYNAK_MAX_IMAGE_BYTES = env_int("KAYNAK_MAX_IMAGE_BYTES", 50 * 1024 * 1024, minimum=1)
KAYNAK_MAX_IMAGE_PIXELS = env_int("KAYNAK_MAX_IMAGE_PIXELS", 100_000_000, minimum=1)
# Queue a facsimile's thumbnail and display image with its attachment (the worker makes
# them); off, they wait for `manage.py facsimile_derivatives` (bulk loads).
KAYNAK_DERIVATIVES_ON_ATTACH = env_bool("KAYNAK_DERIVATIVES_ON_ATTACH", True)
# Key for HMAC-SHA256 signatures of checkpoint exports (`provenance_checkpoint --export`),
# checked by `fixity_check --against`; empty: exports are not signed.
KAYNAK_CHECKPOINT_KEY = env_str("KAYNAK_CHECKPOINT_KEY", "")
# Uploads above Django's in-memory limit spool to disk; the ingest limit is enforced by the
# service, so the request limit only has to let a maximal document through.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header turns anonymous requests into 401, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # DRF's defaults, with a browsable API that renders the selector-backed lists.
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "kaynak.api.BrowsableAPIRenderer",
    ],
    # DRF's three, with a JSON parser that refuses absurd nesting as bad input.
    "DEFAULT_PARSER_CLASSES": [
        "kaynak.api.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "kaynak.api.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "kaynak.api.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Kaynak API",
    "DESCRIPTION": (
        "Archive of republished news articles: documents with provenance, sources, and "
        "(later) span annotations. Authenticate with a session or `Authorization: Token <key>`."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Sources and saved searches both have a `kind`: each enumeration is named, the sources'
    # keeping the name it had before saved searches came.
    "ENUM_NAME_OVERRIDES": {
        "KindEnum": "archive.models.SourceKind.choices",
        "SearchKindEnum": "search.models.SearchKind.choices",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "kaynak.schema.declare_common_errors",
        "annotations.openapi.declare_w3c_answers",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("KAYNAK_LOG_LEVEL", "WARNING")},
}


# --- Security and production (README "Security") ---------------------------------------------
# KAYNAK_PRODUCTION=1 turns on everything `manage.py check --deploy` asks for; each part can
# still be set on its own (a staging server without TLS, say).
KAYNAK_PRODUCTION = env_bool("KAYNAK_PRODUCTION", False)
if KAYNAK_PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("KAYNAK_DEBUG must be off when KAYNAK_PRODUCTION is on.")
    check_production_secret_key(SECRET_KEY)

SECURE_HSTS_SECONDS = env_int(
    "KAYNAK_HSTS_SECONDS", 31_536_000 if KAYNAK_PRODUCTION else 0, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("KAYNAK_HSTS_INCLUDE_SUBDOMAINS", KAYNAK_PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("KAYNAK_HSTS_PRELOAD", KAYNAK_PRODUCTION)
SECURE_SSL_REDIRECT = env_bool("KAYNAK_SSL_REDIRECT", KAYNAK_PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("KAYNAK_SECURE_COOKIES", KAYNAK_PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a proxy that ends TLS, trust its X-Forwarded-Proto (and only then: a client could
# send the header itself) so Django knows the request was HTTPS.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("KAYNAK_BEHIND_TLS_PROXY", False) else None
)
# A load balancer probes each app server directly, over plain HTTP: the health endpoint
# answers there instead of redirecting to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# How many proxies in front append to X-Forwarded-For; 0 uses the connection's address.
KAYNAK_TRUSTED_PROXIES = env_int("KAYNAK_TRUSTED_PROXIES", 0, minimum=0)

# Content-Security-Policy (django-csp): scripts, styles, images and connections from this site
# only, no inline code. The API's HTML helpers (Swagger UI, ReDoc, DRF's browsable pages and
# their sign-in) are third-party pages built on inline scripts, so they go without the header.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/", "/api-auth/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Sign-in rate limit (django-axes): after KAYNAK_LOGIN_FAILURE_LIMIT failures an account, and
# separately an address, is refused for KAYNAK_LOGIN_COOLOFF_MINUTES, on the sign-in page, the
# admin and the API's token endpoint alike; a success does not wipe an address's failures.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("KAYNAK_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KAYNAK_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_CLIENT_IP_CALLABLE = "kaynak.security.client_ip"
AXES_LOCKOUT_CALLABLE = "kaynak.security.lockout_response"
AXES_RESET_ON_SUCCESS = False
AXES_VERBOSE = False
