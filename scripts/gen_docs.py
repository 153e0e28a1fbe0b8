#!/usr/bin/env python3
"""Fills the command outputs of README.md and docs/*.md from real runs, or checks that they are current.

A doc that shows commands opens with its set-up line, the one line a reader runs from the top of a
clone after a build, in a marked block:

    <!-- setup -->
    ```sh
    export PATH="$PWD/build/lib:$PWD/build/cases:$PATH" BUILD="$PWD/build" ...
    ```
    <!-- end -->

It marks each output block with a directive comment and an end marker:

    <!-- run DIR: COMMAND -->
    In `$BUILD/DIR`:
    ```console
    $ COMMAND
    ...output, written by this script...
    ```
    <!-- end -->

DIR is a directory of the build tree (e.g. `cases/wrong-build-mode/executable`), or `tmp` for a
new empty directory. Everything between the comments is written by this script, the line that
says where the command runs too (`In a new empty directory ...` for `tmp`, which names `<tmp>`
when the output shows its path). COMMAND runs as a reader runs it: from the top of the source tree,
in a new shell, `/bin/sh -c 'SET-UP LINE; cd DIR; COMMAND'`, where DIR is `"$BUILD/DIR"` (or the
new directory), so only the doc's own set-up line puts `dldoctor` and `try_load` on PATH and sets
`$BUILD` and `$SRC`. The shell gets this script's environment without what the set-up line is
there to set (BUILD, SRC, NO_COLOR, the locale variables, build-tree directories on PATH), and
with what it is there to undo, as a reader's shell may have it: LANG=C.UTF-8 with LANGUAGE=de
(messages in German, unless the set-up line sets LC_ALL=C) and an LD_LIBRARY_PATH. So a command
that does not run, or prints otherwise, after the set-up line alone makes the doc stale. When the
build tree is not `build/` in the source tree (--build-dir), `$PWD/build` in the set-up line is
replaced by its path. The set-up line must be the same in every doc. Absolute paths of the source
and build trees are written as `<src>` and `<build>`, and of the new directory as `<tmp>`, so that
the docs do not depend on where the tree was cloned. For the same reason the Go package hashes on a
`go.link.pkghashbytes.` line are written as `<hash 1>`, `<hash 2>`, ... in order of first
appearance in the block (equal hashes get the same number): the go tool hashes a package with the
absolute directory of its sources unless -trimpath is given, so they change with the clone path. The exit status is shown when it is not 0.

A second directive fills a table in place:

    <!-- table: COMMAND -->
    | code | family | severity | meaning | loader message |
    |---|---|---|---|---|
    ...rows, written by this script...
    <!-- end -->

COMMAND runs as above, in the top of the source tree (no `cd`), and must exit 0 and print a JSON
list of objects with the string fields `code`, `family`, `severity` (`error`, `warning` or
`error or warning`), `meaning` and `loader_message` ("" for none, shown as —), as
`dldoctor codes --json` does; each object becomes a row.

Outputs differ between machines in the glibc-hwcaps levels that ld.so searches (x86-64-v4 on one
CPU and not on another). docs/.generated-on records the loader and the levels of the machine that
wrote the docs. With --check on a machine that differs from it only in the levels searched, the
lines that name a level searched on one machine and not the other are set aside on both sides,
and the counts of hwcaps subdirectories tried ("and 10 hwcaps subdirectories") are not compared;
the rest must match. On another loader version nothing is compared (exit status 77, with the
reason), but every command must still run: one that the shell does not find (`not found`, exit
status 126 or 127), where the doc shows it found, fails the check.

Usage: gen_docs.py [--check] [--build-dir BUILD] [DOC...]
       gen_docs.py --self-test      (the directives, on a small doc and a stand-in command)
With --check, nothing is written: a stale doc is printed as a diff and the exit status is 1.
"""
import argparse
import difflib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
SETUP = re.compile(r"<!-- setup -->\n```sh\n(?P<line>[^\n]+)\n```\n<!-- end -->")
BLOCK = re.compile(
    r"(?P<head><!-- (?:run (?P<dir>[^:\n]+)|table): (?P<command>.*?) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<tail><!-- end -->)",
    re.DOTALL,
)
# What the set-up line is there to set: the commands must not get it from this script.
SET_BY_SETUP = ("BUILD", "SRC", "NO_COLOR", "LANG", "LANGUAGE", "COLUMNS")
# What it is there to undo, as a reader's shell may have it (LD_PRELOAD is left out: the loader
# would complain about it in the shell itself, before the set-up line can unset it).
READER_HAS = {"LANG": "C.UTF-8", "LANGUAGE": "de", "LD_LIBRARY_PATH": "/nonexistent/lib"}
TABLE_COLUMNS = ("code", "family", "severity", "meaning", "loader_message")


class DocError(Exception):
    """A doc that cannot be filled: no set-up line, a table command that fails..."""


def reader_environment(build: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in SET_BY_SETUP and not k.startswith("LC_")}
    env["PATH"] = ":".join(p for p in env.get("PATH", "/usr/bin:/bin").split(":")
                           if p and not p.startswith(str(build)))
    env.update(READER_HAS)
    return env


def shell(setup: str, cd: str, command: str, build: Path) -> tuple[str, int]:
    """Runs `SET-UP; cd CD; COMMAND` (no cd when CD is empty) from the source root, as a reader
    would, and returns its output (stdout and stderr) and exit status."""
    script = f"{setup}; cd {cd} || exit; {command}" if cd else f"{setup}; {command}"
    result = subprocess.run(["/bin/sh", "-c", script], cwd=SOURCE_ROOT,
                            env=reader_environment(build), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=120, check=False)
    return result.stdout, result.returncode


GO_PACKAGE_HASH = re.compile(r"\b[0-9a-f]{16}\b")


def without_go_package_hashes(output: str) -> str:
    """Numbers the 16-digit hashes on lines that name a go.link.pkghashbytes. symbol."""
    numbers: dict[str, int] = {}

    def number(match: re.Match) -> str:
        return f"<hash {numbers.setdefault(match.group(0), len(numbers) + 1)}>"

    return "\n".join(GO_PACKAGE_HASH.sub(number, line) if "go.link.pkghashbytes." in line else line
                     for line in output.split("\n"))


def run_block(setup: str, directory: str, command: str, build: Path) -> str:
    with tempfile.TemporaryDirectory(prefix="dldoctor-docs-") as scratch:
        cd = shlex.quote(scratch) if directory == "tmp" else f'"$BUILD/{directory}"'
        output, status = shell(setup, cd, command, build)
        output = output.replace(scratch, "<tmp>")
    output = output.replace(str(build), "<build>").replace(str(SOURCE_ROOT), "<src>")
    output = without_go_package_hashes(output).rstrip("\n")
    if directory == "tmp":
        where = ("In a new empty directory (`cd \"$(mktemp -d)\"`; `<tmp>` below is its path):"
                 if "<tmp>" in output else "In a new empty directory (`cd \"$(mktemp -d)\"`):")
    else:
        where = f"In `$BUILD/{directory}`:"
    shown = "" if status == 0 else f"\n[exit status {status}]"
    return f"{where}\n```console\n$ {command}\n{output}{shown}\n```\n"


def table_block(setup: str, command: str, build: Path) -> str:
    output, status = shell(setup, "", command, build)
    if status != 0:
        raise DocError(f"table command `{command}` exited with status {status}:\n{output}")
    try:
        rows = json.loads(output)
    except json.JSONDecodeError as error:
        raise DocError(f"table command `{command}` did not print JSON ({error}):\n{output}")
    if not isinstance(rows, list) or not rows:
        raise DocError(f"table command `{command}` printed no list of codes")
    headings = [column.replace("_", " ") for column in TABLE_COLUMNS]
    lines = ["| " + " | ".join(headings) + " |", "|---" * len(TABLE_COLUMNS) + "|"]
    for row in rows:
        if (not isinstance(row, dict) or set(row) != set(TABLE_COLUMNS)
                or not all(isinstance(row[c], str) for c in TABLE_COLUMNS)
                or not all(row[c] for c in TABLE_COLUMNS if c != "loader_message")
                or row["severity"] not in ("error", "warning", "error or warning")):
            raise DocError(f"table command `{command}` printed a row that is not "
                           f"{{code, family, severity: error|warning|error or warning, meaning, "
                           f"loader_message}}: {row}")
        cells = [f"`{row['code']}`", row["family"], row["severity"], row["meaning"],
                 row["loader_message"] or "—"]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells)
                     + " |")
    return "\n".join(lines) + "\n\n"


def setup_line(text: str, build: Path) -> str:
    match = SETUP.search(text)
    if not match:
        raise DocError("it runs commands but has no set-up block (<!-- setup --> ```sh LINE ```"
                       " <!-- end -->) before them")
    if match.start() > BLOCK.search(text).start():
        raise DocError("its set-up block comes after its first command")
    line = match["line"]
    if build != SOURCE_ROOT / "build":
        line = line.replace("$PWD/build", str(build))
    return line


def render(text: str, build: Path) -> str:
    setup = setup_line(text, build)

    def fill(match: re.Match) -> str:
        if match["dir"] is None:
            body = table_block(setup, match["command"], build)
        else:
            body = run_block(setup, match["dir"].strip(), match["command"], build)
        return match["head"] + body + match["tail"]

    return BLOCK.sub(fill, text)


def loader() -> tuple[str, str]:
    """The loader's version line and its --help text (empty when it cannot be run)."""
    ld_so = "/lib64/ld-linux-x86-64.so.2"
    try:
        version = subprocess.run([ld_so, "--version"], capture_output=True, text=True,
                                 timeout=10).stdout.splitlines()[0]
        help_text = subprocess.run([ld_so, "--help"], capture_output=True, text=True,
                                   timeout=10).stdout
    except (OSError, IndexError, subprocess.SubprocessError):
        return "", ""
    return version, help_text


def machine_fingerprint() -> str:
    """What makes outputs differ between machines: the loader's version and the hwcaps
    subdirectories it searches (LD_DEBUG traces and dldoctor's search show them)."""
    version, help_text = loader()
    if not version:
        return "unknown"
    searched = [line.split()[0] for line in help_text.splitlines()
                if "searched" in line and line.startswith("  ")]
    return f"{version}; hwcaps searched: {' '.join(searched)}"


def hwcaps_levels() -> set[str]:
    """The glibc-hwcaps levels this loader knows, searched or not (`ld.so --help` lists them)."""
    _, help_text = loader()
    section = help_text.partition("Subdirectories of glibc-hwcaps directories")[2]
    section = section.split("\n\n")[0]
    return {line.split()[0] for line in section.splitlines()[1:] if line.startswith("  ")}


def levels_set_aside(recorded: str, fingerprint: str) -> list[str] | None:
    """The glibc-hwcaps levels searched on one machine and not the other, when that is all that
    differs; None when the loaders differ otherwise."""
    recorded_version, _, recorded_searched = recorded.partition("; hwcaps searched: ")
    version, _, searched = fingerprint.partition("; hwcaps searched: ")
    if recorded_version != version or not version:
        return None
    levels = hwcaps_levels()
    recorded_list, current_list = recorded_searched.split(), searched.split()
    if [n for n in recorded_list if n not in levels] != [
            n for n in current_list if n not in levels]:
        return None
    return sorted(set(recorded_list) ^ set(current_list))


HWCAPS_COUNT = re.compile(r"\(and \d+ hwcaps subdirector")


def without_levels(text: str, levels: list[str]) -> tuple[str, int, int]:
    """TEXT without the lines that name one of LEVELS, and with the counts of hwcaps
    subdirectories masked; and how many lines were set aside and masked."""
    names = re.compile(r"(?<![\w.-])(?:" + "|".join(map(re.escape, levels)) + r")(?![\w.-])")
    kept, aside, masked = [], 0, 0
    for line in text.splitlines(keepends=True):
        if names.search(line):
            aside += 1
            continue
        line, count = HWCAPS_COUNT.subn("(and N hwcaps subdirector", line)
        masked += count > 0
        kept.append(line)
    return "".join(kept), aside, masked


NOT_FOUND = re.compile(r"^/bin/sh: \d+: .*: not found$|^\[exit status 12[67]\]$", re.MULTILINE)


def unrunnable(current: str, fresh: str) -> list[str]:
    """The commands that FRESH shows as not found (the shell's `not found`, exit status 126 or
    127) and CURRENT does not."""
    broken = []
    for was, now in zip(BLOCK.finditer(current), BLOCK.finditer(fresh)):
        if set(NOT_FOUND.findall(now["body"])) - set(NOT_FOUND.findall(was["body"])):
            broken.append(now["command"])
    return broken


def self_test() -> int:
    """The directives on a small doc: a table from a stand-in for `dldoctor codes --json`, a run
    block in a new directory, and a broken set-up line that makes the command not found."""
    setup = 'export SRC="$PWD" LC_ALL=C NO_COLOR=1; unset LD_LIBRARY_PATH LD_PRELOAD LD_DEBUG'
    stand_in = ("printf '[{\"code\":\"x.y\",\"family\":\"bad-path\",\"severity\":\"error\","
                "\"meaning\":\"m | n\",\"loader_message\":\"\"}]'")
    doc = (f"<!-- setup -->\n```sh\n{setup}\n```\n<!-- end -->\n\n"
           f"<!-- table: {stand_in} -->\nold\n<!-- end -->\n\n"
           "<!-- run tmp: pwd; echo \"$SRC\" -->\n<!-- end -->\n")
    build = SOURCE_ROOT / "build"
    fresh = render(doc, build)
    expected_table = ("| code | family | severity | meaning | loader message |\n"
                      "|---|---|---|---|---|\n"
                      "| `x.y` | bad-path | error | m \\| n | — |\n\n<!-- end -->")
    expected_run = ("In a new empty directory (`cd \"$(mktemp -d)\"`; `<tmp>` below is its path):\n"
                    "```console\n$ pwd; echo \"$SRC\"\n<tmp>\n<src>\n```\n<!-- end -->")
    failures = []
    hashes = without_go_package_hashes("go.link.pkghashbytes.a/b: 0123456789abcdef in host, "
                                       "fedcba9876543210 in p.so, 0123456789abcdef again\n"
                                       "0123456789abcdef on another line")
    if hashes != ("go.link.pkghashbytes.a/b: <hash 1> in host, <hash 2> in p.so, <hash 1> again\n"
                  "0123456789abcdef on another line"):
        failures.append(f"the Go package hashes are written as\n{hashes}")
    if expected_table not in fresh:
        failures.append(f"the table is not\n{expected_table}")
    if expected_run not in fresh:
        failures.append(f"the run block is not\n{expected_run}")
    broken = render(doc.replace("<!-- run tmp: pwd;", "<!-- run tmp: no_such_command_x;"), build)
    if unrunnable(fresh, broken) != ['no_such_command_x; echo "$SRC"']:
        failures.append("a command that is not found is not reported")
    for bad in ("printf '[{\"code\":\"x.y\"}]'", "printf 'not json'", "false"):
        try:
            render(doc.replace(stand_in, bad), build)
            failures.append(f"the table command `{bad}` is accepted")
        except DocError:
            pass
    try:
        render(doc.replace("<!-- setup -->", "<!-- no setup -->"), build)
        failures.append("a doc without a set-up line is accepted")
    except DocError:
        pass
    if failures:
        print("gen_docs: self-test failed:\n" + "\n".join(failures) + "\n-- rendered:\n" + fresh)
        return 1
    print("gen_docs: self-test passed (table, run in a new directory, Go package hashes, "
          "not-found command, bad table commands, missing set-up line)")
    return 0


FINGERPRINT_FILE = SOURCE_ROOT / "docs" / ".generated-on"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale docs")
    parser.add_argument("--self-test", action="store_true", help="test the directives")
    parser.add_argument("--build-dir", default=str(SOURCE_ROOT / "build"))
    parser.add_argument("docs", nargs="*")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    build = Path(args.build_dir).resolve()
    if not (build / "lib" / "dldoctor").exists():
        print(f"gen_docs: {build}/lib/dldoctor is not built", file=sys.stderr)
        return 2
    fingerprint = machine_fingerprint()
    levels: list[str] = []
    compare = True
    if args.check and FINGERPRINT_FILE.exists():
        recorded = FINGERPRINT_FILE.read_text(encoding="utf-8").strip()
        if recorded != fingerprint:
            levels = levels_set_aside(recorded, fingerprint)
            if levels is None:
                # Another loader gives other (equally real) outputs: not a stale doc.
                print(f"gen_docs: the docs were generated with another loader ({recorded}); "
                      f"this one is {fingerprint}: outputs not compared, commands only run "
                      f"(scripts/gen_docs.py regenerates)")
                compare, levels = False, []
            else:
                print(f"gen_docs: the docs were generated on a machine whose ld.so searches "
                      f"other glibc-hwcaps levels ({recorded}; this one: {fingerprint}): lines "
                      f"naming {', '.join(levels)} are set aside, hwcaps counts not compared")
    docs = [Path(d).resolve() for d in args.docs] or [
        SOURCE_ROOT / "README.md", *sorted((SOURCE_ROOT / "docs").glob("*.md"))]
    stale = 0
    setups = {}
    for doc in docs:
        name = doc.relative_to(SOURCE_ROOT)
        current = doc.read_text(encoding="utf-8")
        if not BLOCK.search(current):
            continue
        try:
            fresh = render(current, build)
        except DocError as error:
            print(f"gen_docs: {name}: {error}")
            return 2
        setups.setdefault(SETUP.search(current)["line"], []).append(str(name))
        if not compare:
            broken = unrunnable(current, fresh)
            stale += bool(broken)
            for command in broken:
                print(f"gen_docs: {name}: no longer runs after its set-up line: {command}")
            continue
        old, new, aside, masked = current, fresh, 0, 0
        if levels:
            old, aside, masked = without_levels(current, levels)
            new, fresh_aside, fresh_masked = without_levels(fresh, levels)
            aside, masked = aside + fresh_aside, masked + fresh_masked
        note = f" ({aside} lines set aside, {masked} hwcaps counts masked)" if levels else ""
        if new == old:
            print(f"gen_docs: {name} is current{note}")
            continue
        if args.check:
            stale += 1
            print(f"gen_docs: {name} is stale{note}; scripts/gen_docs.py rewrites it:")
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                fromfile=f"{doc.name} (committed)", tofile=f"{doc.name} (fresh run)"))
        else:
            doc.write_text(fresh, encoding="utf-8")
            print(f"gen_docs: wrote {name}")
    if len(setups) > 1:
        print("gen_docs: the docs do not share one set-up line:\n" + "\n".join(
            f"  {line}\n    in {', '.join(names)}" for line, names in setups.items()))
        return 1
    if not args.check:
        FINGERPRINT_FILE.write_text(fingerprint + "\n", encoding="utf-8")
    if not compare and not stale:
        return 77
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
