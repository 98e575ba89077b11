"""What looks like a secret: in an ARG/ENV of a Dockerfile (DK007) or in a ``.env`` file
(DK010); and what does not (a setting about a secret, a switch, a placeholder, a service's
own default password)."""

from __future__ import annotations

import re

from devkit.doctor.parse import env_file_pairs

_SECRET_NAME = re.compile(
    r"(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|SECRET_?KEY|"
    r"CREDENTIALS?|AUTH)(_|$)",
    re.IGNORECASE,
)
# Settings *about* a secret, not the secret: API_KEY_HEADER, TOKEN_EXPIRY, SECRET_KEY_BASE_DUMMY
# (Rails' flag for a throwaway key), PASSWORD_FILE pointing at /run/secrets/…
_NOT_SECRET_SUFFIX = re.compile(
    r"_(FILE|PATH|DIR|HOST|PORT|USER|USERNAME|NAME|ID|URL|ENABLED|DISABLED|REQUIRED|METHOD|"
    r"TYPE|HEADER|EXPIRY|EXPIRES|EXPIRATION|TTL|TIMEOUT|LIFETIME|LENGTH|LEN|SIZE|DUMMY|PREFIX|"
    r"ENDPOINT|REGION|MODE|ALGORITHM|ISSUER|AUDIENCE|VERSION|PROVIDER|DOMAIN|SCOPES?|"
    r"STRATEGY|REALM|BACKEND)$",
    re.IGNORECASE,
)
_SWITCH_VALUES = {"true", "false", "yes", "no", "on", "off", "0", "1"}
_SECRET_VALUE = re.compile(
    r"(ghp_|gho_|ghs_|github_pat_|glpat-|xox[baprs]-|sk-[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|"
    r"-----BEGIN [A-Z ]*PRIVATE KEY|"
    # credentials inside a URL: https://user:password@host (PIP_EXTRA_INDEX_URL & co.)
    r"://[^/\s:@$]+:[^/\s@$]+@)"
)


# Values that hold no secret: placeholders for a build step that needs the variable set
# (`prisma generate` with DATABASE_URL=postgresql://placeholder:placeholder@localhost/x), and
# the defaults of demos (`changeit`, Java's keystore default).
_PLACEHOLDER = re.compile(
    r"^(placeholder|dummy|example|sample|changeme|change[-_]?(me|it|this)|changethis|"
    # a value that names what it is: monitoring_password, app-secret
    r"[a-z0-9]+[-_](pass|password|secret)|"
    r"x+|\*+|pass|password|secret|test|testing|foo|bar|fake|none|null|todo|unset|"
    r"replace[-_]?me|your[-_].*|<.*>)$",
    re.IGNORECASE,
)
_URL_CREDENTIALS = re.compile(r"://([^/\s:@$]+):([^/\s@$]+)@")


def placeholder(value: str) -> bool:
    """Whether ``value`` is a placeholder, or a URL whose credentials are (``user:pass``,
    ``placeholder:placeholder``, the same word twice)."""
    if _PLACEHOLDER.match(value.strip()):
        return True
    match = _URL_CREDENTIALS.search(value)
    if match is None:
        return False
    user, password = match.groups()
    return bool(_PLACEHOLDER.match(password)) or password == user


#: Passwords that are a service's own default (MARIADB_PASSWORD=mariadb in a dev .env).
_DEFAULTS = {"postgres", "mysql", "mariadb", "mongo", "mongodb", "redis", "root", "admin",
             "guest", "dev", "development", "local", "rabbitmq", "minio", "minioadmin"}  # fmt: skip


def looks_secret(name: str, value: str | None) -> bool:
    """Whether ``name=value`` holds a secret: a secret-looking name (PASSWORD, TOKEN,
    API_KEY… as a word, not a setting about one such as ``_FILE`` or ``_URL``) or a value
    that looks like a token, a private key or a URL with a password; not when the value is a
    switch (``true``, ``0``) or a placeholder (``changeme``, ``user:pass@``)."""
    by_name = bool(_SECRET_NAME.search(name)) and not _NOT_SECRET_SUFFIX.search(name)
    if value is not None and value.strip().lower() in _SWITCH_VALUES:
        by_name = False  # DISABLE_AUTH=true, USE_TOKEN=0: a switch, not a secret
    by_value = bool(value and _SECRET_VALUE.search(value))
    if value and placeholder(value):
        return False
    return by_name or by_value


def env_file_secrets(text: str) -> list[str]:
    """The names in a ``.env`` file (``KEY=value`` lines) whose values are secrets: set,
    not placeholders, not a variable reference, not a service's default nor a value the file
    also gives a setting that is no secret (the user name repeated as password)."""
    pairs = env_file_pairs(text)
    plain = {v.lower() for k, v in pairs if not looks_secret(k, v)}
    return [
        k
        for k, v in pairs
        if v
        and looks_secret(k, v)
        and not v.startswith("$")
        and v.lower() not in _DEFAULTS
        and v.lower() not in plain
    ]
