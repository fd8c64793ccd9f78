"""Client-secret rotation: Add-, List- and DeleteUserPoolClientSecret(s).

AWS does not document which secret DescribeUserPoolClient returns while a client has two.
The emulator returns the OLDEST one, so a caller that rotates must read the new value from
AddUserPoolClientSecret's answer (the only place AWS shows it) and must not expect Describe
to switch over until the old secret is deleted.
"""

from __future__ import annotations

from typing import Any

from .call import Call
from .clients import new_secret
from .errors import invalid, limit_exceeded, not_found
from .state import MAX_SECRETS_PER_CLIENT, ClientSecret


def _secrets(call: Call) -> tuple[Any, list[ClientSecret]]:
    pool = call.pool()
    client = call.client(pool)
    return client, call.state.secrets.setdefault((pool.id, client.id), [])


def add_user_pool_client_secret(call: Call) -> dict[str, Any]:
    """Add a (generated or supplied) secret; at most two; confidential clients only."""
    client, stored = _secrets(call)
    if not client.generate_secret or not stored:
        raise invalid(
            f"App client {client.id} has no client secret; secrets can be added only "
            "to clients created with GenerateSecret."
        )
    if len(stored) >= MAX_SECRETS_PER_CLIENT:
        raise limit_exceeded(
            f"App client {client.id} already has the maximum of "
            f"{MAX_SECRETS_PER_CLIENT} client secrets."
        )
    secret = new_secret(call.params.get("ClientSecret"))
    stored.append(secret)
    return {"ClientSecretDescriptor": secret.descriptor(with_value=True)}


def list_user_pool_client_secrets(call: Call) -> dict[str, Any]:
    """The client's secrets, oldest first, without their values."""
    _client, stored = _secrets(call)
    return {"ClientSecrets": [secret.descriptor() for secret in stored]}


def delete_user_pool_client_secret(call: Call) -> dict[str, Any]:
    """Delete one secret, never the last."""
    client, stored = _secrets(call)
    secret_id = call.require("ClientSecretId")
    match = next((s for s in stored if s.secret_id == secret_id), None)
    if match is None:
        raise not_found(f"Client secret {secret_id} does not exist for app client {client.id}.")
    if len(stored) == 1:
        raise invalid("You cannot delete the last remaining secret of an app client.")
    stored.remove(match)
    client.secret = stored[0].value
    return {}


HANDLERS = {
    "AddUserPoolClientSecret": add_user_pool_client_secret,
    "ListUserPoolClientSecrets": list_user_pool_client_secrets,
    "DeleteUserPoolClientSecret": delete_user_pool_client_secret,
}
