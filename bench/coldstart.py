#!/usr/bin/env python3
"""Cold-start benchmark: every function of the deployed stack next to a floor function.

A benchmark, run by hand (or by bench/run-all), never by the test suite. It deploys template.yaml into the
local emulator in this process, so each function runs with its real environment against the emulator, and
then, for each function and for the floor function (bench/floor-function: one handler, one DynamoDB GetItem):

- runs it --runs times, each time in a fresh JVM under the real Lambda Java runtime interface client, pinned
  to one CPU, and records the time from the invoke (which starts the JVM) to the first response; --warm more
  invocations in the same JVM follow, to show how much of the first is the emulator's round trips;
- records, from the Runtime API, the phases of each of those environments as Lambda would bill and show them:
  init (for a SnapStart function: up to the snapshot, with the beforeCheckpoint hooks; paid once per published
  version on Lambda), the afterRestore hooks, the first invocation after restore (what a machine waits for on
  top of Lambda's restore) and the warm invocations. The headline is the first invocation after restore over
  the warm one (goal: at most x1.5), which priming in beforeCheckpoint brings down;
- counts the classes the JVM loads up to the first response (and in the shutdown right after it), in a
  separate run with class-load logging, so that the logging does not distort the timed runs;
- measures the deployment package: the zip the stack deploys (classes at the root, jars in lib/).

Before timing, every function runs once and that run is discarded: it warms the emulator and the disk cache.
Results: a Markdown table on stdout, target/bench/coldstart.json and target/bench/coldstart.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import dataclasses
import os
import re
import shutil
import statistics
import sys
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchstack import (
    BENCH,
    PROJECT,
    RESULTS,
    BenchStack,
    ColdInvocation,
    FunctionConfig,
    configure_logging,
    enrollment_event,
    log,
    machine,
    markdown_table,
    summary,
    write_results,
)
from hybrid_local.stack import build_code  # importable once benchstack has put local/ on the path

FLOOR_SOURCE = "floor-function"
FLOOR_HANDLER = "dev.hybridonboarding.bench.floor.FloorHandler::handleRequest"
FLOOR_ID = "FloorFunction"
# The floor is deployed as if it were in the stack: it gets what the template's Globals give every function.
FLOOR_INHERITED_ENVIRONMENT = ("TABLE_NAME", "JAVA_TOOL_OPTIONS")

# `[0.123s][info][class,load] java.lang.Object source: shared objects file`
CLASS_LOAD = re.compile(r"\[class,load\] \S+ source: (.*)$")
# The goal for the first invocation after restore, as a multiple of the warm invocation.
FIRST_TO_WARM_GOAL = 1.5


@dataclass
class Subject:
    """One function under test, with what it is invoked with and the answer that means it worked."""

    config: FunctionConfig
    package: Path
    next_event: Callable[[], dict[str, Any]]
    expected_status: int


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed cold starts per function (default: 20)")
    parser.add_argument(
        "--warm",
        type=int,
        default=5,
        help="warm invocations after the first one in each fresh environment (default: 5)",
    )
    parser.add_argument("--cpu", type=int, default=0, help="CPU the function JVMs are pinned to (default: 0)")
    parser.add_argument("--build", action="store_true", help="build functions/ as `sam build` does before deploying")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.warm < 1:
        parser.error("--warm must be at least 1")
    configure_logging(args.verbose)
    harness_cpus = keep_harness_off(args.cpu)

    out = RESULTS / "coldstart"
    shutil.rmtree(out, ignore_errors=True)
    with BenchStack(out / "stack", build=args.build) as bench:
        # Every invocation of an enrollment spends one use: the warm-up and the timed runs invoke 1 + --warm
        # times each, the class-load run once.
        per_environment = 1 + args.warm
        invocations = per_environment * (args.runs + 1) + 1
        # A machine waits only for the SnapStart functions behind the API; the scheduled and queue-driven ones
        # run without SnapStart and nobody waits for their cold start, so they are named and left out.
        waited_for = [config for config in bench.functions() if config.snap_start]
        for config in bench.functions():
            if not config.snap_start:
                log.info("not measured: %s runs without SnapStart and no machine waits for it", config.logical_id)
        subjects = [stack_subject(bench, config, invocations, out, args.cpu) for config in waited_for]
        enrollment = next(subject for subject in subjects if subject.config.logical_id == "EnrollmentFunction")
        subjects.append(floor_subject(bench, enrollment.config, out, args.cpu))

        for subject in subjects:
            log.info("warming up with %s (discarded)", subject.config.logical_id)
            cold_start(bench, subject, invocations=per_environment)
        results: dict[str, list[ColdInvocation]] = {s.config.logical_id: [] for s in subjects}
        # Round robin, so that a slow spell of the machine is spread over all functions alike.
        for run in range(1, args.runs + 1):
            for subject in subjects:
                result = cold_start(bench, subject, invocations=per_environment)
                results[subject.config.logical_id].append(result)
                phases = result.phases
                log.info(
                    "run %d/%d %s: first response %.0f ms; init %.0f, restore hooks %s, first invocation %.0f, "
                    "warm %.0f ms",
                    run,
                    args.runs,
                    subject.config.logical_id,
                    result.first_response_ms,
                    phases["initMs"],
                    phases["restoreHooksMs"],
                    phases["firstInvocationMs"],
                    statistics.median(phases["warmInvocationsMs"]),
                )
        classes = {s.config.logical_id: count_classes(bench, s, out) for s in subjects}

    report = build_report(subjects, results, classes, args, harness_cpus)
    markdown = render(report)
    path = write_results("coldstart", report, markdown)
    print(markdown)
    print(f"\nResults: {path}")
    return 0


def keep_harness_off(cpu: int) -> list[int]:
    """Moves this process (the harness, the emulator and every thread they start later) off the CPU the
    function JVMs are pinned to, so that the emulator answering the function does not steal its CPU, as AWS's
    services do not run on a Lambda function's CPU either. On a one-CPU machine everything shares it."""
    cpus = sorted(os.sched_getaffinity(0))
    if cpu not in cpus:
        raise SystemExit(f"CPU {cpu} is not available to this process (available: {cpus})")
    others = [c for c in cpus if c != cpu]
    if others:
        os.sched_setaffinity(0, others)
    return others or cpus


def pinned(config: FunctionConfig, cpu: int, out: Path) -> FunctionConfig:
    return dataclasses.replace(
        config, command_prefix=["taskset", "-c", str(cpu)], log_file=out / "logs" / f"{config.logical_id}.log"
    )


def stack_subject(bench: BenchStack, config: FunctionConfig, invocations: int, out: Path, cpu: int) -> Subject:
    package = bench.work_dir / "build" / f"{config.logical_id}.zip"  # what the stack downloaded and deployed
    if config.logical_id == "EnrollmentFunction":
        token = bench.create_token(bench.default_fleet(), invocations)
        # A new machine each time: every run is a first-boot enrollment, not a replay of an earlier one.
        return Subject(
            pinned(config, cpu, out),
            package,
            lambda: enrollment_event(token, f"bench-coldstart-{uuid.uuid4().hex}"),
            expected_status=201,
        )
    if config.logical_id == "InstallScriptFunction":
        install = json.loads((PROJECT / "events" / "install-script-request.json").read_text())
        return Subject(pinned(config, cpu, out), package, lambda: copy.deepcopy(install), expected_status=200)
    raise SystemExit(f"no benchmark event for {config.logical_id}: add one to stack_subject() in {Path(__file__).name}")


def floor_subject(bench: BenchStack, reference: FunctionConfig, out: Path, cpu: int) -> Subject:
    """Builds the floor function as `sam build` would and configures it like a function of the stack."""
    package = build_code(BENCH, FLOOR_SOURCE, out / "floor", skip_build=False)
    code_dir = out / "floor" / "code"
    with zipfile.ZipFile(package) as archive:
        archive.extractall(code_dir)
    name = f"{bench.stack.stack_name}-{FLOOR_ID}"
    config = FunctionConfig(
        logical_id=FLOOR_ID,
        name=name,
        arn=reference.arn.rsplit(":", 1)[0] + ":" + name,
        handler=FLOOR_HANDLER,
        code_dir=code_dir,
        environment={k: reference.environment[k] for k in FLOOR_INHERITED_ENVIRONMENT if k in reference.environment},
        memory_mb=reference.memory_mb,
        timeout_s=reference.timeout_s,
        log_file=out / "logs" / f"{FLOOR_ID}.log",
        snap_start=reference.snap_start,
    )
    # The floor reads nothing from the request; it gets the same event, so it pays the same deserialization.
    return Subject(pinned(config, cpu, out), package, lambda: enrollment_event(None, "unused"), expected_status=200)


def cold_start(
    bench: BenchStack, subject: Subject, config: FunctionConfig | None = None, invocations: int = 1
) -> ColdInvocation:
    result = bench.invoke_in_fresh_environment(
        config or subject.config, [subject.next_event() for _ in range(invocations)]
    )
    if result.status != subject.expected_status:
        raise SystemExit(
            f"{subject.config.logical_id} answered {result.status}, expected {subject.expected_status}; "
            f"see {subject.config.log_file}"
        )
    return result


def count_classes(bench: BenchStack, subject: Subject, out: Path) -> dict[str, Any]:
    """Runs one more cold start with -Xlog:class+load and sorts the loaded classes by where they came from."""
    log_file = out / f"classload-{subject.config.logical_id}.log"
    config = dataclasses.replace(
        subject.config, jvm_options=[*subject.config.jvm_options, f"-Xlog:class+load=info:file={log_file}"]
    )
    started = time.perf_counter()
    cold_start(bench, subject, config, invocations=1)
    log.info("counted the classes of %s in %.1f s", subject.config.logical_id, time.perf_counter() - started)
    code_dir = f"file:{subject.config.code_dir}"
    by_origin: Counter[str] = Counter()
    by_jar: Counter[str] = Counter()
    for line in log_file.read_text().splitlines():
        found = CLASS_LOAD.search(line)
        if not found:
            continue
        source = found.group(1)
        if source.startswith("shared objects file"):
            by_origin["jdkCds"] += 1
        elif source.startswith("jrt:/"):
            by_origin["jdk"] += 1
        elif source.startswith(code_dir):
            by_origin["package"] += 1
            by_jar[Path(source).name if source.endswith(".jar") else "(function classes)"] += 1
        elif source.startswith("file:"):
            by_origin["runtimeClient"] += 1  # the only other class path: the runtime interface client's
        else:
            by_origin["generated"] += 1  # lambdas, method handles, proxies, reflection accessors
    counts = {origin: by_origin[origin] for origin in ("package", "jdkCds", "jdk", "runtimeClient", "generated")}
    return {
        "total": sum(counts.values()),
        **counts,
        "packageByJar": dict(by_jar.most_common()),
        "note": "JVM start to exit: init, one invocation and the shutdown that follows it",
    }


def package_stats(package: Path) -> dict[str, Any]:
    with zipfile.ZipFile(package) as archive:
        entries = archive.infolist()
    jars = sorted(
        (e for e in entries if e.filename.startswith("lib/") and e.filename.endswith(".jar")),
        key=lambda e: e.file_size,
        reverse=True,
    )
    own_classes = [e for e in entries if e.filename.endswith(".class") and not e.filename.startswith("lib/")]
    return {
        "zipKB": round(package.stat().st_size / 1024),
        "unzippedKB": round(sum(e.file_size for e in entries) / 1024),
        "jars": len(jars),
        "ownClassFiles": len(own_classes),
        "jarKB": {Path(e.filename).name: round(e.file_size / 1024) for e in jars},
    }


def life_cycle(runs: list[ColdInvocation], snap_start: bool) -> dict[str, Any]:
    """The phases of the fresh environments, summarised over the runs; the first invocation over the warm one,
    per run (its first invocation over the median of its warm ones) and as the ratio of the medians."""
    phases = [run.phases for run in runs]
    warm = [statistics.median(p["warmInvocationsMs"]) for p in phases]
    first = [p["firstInvocationMs"] for p in phases]
    ratios = [f / w for f, w in zip(first, warm)]
    return {
        "snapStart": snap_start,
        "initMs": timings([p["initMs"] for p in phases]),
        "restoreHooksMs": timings([p["restoreHooksMs"] for p in phases]) if snap_start else None,
        "firstInvocationMs": timings(first),
        "warmInvocationMs": {**timings(warm), "note": "per run, the median of its warm invocations"},
        "firstToWarm": {
            "perRun": round(statistics.median(ratios), 2),
            "ofMedians": round(statistics.median(first) / statistics.median(warm), 2),
            "runs": [round(r, 2) for r in ratios],
            "goal": FIRST_TO_WARM_GOAL,
        },
    }


def timings(values: list[float]) -> dict[str, Any]:
    return {**rounded(summary(values)), "runs": [round(v, 1) for v in values]}


def build_report(
    subjects: list[Subject],
    results: dict[str, list[ColdInvocation]],
    classes: dict[str, dict[str, Any]],
    args: argparse.Namespace,
    harness_cpus: list[int],
) -> dict[str, Any]:
    functions = {}
    first: dict[str, list[float]] = {}
    for subject in subjects:
        lid = subject.config.logical_id
        first[lid] = [r.first_response_ms for r in results[lid]]
        functions[lid] = {
            "handler": subject.config.handler,
            "memoryMb": subject.config.memory_mb,
            "firstResponseMs": timings(first[lid]),
            "secondResponseMs": timings([r.later_responses_ms[0] for r in results[lid]]),
            "lifeCycle": life_cycle(results[lid], subject.config.snap_start),
            "classesLoaded": classes[lid],
            "package": package_stats(subject.package),
        }
    floor = functions[FLOOR_ID]
    ratios = {
        lid: {
            "firstResponseMedians": round(f["firstResponseMs"]["median"] / floor["firstResponseMs"]["median"], 2),
            # Each round runs every function once, back to back: the ratio within a round cancels out
            # the machine's slow and fast spells, which the medians of the whole run do not.
            "firstResponsePerRound": round(
                statistics.median(own / base for own, base in zip(first[lid], first[FLOOR_ID])), 2
            ),
            "classesLoaded": round(f["classesLoaded"]["total"] / floor["classesLoaded"]["total"], 2),
            "packageZip": round(f["package"]["zipKB"] / floor["package"]["zipKB"], 2),
        }
        for lid, f in functions.items()
        if lid != FLOOR_ID
    }
    return {
        "benchmark": "coldstart",
        "settings": {
            "runs": args.runs,
            "warmInvocations": args.warm,
            "jvmCpu": args.cpu,
            "harnessCpus": harness_cpus,
            "jvmCommandPrefix": subjects[0].config.command_prefix,
            "javaToolOptions": subjects[0].config.environment.get("JAVA_TOOL_OPTIONS"),
            "warmupRunsDiscarded": 1,
            "percentile": "nearest rank",
        },
        "machine": machine(),
        "functions": functions,
        "ratioToFloor": ratios,
    }


def rounded(values: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 1) for k, v in values.items()}


def render(report: dict[str, Any]) -> str:
    functions = report["functions"]
    settings = report["settings"]
    phases = markdown_table(
        [
            "Function",
            "SnapStart",
            "Init ms (once per version)",
            "Restore hooks ms",
            "First invocation ms",
            f"Warm invocation ms (median of {settings['warmInvocations']})",
            "First / warm",
        ],
        [
            [
                lid,
                "yes" if c["snapStart"] else "no",
                f"{c['initMs']['median']:.0f}",
                f"{c['restoreHooksMs']['median']:.1f}" if c["restoreHooksMs"] else "-",
                f"{c['firstInvocationMs']['median']:.0f}",
                f"{c['warmInvocationMs']['median']:.0f}",
                f"x{c['firstToWarm']['perRun']}",
            ]
            for lid, c in ((lid, f["lifeCycle"]) for lid, f in functions.items())
        ],
    )
    headline = "\n".join(
        f"- {lid}: first invocation{' after restore' if c['snapStart'] else ''} / warm invocation "
        f"**x{c['firstToWarm']['perRun']}** (median of the "
        f"per-run ratios; x{c['firstToWarm']['ofMedians']} by the medians); goal x{c['firstToWarm']['goal']}: "
        f"{'met' if c['firstToWarm']['perRun'] <= c['firstToWarm']['goal'] else 'not met'}"
        for lid, c in ((lid, f["lifeCycle"]) for lid, f in functions.items())
    )
    timing = markdown_table(
        ["Function", "Runs", "Median ms", "Min ms", "P90 ms", "Max ms", "2nd invoke median ms"],
        [
            [
                lid,
                len(f["firstResponseMs"]["runs"]),
                *(f"{f['firstResponseMs'][k]:.0f}" for k in ("median", "min", "p90", "max")),
                f"{f['secondResponseMs']['median']:.0f}",
            ]
            for lid, f in functions.items()
        ],
    )
    loading = markdown_table(
        [
            "Function",
            "Classes loaded",
            "from the package",
            "JDK (CDS archive)",
            "JDK (other)",
            "runtime client",
            "generated",
        ],
        [
            [lid, c["total"], c["package"], c["jdkCds"], c["jdk"], c["runtimeClient"], c["generated"]]
            for lid, c in ((lid, f["classesLoaded"]) for lid, f in functions.items())
        ],
    )
    packages = markdown_table(
        ["Function", "Zip KB", "Unzipped KB", "Jars in lib/", "Own class files", "Largest jars (KB)"],
        [
            [
                lid,
                p["zipKB"],
                p["unzippedKB"],
                p["jars"],
                p["ownClassFiles"],
                ", ".join(f"{name} {kb}" for name, kb in list(p["jarKB"].items())[:4]),
            ]
            for lid, p in ((lid, f["package"]) for lid, f in functions.items())
        ],
    )
    ratios = "\n".join(
        f"- {lid} / floor: first response x{r['firstResponseMedians']} (ratio of the medians; median of "
        f"the per-round ratios x{r['firstResponsePerRound']}), classes loaded x{r['classesLoaded']}, "
        f"package zip x{r['packageZip']}"
        for lid, r in report["ratioToFloor"].items()
    )
    java = report["machine"]["java"][0] if report["machine"]["java"] else "java"
    return "\n\n".join(
        [
            f"### Life cycle of a fresh environment (medians of {settings['runs']} runs, JVM pinned to CPU "
            f"{settings['jvmCpu']}, {java})",
            phases,
            headline,
            "### Cold start to first response (as the invoker sees it)",
            timing,
            "### Classes loaded (one extra run with -Xlog:class+load)",
            loading,
            "### Deployment package",
            packages,
            "### Ratios",
            ratios,
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
