"""Runs deployed Lambda functions inside the real AWS Lambda Java runtime interface client.

Each execution environment is one JVM started the way Lambda's java21 runtime starts it: the runtime interface
client on the class path, the function's package (classes at the root, jars in lib/) as the working directory,
which the client loads with its own class loader, and a Runtime API on loopback that hands it one invocation at
a time. Environments start on demand and are reused while warm; concurrent invocations start more, up to a limit,
as Lambda scales out.

A SnapStart function goes through Lambda's SnapStart life cycle, driven by the runtime interface client itself:
with AWS_LAMBDA_INITIALIZATION_TYPE=snap-start it runs the function's init, then its CRaC beforeCheckpoint hooks,
then asks the Runtime API for /restore/next (where Lambda takes the snapshot, and which returns in a restored
environment), then runs the afterRestore hooks and only then polls for invocations. There is no snapshot here:
/restore/next answers at once and the same JVM goes on. Every environment records when it passed each phase.

Functions run on the emulator clock (real time plus the offset tests set, see EMULATOR.md): each JVM starts with
the clock's offset of that moment (jvm_clock), and whatever the local Lambda tells a function about time (the
invocation's deadline, the trace id, the expiry of SnapStart credentials) is on that JVM's clock. An environment
started on another offset than the clock's is retired: it finishes the invocation it has and is stopped, and the
next invocation starts a new one.
"""

import ctypes
import hashlib
import json
import logging
import os
import platform
import queue
import signal
import subprocess
import threading
import time
import uuid
import zipfile
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .faults import EmulatorClock
from .jvm_clock import FaketimeMissing, faketime_library, shifted_environment
from .loopback import LoopbackHandler, serve

log = logging.getLogger("hybrid_local.lambda")

RUNTIME_API = "/2018-06-01/runtime"
# Lambda gives an on-demand init 10 seconds; a loaded 2-core machine starting several JVMs at once needs far more,
# and the local stack only has to tell a slow start from a stuck one.
INIT_TIMEOUT_S = 120
RIC_MAIN = "com.amazonaws.services.lambda.runtime.api.client.AWSLambda"
NATIVE_CLIENT_PROPERTY = "com.amazonaws.services.lambda.runtime.api.client.runtimeapi.NativeClient.JNI"
# Lambda's java runtimes point the org.crac library (io.github.crac:org-crac) at the runtime interface client's own
# CRaC context, whose hooks the client runs around the snapshot.
CRAC_COMPAT_PROPERTY = "org.crac.Core.Compat"
RIC_CRAC_PACKAGE = "com.amazonaws.services.lambda.crac"
# What the runtime interface client puts in Lambda-Runtime-Function-Error-Type when a beforeCheckpoint hook fails.
BEFORE_CHECKPOINT_ERROR = "Runtime.BeforeCheckpointError"
# What Lambda's Invoke answers when an afterRestore hook failed.
AFTER_RESTORE_FAILED = "SnapStartException"


@dataclass(frozen=True)
class RuntimeInterfaceClient:
    """The client's class path and its native library, unpacked once for every JVM.

    Left to itself, each JVM unpacks the library to the fixed path /tmp/.libaws-lambda-jni.so; in Lambda every
    sandbox has its own /tmp, but JVMs starting together on one machine would overwrite each other's copy.
    """

    classpath: str
    native_library: Path

    @staticmethod
    def unpack(jar: Path, classpath: str, directory: Path) -> "RuntimeInterfaceClient":
        machine = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch_64", "arm64": "aarch_64"}[
            platform.machine().lower()
        ]
        name = f"libaws-lambda-jni.linux-{machine}.so"
        directory.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(jar) as archive:
            (directory / name).write_bytes(archive.read(f"jni/{name}"))
        return RuntimeInterfaceClient(classpath, directory / name)


class InvocationError(Exception):
    """The function failed: it reported an error, crashed, or ran out of time."""

    def __init__(self, error_type: str, message: str, payload: Any = None):
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.payload = payload


@dataclass
class FunctionConfig:
    """What Lambda knows about a function, read from the deployed stack."""

    logical_id: str
    name: str
    arn: str
    handler: str
    code_dir: Path
    environment: dict[str, str]
    memory_mb: int
    timeout_s: int
    log_file: Path
    # SnapStart functions get their role's credentials from a local endpoint, not from the environment.
    snap_start: bool = False
    # Benchmarks pin JVMs to a CPU (e.g. ["taskset", "-c", "0"]) and add JVM flags such as class-load logging.
    command_prefix: list[str] = field(default_factory=list)
    jvm_options: list[str] = field(default_factory=list)


@dataclass
class _Invocation:
    request_id: str
    payload: bytes
    timeout_s: int
    deadline_ms: int = 0
    # Set when the runtime takes the invocation: Lambda's timeout runs from there, not through a cold JVM's init.
    taken: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    result: bytes | None = None
    error: InvocationError | None = None
    # When the runtime received the event (its /invocation/next answered), on the perf_counter clock.
    handed_out: float | None = None


@dataclass
class Phases:
    """When one execution environment passed each phase of Lambda's life cycle, on the perf_counter clock.

    SnapStart: init runs from the JVM's start to /restore/next (the function's init and its beforeCheckpoint
    hooks: on Lambda, paid once per published version, before the snapshot); the restore hooks run from there to
    the first /invocation/next (the afterRestore hooks: part of every restore on Lambda). Otherwise init runs from
    the JVM's start to the first /invocation/next. Each invocation lasts from the runtime receiving its event to
    its response or error, as Lambda's Duration does."""

    snap_start: bool
    started: float
    checkpoint: float | None = None
    ready: float | None = None
    first_invocation_ms: float | None = None
    # The latest ones only: an environment of a stack left running can serve any number of invocations.
    warm_invocations_ms: deque[float] = field(default_factory=lambda: deque(maxlen=1000))

    def invoked(self, handed_out: float) -> None:
        duration = (time.perf_counter() - handed_out) * 1000
        if self.first_invocation_ms is None:
            self.first_invocation_ms = duration
        else:
            self.warm_invocations_ms.append(duration)

    def report(self) -> dict[str, Any]:
        init_end = self.checkpoint if self.snap_start else self.ready
        return {
            "snapStart": self.snap_start,
            "initMs": _ms(self.started, init_end),
            "restoreHooksMs": _ms(self.checkpoint, self.ready) if self.snap_start else None,
            "firstInvocationMs": None if self.first_invocation_ms is None else round(self.first_invocation_ms, 1),
            "warmInvocationsMs": [round(ms, 1) for ms in list(self.warm_invocations_ms)],
        }


def _ms(start: float | None, end: float | None) -> float | None:
    return round((end - start) * 1000, 1) if start is not None and end is not None else None


def _die_with_parent() -> None:
    # A JVM must not outlive the local stack, even if the stack is killed with SIGKILL.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class _Spawner:
    """Starts processes from one thread that lives as long as the service.

    PR_SET_PDEATHSIG fires when the thread that forked the child ends, not the process; request threads end
    after every request, so a JVM started from one would be killed right after its first invocation.
    """

    def __init__(self) -> None:
        self.requests: queue.Queue[tuple[dict[str, Any], queue.Queue[Any]] | None] = queue.Queue()
        threading.Thread(target=self._run, name="jvm-spawner", daemon=True).start()

    def _run(self) -> None:
        while (request := self.requests.get()) is not None:
            arguments, reply = request
            try:
                reply.put(subprocess.Popen(preexec_fn=_die_with_parent, **arguments))
            except Exception as error:  # handed to the caller, which raises it in its own thread
                reply.put(error)

    def popen(self, **arguments: Any) -> subprocess.Popen:
        reply: queue.Queue[Any] = queue.Queue()
        self.requests.put((arguments, reply))
        result = reply.get()
        if isinstance(result, Exception):
            raise result
        return result

    def stop(self) -> None:
        self.requests.put(None)


class _Environment:
    """One warm JVM and the Runtime API it polls, on the clock offset it started with."""

    def __init__(
        self,
        function: FunctionConfig,
        aws_env: dict[str, str],
        ric: RuntimeInterfaceClient,
        log_sink: IO[str],
        spawner: _Spawner,
        offset_seconds: float,
        faketime: str | None,
    ):
        self.function = function
        self.offset_seconds = offset_seconds
        shifted = shifted_environment(offset_seconds, faketime)
        self.pending: queue.Queue[_Invocation | None] = queue.Queue()
        self.current: _Invocation | None = None
        self.broken = False
        # What the runtime reported before it exited: an init error or a failed restore hook.
        self.failure: InvocationError | None = None
        # Set when the runtime first polls for an invocation, or fails before it does.
        self.ready = threading.Event()
        environment = self

        class RuntimeApi(LoopbackHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                if self.path == f"{RUNTIME_API}/restore/next" and function.snap_start:
                    environment.phases.checkpoint = time.perf_counter()
                    self.reply(200)
                    return
                if self.path != f"{RUNTIME_API}/invocation/next":
                    self.reply(404)
                    return
                if environment.phases.ready is None:
                    environment.phases.ready = time.perf_counter()
                    environment.ready.set()
                invocation = environment.pending.get()
                if invocation is None:
                    self.close_connection = True
                    return
                environment.current = invocation
                now = environment.now()
                # The runtime interface client gives the handler what is left until the deadline on its own clock.
                invocation.deadline_ms = int((now + invocation.timeout_s) * 1000)
                invocation.handed_out = time.perf_counter()
                invocation.taken.set()
                self.send_response(200)
                # The runtime interface client rejects a /next response without a content type.
                self.send_header("Content-Type", "application/json")
                self.send_header("Lambda-Runtime-Aws-Request-Id", invocation.request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", function.arn)
                # X-Ray: the root id starts with the request's time, in epoch seconds as 8 hex digits.
                self.send_header("Lambda-Runtime-Trace-Id", f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}")
                self.send_header("Content-Length", str(len(invocation.payload)))
                self.end_headers()
                self.wfile.write(invocation.payload)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = self.path[len(RUNTIME_API) :].strip("/").split("/")
                if parts[:2] in (["init", "error"], ["restore", "error"]):
                    failure = _init_failure(parts[0], self.headers.get("Lambda-Runtime-Function-Error-Type"), body)
                    # Before the answer: the runtime exits right after it, and the exit must not be taken for the
                    # cause.
                    environment._fail_all(failure)
                    self.reply(202, {})
                    return
                if (
                    len(parts) == 3
                    and parts[0] == "invocation"
                    and environment.current
                    and parts[1] == environment.current.request_id
                ):
                    if parts[2] == "response":
                        environment._finish(result=body)
                    elif parts[2] == "error":
                        environment._finish(error=InvocationError(*_error_of(body)))
                    self.reply(202, {})
                    return
                self.reply(400, {"errorMessage": "unknown request id"})

        self.server = serve(RuntimeApi, f"runtime-api-{function.logical_id}")
        port = self.server.server_address[1]
        # SnapStart functions get their role's credentials from an endpoint, which each Lambda sandbox has.
        self.credentials = (
            CredentialsEndpoint(*function_credentials(function), offset_seconds) if function.snap_start else None
        )

        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            **aws_env,
            **function.environment,
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": f"local/{uuid.uuid4().hex}",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start" if function.snap_start else "on-demand",
            "AWS_EXECUTION_ENV": "AWS_Lambda_java21",
            "LAMBDA_TASK_ROOT": str(function.code_dir),
            "_HANDLER": function.handler,
            **(self.credentials.environment() if self.credentials else {}),
            **shifted,
        }
        if "JAVA_HOME" in os.environ:
            env["JAVA_HOME"] = os.environ["JAVA_HOME"]
        java = str(Path(os.environ["JAVA_HOME"], "bin", "java")) if "JAVA_HOME" in os.environ else "java"
        heap_mb = max(64, int(function.memory_mb * 0.85))
        command = [
            *function.command_prefix,
            java,
            # The flags Lambda's java21 runtime starts the JVM with (tiered compilation stops at C1).
            "-XX:+TieredCompilation",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
            "-Xshare:auto",
            f"-Xmx{heap_mb}m",
            f"-XX:MaxMetaspaceSize={max(64, function.memory_mb // 4)}m",
            f"-D{CRAC_COMPAT_PROPERTY}={RIC_CRAC_PACKAGE}",
            f"-D{NATIVE_CLIENT_PROPERTY}={ric.native_library}",
            *function.jvm_options,
            "-cp",
            ric.classpath,
            RIC_MAIN,
            function.handler,
        ]
        self.phases = Phases(function.snap_start, started=time.perf_counter())
        self.process = spawner.popen(
            args=command,
            cwd=function.code_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_sink,
            stderr=subprocess.STDOUT,
        )

    def now(self) -> float:
        """The time this environment's JVM reads, in epoch seconds."""
        return time.time() + self.offset_seconds

    def invoke(self, payload: bytes, timeout_s: int) -> bytes:
        invocation = _Invocation(request_id=str(uuid.uuid4()), payload=payload, timeout_s=timeout_s)
        self.pending.put(invocation)
        if self.failure and not invocation.done.is_set():
            # The runtime failed before this invocation was queued, and nothing will take it any more.
            invocation.error = self.failure
            invocation.taken.set()
            invocation.done.set()
        # A JVM that never asks for work (it died, or hangs in init) fails the invocation through watch() or here.
        if not invocation.taken.wait(INIT_TIMEOUT_S):
            self.broken = True
            self.stop()
            raise InvocationError(
                "Runtime.InitTimeout", f"the runtime did not take the invocation within {INIT_TIMEOUT_S} seconds"
            )
        if not invocation.done.wait(timeout_s + 1):
            self.broken = True
            self.stop()
            raise InvocationError("Sandbox.Timedout", f"Task timed out after {timeout_s} seconds")
        if invocation.error:
            if self.broken or self.process.poll() is not None:
                self.stop()
            raise invocation.error
        return invocation.result or b"null"

    def wait_until_ready(self, timeout_s: float) -> None:
        if not self.ready.wait(timeout_s):
            self.stop()
            raise InvocationError("Sandbox.Timedout", f"the environment was not ready after {timeout_s} seconds")
        if self.failure:
            self.stop()
            raise self.failure

    def _finish(self, result: bytes | None = None, error: InvocationError | None = None) -> None:
        invocation, self.current = self.current, None
        if invocation:
            if invocation.handed_out is not None:
                self.phases.invoked(invocation.handed_out)
            invocation.result, invocation.error = result, error
            invocation.done.set()

    def _fail_all(self, error: InvocationError) -> None:
        self.failure = self.failure or error
        self.broken = True
        self.ready.set()
        self._finish(error=error)
        while True:
            try:
                invocation = self.pending.get_nowait()
            except queue.Empty:
                return
            if invocation:
                invocation.error = error
                invocation.taken.set()
                invocation.done.set()

    def watch(self) -> None:
        """Fails the invocations of a JVM that died, as Lambda reports Runtime.ExitError."""
        code = self.process.wait()
        self._fail_all(self.failure or InvocationError("Runtime.ExitError", f"the JVM exited with status {code}"))

    def stop(self) -> None:
        self.broken = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.pending.put(None)
        self.server.shutdown()
        self.server.server_close()
        if self.credentials:
            self.credentials.stop()


def _stop_all(environments: list[_Environment]) -> None:
    for environment in environments:
        environment.stop()


def _init_failure(phase: str, runtime_error_type: str | None, body: bytes) -> InvocationError:
    """What invoking the environment answers once its runtime reported an init or restore error.

    A failed afterRestore hook makes Lambda's Invoke answer SnapStartException. A failed beforeCheckpoint hook fails
    the snapshot, so on Lambda the version never becomes invocable; here, where init runs at the first invoke, that
    invoke fails with the type the runtime reported. Any other init error keeps the error the function raised."""
    error_type, message, payload = _error_of(body)
    # The client's CheckpointException and RestoreException carry the hooks' own exceptions as suppressed ones,
    # which only the function's log shows.
    if phase == "restore":
        return InvocationError(
            AFTER_RESTORE_FAILED, f"an afterRestore hook failed ({error_type}); see the log", payload
        )
    if runtime_error_type == BEFORE_CHECKPOINT_ERROR:
        return InvocationError(
            BEFORE_CHECKPOINT_ERROR, f"a beforeCheckpoint hook failed ({error_type}); see the log", payload
        )
    return InvocationError(error_type, message, payload)


def _error_of(body: bytes) -> tuple[str, str, Any]:
    try:
        error = json.loads(body or b"{}")
    except ValueError:
        return "Runtime.Unknown", body.decode(errors="replace"), None
    return error.get("errorType", "Runtime.Unknown"), error.get("errorMessage", ""), error


class CredentialsEndpoint:
    """What Lambda gives SnapStart functions instead of key variables: a loopback endpoint that serves the
    role's credentials to callers presenting a token (AWS_CONTAINER_CREDENTIALS_FULL_URI and
    AWS_CONTAINER_AUTHORIZATION_TOKEN), so that the SDK's container credentials provider is what runs.

    The credentials expire an hour after the time of the environment's clock (offset_seconds off real time): the
    SDK holds their expiry against its own clock and refetches credentials it finds expired."""

    def __init__(self, access_key: str, secret_key: str, session_token: str, offset_seconds: float):
        self.token = uuid.uuid4().hex
        endpoint = self

        class Handler(LoopbackHandler):
            def do_GET(self) -> None:
                if self.headers.get("Authorization") != endpoint.token:
                    self.reply(403)
                    return
                expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_seconds + 3600))
                self.reply(
                    200,
                    {
                        "AccessKeyId": access_key,
                        "SecretAccessKey": secret_key,
                        "Token": session_token,
                        "Expiration": expiration,
                    },
                )

        self.server = serve(Handler, "credentials")

    def environment(self) -> dict[str, str]:
        return {
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"http://127.0.0.1:{self.server.server_address[1]}/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.token,
        }

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


KEY_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def function_credentials(function: FunctionConfig) -> tuple[str, str, str]:
    """Each function's role gets credentials of its own, as on Lambda, so the emulator can tell which function
    made a call (and the tests can hold its calls against the role's policy). The key id has the shape AWS
    signatures carry: 20 upper-case letters and digits."""
    key_id = ("ASIA" + hashlib.sha1(function.logical_id.encode()).hexdigest().upper())[:20]
    return key_id, "local-secret-" + function.logical_id, "local-session"


class FunctionPool:
    """The execution environments of one function."""

    def __init__(
        self,
        function: FunctionConfig,
        aws_env: dict[str, str],
        ric: RuntimeInterfaceClient,
        max_concurrency: int,
        spawner: _Spawner,
        clock: EmulatorClock,
        faketime: str | None,
    ):
        self.function = function
        self.spawner = spawner
        self.clock = clock
        self.faketime = faketime
        self.aws_env = aws_env
        self.ric = ric
        self.max_concurrency = max_concurrency
        self.idle: list[_Environment] = []
        self.all: list[_Environment] = []
        self.lock = threading.Condition()
        function.log_file.parent.mkdir(parents=True, exist_ok=True)
        self.log_sink = open(function.log_file, "a", buffering=1, encoding="utf-8")
        self.cold_starts = 0

    def invoke(self, event: Any) -> Any:
        payload = json.dumps(event).encode()
        environment = self._acquire()
        try:
            result = environment.invoke(payload, self.function.timeout_s)
        finally:
            self._release(environment)
        return json.loads(result)

    def prepare_environment(self, timeout_s: float = 120) -> dict[str, Any]:
        """Starts one more environment and waits, with no invocation, until it polls for one: its init and, with
        SnapStart, its checkpoint and restore hooks have run (on Lambda, publishing a version runs init and the
        checkpoint hooks with no invocation). It then waits warm for invocations. Returns its phases."""
        with self.lock:
            retired = self._retire_idle()
            live = [e for e in self.all if not e.broken]
            environment = None
            if len(live) < self.max_concurrency:
                self.all = live
                environment = self._start_environment()
        _stop_all(retired)
        if environment is None:
            raise InvocationError(
                "TooManyRequestsException", f"{self.function.name} already has its {self.max_concurrency} environments"
            )
        try:
            environment.wait_until_ready(timeout_s)
        finally:
            self._release(environment)
        return environment.phases.report()

    def _acquire(self) -> _Environment:
        retired: list[_Environment] = []
        try:
            with self.lock:
                while True:
                    retired += self._retire_idle()
                    while self.idle:
                        environment = self.idle.pop()
                        if not environment.broken:
                            return environment
                    live = [e for e in self.all if not e.broken]
                    if len(live) < self.max_concurrency:
                        break
                    self.lock.wait()
                self.all = live
                return self._start_environment()
        finally:
            # Outside the lock: stopping a JVM takes a moment, and other invocations need not wait for it.
            _stop_all(retired)

    def _retire_idle(self) -> list[_Environment]:
        """Takes the idle environments that started on another clock offset out of service, for the caller to
        stop once it has released the lock. Called with the lock held."""
        offset = self.clock.offset_seconds
        retired = [e for e in self.idle if e.offset_seconds != offset and not e.broken]
        self.idle = [e for e in self.idle if e.offset_seconds == offset]
        for environment in retired:
            self._retire(environment, offset)
        return retired

    def _retire(self, environment: _Environment, offset: float) -> None:
        environment.broken = True
        log.info(
            "retiring an environment of %s: it started on clock offset %+.0f s, the clock is at %+.0f s",
            self.function.logical_id,
            environment.offset_seconds,
            offset,
        )

    def _start_environment(self) -> _Environment:
        """Called with the lock held."""
        try:
            environment = _Environment(
                self.function,
                self.aws_env,
                self.ric,
                self.log_sink,
                self.spawner,
                self.clock.offset_seconds,
                self.faketime,
            )
        except FaketimeMissing as error:
            raise InvocationError("ServiceException", str(error)) from error
        threading.Thread(target=environment.watch, name=f"watch-{self.function.logical_id}", daemon=True).start()
        self.all.append(environment)
        self.cold_starts += 1
        log.info("cold start of %s (environment %d)", self.function.logical_id, len(self.all))
        return environment

    def stop_running(self) -> bool:
        """Kills the JVMs of the invocations running now, as Lambda ends one at its timeout or when its runtime
        crashes: each such invocation fails with Runtime.ExitError. Answers whether one was running."""
        with self.lock:
            running = [e for e in self.all if e not in self.idle and not e.broken and e.current is not None]
        for environment in running:
            environment.broken = True
            environment.process.kill()
        return bool(running)

    def phases(self) -> list[dict[str, Any]]:
        """The life cycle of each environment this pool still keeps, oldest first."""
        with self.lock:
            environments = list(self.all)
        return [environment.phases.report() for environment in environments]

    def _release(self, environment: _Environment) -> None:
        retired = []
        with self.lock:
            offset = self.clock.offset_seconds
            if not environment.broken and environment.offset_seconds != offset:
                self._retire(environment, offset)
                retired.append(environment)
            if not environment.broken:
                self.idle.append(environment)
            self.lock.notify()
        _stop_all(retired)

    def stop(self) -> None:
        with self.lock:
            environments, self.all, self.idle = self.all, [], []
        for environment in environments:
            environment.stop()
        self.log_sink.close()


class LambdaService:
    """All deployed functions, invocable by name or ARN, running on the given clock (real time if none)."""

    def __init__(
        self,
        functions: list[FunctionConfig],
        aws_env: dict[str, str],
        ric: RuntimeInterfaceClient,
        max_concurrency: int,
        clock: EmulatorClock | None = None,
    ):
        self.aws_env = aws_env
        self.spawner = _Spawner()
        clock = clock or EmulatorClock()
        faketime = faketime_library()
        self.pools = {
            f.name: FunctionPool(f, self._environment(f, aws_env), ric, max_concurrency, self.spawner, clock, faketime)
            for f in functions
        }
        self.by_arn = {f.arn: f.name for f in functions}

    @staticmethod
    def _environment(function: FunctionConfig, aws_env: dict[str, str]) -> dict[str, str]:
        """A SnapStart function's environments get an endpoint for its credentials instead of the keys."""
        without_keys = {k: v for k, v in aws_env.items() if k not in KEY_VARIABLES}
        if function.snap_start:
            return without_keys
        return without_keys | dict(zip(KEY_VARIABLES, function_credentials(function)))

    def pool(self, name_or_arn: str) -> FunctionPool:
        name = self.by_arn.get(name_or_arn.split(":$LATEST")[0], name_or_arn)
        if name.startswith("arn:"):
            name = name.split(":function:")[1].split(":")[0]
        if name not in self.pools:
            raise KeyError(f"no function {name_or_arn} in the stack")
        return self.pools[name]

    def stop_caller(self, access_key: str) -> bool:
        """Stops the running invocations of the function whose role signs with this access key id."""
        for pool in self.pools.values():
            if function_credentials(pool.function)[0] == access_key:
                return pool.stop_running()
        return False

    def invoke(self, name_or_arn: str, event: Any) -> Any:
        return self.pool(name_or_arn).invoke(event)

    def stop(self) -> None:
        for pool in self.pools.values():
            pool.stop()
        self.spawner.stop()
