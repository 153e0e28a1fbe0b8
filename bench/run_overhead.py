#!/usr/bin/env python3
"""What `dldoctor run` costs a program that loads 100 plugins successfully (issue #16: at most 5%).

Builds, in a new temporary directory, 100 small plugins (each a few exported functions and a
dependency on one shared library, so that every dlopen searches) and a host that dlopens each by
a bare name through its RUNPATH (RTLD_NOW), looks up one symbol in each, closes none, and prints
how long its own loop took (clock_gettime around it). Then it runs the host ROUNDS times alone
and ROUNDS times under `dldoctor run --`, interleaved (alone, under, alone, ...) so that a slow
spell of the machine lands on both alike, and prints the medians of:

  - the host's own loop (what the recorder adds to the program's work: la_objsearch's buffering,
    la_objopen, the shim's trampoline), and
  - the whole process, timed from here (what a person waits: dldoctor's start, its fork and
    exec, the recorder's start in the program, the read of the records).

Standard library only. Usage: run_overhead.py DLDOCTOR [--cc CC] [--rounds N] [--json OUT]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLUGINS = 100

HOST = r"""
#include <dlfcn.h>
#include <stdio.h>
#include <time.h>
int main(void) {
  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  char name[64];
  for (int i = 0; i < %d; ++i) {
    snprintf(name, sizeof name, "libplugin%%d.so", i);
    void* handle = dlopen(name, RTLD_NOW);
    if (handle == NULL) { fprintf(stderr, "%%s\n", dlerror()); return 1; }
    snprintf(name, sizeof name, "plugin%%d_run", i);
    if (dlsym(handle, name) == NULL) { fprintf(stderr, "%%s\n", dlerror()); return 1; }
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  printf("%%lld\n", (long long)(end.tv_sec - start.tv_sec) * 1000000000LL +
                    (end.tv_nsec - start.tv_nsec));
  return 0;
}
""" % PLUGINS


def build(directory: Path, cc: str) -> Path:
    lib = directory / "lib"
    lib.mkdir()
    (directory / "common.c").write_text("int common(int x) { return x + 1; }\n")
    subprocess.run([cc, "-shared", "-fPIC", "-o", str(lib / "libcommon.so"),
                    str(directory / "common.c")], check=True)
    for i in range(PLUGINS):
        source = directory / f"plugin{i}.c"
        source.write_text(f"int common(int);\nint plugin{i}_run(int x) {{ return common(x) + {i}; }}\n"
                          f"int plugin{i}_other(void) {{ return {i}; }}\n")
        subprocess.run([cc, "-shared", "-fPIC", "-o", str(lib / f"libplugin{i}.so"), str(source),
                        "-L" + str(lib), "-lcommon", "-Wl,--enable-new-dtags,-rpath,$ORIGIN"],
                       check=True)
    (directory / "host.c").write_text(HOST)
    host = directory / "host"
    subprocess.run([cc, "-O2", "-o", str(host), str(directory / "host.c"),
                    "-Wl,--enable-new-dtags,-rpath,$ORIGIN/lib"], check=True)
    return host


def timed(argv: list, env: dict) -> tuple[int, int]:
    """(the host's own loop in ns, the whole process in ns)."""
    start = time.perf_counter_ns()
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    whole = time.perf_counter_ns() - start
    if result.returncode != 0:
        sys.exit(f"{argv} failed ({result.returncode}):\n{result.stderr}")
    return int(result.stdout.split()[0]), whole


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("dldoctor")
    parser.add_argument("--cc", default="cc")
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--json")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD",
                                                             "LD_AUDIT")}
    env["LC_ALL"] = "C"
    with tempfile.TemporaryDirectory(prefix="dldoctor-run-bench-") as scratch:
        host = str(build(Path(scratch), args.cc))
        under = [args.dldoctor, "run", "--", host]
        check = subprocess.run(under, env=env, capture_output=True, text=True, check=False)
        if check.returncode != 0 or "no dlopen failed and no dlsym missed" not in check.stderr:
            sys.exit(f"dldoctor run did not report a clean run:\n{check.stderr}")
        for _ in range(3):  # warm the page cache for both
            timed([host], env)
            timed(under, env)
        alone_loop, alone_whole, under_loop, under_whole = [], [], [], []
        for _ in range(args.rounds):
            loop, whole = timed([host], env)
            alone_loop.append(loop)
            alone_whole.append(whole)
            loop, whole = timed(under, env)
            under_loop.append(loop)
            under_whole.append(whole)
    result = {
        "plugins": PLUGINS,
        "rounds": args.rounds,
        "loop_alone_ms": statistics.median(alone_loop) / 1e6,
        "loop_under_run_ms": statistics.median(under_loop) / 1e6,
        "process_alone_ms": statistics.median(alone_whole) / 1e6,
        "process_under_run_ms": statistics.median(under_whole) / 1e6,
        # The fastest round of each: on a shared machine the least disturbed one.
        "loop_alone_min_ms": min(alone_loop) / 1e6,
        "loop_under_run_min_ms": min(under_loop) / 1e6,
    }
    result["loop_overhead_percent"] = 100 * (result["loop_under_run_ms"] /
                                             result["loop_alone_ms"] - 1)
    result["process_overhead_percent"] = 100 * (result["process_under_run_ms"] /
                                                result["process_alone_ms"] - 1)
    print(f"{PLUGINS} dlopen+dlsym, median of {args.rounds} interleaved rounds:")
    print(f"  the host's own loop: {result['loop_alone_ms']:.2f} ms alone, "
          f"{result['loop_under_run_ms']:.2f} ms under dldoctor run "
          f"({result['loop_overhead_percent']:+.1f}%)")
    print(f"  the host's own loop, fastest round: {result['loop_alone_min_ms']:.2f} ms alone, "
          f"{result['loop_under_run_min_ms']:.2f} ms under dldoctor run "
          f"({100 * (result['loop_under_run_min_ms'] / result['loop_alone_min_ms'] - 1):+.1f}%)")
    print(f"  the whole process:   {result['process_alone_ms']:.2f} ms alone, "
          f"{result['process_under_run_ms']:.2f} ms under dldoctor run "
          f"({result['process_overhead_percent']:+.1f}%)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
