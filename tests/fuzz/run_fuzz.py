#!/usr/bin/env python3
"""Runs one libFuzzer target for a fixed time on its seeds: a test of scripts/test (suite fuzz).

run_fuzz.py TARGET SECONDS WORKDIR SEED_DIR_OR_FILE...
The corpus grows in WORKDIR/corpus (never in the source tree); a crash, leak, timeout or
sanitizer report leaves its input in WORKDIR and fails the test, naming the file to add to
tests/data with a test."""
import os
import shutil
import subprocess
import sys
import tempfile


def main() -> int:
    target, seconds, workdir, *seeds = sys.argv[1:]
    corpus = os.path.join(workdir, "corpus")
    os.makedirs(corpus, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dldoctor-fuzz-seeds-") as seed_dir:
        for seed in seeds:
            paths = ([os.path.join(seed, name) for name in sorted(os.listdir(seed))]
                     if os.path.isdir(seed) else [seed])
            for path in paths:
                if os.path.isfile(path) and os.access(path, os.R_OK):
                    shutil.copy(path, os.path.join(seed_dir, os.path.basename(path)))
        result = subprocess.run([target, f"-max_total_time={seconds}", "-timeout=10",
                                 "-rss_limit_mb=2048", "-print_final_stats=1",
                                 f"-artifact_prefix={workdir}/", corpus, seed_dir],
                                capture_output=True, text=True)
    stats = [line for line in result.stderr.splitlines()
             if line.startswith("stat::") or " DONE " in line]
    print("\n".join(stats))
    if result.returncode != 0:
        print(result.stderr[-6000:])
        print(f"{os.path.basename(target)} failed: its input is in {workdir}/ (crash-*, leak-*, "
              "timeout-*): add it to tests/data with a test")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
