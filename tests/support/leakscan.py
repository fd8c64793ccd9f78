"""The leak scan that runs beside the whole suite (issue #10).

It learns every customer IdP secret (when the portal stores one) and every Cognito app-client
secret (when Cognito hands one to the portal), and checks that none of them appears in a log
line, a Redis key or message, a database column in plain text, or a page other than the
audited reveal. It also learns the secrets that travel in URLs — setup-link tokens,
password-reset link tokens, and the test sign-in's state and authorization code — and checks that
none of them appears in a log line (access logs of the servers the tests run included), in Redis
or in the database. Findings fail the session.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

# Pages that exist to show a Cognito client secret to staff: the one audited reveal, in its forms.
REVEAL_ENDPOINTS = frozenset(
    {
        "tenants.reveal",
        "tenants.download_env",
        "tenants.download_json",
        "api.get_oidc_config",
    }
)
MIN_SECRET_LENGTH = 6
# A setup-link token is 43 characters (32 random bytes); shorter strings looked up as tokens are
# the tests' made-up wrong tokens, which may be printed freely.
MIN_LINK_TOKEN_LENGTH = 40


@dataclass
class LeakScan:
    idp_secrets: set[str] = field(default_factory=set)
    client_secrets: set[str] = field(default_factory=set)
    url_secrets: set[str] = field(default_factory=set)
    violations: list[str] = field(default_factory=list)
    log_text: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def learn_idp_secret(self, value: str | None) -> None:
        if value and len(value) >= MIN_SECRET_LENGTH:
            with self.lock:
                self.idp_secrets.add(value)

    def learn_client_secret(self, value: str | None) -> None:
        if value and len(value) >= MIN_SECRET_LENGTH:
            with self.lock:
                self.client_secrets.add(value)

    def learn_url_secret(self, value: str | None, min_length: int = MIN_SECRET_LENGTH) -> None:
        """A setup-link token, or a test sign-in's state or code: fine in pages, never kept."""
        if value and len(value) >= min_length:
            with self.lock:
                self.url_secrets.add(value)

    def found_in(self, text: str) -> tuple[list[str], list[str], list[str]]:
        with self.lock:
            return (
                [s for s in self.idp_secrets if s in text],
                [s for s in self.client_secrets if s in text],
                [s for s in self.url_secrets if s in text],
            )

    def check(
        self, where: str, text: str, reveal_allowed: bool = False, page: bool = False
    ) -> None:
        idp, client, in_urls = self.found_in(text)
        for secret in idp:
            self.violations.append(f"a customer IdP secret ({secret[:4]}...) in {where}")
        if not reveal_allowed:
            for secret in client:
                self.violations.append(f"a Cognito client secret ({secret[:4]}...) in {where}")
        if not page:  # pages link to /setup/<token> (and reset links) and carry the state
            for secret in in_urls:
                self.violations.append(
                    f"a setup-link token or sign-in state/code ({secret[:4]}...) in {where}"
                )

    def finish(self) -> list[str]:
        """Check the logs once more, now that every secret of the session is known."""
        self.check("the logs", "\n".join(self.log_text))
        return self.violations

    def tally(self) -> Tally:
        """The verdict of this process: what it followed and what it found."""
        violations = self.finish()
        return Tally(
            len(self.idp_secrets), len(self.client_secrets), list(violations), len(self.url_secrets)
        )


@dataclass
class Tally:
    """One process's verdict; under pytest-xdist each worker sends its own to the controller."""

    idp_secrets: int = 0
    client_secrets: int = 0
    violations: list[str] = field(default_factory=list)
    url_secrets: int = 0

    def add(self, other: Tally) -> None:
        self.idp_secrets += other.idp_secrets
        self.client_secrets += other.client_secrets
        self.violations += other.violations
        self.url_secrets += other.url_secrets

    def summary(self) -> str:
        return (
            f"leak scan: {self.idp_secrets} customer IdP secrets, "
            f"{self.client_secrets} Cognito client secrets and {self.url_secrets} setup-link "
            f"tokens and sign-in states/codes followed; {len(self.violations)} finding(s)"
        )


class ScanHandler(logging.Handler):
    """Keeps every log line of the test process (all loggers, INFO and up)."""

    def __init__(self, scan: LeakScan) -> None:
        super().__init__(logging.INFO)
        self.scan = scan
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a line that cannot be formatted leaks nothing
            self.scan.log_text.append(self.format(record))


def install(scan: LeakScan, app) -> None:
    """Hook the places where secrets enter the portal, and where they could leave it."""
    from flask import request, request_finished
    from sqlalchemy import event

    from portal.cognito import gateway
    from portal.crypto import decrypt
    from portal.models import Tenant
    from portal.services.access import password_resets
    from portal.services.selfservice import setup_links, signin_tests

    @event.listens_for(Tenant.idp_client_secret_encrypted, "set")
    def _stored(target, value, _old, _initiator) -> None:
        if value:
            with app.app_context():
                scan.learn_idp_secret(decrypt(value))

    original_call = gateway.CognitoGateway.call

    def call(self, operation, user_pool_id=None, **params):
        scan.learn_client_secret(params.get("ClientSecret"))
        response = original_call(self, operation, user_pool_id, **params)
        scan.learn_client_secret(response.get("UserPoolClient", {}).get("ClientSecret"))
        scan.learn_client_secret(
            response.get("ClientSecretDescriptor", {}).get("ClientSecretValue")
        )
        # A provider described (a move, an adoption's scan) hands the portal the IdP secret.
        details = response.get("IdentityProvider", {}).get("ProviderDetails", {})
        scan.learn_idp_secret(details.get("client_secret"))
        return response

    gateway.CognitoGateway.call = call

    original_hash = setup_links.hash_token

    def hash_token(token: str) -> str:
        scan.learn_url_secret(token, MIN_LINK_TOKEN_LENGTH)
        return original_hash(token)

    setup_links.hash_token = hash_token
    original_reset_hash = password_resets.hash_token

    def reset_hash_token(token: str) -> str:  # a password-reset link's token, the same rules
        scan.learn_url_secret(token, MIN_LINK_TOKEN_LENGTH)
        return original_reset_hash(token)

    password_resets.hash_token = reset_hash_token
    original_start, original_exchange = signin_tests.start_test, signin_tests._exchange

    def start_test(*args, **kwargs):
        test, url = original_start(*args, **kwargs)
        for state in parse_qs(urlsplit(url).query).get("state", []):
            scan.learn_url_secret(state)
        return test, url

    def exchange(test, tenant, code):
        scan.learn_url_secret(code)
        return original_exchange(test, tenant, code)

    signin_tests.start_test, signin_tests._exchange = start_test, exchange

    def _page(sender, response, **_extra) -> None:
        if response.direct_passthrough or response.is_streamed:
            return
        body = response.get_data(as_text=True)
        scan.check(
            f"the page {request.method} {request.path} ({request.endpoint})",
            body,
            reveal_allowed=request.endpoint in REVEAL_ENDPOINTS,
            page=True,
        )

    request_finished.connect(_page, app, weak=False)
    logging.getLogger().addHandler(ScanHandler(scan))
    if logging.getLogger().level > logging.INFO:
        logging.getLogger().setLevel(logging.INFO)


def database_text(database) -> str:
    from sqlalchemy import text

    parts = []
    with database.engine.connect() as conn:
        for table in database.metadata.sorted_tables:
            for row in conn.execute(text(f"SELECT * FROM {table.name}")):  # noqa: S608
                parts += [
                    bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v)
                    for v in row
                ]
    return "\n".join(parts)


def redis_text(client) -> str:
    parts = []
    for key in client.scan_iter("*"):
        parts.append(key.decode("latin-1"))
        kind = client.type(key).decode()
        values = {
            "string": lambda k: [client.get(k)],
            "list": lambda k: client.lrange(k, 0, -1),
            "hash": lambda k: list(client.hgetall(k).values()),
            "set": lambda k: list(client.smembers(k)),
            "zset": lambda k: client.zrange(k, 0, -1),
        }.get(kind, lambda k: [])(key)
        parts += [v.decode("latin-1") for v in values if v is not None]
    return "\n".join(parts)


# The session's one scan: fixtures and the worker processes' logs feed it.
LEAK_SCAN = LeakScan()
