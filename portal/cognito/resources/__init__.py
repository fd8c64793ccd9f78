"""The engine's steps: onboarding's five in the order Cognito requires, and the lifecycle's.

Onboarding runs in Cognito's order, not the console's: the pool's custom attributes, then the
provider, then the app client created whole (provider attached, callbacks, `openid`), so a
tenant costs one app-client write, not two. UserPoolClientUpdate is an account-wide quota of
15 calls a second: a create followed by an attach spent two of them per tenant and made that
category as full as UserPoolResourceUpdate, so the two could not both run at full rate.
The wizard still asks in the console's order (README, "Start onboarding"; BENCHMARKS.md,
"Cognito calls per onboarding").
"""

from portal.cognito.resources.app_client import AppClientStep
from portal.cognito.resources.attach import AttachStep
from portal.cognito.resources.attributes import AttributesStep
from portal.cognito.resources.base import (
    Change,
    Known,
    StepContext,
    StepOutcome,
)
from portal.cognito.resources.client_secret import AddClientSecretStep, DeleteSecretStep
from portal.cognito.resources.managed_login import ManagedLoginStep
from portal.cognito.resources.offboard import (
    RemoveClientStep,
    RemoveProviderStep,
    RemoveStyleStep,
    RemoveUsersStep,
)
from portal.cognito.resources.provider import ProviderStep

ONBOARDING_STEPS = (
    AttributesStep(),
    ProviderStep(),
    AppClientStep(),
    AttachStep(),
    ManagedLoginStep(),
)
OFFBOARDING_STEPS = (RemoveStyleStep(), RemoveClientStep(), RemoveProviderStep(), RemoveUsersStep())
RETIRE_OLD_SECRET = DeleteSecretStep("retire_secret", "Retire the old client secret", "old")
CANCEL_NEW_SECRET = DeleteSecretStep("cancel_secret", "Withdraw the new client secret", "new")

STEP_SETS = {
    "onboard": ONBOARDING_STEPS,
    "reconcile": ONBOARDING_STEPS,
    "move": ONBOARDING_STEPS,
    "offboard": OFFBOARDING_STEPS,
    "finish_move": OFFBOARDING_STEPS[:3],
    "rotate_secret": (AddClientSecretStep(),),
    "retire_secret": (RETIRE_OLD_SECRET,),
    "cancel_rotation": (CANCEL_NEW_SECRET,),
}
STEPS_BY_NAME = {step.name: step for steps in STEP_SETS.values() for step in steps}

__all__ = [
    "OFFBOARDING_STEPS",
    "ONBOARDING_STEPS",
    "STEPS_BY_NAME",
    "STEP_SETS",
    "Change",
    "Known",
    "StepContext",
    "StepOutcome",
]
