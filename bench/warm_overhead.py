#!/usr/bin/env python3
"""Warm handler overhead: runs the JMH benchmark in bench/warm-overhead and reports its percentiles.

A benchmark, run by hand (or by bench/run-all). Build the jar first (see docs/benchmarks.md). The run settings
(forks, iterations, JVM flags) are the ones in EnrollmentHandlerBenchmark's annotations unless JMH options are
passed after `--`; the report takes them from JMH's own JSON, so it always states what actually ran.

Results: a Markdown table on stdout, target/bench/warm-overhead.json and .md, JMH's JSON and console output
in target/bench/warm-overhead/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from typing import Any

from benchstack import BENCH, PROJECT, RESULTS, machine, markdown_table, write_results

JAR = BENCH / "warm-overhead" / "target" / "benchmarks.jar"
GOAL_P99_US = 1000.0
PERCENTILES = {"p50": "50.0", "p90": "90.0", "p99": "99.0", "p99.9": "99.9", "max": "100.0"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu", type=int, default=0, help="CPU the benchmark JVMs are pinned to (default: 0)")
    parser.add_argument("jmh_options", nargs="*", help="extra JMH options, after `--` (e.g. -- -f 1 -i 2)")
    args = parser.parse_args(argv)
    if not JAR.exists():
        raise SystemExit(f"{JAR} is missing: run `mvn -q -B package -f bench/warm-overhead/pom.xml`")

    out = RESULTS / "warm-overhead"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    raw, console = out / "jmh.json", out / "jmh.log"
    # Pinned to one CPU like the cold-start JVMs; JMH's forks inherit the affinity. The GC profiler adds the
    # bytes allocated per enrollment and the collections during measurement, which explain the far tail.
    command = [
        "taskset",
        "-c",
        str(args.cpu),
        "java",
        "-jar",
        str(JAR),
        "-prof",
        "gc",
        "-rf",
        "json",
        "-rff",
        str(raw),
        *args.jmh_options,
    ]
    with console.open("w") as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0 or not raw.exists():
        raise SystemExit(f"JMH failed (exit {result.returncode}); see {console}")

    report = build_report(json.loads(raw.read_text()), command)
    markdown = render(report)
    path = write_results("warm-overhead", report, markdown)
    print(markdown)
    print(f"\nResults: {path} (JMH output: {console})")
    return 0


def build_report(runs: list[dict[str, Any]], command: list[str]) -> dict[str, Any]:
    if not runs:
        raise SystemExit("JMH ran no benchmark")
    benchmarks = {}
    for run in runs:
        metric = run["primaryMetric"]
        percentiles = {name: metric["scorePercentiles"][key] for name, key in PERCENTILES.items()}
        # JMH names the profiler's metrics "gc.count" or, in some versions, "·gc.count".
        gc = {name.lstrip("·"): value["score"] for name, value in run.get("secondaryMetrics", {}).items()}
        benchmarks[run["benchmark"].rsplit(".", 1)[1]] = {
            "unit": metric["scoreUnit"],
            "samples": _samples(metric),
            "mean": metric["score"],
            **percentiles,
            "goalP99Met": percentiles["p99"] < GOAL_P99_US,
            "allocatedBytesPerOp": gc.get("gc.alloc.rate.norm"),
            "gcCount": gc.get("gc.count"),
            "gcTimeMs": gc.get("gc.time"),
        }
    first = runs[0]
    return {
        "benchmark": "warm-overhead",
        "settings": {
            "command": " ".join(command).replace(f"{PROJECT}/", ""),
            "mode": first["mode"],
            "forks": first["forks"],
            "warmup": f"{first['warmupIterations']} x {first['warmupTime']}",
            "measurement": f"{first['measurementIterations']} x {first['measurementTime']}",
            "threads": first["threads"],
            "jvm": first["jvm"],
            "jdkVersion": first["jdkVersion"],
            "vm": f"{first['vmName']} {first['vmVersion']}",
            "jvmArgs": first["jvmArgs"],
            "jmhVersion": first["jmhVersion"],
        },
        "goal": {"p99Us": GOAL_P99_US},
        "machine": machine(),
        "benchmarks": benchmarks,
    }


def _samples(metric: dict[str, Any]) -> int:
    """Samples taken over all forks and measurement iterations (JMH's histogram: [value, count] pairs)."""
    return sum(int(count) for fork in metric["rawDataHistogram"] for iteration in fork for _, count in iteration)


def _kb(value: float | None) -> str:
    return "n/a" if value is None else f"{value / 1024:.1f} KB"


def _gcs(benchmark: dict[str, Any]) -> str:
    if benchmark["gcCount"] is None:
        return "n/a"
    return f"{benchmark['gcCount']:.0f} ({benchmark['gcTimeMs']:.0f} ms)"


def render(report: dict[str, Any]) -> str:
    settings = report["settings"]
    table = markdown_table(
        [
            "Benchmark",
            "Samples",
            "p50 us",
            "p90 us",
            "p99 us",
            "p99.9 us",
            "max us",
            f"p99 < {report['goal']['p99Us']:.0f} us",
            "Allocated per op",
            "GCs (time)",
        ],
        [
            [
                name,
                b["samples"],
                *(f"{b[k]:.1f}" for k in ("p50", "p90", "p99", "p99.9", "max")),
                "met" if b["goalP99Met"] else "missed",
                _kb(b["allocatedBytesPerOp"]),
                _gcs(b),
            ]
            for name, b in report["benchmarks"].items()
        ],
    )
    return "\n\n".join(
        [
            f"### Warm handler overhead, AWS round trips excluded ({settings['mode']}, {settings['forks']} forks, "
            f"warmup {settings['warmup']}, measurement {settings['measurement']}, JDK {settings['jdkVersion']})",
            table,
            "JVM flags of the forks: `" + " ".join(settings["jvmArgs"]) + "`",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
