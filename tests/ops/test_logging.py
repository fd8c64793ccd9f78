"""Structured logs: JSON lines with the request id and run id, and never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet

from portal.observability.context import bound
from portal.observability.logs import configure_logging
from portal.services.audit.actors import Actor, acting_as
from tests.support import factories as f

CLIENT_SECRET = "1a2b3c4d5e6f7g8h9i0jklmnopqrstuvwxyz0123456789abcde"  # Cognito's shape


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Route every log line through the portal's handler into a buffer, then restore."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    yield stream
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in saved_handlers:
        root.addHandler(handler)
    root.setLevel(saved_level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_carry_the_request_and_run_ids(captured) -> None:
    configure_logging("json", "INFO", captured)
    with bound(request_id="req-abc", run_id=42):
        logging.getLogger("portal.test").info("step %s done", "app_client", extra={"step": "x"})
    logging.getLogger("portal.test").warning("outside any request")
    inside, outside = lines(captured)
    assert inside["message"] == "step app_client done"
    assert inside["request_id"] == "req-abc" and inside["run_id"] == 42
    assert inside["level"] == "INFO" and inside["logger"] == "portal.test"
    assert inside["step"] == "x" and inside["time"].endswith("+00:00")
    assert outside["request_id"] is None and outside["run_id"] is None


def test_a_web_request_id_reaches_the_log_through_the_actor(captured) -> None:
    configure_logging("text", "INFO", captured)
    with acting_as(Actor("user", "1", "a@example.com", request_id="from-the-web")):
        logging.getLogger("portal.test").info("hello")
    assert captured.getvalue().rstrip().endswith("hello [request_id=from-the-web]")


@pytest.mark.parametrize(
    ("message", "secret"),
    [
        ("connecting to postgresql://portal:db-pass-123@db:5432/portal", "db-pass-123"),
        ("redis://:redis-pass-9@redis:6379/0 refused", "redis-pass-9"),
        ("Authorization: Bearer tok_abcdef123456", "tok_abcdef123456"),
        ("client_secret=idp-secret-Zq8 sent", "idp-secret-Zq8"),
        ('{"ClientSecret": "cs-value-77", "ClientId": "abc"}', "cs-value-77"),
        ("id token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl", "eyJzdWIiOiJhbGljZSJ9"),
        ("key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"),
        (f"secret {CLIENT_SECRET} read", CLIENT_SECRET),
    ],
)
def test_secret_shapes_are_redacted_in_messages(captured, message: str, secret: str) -> None:
    configure_logging("json", "INFO", captured)
    logging.getLogger("portal.test").info(message)
    assert secret not in captured.getvalue()
    assert "[redacted]" in captured.getvalue()


def test_secret_named_fields_fernet_values_and_tracebacks_are_redacted(captured) -> None:
    configure_logging("json", "INFO", captured)
    key = Fernet.generate_key()
    token = Fernet(key).encrypt(b"idp secret").decode()
    log = logging.getLogger("portal.test")
    log.info(
        "stored %s", token, extra={"client_secret": "plain-value-1", "nested": {"password": "pw-2"}}
    )
    try:
        raise RuntimeError(f"could not decrypt with {key.decode()}")
    except RuntimeError:
        log.exception("decryption failed")
    output = captured.getvalue()
    for secret in (token, "plain-value-1", "pw-2", key.decode()):
        assert secret not in output
    stored, failed = lines(captured)
    assert stored["client_secret"] == "[redacted]"
    assert stored["nested"] == {"password": "[redacted]"}
    assert "RuntimeError" in failed["exception"]


def test_wire_loggers_stay_at_warning_even_at_debug(captured) -> None:
    configure_logging("json", "DEBUG", captured)
    for name in ("botocore", "boto3", "urllib3"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
    assert logging.getLogger("portal").getEffectiveLevel() == logging.DEBUG


def test_each_cognito_attempt_is_one_line_with_ids_and_no_secret(
    captured, db, cognito_emulator, oidc_idp
) -> None:
    """A run executed at DEBUG: the gateway's lines carry the ids; nothing secret is written."""
    f.pool(cognito_emulator)
    tenant = f.tenant("acme", oidc_idp)
    [run] = f.onboard(tenant)
    configure_logging("json", "DEBUG", captured)
    with bound(request_id="req-onboard-1", run_id=run.id):
        assert f.run_now(run) == "succeeded"
    calls = [line for line in lines(captured) if line.get("cognito_operation")]
    operations = {line["cognito_operation"] for line in calls}
    assert {"CreateUserPoolClient", "CreateIdentityProvider", "AddCustomAttributes"} <= operations
    for line in calls:
        assert line["request_id"] == "req-onboard-1" and line["run_id"] == run.id
        assert line["outcome"] == "ok" and line["aws_request_id"]
    assert f.IDP_SECRET not in captured.getvalue()
    assert "ClientSecret" not in captured.getvalue()
