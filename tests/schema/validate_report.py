"""Validates `dldoctor check --json` output against docs/report.schema.json.

Runs the command on files of every outcome this machine has without building anything: a system
shared library (no finding), a program (a PIE), the libc.so linker script, a missing path, a
directory, an empty file and a text file, plus real loads (--load), one of them of a plugin built
here whose constructor prints: its words must reach standard error and leave the JSON whole.
Each output must be one JSON object that the schema accepts; a schema violation or a non-JSON
output fails the test. `dldoctor run --json` of python3 failing a ctypes load (a missing file,
and a plugin whose dependency is missing) and of a program that misses a dlsym is validated
against docs/run.schema.json beside it, which refers to the report schema for each diagnosis.
Usage: validate_report.py DLDOCTOR SCHEMA
"""
import json
import os
import subprocess
import sys
import tempfile

import jsonschema


def main() -> int:
    dldoctor, schema_path = sys.argv[1], sys.argv[2]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    with tempfile.TemporaryDirectory() as work:
        empty = os.path.join(work, "empty.so")
        open(empty, "wb").close()
        text = os.path.join(work, "text.so")
        with open(text, "w", encoding="utf-8") as f:
            f.write("not a library\n")
        chatty = os.path.join(work, "libchatty.so")
        source = os.path.join(work, "chatty.c")
        with open(source, "w", encoding="utf-8") as f:
            f.write('#include <stdio.h>\n'
                    '__attribute__((constructor)) static void hello(void) {\n'
                    '  printf("{ chatty constructor }\\n"); fflush(stdout);\n}\n')
        subprocess.run(["cc", "-shared", "-fPIC", "-o", chatty, source], check=True)
        runs = [
            (["check", "--json", "/lib/x86_64-linux-gnu/libc.so.6"], 0),
            (["check", "--json", "/usr/bin/true"], 1),
            (["check", "--json", "/usr/lib/x86_64-linux-gnu/libc.so"], 1),
            (["check", "--json", os.path.join(work, "missing.so")], 1),
            (["check", "--json", work], 1),
            (["check", "--json", empty], 1),
            (["check", "--json", text], 1),
            (["check", "--json", "--load", "/lib/x86_64-linux-gnu/libm.so.6"], 0),
            (["check", "--json", "--load", "/usr/bin/true"], 1),
            (["check", "--json", "--load", chatty], 0),
        ]
        failures = 0
        for args, expected_status in runs:
            target = args[-1]
            if target.startswith("/") and not os.path.exists(target) and "missing" not in target:
                print(f"skip {target}: not on this system")
                continue
            result = subprocess.run([dldoctor, *args], capture_output=True, text=True,
                                    env={**os.environ, "NO_COLOR": "1", "LC_ALL": "C"},
                                    timeout=60, check=False)
            try:
                report = json.loads(result.stdout)
            except json.JSONDecodeError as error:
                print(f"FAIL {' '.join(args)}: not JSON ({error}):\n{result.stdout}{result.stderr}")
                failures += 1
                continue
            if target == chatty and ("chatty constructor" not in result.stderr
                                     or not report.get("load", {}).get("loaded")):
                print(f"FAIL {' '.join(args)}: the constructor's words are not on standard error "
                      f"or the load failed:\n{result.stdout}{result.stderr}")
                failures += 1
                continue
            errors = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
            if errors or result.returncode != expected_status:
                failures += 1
                print(f"FAIL {' '.join(args)}: exit {result.returncode} (expected "
                      f"{expected_status})")
                for error in errors:
                    print(f"     at {list(error.path)}: {error.message}")
            else:
                codes = [f["code"] for f in report["findings"]] or ["no findings"]
                print(f"ok   {' '.join(args)}: exit {result.returncode}, {', '.join(codes)}")
        failures += check_run_reports(dldoctor, schema, os.path.dirname(schema_path), work)
    print(f"{len(runs)} check outputs checked, {failures} failed")
    return 1 if failures else 0


def check_run_reports(dldoctor: str, report_schema: dict, docs: str, work: str) -> int:
    """dldoctor run --json's reports against run.schema.json (report.schema.json for each
    diagnosis, by its $id). Returns the number of failures."""
    with open(os.path.join(docs, "run.schema.json"), encoding="utf-8") as f:
        run_schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(run_schema)
    # The reference to report.schema.json resolved here, with any jsonschema (Debian 12's has no
    # registry): the report schema in its place, its $defs beside the run schema's.
    report = {k: v for k, v in report_schema.items() if k not in ("$schema", "$id", "$defs")}
    defs = run_schema["$defs"]
    assert not set(defs) & set(report_schema.get("$defs", {})), "a $defs name in both schemas"
    defs.update(report_schema.get("$defs", {}))
    assert defs["failure"]["properties"]["report"] == {"$ref": "report.schema.json"}
    defs["failure"]["properties"]["report"] = report
    validator = jsonschema.Draft202012Validator(run_schema)
    with open(os.path.join(work, "dep.c"), "w", encoding="utf-8") as f:
        f.write("int dep(void) { return 2; }\n")
    with open(os.path.join(work, "needs.c"), "w", encoding="utf-8") as f:
        f.write("int dep(void);\nint needs(void) { return dep(); }\n")
    with open(os.path.join(work, "miss.c"), "w", encoding="utf-8") as f:
        f.write("#include <dlfcn.h>\nint main(void) { void* h = dlopen(\"./libneeds-ok.so\", "
                "RTLD_NOW);\n  return h && !dlsym(h, \"neds\") ? 0 : 1; }\n")
    os.mkdir(os.path.join(work, "elsewhere"))
    subprocess.run(["cc", "-shared", "-fPIC", "-o", os.path.join(work, "elsewhere", "libdep.so"),
                    os.path.join(work, "dep.c")], check=True)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", os.path.join(work, "libneeds.so"),
                    os.path.join(work, "needs.c"), "-L" + os.path.join(work, "elsewhere"),
                    "-ldep"], check=True)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", os.path.join(work, "libneeds-ok.so"),
                    os.path.join(work, "needs.c"), "-L" + os.path.join(work, "elsewhere"),
                    "-ldep", "-Wl,-rpath," + os.path.join(work, "elsewhere")], check=True)
    subprocess.run(["cc", "-o", os.path.join(work, "miss"), os.path.join(work, "miss.c")],
                   check=True)
    runs = [
        (["/usr/bin/python3", "-c", "import ctypes\nfor p in ('./missing.so', './libneeds.so'):\n"
          "  try: ctypes.CDLL(p)\n  except OSError: pass"], 0, 2),
        (["./miss"], 0, 1),
    ]
    failures = 0
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "LD_AUDIT")}
    for command, expected_status, expected_failures in runs:
        out = os.path.join(work, "run.json")
        result = subprocess.run([os.path.abspath(dldoctor), "run", "--json", "--report", out,
                                 "--", *command],
                                cwd=work, capture_output=True, text=True, timeout=60,
                                env={**env, "NO_COLOR": "1", "LC_ALL": "C"}, check=False)
        try:
            with open(out, encoding="utf-8") as f:
                report = json.load(f)
        except (OSError, json.JSONDecodeError) as error:
            print(f"FAIL run {command[0]}: no JSON report ({error}):\n{result.stderr}")
            failures += 1
            continue
        errors = sorted(validator.iter_errors(report), key=lambda e: list(e.path))
        if errors or result.returncode != expected_status or \
                len(report["failures"]) != expected_failures:
            failures += 1
            print(f"FAIL run {command[0]}: exit {result.returncode} (expected {expected_status}),"
                  f" {len(report['failures'])} failures (expected {expected_failures})")
            for error in errors:
                print(f"     at {list(error.path)}: {error.message}")
        else:
            codes = [f["report"]["findings"][0]["code"] for f in report["failures"]]
            print(f"ok   run {command[0]}: exit {result.returncode}, {', '.join(codes)}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
