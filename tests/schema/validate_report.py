"""Validates `dldoctor check --json` output against docs/report.schema.json.

Runs the command on files of every outcome this machine has without building anything: a system
shared library (no finding), a program (a PIE), the libc.so linker script, a missing path, a
directory, an empty file and a text file, plus real loads (--load), one of them of a plugin built
here whose constructor prints: its words must reach standard error and leave the JSON whole.
Each output must be one JSON object that the schema accepts; a schema violation or a non-JSON
output fails the test.
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
    print(f"{len(runs)} outputs checked, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
