"""Injected latency, throttling and internal errors, off by default."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass
class FaultSettings:
    """What to inject into each Cognito call received over HTTP."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready copy."""
        return asdict(self)


class Faults:
    """Draws delays and failures from one seedable RNG; thread-safe."""

    def __init__(self) -> None:
        self.settings = FaultSettings()
        self._rng = random.Random()  # noqa: S311 - simulation, not security
        self._lock = threading.Lock()

    def configure(self, **changes: Any) -> None:
        """Change any subset of the settings; a new `seed` reseeds the RNG."""
        for name, value in changes.items():
            if not hasattr(self.settings, name):
                raise ValueError(f"unknown fault setting {name!r}")
            if name in ("throttle_rate", "error_rate") and not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
            if name in ("latency_ms", "jitter_ms") and float(value) < 0:
                raise ValueError(f"{name} must not be negative")
            setattr(self.settings, name, value)
        if "seed" in changes:
            with self._lock:
                self._rng.seed(changes["seed"])

    def reset(self) -> None:
        """All faults off, RNG reseeded from the OS."""
        self.settings = FaultSettings()
        with self._lock:
            self._rng.seed()

    def delay_seconds(self) -> float:
        """How long to hold this call before answering it."""
        s = self.settings
        if s.latency_ms <= 0 and s.jitter_ms <= 0:
            return 0.0
        with self._lock:
            jitter = self._rng.uniform(-s.jitter_ms, s.jitter_ms) if s.jitter_ms else 0.0
        return max(0.0, s.latency_ms + jitter) / 1000.0

    def draw(self) -> str | None:
        """Whether to fail this call: "throttle", "error" or None."""
        s = self.settings
        if s.throttle_rate <= 0 and s.error_rate <= 0:
            return None
        with self._lock:
            roll = self._rng.random()
        if roll < s.throttle_rate:
            return "throttle"
        if roll < s.throttle_rate + s.error_rate:
            return "error"
        return None
