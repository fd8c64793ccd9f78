"""Beat: look again for the TXT records of unverified e-mail domain claims."""

from __future__ import annotations

from celery import shared_task

from portal.services.audit.actors import SYSTEM, acting_as


@shared_task(name="portal.check_domain_claims", ignore_result=True)
def check_domain_claims() -> int:
    """Check each claim not looked at for PORTAL_DNS_CHECK_MINUTES; the number verified.

    Then queue the runs that identifiers changed during an earlier run still need.
    """
    from portal.services.domains import claims, verification

    with acting_as(SYSTEM):
        verified = verification.sweep()
        claims.catch_up()
        return verified
