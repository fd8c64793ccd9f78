"""Settings read from PORTAL_* environment variables, with *_FILE variants for secrets."""

from __future__ import annotations

import logging
import os
import secrets
import sys
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
    "PORTAL_METRICS_TOKEN",
    "PORTAL_SMTP_URL",
)
ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class SettingSpec:
    """One PORTAL_* environment variable: its default and what it changes (the README table)."""

    name: str
    default: str
    description: str

    @property
    def secret(self) -> bool:
        """Secret settings may instead be read from the file named by NAME_FILE."""
        return self.name in SECRET_SETTINGS


# Every environment variable the portal reads. The README's configuration table is generated
# from this list (scripts/settings_table.py) and a test keeps the two, and the code, in step.
SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "PORTAL_ENV",
        "`development`",
        "`production` refuses to start without `PORTAL_SECRET_KEY` and `PORTAL_ENCRYPTION_KEYS`; "
        "development generates and keeps its own in the instance folder, with a warning",
    ),
    SettingSpec("PORTAL_SECRET_KEY", "generated (dev)", "signs sessions and CSRF tokens"),
    SettingSpec(
        "PORTAL_ENCRYPTION_KEYS",
        "generated (dev)",
        "comma-separated Fernet keys; the first encrypts, all decrypt "
        "(rotate by prepending a new key)",
    ),
    SettingSpec(
        "PORTAL_DATABASE_URL",
        "SQLite in the instance folder",
        "SQLAlchemy URL; `postgresql://` uses psycopg 3; SQLite runs in WAL mode with a busy "
        "timeout",
    ),
    SettingSpec(
        "PORTAL_BROKER_URL",
        "a file-based broker in the instance folder",
        "Celery broker; Redis in production",
    ),
    SettingSpec(
        "PORTAL_REDIS_URL",
        "the broker URL when it is Redis",
        "shared state: the account-wide Cognito rate limiter; without it, an in-process limiter "
        "for a single local worker",
    ),
    SettingSpec(
        "PORTAL_PUBLIC_URL",
        "`http://localhost:8000`",
        "the portal's own base URL, for links and the test sign-in callback",
    ),
    SettingSpec(
        "PORTAL_ALLOW_LOOPBACK_ISSUERS",
        "off",
        "lets http and loopback issuers through the SSRF guard, for local development and tests",
    ),
    SettingSpec("PORTAL_INSTANCE_PATH", "`./instance`", "where local state lives"),
    SettingSpec(
        "PORTAL_RUN_LEASE_SECONDS",
        "`120`",
        "how long a worker's claim on a run lasts without renewal before another worker may "
        "take it over",
    ),
    SettingSpec(
        "PORTAL_STALE_QUEUED_SECONDS",
        "`120`",
        "how long a queued run may wait before the sweep sends it to the broker again",
    ),
    SettingSpec(
        "PORTAL_AUDIT_RETENTION_DAYS",
        "unset: keep every audit event for ever",
        "when set, `portal beat` deletes, every hour, only the audit events older than this "
        "many days, leaving a checkpoint the chain verifies from (see [Audit](#audit))",
    ),
    SettingSpec(
        "PORTAL_COGNITO_MAX_ATTEMPTS",
        "`8`",
        "attempts per Cognito call (throttles and transient errors) before the step is postponed",
    ),
    SettingSpec(
        "PORTAL_COGNITO_RETRY_BASE_SECONDS",
        "`0.25`",
        "first backoff between attempts; it doubles per attempt, with full jitter",
    ),
    SettingSpec("PORTAL_COGNITO_RETRY_MAX_SECONDS", "`10`", "longest backoff between two attempts"),
    SettingSpec(
        "PORTAL_COGNITO_RATE_FRACTION",
        "`1.0`",
        "share (0-1] of Cognito's request-rate quotas the portal allows itself; lower it when "
        "other applications in the account call Cognito too",
    ),
    SettingSpec(
        "PORTAL_DRIFT_INTERVAL_HOURS",
        "`24`",
        "how often each ready tenant's live Cognito configuration is compared with its desired "
        "state by the drift sweep",
    ),
    SettingSpec(
        "PORTAL_DRIFT_BATCH",
        "`200`",
        "tenants the drift sweep checks per beat tick (every 5 minutes), oldest check first",
    ),
    SettingSpec(
        "PORTAL_DRIFT_MAX_PER_SECOND",
        "`5`",
        "drift checks per second at most (each is 3 reads: a third of UserPoolClientRead and half "
        "of UserPoolResourceRead at 5)",
    ),
    SettingSpec(
        "PORTAL_LOG_FORMAT",
        "`json` in production, `text` otherwise",
        "`json`: one JSON object per line (request id, run id, no secrets); `text`: for people",
    ),
    SettingSpec(
        "PORTAL_LOG_LEVEL",
        "`INFO`",
        "DEBUG, INFO, WARNING or ERROR (botocore, boto3 and urllib3 stay at WARNING: at DEBUG "
        "they log request and response bodies)",
    ),
    SettingSpec(
        "PORTAL_METRICS_TOKEN",
        "none",
        "when set, `portal metrics serve` answers only requests with "
        "`Authorization: Bearer <token>`",
    ),
    SettingSpec(
        "PORTAL_READYZ_COGNITO",
        "off",
        "`/readyz` also makes one cheap Cognito read (DescribeUserPool on a registered pool); "
        "off by default, so a Cognito outage does not take the web out of its load balancer",
    ),
    SettingSpec(
        "PORTAL_READYZ_TIMEOUT_SECONDS",
        "`2`",
        "how long each readiness check (database, broker, Cognito) may take",
    ),
    SettingSpec(
        "PORTAL_API_RATE_LIMIT",
        "`300`",
        "requests a minute per API token; beyond it the API answers 429 with `Retry-After`",
    ),
    SettingSpec(
        "PORTAL_ALLOW_LOOPBACK_WEBHOOKS",
        "off",
        "lets webhooks go to http and loopback URLs, for local development and tests",
    ),
    SettingSpec(
        "PORTAL_WEBHOOK_MAX_ATTEMPTS",
        "`8`",
        "attempts per webhook delivery before it is marked failed",
    ),
    SettingSpec(
        "PORTAL_WEBHOOK_RETRY_BASE_SECONDS",
        "`30`",
        "the first webhook retry's delay; each next one is 4 times longer (at most 12 h), "
        "with jitter",
    ),
    SettingSpec(
        "PORTAL_VENDOR_NAME",
        "`Your vendor`",
        "your company's name as customers see it on setup pages and in setup-link e-mails",
    ),
    SettingSpec(
        "PORTAL_SMTP_URL",
        "unset",
        "`smtp://user:pass@host:587` (STARTTLS) or `smtps://user:pass@host:465`; lets staff "
        "e-mail setup links (without it they copy them)",
    ),
    SettingSpec("PORTAL_SMTP_FROM", "`no-reply@<public host>`", "the sender of setup-link e-mails"),
    SettingSpec(
        "PORTAL_PREFLIGHT_TIMEOUT_SECONDS",
        "`5`",
        "how long each fetch of the issuer pre-flight on a setup page may take",
    ),
    SettingSpec(
        "PORTAL_COGNITO_DOMAIN_OVERRIDE",
        "unset",
        "base URL the test sign-in uses instead of the pool's hosted domain (local testing only)",
    ),
    SettingSpec(
        "PORTAL_COGNITO_ISSUER_OVERRIDE",
        "unset",
        "ID-token issuer the test sign-in expects instead of the pool's (local testing only)",
    ),
)
KNOWN_SETTINGS = frozenset(
    [s.name for s in SETTINGS] + [f"{s.name}_FILE" for s in SETTINGS if s.secret]
)
# Flask config keys that are not environment variables: set only through create_app(overrides).
INTERNAL_CONFIG_KEYS = frozenset({"PORTAL_TASKS_EAGER", "PORTAL_API_BAD_TOKEN_LIMIT"})


def settings_table() -> str:
    """The README's configuration table, generated from SETTINGS."""
    rows = ["| setting | default | what it changes |", "|---|---|---|"]
    for spec in SETTINGS:
        name = f"`{spec.name}`" + (" (+`_FILE`)" if spec.secret else "")
        rows.append(f"| {name} | {spec.default} | {spec.description} |")
    return "\n".join(rows)


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
    cognito_max_attempts: int = 8
    cognito_retry_base_seconds: float = 0.25
    cognito_retry_max_seconds: float = 10.0
    cognito_rate_fraction: float = 1.0
    drift_interval_hours: float = 24.0
    drift_batch: int = 200
    drift_max_per_second: float = 5.0
    log_format: str = "text"
    log_level: str = "INFO"
    metrics_token: str | None = None
    readyz_cognito: bool = False
    readyz_timeout_seconds: float = 2.0
    allow_loopback_webhooks: bool = False
    api_rate_limit: int = 300
    webhook_max_attempts: int = 8
    webhook_retry_base_seconds: int = 30
    vendor_name: str = "Your vendor"
    smtp_url: str | None = None
    smtp_from: str | None = None
    preflight_timeout_seconds: float = 5.0
    cognito_domain_override: str | None = None
    cognito_issuer_override: str | None = None
    audit_retention_days: int | None = None
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
            "PORTAL_COGNITO_MAX_ATTEMPTS": self.cognito_max_attempts,
            "PORTAL_COGNITO_RETRY_BASE_SECONDS": self.cognito_retry_base_seconds,
            "PORTAL_COGNITO_RETRY_MAX_SECONDS": self.cognito_retry_max_seconds,
            "PORTAL_COGNITO_RATE_FRACTION": self.cognito_rate_fraction,
            "PORTAL_DRIFT_INTERVAL_HOURS": self.drift_interval_hours,
            "PORTAL_DRIFT_BATCH": self.drift_batch,
            "PORTAL_DRIFT_MAX_PER_SECOND": self.drift_max_per_second,
            "PORTAL_LOG_FORMAT": self.log_format,
            "PORTAL_LOG_LEVEL": self.log_level,
            "PORTAL_METRICS_TOKEN": self.metrics_token,
            "PORTAL_READYZ_COGNITO": self.readyz_cognito,
            "PORTAL_READYZ_TIMEOUT_SECONDS": self.readyz_timeout_seconds,
            "PORTAL_ALLOW_LOOPBACK_WEBHOOKS": self.allow_loopback_webhooks,
            "PORTAL_API_RATE_LIMIT": self.api_rate_limit,
            "PORTAL_WEBHOOK_MAX_ATTEMPTS": self.webhook_max_attempts,
            "PORTAL_WEBHOOK_RETRY_BASE_SECONDS": self.webhook_retry_base_seconds,
            "PORTAL_VENDOR_NAME": self.vendor_name,
            "PORTAL_SMTP_URL": self.smtp_url,
            "PORTAL_SMTP_FROM": self.smtp_from,
            "PORTAL_PREFLIGHT_TIMEOUT_SECONDS": self.preflight_timeout_seconds,
            "PORTAL_COGNITO_DOMAIN_OVERRIDE": self.cognito_domain_override,
            "PORTAL_COGNITO_ISSUER_OVERRIDE": self.cognito_issuer_override,
            "PORTAL_AUDIT_RETENTION_DAYS": self.audit_retention_days,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.public_url.startswith("https://"),
            "WTF_CSRF_TIME_LIMIT": None,
        }


def process_role(argv: list[str] | None = None) -> str:
    """What this process is (worker, beat, web, cli): shown in pg_stat_activity."""
    args = sys.argv if argv is None else argv
    program = os.path.basename(args[0]) if args else ""
    command = args[1] if len(args) > 1 else ""
    if command in ("worker", "beat", "dev", "emulator"):
        return command
    if "gunicorn" in program or command == "run":
        return "web"
    return "cli"


def engine_options(database_url: str) -> dict[str, object]:
    """Engine options: SQLite waits for locks instead of failing; pools check liveness."""
    if database_url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    options: dict[str, object] = {"pool_pre_ping": True, "pool_recycle": 1800}
    if database_url.startswith("postgresql"):
        # A database that does not answer fails a connection (and /readyz) in 5s, not minutes;
        # the application name shows what each connection is in pg_stat_activity.
        options["connect_args"] = {
            "connect_timeout": 5,
            "application_name": f"portal-{process_role()}",
        }
    return options


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
    log_format, log_level = log_settings(env_vars)
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
        cognito_max_attempts=_int(env_vars, "PORTAL_COGNITO_MAX_ATTEMPTS", 8),
        cognito_retry_base_seconds=_float(env_vars, "PORTAL_COGNITO_RETRY_BASE_SECONDS", 0.25),
        cognito_retry_max_seconds=_float(env_vars, "PORTAL_COGNITO_RETRY_MAX_SECONDS", 10.0),
        cognito_rate_fraction=_float(env_vars, "PORTAL_COGNITO_RATE_FRACTION", 1.0, upper=1.0),
        drift_interval_hours=_float(env_vars, "PORTAL_DRIFT_INTERVAL_HOURS", 24.0),
        drift_batch=_int(env_vars, "PORTAL_DRIFT_BATCH", 200),
        drift_max_per_second=_float(env_vars, "PORTAL_DRIFT_MAX_PER_SECOND", 5.0),
        log_format=log_format,
        log_level=log_level,
        metrics_token=values["PORTAL_METRICS_TOKEN"],
        readyz_cognito=parse_bool(
            "PORTAL_READYZ_COGNITO", env_vars.get("PORTAL_READYZ_COGNITO") or "0"
        ),
        readyz_timeout_seconds=_float(env_vars, "PORTAL_READYZ_TIMEOUT_SECONDS", 2.0),
        allow_loopback_webhooks=parse_bool(
            "PORTAL_ALLOW_LOOPBACK_WEBHOOKS", env_vars.get("PORTAL_ALLOW_LOOPBACK_WEBHOOKS") or "0"
        ),
        api_rate_limit=_int(env_vars, "PORTAL_API_RATE_LIMIT", 300),
        webhook_max_attempts=_int(env_vars, "PORTAL_WEBHOOK_MAX_ATTEMPTS", 8),
        webhook_retry_base_seconds=_int(env_vars, "PORTAL_WEBHOOK_RETRY_BASE_SECONDS", 30),
        vendor_name=(env_vars.get("PORTAL_VENDOR_NAME") or "").strip() or "Your vendor",
        smtp_url=_smtp_url(values["PORTAL_SMTP_URL"]),
        smtp_from=(env_vars.get("PORTAL_SMTP_FROM") or "").strip() or None,
        preflight_timeout_seconds=_float(env_vars, "PORTAL_PREFLIGHT_TIMEOUT_SECONDS", 5.0),
        cognito_domain_override=_base_url(env_vars, "PORTAL_COGNITO_DOMAIN_OVERRIDE"),
        cognito_issuer_override=_base_url(env_vars, "PORTAL_COGNITO_ISSUER_OVERRIDE"),
        audit_retention_days=_optional_int(env_vars, "PORTAL_AUDIT_RETENTION_DAYS"),
        warnings=tuple(warnings),
    )


def log_settings(environ: Mapping[str, str] | None = None) -> tuple[str, str]:
    """PORTAL_LOG_FORMAT and PORTAL_LOG_LEVEL, checked: json by default in production."""
    env_vars = os.environ if environ is None else environ
    production = (env_vars.get("PORTAL_ENV") or "").strip().lower() == "production"
    log_format = (env_vars.get("PORTAL_LOG_FORMAT") or ("json" if production else "text")).lower()
    if log_format not in LOG_FORMATS:
        raise SettingsError(f"PORTAL_LOG_FORMAT must be text or json (got {log_format!r})")
    log_level = (env_vars.get("PORTAL_LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise SettingsError(
            f"PORTAL_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {log_level!r})"
        )
    return log_format, log_level


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


def _float(
    environ: Mapping[str, str], name: str, default: float, upper: float | None = None
) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number (got {raw!r})") from exc
    if not value > 0 or (upper is not None and value > upper):
        bound = f" and at most {upper}" if upper is not None else ""
        raise SettingsError(f"{name} must be greater than 0{bound} (got {raw})")
    return value


def _optional_int(environ: Mapping[str, str], name: str) -> int | None:
    """A positive whole number, or None when the setting is unset or empty."""
    if not (environ.get(name) or "").strip():
        return None
    return _int(environ, name, 0)


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
