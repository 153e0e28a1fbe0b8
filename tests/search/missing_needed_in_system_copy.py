"""A copy of a system library whose DT_NEEDED names a library that does not exist: the real
loader refuses it, and `dldoctor check` reports bad-path with the search trace.

The copy is made with patchelf --replace-needed in a temporary directory; the system library is
left alone. Usage: missing_needed_in_system_copy.py DLDOCTOR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

LIBRARY = "/lib/x86_64-linux-gnu/libz.so.1"
MISSING = "libdldoctor-gone.so.9"


def main() -> int:
    dldoctor = sys.argv[1]
    if not os.path.exists(LIBRARY):
        print(f"SKIP: {LIBRARY} is not on this system")
        return 77
    env = {**os.environ, "LC_ALL": "C", "NO_COLOR": "1"}
    env.pop("LD_LIBRARY_PATH", None)
    with tempfile.TemporaryDirectory(prefix="dldoctor-copy-") as work:
        copy = os.path.join(work, "libz-copy.so.1")
        shutil.copyfile(LIBRARY, copy)
        subprocess.run(["patchelf", "--replace-needed", "libc.so.6", MISSING, copy], check=True)
        # The real loader's verdict, in a child: ld.so --list names what it cannot find.
        listed = subprocess.run(["/lib64/ld-linux-x86-64.so.2", "--list", copy], env=env,
                                capture_output=True, text=True, check=False)
        said = listed.stdout + listed.stderr
        assert (f"{MISSING} => not found" in said or
                f"{MISSING}: cannot open shared object file: No such file or directory" in said), said
        checked = subprocess.run([dldoctor, "check", "--json", copy], env=env,
                                 capture_output=True, text=True, check=False)
        report = json.loads(checked.stdout)
        assert checked.returncode == 1, checked.returncode
        assert report["loads"] is False
        finding = next(f for f in report["findings"] if f["family"] == "bad-path")
        assert finding["code"] == "path.missing-dependency", finding
        assert MISSING in finding["summary"], finding["summary"]
        tried = [line for line in finding["evidence"] if line.startswith("tried ")]
        assert len(tried) >= 4, finding["evidence"]  # every system directory, in order
        assert tried[0].startswith(f"tried /lib/x86_64-linux-gnu/{MISSING} [default path]"), tried
        print(f"ld.so --list: {said.strip()}")
        print(f"dldoctor: {finding['code']}: {finding['summary']}")
        for line in tried:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
