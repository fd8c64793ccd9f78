"""The five onboarding steps, in the order Cognito requires them."""

from portal.cognito.resources.app_client import AppClientStep
from portal.cognito.resources.attach import AttachStep
from portal.cognito.resources.attributes import AttributesStep
from portal.cognito.resources.base import Change, Known, StepContext, StepOutcome
from portal.cognito.resources.managed_login import ManagedLoginStep
from portal.cognito.resources.provider import ProviderStep

ONBOARDING_STEPS = (
    AppClientStep(),
    AttributesStep(),
    ProviderStep(),
    AttachStep(),
    ManagedLoginStep(),
)
STEPS_BY_NAME = {step.name: step for step in ONBOARDING_STEPS}

__all__ = ["ONBOARDING_STEPS", "STEPS_BY_NAME", "Change", "Known", "StepContext", "StepOutcome"]
