"""The OpenAPI document and its rendered reference page, both readable without a token."""

from __future__ import annotations

from flask import current_app, jsonify, render_template

from portal.web.access import public
from portal.web.api.openapi import build_document
from portal.web.api.registry import bp


@bp.get("/openapi.json")
@public
def openapi():
    document = current_app.extensions.get("portal_openapi")
    if document is None:
        document = current_app.extensions["portal_openapi"] = build_document()
    return jsonify(document)


@bp.get("/docs")
@public
def reference():
    return render_template("api/reference.html")
