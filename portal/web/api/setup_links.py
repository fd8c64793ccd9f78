"""API: setup links, so a back office can send customers their link without the UI."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from portal.services.selfservice import setup_links
from portal.services.tenants.records import get_tenant
from portal.validation import ValidationError
from portal.web.api.registry import WRITERS, operation
from portal.web.api.schemas import Strict

TAG = "Setup links"


class SetupLinkCreate(Strict):
    expires_in: Annotated[str, Field(pattern=r"^\s*\d+\s*[mhdw]\s*$", examples=["7d"])] = Field(
        default="7d",
        description="How long the link works: minutes, hours, days or weeks "
        "(5m to 90d). A new link replaces the tenant's current one.",
    )


class SetupLinkView(BaseModel):
    id: int
    state: str = Field(description="active, used, expired or revoked")
    created_by: str
    created_at: datetime
    expires_at: datetime
    opened_at: datetime | None
    submitted_at: datetime | None
    revoked_at: datetime | None


class SetupLinkCreated(SetupLinkView):
    url: str = Field(
        description="The link to send the customer. Shown this once: the portal "
        "keeps only a hash of it."
    )
    replaced_link_id: int | None


class SetupLinkList(BaseModel):
    items: list[SetupLinkView]


def _view(link) -> dict:
    return {
        "id": link.id,
        "state": str(link.state()),
        "created_by": link.created_by,
        "created_at": link.created_at,
        "expires_at": link.expires_at,
        "opened_at": link.opened_at,
        "submitted_at": link.submitted_at,
        "revoked_at": link.revoked_at,
    }


@operation(
    "POST",
    "/tenants/<slug>/setup-links",
    summary="Create a setup link",
    tag=TAG,
    allow=WRITERS,
    body=SetupLinkCreate,
    response=SetupLinkCreated,
    status=201,
    errors=(409,),
)
def create_setup_link(slug: str, body: SetupLinkCreate) -> SetupLinkCreated:
    """A new link for the tenant's IT admin to enter and test their IdP; the old one stops."""
    tenant = get_tenant(slug)
    try:
        lifetime = setup_links.parse_duration(body.expires_in.strip())
    except ValidationError as exc:
        raise ValidationError("expires_in", exc.message) from None
    link, token, replaced = setup_links.create_link(tenant, lifetime)
    return SetupLinkCreated(
        **_view(link),
        url=setup_links.link_url(token),
        replaced_link_id=replaced.id if replaced else None,
    )


@operation(
    "GET",
    "/tenants/<slug>/setup-links",
    summary="List a tenant's setup links",
    tag=TAG,
    allow=WRITERS,
    response=SetupLinkList,
)
def list_setup_links(slug: str) -> SetupLinkList:
    """Every link made for the tenant, newest first, with its state (never its URL)."""
    tenant = get_tenant(slug)
    return SetupLinkList(
        items=[SetupLinkView(**_view(link)) for link in setup_links.links_of(tenant)]
    )


@operation(
    "POST",
    "/tenants/<slug>/setup-links/revoke",
    summary="Revoke the current setup link",
    tag=TAG,
    allow=WRITERS,
    response=SetupLinkList,
    errors=(409,),
)
def revoke_setup_link(slug: str) -> SetupLinkList:
    """Stop the tenant's current link at once; it then shows the closed-link page."""
    tenant = get_tenant(slug)
    link = setup_links.current_link(tenant)
    if link is None:
        raise ValidationError("link", f"tenant {slug} has no active setup link")
    setup_links.revoke_link(link)
    return SetupLinkList(
        items=[SetupLinkView(**_view(link)) for link in setup_links.links_of(tenant)]
    )
