"""bin/hob rebuilds the admin CLI only when its sources or the functions' sources changed since the jar was built."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "project"
    (root / "bin").mkdir(parents=True)
    shutil.copy(PROJECT / "bin" / "hob", root / "bin" / "hob")
    for source in (
        "cli/src/main/java/Cli.java",
        "functions/src/main/java/Core.java",
        "cli/pom.xml",
        "functions/pom.xml",
    ):
        (root / source).parent.mkdir(parents=True, exist_ok=True)
        (root / source).write_text("source")
    jar = root / "cli" / "target" / "hob.jar"
    jar.parent.mkdir(parents=True)
    jar.write_text("jar")
    tools = tmp_path / "tools"
    tools.mkdir()
    for tool in ("mvn", "java"):
        script = tools / tool
        script.write_text(f'#!/bin/sh\necho "{tool} $*" >> "{tmp_path}/calls"\n')
        script.chmod(0o755)
    return root, tools


def _run(root: Path, tools: Path) -> list[str]:
    calls = root.parent / "calls"
    calls.unlink(missing_ok=True)
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}"}
    subprocess.run([str(root / "bin" / "hob"), "status"], check=True, env=env, capture_output=True)
    return calls.read_text().splitlines()


def _age(path: Path, seconds: int) -> None:
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))


def test_an_up_to_date_jar_is_run_as_it_is(tmp_path: Path) -> None:
    root, tools = _project(tmp_path)
    for source in root.rglob("*"):
        if source.is_file() and source.name != "hob.jar":
            _age(source, 60)

    assert _run(root, tools) == [f"java -jar {root}/cli/target/hob.jar status"]


def test_a_changed_source_of_the_cli_or_the_functions_rebuilds_it_first(tmp_path: Path) -> None:
    root, tools = _project(tmp_path)
    for source in root.rglob("*"):
        if source.is_file():
            _age(source, 60)
    (root / "functions/src/main/java/Core.java").write_text("changed")

    calls = _run(root, tools)

    assert calls[0].startswith("mvn ") and "-pl functions,cli" in calls[0]
    assert calls[1] == f"java -jar {root}/cli/target/hob.jar status"
    assert _run(root, tools) == [f"java -jar {root}/cli/target/hob.jar status"]
