"""Every C++ file of the tree is formatted as .clang-format says: lists the ones that are not.

Usage: check_format.py CLANG_FORMAT SOURCE_ROOT
"""
import subprocess
import sys
from pathlib import Path


def main() -> int:
    clang_format, root = sys.argv[1], Path(sys.argv[2])
    tracked = subprocess.run(["git", "-C", str(root), "ls-files", "*.cpp", "*.hpp"],
                             capture_output=True, text=True, check=False)
    if tracked.returncode == 0 and tracked.stdout.strip():
        files = [root / name for name in tracked.stdout.split()]
    else:  # not a git checkout (an unpacked tarball): every source file
        files = sorted(p for pattern in ("*.cpp", "*.hpp") for p in root.rglob(pattern)
                       if "build" not in p.relative_to(root).parts[0])
    unformatted = []
    for path in files:
        result = subprocess.run([clang_format, "--dry-run", "--Werror", str(path)],
                                capture_output=True, text=True, check=False)
        if result.returncode != 0:
            unformatted.append(str(path.relative_to(root)))
    for name in unformatted:
        print(f"not formatted: {name}  (clang-format -i {name})")
    print(f"{len(files)} files checked, {len(unformatted)} not formatted")
    return 1 if unformatted or not files else 0


if __name__ == "__main__":
    sys.exit(main())
