#!/usr/bin/env python3
"""AWS calls per enrollment, by service and action, counted by the emulator.

A benchmark, run by hand (or by bench/run-all). It deploys template.yaml into the local emulator in this
process, creates a shared fleet and tokens with the admin CLI, and then, for each scenario, clears the
emulator's call counters (DELETE /_hybrid/calls), makes the scenario's requests through the REST API and reads
the counters (GET /_hybrid/calls). Every call the function makes is counted, retries included.

It also checks which calls of a single-use enrollment are sequential: a call that is never made when the call
before it fails can only be sent after that call's answer. The emulator fails each call in turn
(POST /_hybrid/faults) and the script records which later calls disappear.

Results: a Markdown table on stdout, target/bench/enrollment-calls.json and target/bench/enrollment-calls.md.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchstack import (
    RESULTS,
    BenchStack,
    configure_logging,
    enrollment_event,
    log,
    machine,
    markdown_table,
    write_results,
)

SHARED_FLEET = "sharedbench"
# Failure counters: 20 per source and 5 wrong secrets per token in five minutes (template defaults). Staying
# below them keeps every rejected attempt on the ordinary rejection path rather than the slow-down answer.
REJECTED_ATTEMPTS = 3

# The single-use path of EnrollmentService.enrollOnce/enrollSingleUse, in order. Each call needs the answer
# of the one before: CreateActivation is only sent once the read has authenticated the token, and the
# transaction records the activation id and code that CreateActivation returned.
SINGLE_USE_CHAIN = ["dynamodb.BatchGetItem", "ssm.CreateActivation", "dynamodb.TransactWriteItems"]

GOALS = {"singleUseCalls": 3, "singleUseSequential": 2, "sharedCalls": 2}


@dataclass
class Scenario:
    name: str
    expected_status: int
    requests: int
    calls: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def per_request(self) -> dict[str, float]:
        return {call: count / self.requests for call, count in sorted(self.calls.items())}

    def total_per_request(self) -> float:
        return sum(self.calls.values()) / self.requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--enrollments",
        type=int,
        default=5,
        help="enrollments per steady-state scenario; calls are reported per enrollment (default: 5)",
    )
    parser.add_argument("--build", action="store_true", help="build functions/ as `sam build` does before deploying")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.enrollments < 1:
        parser.error("--enrollments must be at least 1")
    configure_logging(args.verbose)

    out = RESULTS / "enrollment-calls"
    shutil.rmtree(out, ignore_errors=True)
    with BenchStack(out / "stack", build=args.build) as bench:
        n = args.enrollments
        # Each new machine spends one use (at most n + 2 per token); retries and refusals spend none.
        uses = n + 5
        single_use = bench.create_token(bench.default_fleet(), uses)
        bench.cli("fleet", "create", SHARED_FLEET, "--mode", "shared", "--registration-limit", "100")
        shared = bench.create_token(SHARED_FLEET, uses)
        scenarios = measure_scenarios(bench, n, single_use, shared)
        chain = check_single_use_chain(bench, single_use)

    report = build_report(scenarios, chain, args)
    markdown = render(report)
    path = write_results("enrollment-calls", report, markdown)
    print(markdown)
    print(f"\nResults: {path}")
    # Calls counted on an unexpected path would be reported under the wrong name: fail the run.
    unexpected = [s.name for s in scenarios if set(s.statuses) != {s.expected_status}]
    if unexpected:
        print(f"Unexpected HTTP status in: {', '.join(unexpected)}", file=sys.stderr)
        return 1
    return 0


def new_machine() -> str:
    return f"bench-calls-{uuid.uuid4().hex}"


def measure_scenarios(bench: BenchStack, n: int, single_use: str, shared: str) -> list[Scenario]:
    unknown_token = "hob_" + ".".join([bench.default_fleet(), "a" * 12, secrets.token_urlsafe(32)])
    wrong_secret = single_use.rsplit(".", 1)[0] + "." + secrets.token_urlsafe(32)
    retried_single, retried_shared = new_machine(), new_machine()
    scenarios = []

    def run(name: str, expected_status: int, count: int, request: Callable[[int], tuple[int, str | None]]) -> None:
        """Clears the counters, makes `count` requests (request(i) makes the i-th) and keeps what was counted."""
        scenario = Scenario(name, expected_status, count)
        bench.reset_calls()
        for i in range(count):
            status, error = request(i)
            scenario.statuses[status] += 1
            if error:
                scenario.errors[error] += 1
        scenario.calls.update(bench.calls())
        log.info("%s: %s", name, dict(scenario.calls))
        scenarios.append(scenario)

    run(
        "single-use: new machine",
        201,
        n,
        lambda i: bench.enroll(single_use, retried_single if i == 0 else new_machine()),
    )
    run("single-use: retry, same machineId", 200, 1, lambda i: bench.enroll(single_use, retried_single))
    run("shared: first enrollment (creates the activation)", 201, 1, lambda i: bench.enroll(shared, retried_shared))
    run("shared: steady state", 201, n, lambda i: bench.enroll(shared, new_machine()))
    run("shared: retry, same machineId", 200, 1, lambda i: bench.enroll(shared, retried_shared))
    run(
        "shared: first request of a new execution environment",
        201,
        1,
        lambda i: fresh_environment_enrollment(bench, shared),
    )
    run("rejected: unknown token id", 401, REJECTED_ATTEMPTS, lambda i: bench.enroll(unknown_token, new_machine()))
    run("rejected: wrong secret", 401, REJECTED_ATTEMPTS, lambda i: bench.enroll(wrong_secret, new_machine()))
    run("rejected: malformed token", 401, REJECTED_ATTEMPTS, lambda i: bench.enroll("not-a-token", new_machine()))
    return scenarios


def fresh_environment_enrollment(bench: BenchStack, token: str) -> tuple[int, str | None]:
    """The warm environment behind the REST API keeps opened shared codes in memory; a new environment, as
    Lambda starts when it scales out, has to open the code once. The API cannot be told to use a new
    environment, so this sends the same API Gateway event to a new one directly."""
    function = next(f for f in bench.functions() if f.logical_id == "EnrollmentFunction")
    result = bench.invoke_in_fresh_environment(function, [enrollment_event(token, new_machine())])
    return result.status, None


@dataclass
class ChainStep:
    """What a single-use enrollment did while one of its calls failed on every attempt."""

    failed: str
    calls: dict[str, int]
    status: int
    skipped: list[str]


def check_single_use_chain(bench: BenchStack, token: str) -> list[ChainStep]:
    """Fails each call of the single-use path but the last, and records which later calls were not made."""
    steps = []
    for index, target in enumerate(SINGLE_USE_CHAIN[:-1]):
        bench.reset_calls()
        bench.inject_fault(target, "InternalServerError", 500)
        try:
            status, _ = bench.enroll(token, new_machine())
        finally:
            bench.clear_faults()
        calls = bench.calls()
        if not calls.get(target):
            raise SystemExit(f"{target} was never called: the single-use path changed; update SINGLE_USE_CHAIN")
        skipped = [later for later in SINGLE_USE_CHAIN[index + 1 :] if not calls.get(later)]
        steps.append(ChainStep(target, calls, status, skipped))
        log.info("with %s failing: %s, status %d", target, calls, status)
    return steps


def sequential_round_trips(chain: list[ChainStep]) -> int:
    """Counts the calls of the single-use path that cannot start before the previous call's answer, plus the first."""
    sequential = 1
    for index, step in enumerate(chain):
        if SINGLE_USE_CHAIN[index + 1] in step.skipped:
            sequential += 1
    return sequential


def build_report(scenarios: list[Scenario], chain: list[ChainStep], args: argparse.Namespace) -> dict[str, Any]:
    by_name = {s.name: s for s in scenarios}
    single = by_name["single-use: new machine"]
    if set(single.per_request()) != set(SINGLE_USE_CHAIN):
        raise SystemExit(
            f"a single-use enrollment made {single.per_request()}, not the calls of SINGLE_USE_CHAIN; update it"
        )
    steady = by_name["shared: steady state"]
    sequential = sequential_round_trips(chain)
    return {
        "benchmark": "enrollment-calls",
        "settings": {"enrollmentsPerSteadyScenario": args.enrollments, "rejectedAttempts": REJECTED_ATTEMPTS},
        "machine": machine(),
        "scenarios": [
            {
                "name": s.name,
                "requests": s.requests,
                "expectedStatus": s.expected_status,
                "statuses": dict(s.statuses),
                "errors": dict(s.errors),
                "callsPerRequest": s.per_request(),
                "totalPerRequest": s.total_per_request(),
            }
            for s in scenarios
        ],
        "singleUseChain": {
            "order": SINGLE_USE_CHAIN,
            "faultChecks": [
                {"failed": c.failed, "status": c.status, "calls": c.calls, "skipped": c.skipped} for c in chain
            ],
            "sequentialRoundTrips": sequential,
        },
        "goals": [
            goal("single-use: AWS calls per enrollment", single.total_per_request(), GOALS["singleUseCalls"]),
            goal("single-use: sequential round trips", sequential, GOALS["singleUseSequential"]),
            goal("shared: AWS calls per enrollment (steady state)", steady.total_per_request(), GOALS["sharedCalls"]),
        ],
    }


def goal(name: str, measured: float, at_most: int) -> dict[str, Any]:
    return {"goal": name, "atMost": at_most, "measured": measured, "met": measured <= at_most}


def render(report: dict[str, Any]) -> str:
    rows = []
    for s in report["scenarios"]:
        ok = s["statuses"] == {s["expectedStatus"]: s["requests"]}
        statuses = ", ".join(f"{status} x{count}" for status, count in sorted(s["statuses"].items()))
        if s["errors"]:
            statuses += " (" + ", ".join(sorted(s["errors"])) + ")"
        calls = ", ".join(f"{call} {count:g}" for call, count in s["callsPerRequest"].items()) or "none"
        rows.append(
            [
                s["name"],
                s["requests"],
                statuses + ("" if ok else f" (expected {s['expectedStatus']})"),
                calls,
                f"{s['totalPerRequest']:g}",
            ]
        )
    scenarios = markdown_table(["Scenario", "Requests", "HTTP status", "Calls per request", "Total per request"], rows)
    chain = report["singleUseChain"]
    checks = markdown_table(
        [
            "Call failed (HTTP 500 from the emulator, every attempt)",
            "Calls made",
            "HTTP status",
            "Later calls not made",
        ],
        [
            [
                c["failed"],
                ", ".join(f"{k} {v}" for k, v in sorted(c["calls"].items())),
                c["status"],
                ", ".join(c["skipped"]) or "none",
            ]
            for c in chain["faultChecks"]
        ],
    )
    goals = markdown_table(
        ["Goal", "At most", "Measured", "Met"],
        [
            [
                g["goal"],
                g["atMost"],
                f"{g['measured']:g}",
                "yes" if g["met"] else f"no, {g['measured'] - g['atMost']:g} over",
            ]
            for g in report["goals"]
        ],
    )
    return "\n\n".join(
        [
            "### AWS calls per enrollment",
            scenarios,
            f"### Sequential round trips, single-use: {chain['sequentialRoundTrips']} "
            f"({' -> '.join(chain['order'])})",
            checks,
            "### Goals",
            goals,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
