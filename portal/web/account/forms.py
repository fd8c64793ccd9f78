"""Account forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

CODE = [
    DataRequired(message="Enter the 6-digit code."),
    Regexp(r"^\s*\d{6}\s*$", message="Enter the 6-digit code."),
]
CODE_ATTRS = {"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 8}


class PasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[
            DataRequired(),
            Length(min=12, max=1024, message="Use at least 12 characters."),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")


class StartTotpForm(FlaskForm):
    submit = SubmitField("Set up an authenticator app")


class ConfirmTotpForm(FlaskForm):
    code = StringField("Code from the app", validators=CODE, render_kw=CODE_ATTRS)
    submit = SubmitField("Turn on two-factor authentication")


class DisableTotpForm(FlaskForm):
    code = StringField("Current code from the app", validators=CODE, render_kw=CODE_ATTRS)
    submit = SubmitField("Turn off two-factor authentication")


class EndSessionsForm(FlaskForm):
    submit = SubmitField("Sign out everywhere")
