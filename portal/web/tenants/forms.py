"""Forms of the tenant pages: each action is a POST with its CSRF token."""

from flask_wtf import FlaskForm
from wtforms import SubmitField


class ActionForm(FlaskForm):
    """A button that changes something or reveals a secret; the CSRF token is its only field."""

    submit = SubmitField("Go")
