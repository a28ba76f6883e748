#!/usr/bin/env python3
"""The scheduled rotation at scale: runs of the rotation function over many shared fleets and activations, and the
enrollment path's AWS calls on a shared fleet while a run rotates it.

A benchmark, run by hand (or by bench/run-all). It deploys template.yaml into the local emulator in this process
and seeds it: the fleets and tokens through the product's admin services (bench/RotationSeed.java, run on the admin
CLI's jar), the single-use activations with real enrollments sent straight to the enrollment function, and the rest
of the activations in the account as someone else's (made with CreateActivation outside this deployment, without
its stack tag: every run lists them and must leave them alone). Real enrollments run at a few per second on the
local stack; the foreign activations make the account as large as asked within minutes.
Then it ticks the template's own schedule (the rotation function gets the deployed schedule's Input) and measures:

  (a) the first run, which creates every shared fleet's first activation;
  (b) a steady-state run over all the activations, with nothing due;
  (c) after the emulator clock moves so that every shared activation is due for rotation and every single-use one
      has expired: the runs until one defers nothing (converged); when the work does not fit in one run (the SSM
      pace), the first run stops short of its timeout and the next ones pick up what it deferred;
  (d) during the first run of (c), enrollments on a shared fleet that the run rotates: the AWS calls of the
      enrollment function (by its access key), and whether any of them was a CreateActivation;
  (e) after the grace period of the replaced activations: the runs that delete them.

For each run: wall time, the run's own summary (its log line: ssmCalls, tookMs, deferred, ...), and the calls the
rotation function made by service and action, counted by the emulator under the function's access key.

Results: Markdown on stdout, target/bench/rotation.json and target/bench/rotation.md (and, after every run,
target/bench/rotation.partial.json). Nothing printed or written holds a token or an activation code: tokens stay in
memory, enrollment answers are reduced to status and activation id, CreateActivation answers to the id.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from benchstack import (
    BENCH,
    CLI_JAR,
    PROJECT,
    RESULTS,
    BenchStack,
    configure_logging,
    enrollment_event,
    java_command,
    log,
    machine,
    markdown_table,
    write_results,
)
from hybrid_local.lambda_runtime import InvocationError

ROTATION_FUNCTION = "RotationFunction"
ENROLLMENT_FUNCTION = "EnrollmentFunction"
# The rotation function's timeout in template.yaml; a run that outlives it is killed by Lambda.
TIMEOUT_S = 300
SHARED_PREFIX = "bench-shared-"
SINGLE_USE_PREFIX = "bench-single-"
# The product's default for shared fleets (Fleet.DEFAULT_SHARED_LIFETIME), declared explicitly so that the clock
# move of (c) is computed from what the fleets really have.
SHARED_LIFETIME = timedelta(days=7)
# Single-use activations live an hour by default; a day keeps them unexpired through seeding, (a) and (b) on a slow
# machine. (c) moves the clock past it either way.
SINGLE_USE_LIFETIME = timedelta(days=1)
# The measured shared fleet (d) has room for every enrollment of a run: at the default of 100 registrations its
# activation would fill up and be replaced by the enrollment path, which is not what (d) measures.
MEASURED_FLEET_LIMIT = 1000
# Tokens are made with real time while the functions run on the emulator clock: they must outlive its moves.
TOKEN_LIFETIME = "P30D"
# The handout margin (Handout.MARGIN): an activation closer than this to its expiry is not handed out.
HANDOUT_MARGIN = timedelta(minutes=10)

GOAL_ENROLLMENT_CALLS = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fleets", type=int, default=500, help="shared fleets (default: 500)")
    parser.add_argument(
        "--activations",
        type=int,
        default=10_000,
        help="activations in SSM after the first run: one per shared fleet, --single-use ones, the rest "
        "someone else's (default: 10000)",
    )
    parser.add_argument(
        "--single-use", type=int, default=200, help="single-use activations made by real enrollments (default: 200)"
    )
    parser.add_argument(
        "--single-use-fleets",
        type=int,
        default=10,
        help="single-use fleets the single-use activations are spread over (default: 10)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="concurrent enrollments while seeding, one execution environment each (default: 2; more "
        "overloads the emulator on 2 cores)",
    )
    parser.add_argument(
        "--enrollment-interval", type=float, default=1.0, help="seconds between the enrollments of (d) (default: 1)"
    )
    parser.add_argument(
        "--max-runs", type=int, default=15, help="runs per phase before giving up on convergence (default: 15)"
    )
    parser.add_argument("--build", action="store_true", help="build functions/ as `sam build` does before deploying")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if (
        args.fleets < 1
        or args.single_use_fleets < 1
        or args.single_use < 1
        or args.activations < args.fleets + args.single_use
    ):
        parser.error(
            "need at least one shared fleet, one single-use fleet and activation, and --activations >= --fleets + --single-use"
        )
    configure_logging(args.verbose)

    out = RESULTS / "rotation"
    shutil.rmtree(out, ignore_errors=True)
    with BenchStack(out / "stack", build=args.build) as bench:
        bench_run = RotationBench(bench, args)
        report = bench_run.run()

    markdown = render(report)
    path = write_results("rotation", report, markdown)
    print(markdown)
    print(f"\nResults: {path}")
    return 0 if report["complete"] else 1


@dataclass
class Run:
    """One tick of the schedule: what the invoker saw, what the run said of itself, and what it called."""

    phase: str
    wall_s: float
    cold_start: bool
    error: str | None
    summary: dict[str, Any]
    calls: dict[str, int]

    def count(self, service: str) -> int:
        return sum(n for call, n in self.calls.items() if call.startswith(service + "."))

    @property
    def deferred(self) -> int:
        return int(self.summary.get("deferred", 0))

    def as_json(self, fleets: int) -> dict[str, Any]:
        total = sum(self.calls.values())
        return {
            "phase": self.phase,
            "wallSeconds": round(self.wall_s, 1),
            "coldStart": self.cold_start,
            "error": self.error,
            "summary": self.summary,
            "calls": self.calls,
            "ssmCalls": self.count("ssm"),
            "dynamodbCalls": self.count("dynamodb"),
            "kmsCalls": self.count("kms"),
            "snsCalls": self.count("sns"),
            "totalCalls": total,
            "callsPerFleet": round(total / fleets, 2),
        }


@dataclass
class Enrollments:
    """The enrollments of (d): statuses, and which activation each was handed."""

    statuses: Counter[int] = field(default_factory=Counter)
    activations: list[str] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    decrypts_expected: int = 0


class RotationBench:
    def __init__(self, bench: BenchStack, args: argparse.Namespace):
        self.bench = bench
        self.args = args
        state = bench.stack.state()
        self.keys = {logical_id: f["accessKeyId"] for logical_id, f in state["functions"].items()}
        self.names = {logical_id: f["name"] for logical_id, f in state["functions"].items()}
        self.log_files = {logical_id: Path(f["logFile"]) for logical_id, f in state["functions"].items()}
        self.settings = json.loads(bench.outputs["RotationSettings"])
        self.pace = float(self.settings["SSM_CALLS_PER_SECOND"])
        self.schedule = self._rotation_schedule()
        self.shared = [f"{SHARED_PREFIX}{i:04d}" for i in range(args.fleets)]
        self.single_use = [f"{SINGLE_USE_PREFIX}{i:03d}" for i in range(args.single_use_fleets)]
        # In the middle of the fleets' order, so that the run rotates it while enrollments go on before and after.
        self.measured = self.shared[len(self.shared) // 2]
        self.runs: list[Run] = []

    def run(self) -> dict[str, Any]:
        started = time.perf_counter()
        tokens = self.seed_fleets()
        seeded = self.seed_single_use(tokens, self.args.single_use)
        foreign = self.seed_foreign(self.args.activations - self.args.fleets - seeded)
        seeding_s = time.perf_counter() - started
        log.info("seeded in %.0f s", seeding_s)

        complete = self.until_converged("a: first run") is not None
        first_run_ended = time.time()
        complete &= self.until_converged("b: steady state") is not None

        due_in = SHARED_LIFETIME * (1 - int(self.settings["ROTATE_WHEN_LIFE_LEFT_PERCENT"]) / 100)
        # Every shared activation was created before (a) ended; move past its due time by five minutes.
        advance = due_in.total_seconds() + 300 - (time.time() - first_run_ended)
        if (
            not SINGLE_USE_LIFETIME.total_seconds()
            < advance
            < (SHARED_LIFETIME - HANDOUT_MARGIN).total_seconds() - 3600
        ):
            raise SystemExit(f"cannot make shared activations due without expiring them: advance {advance:.0f} s")
        offset = self.bench.advance_clock(advance)
        log.info(
            "clock moved %.2f days ahead: every shared activation due, every single-use one expired", offset / 86400
        )
        enrollments = Enrollments()
        converged_c = self.until_converged("c: all due", enrollments=(tokens[self.measured], enrollments))
        complete &= converged_c is not None

        grace = parse_iso_duration(self.settings["REPLACED_ACTIVATION_GRACE_PERIOD"])
        self.bench.advance_clock(grace.total_seconds() + 60)
        log.info("clock moved past the grace period of %s: the replaced activations may go", grace)
        complete &= self.until_converged("e: after the grace period") is not None

        left = self.activations_left()
        return {
            "benchmark": "rotation",
            "settings": {
                "sharedFleets": self.args.fleets,
                "singleUseFleets": self.args.single_use_fleets,
                "activations": self.args.activations,
                "singleUseActivations": seeded,
                "foreignActivations": foreign,
                "ssmCallsPerSecond": self.pace,
                "timeoutSeconds": TIMEOUT_S,
                "rotationSettings": self.settings,
                "sharedLifetime": str(SHARED_LIFETIME),
                "singleUseLifetime": str(SINGLE_USE_LIFETIME),
                "measuredFleet": self.measured,
                "measuredFleetRegistrationLimit": MEASURED_FLEET_LIMIT,
                "enrollmentInterval": self.args.enrollment_interval,
                "clockMoveDays": round(offset / 86400, 3),
                "schedule": self.schedule["Name"],
                "scheduleInput": self.schedule["Target"].get("Input"),
            },
            "machine": machine() | {"loadAverage": load_average()},
            "seedingSeconds": round(seeding_s),
            "runs": [r.as_json(self.args.fleets) for r in self.runs],
            "enrollmentsDuringRotation": enrollments_json(enrollments),
            "activationsLeft": left,
            "complete": complete,
        }

    # --- seeding ---------------------------------------------------------------------------------------------

    def seed_fleets(self) -> dict[str, str]:
        """The fleets and tokens, through the product's admin services in one JVM. Answers the tokens by fleet."""
        per_fleet = -(-self.args.single_use // self.args.single_use_fleets)
        spec = {
            "fleets": [
                {
                    "name": name,
                    "mode": "shared",
                    "activationLifetime": iso(SHARED_LIFETIME),
                    **({"registrationLimit": MEASURED_FLEET_LIMIT} if name == self.measured else {}),
                }
                for name in self.shared
            ]
            + [
                {"name": name, "mode": "single-use", "activationLifetime": iso(SINGLE_USE_LIFETIME)}
                for name in self.single_use
            ],
            "tokens": [{"fleet": name, "uses": per_fleet + 5} for name in self.single_use]
            + [{"fleet": self.measured, "uses": MEASURED_FLEET_LIMIT}],
            "tokenLifetime": TOKEN_LIFETIME,
        }
        started = time.perf_counter()
        result = subprocess.run(
            [java_command(), "-cp", str(CLI_JAR), str(BENCH / "RotationSeed.java"), str(self.bench.state_file)],
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            timeout=1800,
            cwd=PROJECT,
        )
        if result.returncode != 0:
            raise SystemExit(f"RotationSeed failed: {result.stderr.strip()[-2000:]}")
        log.info(
            "%d fleets and %d tokens declared in %.0f s",
            len(spec["fleets"]),
            len(spec["tokens"]),
            time.perf_counter() - started,
        )
        return json.loads(result.stdout)["tokens"]

    def seed_single_use(self, tokens: dict[str, str], count: int) -> int:
        """Real first-boot enrollments on the single-use fleets, sent straight to the enrollment function (as API
        Gateway would, without its stage throttle) from as many threads as the stack runs environments."""
        fleets = self.single_use
        statuses: Counter[int] = Counter()
        lock = threading.Lock()
        done = [0]
        started = time.perf_counter()

        def enroll(i: int) -> None:
            token = tokens[fleets[i % len(fleets)]]
            status = self.enroll(token, f"bench-rotation-{uuid.uuid4().hex}")[0]
            with lock:
                statuses[status] += 1
                done[0] += 1
                if done[0] % 500 == 0:
                    log.info(
                        "single-use enrollments: %d of %d, %.1f/s",
                        done[0],
                        count,
                        done[0] / (time.perf_counter() - started),
                    )

        with ThreadPoolExecutor(max_workers=self.args.concurrency) as pool:
            list(pool.map(enroll, range(count)))
        if set(statuses) - {201}:
            raise SystemExit(f"seeding enrollments answered {dict(statuses)}, expected 201 only")
        return statuses[201]

    def seed_foreign(self, count: int) -> int:
        """Activations made in the same account by someone else: CreateActivation with the test credentials, no
        stack tag, for the longest life SSM allows. Only their ids are kept."""
        if count <= 0:
            return 0
        ssm = self.ssm_client()
        role = self.bench.outputs["InstanceRoleName"]
        made = Counter()
        started = time.perf_counter()

        def create(_: int) -> None:
            ssm.create_activation(
                IamRole=role,
                RegistrationLimit=1,
                Description="made by hand, not by this deployment",
                ExpirationDate=self.emulator_now() + timedelta(days=29),
                Tags=[{"Key": "team", "Value": "someone-else"}],
            )
            made["created"] += 1

        with ThreadPoolExecutor(max_workers=self.args.concurrency) as pool:
            list(pool.map(create, range(count)))
        log.info("%d foreign activations made in %.0f s", made["created"], time.perf_counter() - started)
        return made["created"]

    def ssm_client(self) -> Any:
        """SSM with the emulator's test credentials: not a function's key, so not counted against any function."""
        import boto3

        return boto3.client(
            "ssm",
            endpoint_url=self.bench.stack.aws.endpoint_url,
            region_name=self.bench.stack.state()["region"],
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )

    def emulator_now(self) -> datetime:
        return datetime.fromtimestamp(self.bench._control("GET", "clock")["now"], timezone.utc)

    def enroll(self, token: str, machine_id: str) -> tuple[int, str | None]:
        """One first-boot enrollment, retried as a machine does on 429, 503 and 504. Answers the status and the
        activation id it was handed; the code in the same answer is dropped unread."""
        for attempt in range(6):
            try:
                response = self.bench.stack.lambdas.invoke(
                    self.names[ENROLLMENT_FUNCTION], enrollment_event(token, machine_id)
                )
            except InvocationError as timed_out:
                if timed_out.error_type != "Sandbox.Timedout":
                    raise
                # API Gateway answers 504; the install script retries it with the same machine id.
                response = {"statusCode": 504}
            status = response.get("statusCode")
            if status not in (429, 503, 504):
                break
            time.sleep(0.5 * 2**attempt)
        activation_id = None
        if status in (200, 201):
            activation_id = json.loads(response.get("body") or "{}").get("activationId")
        return status, activation_id

    # --- runs --------------------------------------------------------------------------------------------------

    def _rotation_schedule(self) -> dict[str, Any]:
        """The deployed schedule that targets the rotation function; a tick sends its Input, as the scheduler does."""
        name = self.bench.stack.state()["functions"][ROTATION_FUNCTION]["name"]
        found = [
            s
            for s in self.bench.stack.schedules.schedules.values()
            if f":function:{name}" in s["Target"]["Arn"] or s["Target"]["Arn"].endswith(f":{name}")
        ]
        if len(found) != 1:
            raise SystemExit(f"expected one schedule for {name}, found {len(found)}")
        return found[0]

    def until_converged(self, phase: str, enrollments: tuple[str, Enrollments] | None = None) -> Run | None:
        """Ticks until a run ends without error and defers nothing; answers that run, or None if --max-runs ran out.
        A failed run is followed by the next tick, as on the schedule, whose next tick is the retry."""
        for number in range(1, self.args.max_runs + 1):
            run = self.tick(f"{phase} #{number}", enrollments if number == 1 else None)
            self.runs.append(run)
            log.info("%s: %.0f s, %s", run.phase, run.wall_s, run.summary or run.error)
            # A run of the full benchmark takes most of an hour: keep what is measured so far.
            (RESULTS / "rotation.partial.json").write_text(
                json.dumps([r.as_json(self.args.fleets) for r in self.runs], indent=2) + "\n"
            )
            if not run.error and run.deferred == 0:
                return run
        return None

    def tick(self, phase: str, enrollments: tuple[str, Enrollments] | None) -> Run:
        pool = self.bench.stack.lambdas.pool(self.names[ROTATION_FUNCTION])
        cold_starts = pool.cold_starts
        log_file = self.log_files[ROTATION_FUNCTION]
        log_offset = log_file.stat().st_size if log_file.exists() else 0
        if enrollments:
            # The enrollment function's environments were retired when the clock moved: start one, and open the
            # fleet's current code, before the run, so that (d) counts what a warm environment does.
            token, _ = enrollments
            warm = self.enroll(token, f"bench-rotation-warm-{uuid.uuid4().hex}")
            if warm[0] != 201:
                raise SystemExit(f"warming the enrollment function up answered {warm[0]}")
        before = self.bench.calls_by_access_key()
        stop = threading.Event()
        thread = None
        if enrollments:
            thread = threading.Thread(
                target=self._enroll_during, args=(enrollments[0], enrollments[1], stop), daemon=True
            )
            thread.start()
        started = time.perf_counter()
        error = None
        try:
            self.bench.stack.schedules.tick(self.schedule["Name"])
        except InvocationError as failed:
            error = f"{failed.error_type}: {failed}"
        wall = time.perf_counter() - started
        if thread:
            stop.set()
            thread.join()
        after = self.bench.calls_by_access_key()
        if enrollments:
            enrollments[1].calls = diff(before, after, self.keys[ENROLLMENT_FUNCTION])
        return Run(
            phase,
            wall,
            pool.cold_starts > cold_starts,
            error,
            run_summary(log_file, log_offset),
            diff(before, after, self.keys[ROTATION_FUNCTION]),
        )

    def _enroll_during(self, token: str, enrollments: Enrollments, stop: threading.Event) -> None:
        while not stop.is_set():
            status, activation_id = self.enroll(token, f"bench-rotation-{uuid.uuid4().hex}")
            enrollments.statuses[status] += 1
            if activation_id:
                enrollments.activations.append(activation_id)
            stop.wait(self.args.enrollment_interval)

    def activations_left(self) -> dict[str, int]:
        """What SSM holds at the end, read outside the functions (not counted against them)."""
        total, expired, ours = 0, 0, 0
        for page in self.ssm_client().get_paginator("describe_activations").paginate():
            for activation in page["ActivationList"]:
                total += 1
                expired += bool(activation.get("Expired"))
                ours += any(tag["Key"] == "hybrid-onboarding:stack" for tag in activation.get("Tags", []))
        return {"total": total, "expired": expired, "ours": ours, "foreign": total - ours}


def diff(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]], key: str) -> dict[str, int]:
    old, new = before.get(key, {}), after.get(key, {})
    return {call: n - old.get(call, 0) for call, n in sorted(new.items()) if n - old.get(call, 0)}


def run_summary(log_file: Path, offset: int) -> dict[str, Any]:
    """The run's own summary line (rotation.run), written after `offset` in the function's log."""
    if not log_file.exists():
        return {}
    with log_file.open(encoding="utf-8", errors="replace") as lines:
        lines.seek(offset)
        found = {}
        for line in lines:
            start = line.find("{")
            if start < 0 or '"rotation.run"' not in line:
                continue
            try:
                entry = json.loads(line[start:])
            except ValueError:
                continue
            if entry.get("event") == "rotation.run":
                found = {k: v for k, v in entry.items() if k not in ("level", "event")}
    return found


def enrollments_json(e: Enrollments) -> dict[str, Any]:
    count = sum(e.statuses.values())
    total = sum(e.calls.values())
    decrypts = e.calls.get("kms.Decrypt", 0)
    switches = sum(1 for a, b in zip(e.activations, e.activations[1:]) if a != b)
    return {
        "enrollments": count,
        "statuses": dict(e.statuses),
        "calls": e.calls,
        "callsPerEnrollment": round(total / count, 3) if count else None,
        "callsPerEnrollmentWithoutDecrypt": round((total - decrypts) / count, 3) if count else None,
        "kmsDecrypt": decrypts,
        "createActivation": e.calls.get("ssm.CreateActivation", 0),
        "activationsHandedOut": len(dict.fromkeys(e.activations)),
        "activationSwitches": switches,
        "goal": {"atMost": GOAL_ENROLLMENT_CALLS, "noCreateActivation": True},
    }


def parse_iso_duration(text: str) -> timedelta:
    """PT1H, PT90M, PT1H30M: the grace period's template pattern."""
    hours = minutes = 0
    rest = text.removeprefix("PT")
    if "H" in rest:
        h, rest = rest.split("H", 1)
        hours = int(h)
    if "M" in rest:
        minutes = int(rest.split("M", 1)[0])
    return timedelta(hours=hours, minutes=minutes)


def iso(duration: timedelta) -> str:
    return f"P{duration.days}D" if duration.seconds == 0 else f"PT{int(duration.total_seconds())}S"


def load_average() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


# --- report -----------------------------------------------------------------------------------------------------


def render(report: dict[str, Any]) -> str:
    s = report["settings"]
    fleets = s["sharedFleets"]
    rows = []
    for r in report["runs"]:
        summary = r["summary"]
        ssm_paced = summary.get("ssmCalls")
        ssm_actions = (
            ", ".join(f"{c.split('.', 1)[1]} {n}" for c, n in r["calls"].items() if c.startswith("ssm.")) or "none"
        )
        deleted = "/".join(str(summary.get(k, "?")) for k in ("deletedSpent", "deletedReplaced", "deletedOrphans"))
        rows.append(
            [
                r["phase"] + (" (cold start)" if r["coldStart"] else ""),
                f"{r['wallSeconds']:.0f}",
                f"{summary.get('tookMs', 0) / 1000:.0f}" if summary else "-",
                f"{r['ssmCalls']} ({ssm_actions})",
                f"{ssm_paced / s['ssmCallsPerSecond']:.0f}" if ssm_paced is not None else "-",
                r["dynamodbCalls"],
                r["kmsCalls"],
                r["snsCalls"],
                f"{r['callsPerFleet']:g}",
                summary.get("rotated", "-"),
                deleted,
                summary.get("deferred", "-"),
                r["error"] or "",
            ]
        )
    runs = markdown_table(
        [
            "Run",
            "Wall s",
            "Run's own s",
            "SSM calls",
            "Pace-bound s",
            "DynamoDB calls",
            "KMS",
            "SNS",
            "Calls per fleet",
            "Rotated",
            "Deleted spent/replaced/orphans",
            "Deferred",
            "Error",
        ],
        rows,
    )
    e = report["enrollmentsDuringRotation"]
    calls = ", ".join(f"{c} {n}" for c, n in e["calls"].items()) or "none"
    enrollments = markdown_table(
        [
            "Enrollments",
            "Statuses",
            "Calls (EnrollmentFunction's key)",
            "Per enrollment",
            "Without kms.Decrypt",
            "ssm.CreateActivation",
            "Activations handed out",
        ],
        [
            [
                e["enrollments"],
                ", ".join(f"{k} x{v}" for k, v in e["statuses"].items()),
                calls,
                e["callsPerEnrollment"],
                e["callsPerEnrollmentWithoutDecrypt"],
                e["createActivation"],
                e["activationsHandedOut"],
            ]
        ],
    )
    by_phase: dict[str, int] = Counter(r["phase"].split(" #")[0] for r in report["runs"])
    converged = ", ".join(f"{p}: {n}" for p, n in by_phase.items())
    left = report["activationsLeft"]
    longest = max(report["runs"], key=lambda r: r["wallSeconds"])
    return "\n\n".join(
        [
            f"### Rotation runs: {fleets} shared fleets, {s['activations']} activations "
            f"({fleets} shared, {s['singleUseActivations']} single-use over {s['singleUseFleets']} fleets, "
            f"{s['foreignActivations']} someone else's), {s['ssmCallsPerSecond']:g} SSM calls/s, timeout {s['timeoutSeconds']} s",
            runs,
            f"Runs per phase (the last one deferred nothing unless the run log says otherwise): {converged}. "
            f"Clock moved {s['clockMoveDays']} days for (c). Seeding took {report['seedingSeconds']} s. "
            f"Longest run: {longest['wallSeconds']:.0f} s ({longest['phase']}) of the {s['timeoutSeconds']} s timeout. "
            f"Activations left in SSM at the end: {left['total']} ({left['ours']} of ours, {left['foreign']} someone else's, "
            f"{left['expired']} expired). "
            f"Load average at the end: {report['machine'].get('loadAverage')}.",
            f"### Enrollments on shared fleet {s['measuredFleet']} during the first run of (c), one every "
            f"{s['enrollmentInterval']:g} s",
            enrollments,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
