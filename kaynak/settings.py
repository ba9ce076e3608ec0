"""Kaynak's one settings module: everything that differs between machines comes from the
environment (see README "Configuration")."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from kaynak.env import database_from_url, env_bool, env_int, env_list, env_path, env_str

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
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "pages:search"
LOGOUT_REDIRECT_URL = "login"
STATICFILES_DIRS = [BASE_DIR / "static"]

# Where stored originals (content-addressed, never modified) and the search index live.
KAYNAK_DATA_DIR = env_path("KAYNAK_DATA_DIR", BASE_DIR / "var" / "data")
# Who holds the archive: bag-info.txt's Source-Organization in exported bags.
KAYNAK_ORGANIZATION = env_str("KAYNAK_ORGANIZATION", "Kaynak archive")
# The official PREMIS 3.0 schema (Library of Congress), kept in the repository: bags are
# verified against it without the network.
KAYNAK_PREMIS_SCHEMA = env_path(
    "KAYNAK_PREMIS_SCHEMA", BASE_DIR / "tests" / "data" / "premis-v3-0.xsd"
)
# Apply committed changes to the search index in a background thread (requests do not wait
# for Whoosh); off, each commit updates the index before the request returns.
KAYNAK_INDEX_IN_BACKGROUND = env_bool("KAYNAK_INDEX_IN_BACKGROUND", True)
# Largest single document accepted by ingest, in bytes (20 MiB by default).
KAYNAK_MAX_UPLOAD_BYTES = env_int("KAYNAK_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1)
# Facsimiles (scans and photos of printed reprints): the largest file accepted, in bytes
# (50 MiB), and the most pixels an image's header may claim (100 megapixels), checked before
# any pixel is decoded so a small file cannot make the server allocate gigabytes.
KAYNAK_MAX_IMAGE_BYTES = env_int("KAYNAK_MAX_IMAGE_BYTES", 50 * 1024 * 1024, minimum=1)
KAYNAK_MAX_IMAGE_PIXELS = env_int("KAYNAK_MAX_IMAGE_PIXELS", 100_000_000, minimum=1)
# Make a facsimile's thumbnail and display image as soon as its attachment commits (in the
# committing thread); off, they wait for `manage.py facsimile_derivatives` (bulk loads).
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
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("KAYNAK_LOG_LEVEL", "WARNING")},
}
