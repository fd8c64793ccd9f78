"""`Emulator`: the middleware served by a threaded werkzeug server on 127.0.0.1."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import EmulatorApp
from .persist import load_state, save_state
from .seed import EmulatorPool, seed_pools
from .state import CallRecord, PoolQuotas
from .unicode import compile_aws_pattern

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """Request lines go to the module logger at DEBUG instead of werkzeug's INFO on stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug('"%s" %s %s', self.requestline, code, size)


class Emulator:
    """A local Cognito user-pools API as strict as AWS on what the portal relies on.

    All Emulators in one process share moto's global cognito-idp backend: `reset()` on one
    clears the others' pools too, and `moto.mock_aws` started in the same process resets it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "us-east-1",
        account_id: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.region = region
        self.app = EmulatorApp(region=region, account_id=account_id)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Emulator:
        """Serve in a background daemon thread; returns self."""
        if self._server is not None:
            return self
        compile_aws_pattern(r"[\p{L}]")  # build the Unicode tables now, not on the first call
        self._server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="cognito-emulator", daemon=True
        )
        self._thread.start()
        log.info("Cognito emulator listening on %s", self.endpoint)
        return self

    def stop(self) -> None:
        """Stop serving (state is kept until reset)."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        """The base URL to give boto3 as endpoint_url."""
        if self._server is None:
            raise RuntimeError("the emulator is not started")
        return f"http://{self.host}:{self._server.server_port}"

    def seed(self, pools: int = 1, classic_pools: int = 0) -> list[EmulatorPool]:
        """Create ready pools: `pools` on managed login (v2), `classic_pools` on hosted UI (v1)."""
        return seed_pools(self.app, pools, classic_pools)

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Set any of rate_limits, denied_actions, latency_ms, jitter_ms, throttle_rate,
        error_rate, seed."""
        return self.app.configure(**settings)

    def set_pool_quotas(
        self,
        user_pool_id: str,
        max_clients: int | None = None,
        max_identity_providers: int | None = None,
    ) -> PoolQuotas:
        """Change a pool's app-client and identity-provider quotas (AWS: 1,000 and 300)."""
        return self.app.set_pool_quotas(user_pool_id, max_clients, max_identity_providers)

    def calls(self) -> list[CallRecord]:
        """Every Cognito operation received over HTTP, in order."""
        return self.app.state.calls()

    def clear_calls(self) -> None:
        """Empty the call log."""
        self.app.state.clear_calls()

    def in_flight(self) -> list[str]:
        """The Cognito operations being handled right now (received, not yet answered)."""
        return self.app.in_flight()

    def reset(self) -> None:
        """Forget all state (moto's cognito-idp backends too); rate limits and faults off."""
        self.app.reset()

    def save(self, path: Path, seeded: list[EmulatorPool] | None = None) -> None:
        """Write pools, clients, providers, styles and secrets to a JSON file."""
        save_state(self.app, Path(path), seeded or [])

    def load(self, path: Path) -> list[EmulatorPool]:
        """Replace all state with a saved file's; returns the pools that had been seeded."""
        return load_state(self.app, Path(path))
