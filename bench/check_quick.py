#!/usr/bin/env python3
"""The smoke test of the loader benchmarks (scripts/bench --quick, and Meson's test bench-quick):
run every benchmark once, briefly, and check that it ran and that its precondition held; never a
time. Standard library only.

Usage: check_quick.py --bench-loaders PATH --plugins DIR --musl-driver PATH|'' --out DIR

What is checked: bench_loaders and musl_driver each check their benchmark's precondition before
timing it (the plugin of N functions has N exported functions and the hash tables and
-Bsymbolic of its variant, and its call chain runs through every PLT call; the chain of K loads
K objects; each failure fails with the loader's own message; the crowd loads; the lookups find
the table's entry or nothing; the plugin is unloaded after each fresh load), and report a
failed one as an error row. Here: every expected benchmark is present and has no error; every
load has its per-load counters (page faults always; system calls where the kernel allows the
tracepoint counter, else a note), and the counter gives the floor exactly the system calls it
makes; the musl rows come from a process whose PT_INTERP is musl's
loader and in whose /proc/self/maps musl's libc is mapped. Exits 1 on any failure, with each
one listed. Writes its JSON to DIR (the build tree), never docs/.
"""

import argparse
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import musl_bench  # noqa: E402  (the same directory)

# As bench_loaders.cpp and bench/loaders/meson.build.
SYMBOL_COUNTS = [10, 100, 1000, 10000]
VARIANTS = ["gnu", "sysv", "both", "symbolic"]
MODES = ["now", "lazy"]
CHAIN_LENGTHS = [1, 2, 4, 8, 16, 32]
CROWD_SIZES = musl_bench.CROWD_SIZES
FAILURES = ["enoent", "bare-name", "missing-dependency"]
API = [f"Api/{side}/{what}" for what in ("open-get", "get")
       for side in ("raw", "dldoctor", "dldoctor-typed", "boost")]


def expected_names(loader):
    names = []
    for count in SYMBOL_COUNTS:
        names += [f"Load/{loader}/{mode}/{variant}/{count}" for variant in VARIANTS
                  for mode in MODES]
        names += [f"Dlsym/{loader}/{scope}/{what}/{count}" for scope in ("handle", "default")
                  for what in ("hit", "miss")]
        names.append(f"Floor/{count}" if loader == "glibc" else f"Floor-musl/{count}")
    names.append(f"LoadLoaded/{loader}/10")
    names += [f"Fail/{loader}/{what}" for what in FAILURES]
    names += [f"Crowd/{loader}/{what}/{n}" for n in CROWD_SIZES
              for what in ("open", "dlsym-default-hit", "dlsym-default-miss")]
    if loader == "glibc":
        names += [f"Chain/glibc/now/{k}" for k in CHAIN_LENGTHS]
        names += [f"Floor/chain/{k}" for k in CHAIN_LENGTHS]
        names += API
        names += [f"Dlsym/dldoctor-typed/handle/hit/{count}" for count in SYMBOL_COUNTS]
    return names


def counted(name):
    """Benchmarks that report per-load counters (the loads and the floors, not the lookups)."""
    return name.split("/")[0] in ("Load", "Floor", "Floor-musl", "LoadLoaded", "Fail", "Chain") \
        or name.startswith("Crowd/") and "/open/" in name


def load_segments(path):
    """PT_LOAD entries of a 64-bit little-endian ELF file's program header table."""
    with open(path, "rb") as f:
        header = f.read(64)
        phoff, = struct.unpack_from("<Q", header, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return sum(1 for i in range(phnum) if struct.unpack_from("<I", table, i * phentsize)[0] == 1)


def check_counter(rows, plugins, problems):
    """The system-call counter counts what it should: the floor of the N-function plugin makes
    open, pread, fstat, the reserving mmap, one mmap per PT_LOAD, munmap and close, nothing
    more (glibc's wrappers make one system call each)."""
    for row in rows:
        name = row["name"]
        if not name.startswith("Floor/") or name.count("/") != 1 or "syscalls" not in row:
            continue
        count = name.split("/")[1]
        expected = 6 + load_segments(os.path.join(plugins, f"libsym_gnu_{count}.so"))
        if round(row["syscalls"]) != expected:
            problems.append(f"{name}: the counter saw {row['syscalls']} system calls per floor, "
                            f"not {expected}")


def check_rows(loader, rows, problems, notes):
    by_name = {}
    for row in rows:
        if row.get("run_type", "iteration") == "iteration":
            by_name.setdefault(row["name"], []).append(row)
    for name in expected_names(loader):
        if name not in by_name:
            problems.append(f"{name}: did not run")
            continue
        for row in by_name[name]:
            if row.get("error_occurred"):
                problems.append(f"{name}: {row.get('error_message', 'error')}")
            elif counted(name):
                if "faults" not in row:
                    problems.append(f"{name}: no page-fault counter")
                if "syscalls" not in row:
                    notes.add(f"{loader}: system calls not counted (perf_event_open refused)")
    extra = sorted(set(by_name) - set(expected_names(loader)))
    for name in extra:
        problems.append(f"{name}: ran but check_quick.py does not know it (keep the lists in "
                        "step)")
    return len(by_name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench-loaders", required=True)
    parser.add_argument("--plugins", required=True)
    parser.add_argument("--musl-driver", default="")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    problems, notes = [], set()

    glibc_out = os.path.join(args.out, "loaders.json")
    run = subprocess.run([args.bench_loaders, "--plugins", args.plugins,
                          "--benchmark_min_time=0.001", "--benchmark_repetitions=1",
                          f"--benchmark_out={glibc_out}", "--benchmark_out_format=json"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=musl_bench.clean_environment())
    if run.returncode != 0:
        problems.append(f"bench_loaders exited {run.returncode}: {run.stderr[-400:]}")
    else:
        with open(glibc_out, encoding="utf-8") as f:
            rows = json.load(f)["benchmarks"]
        ran = check_rows("glibc", rows, problems, notes)
        check_counter(rows, args.plugins, problems)
        print(f"glibc: {ran} benchmarks ran")

    if not args.musl_driver:
        print("SKIP musl: musl-gcc is not installed (Debian: musl-tools), its loader is not "
              "benchmarked")
    else:
        musl_out = os.path.join(args.out, "musl.json")
        context, rows = musl_bench.run(args.musl_driver, args.plugins, musl_out, repetitions=1,
                                       iterations=2, min_time=0.001)
        if not context["musl_mapped"]:
            problems.append("musl_driver: musl's libc is not in /proc/self/maps")
        if context["interp"] != ["/lib/ld-musl-x86_64.so.1"]:
            problems.append(f"musl_driver: PT_INTERP is {context['interp']}, not musl's loader")
        ran = check_rows("musl", rows, problems, notes)
        print(f"musl {context['musl_version']}: {ran} benchmarks ran under "
              f"{', '.join(context['interp'])}")

    for note in sorted(notes):
        print(f"NOTE {note}")
    for problem in problems:
        print(f"FAILED {problem}")
    if problems:
        print(f"{len(problems)} failed preconditions")
        return 1
    print("every benchmark ran and its precondition held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
