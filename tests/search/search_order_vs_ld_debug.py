"""Each rule of glibc's _dl_map_object search, in order, against the real loader's LD_DEBUG=libs.

Real files are built in a temporary directory (cc with explicit --enable-new-dtags or
--disable-new-dtags, -rpath, -L/-l:, -soname), one scenario per rule: where the rule wins, and
where it must be skipped. For each scenario a tiny host (built here, it dlopens its argument
RTLD_NOW|RTLD_LOCAL and prints every loaded object) loads the plugin with LD_DEBUG=libs, and
`dldoctor tree --json PLUGIN --host HOST` must say, for every library of the scenario:
  - the file the real loader opened (the host's own list of loaded objects, dl_iterate_phdr),
  - how it was found (the "search path=... (RPATH from file X)" / "(RUNPATH from file X)" /
    "(LD_LIBRARY_PATH)" / "(system search path)" / "search cache=" header it was opened under),
  - the files tried, in order ("trying file=" lines),
and each scenario also checks that the loader did what the scenario is built to show (so that a
scenario that no longer proves its rule fails instead of passing quietly).

The rules: DT_RPATH of the loader chain (the requester's, then the object that loaded it, on up,
then the program's), only when the requester has no DT_RUNPATH; LD_LIBRARY_PATH; the
requester's DT_RUNPATH (never inherited); /etc/ld.so.cache; the default directories.

Usage: search_order_vs_ld_debug.py DLDOCTOR [CC]
Prints one line per scenario (PASS, FAIL with every difference, or SKIP with the reason).
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HOST_SOURCE = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
static int show(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size; (void)data;
  if (info->dlpi_name[0] != '\0') printf("loaded %s\n", info->dlpi_name);
  return 0;
}
int main(int argc, char **argv) {
  if (argc > 1 && dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) == NULL) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  dl_iterate_phdr(show, NULL);
  return 0;
}
"""

DEBUG_PREFIX = re.compile(r"^\s*\d+:\s?")
FIND = re.compile(r"^\s*find library=(\S+) \[\d+\]; searching")
SEARCH_PATH = re.compile(r"^\s*search path=.*\((.*)\)\s*$")
SEARCH_CACHE = re.compile(r"^\s*search cache=")
TRYING = re.compile(r"^\s*trying file=(.*)$")


def base_environment(ld_library_path=None):
    env = {"LC_ALL": "C", "NO_COLOR": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    if ld_library_path is not None:
        env["LD_LIBRARY_PATH"] = ld_library_path
    return env


def run(argv, env=None, check=True):
    result = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False,
                            env=env if env is not None else base_environment())
    if check and result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}"
                           f"{result.stderr}")
    return result


class Builder:
    def __init__(self, cc, root):
        self.cc = cc
        self.root = root

    def path(self, relative):
        full = os.path.join(self.root, relative)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        return full

    def library(self, relative, soname=None, needs=(), rpath=None, runpath=None,
                spare_tags=False):
        """A shared library at ROOT/relative. needs: (directory relative to ROOT, file name) of
        libraries to link with -L/-l: (their SONAME becomes DT_NEEDED)."""
        out = self.path(relative)
        name = os.path.basename(relative)
        source = out + ".c"
        symbol = re.sub(r"\W", "_", relative)
        with open(source, "w") as f:
            f.write(f"int dldoctor_search_{symbol}(void) {{ return 42; }}\n")
        argv = [self.cc, "-shared", "-fPIC", "-o", out, source,
                f"-Wl,-soname,{soname or name}", "-Wl,--no-as-needed"]
        if rpath is not None:
            argv += ["-Wl,--disable-new-dtags", f"-Wl,-rpath,{rpath}"]
        if runpath is not None:
            argv += ["-Wl,--enable-new-dtags", f"-Wl,-rpath,{runpath}"]
        if spare_tags:
            argv += ["-Wl,--spare-dynamic-tags=4"]
        for directory, file in needs:
            argv += [f"-L{self.path(directory + '/x')[:-2]}", f"-l:{file}"]
        run(argv)
        os.unlink(source)
        return out

    def host(self, relative, rpath=None, needs=()):
        out = self.path(relative)
        source = out + ".c"
        with open(source, "w") as f:
            f.write(HOST_SOURCE)
        argv = [self.cc, "-o", out, source, "-Wl,--no-as-needed"]
        if rpath is not None:
            argv += ["-Wl,--disable-new-dtags", f"-Wl,-rpath,{rpath}"]
        for directory, file in needs:
            argv += [f"-L{os.path.join(self.root, directory)}", f"-l:{file}",
                     f"-Wl,-rpath-link,{os.path.join(self.root, directory)}"]
        run(argv)
        os.unlink(source)
        return out

    def copy(self, source, relative):
        out = self.path(relative)
        shutil.copy2(source, out)
        return out


def add_runpath_beside_rpath(path, runpath_suffix):
    """Gives a library with DT_RPATH "A:B" (and spare DT_NULL slots) a DT_RUNPATH "B" as well: the
    first DT_NULL becomes DT_RUNPATH pointing into the RPATH string. The linker never writes both,
    but glibc reads both, and an object with DT_RUNPATH has its DT_RPATH dropped."""
    with open(path, "r+b") as f:
        data = bytearray(f.read())
        assert data[:4] == b"\x7fELF" and data[4] == 2, "64-bit ELF expected"
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        dynamic = dynstr = None
        for i in range(shnum):
            _, sh_type, _, _, offset, size, link = struct.unpack_from(
                "<IIQQQQI", data, shoff + i * shentsize)
            if sh_type == 6:  # SHT_DYNAMIC
                dynamic = (offset, size, link)
        assert dynamic is not None, "no .dynamic"
        offset, size, link = dynamic
        _, _, _, _, dynstr, _, _ = struct.unpack_from("<IIQQQQI", data, shoff + link * shentsize)
        entries = [struct.unpack_from("<qQ", data, offset + k) for k in range(0, size, 16)]
        rpath = next(value for tag, value in entries if tag == 15)  # DT_RPATH
        text = data[dynstr + rpath:data.index(b"\0", dynstr + rpath)].decode()
        at = text.index(runpath_suffix)
        nulls = [k for k, (tag, _) in enumerate(entries) if tag == 0]
        assert len(nulls) >= 2, "no spare dynamic tag"
        struct.pack_into("<qQ", data, offset + nulls[0] * 16, 29, rpath + at)  # DT_RUNPATH
        f.seek(0)
        f.write(data)


def parse_loader(stderr, main_program):
    """LD_DEBUG=libs: for each name searched, the files tried, each with the header it was tried
    under (a cache hit is tried too, under "search cache=")."""
    searches = {}
    current = None
    how = None
    for raw in stderr.splitlines():
        line = DEBUG_PREFIX.sub("", raw)
        match = FIND.match(line)
        if match:
            current = match.group(1)
            searches.setdefault(current, [])
            how = None
            continue
        if current is None:
            continue
        match = SEARCH_PATH.match(line)
        if match:
            what = match.group(1)
            if what == "LD_LIBRARY_PATH":
                how = ("LD_LIBRARY_PATH", "")
            elif what == "system search path":
                how = ("default path", "")
            else:
                kind, _, owner = what.partition(" from file ")
                owner = main_program if owner == "<main program>" else owner
                how = ({"RPATH": "rpath", "RUNPATH": "runpath"}.get(kind, kind), owner)
            continue
        if SEARCH_CACHE.match(line):
            how = ("ld.so.cache", "")
            continue
        match = TRYING.match(line)
        if match:
            searches[current].append((match.group(1), how))
    return searches


def loader_view(argv, env, main_program, names):
    """What the real loader did for each of names: (path or None, rule, owner, tried). A name's
    search found the last file it tried, unless dlopen failed on that name; when dlopen
    succeeded, that file must be in the host's list of loaded objects."""
    env = dict(env)
    env["LD_DEBUG"] = "libs"
    result = run(argv, env, check=False)
    loaded = [line[len("loaded "):] for line in result.stdout.splitlines()
              if line.startswith("loaded ")]
    failed = re.search(r"dlopen failed: (\S+): cannot open shared object file", result.stdout)
    searches = parse_loader(result.stderr, main_program)
    view = {}
    for name in names:
        events = searches.get(name, [])
        tried = [path for path, _ in events]
        if not events or (failed and failed.group(1) == name):
            view[name] = (None, None, None, tried)
            continue
        path, (rule, owner) = events[-1]
        if result.returncode == 0 and path not in loaded:
            raise RuntimeError(f"LD_DEBUG: {name} last tried {path}, which is not loaded: "
                               f"{loaded}\n{result.stderr}")
        view[name] = (path, rule, owner, tried)
    return view, result


def dldoctor_view(dldoctor, argv, env, names, wrap=()):
    result = run(list(wrap) + [dldoctor, "tree", "--json"] + argv, env, check=False)
    try:
        tree = json.loads(result.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(f"dldoctor tree --json printed no JSON ({error}):\n{result.stdout}"
                           f"{result.stderr}")
    nodes = {}

    def walk(node):
        if node["name"] not in nodes and not node["repeated"]:
            nodes[node["name"]] = node
        for child in node["needs"]:
            walk(child)

    walk(tree["root"])
    view = {}
    for name in names:
        tried = [step["path"] for entry in tree["trace"] if entry["name"] == name
                 for step in entry["tried"] if step["rule"] != "direct"]
        node = nodes.get(name)
        if node is None or node["path"] is None:
            view[name] = (None, None, None, tried)
        else:
            view[name] = (node["path"], node["rule"], node.get("rule_owner", ""), tried)
    return view, tree


class Scenario:
    def __init__(self, title):
        self.title = title
        self.problems = []

    def compare(self, dldoctor, host_argv, tree_argv, env, main_program, expected, wrap=()):
        """expected: name -> (path or None, rule, owner) that the scenario is built to show. wrap:
        a command prefix both the host and dldoctor run under (a private mount namespace)."""
        names = list(expected)
        real, loaded = loader_view(list(wrap) + host_argv, env, main_program, names)
        ours, _ = dldoctor_view(dldoctor, tree_argv, env, names, wrap)
        for name in names:
            want = expected[name]
            if real[name][:3] != want:
                self.problems.append(
                    f"{name}: the scenario expects the real loader to open {want[0]} "
                    f"(found by {want[1]} of {want[2]!r}), but it opened {real[name][0]} (found "
                    f"by {real[name][1]} of {real[name][2]!r}); host said: {loaded.stdout.strip()}")
            if ours[name][:3] != real[name][:3]:
                self.problems.append(
                    f"{name}: the real loader opened {real[name][0]} (found by {real[name][1]} "
                    f"of {real[name][2]!r}), dldoctor tree says {ours[name][0]} (found by "
                    f"{ours[name][1]} of {ours[name][2]!r})")
            if ours[name][3] != real[name][3]:
                self.problems.append(
                    f"{name}: LD_DEBUG=libs tried {real[name][3]}, dldoctor's trace tried "
                    f"{ours[name][3]}")
        return loaded


def cached_path(name):
    """Where /etc/ld.so.cache puts name for this process's class, read with ldconfig -p (which
    only prints the cache)."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    result = run([ldconfig, "-p"], check=False)
    for line in result.stdout.splitlines():
        match = re.match(r"^\s*(\S+) \(([^)]*)\) => (\S+)$", line)
        if match and match.group(1) == name and "x86-64" in match.group(2):
            return match.group(3)
    return None


def cache_keys():
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    result = run([ldconfig, "-p"], check=False)
    return {line.split()[0] for line in result.stdout.splitlines()[1:] if line.strip()}


def write_ld_so_cache(path, entries):
    """A cache in glibc's new format ("glibc-ld.so.cache1.1"), entries (key, value) of this
    process's flags (FLAG_ELF_LIBC6 | FLAG_X8664_LIB64), sorted as ldconfig sorts them."""
    entries = sorted(entries, reverse=True)  # one or two distinct names: any order is searchable
    header_size, entry_size = 48, 24
    strings = b""
    offsets = []
    base = header_size + entry_size * len(entries)
    for key, value in entries:
        key_at = base + len(strings)
        strings += key.encode() + b"\0"
        value_at = base + len(strings)
        strings += value.encode() + b"\0"
        offsets.append((key_at, value_at))
    data = b"glibc-ld.so.cache" + b"1.1"
    data += struct.pack("<IIB3xI12x", len(entries), len(strings), 2, 0)
    for key_at, value_at in offsets:
        data += struct.pack("<iIIIQ", 0x0303, key_at, value_at, 0, 0)
    with open(path, "wb") as f:
        f.write(data + strings)


def main():
    dldoctor = os.path.abspath(sys.argv[1])
    cc = sys.argv[2] if len(sys.argv) > 2 else (shutil.which("cc") or "gcc")
    root = tempfile.mkdtemp(prefix="dldoctor-search-order-")
    b = Builder(cc, root)
    r = lambda relative: os.path.join(root, relative)  # noqa: E731
    scenarios = []
    skipped = []

    def dlopen_scenario(title, host, plugin, expected, ld_library_path=None, wrap=()):
        scenario = Scenario(title)
        scenario.compare(dldoctor, [host, plugin], [plugin, "--host", host],
                         base_environment(ld_library_path), host, expected, wrap)
        scenarios.append(scenario)

    try:
        host = b.host("bin/host")

        # 1. DT_RPATH wins over LD_LIBRARY_PATH.
        b.library("s1/rpath/libdep1.so")
        b.library("s1/llp/libdep1.so")
        plugin = b.library("s1/plugin.so", needs=[("s1/rpath", "libdep1.so")], rpath=r("s1/rpath"))
        dlopen_scenario("rpath-before-ld-library-path", host, plugin,
                        {"libdep1.so": (r("s1/rpath/libdep1.so"), "rpath", plugin)},
                        ld_library_path=r("s1/llp"))

        # 2. LD_LIBRARY_PATH wins over DT_RUNPATH.
        b.library("s2/runpath/libdep2.so")
        b.library("s2/llp/libdep2.so")
        plugin = b.library("s2/plugin.so", needs=[("s2/runpath", "libdep2.so")],
                           runpath=r("s2/runpath"))
        dlopen_scenario("ld-library-path-before-runpath", host, plugin,
                        {"libdep2.so": (r("s2/llp/libdep2.so"), "LD_LIBRARY_PATH", "")},
                        ld_library_path=r("s2/llp"))

        # 2b. An empty LD_LIBRARY_PATH is no list at all (glibc _dl_init_paths tests *llp), not
        #     the current directory: nothing is tried before the RUNPATH.
        b.library("s2b/runpath/libdep2b.so")
        plugin = b.library("s2b/plugin.so", needs=[("s2b/runpath", "libdep2b.so")],
                           runpath=r("s2b/runpath"))
        dlopen_scenario("empty-ld-library-path-is-not-searched", host, plugin,
                        {"libdep2b.so": (r("s2b/runpath/libdep2b.so"), "runpath", plugin)},
                        ld_library_path="")

        # 3. DT_RUNPATH wins over /etc/ld.so.cache: a copy of a cached library in a RUNPATH
        #    directory.
        libz = cached_path("libz.so.1")
        if libz is None:
            skipped.append(("runpath-before-ld.so.cache", "/etc/ld.so.cache lists no libz.so.1"))
        else:
            b.copy(libz, "s3/runpath-copy-of-libz/libz.so.1")
            plugin = b.library("s3/plugin.so", needs=[("s3/runpath-copy-of-libz", "libz.so.1")],
                               runpath=r("s3/runpath-copy-of-libz"))
            dlopen_scenario("runpath-before-ld.so.cache", host, plugin,
                            {"libz.so.1": (r("s3/runpath-copy-of-libz/libz.so.1"), "runpath",
                                           plugin)})

        # 4. /etc/ld.so.cache wins over the default directories: a private cache, bound over
        #    /etc/ld.so.cache in a private mount namespace (the system's is never touched), lists
        #    libz.so.1 at a copy; the system's libz.so.1 sits in a default directory.
        if libz is None:
            skipped.append(("ld.so.cache-before-default-directories",
                            "/etc/ld.so.cache lists no libz.so.1"))
        else:
            copy = b.copy(libz, "s4/cached-copy-of-libz/libz.so.1")
            write_ld_so_cache(r("s4/ld.so.cache"), [("libz.so.1", copy)])
            plugin = b.library("s4/plugin.so", needs=[("s4/cached-copy-of-libz", "libz.so.1")])
            unshare = shutil.which("unshare")
            wrap = [unshare, "--mount", "--", "/bin/sh", "-c",
                    'mount --bind "$0" /etc/ld.so.cache && exec "$@"', r("s4/ld.so.cache")]
            probe = run(wrap + ["/bin/true"], check=False) if unshare else None
            if probe is None or probe.returncode != 0:
                skipped.append(("ld.so.cache-before-default-directories",
                                "no private mount namespace here to show a private ld.so.cache "
                                "(unshare --mount: " +
                                (probe.stderr.strip() if probe else "not installed") +
                                "), and the system's may not be changed"))
            else:
                dlopen_scenario("ld.so.cache-before-default-directories", host, plugin,
                                {"libz.so.1": (copy, "ld.so.cache", "")}, wrap=wrap)

        # 5. The default directories come last: a name in a default directory that the cache
        #    does not list (the real file name of the cached libz.so.1).
        if libz is None:
            skipped.append(("default-directories-last", "/etc/ld.so.cache lists no libz.so.1"))
        else:
            real_name = os.path.basename(os.path.realpath(libz))
            if real_name in cache_keys() or not os.path.isfile(
                    os.path.join(os.path.dirname(libz), real_name)):
                skipped.append(("default-directories-last",
                                f"{real_name} is itself in /etc/ld.so.cache"))
            else:
                # The linker records a library's SONAME, so the file name is added by patchelf.
                plugin = b.library("s5/plugin.so")
                run(["patchelf", "--add-needed", real_name, plugin])
                dlopen_scenario("default-directories-last", host, plugin,
                                {real_name: (os.path.join(os.path.dirname(libz), real_name),
                                             "default path", "")})

        # 6. DT_RPATH is ignored when the requester has DT_RUNPATH: neither the program's RPATH
        #    (the loader chain) nor the requester's own DT_RPATH serves its requests. And an
        #    object with DT_RUNPATH has no DT_RPATH at all: it does not serve, as a loader, the
        #    requests of its dependency either (libmid6, without paths, gets the program's).
        host_rpath = b.host("s6/bin/host", rpath=r("s6/host-rpath"))
        for directory in ("host-rpath", "own-rpath", "runpath"):
            b.library(f"s6/{directory}/libdep6.so")
        for directory in ("host-rpath", "own-rpath"):
            b.library(f"s6/{directory}/libleaf6.so")
        mid = b.library("s6/runpath/libmid6.so", needs=[("s6/own-rpath", "libleaf6.so")])
        plugin = b.library("s6/plugin.so",
                           needs=[("s6/runpath", "libdep6.so"), ("s6/runpath", "libmid6.so")],
                           rpath=r("s6/own-rpath") + ":" + r("s6/runpath"), spare_tags=True)
        add_runpath_beside_rpath(plugin, r("s6/runpath"))
        dlopen_scenario("rpath-ignored-when-requester-has-runpath", host_rpath, plugin,
                        {"libdep6.so": (r("s6/runpath/libdep6.so"), "runpath", plugin),
                         "libmid6.so": (mid, "runpath", plugin),
                         "libleaf6.so": (r("s6/host-rpath/libleaf6.so"), "rpath", host_rpath)})

        # 7. DT_RUNPATH is not inherited: a dependency of a RUNPATH library does not search that
        #    RUNPATH (a copy of libz there loses to the cache; a library only there is missing).
        b.library("s7/runpath/libleaf7.so")
        if libz is not None:
            b.copy(libz, "s7/runpath/libz.so.1")
        mid = b.library("s7/runpath/libmid7.so", needs=[("s7/runpath", "libleaf7.so")] +
                        ([("s7/runpath", "libz.so.1")] if libz is not None else []))
        plugin = b.library("s7/plugin.so", needs=[("s7/runpath", "libmid7.so")],
                           runpath=r("s7/runpath"))
        expected = {"libmid7.so": (mid, "runpath", plugin), "libleaf7.so": (None, None, None)}
        scenario = Scenario("runpath-not-inherited")
        loaded = scenario.compare(dldoctor, [host, plugin], [plugin, "--host", host],
                                  base_environment(), host, expected)
        if "libleaf7.so: cannot open shared object file" not in loaded.stdout:
            scenario.problems.append("the real dlopen should fail on libleaf7.so, but: " +
                                     loaded.stdout.strip())
        scenarios.append(scenario)
        if libz is not None:
            mid = b.library("s7z/runpath/libmidz.so", needs=[("s7/runpath", "libz.so.1")])
            plugin = b.library("s7z/plugin.so", needs=[("s7z/runpath", "libmidz.so")],
                               runpath=r("s7z/runpath"))
            shutil.copy2(libz, r("s7z/runpath/libz.so.1"))
            dlopen_scenario("runpath-not-inherited-cache-serves-the-dependency", host, plugin,
                            {"libmidz.so": (mid, "runpath", plugin),
                             "libz.so.1": (libz, "ld.so.cache", "")})

        # 8. DT_RPATH of the loader chain, in order: the requester's own, then the object that
        #    loaded it, then the program's.
        host_chain = b.host("s8/bin/host", rpath=r("s8/host-rpath"))
        for directory in ("mid-rpath", "plugin-rpath", "host-rpath"):
            b.library(f"s8/{directory}/libleafa.so")
        for directory in ("plugin-rpath", "host-rpath"):
            b.library(f"s8/{directory}/libleafb.so")
        b.library("s8/host-rpath/libleafc.so")
        mid = b.library("s8/plugin-rpath/libmid8.so", rpath=r("s8/mid-rpath"),
                        needs=[("s8/mid-rpath", "libleafa.so"), ("s8/plugin-rpath", "libleafb.so"),
                               ("s8/host-rpath", "libleafc.so")])
        plugin = b.library("s8/plugin.so", needs=[("s8/plugin-rpath", "libmid8.so")],
                           rpath=r("s8/plugin-rpath"))
        dlopen_scenario("rpath-of-the-loader-chain", host_chain, plugin,
                        {"libmid8.so": (mid, "rpath", plugin),
                         "libleafa.so": (r("s8/mid-rpath/libleafa.so"), "rpath", mid),
                         "libleafb.so": (r("s8/plugin-rpath/libleafb.so"), "rpath", plugin),
                         "libleafc.so": (r("s8/host-rpath/libleafc.so"), "rpath", host_chain)})

        # 9. The same chain at start-up: an executable with RPATH links a library with RPATH.
        b.library("s9/mid-rpath/libleafa9.so")
        b.library("s9/app-rpath/libleafa9.so")
        b.library("s9/app-rpath/libleafc9.so")
        mid = b.library("s9/app-rpath/libmid9.so", rpath=r("s9/mid-rpath"),
                        needs=[("s9/mid-rpath", "libleafa9.so"), ("s9/app-rpath", "libleafc9.so")])
        app = b.host("s9/bin/app", rpath=r("s9/app-rpath"), needs=[("s9/app-rpath", "libmid9.so")])
        scenario = Scenario("rpath-of-an-executable-and-its-library")
        scenario.compare(dldoctor, [app], [app], base_environment(), app,
                         {"libmid9.so": (mid, "rpath", app),
                          "libleafa9.so": (r("s9/mid-rpath/libleafa9.so"), "rpath", mid),
                          "libleafc9.so": (r("s9/app-rpath/libleafc9.so"), "rpath", app)})
        scenarios.append(scenario)

        # 10. $ORIGIN is the requester's own directory: the plugin's RUNPATH $ORIGIN/mid finds
        #     mid/libmid10.so, whose RUNPATH $ORIGIN/leaf is mid/leaf, not the plugin's leaf.
        b.library("s10/leaf/libleaf10.so")
        b.library("s10/mid/leaf/libleaf10.so")
        mid = b.library("s10/mid/libmid10.so", needs=[("s10/mid/leaf", "libleaf10.so")],
                        runpath="$ORIGIN/leaf")
        plugin = b.library("s10/plugin.so", needs=[("s10/mid", "libmid10.so")],
                           runpath="$ORIGIN/mid:$ORIGIN/leaf")
        dlopen_scenario("origin-is-the-requesters-directory", host, plugin,
                        {"libmid10.so": (r("s10/mid/libmid10.so"), "runpath", plugin),
                         "libleaf10.so": (r("s10/mid/leaf/libleaf10.so"), "runpath", mid)})
    finally:
        shutil.rmtree(root, ignore_errors=True)

    failed = 0
    for scenario in scenarios:
        if scenario.problems:
            failed += 1
            print(f"FAIL {scenario.title}")
            for problem in scenario.problems:
                print(f"     {problem}")
        else:
            print(f"PASS {scenario.title}")
    for title, reason in skipped:
        print(f"SKIP {title}: {reason}")
    print(f"{len(scenarios)} scenarios compared with LD_DEBUG=libs, {failed} failed, "
          f"{len(skipped)} skipped")
    return 1 if failed or not scenarios else 0


if __name__ == "__main__":
    sys.exit(main())
