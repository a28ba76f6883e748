"""`python3 -m hybrid_local up`: the product on this machine, against the local AWS stack.

Starts the emulator, deploys template.yaml into it, runs the functions, serves the API, creates a demo
enrollment token through the admin CLI, prints how to try it, and writes the same facts to a JSON state file.
Ctrl-C (or SIGTERM) stops everything and removes the state file.
"""

import argparse
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
from pathlib import Path

from .local_stack import LocalStack
from .stack import DeployError

PROJECT = Path(__file__).resolve().parents[2]


def create_demo_token(state_file: Path, fleet: str) -> str:
    """Creates the demo token the way an administrator would: with the admin CLI, against this stack."""
    cli = PROJECT / "cli" / "target" / "hob.jar"
    if not cli.exists():
        raise DeployError(f"{cli} is missing: build it with `mvn -q -B package -DskipTests -pl functions,cli`")
    result = subprocess.run(
        [
            "java",
            "-jar",
            str(cli),
            "--local-state",
            str(state_file),
            "--json",
            "token",
            "create",
            "--fleet",
            fleet,
            "--uses",
            "10",
            "--lifetime",
            "24h",
            "--description",
            "demo token of the local stack",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise DeployError(f"creating the demo token failed: {result.stderr.strip()}")
    return json.loads(result.stdout)["token"]


def write_state(path: Path, state: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(state, indent=2))
    os.chmod(temporary, 0o600)
    temporary.replace(path)


def banner(state: dict) -> str:
    api, token = state["apiUrl"], state.get("demoToken", "")
    agent = PROJECT / "local" / "fake-ssm-agent"
    curl = (
        f"curl -sS -X POST {api}/v1/activations -H 'Content-Type: application/json' "
        f"-H {shlex.quote('Authorization: Bearer ' + token)} "
        '-d \'{"hostname":"demo-host","platform":"linux","machineId":"demo-machine-1"}\''
    )
    return "\n".join(
        [
            "",
            "Hybrid Onboarding is running on the local AWS stack.",
            f"  API             {api}",
            f"  AWS endpoint    {state['endpointUrl']}   (region {state['region']}, any credentials)",
            f"  State file      {state['stateFile']}",
            f"  Demo token      {token}",
            "",
            "Ask for an activation:",
            f"  {curl}",
            "",
            "Register a (fake) machine with what it returned:",
            f"  AWS_ENDPOINT_URL={state['endpointUrl']} FAKE_SSM_AGENT_DIR=/tmp/demo-agent \\",
            f"    {agent} -register -code CODE -id ID -region {state['region']} -y",
            "",
            f"Admin CLI:   bin/hob status      Logs: {Path(state['stateFile']).parent / 'local' / 'logs'}",
            "Press Ctrl-C to stop.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python3 -m hybrid_local")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the local stack and keep it running until interrupted")
    up.add_argument("--state-file", type=Path, default=PROJECT / "target" / "local-stack.json")
    up.add_argument("--api-port", type=int, default=0, help="port of the API (default: any free port)")
    up.add_argument("--aws-port", type=int, default=0, help="port of the AWS emulator (default: any free port)")
    up.add_argument("--concurrency", type=int, default=4, help="execution environments per function")
    up.add_argument("--build", action="store_true", help="build functions/ as `sam build` does before deploying")
    up.add_argument("--no-demo-token", action="store_true")
    up.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="template parameter override, like sam deploy --parameter-overrides",
    )
    up.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    parameters = dict(p.split("=", 1) for p in args.parameter)
    state_file = args.state_file.resolve()
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())

    stack = LocalStack(
        PROJECT,
        state_file.parent / "local",
        parameters=parameters,
        api_port=args.api_port,
        aws_port=args.aws_port,
        concurrency=args.concurrency,
        build=args.build,
    )
    try:
        stack.start()
        state = {**stack.state(), "stateFile": str(state_file)}
        write_state(state_file, state)
        if not args.no_demo_token:
            fleet = json.loads(stack.stack.outputs["DefaultFleetSettings"])["DEFAULT_FLEET_NAME"]
            state["demoToken"] = create_demo_token(state_file, fleet)
            write_state(state_file, state)
        print(banner(state), flush=True)
        stopping.wait()
    except DeployError as error:
        print(f"hybrid_local: {error}", file=sys.stderr)
        return 1
    finally:
        print("Stopping the local stack...", file=sys.stderr)
        stack.stop()
        state_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
