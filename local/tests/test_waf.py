"""The local model of AWS WAF: a web ACL's rules in priority order, the per-source rate-based rule with its
evaluation window and its check interval, IP sets, and the model of AWS's IP reputation list."""

from __future__ import annotations

import json
from typing import Any

import pytest

from hybrid_local.waf import IpReputation, SourceRates, UnsupportedRule, WebAcl

EXEMPT_SET = "arn:aws:wafv2:us-east-1:123456789012:regional/ipset/exempt/1111"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def rate_rule(
    limit: int = 10, window: int = 60, scope: dict[str, Any] | None = None, action: dict[str, Any] | None = None
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Limit": limit, "EvaluationWindowSec": window, "AggregateKeyType": "IP"}
    if scope:
        statement["ScopeDownStatement"] = scope
    return {
        "Name": "RequestsPerSource",
        "Priority": 1,
        "Statement": {"RateBasedStatement": statement},
        "Action": action
        or {
            "Block": {
                "CustomResponse": {
                    "ResponseCode": 429,
                    "CustomResponseBodyKey": "limited",
                    "ResponseHeaders": [{"Name": "Retry-After", "Value": "60"}],
                }
            }
        },
    }


REPUTATION_RULE = {
    "Name": "KnownBadSources",
    "Priority": 0,
    "OverrideAction": {"None": {}},
    "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesAmazonIpReputationList"}},
}


def acl(*rules: dict[str, Any], default: str = "Allow") -> dict[str, Any]:
    return {
        "Name": "edge",
        "ARN": "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/edge/1",
        "DefaultAction": {default: {}},
        "Rules": list(rules),
        "CustomResponseBodies": {
            "limited": {"ContentType": "APPLICATION_JSON", "Content": '{"error":{"code":"source_rate_limited"}}'}
        },
    }


def web_acl(
    description: dict[str, Any],
    clock: FakeClock,
    reputation: IpReputation | None = None,
    check_interval: float = 0,
    ip_sets: dict[str, list[str]] | None = None,
) -> WebAcl:
    return WebAcl(description, ip_sets or {}, reputation or IpReputation(), check_interval, clock)


def test_a_source_over_the_limit_gets_the_custom_response_and_others_do_not() -> None:
    clock = FakeClock()
    edge = web_acl(acl(rate_rule(limit=10)), clock)

    verdicts = [edge.evaluate("198.51.100.1") for _ in range(12)]
    other = edge.evaluate("198.51.100.2")

    assert verdicts[:10] == [None] * 10
    blocked = verdicts[10]
    assert blocked is not None and blocked.custom
    assert (blocked.status, blocked.headers, blocked.content_type) == (429, {"Retry-After": "60"}, "application/json")
    assert json.loads(blocked.body) == {"error": {"code": "source_rate_limited"}}
    assert verdicts[11] == blocked
    assert other is None


def test_counts_leave_the_evaluation_window_and_the_source_is_let_through_again() -> None:
    clock = FakeClock()
    edge = web_acl(acl(rate_rule(limit=10, window=60)), clock)
    for _ in range(11):
        edge.evaluate("198.51.100.1")
    assert edge.evaluate("198.51.100.1") is not None

    clock.now += 59
    assert edge.evaluate("198.51.100.1") is not None, "still within the window"
    clock.now += 2
    assert edge.evaluate("198.51.100.1") is None


def test_blocked_requests_count_so_a_source_that_keeps_flooding_stays_blocked() -> None:
    clock = FakeClock()
    edge = web_acl(acl(rate_rule(limit=10, window=60)), clock)
    for _ in range(20):
        edge.evaluate("198.51.100.1")
    for _ in range(5):
        clock.now += 50
        assert all(edge.evaluate("198.51.100.1") is not None for _ in range(11))


def test_rates_are_checked_at_intervals_so_a_burst_gets_past_the_limit_until_the_next_check() -> None:
    clock = FakeClock()
    edge = web_acl(acl(rate_rule(limit=10)), clock, check_interval=10)

    burst = [edge.evaluate("198.51.100.1") for _ in range(50)]
    clock.now += 10
    after_the_check = edge.evaluate("198.51.100.1")

    assert burst == [None] * 50
    assert after_the_check is not None


def test_sources_in_an_exempt_ip_set_are_not_counted() -> None:
    clock = FakeClock()
    scope = {"NotStatement": {"Statement": {"IPSetReferenceStatement": {"ARN": EXEMPT_SET}}}}
    edge = web_acl(acl(rate_rule(limit=10, scope=scope)), clock, ip_sets={EXEMPT_SET: ["10.20.0.0/16"]})

    assert all(edge.evaluate("10.20.3.4") is None for _ in range(100))
    assert [edge.evaluate("10.21.0.1") is None for _ in range(11)] == [True] * 10 + [False]


def test_the_reputation_list_blocks_before_the_rate_rule_and_without_a_custom_response() -> None:
    clock = FakeClock()
    reputation = IpReputation()
    edge = web_acl(acl(rate_rule(limit=10), REPUTATION_RULE), clock, reputation)
    assert edge.evaluate("203.0.113.7") is None

    reputation.replace(["203.0.113.0/28"])
    blocked = edge.evaluate("203.0.113.7")

    assert blocked is not None and not blocked.custom
    assert blocked.rule == "KnownBadSources"
    assert edge.evaluate("203.0.113.99") is None
    reputation.replace([])
    assert edge.evaluate("203.0.113.7") is None


def test_overriding_the_managed_group_to_count_only_counts() -> None:
    reputation = IpReputation()
    reputation.replace(["203.0.113.7"])
    counting = {**REPUTATION_RULE, "OverrideAction": {"Count": {}}}

    assert web_acl(acl(counting), FakeClock(), reputation).evaluate("203.0.113.7") is None


def test_a_rate_rule_that_counts_lets_everything_through_and_the_default_action_decides() -> None:
    clock = FakeClock()
    counting = web_acl(acl(rate_rule(limit=10, action={"Count": {}})), clock)
    blocking_by_default = web_acl(acl(default="Block"), clock)

    assert all(counting.evaluate("198.51.100.1") is None for _ in range(20))
    blocked = blocking_by_default.evaluate("198.51.100.1")
    assert blocked is not None and not blocked.custom


def test_reset_forgets_every_count() -> None:
    clock = FakeClock()
    edge = web_acl(acl(rate_rule(limit=10)), clock)
    for _ in range(11):
        edge.evaluate("198.51.100.1")

    edge.reset()

    assert edge.evaluate("198.51.100.1") is None


@pytest.mark.parametrize(
    "rule",
    [
        {
            "Name": "Geo",
            "Priority": 2,
            "Action": {"Block": {}},
            "Statement": {"GeoMatchStatement": {"CountryCodes": ["XX"]}},
        },
        {
            **REPUTATION_RULE,
            "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
        },
        {**rate_rule(), "Statement": {"RateBasedStatement": {"Limit": 10, "AggregateKeyType": "FORWARDED_IP"}}},
        {**rate_rule(), "Action": {"Challenge": {}}},
        rate_rule(scope={"IPSetReferenceStatement": {"ARN": EXEMPT_SET}}),
    ],
)
def test_what_is_not_modelled_fails_instead_of_being_ignored(rule: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedRule):
        web_acl(acl(rule), FakeClock())


def test_source_rates_count_one_second_buckets_over_the_window() -> None:
    clock = FakeClock()
    rates = SourceRates(limit=3, window_s=10, check_interval_s=0, now=clock)

    assert [rates.count("a") for _ in range(4)] == [False, False, False, True]
    clock.now += 10
    assert rates.count("a") is False
