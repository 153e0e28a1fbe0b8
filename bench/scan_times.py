#!/usr/bin/env python3
"""Time `dldoctor scan TREE` against `ld.so --list` run on each ELF object of the tree, interleaved
in one run, and write the medians as JSON. Run by scripts/bench; standard library only (run it
with /usr/bin/python3).

Usage: scan_times.py --dldoctor PATH [--tree DIR] [--rounds N] [--jobs N] --out SCAN.json

Issue #16: a scan is to be fast enough for a CI gate, every ELF object under /usr in under 2 s
on 2 cores, and at most 0.1x the time of running `ld.so --list` on each of them.

The objects are listed here as `dldoctor scan` finds them (lib/cli/elf_walk.cpp, scan.cpp):
regular files only, symbolic links followed neither as files nor as directories, the first four
bytes \\x7fELF, and an ELF header whose e_type (read in the byte order EI_DATA names) is ET_DYN
or ET_EXEC. Before timing, their number must equal the "objects" of `dldoctor scan --json TREE`
(which exits 1 when some object would not load: that is its verdict, not a failure here); when
the two differ, the comparison is of different work and is marked invalid in the JSON (and so in
docs/benchmarks.md). One known way they differ: a file with the magic whose EI_DATA names no
byte order is not counted here, while the scan counts it (and reports it mode.malformed-elf).

Two commands are timed. (A) `dldoctor scan TREE` as one process, which walks and checks on every
core. (B) the yardstick: `ld.so --list OBJECT` for every object, --jobs processes at a time (the
number of cores by default: the scan uses them all, so the yardstick gets the same), each spawned
with os.posix_spawn (no shell), its output to /dev/null and its exit status ignored (ld.so
--list fails on objects of another class, a program without an interpreter, and so on: that is
part of its work). Each pass is timed with time.perf_counter_ns around the whole of it; the CPU
time of the children (user and system, from getrusage(RUSAGE_CHILDREN) before and after) is
recorded beside it, and for the yardstick this driver's own CPU time too (spawning and reaping
some 3,000 processes is not free). After one warm-up pass of each (the page cache, the
directory entries), each round runs both, in an order that alternates from round to round
(A B, B A, ...), so a slow spell of the machine lands on both alike. The ratio is that of the
median wall times, scan / yardstick; the ratio of each round's pair is recorded too.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import struct
import subprocess
import sys
import time

# The x86_64 loader, run as a program (`ld.so --list` is what ldd runs).
LD_SO = "/lib64/ld-linux-x86-64.so.2"

SCAN = "dldoctor scan"
YARDSTICK = "ld.so --list on each"

ELF_MAGIC = b"\x7fELF"
EI_DATA = 5
ELFDATA2LSB, ELFDATA2MSB = 1, 2
ET_EXEC, ET_DYN = 2, 3
# e_ident (16 bytes) and e_type (2): all of the header that says what the object is.
HEADER_BYTES = 18

# Opened as the scan opens them: a link is not followed, a FIFO does not block the walk.
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def elf_type(header):
    """e_type of an ELF header's first HEADER_BYTES bytes, or None when they are not one (no
    magic, too short, an EI_DATA that names no byte order)."""
    if len(header) < HEADER_BYTES or header[:4] != ELF_MAGIC:
        return None
    order = {ELFDATA2LSB: "<", ELFDATA2MSB: ">"}.get(header[EI_DATA])
    if order is None:
        return None
    return struct.unpack_from(order + "H", header, 16)[0]


def list_objects(tree):
    """(sorted paths of the loadable ELF objects under tree, counts) as `dldoctor scan` walks
    it. counts: regular files opened, ELF files among them, directories that could not be
    listed."""
    objects, counts = [], {"files": 0, "elf_files": 0, "unreadable_directories": 0}
    pending = [tree]  # the tree itself may be a link (scan stat()s what it is given); not below
    while pending:
        directory = pending.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            counts["unreadable_directories"] += 1
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                if not entry.is_file(follow_symlinks=False):
                    continue
            except OSError:
                continue
            counts["files"] += 1
            try:
                fd = os.open(entry.path, OPEN_FLAGS)
            except OSError:
                continue  # unreadable: the scan cannot open it either
            try:
                header = os.pread(fd, HEADER_BYTES, 0)
            except OSError:
                header = b""
            finally:
                os.close(fd)
            if header[:4] == ELF_MAGIC:
                counts["elf_files"] += 1
            if elf_type(header) in (ET_DYN, ET_EXEC):
                objects.append(entry.path)
    objects.sort()
    return objects, counts


def check_count(dldoctor, tree, listed):
    """(the scan's own "objects" and "would_not_load", problems that make the comparison
    invalid): the scan must count the objects listed here."""
    run = subprocess.run([dldoctor, "scan", "--json", tree], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        report = json.loads(run.stdout)
        scanned, broken = report["objects"], report.get("would_not_load")
    except (ValueError, KeyError, TypeError):
        stderr = run.stderr.strip()[:300]
        return None, None, [f"`dldoctor scan --json {tree}` exited {run.returncode} without a "
                            f"JSON report with \"objects\"" + (f": {stderr}" if stderr else "")]
    if scanned != listed:
        return scanned, broken, [f"dldoctor scan counts {scanned} objects under {tree}, the "
                                 f"listing here {listed}: not the same objects"]
    return scanned, broken, []


def children_cpu():
    """(user, system) seconds of the reaped children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime, usage.ru_stime


def self_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Spawner:
    """posix_spawn with stdout and stderr on /dev/null, in this process's environment."""

    def __init__(self):
        self.null = os.open(os.devnull, os.O_WRONLY | os.O_CLOEXEC)
        self.actions = [(os.POSIX_SPAWN_DUP2, self.null, 1), (os.POSIX_SPAWN_DUP2, self.null, 2)]
        self.environment = dict(os.environ)

    def spawn(self, argv):
        return os.posix_spawn(argv[0], argv, self.environment, file_actions=self.actions)


def timed(run):
    """(wall s, children's user s, children's system s, this process's CPU s) of run()."""
    user, system = children_cpu()
    own = self_cpu()
    start = time.perf_counter_ns()
    run()
    wall = time.perf_counter_ns() - start
    user_after, system_after = children_cpu()
    return wall / 1e9, user_after - user, system_after - system, self_cpu() - own


def scan_pass(spawner, dldoctor, tree):
    """One `dldoctor scan TREE`; its status (1 when an object would not load) is the scan's
    verdict, not checked here."""
    os.waitpid(spawner.spawn([dldoctor, "scan", tree]), 0)


def yardstick_pass(spawner, objects, jobs):
    """`ld.so --list OBJECT` for every object, jobs at a time; exit statuses ignored."""
    running = set()
    for path in objects:
        if len(running) >= jobs:
            pid, _ = os.waitpid(-1, 0)
            running.discard(pid)
        running.add(spawner.spawn([LD_SO, "--list", path]))
    while running:
        pid, _ = os.waitpid(-1, 0)
        running.discard(pid)


def summary(samples):
    return {
        "wall_s": samples["wall_s"],
        "median_wall_s": statistics.median(samples["wall_s"]),
        "cpu_s": samples["cpu_s"],
        "median_cpu_s": statistics.median(samples["cpu_s"]),
        "median_user_s": statistics.median(samples["user_s"]),
        "median_system_s": statistics.median(samples["system_s"]),
        "median_driver_cpu_s": statistics.median(samples["driver_s"]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dldoctor", required=True, help="the dldoctor executable")
    parser.add_argument("--tree", default="/usr", help="the directory scanned (default /usr)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=os.cpu_count(),
                        help="ld.so --list processes at a time (default: the cores)")
    parser.add_argument("--out", required=True, help="JSON file to write")
    args = parser.parse_args()
    if args.rounds < 1 or args.jobs < 1:
        sys.exit("scan_times: --rounds and --jobs must be at least 1")
    for tool in (LD_SO, args.dldoctor):
        if not os.access(tool, os.X_OK):
            sys.exit(f"scan_times: {tool} is not an executable")
    if not os.path.isdir(args.tree):
        sys.exit(f"scan_times: {args.tree} is not a directory")
    dldoctor = os.path.abspath(args.dldoctor)
    tree = os.path.abspath(args.tree)

    objects, counts = list_objects(tree)
    if not objects:
        sys.exit(f"scan_times: no ELF object under {tree}")
    scanned, broken, invalid = check_count(dldoctor, tree, len(objects))

    spawner = Spawner()
    passes = {
        SCAN: lambda: scan_pass(spawner, dldoctor, tree),
        YARDSTICK: lambda: yardstick_pass(spawner, objects, args.jobs),
    }
    for run in passes.values():  # warm-up: the page cache and the directory entries
        run()
    names = list(passes)
    # Both passes use every core: another user of the machine moves them (the yardstick's many
    # short processes the more), so the load is kept with the times.
    load_before = os.getloadavg()
    samples = {name: {"wall_s": [], "cpu_s": [], "user_s": [], "system_s": [], "driver_s": []}
               for name in names}
    for round_index in range(args.rounds):
        order = names if round_index % 2 == 0 else names[::-1]
        for name in order:
            wall, user, system, driver = timed(passes[name])
            samples[name]["wall_s"].append(wall)
            samples[name]["cpu_s"].append(user + system)
            samples[name]["user_s"].append(user)
            samples[name]["system_s"].append(system)
            samples[name]["driver_s"].append(driver)

    commands = {name: summary(samples[name]) for name in names}
    commands[SCAN]["argv"] = [dldoctor, "scan", tree]
    commands[YARDSTICK]["argv"] = [LD_SO, "--list", "OBJECT"]
    commands[YARDSTICK]["processes"] = len(objects)
    scan_s = commands[SCAN]["median_wall_s"]
    ratio = scan_s / commands[YARDSTICK]["median_wall_s"]
    result = {
        "tree": tree,
        "objects": len(objects),
        "scan_objects": scanned,  # the scan's own count, which must equal "objects"
        "scan_would_not_load": broken,
        **counts,
        "jobs": args.jobs,
        "cpus": len(os.sched_getaffinity(0)),
        "rounds": args.rounds,
        "machine": platform.machine(),
        "load_average": {"before": load_before, "after": os.getloadavg()},
        "commands": commands,
        "ratio": ratio,
        "ratio_per_round": [scan / listing for scan, listing in
                            zip(samples[SCAN]["wall_s"], samples[YARDSTICK]["wall_s"])],
        "targets": [
            {"what": "scan under 2 s", "value": scan_s, "op": "<", "target": 2.0,
             "met": scan_s < 2.0},
            {"what": "scan / ld.so --list on each", "value": ratio, "op": "<=", "target": 0.1,
             "met": ratio <= 0.1},
        ],
        "invalid": invalid,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)

    print(f"scan times: {args.rounds} interleaved rounds, {len(objects)} objects under {tree} "
          f"({counts['files']} regular files), {args.jobs} ld.so --list at a time")
    for name in names:
        command = commands[name]
        print(f"  {name:22} wall {command['median_wall_s']:7.3f} s   "
              f"cpu {command['median_cpu_s']:7.3f} s (user {command['median_user_s']:.3f}, "
              f"system {command['median_system_s']:.3f})")
    for target in result["targets"]:
        print(f"  {target['what']}: {target['value']:.3f} (target {target['op']} "
              f"{target['target']}: {'met' if target['met'] else 'MISSED'})")
    for problem in invalid:
        print(f"  INVALID: {problem}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
