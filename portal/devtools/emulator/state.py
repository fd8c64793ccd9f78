"""What the emulator keeps beside moto's backend: tiers, domains, styles, secrets, quotas, calls."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DEFAULT_TIER = "ESSENTIALS"
MANAGED_LOGIN_TIERS = frozenset({"ESSENTIALS", "PLUS"})
DEFAULT_MAX_CLIENTS = 1000
DEFAULT_MAX_IDENTITY_PROVIDERS = 300
MAX_STYLES_PER_POOL = 20
MAX_CUSTOM_ATTRIBUTES = 50
MAX_SECRETS_PER_CLIENT = 2


@dataclass(frozen=True)
class CallRecord:
    """One Cognito operation the emulator received, and how it ended."""

    operation: str
    user_pool_id: str | None
    outcome: str  # "ok" | "error"
    error_code: str | None
    request_id: str
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (`at` as ISO 8601)."""
        return {
            "operation": self.operation,
            "user_pool_id": self.user_pool_id,
            "outcome": self.outcome,
            "error_code": self.error_code,
            "request_id": self.request_id,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallRecord:
        """Inverse of to_dict."""
        return cls(
            operation=data["operation"],
            user_pool_id=data.get("user_pool_id"),
            outcome=data["outcome"],
            error_code=data.get("error_code"),
            request_id=data["request_id"],
            at=datetime.fromisoformat(data["at"]),
        )


@dataclass
class Branding:
    """A managed-login style bound to one app client."""

    branding_id: str
    user_pool_id: str
    client_id: str
    use_cognito_provided_values: bool
    settings: dict[str, Any] | None
    assets: list[dict[str, Any]]
    created: float = field(default_factory=time.time)
    modified: float = field(default_factory=time.time)


@dataclass
class ClientSecret:
    """One of an app client's (at most two) secrets."""

    secret_id: str
    value: str
    created: float = field(default_factory=time.time)
    supplied: bool = False  # the caller chose the value (AddUserPoolClientSecret's ClientSecret)

    def descriptor(self, with_value: bool = False) -> dict[str, Any]:
        """ClientSecretDescriptorType; the value only when it is first created."""
        out: dict[str, Any] = {
            "ClientSecretId": self.secret_id,
            "ClientSecretCreateDate": self.created,
        }
        if with_value:
            out["ClientSecretValue"] = self.value
        return out


@dataclass
class PoolQuotas:
    """The adjustable per-pool resource quotas."""

    max_clients: int = DEFAULT_MAX_CLIENTS
    max_identity_providers: int = DEFAULT_MAX_IDENTITY_PROVIDERS


class EmulatorState:
    """All extra state, guarded by one re-entrant lock that also serialises calls into moto."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._calls_lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything."""
        with self.lock:
            self.tiers: dict[str, str] = {}
            self.domain_versions: dict[tuple[str, str], int] = {}  # (region, domain)
            self.brandings: dict[str, dict[str, Branding]] = {}
            self.secrets: dict[tuple[str, str], list[ClientSecret]] = {}
            self.client_dates: dict[tuple[str, str], list[float]] = {}
            self.quotas: dict[str, PoolQuotas] = {}
            # AWS does not document whether DescribeUserPoolClient returns a secret the caller
            # supplied; off: it does, on: ClientSecret is left out (try both readings).
            self.hide_supplied_secrets = False
        self.clear_calls()

    def tier(self, user_pool_id: str) -> str:
        """The pool's feature plan."""
        return self.tiers.get(user_pool_id, DEFAULT_TIER)

    def pool_quotas(self, user_pool_id: str) -> PoolQuotas:
        """The pool's quotas (defaults until set)."""
        return self.quotas.setdefault(user_pool_id, PoolQuotas())

    def styles(self, user_pool_id: str) -> dict[str, Branding]:
        """The pool's managed-login styles by id."""
        return self.brandings.setdefault(user_pool_id, {})

    def style_for_client(self, user_pool_id: str, client_id: str) -> Branding | None:
        """The style bound to a client, if any."""
        return next(
            (b for b in self.styles(user_pool_id).values() if b.client_id == client_id), None
        )

    def forget_client(self, user_pool_id: str, client_id: str) -> None:
        """Drop a deleted client's style, secrets and dates."""
        styles = self.styles(user_pool_id)
        for branding_id in [k for k, b in styles.items() if b.client_id == client_id]:
            del styles[branding_id]
        self.secrets.pop((user_pool_id, client_id), None)
        self.client_dates.pop((user_pool_id, client_id), None)

    def forget_pool(self, user_pool_id: str) -> None:
        """Drop everything a deleted pool owned."""
        self.tiers.pop(user_pool_id, None)
        self.brandings.pop(user_pool_id, None)
        self.quotas.pop(user_pool_id, None)
        for key in [k for k in self.secrets if k[0] == user_pool_id]:
            del self.secrets[key]
        for key in [k for k in self.client_dates if k[0] == user_pool_id]:
            del self.client_dates[key]

    def record(self, record: CallRecord) -> None:
        """Append to the call log."""
        with self._calls_lock:
            self._calls.append(record)

    def calls(self) -> list[CallRecord]:
        """The call log, oldest first."""
        with self._calls_lock:
            return list(self._calls)

    def clear_calls(self) -> None:
        """Empty the call log."""
        with self._calls_lock:
            self._calls: list[CallRecord] = []


def now_utc() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)
