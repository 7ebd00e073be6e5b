"""Typed settings from the environment.

Every helper fails loudly with ``ImproperlyConfigured`` on a malformed value rather than
falling back silently, and ``NAME_FILE`` (a path to a file holding the value) is accepted
wherever ``NAME`` is, so secrets can come from a mounted file instead of the environment.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
# Django's PostgreSQL backend with a faster timestamp loader (brightline/postgresql/base.py).
POSTGRESQL_ENGINE = "brightline.postgresql"


def _raw(name: str) -> str | None:
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(f"{name}_FILE points at {file_name!r}, which cannot be read: {error}") from None
    return os.environ.get(name)


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be one of true/false/1/0/yes/no, not {value!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if minimum is not None and number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def secret_key(home: Path) -> str:
    """``SECRET_KEY`` from the environment, else one generated once into ``var/secret_key``."""
    return generated_secret("SECRET_KEY", home / "var" / "secret_key")


def audit_key(home: Path) -> str:
    """``BRIGHTLINE_AUDIT_KEY`` (the audit checkpoints' HMAC key), else one generated once into ``var/audit_key``."""
    return generated_secret("BRIGHTLINE_AUDIT_KEY", home / "var" / "audit_key")


def generated_secret(name: str, key_file: Path) -> str:
    """``name`` (or ``name_FILE``) from the environment, else a random value generated once into ``key_file``."""
    value = _raw(name)
    if value:
        return value
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    # Written to a private temporary file and linked into place, so that processes starting together (web
    # workers, test workers) never read a half-written key and all end up with the one that was linked first.
    temporary = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # 0600: other local users cannot read it
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(50))
        with contextlib.suppress(FileExistsError):  # another process was first: use its key
            os.link(temporary, key_file)
    finally:
        temporary.unlink(missing_ok=True)
    return key_file.read_text(encoding="utf-8").strip()


@dataclass(frozen=True)
class DatabaseUrl:
    engine: str
    name: str
    user: str = ""
    password: str = ""
    host: str = ""
    port: str = ""
    options: tuple[tuple[str, str], ...] = ()

    def as_django(self) -> dict[str, object]:
        config: dict[str, object] = {"ENGINE": self.engine, "NAME": self.name}
        if self.engine == POSTGRESQL_ENGINE:
            config.update(USER=self.user, PASSWORD=self.password, HOST=self.host, PORT=self.port)
            config["OPTIONS"] = dict(self.options)
            config["CONN_MAX_AGE"] = 60
            config["CONN_HEALTH_CHECKS"] = True
        else:
            # SQLite waits for a writer instead of failing at once with "database is locked".
            config["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
        return config


def parse_database_url(url: str, *, home: Path) -> DatabaseUrl:
    """Parse ``sqlite:///relative/path``, ``sqlite:////absolute/path`` or ``postgres://…``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} names no SQLite file")
        # sqlite:///var/x.db is relative to the Brightline home; sqlite:////tmp/x.db is absolute.
        file_path = Path(path[1:]) if path.startswith("/") else Path(path)
        if not file_path.is_absolute():
            file_path = home / file_path
        return DatabaseUrl(engine="django.db.backends.sqlite3", name=str(file_path))
    if parts.scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL {url!r} names no database")
        return DatabaseUrl(
            engine=POSTGRESQL_ENGINE,
            name=name,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname or "",
            port=str(parts.port or ""),
            options=tuple(parse_qsl(parts.query)),
        )
    raise ImproperlyConfigured(
        f"DATABASE_URL must start with sqlite:// or postgres://, not {parts.scheme or url!r}"
    )
