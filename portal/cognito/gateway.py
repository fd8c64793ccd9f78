"""The one door to Cognito: boto3 with its retries off, our limiter, our retries, our ledger.

botocore's own retries would hide throttles (and its standard mode retries
LimitExceededException, which is a full quota, not a transient error), so every attempt goes
through here: it waits for the shared rate limiter, is timed and recorded in the call ledger,
and is retried with capped exponential backoff and full jitter only when retrying is safe.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from portal.cognito.errors import (
    AmbiguousOutcomeError,
    CognitoError,
    PermanentError,
    TransientError,
    classify,
)
from portal.cognito.limiter import NoLimiter, RateLimiter
from portal.observability.metrics import record_cognito_call

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.exceptions import ClientError

# boto3 and botocore are imported where a call is made, not here: commands that only read the
# database (e.g. `portal tenants show`) then start without loading them.
log = logging.getLogger(__name__)

READ_PREFIXES = ("Describe", "List", "Get")
SECRET_PARAM_KEYS = ("ClientSecret", "client_secret")
# Creating these twice is refused by Cognito itself (Duplicate/Exists), so retrying after an
# ambiguous failure is safe. CreateUserPoolClient is not: a retry could make a second client.
IDEMPOTENT_WRITES = frozenset(
    {
        "AddCustomAttributes",
        "CreateIdentityProvider",
        "UpdateIdentityProvider",
        "DeleteIdentityProvider",
        "UpdateUserPoolClient",
        "DeleteUserPoolClient",
        "CreateManagedLoginBranding",
        "DeleteManagedLoginBranding",
        "UpdateManagedLoginBranding",
    }
)


@dataclass(frozen=True)
class CallAttempt:
    """One attempt at one Cognito operation, as the ledger stores it."""

    operation: str
    user_pool_id: str | None
    attempt: int
    outcome: str  # ok | throttled | error
    error_code: str | None
    aws_request_id: str | None
    started_at: datetime
    duration_ms: int


class CallRecorder(Protocol):
    def record(self, attempt: CallAttempt) -> None: ...

    def before_write(self, operation: str) -> None:
        """Called before a mutating call; raises to stop a worker that lost its claim."""


class NullRecorder:
    def record(self, attempt: CallAttempt) -> None:
        log.debug("cognito call %s %s", attempt.operation, attempt.outcome)

    def before_write(self, operation: str) -> None:
        return None


def client_config() -> Config:
    from botocore.config import Config

    return Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=20,
        user_agent_extra="cognito-tenant-portal",
    )


_client_lock = threading.Lock()


@functools.lru_cache(maxsize=16)
def _cached_client(region: str):
    import boto3

    return boto3.session.Session().client("cognito-idp", region_name=region, config=client_config())


def make_client(region: str):
    """A cognito-idp client from boto3's standard configuration (credentials, endpoint URLs).

    Clients are thread-safe and slow to build (the service model loads), so one is built per
    region and process, under a lock so a worker's threads don't all build one at once.
    """
    with _client_lock:
        return _cached_client(region)


make_client.cache_clear = _cached_client.cache_clear  # type: ignore[attr-defined]


def is_write(operation: str) -> bool:
    return not operation.startswith(READ_PREFIXES)


class CognitoGateway:
    """Makes Cognito calls for one region on behalf of one run (or one person)."""

    def __init__(
        self,
        region: str,
        *,
        limiter: RateLimiter | None = None,
        recorder: CallRecorder | None = None,
        max_attempts: int = 8,
        base_delay: float = 0.25,
        max_delay: float = 10.0,
        client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.region = region
        self.limiter = limiter or NoLimiter()
        self.recorder = recorder or NullRecorder()
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.client = client or make_client(region)
        self._sleep = sleep
        self.counts: dict[str, int] = {}

    def call(
        self, operation: str, user_pool_id: str | None = None, **params: Any
    ) -> dict[str, Any]:
        """Make one logical call, retrying transient failures; raise a classified CognitoError."""
        from botocore import xform_name
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            ReadTimeoutError,
        )

        if user_pool_id is not None:
            params.setdefault("UserPoolId", user_pool_id)
        method = getattr(self.client, xform_name(operation))
        secrets = _secret_values(params)
        last: CognitoError | None = None
        for attempt in range(1, self.max_attempts + 1):
            if is_write(operation):
                self.recorder.before_write(operation)
            self.limiter.acquire(operation, user_pool_id, self.region)
            started = datetime.now(UTC)
            clock = time.perf_counter()
            try:
                response = method(**params)
            except ClientError as exc:
                error = _from_client_error(operation, exc, secrets)
                self._record(operation, user_pool_id, attempt, started, clock, error)
                if not isinstance(error, TransientError):
                    raise error from None
                if not self._retry_is_safe(operation, error.code, applied_unknown=True):
                    raise AmbiguousOutcomeError(
                        operation, error.code, error.message, error.request_id
                    ) from None
                last = error
            except (ConnectTimeoutError, EndpointConnectionError) as exc:
                error = TransientError(operation, type(exc).__name__, _scrub(str(exc), secrets))
                self._record(operation, user_pool_id, attempt, started, clock, error)
                last = error  # the request never left: always safe to retry
            except (ReadTimeoutError, ConnectionClosedError) as exc:
                error = TransientError(operation, type(exc).__name__, _scrub(str(exc), secrets))
                self._record(operation, user_pool_id, attempt, started, clock, error)
                if not self._retry_is_safe(operation, error.code, applied_unknown=True):
                    raise AmbiguousOutcomeError(operation, error.code, error.message) from None
                last = error
            except NoCredentialsError as exc:
                raise PermanentError(
                    operation,
                    "NoCredentials",
                    "no AWS credentials were found (boto3's standard chain)",
                ) from exc
            except BotoCoreError as exc:
                raise PermanentError(
                    operation, type(exc).__name__, _scrub(str(exc), secrets)
                ) from exc
            else:
                self._record(
                    operation,
                    user_pool_id,
                    attempt,
                    started,
                    clock,
                    None,
                    response.get("ResponseMetadata", {}).get("RequestId"),
                )
                return response
            if attempt < self.max_attempts:
                self._sleep(self._backoff(attempt))
        assert last is not None
        raise last

    def _retry_is_safe(self, operation: str, code: str, applied_unknown: bool) -> bool:
        if code in ("TooManyRequestsException", "ThrottlingException"):
            return True  # a throttled call is not applied
        return not is_write(operation) or operation in IDEMPOTENT_WRITES

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        return random.uniform(self.base_delay / 2, ceiling)  # noqa: S311 - jitter, not security

    def _record(
        self, operation, user_pool_id, attempt, started, clock, error, request_id: str | None = None
    ) -> None:
        if error is None:
            outcome, code = "ok", None
        else:
            code = error.code
            outcome = (
                "throttled"
                if code in ("TooManyRequestsException", "ThrottlingException")
                else "error"
            )
            request_id = error.request_id
        self.counts[operation] = self.counts.get(operation, 0) + 1
        seconds = time.perf_counter() - clock
        duration_ms = int(seconds * 1000)
        record_cognito_call(operation, outcome, seconds)  # Prometheus counters
        # One line per attempt; the logging filter adds the portal's request id and run id.
        log.info(
            "cognito %s pool=%s attempt=%d outcome=%s code=%s ms=%d aws_request_id=%s",
            operation,
            user_pool_id,
            attempt,
            outcome,
            code,
            duration_ms,
            request_id,
            extra={
                "cognito_operation": operation,
                "user_pool_id": user_pool_id,
                "attempt": attempt,
                "outcome": outcome,
                "error_code": code,
                "duration_ms": duration_ms,
                "aws_request_id": request_id,
            },
        )
        self.recorder.record(
            CallAttempt(
                operation, user_pool_id, attempt, outcome, code, request_id, started, duration_ms
            )
        )

    def paginate(
        self,
        operation: str,
        key: str,
        user_pool_id: str | None = None,
        page_size: int = 60,
        **params: Any,
    ) -> Iterable[dict[str, Any]]:
        """Yield every item under KEY across pages (NextToken), one recorded call per page."""
        token: str | None = None
        while True:
            page_params = dict(params, MaxResults=page_size)
            if token:
                page_params["NextToken"] = token
            page = self.call(operation, user_pool_id, **page_params)
            yield from page.get(key, [])
            token = page.get("NextToken")
            if not token:
                return


def _secret_values(params: dict[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in SECRET_PARAM_KEYS and isinstance(item, str) and item:
                    found.append(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(params)
    return found


def _scrub(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[redacted]")
    return text


def _from_client_error(operation: str, exc: ClientError, secrets: list[str]) -> CognitoError:
    error = exc.response.get("Error", {})
    meta = exc.response.get("ResponseMetadata", {})
    return classify(
        operation,
        error.get("Code", "Unknown"),
        _scrub(error.get("Message", ""), secrets),
        meta.get("HTTPStatusCode"),
        meta.get("RequestId"),
    )
