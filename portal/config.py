"""Settings read from PORTAL_* environment variables, with *_FILE variants for secrets."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

log = logging.getLogger(__name__)

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
SECRET_SETTINGS = (
    "PORTAL_SECRET_KEY",
    "PORTAL_ENCRYPTION_KEYS",
    "PORTAL_DATABASE_URL",
    "PORTAL_BROKER_URL",
    "PORTAL_REDIS_URL",
    "PORTAL_SMTP_URL",
)
ENVIRONMENTS = ("development", "production")


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


def parse_bool(name: str, raw: str) -> bool:
    """Read a boolean the way operators write them: 1/0, true/false, yes/no, on/off."""
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be one of 1/0, true/false, yes/no, on/off (got {raw!r})")


def read_setting(environ: Mapping[str, str], name: str) -> str | None:
    """Return NAME from the environment, or the contents of the file named by NAME_FILE."""
    value = environ.get(name)
    file_name = environ.get(f"{name}_FILE")
    if value and file_name:
        raise SettingsError(f"set either {name} or {name}_FILE, not both")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                f"{name}_FILE names {file_name}, which cannot be read: {exc}"
            ) from exc
    return value or None


@dataclass(frozen=True)
class Settings:
    """The portal's resolved configuration."""

    env: str
    instance_path: Path
    secret_key: str
    encryption_keys: tuple[str, ...]
    database_url: str
    broker_url: str
    redis_url: str | None
    public_url: str
    allow_loopback_issuers: bool
    run_lease_seconds: int = 120
    stale_queued_seconds: int = 120
    vendor_name: str = "Your vendor"
    smtp_url: str | None = None
    smtp_from: str | None = None
    cognito_domain_override: str | None = None
    cognito_issuer_override: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def flask_config(self) -> dict[str, object]:
        """The Flask config keys these settings map to."""
        return {
            "PORTAL_ENV": self.env,
            "SECRET_KEY": self.secret_key,
            "PORTAL_ENCRYPTION_KEYS": self.encryption_keys,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(self.database_url),
            "PORTAL_BROKER_URL": self.broker_url,
            "PORTAL_REDIS_URL": self.redis_url,
            "PORTAL_PUBLIC_URL": self.public_url,
            "PORTAL_ALLOW_LOOPBACK_ISSUERS": self.allow_loopback_issuers,
            "PORTAL_RUN_LEASE_SECONDS": self.run_lease_seconds,
            "PORTAL_STALE_QUEUED_SECONDS": self.stale_queued_seconds,
            "PORTAL_VENDOR_NAME": self.vendor_name,
            "PORTAL_SMTP_URL": self.smtp_url,
            "PORTAL_SMTP_FROM": self.smtp_from,
            "PORTAL_COGNITO_DOMAIN_OVERRIDE": self.cognito_domain_override,
            "PORTAL_COGNITO_ISSUER_OVERRIDE": self.cognito_issuer_override,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.public_url.startswith("https://"),
            "WTF_CSRF_TIME_LIMIT": None,
        }


def engine_options(database_url: str) -> dict[str, object]:
    """Engine options: SQLite waits for locks instead of failing; pools check liveness."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True, "pool_recycle": 1800}


def default_instance_path() -> Path:
    """Where local state lives unless PORTAL_INSTANCE_PATH says otherwise."""
    return Path.cwd() / "instance"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Resolve settings from the environment; fail fast in production, self-provision in dev."""
    env_vars = os.environ if environ is None else environ
    env = (env_vars.get("PORTAL_ENV") or "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise SettingsError(f"PORTAL_ENV must be development or production (got {env!r})")
    instance = Path(env_vars.get("PORTAL_INSTANCE_PATH") or default_instance_path()).resolve()
    values = {name: read_setting(env_vars, name) for name in SECRET_SETTINGS}
    warnings: list[str] = []

    if env == "production":
        missing = [n for n in ("PORTAL_SECRET_KEY", "PORTAL_ENCRYPTION_KEYS") if not values[n]]
        if missing:
            raise SettingsError(
                "production refuses to start without "
                + " and ".join(missing)
                + " (set each, or the same name with _FILE pointing at a file holding it)"
            )
    secret_key = values["PORTAL_SECRET_KEY"] or _instance_secret(
        instance, "secret_key", lambda: secrets.token_urlsafe(48), warnings
    )
    keys_raw = values["PORTAL_ENCRYPTION_KEYS"] or _instance_secret(
        instance, "encryption_keys", lambda: Fernet.generate_key().decode(), warnings
    )
    encryption_keys = parse_encryption_keys(keys_raw)

    database_url = values["PORTAL_DATABASE_URL"] or f"sqlite:///{instance / 'portal.db'}"
    database_url = normalise_database_url(database_url)
    broker_url = values["PORTAL_BROKER_URL"] or f"filesystem://{instance / 'broker'}"
    redis_url = values["PORTAL_REDIS_URL"]
    if not redis_url and broker_url.startswith(("redis://", "rediss://")):
        redis_url = broker_url
    public_url = (env_vars.get("PORTAL_PUBLIC_URL") or "http://localhost:8000").rstrip("/")
    parts = urlsplit(public_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(
            f"PORTAL_PUBLIC_URL must be an absolute http(s) URL (got {public_url!r})"
        )
    if env == "production" and parts.scheme != "https":
        warnings.append("PORTAL_PUBLIC_URL is not https: session cookies will not be marked Secure")
    allow_loopback = parse_bool(
        "PORTAL_ALLOW_LOOPBACK_ISSUERS", env_vars.get("PORTAL_ALLOW_LOOPBACK_ISSUERS") or "0"
    )
    return Settings(
        env=env,
        instance_path=instance,
        secret_key=secret_key,
        encryption_keys=encryption_keys,
        database_url=database_url,
        broker_url=broker_url,
        redis_url=redis_url,
        public_url=public_url,
        allow_loopback_issuers=allow_loopback,
        run_lease_seconds=_int(env_vars, "PORTAL_RUN_LEASE_SECONDS", 120),
        stale_queued_seconds=_int(env_vars, "PORTAL_STALE_QUEUED_SECONDS", 120),
        vendor_name=(env_vars.get("PORTAL_VENDOR_NAME") or "").strip() or "Your vendor",
        smtp_url=_smtp_url(values["PORTAL_SMTP_URL"]),
        smtp_from=(env_vars.get("PORTAL_SMTP_FROM") or "").strip() or None,
        cognito_domain_override=_base_url(env_vars, "PORTAL_COGNITO_DOMAIN_OVERRIDE"),
        cognito_issuer_override=_base_url(env_vars, "PORTAL_COGNITO_ISSUER_OVERRIDE"),
        warnings=tuple(warnings),
    )


def parse_encryption_keys(raw: str) -> tuple[str, ...]:
    """Split and check comma-separated Fernet keys; the first one encrypts."""
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    if not keys:
        raise SettingsError("PORTAL_ENCRYPTION_KEYS holds no key")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError) as exc:
            raise SettingsError(
                f"PORTAL_ENCRYPTION_KEYS key #{position} is not a Fernet key "
                "(32 url-safe base64-encoded bytes)"
            ) from exc
    return keys


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number (got {raw!r})") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive (got {value})")
    return value


def _base_url(environ: Mapping[str, str], name: str) -> str | None:
    """An optional absolute http(s) base URL, without its trailing slash."""
    raw = (environ.get(name) or "").strip().rstrip("/")
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an absolute http(s) URL (got {raw!r})")
    return raw


def _smtp_url(raw: str | None) -> str | None:
    """smtp://[user:pass@]host[:port] (STARTTLS) or smtps://... (TLS from the start)."""
    if not raw:
        return None
    parts = urlsplit(raw.strip())
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        # Never echo the value: it may hold the SMTP password.
        raise SettingsError("PORTAL_SMTP_URL must look like smtp://user:pass@host:587 or smtps://")
    return raw.strip()


def _instance_secret(instance: Path, name: str, make, warnings: list[str]) -> str:
    """Development only: read or create a secret kept in the instance folder."""
    path = instance / name
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    instance.mkdir(parents=True, exist_ok=True)
    value = make()
    temporary = path.with_name(f".{name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value)
    try:
        os.link(temporary, path)  # appears whole or not at all; fails if another process won
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    finally:
        temporary.unlink(missing_ok=True)
    warnings.append(f"development: generated {name} in {path}; set it explicitly in production")
    return value
