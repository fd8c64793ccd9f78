"""App clients: AWS's validation, reset-on-update, quotas, dates, and secrets that stay valid."""

from __future__ import annotations

import secrets
import string
import time
import uuid
from functools import cache
from typing import TYPE_CHECKING, Any

from moto.cognitoidp.models import CognitoIdpUserPoolClient

from .call import Call, wire
from .errors import invalid, limit_exceeded
from .rules import check_client_config
from .shapes import service_model
from .state import ClientSecret

if TYPE_CHECKING:
    from moto.cognitoidp.models import CognitoIdpUserPool

SECRET_ALPHABET = string.ascii_lowercase + string.digits
SECRET_LENGTH = 52


def generate_secret() -> str:
    """A client secret shaped like the ones Cognito issues (52 lowercase letters and digits)."""
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def new_secret(value: str | None = None) -> ClientSecret:
    """A ClientSecret with a fresh id."""
    return ClientSecret(
        secret_id=str(uuid.uuid4()), value=value or generate_secret(), supplied=bool(value)
    )


@cache
def client_defaults() -> dict[str, Any]:
    """moto's defaults for a new client's settings: what an omitted field resets to."""
    return dict(CognitoIdpUserPoolClient("us-east-1_x", False, None).extended_config)


@cache
def _client_members() -> frozenset[str]:
    return frozenset(service_model().shape_for("UserPoolClientType").members)


def client_json(
    call: Call, pool: CognitoIdpUserPool, client: CognitoIdpUserPoolClient
) -> dict[str, Any]:
    """UserPoolClientType as AWS returns it: empty lists omitted, dates and the oldest secret."""
    data = wire(client.to_json(extended=True))
    out = {k: v for k, v in data.items() if k in _client_members() and v not in (None, [], {})}
    out.pop("ClientSecret", None)
    stored = call.state.secrets.get((pool.id, client.id))
    if stored and not (stored[0].supplied and call.state.hide_supplied_secrets):
        out["ClientSecret"] = stored[0].value
    dates = call.state.client_dates.get((pool.id, client.id))
    if dates:
        out["CreationDate"], out["LastModifiedDate"] = dates
    return out


def create_user_pool_client(call: Call) -> dict[str, Any]:
    """CreateUserPoolClient under AWS's rules and the per-pool app-client quota."""
    pool = call.pool()
    quota = call.state.pool_quotas(pool.id).max_clients
    if len(pool.clients) >= quota:
        raise limit_exceeded(f"User pool {pool.id} has reached its quota of {quota} app clients.")
    params = dict(call.params)
    supplied = params.pop("ClientSecret", None)
    with_secret = bool(params.get("GenerateSecret"))
    if supplied and not with_secret:
        raise invalid("ClientSecret can be specified only when GenerateSecret is true.")
    check_client_config(pool, params, verb="creating", has_secret=with_secret)
    result = call.forward(params)
    client = pool.clients[result["UserPoolClient"]["ClientId"]]
    now = time.time()
    call.state.client_dates[(pool.id, client.id)] = [now, now]
    if with_secret:
        first = new_secret(supplied)
        client.secret = first.value
        call.state.secrets[(pool.id, client.id)] = [first]
    return {"UserPoolClient": client_json(call, pool, client)}


def update_user_pool_client(call: Call) -> dict[str, Any]:
    """UpdateUserPoolClient as AWS does it: every omitted field goes back to its default.

    Only ClientName (kept when omitted) and the client's secrets survive an update.
    """
    pool = call.pool()
    client = call.client(pool)
    check_client_config(pool, call.params, verb="updating", has_secret=client.generate_secret)
    fields = {k: v for k, v in call.params.items() if k not in ("UserPoolId", "ClientId")}
    fields.setdefault("ClientName", client.extended_config.get("ClientName"))
    call.forward()
    client.extended_config = {**client_defaults(), **fields}
    dates = call.state.client_dates.setdefault((pool.id, client.id), [time.time()] * 2)
    dates[1] = time.time()
    return {"UserPoolClient": client_json(call, pool, client)}


def describe_user_pool_client(call: Call) -> dict[str, Any]:
    """DescribeUserPoolClient (see client_secrets.py for which secret it shows)."""
    pool = call.pool()
    return {"UserPoolClient": client_json(call, pool, call.client(pool))}


def delete_user_pool_client(call: Call) -> dict[str, Any]:
    """DeleteUserPoolClient; the client's managed-login style and secrets go with it."""
    pool = call.pool()
    client = call.client(pool)
    call.forward()
    call.state.forget_client(pool.id, client.id)
    return {}


HANDLERS = {
    "CreateUserPoolClient": create_user_pool_client,
    "UpdateUserPoolClient": update_user_pool_client,
    "DescribeUserPoolClient": describe_user_pool_client,
    "DeleteUserPoolClient": delete_user_pool_client,
}
