"""Login protection and rate limits.

Lockout is keyed on (user, address): repeated failures lock that pair with a growing
back-off, so an attacker cannot lock a legitimate user out from elsewhere (IEC 62443 SR 1.11).
Rate limits are token buckets per API token and per client address.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)
    locked_until: float = 0.0
    lockouts: int = 0


class LoginGuard:
    def __init__(self, max_failures: int = 5, window_s: float = 900.0, base_lock_s: float = 60.0,
                 max_lock_s: float = 3600.0) -> None:
        self.max_failures, self.window_s = max_failures, window_s
        self.base_lock_s, self.max_lock_s = base_lock_s, max_lock_s
        self._state: dict[tuple[str, str], _Failures] = {}
        self._lock = threading.Lock()

    def locked_for(self, user: str, address: str) -> float:
        """Seconds this (user, address) is still locked out; 0 when it may try."""
        with self._lock:
            st = self._state.get((user.lower(), address))
            return max(0.0, st.locked_until - time.monotonic()) if st else 0.0

    def failure(self, user: str, address: str) -> float:
        """Record a failure; returns the lockout it started in seconds (0 when none)."""
        now = time.monotonic()
        with self._lock:
            st = self._state.setdefault((user.lower(), address), _Failures())
            st.times = [t for t in st.times if now - t < self.window_s] + [now]
            if len(st.times) < self.max_failures:
                return 0.0
            lock = float(min(self.max_lock_s, self.base_lock_s * (2 ** st.lockouts)))
            st.lockouts += 1
            st.locked_until = now + lock
            st.times = []
            if len(self._state) > 100_000:
                self._prune(now)
            return lock

    def success(self, user: str, address: str) -> None:
        with self._lock:
            self._state.pop((user.lower(), address), None)

    def _prune(self, now: float) -> None:
        for key in [k for k, v in self._state.items() if v.locked_until < now and not v.times]:
            del self._state[key]


class RateLimiter:
    """Token buckets: ``rate`` requests per second with bursts up to ``burst``, per key."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0 when allowed, else the seconds until the next request would be."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                if len(self._buckets) > 100_000:
                    self._buckets.clear()
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / self.rate
