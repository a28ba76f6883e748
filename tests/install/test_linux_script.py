"""The Linux first-boot script, as the API serves it, run for real in throwaway roots against the local stack."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from checks import (
    REGION,
    S3,
    S3_LEGACY,
    assert_nothing_leaked,
    assert_refused,
    assert_registered,
    expected_commands,
    registered_instance,
)
from conftest import Package, SigningKey, Stack
from machine import SHELLS, Agent, Distribution, Machine, os_release


# Every distribution family of the procedure, on each architecture AWS publishes a package for.
MATRIX = [
    ("amazon-linux-2023", "x86_64"),
    ("amazon-linux-2", "aarch64"),
    ("amazon-linux-1", "i686"),
    ("centos-6", "x86_64"),
    ("rhel-7", "x86_64"),
    ("rhel-9", "aarch64"),
    ("sles-15", "x86_64"),
    ("ubuntu-22.04", "x86_64"),
    ("ubuntu-18.04", "i686"),
    ("debian-12", "aarch64"),
    ("raspbian-11", "armv7l"),
]

# Each entry under one of the shells in turn: every shell meets rpm and deb families, upstart, systemd and service.
MATRIX_WITH_SHELLS = [(d, a, list(SHELLS)[i % len(SHELLS)]) for i, (d, a) in enumerate(MATRIX)]

UNKNOWN_TOKEN = "hob_default.aaaaaaaaaaaa." + "A" * 43
# The template's TokenFailureLimit: wrong secrets one token id may send per window before it gets 429.
TOKEN_FAILURE_LIMIT = 5

all_shells = pytest.mark.parametrize("shell", list(SHELLS))


# -- every distribution family and architecture ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("distribution", "architecture", "shell"),
    MATRIX_WITH_SHELLS,
    ids=[f"{d}-{a}-{s}" for d, a, s in MATRIX_WITH_SHELLS],
)
def test_a_fresh_machine_installs_the_verified_agent_and_registers(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    shell: str,
    distribution: str,
    architecture: str,
) -> None:
    machine = new_machine(distribution, architecture)

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    record = assert_registered(stack, machine, result)
    assert result.commands() == expected_commands(machine, record["activation_id"])
    assert_nothing_leaked(machine, result, token, secrets_seen)


# -- the token -------------------------------------------------------------------------------------------------


@all_shells
def test_without_a_token_nothing_is_downloaded_or_asked(
    new_machine: Callable[..., Machine], linux_script: str, shell: str
) -> None:
    machine = new_machine()

    result = machine.run(linux_script, shell)

    assert_refused(result, 3, "no enrollment token")
    assert result.commands() == []


@all_shells
def test_a_malformed_token_is_refused_without_being_sent(
    new_machine: Callable[..., Machine], linux_script: str, shell: str
) -> None:
    machine = new_machine()

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": 'hob_default.x"y\\z'})

    assert_refused(result, 3, "the enrollment token is malformed")
    assert 'x"y' not in result.stderr
    assert result.commands() == []


@all_shells
def test_the_token_can_come_from_a_file_which_goes_once_registered(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    shell: str,
) -> None:
    machine = new_machine()
    token_file = machine.write("run/onboarding/token", token + "\n")
    token_file.chmod(0o600)

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN_FILE": "/run/onboarding/token"})

    assert_registered(stack, machine, result)
    assert not token_file.exists()
    assert_nothing_leaked(machine, result, token, secrets_seen)


@all_shells
def test_a_wrong_token_is_refused_and_the_agent_stays_unregistered(
    stack: Stack, new_machine: Callable[..., Machine], linux_script: str, secrets_seen: list[str], shell: str
) -> None:
    machine = new_machine()
    activations_before = stack.create_activations()
    try:
        result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": UNKNOWN_TOKEN})
    finally:
        stack.clear_failure_counters()

    assert_refused(result, 4, "the enrollment token was refused (401 invalid_token)")
    assert result.commands()[-1] == "POST /v1/activations"
    assert not any(command.startswith("amazon-ssm-agent") for command in result.commands())
    assert stack.create_activations() == activations_before
    assert_nothing_leaked(machine, result, UNKNOWN_TOKEN, secrets_seen)


@pytest.fixture(scope="module")
def used_up_token(stack: Stack, secrets_seen: list[str]) -> str:
    single_use = stack.hob("token", "create", "--uses", "1", "--lifetime", "1h", "--description", "used up")["token"]
    spent = requests.post(
        f"{stack.api_url}/v1/activations",
        headers={"Authorization": f"Bearer {single_use}"},
        json={"hostname": "elsewhere", "platform": "linux", "machineId": "another-machine"},
        timeout=30,
    )
    assert spent.status_code == 201, spent.text
    secrets_seen.append(spent.json()["activationCode"])
    return single_use


@all_shells
def test_a_used_up_token_says_so(
    new_machine: Callable[..., Machine], linux_script: str, used_up_token: str, secrets_seen: list[str], shell: str
) -> None:
    machine = new_machine()

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": used_up_token})

    assert_refused(result, 5, "the enrollment token is used up (403 token_exhausted)")
    assert not any(command.startswith("amazon-ssm-agent") for command in result.commands())
    assert_nothing_leaked(machine, result, used_up_token, secrets_seen)


@all_shells
def test_too_many_failures_is_waited_out_within_the_bound(
    stack: Stack, new_machine: Callable[..., Machine], linux_script: str, token: str, shell: str
) -> None:
    machine = new_machine()
    wrong_secret = token.rsplit(".", 1)[0] + "." + "A" * 43
    try:
        answers = [
            requests.post(
                f"{stack.api_url}/v1/activations",
                headers={"Authorization": f"Bearer {wrong_secret}"},
                json={"hostname": "guess", "platform": "linux"},
                timeout=30,
            ).status_code
            for _ in range(TOKEN_FAILURE_LIMIT + 1)
        ]
        assert answers[-1] == 429, answers
        # Retry-After runs to the end of the failure window, which may be a second away: no wait is short enough.
        result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": wrong_secret, "ONBOARDING_MAX_WAIT": "0"})
    finally:
        stack.clear_failure_counters()

    assert_refused(
        result,
        9,
        "the enrollment service is unavailable: 429 too_many_failures; gave up after 1 requests "
        "within ONBOARDING_MAX_WAIT=0s",
    )
    assert not any(command.startswith("amazon-ssm-agent") for command in result.commands())


# -- the enrollment service ------------------------------------------------------------------------------------


@all_shells
def test_a_busy_service_is_asked_again_after_retry_after(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    shell: str,
) -> None:
    machine = new_machine("amazon-linux-2023")
    stack.emulator(
        "POST", "faults", {"target": "ssm.CreateActivation", "error": "InternalServerError", "status": 500, "count": 1}
    )
    try:
        result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})
    finally:
        stack.emulator("DELETE", "faults")

    record = assert_registered(stack, machine, result)
    assert result.commands() == expected_commands(machine, record["activation_id"])
    retries = [line for line in result.stderr.splitlines() if "retrying in" in line]
    assert result.activation_requests == len(retries) + 1 >= 2, result
    assert "503 service_unavailable" in retries[0], result
    delay = int(retries[0].rsplit("retrying in ", 1)[1].rstrip("s"))
    assert 5 <= delay <= 8, "Retry-After is 5 s, plus at most half again of jitter"
    assert_nothing_leaked(machine, result, token, secrets_seen)


@all_shells
def test_a_service_that_stays_unavailable_is_given_up_on_within_the_bound(
    stack: Stack, new_machine: Callable[..., Machine], linux_script: str, token: str, shell: str
) -> None:
    machine = new_machine()
    stack.emulator(
        "POST", "faults", {"target": "ssm.CreateActivation", "error": "InternalServerError", "status": 500, "count": -1}
    )
    try:
        result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token, "ONBOARDING_MAX_WAIT": "4"})
    finally:
        stack.emulator("DELETE", "faults")

    assert_refused(
        result,
        9,
        "the enrollment service is unavailable: 503 service_unavailable; gave up after 1 requests within ONBOARDING_MAX_WAIT=4s",
    )
    assert not any(command.startswith("amazon-ssm-agent") for command in result.commands())


# -- downloading and verifying the agent -----------------------------------------------------------------------


@all_shells
def test_a_failed_download_falls_back_to_the_other_url_form(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    shell: str,
) -> None:
    machine = new_machine("raspbian-11", "armv7l")
    machine.make_unreachable(f"s3.{REGION}.amazonaws.com")

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    record = assert_registered(stack, machine, result)
    package = "debian_arm/amazon-ssm-agent.deb"
    assert (
        result.commands()
        == [f"download {S3}/{package}", f"download {S3_LEGACY}/{package}", f"download {S3_LEGACY}/{package}.sig"]
        + expected_commands(machine, record["activation_id"])[2:]
    )
    assert_nothing_leaked(machine, result, token, secrets_seen)


@all_shells
def test_when_no_url_form_answers_the_download_fails_before_the_token_is_used(
    stack: Stack, new_machine: Callable[..., Machine], linux_script: str, token: str, shell: str
) -> None:
    machine = new_machine("sles-15")
    machine.make_unreachable(f"s3.{REGION}.amazonaws.com")
    machine.make_unreachable(f"s3-{REGION}.amazonaws.com")
    activations_before = stack.create_activations()

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    assert_refused(result, 7, "download failed")
    assert result.commands() == [
        f"download {S3}/linux_amd64/amazon-ssm-agent.rpm",
        f"download {S3_LEGACY}/linux_amd64/amazon-ssm-agent.rpm",
    ]
    assert stack.create_activations() == activations_before


@all_shells
@pytest.mark.parametrize(
    ("tampering", "reason"),
    [
        ("altered package", "the signature does not match the package"),
        ("signed by a stranger", "it is signed with another key"),
    ],
)
def test_a_package_that_fails_verification_is_not_installed(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    package: Package,
    keys: dict[str, SigningKey],
    shell: str,
    tampering: str,
    reason: str,
) -> None:
    machine = new_machine("rhel-7")
    if tampering == "altered package":
        altered = package.content + b" and something else"
        machine.serve_agent(altered, package.signature, altered)
    else:
        machine.serve_agent(package.content, keys["stranger"].sign(package.content))
    activations_before = stack.create_activations()

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    assert_refused(result, 8, "verification failed")
    assert f"({reason}); nothing was installed" in result.reason
    assert result.commands() == [
        f"download {S3}/linux_amd64/amazon-ssm-agent.rpm",
        f"download {S3}/linux_amd64/amazon-ssm-agent.rpm.sig",
    ]
    assert stack.create_activations() == activations_before


@all_shells
def test_without_gpg_the_package_is_not_installed_unverified(
    new_machine: Callable[..., Machine], linux_script: str, token: str, shell: str
) -> None:
    machine = new_machine("debian-12", "aarch64")
    machine.hide_commands("gpgv", "gpgv2", "gpg", "gpg2")

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    assert_refused(result, 8, "verification failed: neither gpgv nor gpg is installed")
    assert not any(command.startswith("dpkg") for command in result.commands())


@all_shells
def test_gpg_verifies_where_gpgv_is_missing(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    shell: str,
) -> None:
    machine = new_machine("amazon-linux-2")
    machine.hide_commands("gpgv", "gpgv2")

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    assert_registered(stack, machine, result)
    assert_nothing_leaked(machine, result, token, secrets_seen)


@all_shells
def test_a_package_that_does_not_install_is_reported(
    new_machine: Callable[..., Machine], linux_script: str, token: str, shell: str
) -> None:
    machine = new_machine()
    machine.write("harness/install-fails", "")

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    assert_refused(result, 11, "the SSM Agent package did not install (dpkg exit 1")
    assert "POST /v1/activations" not in result.commands()


# -- registering -----------------------------------------------------------------------------------------------


@all_shells
def test_an_agent_already_installed_is_registered_not_reinstalled(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    shell: str,
) -> None:
    machine = new_machine("amazon-linux-1", "x86_64")
    machine.install_agent_beforehand()

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    record = assert_registered(stack, machine, result)
    assert result.commands() == expected_commands(machine, record["activation_id"], download=False)
    assert "already installed" in result.stderr
    assert_nothing_leaked(machine, result, token, secrets_seen)


@all_shells
def test_a_registration_ssm_refuses_is_reported_without_the_code(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    shell: str,
) -> None:
    machine = new_machine()
    stack.emulator(
        "POST",
        "faults",
        {"target": "ssm.RegisterManagedInstance", "error": "InvalidActivation", "status": 400, "count": 1},
    )
    try:
        result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})
    finally:
        stack.emulator("DELETE", "faults")

    assert_refused(result, 10, "registration failed")
    assert "InvalidActivation" in result.reason
    assert result.commands()[-1].startswith("amazon-ssm-agent -register -code <code>")
    assert_nothing_leaked(machine, result, token, secrets_seen)


@all_shells
def test_running_again_on_a_registered_machine_changes_nothing(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    shell: str,
) -> None:
    machine = new_machine("ubuntu-18.04", "i686")
    first = assert_registered(stack, machine, machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token}))
    activations_before = stack.create_activations()

    with_token = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})
    without_token = machine.run(linux_script, shell)

    for again in (with_token, without_token):
        assert again.status == 0, again
        assert again.commands() == []
        assert f"already registered as {first['instance_id']}" in again.stderr
        assert again.record() == first
    assert stack.create_activations() == activations_before
    assert_nothing_leaked(machine, with_token, token, secrets_seen)


@all_shells
def test_forcing_registers_a_registered_machine_again(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    shell: str,
) -> None:
    machine = new_machine("sles-15", "aarch64")
    first = assert_registered(stack, machine, machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token}))

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token, "ONBOARDING_FORCE": "1"})

    second = assert_registered(stack, machine, result)
    assert second["instance_id"] != first["instance_id"]
    assert result.commands() == expected_commands(machine, second["activation_id"], download=False, clear=True)
    assert_nothing_leaked(machine, result, token, secrets_seen)


@all_shells
@pytest.mark.parametrize("image", ["cloned after enrolling", "registered by hand before sealing"])
def test_a_cloned_image_clears_the_stale_registration_and_registers_as_itself(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    tmp_path: Path,
    shell: str,
    image: str,
) -> None:
    original = new_machine("rhel-9", "x86_64")
    first = assert_registered(stack, original, original.run(linux_script, shell, {"ONBOARDING_TOKEN": token}))
    clone = original.clone_to(tmp_path / "clone")
    if image == "registered by hand before sealing":
        (clone.root / "var/lib/hybrid-onboarding/enrollment").unlink()

    result = clone.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    second = assert_registered(stack, clone, result)
    assert second["instance_id"] != first["instance_id"]
    assert result.commands() == expected_commands(clone, second["activation_id"], download=False, clear=True)
    assert "it is cleared first" in result.stderr
    assert registered_instance(stack, first["instance_id"])["ActivationId"] == first["activation_id"]
    assert_nothing_leaked(clone, result, token, secrets_seen)


@all_shells
def test_a_machine_id_that_is_only_mounted_is_made_to_persist_first(
    stack: Stack,
    new_machine: Callable[..., Machine],
    linux_script: str,
    token: str,
    secrets_seen: list[str],
    shell: str,
) -> None:
    machine = new_machine("ubuntu-22.04")
    machine.mount_machine_id()

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    record = assert_registered(stack, machine, result)
    assert result.commands()[0] == "systemd-machine-id-setup "
    assert result.commands()[1:] == expected_commands(machine, record["activation_id"])
    stored = machine.machine_id()
    assert len(stored) == 32 and record["machine_id"] == stored
    assert_nothing_leaked(machine, result, token, secrets_seen)


# -- where the script does not run -----------------------------------------------------------------------------


@all_shells
@pytest.mark.parametrize(
    ("release", "architecture", "reason"),
    [
        ({"etc/os-release": os_release(ID="arch", VERSION_ID="rolling")}, "x86_64", "unsupported OS: arch"),
        ({"etc/os-release": os_release(ID="centos", VERSION_ID="5.11")}, "x86_64", "unsupported OS: centos 5.11"),
        ({"etc/os-release": os_release(ID="ubuntu", VERSION_ID="22.04")}, "s390x", "unsupported architecture: s390x"),
        ({"etc/os-release": os_release(ID="rhel", VERSION_ID="9.4")}, "armv7l", "unsupported architecture: armv7l"),
    ],
    ids=["unknown distribution", "too old", "unknown architecture", "no rpm for 32-bit arm"],
)
def test_an_unsupported_platform_is_named(
    tmp_path: Path,
    agent: Agent,
    stack: Stack,
    linux_script: str,
    token: str,
    shell: str,
    release: dict[str, str],
    architecture: str,
    reason: str,
) -> None:
    machine = Machine(
        tmp_path / "machine",
        Distribution("other", release, "rpm", "", "systemd"),
        architecture,
        agent,
        stack.endpoint_url,
        REGION,
    )

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token})

    assert_refused(result, 6, reason)
    assert result.commands() == []


@all_shells
def test_it_runs_only_as_root(new_machine: Callable[..., Machine], linux_script: str, token: str, shell: str) -> None:
    machine = new_machine()

    result = machine.run(linux_script, shell, {"ONBOARDING_TOKEN": token}, user="65534:65534")

    assert result.status == 2, result
    assert "run as root" in result.reason
    assert result.commands() == []


@all_shells
def test_a_script_pointing_at_a_plain_http_api_refuses(
    new_machine: Callable[..., Machine], linux_script: str, token: str, shell: str
) -> None:
    machine = new_machine()
    script = linux_script.replace("API_URL='http://127.0.0.1:", "API_URL='http://api.example.com:", 1)
    assert script != linux_script

    result = machine.run(script, shell, {"ONBOARDING_TOKEN": token})

    assert_refused(result, 2, "the enrollment API must be HTTPS, got http://api.example.com:")
    assert result.commands() == []
