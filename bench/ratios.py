#!/usr/bin/env python3
"""Pair bench_open's raw and checked benchmarks, print checked/raw ratios of medians, and write
docs/benchmarks.md. Run by scripts/bench; standard library only.

Usage: ratios.py RESULTS.json BENCHMARKS.md

A name with a "raw" component ("BM_Open/raw/now") pairs with the same name with "checked" in
its place. The ratio compares medians of the repetitions' CPU time, inside one run: absolute
times move from machine to machine and run to run, ratios much less.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys

# Benchmark family (first name component) -> (what it measures, target for checked / raw).
TARGETS = {
    "BM_Open": ("fresh load", 1.02),
    "BM_OpenLoaded": ("already loaded", 1.15),
    "BM_Lookup": ("lookup hit", 1.05),
}

# Process CPU time (user + system, so the loader's mmap and page faults count) rather than real
# time: on a busy machine, time spent preempted inflates real time and its spread, not CPU time.
TIME_FIELD = "cpu_time"

NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def side_and_key(name):
    """("raw" | "checked" | None, the name with that component replaced by "*")."""
    parts = name.split("/")
    for i, part in enumerate(parts):
        if part in ("raw", "checked"):
            return part, "/".join(parts[:i] + ["*"] + parts[i + 1 :])
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


def pairs(median_by_name):
    """Rows (key, raw ns, checked ns), in the order of the medians given."""
    by_key = {}
    for name, ns in median_by_name.items():
        side, key = side_and_key(name)
        if side is not None:
            by_key.setdefault(key, {})[side] = ns
    return [(key, sides.get("raw"), sides.get("checked")) for key, sides in by_key.items()]


def format_ns(ns):
    if ns is None:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.1f} ns"


def evaluate(rows):
    """Table rows (as strings) and the list of missed targets (as sentences)."""
    table, missed = [], []
    for key, raw, checked in rows:
        label, target = TARGETS.get(key.split("/")[0], ("unclassified", None))
        if raw is None or checked is None or raw <= 0:
            ratio_text, verdict = "n/a", "NO DATA"
            missed.append(f"{key} ({label}): a side is missing or failed, no ratio")
        else:
            ratio = checked / raw
            ratio_text = f"{ratio:.3f}"
            if target is None:
                verdict = "no target"
            elif ratio <= target:
                verdict = "met"
            else:
                verdict = "MISSED"
                missed.append(f"{key} ({label}): checked/raw = {ratio:.3f} > {target:.2f}")
        target_text = f"<= {target:.2f}" if target is not None else "-"
        table.append(
            [key, format_ns(raw), format_ns(checked), ratio_text, target_text, verdict])
    return table, missed


def markdown_table(table):
    header = ["benchmark", "raw median", "checked median", "ratio", "target", "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in table]
    return "\n".join(lines)


def repetitions(benchmarks):
    counts = [row.get("repetitions", 1) for row in benchmarks]
    return max(counts) if counts else 0


def document(table_text, missed, context, benchmarks):
    cpus = len(os.sched_getaffinity(0))  # what `nproc` prints
    machine = platform.machine()  # what `uname -m` prints
    mhz = f" at {context['mhz_per_cpu']} MHz" if "mhz_per_cpu" in context else ""
    date = context.get("date") or datetime.datetime.now().isoformat(timespec="seconds")
    summary = ("Missed targets:\n\n" + "\n".join(f"- {m}" for m in missed)
               if missed else "All targets met.")
    return f"""# Benchmarks

Generated by `scripts/bench` (do not edit by hand). A success through dldoctor must cost what the
raw loader call costs (DESIGN.md, Benchmarks); `bench/bench_open.cpp` measures each checked call
against the raw one it wraps, on the tiny plugin `bench/fixture.cpp`:

- **fresh load** (`BM_Open`): `dlopen` + `dlclose` with `RTLD_NOW` and `RTLD_LAZY`, nothing else
  holding the plugin, so every iteration maps, relocates and unmaps it; against
  `Library::open` + destruction;
- **already loaded** (`BM_OpenLoaded`): the same while a handle is held for the whole benchmark,
  so only the reference count moves;
- **lookup hit** (`BM_Lookup`): `dlsym` against `Library::lookup<int()>` on one open handle.

Each time is the median CPU time (user + system) of {repetitions(benchmarks)} repetitions,
interleaved in random order; the ratio is checked / raw inside this one run (absolute times are
noisy, ratios much less).

Machine: {cpus} CPUs (`nproc`), `{machine}` (`uname -m`){mhz}. Run of {date}. Google Benchmark
reports its own library build as `{context.get("library_build_type", "unknown")}`.

Reproduce: `scripts/bench` (environment: `BENCH_REPETITIONS`, default 10; `BENCH_MIN_TIME`).

{table_text}

{summary}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="bench_open --benchmark_out JSON")
    parser.add_argument("output", help="Markdown page to write (docs/benchmarks.md)")
    args = parser.parse_args()

    with open(args.results, encoding="utf-8") as f:
        results = json.load(f)
    benchmarks = results.get("benchmarks", [])
    table, missed = evaluate(pairs(medians(benchmarks)))
    if not table:
        sys.exit(f"{args.results}: no raw/checked pairs found")

    table_text = markdown_table(table)
    print(table_text)
    print()
    if missed:
        for sentence in missed:
            print(f"MISSED TARGET: {sentence}")
    else:
        print("All targets met.")

    with open(args.output, "w", encoding="utf-8") as f:
        f.write(document(table_text, missed, results.get("context", {}), benchmarks))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
