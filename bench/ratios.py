#!/usr/bin/env python3
"""Turn bench_open's results (and process_times.py's) into ratios against their baselines, print
the table and write docs/benchmarks.md. Run by scripts/bench; standard library only.

Usage: ratios.py RESULTS.json BENCHMARKS.md [--processes PROCESSES.json]
                 [--loaders LOADERS.json [--musl MUSL.json]] [--scan SCAN.json]
                 [--duration SECONDS]

With --scan (bench/scan_times.py's JSON), the two targets of issue #16 join the table (a scan of
/usr in under 2 s; at most 0.1x the time of `ld.so --list` on each object) and the page gets a
section on how they were measured.

With --loaders (bench_loaders' JSON) and --musl (bench/musl_bench.py's), the page gets the
loaders' section too (bench/loaders_report.py: tables and the SVG plots, written beside the page
in docs/benchmarks/).

In bench_open, a name with a "raw" component ("BM_Open/raw/now") is a baseline; the same name
with "checked", "resolve_tree", "diagnose" or "explain_lookup" in its place is measured against
it, or, when there is no such raw name, the shorter one: BM_ExplainLookup/explain_lookup/hidden
against BM_ExplainLookup/raw (one baseline for several measured variants). Each ratio
compares medians of the repetitions' CPU time, inside one run: absolute times move from machine
to machine and run to run, ratios much less. The process comparisons (dldoctor tree against
ld.so --list and libtree) come with their targets in PROCESSES.json and compare median wall
times of interleaved rounds.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loaders_report  # noqa: E402  (the same directory)

BASELINE_SIDE = "raw"

# (family, measured side) -> (what it measures, baseline label, measured label, target ratio,
# inclusive or not). A None target: reported, not judged.
TARGETS = {
    ("BM_Open", "checked"): ("fresh load", "`dlopen`+`dlclose`", "`Library::open`", 1.02),
    ("BM_OpenLoaded", "checked"):
    ("already loaded", "`dlopen`+`dlclose`", "`Library::open`", 1.15),
    ("BM_Lookup", "checked"):
    ("lookup hit, second and later (type checked once)", "`dlsym`", "`Library::lookup<int()>`",
     1.05),
    ("BM_LookupFirst", "checked"):
    ("first typed lookup of a name (reads the file)", "`dlopen` (loaded)+`dlsym`+`dlclose`",
     "`Library::open`+`lookup<int()>`", None),
    ("BM_FailedOpen", "resolve_tree"):
    ("explain a failing load", "failing `dlopen`+`dlerror`",
     "`search::resolve_tree` (this process)", 0.25),
    ("BM_FailedOpen", "resolve_tree_fresh"):
    ("explain a failing load, as a fresh process", "failing `dlopen`+`dlerror`",
     "`search::resolve_tree` (fresh process)", None),
    ("BM_FailedOpen", "diagnose"):
    ("diagnose a failing load", "failing `dlopen`+`dlerror`", "`dldoctor::diagnose`", None),
    ("BM_LookupMiss", "checked"):
    ("lookup miss, structured error", "`dlsym`+`dlerror` (miss)", "`Library::lookup` (miss)",
     1.10),
    ("BM_VersionStage", "version_stage"):
    ("the version stage's share of a check", "`dldoctor::diagnose` of libstdc++.so.6",
     "`check_versions` on its scope", 0.10),
    ("BM_Reload", "checked"):
    ("a new build swapped in (the new build diagnosed)", "`dlopen` (new path)+`dlsym`+`dlclose` (old)",
     "`Reloader::reload`", 1.10),
    ("BM_Reload", "private_copy"):
    ("a new build swapped in from a private copy (ReloadOptions::private_copy)",
     "`dlopen` (new path)+`dlsym`+`dlclose` (old)", "`Reloader::reload`, copying", None),
    ("BM_ExplainLookup", "explain_lookup"):
    ("explain a missing symbol", "fresh `dlopen`+`dlclose`", "`Library::explain_lookup`", 0.5),
}
MEASURED_SIDES = {side for _, side in TARGETS}

# Process CPU time (user + system, so the loader's mmap and page faults count) rather than real
# time: on a busy machine, time spent preempted inflates real time and its spread, not CPU time.
TIME_FIELD = "cpu_time"

NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def side_and_key(name):
    """(the baseline or measured component | None, the name with that component as "*")."""
    parts = name.split("/")
    for i, part in enumerate(parts):
        if part == BASELINE_SIDE or part in MEASURED_SIDES:
            return part, "/".join(parts[:i] + ["*"] + parts[i + 1:])
    return None, name


def medians(benchmarks):
    """Median CPU time in ns per run name, in registration order; the "median" aggregate row
    when present, else the median of the repetitions. Runs that reported an error map to None."""
    samples, aggregates, failed, order = {}, {}, set(), {}
    for row in benchmarks:
        name = row.get("run_name", row["name"])
        position = (row.get("family_index", 0), row.get("per_family_instance_index", 0))
        order.setdefault(name, position)
        if row.get("error_occurred"):
            failed.add(name)
            continue
        ns = row[TIME_FIELD] * NS_PER_UNIT[row.get("time_unit", "ns")]
        if row.get("run_type") == "aggregate":
            if row.get("aggregate_name") == "median":
                aggregates[name] = ns
        else:
            samples.setdefault(name, []).append(ns)
    result = {name: statistics.median(values) for name, values in samples.items()}
    result.update(aggregates)
    result.update({name: None for name in failed})
    return {name: result[name] for name in sorted(result, key=order.__getitem__)}


def format_ns(ns):
    if ns is None:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.1f} ns"


def baseline_of(key, baselines):
    """(name, ns) of the raw run for a measured key ("BM_X/*/variant"): the raw run of the same
    key, else of the key without its trailing components ("BM_X/*"); (the expected name, None)
    when there is none."""
    parts = key.split("/")
    star = parts.index("*")
    for end in range(len(parts), star, -1):
        candidate = "/".join(parts[:end])
        if candidate in baselines:
            return baselines[candidate]
    return key.replace("*", BASELINE_SIDE), None


def in_process_rows(median_by_name):
    """Comparisons (dicts) for bench_open: each measured run against the raw run of its key, in
    the order the runs were registered."""
    baselines, rows = {}, []
    for name, ns in median_by_name.items():
        side, key = side_and_key(name)
        if side == BASELINE_SIDE:
            baselines[key] = (name, ns)
    for name, ns in median_by_name.items():
        side, key = side_and_key(name)
        if side is None or side == BASELINE_SIDE:
            continue
        label, baseline_label, measured_label, target = TARGETS.get(
            (key.split("/")[0], side), ("unclassified", "raw", side, None))
        baseline_name, baseline_ns = baseline_of(key, baselines)
        rows.append({
            "benchmark": f"{label} (`{name}`)",
            "baseline": f"{baseline_label} {format_ns(baseline_ns)}",
            "measured": f"{measured_label} {format_ns(ns)}",
            "baseline_ns": baseline_ns,
            "measured_ns": ns,
            "op": "<=",
            "target": target,
            "what": f"{name} / {baseline_name}",
            "invalid": [],
        })
    return rows


def process_rows(processes):
    """Comparisons (dicts) from process_times.py's JSON: median wall times."""
    rows = []
    target_file = os.path.basename(processes["library"])
    large_file = os.path.basename(processes.get("large_library") or "")
    for comparison in processes["comparisons"]:
        baseline = processes["commands"][comparison["baseline"]]
        measured = processes["commands"][comparison["measured"]]
        go = comparison.get("what") == "go"
        large = comparison.get("what") == "tree-large"
        if go:
            what = "Go plugin of another module version, as processes: the failure against its diagnosis"
        elif large:
            what = (f"dependency tree of `{large_file}` ({processes.get('large_library_objects')} "
                    "objects), as processes")
        else:
            what = (f"dependency tree of `{target_file}` ({processes.get('library_objects')} "
                    "objects), as processes")
        rows.append({
            "benchmark": what,
            "baseline": f"`{comparison['baseline']}` {format_ns(baseline['median_wall_ns'])}",
            "measured": f"`{comparison['measured']}` {format_ns(measured['median_wall_ns'])}",
            "baseline_ns": baseline["median_wall_ns"],
            "measured_ns": measured["median_wall_ns"],
            "op": comparison["op"],
            "target": comparison["target"],
            "what": f"{comparison['measured']} / {comparison['baseline']}",
            "invalid": comparison.get("invalid", processes.get("invalid", [])),
        })
    return rows


# bench/scan_times.py's two commands, as it names them.
SCAN, YARDSTICK = "dldoctor scan", "ld.so --list on each"


def project_path(path):
    """A path of this checkout as the project names it (build/lib/dldoctor), others as they are
    (/usr): the doc must read the same wherever the tree was cloned."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/"
    return path[len(root):] if path.startswith(root) else path


def load_scan(path):
    """scan_times.py's JSON, checked for what the doc reads: a clear exit, not a traceback, when
    the file is missing or is something else."""
    try:
        with open(path, encoding="utf-8") as f:
            scan = json.load(f)
    except OSError as error:
        sys.exit(f"ratios: --scan {path}: {error.strerror} (bench/scan_times.py writes it)")
    except ValueError as error:
        sys.exit(f"ratios: --scan {path}: not JSON: {error}")
    try:
        for name in (SCAN, YARDSTICK):
            for field in ("median_wall_s", "median_cpu_s", "median_user_s", "median_system_s",
                          "median_driver_cpu_s"):
                float(scan["commands"][name][field])
        for field in ("tree", "objects", "files", "elf_files", "jobs", "rounds", "ratio",
                      "ratio_per_round", "invalid"):
            scan[field]  # noqa: B018  (present, read below)
    except (KeyError, TypeError, ValueError) as error:
        sys.exit(f"ratios: --scan {path}: not bench/scan_times.py's output (no {error})")
    return scan


def why_scan_missed(scan):
    """Why the scan is not 0.1x of the yardstick, from this run's own numbers."""
    scan_cmd, yardstick = scan["commands"][SCAN], scan["commands"][YARDSTICK]
    objects, files = scan["objects"], scan["files"]
    budget = 0.1 * yardstick["median_wall_s"]
    return (f"`ld.so --list` costs {yardstick['median_cpu_s'] / objects * 1e3:.2f} ms of CPU "
            f"per object (a process started, the object and its libraries mapped), "
            f"{yardstick['median_wall_s'] / objects * 1e3:.2f} ms of wall time per object "
            f"{scan['jobs']} at a time, so 0.1x of its pass is "
            f"{budget:.2f} s, {budget / files * 1e6:.2f} µs of wall time per regular file under "
            f"`{project_path(scan['tree'])}`; the scan opens every one of those "
            f"{files:,} files to read its first bytes ({scan['elf_files']:,} are ELF, "
            f"{objects:,} of them objects) and diagnoses each library, and of its "
            f"{scan_cmd['median_cpu_s']:.2f} s of CPU, {scan_cmd['median_system_s']:.2f} s is "
            f"system time (the kernel's: the opens, the directory listings, the reads and "
            f"mappings), {scan_cmd['median_system_s'] / files * 1e6:.1f} µs per file, and "
            f"{scan_cmd['median_user_s']:.2f} s user time (reading and diagnosing the objects)")


def scan_rows(scan):
    """The two targets of issue #16 from scan_times.py's JSON: median wall times."""
    scan_cmd, yardstick = scan["commands"][SCAN], scan["commands"][YARDSTICK]
    tree = project_path(scan["tree"])
    scan_ns, yardstick_ns = scan_cmd["median_wall_s"] * 1e9, yardstick["median_wall_s"] * 1e9
    measured = f"`dldoctor scan {tree}` {format_ns(scan_ns)}"
    return [
        {
            "benchmark": (f"scan every ELF object under `{tree}` ({scan['objects']:,} objects), "
                          f"one process on {scan['cpus']} CPUs"),
            "baseline": "-",
            "measured": measured,
            "baseline_ns": None,
            "measured_ns": scan_ns,
            "absolute": "s",
            "op": "<",
            "target": 2.0,
            "what": f"dldoctor scan {tree}",
            "invalid": scan["invalid"],
        },
        {
            "benchmark": (f"the same scan against `ld.so --list` on each object "
                          f"({scan['jobs']} at a time), as processes"),
            "baseline": f"`ld.so --list` on each {format_ns(yardstick_ns)}",
            "measured": measured,
            "baseline_ns": yardstick_ns,
            "measured_ns": scan_ns,
            "op": "<=",
            "target": 0.1,
            "what": f"dldoctor scan {tree} / ld.so --list on each",
            "why": why_scan_missed(scan),
            "invalid": scan["invalid"],
        },
    ]


# Why a target is missed where the cause is known and does not change from run to run: said
# beside the miss in the doc ("Where a goal is missed, the doc says so and why", issue #15).
WHY_MISSED = {
    "BM_Reload/checked / BM_Reload/raw":
    "the reloader reads the new build's headers before it loads it (one open, fstat and two "
    "preads, the diagnosis that keeps a build that would end the process out of dlopen): some "
    "5 us of system calls on this machine, against a reload of a 3-function plugin of some 60 us; "
    "the rest of its work costs 2-3% (docs/hot-reload.md)",
    "dldoctor tree / ld.so --list":
    "on an 11-object tree the start-up of each process is most of its time (see the floors "
    "below); on the large tree, where the search weighs, dldoctor is the faster",
    "dldoctor tree / libtree":
    "as for ld.so --list: the start-up of the process, on a small tree",
}


def evaluate(rows):
    """Table rows (as strings) and the list of missed targets (as sentences). A row with an
    "absolute" unit ("s") is judged on its measured value in that unit, not on a ratio; a row's
    own "why" is said beside its miss, before WHY_MISSED's."""
    table, missed = [], []
    for row in rows:
        baseline, measured, target, op = (row["baseline_ns"], row["measured_ns"], row["target"],
                                          row["op"])
        unit, ratio = row.get("absolute"), None
        if measured is not None and unit is not None:
            ratio = measured / NS_PER_UNIT[unit]
            ratio_text = f"{ratio:.3f} {unit}"
        elif baseline is None or measured is None or baseline <= 0:
            ratio_text, verdict = "n/a", "NO DATA"
            missed.append(f"{row['what']}: a side is missing or failed, no ratio")
        else:
            ratio = measured / baseline
            ratio_text = f"{ratio:.3f}"
        if ratio is not None:
            if row["invalid"]:
                verdict = "INVALID"
                missed.append(f"{row['what']}: not the same work: " + "; ".join(row["invalid"]))
            elif target is None:
                verdict = "no target"
            elif ratio <= target if op == "<=" else ratio < target:
                verdict = "met"
            else:
                verdict = "MISSED"
                why = row.get("why") or WHY_MISSED.get(row["what"])
                missed.append(f"{row['what']} = {ratio_text}, target {op} {target:.2f}" +
                              (f" {unit}" if unit else "") + (f": {why}" if why else ""))
        target_text = f"{op} {target:.2f}" if target is not None else "-"
        if target is not None and unit:
            target_text += f" {unit}"
        table.append([row["benchmark"], row["baseline"], row["measured"], ratio_text, target_text,
                      verdict])
    return table, missed


def markdown_table(header, table):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in table]
    return "\n".join(lines)


def repetitions(benchmarks):
    counts = [row.get("repetitions", 1) for row in benchmarks]
    return max(counts) if counts else 0


def go_paragraph(processes):
    if not processes.get("go_case"):
        return ("\nThe Go comparison was not run (no Go, or the go-module-version case not "
                "built).\n")
    return """
The Go comparison runs the go-module-version case's own files: its Go host opening
`broken/p.so`, a plugin built against another version of `example.com/shared` (the Go
runtime starts, `plugin.Open` `dlopen`s the plugin, runs its module initialisation and fails the
package hash check), against `dldoctor check broken/p.so --host host`, which reads both files and
runs neither. Before timing, the host must print `plugin.Open`'s message and dldoctor must report
`go.package-version`. The target (issue #12) is that the diagnosis costs no more than
reproducing the failure.
"""


def large_paragraph(processes):
    if not processes.get("large_library"):
        return ("The large tree (`libgtk-x11-2.0.so.0`, or `BENCH_LARGE_TREE_LIBRARY`) is not "
                "installed here: its rows were not measured.\n")
    return (f"The same three commands run on a large tree too, `{processes['large_library']}` "
            f"({processes['large_library_objects']} objects in `ld.so --list`), checked alike: "
            "on a small tree the start-up of each command is most of its time, on a large one "
            "the search and the reading of each library.\n")


def process_section(processes):
    if processes is None:
        return ("The process comparisons were not run (`bench/process_times.py`, run by "
                "`scripts/bench`).\n")
    rows = []
    for name, command in processes["commands"].items():
        # Paths of this checkout as the project names them (build/lib/dldoctor): the doc must read
        # the same wherever the tree was cloned.
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/"
        argv = " ".join(command["argv"]).replace(root, "")
        rows.append([f"`{name}`", f"`{argv}`", format_ns(command["median_wall_ns"]),
                     format_ns(command["median_cpu_ns"])])
    table = markdown_table(["command", "as run", "wall median", "CPU median"], rows)
    library = processes["library"].replace(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/", "")
    return f"""The tree resolved is that of `{library}` ({processes['library_objects']}
objects in `ld.so --list`), the `libdldoctor.so` of the benchmark's build unless
`BENCH_TREE_LIBRARY` names another file: it is built with the benchmark, so every machine has it,
and its tree is a real one (libelf, libdw, libacl, libstdc++ and theirs, through `ld.so.cache`).
The `dldoctor` command itself is linked statically (lib/meson.build says why), so it has no tree.
Before timing, `bench/process_times.py` checks that every command succeeds and that
`dldoctor tree --json` names the same libraries at the same paths as `ld.so --list`.
{processes['rounds']} rounds, each running every command once in an order rotated from round to
round; each run timed with `time.perf_counter_ns` around `subprocess.run` (output to
`/dev/null`), so a time includes starting the process. Two floors are timed with them:
`/bin/true` (starting any process from the driver) and `dldoctor --version` (dldoctor's own
start-up, the part of every dldoctor command that is not its work).
{large_paragraph(processes)}
{go_paragraph(processes)}
{table}
"""


def scan_section(scan):
    """## Scanning a tree: how issue #16's two rows were measured, and their verdicts."""
    scan_cmd, yardstick = scan["commands"][SCAN], scan["commands"][YARDSTICK]
    tree, objects = project_path(scan["tree"]), scan["objects"]
    dldoctor = scan_cmd["argv"][0]
    # The build's binary as the project names it; one from elsewhere by its name only.
    dldoctor = project_path(dldoctor) if project_path(dldoctor) != dldoctor else "dldoctor"

    def cpu(command):
        return (f"{format_ns(command['median_cpu_s'] * 1e9)} "
                f"({format_ns(command['median_user_s'] * 1e9)} user, "
                f"{format_ns(command['median_system_s'] * 1e9)} system)")

    table = markdown_table(["command", "as run", "wall median", "CPU median", "wall per object"], [
        [f"`{SCAN}`", f"`{dldoctor} scan {tree}`", format_ns(scan_cmd["median_wall_s"] * 1e9),
         cpu(scan_cmd), format_ns(scan_cmd["median_wall_s"] * 1e9 / objects)],
        [f"`{YARDSTICK}`",
         f"`{' '.join(yardstick['argv'])}`, {objects:,} times, {scan['jobs']} at a time",
         format_ns(yardstick["median_wall_s"] * 1e9), cpu(yardstick),
         format_ns(yardstick["median_wall_s"] * 1e9 / objects)],
    ])
    scan_s, ratio = scan_cmd["median_wall_s"], scan["ratio"]
    if scan["invalid"]:
        verdict = ("**Invalid**: the scan's objects could not be shown to be the listing's, so "
                   "neither target is judged: " + "; ".join(scan["invalid"]) + ".")
    else:
        under = (f"under 2 s: **met** ({scan_s:.2f} s)" if scan_s < 2.0 else
                 f"under 2 s: **missed** ({scan_s:.2f} s)")
        if ratio <= 0.1:
            tenth = f"at most 0.1x `ld.so --list` on each: **met** ({ratio:.3f})."
        else:
            tenth = (f"at most 0.1x `ld.so --list` on each: **missed** ({ratio:.3f}, "
                     f"{ratio / 0.1:.1f} times the target). Why: {why_scan_missed(scan)}.")
        verdict = f"Verdicts: {under}; {tenth}"
    counted = f"the `objects` of `dldoctor scan --json {tree}`"
    if scan.get("scan_objects") is not None:  # None: the scan gave no report (then invalid)
        counted += f" ({scan['scan_objects']:,}"
        if scan.get("scan_would_not_load") is not None:
            counted += f"; {scan['scan_would_not_load']:,} of them would not load"
        counted += ")"
    rounds = ", ".join(f"{value:.3f}" for value in scan["ratio_per_round"])
    # Both passes take every core: another load on the machine moves them, the yardstick's
    # thousands of short processes the more.
    load = ""
    if scan.get("load_average"):
        before, after = (scan["load_average"][when][0] for when in ("before", "after"))
        load = (f" The one-minute load average was {before:.2f} before the rounds and "
                f"{after:.2f} after them.")
    prose = f"""Issue #16 asks that `dldoctor scan` be fast enough for a CI gate: every ELF object
under `/usr` in under 2 s on 2 cores, and at most 0.1x the time of running `ld.so --list` on
each of them. `bench/scan_times.py` (`BENCH_SCAN_TREE` names another tree than `/usr`,
`BENCH_SCAN_ROUNDS` the rounds, default 5) lists the objects of `{tree}` as the scan finds
them: regular files only, symbolic links followed neither as files nor as directories, the first
four bytes `\\x7fELF` and an `e_type` (read in the byte order `EI_DATA` names) of `ET_DYN` or
`ET_EXEC`. That is
{objects:,} objects among {scan['files']:,} regular files ({scan['elf_files']:,} of which start
as ELF). Before timing, their number must equal {counted}: the scan exits 1 when an object would
not load, which is its verdict, not a failure here; a different count marks both rows invalid.

The yardstick runs `ld.so --list OBJECT` once for every object, {scan['jobs']} processes at a
time (the scan walks and checks on every core, so the yardstick gets as many), each spawned with
`posix_spawn` (no shell), its output to `/dev/null` and its exit status ignored (it fails on
objects of another class, and that is part of its work). The scan is one process,
`dldoctor scan {tree}`, output to `/dev/null`. After a warm-up pass of each (the page cache),
{scan['rounds']} rounds, each running both in an order that alternates from round to round; each
pass is timed with `time.perf_counter_ns` around the whole of it and the children's CPU time read
from `getrusage`. Spawning and reaping the yardstick's processes costs the driver
{format_ns(yardstick['median_driver_cpu_s'] * 1e9)} of CPU a pass (median), not in the CPU
column, on the same cores during the yardstick's wall time. The ratio is that of the median wall
times, scan / yardstick: {ratio:.3f} (round by round: {rounds}).{load}"""
    # The numbers make ragged lines: each paragraph wrapped as the rest of the page is.
    paragraphs = [textwrap.fill(paragraph, width=100, break_long_words=False,
                                break_on_hyphens=False)
                  for paragraph in prose.split("\n\n") + [verdict]]
    body = "\n\n".join(paragraphs[:-1] + [table, paragraphs[-1]])
    return f"\n## Scanning a tree\n\n{body}\n"


def document(table_text, missed, context, benchmarks, processes, loaders="", scan=None):
    cpus = len(os.sched_getaffinity(0))  # what `nproc` prints
    machine = platform.machine()  # what `uname -m` prints
    mhz = f" at {context['mhz_per_cpu']} MHz" if "mhz_per_cpu" in context else ""
    date = context.get("date") or datetime.datetime.now().isoformat(timespec="seconds")
    load = " ".join(f"{value:.2f}" for value in os.getloadavg())
    summary = ("Missed targets:\n\n" + "\n".join(f"- {m}" for m in missed)
               if missed else "All targets met.")
    return f"""# Benchmarks

Generated by `scripts/bench` (do not edit by hand). A success through dldoctor must cost what the
raw loader call costs, and explaining a failure must be cheap beside the failure (DESIGN.md,
Benchmarks). `bench/bench_open.cpp` measures, in one process:

- **fresh load** (`BM_Open`): `dlopen` + `dlclose` with `RTLD_NOW` and `RTLD_LAZY` of the tiny
  plugin `bench/fixture.cpp`, nothing else holding it, so every iteration maps, relocates and
  unmaps it; against `Library::open` + destruction;
- **already loaded** (`BM_OpenLoaded`): the same while a handle is held for the whole benchmark,
  so only the reference count moves;
- **lookup hit** (`BM_Lookup`): `dlsym` against `Library::lookup<int()>` on one open handle;
  the typed lookup checks the type against the file once per name and type (signature-mismatch)
  and keeps the verdict with the address, so what is timed is every lookup after the first;
- **the first typed lookup** (`BM_LookupFirst`): a new `Library` over the loaded fixture and
  its first `lookup<int()>`, which reads the file (notes, DWARF: the fixture is built `-g`),
  against `dlopen` of the loaded file + `dlsym` + `dlclose`; reported, no target;
- **a failing load** (`BM_FailedOpen`): `dlopen` + `dlerror` of `bench/missing_dep.cpp`, a
  plugin that needs `libbench_gone.so`, which is on no search path (it is built in
  `bench/gone/`), so the load fails with `libbench_gone.so: cannot open shared object file`;
  against `search::resolve_tree` of the same plugin as this process would `dlopen` it
  (`TreeRequest::this_process`: the objects already loaded answer by name, read from the
  loader's own mapped dynamic sections, and the system directories found missing by an earlier
  resolution stay missing, as rtld's search-path status does), the same as a fresh process (no
  host: the model of `ld.so --list`, which reads every dependency's file; no target), and
  against `dldoctor::diagnose` of it. Each benchmark checks first that the load fails with that
  message and that the tree and the diagnosis blame `libbench_gone.so`. In a process that
  repeats the failing `dlopen`, glibc remembers which system directories do not exist and
  tries only the ones that do; this baseline is that warm path;
- **a lookup miss** (`BM_LookupMiss`): on one open handle of `bench_symbols` (below), `dlsym` +
  `dlerror` of `dldoctor_bench_hidden`, a name the plugin defines but does not export, against
  `Library::lookup<int(int)>` of it, which returns its structured error (a `LookupError` holding
  a copy of `dlerror()`'s message inline, no heap allocation, no file read; its `report()` is one
  `symbol.not-found` finding quoting the message) and destroys it. Each side checks first that the
  miss is one (`dlerror()` says `undefined symbol: dldoctor_bench_hidden`), and the checked side
  that its error and report quote that message;
- **explaining a missing symbol** (`BM_ExplainLookup`): `Library::explain_lookup`, which reads
  the loaded file and says why the name is not exported, against a fresh `dlopen` + `dlclose`
  (`RTLD_NOW`) of the same plugin. The plugin, `bench_symbols`, is generated by
  `bench/gen_symbols.py`: 300 exported `extern "C"` functions and one, `dldoctor_bench_hidden`,
  left hidden by `-fvisibility=hidden`; it has a `.dynsym` of some 300 entries, a `.symtab` and
  DWARF, and no relocations to speak of, so its load is close to the loader's fixed cost (a
  demanding baseline). `explain_lookup` reads the file's headers and symbol tables in place
  (a file of this size in one read) and materialises only the entries its finding cites. Two
  names: `hidden` (`dldoctor_bench_hidden`: expected `symbol.hidden` with its `.symtab` entry; the
  diagnosis also reads `DW_AT_producer` of the compile unit `.debug_aranges` assigns the symbol
  to, for the flag) and `absent` (`dldoctor_bench_fn_42`, a typo: expected `symbol.not-found`
  offering `dldoctor_bench_fn_042`, from an edit distance to every exported name). Both are
  checked before timing.

Each in-process time is the median CPU time (user + system) of {repetitions(benchmarks)}
repetitions, interleaved in random order; the ratio is measured / baseline inside this one run
(absolute times are noisy, ratios much less). The process rows compare median wall times, see
below.

Machine: {cpus} CPUs (`nproc`), `{machine}` (`uname -m`){mhz}, load average {load} when this was
written (a busy machine moves the ratios). Run of {date}. Google Benchmark
reports its own library build as `{context.get("library_build_type", "unknown")}`.

Reproduce: `scripts/bench` (environment: `BENCH_REPETITIONS`, default 10; `BENCH_MIN_TIME`;
`BENCH_ROUNDS`, default 30, the process rounds; `BENCH_TREE_LIBRARY`; `BENCH_BUILD_DIR`).
`scripts/bench --quick` runs every loader benchmark once, briefly, and checks each one's
precondition, never a time (also the test `bench-quick`, suite `bench`, in `scripts/test`'s run);
it writes to the build directory only.

{table_text}

{summary}

## The processes

{process_section(processes)}{scan_section(scan) if scan is not None else ""}
{loaders}"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="bench_open --benchmark_out JSON")
    parser.add_argument("output", help="Markdown page to write (docs/benchmarks.md)")
    parser.add_argument("--processes", help="process_times.py --out JSON")
    parser.add_argument("--loaders", help="bench_loaders --benchmark_out JSON")
    parser.add_argument("--musl", help="musl_bench.py --out JSON")
    parser.add_argument("--scan", help="scan_times.py --out JSON")
    parser.add_argument("--duration", type=int, help="seconds the whole run took")
    args = parser.parse_args()

    with open(args.results, encoding="utf-8") as f:
        results = json.load(f)
    benchmarks = results.get("benchmarks", [])
    processes = None
    if args.processes:
        with open(args.processes, encoding="utf-8") as f:
            processes = json.load(f)

    scan = load_scan(args.scan) if args.scan else None

    rows = in_process_rows(medians(benchmarks))
    if processes is not None:
        rows += process_rows(processes)
    if scan is not None:
        rows += scan_rows(scan)
    if not rows:
        sys.exit(f"{args.results}: no baseline/measured pairs found")
    table, missed = evaluate(rows)

    header = ["benchmark", "baseline", "measured", "ratio", "target", "verdict"]
    table_text = markdown_table(header, table)
    print(table_text)
    print()
    if missed:
        for sentence in missed:
            print(f"MISSED TARGET: {sentence}")
    else:
        print("All targets met.")

    loaders = ""
    if args.loaders:
        with open(args.loaders, encoding="utf-8") as f:
            loader_results = json.load(f)
        musl = None
        if args.musl:
            with open(args.musl, encoding="utf-8") as f:
                musl = json.load(f)
        doc_dir = os.path.dirname(os.path.abspath(args.output))
        duration = (f"{args.duration // 60} min {args.duration % 60} s"
                    if args.duration is not None else "an unrecorded time")
        loaders = loaders_report.section(loader_results.get("benchmarks", []), musl,
                                         os.path.join(doc_dir, "benchmarks"), doc_dir,
                                         repetitions(loader_results.get("benchmarks", [])),
                                         duration)
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(document(table_text, missed, results.get("context", {}), benchmarks, processes,
                         loaders, scan))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
