"""The search model against glibc's own loader, on this machine's libraries.

For every ELF shared library in the system library directory (at most LIMIT, chosen
deterministically: every k-th in sorted order), `dldoctor tree --json LIB` and `ld.so --list LIB`
must name the same file for every dependency. The vDSO, which has no file, is left out. Prints the
number of libraries and dependencies compared, and every disagreement; fails on any.

Usage: compare_with_ld_so.py DLDOCTOR [LIBDIR] [LIMIT]
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

LD_SO = "/lib64/ld-linux-x86-64.so.2"
RULES = {"direct", "already loaded", "rpath", "LD_LIBRARY_PATH", "runpath", "ld.so.cache",
         "default path"}
LIST_LINE = re.compile(r"^\s*(\S+)(?: => (not found|\S+))?(?: \(0x[0-9a-f]+\))?\s*$")


def is_shared_object(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            header = f.read(18)
    except OSError:
        return False
    return header[:4] == b"\x7fELF" and header[4] == 2 and header[16] == 3  # ELFCLASS64, ET_DYN


def ld_so_list(library: str) -> dict:
    env = {"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run([LD_SO, "--list", library], capture_output=True, text=True,
                            env=env, timeout=30, check=False)
    found = {}
    for line in result.stdout.splitlines():
        match = LIST_LINE.match(line)
        if not match:
            continue
        name, target = match.group(1), match.group(2)
        if name.startswith("linux-vdso") or name == "statically":
            continue
        if target is None:  # "path (0x...)": the interpreter, or the library itself
            found[os.path.basename(name)] = name
        else:
            found[name] = None if target == "not found" else target
    return found


def dldoctor_tree(dldoctor: str, library: str) -> dict:
    env = {"LC_ALL": "C", "NO_COLOR": "1", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    result = subprocess.run([dldoctor, "tree", "--json", library], capture_output=True, text=True,
                            env=env, timeout=30, check=False)
    tree = json.loads(result.stdout)
    found = {}

    def walk(node, depth):
        # Every library carries the rule that found it.
        assert node["rule"] in RULES, f"{library}: {node['name']} has rule {node['rule']!r}"
        if depth > 0 and node["name"] not in found:
            found[node["name"]] = node["path"]
        for child in node["needs"]:
            walk(child, depth + 1)

    walk(tree["root"], 0)
    return found


def main() -> int:
    dldoctor = sys.argv[1]
    libdir = Path(sys.argv[2] if len(sys.argv) > 2 else "/usr/lib/x86_64-linux-gnu")
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 300
    candidates = sorted(p for p in libdir.iterdir()
                        if p.is_file() and not p.is_symlink() and ".so" in p.name
                        and is_shared_object(p))
    step = max(1, len(candidates) // limit)
    chosen = candidates[::step][:limit]
    compared = disagreements = 0
    for library in chosen:
        expected = ld_so_list(str(library))
        actual = dldoctor_tree(dldoctor, str(library))
        for name, path in expected.items():
            if name == library.name or path == str(library):
                continue
            compared += 1
            ours = actual.get(name, "<absent>")
            if ours != path:
                disagreements += 1
                print(f"DIFFER {library}: {name}: ld.so --list says {path}, dldoctor says {ours}")
    print(f"{len(chosen)} libraries of {libdir} compared, {compared} dependencies, "
          f"{disagreements} disagreements")
    return 1 if disagreements or compared == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
