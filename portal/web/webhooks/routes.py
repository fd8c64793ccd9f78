"""Pages under /admin/webhooks: endpoints, their events, the delivery log, a test event."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from portal.extensions import db
from portal.models import Role, WebhookDelivery, WebhookEndpoint
from portal.services.webhooks import endpoints as webhooks
from portal.web.access import roles
from portal.web.webhooks.forms import ActionForm, EndpointForm

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404)
    return endpoint


@bp.route("", methods=["GET", "POST"])
@roles(Role.ADMIN)
def index():
    form = EndpointForm()
    created = secret = None
    if form.validate_on_submit():
        created, secret = webhooks.create_endpoint(
            form.url.data, form.events.data, form.description.data
        )
        form = EndpointForm(formdata=None)
    return render_template(
        "webhooks/index.html",
        form=form,
        endpoints=webhooks.list_endpoints(),
        created=created,
        secret=secret,
        labels=dict(webhooks.event_choices()),
    ), (201 if created else 200)


def _detail(endpoint: WebhookEndpoint, form: EndpointForm, secret: str | None = None, code=200):
    return render_template(
        "webhooks/detail.html",
        endpoint=endpoint,
        form=form,
        action=ActionForm(),
        deliveries=webhooks.recent_deliveries(endpoint),
        secret=secret,
        labels=dict(webhooks.event_choices()),
    ), code


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@roles(Role.ADMIN)
def detail(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    form = EndpointForm(obj=endpoint)
    if form.validate_on_submit():
        webhooks.update_endpoint(
            endpoint,
            url=form.url.data,
            chosen_events=form.events.data,
            description=form.description.data,
            enabled=form.enabled.data,
        )
        flash("Endpoint saved.", "success")
        return redirect(url_for("webhooks.detail", endpoint_id=endpoint.id))
    return _detail(endpoint, form, code=422 if form.errors else 200)


@bp.post("/<int:endpoint_id>/test")
@roles(Role.ADMIN)
def send_test(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not endpoint.enabled:
        flash("Enable the endpoint before sending it a test event.", "error")
    else:
        delivery = webhooks.send_test_event(endpoint)
        flash(
            f"Test event {delivery.message_id} queued; its result appears in the log below.",
            "success",
        )
    return redirect(url_for("webhooks.detail", endpoint_id=endpoint.id))


@bp.post("/<int:endpoint_id>/rotate")
@roles(Role.ADMIN)
def rotate(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    secret = webhooks.rotate_secret(endpoint)
    return _detail(endpoint, EndpointForm(formdata=None, obj=endpoint), secret=secret)


@bp.post("/<int:endpoint_id>/delete")
@roles(Role.ADMIN)
def delete(endpoint_id: int):
    endpoint = _endpoint(endpoint_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    url = endpoint.url
    webhooks.delete_endpoint(endpoint)
    flash(f"Endpoint {url} deleted with its delivery log.", "success")
    return redirect(url_for("webhooks.index"))


@bp.post("/deliveries/<bigint:delivery_id>/redeliver")
@roles(Role.ADMIN)
def redeliver(delivery_id: int):
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    again = webhooks.redeliver(delivery)
    flash(f"Delivery {delivery.id} queued again as delivery {again.id}.", "success")
    return redirect(url_for("webhooks.detail", endpoint_id=delivery.endpoint_id))
