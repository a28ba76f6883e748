"""The first-boot lines `hob token create` prints, run as printed on machines that already carry the agent (the
served script trusts AWS's signing key, which the S3 stand-in cannot sign with)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from conftest import Stack
from machine import SHELLS, Machine
from checks import assert_nothing_leaked, assert_registered, expected_commands

all_shells = pytest.mark.parametrize("shell", list(SHELLS))


@pytest.fixture(scope="module")
def created(stack: Stack) -> dict[str, Any]:
    """A token as `hob token create --json` prints it, with its first-boot lines; one use per test machine."""
    return stack.hob("token", "create", "--uses", "20", "--lifetime", "1h", "--description", "first-boot lines")


@all_shells
def test_the_linux_line_enrolls_a_machine(
    stack: Stack, new_machine: Callable[..., Machine], created: dict[str, Any], secrets_seen: list[str], shell: str
) -> None:
    machine = new_machine("debian-12", "x86_64")
    machine.install_agent_beforehand()

    result = machine.run(created["firstBoot"]["linux"], shell)

    record = assert_registered(stack, machine, result)
    assert result.commands() == [
        "GET /v1/install/linux",
        *expected_commands(machine, record["activation_id"], download=False),
    ]
    assert_nothing_leaked(machine, result, created["token"], secrets_seen)


def test_the_stack_outputs_hold_the_same_lines_without_a_token(stack: Stack, created: dict[str, Any]) -> None:
    deployed_api = stack.outputs["ApiUrl"]
    for output, line in (("InstallLinux", "linux"), ("InstallWindows", "powershell")):
        printed = created["firstBoot"][line].replace(stack.api_url, deployed_api).replace(created["token"], "TOKEN")
        assert stack.outputs[output] == printed


@all_shells
def test_the_cloud_init_user_data_enrolls_a_machine_and_leaves_no_token(
    stack: Stack, new_machine: Callable[..., Machine], created: dict[str, Any], secrets_seen: list[str], shell: str
) -> None:
    user_data = created["firstBoot"]["cloudInit"]
    assert user_data.startswith("#cloud-config\n")
    config = yaml.safe_load(user_data)
    machine = new_machine("amazon-linux-2023", "x86_64")
    machine.install_agent_beforehand()
    # What cloud-init does with it: write_files first, then each runcmd entry with sh -c, as root.
    for entry in config["write_files"]:
        machine.write(entry["path"].lstrip("/"), entry["content"]).chmod(int(entry["permissions"], 8))

    result = machine.run("\n".join(config["runcmd"]) + "\n", shell)

    record = assert_registered(stack, machine, result)
    assert result.commands() == [
        "GET /v1/install/linux",
        *expected_commands(machine, record["activation_id"], download=False),
    ]
    assert not (machine.root / "run/hybrid-onboarding/token").exists()
    assert_nothing_leaked(machine, result, created["token"], secrets_seen)
