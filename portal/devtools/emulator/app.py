"""The WSGI middleware: Cognito JSON-1.1 calls are checked and handled here, moto does the rest."""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

from . import branding, client_secrets, clients, pools, providers
from .call import Call
from .errors import CognitoError, internal_error, too_many_requests
from .faults import Faults
from .ratelimit import RateLimiter
from .shapes import validate_input
from .state import CallRecord, EmulatorState, PoolQuotas, now_utc

log = logging.getLogger(__name__)

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
JSON_11 = "application/x-amz-json-1.1"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/")

Handler = Callable[[Call], dict[str, Any]]
HANDLERS: dict[str, Handler] = {
    **pools.HANDLERS,
    **clients.HANDLERS,
    **client_secrets.HANDLERS,
    **providers.HANDLERS,
    **branding.HANDLERS,
}
StartResponse = Callable[..., Any]


def _passthrough(call: Call) -> dict[str, Any]:
    return call.forward()


class EmulatorApp:
    """moto's server wrapped with the rules, state, quotas and faults moto lacks."""

    def __init__(self, region: str = "us-east-1", account_id: str | None = None) -> None:
        self.region = region
        self.account_id = account_id or DEFAULT_ACCOUNT_ID
        self.state = EmulatorState()
        self.faults = Faults()
        self.limiter = RateLimiter()
        self.rate_limits = False
        # Actions an IAM policy "does not allow", to try `portal pools check` against.
        self.denied_actions: frozenset[str] = frozenset()
        self.moto = DomainDispatcherApplication(create_backend_app)
        self._in_flight: dict[str, str] = {}  # request id -> operation, for the fault trials
        self._in_flight_lock = threading.Lock()

    # --- WSGI -----------------------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Route /_emulator/ to the control API, Cognito calls to the handlers, the rest to moto."""
        path = environ.get("PATH_INFO", "")
        if path == "/_emulator" or path.startswith("/_emulator/"):
            from .admin import admin_response

            return admin_response(self, Request(environ))(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(TARGET_PREFIX):
            return self._cognito(environ, target[len(TARGET_PREFIX) :])(environ, start_response)
        return self.moto(environ, start_response)

    def _cognito(self, environ: dict[str, Any], operation: str) -> Response:
        request_id = str(uuid.uuid4())
        account_id, region = self._caller(environ)
        try:
            params = json.loads(Request(environ).get_data() or b"{}")
            if not isinstance(params, dict):
                raise ValueError("body is not a JSON object")
        except ValueError as exc:
            error = CognitoError("SerializationException", f"Malformed request body: {exc}")
            self._record(operation, None, request_id, error.code)
            return self._response(error.status, error.body(), request_id, error.code)
        with self._in_flight_lock:
            self._in_flight[request_id] = operation
        try:
            status, body, code = self.handle(operation, params, account_id, region, request_id)
        finally:
            with self._in_flight_lock:
                del self._in_flight[request_id]
        return self._response(status, body, request_id, code)

    def in_flight(self) -> list[str]:
        """The operations received over HTTP and not yet answered, sorted."""
        with self._in_flight_lock:
            return sorted(self._in_flight.values())

    def _caller(self, environ: dict[str, Any]) -> tuple[str, str]:
        match = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        access_key, region = match.groups() if match else ("AKIAEXAMPLE", self.region)
        account = os.environ.get("MOTO_ACCOUNT_ID") or environ.get("HTTP_X_MOTO_ACCOUNT_ID")
        if not account:
            from moto.iam.models import get_account_id_from

            account = get_account_id_from(access_key)
        return account, region

    @staticmethod
    def _response(status: int, body: dict[str, Any], request_id: str, code: str | None) -> Response:
        headers = {"x-amzn-RequestId": request_id}
        if code:
            headers["x-amzn-ErrorType"] = code
        return Response(json.dumps(body), status=status, headers=headers, content_type=JSON_11)

    # --- the pipeline ---------------------------------------------------------------------
    def handle(
        self,
        operation: str,
        params: dict[str, Any],
        account_id: str,
        region: str,
        request_id: str,
        *,
        external: bool = True,
    ) -> tuple[int, dict[str, Any], str | None]:
        """Run one call: faults and quotas (external calls only), checks, handler; log it."""
        call = Call(operation, params, account_id, region, request_id, self.state, self._forward)
        pool_id = self._pool_id(call)
        try:
            if external:
                self._gate(operation, pool_id, account_id, region)
            validate_input(operation, params)
            with self.state.lock:
                body = HANDLERS.get(operation, _passthrough)(call)
            status, code = 200, None
        except CognitoError as error:
            status, body, code = error.status, error.body(), error.code
        except Exception:
            log.exception("emulator failure in %s", operation)
            error = CognitoError("InternalErrorException", f"Emulator failure in {operation}", 500)
            status, body, code = error.status, error.body(), error.code
        if operation == "CreateUserPool" and status == 200:
            pool_id = body.get("UserPool", {}).get("Id")
        if external:
            self._record(operation, pool_id, request_id, code)
        return status, body, code

    def _gate(self, operation: str, pool_id: str | None, account_id: str, region: str) -> None:
        delay = self.faults.delay_seconds()
        if delay:
            time.sleep(delay)
        if operation in self.denied_actions:
            resource = f"arn:aws:cognito-idp:{region}:{account_id}:userpool/{pool_id or '*'}"
            raise CognitoError(
                "AccessDeniedException",
                f"User: arn:aws:sts::{account_id}:assumed-role/portal/emulator is not authorized "
                f"to perform: cognito-idp:{operation} on resource: {resource} because no "
                "identity-based policy allows the action",
            )
        if self.rate_limits and not self.limiter.allow(operation, pool_id, account_id, region):
            raise too_many_requests()
        fault = self.faults.draw()
        if fault == "throttle":
            raise too_many_requests()
        if fault == "error":
            raise internal_error(operation)

    def _pool_id(self, call: Call) -> str | None:
        pool_id = call.params.get("UserPoolId")
        if isinstance(pool_id, str):
            return pool_id
        domain = call.params.get("Domain")
        if isinstance(domain, str):
            with self.state.lock:
                entry = call.backend.user_pool_domains.get(domain)
            return entry.user_pool_id if entry else None
        return None

    def _record(
        self, operation: str, pool_id: str | None, request_id: str, error_code: str | None
    ) -> None:
        self.state.record(
            CallRecord(
                operation=operation,
                user_pool_id=pool_id,
                outcome="error" if error_code else "ok",
                error_code=error_code,
                request_id=request_id,
                at=now_utc(),
            )
        )

    def _forward(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        """Hand the call to moto's own handlers in-process and read its JSON answer."""
        builder = EnvironBuilder(
            method="POST",
            path="/",
            base_url=f"http://cognito-idp.{call.region}.amazonaws.com",
            headers={
                "X-Amz-Target": TARGET_PREFIX + call.operation,
                "Authorization": "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20240101/"
                f"{call.region}/cognito-idp/aws4_request, SignedHeaders=host, Signature=0",
                "x-moto-account-id": call.account_id,
            },
            content_type=JSON_11,
            data=json.dumps(params),
        )
        status: list[int] = []

        def start_response(line: str, headers: Any, exc_info: Any = None) -> Callable[..., None]:
            status.append(int(line.split(" ", 1)[0]))
            return lambda _data: None

        chunks = self.moto(builder.get_environ(), start_response)
        try:
            raw = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError:
            data = {
                "__type": "InternalErrorException",
                "message": raw.decode(errors="replace")[:200],
            }
        if status[0] >= 400:
            code = data.get("__type", "InternalErrorException").split("#")[-1]
            message = data.get("message") or data.get("Message") or ""
            raise CognitoError(code, message, 500 if status[0] >= 500 else 400)
        return data

    # --- control --------------------------------------------------------------------------
    def invoke(
        self, operation: str, params: dict[str, Any], region: str | None = None
    ) -> dict[str, Any]:
        """Run a call from inside the process (seeding): no faults, no quotas, not logged."""
        status, body, _code = self.handle(
            operation,
            params,
            self.account_id,
            region or self.region,
            str(uuid.uuid4()),
            external=False,
        )
        if status != 200:
            raise CognitoError(body["__type"], body["message"], status)
        return body

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Set rate_limits, denied_actions, hide_supplied_secrets or a fault setting."""
        settings = dict(settings)
        if "denied_actions" in settings:
            self.denied_actions = frozenset(settings.pop("denied_actions") or ())
        if "hide_supplied_secrets" in settings:
            self.state.hide_supplied_secrets = bool(settings.pop("hide_supplied_secrets"))
        if "rate_limits" in settings:
            self.rate_limits = bool(settings.pop("rate_limits"))
            self.limiter.reset()
        self.faults.configure(**settings)
        return self.config()

    def config(self) -> dict[str, Any]:
        """The current switches."""
        return {
            "rate_limits": self.rate_limits,
            "denied_actions": sorted(self.denied_actions),
            "hide_supplied_secrets": self.state.hide_supplied_secrets,
            **self.faults.settings.to_dict(),
        }

    def set_pool_quotas(
        self,
        user_pool_id: str,
        max_clients: int | None = None,
        max_identity_providers: int | None = None,
    ) -> PoolQuotas:
        """Change a pool's adjustable resource quotas."""
        with self.state.lock:
            quotas = self.state.pool_quotas(user_pool_id)
            if max_clients is not None:
                quotas.max_clients = int(max_clients)
            if max_identity_providers is not None:
                quotas.max_identity_providers = int(max_identity_providers)
            return quotas

    def reset(self) -> None:
        """Forget moto's cognito-idp state and ours; quotas and faults off."""
        from moto.cognitoidp.models import cognitoidp_backends

        with self.state.lock:
            for account in list(cognitoidp_backends.values()):
                account.reset()
            self.state.reset()
        self.faults.reset()
        self.limiter.reset()
        self.rate_limits = False
        self.denied_actions = frozenset()
