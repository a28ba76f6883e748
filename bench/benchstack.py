"""What the benchmarks share: the product's local stack started in-process, the admin CLI, the enrollment
event, fresh Lambda execution environments, and the reports.

Nothing here prints or stores a token secret or an activation code: tokens stay in memory, enrollment
responses are reduced to their status and error code before anyone sees them.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
BENCH = PROJECT / "bench"
RESULTS = PROJECT / "target" / "bench"
ENROLLMENT_EVENT = PROJECT / "events" / "enrollment-request.json"
CLI_JAR = PROJECT / "cli" / "target" / "hob.jar"

sys.path.insert(0, str(PROJECT / "local"))

from hybrid_local.lambda_runtime import FunctionConfig, LambdaService  # noqa: E402
from hybrid_local.local_stack import LocalStack  # noqa: E402

log = logging.getLogger("bench")


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(name)s: %(message)s")
    # The local stack logs every HTTP request and cold start at INFO; the benchmarks report their own.
    logging.getLogger("bench").setLevel(logging.INFO)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


@dataclass
class ColdInvocation:
    """What one fresh execution environment answered, and how long it took: seen from the invoker (from the
    invoke, which starts the JVM, to each response) and from the Runtime API (the environment's phases, as
    hybrid_local.lambda_runtime.Phases reports them)."""

    first_response_ms: float
    status: int | None
    later_responses_ms: list[float]
    phases: dict[str, Any]


class BenchStack:
    """The stack of template.yaml deployed into the emulator, in this process, plus the admin CLI against it."""

    def __init__(self, work_dir: Path, build: bool = False):
        self.work_dir = work_dir
        self.state_file = work_dir / "local-stack.json"
        self.stack = LocalStack(PROJECT, work_dir, stack_name="hybrid-onboarding-bench", build=build)

    def __enter__(self) -> "BenchStack":
        if not CLI_JAR.exists():
            raise SystemExit(
                f"{CLI_JAR} is missing: run `mvn -q -B install -DskipTests -pl functions,cli,local/runtime`"
            )
        self.work_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        self.stack.start()
        log.info("local stack deployed in %.1f s", time.perf_counter() - started)
        # Schedules and queue pollers would invoke functions and call AWS on their own, in the middle of a
        # measurement. A poller stops after its current long poll (1 s in hybrid_local.triggers).
        self.stack.schedules.stop()
        self.stack.pollers.stop()
        if self.stack.pollers.mappings:
            time.sleep(2)
        # The admin CLI finds the stack through the same state file `python3 -m hybrid_local up` writes.
        self.state_file.write_text(json.dumps(self.stack.state(), indent=2))
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stack.stop()
        self.state_file.unlink(missing_ok=True)

    @property
    def api_url(self) -> str:
        return self.stack.api_url

    @property
    def outputs(self) -> dict[str, str]:
        return self.stack.stack.outputs

    def functions(self) -> list[FunctionConfig]:
        return [pool.function for pool in self.stack.lambdas.pools.values()]

    def invoke_in_fresh_environment(self, function: FunctionConfig, events: list[dict[str, Any]]) -> ColdInvocation:
        """Starts one new execution environment (a fresh JVM under the runtime interface client) with the AWS
        variables and runtime client the stack gives its own functions, sends it the events one after another
        and stops it.

        The first response time runs from the invoke request, which starts the JVM, to the function's answer
        on the Runtime API: JVM start, the runtime client, the function's init (class loading, SDK clients),
        for a SnapStart function its checkpoint and restore hooks, and its first invocation with its AWS calls.
        Starting the loopback Runtime API before the JVM takes well under a millisecond.
        """
        pool = next(iter(self.stack.lambdas.pools.values()))
        service = LambdaService([function], self.stack.lambdas.aws_env, pool.ric, max_concurrency=1)
        try:
            timings, statuses = [], []
            for event in events:
                started = time.perf_counter()
                response = service.invoke(function.name, event)
                timings.append((time.perf_counter() - started) * 1000)
                statuses.append(response.get("statusCode") if isinstance(response, dict) else None)
            environments = service.pool(function.name).phases()
        finally:
            service.stop()
        if any(status != statuses[0] for status in statuses):
            raise RuntimeError(f"{function.logical_id} answered {statuses} to the same kind of request")
        if len(environments) != 1:
            raise RuntimeError(f"{function.logical_id} ran in {len(environments)} environments, expected one")
        return ColdInvocation(timings[0], statuses[0], timings[1:], environments[0])

    # --- admin CLI -------------------------------------------------------------------------------------------

    def cli(self, *arguments: str) -> Any:
        """Runs the admin CLI against this stack and returns its JSON output, which is never logged."""
        result = subprocess.run(
            ["java", "-jar", str(CLI_JAR), "--local-state", str(self.state_file), "--json", *arguments],
            capture_output=True,
            text=True,
            timeout=180,
        )
        if result.returncode != 0:
            raise RuntimeError(f"hob {arguments[0]} {arguments[1]} failed: {result.stderr.strip()[-2000:]}")
        return json.loads(result.stdout)

    def create_token(self, fleet: str, uses: int) -> str:
        """A new enrollment token; the caller keeps it in memory only."""
        return self.cli(
            "token", "create", "--fleet", fleet, "--uses", str(uses), "--lifetime", "24h", "--description", "benchmark"
        )["token"]

    def default_fleet(self) -> str:
        return json.loads(self.outputs["DefaultFleetSettings"])["DEFAULT_FLEET_NAME"]

    # --- emulator control endpoints (local/EMULATOR.md) -------------------------------------------------------

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.stack.aws.endpoint_url}/_hybrid/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def calls(self) -> dict[str, int]:
        return self._control("GET", "calls")

    def reset_calls(self) -> None:
        self._control("DELETE", "calls")

    def calls_by_access_key(self) -> dict[str, dict[str, int]]:
        """The same counters per SigV4 access key id: on the local stack, each function signs with its own."""
        return self._control("GET", "calls-by-access-key")

    def advance_clock(self, seconds: float) -> float:
        """Moves the emulator clock, which SSM and the functions run on, ahead; answers its new offset in seconds."""
        return self._control("POST", "clock", {"advanceSeconds": seconds})["offsetSeconds"]

    def inject_fault(self, target: str, error: str, status: int) -> None:
        self._control("POST", "faults", {"target": target, "error": error, "status": status, "count": -1})

    def clear_faults(self) -> None:
        self._control("DELETE", "faults")

    # --- the API ------------------------------------------------------------------------------------------------

    def enroll(self, token: str, machine_id: str) -> tuple[int, str | None]:
        """POST /v1/activations as the install script does. Returns the status and, for a refusal, the error
        code; a success's body holds an activation code and is dropped unread."""
        body = {"hostname": "bench-host", "platform": "linux", "machineId": machine_id}
        request = urllib.request.Request(
            f"{self.api_url}/v1/activations",
            data=json.dumps(body).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {token}",
                "User-Agent": "hybrid-onboarding-bench",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, None
        except urllib.error.HTTPError as refused:
            try:
                return refused.code, json.loads(refused.read()).get("error", {}).get("code")
            except ValueError:
                return refused.code, None


_FIXTURE = json.loads(ENROLLMENT_EVENT.read_text())


def enrollment_event(token: str | None, machine_id: str) -> dict[str, Any]:
    """events/enrollment-request.json, as API Gateway would send it for this token (None keeps the
    fixture's placeholder) and machine, with a fresh request id and time."""
    event = copy.deepcopy(_FIXTURE)
    body = json.loads(event["body"])
    body["machineId"] = machine_id
    event["body"] = json.dumps(body, separators=(",", ":"))
    headers = {"Content-Length": str(len(event["body"].encode()))}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    event["headers"].update(headers)
    event["multiValueHeaders"].update({name: [value] for name, value in headers.items()})
    now = datetime.now(timezone.utc)
    event["requestContext"]["requestId"] = str(uuid.uuid4())
    event["requestContext"]["requestTime"] = now.strftime("%d/%b/%Y:%H:%M:%S +0000")
    event["requestContext"]["requestTimeEpoch"] = int(now.timestamp() * 1000)
    return event


# --- statistics and reports ------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest value with at least `fraction` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "p90": percentile(values, 0.9), "max": max(values)}


def markdown_table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(name: str, data: dict[str, Any], markdown: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n")
    (RESULTS / f"{name}.md").write_text(markdown + "\n")
    return path


def java_command() -> str:
    """The java the local Lambda service starts: $JAVA_HOME/bin/java if JAVA_HOME is set, else `java`."""
    return str(Path(os.environ["JAVA_HOME"], "bin", "java")) if "JAVA_HOME" in os.environ else "java"


def machine() -> dict[str, Any]:
    version = subprocess.run([java_command(), "-version"], capture_output=True, text=True).stderr.strip().splitlines()
    return {
        "cpus": os.cpu_count(),
        "cpuModel": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "java": version,
        "python": platform.python_version(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
