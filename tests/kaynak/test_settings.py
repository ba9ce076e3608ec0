from __future__ import annotations

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


def test_env_path_resolves(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KAYNAK_DIR", str(tmp_path / "x" / ".." / "y"))
    assert env_path("KAYNAK_DIR", Path("/nowhere")) == tmp_path / "y"


def test_sqlite_url(tmp_path: Path) -> None:
    config = database_from_url(f"sqlite:///{tmp_path}/db/kaynak.sqlite3")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["NAME"] == f"{tmp_path}/db/kaynak.sqlite3"
    assert (tmp_path / "db").is_dir()


def test_postgres_url() -> None:
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
