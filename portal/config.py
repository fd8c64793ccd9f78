"""Settings: every PORTAL_* environment variable, declared once as a field of `Settings`.

Each field carries its row: the variable's name, its parser, its default, what it changes,
whether it is a secret (then NAME_FILE may name a file holding it) and where .env.example lists
it. `load_settings` reads every row in one loop and writes nothing; the development instance's
generated keys are provisioned only by `provision_instance`, when an app is built. The README's
table and .env.example are generated from the rows (scripts/settings_docs.py), and tests keep
them, the code and the rows in step.
"""

from __future__ import annotations

import os
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
ENVIRONMENTS = ("development", "production")
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
APP_DIR_NAME = "cognito-tenant-portal"
EXTENSION_KEY = "portal.settings"


class SettingsError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


# --- Parsers: (name, raw text) -> value, or SettingsError naming the variable -----------------

Parser = Callable[[str, str], Any]


def text(_name: str, raw: str) -> str:
    return raw.strip()


def boolean(name: str, raw: str) -> bool:
    """1/0, true/false, yes/no, on/off, the way operators write them."""
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be one of 1/0, true/false, yes/no, on/off (got {raw!r})")


def whole(name: str, raw: str) -> int:
    """A positive whole number."""
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number (got {raw!r})") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive (got {value})")
    return value


def count(name: str, raw: str) -> int:
    """A whole number, 0 or more."""
    try:
        value = int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number (got {raw!r})") from exc
    if value < 0:
        raise SettingsError(f"{name} must be 0 or more (got {value})")
    return value


def number(name: str, raw: str) -> float:
    """A number greater than 0."""
    try:
        value = float(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number (got {raw!r})") from exc
    if not value > 0:
        raise SettingsError(f"{name} must be greater than 0 (got {raw})")
    return value


def fraction(name: str, raw: str) -> float:
    """A share in (0, 1]."""
    value = number(name, raw)
    if value > 1.0:
        raise SettingsError(f"{name} must be greater than 0 and at most 1.0 (got {raw})")
    return value


def one_of(*choices: str, upper: bool = False) -> Parser:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().upper() if upper else raw.strip().lower()
        if value not in choices:
            raise SettingsError(f"{name} must be one of {', '.join(choices)} (got {raw!r})")
        return value

    return parse


def http_url(name: str, raw: str) -> str:
    """An absolute http(s) URL, without its trailing slash."""
    value = raw.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{name} must be an absolute http(s) URL (got {value!r})")
    return value


def folder(_name: str, raw: str) -> Path:
    return Path(raw).expanduser().resolve()


def database_url(_name: str, raw: str) -> str:
    """A SQLAlchemy URL; plain postgresql:// URLs use psycopg 3."""
    url = raw.strip()
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def fernet_keys(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated Fernet keys; the first one encrypts. Never echoed in an error."""
    from cryptography.fernet import Fernet

    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    if not keys:
        raise SettingsError(f"{name} holds no key")
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError) as exc:
            raise SettingsError(
                f"{name} key #{position} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc
    return keys


def smtp_url(name: str, raw: str) -> str:
    """smtp://[user:pass@]host[:port] (STARTTLS) or smtps://... (TLS from the start)."""
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        # Never echo the value: it may hold the SMTP password.
        raise SettingsError(f"{name} must look like smtp://user:pass@host:587 or smtps://")
    return value


def resolvers(name: str, raw: str) -> tuple[tuple[str, int], ...]:
    """Comma-separated DNS servers as IP[:port] ([v6]:port for IPv6); port 53 by default."""
    import ipaddress

    found = []
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        host, port = entry, "53"
        if entry.startswith("["):
            host, _, rest = entry[1:].partition("]")
            port = rest.removeprefix(":") or "53"
        elif entry.count(":") == 1:
            host, port = entry.split(":")
        try:
            address = str(ipaddress.ip_address(host))
            number = int(port)
        except ValueError as exc:
            raise SettingsError(
                f"{name} entries are IP addresses with an optional port, e.g. 10.0.0.2 or "
                f"127.0.0.1:5353 or [::1]:53 (got {entry!r})"
            ) from exc
        if not 0 < number < 65536:
            raise SettingsError(f"{name}: {number} is not a port (got {entry!r})")
        found.append((address, number))
    if not found:
        raise SettingsError(f"{name} names no server")
    return tuple(found)


# --- Defaults computed from the settings read before them --------------------------------------


def default_instance_path(_values: Mapping[str, Any]) -> Path:
    """One folder per user, found the same wherever a command runs (XDG base directories)."""
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home).expanduser().resolve() / APP_DIR_NAME


def _sqlite_in_instance(values: Mapping[str, Any]) -> str:
    return f"sqlite:///{values['instance_path'] / 'portal.db'}"


def _broker_in_instance(values: Mapping[str, Any]) -> str:
    return f"filesystem://{values['instance_path'] / 'broker'}"


def _redis_of_broker(values: Mapping[str, Any]) -> str | None:
    broker = values["broker_url"]
    return broker if broker.startswith(("redis://", "rediss://")) else None


def _log_format_of_env(values: Mapping[str, Any]) -> str:
    return "json" if values["env"] == "production" else "text"


# --- The rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """How one setting is read and documented."""

    env: str | None  # None: internal, set only through create_app's overrides
    parse: Parser
    default: Any
    doc: str
    shown: str  # the README's "default" column
    secret: bool = False  # may be read from the file named by NAME_FILE
    derive: Callable[[Mapping[str, Any]], Any] | None = None
    required_in_production: bool = False
    section: str = "tuning"  # where .env.example lists it
    example: str | None = None  # .env.example's value (sections required/recommended/optional)
    hint: str = ""  # .env.example: how to generate it

    @property
    def names(self) -> tuple[str, ...]:
        """The environment variables this row reads."""
        if self.env is None:
            return ()
        return (self.env, f"{self.env}_FILE") if self.secret else (self.env,)


def setting(
    env: str | None,
    parse: Parser,
    default: Any = None,
    *,
    doc: str,
    shown: str | None = None,
    **options: Any,
) -> Any:
    """A Settings field whose metadata is its row."""
    if shown is None:
        shown = "unset" if default is None else f"`{_env_text(default)}`"
    row = Row(env, parse, default, doc, shown, **options)
    return field(metadata={"row": row})


def _env_text(value: Any) -> str:
    """A value as one would write it in the environment."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Settings:
    """The portal's resolved configuration; `current_settings()` inside an app context."""

    env: str = setting(
        "PORTAL_ENV",
        one_of(*ENVIRONMENTS),
        "development",
        doc="`production` refuses to start without `PORTAL_SECRET_KEY` and "
        "`PORTAL_ENCRYPTION_KEYS`; development generates and keeps its own in the instance "
        "folder, with a warning",
        section="stack",
        example="production",
    )
    instance_path: Path = setting(
        "PORTAL_INSTANCE_PATH",
        folder,
        derive=default_instance_path,
        doc="where local state lives (development keys, SQLite, the file broker); the same "
        "folder for every command, wherever it runs",
        shown="`$XDG_DATA_HOME/cognito-tenant-portal` (`~/.local/share/...`)",
        section="stack",
        example="/var/lib/portal",
    )
    secret_key: str | None = setting(
        "PORTAL_SECRET_KEY",
        text,
        doc="signs sessions and CSRF tokens",
        shown="generated (dev)",
        secret=True,
        required_in_production=True,
        section="required",
        example="",
        hint='python3 -c "import secrets; print(secrets.token_urlsafe(48))"',
    )
    encryption_keys: tuple[str, ...] | None = setting(
        "PORTAL_ENCRYPTION_KEYS",
        fernet_keys,
        doc="comma-separated Fernet keys; the first encrypts, all decrypt (rotate by prepending "
        "a new key)",
        shown="generated (dev)",
        secret=True,
        required_in_production=True,
        section="required",
        example="",
        hint='python3 -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"',
    )
    database_url: str = setting(
        "PORTAL_DATABASE_URL",
        database_url,
        derive=_sqlite_in_instance,
        doc="SQLAlchemy URL; `postgresql://` uses psycopg 3; SQLite runs in WAL mode with a busy "
        "timeout",
        shown="SQLite in the instance folder",
        secret=True,
        section="stack",
        example="postgresql://portal:PASSWORD@db.example.internal:5432/portal",
    )
    broker_url: str = setting(
        "PORTAL_BROKER_URL",
        text,
        derive=_broker_in_instance,
        doc="Celery broker; Redis in production",
        shown="a file-based broker in the instance folder",
        secret=True,
        section="stack",
        example="redis://redis:6379/0",
    )
    redis_url: str | None = setting(
        "PORTAL_REDIS_URL",
        text,
        derive=_redis_of_broker,
        doc="shared state: the account-wide Cognito rate limiter and what each pool is known to "
        "hold; without it, an in-process limiter and notes for a single local worker",
        shown="the broker URL when it is Redis",
        secret=True,
        section="stack",
        example="redis://redis:6379/0",
    )
    public_url: str = setting(
        "PORTAL_PUBLIC_URL",
        http_url,
        "http://localhost:8000",
        doc="the portal's own base URL, for links and the test sign-in callback",
        section="required",
        example="https://portal.example.com",
    )
    allow_loopback_issuers: bool = setting(
        "PORTAL_ALLOW_LOOPBACK_ISSUERS",
        boolean,
        False,
        doc="lets http and loopback issuers through the SSRF guard, for local development and "
        "tests",
    )
    run_lease_seconds: int = setting(
        "PORTAL_RUN_LEASE_SECONDS",
        whole,
        120,
        doc="how long a worker's claim on a run lasts without renewal before another worker may "
        "take it over",
    )
    stale_queued_seconds: int = setting(
        "PORTAL_STALE_QUEUED_SECONDS",
        whole,
        120,
        doc="how long a queued run may wait before the sweep sends it to the broker again",
    )
    run_wait_poll_seconds: float = setting(
        "PORTAL_RUN_WAIT_POLL_SECONDS",
        number,
        2.0,
        doc="how often `--wait` and the progress page re-read a run they wait on when no "
        "notice of its change arrived (workers announce every change; this is the fallback)",
    )
    progress_hold_seconds: float = setting(
        "PORTAL_PROGRESS_HOLD_SECONDS",
        number,
        20.0,
        doc="how long the progress page's request for news of an active run is held open when "
        "nothing changes (a long poll: it answers as soon as the run moves)",
    )
    audit_retention_days: int | None = setting(
        "PORTAL_AUDIT_RETENTION_DAYS",
        whole,
        doc="when set, `portal beat` deletes, every hour, only the audit events older than this "
        "many days, leaving a checkpoint the chain verifies from (see [Audit](#audit))",
        shown="unset: keep every audit event for ever",
    )
    cognito_max_attempts: int = setting(
        "PORTAL_COGNITO_MAX_ATTEMPTS",
        whole,
        8,
        doc="attempts per Cognito call (throttles and transient errors) before the step is "
        "postponed",
    )
    cognito_retry_base_seconds: float = setting(
        "PORTAL_COGNITO_RETRY_BASE_SECONDS",
        number,
        0.25,
        doc="first backoff between attempts; it doubles per attempt, with full jitter",
    )
    cognito_retry_max_seconds: float = setting(
        "PORTAL_COGNITO_RETRY_MAX_SECONDS",
        number,
        10.0,
        doc="longest backoff between two attempts",
    )
    cognito_rate_fraction: float = setting(
        "PORTAL_COGNITO_RATE_FRACTION",
        fraction,
        1.0,
        doc="share (0-1] of Cognito's request-rate quotas the portal allows itself; lower it "
        "when other applications in the account call Cognito too",
        shown="`1.0`",
    )
    background_quota_share: float = setting(
        "PORTAL_BACKGROUND_QUOTA_SHARE",
        fraction,
        0.1,
        doc="share (0-1] of each Cognito quota category that background work (the drift sweep) "
        "may use while runs are queued or running; with no run active it may use the whole rate",
        shown="`0.1`",
    )
    drift_interval_hours: float = setting(
        "PORTAL_DRIFT_INTERVAL_HOURS",
        number,
        24.0,
        doc="how often each ready tenant's live Cognito configuration is compared with its "
        "desired state by the drift sweep",
    )
    drift_batch: int = setting(
        "PORTAL_DRIFT_BATCH",
        whole,
        200,
        doc="tenants the drift sweep checks per beat tick (every 5 minutes), oldest check first",
    )
    drift_max_per_second: float = setting(
        "PORTAL_DRIFT_MAX_PER_SECOND",
        number,
        5.0,
        doc="drift checks per second at most (each is 3 reads: a third of UserPoolClientRead "
        "and half of UserPoolResourceRead at 5)",
    )
    dns_resolvers: tuple[tuple[str, int], ...] | None = setting(
        "PORTAL_DNS_RESOLVERS",
        resolvers,
        doc="DNS servers (`IP[:port]`, comma-separated) that check claimed e-mail domains' TXT "
        "records; unset: the system's resolvers (/etc/resolv.conf)",
        shown="the system's",
    )
    dns_timeout_seconds: float = setting(
        "PORTAL_DNS_TIMEOUT_SECONDS",
        number,
        5.0,
        doc="how long one TXT lookup of a claimed domain may take, all servers included",
    )
    dns_check_minutes: float = setting(
        "PORTAL_DNS_CHECK_MINUTES",
        number,
        15.0,
        doc="how often beat looks again for the TXT record of each unverified domain claim",
    )
    log_format: str = setting(
        "PORTAL_LOG_FORMAT",
        one_of(*LOG_FORMATS),
        derive=_log_format_of_env,
        example="json",
        doc="`json`: one JSON object per line (request id, run id, no secrets); `text`: for people",
        shown="`json` in production, `text` otherwise",
    )
    log_level: str = setting(
        "PORTAL_LOG_LEVEL",
        one_of(*LOG_LEVELS, upper=True),
        "INFO",
        doc="DEBUG, INFO, WARNING or ERROR (botocore, boto3 and urllib3 stay at WARNING: at "
        "DEBUG they log request and response bodies)",
    )
    metrics_token: str | None = setting(
        "PORTAL_METRICS_TOKEN",
        text,
        doc="when set, `portal metrics serve` answers only requests with "
        "`Authorization: Bearer <token>`",
        shown="none",
        secret=True,
        section="recommended",
        example="",
        hint='python3 -c "import secrets; print(secrets.token_urlsafe(32))"',
    )
    readyz_cognito: bool = setting(
        "PORTAL_READYZ_COGNITO",
        boolean,
        False,
        doc="`/readyz` also makes one cheap Cognito read (DescribeUserPool on a registered "
        "pool); off by default, so a Cognito outage does not take the web out of its load "
        "balancer",
    )
    readyz_timeout_seconds: float = setting(
        "PORTAL_READYZ_TIMEOUT_SECONDS",
        number,
        2.0,
        doc="how long each readiness check (database, broker, Cognito) may take",
    )
    session_idle_minutes: int = setting(
        "PORTAL_SESSION_IDLE_MINUTES",
        whole,
        30,
        doc="a signed-in browser session ends after this many minutes without a request (pages "
        "that refresh themselves, like a run's progress, do not count as activity)",
    )
    session_max_hours: int = setting(
        "PORTAL_SESSION_MAX_HOURS",
        whole,
        12,
        doc="a session ends this many hours after sign-in, however active; the session cookie's "
        "signature expires then too",
    )
    password_reset_hours: int = setting(
        "PORTAL_PASSWORD_RESET_HOURS",
        whole,
        24,
        doc="how long an admin-issued password-reset link stays usable (it works once)",
    )
    trusted_proxies: int = setting(
        "PORTAL_TRUSTED_PROXIES",
        count,
        0,
        doc="how many reverse proxies (load balancer, nginx) stand in front of the portal and "
        "set `X-Forwarded-For` and `X-Forwarded-Proto`; the portal then takes the client's "
        "address and scheme from those headers; 0 when clients connect directly, as anyone can "
        "send the headers (see [Behind a reverse proxy](#behind-a-reverse-proxy))",
        section="recommended",
        example="0",
    )
    api_rate_limit: int = setting(
        "PORTAL_API_RATE_LIMIT",
        whole,
        300,
        doc="requests a minute per API token; beyond it the API answers 429 with `Retry-After`",
    )
    allow_loopback_webhooks: bool = setting(
        "PORTAL_ALLOW_LOOPBACK_WEBHOOKS",
        boolean,
        False,
        doc="lets webhooks go to http and loopback URLs, for local development and tests",
    )
    webhook_max_attempts: int = setting(
        "PORTAL_WEBHOOK_MAX_ATTEMPTS",
        whole,
        8,
        doc="attempts per webhook delivery before it is marked failed",
    )
    webhook_retry_base_seconds: int = setting(
        "PORTAL_WEBHOOK_RETRY_BASE_SECONDS",
        whole,
        30,
        doc="the first webhook retry's delay; each next one is 4 times longer (at most 12 h), "
        "with jitter",
    )
    vendor_name: str = setting(
        "PORTAL_VENDOR_NAME",
        text,
        "Your vendor",
        doc="your company's name as customers see it on setup pages and in setup-link e-mails",
        section="optional",
        example="Your vendor",
    )
    vendor_contact: str | None = setting(
        "PORTAL_VENDOR_CONTACT",
        text,
        doc="whom customers ask for a new setup link when theirs expired (an e-mail address or "
        "a team), shown on the page an expired or replaced link opens",
        shown="the person who sent the link",
        section="optional",
        example="onboarding@vendor.example",
    )
    smtp_url: str | None = setting(
        "PORTAL_SMTP_URL",
        smtp_url,
        doc="`smtp://user:pass@host:587` (STARTTLS) or `smtps://user:pass@host:465`; lets staff "
        "e-mail setup links (without it they copy them)",
        secret=True,
        section="optional",
        example="smtp://user:password@smtp.example.com:587",
    )
    smtp_from: str | None = setting(
        "PORTAL_SMTP_FROM",
        text,
        doc="the sender of setup-link e-mails",
        shown="`no-reply@<public host>`",
        section="optional",
        example="no-reply@portal.example.com",
    )
    preflight_timeout_seconds: float = setting(
        "PORTAL_PREFLIGHT_TIMEOUT_SECONDS",
        number,
        5.0,
        doc="how long each fetch of the issuer pre-flight on a setup page may take",
    )
    cognito_domain_override: str | None = setting(
        "PORTAL_COGNITO_DOMAIN_OVERRIDE",
        http_url,
        doc="base URL the test sign-in uses instead of the pool's hosted domain (local testing "
        "only)",
    )
    cognito_issuer_override: str | None = setting(
        "PORTAL_COGNITO_ISSUER_OVERRIDE",
        http_url,
        doc="ID-token issuer the test sign-in expects instead of the pool's (local testing only)",
    )
    # Internal: set only through create_app's overrides (tests, benchmarks).
    api_bad_token_limit: int = setting(
        None, whole, 30, doc="unknown API tokens one address may present per 10 minutes"
    )
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def mail_sender(self) -> str:
        """PORTAL_SMTP_FROM, or no-reply at the portal's own host."""
        host = urlsplit(self.public_url).hostname or "localhost"
        return self.smtp_from or f"no-reply@{host}"

    def flask_config(self) -> dict[str, object]:
        """Flask's and its extensions' own keys; the portal reads `current_settings()`."""
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(self.database_url),
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.public_url.startswith("https://"),
            "WTF_CSRF_TIME_LIMIT": None,
            # Bounds the session cookie's signature too: no cookie outlives the absolute lifetime.
            "PERMANENT_SESSION_LIFETIME": timedelta(hours=self.session_max_hours),
        }


ROWS: tuple[tuple[str, Row], ...] = tuple(
    (f.name, f.metadata["row"]) for f in fields(Settings) if "row" in f.metadata
)
KNOWN_SETTINGS = frozenset(name for _attr, row in ROWS for name in row.names)


def row_of(env: str) -> Row:
    return next(row for _attr, row in ROWS if row.env == env)


def read_setting(environ: Mapping[str, str], name: str, secret: bool) -> str | None:
    """NAME from the environment, or (secrets) the contents of the file named by NAME_FILE."""
    value = environ.get(name)
    file_name = environ.get(f"{name}_FILE") if secret else None
    if value and file_name:
        raise SettingsError(f"set either {name} or {name}_FILE, not both")
    if file_name:
        try:
            value = Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                f"{name}_FILE names {file_name}, which cannot be read: {exc}"
            ) from exc
    if value is None or not value.strip():
        return None
    return value


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Read every row from the environment (nothing is written); fail fast on a bad value.

    OVERRIDES, by field name, replace what the environment says (tests and benchmarks).
    """
    env_vars = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    for attr, row in ROWS:
        if attr in overrides:
            values[attr] = overrides.pop(attr)
            continue
        raw = read_setting(env_vars, row.env, row.secret) if row.env else None
        if raw is not None:
            values[attr] = row.parse(row.env, raw)
        elif row.derive is not None:
            values[attr] = row.derive(values)
        else:
            values[attr] = row.default
    if overrides:
        raise SettingsError(f"unknown settings: {', '.join(sorted(overrides))}")
    missing = [
        row.env
        for attr, row in ROWS
        if row.required_in_production and values[attr] is None and values["env"] == "production"
    ]
    if missing:
        raise SettingsError(
            "production refuses to start without "
            + " and ".join(missing)
            + " (set each, or the same name with _FILE pointing at a file holding it)"
        )
    warnings = []
    if values["env"] == "production" and not values["public_url"].startswith("https://"):
        warnings.append("PORTAL_PUBLIC_URL is not https: session cookies will not be marked Secure")
    return Settings(**values, warnings=tuple(warnings))


def provision_instance(settings: Settings) -> Settings:
    """Development: the secret key and encryption keys kept in the instance folder, made once."""
    if settings.secret_key and settings.encryption_keys:
        return settings
    from cryptography.fernet import Fernet

    warnings = list(settings.warnings)
    secret_key = settings.secret_key or _instance_secret(
        settings.instance_path, "secret_key", lambda: secrets.token_urlsafe(48), warnings
    )
    keys = settings.encryption_keys or fernet_keys(
        "PORTAL_ENCRYPTION_KEYS",
        _instance_secret(
            settings.instance_path,
            "encryption_keys",
            lambda: Fernet.generate_key().decode(),
            warnings,
        ),
    )
    return replace(settings, secret_key=secret_key, encryption_keys=keys, warnings=tuple(warnings))


def _instance_secret(instance: Path, name: str, make, warnings: list[str]) -> str:
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


def settings_of(app: Any) -> Settings:
    """The settings an app was built with."""
    return app.extensions[EXTENSION_KEY]


def current_settings() -> Settings:
    """The settings of the app in the current context."""
    from flask import current_app

    return settings_of(current_app)


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


def engine_options(url: str) -> dict[str, object]:
    """Engine options: SQLite waits for locks instead of failing; pools check liveness."""
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    options: dict[str, object] = {"pool_pre_ping": True, "pool_recycle": 1800}
    if url.startswith("postgresql"):
        # A database that does not answer fails a connection (and /readyz) in 5s, not minutes;
        # the application name shows what each connection is in pg_stat_activity.
        options["connect_args"] = {
            "connect_timeout": 5,
            "application_name": f"portal-{process_role()}",
        }
    return options
