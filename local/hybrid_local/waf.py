"""AWS WAF on loopback: the web ACL associated with an API stage, applied to each request as WAF applies it.

The rules run in priority order and the first terminating action decides; a request no rule stops gets the web
ACL's default action. What is modelled (anything else fails the local stack's start instead of being ignored):

- ``RateBasedStatement`` aggregated by ``IP``, with an optional scope-down statement. Requests in scope are counted
  per source address over the rule's evaluation window (``EvaluationWindowSec``, 300 s unless set); a source whose
  count is over ``Limit`` is rate limited. As in WAF the decision is not taken per request: the rates are checked
  every ``check_interval`` seconds (AWS: "usually below 30 seconds"), so a source can run past its limit until the
  next check, and stays limited until a check finds it back under the limit. Every request the rule sees counts,
  the ones it blocks too, so a source that keeps flooding stays blocked.
- ``ManagedRuleGroupStatement`` ``AWS``/``AWSManagedRulesAmazonIpReputationList``: a model. AWS fills the group's
  lists from its threat intelligence; here the list is an ``IpReputation`` set through the local stack's control
  API, and a request from an address on it matches the group's blocking rules (``AWSManagedIPReputationList``,
  ``AWSManagedReconnaissanceList``). ``OverrideAction: Count`` makes it count only, as in WAF.
- ``IPSetReferenceStatement`` and ``NotStatement``, for scope-down statements and rules of their own.
- Actions ``Block`` (with an optional custom response), ``Count`` and ``Allow``.

Counts use the real monotonic clock, not the emulator clock: WAF's windows are measured by AWS, not by anything
the product controls.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

IP_REPUTATION_GROUP = ("AWS", "AWSManagedRulesAmazonIpReputationList")
DEFAULT_EVALUATION_WINDOW_S = 300
# How often the local model checks the rates by default: shorter than AWS's usual delay, so tests stay quick.
DEFAULT_CHECK_INTERVAL_S = 10.0

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class UnsupportedRule(Exception):
    pass


def networks(addresses: list[str]) -> list[Network]:
    return [ipaddress.ip_network(address, strict=False) for address in addresses]


def _contains(nets: list[Network], source: str) -> bool:
    try:
        address = ipaddress.ip_address(source)
    except ValueError:
        return False
    return any(address in net for net in nets)


class IpReputation:
    """The model of AWS's IP reputation lists: addresses and CIDRs the managed group blocks, shared by every web
    ACL of the stack as AWS's list is."""

    def __init__(self) -> None:
        self._addresses: list[str] = []
        self._networks: list[Network] = []

    def replace(self, addresses: list[str]) -> None:
        nets = networks(addresses)
        self._addresses, self._networks = list(addresses), nets

    @property
    def addresses(self) -> list[str]:
        return list(self._addresses)

    def lists(self, source: str) -> bool:
        return _contains(self._networks, source)


@dataclass(frozen=True)
class Block:
    """A blocked request: the custom response the rule configured, or none (API Gateway then answers with its
    WAF_FILTERED gateway response)."""

    rule: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = "application/json"

    @property
    def custom(self) -> bool:
        return self.status is not None


class SourceRates:
    """Requests per source address over a trailing window, in one-second buckets, and the sources over the limit
    as of the last check."""

    def __init__(self, limit: int, window_s: int, check_interval_s: float, now: Callable[[], float] = time.monotonic):
        self.limit, self.window_s, self.check_interval_s, self.now = limit, window_s, check_interval_s, now
        self._seconds: dict[str, deque[list[int]]] = {}
        self._limited: set[str] = set()
        self._next_check = 0.0
        self._lock = threading.Lock()

    def count(self, source: str) -> bool:
        """Counts one request from the source; whether the source is rate limited."""
        with self._lock:
            now = self.now()
            second = int(now)
            buckets = self._seconds.setdefault(source, deque())
            if buckets and buckets[-1][0] == second:
                buckets[-1][1] += 1
            else:
                buckets.append([second, 1])
            if now >= self._next_check:
                self._check(second)
                self._next_check = now + self.check_interval_s
            return source in self._limited

    def _check(self, second: int) -> None:
        oldest = second - self.window_s + 1
        limited = set()
        for source, buckets in list(self._seconds.items()):
            while buckets and buckets[0][0] < oldest:
                buckets.popleft()
            if not buckets:
                del self._seconds[source]
            elif sum(count for _, count in buckets) > self.limit:
                limited.add(source)
        self._limited = limited

    def reset(self) -> None:
        with self._lock:
            self._seconds.clear()
            self._limited = set()
            self._next_check = 0.0


@dataclass
class Rule:
    name: str
    priority: int
    matches: Callable[[str], bool]
    action: str  # Block, Allow or Count
    block: Block | None = None
    rates: SourceRates | None = None


class WebAcl:
    """One web ACL as WAF applies it to the requests of the resources it is associated with."""

    def __init__(
        self,
        description: dict[str, Any],
        ip_sets: dict[str, list[str]],
        reputation: IpReputation,
        check_interval_s: float = DEFAULT_CHECK_INTERVAL_S,
        now: Callable[[], float] = time.monotonic,
    ):
        self.name = description["Name"]
        self.arn = description.get("ARN", "")
        self._ip_sets = {arn: networks(addresses) for arn, addresses in ip_sets.items()}
        self._reputation = reputation
        self._bodies = description.get("CustomResponseBodies") or {}
        self._check_interval_s, self._now = check_interval_s, now
        self.rules = [self._rule(r) for r in sorted(description.get("Rules") or [], key=lambda r: int(r["Priority"]))]
        self._default = self._action_of(description["DefaultAction"], f"{self.name} default action")

    def evaluate(self, source: str) -> Block | None:
        """The block a request from this source address gets, or None when it is let through."""
        for rule in self.rules:
            if rule.rates is not None:
                in_scope = rule.matches(source)
                if not (in_scope and rule.rates.count(source)):
                    continue
            elif not rule.matches(source):
                continue
            if rule.action == "Block":
                return rule.block
            if rule.action == "Allow":
                return None
        action, block = self._default
        return block if action == "Block" else None

    def reset(self) -> None:
        """Forgets every count, so that a test starts from a known state whatever was sent before it."""
        for rule in self.rules:
            if rule.rates is not None:
                rule.rates.reset()

    def _rule(self, rule: dict[str, Any]) -> Rule:
        name, statement = rule["Name"], rule["Statement"]
        if "ManagedRuleGroupStatement" in statement:
            group = statement["ManagedRuleGroupStatement"]
            if (group.get("VendorName"), group.get("Name")) != IP_REPUTATION_GROUP:
                raise UnsupportedRule(
                    f"rule {name}: only the managed group {'/'.join(IP_REPUTATION_GROUP)} is modelled"
                )
            counts_only = "Count" in (rule.get("OverrideAction") or {})
            return Rule(
                name,
                int(rule["Priority"]),
                self._reputation.lists,
                "Count" if counts_only else "Block",
                block=Block(name),
            )
        action, block = self._action_of(rule.get("Action") or {}, f"rule {name}")
        if "RateBasedStatement" in statement:
            rate = statement["RateBasedStatement"]
            if rate.get("AggregateKeyType", "IP") != "IP":
                raise UnsupportedRule(f"rule {name}: only rate-based rules aggregated by IP are modelled")
            scope = rate.get("ScopeDownStatement")
            rates = SourceRates(
                int(rate["Limit"]),
                int(rate.get("EvaluationWindowSec", DEFAULT_EVALUATION_WINDOW_S)),
                self._check_interval_s,
                self._now,
            )
            return Rule(
                name,
                int(rule["Priority"]),
                self._matcher(scope, name) if scope else lambda _: True,
                action,
                block=block,
                rates=rates,
            )
        return Rule(name, int(rule["Priority"]), self._matcher(statement, name), action, block=block)

    def _matcher(self, statement: dict[str, Any], rule: str) -> Callable[[str], bool]:
        if "NotStatement" in statement:
            inner = self._matcher(statement["NotStatement"]["Statement"], rule)
            return lambda source: not inner(source)
        if "IPSetReferenceStatement" in statement:
            arn = statement["IPSetReferenceStatement"]["ARN"]
            if arn not in self._ip_sets:
                raise UnsupportedRule(f"rule {rule}: IP set {arn} does not exist")
            nets = self._ip_sets[arn]
            return lambda source: _contains(nets, source)
        raise UnsupportedRule(f"rule {rule}: statement {sorted(statement)} is not modelled")

    def _action_of(self, action: dict[str, Any], what: str) -> tuple[str, Block | None]:
        if "Allow" in action:
            return "Allow", None
        if "Count" in action:
            return "Count", None
        if "Block" not in action:
            raise UnsupportedRule(f"{what}: action {sorted(action)} is not modelled")
        custom = (action["Block"] or {}).get("CustomResponse")
        if not custom:
            return "Block", Block(what)
        body, content_type = b"", "application/json"
        key = custom.get("CustomResponseBodyKey")
        if key:
            if key not in self._bodies:
                raise UnsupportedRule(f"{what}: no custom response body {key}")
            body = self._bodies[key]["Content"].encode()
            content_type = {
                "APPLICATION_JSON": "application/json",
                "TEXT_PLAIN": "text/plain",
                "TEXT_HTML": "text/html",
            }[self._bodies[key]["ContentType"]]
        headers = {h["Name"]: h["Value"] for h in custom.get("ResponseHeaders") or []}
        return "Block", Block(what, int(custom["ResponseCode"]), headers, body, content_type)
