"""What the install-script tests assert about a run: the commands, the registration, that no secret leaked."""

from __future__ import annotations

from typing import Any

from conftest import Stack
from machine import Machine, Result

REGION = "us-east-1"
S3 = f"https://s3.{REGION}.amazonaws.com/amazon-ssm-{REGION}/latest"
S3_LEGACY = f"https://s3-{REGION}.amazonaws.com/amazon-ssm-{REGION}/latest"
REGISTER = f"amazon-ssm-agent -register -code <code> -id {{activation}} -region {REGION} -y"


def expected_commands(machine: Machine, activation: str, *, download: bool = True, clear: bool = False) -> list[str]:
    distribution = machine.distribution
    name = f"{distribution.package_dir(machine.architecture)}/amazon-ssm-agent.{distribution.package_format}"
    commands = [f"download {S3}/{name}", f"download {S3}/{name}.sig", distribution.install] if download else []
    commands += ["POST /v1/activations", distribution.service("stop")]
    if clear:
        commands.append("amazon-ssm-agent -register -clear")
    commands.append(REGISTER.format(activation=activation))
    if distribution.init_system == "systemd":
        commands.append(distribution.service("enable"))
    commands.append(distribution.service("start"))
    return commands


def registered_instance(stack: Stack, instance_id: str) -> dict[str, Any]:
    found = stack.client("ssm").describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [instance_id]}]
    )["InstanceInformationList"]
    assert len(found) == 1, f"{instance_id} is not registered in the emulator"
    return found[0]


def assert_tagged(stack: Stack, instance_id: str, record: dict[str, str]) -> None:
    """The tags the instance carries once registered: today those SSM copies from its activation. The
    registration-events issue adds the ones the registration function puts on; its test extends this check."""
    tags = {
        tag["Key"]: tag["Value"]
        for tag in stack.client("ssm").list_tags_for_resource(ResourceType="ManagedInstance", ResourceId=instance_id)[
            "TagList"
        ]
    }
    assert tags.get("hybrid-onboarding:fleet") == "default"
    assert tags.get("hybrid-onboarding:enrollment-id") == record["enrollment_id"]


def assert_registered(stack: Stack, machine: Machine, result: Result) -> dict[str, str]:
    assert result.status == 0, result
    record = result.record()
    assert record["instance_id"].startswith("mi-"), result
    assert record["machine_id"] == machine.machine_id()
    assert registered_instance(stack, record["instance_id"])["ActivationId"] == record["activation_id"]
    assert_tagged(stack, record["instance_id"], record)
    assert any(f"registered as {record['instance_id']}" in line for line in result.syslog), result.syslog
    return record


def assert_nothing_leaked(machine: Machine, result: Result, token: str, secrets_seen: list[str]) -> None:
    secrets_seen.append(token)
    secrets_seen.extend(result.codes)
    for secret in [token, *result.codes]:
        for where, text in (("stdout", result.stdout), ("stderr", result.stderr), ("syslog", "\n".join(result.syslog))):
            assert secret not in text, f"a secret reached the script's {where}"
        assert machine.files_containing(secret) == [], "a secret was left on the machine's disk"
    assert all(token not in call for call in machine.calls_log()), "the token was on a command line"


def assert_refused(result: Result, status: int, reason: str) -> None:
    assert result.status == status, result
    assert reason in result.reason, result
    assert result.reason.startswith("hybrid-onboarding: error: "), result
    assert any(reason in line for line in result.syslog), result.syslog
    assert result.record() == {}
