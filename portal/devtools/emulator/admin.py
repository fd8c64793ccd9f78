"""The control API under /_emulator/ and `EmulatorAdmin`, its client for other processes."""

from __future__ import annotations

import json
import urllib.request
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .seed import EmulatorPool, seed_pools
from .state import CallRecord

if TYPE_CHECKING:
    from .app import EmulatorApp


def admin_response(app: EmulatorApp, request: Request) -> Response:
    """Answer one /_emulator/ request."""
    route = (request.method, request.path.removeprefix("/_emulator").rstrip("/") or "/")
    try:
        body = json.loads(request.get_data() or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        data = _route(app, route, body)
    except (TypeError, ValueError, KeyError) as exc:
        return _json({"error": str(exc)}, 400)
    if data is None:
        return _json({"error": f"no route {route[0]} {route[1]}"}, 404)
    return _json(data)


def _route(app: EmulatorApp, route: tuple[str, str], body: dict[str, Any]) -> Any:
    if route == ("GET", "/health"):
        return {"status": "ok", "region": app.region, **app.config()}
    if route == ("GET", "/calls"):
        return [record.to_dict() for record in app.state.calls()]
    if route == ("DELETE", "/calls"):
        app.state.clear_calls()
        return {"cleared": True}
    if route == ("POST", "/reset"):
        app.reset()
        return {"reset": True}
    if route == ("GET", "/config"):
        return app.config()
    if route == ("POST", "/config"):
        return app.configure(**body)
    if route == ("POST", "/seed"):
        made = seed_pools(app, int(body.get("pools", 1)), int(body.get("classic_pools", 0)))
        return [pool.to_dict() for pool in made]
    if route == ("POST", "/quotas"):
        quotas = app.set_pool_quotas(**body)
        return {"user_pool_id": body["user_pool_id"], **vars(quotas)}
    return None


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


class EmulatorAdmin:
    """Drive an emulator running in another process through its /_emulator/ API."""

    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the emulator's own http endpoint
            f"{self.endpoint}/_emulator{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  # nosec B310
            return json.loads(response.read())

    def health(self) -> dict[str, Any]:
        """Status, region and current switches."""
        return self._call("GET", "/health")

    def calls(self) -> list[CallRecord]:
        """The call log, oldest first."""
        return [CallRecord.from_dict(item) for item in self._call("GET", "/calls")]

    def clear_calls(self) -> None:
        """Empty the call log."""
        self._call("DELETE", "/calls")

    def reset(self) -> None:
        """Forget all state; quotas and faults off."""
        self._call("POST", "/reset", {})

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Same keywords as Emulator.configure."""
        return self._call("POST", "/config", settings)

    def seed(self, pools: int = 1, classic_pools: int = 0) -> list[EmulatorPool]:
        """Create ready pools; see Emulator.seed."""
        made = self._call("POST", "/seed", {"pools": pools, "classic_pools": classic_pools})
        return [EmulatorPool(**item) for item in made]

    def set_pool_quotas(
        self,
        user_pool_id: str,
        max_clients: int | None = None,
        max_identity_providers: int | None = None,
    ) -> dict[str, Any]:
        """Change a pool's adjustable quotas."""
        body: dict[str, Any] = {"user_pool_id": user_pool_id}
        if max_clients is not None:
            body["max_clients"] = max_clients
        if max_identity_providers is not None:
            body["max_identity_providers"] = max_identity_providers
        return self._call("POST", "/quotas", body)
