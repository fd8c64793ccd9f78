"""The portal's tables."""

from portal.models.audit import AuditChainHead, AuditEvent, AuditImmutableError
from portal.models.domains import DomainState, TenantDomain, VerifyMethod
from portal.models.drafts import WizardDraft
from portal.models.ledger import CognitoCall
from portal.models.lifecycle import DriftFinding, DriftStatus, MoveState, TenantMove
from portal.models.pools import UserPool
from portal.models.runs import ACTIVE_RUN_STATUSES, Run, RunKind, RunStatus, Step, StepStatus
from portal.models.settings import PortalSetting
from portal.models.setup_links import LinkState, SetupLink, SignInOutcome, SignInTest
from portal.models.tenants import ProviderType, RotationState, Tenant, TenantStatus
from portal.models.types import utcnow
from portal.models.users import PasswordReset, Role, User, UserSession

__all__ = [
    "ACTIVE_RUN_STATUSES",
    "AuditChainHead",
    "AuditEvent",
    "AuditImmutableError",
    "CognitoCall",
    "DomainState",
    "DriftFinding",
    "DriftStatus",
    "LinkState",
    "MoveState",
    "PasswordReset",
    "PortalSetting",
    "ProviderType",
    "Role",
    "RotationState",
    "Run",
    "RunKind",
    "RunStatus",
    "SetupLink",
    "SignInOutcome",
    "SignInTest",
    "Step",
    "StepStatus",
    "Tenant",
    "TenantDomain",
    "TenantMove",
    "TenantStatus",
    "User",
    "UserPool",
    "UserSession",
    "VerifyMethod",
    "WizardDraft",
    "utcnow",
]

from portal.models.api import ApiToken, IdempotencyKey, TokenKind
from portal.models.audit_checks import AuditCheckpoint, AuditVerification
from portal.models.webhooks import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ += [
    "ApiToken",
    "DeliveryStatus",
    "IdempotencyKey",
    "TokenKind",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
__all__ += ["AuditCheckpoint", "AuditVerification"]
