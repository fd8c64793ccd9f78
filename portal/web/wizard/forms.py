"""Wizard forms; each field checks itself with the same rules the services apply."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import ValidationError as FieldError

from portal.saml.presets import CHOICES as SAML_PRESETS
from portal.validation import (
    ValidationError,
    check_claim,
    check_name,
    check_redirect_urls,
    check_scopes,
    check_slug,
)

RESERVED_SLUGS = {"new"}  # /tenants/new is the wizard itself


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _rule(check, *args):
    """Turn a portal.validation rule into a WTForms field validator."""

    def validate(_form, field):
        try:
            check(field.data, *args)
        except ValidationError as error:
            raise FieldError(error.message) from None

    return validate


class AppClientForm(FlaskForm):
    name = StringField(
        "Display name",
        validators=[DataRequired(message="A display name is required."), _rule(check_name)],
        render_kw={"autocomplete": "organization", "maxlength": 128},
    )
    slug = StringField(
        "Slug",
        validators=[Optional()],
        render_kw={"autocomplete": "off", "spellcheck": "false", "maxlength": 32},
    )
    callback_urls = TextAreaField(
        "Callback URLs",
        render_kw={"rows": 3, "spellcheck": "false", "inputmode": "url"},
    )
    logout_urls = TextAreaField(
        "Logout URLs (optional)",
        render_kw={"rows": 2, "spellcheck": "false", "inputmode": "url"},
    )
    submit = SubmitField("Save and continue")

    def validate_slug(self, field) -> None:
        if not field.data:
            return  # suggested from the name by the view
        try:
            field.data = check_slug(field.data)
        except ValidationError as error:
            raise FieldError(error.message) from None
        if field.data in RESERVED_SLUGS:
            raise FieldError(f"{field.data!r} is reserved; choose another slug")

    def validate_callback_urls(self, field) -> None:
        try:
            check_redirect_urls(lines(field.data), "callback_urls", required=True)
        except ValidationError as error:
            raise FieldError(error.message) from None

    def validate_logout_urls(self, field) -> None:
        try:
            check_redirect_urls(lines(field.data), "logout_urls", required=False)
        except ValidationError as error:
            raise FieldError(error.message) from None


class AttributesForm(FlaskForm):
    pool = RadioField("User pool", choices=[("", "Place automatically")], default="")
    include_roles = BooleanField("Also map the customer's roles to custom:roles")
    submit = SubmitField("Save and continue")


class ProviderForm(FlaskForm):
    mode = RadioField(
        "Who enters the identity provider settings?",
        choices=[("now", "I enter them now"), ("customer", "The customer will enter this")],
        default="now",
    )
    issuer = StringField(
        "Issuer URI",
        validators=[Length(max=2048)],
        render_kw={"inputmode": "url", "spellcheck": "false", "autocomplete": "off"},
    )
    client_id = StringField(
        "Client ID", validators=[Length(max=255)], render_kw={"autocomplete": "off"}
    )
    client_secret = PasswordField(
        "Client secret",
        validators=[Length(max=2048)],
        render_kw={"autocomplete": "new-password", "spellcheck": "false"},
    )
    scopes = StringField(
        "Scopes", default="openid email", render_kw={"spellcheck": "false", "autocomplete": "off"}
    )
    groups_claim = StringField(
        "Groups claim", default="groups", render_kw={"spellcheck": "false", "autocomplete": "off"}
    )
    roles_claim = StringField(
        "Roles claim", render_kw={"spellcheck": "false", "autocomplete": "off"}
    )
    attributes_request_method = SelectField(
        "Attribute request method", choices=[("GET", "GET"), ("POST", "POST")], default="GET"
    )
    submit = SubmitField("Check and save")
    roles_required = False  # set by the view when step 2 chose to map roles

    def entering_now(self) -> bool:
        return self.mode.data != "customer"

    def validate_issuer(self, field) -> None:
        if self.entering_now() and not (field.data or "").strip():
            raise FieldError("The issuer URI is required.")

    def validate_client_id(self, field) -> None:
        if self.entering_now() and not (field.data or "").strip():
            raise FieldError("The client ID is required.")

    def validate_scopes(self, field) -> None:
        if self.entering_now():
            try:
                field.data = check_scopes(field.data)
            except ValidationError as error:
                raise FieldError(error.message) from None

    def validate_groups_claim(self, field) -> None:
        if self.entering_now():
            _rule(check_claim, "groups_claim", False)(self, field)

    def validate_roles_claim(self, field) -> None:
        if self.entering_now():
            _rule(check_claim, "roles_claim", self.roles_required)(self, field)


class ConfirmForm(FlaskForm):
    submit = SubmitField("Continue")


class ReviewForm(FlaskForm):
    submit = SubmitField("Start onboarding")


class SamlProviderForm(FlaskForm):
    """Step 3 for a SAML 2.0 IdP; shown beside ProviderForm, chosen by `provider_type`."""

    provider_type = RadioField(
        "The customer's identity provider speaks",
        choices=[("OIDC", "OpenID Connect"), ("SAML", "SAML 2.0")],
        default="OIDC",
    )
    preset = SelectField("Identity provider", choices=SAML_PRESETS, default="generic")
    metadata_url = StringField(
        "Metadata URL",
        validators=[Length(max=2048)],
        render_kw={"inputmode": "url", "spellcheck": "false", "autocomplete": "off"},
    )
    metadata_file = FileField("Or the metadata file (XML)")
    email_attribute = StringField("E-mail attribute", render_kw={"spellcheck": "false"})
    groups_attribute = StringField("Groups attribute", render_kw={"spellcheck": "false"})
    roles_attribute = StringField("Roles attribute", render_kw={"spellcheck": "false"})
    sign_requests = BooleanField("Sign sign-in requests (rsa-sha256)")
    encrypted_responses = BooleanField("Require encrypted assertions")
    idp_signout = BooleanField("Sign users out of the identity provider too (IdP sign-out)")
    idp_initiated = BooleanField("Accept sign-in started at the identity provider (IdP-initiated)")

    def has_file(self) -> bool:
        upload = self.metadata_file.data
        return bool(upload and getattr(upload, "filename", ""))

    entering_now = True  # set by the view from ProviderForm's mode

    def validate_metadata_url(self, field) -> None:
        if not self.entering_now or self.provider_type.data != "SAML":
            return
        if bool((field.data or "").strip()) == self.has_file():
            raise FieldError("Give the metadata URL or upload the metadata file (one of them).")
