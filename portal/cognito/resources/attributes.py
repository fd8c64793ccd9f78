"""Step 1: the pool's custom:groups (and custom:roles) attributes, added once per pool."""

from __future__ import annotations

import threading

from portal.cognito.desired import custom_attribute_schema
from portal.cognito.errors import PermanentError
from portal.cognito.resources.base import Change, StepContext, StepOutcome

RESOURCE = "custom attribute"

# Custom attributes can never be deleted, so what a run of this process saw in a pool holds for
# every later run of it. The first runs on a new pool, started together, wait for one of them to
# read (and add) instead of each reading: UserPoolRead allows 15 calls a second per account, and
# 40 tenants on 2 new pools made 17 DescribeUserPool calls at the very start of the batch.
_seen: dict[str, frozenset[str]] = {}
_guard = threading.Lock()
_pool_locks: dict[str, threading.Lock] = {}


def _pool_lock(pool_id: str) -> threading.Lock:
    with _guard:
        return _pool_locks.setdefault(pool_id, threading.Lock())


def read_custom_attributes(ctx: StepContext) -> dict[str, dict]:
    pool = ctx.gateway.call("DescribeUserPool", ctx.pool_id)["UserPool"]
    return {
        a["Name"]: a
        for a in pool.get("SchemaAttributes", [])
        if a.get("Name", "").startswith("custom:")
    }


def _check_usable(name: str, attribute: dict) -> None:
    if not attribute.get("Mutable", False) or attribute.get("AttributeDataType") != "String":
        raise PermanentError(
            "DescribeUserPool",
            "UnusableCustomAttribute",
            f"{name} exists in the pool but is not a mutable String attribute, so identity "
            "providers cannot write it. Custom attributes can never be changed: place the tenant "
            "in another pool.",
        )


class AttributesStep:
    name = "attributes"
    title = "Custom attributes"

    def _known(self, ctx: StepContext) -> frozenset[str]:
        return ctx.known.pool_attributes | _seen.get(ctx.pool_id, frozenset())

    def _missing(self, ctx: StepContext) -> tuple[list[str], frozenset[str]]:
        needed = ctx.desired.custom_attributes
        if set(needed) <= self._known(ctx):
            return [], self._known(ctx)  # attributes can never be deleted: no read needed
        existing = read_custom_attributes(ctx)
        for name in needed:
            if name in existing:
                _check_usable(name, existing[name])
        _seen[ctx.pool_id] = self._known(ctx) | frozenset(existing)  # usable, or not needed
        return [n for n in needed if n not in existing], frozenset(existing)

    def plan(self, ctx: StepContext) -> StepOutcome:
        missing, existing = self._missing(ctx)
        changes = [Change(RESOURCE, "create", None, None, name) for name in missing]
        return StepOutcome(
            "absent" if missing else "unchanged",
            changes,
            facts={"pool_attributes": sorted(existing)},
        )

    def apply(self, ctx: StepContext) -> StepOutcome:
        if set(ctx.desired.custom_attributes) <= self._known(ctx):
            return StepOutcome("unchanged", facts={"pool_attributes": sorted(self._known(ctx))})
        with _pool_lock(ctx.pool_id):  # one run of this process reads and adds; the rest wait
            outcome = self._apply(ctx)
        _seen[ctx.pool_id] = self._known(ctx) | frozenset(outcome.facts["pool_attributes"])
        return outcome

    def _apply(self, ctx: StepContext) -> StepOutcome:
        missing, existing = self._missing(ctx)
        if not missing:
            return StepOutcome("unchanged", facts={"pool_attributes": sorted(existing)})
        try:
            ctx.gateway.call(
                "AddCustomAttributes",
                ctx.pool_id,
                CustomAttributes=[custom_attribute_schema(n) for n in missing],
            )
        except PermanentError as error:
            # Another worker may have added them a moment ago; believe only a fresh read.
            now = read_custom_attributes(ctx)
            if any(n not in now for n in missing):
                raise error from None
            existing = frozenset(now)
        changes = [Change(RESOURCE, "create", None, None, name) for name in missing]
        return StepOutcome(
            "created", changes, facts={"pool_attributes": sorted(set(existing) | set(missing))}
        )
