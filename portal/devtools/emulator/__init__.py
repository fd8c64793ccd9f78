"""A local Cognito user-pools API: moto's server plus what AWS enforces and moto does not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .admin import EmulatorAdmin
from .seed import EmulatorPool
from .state import CallRecord

if TYPE_CHECKING:
    from .emulator import Emulator

__all__ = ["CallRecord", "Emulator", "EmulatorAdmin", "EmulatorPool"]


def __getattr__(name: str) -> Any:
    # Emulator needs moto (the dev extra): imported on first use, so that registering
    # `portal emulator` in an install without the extra does not fail.
    if name == "Emulator":
        from .emulator import Emulator

        return Emulator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
