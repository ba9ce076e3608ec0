from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from kaynak.env import database_from_url, env_bool, env_int, env_path, env_str

ROOT = Path(__file__).resolve().parents[2]


def test_env_str_requires_a_variable_without_default(monkeypatch) -> None:
    monkeypatch.delenv("KAYNAK_SOMETHING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="KAYNAK_SOMETHING is required"):
        env_str("KAYNAK_SOMETHING")


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("yes", True), ("off", False)])
def test_env_bool_reads_common_spellings(monkeypatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("KAYNAK_FLAG", value)
    assert env_bool("KAYNAK_FLAG", not expected) is expected


def test_env_bool_refuses_other_values(monkeypatch) -> None:
    monkeypatch.setenv("KAYNAK_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="KAYNAK_FLAG='maybe' is not a boolean"):
        env_bool("KAYNAK_FLAG", False)


def test_env_int_reads_and_checks_minimum(monkeypatch) -> None:
    monkeypatch.setenv("KAYNAK_SIZE", "20_000_000")
    assert env_int("KAYNAK_SIZE", 1) == 20_000_000
    monkeypatch.setenv("KAYNAK_SIZE", "0")
    with pytest.raises(ImproperlyConfigured, match="below the minimum of 1"):
        env_int("KAYNAK_SIZE", 1, minimum=1)
    monkeypatch.setenv("KAYNAK_SIZE", "twenty")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("KAYNAK_SIZE", 1)


def test_a_path_setting_is_resolved_to_an_absolute_path(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KAYNAK_DIR", str(tmp_path / "x" / ".." / "y"))
    assert env_path("KAYNAK_DIR", Path("/nowhere")) == tmp_path / "y"


def test_a_sqlite_url_names_the_file_and_makes_its_folder(tmp_path: Path) -> None:
    config = database_from_url(f"sqlite:///{tmp_path}/db/kaynak.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == f"{tmp_path}/db/kaynak.sqlite3"
    assert (tmp_path / "db").is_dir()


def test_a_postgres_url_gives_every_connection_setting() -> None:
    config = database_from_url("postgres://kaynak:s%40cret@db.example:5433/archive?sslmode=require")
    assert config == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "archive",
        "USER": "kaynak",
        "PASSWORD": "s@cret",
        "HOST": "db.example",
        "PORT": "5433",
        "OPTIONS": {"sslmode": "require"},
    }


@pytest.mark.parametrize(
    ("url", "message"),
    [("mysql://x/y", "unsupported scheme 'mysql'"), ("postgres://host/", "names no database")],
)
def test_bad_database_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        database_from_url(url)


def _import_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("KAYNAK_")}
    clean.pop("SECRET_KEY", None)
    return subprocess.run(
        [sys.executable, "-c", "import kaynak.settings"],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_secret_key_is_required_unless_debug() -> None:
    refused = _import_settings()
    assert refused.returncode != 0
    assert "The environment variable SECRET_KEY is required" in refused.stderr
    assert _import_settings(KAYNAK_DEBUG="1").returncode == 0
    assert _import_settings(SECRET_KEY="set").returncode == 0


# A key as `get_random_secret_key()` makes them: 50 characters of many kinds.
GENERATED_KEY = "q8#v2m!x0z@r7w$k1p^t5n&j9h(c3b)d6f-g4s=l+y*e_a%u!o"
PRODUCTION = {
    "KAYNAK_PRODUCTION": "1",
    "SECRET_KEY": GENERATED_KEY,
    "ALLOWED_HOSTS": "kaynak.example.org",
    "KAYNAK_BEHIND_TLS_PROXY": "1",
}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("kaynak-test-only", "SECRET_KEY is 16 characters; production needs at least 50"),
        ("ab" * 30, "repeats too few characters"),
        ("kaynak-insecure-development-key-never-use-in-production", "contains 'insecure'"),
        ("django-insecure-" + GENERATED_KEY, "contains 'insecure'"),
        ("please-changeme-before-going-live-with-this-archive-ok", "contains 'changeme'"),
    ],
)
def test_production_refuses_a_short_or_weak_secret_key(key: str, message: str) -> None:
    refused = _import_settings(**{**PRODUCTION, "SECRET_KEY": key})
    assert refused.returncode != 0
    assert message in refused.stderr


def test_production_accepts_a_generated_secret_key() -> None:
    assert _import_settings(**PRODUCTION).returncode == 0, _import_settings(**PRODUCTION).stderr


def test_production_refuses_to_start_with_debug_on() -> None:
    refused = _import_settings(**PRODUCTION, KAYNAK_DEBUG="1")
    assert "KAYNAK_DEBUG must be off when KAYNAK_PRODUCTION is on" in refused.stderr


def _settings_values(names: list[str], **env: str) -> dict:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("KAYNAK_")}
    clean.pop("SECRET_KEY", None)
    code = (
        "import json, kaynak.settings as s; "
        f"print(json.dumps({{name: getattr(s, name) for name in {names!r}}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_production_turns_on_https_only_settings() -> None:
    names = [
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_PROXY_SSL_HEADER",
    ]
    assert _settings_values(names, **PRODUCTION) == {
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
    }
    development = _settings_values(names, SECRET_KEY="set")
    assert development["SECURE_SSL_REDIRECT"] is False
    assert development["SECURE_PROXY_SSL_HEADER"] is None
    # Each part can be set on its own, e.g. a shorter HSTS while trying TLS out.
    assert _settings_values(["SECURE_HSTS_SECONDS"], **PRODUCTION, KAYNAK_HSTS_SECONDS="3600") == {
        "SECURE_HSTS_SECONDS": 3600
    }


def _check_deploy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("KAYNAK_")}
    clean.pop("SECRET_KEY", None)
    # The browser tests set it for Playwright's event loop; a deployment must not.
    clean.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**clean, "DATABASE_URL": f"sqlite:///{tmp_path}/deploy.sqlite3", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_passes_with_the_documented_production_settings(tmp_path: Path) -> None:
    checked = _check_deploy(tmp_path, **PRODUCTION)
    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues (0 silenced)." in checked.stdout


def test_check_deploy_fails_without_them(tmp_path: Path) -> None:
    checked = _check_deploy(tmp_path, SECRET_KEY=GENERATED_KEY)
    assert checked.returncode != 0
    assert "security.W004" in checked.stderr  # no HSTS
    assert "security.W008" in checked.stderr  # no HTTPS redirect
