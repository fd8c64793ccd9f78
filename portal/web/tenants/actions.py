"""The tenant page's Actions area: each feature appends the partial that renders its buttons.

A partial gets `tenant`, `run` (the latest run) and `can_change` (staff or admin), and renders
nothing when its action does not apply. Later features (offboarding, rotation, setup links ...)
add one line here.
"""

TENANT_ACTION_TEMPLATES: list[str] = [
    "tenants/actions/_wizard.html",
    "tenants/actions/_onboarding.html",
    "tenants/actions/_handover.html",
    "tenants/actions/_lifecycle.html",
    "tenants/actions/_setup.html",
]
