#!/usr/bin/env python3
"""Run bench/musl_driver (musl's loader) as repeated processes and merge its JSON into one file
in Google Benchmark's format. Run by scripts/bench and bench/check_quick.py; standard library
only.

Usage: musl_bench.py --driver PATH --plugins DIR --out MUSL.json [--repetitions R]
                     [--iterations K] [--min-time SECONDS] [--large]

One driver process is one repetition of one group: "load" (fresh loads, the floor, the loaded
path, the failures), "lookup" (dlsym) and "crowd N" for each crowd size (musl never unloads, so
each crowd needs a process of its own). The R x (2 + crowd sizes) processes run in a random
order, so that a slow spell of the machine lands on every group alike; inside a process the
driver shuffles its benchmarks. Each row keeps its repetition_index; medians are the reader's.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

CROWD_SIZES = [0, 10, 100, 1000]  # as bench_loaders.cpp's kCrowdSizes


def musl_version():
    """musl's loader prints its version when run with no arguments."""
    try:
        run = subprocess.run(["/lib/ld-musl-x86_64.so.1"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    except OSError:
        return None
    for line in run.stdout.splitlines():
        if line.startswith("Version "):
            return line.split()[1]
    return None


def clean_environment():
    """The environment of a benchmark process: no LD_LIBRARY_PATH (Meson's test runner sets one
    naming the build tree's library directories, where the missing dependency of the failure
    benchmark sits), LC_ALL=C for the loaders' messages."""
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD")}
    env["LC_ALL"] = "C"
    return env


def run(driver, plugins, out, repetitions=10, iterations=40, min_time=0.05, large=False):
    groups = [["--group", "load"], ["--group", "lookup"]]
    groups += [["--group", "crowd", "--crowd", str(n)] for n in CROWD_SIZES]
    jobs = [(rep, group) for rep in range(repetitions) for group in groups]
    random.shuffle(jobs)
    rows, contexts = [], []
    with tempfile.TemporaryDirectory(prefix="dldoctor-musl-bench-") as scratch:
        for index, (rep, group) in enumerate(jobs):
            part = os.path.join(scratch, f"{index}.json")
            argv = [driver, "--plugins", plugins, *group, "--iterations", str(iterations),
                    "--min-time", str(min_time), "--out", part] + (["--large"] if large else [])
            done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, env=clean_environment())
            if done.returncode != 0:
                sys.exit(f"musl_bench: {' '.join(argv)} exited {done.returncode}: "
                         f"{done.stdout[-400:]}")
            with open(part, encoding="utf-8") as f:
                result = json.load(f)
            contexts.append(result["context"])
            for row in result["benchmarks"]:
                row.update({"repetitions": repetitions, "repetition_index": rep})
                rows.append(row)
    context = {
        "loader": "musl",
        "musl_version": musl_version(),
        "interp": sorted({c.get("interp", "") for c in contexts}),
        "musl_mapped": all(c.get("musl_mapped") for c in contexts),
        "processes": len(jobs),
        "iterations": iterations,
        "min_time": min_time,
    }
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"context": context, "benchmarks": rows}, f, indent=1)
    return context, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--driver", required=True)
    parser.add_argument("--plugins", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=40,
                        help="fresh loads per repetition of a small plugin")
    parser.add_argument("--min-time", type=float, default=0.05,
                        help="seconds per repetition of a repeatable benchmark")
    parser.add_argument("--large", action="store_true",
                        help="also the 100,000-function plugins (built by the full run)")
    args = parser.parse_args()
    context, rows = run(args.driver, args.plugins, args.out, args.repetitions, args.iterations,
                        args.min_time, args.large)
    print(f"musl: {len(rows)} rows from {context['processes']} processes, musl "
          f"{context['musl_version']}, wrote {args.out}")


if __name__ == "__main__":
    main()
