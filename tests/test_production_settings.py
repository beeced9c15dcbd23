"""Production mode (``DJANGO_DEBUG=0``): what the settings require and what they harden.

Settings are read once per process and this session runs with the development ones, so
each case loads ``apg_wbpm.settings`` in a fresh interpreter. No database or Redis is
needed: the URLs point at a port nothing listens on, and nothing here connects.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "production-settings-test-key-" + "k" * 40
ALLOWED_HOSTS = ".example.com,example.com"

# Deploy-check warnings waiting for a change outside the settings' reach of this test,
# each with the change that removes it. Delete an entry once its warning is gone.


def production_env(**overrides: str | None) -> dict[str, str]:
    """The environment of a production process; an override of None removes the variable."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DJANGO_", "APG_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "apg_wbpm.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": SECRET_KEY,
            "DJANGO_ALLOWED_HOSTS": ALLOWED_HOSTS,
            "DATABASE_URL": "postgresql://apg@127.0.0.1:9/apg_unused",
            "REDIS_URL": "redis://127.0.0.1:9/0",
        }
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


LOAD_SETTINGS = "import django; django.setup()"


@pytest.mark.parametrize("secret_key", [None, ""])
def test_settings_refuse_to_load_without_a_secret_key(secret_key: str | None) -> None:
    # Given production mode and no secret key, when the settings load, then they refuse.
    result = run_python(LOAD_SETTINGS, production_env(DJANGO_SECRET_KEY=secret_key))

    assert result.returncode != 0
    assert "ImproperlyConfigured: Set the environment variable DJANGO_SECRET_KEY." in result.stderr


def test_settings_refuse_a_short_secret_key() -> None:
    result = run_python(LOAD_SETTINGS, production_env(DJANGO_SECRET_KEY="k" * 31))

    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY must be at least 32 characters in production." in result.stderr


@pytest.mark.parametrize("allowed_hosts", [None, "", " , "])
def test_settings_refuse_to_load_without_allowed_hosts(allowed_hosts: str | None) -> None:
    result = run_python(LOAD_SETTINGS, production_env(DJANGO_ALLOWED_HOSTS=allowed_hosts))

    assert result.returncode != 0
    assert "ImproperlyConfigured: Set DJANGO_ALLOWED_HOSTS (comma separated) when DJANGO_DEBUG=0." in result.stderr


def test_production_settings_are_hardened() -> None:
    code = """
import json
import django
from django.conf import settings
django.setup()
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ALLOWED_HOSTS": settings.ALLOWED_HOSTS,
    "SECRET_KEY": settings.SECRET_KEY,
    "JWT_SIGNING_KEY_IS_THE_SECRET_KEY": settings.SIMPLE_JWT["SIGNING_KEY"] == settings.SECRET_KEY,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_PROXY_SSL_HEADER": list(settings.SECURE_PROXY_SSL_HEADER),
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
    "SECURE_CONTENT_TYPE_NOSNIFF": settings.SECURE_CONTENT_TYPE_NOSNIFF,
    "X_FRAME_OPTIONS": settings.X_FRAME_OPTIONS,
    "STATICFILES_STORAGE": settings.STORAGES["staticfiles"]["BACKEND"],
}))
"""
    result = run_python(code, production_env())

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "DEBUG": False,
        "ALLOWED_HOSTS": [".example.com", "example.com"],
        "SECRET_KEY": SECRET_KEY,
        "JWT_SIGNING_KEY_IS_THE_SECRET_KEY": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "SECURE_HSTS_SECONDS": 31_536_000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "X_FRAME_OPTIONS": "DENY",
        "STATICFILES_STORAGE": "whitenoise.storage.CompressedManifestStaticFilesStorage",
    }


def test_plain_http_is_redirected_to_https_but_probes_are_answered() -> None:
    # Given production mode, when a client speaks plain HTTP, then pages redirect to HTTPS
    # while /health answers as is (load balancers and Kubernetes probe over plain HTTP).
    code = """
import json
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="acme.example.com")
page = client.get("/home/")
health = client.get("/health")
print(json.dumps({
    "page": [page.status_code, page.headers.get("Location")],
    "health": [health.status_code, health.json()],
}))
"""
    result = run_python(code, production_env())

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "page": [301, "https://acme.example.com/home/"],
        "health": [200, {"status": "up"}],
    }


def test_the_deploy_check_reports_no_issues() -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
