"""The fake SSM agent, run as the real one would be: a subprocess registering this machine."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import LOCAL_DIR, REGION

AGENT = LOCAL_DIR / "fake-ssm-agent"
DAY = 24 * 3600


@pytest.fixture
def agent_dir(tmp_path: Path) -> Path:
    return tmp_path / "ssm"


@pytest.fixture
def agent_env(local_aws: Any, agent_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=local_aws.endpoint_url,
        FAKE_SSM_AGENT_DIR=str(agent_dir),
        FAKE_SSM_AGENT_HOSTNAME="edge-17.lab.example",
        FAKE_SSM_AGENT_IP_ADDRESS="192.0.2.17",
    )
    return env


@pytest.fixture
def activation(ssm: Any, roles: dict[str, str]) -> dict[str, str]:
    return ssm.create_activation(IamRole=roles["plain"], RegistrationLimit=2, DefaultInstanceName="edge")


def run_agent(env: dict[str, str], *args: str, stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(AGENT), *args],
        env=env,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=30,
    )


def register_args(activation: dict[str, str], *extra: str) -> list[str]:
    code, activation_id = activation["ActivationCode"], activation["ActivationId"]
    return ["-register", "-code", code, "-id", activation_id, "-region", REGION, *extra]


def assert_code_not_printed(result: subprocess.CompletedProcess[str], activation: dict[str, str]) -> None:
    assert activation["ActivationCode"] not in result.stdout + result.stderr


def registration(agent_dir: Path) -> dict[str, str]:
    return json.loads((agent_dir / "registration").read_text())


def test_register_writes_the_registration_and_reports_the_machine(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str], ssm: Any
) -> None:
    result = run_agent(agent_env, *register_args(activation))
    assert result.returncode == 0, result.stderr
    assert_code_not_printed(result, activation)

    text = (agent_dir / "registration").read_text()
    instance_id = registration(agent_dir)["ManagedInstanceID"]
    assert re.fullmatch(r"mi-[0-9a-f]{17}", instance_id)
    assert text == f'{{"ManagedInstanceID":"{instance_id}","Region":"{REGION}"}}'
    success = f"Successfully registered the instance with AWS SSM using Managed instance-id: {instance_id}"
    assert success in result.stdout

    [instance] = ssm.describe_instance_information()["InstanceInformationList"]
    assert instance["InstanceId"] == instance_id
    assert instance["ActivationId"] == activation["ActivationId"]
    assert (instance["ComputerName"], instance["IPAddress"]) == ("edge-17.lab.example", "192.0.2.17")
    assert (instance["PlatformType"], instance["AgentVersion"]) == ("Linux", "3.3.0.0")


def test_the_script_runs_by_its_shebang(agent_env: dict[str, str]) -> None:
    assert os.access(AGENT, os.X_OK)
    assert AGENT.read_text().startswith("#!/usr/bin/env python3\n")
    result = subprocess.run([str(AGENT), "-clear"], env=agent_env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_double_dash_flags_work_too(agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str]) -> None:
    code, activation_id = activation["ActivationCode"], activation["ActivationId"]
    args = ["--register", "--code", code, "--id", activation_id, "--region", REGION]
    result = run_agent(agent_env, *args)
    assert result.returncode == 0, result.stderr
    assert registration(agent_dir)["Region"] == REGION


def test_refuses_to_replace_a_registration_without_y(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str], control: Any
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    first = registration(agent_dir)
    control.delete("calls")

    result = run_agent(agent_env, *register_args(activation))
    assert result.returncode == 1
    assert f"Instance already registered with ID {first['ManagedInstanceID']}" in result.stderr
    assert "-y" in result.stderr
    assert_code_not_printed(result, activation)
    assert registration(agent_dir) == first
    assert control.get("calls") == {}


def test_y_replaces_the_registration_with_the_same_fingerprint(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str]
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    first = registration(agent_dir)["ManagedInstanceID"]
    fingerprint = (agent_dir / "fingerprint").read_text()

    result = run_agent(agent_env, *register_args(activation, "-y"))
    assert result.returncode == 0, result.stderr
    assert registration(agent_dir)["ManagedInstanceID"] != first
    assert (agent_dir / "fingerprint").read_text() == fingerprint


def test_asks_before_replacing_on_a_terminal(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str]
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    first = registration(agent_dir)["ManagedInstanceID"]

    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"yes\n")
        result = run_agent(agent_env, *register_args(activation), stdin=terminal)
    finally:
        os.close(controller)
        os.close(terminal)
    assert result.returncode == 0, result.stderr
    assert "Would you like to override existing with new registration information? [Yes/No]" in result.stdout
    assert registration(agent_dir)["ManagedInstanceID"] != first


def test_clear_removes_the_registration(agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str]) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    result = run_agent(agent_env, "-clear")
    assert result.returncode == 0, result.stderr
    assert not (agent_dir / "registration").exists()
    assert run_agent(agent_env, "-clear").returncode == 0


def test_clear_then_register(agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str]) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    first = registration(agent_dir)["ManagedInstanceID"]
    result = run_agent(agent_env, "-clear", *register_args(activation))
    assert result.returncode == 0, result.stderr
    assert registration(agent_dir)["ManagedInstanceID"] != first


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("expired", "ActivationExpired: "),
        ("wrong code", "InvalidActivation: "),
        ("limit reached", "InvalidActivation: Activation has reached its registration limit"),
    ],
)
def test_registration_failures(
    agent_env: dict[str, str],
    agent_dir: Path,
    activation: dict[str, str],
    agent_api: Any,
    control: Any,
    setup: str,
    error: str,
) -> None:
    code = activation["ActivationCode"]
    if setup == "expired":
        control.post("clock", {"advanceSeconds": 2 * DAY})
    elif setup == "wrong code":
        code = code[::-1]
    else:
        for _ in range(2):
            agent_api.register_ok(activation["ActivationId"], code)

    result = run_agent(agent_env, *register_args({**activation, "ActivationCode": code}))
    assert result.returncode == 1
    assert f"Registration failed due to error registering the instance with AWS SSM. {error}" in result.stderr
    assert_code_not_printed(result, activation)
    assert code not in result.stdout + result.stderr
    assert not (agent_dir / "registration").exists()


def test_needs_an_endpoint(agent_env: dict[str, str], activation: dict[str, str]) -> None:
    del agent_env["AWS_ENDPOINT_URL"]
    result = run_agent(agent_env, *register_args(activation))
    assert result.returncode == 1
    assert "AWS_ENDPOINT_URL_SSM or AWS_ENDPOINT_URL" in result.stderr


def test_ssm_specific_endpoint_wins(agent_env: dict[str, str], activation: dict[str, str], local_aws: Any) -> None:
    agent_env["AWS_ENDPOINT_URL_SSM"] = local_aws.endpoint_url
    agent_env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # discard port: nothing listens there
    assert run_agent(agent_env, *register_args(activation)).returncode == 0


def test_unreachable_endpoint(agent_env: dict[str, str], activation: dict[str, str]) -> None:
    agent_env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    result = run_agent(agent_env, *register_args(activation))
    assert result.returncode == 1
    assert "Registration failed due to error registering the instance with AWS SSM. RequestError" in result.stderr
    assert_code_not_printed(result, activation)


def test_usage_errors_do_not_echo_the_code(agent_env: dict[str, str], activation: dict[str, str]) -> None:
    missing = run_agent(agent_env, "-register", "-id", activation["ActivationId"], "-region", REGION)
    assert missing.returncode == 2
    assert "-code" in missing.stderr

    typo = run_agent(agent_env, "-register", "-cod", activation["ActivationCode"], "-id", activation["ActivationId"])
    assert typo.returncode == 2
    assert_code_not_printed(typo, activation)

    assert run_agent(agent_env).returncode == 2
