"""Home: a summary of where onboarding stands, and where each role goes next."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Tenant
from portal.services.pools.registry import list_usage
from portal.web.access import ALL_ROLES, roles

bp = Blueprint("main", __name__)


@bp.get("/")
@roles(*ALL_ROLES)
def home():
    counts = dict(
        db.session.execute(
            select(Tenant.status, func.count(Tenant.id)).group_by(Tenant.status)
        ).all()
    )
    return render_template("main/home.html", counts=counts, pools=list_usage())
