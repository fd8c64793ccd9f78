"""Forms for changing, offboarding and moving tenants, and for pool settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional


def lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class EditTenantForm(FlaskForm):
    name = StringField("Display name", validators=[DataRequired()])
    callback_urls = TextAreaField("Callback URLs (one per line)", validators=[DataRequired()])
    logout_urls = TextAreaField("Logout URLs (one per line)")
    groups_claim = StringField("Groups claim", validators=[DataRequired()])
    roles_claim = StringField("Roles claim (empty: not mapped)")
    email_verified_claim = StringField("Email-verified claim (empty: not mapped)")
    scopes = StringField("Authorize scopes", validators=[DataRequired()])
    secret_expires = DateField("The customer's IdP secret expires on", validators=[Optional()])
    submit = SubmitField("Save and review the Cognito changes")


class OffboardForm(FlaskForm):
    confirm = StringField("Type the tenant's slug to confirm", validators=[DataRequired()])
    remove_users = BooleanField("Also delete the federated users Cognito created for this provider")
    submit = SubmitField("Offboard")


class MoveForm(FlaskForm):
    pool = SelectField("Move to user pool", validators=[DataRequired()])
    understood = BooleanField(
        "I understand that the IdP redirect URI and every user's sub "
        "change, and the application needs the new client ID and secret",
        validators=[DataRequired(message="Confirm that you understand.")],
    )
    submit = SubmitField("Start the move")


class QuotasForm(FlaskForm):
    max_clients = IntegerField("App clients", validators=[Optional(), NumberRange(min=1)])
    max_identity_providers = IntegerField(
        "Identity providers", validators=[Optional(), NumberRange(min=1)]
    )
    submit = SubmitField("Save quotas")
