"""What every step of the engine shares: its context, the changes it plans, its outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from portal.cognito.desired import DesiredTenant
from portal.cognito.gateway import CognitoGateway
from portal.cognito.pool_notes import PROCESS_NOTES, PoolNotes

REDACTED = "[redacted]"


@dataclass(frozen=True)
class Change:
    """One difference between what Cognito holds and what the tenant needs."""

    resource: str
    action: str  # create | update | delete
    field: str | None = None
    before: Any = None
    after: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "action": self.action,
            "field": self.field,
            "before": self.before,
            "after": self.after,
        }

    def describe(self) -> str:
        if self.field is None:
            return f"{self.action} {self.resource}"
        return f"{self.action} {self.resource} {self.field}: {self.before!r} -> {self.after!r}"


@dataclass
class Known:
    """What the portal has recorded about the tenant's resources before this step runs."""

    client_id: str | None = None
    client_create_started: bool = False
    provider_created: bool = False
    branding_id: str | None = None
    pool_attributes: frozenset[str] = frozenset()
    # Client-secret rotation: ids of the secret being introduced and the one it replaces.
    new_secret_id: str | None = None
    old_secret_id: str | None = None
    remove_users: bool = False


@dataclass
class StepOutcome:
    """What a step found or did, and the facts the portal must now record."""

    outcome: str  # created | updated | unchanged | deleted | absent | skipped
    changes: list[Change] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class StepContext:
    """A step's view of the world: the gateway, the desired state, and what is already known."""

    gateway: CognitoGateway
    desired: DesiredTenant
    known: Known
    live: dict[str, Any] = field(default_factory=dict)  # descriptions read or returned this run
    # Persists a fact on the tenant before an unsafe create: on_intent(attribute, value).
    on_intent: Callable[..., None] = lambda _name, _value=True: None
    # Lasting facts about the pool shared with the runs working on it at the same time.
    pool_notes: PoolNotes = PROCESS_NOTES

    @property
    def pool_id(self) -> str:
        return self.desired.user_pool_id


class Step(Protocol):
    name: ClassVar[str]
    title: ClassVar[str]

    def plan(self, ctx: StepContext) -> StepOutcome:
        """Read live state and return the changes apply would make (no writes)."""

    def apply(self, ctx: StepContext) -> StepOutcome:
        """Bring live state to the desired state; safe to call again after any failure."""


def diff_fields(
    resource: str,
    live: dict[str, Any],
    wanted: dict[str, Any],
    unordered: frozenset[str] = frozenset(),
) -> list[Change]:
    """Field-by-field changes; list fields named in `unordered` compare as sets."""
    changes = []
    for key, after in wanted.items():
        before = live.get(key)
        if key in unordered:
            same = sorted(before or []) == sorted(after or [])
        elif isinstance(after, list):
            same = list(before or []) == after
        else:
            same = before == after
        if not same:
            changes.append(Change(resource, "update", key, before, after))
    return changes
