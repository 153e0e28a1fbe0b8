#!/usr/bin/env python3
"""Walks every case: the real loader's message for the broken variant, dldoctor's finding and
fix, and the fixed variant loading. Each step is checked against the case's manifest, so the
demo says "reproduced", "diagnosed" and "fixed" only when they really happened.

Usage: demo.py [--build-dir BUILD] [FAMILY_OR_CASE...]   (e.g. wrong-build-mode, or
wrong-build-mode/executable); the exit status is non-zero when a case did not behave.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent
COLOUR = sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def paint(code: str, text: str) -> str:
    return f"\033[{code}m{text}\033[0m" if COLOUR else text


def case_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("LD_LIBRARY_PATH", "LD_PRELOAD")}
    env.update({"LC_ALL": "C", "NO_COLOR": "1"})
    return env


def run(argv, cwd):
    return subprocess.run(argv, cwd=cwd, env=case_env(), capture_output=True, text=True,
                          timeout=60, check=False)


def walk_case(manifest_path: Path, build: Path, index: int, total: int) -> dict:
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    case_id = manifest["id"]
    case_dir = build / "cases" / case_id
    try_load = str(build / "cases" / "try_load")
    dldoctor = str(build / "lib" / "dldoctor")
    symbol = manifest["host"].get("symbol", "dldoctor_case_answer")
    mode = manifest["host"].get("mode", "now")
    width = shutil.get_terminal_size((100, 20)).columns
    wrap = lambda text, indent: textwrap.fill(text, width=max(60, width - 2),
                                              subsequent_indent=" " * indent,
                                              break_on_hyphens=False, break_long_words=False)

    print(paint("1", f"[{index:2}/{total}] {case_id}") + f"  {manifest['summary']}")
    outcome = {"id": case_id, "reproduced": True, "diagnosed": True, "fixed": False,
               "messages": [], "codes": []}
    for variant in manifest["broken"]:
        path = variant["path"]
        if not (case_dir / path).exists():
            print(f"  broken  {path}: not built on this machine (needs clang and lld)")
            outcome["reproduced"] = outcome["diagnosed"] = False
            continue
        loaded = run([try_load, path, symbol, mode], case_dir)
        first = (loaded.stdout.splitlines() or [""])[0]
        if variant.get("loads"):
            message = "loads (" + first.split("; ")[-1] + ")" if loaded.returncode == 0 else first
            ok = loaded.returncode == 0
        else:
            message = first.removeprefix("dlopen failed: ")
            ok = loaded.returncode == 1 and re.search(variant["message"], message) is not None
        outcome["reproduced"] &= ok
        outcome["messages"].append(message)
        print(f"  broken  {path}")
        print(wrap(f"    loader    {message}", 14) + ("" if ok else paint("31", "  (unexpected)")))

        checked = run([dldoctor, "check", "--json", path], case_dir)
        try:
            report = json.loads(checked.stdout)
        except json.JSONDecodeError:
            report = {"findings": []}
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

    fixed = manifest["fixed"]
    loaded = run([try_load, fixed["path"], symbol, mode], case_dir)
    expected = f"() = {fixed['value']}"
    outcome["fixed"] = loaded.returncode == 0 and expected in loaded.stdout
    result = (loaded.stdout.strip().split("; ")[-1] if outcome["fixed"]
              else loaded.stdout.strip() or loaded.stderr.strip())
    print(f"  fixed   {fixed['path']}")
    print(wrap(f"    loader    {'loads: ' if outcome['fixed'] else ''}{result}", 14))
    print()
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default=str(SOURCE_ROOT / "build"))
    parser.add_argument("select", nargs="*")
    args = parser.parse_args()
    build = Path(args.build_dir).resolve()
    manifests = sorted((SOURCE_ROOT / "cases").glob("*/*/case.json"))
    if args.select:
        manifests = [m for m in manifests
                     if any(str(m.parent.relative_to(SOURCE_ROOT / "cases")).startswith(s)
                            for s in args.select)]
    outcomes = [walk_case(m, build, i + 1, len(manifests)) for i, m in enumerate(manifests)]

    print(paint("1", f"{'case':<38} {'the loader says':<58} {'dldoctor':<24} fixed"))
    for o in outcomes:
        message = "; ".join(m.split(": ", 1)[-1] for m in o["messages"])
        if len(message) > 57:
            message = message[:54] + "..."
        codes = ", ".join(dict.fromkeys(o["codes"]))
        if len(codes) > 23:
            codes = codes[:20] + "..."
        print(f"{o['id']:<38} {message:<58} {codes:<24} {'loads' if o['fixed'] else 'NO'}")
    count = len(outcomes)
    reproduced = sum(o["reproduced"] for o in outcomes)
    diagnosed = sum(o["diagnosed"] for o in outcomes)
    fixed = sum(o["fixed"] for o in outcomes)
    print()
    print(f"{count} cases: {reproduced} reproduced, {diagnosed} diagnosed, {fixed} fixed")
    return 0 if reproduced == diagnosed == fixed == count and count > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
