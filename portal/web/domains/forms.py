"""Forms of the tenant page's domains section (each POST carries its CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

NO_AUTOFILL = {"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"}


class AddDomainForm(FlaskForm):
    domain = StringField(
        "E-mail domain",
        validators=[DataRequired("Enter a domain, e.g. example.com."), Length(max=253)],
        render_kw={**NO_AUTOFILL, "placeholder": "example.com"},
    )
    submit = SubmitField("Add claim")


class DecideDomainForm(FlaskForm):
    """Verify by hand or remove: both name the domain and need a reason, which is audited."""

    domain = HiddenField(validators=[DataRequired()])
    reason = StringField(
        "Reason",
        validators=[DataRequired("Say why."), Length(max=500)],
        render_kw={"autocomplete": "off"},
    )
    submit = SubmitField("Go")
