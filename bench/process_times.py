#!/usr/bin/env python3
"""Time `dldoctor tree LIB` against `ld.so --list LIB` and `libtree LIB` as whole processes,
interleaved in one run, and write the medians as JSON. Run by scripts/bench; standard library
only (run it with /usr/bin/python3).

Usage: process_times.py --dldoctor PATH --library PATH [--large-library PATH] [--go-case DIR]
                        [--rounds N] --out PROCESSES.json

With --large-library, the same three tree commands on a second, larger tree (some 50 objects:
libgtk-x11-2.0.so.0 where it is installed): the start-up weighs less there, the search more.

DESIGN.md (Benchmarks) compares the dependency tree against ld.so --list and libtree as
processes. Each round runs every command once, in an order rotated from round to round, so a slow
spell of the machine lands on all of them alike; each run is timed with time.perf_counter_ns
around subprocess.run (stdout and stderr to /dev/null), and the child's CPU time (user + system,
from getrusage) is recorded beside it. Two floors are timed with them: /bin/true (what starting
any process from here costs) and `dldoctor --version` (dldoctor's own start-up: loading and
relocating its libraries, parsing the command line), so a ratio can be read against them.

Before timing, every command is run once and checked: each must exit as expected, and the tree
dldoctor prints (--json) must name the same libraries, at the same paths, as ld.so --list; a
comparison of different work is marked invalid in the JSON (and so in docs/benchmarks.md).

With --go-case (the build directory of cases/version-conflict/go-module-version), a second
comparison: the Go host failing to open the plugin built against another module version (the
Go runtime's start, plugin.Open, its dlopen and hash check: the cost of reproducing the failure)
against `dldoctor check PLUGIN --host HOST` (the cost of diagnosing it without running either).
Both must exit 1, the host with plugin.Open's message and dldoctor with a go.package-version
finding; the target is at most 1.0 (issue #12: the diagnosis is cheaper than the failure).
"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time

# The x86_64 loader, run as a program (`ld.so --list` is what ldd runs).
LD_SO = "/lib64/ld-linux-x86-64.so.2"

# (baseline command, measured command, comparison, target, what): the targets. The tree's
# (DESIGN.md, Benchmarks), and with a Go case the Go diagnosis's (issue #12).
TREE_COMPARISONS = [
    ("ld.so --list", "dldoctor tree", "<=", 1.0, "tree"),
    ("libtree", "dldoctor tree", "<", 1.0, "tree"),
]
LARGE = " (large tree)"
LARGE_TREE_COMPARISONS = [
    ("ld.so --list" + LARGE, "dldoctor tree" + LARGE, "<=", 1.0, "tree-large"),
    ("libtree" + LARGE, "dldoctor tree" + LARGE, "<", 1.0, "tree-large"),
]
GO_COMPARISONS = [
    ("go host: plugin.Open fails", "dldoctor check --host", "<=", 1.0, "go"),
]
# The exit status each command must give (0 when not named).
EXPECTED_STATUS = {"go host: plugin.Open fails": 1, "dldoctor check --host": 1}


def commands(dldoctor, library, go_case, large_library=None):
    """Name -> argv, in the order of the first round."""
    argv_by_name = {
        "true": ["/bin/true"],
        "dldoctor --version": [dldoctor, "--version"],
        "ld.so --list": [LD_SO, "--list", library],
        "libtree": ["libtree", library],
        "dldoctor tree": [dldoctor, "tree", library],
    }
    if large_library:
        argv_by_name["ld.so --list" + LARGE] = [LD_SO, "--list", large_library]
        argv_by_name["libtree" + LARGE] = ["libtree", large_library]
        argv_by_name["dldoctor tree" + LARGE] = [dldoctor, "tree", large_library]
    if go_case:
        host, plugin = os.path.join(go_case, "host"), os.path.join(go_case, "broken", "p.so")
        argv_by_name["go host: plugin.Open fails"] = [host, plugin, "Answer"]
        argv_by_name["dldoctor check --host"] = [dldoctor, "check", plugin, "--host", host]
    return argv_by_name


def check_go(argv_by_name):
    """Problems that make the Go comparison invalid: the two must be about the same failure."""
    problems = []
    host = subprocess.run(argv_by_name["go host: plugin.Open fails"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if "plugin was built with a different version of package" not in host.stdout:
        problems.append(f"the Go host did not fail in plugin.Open's hash check: {host.stdout[:200]}")
    report = subprocess.run(argv_by_name["dldoctor check --host"] + ["--json"],
                            stdout=subprocess.PIPE, text=True)
    try:
        codes = [finding["code"] for finding in json.loads(report.stdout)["findings"]]
    except (ValueError, KeyError):
        codes = []
    if "go.package-version" not in codes:
        problems.append(f"dldoctor check --host found no go.package-version: {codes}")
    return problems


def ld_so_list(output):
    """{name: realpath} from `ld.so --list` output, without the vDSO (no file)."""
    found = {}
    for line in output.splitlines():
        line = line.strip()
        match = re.match(r"^(\S+) => (\S+) \(0x[0-9a-f]+\)$", line)
        if match:
            found[match.group(1)] = os.path.realpath(match.group(2))
            continue
        match = re.match(r"^(/\S+) \(0x[0-9a-f]+\)$", line)  # the interpreter, by path
        if match:
            found[os.path.basename(match.group(1))] = os.path.realpath(match.group(1))
    return found


def dldoctor_tree(output):
    """{name: realpath} of every library in `dldoctor tree --json` output (not the root)."""
    found = {}

    def walk(node, is_root):
        if not is_root:
            path = node.get("path")
            found[node["name"]] = os.path.realpath(path) if path else None
        for child in node.get("needs", []):
            walk(child, False)

    walk(json.loads(output)["root"], True)
    return found


def check(argv_by_name, dldoctor, library):
    """Runs each command once (also warming the page cache). Returns (expected exit status by
    name, list of problems that make the tree comparison invalid)."""
    expected = {}
    for name, argv in argv_by_name.items():
        run = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if run.returncode != EXPECTED_STATUS.get(name, 0):
            sys.exit(f"process_times: `{' '.join(argv)}` exited {run.returncode}, not "
                     f"{EXPECTED_STATUS.get(name, 0)}: {run.stderr.strip()[:400]}")
        expected[name] = run.returncode
    problems, objects = check_tree(dldoctor, library)
    return expected, problems, objects


def check_tree(dldoctor, library):
    """(problems that make the tree comparison invalid, objects ld.so --list names)."""
    problems = []
    listed = ld_so_list(subprocess.run([LD_SO, "--list", library], stdout=subprocess.PIPE,
                                       text=True, check=True).stdout)
    tree = subprocess.run([dldoctor, "tree", "--json", library], stdout=subprocess.PIPE, text=True)
    modelled = dldoctor_tree(tree.stdout)
    if listed != modelled:
        for name in sorted(set(listed) | set(modelled)):
            if listed.get(name) != modelled.get(name):
                problems.append(f"{name}: ld.so --list {listed.get(name, 'absent')}, "
                                f"dldoctor tree {modelled.get(name, 'absent')}")
    return problems, len(listed)


def time_once(argv):
    """(wall ns, child CPU ns, exit status) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter_ns()
    run = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter_ns() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, round(cpu * 1e9), run.returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dldoctor", required=True, help="the dldoctor executable")
    parser.add_argument("--library", required=True, help="the file whose tree is resolved")
    parser.add_argument("--large-library", help="a second file, with a large tree")
    parser.add_argument("--go-case", help="build directory of the go-module-version case")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args()

    for tool in (LD_SO, args.dldoctor):
        if not os.access(tool, os.X_OK):
            sys.exit(f"process_times: {tool} is not an executable")
    if shutil.which("libtree") is None:
        sys.exit("process_times: libtree is not installed (scripts/setup installs it)")
    dldoctor = os.path.abspath(args.dldoctor)
    library = os.path.abspath(args.library)
    go_case = os.path.abspath(args.go_case) if args.go_case else None
    large_library = os.path.abspath(args.large_library) if args.large_library else None
    argv_by_name = commands(dldoctor, library, go_case, large_library)
    comparisons = (TREE_COMPARISONS + (LARGE_TREE_COMPARISONS if large_library else []) +
                   (GO_COMPARISONS if go_case else []))

    expected, problems, objects = check(argv_by_name, dldoctor, library)
    large_problems, large_objects = (check_tree(dldoctor, large_library) if large_library
                                     else ([], 0))
    go_problems = check_go(argv_by_name) if go_case else []
    names = list(argv_by_name)
    samples = {name: {"wall_ns": [], "cpu_ns": []} for name in names}
    for round_index in range(args.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            wall, cpu, status = time_once(argv_by_name[name])
            if status != expected[name]:
                sys.exit(f"process_times: `{' '.join(argv_by_name[name])}` exited {status} "
                         f"in round {round_index}, {expected[name]} before")
            samples[name]["wall_ns"].append(wall)
            samples[name]["cpu_ns"].append(cpu)

    result = {
        "library": library,
        "library_objects": objects,  # what ld.so --list names, the vDSO aside
        "large_library": large_library,
        "large_library_objects": large_objects,
        "rounds": args.rounds,
        "machine": platform.machine(),
        "commands": {
            name: {
                "argv": argv_by_name[name],
                "wall_ns": samples[name]["wall_ns"],
                "cpu_ns": samples[name]["cpu_ns"],
                "median_wall_ns": statistics.median(samples[name]["wall_ns"]),
                "median_cpu_ns": statistics.median(samples[name]["cpu_ns"]),
            }
            for name in names
        },
        "go_case": go_case,
        "comparisons": [
            {"baseline": baseline, "measured": measured, "op": op, "target": target,
             "what": what,
             "invalid": {"tree": problems, "tree-large": large_problems}.get(what, go_problems)}
            for baseline, measured, op, target, what in comparisons
        ],
        "invalid": problems,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)

    print(f"process times: {args.rounds} interleaved rounds, tree of {library} "
          f"({objects} objects)")
    for name in names:
        command = result["commands"][name]
        print(f"  {name:20} wall {command['median_wall_ns'] / 1e6:7.3f} ms   "
              f"cpu {command['median_cpu_ns'] / 1e6:7.3f} ms   ({' '.join(argv_by_name[name])})")
    for baseline, measured, op, target, _ in comparisons:
        ratio = (result["commands"][measured]["median_wall_ns"] /
                 result["commands"][baseline]["median_wall_ns"])
        met = ratio <= target if op == "<=" else ratio < target
        print(f"  {measured} / {baseline} = {ratio:.3f} (target {op} {target:.2f}: "
              f"{'met' if met else 'MISSED'})")
    for problem in problems:
        print(f"  INVALID: dldoctor tree and ld.so --list differ: {problem}")
    for problem in go_problems:
        print(f"  INVALID: the Go comparison: {problem}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
