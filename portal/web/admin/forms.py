"""Admin forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from portal.models import Role

ROLE_CHOICES = [
    (Role.STAFF.value, "Staff — onboard tenants, reveal credentials"),
    (Role.AUDITOR.value, "Auditor — read-only, never sees secrets"),
    (Role.ADMIN.value, "Admin — everything, plus users, pools and settings"),
]


class CreateUserForm(FlaskForm):
    email = EmailField(
        "E-mail", validators=[DataRequired(), Length(max=254)], render_kw={"autocomplete": "off"}
    )
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.STAFF.value)
    password = PasswordField(
        "Password (optional)",
        validators=[Optional(), Length(min=12, max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Create user")


class RequireTotpForm(FlaskForm):
    require_totp = BooleanField("Require a TOTP second factor for every portal user")
    submit = SubmitField("Save setting")


class RegisterPoolForm(FlaskForm):
    user_pool_id = StringField(
        "User pool ID",
        validators=[DataRequired(message="Enter the user pool's id."), Length(max=55)],
        render_kw={
            "autocomplete": "off",
            "spellcheck": "false",
            "placeholder": "us-east-1_AbCdEf123",
        },
    )
    max_clients = IntegerField(
        "App client quota (optional)", validators=[Optional(), NumberRange(min=1)]
    )
    max_identity_providers = IntegerField(
        "Identity provider quota (optional)", validators=[Optional(), NumberRange(min=1)]
    )
    submit = SubmitField("Register pool")


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=[(value, value) for value, _label in ROLE_CHOICES])
    submit = SubmitField("Change role")


class ActionForm(FlaskForm):
    submit = SubmitField("Go")


class AdoptForm(FlaskForm):
    """The clients to adopt come as check-boxes (client_ids); this carries the rest and CSRF."""

    slug_from = SelectField(
        "Name each tenant after",
        choices=[("provider", "its identity provider"), ("client", "its app client")],
        default="provider",
    )
    preview = SubmitField("Preview (dry run)")
    adopt = SubmitField("Adopt the selected clients")
