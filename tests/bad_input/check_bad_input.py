#!/usr/bin/env python3
"""End-to-end: `dldoctor check` on malformed input gives a clear one-line error, never a crash.

Usage: check_bad_input.py DLDOCTOR TESTS_DATA_DIR

For every malformed file of tests/data (see make_malformed.py), and for a FIFO, a directory and a
missing path made in a fresh temporary directory, it runs `dldoctor check PATH` and
`dldoctor check --json PATH` (20 s timeout each; LC_ALL=C, NO_COLOR=1) and checks that:
  - the exit status is 1 or 2 (not 0, not a signal) and the run did not hang;
  - the expected message is on one line of the text run's stdout+stderr;
  - the JSON run prints exactly one JSON object, with `loads` false and a `findings[*].summary`
    containing the message;
  - stderr has no sanitizer report (`Sanitizer`, `runtime error:`);
  - the input is left untouched (sha256 of a regular file, size, mode, mtime_ns; a missing path
    stays missing).
Prints one line per case (`ok   NAME: exit N: MESSAGE` or `FAIL NAME: ...`); exits 1 if any failed.
"""

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

TIMEOUT_S = 20

# file in tests/data -> the exact message (the reader's contract; see make_malformed.py).
DATA_CASES = {
    "truncated-header.elf": "file too short: the ELF header needs 64 bytes, the file has 24",
    "phdr-past-end.elf": "program header table at 0x40 runs past the end of the file (size 120)",
    "absurd-phnum.elf": "program header table at 0x40 runs past the end of the file (size 256)",
    "bad-phentsize.elf": "program header entry size 7 is not the 56 bytes of ELFCLASS64",
    "dynamic-out-of-range.elf":
        "dynamic segment at 0x10000 (size 0x100) runs past the end of the file (size 256)",
    "strtab-offset-out-of-range.elf":
        "DT_NEEDED name at 0x1000 is outside the dynamic string table (size 16)",
    "absurd-strsz.elf": "dynamic string table at 0xf0 (size 0xffffffffffff) runs past the end of "
                        "the file (size 256)",
    "strtab-vaddr-unmapped.elf": "DT_STRTAB address 0x900000 is not inside any PT_LOAD segment",
    "empty.elf": "the file is empty (0 bytes)",
}

SANITIZER_MARKS = ("Sanitizer", "runtime error:")


def snapshot(path):
    """What must not change: lstat fields, and the bytes of a regular file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return "missing"
    digest = None
    if stat.S_ISREG(st.st_mode):
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {"sha256": digest, "size": st.st_size, "mode": oct(st.st_mode),
            "mtime_ns": st.st_mtime_ns}


def run(dldoctor, args):
    """Runs dldoctor in its own process group; on a hang, kills the whole group."""
    env = dict(os.environ, LC_ALL="C", NO_COLOR="1")
    with subprocess.Popen([dldoctor, *args], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, errors="replace", env=env,
                          start_new_session=True) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def check_run(label, proc, problems):
    """Exit status and sanitizer checks shared by the text and JSON runs."""
    if proc.returncode < 0:
        problems.append(f"{label}: killed by signal {-proc.returncode}")
    elif proc.returncode not in (1, 2):
        problems.append(f"{label}: exit status {proc.returncode}, expected 1 or 2")
    for mark in SANITIZER_MARKS:
        if mark in proc.stderr:
            problems.append(f"{label}: stderr has a sanitizer report ({mark!r})")


def check_text(proc, message, problems):
    check_run("text", proc, problems)
    lines = (proc.stdout + "\n" + proc.stderr).splitlines()
    if not any(message in line for line in lines):
        output = (proc.stdout + proc.stderr).strip().replace("\n", " | ")
        problems.append(f"text: message not on any line; output: {output[:400]!r}")


def check_json(proc, message, problems):
    check_run("json", proc, problems)
    try:
        report = json.loads(proc.stdout)
    except ValueError as err:
        problems.append(f"json: stdout is not one JSON value ({err}): {proc.stdout[:200]!r}")
        return
    if not isinstance(report, dict):
        problems.append(f"json: not an object but {type(report).__name__}")
        return
    if report.get("loads") is not False:
        problems.append(f"json: loads is {report.get('loads')!r}, expected false")
    findings = report.get("findings")
    summaries = [f.get("summary") for f in findings if isinstance(f, dict)] \
        if isinstance(findings, list) else []
    if not any(isinstance(s, str) and message in s for s in summaries):
        problems.append(f"json: no findings[*].summary contains it; got {summaries!r}")


def check_case(dldoctor, path, message):
    """Returns (exit status of the text run or None, list of problems)."""
    problems = []
    before = snapshot(path)
    status = None
    try:
        text = run(dldoctor, ["check", str(path)])
        status = text.returncode
        check_text(text, message, problems)
        # After a hang, skip the JSON run: a second wait proves nothing more, and it keeps the
        # worst case of the whole script (12 hangs) inside Meson's 300 s.
        check_json(run(dldoctor, ["check", "--json", str(path)]), message, problems)
    except subprocess.TimeoutExpired as hung:
        problems.append(f"{' '.join(hung.cmd[1:-1])}: no answer in {TIMEOUT_S} s (hang)")
    after = snapshot(path)
    if after != before:
        problems.append(f"input changed: {before} -> {after}")
    return status, problems


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: check_bad_input.py DLDOCTOR TESTS_DATA_DIR")
    dldoctor, data = sys.argv[1], Path(sys.argv[2])
    if not os.access(dldoctor, os.X_OK):
        sys.exit(f"FAIL: {dldoctor} is not an executable file")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="dldoctor-bad-input-") as tmp:
        tmp = Path(tmp)
        fifo, directory, missing = tmp / "plugin-fifo.so", tmp / "plugin-dir.so", tmp / "nope.so"
        os.mkfifo(fifo)
        directory.mkdir()
        cases = [(name, data / name, message) for name, message in DATA_CASES.items()]
        cases += [("FIFO", fifo, "is a FIFO, not a regular file"),
                  ("directory", directory, "is a directory"),
                  ("missing path", missing, "does not exist")]
        for name, path, message in cases:
            if name in DATA_CASES and not path.is_file():
                status, problems = None, [f"{path} is missing (run tests/data/make_malformed.py)"]
            else:
                status, problems = check_case(dldoctor, path, message)
            if problems:
                failed += 1
                print(f"FAIL {name}: " + "; ".join(problems))
            else:
                print(f"ok   {name}: exit {status}: {message}")
    print(f"{len(cases) - failed} of {len(cases)} bad-input cases passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
