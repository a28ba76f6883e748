"""The fake SSM agent, run as the real one would be: a subprocess registering this machine, then its service."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import LOCAL_DIR, REGION

AGENT = LOCAL_DIR / "fake-ssm-agent"
DAY = 24 * 3600
REGISTER_ERROR = "Registration failed due to error registering the instance with AWS SSM."
REPORTED = ("ComputerName", "IPAddress", "PlatformName", "PlatformType", "AgentVersion")


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


def run_agent(env: dict[str, str], *args: str, answer: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the agent to its end; ``answer`` is what it reads on stdin (nothing to read when None)."""
    stdin = subprocess.DEVNULL if answer is None else None
    return subprocess.run(
        [sys.executable, str(AGENT), *args],
        env=env,
        stdin=stdin,
        input=answer,
        capture_output=True,
        text=True,
        timeout=60,
    )


def register_args(activation: dict[str, str], *extra: str) -> list[str]:
    code, activation_id = activation["ActivationCode"], activation["ActivationId"]
    return ["-register", "-code", code, "-id", activation_id, "-region", REGION, *extra]


def assert_code_not_printed(result: subprocess.CompletedProcess[str], activation: dict[str, str]) -> None:
    assert activation["ActivationCode"] not in result.stdout + result.stderr


def vault(agent_dir: Path, name: str) -> dict[str, Any]:
    return json.loads((agent_dir / "Vault" / "Store" / name).read_text())


def registered_id(agent_dir: Path) -> str:
    return vault(agent_dir, "RegistrationKey")["instanceID"]


def described(ssm: Any) -> list[dict[str, Any]]:
    return ssm.describe_instance_information()["InstanceInformationList"]


def test_register_only_registers(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str], ssm: Any, control: Any
) -> None:
    result = run_agent(agent_env, *register_args(activation))

    assert result.returncode == 0, result.stdout
    assert_code_not_printed(result, activation)
    instance_id = registered_id(agent_dir)
    assert re.fullmatch(r"mi-[0-9a-f]{17}", instance_id)
    assert (
        f"Successfully registered the instance with AWS SSM using Managed instance-id: {instance_id}" in result.stdout
    )
    assert control.get("calls") == {"ssm.CreateActivation": 1, "ssm.RegisterManagedInstance": 1}
    # SSM knows the registration, and nothing about the machine until the service pings.
    [instance] = described(ssm)
    assert (instance["InstanceId"], instance["PingStatus"]) == (instance_id, "ConnectionLost")
    assert not set(REPORTED) & set(instance)


def test_register_writes_the_vault_and_the_registration_file_as_the_agent(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str]
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    instance_id = registered_id(agent_dir)

    files = [agent_dir / "registration", *(agent_dir / "Vault").rglob("*")]
    assert sorted(str(path.relative_to(agent_dir)) for path in files if path.is_file()) == [
        "Vault/Manifest",
        "Vault/Store/InstanceFingerprint",
        "Vault/Store/RegistrationKey",
        "registration",
    ]
    for path in files:
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert (agent_dir / "registration").read_text() == f'{{"ManagedInstanceID":"{instance_id}","Region":"{REGION}"}}'
    assert json.loads((agent_dir / "Vault" / "Manifest").read_text()) == {
        "InstanceFingerprint": str(agent_dir / "Vault" / "Store" / "InstanceFingerprint"),
        "RegistrationKey": str(agent_dir / "Vault" / "Store" / "RegistrationKey"),
    }
    key = vault(agent_dir, "RegistrationKey")
    assert list(key) == [
        "instanceID",
        "region",
        "instanceType",
        "availabilityZone",
        "privateKey",
        "publicKey",
        "privateKeyType",
        "privateKeyCreatedDate",
    ]
    assert (key["region"], key["privateKeyType"]) == (REGION, "Rsa")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000 UTC", key["privateKeyCreatedDate"])
    fingerprint = vault(agent_dir, "InstanceFingerprint")
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", fingerprint["fingerprint"])
    assert len(fingerprint["hardwareHash"]) == 9
    assert fingerprint["similarityThreshold"] == 40


def test_the_service_takes_the_role_token_and_pings(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str], ssm: Any, control: Any
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    control.delete("calls")

    result = run_agent(agent_env, "-once")

    assert result.returncode == 0, result.stdout
    assert control.get("calls") == {
        "ssm.RequestManagedInstanceRoleToken": 1,
        "ssm.UpdateInstanceInformation": 2,
        "ssm.ListInstanceAssociations": 1,
    }
    [instance] = described(ssm)
    assert instance["PingStatus"] == "Online"
    assert (instance["ComputerName"], instance["IPAddress"]) == ("edge-17.lab.example", "192.0.2.17")
    assert (instance["PlatformType"], instance["AgentVersion"]) == ("Linux", "3.3.0.0")
    # The worker's calls are made with the role credentials, not the registration key.
    by_key = control.get("calls-by-access-key")
    assert [calls for key, calls in by_key.items() if key.startswith("ASIA")] == [
        {"ssm.ListInstanceAssociations": 1, "ssm.UpdateInstanceInformation": 2}
    ]


def test_the_service_pings_until_stopped(
    agent_env: dict[str, str], activation: dict[str, str], ssm: Any, control: Any
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    control.delete("calls")
    agent_env["FAKE_SSM_AGENT_PING_SECONDS"] = "0.2"
    service = subprocess.Popen([sys.executable, str(AGENT)], env=agent_env, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while control.get("calls").get("ssm.UpdateInstanceInformation", 0) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert control.get("calls")["ssm.UpdateInstanceInformation"] >= 4
    finally:
        service.send_signal(signal.SIGTERM)
        output, _ = service.communicate(timeout=30)
    assert service.returncode == 0
    assert "Bye." in output
    assert control.get("calls")["ssm.RequestManagedInstanceRoleToken"] == 1


def test_the_service_rotates_its_key_when_asked(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str], control: Any
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    old_key = vault(agent_dir, "RegistrationKey")["privateKey"]
    control.post("key-rotation", {"instanceId": registered_id(agent_dir)})

    rotated = run_agent(agent_env, "-once")
    assert rotated.returncode == 0, rotated.stdout
    assert "Successfully rotated private key" in rotated.stdout
    assert vault(agent_dir, "RegistrationKey")["privateKey"] != old_key
    control.delete("calls")
    assert run_agent(agent_env, "-once").returncode == 0
    assert "ssm.UpdateManagedInstancePublicKey" not in control.get("calls")


def test_the_service_without_a_registration_fails(agent_env: dict[str, str]) -> None:
    result = run_agent(agent_env, "-once")
    assert result.returncode == 1
    assert "Agent failed to assume any identity" in result.stdout


def test_a_deregistered_service_fails_to_start(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str], ssm: Any
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    ssm.deregister_managed_instance(InstanceId=registered_id(agent_dir))
    result = run_agent(agent_env, "-once")
    assert result.returncode == 1
    assert "InvalidInstanceId" in result.stdout


def test_the_script_runs_by_its_shebang(agent_env: dict[str, str], agent_dir: Path) -> None:
    assert os.access(AGENT, os.X_OK)
    assert AGENT.read_text().startswith("#!/usr/bin/env python3\n")
    result = subprocess.run(
        [str(AGENT), "-register", "-clear"], env=agent_env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout


def test_double_dash_flags_work_too(agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str]) -> None:
    code, activation_id = activation["ActivationCode"], activation["ActivationId"]
    result = run_agent(agent_env, "--register", "--code", code, f"--id={activation_id}", "--region", REGION)
    assert result.returncode == 0, result.stdout
    assert vault(agent_dir, "RegistrationKey")["region"] == REGION


def test_a_stored_registration_is_replaced_only_when_confirmed(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str], control: Any
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    first = registered_id(agent_dir)
    control.delete("calls")

    nothing_to_read = run_agent(agent_env, *register_args(activation))
    assert nothing_to_read.returncode == 1
    assert f"Instance already registered with ID {first}" in nothing_to_read.stdout
    assert "Registration failed due to EOF" in nothing_to_read.stdout
    declined = run_agent(agent_env, *register_args(activation), answer="no\n")
    assert declined.returncode == 1
    assert "Registration canceled by user" in declined.stdout
    assert_code_not_printed(declined, activation)
    assert registered_id(agent_dir) == first
    assert control.get("calls") == {}

    confirmed = run_agent(agent_env, *register_args(activation), answer="yes\n")
    assert confirmed.returncode == 0, confirmed.stdout
    assert registered_id(agent_dir) != first


def test_y_replaces_the_registration_with_the_same_fingerprint(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str]
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    first, fingerprint = registered_id(agent_dir), vault(agent_dir, "InstanceFingerprint")

    result = run_agent(agent_env, *register_args(activation, "-y"))
    assert result.returncode == 0, result.stdout
    assert registered_id(agent_dir) != first
    assert vault(agent_dir, "InstanceFingerprint") == fingerprint


def test_register_clear_empties_the_vault_and_keeps_the_registration_file(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str]
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    registration_file = (agent_dir / "registration").read_text()

    result = run_agent(agent_env, "-register", "-clear")

    assert result.returncode == 0, result.stdout
    assert "Registration information has been removed from the instance." in result.stdout
    key = vault(agent_dir, "RegistrationKey")
    assert (key["instanceID"], key["privateKey"]) == ("", "")
    assert vault(agent_dir, "InstanceFingerprint") == {
        "fingerprint": "",
        "hardwareHash": None,
        "similarityThreshold": 0,
    }
    assert (agent_dir / "registration").read_text() == registration_file
    # A cleared image registers as a new machine without being asked to confirm.
    again = run_agent(agent_env, *register_args(activation))
    assert again.returncode == 0, again.stdout
    assert registered_id(agent_dir) != json.loads(registration_file)["ManagedInstanceID"]


def test_clear_next_to_a_code_is_ignored(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str]
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    first = registered_id(agent_dir)
    result = run_agent(agent_env, *register_args(activation, "-clear", "-y"))
    assert result.returncode == 0, result.stdout
    assert "removed" not in result.stdout
    assert registered_id(agent_dir) not in ("", first)


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        ("expired", "ActivationExpired: "),
        ("wrong code", "InvalidActivation: "),
        ("limit reached", "RegistrationLimitExceeded: Activation has reached its registration limit"),
    ],
)
def test_a_failed_registration_wipes_the_previous_one(
    agent_env: dict[str, str],
    agent_dir: Path,
    activation: dict[str, str],
    agent_api: Any,
    control: Any,
    setup: str,
    error: str,
) -> None:
    assert run_agent(agent_env, *register_args(activation)).returncode == 0
    registration_file = (agent_dir / "registration").read_text()
    code = activation["ActivationCode"]
    if setup == "expired":
        control.post("clock", {"advanceSeconds": 2 * DAY})
    elif setup == "wrong code":
        code = code[::-1]
    else:
        agent_api.register_ok(activation["ActivationId"], code)

    result = run_agent(agent_env, *register_args({**activation, "ActivationCode": code}, "-y"))

    assert result.returncode == 1
    assert f"ERROR {REGISTER_ERROR} {error}" in result.stdout
    assert_code_not_printed(result, activation)
    assert code not in result.stdout + result.stderr
    key = vault(agent_dir, "RegistrationKey")
    assert key["instanceID"] == ""
    assert key["privateKey"]
    assert (agent_dir / "registration").read_text() == registration_file
    assert run_agent(agent_env, "-once").returncode == 1


def test_throttling_and_server_errors_are_tried_four_times(
    agent_env: dict[str, str], agent_dir: Path, activation: dict[str, str], control: Any
) -> None:
    control.post("faults", {"target": "ssm.RegisterManagedInstance", "error": "ThrottlingException", "count": 2})
    control.post(
        "faults", {"target": "ssm.RegisterManagedInstance", "error": "InternalServerError", "status": 500, "count": 1}
    )
    recovered = run_agent(agent_env, *register_args(activation))
    assert recovered.returncode == 0, recovered.stdout
    assert control.get("calls")["ssm.RegisterManagedInstance"] == 4

    control.delete("calls")
    control.post("faults", {"target": "ssm.RegisterManagedInstance", "error": "TooManyUpdates", "count": -1})
    given_up = run_agent(agent_env, *register_args(activation, "-y"))
    assert given_up.returncode == 1
    assert f"{REGISTER_ERROR} TooManyUpdates" in given_up.stdout
    assert control.get("calls")["ssm.RegisterManagedInstance"] == 4


def test_other_errors_are_not_retried(agent_env: dict[str, str], activation: dict[str, str], control: Any) -> None:
    result = run_agent(agent_env, *register_args({**activation, "ActivationCode": "B" * 20}))
    assert result.returncode == 1
    assert control.get("calls")["ssm.RegisterManagedInstance"] == 1


def test_needs_an_endpoint(agent_env: dict[str, str], activation: dict[str, str]) -> None:
    del agent_env["AWS_ENDPOINT_URL"]
    result = run_agent(agent_env, *register_args(activation))
    assert result.returncode == 1
    assert "AWS_ENDPOINT_URL_SSM or AWS_ENDPOINT_URL" in result.stdout


def test_ssm_specific_endpoint_wins(agent_env: dict[str, str], activation: dict[str, str], local_aws: Any) -> None:
    agent_env["AWS_ENDPOINT_URL_SSM"] = local_aws.endpoint_url
    agent_env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"  # discard port: nothing listens there
    assert run_agent(agent_env, *register_args(activation)).returncode == 0


def test_unreachable_endpoint(agent_env: dict[str, str], activation: dict[str, str]) -> None:
    agent_env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    result = run_agent(agent_env, *register_args(activation))
    assert result.returncode == 1
    assert f"{REGISTER_ERROR} RequestError" in result.stdout
    assert_code_not_printed(result, activation)


@pytest.mark.parametrize(
    "args",
    [
        ["-register", "-id", "ID", "-region", REGION, "-code"],
        ["-register", "-cod", "CODE", "-id", "ID", "-region", REGION],
        ["-clear"],
        ["-code", "CODE"],
        ["-register", "-clear", "-once"],
        ["-register"],
    ],
)
def test_usage_errors_exit_1_without_echoing_the_arguments(
    agent_env: dict[str, str], activation: dict[str, str], control: Any, args: list[str]
) -> None:
    code, activation_id = activation["ActivationCode"], activation["ActivationId"]
    control.delete("calls")
    filled = [{"CODE": code, "ID": activation_id}.get(arg, arg) for arg in args]
    result = run_agent(agent_env, *filled)
    assert result.returncode == 1
    assert "Usage:" in result.stdout
    assert_code_not_printed(result, activation)
    assert control.get("calls") == {}


def test_too_short_a_code_or_id_is_refused_before_any_call(
    agent_env: dict[str, str], activation: dict[str, str], control: Any
) -> None:
    control.delete("calls")
    short_code = run_agent(agent_env, *register_args({**activation, "ActivationCode": "A" * 19}))
    short_id = run_agent(agent_env, *register_args({**activation, "ActivationId": activation["ActivationId"][:35]}))
    for result in (short_code, short_id):
        assert result.returncode == 1
        assert f"{REGISTER_ERROR} InvalidParameter" in result.stdout
    assert control.get("calls") == {}
