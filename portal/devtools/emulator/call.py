"""One Cognito call as the handlers see it, with access to moto's in-memory backend."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from moto.cognitoidp.models import cognitoidp_backends

from .errors import invalid, not_found
from .state import EmulatorState

if TYPE_CHECKING:
    from moto.cognitoidp.models import (
        CognitoIdpBackend,
        CognitoIdpUserPool,
        CognitoIdpUserPoolClient,
    )

Forwarder = Callable[["Call", dict[str, Any]], dict[str, Any]]


@dataclass
class Call:
    """A request being handled: its parameters, caller scope and the way on to moto."""

    operation: str
    params: dict[str, Any]
    account_id: str
    region: str
    request_id: str
    state: EmulatorState
    forwarder: Forwarder

    @property
    def backend(self) -> CognitoIdpBackend:
        """moto's cognito-idp backend for the caller's account and Region."""
        return cognitoidp_backends[self.account_id][self.region]

    def forward(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send the call (or `params` instead) to moto; return its JSON or raise its error."""
        return self.forwarder(self, self.params if params is None else params)

    def require(self, name: str) -> Any:
        """A parameter that must be present."""
        value = self.params.get(name)
        if value is None or value == "":
            raise invalid(
                f"1 validation error detected: Value null at '{name[:1].lower()}"
                f"{name[1:]}' failed to satisfy constraint: Member must not be null"
            )
        return value

    def pool(self, user_pool_id: str | None = None) -> CognitoIdpUserPool:
        """The user pool named by the call, or ResourceNotFoundException."""
        pool_id = user_pool_id or self.require("UserPoolId")
        pool = self.backend.user_pools.get(pool_id)
        if pool is None:
            raise not_found(f"User pool {pool_id} does not exist.")
        return pool

    def client(
        self, pool: CognitoIdpUserPool, client_id: str | None = None
    ) -> CognitoIdpUserPoolClient:
        """An app client of `pool`, or ResourceNotFoundException."""
        cid = client_id or self.require("ClientId")
        client = pool.clients.get(cid)
        if client is None:
            raise not_found(f"User pool client {cid} does not exist.")
        return client


def wire(value: Any) -> Any:
    """Make moto model output JSON-ready: datetimes become epoch seconds."""
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.timestamp()
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire(v) for v in value]
    return value
