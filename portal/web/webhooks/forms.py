"""Forms for webhook endpoints."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from portal.services.webhooks import endpoints as webhooks
from portal.validation import ValidationError as RuleBroken


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EndpointForm(FlaskForm):
    url = StringField(
        "Endpoint URL",
        description="https://… where the portal POSTs events.",
    )
    description = StringField("Description", validators=[Optional(), Length(max=200)])
    events = CheckboxesField("Events", choices=webhooks.event_choices(), validate_choice=False)
    enabled = BooleanField("Enabled", default=True)
    submit = SubmitField("Save endpoint")

    def validate_url(self, field) -> None:
        try:
            field.data = webhooks.check_webhook_url(field.data)
        except RuleBroken as exc:
            raise ValidationError(exc.message) from exc

    def validate_events(self, field) -> None:
        try:
            field.data = webhooks.check_events(field.data or [])
        except RuleBroken as exc:
            raise ValidationError(exc.message) from exc


class ActionForm(FlaskForm):
    """A CSRF-only form for the buttons (test, rotate, delete, redeliver)."""

    submit = SubmitField("Go")
