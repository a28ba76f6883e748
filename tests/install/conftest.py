"""The first-boot scripts against the local stack: the stack, the script as it serves it, tokens, agent packages.

bin/test passes the running stack's state file in LOCAL_STACK_STATE; without it the session starts a stack of its
own (the functions must be built: bin/build-local).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from machine import DISTRIBUTIONS, Agent, Machine

PROJECT = Path(__file__).resolve().parents[2]
AWS_SIGNING_KEY_FINGERPRINT = "DE92C7DA3E56E92331D62A36BC1F495C97DD04ED"


def pytest_report_header() -> list[str]:
    lines = [f"agent that registers: {Agent.find(PROJECT).describe()}"]
    if shutil.which("pwsh") is None:
        lines.append("pwsh not found: the PowerShell script gets its structural tests only")
    return lines


@dataclass
class Stack:
    api_url: str
    endpoint_url: str
    region: str
    state_file: Path
    outputs: dict[str, Any]
    functions: dict[str, Any]
    _clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service,
                endpoint_url=self.endpoint_url,
                region_name=self.region,
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(retries={"total_max_attempts": 1}),
            )
        return self._clients[service]

    def emulator(self, method: str, path: str, body: Any = None) -> Any:
        response = requests.request(method, f"{self.endpoint_url}/_hybrid/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def create_activations(self) -> int:
        return int(self.emulator("GET", "calls").get("ssm.CreateActivation", 0))

    def hob(self, *args: str) -> dict[str, Any]:
        completed = subprocess.run(
            [str(PROJECT / "bin/hob"), "--local-state", str(self.state_file), "--json", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if completed.returncode != 0:
            raise RuntimeError(f"hob {' '.join(args)} failed: {completed.stderr}")
        return json.loads(completed.stdout)

    def clear_failure_counters(self) -> None:
        """Wrong tokens count against this host's address; the next test must not inherit them."""
        dynamodb = self.client("dynamodb")
        table = self.outputs["TableName"]
        for page in dynamodb.get_paginator("scan").paginate(
            TableName=table,
            FilterExpression="begins_with(pk, :failures)",
            ExpressionAttributeValues={":failures": {"S": "FAILURES#"}},
        ):
            for item in page["Items"]:
                dynamodb.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})


def _start_stack(state_file: Path) -> subprocess.Popen[bytes]:
    log = open(state_file.with_suffix(".log"), "wb")  # noqa: SIM115 - the stack writes to it until it stops
    # As bin/test starts it: the machines here all come from 127.0.0.1, which WAF's per-source limit then leaves out.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hybrid_local",
            "up",
            "--state-file",
            str(state_file),
            "--no-demo-token",
            "--quiet",
            "--parameter",
            "WafRateLimitExemptCidrs=127.0.0.1/32",
        ],
        cwd=PROJECT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(PROJECT / "local")},
    )
    deadline = time.monotonic() + 180
    while not state_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the local stack did not start; see {log.name}")
        time.sleep(0.5)
    return process


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    configured = os.environ.get("LOCAL_STACK_STATE")
    process = None
    if configured:
        state_file = Path(configured)
        if not state_file.exists():
            raise RuntimeError(f"LOCAL_STACK_STATE={configured} does not exist: is the local stack running?")
    else:
        state_file = Path(tempfile.mkdtemp(prefix="install-tests-")) / "stack.json"
        process = _start_stack(state_file)
    state = json.loads(state_file.read_text())
    try:
        yield Stack(
            state["apiUrl"], state["endpointUrl"], state["region"], state_file, state["outputs"], state["functions"]
        )
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="session")
def agent() -> Agent:
    return Agent.find(PROJECT)


@dataclass
class SigningKey:
    fingerprint: str
    public_key: bytes
    home: Path

    def sign(self, content: bytes) -> bytes:
        with tempfile.TemporaryDirectory() as work:
            data = Path(work) / "data"
            data.write_bytes(content)
            subprocess.run(
                [
                    "gpg",
                    "--batch",
                    "--homedir",
                    str(self.home),
                    "--local-user",
                    self.fingerprint,
                    "--detach-sign",
                    "--output",
                    f"{data}.sig",
                    str(data),
                ],
                check=True,
                capture_output=True,
            )
            return Path(f"{data}.sig").read_bytes()


def _signing_key(home: Path, name: str) -> SigningKey:
    home.mkdir(mode=0o700)
    subprocess.run(
        [
            "gpg",
            "--batch",
            "--homedir",
            str(home),
            "--passphrase",
            "",
            "--quick-gen-key",
            f"{name} <{name.lower().replace(' ', '-')}@example.invalid>",
            "rsa2048",
            "sign",
            "never",
        ],
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(
        ["gpg", "--batch", "--homedir", str(home), "--with-colons", "--list-keys"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    public_key = subprocess.run(
        ["gpg", "--batch", "--homedir", str(home), "--export", fingerprint], check=True, capture_output=True
    ).stdout
    return SigningKey(fingerprint, public_key, home)


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SigningKey]:
    """The key the S3 stand-in signs packages with (the script trusts it in AWS's stead), and a stranger's."""
    base = tmp_path_factory.mktemp("gnupg")
    return {
        "agent": _signing_key(base / "agent", "SSM Agent stand-in"),
        "stranger": _signing_key(base / "stranger", "Stranger"),
    }


@dataclass
class Package:
    content: bytes
    signature: bytes


@pytest.fixture(scope="session")
def package(keys: dict[str, SigningKey]) -> Package:
    content = b"amazon-ssm-agent package stand-in " + uuid.uuid4().bytes
    return Package(content, keys["agent"].sign(content))


@pytest.fixture(scope="session")
def served_linux_script(stack: Stack) -> str:
    response = requests.get(f"{stack.api_url}/v1/install/linux", timeout=30)
    response.raise_for_status()
    return response.text


@pytest.fixture(scope="session")
def linux_script(served_linux_script: str, keys: dict[str, SigningKey]) -> str:
    """The script as the API serves it, trusting the S3 stand-in's signing key instead of AWS's."""
    assert f"AGENT_SIGNING_KEY_FINGERPRINT='{AWS_SIGNING_KEY_FINGERPRINT}'" in served_linux_script
    stand_in = keys["agent"]
    encoded = base64.encodebytes(stand_in.public_key).decode()
    script, replaced = re.subn(
        r"AGENT_SIGNING_KEY_FINGERPRINT='[0-9A-F]{40}'",
        f"AGENT_SIGNING_KEY_FINGERPRINT='{stand_in.fingerprint}'",
        served_linux_script,
    )
    assert replaced == 1
    script, replaced = re.subn(r"AGENT_SIGNING_KEY='[^']*'", lambda _: f"AGENT_SIGNING_KEY='\n{encoded}'", script)
    assert replaced == 1
    return script


@pytest.fixture(scope="session")
def token(stack: Stack) -> str:
    """A token with uses enough for the session; each test's machine has its own machine id."""
    return stack.hob("token", "create", "--uses", "1000", "--lifetime", "24h", "--description", "install script tests")[
        "token"
    ]


@pytest.fixture(scope="session")
def secrets_seen() -> list[str]:
    """Every token and activation code the tests handled, for the scan of the function logs at the end."""
    return []


@pytest.fixture(scope="session", autouse=True)
def no_secret_in_function_logs(stack: Stack, secrets_seen: list[str]) -> Iterator[None]:
    yield
    for function in stack.functions.values():
        log = Path(function["logFile"])
        if not log.exists():
            continue
        for number, line in enumerate(log.read_text(errors="replace").splitlines(), 1):
            for secret in secrets_seen:
                assert secret not in line, f"a token or activation code appears in {log} at line {number}"


@pytest.fixture
def new_machine(tmp_path: Path, agent: Agent, stack: Stack, package: Package) -> Callable[..., Machine]:
    count = 0

    def make(distribution: str = "ubuntu-22.04", architecture: str = "x86_64") -> Machine:
        nonlocal count
        count += 1
        machine = Machine(
            tmp_path / f"machine-{count}",
            DISTRIBUTIONS[distribution],
            architecture,
            agent,
            stack.endpoint_url,
            stack.region,
        )
        machine.serve_agent(package.content, package.signature)
        return machine

    return make
