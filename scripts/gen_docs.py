#!/usr/bin/env python3
"""Fills the command outputs of README.md and docs/*.md from real runs, or checks that they are current.

A doc marks each output block with a directive comment and an end marker:

    <!-- run DIR: COMMAND -->
    ```console
    $ COMMAND
    ...output, written by this script...
    ```
    <!-- end -->

DIR is a directory of the build tree (e.g. `cases/wrong-build-mode/executable`), or `tmp` for a
new empty directory. COMMAND runs under /bin/sh there, with LC_ALL=C, NO_COLOR=1, no
LD_LIBRARY_PATH, `$SRC` set to the source tree and `$BUILD` to the build tree, and the
directories of `dldoctor` and `try_load` first on PATH, so a doc shows the commands a reader
types. Absolute paths of the source and build trees are written as `<src>` and `<build>` so that
the docs do not depend on where the tree was cloned. The exit status is shown when it is not 0.

Usage: gen_docs.py [--check] [--build-dir BUILD] [DOC...]
With --check, nothing is written: a stale doc is printed as a diff and the exit status is 1.
"""
import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(
    r"(?P<head><!-- run (?P<dir>[^:]+): (?P<command>.*?) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<tail><!-- end -->)",
    re.DOTALL,
)


def run(command: str, directory: str, build: Path) -> str:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD", "LD_DEBUG", "COLUMNS")}
    env.update({
        "LC_ALL": "C",
        "NO_COLOR": "1",
        "SRC": str(SOURCE_ROOT),
        "BUILD": str(build),
        "PATH": f"{build / 'lib'}:{build / 'cases'}:{env.get('PATH', '/usr/bin:/bin')}",
    })
    with tempfile.TemporaryDirectory(prefix="dldoctor-docs-") as scratch:
        cwd = scratch if directory == "tmp" else str(build / directory)
        result = subprocess.run(["/bin/sh", "-c", command], cwd=cwd, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=120, check=False)
        output = result.stdout.replace(scratch, "<tmp>")
    output = output.replace(str(build), "<build>").replace(str(SOURCE_ROOT), "<src>")
    output = output.rstrip("\n")
    status = "" if result.returncode == 0 else f"\n[exit status {result.returncode}]"
    return f"```console\n$ {command}\n{output}{status}\n```\n"


def machine_fingerprint() -> str:
    """What makes outputs differ between machines: the loader's version and the hwcaps
    subdirectories it searches (LD_DEBUG traces and dldoctor's search show them)."""
    loader = "/lib64/ld-linux-x86-64.so.2"
    try:
        version = subprocess.run([loader, "--version"], capture_output=True, text=True,
                                 timeout=10).stdout.splitlines()[0]
        help_text = subprocess.run([loader, "--help"], capture_output=True, text=True,
                                   timeout=10).stdout
    except (OSError, IndexError, subprocess.SubprocessError):
        return "unknown"
    searched = [line.split()[0] for line in help_text.splitlines()
                if "searched" in line and line.startswith("  ")]
    return f"{version}; hwcaps searched: {' '.join(searched)}"


FINGERPRINT_FILE = SOURCE_ROOT / "docs" / ".generated-on"


def render(text: str, build: Path) -> str:
    def fill(match: re.Match) -> str:
        body = run(match["command"], match["dir"].strip(), build)
        return match["head"] + body + match["tail"]

    return BLOCK.sub(fill, text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale docs")
    parser.add_argument("--build-dir", default=str(SOURCE_ROOT / "build"))
    parser.add_argument("docs", nargs="*")
    args = parser.parse_args()
    build = Path(args.build_dir).resolve()
    if not (build / "lib" / "dldoctor").exists():
        print(f"gen_docs: {build}/lib/dldoctor is not built", file=sys.stderr)
        return 2
    fingerprint = machine_fingerprint()
    if args.check and FINGERPRINT_FILE.exists():
        recorded = FINGERPRINT_FILE.read_text(encoding="utf-8").strip()
        if recorded != fingerprint:
            # Another loader or CPU level gives other (equally real) outputs: not a stale doc.
            print(f"gen_docs: the docs were generated on another kind of machine ({recorded}); "
                  f"this one is {fingerprint}: not compared (scripts/gen_docs.py regenerates)")
            return 77
    docs = [Path(d).resolve() for d in args.docs] or [
        SOURCE_ROOT / "README.md", *sorted((SOURCE_ROOT / "docs").glob("*.md"))]
    stale = 0
    for doc in docs:
        current = doc.read_text(encoding="utf-8")
        if not BLOCK.search(current):
            continue
        fresh = render(current, build)
        if fresh == current:
            print(f"gen_docs: {doc.relative_to(SOURCE_ROOT)} is current")
            continue
        if args.check:
            stale += 1
            print(f"gen_docs: {doc.relative_to(SOURCE_ROOT)} is stale; scripts/gen_docs.py rewrites it:")
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(keepends=True), fresh.splitlines(keepends=True),
                fromfile=f"{doc.name} (committed)", tofile=f"{doc.name} (fresh run)"))
        else:
            doc.write_text(fresh, encoding="utf-8")
            print(f"gen_docs: wrote {doc.relative_to(SOURCE_ROOT)}")
    if not args.check:
        FINGERPRINT_FILE.write_text(fingerprint + "\n", encoding="utf-8")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
