"""secrets.py: what looks like a secret in an ARG/ENV or a .env file, and what does not."""

from __future__ import annotations

import pytest

from devkit.doctor.secrets import env_file_secrets, looks_secret, placeholder


@pytest.mark.parametrize(
    ("name", "value", "secret"),
    [
        ("DB_PASSWORD", "hunter2-x", True),
        ("GITHUB_TOKEN", None, True),
        ("PIP_EXTRA_INDEX_URL", "https://me:s3cret@pypi.example/simple", True),
        ("SOMETHING", "ghp_abcdefghijklmnopqrstuvwxyz0123456789", True),
        ("PASSWORD_FILE", "/run/secrets/db", False),
        ("API_KEY_HEADER", "X-Api-Key", False),
        ("DISABLE_AUTH", "true", False),
        ("SECRET_KEY", "changeme", False),
        ("DATABASE_URL", "postgresql://user:pass@localhost/dummy", False),
    ],
)
def test_looks_secret(name: str, value: str | None, secret: bool) -> None:
    assert looks_secret(name, value) is secret


def test_placeholders() -> None:
    assert placeholder("<your token>") and placeholder("xxxx")
    assert placeholder("postgres://app:app@db/app")  # the user name repeated
    assert not placeholder("postgres://app:Zq8-real@db/app")
    # demo defaults: Java's keystore default, a value that names itself
    assert placeholder("changeit") and placeholder("monitoring_password")
    assert not placeholder("k9Password2x")


def test_env_file_secrets_skip_defaults_references_and_repeated_settings() -> None:
    text = (
        "# comment\nexport API_TOKEN='tok-123456'\nDB_USER=keycloak\nDB_PASSWORD=keycloak\n"
        "REDIS_PASSWORD=redis\nSMTP_PASSWORD=${SMTP_PASSWORD}\nEMPTY_SECRET=\nnot a pair\n"
    )
    assert env_file_secrets(text) == ["API_TOKEN"]
