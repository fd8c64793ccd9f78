"""What each common SAML IdP sends by default, so staff and customers need not look it up.

Attribute names are what each product's own SAML set-up uses or suggests: Entra ID and ADFS send
claim-type URIs; the others send the names the admin types when adding attributes, and the guides
ask for exactly these names.
"""

from __future__ import annotations

from dataclasses import dataclass

ENTRA_EMAIL = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
ENTRA_GROUPS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
ENTRA_ROLES = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role"
ADFS_GROUPS = "http://schemas.xmlsoap.org/claims/Group"


@dataclass(frozen=True)
class SamlPreset:
    key: str
    label: str
    email_attribute: str
    groups_attribute: str
    roles_attribute: str | None = None


PRESETS = (
    SamlPreset("entra", "Microsoft Entra ID", ENTRA_EMAIL, ENTRA_GROUPS, ENTRA_ROLES),
    SamlPreset("okta", "Okta", "email", "groups"),
    SamlPreset("google", "Google Workspace", "email", "groups"),
    SamlPreset("adfs", "Active Directory Federation Services (ADFS)", ENTRA_EMAIL, ADFS_GROUPS),
    SamlPreset("jumpcloud", "JumpCloud", "email", "memberOf"),
    SamlPreset("onelogin", "OneLogin", "email", "groups"),
    SamlPreset("ping", "PingFederate / PingOne", "email", "memberOf"),
    SamlPreset("generic", "Another SAML 2.0 provider", "email", "groups"),
)
BY_KEY = {preset.key: preset for preset in PRESETS}
CHOICES = [(preset.key, preset.label) for preset in PRESETS]


def preset(key: str | None) -> SamlPreset:
    return BY_KEY.get(key or "", BY_KEY["generic"])


def presets_json() -> str:
    """The presets' attribute names, for the page script that fills the fields on a choice."""
    import json

    return json.dumps(
        {
            p.key: {
                "email_attribute": p.email_attribute,
                "groups_attribute": p.groups_attribute,
                "roles_attribute": p.roles_attribute or "",
            }
            for p in PRESETS
        }
    )
