"""The audit log's filter (a GET form: it changes nothing) and the verify-now button."""

from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional, ValidationError

from portal.extensions import db
from portal.models import Tenant
from portal.services.audit.query import ACTOR_TYPES, AuditFilter

ACTOR_TYPE_LABELS = {
    "user": "Portal user",
    "setup_link": "Setup link",
    "api_token": "API token",
    "cli": "CLI operator",
    "system": "System",
    "anonymous": "Anonymous visitor",
}


class FilterForm(FlaskForm):
    class Meta:
        csrf = False  # a search form read with GET: it changes nothing

    tenant = StringField(
        "Tenant", validators=[Optional(), Length(max=32)], render_kw={"list": "audit-tenants"}
    )
    actor = StringField("Actor", validators=[Optional(), Length(max=300)])
    actor_type = SelectField(
        "Kind of actor",
        choices=[("", "Any")] + [(t, ACTOR_TYPE_LABELS[t]) for t in ACTOR_TYPES],
        default="",
    )
    action = StringField(
        "Action", validators=[Optional(), Length(max=64)], render_kw={"list": "audit-actions"}
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

    def validate_tenant(self, field) -> None:
        slug = (field.data or "").strip()
        if slug and db.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is None:
            raise ValidationError(f"No tenant has the slug “{slug}”.")

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
