#!/usr/bin/env python3
"""Walks every case: the real loader's message for the broken variant, dldoctor's finding and
fix, and the fixed variant loading. Each step is checked against the case's manifest, so the
demo says "reproduced", "diagnosed" and "fixed" only when they really happened. It runs the cases
as their tests do (tests/cases/case_runner.cpp): the host each names, in its directory and
environment, as the unprivileged user a permission case names (when run as root), and inside a
private noexec mount where a case needs one.

Usage: demo.py [--build-dir BUILD] [FAMILY_OR_CASE...]   (e.g. wrong-build-mode, or
wrong-build-mode/executable); the exit status is non-zero when a case did not behave.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
COLOUR = sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def paint(code: str, text: str) -> str:
    return f"\033[{code}m{text}\033[0m" if COLOUR else text


class Case:
    def __init__(self, manifest_path: Path, build: Path):
        self.manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        self.id = self.manifest["id"]
        self.host = self.manifest["host"]
        self.dir = build / "cases" / self.id
        self.try_load = build / "cases" / "try_load"
        self.dldoctor = str(build / "lib" / "dldoctor")
        self.staged = None
        uid = self.host.get("uid")
        self.user = (uid, self.host.get("gid", uid)) if uid is not None and os.geteuid() == 0 \
            else None
        if self.user:
            # The unprivileged user must reach the files: a copy, modes and all, in a 0755 dir.
            self.staged = Path(tempfile.mkdtemp(prefix="dldoctor-demo-"))
            os.chmod(self.staged, 0o755)
            shutil.copytree(self.dir, self.staged / "case", symlinks=True)
            os.chmod(self.staged / "case", 0o755)
            shutil.copy2(self.try_load, self.staged / "try_load")
            self.dir = self.staged / "case"
            self.try_load = self.staged / "try_load"

    def close(self):
        if self.staged:
            shutil.rmtree(self.staged, ignore_errors=True)

    def env(self, variant):
        env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD")}
        env.update({"LC_ALL": "C", "NO_COLOR": "1"})
        extra = variant.get("env", self.host.get("env", {})) if variant else self.host.get("env", {})
        for name, value in extra.items():
            env[name] = value.replace("{dir}", str(self.dir))
        return env

    def cwd(self):
        return self.dir / self.host.get("cwd", ".")

    def program(self, variant):
        if variant and "host_exe" in variant:
            return str(self.dir / variant["host_exe"])
        return str(self.dir / self.host["exe"]) if "exe" in self.host else str(self.try_load)

    def symbol(self, variant):
        return (variant or {}).get("symbol", self.host.get("symbol", "dldoctor_case_answer"))

    def host_argv(self, variant):
        return ([self.program(variant)] + list((variant or {}).get("host_args", [])) +
                [variant["path"], self.symbol(variant), self.host.get("mode", "now")])

    def check_argv(self, variant, path=None):
        argv = [self.dldoctor, "check", "--json", path or variant.get("check_path", variant["path"]),
                "--mode", self.host.get("mode", "now")]
        if self.host.get("dldoctor_host"):
            argv += ["--host", self.program(variant)]
        if self.host.get("check_symbol"):
            argv += ["--symbol", self.symbol(variant)]
        # The host's own conditions (--api, --signature), or the variant's where its host differs.
        argv += list((variant or {}).get("check_args", self.host.get("check_args", [])))
        if self.user:
            argv += ["--user", str(self.user[0])]
        return argv

    def run_host(self, variant):
        """The host's run of a variant: in a fresh copy of the files it names ("run_in_copy", a
        host that renames files over others), so the case's own stay as built."""
        if not variant.get("run_in_copy"):
            return self.run(self.host_argv(variant), variant, True)
        work = Path(tempfile.mkdtemp(prefix="dldoctor-demo-run-"))
        os.chmod(work, 0o755)
        built = self.dir
        try:
            names = list(variant["run_in_copy"]) + [n for n in (variant.get("host_exe"),
                                                                self.host.get("exe")) if n]
            for name in names:
                (work / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(built / name, work / name)
            (work / self.host.get("cwd", ".")).mkdir(parents=True, exist_ok=True)
            self.dir = work
            return self.run(self.host_argv(variant), variant, True)
        finally:
            self.dir = built
            shutil.rmtree(work, ignore_errors=True)

    def in_noexec(self, variant, argv, as_host):
        mount = variant["noexec_mount"]
        wrapped = [str(self.dir / mount["helper"])]
        for name in mount.get("copy", []):
            wrapped += ["--copy", str(self.dir / name)]
        for directory in mount.get("exec_tmpfs", []):
            wrapped += ["--exec-tmpfs", directory]
        if as_host and self.user:
            wrapped += ["--as", f"{self.user[0]}:{self.user[1]}"]
        return wrapped + [str(self.dir / mount["at"]), "--"] + argv

    def check_while_running(self, variant):
        """dldoctor check while the host waits after the replacement ("diagnose_while_running":
        it prints "ready" and waits for its standard input to close), then the host released."""
        running = dict(variant)
        running["host_args"] = (list(variant.get("host_args", [])) +
                                list(variant["diagnose_while_running"]["host_args"]))
        host = subprocess.Popen(self.host_argv(running), cwd=self.cwd(), env=self.env(variant),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        for line in host.stdout:
            if line.rstrip("\n") == "ready":
                break
        checked = self.run(self.check_argv(with_placeholders(variant, {"{pid}": str(host.pid)})),
                           variant, False)
        host.communicate(timeout=60)  # closes its standard input: the host carries on
        return checked

    def run(self, argv, variant, as_host):
        def drop():
            os.setgroups([])
            os.setgid(self.user[1])
            os.setuid(self.user[0])
        if variant and "noexec_mount" in variant:
            argv = self.in_noexec(variant, argv, as_host)
            as_host = False  # the helper drops, after mounting
        return subprocess.run(argv, cwd=self.cwd(), env=self.env(variant), capture_output=True,
                              text=True, timeout=60, check=False,
                              preexec_fn=drop if as_host and self.user else None)


def output_matches(variant, stdout):
    """A host that reports several steps ("lines"): its lines, each matched by its own regex."""
    expected = variant.get("lines")
    lines = stdout.splitlines()
    return expected is None or (len(lines) == len(expected) and
                                all(re.search(e, line) for e, line in zip(expected, lines)))


def with_placeholders(value, values):
    """VALUE (a manifest's variant) with each placeholder in its strings replaced."""
    if isinstance(value, str):
        for placeholder, replacement in values.items():
            value = value.replace(placeholder, replacement)
        return value
    if isinstance(value, list):
        return [with_placeholders(item, values) for item in value]
    if isinstance(value, dict):
        return {key: with_placeholders(item, values) for key, item in value.items()}
    return value


def reload_outcome(variant, returncode, stdout):
    """A hot-reload host's run (its "output" lines in order, then "signal" or exit 0), in one
    line: its last line, or the signal that killed it; and whether it is what the case says."""
    lines = stdout.splitlines()
    at = 0
    for expected in variant["output"]:
        while at < len(lines) and not re.search(expected, lines[at]):
            at += 1
        if at == len(lines):
            return f"no line matches {expected}", False
        at += 1
    last = lines[at - 1] if at else ""
    if "signal" in variant:
        ok = returncode == -variant["signal"]
        if returncode >= 0:
            return f"{last}; then exit status {returncode}, not killed by a signal", ok
        return f"{last}; then killed by {signal.Signals(-returncode).name}", ok
    return last, returncode == 0


def loader_outcome(variant, result):
    """What the loader did, in one line, and whether it is what the case says."""
    if "output" in variant:
        return reload_outcome(variant, result.returncode, result.stdout)
    lines = result.stdout.splitlines() or [""]
    first = lines[0]
    fails_at = variant.get("fails_at", "dlopen")
    if variant.get("loads") or variant.get("no_finding"):
        value = f"() = {variant.get('value', 42)}"
        ok = result.returncode == 0 and value in result.stdout and \
            output_matches(variant, result.stdout)
        line = next((line for line in reversed(lines) if value in line), first)
        return "loads (" + line.split("; ")[-1] + ")" if ok else first, ok
    if result.returncode == 77:
        return "skipped: " + (result.stdout + result.stderr).strip(), None
    if fails_at == "call" and "signal" in variant:
        # Killed by a signal (a call into data: SIGSEGV); subprocess gives it as -N.
        ok = result.returncode == -variant["signal"] and "() = " not in result.stdout
        if result.returncode >= 0:
            return f"exit status {result.returncode}, not killed by a signal", ok
        return f"killed by {signal.Signals(-result.returncode).name} (signal {-result.returncode})", ok
    if fails_at == "fatal":
        # Killed in the open by the runtime it loads into (a Go host's plugin.Open given a file
        # that is no Go plugin): nothing printed, the fatal error first on standard error.
        message = (result.stderr.splitlines() or [""])[0]
        ok = result.returncode == variant.get("exit_status", 2) and result.stdout == "" and \
            re.search(variant["message"], message) is not None
        return f"{message} (exit status {result.returncode})", ok
    if fails_at == "call":
        message = (result.stderr.splitlines() or [""])[0]
        ok = result.returncode == variant.get("exit_status", 127) and \
            re.search(variant["message"], message) is not None
        return f"{message} (exit status {result.returncode})", ok
    # The last line: a host that reports earlier steps (a reload) prints them first.
    prefix = "dlsym failed: " if fails_at == "dlsym" else "dlopen failed: "
    message = lines[-1].removeprefix(prefix)
    ok = result.returncode == (2 if fails_at == "dlsym" else 1) and \
        re.search(variant["message"], message) is not None and \
        output_matches(variant, result.stdout)
    return message, ok


def walk_case(case: Case, index: int, total: int) -> dict:
    width = shutil.get_terminal_size((100, 20)).columns
    wrap = lambda text, indent: textwrap.fill(text, width=max(60, width - 2),
                                              subsequent_indent=" " * indent,
                                              break_on_hyphens=False, break_long_words=False)
    manifest = case.manifest
    print(paint("1", f"[{index:2}/{total}] {case.id}") + f"  {manifest['summary']}")
    outcome = {"id": case.id, "reproduced": True, "diagnosed": True, "fixed": False,
               "messages": [], "codes": [], "skipped": False}
    # A hot-reload case's host loads from, and replaces, a live path in a scratch directory
    # ("{scratch}"), a fresh one for each run.
    scratches = []

    def scratch(variant):
        scratches.append(tempfile.mkdtemp(prefix="dldoctor-demo-reload-"))
        os.chmod(scratches[-1], 0o755)
        return with_placeholders(variant, {"{scratch}": scratches[-1]})
    try:
        return walk_variants(case, manifest, outcome, wrap, scratch)
    finally:
        for directory in scratches:
            shutil.rmtree(directory, ignore_errors=True)


def walk_variants(case, manifest, outcome, wrap, scratch):
    for index, variant in enumerate(manifest["broken"]):
        variant = scratch(variant)
        path = variant["path"]
        message, ok = loader_outcome(variant, case.run_host(variant))
        print(f"  broken  {path}")
        if ok is None:
            print(wrap(f"    {message}", 14))
            outcome["skipped"] = True
            continue
        outcome["reproduced"] &= ok
        outcome["messages"].append(message)
        print(wrap(f"    loader    {message}", 14) + ("" if ok else paint("31", "  (unexpected)")))

        checked = (case.check_while_running(scratch(manifest["broken"][index]))
                   if "diagnose_while_running" in variant
                   else case.run(case.check_argv(variant), variant, False))
        try:
            report = json.loads(checked.stdout)
        except json.JSONDecodeError:
            report = {"findings": []}
        if variant.get("no_finding"):
            errors = [f for f in report["findings"] if f["severity"] == "error"]
            outcome["diagnosed"] &= not errors
            outcome["codes"].append("no error")
            print(f"    dldoctor  {'no error: it loads' if not errors else errors[0]['code']}")
            continue
        finding = next((f for f in report["findings"] if f["code"] == variant["code"]), None)
        outcome["diagnosed"] &= finding is not None
        if finding is None:
            print(paint("31", f"    dldoctor  expected {variant['code']}, got "
                              f"{[f['code'] for f in report['findings']]}"))
            continue
        outcome["codes"].append(finding["code"])
        tag = paint("31" if finding["severity"] == "error" else "33", finding["severity"])
        print(wrap(f"    dldoctor  {tag} {finding['code']}: {finding['summary']}", 14))
        for line in finding["evidence"][:2]:
            print(wrap(f"              - {line}", 16))
        print(wrap(f"    fix       {finding['fix']['summary']}", 14))
        for command in finding["fix"]["commands"]:
            print(f"              $ {command}")  # never wrapped: it is there to be pasted

    fixed = scratch(manifest["fixed"])
    result = case.run_host(fixed)
    if "output" in fixed:
        shown, outcome["fixed"] = reload_outcome(fixed, result.returncode, result.stdout)
    else:
        value = f"() = {fixed['value']}"
        outcome["fixed"] = result.returncode == 0 and value in result.stdout and \
            output_matches(fixed, result.stdout)
        loaded = next((line for line in reversed(result.stdout.splitlines()) if value in line), "")
        shown = (loaded.split("; ")[-1] if outcome["fixed"]
                 else (result.stdout.strip() or result.stderr.strip()))
    print(f"  fixed   {fixed['path']}")
    print(wrap(f"    loader    {'loads: ' if outcome['fixed'] else ''}{shown}", 14))
    print()
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=str(SOURCE_ROOT / "build"))
    parser.add_argument("select", nargs="*")
    args = parser.parse_args()
    build = Path(args.build_dir).resolve()
    # The families in DESIGN.md's order, the cases of each in name order.
    order = ["wrong-build-mode", "unexported-symbol", "signature-mismatch", "version-conflict",
             "bad-path", "missing-permission"]
    manifests = sorted((SOURCE_ROOT / "cases").glob("*/*/case.json"),
                       key=lambda m: (order.index(m.parent.parent.name)
                                      if m.parent.parent.name in order else len(order),
                                      m.parent.name))
    if args.select:
        manifests = [m for m in manifests
                     if any(str(m.parent.relative_to(SOURCE_ROOT / "cases")).startswith(s)
                            for s in args.select)]
    outcomes = []
    for i, manifest in enumerate(manifests):
        case = Case(manifest, build)
        try:
            outcomes.append(walk_case(case, i + 1, len(manifests)))
        finally:
            case.close()

    print(paint("1", f"{'case':<44} {'the loader says':<56} {'dldoctor':<26} fixed"))
    for o in outcomes:
        message = "; ".join(m.split(": ", 1)[-1] for m in o["messages"]) or "(skipped)"
        if len(message) > 55:
            message = message[:52] + "..."
        codes = ", ".join(dict.fromkeys(o["codes"]))
        if len(codes) > 25:
            codes = codes[:22] + "..."
        print(f"{o['id']:<44} {message:<56} {codes:<26} {'loads' if o['fixed'] else 'NO'}")
    count = len(outcomes)
    skipped = sum(o["skipped"] for o in outcomes)
    reproduced = sum(o["reproduced"] and not o["skipped"] for o in outcomes)
    diagnosed = sum(o["diagnosed"] and not o["skipped"] for o in outcomes)
    fixed = sum(o["fixed"] for o in outcomes)
    print()
    print(f"{count} cases: {reproduced} reproduced, {diagnosed} diagnosed, {fixed} fixed"
          + (f", {skipped} skipped on this machine" if skipped else ""))
    return 0 if reproduced + skipped == diagnosed + skipped == count and fixed == count \
        and count > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
