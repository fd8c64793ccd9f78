"""The customer's IdP form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import PasswordField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.validators import ValidationError as ValidationStop

from portal.saml.presets import CHOICES as PRESET_CHOICES

NO_AUTOFILL = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}


class IdpForm(FlaskForm):
    issuer = StringField(
        "Issuer URL",
        validators=[
            DataRequired("Enter the issuer URL of your identity provider."),
            Length(max=2048),
        ],
        render_kw={**NO_AUTOFILL, "inputmode": "url", "placeholder": "https://"},
    )
    client_id = StringField(
        "Client ID",
        validators=[
            DataRequired("Enter the client ID your identity provider shows."),
            Length(max=255),
        ],
        render_kw=NO_AUTOFILL,
    )
    # PasswordField never renders its value back: a secret is not repeated in a page.
    client_secret = PasswordField(
        "Client secret",
        validators=[Optional(), Length(max=1024)],
        render_kw={**NO_AUTOFILL, "autocomplete": "new-password"},
    )
    groups_claim = StringField(
        "Groups claim",
        default="groups",
        validators=[Optional(), Length(max=128)],
        render_kw=NO_AUTOFILL,
    )
    roles_claim = StringField(
        "Roles claim (optional)", validators=[Optional(), Length(max=128)], render_kw=NO_AUTOFILL
    )
    domains = TextAreaField(
        "Your e-mail domains (optional)",
        validators=[Optional(), Length(max=4000)],
        render_kw={**NO_AUTOFILL, "rows": 2, "placeholder": "example.com"},
    )
    submit = SubmitField("Check and connect")


class SamlIdpForm(FlaskForm):
    """The customer's SAML 2.0 IdP: its metadata (URL or file) and the attribute names."""

    preset = SelectField("Your identity provider", choices=PRESET_CHOICES, default="generic")
    metadata_url = StringField(
        "Metadata URL",
        validators=[Length(max=2048)],
        render_kw={**NO_AUTOFILL, "inputmode": "url", "placeholder": "https://"},
    )
    metadata_file = FileField("Or the metadata file (XML)")
    email_attribute = StringField(
        "E-mail attribute", validators=[Optional(), Length(max=128)], render_kw=NO_AUTOFILL
    )
    groups_attribute = StringField(
        "Groups attribute", validators=[Optional(), Length(max=128)], render_kw=NO_AUTOFILL
    )
    roles_attribute = StringField(
        "Roles attribute (optional)",
        validators=[Optional(), Length(max=128)],
        render_kw=NO_AUTOFILL,
    )
    submit = SubmitField("Check and connect")

    def validate_metadata_url(self, field) -> None:
        has_file = bool(
            self.metadata_file.data and getattr(self.metadata_file.data, "filename", "")
        )
        if bool((field.data or "").strip()) == has_file:
            raise ValidationStop("Give the metadata URL or upload the metadata file (one of them).")
