"""Rules for what users type: slugs, URLs, claim names, provider names."""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata

from portal.cognito.redirect_urls import MAX_URLS, RULE, redirect_url_problem

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,30})[a-z0-9]$")
CLAIM_RE = re.compile(r"^[A-Za-z0-9_:.\-/]{1,128}$")
MAX_CALLBACK_URLS = MAX_URLS
ENV_UNSAFE_CHARS = frozenset("'\"$`\\")
ENV_UNSAFE_TEXT = "' \" $ ` \\ or whitespace"
REDIRECT_URL_RULE = f"{RULE}; none of {ENV_UNSAFE_TEXT}"
# `localhost:3000/cb` is an absolute URI with the scheme "localhost" (Cognito would take it as
# an app URL), but it is always a missing `http://`: refused, with the fix in the message.
HOST_PORT_TYPO = re.compile(r"^[A-Za-z0-9.\-]+:[0-9]+(?:[/?]|$)")


class ValidationError(ValueError):
    """Input that breaks a rule; `field` says which input, the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_slug(slug: str) -> str:
    """A slug: 3-32 lowercase letters, digits and hyphens, not starting or ending with a hyphen."""
    value = (slug or "").strip()
    if not SLUG_RE.match(value) or "--" in value:
        raise ValidationError(
            "slug",
            f"{value!r} is not a valid slug: use 3 to 32 lowercase letters, digits and single "
            "hyphens, starting and ending with a letter or digit (for example acme-corp)",
        )
    return value


def suggest_slug(name: str) -> str:
    """A slug suggested from a display name: 'Acme Corp, Inc.' -> 'acme-corp-inc'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)[:32].strip("-")
    return slug if len(slug) >= 3 else (slug + "-tenant")[:32].strip("-")


def check_name(name: str) -> str:
    value = (name or "").strip()
    if not value:
        raise ValidationError("name", "a display name is required")
    if len(value) > 128:
        raise ValidationError("name", "the display name is longer than 128 characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value):
        raise ValidationError("name", "the display name contains control characters")
    return value


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def env_file_problem(value: str) -> str | None:
    """Why `value` cannot be written safely to a downloaded `.env` file, or None.

    No quoting is safe for both `set -a; . file` in a shell and dotenv parsers (python-dotenv
    expands `${...}` even inside single quotes), so such values are refused at input instead.
    """
    found = ["whitespace" if ch.isspace() else ch for ch in value]
    found = [ch for ch in dict.fromkeys(found) if ch in ENV_UNSAFE_CHARS or ch == "whitespace"]
    if not found:
        return None
    shown = " ".join(found)
    return (
        f"contains {shown}: a shell or dotenv loader reading the downloaded .env file could "
        f"run or change it, so the portal does not accept {ENV_UNSAFE_TEXT} here"
    )


def check_redirect_url(url: str, field: str = "callback_urls") -> str:
    """A callback or logout URL: Cognito's rule, and safe to write to the `.env` download."""
    value = (url or "").strip()
    problem = _redirect_url_problem(value)
    if problem is not None:
        raise ValidationError(field, f"{value!r} {problem}")
    return value


@functools.lru_cache(maxsize=4096)
def _redirect_url_problem(value: str) -> str | None:
    """Why VALUE is refused as a redirect URL, or None; it depends on the URL alone, and every
    tenant an API list or a tenant page shows has its stored URLs checked again (flagged_urls)."""
    problem = redirect_url_problem(value) or env_file_problem(value)
    if problem is None and HOST_PORT_TYPO.match(value):
        problem = "looks like a host and port without a scheme; write http://" + value
    return problem


def check_redirect_urls(urls: list[str], field: str, required: bool) -> list[str]:
    cleaned: list[str] = []
    for url in urls:
        if url and url.strip():
            value = check_redirect_url(url, field)
            if value not in cleaned:
                cleaned.append(value)
    if required and not cleaned:
        raise ValidationError(field, "at least one callback URL is required")
    if len(cleaned) > MAX_CALLBACK_URLS - 1:  # one is kept for the portal's test sign-in
        raise ValidationError(field, f"at most {MAX_CALLBACK_URLS - 1} URLs are allowed")
    return cleaned


def check_claim(value: str | None, field: str, required: bool) -> str | None:
    claim = (value or "").strip()
    if not claim:
        if required:
            raise ValidationError(field, "a claim name is required")
        return None
    if not CLAIM_RE.match(claim):
        raise ValidationError(
            field, f"{claim!r} is not a claim name: use letters, digits and _ : . - / only"
        )
    return claim


def check_scopes(value: str | None) -> str:
    scopes = (value or "").split()
    if "openid" not in scopes:
        raise ValidationError("scopes", "the scopes must include openid")
    for scope in scopes:
        if not re.match(r"^[\x21\x23-\x5b\x5d-\x7e]+$", scope):
            raise ValidationError("scopes", f"{scope!r} is not a valid OAuth scope")
    return " ".join(dict.fromkeys(scopes))


def check_request_method(value: str | None) -> str:
    method = (value or "GET").strip().upper()
    if method not in ("GET", "POST"):
        raise ValidationError("attributes_request_method", "the request method must be GET or POST")
    return method


def _allowed_provider_char(ch: str, position: int) -> bool:
    category = unicodedata.category(ch)
    if position == 1:  # [\p{L}\p{M}\p{S}\p{N}\p{P}]
        return category[0] in "LMSNP"
    return ch != "_" and category[0] != "Z"  # [^_\p{Z}]


def is_valid_provider_name(name: str) -> bool:
    """Cognito's ProviderName rule.

    1-32 characters matching [^_\\p{Z}][\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}][^_\\p{Z}]+ (so at least 3).
    """
    if not 3 <= len(name) <= 32:
        return False
    return all(_allowed_provider_char(ch, i) for i, ch in enumerate(name))
