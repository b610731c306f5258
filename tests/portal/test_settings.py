"""Production settings come from the environment alone, and pass Django's deployment checks."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENVIRONMENT = {
    "DEBUG": "false",
    "SECRET_KEY": "k3Jx9vQm2Lr8Tz5Wb7Nc4Hd6Fg1Sy0Pa-production-only-secret-value-xyz",
    "ALLOWED_HOSTS": "claims.example.org",
    "HTTPS": "true",
    "DATABASE_URL": "postgres://portal@db.internal:5432/portal",
    "S3_ENDPOINT_URL": "",
    "S3_BUCKET": "claims-documents",
    "EMAIL_URL": "smtp://mailer:secret@smtp.example.org:587/?tls=True",
}


def _manage(*args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(extra_env or {})}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests, never in production
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_deploy_check_is_clean_with_a_production_environment():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", extra_env=PRODUCTION_ENVIRONMENT
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_deploy_check_warns_without_https():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        extra_env={**PRODUCTION_ENVIRONMENT, "HTTPS": "false"},
    )

    assert result.returncode != 0
    assert "SECURE_SSL_REDIRECT" in result.stderr + result.stdout


def test_migrations_match_the_models():
    result = _manage("makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stdout + result.stderr


def test_env_example_lists_every_variable_the_settings_read():
    settings_source = (REPO_ROOT / "config" / "settings" / "base.py").read_text()
    read = set(
        re.findall(
            r'(?:env(?:\.\w+)?|_required_in_production)\(\s*"([A-Z][A-Z0-9_]+)"', settings_source
        )
    )
    listed = set(
        re.findall(
            r"^#?\s*([A-Z][A-Z0-9_]+)=",
            (REPO_ROOT / ".env.example").read_text(),
            flags=re.MULTILINE,
        )
    )

    assert read, "no environment variables found in settings.py"
    assert read - listed == set()


@pytest.mark.parametrize("missing", ["SECRET_KEY", "EMAIL_URL"])
def test_production_refuses_to_start_without_its_own_secret_key_and_email(missing):
    environment = {**PRODUCTION_ENVIRONMENT, missing: ""}

    result = _manage("check", extra_env=environment)

    assert result.returncode != 0
    assert f"{missing} must be set when HTTPS=true" in result.stderr
