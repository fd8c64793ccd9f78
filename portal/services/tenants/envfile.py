"""The `.env` handover file, and the stored URLs that the current input rules would refuse."""

from __future__ import annotations

from typing import Any

from portal.models import Tenant
from portal.validation import ValidationError, check_redirect_url, env_file_problem

ENV_NAMES = {
    "client_id": "COGNITO_CLIENT_ID",
    "client_secret": "COGNITO_CLIENT_SECRET",
    "cognito_domain": "COGNITO_DOMAIN",
    "issuer": "COGNITO_ISSUER",
    "user_pool_id": "COGNITO_USER_POOL_ID",
    "region": "COGNITO_REGION",
    "jwks_uri": "COGNITO_JWKS_URI",
    "authorize_url": "COGNITO_AUTHORIZE_URL",
    "token_url": "COGNITO_TOKEN_URL",
    "logout_url": "COGNITO_LOGOUT_URL",
    "redirect_uri": "COGNITO_REDIRECT_URI",
    "provider_name": "COGNITO_IDENTITY_PROVIDER",
}


def flagged_urls(tenant: Tenant) -> list[dict[str, str]]:
    """The tenant's callback and logout URLs that today's rules refuse (saved before them)."""
    flagged = []
    stored = {"callback_urls": tenant.callback_urls, "logout_urls": tenant.logout_urls}
    for field, urls in stored.items():
        for url in urls or ():
            try:
                check_redirect_url(url, field)
            except ValidationError as error:
                flagged.append({"field": field, "url": url, "problem": error.message})
    return flagged


def env_file_blocker(tenant: Tenant) -> str | None:
    """Why the tenant's `.env` file cannot be written (checked before the secret is revealed)."""
    redirect = tenant.callback_urls[0] if tenant.callback_urls else ""
    problem = env_file_problem(redirect)
    if problem is None:
        return None
    return (
        f"The first callback URL {redirect!r} {problem}. Change it under Change settings "
        "(or download the JSON file instead)."
    )


def render_env_file(tenant: Tenant, bundle: dict[str, Any]) -> str:
    """`NAME='value'` lines that `set -a; . file`, python-dotenv and docker compose read alike.

    Single quotes keep every character literal in a shell; values holding a character some
    loader would still interpret are refused at input (`env_file_problem`) and again here.
    """
    lines = [f"# Cognito single sign-on for tenant {tenant.slug}"]
    for key, name in ENV_NAMES.items():
        value = str(bundle.get(key) or "")
        problem = env_file_problem(value)
        if problem is not None:
            raise ValidationError(key, f"{name} {problem}")
        lines.append(f"{name}='{value}'")
    return "\n".join(lines) + "\n"
