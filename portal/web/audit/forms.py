"""The audit log's filter (a GET form: it changes nothing) and the verify-now button."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import Select

from portal.services.audit.query import (
    ACTOR_TYPES,
    KNOWN_ACTIONS,
    AuditFilter,
)

ACTOR_TYPE_LABELS = {
    "user": "Portal user",
    "setup_link": "Setup link",
    "api_token": "API token",
    "cli": "CLI operator",
    "system": "System",
    "anonymous": "Anonymous visitor",
}


@functools.cache
def action_choices() -> dict[str, list[tuple[str, str]]]:
    """The action pick-list: one group per family (tenant., run., cognito., ...), each opening
    with the whole family, then its actions. Built once: every page of the log has the list
    (forms take it as it is; one with an action of its own gets a new dict, see FilterForm)."""
    groups: dict[str, list[tuple[str, str]]] = {"": [("", "Any action")]}
    for action in KNOWN_ACTIONS:
        family = action.split(".", 1)[0] + "."
        group = groups.setdefault(family + "*", [(family, f"Every {family}* action")])
        group.append((action, action))
    return groups


@functools.cache
def _listed_actions() -> frozenset[str]:
    return frozenset(value for group in action_choices().values() for value, _label in group)


class KeptHtml:
    """HTML kept per key, for HTML that depends only on what its key holds; at most MOST are
    kept, all forgotten at once when full (a key holds what a visitor typed)."""

    def __init__(self, most: int = 256) -> None:
        self._kept: dict[tuple, Markup] = {}
        self._most = most

    def get(self, key: tuple, render: Callable[[], Markup]) -> Markup:
        html = self._kept.get(key)
        if html is None:
            html = render()
            if len(self._kept) >= self._most:
                self._kept.clear()
            self._kept[key] = html
        return html


class RememberedSelect(Select):
    """A select whose HTML is kept per choices, selection and attributes.

    The action pick-list has 130 options; wtforms wrote them out on every page of the log, 3 ms
    of its 17. What it writes depends only on what the key holds, so a page reuses it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._kept = KeptHtml()

    def __call__(self, field, **kwargs) -> Markup:
        choices = tuple((group, tuple(options)) for group, options in field.choices.items())
        key = (field.id, field.name, field.data, choices, tuple(sorted(kwargs.items())))
        return self._kept.get(key, lambda: super(RememberedSelect, self).__call__(field, **kwargs))


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a search form read with GET: it changes nothing

    tenant = StringField(
        "Tenant", validators=[Optional(), Length(max=128)], render_kw={"list": "audit-tenants"}
    )
    actor = StringField("Actor", validators=[Optional(), Length(max=300)])
    actor_type = SelectField(
        "Kind of actor",
        choices=[("", "Any")] + [(t, ACTOR_TYPE_LABELS[t]) for t in ACTOR_TYPES],
        default="",
    )
    # Any text is accepted (the CLI, the API and old links send words and families too); one the
    # list lacks is added to it, so the select shows the filter in force.
    action = SelectField(
        "Action",
        choices=action_choices,
        default="",
        validate_choice=False,
        widget=RememberedSelect(),
    )
    request_id = StringField("Request id", validators=[Optional(), Length(max=64)])
    since = DateField(
        "From (UTC)",
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"placeholder": "YYYY-MM-DD"},
    )
    until = DateField(
        "To (UTC, included)",
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"placeholder": "YYYY-MM-DD"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        typed = (self.action.data or "").strip()
        if typed and typed not in _listed_actions():
            self.action.choices = {
                "": [("", "Any action"), (typed, f"Containing “{typed}”")],
                **{k: v for k, v in self.action.choices.items() if k},
            }

    def validate_action(self, field) -> None:
        if len((field.data or "").strip()) > 64:
            raise ValidationError("An action has at most 64 characters.")

    def validate_until(self, field) -> None:
        if field.data and self.since.data and field.data < self.since.data:
            raise ValidationError("The end date is before the start date.")

    def to_filter(self) -> AuditFilter:
        def text(value: str | None) -> str | None:
            return (value or "").strip() or None

        return AuditFilter(
            tenant=text(self.tenant.data),
            actor=text(self.actor.data),
            actor_type=text(self.actor_type.data),
            action=text(self.action.data),
            request_id=text(self.request_id.data),
            since=self.since.data,
            until=self.until.data,
        )


class VerifyForm(FlaskForm):
    submit = SubmitField("Verify now")


def filter_chips(flt: AuditFilter) -> list[tuple[str, str]]:
    """The filter in force as (field, words) pairs, one removable chip each."""
    chips: list[tuple[str, str]] = []
    if flt.tenant:
        chips.append(("tenant", f"Tenant contains “{flt.tenant}”"))
    if flt.actor:
        chips.append(("actor", f"Actor contains “{flt.actor}”"))
    if flt.actor_type:
        label = ACTOR_TYPE_LABELS.get(flt.actor_type, flt.actor_type)
        chips.append(("actor_type", f"Kind of actor: {label}"))
    if flt.action:
        family = flt.action.removesuffix("*")
        if family.endswith("."):
            chips.append(("action", f"Action: every {family}* action"))
        elif flt.action in KNOWN_ACTIONS:
            chips.append(("action", f"Action: {flt.action}"))
        else:
            chips.append(("action", f"Action contains “{flt.action}”"))
    if flt.request_id:
        chips.append(("request_id", f"Request {flt.request_id}"))
    if flt.since:
        chips.append(("since", f"From {flt.since.isoformat()}"))
    if flt.until:
        chips.append(("until", f"To {flt.until.isoformat()}"))
    return chips
