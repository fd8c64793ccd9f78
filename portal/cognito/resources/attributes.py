"""Step 1: the pool's custom:groups (and custom:roles) attributes, added once per pool."""

from __future__ import annotations

from portal.cognito.desired import custom_attribute_schema
from portal.cognito.errors import PermanentError
from portal.cognito.resources.base import Change, StepContext, StepOutcome

RESOURCE = "custom attribute"


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
        """What the portal recorded of the pool, and what runs working with this one noted
        (portal.cognito.pool_notes: attributes can never be deleted)."""
        if set(ctx.desired.custom_attributes) <= ctx.known.pool_attributes:
            return ctx.known.pool_attributes
        return ctx.known.pool_attributes | ctx.pool_notes.attributes(ctx.pool_id)

    def _missing(self, ctx: StepContext) -> tuple[list[str], frozenset[str]]:
        needed, known = ctx.desired.custom_attributes, self._known(ctx)
        if set(needed) <= known:
            return [], known  # attributes can never be deleted: no read needed
        existing = read_custom_attributes(ctx)
        for name in needed:
            if name in existing:
                _check_usable(name, existing[name])
        ctx.pool_notes.note_attributes(ctx.pool_id, existing)  # usable, or not needed
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
        known = self._known(ctx)
        if set(ctx.desired.custom_attributes) <= known:
            return StepOutcome("unchanged", facts={"pool_attributes": sorted(known)})
        with ctx.pool_notes.exclusive(ctx.pool_id):  # one run reads and adds; the rest wait
            outcome = self._apply(ctx)
            ctx.pool_notes.note_attributes(ctx.pool_id, outcome.facts["pool_attributes"])
        return outcome

    def _apply(self, ctx: StepContext) -> StepOutcome:
        """Add what the pool is known to lack, without reading it first.

        The pool's record is a read made when it was registered, and attributes can never be
        deleted: what it lacked then it lacks now, unless someone added it since. Adding at once
        saves a new pool's first runs a DescribeUserPool's round trip (they all wait for this).
        Cognito refuses the whole request if one name exists; then the pool is read, what exists
        is checked, and only the rest is added.
        """
        needed, known = ctx.desired.custom_attributes, self._known(ctx)
        missing = [n for n in needed if n not in known]
        if not missing:
            return StepOutcome("unchanged", facts={"pool_attributes": sorted(known)})
        try:
            self._add(ctx, missing)
        except PermanentError:
            missing, known = self._missing(ctx)  # a fresh read: added since the pool was read
            if missing:
                self._add(ctx, missing)
        changes = [Change(RESOURCE, "create", None, None, name) for name in missing]
        return StepOutcome(
            "created" if changes else "unchanged",
            changes,
            facts={"pool_attributes": sorted(set(known) | set(missing))},
        )

    @staticmethod
    def _add(ctx: StepContext, names: list[str]) -> None:
        ctx.gateway.call(
            "AddCustomAttributes",
            ctx.pool_id,
            CustomAttributes=[custom_attribute_schema(n) for n in names],
        )
