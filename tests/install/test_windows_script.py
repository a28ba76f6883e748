"""The Windows first-boot script, as the API serves it: its structure (every failure has its status and message,
the same as on Linux; no secret is written anywhere), and a run under pwsh where this host has it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import Stack

# The reasons the issue names, with the status and the words both scripts use for them.
FAILURES = {
    "no token": (3, "no enrollment token"),
    "malformed token": (3, "the enrollment token is malformed"),
    "bad token": (4, "the enrollment token was refused (401"),
    "token used up": (5, "the enrollment token is used up (403 token_exhausted)"),
    "unsupported OS": (6, "unsupported OS"),
    "download failed": (7, "download failed"),
    "verification failed": (8, "verification failed"),
    "service unavailable": (9, "the enrollment service is unavailable"),
    "registration failed": (10, "registration failed"),
    "not HTTPS": (2, "the enrollment API must be HTTPS"),
}
SECRETS = (r"\$script:Token", r"\$script:ActivationCode", r"\$env:ONBOARDING_TOKEN\b(?!_FILE)", r"activationCode")
# The only things the script may do with a secret: hold it, check it, clear it, send it where the procedure does.
ALLOWED_USES = (
    r"^\$script:(Token|ActivationCode) = \$null$",
    r"^if \(\$env:ONBOARDING_TOKEN\) \{$",
    r"^\$script:Token = \$env:ONBOARDING_TOKEN$",
    r"^\$script:Token = \(\[string\]\(Get-Content -LiteralPath \$env:ONBOARDING_TOKEN_FILE -TotalCount 1\)\)\.Trim\(\)$",
    r"^if \(-not \$script:Token\) \{$",
    r"^if \(\$script:Token\.Length -gt 200 -or \$script:Token -cnotmatch '\^hob_\[A-Za-z0-9\._-\]\+\$'\) \{$",
    r"^\$request\.Headers\.Add\('Authorization', \"Bearer \$script:Token\"\)$",
    r"^if \(-not \$json -or -not \$json\.activationId -or -not \$json\.activationCode -or -not \$json\.region\) \{$",
    r"^\$script:ActivationCode = \$json\.activationCode$",
    r"^if \(\$script:ActivationCode\) \{$",
    r"^return \$Text\.Replace\(\$script:ActivationCode, '\*\*\*'\)$",
    r"^'/q', '/log', \$installLog, \"CODE=\$script:ActivationCode\", \"ID=\$\(\$Activation\.Id\)\", \"REGION=\$\(\$Activation\.Region\)\"\)$",
    r"^\$output = & \$AgentExe -register -code \$script:ActivationCode -id \$Activation\.Id -region \$Activation\.Region -y 2>&1$",
)
WRITERS = re.compile(
    r"Write-Host|Write-Output|Write-Log|Write-Verbose|Write-Warning|Out-File|Set-Content|Add-Content|"
    r"Tee-Object|Export-|Start-Transcript|\[IO\.File\]|Stop-Onboarding|>>?"
)


@pytest.fixture(scope="session")
def windows_script(stack: Stack) -> str:
    response = requests.get(f"{stack.api_url}/v1/install/windows", timeout=30)
    response.raise_for_status()
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    return response.text


def code_lines(script: str) -> list[str]:
    return [line.strip() for line in script.splitlines() if line.strip() and not line.strip().startswith("#")]


def stops(script: str, pattern: str) -> list[tuple[int, str]]:
    return [(int(status), message) for status, message in re.findall(pattern, script, re.MULTILINE)]


def windows_stops(script: str) -> list[tuple[int, str]]:
    return stops(script, r"Stop-Onboarding (\d+) ['\"](.+)['\"]\s*\}?$")


def linux_fails(script: str) -> list[tuple[int, str]]:
    return stops(script, r"fail (\d+) \"(.+)\"\s*;?;?$")


def test_the_api_serves_it_for_itself(stack: Stack, windows_script: str) -> None:
    assert f"$ApiUrl = '{stack.api_url}'" in windows_script
    assert f"$Region = '{stack.region}'" in windows_script
    assert "__HYBRID_ONBOARDING" not in windows_script


@pytest.mark.parametrize("reason", list(FAILURES))
def test_every_failure_has_its_status_and_message_as_on_linux(
    windows_script: str, served_linux_script: str, reason: str
) -> None:
    status, words = FAILURES[reason]
    assert any(
        s == status and words in message for s, message in windows_stops(windows_script)
    ), f"the Windows script has no exit {status} saying '{words}'"
    assert any(
        s == status and words in message for s, message in linux_fails(served_linux_script)
    ), f"the Linux script has no exit {status} saying '{words}'"


def test_every_stop_has_a_documented_status_and_one_line(windows_script: str) -> None:
    found = windows_stops(windows_script)
    assert len(found) == len(
        re.findall(r"Stop-Onboarding \d+", windows_script)
    ), "a Stop-Onboarding call the test cannot read"
    header = windows_script.split("$ApiUrl =")[0]
    documented = {int(s) for s in re.findall(r"(?:^#\s+|, |: )(\d+) [a-z]", header, re.MULTILINE)}
    for status, message in found:
        assert status in documented, f"exit {status} is not in the script's header"
        assert message.strip() and "\n" not in message
    assert {status for status, _ in found} == documented - {0}


def test_no_secret_is_written_shown_or_logged(windows_script: str) -> None:
    for line in code_lines(windows_script):
        if not any(re.search(secret, line) for secret in SECRETS):
            continue
        assert not WRITERS.search(line.replace("2>&1", "")), f"a secret may be written: {line}"
        assert any(re.match(allowed, line) for allowed in ALLOWED_USES), f"an unexpected use of a secret: {line}"


def test_the_token_leaves_the_environment_before_anything_is_started(windows_script: str) -> None:
    read_token = windows_script[
        windows_script.index("function Read-Token") : windows_script.index("function Get-AgentInstaller")
    ]
    assert "Remove-Item -Path Env:ONBOARDING_TOKEN" in read_token
    main = windows_script[windows_script.index("function Invoke-Onboarding") :]
    assert main.index("Read-Token") < main.index("Get-AgentInstaller") < main.index("Request-Activation")
    assert (
        main.index("Request-Activation") < main.index("$script:Token = $null") < main.index("Install-Agent $installer")
    )
    assert "Clear-Secrets" in windows_script[windows_script.index("function Stop-Onboarding") :]


def test_the_installer_log_is_removed_and_quoted_only_without_the_code(windows_script: str) -> None:
    install = windows_script[
        windows_script.index("function Install-Agent") : windows_script.index("function Register-Agent")
    ]
    assert "Remove-Item -LiteralPath $installLog" in install
    assert "$(Hide-Code $lastLine)" in install
    hide = windows_script[windows_script.index("function Hide-Code") : windows_script.index("function Assert-Platform")]
    assert "return $Text.Replace($script:ActivationCode, '***')" in hide
    assert "$script:WorkDir" in windows_script[windows_script.index("function Clear-Secrets") :]


def test_it_uses_the_procedures_installer_and_flags_over_tls_1_2(windows_script: str) -> None:
    assert "[Net.SecurityProtocolType]::Tls12" in windows_script
    assert "https://amazon-ssm-$Region.s3.$suffix/latest/windows_amd64/AmazonSSMAgentSetup.exe" in windows_script
    assert (
        "https://s3.$Region.$suffix/amazon-ssm-$Region/latest/windows_amd64/AmazonSSMAgentSetup.exe" in windows_script
    )
    assert (
        '\'/q\', \'/log\', $installLog, "CODE=$script:ActivationCode", "ID=$($Activation.Id)", "REGION=$($Activation.Region)"'
        in windows_script
    )
    assert "[Version]'6.3'" in windows_script, "Windows Server 2012 R2 is the oldest supported"


def test_the_installer_must_carry_amazons_valid_authenticode_signature(windows_script: str) -> None:
    verify = windows_script[
        windows_script.index("function Assert-AmazonSignature") : windows_script.index(
            "function Invoke-ActivationRequest"
        )
    ]
    main = windows_script[windows_script.index("function Invoke-Onboarding") :]
    assert "Get-AuthenticodeSignature -FilePath $Installer.Path" in verify
    assert "$signature.Status -ne 'Valid'" in verify
    assert "$AgentSigners -notcontains $organisation" in verify
    assert "$AgentSigners = @('Amazon.com Services LLC', 'Amazon Web Services, Inc.')" in windows_script
    assert main.index("Assert-AmazonSignature $installer") < main.index("Request-Activation")


def test_a_busy_service_is_retried_after_retry_after_with_jitter_within_a_bound(windows_script: str) -> None:
    request = windows_script[
        windows_script.index("function Request-Activation") : windows_script.index("function Install-Agent")
    ]
    assert "@(0, 429, 502, 503, 504) -contains $_" in request
    assert "$answer.RetryAfter -match '^[0-9]+$'" in request
    assert "Get-Random" in request
    assert "$env:ONBOARDING_MAX_WAIT" in request and "$giveUpAt" in request


def test_a_registered_machine_is_left_alone_and_a_clone_is_cleared_first(windows_script: str) -> None:
    check = windows_script[
        windows_script.index("function Test-StaleRegistration") : windows_script.index("function Read-Token")
    ]
    assert "already registered as $current through Hybrid Onboarding" in check and "exit 0" in check
    assert "$env:ONBOARDING_FORCE -ne '1'" in check
    assert "& $AgentExe -register -clear" in windows_script
    assert "Vault\\Store\\RegistrationKey" in windows_script


# Where this host has no pwsh, the report header says so in one line (conftest.pytest_report_header).
if shutil.which("pwsh"):

    def test_pwsh_parses_it_and_it_refuses_a_host_that_is_not_windows(windows_script: str, tmp_path: Path) -> None:
        script = tmp_path / "install.ps1"
        script.write_text(windows_script)
        parsed = subprocess.run(
            [
                "pwsh",
                "-NoProfile",
                "-NonInteractive",
                "-Command",
                "$errors = $null; [void][System.Management.Automation.Language.Parser]::ParseFile("
                f"'{script}', [ref]$null, [ref]$errors); $errors.Count",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        assert parsed.stdout.strip() == "0", parsed.stdout

        ran = subprocess.run(
            ["pwsh", "-NoProfile", "-NonInteractive", "-File", str(script)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "ONBOARDING_TOKEN": "hob_default.aaaaaaaaaaaa." + "A" * 43},
        )
        assert ran.returncode == 6, ran
        assert "unsupported OS" in ran.stderr
