"""Forms for changing, offboarding and moving tenants, and for pool settings."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional


def lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class EditTenantForm(FlaskForm):
    name = StringField("Display name", validators=[DataRequired()])
    callback_urls = TextAreaField("Callback URLs (one per line)", validators=[DataRequired()])
    logout_urls = TextAreaField("Logout URLs (one per line)")
    groups_claim = StringField("Groups claim (empty: the IdP sends no groups)")
    roles_claim = StringField("Roles claim (empty: not mapped)")
    email_verified_claim = StringField("Email-verified claim (empty: not mapped)")
    scopes = StringField("Authorize scopes", validators=[DataRequired()])
    secret_expires = DateField("The customer's IdP secret expires on", validators=[Optional()])
    submit = SubmitField("Save and review the Cognito changes")


class IdentityProviderForm(FlaskForm):
    """A live tenant's OIDC provider; an empty secret keeps the one Cognito holds."""

    issuer = StringField(
        "Issuer URI",
        validators=[DataRequired(message="The issuer URI is required."), Length(max=2048)],
        render_kw={"inputmode": "url", "spellcheck": "false", "autocomplete": "off"},
    )
    client_id = StringField(
        "Client ID",
        validators=[DataRequired(message="The client ID is required."), Length(max=255)],
        render_kw={"autocomplete": "off"},
    )
    client_secret = PasswordField(
        "New client secret (empty: keep the current one)",
        validators=[Length(max=2048)],
        render_kw={"autocomplete": "new-password", "spellcheck": "false"},
    )
    scopes = StringField("Scopes", validators=[DataRequired()], render_kw={"spellcheck": "false"})
    groups_claim = StringField(
        "Groups claim (empty: the IdP sends no groups)", render_kw={"spellcheck": "false"}
    )
    roles_claim = StringField("Roles claim (empty: not mapped)", render_kw={"spellcheck": "false"})
    attributes_request_method = SelectField(
        "Attribute request method", choices=[("GET", "GET"), ("POST", "POST")], default="GET"
    )
    submit = SubmitField("Check and review changes")


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
