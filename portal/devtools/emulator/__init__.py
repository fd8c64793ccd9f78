"""A local Cognito user-pools API: moto's server plus what AWS enforces and moto does not."""

from .admin import EmulatorAdmin
from .emulator import Emulator
from .seed import EmulatorPool
from .state import CallRecord

__all__ = ["CallRecord", "Emulator", "EmulatorAdmin", "EmulatorPool"]
