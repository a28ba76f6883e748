"""A throwaway root in which the first-boot script runs as it would on a fresh machine.

The root has this host's /usr (through an overlay, so what the script installs stays in the root), its own /etc,
/var, /tmp and /run, and stub commands first on PATH for the package manager, the init system, the downloader and
uname (tests/install/stubs). The script runs in a private mount and hostname namespace, chrooted, fed on its
standard input as by `curl ... | sh`. The agent it installs is the agent under test (see `Agent`), which registers
with the local stack's emulator.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

STUBS = Path(__file__).resolve().parent / "stubs"
STUB_NAMES = {
    "curl": "curl",
    "uname": "uname",
    "sudo": "sudo",
    "logger": "logger",
    "systemd-machine-id-setup": "systemd-machine-id-setup",
    "dpkg": "package-manager",
    "rpm": "package-manager",
    "yum": "package-manager",
    "dnf": "package-manager",
    "systemctl": "init-system",
    "service": "init-system",
    "start": "init-system",
    "stop": "init-system",
}
SHELLS = {
    "bash": ["/usr/bin/bash"],
    "dash": ["/usr/bin/dash"],
    "busybox": ["/usr/bin/busybox", "sh"],
}
PATH = "/stub/bin:/usr/sbin:/usr/bin:/sbin:/bin"
RUN_TIMEOUT_SECONDS = 180
WORKDIR = re.compile(r"/tmp/hybrid-onboarding\.[A-Za-z0-9]+")
CODE_ARGUMENT = re.compile(r"-code (\S+)")

# What the setup does inside the new namespaces, before the chroot: "$@" is the command to run in the root.
NAMESPACE_SETUP = r"""
set -e
root=$1 upper=$2 work=$3 agent_dir=$4 python_prefix=$5 host=$6 transient_id=$7 hidden=$8 userspec=$9
shift 9
mount -t overlay overlay -o "lowerdir=/usr,upperdir=$upper,workdir=$work" "$root/usr"
for command in $hidden; do rm -f "$root/usr/bin/$command"; done
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --bind "$agent_dir" "$root/opt/ssm-agent"
if [ -n "$python_prefix" ]; then
  mkdir -p "$root$python_prefix"
  mount --bind "$python_prefix" "$root$python_prefix"
fi
if [ -n "$transient_id" ]; then
  mount --bind "$transient_id" "$root/etc/machine-id"
fi
echo "$host" >/proc/sys/kernel/hostname
exec chroot ${userspec:+"--userspec=$userspec"} "$root" "$@"
"""


@dataclass(frozen=True)
class Agent:
    """The agent the stub package manager installs: SSM_AGENT_BIN (the agent or its directory), else the real SSM Agent
    in ../shared/tools, else the fake agent. A Python agent (the fake one) runs with this interpreter.

    The tests rely only on `-register -code C -id I -region R -y` and `-register -clear`.
    """

    directory: Path
    command: str
    python_prefix: str = ""

    @staticmethod
    def find(project: Path) -> Agent:
        configured = os.environ.get("SSM_AGENT_BIN")
        candidate = Path(configured) if configured else project.parent / "shared/tools/amazon-ssm-agent/linux_amd64"
        if candidate.is_dir():
            # bin/test and the integration tests name the agent's directory, as the agent's release lays it out.
            candidate = candidate / "amazon-ssm-agent"
        if configured and not candidate.is_file():
            raise RuntimeError(f"SSM_AGENT_BIN={configured} names no amazon-ssm-agent")
        if not candidate.is_file():
            candidate = project / "local" / "fake-ssm-agent"
        candidate = candidate.resolve()
        with candidate.open("rb") as binary:
            first_line = binary.readline(200)
        if first_line.startswith(b"#!") and b"python" in first_line:
            return Agent(candidate.parent, f"{sys.executable} /opt/ssm-agent/{candidate.name}", sys.prefix)
        return Agent(candidate.parent, f"/opt/ssm-agent/{candidate.name}")

    def describe(self) -> str:
        path = self.directory / self.command.rsplit("/", 1)[-1]
        return f"{path} (run with {sys.executable})" if self.python_prefix else str(path)


@dataclass(frozen=True)
class Distribution:
    """A distribution as the script sees it: its release files and what the procedure does on it."""

    name: str
    release_files: dict[str, str]
    package_format: str
    install: str
    init_system: str

    def package_dir(self, architecture: str) -> str:
        arch = {"x86_64": "amd64", "i686": "386", "aarch64": "arm64", "armv7l": "arm", "armv6l": "arm"}[architecture]
        return f"{'linux' if self.package_format == 'rpm' else 'debian'}_{arch}"

    def service(self, action: str) -> str:
        return {
            "systemd": f"systemctl {action} amazon-ssm-agent",
            "upstart": f"{action} amazon-ssm-agent",
            "service": f"service amazon-ssm-agent {action}",
        }[self.init_system]


@dataclass
class Result:
    status: int
    stdout: str
    stderr: str
    calls: list[str]
    syslog: list[str]
    codes: list[str]
    root: Path

    @property
    def activation_requests(self) -> int:
        return sum(1 for call in self.calls if call.startswith("api ") and "/v1/install/" not in call)

    def commands(self) -> list[str]:
        """What the script had the machine do, downloads and API requests summarised. A request repeated because
        the service was busy (which a loaded machine can make it) counts once; `activation_requests` counts all."""
        summary: list[str] = []
        for call in self.calls:
            if call.startswith("curl "):
                summary.append("download " + call.split()[-1])
            elif call.startswith("api "):
                fetched = next((argument for argument in call.split() if "/v1/install/" in argument), None)
                if fetched:
                    # The API's own path: the base URL before it holds the stage.
                    summary.append("GET " + fetched[fetched.index("/v1/install/") :])
                elif summary[-1:] != ["POST /v1/activations"]:
                    summary.append("POST /v1/activations")
            else:
                summary.append(call)
        return summary

    @property
    def reason(self) -> str:
        """The last line the script wrote to stderr."""
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""

    def record(self) -> dict[str, str]:
        path = self.root / "var/lib/hybrid-onboarding/enrollment"
        if not path.exists():
            return {}
        return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)

    def __str__(self) -> str:
        return f"exit {self.status}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}\n--- calls\n" + "\n".join(
            self.calls
        )


@dataclass
class Machine:
    """One throwaway machine: build it, run the script in it (as often as a test likes), inspect it."""

    base: Path
    distribution: Distribution
    architecture: str
    agent: Agent
    ssm_endpoint: str
    region: str
    hostname: str = field(default_factory=lambda: "host-" + uuid.uuid4().hex[:8])

    def __post_init__(self) -> None:
        self.root = self.base / "root"
        self.upper = self.base / "usr-upper"
        self.work = self.base / "usr-work"
        self.transient_machine_id: Path | None = None
        self.hidden_commands: list[str] = []
        for directory in (self.upper, self.work):
            directory.mkdir(parents=True)
        for directory in (
            "etc/amazon/ssm",
            "var/lib",
            "var/log",
            "tmp",
            "run",
            "root",
            "proc",
            "dev",
            "sys",
            "usr",
            "opt/ssm-agent",
            "stub/bin",
            "harness/s3",
        ):
            (self.root / directory).mkdir(parents=True, exist_ok=True)
        (self.root / "tmp").chmod(0o1777)
        for top in ("bin", "sbin", "lib", "lib64", "lib32", "libx32"):
            host = Path("/") / top
            if host.is_symlink():
                (self.root / top).symlink_to(os.readlink(host))
            elif host.exists():
                raise RuntimeError(
                    f"/{top} is not a symlink into /usr on this host; the throwaway root needs a merged /usr"
                )
        for name in ("passwd", "group", "hosts", "nsswitch.conf", "ld.so.cache", "ld.so.conf"):
            if (Path("/etc") / name).is_file():
                shutil.copy(Path("/etc") / name, self.root / "etc" / name)
        if Path("/etc/ld.so.conf.d").is_dir():
            shutil.copytree("/etc/ld.so.conf.d", self.root / "etc/ld.so.conf.d")
        for path, content in self.distribution.release_files.items():
            self.write(path, content)
        self.write("etc/machine-id", uuid.uuid4().hex + "\n")
        self.write("etc/amazon/ssm/amazon-ssm-agent.json", '{"Ssm": {"Endpoint": "%s"}}\n' % self.ssm_endpoint)
        for name, stub in STUB_NAMES.items():
            target = self.root / "stub/bin" / name
            shutil.copy(STUBS / stub, target)
            target.chmod(0o755)
        shutil.copy(STUBS / "agent", self.root / "harness/agent")
        self.write("harness/architecture", self.architecture + "\n")
        self.write("harness/ssm-endpoint", self.ssm_endpoint + "\n")
        self.write("harness/agent-command", self.agent.command + "\n")
        self.write("harness/calls", "")

    # -- setting the machine up ------------------------------------------------------------------------------

    def write(self, path: str, content: str | bytes) -> Path:
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
        return target

    def serve_agent(self, package: bytes, signature: bytes, package_matches: bytes | None = None) -> None:
        """Puts the agent package and its signature where the S3 stand-in serves them for this Region."""
        name = f"amazon-ssm-agent.{self.distribution.package_format}"
        folder = f"harness/s3/amazon-ssm-{self.region}/latest/{self.distribution.package_dir(self.architecture)}"
        self.write(f"{folder}/{name}", package)
        self.write(f"{folder}/{name}.sig", signature)
        self.write("harness/package", package if package_matches is None else package_matches)

    def make_unreachable(self, host: str) -> None:
        path = self.root / "harness/unreachable-hosts"
        with path.open("a") as hosts:
            hosts.write(host + "\n")

    def install_agent_beforehand(self) -> None:
        """As on an image that already has the agent: the package is in place before the script runs."""
        target = self.upper / "bin/amazon-ssm-agent"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(STUBS / "agent", target)
        target.chmod(0o755)

    def mount_machine_id(self) -> None:
        """As systemd does when it cannot store the id: a transient one mounted over /etc/machine-id."""
        self.write("etc/machine-id", "")
        self.transient_machine_id = self.base / "transient-machine-id"
        self.transient_machine_id.write_text(uuid.uuid4().hex + "\n")

    def hide_commands(self, *commands: str) -> None:
        self.hidden_commands.extend(commands)

    def clone_to(self, base: Path) -> Machine:
        """A copy of this machine's disk as a cloned image boots it: same files, a new machine id and host name."""
        twin = Machine(base, self.distribution, self.architecture, self.agent, self.ssm_endpoint, self.region)
        for folder in ("var/lib/amazon", "var/lib/hybrid-onboarding", "etc/amazon"):
            if (self.root / folder).exists():
                shutil.rmtree(twin.root / folder, ignore_errors=True)
                shutil.copytree(self.root / folder, twin.root / folder, symlinks=True)
        if (self.upper / "bin/amazon-ssm-agent").exists():
            twin.install_agent_beforehand()
        for harness_file in ("harness/package",):
            if (self.root / harness_file).exists():
                shutil.copy(self.root / harness_file, twin.root / harness_file)
        shutil.rmtree(twin.root / "harness/s3")
        shutil.copytree(self.root / "harness/s3", twin.root / "harness/s3")
        return twin

    # -- running the script ----------------------------------------------------------------------------------

    def run(self, script: str, shell: str, env: dict[str, str] | None = None, user: str = "") -> Result:
        calls_before = len(self.calls_log())
        syslog_before = len(self.syslog())
        environment = {"PATH": PATH, "HOME": "/root", "LANG": "C", **(env or {})}
        inside = ["/usr/bin/env", "-i", *[f"{k}={v}" for k, v in environment.items()], *SHELLS[shell]]
        namespaces = ["unshare", "--mount", "--uts", "--propagation", "private"]
        if os.geteuid() != 0:
            namespaces[1:1] = ["--user", "--map-root-user"]
        command = [
            *namespaces,
            "/bin/sh",
            "-c",
            NAMESPACE_SETUP,
            "setup",
            str(self.root),
            str(self.upper),
            str(self.work),
            str(self.agent.directory),
            self.agent.python_prefix,
            self.hostname,
            str(self.transient_machine_id or ""),
            " ".join(self.hidden_commands),
            user,
            *inside,
        ]
        completed = subprocess.run(
            command, input=script.encode(), capture_output=True, timeout=RUN_TIMEOUT_SECONDS, check=False
        )
        raw_calls = self.calls_log()[calls_before:]
        codes = [match.group(1) for call in raw_calls for match in CODE_ARGUMENT.finditer(call)]
        calls = [CODE_ARGUMENT.sub("-code <code>", WORKDIR.sub("$TMP", call)) for call in raw_calls]
        return Result(
            completed.returncode,
            completed.stdout.decode(errors="replace"),
            completed.stderr.decode(errors="replace"),
            calls,
            self.syslog()[syslog_before:],
            codes,
            self.root,
        )

    def calls_log(self) -> list[str]:
        return (self.root / "harness/calls").read_text().splitlines()

    def syslog(self) -> list[str]:
        path = self.root / "harness/syslog"
        return path.read_text().splitlines() if path.exists() else []

    def files_containing(self, secret: str) -> list[Path]:
        """Files of the machine (not of the test harness) that hold the secret."""
        needle = secret.encode()
        found = []
        for folder in (
            self.root / "etc",
            self.root / "var",
            self.root / "tmp",
            self.root / "run",
            self.root / "root",
            self.upper,
        ):
            for path in folder.rglob("*"):
                if path.is_file() and not path.is_symlink() and needle in path.read_bytes():
                    found.append(path)
        return found

    def machine_id(self) -> str:
        return (self.root / "etc/machine-id").read_text().strip()


def os_release(**fields: str) -> str:
    return "".join(f'{key}="{value}"\n' for key, value in fields.items())


DISTRIBUTIONS = {
    "amazon-linux-2023": Distribution(
        "amazon-linux-2023",
        {"etc/os-release": os_release(NAME="Amazon Linux", ID="amzn", VERSION_ID="2023", ID_LIKE="fedora")},
        "rpm",
        "dnf install -y $TMP/amazon-ssm-agent.rpm",
        "systemd",
    ),
    "amazon-linux-2": Distribution(
        "amazon-linux-2",
        {"etc/os-release": os_release(NAME="Amazon Linux", ID="amzn", VERSION_ID="2", ID_LIKE="centos rhel fedora")},
        "rpm",
        "yum install -y $TMP/amazon-ssm-agent.rpm",
        "systemd",
    ),
    "amazon-linux-1": Distribution(
        "amazon-linux-1",
        {
            "etc/os-release": os_release(
                NAME="Amazon Linux AMI", ID="amzn", VERSION_ID="2018.03", ID_LIKE="rhel fedora"
            ),
            "etc/system-release": "Amazon Linux AMI release 2018.03\n",
        },
        "rpm",
        "yum install -y $TMP/amazon-ssm-agent.rpm",
        "upstart",
    ),
    "centos-6": Distribution(
        "centos-6",
        {"etc/redhat-release": "CentOS release 6.10 (Final)\n"},
        "rpm",
        "yum install -y $TMP/amazon-ssm-agent.rpm",
        "upstart",
    ),
    "rhel-7": Distribution(
        "rhel-7",
        {
            "etc/os-release": os_release(
                NAME="Red Hat Enterprise Linux Server", ID="rhel", VERSION_ID="7.9", ID_LIKE="fedora"
            )
        },
        "rpm",
        "yum install -y $TMP/amazon-ssm-agent.rpm",
        "systemd",
    ),
    "rhel-9": Distribution(
        "rhel-9",
        {"etc/os-release": os_release(NAME="Red Hat Enterprise Linux", ID="rhel", VERSION_ID="9.4", ID_LIKE="fedora")},
        "rpm",
        "dnf install -y $TMP/amazon-ssm-agent.rpm",
        "systemd",
    ),
    "sles-15": Distribution(
        "sles-15",
        {"etc/os-release": os_release(NAME="SLES", ID="sles", VERSION_ID="15.5", ID_LIKE="suse")},
        "rpm",
        "rpm --install $TMP/amazon-ssm-agent.rpm",
        "systemd",
    ),
    "ubuntu-22.04": Distribution(
        "ubuntu-22.04",
        {"etc/os-release": os_release(NAME="Ubuntu", ID="ubuntu", VERSION_ID="22.04", ID_LIKE="debian")},
        "deb",
        "dpkg -i $TMP/amazon-ssm-agent.deb",
        "service",
    ),
    "ubuntu-18.04": Distribution(
        "ubuntu-18.04",
        {"etc/os-release": os_release(NAME="Ubuntu", ID="ubuntu", VERSION_ID="18.04", ID_LIKE="debian")},
        "deb",
        "dpkg -i $TMP/amazon-ssm-agent.deb",
        "service",
    ),
    "debian-12": Distribution(
        "debian-12",
        {"etc/os-release": os_release(NAME="Debian GNU/Linux", ID="debian", VERSION_ID="12")},
        "deb",
        "dpkg -i $TMP/amazon-ssm-agent.deb",
        "service",
    ),
    "raspbian-11": Distribution(
        "raspbian-11",
        {"etc/os-release": os_release(NAME="Raspbian GNU/Linux", ID="raspbian", VERSION_ID="11", ID_LIKE="debian")},
        "deb",
        "dpkg -i $TMP/amazon-ssm-agent.deb",
        "service",
    ),
}
