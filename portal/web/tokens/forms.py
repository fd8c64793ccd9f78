"""Forms for making and revoking API tokens."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

SEPARATORS = re.compile(r"[\s,]+")


class NewTokenForm(FlaskForm):
    name = StringField(
        "Name", validators=[Optional(), Length(max=100)], description="What the token is for."
    )
    submit = SubmitField("Create token")


class NewApplicationTokenForm(FlaskForm):
    name = StringField(
        "Application", validators=[DataRequired("Name the application."), Length(max=100)]
    )
    tenants = TextAreaField(
        "Limit to tenants",
        validators=[Optional(), Length(max=20000)],
        description="Slugs separated by spaces, commas or new lines; leave empty for all tenants.",
    )
    submit = SubmitField("Create application token")

    def tenant_slugs(self) -> list[str]:
        return [s for s in SEPARATORS.split(self.tenants.data or "") if s]


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke")
