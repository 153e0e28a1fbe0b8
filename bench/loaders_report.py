#!/usr/bin/env python3
"""The loaders' part of docs/benchmarks.md: tables of ratios and SVG plots (gnuplot) from
bench_loaders' JSON (glibc, Google Benchmark) and musl_bench.py's (musl). Called by
bench/ratios.py; standard library only, gnuplot (Debian: gnuplot-nox) for the plots.
"""

import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile

SYMBOL_COUNTS = [10, 100, 1000, 10000]
VARIANTS = ["gnu", "sysv", "both", "symbolic"]
CHAIN_LENGTHS = [1, 2, 4, 8, 16, 32]
CROWD_SIZES = [0, 10, 100, 1000]
NS_PER_UNIT = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def summarise(benchmarks):
    """{name: {"ns": median CPU ns, "syscalls": median, "faults": median}}; the median
    aggregate where Google Benchmark wrote one, else the median of the repetitions. A name with
    an error maps to None."""
    samples, aggregates, failed = {}, {}, set()
    for row in benchmarks:
        name = row.get("run_name", row["name"])
        if row.get("error_occurred"):
            failed.add(name)
            continue
        values = {"ns": row["cpu_time"] * NS_PER_UNIT[row.get("time_unit", "ns")]}
        for counter in ("syscalls", "faults"):
            if counter in row:
                values[counter] = row[counter]
        if row.get("run_type") == "aggregate":
            if row.get("aggregate_name") == "median":
                aggregates[name] = values
        else:
            samples.setdefault(name, []).append(values)
    result = {}
    for name, rows in samples.items():
        result[name] = {key: statistics.median(r[key] for r in rows if key in r)
                        for key in rows[0]}
    result.update(aggregates)
    result.update({name: None for name in failed})
    return result


def format_ns(ns):
    if ns is None:
        return "n/a"
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.0f} ns"


def ns(results, name):
    entry = results.get(name)
    return entry["ns"] if entry else None


def ratio(a, b):
    return f"{a / b:.2f}" if a is not None and b else "n/a"


def cell(results, name, base=None):
    """"time (ratio to base)"."""
    value = ns(results, name)
    if base is None:
        return format_ns(value)
    return f"{format_ns(value)} ({ratio(value, base)})"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def machine():
    """CPU model, MHz, x86-64 level, kernel, glibc, as this machine says."""
    model, mhz = "unknown CPU", None
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown CPU":
                    model = line.split(":", 1)[1].strip()
                if line.startswith("cpu MHz") and mhz is None:
                    mhz = float(line.split(":", 1)[1])
    except OSError:
        pass
    level = "unknown"
    try:
        # glibc's loader lists the levels it supports, highest first.
        help_text = subprocess.run(["/lib64/ld-linux-x86-64.so.2", "--help"],
                                   stdout=subprocess.PIPE, text=True).stdout
        supported = re.findall(r"(x86-64-v\d) \(supported", help_text)
        if supported:
            level = max(supported)
    except OSError:
        pass
    glibc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else "glibc ?"
    return {"model": model, "mhz": mhz, "level": level, "kernel": platform.release(),
            "glibc": glibc, "cpus": len(os.sched_getaffinity(0))}


def gnuplot(script, data, svg):
    """Writes svg from a gnuplot script over data files ({name: text}); False without gnuplot."""
    if shutil.which("gnuplot") is None:
        return False
    with tempfile.TemporaryDirectory(prefix="dldoctor-plot-") as scratch:
        for name, text in data.items():
            with open(os.path.join(scratch, name), "w", encoding="utf-8") as f:
                f.write(text)
        # Run in the scratch directory with relative names, so that no build path reaches
        # the SVG.
        subprocess.run(["gnuplot"], input=script.replace("@OUT@", os.path.abspath(svg)),
                       text=True, cwd=scratch, check=True)
    return True


def series(points):
    return "".join(f"{x} {y / 1e3:.3f}\n" for x, y in points if y is not None) or "0 0\n"


PLOT_HEAD = """set terminal svg size 900,460 dynamic enhanced font 'sans,11'
set output '@OUT@'
set key outside right top
set grid
"""


def plots(glibc, musl, plot_dir, doc_dir):
    """The three plots; returns Markdown image lines (paths relative to the doc)."""
    os.makedirs(plot_dir, exist_ok=True)
    made = []
    lines = {
        "glibc_now": [(n, ns(glibc, f"Load/glibc/now/gnu/{n}")) for n in SYMBOL_COUNTS],
        "glibc_lazy": [(n, ns(glibc, f"Load/glibc/lazy/gnu/{n}")) for n in SYMBOL_COUNTS],
        "glibc_sysv": [(n, ns(glibc, f"Load/glibc/now/sysv/{n}")) for n in SYMBOL_COUNTS],
        "glibc_symbolic": [(n, ns(glibc, f"Load/glibc/now/symbolic/{n}")) for n in SYMBOL_COUNTS],
        "musl_now": [(n, ns(musl, f"Load/musl/now/gnu/{n}")) for n in SYMBOL_COUNTS],
        "musl_lazy": [(n, ns(musl, f"Load/musl/lazy/gnu/{n}")) for n in SYMBOL_COUNTS],
        "musl_sysv": [(n, ns(musl, f"Load/musl/now/sysv/{n}")) for n in SYMBOL_COUNTS],
        "floor": [(n, ns(glibc, f"Floor/{n}")) for n in SYMBOL_COUNTS],
    }
    data = {f"{k}.dat": series(v) for k, v in lines.items()}
    script = PLOT_HEAD + """set title 'dlopen of a plugin of N functions (about 2N relocations)'
set logscale xy
set xlabel 'exported functions'
set ylabel 'µs per load (CPU, median)'
plot 'glibc_now.dat' w lp lc 1 pt 7 t 'glibc NOW (GNU hash)', \\
     'glibc_lazy.dat' w lp lc 2 pt 7 t 'glibc LAZY', \\
     'glibc_sysv.dat' w lp lc 3 pt 7 t 'glibc NOW, SysV hash only', \\
     'glibc_symbolic.dat' w lp lc 4 pt 7 t 'glibc NOW, -Bsymbolic', \\
     'musl_now.dat' w lp lc 1 dt 4 pt 6 t 'musl NOW (GNU hash)', \\
     'musl_lazy.dat' w lp lc 2 dt 4 pt 6 t 'musl LAZY', \\
     'musl_sysv.dat' w lp lc 3 dt 4 pt 6 t 'musl NOW, SysV hash only', \\
     'floor.dat' w lp lw 2 dt 2 lc rgb 'black' t 'floor: open+fstat+mmap+munmap+close'
"""
    svg = os.path.join(plot_dir, "loaders-symbols.svg")
    if gnuplot(script, data, svg):
        made.append(("latency against the number of symbols", svg))

    # The crowd: x is the number of objects loaded first (0 drawn at 1 on the log axis).
    crowd = {
        "glibc_open": [(max(n, 1), ns(glibc, f"Crowd/glibc/open/{n}")) for n in CROWD_SIZES],
        "musl_open": [(max(n, 1), ns(musl, f"Crowd/musl/open/{n}")) for n in CROWD_SIZES],
        "floor": [(max(n, 1), ns(glibc, "Floor/100")) for n in CROWD_SIZES],
    }
    data = {f"{k}.dat": series(v) for k, v in crowd.items()}
    script = PLOT_HEAD + """set title 'dlopen of one more plugin after N objects loaded RTLD\\_GLOBAL'
set logscale xy
set xlabel 'objects already loaded (0 drawn at 1)'
set ylabel 'µs per load (CPU, median)'
plot 'glibc_open.dat' w lp lc 1 pt 7 t 'glibc NOW', 'musl_open.dat' w lp lc 1 dt 4 pt 6 t 'musl NOW', \\
     'floor.dat' w l lw 2 dt 2 lc rgb 'black' t 'floor of the same file'
"""
    svg = os.path.join(plot_dir, "loaders-crowd.svg")
    if gnuplot(script, data, svg):
        made.append(("latency against the number of loaded objects", svg))

    chain = {
        "glibc": [(k, ns(glibc, f"Chain/glibc/now/{k}")) for k in CHAIN_LENGTHS],
        "floor": [(k, ns(glibc, f"Floor/chain/{k}")) for k in CHAIN_LENGTHS],
    }
    data = {f"{k}.dat": series(v) for k, v in chain.items()}
    script = PLOT_HEAD + """set title 'dlopen of the head of a dependency chain of K libraries'
set logscale xy
set xlabel 'libraries in the chain'
set ylabel 'µs per load (CPU, median)'
plot 'glibc.dat' w lp lc 1 pt 7 t 'glibc NOW', \\
     'floor.dat' w lp lw 2 dt 2 lc rgb 'black' t 'floor of the K files'
"""
    svg = os.path.join(plot_dir, "loaders-chain.svg")
    if gnuplot(script, data, svg):
        made.append(("latency against chain length", svg))
    return [f"![{title}]({os.path.relpath(path, doc_dir)})" for title, path in made]


def counters_of(results, name):
    entry = results.get(name)
    if not entry:
        return "n/a"
    syscalls = entry.get("syscalls")
    faults = entry.get("faults")
    return (f"{syscalls:.0f}" if syscalls is not None else "n/a") + " / " + \
        (f"{faults:.0f}" if faults is not None else "n/a")


def section(glibc_benchmarks, musl_json, plot_dir, doc_dir, repetitions, duration):
    glibc = summarise(glibc_benchmarks)
    # The 100,000-function plugins when the run had them (scripts/bench's full run).
    global SYMBOL_COUNTS
    SYMBOL_COUNTS = sorted({int(name.rsplit("/", 1)[1]) for name in glibc
                            if name.startswith("Floor/") and name.count("/") == 1})
    musl = summarise(musl_json["benchmarks"]) if musl_json else {}
    musl_context = musl_json["context"] if musl_json else {}
    m = machine()
    mhz = f"{m['mhz']:.0f} MHz" if m["mhz"] else "unknown MHz"
    musl_version = musl_context.get("musl_version") or "not run"
    out = []
    out.append(f"""## The loaders

What the loaders themselves cost, measured on generated plugins (issue #15):
`bench/bench_loaders.cpp` for glibc's loader (with `bench/bench_api.cpp`, the APIs over it) and
`bench/musl_driver.c` for musl's, on the same generated sources (`bench/gen_plugin.py`, built by
`bench/loaders/meson.build`: gcc for glibc, `musl-gcc` compiling and linking them again for
musl).

Machine: {m['model']}, {m['cpus']} CPUs at {mhz}, `{m['level']}` (the highest level glibc's
loader reports as supported), Linux {m['kernel']}, {m['glibc']}, musl {musl_version}.
{repetitions} repetitions; the whole `scripts/bench` run took {duration}.

The plugins: N exported C functions ({', '.join(f'{n:,}' for n in SYMBOL_COUNTS)}), each calling the next through the
PLT, and a table of their N addresses, so a load has N symbols to hash, N data relocations that
need a symbol lookup at load time and N-1 jump slots (bound at load with `RTLD_NOW`, at the first
call with `RTLD_LAZY`). Variants: `gnu` (`--hash-style=gnu`, Debian's default, the usual
plugin), `sysv` (`DT_HASH` only), `both`, `symbolic` (`gnu` with `-Bsymbolic`: the calls bind at
link time and the table becomes relative relocations, no lookup). They are built `-O0` without
`-g`: their code is not what a load measures. Chains: `libbench_chain_K.so` needs
`libbench_chain_<K+1>.so` (RUNPATH `$ORIGIN`), 32 links; a chain of K is a load of link 33-K.
The crowd: copies of one small object under distinct names, loaded `RTLD_GLOBAL` before the
"one more plugin" (the 100-function one).

Before timing, each benchmark checks what it claims (`scripts/bench --quick`, the test
`bench-quick`, fails otherwise): the plugin's `.dynsym` holds exactly N functions of its prefix,
it has the hash tables and `DF_SYMBOLIC` of its variant and the relocations above, and its first
function called with N-1 runs the whole PLT chain; a chain of K adds K objects to
`dl_iterate_phdr`; each failure fails with the loader's own message; the lookups find the
table's entry or nothing; after each fresh load the plugin is unloaded again; the musl driver's
`PT_INTERP` is `/lib/ld-musl-x86_64.so.1` and musl's libc is in its `/proc/self/maps`.

**The floor** (`Floor/...`, `bench/loader_probe.h`): `open`, `pread` of the headers, `fstat`,
one `mmap` reserving the span and one per `PT_LOAD` over it with its protection, `munmap`,
`close` of the same file: the system calls any loader must make, nothing else (no relocation,
no page touched). **Per-load counters**: system calls from a `perf_event_open` counter of the
`raw_syscalls:sys_enter` tracepoint on the benchmark's thread (software counters have no
system-call event; this works here as root, and the column says n/a where the kernel refuses
it), minus the counter's own calls; page faults from `getrusage`; each the mean over 8 loads
after the timed loop.

Two loader behaviours shape the method. **musl's `dlclose` does nothing**: musl never unloads,
so a musl fresh load is a `dlopen` of a copy never loaded before (copies made before timing,
distinct inodes), and its time has no unmapping in it where glibc's `dlopen`+`dlclose` does; for
the same reason each musl crowd size runs in a process of its own, and chains are not measured
for musl (each iteration would need a whole chain of copies under new names). musl's processes
are one repetition each, in a random order across groups (`bench/musl_bench.py`), the
benchmarks shuffled inside each; times are `CLOCK_PROCESS_CPUTIME_ID` per iteration, medians
over repetitions, as glibc's rows. **glibc pins what the main program finds through `dlsym`**:
a hit through `RTLD_DEFAULT` makes the calling object depend on the object found, and when the caller is the main
program (never unloaded) the object found is never unloaded either; the glibc `RTLD_DEFAULT`
lookups are therefore made from a small helper object (`bench/lookup_helper.c`) loaded for the
benchmark, so that the later fresh loads stay fresh.
""")
    tiny = 10
    floor_tiny = ns(glibc, f"Floor/{tiny}")
    musl_floor_tiny = ns(musl, f"Floor-musl/{tiny}")
    out.append(f"""### The tiny plugin against the floor (no target: the loaders' numbers)

| | time | ratio to the floor | system calls / page faults per load |
|---|---|---|---|
| floor (glibc's process) | {format_ns(floor_tiny)} | 1.00 | {counters_of(glibc, f'Floor/{tiny}')} |
| floor (musl's process) | {format_ns(musl_floor_tiny)} | {ratio(musl_floor_tiny, floor_tiny)} | {counters_of(musl, f'Floor-musl/{tiny}')} |
| glibc `dlopen`+`dlclose`, `RTLD_NOW` | {format_ns(ns(glibc, f'Load/glibc/now/gnu/{tiny}'))} | {ratio(ns(glibc, f'Load/glibc/now/gnu/{tiny}'), floor_tiny)} | {counters_of(glibc, f'Load/glibc/now/gnu/{tiny}')} |
| glibc `dlopen`+`dlclose`, `RTLD_LAZY` | {format_ns(ns(glibc, f'Load/glibc/lazy/gnu/{tiny}'))} | {ratio(ns(glibc, f'Load/glibc/lazy/gnu/{tiny}'), floor_tiny)} | {counters_of(glibc, f'Load/glibc/lazy/gnu/{tiny}')} |
| musl `dlopen` (fresh copy), `RTLD_NOW` | {format_ns(ns(musl, f'Load/musl/now/gnu/{tiny}'))} | {ratio(ns(musl, f'Load/musl/now/gnu/{tiny}'), musl_floor_tiny)} (its own process's floor) | {counters_of(musl, f'Load/musl/now/gnu/{tiny}')} |
| musl `dlopen` (fresh copy), `RTLD_LAZY` | {format_ns(ns(musl, f'Load/musl/lazy/gnu/{tiny}'))} | {ratio(ns(musl, f'Load/musl/lazy/gnu/{tiny}'), musl_floor_tiny)} | {counters_of(musl, f'Load/musl/lazy/gnu/{tiny}')} |
""")

    rows = []
    for n in SYMBOL_COUNTS:
        floor = ns(glibc, f"Floor/{n}")
        musl_floor = ns(musl, f"Floor-musl/{n}")
        rows.append([n, format_ns(floor),
                     cell(glibc, f"Load/glibc/now/gnu/{n}", floor),
                     cell(glibc, f"Load/glibc/lazy/gnu/{n}", floor),
                     cell(musl, f"Load/musl/now/gnu/{n}", musl_floor),
                     cell(musl, f"Load/musl/lazy/gnu/{n}", musl_floor),
                     counters_of(glibc, f"Load/glibc/now/gnu/{n}"),
                     counters_of(musl, f"Load/musl/now/gnu/{n}")])
    out.append("### Load latency against the number of symbols (ratio to the floor)\n")
    out.append(table(["functions", "floor", "glibc NOW", "glibc LAZY", "musl NOW", "musl LAZY",
                      "glibc calls/faults", "musl calls/faults"], rows))
    out.append("")

    rows = []
    for n in SYMBOL_COUNTS:
        for loader, results in (("glibc", glibc), ("musl", musl)):
            base = ns(results, f"Load/{loader}/now/gnu/{n}")
            rows.append([n, loader] + [cell(results, f"Load/{loader}/now/{v}/{n}", base)
                                       for v in VARIANTS])
    out.append("### Hash tables and -Bsymbolic, RTLD_NOW (ratio to `gnu`)\n")
    out.append(table(["functions", "loader"] + [f"`{v}`" for v in VARIANTS], rows))
    out.append("")

    rows = []
    for k in CHAIN_LENGTHS:
        floor = ns(glibc, f"Floor/chain/{k}")
        load = ns(glibc, f"Chain/glibc/now/{k}")
        rows.append([k, format_ns(floor), cell(glibc, f"Chain/glibc/now/{k}", floor),
                     format_ns(load / k) if load else "n/a",
                     counters_of(glibc, f"Chain/glibc/now/{k}")])
    out.append("### Dependency chains, glibc RTLD_NOW (ratio to the floor of the K files)\n")
    out.append(table(["libraries", "floor", "glibc", "glibc per library", "calls/faults"],
                     rows))
    out.append("")

    rows = []
    for n in CROWD_SIZES:
        rows.append([n,
                     cell(glibc, f"Crowd/glibc/open/{n}", ns(glibc, "Crowd/glibc/open/0")),
                     cell(musl, f"Crowd/musl/open/{n}", ns(musl, "Crowd/musl/open/0")),
                     cell(glibc, f"Crowd/glibc/dlsym-default-hit/{n}",
                          ns(glibc, "Crowd/glibc/dlsym-default-hit/0")),
                     cell(musl, f"Crowd/musl/dlsym-default-hit/{n}",
                          ns(musl, "Crowd/musl/dlsym-default-hit/0")),
                     cell(glibc, f"Crowd/glibc/dlsym-default-miss/{n}",
                          ns(glibc, "Crowd/glibc/dlsym-default-miss/0")),
                     cell(musl, f"Crowd/musl/dlsym-default-miss/{n}",
                          ns(musl, "Crowd/musl/dlsym-default-miss/0"))])
    out.append("### A process that already holds N objects (ratio to N = 0)\n")
    out.append("One more plugin (`dlopen`, `RTLD_NOW`: its relocations are looked up through the "
               "global scope, the N objects included, before its own definitions) and "
               "`dlsym(RTLD_DEFAULT)` of a name that plugin defines (loaded `RTLD_GLOBAL` after "
               "the N) or that nothing defines.\n")
    out.append(table(["objects", "glibc open", "musl open", "glibc RTLD_DEFAULT hit",
                      "musl RTLD_DEFAULT hit", "glibc RTLD_DEFAULT miss",
                      "musl RTLD_DEFAULT miss"], rows))
    out.append("")

    rows = []
    for n in SYMBOL_COUNTS:
        rows.append([n] + [format_ns(ns(r, f"Dlsym/{loader}/{scope}/{what}/{n}"))
                           for scope in ("handle", "default") for what in ("hit", "miss")
                           for loader, r in (("glibc", glibc), ("musl", musl))] +
                    [cell(glibc, f"Dlsym/dldoctor-typed/handle/hit/{n}",
                          ns(glibc, f"Dlsym/glibc/handle/hit/{n}"))])
    out.append("### dlsym as the table grows\n")
    out.append("By handle on the plugin of N functions (its middle one, or a name it lacks), and "
               "through `RTLD_DEFAULT` with the plugin loaded `RTLD_GLOBAL`; the last column is "
               "dldoctor's typed `Library::lookup<int(int)>` of the hit name after its first "
               "call, with its ratio to glibc's `dlsym` by handle.\n")
    out.append(table(["functions", "glibc handle hit", "musl handle hit", "glibc handle miss",
                      "musl handle miss", "glibc default hit", "musl default hit",
                      "glibc default miss", "musl default miss",
                      "dldoctor typed lookup (ratio)"], rows))
    out.append("")

    floor_tiny_text = format_ns(floor_tiny)
    rows = []
    for what, key in (("already loaded (`dlopen`+`dlclose` of a held plugin)", "LoadLoaded/{}/10"),
                      ("absolute path, ENOENT", "Fail/{}/enoent"),
                      ("bare name searched through the default path", "Fail/{}/bare-name"),
                      ("missing dependency", "Fail/{}/missing-dependency")):
        rows.append([what, cell(glibc, key.format("glibc"), floor_tiny),
                     counters_of(glibc, key.format("glibc")),
                     cell(musl, key.format("musl"), musl_floor_tiny),
                     counters_of(musl, key.format("musl"))])
    out.append(f"### The loaded path and the failures (ratio to the tiny plugin's floor, "
               f"{floor_tiny_text})\n")
    out.append("glibc finds an already loaded path by name, without a system call; musl opens "
               "and `fstat`s the path to compare its device and inode with the loaded objects' "
               "(the system calls column). musl's `open` with `O_CLOEXEC` also makes an "
               "`fcntl(F_SETFD)` (`strace -c` of the driver shows one per `open`), which is why "
               "the floor counts one more call in musl's process.\n")
    out.append(table(["what", "glibc", "glibc calls/faults", "musl", "musl calls/faults"], rows))
    out.append("")

    raw_open = ns(glibc, "Api/raw/open-get")
    raw_get = ns(glibc, "Api/raw/get")
    rows = [[f"`{side}`", cell(glibc, f"Api/{side}/open-get", raw_open),
             cell(glibc, f"Api/{side}/get", raw_get)]
            for side in ("raw", "dldoctor", "dldoctor-typed", "boost")]
    out.append("### The APIs over glibc (ratio to raw `dlopen`/`dlsym`)\n")
    out.append("On the 10-function plugin, `RTLD_NOW | RTLD_LOCAL`: `raw` is `dlopen` + `dlsym` + "
               "`dlclose`; `dldoctor` is `Library::open` + `lookup_address` (dlsym, no type "
               "check); `dldoctor-typed` is `Library::open` + `lookup<int(int)>` (the first "
               "lookup on a Library reads the file to check the type; later ones are a table "
               "lookup); `boost` is `boost::dll::shared_library` + `get<int(int)>` (Boost 1.74, "
               "header-only with `BOOST_DLL_USE_STD_FS`, no Boost library linked). `open-get` is "
               "a fresh load with one lookup, `get` a lookup on a held handle.\n")
    out.append(table(["API", "open-get", "get"], rows))
    out.append("")

    images = plots(glibc, musl, plot_dir, doc_dir)
    if images:
        out.append("### Plots\n")
        out += [image + "\n" for image in images]
    else:
        out.append("No plots: gnuplot is not installed (Debian: gnuplot-nox).\n")
    return "\n".join(out)
