"""Domain events (tenant created, provisioning succeeded, ...) for listeners such as webhooks.

`publish` runs inside the caller's transaction, so a listener can add rows (a webhook delivery,
say) that commit or roll back with the change itself. Payloads never carry a secret.
"""

from __future__ import annotations

import functools
import importlib
import logging
from collections.abc import Callable
from typing import Any

from portal.models import Tenant

log = logging.getLogger(__name__)
Listener = Callable[[str, Tenant | None, dict[str, Any]], None]
# The portal's own listeners, in every process (web, worker, CLI); imported at the first event,
# so a command that publishes none does not load them.
LISTENERS = (
    "portal.services.webhooks.endpoints:on_event",  # a delivery per subscribed endpoint
    "portal.services.selfservice.setup_links:mark_used",  # a link has done its job
    "portal.services.domains.claims:on_event",  # an offboarded tenant's domains are free again
)
_listeners: list[Listener] = []

TENANT_CREATED = "tenant.created"
IDP_SUBMITTED = "tenant.idp_submitted"
PROVISIONING_SUCCEEDED = "provisioning.succeeded"
PROVISIONING_FAILED = "provisioning.failed"
TENANT_VERIFIED = "tenant.verified"
DRIFT_FOUND = "tenant.drift_found"
TENANT_OFFBOARDED = "tenant.offboarded"
IDP_SECRET_EXPIRING = "tenant.idp_secret_expiring"  # noqa: S105 - an event name
IDP_CERTIFICATE_EXPIRING = "tenant.idp_certificate_expiring"
EVENT_TYPES = (
    TENANT_CREATED,
    IDP_SUBMITTED,
    PROVISIONING_SUCCEEDED,
    PROVISIONING_FAILED,
    TENANT_VERIFIED,
    DRIFT_FOUND,
    TENANT_OFFBOARDED,
    IDP_SECRET_EXPIRING,
    IDP_CERTIFICATE_EXPIRING,
)


def subscribe(listener: Listener) -> None:
    """Also tell LISTENER (tests listen this way)."""
    if listener not in _listeners:
        _listeners.append(listener)


@functools.cache
def portal_listeners() -> tuple[Listener, ...]:
    found = []
    for target in LISTENERS:
        module, _, name = target.partition(":")
        found.append(getattr(importlib.import_module(module), name))
    return tuple(found)


def publish(event_type: str, tenant: Tenant | None, **data: Any) -> None:
    """Tell every listener, in the current transaction."""
    assert event_type in EVENT_TYPES, event_type
    for listener in (*portal_listeners(), *_listeners):
        listener(event_type, tenant, data)
