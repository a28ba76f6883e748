"""Test knobs of the local AWS: the emulator clock, injected faults and call counters.

A call is named ``"<service>.<Action>"`` (``ssm.CreateActivation``,
``dynamodb.TransactWriteItems``, ``sns.Publish``). A fault rule targets one call name,
every action of a service (``"ssm.*"``) or every call (``"*"``).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any


class EmulatorClock:
    """Wall-clock time plus an offset, so tests can jump ahead (expire activations) instantly."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    @property
    def offset_seconds(self) -> float:
        with self._lock:
            return self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = seconds

    def reset(self) -> None:
        self.set_offset(0.0)


@dataclass(frozen=True)
class InjectedFault:
    """The error a call gets instead of reaching the service, or, with ``answer_lost``, after the service
    applied it: the caller then cannot tell that its call went through, as when a response is lost. With
    ``stops_caller``, the service applies the call and the function that made it is stopped before the answer
    reaches it, as when Lambda ends an invocation (a timeout, a crash): the run stopped right after that call."""

    error: str
    status: int
    message: str
    answer_lost: bool = False
    stops_caller: bool = False


class FaultSpecError(ValueError):
    """A fault rule that cannot be installed as given."""


THROTTLED = InjectedFault("ThrottlingException", 400, "Rate exceeded")

# -1 keeps a rule failing every matching call until the faults are cleared.
FAIL_EVERY_CALL = -1


@dataclass
class _FailNextCalls:
    target: str
    fault: InjectedFault
    remaining: int
    # Matching calls that go through before the rule starts failing them, so a test can fault the k-th call.
    passes: int = 0
    # Only calls signed with this access key id match: on the local stack, one function's calls.
    access_key: str | None = None

    def matches(self, call: str, access_key: str | None) -> bool:
        return _matches(self.target, call) and (self.access_key is None or self.access_key == access_key)

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "target": self.target,
            "error": self.fault.error,
            "status": self.fault.status,
            "message": self.fault.message,
            "count": self.remaining,
            "answerLost": self.fault.answer_lost,
        }
        if self.fault.stops_caller:
            described["stopCaller"] = True
        if self.passes:
            described["after"] = self.passes
        if self.access_key:
            described["accessKeyId"] = self.access_key
        return described


@dataclass
class _RateLimit:
    """A token bucket: starts full with ``burst`` tokens, refills at ``rate`` per second."""

    target: str
    rate: float
    burst: float
    fault: InjectedFault
    tokens: float
    refilled_at: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.refilled_at) * self.rate)
        self.refilled_at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def describe(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "ratePerSecond": self.rate,
            "burst": self.burst,
            "error": self.fault.error,
            "status": self.fault.status,
        }


def _matches(target: str, call: str) -> bool:
    if target in ("*", call):
        return True
    return target.endswith(".*") and call.startswith(target[:-1])


class FaultInjector:
    """Decides, per call, whether it fails before reaching moto or the hybrid backend.

    Rate limits run on the real monotonic clock, not the emulator clock: advancing the
    emulator clock to expire activations must not refill every bucket.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[_FailNextCalls] = []
        self._rate_limits: list[_RateLimit] = []

    def add(self, spec: dict[str, Any]) -> None:
        """Install a rule from its control-endpoint form (see EMULATOR.md)."""
        target = spec.get("target")
        if not isinstance(target, str) or not target:
            raise FaultSpecError("'target' must name a call, e.g. 'ssm.CreateActivation'")
        if "ratePerSecond" in spec:
            rule: _FailNextCalls | _RateLimit = self._rate_limit_from(target, spec)
        else:
            rule = self._failure_from(target, spec)
        with self._lock:
            if isinstance(rule, _RateLimit):
                self._rate_limits.append(rule)
            else:
                self._failures.append(rule)

    @staticmethod
    def _fault_from(spec: dict[str, Any]) -> InjectedFault:
        error = spec.get("error", THROTTLED.error)
        status = spec.get("status", THROTTLED.status)
        message = spec.get("message", THROTTLED.message if error == THROTTLED.error else f"Injected fault: {error}")
        if not isinstance(error, str) or not error:
            raise FaultSpecError("'error' must be an error code such as 'ThrottlingException'")
        if not isinstance(status, int) or isinstance(status, bool) or not 400 <= status <= 599:
            raise FaultSpecError("'status' must be an HTTP error status (400-599)")
        if not isinstance(message, str):
            raise FaultSpecError("'message' must be a string")
        answer_lost = spec.get("answerLost", False)
        stops_caller = spec.get("stopCaller", False)
        for name, value in (("answerLost", answer_lost), ("stopCaller", stops_caller)):
            if not isinstance(value, bool):
                raise FaultSpecError(f"'{name}' must be true or false")
        if answer_lost and stops_caller:
            raise FaultSpecError("a stopped caller gets no answer: 'answerLost' and 'stopCaller' exclude each other")
        return InjectedFault(error, status, message, answer_lost, stops_caller)

    def _failure_from(self, target: str, spec: dict[str, Any]) -> _FailNextCalls:
        if "error" not in spec and not spec.get("stopCaller"):
            raise FaultSpecError("a fault needs 'error' (fail next calls), 'stopCaller' or 'ratePerSecond' (throttle)")
        count = spec.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or (count < 1 and count != FAIL_EVERY_CALL):
            raise FaultSpecError("'count' must be a positive integer, or -1 for every call")
        passes = spec.get("after", 0)
        if not isinstance(passes, int) or isinstance(passes, bool) or passes < 0:
            raise FaultSpecError("'after' must be the number of matching calls to let through first (0 or more)")
        access_key = spec.get("accessKeyId")
        if access_key is not None and (not isinstance(access_key, str) or not access_key):
            raise FaultSpecError("'accessKeyId' must be an access key id")
        spec = (
            {"error": "FunctionStopped", "status": 500, "message": "the caller was stopped", **spec}
            if spec.get("stopCaller")
            else spec
        )
        return _FailNextCalls(target, self._fault_from(spec), count, passes, access_key)

    def _rate_limit_from(self, target: str, spec: dict[str, Any]) -> _RateLimit:
        for name in ("answerLost", "stopCaller", "after", "accessKeyId"):
            if name in spec:
                raise FaultSpecError(f"'{name}' applies to failing next calls, not to a rate limit")
        rate = spec["ratePerSecond"]
        burst = spec.get("burst", 1)
        for name, value in (("ratePerSecond", rate), ("burst", burst)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise FaultSpecError(f"'{name}' must be a non-negative number")
        fault = self._fault_from(spec)
        return _RateLimit(target, float(rate), float(burst), fault, float(burst), time.monotonic())

    def check(self, call: str, access_key: str | None = None) -> InjectedFault | None:
        """Consume what this call uses of the rules; return the fault it gets, if any."""
        with self._lock:
            for failure in self._failures:
                if failure.matches(call, access_key):
                    if failure.passes > 0:
                        failure.passes -= 1
                        continue
                    if failure.remaining != FAIL_EVERY_CALL:
                        failure.remaining -= 1
                        if failure.remaining == 0:
                            self._failures.remove(failure)
                    return failure.fault
            now = time.monotonic()
            for limit in self._rate_limits:
                if _matches(limit.target, call) and not limit.take(now):
                    return limit.fault
        return None

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in (*self._failures, *self._rate_limits)]

    def clear(self) -> None:
        with self._lock:
            self._failures.clear()
            self._rate_limits.clear()


class CallCounter:
    """How many times each call arrived since the last reset, faulted ones included, in all and per access key
    (so that what one function called can be checked against its role's policy)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._by_key: dict[str, Counter[str]] = {}

    def record(self, call: str, access_key: str | None = None) -> None:
        with self._lock:
            self._counts[call] += 1
            if access_key:
                self._by_key.setdefault(access_key, Counter())[call] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def by_access_key(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {key: dict(sorted(counts.items())) for key, counts in sorted(self._by_key.items())}

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._by_key.clear()
