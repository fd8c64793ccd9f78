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

    def _missing(self, ctx: StepContext) -> tuple[list[str], frozenset[str]]:
        needed = ctx.desired.custom_attributes
        if set(needed) <= ctx.known.pool_attributes:
            return [], ctx.known.pool_attributes  # attributes can never be deleted: no read needed
        existing = read_custom_attributes(ctx)
        for name in needed:
            if name in existing:
                _check_usable(name, existing[name])
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
