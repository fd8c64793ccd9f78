"""A plan's changes in words people read: per-item marks for lists, one line per scalar.

Lists (callback URLs, scopes, read/write attributes ...) show what is added and removed, maps
(attribute mappings, provider details) one line per key that differs, and a change that can
never be undone says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Cognito cannot delete or change a custom attribute once added (AddCustomAttributes,
# "Custom attributes" in the Cognito developer guide: they cannot be removed or changed).
IRREVERSIBLE = {
    ("custom attribute", "create"): "{after} can never be removed from the user pool once added "
    "(Cognito cannot delete or change custom attributes); every tenant in the pool will have it.",
}


@dataclass(frozen=True)
class Item:
    """One line of a change: '+' added, '-' removed, '~' changed (a scalar or a map key)."""

    mark: str
    label: str | None
    before: Any = None
    after: Any = None

    def text(self) -> str:
        name = f"{self.label}: " if self.label else ""
        if self.mark == "~":
            return f"~ {name}{_show(self.before)} → {_show(self.after)}"
        value = self.after if self.mark == "+" else self.before
        return f"{self.mark} {name}{_show(value)}"


@dataclass(frozen=True)
class ReadableChange:
    """One planned change with its lines and, when it cannot be undone, the warning."""

    resource: str
    action: str
    field: str | None
    items: list[Item] = field(default_factory=list)
    kept: int = 0  # list entries that stay as they are
    irreversible: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": [item.text() for item in self.items],
            "irreversible": self.irreversible,
        }


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def readable(change: dict[str, Any]) -> ReadableChange:
    """Describe one change from TenantPlan (resource, action, field, before, after)."""
    before, after = change.get("before"), change.get("after")
    action, resource = change["action"], change["resource"]
    warning = IRREVERSIBLE.get((resource, action))
    result = {
        "resource": resource,
        "action": action,
        "field": change.get("field"),
        "irreversible": warning.format(after=after, before=before) if warning else None,
    }
    if action == "create":
        return ReadableChange(**result, items=[Item("+", None, after=after)])
    if action == "delete":
        return ReadableChange(**result, items=[Item("-", None, before=before)])
    if isinstance(before, list | tuple | type(None)) and isinstance(after, list | tuple):
        old, new = [str(v) for v in before or []], [str(v) for v in after]
        items = [Item("+", None, after=v) for v in new if v not in old]
        items += [Item("-", None, before=v) for v in old if v not in new]
        return ReadableChange(**result, items=items, kept=sum(1 for v in new if v in old))
    if isinstance(before, dict | type(None)) and isinstance(after, dict):
        old_map, new_map = before or {}, after
        items = []
        for key in sorted(set(old_map) | set(new_map)):
            if key not in old_map:
                items.append(Item("+", key, after=new_map[key]))
            elif key not in new_map:
                items.append(Item("-", key, before=old_map[key]))
            elif old_map[key] != new_map[key]:
                items.append(Item("~", key, old_map[key], new_map[key]))
        kept = sum(1 for k in new_map if k in old_map and old_map[k] == new_map[k])
        return ReadableChange(**result, items=items, kept=kept)
    return ReadableChange(**result, items=[Item("~", None, before, after)])
